"""Slow and idle clients: headers a byte at a time (slowloris), a body that never ends, 10,000
idle connections, more connections than MAX_CONNECTIONS. The server keeps answering other
clients, closes what does not finish within HTTP_READ_TIMEOUT_MS, and its memory stays bounded.

What is told apart is "closed by the server within a few read timeouts" against "still open
long after" (a client that drips bytes for four times the timeout), never a close race."""
import resource
import socket
import threading
import time

from faultlib import Server, call, check, cluster, figure

READ_MS = 2000


def raise_fd_limit(n):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < n:
        want = max(n, soft) if hard == resource.RLIM_INFINITY else min(max(n, soft), max(hard, n))
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (want, max(hard, want) if hard != resource.RLIM_INFINITY else hard))
        except (ValueError, OSError):
            resource.setrlimit(resource.RLIMIT_NOFILE, (min(n, hard), hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def connect(port, timeout=10):
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")  # reset on close: no TIME_WAIT pile
    return s


def closed_by_peer(s):
    """True when the server has closed s (EOF or reset); never blocks."""
    try:
        s.setblocking(False)
        data = s.recv(65536)
        return data == b"" or data.startswith(b"HTTP/1.1 4")
    except BlockingIOError:
        return False
    except OSError:
        return True
    finally:
        s.setblocking(True)


class Healthy:
    """A client asking GET /health on fresh connections the whole time: every answer 200, quickly."""

    def __init__(self, srv):
        self.srv = srv
        self.answers = []
        self.stopping = False
        self.th = threading.Thread(target=self._run, daemon=True)
        self.th.start()

    def _run(self):
        while not self.stopping:
            try:
                st, _, secs = call(self.srv, "GET", "/api/v1/health", timeout=15)
            except OSError as e:
                st, secs = repr(e), 15.0
            self.answers.append((st, secs))
            time.sleep(0.05)

    def stop(self):
        self.stopping = True
        self.th.join(timeout=30)
        return self.answers


def drip(socks, payload, seconds, interval=0.2):
    """Send payload one byte per socket every interval for seconds; returns, per socket, when
    the server closed it (seconds from the start) or None."""
    closed = [None] * len(socks)
    t0 = time.monotonic()
    i = 0
    while time.monotonic() - t0 < seconds and any(c is None for c in closed):
        for k, s in enumerate(socks):
            if closed[k] is not None:
                continue
            if closed_by_peer(s):
                closed[k] = time.monotonic() - t0
                continue
            try:
                s.send(payload[i % len(payload):i % len(payload) + 1])
            except OSError:
                closed[k] = time.monotonic() - t0
        i += 1
        time.sleep(interval)
    return closed


def test_slowloris_and_endless_bodies_are_cut_off():
    c = cluster()
    srv = Server(c, "slowloris", HTTP_READ_TIMEOUT_MS=READ_MS)
    try:
        healthy = Healthy(srv)
        # headers a byte at a time, and the headers of a body that never comes in full
        head = b"GET /api/v1/health HTTP/1.1\r\nHost: x\r\nX-Pad: " + b"a" * 4000 + b"\r\n\r\n"
        loris = [connect(srv.port) for _ in range(50)]
        bodies = []
        for _ in range(50):
            s = connect(srv.port)
            s.sendall(b"POST /api/v1/auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                      b"Content-Length: 100000\r\n\r\n{\"email\":")
            bodies.append(s)
        closed = drip(loris + bodies, head, seconds=4 * READ_MS / 1000)
        answers = healthy.stop()
        loris_closed = [t for t in closed[:50] if t is not None]
        body_closed = [t for t in closed[50:] if t is not None]
        figure("slowloris: connections dripping headers cut off", "%d of 50, after %.1f s at most" %
               (len(loris_closed), max(loris_closed or [0])))
        figure("endless body: connections cut off", "%d of 50, after %.1f s at most" %
               (len(body_closed), max(body_closed or [0])))
        figure("slowloris: other clients' requests meanwhile", "%d, all 200: %s, slowest %.2f s" %
               (len(answers), all(a[0] == 200 for a in answers), max(a[1] for a in answers)))
        check(len(loris_closed) == 50, "slowloris connections still open after %.0f s: %d" % (4 * READ_MS / 1000,
                                                                                               50 - len(loris_closed)))
        check(len(body_closed) == 50, "endless bodies still open: %d" % (50 - len(body_closed)))
        check(answers and all(a[0] == 200 for a in answers), "other clients: %r" % sorted({a[0] for a in answers}))
        for s in loris + bodies:
            s.close()
        check(srv.stop() == 0, "server exit status")
    finally:
        if srv.proc.poll() is None:
            srv.kill()


def test_ten_thousand_idle_connections():
    n = 10000
    limit = raise_fd_limit(n + 500)
    check(limit >= n + 100, "this process may open %d files, %d needed" % (limit, n + 100))
    c = cluster()
    # a long read timeout: the idle connections stay for the whole test
    srv = Server(c, "idle", HTTP_READ_TIMEOUT_MS=120000)
    socks = []
    try:
        for _ in range(50):  # warm up: the first requests allocate what every request reuses
            call(srv, "GET", "/api/v1/health")
        rss0 = srv.rss_kb()
        t0 = time.monotonic()
        for _ in range(n):
            socks.append(connect(srv.port, timeout=30))
        opened = time.monotonic() - t0
        time.sleep(1)
        # with all of them open: others are answered
        answers = [call(srv, "GET", "/api/v1/health", timeout=15) for _ in range(50)]
        rss1 = srv.rss_kb()
        nfds = len(__import__("os").listdir("/proc/%d/fd" % srv.proc.pid))
        figure("idle: connections held open", "%d (opened in %.1f s; server has %d descriptors)" % (n, opened, nfds))
        figure("idle: server memory", "%.1f MB before, %.1f MB with them (%.2f kB each)" %
               (rss0 / 1024, rss1 / 1024, (rss1 - rss0) / n))
        figure("idle: other requests meanwhile", "%d, all 200: %s, slowest %.3f s" %
               (len(answers), all(a[0] == 200 for a in answers), max(a[2] for a in answers)))
        check(nfds >= n, "the server holds %d descriptors for %d connections" % (nfds, n))
        check(all(a[0] == 200 for a in answers), "others: %r" % [a[0] for a in answers])
        # bounded: an idle connection costs the server a few kilobytes, not a buffer per byte it may receive
        check((rss1 - rss0) / n < 16, "%.1f kB per idle connection" % ((rss1 - rss0) / n))
    finally:
        for s in socks:
            s.close()
    # once they are gone the memory is the server's to reuse, and it still answers
    time.sleep(1)
    check(call(srv, "GET", "/api/v1/health")[0] == 200, "after the idle connections")
    check(srv.stop() == 0, "server exit status")


def test_more_connections_than_the_cap_wait_in_the_backlog():
    c = cluster()
    cap = 200
    srv = Server(c, "cap", MAX_CONNECTIONS=cap, HTTP_READ_TIMEOUT_MS=READ_MS)
    socks = []
    try:
        raise_fd_limit(2000)
        for _ in range(1000):
            try:
                socks.append(connect(srv.port, timeout=5))
            except OSError:  # the backlogs full: the kernel drops the SYN, the client times out
                break
        time.sleep(0.5)
        nfds = len(__import__("os").listdir("/proc/%d/fd" % srv.proc.pid))
        figure("cap: connections attempted / server descriptors with MAX_CONNECTIONS=%d" % cap, "%d / %d" % (len(socks), nfds))
        check(nfds < cap + 100, "%d descriptors with a cap of %d" % (nfds, cap))
        # a client arriving at the cap waits in the backlog until idle connections time out
        t0 = time.monotonic()
        st, _, _ = call(srv, "GET", "/api/v1/health", timeout=60)
        waited = time.monotonic() - t0
        figure("cap: a new client's wait at the cap", "%.1f s (HTTP_READ_TIMEOUT_MS %d)" % (waited, READ_MS))
        check(st == 200, "status %r" % st)
    finally:
        for s in socks:
            s.close()
    check(srv.stop() == 0, "server exit status")
