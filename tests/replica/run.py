#!/usr/bin/python3
"""Past one machine (docs/SCALING.md): a primary and a streaming replica built on this machine
(pg_basebackup -R), helpdesk-http with DB_READ_HOST; and two helpdesk-http processes against one
database. Each test_* below is one check; "replica: N passed, M failed" at the end and
"PASSED FAILED" in HD_RESULT_FILE (tests/run.sh, suite "replica").

Environment: HD_PGBIN, HD_HTTP_BIN, HD_FAULT_DIR (a scratch directory), as tests/faults.
Python 3 standard library only; tests/faults/faultlib.py starts clusters and servers."""
import json
import os
import re
import shutil
import sys
import time
import traceback
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(REPO, "tests", "faults"))

import faultlib as fl  # noqa: E402
from faultlib import check  # noqa: E402

ADMIN, STAFF, EMPLOYEE = 1, 2, 3
_state = {}


def token(sub):
    # issued long ago: a token issued within DB_READ_AFTER_WRITE_MS counts as a write (readpool.c)
    now = int(time.time())
    return fl.hdlib.make_jwt(fl.hdlib.claims(sub=sub, iat=now - 600, exp=now + 3600), secret=fl.SECRET)


def call(server, method, path, body=None, sub=None, bearer=None, source=None):
    """(status, parsed JSON or None). source: the client's address (127.0.0.x), for the rate limit."""
    import http.client
    h = {}
    if sub is not None:
        bearer = token(sub)
    if bearer is not None:
        h["Authorization"] = "Bearer " + bearer
    data = None
    if body is not None:
        data = json.dumps(body).encode()
        h["Content-Type"] = "application/json"
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30,
                                      source_address=(source, 0) if source else None)
    try:
        conn.request(method, path, body=data, headers=h)
        r = conn.getresponse()
        raw = r.read()
        try:
            return r.status, json.loads(raw.decode())
        except ValueError:
            return r.status, None
    finally:
        conn.close()


def until(cond, what, seconds=20):
    """Polls cond() every 0.1 s until it is true (a wait, not a timing assertion)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if cond():
            return
        time.sleep(0.1)
    raise AssertionError("never: %s" % what)


class Standby(fl.Cluster):
    """A streaming replica of `primary`: pg_basebackup -R (fast checkpoint: a spread one waits minutes), its own port and socket directory,
    the SLA watcher off (it does not scan in recovery anyway), function calls counted."""

    def __init__(self, primary, name):  # noqa: super().__init__ would initdb
        self.dir = os.path.join(fl.WORK, name)
        os.makedirs(self.dir, exist_ok=True)
        shutil.chown(self.dir, fl.PGUSER)
        os.chmod(self.dir, 0o700)
        self.data = os.path.join(self.dir, "data")
        self.log = os.path.join(self.dir, "server.log")
        self.port = fl.free_port()
        r = fl.as_postgres([os.path.join(fl.PGBIN, "pg_basebackup"), "-h", primary.dir, "-p", str(primary.port), "-U",
                            fl.PGUSER, "-D", self.data, "-R", "-X", "stream", "-c", "fast", "--no-sync"],
                           cwd=self.dir, capture_output=True, text=True)
        check(r.returncode == 0, "pg_basebackup: %s" % r.stderr)
        with open(os.path.join(self.data, "postgresql.conf"), "a") as f:
            f.write("port = %d\nunix_socket_directories = '%s'\nhelpdesk.worker_enabled = off\n" % (self.port, self.dir))
        self.start()


def primary():
    if "primary" not in _state:
        t0 = time.monotonic()
        c = fl.Cluster("cluster-primary", settings=["track_functions = 'pl'"])
        _state["primary"] = c
        t1 = time.monotonic()
        c.create_desk()
        t2 = time.monotonic()
        _state["standby"] = Standby(c, "cluster-standby")
        print("   set-up: initdb+start %.1f s, desk %.1f s, standby %.1f s" % (t1 - t0, t2 - t1, time.monotonic() - t2))
    return _state["primary"]


def standby():
    primary()
    return _state["standby"]


def replica_calls(fn):
    """Calls of helpdesk_api.<fn> the replica itself ran (its own statistics)."""
    out = standby().psql("SELECT coalesce(sum(calls), 0) FROM pg_stat_user_functions "
                         "WHERE schemaname = 'helpdesk_api' AND funcname = '%s'" % fn)
    return int(out or 0)


def server(name, **settings):
    s = fl.Server(primary(), name=name, DB_READ_HOST=standby().dir, DB_READ_PORT=standby().port,
                  DB_READ_CHECK_MS=50, **settings)
    _state.setdefault("servers", []).append(s)
    return s


def relaxed():
    """A server that tolerates a minute of lag: reads stay on a paused replica."""
    if "relaxed" not in _state:
        metrics_port = fl.free_port()
        _state["relaxed"] = server("relaxed", DB_READ_MAX_LAG_MS=60000, DB_READ_AFTER_WRITE_MS=60000,
                                   METRICS_LISTEN="127.0.0.1:%d" % metrics_port)
        _state["relaxed"].metrics_url = "http://127.0.0.1:%d/metrics" % metrics_port
    return _state["relaxed"]


def strict():
    """A server that tolerates 300 ms of lag."""
    if "strict" not in _state:
        _state["strict"] = server("strict", DB_READ_MAX_LAG_MS=300, DB_READ_AFTER_WRITE_MS=300)
    return _state["strict"]


# ---- read replicas ----

def test_reads_reach_the_replica():
    s = relaxed()
    before = replica_calls("tickets_list")

    def served():
        for _ in range(10):
            st, _ = call(s, "GET", "/api/v1/tickets?limit=5", sub=ADMIN)
            check(st == 200, "GET /tickets: %s" % st)
        return replica_calls("tickets_list") > before
    until(served, "the replica runs helpdesk_api.tickets_list for GET /api/v1/tickets")
    # /metrics counts where reads were served
    text = urllib.request.urlopen(s.metrics_url, timeout=10).read().decode()
    counts = dict(re.findall(r'^helpdesk_http_reads_total\{served_by="(\w+)"\} (\d+)$', text, re.M))
    check(int(counts.get("replica", 0)) >= 10, "reads served by the replica in /metrics: %r" % counts)
    check(re.search(r"^helpdesk_http_read_fallbacks_total \d+$", text, re.M) is not None, "read fallbacks in /metrics")


def test_health_and_writes_stay_on_the_primary():
    s = relaxed()
    before = replica_calls("health")
    for _ in range(20):
        check(call(s, "GET", "/api/v1/health")[0] == 200)
    st, j = call(s, "POST", "/api/v1/tickets", fl.new_ticket_body("primary"), sub=EMPLOYEE)
    check(st == 201, "POST /tickets: %s %s" % (st, j))
    time.sleep(1.5)  # the replica's statistics are flushed within a second of a call
    check(replica_calls("health") == before, "GET /health ran on the replica")


def test_paused_replica_read_your_writes_and_lag_bound():
    s, t = relaxed(), strict()
    # both servers read from the replica before it is paused
    until(lambda: call(t, "GET", "/api/v1/tickets/1", sub=ADMIN)[0] == 200 and replica_calls("tickets_get") > 0,
          "the strict server reads from the replica")
    standby().psql("SELECT pg_wal_replay_pause()")
    try:
        until(lambda: standby().psql("SELECT pg_get_wal_replay_pause_state()") == "paused", "replay paused")
        st, j = call(s, "POST", "/api/v1/tickets", fl.new_ticket_body("paused"), sub=EMPLOYEE)
        check(st == 201, "POST /tickets: %s %s" % (st, j))
        tid = j["data"]["id"]
        path = "/api/v1/tickets/%d" % tid
        # read your writes: the writer's reads go to the primary
        for _ in range(5):
            st, j = call(s, "GET", path, sub=EMPLOYEE)
            check(st == 200 and j["data"]["id"] == tid, "the writer reads its ticket: %s %s" % (st, j))
        # another user's reads stay on the replica (within a minute of lag), which has not replayed it
        for _ in range(5):
            st, j = call(s, "GET", path, sub=ADMIN)
            check(st == 404, "another user's read is served by the paused replica: %s %s" % (st, j))
        # the strict server skips the replica once it is 300 ms behind, and keeps skipping it
        until(lambda: call(t, "GET", path, sub=ADMIN)[0] == 200, "the strict server reads the new ticket")
        for _ in range(20):
            st, _ = call(t, "GET", path, sub=ADMIN)
            check(st == 200, "the lagging replica is skipped: %s" % st)
    finally:
        standby().psql("SELECT pg_wal_replay_resume()")
    until(lambda: call(s, "GET", path, sub=ADMIN)[0] == 200, "the replica replays the ticket once resumed")


def _no_failed_request_while(stop_mode):
    s = relaxed()

    def make(t, i):
        paths = ["/api/v1/tickets?limit=5", "/api/v1/tickets/1", "/api/v1/auth/me", "/api/v1/tickets/stats"]
        return "GET", paths[(t + i) % len(paths)], None, ADMIN

    # the load's own tokens: fresh, so built once with an old iat
    tok = {ADMIN: token(ADMIN)}
    orig = fl.headers
    fl.headers = lambda sub=None: {"Authorization": "Bearer " + tok[sub]} if sub is not None else {}
    try:
        load = fl.Load(s, 4, make)
        time.sleep(1.0)
        before = replica_calls("tickets_list")
        check(before > 0, "reads reached the replica before it stopped")
        standby().stop(stop_mode)
        time.sleep(1.5)
        standby().start()
        after = replica_calls("tickets_list")  # (statistics start again from 0 after a crash)
        until(lambda: replica_calls("tickets_list") > after, "reads reach the replica again after its restart")
        log = load.stop()
    finally:
        fl.headers = orig
    bad = [(st, j) for _, _, st, j in log if st != 200]
    fl.figure("requests during the replica's %s stop and restart" % stop_mode, len(log))
    check(len(log) > 50, "the load ran: %d requests" % len(log))
    check(not bad, "%d of %d requests failed, e.g. %s" % (len(bad), len(log), bad[:3]))


def test_replica_stopped_fast_costs_no_failed_request():
    _no_failed_request_while("fast")


def test_replica_crashed_costs_no_failed_request():
    _no_failed_request_while("immediate")


def test_servers_exit_cleanly():
    for name in ("relaxed", "strict"):
        if name in _state:
            rc = _state.pop(name).stop()
            check(rc == 0, "%s server exited %s" % (name, rc))


# ---- N servers, one database ----

def test_two_servers_share_tokens_and_revocation():
    a = fl.Server(primary(), name="server-a")
    b = fl.Server(primary(), name="server-b")
    _state.setdefault("servers", []).extend([a, b])
    st, j = call(a, "POST", "/api/v1/auth/login", {"email": "itstaff@28h.com", "password": "password123"})
    check(st == 200, "login on A: %s %s" % (st, j))
    old = j["data"]["accessToken"]
    for srv in (a, b):
        st, j = call(srv, "GET", "/api/v1/auth/me", bearer=old)
        check(st == 200 and j["data"]["id"] == STAFF, "A's token on %s: %s %s" % (srv.log, st, j))
    time.sleep(1.1)  # tokens are valid from their whole second: the next one must be later
    # the change is made from a second session (the session that changes a password stays in)
    st, j = call(b, "POST", "/api/v1/auth/login", {"email": "itstaff@28h.com", "password": "password123"})
    check(st == 200, "login on B: %s %s" % (st, j))
    changer = j["data"]["accessToken"]
    time.sleep(1.1)
    st, j = call(b, "POST", "/api/v1/users/change-password",
                 {"currentPassword": "password123", "newPassword": "password456"}, bearer=changer)
    check(st == 201, "change the password on B: %s %s" % (st, j))
    new = j["data"]["accessToken"]
    # A verified the old token before (its per-thread cache): the database still refuses it
    for srv in (a, b):
        st, _ = call(srv, "GET", "/api/v1/auth/me", bearer=old)
        check(st == 401, "the other session's token after the change, on %s: %s" % (srv.log, st))
        st, _ = call(srv, "GET", "/api/v1/auth/me", bearer=new)
        check(st == 200, "the new token on %s: %s" % (srv.log, st))
        st, _ = call(srv, "GET", "/api/v1/auth/me", bearer=changer)
        check(st == 200, "the changing session's token on %s: %s" % (srv.log, st))
    for srv in (a, b):
        check(srv.stop() == 0, "server exits 0")


def test_two_servers_share_the_rate_limit():
    """RATE_LIMIT_MAX_REQUESTS=6 over RATE_LIMIT_SERVERS=2: 3 per server, 6 for a client spread
    over both, as a round-robin balancer spreads it."""
    a = fl.Server(primary(), name="limit-a", RATE_LIMIT_MAX_REQUESTS=6, RATE_LIMIT_SERVERS=2)
    b = fl.Server(primary(), name="limit-b", RATE_LIMIT_MAX_REQUESTS=6, RATE_LIMIT_SERVERS=2)
    _state.setdefault("servers", []).extend([a, b])
    client = "127.0.0.%d" % (2 + os.getpid() % 200)  # not the start-up checks' 127.0.0.1
    statuses = [call(srv, "GET", "/api/v1/", source=client)[0] for srv in (a, b, a, b, a, b)]
    check(statuses == [200] * 6, "within the shared limit: %s" % statuses)
    statuses = [call(srv, "GET", "/api/v1/", source=client)[0] for srv in (a, b)]
    check(statuses == [429, 429], "past 6 requests over both servers: %s" % statuses)
    for srv in (a, b):
        check(srv.stop() == 0, "server exits 0")


def main():
    only = os.environ.get("HD_ONLY", "")
    passed = failed = 0
    tests = [(n, f) for n, f in globals().items() if n.startswith("test_") and callable(f)]
    tests.sort(key=lambda t: t[1].__code__.co_firstlineno)
    try:
        for name, fn in tests:
            if only and only not in name:
                continue
            t0 = time.monotonic()
            print("---- %s" % name, flush=True)
            try:
                fn()
            except Exception as e:  # noqa: BLE001
                tb = traceback.extract_tb(e.__traceback__)
                where = "%s:%d" % (os.path.basename(tb[-1].filename), tb[-1].lineno) if tb else "?"
                print("FAIL %s (%s): %s: %s" % (name, where, type(e).__name__, e), flush=True)
                failed += 1
                continue
            print("ok   %s (%.1f s)" % (name, time.monotonic() - t0), flush=True)
            passed += 1
    finally:
        for s in _state.get("servers", []):
            if s.proc.poll() is None:
                s.stop()
            if failed:
                print("---- %s (tail)\n%s" % (s.log, s.tail()))
        for c in ("standby", "primary"):
            if c in _state:
                _state[c].destroy()
    print("replica: %d passed, %d failed" % (passed, failed))
    result = os.environ.get("HD_RESULT_FILE")
    if result:
        with open(result, "w") as f:
            f.write("%d %d\n" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
