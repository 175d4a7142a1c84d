#!/usr/bin/python3
"""Server-Sent Events load for bench/notif.sh: N subscribers to GET /api/v1/notifications/stream
(tokens given round robin), then commits of staff broadcasts through one psql session, and for
each the time from its COMMIT returning to its event at every subscriber.

  sse_load.py BASE_URL N ROUNDS PSQL_CMD TOKEN... -> prints JSON: connected, p50_ms, p99_ms, max_ms,
  samples, missing. Between "ready" (printed when every stream has its first event, then it waits
  for a line on stdin) and the rounds, the caller measures what it needs with the streams idle."""
import json
import resource
import selectors
import shlex
import socket
import subprocess
import sys
import time
import urllib.parse


def main():
    base, n, rounds, psql_cmd = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
    tokens = sys.argv[5:]
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, max(soft, n + 256)), hard))
    u = urllib.parse.urlsplit(base)
    sel = selectors.DefaultSelector()
    bufs = {}
    for i in range(n):
        s = socket.create_connection((u.hostname, u.port))
        s.sendall(("GET /api/v1/notifications/stream?access_token=%s HTTP/1.1\r\nHost: b\r\n\r\n" % tokens[i % len(tokens)]).encode())
        s.setblocking(False)
        sel.register(s, selectors.EVENT_READ, i)
        bufs[i] = b""
    arrivals = {}  # notification id -> [arrival times]
    started = set()

    def poll(timeout):
        for key, _ in sel.select(timeout):
            s, i = key.fileobj, key.data
            try:
                data = s.recv(65536)
            except BlockingIOError:
                continue
            if not data:
                sel.unregister(s)
                continue
            now = time.monotonic()
            b = bufs[i] + data
            started.add(i)
            # every "event: notification\nid: N" seen in this read arrived now
            start = 0
            while True:
                j = b.find(b"event: notification\nid: ", start)
                if j < 0:
                    break
                k = b.find(b"\n", j + 24)
                if k < 0:
                    break
                arrivals.setdefault(int(b[j + 24:k]), []).append(now)
                start = k
            bufs[i] = b[-64:]

    deadline = time.monotonic() + 60
    while len(started) < n and time.monotonic() < deadline:
        poll(0.5)
    print("ready %d" % len(started), flush=True)
    sys.stdin.readline()
    psql = subprocess.Popen(shlex.split(psql_cmd) + ["-X", "-q", "-At"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            text=True, bufsize=1)
    commits = {}
    for r in range(rounds):
        psql.stdin.write("INSERT INTO helpdesk.notifications (user_id, type, title, message) VALUES "
                         "(NULL, 'ticket_created', 'Bench', 'Bench round %d') RETURNING id;\n" % r)
        psql.stdin.flush()
        nid = int(psql.stdout.readline())
        commits[nid] = time.monotonic()  # autocommit: the INSERT's answer comes after its commit
        end = time.monotonic() + 0.3
        while time.monotonic() < end:
            poll(0.05)
    end = time.monotonic() + 2
    while time.monotonic() < end and sum(len(arrivals.get(k, [])) for k in commits) < len(commits) * len(started):
        poll(0.1)
    psql.stdin.close()
    psql.wait()
    lat = sorted((t - commits[k]) * 1000 for k in commits for t in arrivals.get(k, []))
    q = lambda p: round(lat[min(len(lat) - 1, int(p * len(lat)))], 1) if lat else None
    print(json.dumps({"connected": len(started), "samples": len(lat), "missing": len(commits) * len(started) - len(lat),
                      "p50_ms": q(0.5), "p99_ms": q(0.99), "max_ms": round(lat[-1], 1) if lat else None}), flush=True)


main()
