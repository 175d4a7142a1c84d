"""SQL injection probes through every string parameter: each query parameter of every GET route
(found in the route functions' source, so a new parameter is probed without a line here), the
string path parameters, and the text fields of the main writes. The answer is a 400 or a
correct result, never a 5xx; text is stored and searched as the literal it is; the database is
the same afterwards.

"Correct" is checked where the answer can be known: a search for a payload finds exactly the
rows that contain it (rows planted with the payload in them are found, nothing else is), an
exact filter finds the planted row, a sort field that is not a field is a 400."""
import json
import os
import re
import urllib.parse
import uuid

from hdlib import bearer, check, claims, make_jwt, psql, request

API = "/api/v1"
ADMIN = bearer(make_jwt(claims(sub=1)))
ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")

PAYLOADS = [
    "' OR '1'='1",
    "' OR 1=1 --",
    "'; DROP TABLE helpdesk.tickets; --",
    "\"; DROP TABLE helpdesk.users; --",
    "1; SELECT pg_sleep(5)",
    "' || pg_sleep(5) || '",
    "createdAt; DELETE FROM helpdesk.tickets",
    "id DESC, (SELECT 1/0)",
    "title) UNION SELECT usename FROM pg_user --",
    "%' AND 1=0 UNION SELECT NULL --",
    "\\'; SELECT 1; --",
    "$1",
    "$$; SELECT 1; $$",
    "%",
    "_",
    "\\",
    "E'\\x27'",
    "' AND extractvalue(1, concat(0x7e, version())) --",
    "Ünïcödé' --",
]


def route_table():
    """(method, path, function) of http/routes.c."""
    with open(os.path.join(ROOT, "http", "routes.c")) as f:
        text = re.sub(r"/\*.*?\*/|//[^\n]*", "", f.read(), flags=re.S)
    return re.findall(r'\{\s*"([A-Z]+)",\s*"([^"]+)",\s*"([^"]+)",', text)


def query_parameters():
    """{function: {parameter: kind}} read from the route functions in sql/*_api.sql. A parameter
    is read by a keyed reader, a function helpdesk.NAME(req jsonb, key text [DEFAULT 'k'], ...)
    such as helpdesk.query_int (a call with 'p' reads p, a call without a key reads k), by
    req -> 'query' ->> 'p', or by the paging and sorting helpers."""
    sources = []
    for name in sorted(os.listdir(os.path.join(ROOT, "sql"))):
        if name.endswith(".sql"):
            with open(os.path.join(ROOT, "sql", name)) as f:
                sources.append((name, f.read()))
    readers = {}
    for _, text in sources:
        for m in re.finditer(r"CREATE FUNCTION helpdesk\.(\w+)\(req jsonb, key text(?: DEFAULT '(\w+)')?", text):
            kind = m.group(1)[len("query_"):] if m.group(1).startswith("query_") else "text"
            readers[m.group(1)] = (kind, m.group(2))

    def read_params(body, params, helpers):
        for reader, _, in_key in re.findall(r"helpdesk\.(\w+)\(req(, '(\w+)')?", body):
            if reader in readers:
                kind, default = readers[reader]
                key = in_key or default
                if key:
                    params[key] = kind
            elif reader in helpers:
                # a helper that reads several parameters for more than one route
                # (helpdesk.ticket_filter_query: the list's filters)
                params.update(helpers[reader])
        for p in re.findall(r"req -> 'query' ->> '(\w+)'", body):
            params.setdefault(p, "raw")

    helpers = {}
    for name, text in sources:
        for m in re.finditer(r"CREATE FUNCTION helpdesk\.(\w+)\(req jsonb\)(.*?)\n\$\$;", text, re.S):
            if m.group(1) not in readers:
                read_params(m.group(2), helpers.setdefault(m.group(1), {}), {})
    out = {}
    for name, text in sources:
        if not name.endswith("_api.sql"):
            continue
        for m in re.finditer(r"CREATE FUNCTION helpdesk_api\.(\w+)\(req jsonb\)(.*?)\n\$\$;", text, re.S):
            params = out.setdefault(m.group(1), {})
            body = m.group(2)
            read_params(body, params, helpers)
            if "query_page(req)" in body:
                params["page"] = "int"
            if "query_limit(req)" in body:
                params["limit"] = "int"
            if "query_sort_order(req)" in body:
                params["sortOrder"] = "sort order"
    return out


def q(s):
    return urllib.parse.quote(s, safe="")


def plant(tag):
    """Rows that hold each payload: a ticket (title and description), a user (full name and
    department); returns {payload: (ticket id, user id)}."""
    planted = {}
    for i, p in enumerate(PAYLOADS):
        body = {"title": "probe %s %s" % (tag, p), "description": "probe text %s" % p, "categoryId": 1}
        r = request("POST", API + "/tickets", body, ADMIN)
        check(r.status == 201, "ticket with %r: %r" % (p, r))
        t = r.json["data"]
        check(t["title"] == body["title"] and t["description"] == body["description"], "stored as sent: %r" % t)
        email = "probe-%s-%d@example.com" % (tag, i)
        r = request("POST", API + "/users", {"fullName": ("probe %s" % p)[:100], "email": email, "password": "probe-pass-1",
                                             "department": p[:50]}, ADMIN)
        check(r.status == 201, "user with %r: %r" % (p, r))
        planted[p] = (t["id"], r.json["data"]["id"])
    return planted


def test_every_query_parameter_takes_every_payload():
    params = query_parameters()
    probed, answers = [], {}
    before = psql("SELECT (SELECT count(*) FROM helpdesk.tickets) || ' ' || (SELECT count(*) FROM helpdesk.users)")
    for method, path, function in route_table():
        if method != "GET" or not params.get(function):
            continue
        # ids in the path: 1 (the answer may then be a 404, before or after the query is read)
        target = re.sub(r":(\w*[iI]d)\b", "1", path)
        target = re.sub(r":(\w+)", "x", target)
        for p, kind in sorted(params[function].items()):
            probed.append("%s %s?%s" % (method, path, p))
            for payload in PAYLOADS:
                r = request("GET", "%s?%s=%s" % (target, p, q(payload)), headers=ADMIN)
                answers[r.status] = answers.get(r.status, 0) + 1
                check(r.status in (200, 400, 404), "%s %s?%s=%r: %r" % (method, path, p, payload, r))
                if kind in ("int", "bool", "enum", "timestamptz", "sort order") or p == "sortBy":
                    check(r.status in (400, 404), "%s %s?%s=%r accepted: %r" % (method, path, p, payload, r))
    print("     probed %d query parameters x %d payloads: %r" % (len(probed), len(PAYLOADS), answers))
    for expected in ("GET /api/v1/tickets?search", "GET /api/v1/tickets?sortBy", "GET /api/v1/users?search",
                     "GET /api/v1/users?department", "GET /api/v1/users?sortBy", "GET /api/v1/tickets?status",
                     "GET /api/v1/knowledge/search?q", "GET /api/v1/knowledge?search"):
        check(expected in probed, "%s was not found in the SQL source" % expected)
    after = psql("SELECT (SELECT count(*) FROM helpdesk.tickets) || ' ' || (SELECT count(*) FROM helpdesk.users)")
    check(before == after, "rows changed: %s -> %s" % (before, after))


def test_search_and_filters_find_the_literal():
    tag = uuid.uuid4().hex[:8]
    planted = plant(tag)
    try:
        for p, (tid, uid) in planted.items():
            # tickets: every row found holds the payload (case-insensitively), the planted one among them
            r = request("GET", "%s/tickets?limit=1000&search=%s" % (API, q(p)), headers=ADMIN)
            check(r.status == 200, "search %r: %r" % (p, r))
            found = r.json["data"]["tickets"]
            check(any(t["id"] == tid for t in found), "search %r does not find its ticket" % p)
            for t in found:
                hay = (t["title"] + "\x00" + t["description"] + "\x00" + t["ticketNumber"]).lower()
                check(p.lower() in hay, "search %r found %r" % (p, t["title"]))
            check(r.json["data"]["total"] == len(found), "total %r for %d rows" % (r.json["data"]["total"], len(found)))
            # users: search and the exact department filter, in the query and in the path
            r = request("GET", "%s/users?limit=1000&search=%s" % (API, q(p)), headers=ADMIN)
            check(r.status == 200, "user search %r: %r" % (p, r))
            found = r.json["data"]["users"]
            check(any(u["id"] == uid for u in found), "user search %r does not find its user" % p)
            for u in found:
                check(any(p.lower() in (u.get(k) or "").lower() for k in ("username", "email", "fullName")),
                      "user search %r found %r" % (p, u["fullName"]))
            dep = p[:50]
            r = request("GET", "%s/users?limit=1000&department=%s" % (API, q(dep)), headers=ADMIN)
            check(r.status == 200 and [u["id"] for u in r.json["data"]["users"]] == [uid],
                  "department %r: %r" % (dep, r))
            r = request("GET", "%s/users/department/%s" % (API, q(dep)), headers=ADMIN)
            check(r.status == 200 and uid in [u["id"] for u in r.json["data"]], "department path %r: %r" % (dep, r))
        # an employee's search stays within their own tickets, whatever it says
        employee = bearer(make_jwt(claims(sub=3)))
        for p in PAYLOADS:
            r = request("GET", "%s/tickets?limit=1000&search=%s" % (API, q(p)), headers=employee)
            check(r.status == 200 and all(t["submitterId"] == 3 for t in r.json["data"]["tickets"]),
                  "employee search %r: %r" % (p, r))
    finally:
        psql("DELETE FROM helpdesk.tickets WHERE title LIKE 'probe %s %%'" % tag)
        psql("DELETE FROM helpdesk.users WHERE email LIKE 'probe-%s-%%'" % tag)


def test_text_fields_are_stored_as_sent():
    tag = uuid.uuid4().hex[:8]
    r = request("POST", API + "/tickets", {"title": "probe %s comments" % tag, "description": "a ticket for comments",
                                           "categoryId": 1}, ADMIN)
    check(r.status == 201, "ticket: %r" % r)
    tid = r.json["data"]["id"]
    cats = []
    try:
        for p in PAYLOADS:
            r = request("POST", "%s/tickets/%d/comments" % (API, tid), {"content": p}, ADMIN)
            check(r.status == 201 and r.json["data"]["content"] == p, "comment %r: %r" % (p, r))
            cid = r.json["data"]["id"]
            r = request("GET", "%s/comments/%d" % (API, cid), headers=ADMIN)
            check(r.status == 200 and r.json["data"]["content"] == p, "comment read back %r: %r" % (p, r))
            name = ("probe %s %s" % (tag, p))[:100]
            r = request("POST", API + "/categories", {"name": name, "description": p}, ADMIN)
            check(r.status == 201 and r.json["data"]["name"] == name and r.json["data"]["description"] == p,
                  "category %r: %r" % (p, r))
            cats.append(r.json["data"]["id"])
            # the same name again: a conflict, not an error of the statement
            r = request("POST", API + "/categories", {"name": name}, ADMIN)
            check(r.status == 409, "category again %r: %r" % (p, r))
            r = request("PATCH", "%s/tickets/%d" % (API, tid), {"description": "probe text %s" % p}, ADMIN)
            check(r.status == 200 and r.json["data"]["description"] == "probe text %s" % p, "ticket patch %r: %r" % (p, r))
        stored = psql("SELECT count(*) FROM helpdesk.comments WHERE ticket_id = %d AND content = ANY (ARRAY[%s])"
                      % (tid, ", ".join("convert_from(decode('%s', 'hex'), 'UTF8')" % p.encode().hex() for p in PAYLOADS)))
        check(stored == str(len(PAYLOADS)), "comments stored: %s of %d" % (stored, len(PAYLOADS)))
        check(json.loads(psql("SELECT to_jsonb(array_agg(relname ORDER BY relname)) FROM pg_class c "
                              "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE nspname = 'helpdesk' "
                              "AND relname IN ('tickets', 'users', 'comments')")) == ["comments", "tickets", "users"],
              "a table is gone")
    finally:
        psql("DELETE FROM helpdesk.tickets WHERE id = %d" % tid)
        if cats:
            psql("DELETE FROM helpdesk.categories WHERE id IN (%s)" % ",".join(map(str, cats)))
