"""Server core: envelopes, routing, limits, CORS, security headers, health across a database
restart, and JWT verification on GET /api/v1/auth/me."""
import os
import subprocess
import time

from hdlib import (CORS_ORIGIN, JWT_SECRET, Skip, bearer, check, check_error, check_success, claims, find_id_route,
                   find_json_route, make_jwt, raw_request, request)

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
    _sh("HD_DB_STOP_CMD")
    try:
        # requests fail (fast, with a short client timeout) instead of hanging while the database is down
        for _ in range(3):
            r = request("GET", "/api/v1/health", timeout=10)
            check_error(r, 503, "ServiceUnavailableException", "Database unavailable")
        check_error(request("GET", "/api/v1/auth/me", headers=bearer(make_jwt(claims())), timeout=10), 503,
                    "ServiceUnavailableException")
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
