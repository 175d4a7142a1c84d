"""Helpers for the helpdesk-http end-to-end tests (standard library only)."""
import base64
import hashlib
import hmac
import http.client
import json
import os
import time
import urllib.parse

BASE_URL = os.environ.get("HD_BASE_URL", "http://127.0.0.1:3000")
JWT_SECRET = os.environ.get("HD_JWT_SECRET", "")
CORS_ORIGIN = os.environ.get("HD_CORS_ORIGIN", "http://localhost:5173").split(",")[0].strip()


class Skip(Exception):
    """Raised by a test that cannot run in this environment."""


class Response:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers  # dict: lower-case name -> value (last one wins)
        self.header_list = []
        self.body = body
        self._json = None

    @property
    def json(self):
        if self._json is None:
            self._json = json.loads(self.body.decode("utf-8"))
        return self._json

    def __repr__(self):
        return "<%d %r>" % (self.status, self.body[:300])


def request(method, path, body=None, headers=None, timeout=30):
    """One request on a fresh connection. body: bytes, str or a JSON-able object."""
    u = urllib.parse.urlsplit(BASE_URL)
    conn = http.client.HTTPConnection(u.hostname, u.port or 80, timeout=timeout)
    hdrs = dict(headers or {})
    if body is not None and not isinstance(body, (bytes, str)):
        body = json.dumps(body)
        hdrs.setdefault("Content-Type", "application/json")
    if isinstance(body, str):
        body = body.encode("utf-8")
    try:
        conn.request(method, path, body=body, headers=hdrs)
        r = conn.getresponse()
        data = r.read()
        resp = Response(r.status, {k.lower(): v for k, v in r.getheaders()}, data)
        resp.header_list = [(k.lower(), v) for k, v in r.getheaders()]
        return resp
    finally:
        conn.close()


def b64url(data):
    if isinstance(data, str):
        data = data.encode()
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def make_jwt(payload, secret=None, alg="HS256", header=None, sign=True):
    """Build a JWT by hand. alg picks the HMAC (HS256/384/512); sign=False leaves the signature empty."""
    secret = JWT_SECRET if secret is None else secret
    hdr = header if header is not None else {"alg": alg, "typ": "JWT"}
    signing_input = b64url(json.dumps(hdr, separators=(",", ":"))) + "." + b64url(json.dumps(payload, separators=(",", ":")))
    if not sign:
        return signing_input + "."
    digest = {"HS256": hashlib.sha256, "HS384": hashlib.sha384, "HS512": hashlib.sha512}[alg]
    sig = hmac.new(secret.encode(), signing_input.encode(), digest).digest()
    return signing_input + "." + b64url(sig)


def claims(sub=1, exp_in=3600, **extra):
    now = int(time.time())
    c = {"sub": sub, "email": "admin@example.com", "role": "Admin", "iat": now, "exp": now + exp_in}
    c.update(extra)
    return c


def bearer(token):
    return {"Authorization": "Bearer " + token}


def check(cond, msg="check failed"):
    if not cond:
        raise AssertionError(msg)


def check_error(resp, status, error=None, message=None):
    """The error envelope of the reference (§1.3)."""
    check(resp.status == status, "expected %d, got %r" % (status, resp))
    check(resp.headers.get("content-type", "").startswith("application/json"), "content-type %r" % resp.headers.get("content-type"))
    check("content-length" in resp.headers, "no Content-Length")
    j = resp.json
    check(j.get("success") is False, "success is not false: %r" % j)
    check(j.get("statusCode") == status, "statusCode %r" % j.get("statusCode"))
    check(isinstance(j.get("message"), str) and j["message"], "message missing")
    check(isinstance(j.get("error"), str) and j["error"].endswith("Exception"), "error %r" % j.get("error"))
    check(isinstance(j.get("timestamp"), str) and j["timestamp"].endswith("Z"), "timestamp %r" % j.get("timestamp"))
    check(isinstance(j.get("path"), str), "path missing")
    if error is not None:
        check(j["error"] == error, "error %r != %r" % (j["error"], error))
    if message is not None:
        check(j["message"] == message, "message %r != %r" % (j["message"], message))
    return j


def check_success(resp, status=200, message="Data retrieved successfully"):
    check(resp.status == status, "expected %d, got %r" % (status, resp))
    check(resp.headers.get("content-type", "") == "application/json; charset=utf-8", "content-type")
    check("content-length" in resp.headers, "no Content-Length")
    j = resp.json
    check(j.get("success") is True, "success is not true: %r" % j)
    check(j.get("message") == message, "message %r" % j.get("message"))
    check(isinstance(j.get("timestamp"), str), "timestamp")
    return j


def find_json_route():
    """A route taking a JSON body, if one exists yet (later issues add them)."""
    for method, path in (("POST", "/api/v1/auth/login"), ("POST", "/api/v1/auth/register"), ("POST", "/api/v1/tickets")):
        r = request(method, path, body=b"{", headers={"Content-Type": "application/json"})
        if r.status not in (404, 405):
            return method, path
    raise Skip("no route with a JSON body exists yet")


def find_id_route():
    for path in ("/api/v1/tickets/%s", "/api/v1/users/%s", "/api/v1/categories/%s"):
        r = request("GET", path % "1")
        if r.status != 404 or r.json.get("error") != "NotFoundException" or not r.json.get("message", "").startswith("Cannot"):
            return path
    raise Skip("no route with an :id parameter exists yet")


def raw_request(head, body=b"", timeout=30):
    """Send raw bytes (the server may answer and close before the body is sent) and parse the answer."""
    import socket
    u = urllib.parse.urlsplit(BASE_URL)
    s = socket.create_connection((u.hostname, u.port or 80), timeout=timeout)
    try:
        s.sendall(head)
        try:
            for i in range(0, len(body), 65536):
                s.sendall(body[i:i + 65536])
        except OSError:
            pass  # answered early and closed: read what it said
        try:
            s.shutdown(socket.SHUT_WR)
        except OSError:
            pass
        data = b""
        while True:
            try:
                chunk = s.recv(65536)
            except ConnectionResetError:
                break
            if not chunk:
                break
            data += chunk
            hdr_end = data.find(b"\r\n\r\n")
            if hdr_end >= 0:
                lines = data[:hdr_end].decode("latin-1").split("\r\n")
                headers = {}
                for line in lines[1:]:
                    k, _, v = line.partition(":")
                    headers[k.strip().lower()] = v.strip()
                n = int(headers.get("content-length", "-1"))
                if n >= 0 and len(data) - hdr_end - 4 >= n:
                    break
    finally:
        s.close()
    hdr_end = data.find(b"\r\n\r\n")
    if hdr_end < 0:
        raise AssertionError("no HTTP response: %r" % data[:200])
    lines = data[:hdr_end].decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {}
    for line in lines[1:]:
        k, _, v = line.partition(":")
        headers[k.strip().lower()] = v.strip()
    return Response(status, headers, data[hdr_end + 4:])


def _parse_response(data):
    hdr_end = data.find(b"\r\n\r\n")
    if hdr_end < 0:
        raise AssertionError("no HTTP response: %r" % data[:200])
    lines = data[:hdr_end].decode("latin-1").split("\r\n")
    headers = {}
    for line in lines[1:]:
        k, _, v = line.partition(":")
        headers[k.strip().lower()] = v.strip()
    return Response(int(lines[0].split()[1]), headers, data[hdr_end + 4:])


def burst(reqs, timeout=30):
    """Send every request of reqs [(method, path, headers)] on its own connection before reading
    any answer, so that they are all in the server at once; returns the responses in order."""
    import socket
    u = urllib.parse.urlsplit(BASE_URL)
    socks = []
    try:
        for method, path, headers in reqs:
            s = socket.create_connection((u.hostname, u.port or 80), timeout=timeout)
            socks.append(s)
            head = "%s %s HTTP/1.1\r\nHost: test\r\nConnection: close\r\n" % (method, path)
            for k, v in (headers or {}).items():
                head += "%s: %s\r\n" % (k, v)
            s.sendall((head + "\r\n").encode("latin-1"))
        out = []
        for s in socks:
            data = b""
            while True:
                chunk = s.recv(65536)
                if not chunk:
                    break
                data += chunk
            out.append(_parse_response(data))
        return out
    finally:
        for s in socks:
            s.close()


def psql(query):
    """Run SQL as the superuser on the test database (HD_PSQL); returns stdout, unaligned,
    tuples only. Tests use it to set up states the API cannot reach (clocks, raw DBA writes)."""
    import shlex
    import subprocess
    cmd = os.environ.get("HD_PSQL")
    if not cmd:
        raise Skip("HD_PSQL is not set")
    out = subprocess.run(shlex.split(cmd) + ["-At", "-v", "ON_ERROR_STOP=1", "-c", query],
                         capture_output=True, text=True, timeout=120)
    if out.returncode != 0:
        raise AssertionError("psql failed: %s" % out.stderr.strip())
    return out.stdout.strip()


def psql_int(query):
    """The first integer line psql prints (e.g. INSERT ... RETURNING id)."""
    for line in psql(query).splitlines():
        if line.strip().isdigit():
            return int(line)
    raise AssertionError("no id returned by %r" % query)


class EventStream:
    """A Server-Sent Events client on a raw socket (GET path; the chunked body decoded as it
    arrives). status/headers as read; for a refusal, body holds the error envelope. next() is
    the next event {"event", "id", "data"} (comment lines skipped unless comments=True, then
    {"comment": text}), None when the server ended the stream; socket.timeout if nothing came."""

    def __init__(self, path, headers=None, timeout=10):
        import socket
        u = urllib.parse.urlsplit(BASE_URL)
        self.sock = socket.create_connection((u.hostname, u.port or 80), timeout=timeout)
        head = "GET %s HTTP/1.1\r\nHost: test\r\nAccept: text/event-stream\r\n" % path
        for k, v in (headers or {}).items():
            head += "%s: %s\r\n" % (k, v)
        self.sock.sendall((head + "\r\n").encode("latin-1"))
        self.raw = b""
        self.text = ""
        self.ended = False
        while b"\r\n\r\n" not in self.raw:
            if not self._recv():
                raise AssertionError("no HTTP response: %r" % self.raw[:200])
        hdr, _, self.raw = self.raw.partition(b"\r\n\r\n")
        lines = hdr.decode("latin-1").split("\r\n")
        self.status = int(lines[0].split()[1])
        self.headers = {}
        for line in lines[1:]:
            k, _, v = line.partition(":")
            self.headers[k.strip().lower()] = v.strip()
        self.chunked = "chunked" in self.headers.get("transfer-encoding", "")
        self.body = b""
        if self.status != 200:
            n = int(self.headers.get("content-length", "0"))
            while len(self.raw) < n and self._recv():
                pass
            self.body = self.raw[:n]
            self.close()

    def _recv(self):
        data = self.sock.recv(65536)
        if not data:
            self.ended = True
            return False
        self.raw += data
        return True

    def _decode(self):
        """Move complete chunks from raw to text."""
        if not self.chunked:
            self.text += self.raw.decode("utf-8")
            self.raw = b""
            return
        while True:
            i = self.raw.find(b"\r\n")
            if i < 0:
                return
            size = int(self.raw[:i].split(b";")[0], 16)
            if size == 0:
                self.ended = True
                self.raw = b""
                return
            if len(self.raw) < i + 2 + size + 2:
                return
            self.text += self.raw[i + 2:i + 2 + size].decode("utf-8")
            self.raw = self.raw[i + 2 + size + 2:]

    @property
    def json(self):
        return json.loads(self.body.decode("utf-8"))

    def next(self, comments=False):
        while True:
            self._decode()
            while "\n\n" in self.text:
                block, _, self.text = self.text.partition("\n\n")
                ev = {}
                for line in block.split("\n"):
                    if line.startswith(":"):
                        if comments:
                            return {"comment": line[1:].strip()}
                        continue
                    k, _, v = line.partition(":")
                    v = v[1:] if v.startswith(" ") else v
                    ev[k] = ev[k] + "\n" + v if k == "data" and "data" in ev else v
                if "event" in ev or "data" in ev:
                    return ev
            if self.ended or not self._recv():
                self._decode()
                if "\n\n" not in self.text:
                    return None

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass
