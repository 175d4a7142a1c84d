"""Helpers of the fault tests (tests/faults/test_*.py): a PostgreSQL cluster of their own that
they may stop, crash and restart, helpdesk-http processes they start with chosen settings and
kill, load generators that record every answer, and figures for docs/RELIABILITY.md.
Python 3 standard library only.

Environment (tests/run.sh, suite "faults"): HD_PGBIN (PostgreSQL binaries with this build of
the extension installed), HD_HTTP_BIN (the server), HD_FAULT_DIR (a scratch directory).
The cluster keeps PostgreSQL's durable defaults (fsync, synchronous_commit, full_page_writes):
these tests crash it and count what survives."""
import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(REPO, "tests", "http"))

import hdlib  # noqa: E402  (make_jwt, claims: the HTTP suite's token helpers)

PGBIN = os.environ.get("HD_PGBIN", "/usr/lib/postgresql/15/bin")
HTTP_BIN = os.environ.get("HD_HTTP_BIN", os.path.join(REPO, "http", "helpdesk-http"))
WORK = os.environ.get("HD_FAULT_DIR") or "/tmp"
PGUSER = "postgres"
SECRET = "fault-tests-secret-" + os.urandom(12).hex()

ADMIN, STAFF, EMPLOYEE = 1, 2, 3

_figures = []


class Skip(Exception):
    pass


def check(cond, msg="check failed"):
    if not cond:
        raise AssertionError(msg)


def figure(name, value):
    """A measured figure of this run (printed by run.py and reported in docs/RELIABILITY.md)."""
    _figures.append((name, value))
    print("   figure: %s = %s" % (name, value), flush=True)


def figures():
    return list(_figures)


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def as_postgres(args, **kw):
    if os.geteuid() == 0:
        args = ["runuser", "-u", PGUSER, "--"] + args
    return subprocess.run(args, **kw)


# ---- the cluster ----

class Cluster:
    def __init__(self, name, settings=()):
        self.dir = os.path.join(WORK, name)
        os.makedirs(self.dir, exist_ok=True)
        shutil.chown(self.dir, PGUSER)
        os.chmod(self.dir, 0o700)
        self.data = os.path.join(self.dir, "data")
        self.log = os.path.join(self.dir, "server.log")
        self.port = free_port()
        r = as_postgres([os.path.join(PGBIN, "initdb"), "-D", self.data, "-U", PGUSER, "-A", "trust", "-E", "UTF8",
                         "--locale=C.UTF-8", "--no-sync"], cwd=self.dir, capture_output=True, text=True)
        check(r.returncode == 0, "initdb: %s" % r.stderr)
        conf = ["port = %d" % self.port, "listen_addresses = '127.0.0.1'", "unix_socket_directories = '%s'" % self.dir,
                "shared_preload_libraries = 'helpdesk'", "max_connections = 200", "log_min_messages = warning",
                "log_line_prefix = '%m [%p] %b '", "helpdesk.database_name = 'desk'", "helpdesk.bcrypt_cost = 4"]
        with open(os.path.join(self.data, "postgresql.conf"), "a") as f:
            f.write("\n".join(conf + list(settings)) + "\n")
        self.start()

    def ctl(self, *args, check_rc=True):
        r = as_postgres([os.path.join(PGBIN, "pg_ctl"), "-D", self.data, "-l", self.log, "-t", "120"] + list(args),
                        cwd=self.dir, capture_output=True, text=True)
        if check_rc:
            check(r.returncode == 0, "pg_ctl %s: %s %s" % (" ".join(args), r.stdout, r.stderr))
        return r

    def start(self):
        self.ctl("-w", "start")

    def stop(self, mode="fast"):
        self.ctl("-w", "-m", mode, "stop")

    def running(self):
        return self.ctl("status", check_rc=False).returncode == 0

    def postmaster_pid(self):
        with open(os.path.join(self.data, "postmaster.pid")) as f:
            return int(f.readline())

    def psql(self, sql, db="desk", timeout=120):
        r = as_postgres([os.path.join(PGBIN, "psql"), "-X", "-q", "-At", "-v", "ON_ERROR_STOP=1", "-h", self.dir,
                         "-p", str(self.port), "-U", PGUSER, "-d", db, "-c", sql],
                        cwd=self.dir, capture_output=True, text=True, timeout=timeout)
        check(r.returncode == 0, "psql: %s" % r.stderr.strip())
        return r.stdout.strip()

    def psql_background(self, sql, db="desk"):
        """psql running sql in the background (a session holding locks); returns the process."""
        args = [os.path.join(PGBIN, "psql"), "-X", "-q", "-v", "ON_ERROR_STOP=1", "-h", self.dir, "-p", str(self.port),
                "-U", PGUSER, "-d", db, "-c", sql]
        if os.geteuid() == 0:
            args = ["runuser", "-u", PGUSER, "--"] + args
        return subprocess.Popen(args, cwd=self.dir, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)

    def accepting(self):
        r = as_postgres([os.path.join(PGBIN, "pg_isready"), "-h", self.dir, "-p", str(self.port), "-d", "desk"],
                        cwd=self.dir, capture_output=True)
        return r.returncode == 0

    def create_desk(self):
        """The database desk: the extension, the server's role, the demo data (users 1-3)."""
        self.psql("CREATE DATABASE desk", db="postgres")
        self.psql("CREATE EXTENSION helpdesk CASCADE; CREATE ROLE helpdesk_http LOGIN IN ROLE helpdesk_web")
        with open(os.path.join(REPO, "demo", "seed.sql")) as f:
            seed = f.read()
        r = as_postgres([os.path.join(PGBIN, "psql"), "-X", "-q", "-v", "ON_ERROR_STOP=1", "-h", self.dir, "-p",
                         str(self.port), "-U", PGUSER, "-d", "desk"], input=seed, cwd=self.dir, capture_output=True,
                        text=True)
        check(r.returncode == 0, "seed: %s" % r.stderr)

    def destroy(self):
        if os.path.exists(os.path.join(self.data, "postmaster.pid")):
            self.ctl("-w", "-m", "immediate", "stop", check_rc=False)


_cluster = None


def cluster():
    """The fault tests' shared cluster with the database desk (created on first use)."""
    global _cluster
    if _cluster is None:
        _cluster = Cluster("cluster-faults")
        _cluster.create_desk()
    if not _cluster.running():
        _cluster.start()
    return _cluster


def teardown():
    if _cluster is not None:
        _cluster.destroy()


# ---- helpdesk-http ----

class Server:
    """helpdesk-http on a free port against the cluster, with settings of the test."""

    def __init__(self, c, name="http", **settings):
        self.port = free_port()
        self.url = "http://127.0.0.1:%d" % self.port
        self.log = os.path.join(WORK, "%s-%d.log" % (name, self.port))
        env = dict(os.environ)
        env.update({"PORT": str(self.port), "HOST": "127.0.0.1", "DB_HOST": c.dir, "DB_PORT": str(c.port),
                    "DB_USER": "helpdesk_http", "DB_NAME": "desk", "JWT_SECRET": SECRET,
                    "RATE_LIMIT_MAX_REQUESTS": "0", "ACCESS_LOG": "off", "HTTP_THREADS": "2"})
        env.update({k: str(v) for k, v in settings.items()})
        self.logf = open(self.log, "w")
        self.proc = subprocess.Popen([HTTP_BIN], env=env, stdout=self.logf, stderr=subprocess.STDOUT)
        deadline = time.time() + 30
        while time.time() < deadline:
            check(self.proc.poll() is None, "helpdesk-http exited %s: %s" % (self.proc.returncode, self.tail()))
            try:
                if get(self, "/api/v1/health", timeout=2)[0] == 200:
                    return
            except OSError:
                pass
            time.sleep(0.1)
        raise AssertionError("helpdesk-http did not answer /health: %s" % self.tail())

    def tail(self, n=20):
        try:
            with open(self.log) as f:
                return "".join(f.readlines()[-n:])
        except OSError:
            return ""

    def rss_kb(self):
        with open("/proc/%d/status" % self.proc.pid) as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
        return 0

    def kill(self, sig=signal.SIGKILL):
        self.proc.send_signal(sig)
        rc = self.proc.wait(timeout=60)
        self.logf.close()
        return rc

    def stop(self):
        """SIGTERM and wait: the exit status (0 expected)."""
        if self.proc.poll() is not None:
            self.logf.close()
            return self.proc.returncode
        return self.kill(signal.SIGTERM)


def token(sub):
    return hdlib.make_jwt(hdlib.claims(sub=sub), secret=SECRET)


def headers(sub=None):
    h = {}
    if sub is not None:
        h["Authorization"] = "Bearer " + token(sub)
    return h


def call(server, method, path, body=None, sub=None, timeout=30, conn=None):
    """(status, parsed JSON or None, seconds). conn: a keep-alive http.client connection to reuse."""
    h = headers(sub)
    data = None
    if body is not None:
        data = json.dumps(body).encode()
        h["Content-Type"] = "application/json"
    own = conn is None
    if own:
        conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=timeout)
    t0 = time.monotonic()
    try:
        conn.request(method, path, body=data, headers=h)
        r = conn.getresponse()
        raw = r.read()
        elapsed = time.monotonic() - t0
        try:
            j = json.loads(raw.decode())
        except ValueError:
            j = None
        return r.status, j, elapsed
    finally:
        if own:
            conn.close()


def get(server, path, sub=None, timeout=30):
    return call(server, "GET", path, sub=sub, timeout=timeout)


def new_ticket_body(tag):
    return {"title": "Fault test %s" % tag, "description": "Written under a fault test", "categoryId": 1}


class Load:
    """n threads each sending make(thread, i) -> (method, path, body, sub) on a keep-alive
    connection (a new one after an error) until stop(). Every answer is recorded as
    (start, end, status, json) in self.log; errors (no answer) as (start, end, None, repr)."""

    def __init__(self, server, n, make, timeout=30):
        self.server = server
        self.make = make
        self.timeout = timeout
        self.stopping = False
        self.lock = threading.Lock()
        self.log = []
        self.threads = [threading.Thread(target=self._run, args=(t,), daemon=True) for t in range(n)]
        for th in self.threads:
            th.start()

    def _run(self, t):
        conn = None
        i = 0
        while not self.stopping:
            method, path, body, sub = self.make(t, i)
            i += 1
            t0 = time.monotonic()
            try:
                if conn is None:
                    conn = http.client.HTTPConnection("127.0.0.1", self.server.port, timeout=self.timeout)
                status, j, _ = call(self.server, method, path, body, sub, conn=conn)
                with self.lock:
                    self.log.append((t0, time.monotonic(), status, j))
                if status >= 500:
                    time.sleep(0.02)  # a client backing off
            except Exception as e:  # noqa: BLE001 (recorded, judged by the test)
                with self.lock:
                    self.log.append((t0, time.monotonic(), None, repr(e)))
                if conn is not None:
                    conn.close()
                conn = None
                time.sleep(0.02)
        if conn is not None:
            conn.close()

    def stop(self):
        self.stopping = True
        for th in self.threads:
            th.join(timeout=self.timeout + 10)
        return self.log

    def snapshot(self):
        with self.lock:
            return list(self.log)


def count_between(log, t0, t1, status=200):
    return sum(1 for s, e, st, _ in log if t0 <= e < t1 and st == status)
