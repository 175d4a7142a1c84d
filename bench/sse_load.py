#!/usr/bin/python3
"""Server-Sent Events load for bench/notif.sh: N subscribers to GET /api/v1/notifications/stream
(tokens given round robin), spread over P reader processes, then commits of staff broadcasts
through one psql session, and for each the time from its COMMIT returning to its event at every
subscriber.

  sse_load.py BASE_URL N ROUNDS PSQL_CMD TOKEN... -> prints JSON: connected, p50_ms, p99_ms, max_ms,
  samples, missing. Between "ready" (printed when every stream has its first event, then it waits
  for a line on stdin) and the rounds, the caller measures what it needs with the streams idle.
  SSE_LOAD_PROCESSES (default 1) reader processes each hold N/P streams: one Python process reading
  1,000 sockets competes for the CPU with the server it measures, several share that work. Each
  arrival is stamped with CLOCK_MONOTONIC (one clock for every process) right after the recv()
  that read it, under the notification's own id (its data's; a late commit's SSE id is the stream's
  position)."""
import json
import os
import resource
import selectors
import shlex
import socket
import subprocess
import sys
import time
import urllib.parse

DATA_ID = b'\ndata: {"id":'  # a notification event's data: its JSON, "id" first


def reader(base, indices, tokens, control):
    """One reader process: its streams until the parent writes a line on `control`, then the
    arrival times of every notification id as JSON on stdout (its pipe to the parent)."""
    u = urllib.parse.urlsplit(base)
    sel = selectors.DefaultSelector()
    bufs = {}
    for i in indices:
        s = socket.create_connection((u.hostname, u.port))
        s.sendall(("GET /api/v1/notifications/stream?access_token=%s HTTP/1.1\r\nHost: b\r\n\r\n" % tokens[i % len(tokens)]).encode())
        s.setblocking(False)
        sel.register(s, selectors.EVENT_READ, i)
        bufs[i] = b""
    sel.register(control, selectors.EVENT_READ, None)
    arrivals = {}  # notification id -> [arrival times]
    started = set()
    out = os.fdopen(1, "w")
    ready_sent = False
    deadline = time.monotonic() + 60
    while True:
        for key, _ in sel.select(0.5):
            if key.data is None:
                control.readline()
                out.write(json.dumps({"started": len(started), "arrivals": arrivals}) + "\n")
                out.flush()
                return
            s, i = key.fileobj, key.data
            try:
                data = s.recv(65536)
            except BlockingIOError:
                continue
            now = time.monotonic()  # right after the read: the bytes arrived no later than this
            if not data:
                sel.unregister(s)
                continue
            b = bufs[i] + data
            started.add(i)
            start = 0
            while True:
                j = b.find(b"event: notification\nid: ", start)
                if j < 0:
                    rest = b[max(start, len(b) - 64):]  # the start of a header, perhaps
                    break
                # the notification's own id is its data's "id" (first key): a late one's SSE id
                # is the stream's position (http/sse.c), the id of an event it already had
                d = b.find(DATA_ID, j + 24)
                e = b.find(b"\n\n", j + 24)
                if e < 0:
                    rest = b[j:]  # the event's end is still to come
                    break
                if d < 0 or d > e:
                    start = e  # not a notification's data: skipped
                    continue
                k = d + len(DATA_ID)
                while k < e and b[k:k + 1] in b" 0123456789":
                    k += 1
                arrivals.setdefault(int(b[d + len(DATA_ID):k]), []).append(now)
                start = e
            bufs[i] = rest
        if not ready_sent and (len(started) == len(indices) or time.monotonic() > deadline):
            out.write("ready %d\n" % len(started))
            out.flush()
            ready_sent = True


def main():
    base, n, rounds, psql_cmd = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
    tokens = sys.argv[5:]
    nproc = max(1, min(n, int(os.environ.get("SSE_LOAD_PROCESSES") or 1)))
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, max(soft, n + 256)), hard))
    children = []
    for p in range(nproc):
        down_r, down_w = os.pipe()
        up_r, up_w = os.pipe()
        pid = os.fork()
        if pid == 0:
            os.close(down_w)
            os.close(up_r)
            os.dup2(up_w, 1)
            try:
                reader(base, range(p, n, nproc), tokens, os.fdopen(down_r))
            finally:
                os._exit(0)
        os.close(down_r)
        os.close(up_w)
        children.append((pid, os.fdopen(down_w, "w"), os.fdopen(up_r)))
    connected = sum(int(up.readline().split()[1]) for _, _, up in children)
    print("ready %d" % connected, flush=True)
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
        time.sleep(0.3)
    time.sleep(2)
    psql.stdin.close()
    psql.wait()
    arrivals = {}
    for pid, down, up in children:
        down.write("stop\n")
        down.flush()
        for k, ts in json.loads(up.readline())["arrivals"].items():
            arrivals.setdefault(int(k), []).extend(ts)
        os.waitpid(pid, 0)
    lat = sorted((t - commits[k]) * 1000 for k in commits for t in arrivals.get(k, []))
    q = lambda p: round(lat[min(len(lat) - 1, int(p * len(lat)))], 1) if lat else None
    print(json.dumps({"connected": connected, "processes": nproc, "samples": len(lat),
                      "missing": len(commits) * connected - len(lat),
                      "p50_ms": q(0.5), "p99_ms": q(0.99), "max_ms": round(lat[-1], 1) if lat else None}), flush=True)


main()
