"""Server core: envelopes, routing, limits, CORS, security headers, health across a database
restart, and JWT verification on GET /api/v1/auth/me."""
import os
import subprocess
import time

from hdlib import (CORS_ORIGIN, JWT_SECRET, Response, Skip, bearer, burst, check, check_error, check_success, claims,
                   find_id_route, find_json_route, make_jwt, raw_request, request)

HELMET = {
    "content-security-policy": "default-src 'self'",
    "cross-origin-opener-policy": "same-origin",
    "cross-origin-resource-policy": "same-origin",
    "origin-agent-cluster": "?1",
    "referrer-policy": "no-referrer",
    "strict-transport-security": "max-age=",
    "x-content-type-options": "nosniff",
    "x-dns-prefetch-control": "off",
    "x-download-options": "noopen",
    "x-frame-options": "SAMEORIGIN",
    "x-permitted-cross-domain-policies": "none",
    "x-xss-protection": "0",
}


# ---- envelopes and routing ----

def test_root_success_envelope():
    r = request("GET", "/api/v1/?page=2&x=%C3%A9")
    j = check_success(r)
    check(set(j) == {"success", "message", "data", "timestamp", "path"}, "keys %r" % sorted(j))
    check(j["path"] == "/api/v1/?page=2&x=%C3%A9", "path %r" % j["path"])
    check(isinstance(j["data"], dict), "data %r" % j["data"])
    check(len(j["timestamp"]) == 24 and j["timestamp"][10] == "T", "timestamp %r" % j["timestamp"])
    check(int(r.headers["content-length"]) == len(r.body), "content-length")


def test_root_without_trailing_slash():
    check_success(request("GET", "/api/v1"))


def test_docs_public():
    check_success(request("GET", "/api/v1/docs"))


def test_404_unknown_route():
    r = request("GET", "/api/v1/xyz")
    j = check_error(r, 404, "NotFoundException", "Cannot GET /api/v1/xyz")
    check(j["path"] == "/api/v1/xyz")


def test_404_outside_api():
    check_error(request("DELETE", "/nothing/here"), 404, "NotFoundException", "Cannot DELETE /nothing/here")


def test_405_wrong_method_with_allow():
    r = request("POST", "/api/v1/health", body={})
    check_error(r, 405, "MethodNotAllowedException")
    allow = r.headers.get("allow", "")
    check("GET" in allow and "POST" not in allow, "Allow %r" % allow)


def test_no_server_or_powered_by_header():
    r = request("GET", "/api/v1/docs")
    check("x-powered-by" not in r.headers, "X-Powered-By present")
    check("server" not in r.headers, "Server: %r" % r.headers.get("server"))


# ---- limits before the database ----

def test_413_oversized_body():
    body = b"{" + b" " * (2 * 1024 * 1024) + b"}"
    head = ("POST /api/v1/ HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\n"
            "Content-Length: %d\r\n\r\n" % len(body)).encode()
    check_error(raw_request(head, body), 413, "PayloadTooLargeException")
    # chunked, no length announced
    chunk = b" " * 65536
    chunked = b"".join(b"%x\r\n%s\r\n" % (len(chunk), chunk) for _ in range(40)) + b"0\r\n\r\n"
    head = b"POST /api/v1/ HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
    check_error(raw_request(head, chunked), 413, "PayloadTooLargeException")


def test_400_malformed_json():
    method, path = find_json_route()
    r = request(method, path, body=b'{"email": "a@b.c", ', headers={"Content-Type": "application/json"})
    check_error(r, 400, "BadRequestException", "Invalid JSON body")


def test_400_duplicate_keys():
    method, path = find_json_route()
    r = request(method, path, body=b'{"email": "a@b.c", "email": "d@e.f"}', headers={"Content-Type": "application/json"})
    j = check_error(r, 400, "BadRequestException")
    check("duplicate" in j["message"].lower(), "message %r" % j["message"])


def test_400_json_too_deep():
    method, path = find_json_route()
    r = request(method, path, body=b"[" * 65 + b"]" * 65, headers={"Content-Type": "application/json"})
    check_error(r, 400, "BadRequestException")


def test_400_bad_numeric_id():
    path = find_id_route()
    check_error(request("GET", path % "abc", headers=bearer(make_jwt(claims()))), 400, "BadRequestException",
                "Validation failed (numeric string is expected)")


def test_400_bad_query_encoding():
    check_error(request("GET", "/api/v1/?q=%ff"), 400, "BadRequestException")
    check_error(request("GET", "/api/v1/?q=%zz"), 400, "BadRequestException")


# ---- CORS and security headers ----

def test_cors_preflight_allowed():
    r = request("OPTIONS", "/api/v1/auth/me", headers={
        "Origin": CORS_ORIGIN, "Access-Control-Request-Method": "GET",
        "Access-Control-Request-Headers": "authorization"})
    check(r.status == 204, "status %r" % r)
    check(r.headers.get("access-control-allow-origin") in (CORS_ORIGIN, "*"), "ACAO %r" % r.headers)
    methods = r.headers.get("access-control-allow-methods", "")
    for m in ("GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"):
        check(m in methods, "methods %r" % methods)
    check("Authorization" in r.headers.get("access-control-allow-headers", ""), "allow-headers")
    check("access-control-max-age" in r.headers, "max-age")
    check("Origin" in r.headers.get("vary", ""), "vary")


def test_cors_preflight_denied():
    r = request("OPTIONS", "/api/v1/auth/me", headers={"Origin": "http://evil.example", "Access-Control-Request-Method": "GET"})
    check_error(r, 403, "ForbiddenException")
    check("access-control-allow-origin" not in r.headers, "ACAO sent to a refused origin")


def test_cors_simple_request():
    r = request("GET", "/api/v1/docs", headers={"Origin": CORS_ORIGIN})
    check_success(r)
    check(r.headers.get("access-control-allow-origin") in (CORS_ORIGIN, "*"), "ACAO %r" % r.headers)
    r = request("GET", "/api/v1/docs", headers={"Origin": "http://evil.example"})
    check("access-control-allow-origin" not in r.headers, "ACAO sent to a refused origin")


def test_security_headers_everywhere():
    for r in (request("GET", "/api/v1/docs"), request("GET", "/api/v1/nope"), request("GET", "/api/v1/auth/me")):
        for name, value in HELMET.items():
            check(name in r.headers, "%s missing on %d" % (name, r.status))
            check(r.headers[name].startswith(value), "%s: %r" % (name, r.headers[name]))


# ---- health across a database restart ----

def _sh(var):
    cmd = os.environ.get(var)
    if not cmd:
        raise Skip("%s not set" % var)
    subprocess.run(cmd, shell=True, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def test_health_survives_database_restart():
    if not os.environ.get("HD_DB_STOP_CMD") or not os.environ.get("HD_DB_START_CMD"):
        raise Skip("HD_DB_STOP_CMD / HD_DB_START_CMD not set")
    j = check_success(request("GET", "/api/v1/health"))
    check(j["data"].get("status") == "ok" and j["data"].get("database") == "connected", "data %r" % j["data"])
    # load running through the stop and the restart: connections break with several requests in
    # flight, and every request still gets its own answer or a 503, never a hang or another's
    load = _Load(8)
    time.sleep(0.3)
    _sh("HD_DB_STOP_CMD")
    try:
        # requests fail (fast, with a short client timeout) instead of hanging while the database is down
        for _ in range(3):
            r = request("GET", "/api/v1/health", timeout=10)
            check_error(r, 503, "ServiceUnavailableException", "Database unavailable")
        check_error(request("GET", "/api/v1/auth/me", headers=bearer(make_jwt(claims())), timeout=10), 503,
                    "ServiceUnavailableException")
        # the OpenAPI document is the server's own route table: no database needed
        check(request("GET", "/api/docs-json", timeout=10).status == 200, "docs-json needs the database")
    finally:
        _sh("HD_DB_START_CMD")
    # bounded wait: the server reconnects by itself. Each event-loop thread has its own pool, so
    # wait for several consecutive successes (new connections land on any thread).
    last, ok = None, 0
    for _ in range(200):
        last = request("GET", "/api/v1/health", timeout=10)
        ok = ok + 1 if last.status == 200 else 0
        if ok >= 8:
            break
        time.sleep(0.1)
    check_success(last)
    check(ok >= 8, "health did not stay up after the restart: %r" % last)
    check_success(_me(make_jwt(claims())))
    answered, unavailable, errors = load.stop()
    check(not errors, "%d wrong answers under the restart, first: %s" % (len(errors), errors[:3]))
    check(unavailable > 0 and answered > unavailable, "load: %d answers, %d 503" % (answered, unavailable))
    # new connections: auth_me is prepared lazily, inside pipelines where other requests are in
    # flight and rely on a Parse another request sent
    _burst_mixed(64)


# ---- JWT on GET /api/v1/auth/me ----

def _me(token=None, raw_header=None):
    headers = {}
    if raw_header is not None:
        headers["Authorization"] = raw_header
    elif token is not None:
        headers = bearer(token)
    return request("GET", "/api/v1/auth/me", headers=headers)


def _unauthorized(resp):
    check_error(resp, 401, "UnauthorizedException", "Invalid or expired token")


def test_jwt_valid():
    j = check_success(_me(make_jwt(claims())))
    check(j["data"].get("id") == 1, "data %r" % j["data"])


def test_jwt_missing():
    _unauthorized(_me())


def test_jwt_expired():
    _unauthorized(_me(make_jwt(claims(exp_in=-10))))


def test_jwt_wrong_signature():
    _unauthorized(_me(make_jwt(claims(), secret=JWT_SECRET + "x")))


def test_jwt_alg_none():
    _unauthorized(_me(make_jwt(claims(), header={"alg": "none", "typ": "JWT"}, sign=False)))


def test_jwt_alg_NONE():
    _unauthorized(_me(make_jwt(claims(), header={"alg": "NONE", "typ": "JWT"}, sign=False)))


def test_jwt_alg_none_with_signature():
    tok = make_jwt(claims())
    head = make_jwt(claims(), header={"alg": "none"}, sign=False).split(".")[0]
    _unauthorized(_me(head + "." + tok.split(".", 1)[1]))


def test_jwt_hs512_same_secret():
    _unauthorized(_me(make_jwt(claims(), alg="HS512")))


def test_jwt_hs384_same_secret():
    _unauthorized(_me(make_jwt(claims(), alg="HS384")))


def test_jwt_truncated():
    tok = make_jwt(claims())
    _unauthorized(_me(tok[:-5]))
    _unauthorized(_me(tok.rsplit(".", 1)[0]))


def test_jwt_oversized():
    _unauthorized(_me(make_jwt(claims(pad="x" * 10240))))


def test_jwt_garbage():
    _unauthorized(_me("not-a-token"))
    _unauthorized(_me("a.b.c"))
    _unauthorized(_me("....."))


def test_jwt_missing_exp():
    c = claims()
    del c["exp"]
    _unauthorized(_me(make_jwt(c)))


def test_jwt_string_exp():
    c = claims()
    c["exp"] = str(c["exp"])
    _unauthorized(_me(make_jwt(c)))


def test_jwt_bad_sub():
    _unauthorized(_me(make_jwt(claims(sub=0))))
    _unauthorized(_me(make_jwt(claims(sub="1"))))


def test_jwt_missing_bearer_prefix():
    _unauthorized(_me(raw_header=make_jwt(claims())))
    _unauthorized(_me(raw_header="Basic " + make_jwt(claims())))


def test_jwt_unknown_user():
    # a valid token for a user the database does not know: the database refuses it
    check_error(_me(make_jwt(claims(sub=2147483000))), 401, "UnauthorizedException")


# ---- several requests in flight per database connection (DB_PIPELINE_DEPTH) ----
# Each request is its own sync segment in the connection's pipeline: its own implicit
# transaction, its own settings (actor, iat, ...), answered in order. An error in one segment
# (raised by the function, or by the request's settings in its FROM clause)
# must not reach the requests before or after it on the same connection.

def _mixed_case(i):
    """(method, path, headers, check) for the i-th request of a mix of successes and failures."""
    kind = i % 7
    if kind in (0, 1, 2):
        sub = kind + 1
        email = ("admin@28h.com", "itstaff@28h.com", "employee@28h.com")[kind]

        def ok(r, sub=sub, email=email):
            d = check_success(r)["data"]
            check(d.get("id") == sub and d.get("email") == email, "user %d got %r" % (sub, d))
        return "GET", "/api/v1/auth/me", bearer(make_jwt(claims(sub=sub))), ok
    if kind in (3, 4):
        # the function raises HD401: the user does not exist
        sub = 2000000000 + i
        return "GET", "/api/v1/auth/me", bearer(make_jwt(claims(sub=sub))), lambda r: check_error(
            r, 401, "UnauthorizedException", "Invalid token or user not found")
    if kind == 5:
        # the request's settings fail (helpdesk.token_iat refuses 13 digits): the statement
        # fails before the function runs, and the request is answered with that error
        return "GET", "/api/v1/auth/me", bearer(make_jwt(claims(sub=1, iat=10 ** 12))), lambda r: check_error(
            r, 400, "BadRequestException", "Invalid input")

    def health(r):
        d = check_success(r)["data"]
        check(d.get("status") == "ok", "health %r" % d)
    return "GET", "/api/v1/health", {}, health


def _burst_mixed(n, offset=0):
    cases = [_mixed_case(offset + i) for i in range(n)]
    resps = burst([(m, p, h) for m, p, h, _ in cases])
    for (m, p, h, chk), r in zip(cases, resps):
        chk(r)


class _Load:
    """Threads sending the mixed requests on keep-alive connections until stop(); each answer
    must be the request's own or 503 Service Unavailable."""

    def __init__(self, n):
        import threading
        self.lock = threading.Lock()
        self.stopping = False
        self.answered = self.unavailable = 0
        self.errors = []
        self.threads = [threading.Thread(target=self._run, args=(t,)) for t in range(n)]
        for th in self.threads:
            th.start()

    def _run(self, t):
        import http.client
        import urllib.parse
        u = urllib.parse.urlsplit(os.environ.get("HD_BASE_URL", "http://127.0.0.1:3000"))
        conn = None
        i = 0
        while not self.stopping:
            method, path, headers, chk = _mixed_case(t * 100000 + i)
            i += 1
            try:
                if conn is None:
                    conn = http.client.HTTPConnection(u.hostname, u.port or 80, timeout=20)
                conn.request(method, path, headers=headers)
                r = conn.getresponse()
                resp = Response(r.status, {k.lower(): v for k, v in r.getheaders()}, r.read())
                if resp.status == 503:
                    check_error(resp, 503, "ServiceUnavailableException")
                    with self.lock:
                        self.unavailable += 1
                    time.sleep(0.01)
                else:
                    chk(resp)
                with self.lock:
                    self.answered += 1
            except Exception as e:
                with self.lock:
                    self.errors.append("%s %s: %s: %s" % (method, path, type(e).__name__, e))
                if conn is not None:
                    conn.close()
                conn = None
        if conn is not None:
            conn.close()

    def stop(self):
        self.stopping = True
        for th in self.threads:
            th.join()
        return self.answered, self.unavailable, self.errors


def test_pipeline_burst_mixed():
    # 64 requests at once: more than the connections of the pool, so they share connections
    for rnd in range(5):
        _burst_mixed(64, offset=rnd)


def test_pipeline_threads_mixed():
    import http.client
    import threading
    import urllib.parse
    u = urllib.parse.urlsplit(os.environ.get("HD_BASE_URL", "http://127.0.0.1:3000"))
    errors = []
    counts = [0]
    lock = threading.Lock()

    def worker(t):
        conn = http.client.HTTPConnection(u.hostname, u.port or 80, timeout=30)
        try:
            for i in range(40):
                method, path, headers, chk = _mixed_case(t * 40 + i)
                conn.request(method, path, headers=headers)
                r = conn.getresponse()
                resp = Response(r.status, {k.lower(): v for k, v in r.getheaders()}, r.read())
                chk(resp)
                with lock:
                    counts[0] += 1
        except Exception as e:  # reported by the main thread
            with lock:
                errors.append("thread %d: %s: %s" % (t, type(e).__name__, e))
        finally:
            conn.close()

    threads = [threading.Thread(target=worker, args=(t,)) for t in range(32)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    check(not errors, "%d failures, first: %s" % (len(errors), errors[:3]))
    check(counts[0] == 32 * 40, "only %d answers" % counts[0])


def test_pipeline_large_requests():
    # request documents of ~400 kB: several in flight on one connection exceed the socket
    # buffer, so the connection's writes complete over several writable events
    pad = "x" * 400000
    cases = [_mixed_case(i) for i in range(32)]
    resps = burst([(m, p + ("&" if "?" in p else "?") + "pad%d=%s" % (i, pad), h) for i, (m, p, h, _) in enumerate(cases)])
    for (m, p, h, chk), r in zip(cases, resps):
        chk(r)


# ---- GET /api/docs-json: OpenAPI 3.0 from the route table ----

def _route_table():
    """The rows of http/routes.c: (method, path, function, status, token, body kind)."""
    import re
    src = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "http", "routes.c")
    with open(src) as f:
        text = re.sub(r"/\*.*?\*/|//[^\n]*", "", f.read(), flags=re.S)  # rows commented out are not routes
    rows = re.findall(r'\{\s*"([A-Z]+)",\s*"([^"]+)",\s*"([^"]+)",\s*(\d+),\s*(PUBLIC|TOKEN|OPTIONAL),\s*(HD_BODY_\w+)', text)
    check(len(rows) >= 4, "cannot read the route table: %d rows" % len(rows))
    return rows


def test_docs_json_openapi():
    import re
    r = request("GET", "/api/docs-json", headers={"Origin": CORS_ORIGIN})
    check(r.status == 200, "status %r" % r)
    check(r.headers.get("content-type", "").startswith("application/json"), "content-type")
    check(r.headers.get("access-control-allow-origin") in (CORS_ORIGIN, "*"), "CORS headers")
    check(r.headers.get("x-content-type-options") == "nosniff", "security headers")
    doc = r.json  # valid JSON
    check(isinstance(doc.get("openapi"), str) and re.match(r"^3\.0\.\d+$", doc["openapi"]), "openapi %r" % doc.get("openapi"))
    check(isinstance(doc.get("info"), dict) and doc["info"].get("title") and doc["info"].get("version"), "info")
    check(doc["components"]["securitySchemes"]["JWT-auth"]["scheme"] == "bearer", "bearer scheme")
    paths = doc["paths"]
    rows = _route_table()
    n_ops = sum(len(ops) for ops in paths.values())
    check(n_ops == len(rows), "%d operations for %d routes" % (n_ops, len(rows)))
    ids = [op["operationId"] for ops in paths.values() for op in ops.values()]
    check(len(set(ids)) == len(ids), "operationIds are not unique")
    for method, path, function, status, auth, body in rows:
        names = re.findall(r"/:([^/]+)", path)
        oa_path = re.sub(r"/:([^/]+)", r"/{\1}", path)
        check(oa_path in paths, "%s missing" % oa_path)
        op = paths[oa_path].get(method.lower())
        check(op is not None, "%s %s missing" % (method, oa_path))
        check(op["operationId"].startswith(function), "operationId %r for %s" % (op["operationId"], function))
        check(isinstance(op.get("summary"), str) and op["summary"], "summary of %s" % function)
        expected = int(status) or (201 if method == "POST" else 200)
        check(str(expected) in op["responses"], "%s %s: no %d response" % (method, path, expected))
        if auth == "TOKEN":
            check(op.get("security") == [{"JWT-auth": []}], "security of %s" % function)
        elif auth == "OPTIONAL":
            check(op.get("security") == [{}, {"JWT-auth": []}], "optional security of %s" % function)
        else:
            check("security" not in op, "%s is public" % function)
        params = {p["name"]: p for p in op.get("parameters", []) if p["in"] == "path"}
        check(sorted(params) == sorted(names), "parameters of %s: %r" % (path, sorted(params)))
        for name in names:
            typ = params[name]["schema"]["type"]
            want = "integer" if name == "id" or name.endswith("Id") else "string"
            check(typ == want and params[name]["required"] is True, "%s: %s is %s" % (path, name, typ))
        check(("requestBody" in op) == (body != "HD_BODY_NONE"), "requestBody of %s" % function)
        if body == "HD_BODY_JSON":
            check("application/json" in op["requestBody"]["content"], "JSON body of %s" % function)


def test_docs_json_only_get():
    r = request("POST", "/api/docs-json", body={})
    check_error(r, 404, "NotFoundException", "Cannot POST /api/docs-json")
