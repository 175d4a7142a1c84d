"""The drift check of the OpenAPI document: the schema declarations (http/openapi/<module>.json,
merged into GET /api/docs-json by http/openapi.c) against what the server really answers.

- every route of the table has a response schema (its envelope's `data`) and, when it takes a
  body, a request schema; every declaration names a function of the table;
- every request of the role matrix (tests/http/test_rbac.py) that succeeds, for every caller
  allowed: the body sent matches the declared request schema and the answer's `data` the
  declared response schema (tests/http/schemacheck.py: strict, an undeclared key is drift too);
- the same for the views of a ticket that went through its whole life (assignee, resolution
  notes, rating, comments, an attachment, history) and the lists over everything the suite
  wrote before, so the branches that are null on a fresh object are checked too."""
import glob
import json
import os
import re
import uuid

import schemacheck
import test_rbac
from hdlib import bearer, check, psql, request

HERE = os.path.dirname(os.path.abspath(__file__))
API = "/api/v1"
SUCCESS_CALLERS = ("anonymous", "employee", "other", "staff", "admin")
CHECKED = set()  # (METHOD, template) of every answer checked against its schema, for the summary


def document():
    r = request("GET", "/api/docs-json")
    check(r.status == 200, "docs-json %r" % r)
    return r.json


def operation(doc, method, template):
    return doc["paths"][re.sub(r":(\w+)", r"{\1}", template)][method.lower()]


def success_response(op):
    code = min(c for c in op["responses"] if c.isdigit())
    return code, op["responses"][code]


def data_schema(op):
    """The declared schema of the envelope's data, or None (the bare envelope)."""
    code, resp = success_response(op)
    schema = resp.get("content", {}).get("application/json", {}).get("schema")
    if schema is None:
        return None
    for part in schema.get("allOf", []):
        if "data" in part.get("properties", {}):
            return part["properties"]["data"]
    return None


def request_schema(op):
    body = op.get("requestBody")
    if body is None:
        return None
    schema = body["content"].get("application/json", body["content"].get("multipart/form-data", {})).get("schema")
    return None if schema == {"type": "object"} else schema  # the generic {type: object}: nothing declared


def test_every_route_has_its_schemas():
    doc = document()
    missing = []
    for path, item in doc["paths"].items():
        for method, op in item.items():
            code, resp = success_response(op)
            content = resp.get("content", {})
            if "requestBody" in op and request_schema(op) is None:
                missing.append("%s %s: request body" % (method.upper(), path))
            if code != "204" and "application/json" in content and data_schema(op) is None:
                missing.append("%s %s: response data" % (method.upper(), path))
    check(not missing, "routes without a schema declaration (http/openapi/<module>.json, by function):\n      "
          + "\n      ".join(missing))


def test_error_answers_are_declared():
    """Every error status the role matrix expects of a route (who may not call it: 401, 403,
    404 for what the caller may not see, 409...) is one of the route's documented responses."""
    doc = document()
    missing = set()
    for x in test_rbac.MATRIX:
        op = operation(doc, x["method"], x["path"])
        for caller, status in x["expect"].items():
            if status >= 400 and str(status) not in op["responses"]:
                missing.add("%s %s: %d" % (x["method"], x["path"], status))
    check(not missing, "error answers not documented (\"errors\" of the function's declaration):\n      "
          + "\n      ".join(sorted(missing)))


def test_declarations_name_functions_of_the_table():
    table = open(os.path.join(HERE, "..", "..", "http", "routes.c"), encoding="utf-8").read()
    functions = set(re.findall(r'^\s*\{"[A-Z]+", "[^"]+", "(\w+)"', table, re.M))
    stray = []
    for path in sorted(glob.glob(os.path.join(HERE, "..", "..", "http", "openapi", "*.json"))):
        with open(path, encoding="utf-8") as f:
            decl = json.load(f)
        stray += ["%s: %s" % (os.path.basename(path), fn) for fn in decl.get("operations", {}) if fn not in functions]
    check(not stray, "declarations of functions no route calls: %r" % stray)


def add_unique(wrong, label, kind, errs):
    """Each mismatch once per route and caller: a list's items give the same one each."""
    for e in dict.fromkeys(re.sub(r"\[\d+\]", "[]", e) for e in errs):
        line = "%s: %s %s" % (label, kind, e)
        if line not in wrong:
            wrong.append(line)


def check_exchange(doc, wrong, method, template, body, resp, who):
    """The body sent and the data answered against the declarations of (method, template)."""
    op = operation(doc, method, template)
    label = "%s %s as %s" % (method, template, who)
    req_schema = request_schema(op)
    if req_schema is not None and isinstance(body, (dict, list)):
        add_unique(wrong, label, "request", schemacheck.errors(doc, req_schema, body, "body"))
    if resp.status == 204 or not resp.headers.get("content-type", "").startswith("application/json"):
        return 0
    schema = data_schema(op)
    if schema is None:
        wrong.append("%s: no response schema" % label)
        return 0
    add_unique(wrong, label, "response", schemacheck.errors(doc, schema, resp.json.get("data")))
    CHECKED.add((method, template))
    return 1


def test_role_matrix_answers_match_their_schemas():
    doc = document()
    ctx = test_rbac.Ctx()
    wrong, checked, routes = [], 0, set()
    try:
        for x in test_rbac.MATRIX:
            if x["stream"]:
                continue
            shared = None
            for caller in SUCCESS_CALLERS:
                if x["expect"][caller] >= 300:
                    continue
                if shared is None or x["fresh"]:
                    params = {k: f(ctx, caller) for k, f in x["params"].items()}
                    body = x["body"](ctx, caller) if callable(x["body"]) else x["body"]
                    shared = (params, body)
                params, body = shared
                path = x["path"]
                for k, v in params.items():
                    path = path.replace(":" + k, str(v))
                query = x["query"](ctx, caller) if callable(x["query"]) else x["query"]
                hdrs = ctx.headers[caller]
                send = body
                if isinstance(body, tuple):  # (bytes, Content-Type): a multipart upload
                    send, ctype = body
                    hdrs = dict(hdrs, **{"Content-Type": ctype})
                    body = None
                r = request(x["method"], path + query, send, hdrs)
                if r.status >= 300:
                    wrong.append("%s %s as %s: %d %r" % (x["method"], x["path"], caller, r.status, r.body[:160]))
                    continue
                n = check_exchange(doc, wrong, x["method"], x["path"], body, r, caller)
                checked += n
                if n:
                    routes.add((x["method"], x["path"]))
                if x["then"] is not None and r.body:
                    x["then"](ctx, r.json["data"])
    finally:
        ctx.finish()
    print("     %d answers of %d routes checked against their schemas" % (checked, len(routes)))
    check(not wrong, "%d mismatches:\n      %s" % (len(wrong), "\n      ".join(wrong[:80])))


def tokens_user(ctx, email):
    return int(psql("SELECT id FROM helpdesk.users WHERE email = '%s'" % email))


def test_full_lives_match_their_schemas():
    """A ticket through its whole life, its views, and the lists over all the suite wrote."""
    doc = document()
    ctx = test_rbac.Ctx()
    wrong = []
    calls = []

    def call(caller, method, template, params=None, body=None, query=""):
        path = template
        for k, v in (params or {}).items():
            path = path.replace(":" + k, str(v))
        r = request(method, API + path + query, body, ctx.headers[caller])
        check(r.status < 300, "%s %s as %s: %r" % (method, path, caller, r))
        if r.status == 204:
            return None
        calls.append(1)
        check_exchange(doc, wrong, method, API + template, body, r, caller)
        return r.json.get("data") if r.body else None

    try:
        tid = ctx.ticket("Closed")
        p = {"ticketId": tid}
        call("employee", "POST", "/tickets/:ticketId/rate", p, {"rating": 4, "comment": "Quick and kind"})
        call("staff", "POST", "/tickets/:ticketId/comments", p, {"content": "Internal note", "type": "internal"})
        call("employee", "POST", "/tickets/:ticketId/comments", p, {"content": "Thanks"})
        ctx.attachment()
        for caller in ("employee", "staff", "admin"):
            call(caller, "GET", "/tickets/:ticketId", p)
            call(caller, "GET", "/tickets/:ticketId/comments", p)
            call(caller, "GET", "/tickets/:ticketId/comments/stats", p)
            call(caller, "GET", "/ticket-history/ticket/:ticketId", p)
            call(caller, "GET", "/sla/tickets/:id/status", {"id": tid})
            call(caller, "GET", "/sla/tickets/:id/timeline", {"id": tid})
            call(caller, "GET", "/escalation/history/ticket/:ticketId", p)
            call(caller, "GET", "/tickets", query="?limit=1000")
            call(caller, "GET", "/tickets/my-tickets", query="?limit=1000")
            call(caller, "GET", "/comments/my-comments")
            call(caller, "GET", "/notifications", query="?limit=1000")
            call(caller, "GET", "/notifications/unread")
            call(caller, "GET", "/knowledge", query="?limit=1000")
            call(caller, "GET", "/chatbot/conversations")
            call(caller, "GET", "/reports/dashboard", query="?startDate=2000-01-01&endDate=2100-01-01")
            call(caller, "GET", "/reports/action-required")
        for template in ("/users", "/tickets/assigned-to-me", "/ticket-history", "/sla/at-risk", "/sla/breached",
                         "/escalation/history", "/escalation/rules", "/knowledge/stats", "/reports/tickets-by-status",
                         "/reports/tickets-by-category", "/reports/tickets-by-priority", "/reports/sla-compliance",
                         "/reports/trends"):
            call("admin", "GET", template, query="?limit=1000" if template in ("/users", "/tickets/assigned-to-me",
                                                                               "/ticket-history") else "")
        call("admin", "GET", "/reports/staff-performance", query="?startDate=2000-01-01&endDate=2100-01-01")
        call("admin", "GET", "/knowledge/search", query="?q=" + uuid.uuid4().hex[:6])  # an empty answer
        call("admin", "GET", "/knowledge/search", query="?q=wifi")
        call("employee", "POST", "/chatbot/chat", body={"message": "my printer does not print, please open a ticket"})

        # the identity routes (public ones: the role matrix only sends them empty bodies)
        name = "schemas-" + uuid.uuid4().hex[:8]
        email, password = name + "@example.com", "first-pass-123"
        ctx.headers["new"] = {}
        call("new", "POST", "/auth/register", body={"username": name, "fullName": "Schema Check", "email": email,
                                                   "password": password, "department": "QA"})
        tokens = call("new", "POST", "/auth/login", body={"email": email, "password": password})
        tokens = call("new", "POST", "/auth/refresh", body={"refreshToken": tokens["refreshToken"]})
        ctx.headers["new"] = bearer(tokens["accessToken"])
        call("new", "GET", "/auth/me")
        call("new", "PATCH", "/users/profile", body={"phone": "0123", "avatarUrl": "https://example.com/a.png"})
        tokens = call("new", "POST", "/users/change-password", body={"currentPassword": password, "newPassword": "second-pass-123"})
        ctx.headers["new"] = bearer(tokens["accessToken"])
        call("new", "POST", "/auth/logout", body={"refreshToken": tokens["refreshToken"]})
        call("new", "POST", "/auth/forgot-password", body={"email": email})
        otp = psql("SELECT substring(body_text FROM 'code is ([0-9]{6})') FROM helpdesk.email_outbox "
                   "WHERE recipient = '%s' AND template = 'password_reset_otp' ORDER BY id DESC LIMIT 1" % email)
        call("new", "POST", "/auth/verify-otp", body={"email": email, "otp": otp})
        call("new", "POST", "/auth/reset-password", body={"email": email, "otp": otp, "newPassword": "third-pass-123"})
        call("admin", "GET", "/users/:id", {"id": tokens_user(ctx, email)})
        made = call("admin", "POST", "/users", body={"fullName": "Schema Staff", "email": "staff-" + email, "role": "IT_Staff",
                                                      "password": "staff-pass-123", "department": "QA", "phone": "0999"})
        call("admin", "PATCH", "/users/:id", {"id": made["id"]}, body={"role": "Employee", "isActive": False})
    finally:
        ctx.finish()
    print("     %d answers checked" % len(calls))
    unchecked = sorted("%s %s" % (m.upper(), p) for p, item in doc["paths"].items() for m, op in item.items()
                       if data_schema(op) is not None and (m.upper(), re.sub(r"\{(\w+)\}", r":\1", p)) not in CHECKED)
    print("     routes whose answers no request here checked: %s" % (", ".join(unchecked) or "none"))
    check(not wrong, "%d mismatches:\n      %s" % (len(wrong), "\n      ".join(wrong[:80])))


def test_docs_page_shows_the_schemas():
    """GET /api/docs: every component has its table (an anchor the operations link to), and an
    operation's answer names its data."""
    doc = document()
    r = request("GET", "/api/docs")
    check(r.status == 200, "docs %r" % r)
    page = r.body.decode("utf-8")
    missing = [n for n in doc["components"]["schemas"] if 'id="schema-%s"' % n not in page]
    check(not missing, "schemas without their table on the page: %r" % missing)
    check('<a href="#schema-Ticket">Ticket</a>' in page, "operations link to the schemas")
    check(page.count("with <code>data</code>") >= 100, "answers show their data")
