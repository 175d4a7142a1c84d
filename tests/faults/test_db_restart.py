"""PostgreSQL restarted under steady load, with a fast and with an immediate shutdown: the
requests in flight and those that arrive while it is down get 503 in the envelope, none waits
past REQUEST_TIMEOUT_MS, the server reconnects by itself, and the throughput is back within
5 s of the database accepting connections.

Figures: the 503s, the time from "accepting connections" to the first success and to the
throughput being back (half the rate before the restart, over one second)."""
import time

from faultlib import ADMIN, EMPLOYEE, STAFF, Load, Server, check, cluster, figure, new_ticket_body

REQUEST_MS = 5000


def mixed(t, i):
    k = (t + i) % 4
    if k == 0:
        return "GET", "/api/v1/health", None, None
    if k == 1:
        return "GET", "/api/v1/auth/me", None, (ADMIN, STAFF, EMPLOYEE)[i % 3]
    if k == 2:
        return "GET", "/api/v1/tickets?limit=5", None, EMPLOYEE
    return "POST", "/api/v1/tickets", new_ticket_body("restart %d-%d" % (t, i)), EMPLOYEE


def rate(log, t0, t1):
    return sum(1 for s, e, st, _ in log if t0 <= e < t1 and st in (200, 201)) / (t1 - t0)


def restart_under_load(mode):
    c = cluster()
    srv = Server(c, "restart-" + mode, REQUEST_TIMEOUT_MS=REQUEST_MS)
    try:
        load = Load(srv, 8, mixed, timeout=REQUEST_MS / 1000 + 10)
        time.sleep(3)
        t_stop = time.monotonic()
        base = rate(load.snapshot(), t_stop - 2, t_stop)
        c.stop(mode)
        time.sleep(2)
        c.start()  # pg_ctl -w: returns once the database accepts connections
        t_up = time.monotonic()
        time.sleep(6)
        log = load.stop()

        answered = [x for x in log if x[2] is not None]
        failed = [x for x in log if x[2] is None]
        unavailable = [x for x in log if x[2] == 503]
        statuses = sorted({x[2] for x in answered})
        first_ok = min((e for s, e, st, _ in log if e >= t_up and st in (200, 201)), default=None)
        # back: the end of the first one-second window after t_up at half the rate before
        back = None
        t = t_up
        while t + 1 <= t_up + 5 and back is None:
            if rate(log, t, t + 1) >= base / 2:
                back = t + 1 - t_up
            t += 0.1
        slowest = max(e - s for s, e, _, _ in log)
        figure("restart (%s): throughput before, requests/s" % mode, "%.0f" % base)
        figure("restart (%s): answered 503" % mode, len(unavailable))
        figure("restart (%s): first success after the database accepts connections, s" % mode,
               "%.2f" % (first_ok - t_up) if first_ok else "none")
        figure("restart (%s): throughput back (half the rate before, over 1 s) within, s" % mode,
               "%.1f" % back if back is not None else "not within 5 s")
        figure("restart (%s): slowest answer, s" % mode, "%.2f" % slowest)
        check(not failed, "%d requests got no answer, e.g. %r" % (len(failed), failed[:3]))
        check(set(statuses) <= {200, 201, 503}, "statuses %r" % statuses)
        check(unavailable, "no 503 while the database was down")
        check(all(j and j.get("error") == "ServiceUnavailableException" and j.get("statusCode") == 503
                  for _, _, _, j in unavailable), "503 without the envelope: %r" % unavailable[:1])
        check(slowest < REQUEST_MS / 1000 + 1, "a request waited %.1f s" % slowest)
        check(back is not None and back <= 5, "throughput not back within 5 s of the database accepting connections")
        check(srv.stop() == 0, "server exit status")
    finally:
        if srv.proc.poll() is None:
            srv.kill()


def test_fast_shutdown_under_load():
    restart_under_load("fast")


def test_immediate_shutdown_under_load():
    restart_under_load("immediate")
