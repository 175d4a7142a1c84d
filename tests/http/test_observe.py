"""What an operator sees (issue 15): request ids (X-Request-Id, the access log, the database
session), the JSON access log, readiness (GET /api/v1/health/ready) and GET /metrics on its own
listen address. Environment besides hdlib's: HD_METRICS_URL (the METRICS_LISTEN base URL),
HD_SERVER_LOG (the server's stderr, LOG_FORMAT=json), HD_DB_LOG (PostgreSQL's log, whose
log_line_prefix has %a)."""
import json
import os
import re
import time
import urllib.error
import urllib.request
import uuid

from hdlib import Skip, bearer, check, check_error, check_success, claims, make_jwt, psql, request

ID_RE = re.compile(r"^[0-9a-f]{16}$")


def env(name):
    v = os.environ.get(name)
    if not v:
        raise Skip("%s is not set" % name)
    return v


def wait_for_line(path, needle, tries=50):
    """The first line of the file at path that contains needle (polled: the server writes its
    log line as the response goes out, the test may read first)."""
    for _ in range(tries):
        with open(path, encoding="utf-8", errors="replace") as f:
            for line in f:
                if needle in line:
                    return line
        time.sleep(0.1)
    raise AssertionError("no line with %r in %s" % (needle, path))


# ---- request ids ----

def test_every_response_has_a_fresh_request_id():
    a = request("GET", "/api/v1/health")
    b = request("GET", "/api/v1/health")
    check(a.status == 200 and b.status == 200, "health: %r %r" % (a, b))
    ia, ib = a.headers.get("x-request-id", ""), b.headers.get("x-request-id", "")
    check(ID_RE.match(ia) and ID_RE.match(ib), "ids %r %r" % (ia, ib))
    check(ia != ib, "two requests, one id")
    # errors the server answers itself carry one too: 404, 401, 405
    for r in (request("GET", "/api/v1/nope"), request("GET", "/api/v1/auth/me"), request("PUT", "/api/v1/health")):
        check(ID_RE.match(r.headers.get("x-request-id", "")), "no id on %r" % r)


def test_a_proxy_request_id_carries_on_a_bad_one_is_replaced():
    r = request("GET", "/api/v1/health", headers={"X-Request-Id": "lb-7f3a.9:c_1"})
    check(r.headers.get("x-request-id") == "lb-7f3a.9:c_1", "kept: %r" % r.headers.get("x-request-id"))
    for bad in ("two words", "x" * 49, "quote\"d", ""):
        r = request("GET", "/api/v1/health", headers={"X-Request-Id": bad})
        check(ID_RE.match(r.headers.get("x-request-id", "")), "%r not replaced: %r" % (bad, r.headers.get("x-request-id")))
    r = request("GET", "/api/v1/health", headers={"X-Request-Id": "x" * 48})
    check(r.headers.get("x-request-id") == "x" * 48, "48 characters are kept")


def test_json_access_log_line_names_the_request():
    log = env("HD_SERVER_LOG")
    rid = "t-" + uuid.uuid4().hex
    r = request("GET", "/api/v1/auth/me", headers=dict(bearer(make_jwt(claims(sub=1))), **{"X-Request-Id": rid,
                                                                                            "User-Agent": "observe/1 \"q\""}))
    check_success(r)
    entry = json.loads(wait_for_line(log, '"requestId":"%s"' % rid))
    check(entry["level"] == "info" and entry["msg"] == "request", "kind: %r" % entry)
    check(entry["method"] == "GET" and entry["path"] == "/api/v1/auth/me", "request: %r" % entry)
    check(entry["route"] == "/api/v1/auth/me" and entry["status"] == 200, "route/status: %r" % entry)
    check(entry["bytes"] == len(r.body), "bytes %r, body %d" % (entry["bytes"], len(r.body)))
    check(isinstance(entry["durationMs"], (int, float)) and entry["durationMs"] >= 0, "duration %r" % entry)
    check(entry["client"] == "127.0.0.1" and entry["userAgent"] == 'observe/1 "q"', "client: %r" % entry)
    check(re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$", entry["time"]), "time %r" % entry["time"])
    # a request that matched no route: route null
    rid2 = "t-" + uuid.uuid4().hex
    request("GET", "/api/v1/nope", headers={"X-Request-Id": rid2})
    entry = json.loads(wait_for_line(log, '"requestId":"%s"' % rid2))
    check(entry["route"] is None and entry["status"] == 404, "unrouted: %r" % entry)


def test_access_log_never_writes_an_access_token():
    log = env("HD_SERVER_LOG")
    rid = "t-" + uuid.uuid4().hex
    request("GET", "/api/v1/health?a=1&access_token=SECRET-TOKEN-42&b=2", headers={"X-Request-Id": rid})
    line = wait_for_line(log, rid)
    check("SECRET-TOKEN-42" not in line, "token logged: %s" % line)
    check(json.loads(line)["path"] == "/api/v1/health?a=1&access_token=REDACTED&b=2", "path: %s" % line)


def test_request_id_reaches_the_database_session():
    """The id is the transaction's application_name: PostgreSQL's own log line of a failed
    statement (log_line_prefix %a) names the request."""
    dblog = env("HD_DB_LOG")
    rid = "t-" + uuid.uuid4().hex[:20]
    r = request("GET", "/api/v1/tickets/2147483000", headers=dict(bearer(make_jwt(claims(sub=1))), **{"X-Request-Id": rid}))
    check_error(r, 404)
    line = wait_for_line(dblog, "helpdesk-http/" + rid)
    check("ERROR" in line, "not the error line: %s" % line)
    # between requests the connection is named helpdesk-http again
    names = psql("SELECT DISTINCT application_name FROM pg_stat_activity WHERE application_name LIKE 'helpdesk-http%' "
                 "AND state = 'idle'").splitlines()
    check(names and all(n in ("helpdesk-http", "helpdesk-http metrics") for n in names), "idle names: %r" % names)


# ---- readiness ----

def wait_for_watcher(tries=150):
    """The SLA watcher starts once the test database exists (it retries every 10 s before):
    wait for its first round, so the checks below see a running watcher whatever ran first."""
    for _ in range(tries):
        if psql("SELECT running AND last_round_at IS NOT NULL FROM helpdesk.sla_watcher_status()") == "t":
            return
        time.sleep(0.2)
    raise AssertionError("the SLA watcher made no round in 30 s")


def test_health_ready_200_then_503_naming_the_problem():
    wait_for_watcher()
    r = request("GET", "/api/v1/health/ready")
    j = check_success(r)
    d = j["data"]
    check(d["ready"] is True and d["problems"] == [], "not ready: %r" % d)
    check(d["database"] == {"connected": True, "readOnly": False}, "database %r" % d["database"])
    check(d["slaWatcher"]["enabled"] is True and d["slaWatcher"]["running"] is True, "watcher %r" % d["slaWatcher"])
    check(set(d["outbox"]) == {"pending", "oldestPendingAt", "deadLetters"}, "outbox %r" % d["outbox"])
    # more e-mails waiting than allowed: 503 naming it (message and details)
    pending = int(psql("SELECT count(*) FROM helpdesk.email_outbox WHERE status = 'pending' AND attempts > 0"))
    # (tried once by a sender: untried mail is what a desk with e-mail off keeps)
    psql("INSERT INTO helpdesk.email_outbox (recipient, subject, body_text, template, attempts) "
         "VALUES ('ready@example.com', 's', 'b', 'ready-test', 1)")
    psql("INSERT INTO helpdesk.settings (setting_key, setting_value) VALUES ('ready_outbox_max_pending', '%d')" % pending)
    try:
        r = request("GET", "/api/v1/health/ready")
        problem = "outbox backlog: %d messages waiting (more than %d)" % (pending + 1, pending)
        j = check_error(r, 503, "ServiceUnavailableException", "Not ready: " + problem)
        check(j.get("details") == [problem], "details %r" % j.get("details"))
        # /health stays the cheap liveness probe
        check_success(request("GET", "/api/v1/health"))
    finally:
        psql("DELETE FROM helpdesk.settings WHERE setting_key = 'ready_outbox_max_pending'")
        psql("DELETE FROM helpdesk.email_outbox WHERE template = 'ready-test'")
    check_success(request("GET", "/api/v1/health/ready"))


# ---- metrics ----

def scrape():
    base = env("HD_METRICS_URL")
    with urllib.request.urlopen(base + "/metrics", timeout=30) as r:
        check(r.status == 200, "status %r" % r.status)
        ctype = r.headers.get("Content-Type")
        check(ctype == "text/plain; version=0.0.4; charset=utf-8", "content type %r" % ctype)
        text = r.read().decode("utf-8")
    samples = {}
    types = {}
    for line in text.splitlines():
        if line.startswith("# TYPE "):
            _, _, name, kind = line.split(" ")
            check(name not in types, "family %s twice" % name)
            types[name] = kind
            continue
        if line.startswith("#") or not line:
            continue
        m = re.match(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})? (\S+)$', line)
        check(m, "not a sample line: %r" % line)
        labels = tuple(sorted(re.findall(r'(\w+)="((?:[^"\\]|\\.)*)"', m.group(2) or "")))
        samples[(m.group(1), labels)] = float(m.group(3))
    return samples, types


def value(samples, name, **labels):
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def test_metrics_counters_move():
    before, types = scrape()
    for _ in range(3):
        check(request("GET", "/api/v1/health").status == 200)
    request("GET", "/api/v1/no-such-route")
    tok = bearer(make_jwt(claims(sub=1)))
    check(request("GET", "/api/v1/tickets/2147483001", headers=tok).status == 404)
    after, _ = scrape()
    health = dict(method="GET", route="/api/v1/health")
    check(value(after, "helpdesk_http_requests_total", status="200", **health)
          - value(before, "helpdesk_http_requests_total", status="200", **health) == 3, "health 200 moved by 3")
    check(value(after, "helpdesk_http_requests_total", method="", route="(none)", status="404")
          - value(before, "helpdesk_http_requests_total", method="", route="(none)", status="404") == 1, "unrouted 404")
    tk = dict(method="GET", route="/api/v1/tickets/:ticketId")
    check(value(after, "helpdesk_http_requests_total", status="404", **tk)
          - value(before, "helpdesk_http_requests_total", status="404", **tk) == 1, "a route's 404")
    # the histogram: +Inf bucket = count, buckets cumulative, count moved by 3
    c0 = value(before, "helpdesk_http_request_duration_seconds_count", **health)
    c1 = value(after, "helpdesk_http_request_duration_seconds_count", **health)
    check(c1 - c0 == 3, "histogram count moved by %r" % (c1 - c0))
    check(value(after, "helpdesk_http_request_duration_seconds_bucket", le="+Inf", **health) == c1, "+Inf = count")
    les = sorted(((float(dict(k[1])["le"]), v) for k, v in after.items()
                  if k[0] == "helpdesk_http_request_duration_seconds_bucket" and ("route", "/api/v1/health") in k[1]
                  and dict(k[1])["le"] != "+Inf"))
    check(len(les) >= 10 and all(a[1] <= b[1] for a, b in zip(les, les[1:])), "buckets cumulative: %r" % les)
    check(value(after, "helpdesk_http_request_duration_seconds_sum", **health)
          >= value(before, "helpdesk_http_request_duration_seconds_sum", **health), "sum")
    check(types["helpdesk_http_requests_total"] == "counter"
          and types["helpdesk_http_request_duration_seconds"] == "histogram", "types %r" % types)


def test_metrics_pool_database_and_server_families():
    wait_for_watcher()
    samples, types = scrape()
    size = value(samples, "helpdesk_http_db_pool_size")
    check(size >= 1 and 1 <= value(samples, "helpdesk_http_db_pool_connections_up") <= size, "pool %r" % size)
    for gauge in ("helpdesk_http_db_pool_in_use", "helpdesk_http_db_pool_waiting", "helpdesk_http_db_requests_in_flight",
                  "helpdesk_http_sse_subscribers"):
        check(types.get(gauge) == "gauge" and value(samples, gauge) >= 0, gauge)
    for counter in ("helpdesk_http_rate_limited_total", "helpdesk_http_sse_subscriptions_total",
                    "helpdesk_sla_watcher_rounds_total", "helpdesk_sla_breaches_total", "helpdesk_sla_warnings_total",
                    "helpdesk_sla_escalations_total"):
        check(types.get(counter) == "counter", counter)
    check(value(samples, "helpdesk_db_up") == 1, "the database's part was read")
    check(value(samples, "helpdesk_sla_watcher_up") == 1, "watcher up")
    check(value(samples, "helpdesk_sla_watcher_last_round_timestamp_seconds") > 1.7e9, "watcher heartbeat")
    check(value(samples, "helpdesk_ready") == 1, "ready")
    pending = float(psql("SELECT count(*) FROM helpdesk.email_outbox WHERE status = 'pending'"))
    check(value(samples, "helpdesk_outbox_pending") == pending, "outbox pending %r" % pending)
    check(types.get("helpdesk_outbox_dead_letters") == "gauge", "dead letters")
    version = [dict(k[1]).get("version") for k in samples if k[0] == "helpdesk_http_info"]
    root = request("GET", "/api/v1/").json["data"]["version"]
    check(version == [root], "info version %r, API root %r" % (version, root))


def test_metrics_only_on_their_own_address():
    # the public port has no /metrics...
    check_error(request("GET", "/metrics"), 404)
    # ... and the metrics address serves nothing else
    base = env("HD_METRICS_URL")
    for path, status in (("/api/v1/health", 404), ("/", 404)):
        try:
            urllib.request.urlopen(base + path, timeout=10)
            raise AssertionError("%s answered 2xx on the metrics address" % path)
        except urllib.error.HTTPError as e:
            check(e.code == status, "%s: %d" % (path, e.code))
    req = urllib.request.Request(base + "/metrics", method="POST", data=b"x")
    try:
        urllib.request.urlopen(req, timeout=10)
        raise AssertionError("POST /metrics answered 2xx")
    except urllib.error.HTTPError as e:
        check(e.code == 405, "POST /metrics: %d" % e.code)
