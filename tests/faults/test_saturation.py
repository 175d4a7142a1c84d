"""Pool exhaustion: slow statements hold every database connection of the server. Requests
that need a connection are answered 503 within DB_QUEUE_TIMEOUT_MS instead of hanging until a
slow statement ends; the slow statements themselves end at DB_STATEMENT_TIMEOUT_MS with a 504;
afterwards the same connections serve again.

The slow statements are real ones: PATCH /tickets/:id on a ticket whose row a DBA's session
keeps locked (SELECT ... FOR UPDATE), so each waits on the lock until statement_timeout.
The bounds asserted are generous next to what they tell apart: a request that waits for a slow
statement waits STATEMENT_MS (8 s) or more, one refused fast waits QUEUE_MS (0.3 s)."""
import threading
import time

from faultlib import ADMIN, Server, call, check, cluster, figure, new_ticket_body

STATEMENT_MS = 8000
QUEUE_MS = 300
REQUEST_MS = 30000
SLOW = 6


def test_slow_statements_on_every_connection_others_get_503_fast():
    c = cluster()
    # one thread (connections are not spread over threads by chance): 2 connections, room for 4
    # requests on each; 6 slow requests leave room, but behind slow statements only
    srv = Server(c, "saturation", HTTP_THREADS=1, DB_POOL_SIZE=2, DB_PIPELINE_DEPTH=4,
                 DB_STATEMENT_TIMEOUT_MS=STATEMENT_MS, REQUEST_TIMEOUT_MS=REQUEST_MS, DB_QUEUE_TIMEOUT_MS=QUEUE_MS,
                 DB_STALL_MS=100)
    try:
        st, j, _ = call(srv, "POST", "/api/v1/tickets", new_ticket_body("saturation"), sub=ADMIN)
        check(st == 201, "ticket: %r %r" % (st, j))
        tid = j["data"]["id"]
        # a DBA's session holds the ticket's row for longer than the statement timeout
        locker = c.psql_background("BEGIN; SELECT id FROM helpdesk.tickets WHERE id = %d FOR UPDATE; "
                                   "SELECT pg_sleep(%d); COMMIT" % (tid, STATEMENT_MS // 1000 + 6))
        deadline = time.time() + 10
        while c.psql("SELECT count(*) FROM pg_stat_activity WHERE state = 'active' AND query LIKE '%FOR UPDATE%pg_sleep%' "
                     "AND pid <> pg_backend_pid()") == "0":
            check(time.time() < deadline, "the locking session did not start")
            time.sleep(0.05)

        # slow requests: the pool sends each to its least loaded connection, so both get some
        slow = []
        lock = threading.Lock()

        def patch(i):
            st, j, secs = call(srv, "PATCH", "/api/v1/tickets/%d" % tid, {"title": "Slow write %d" % i}, sub=ADMIN,
                               timeout=REQUEST_MS / 1000 + 10)
            with lock:
                slow.append((st, j, secs))

        slow_threads = [threading.Thread(target=patch, args=(i,)) for i in range(SLOW)]
        for th in slow_threads:
            th.start()
        time.sleep(1.0)  # every connection now has a slow statement at its head, older than DB_STALL_MS

        # meanwhile, requests that need a connection: refused fast, never queued behind the slow ones
        others = []
        t_end = time.time() + 3
        while time.time() < t_end:
            others.append(call(srv, "GET", "/api/v1/health", timeout=REQUEST_MS / 1000 + 10))
        for th in slow_threads:
            th.join()
        locker.wait(timeout=60)

        refused = [o for o in others if o[0] == 503]
        worst = max(o[2] for o in others)
        figure("saturation: other requests while every connection is held", len(others))
        figure("saturation: of which answered 503", len(refused))
        figure("saturation: slowest of them (s)", "%.2f" % worst)
        check(refused, "no request was refused while every connection was held: %r" % others[:5])
        check(all(o[0] in (200, 503) for o in others), "statuses %r" % sorted({o[0] for o in others}))
        check(all(o[1] and o[1].get("error") == "ServiceUnavailableException" for o in refused), "503 envelope %r" % refused[:1])
        # fast: nowhere near the slow statements' 8 s
        check(worst < STATEMENT_MS / 1000 / 2, "a request waited %.2f s behind the slow statements" % worst)

        # the slow statements at the head of each connection ended at the statement timeout (504),
        # not at REQUEST_TIMEOUT_MS; those sent before their connection counted as stalled ran
        # after them (200 once the lock was gone, or 504); those that found no connection with
        # room were refused (503). None waited for REQUEST_TIMEOUT_MS.
        timed_out = [s for s in slow if s[0] == 504]
        figure("saturation: slow requests answered 504 (statement_timeout)", len(timed_out))
        figure("saturation: slow requests answered 503 (no connection)", sum(1 for s in slow if s[0] == 503))
        figure("saturation: slow requests answered 200 (after the lock)", sum(1 for s in slow if s[0] == 200))
        check(len(slow) == SLOW and all(s[0] in (200, 503, 504) for s in slow), "slow requests: %r" % [(s[0], s[2]) for s in slow])
        check(timed_out, "no slow request hit the statement timeout")
        check(all(s[1]["error"] == "GatewayTimeoutException" and s[1]["message"] == "Request timed out" for s in timed_out),
              "504 envelope %r" % timed_out[:1])
        check(max(s[2] for s in slow) < REQUEST_MS / 1000 * 0.8,
              "a slow request waited for the request timeout: %r" % sorted(s[2] for s in slow))
        # what the cancelled and refused statements wrote: nothing; the last title is one of an answered 200
        written = {"Fault test saturation"} | {s[1]["data"]["title"] for s in slow if s[0] == 200}
        check(c.psql("SELECT title FROM helpdesk.tickets WHERE id = %d" % tid) in written, "a cancelled statement wrote")

        # the same connections serve again at once
        for _ in range(20):
            st, j, _ = call(srv, "PATCH", "/api/v1/tickets/%d" % tid, {"title": "Written after the storm"}, sub=ADMIN)
            check(st == 200, "after the slow statements: %r %r" % (st, j))
        check(srv.stop() == 0, "server exit status")
    finally:
        if srv.proc.poll() is None:
            srv.kill()
