"""The role matrix of every route: for each route of the route table (read from GET
/api/docs-json, which the server builds from http/routes.c) and each caller, the expected
status. Callers: anonymous (no token), an Employee who owns the objects the request names,
another Employee, IT_Staff, Admin, and a deactivated user with a well-signed token.

Every request is well formed, so what decides the answer is who asks (the shape of a request
is checked before the domain decides who may act, docs/ARCHITECTURE.md). Requests that change
something get fresh objects for each caller (a ticket in the state the action needs, a category,
a user...), so one caller's success does not change what the next one finds. The callers are
users of their own, created here, so the fixture users 1-3 are never changed.

A route of the table without a row here, or a row without a route, fails the test: adding a
route means deciding, here, who may call it."""
import time
import uuid

from hdlib import EventStream, Response, bearer, check, claims, make_jwt, psql, request

API = "/api/v1"
CALLERS = ("anonymous", "employee", "other", "staff", "admin", "inactive")
ADMIN1 = bearer(make_jwt(claims(sub=1)))


def statuses(text):
    """'401 200 403 200 200 401' -> {caller: status}, in the order of CALLERS."""
    codes = [int(x) for x in text.split()]
    check(len(codes) == len(CALLERS), "six statuses: %r" % text)
    return dict(zip(CALLERS, codes))


def public(code):
    """A PUBLIC route: no token is looked at, whoever calls."""
    return statuses(" ".join([str(code)] * 6))


def token(employee, other, staff, admin):
    """A TOKEN route: 401 without a token and for a deactivated user (the database refuses it)."""
    return statuses("401 %s %s %s %s 401" % (employee, other, staff, admin))


ANY = token(200, 200, 200, 200)
CREATED_ANY = token(201, 201, 201, 201)
STAFF_UP = token(403, 403, 200, 200)
STAFF_UP_POST = token(403, 403, 201, 201)
ADMIN_ONLY = token(403, 403, 403, 200)
ADMIN_ONLY_POST = token(403, 403, 403, 201)
OWNER_OR_STAFF = token(200, 403, 200, 200)
# OPTIONAL routes: anyone, and a token is checked when sent (the deactivated user's is refused)
OPTIONAL_ANY = statuses("200 200 200 200 200 401")


class Ctx:
    """The callers and helpers to build the objects requests name."""

    def __init__(self):
        tag = uuid.uuid4().hex[:8]
        self.tag = tag
        self.users = {}
        for caller, role in (("employee", "Employee"), ("other", "Employee"), ("staff", "IT_Staff"), ("admin", "Admin"),
                             ("inactive", "Employee")):
            self.users[caller] = self.new_user(role, "rbac-%s-%s" % (caller, tag))
        r = request("PATCH", "%s/users/%d/deactivate" % (API, self.users["inactive"]), headers=ADMIN1)
        check(r.status == 200, "deactivate: %r" % r)
        # tokens issued a moment ago: valid for users created (or whose password changed) before
        iat = int(time.time())
        self.headers = {c: bearer(make_jwt(claims(sub=u, iat=iat))) for c, u in self.users.items()}
        self.headers["anonymous"] = {}
        self.cleanup = []

    def new_user(self, role="Employee", name=None):
        name = name or "rbac-user-%s" % uuid.uuid4().hex[:10]
        r = request("POST", API + "/users", {"fullName": name, "email": name + "@example.com", "password": "rbac-pass-123",
                                             "role": role, "department": "RBAC"}, ADMIN1)
        check(r.status == 201, "user: %r" % r)
        return r.json["data"]["id"]

    def as_(self, caller, method, path, body=None, ok=(200, 201)):
        r = request(method, API + path, body, self.headers[caller] if caller in self.headers else ADMIN1)
        check(r.status in ok, "%s %s as %s: %r" % (method, path, caller, r))
        return r.json.get("data") if r.body else None

    # ---- tickets, in the state an action needs; submitted by the employee ----

    def ticket(self, state="New", assignee=None):
        t = self.as_("employee", "POST", "/tickets", {"title": "RBAC ticket " + self.tag, "description": "Made for the role matrix",
                                                      "categoryId": 1})
        tid = t["id"]
        if state == "New":
            return tid
        who = assignee or "staff"
        self.as_("admin", "POST", "/tickets/%d/assign" % tid, {"assigneeId": self.users[who]})
        if state == "Assigned":
            return tid
        self.as_(who, "POST", "/tickets/%d/start-progress" % tid)
        if state == "In Progress":
            return tid
        self.as_(who, "POST", "/tickets/%d/resolve" % tid, {"resolutionNotes": "Resolved for the role matrix"})
        if state == "Resolved":
            return tid
        self.as_("employee", "POST", "/tickets/%d/close" % tid)
        return tid  # Closed

    def comment(self, tid=None):
        tid = tid or self.ticket()
        return self.as_("employee", "POST", "/tickets/%d/comments" % tid, {"content": "RBAC comment"})["id"]

    def category(self):
        c = self.as_("admin", "POST", "/categories", {"name": "RBAC %s" % uuid.uuid4().hex[:10]})
        self.cleanup.append("DELETE FROM helpdesk.categories WHERE id = %d" % c["id"])
        return c["id"]

    def holiday(self):
        h = self.as_("admin", "POST", "/holidays", {"name": "RBAC holiday", "date": self.free_date()})
        self.cleanup.append("DELETE FROM helpdesk.holidays WHERE id = %d" % h["id"])
        return h["id"]

    def free_date(self):
        """A day of 2091 no holiday uses (far from every SLA clock of the tests)."""
        n = int(psql("SELECT count(*) FROM helpdesk.holidays"))
        return "2091-%02d-%02d" % (1 + (n // 28) % 12, 1 + n % 28)

    def escalation_rule(self):
        r = self.as_("admin", "POST", "/escalation/rules", self.escalation_body())
        self.cleanup.append("DELETE FROM helpdesk.escalation_rules WHERE id = %d" % r["id"])
        return r["id"]

    def escalation_body(self):
        # level 5 for a category no ticket uses: never fires on anyone's tickets
        return {"name": "RBAC rule " + uuid.uuid4().hex[:6], "triggerType": "sla_breached", "escalationLevel": 5,
                "targetType": "role", "targetRole": "Admin", "categoryId": self.idle_category()}

    def idle_category(self):
        if not hasattr(self, "_idle_category"):
            self._idle_category = self.category()
        return self._idle_category

    # ---- knowledge base articles, written by the IT_Staff caller ----

    def article(self, published=True):
        a = self.as_("staff", "POST", "/knowledge", {"title": "RBAC article " + self.tag, "content": "Made for the role matrix",
                                                     "categoryId": 1, "isPublished": published})
        return a["id"]

    def synonyms(self):
        """The admin's synonym groups as they are (a PUT of them changes nothing)."""
        return {"synonyms": [g["text"] for g in self.as_("admin", "GET", "/knowledge/synonyms") if not g["builtin"]]}

    def conversation(self):
        return self.as_("employee", "POST", "/chatbot/chat", {"message": "hello"})["conversationId"]

    def sla_rule(self, priority="Low"):
        return int(psql("SELECT id FROM helpdesk.sla_rules WHERE priority = '%s'" % priority))

    def sla_rule_body(self, priority="Low"):
        r = psql("SELECT response_time_hours || ' ' || resolution_time_hours FROM helpdesk.sla_rules WHERE priority = '%s'"
                 % priority).split()
        return {"responseTimeHours": int(r[0]), "resolutionTimeHours": int(r[1])}

    def schedule(self):
        """The schedule as it is (a PUT of it changes nothing)."""
        d = self.as_("admin", "GET", "/business-hours/schedule")
        days = [{"dayOfWeek": x["dayOfWeek"], "windows": [{"startTime": w["startTime"][:5], "endTime": w["endTime"][:5]}
                                                          for w in x["windows"]]} for x in d["days"]]
        return {"timeZone": d["timeZone"], "days": days}

    def upload_body(self, ticket_id):
        """A multipart upload of a small text file to the ticket: (bytes, Content-Type)."""
        b = "----rbac" + uuid.uuid4().hex
        body = ("--%s\r\nContent-Disposition: form-data; name=\"ticketId\"\r\n\r\n%d\r\n"
                "--%s\r\nContent-Disposition: form-data; name=\"file\"; filename=\"notes.txt\"\r\n"
                "Content-Type: text/plain\r\n\r\nNotes for the role matrix\r\n--%s--\r\n" % (b, ticket_id, b, b))
        return body.encode(), "multipart/form-data; boundary=" + b

    def attachment(self):
        """A file the employee attached to their own ticket."""
        body, ctype = self.upload_body(self.ticket())
        r = request("POST", API + "/attachments/upload", body, dict(self.headers["employee"], **{"Content-Type": ctype}))
        check(r.status == 201, "upload: %r" % r)
        return r.json["data"]["id"]

    def notification(self):
        """A notification of the employee's (everyone else is told 404)."""
        return int(psql("INSERT INTO helpdesk.notifications (user_id, type, title, message) VALUES (%d, 'ticket_updated', "
                        "'RBAC', 'RBAC') RETURNING id" % self.users["employee"]).splitlines()[0])

    def finish(self):
        for q in reversed(self.cleanup):
            psql(q)
        psql("DELETE FROM helpdesk.tickets WHERE title = 'RBAC ticket %s'" % self.tag)
        psql("DELETE FROM helpdesk.kb_articles WHERE title = 'RBAC article %s'" % self.tag)


def row(method, path, expect, params=None, body=None, query="", fresh=False, then=None, data=None, stream=False):
    """One route: params {name: fn(ctx, caller) -> value}, body: a dict or fn(ctx, caller),
    fresh: build params and body again for each caller (the request changes what it names),
    then: fn(ctx, data) after a success (cleanup), data: fn(caller, data) -> bool, for routes
    whose status is the same for all and whose data tells who was allowed, stream: a Server-Sent
    Events route (its status and headers are read, then the stream is closed)."""
    return {"method": method, "path": path, "expect": expect, "params": params or {}, "body": body, "query": query,
            "fresh": fresh, "then": then, "data": data, "stream": stream}


def bulk_outcome(allowed):
    """A bulk route answers 201 to every caller; the per-ticket outcome says who could act."""
    return lambda caller, data: (data["success"], data["failed"]) == ((1, 0) if caller in allowed else (0, 1))


def own_ticket(state="New"):
    return lambda ctx, caller: ctx.ticket(state)


def assigned_to_caller(state):
    """A ticket assigned to the caller when staff may act on it (start-progress, resolve)."""
    return lambda ctx, caller: ctx.ticket(state, assignee=caller if caller in ("staff", "admin") else "staff")


def ticket_body(ctx, caller):
    return {"title": "RBAC ticket " + ctx.tag, "description": "Made for the role matrix", "categoryId": 1}


def user_id(caller_key):
    return lambda ctx, caller: ctx.users[caller_key]


def fresh_user(ctx, caller):
    return ctx.new_user()


NOWHERE = 999999  # an id no row has: the answer after the role check is 404

MATRIX = [
    # ---- root, health, docs (sql/91_core_api.sql) ----
    row("GET", "/api/v1/", public(200)),
    row("GET", "/api/v1/health", public(200)),
    row("GET", "/api/v1/health/ready", public(200)),
    row("GET", "/api/v1/docs", public(200)),

    # ---- auth (sql/13_auth_api.sql): the public routes run whoever calls; an empty body is a 400
    # from the function itself, before any account is looked at ----
    row("POST", "/api/v1/auth/login", public(400), body={}),
    row("POST", "/api/v1/auth/register", public(400), body={}),
    row("POST", "/api/v1/auth/refresh", public(400), body={}),
    row("POST", "/api/v1/auth/forgot-password", public(400), body={}),
    row("POST", "/api/v1/auth/verify-otp", public(400), body={}),
    row("POST", "/api/v1/auth/reset-password", public(400), body={}),
    row("POST", "/api/v1/auth/logout", token(200, 200, 200, 200)),
    row("GET", "/api/v1/auth/me", ANY),
    row("GET", "/api/v1/auth/profile", ANY),

    # ---- users (sql/11_users_api.sql) ----
    row("POST", "/api/v1/users", token(403, 403, 403, 409),
        body={"fullName": "Taken", "email": "admin@28h.com", "password": "password123"}),
    row("GET", "/api/v1/users", STAFF_UP),
    row("GET", "/api/v1/users/stats", ADMIN_ONLY),
    row("GET", "/api/v1/users/it-staff", STAFF_UP),
    row("GET", "/api/v1/users/department/:department", STAFF_UP, params={"department": lambda ctx, c: "RBAC"}),
    row("GET", "/api/v1/users/profile", ANY),
    row("PATCH", "/api/v1/users/profile", ANY, body={"department": "RBAC"}),
    # a wrong current password: the function's own 400, after the token (a right one would end
    # the caller's tokens for the rows after)
    row("POST", "/api/v1/users/change-password", token(400, 400, 400, 400),
        body={"currentPassword": "not-the-password", "newPassword": "whatever-pass-1"}),
    row("GET", "/api/v1/users/:id", STAFF_UP, params={"id": user_id("employee")}),
    row("PATCH", "/api/v1/users/:id", ADMIN_ONLY, params={"id": fresh_user}, body={"department": "RBAC 2"}, fresh=True),
    row("DELETE", "/api/v1/users/:id", ADMIN_ONLY, params={"id": fresh_user}, fresh=True),
    row("PATCH", "/api/v1/users/:id/activate", ADMIN_ONLY, params={"id": fresh_user}, fresh=True),
    row("POST", "/api/v1/users/:id/activate", ADMIN_ONLY_POST, params={"id": fresh_user}, fresh=True),
    row("PATCH", "/api/v1/users/:id/deactivate", ADMIN_ONLY, params={"id": fresh_user}, fresh=True),
    row("POST", "/api/v1/users/:id/deactivate", ADMIN_ONLY_POST, params={"id": fresh_user}, fresh=True),

    # ---- business hours and holidays (sql/41_calendar_api.sql) ----
    row("GET", "/api/v1/business-hours/holidays", ANY, query="?year=2091"),
    row("GET", "/api/v1/business-hours/check-working-day", ANY, query="?date=2091-01-02"),
    row("GET", "/api/v1/business-hours/calculate", ANY, query="?start=2091-01-02T00:00:00Z&end=2091-01-03T00:00:00Z"),
    row("GET", "/api/v1/business-hours/schedule", ANY),
    row("PUT", "/api/v1/business-hours/schedule", ADMIN_ONLY, body=lambda ctx, c: ctx.schedule(), fresh=True),
    row("POST", "/api/v1/holidays", ADMIN_ONLY_POST, body=lambda ctx, c: {"name": "RBAC", "date": ctx.free_date()}, fresh=True,
        then=lambda ctx, data: ctx.cleanup.append("DELETE FROM helpdesk.holidays WHERE id = %d" % data["id"])),
    row("POST", "/api/v1/holidays/bulk", ADMIN_ONLY_POST, body=lambda ctx, c: [{"name": "RBAC", "date": ctx.free_date()}],
        fresh=True, then=lambda ctx, data: ctx.cleanup.append("DELETE FROM helpdesk.holidays WHERE id = %d" % data[0]["id"])),
    row("GET", "/api/v1/holidays", ANY),
    row("GET", "/api/v1/holidays/years", ANY),
    row("GET", "/api/v1/holidays/:id", ANY, params={"id": lambda ctx, c: ctx.holiday()}),
    row("PATCH", "/api/v1/holidays/:id", ADMIN_ONLY, params={"id": lambda ctx, c: ctx.holiday()}, body={"name": "RBAC renamed"},
        fresh=True),
    row("DELETE", "/api/v1/holidays/:id", ADMIN_ONLY, params={"id": lambda ctx, c: ctx.holiday()}, fresh=True),

    # ---- SLA rules (sql/51_sla_rules_api.sql): every priority has its rule, so creating one is a
    # 409 for the Admin; updates write the values the rule has ----
    row("POST", "/api/v1/sla/rules", token(403, 403, 403, 409),
        body={"priority": "Low", "responseTimeHours": 8, "resolutionTimeHours": 72}),
    row("GET", "/api/v1/sla/rules", ANY),
    row("GET", "/api/v1/sla/rules/:id", ANY, params={"id": lambda ctx, c: ctx.sla_rule()}),
    row("PUT", "/api/v1/sla/rules/:id", ADMIN_ONLY, params={"id": lambda ctx, c: ctx.sla_rule()},
        body=lambda ctx, c: ctx.sla_rule_body()),
    row("PATCH", "/api/v1/sla/rules/:id", ADMIN_ONLY, params={"id": lambda ctx, c: ctx.sla_rule()},
        body=lambda ctx, c: ctx.sla_rule_body()),
    row("DELETE", "/api/v1/sla/rules/:id", token(403, 403, 403, 404), params={"id": lambda ctx, c: NOWHERE}),

    # ---- categories (sql/21_categories_api.sql) ----
    row("GET", "/api/v1/categories", ANY),
    row("GET", "/api/v1/categories/active", ANY),
    row("POST", "/api/v1/categories/reorder", ADMIN_ONLY_POST,
        body=lambda ctx, c: {"categoryIds": [x["id"] for x in ctx.as_("admin", "GET", "/categories?includeInactive=true")]},
        fresh=True),
    row("GET", "/api/v1/categories/:id", ANY, params={"id": lambda ctx, c: 1}),
    row("GET", "/api/v1/categories/:id/stats", ANY, params={"id": lambda ctx, c: 1}),
    row("POST", "/api/v1/categories", STAFF_UP_POST, body=lambda ctx, c: {"name": "RBAC %s" % uuid.uuid4().hex[:10]},
        fresh=True, then=lambda ctx, data: ctx.cleanup.append("DELETE FROM helpdesk.categories WHERE id = %d" % data["id"])),
    row("PATCH", "/api/v1/categories/:id", STAFF_UP, params={"id": lambda ctx, c: ctx.category()},
        body={"description": "RBAC"}),
    row("PATCH", "/api/v1/categories/:id/activate", ADMIN_ONLY, params={"id": lambda ctx, c: ctx.category()}, fresh=True),
    row("POST", "/api/v1/categories/:id/activate", ADMIN_ONLY_POST, params={"id": lambda ctx, c: ctx.category()}, fresh=True),
    row("PATCH", "/api/v1/categories/:id/deactivate", ADMIN_ONLY, params={"id": lambda ctx, c: ctx.category()}, fresh=True),
    row("POST", "/api/v1/categories/:id/deactivate", ADMIN_ONLY_POST, params={"id": lambda ctx, c: ctx.category()},
        fresh=True),
    row("DELETE", "/api/v1/categories/:id", ADMIN_ONLY, params={"id": lambda ctx, c: ctx.category()}, fresh=True),

    # ---- ticket lists and stats (sql/31_tickets_api.sql) ----
    row("GET", "/api/v1/tickets", ANY),
    row("GET", "/api/v1/tickets/stats", ANY),
    # the streamed CSV export: everyone, an Employee their own tickets (tests/http/test_export.py)
    row("GET", "/api/v1/tickets/export", ANY, query="?format=csv&search=rbac-export-none"),
    row("GET", "/api/v1/tickets/my-tickets", ANY),
    row("GET", "/api/v1/tickets/assigned-to-me", STAFF_UP),

    # ---- tickets (sql/31_tickets_api.sql): the submitter is the employee ----
    row("POST", "/api/v1/tickets", CREATED_ANY, body=ticket_body),
    row("POST", "/api/v1/tickets/bulk-assign", STAFF_UP_POST, fresh=True,
        body=lambda ctx, c: {"ticketIds": [ctx.ticket()], "assigneeId": ctx.users["staff"]}, data=bulk_outcome(("staff", "admin"))),
    row("POST", "/api/v1/tickets/bulk-status", CREATED_ANY, fresh=True,
        body=lambda ctx, c: {"ticketIds": [ctx.ticket()], "status": "Closed"},
        data=bulk_outcome(("employee", "staff", "admin"))),
    row("POST", "/api/v1/tickets/bulk-delete", ADMIN_ONLY_POST, fresh=True, body=lambda ctx, c: {"ticketIds": [ctx.ticket()]},
        data=bulk_outcome(("admin",))),
    row("GET", "/api/v1/tickets/:ticketId", OWNER_OR_STAFF, params={"ticketId": own_ticket()}),
    row("PATCH", "/api/v1/tickets/:ticketId", OWNER_OR_STAFF, params={"ticketId": own_ticket()}, fresh=True,
        body={"title": "RBAC ticket renamed"}),
    row("DELETE", "/api/v1/tickets/:ticketId", ADMIN_ONLY, params={"ticketId": own_ticket()}, fresh=True),
    row("POST", "/api/v1/tickets/:ticketId/change-status", token(201, 403, 201, 201), params={"ticketId": own_ticket()},
        fresh=True, body={"status": "Closed"}),
    row("POST", "/api/v1/tickets/:ticketId/assign", STAFF_UP_POST, params={"ticketId": own_ticket()}, fresh=True,
        body=lambda ctx, c: {"assigneeId": ctx.users["staff"]}),
    row("POST", "/api/v1/tickets/:ticketId/start-progress", STAFF_UP_POST, fresh=True,
        params={"ticketId": assigned_to_caller("Assigned")}),
    row("POST", "/api/v1/tickets/:ticketId/resolve", STAFF_UP_POST, fresh=True,
        params={"ticketId": assigned_to_caller("In Progress")}, body={"resolutionNotes": "Resolved for the role matrix"}),
    # closing a resolved ticket: its submitter, or an Admin; not other staff
    row("POST", "/api/v1/tickets/:ticketId/close", token(201, 403, 403, 201), params={"ticketId": own_ticket("Resolved")},
        fresh=True),
    row("POST", "/api/v1/tickets/:ticketId/reopen", token(201, 403, 201, 201), params={"ticketId": own_ticket("Closed")},
        fresh=True),
    # rating a closed ticket: its submitter only
    row("POST", "/api/v1/tickets/:ticketId/rate", token(201, 403, 403, 403), params={"ticketId": own_ticket("Closed")},
        fresh=True, body={"rating": 5}),

    # ---- comments (sql/33_comments_api.sql) ----
    row("POST", "/api/v1/tickets/:ticketId/comments", token(201, 403, 201, 201), params={"ticketId": own_ticket()},
        body={"content": "RBAC comment"}),
    row("GET", "/api/v1/tickets/:ticketId/comments", OWNER_OR_STAFF, params={"ticketId": own_ticket()}),
    row("GET", "/api/v1/tickets/:ticketId/comments/stats", OWNER_OR_STAFF, params={"ticketId": own_ticket()}),
    row("GET", "/api/v1/comments/my-comments", ANY),
    row("GET", "/api/v1/comments/:id", OWNER_OR_STAFF, params={"id": lambda ctx, c: ctx.comment()}),
    # editing: the author only; deleting: the author or an Admin
    row("PATCH", "/api/v1/comments/:id", token(200, 403, 403, 403), params={"id": lambda ctx, c: ctx.comment()}, fresh=True,
        body={"content": "RBAC comment, edited"}),
    row("DELETE", "/api/v1/comments/:id", token(200, 403, 403, 200), params={"id": lambda ctx, c: ctx.comment()}, fresh=True),

    # ---- ticket history (sql/37_history_api.sql) ----
    row("GET", "/api/v1/ticket-history/ticket/:ticketId", OWNER_OR_STAFF, params={"ticketId": own_ticket()}),
    row("GET", "/api/v1/ticket-history", STAFF_UP),

    # ---- SLA status, timeline, at-risk, breached (sql/59_sla_api.sql) ----
    row("GET", "/api/v1/sla/tickets/:id/timeline", OWNER_OR_STAFF, params={"id": own_ticket()}),
    row("GET", "/api/v1/sla/tickets/:id/status", OWNER_OR_STAFF, params={"id": own_ticket()}),
    row("GET", "/api/v1/sla/at-risk", STAFF_UP),
    row("GET", "/api/v1/sla/breached", STAFF_UP),

    # ---- escalation (sql/57_escalation_api.sql) ----
    row("POST", "/api/v1/escalation/rules", ADMIN_ONLY_POST, body=lambda ctx, c: ctx.escalation_body(), fresh=True,
        then=lambda ctx, data: ctx.cleanup.append("DELETE FROM helpdesk.escalation_rules WHERE id = %d" % data["id"])),
    row("GET", "/api/v1/escalation/rules", STAFF_UP),
    row("GET", "/api/v1/escalation/rules/:id", STAFF_UP, params={"id": lambda ctx, c: ctx.escalation_rule()}),
    row("PUT", "/api/v1/escalation/rules/:id", ADMIN_ONLY, params={"id": lambda ctx, c: ctx.escalation_rule()},
        body={"description": "RBAC"}),
    row("DELETE", "/api/v1/escalation/rules/:id", ADMIN_ONLY, params={"id": lambda ctx, c: ctx.escalation_rule()}, fresh=True),
    row("GET", "/api/v1/escalation/history/ticket/:ticketId", OWNER_OR_STAFF, params={"ticketId": own_ticket()}),
    row("GET", "/api/v1/escalation/history", STAFF_UP),
    row("POST", "/api/v1/escalation/tickets/:ticketId/escalate", STAFF_UP_POST, params={"ticketId": own_ticket()}, fresh=True,
        body=lambda ctx, c: {"ruleId": ctx.escalation_rule()}),
    row("POST", "/api/v1/escalation/check-now", ADMIN_ONLY_POST),

    # ---- attachments (sql/35_attachments_api.sql): a file follows its ticket (who cannot see the
    # ticket is told 404); delete by the uploader (here the employee) or an Admin ----
    row("POST", "/api/v1/attachments/upload", token(201, 404, 201, 201), body=lambda ctx, c: ctx.upload_body(ctx.ticket()),
        fresh=True),
    row("GET", "/api/v1/attachments", token(200, 404, 200, 200), query=lambda ctx, c: "?ticketId=%d" % ctx.ticket()),
    row("GET", "/api/v1/attachments/:id", token(200, 404, 200, 200), params={"id": lambda ctx, c: ctx.attachment()}),
    row("GET", "/api/v1/attachments/:id/download", token(200, 404, 200, 200), params={"id": lambda ctx, c: ctx.attachment()}),
    row("DELETE", "/api/v1/attachments/:id", token(200, 404, 403, 200), params={"id": lambda ctx, c: ctx.attachment()},
        fresh=True),

    # ---- knowledge base (sql/71_kb_api.sql): published articles for anyone (OPTIONAL: a token
    # is checked when sent), writing for staff, editing for the author (the IT_Staff caller here)
    # or an Admin ----
    row("POST", "/api/v1/knowledge", STAFF_UP_POST, fresh=True,
        body=lambda ctx, c: {"title": "RBAC article " + ctx.tag, "content": "Made for the role matrix", "categoryId": 1}),
    row("GET", "/api/v1/knowledge", OPTIONAL_ANY),
    row("GET", "/api/v1/knowledge/stats", STAFF_UP),
    row("GET", "/api/v1/knowledge/popular", public(200)),
    row("GET", "/api/v1/knowledge/recent", public(200)),
    row("GET", "/api/v1/knowledge/categories", public(200)),
    row("GET", "/api/v1/knowledge/tags", public(200)),
    row("GET", "/api/v1/knowledge/search", OPTIONAL_ANY, query="?q=printer"),
    row("GET", "/api/v1/knowledge/suggest", public(200), query="?q=printer"),
    row("GET", "/api/v1/knowledge/synonyms", STAFF_UP),
    row("PUT", "/api/v1/knowledge/synonyms", ADMIN_ONLY, body=lambda ctx, c: ctx.synonyms(), fresh=True),
    row("GET", "/api/v1/knowledge/category/:category", public(200), params={"category": lambda ctx, c: 1}),
    row("GET", "/api/v1/knowledge/:id", OPTIONAL_ANY, params={"id": lambda ctx, c: ctx.article()}),
    row("PATCH", "/api/v1/knowledge/:id", STAFF_UP, params={"id": lambda ctx, c: ctx.article()}, fresh=True,
        body={"content": "Made for the role matrix, edited"}),
    row("DELETE", "/api/v1/knowledge/:id", STAFF_UP, params={"id": lambda ctx, c: ctx.article()}, fresh=True),
    row("POST", "/api/v1/knowledge/:id/publish", STAFF_UP_POST, params={"id": lambda ctx, c: ctx.article(published=False)},
        fresh=True),
    row("POST", "/api/v1/knowledge/:id/unpublish", STAFF_UP_POST, params={"id": lambda ctx, c: ctx.article()}, fresh=True),
    row("POST", "/api/v1/knowledge/:id/rate", CREATED_ANY, params={"id": lambda ctx, c: ctx.article()},
        body={"isHelpful": True}),
    row("POST", "/api/v1/knowledge/:id/vote", CREATED_ANY, params={"id": lambda ctx, c: ctx.article()}, body={"helpful": True}),

    # ---- chatbot (sql/73_chatbot_api.sql): a conversation is its user's alone ----
    row("POST", "/api/v1/chatbot/chat", CREATED_ANY, body={"message": "hello"}),
    row("POST", "/api/v1/chatbot/chat/keyword", CREATED_ANY, body={"message": "hello"}),
    row("POST", "/api/v1/chatbot/chat/simple", CREATED_ANY, body={"message": "hello"}),
    row("GET", "/api/v1/chatbot/conversations", ANY),
    row("GET", "/api/v1/chatbot/conversations/:id", token(200, 404, 404, 404), params={"id": lambda ctx, c: ctx.conversation()}),

    # ---- reports (sql/81_reports_api.sql): staff reports for IT_Staff and Admin, staff
    # performance for Admin; the dashboard and action-required for everyone (scoped) ----
    row("GET", "/api/v1/reports/action-required", ANY),
    row("GET", "/api/v1/reports/dashboard", ANY),
    row("GET", "/api/v1/reports/tickets-by-status", STAFF_UP),
    row("GET", "/api/v1/reports/tickets-by-category", STAFF_UP),
    row("GET", "/api/v1/reports/tickets-by-priority", STAFF_UP),
    row("GET", "/api/v1/reports/sla-compliance", STAFF_UP),
    row("GET", "/api/v1/reports/staff-performance", ADMIN_ONLY),
    row("GET", "/api/v1/reports/trends", STAFF_UP),
    # ---- notifications (sql/39_notifications_api.sql): every one the caller's own; another
    # user's id is a 404 whoever asks ----
    row("GET", "/api/v1/notifications", ANY),
    row("GET", "/api/v1/notifications/unread", ANY),
    row("GET", "/api/v1/notifications/unread/count", ANY),
    row("PATCH", "/api/v1/notifications/:id/read", token(200, 404, 404, 404), params={"id": lambda ctx, c: ctx.notification()}),
    row("PATCH", "/api/v1/notifications/read-all", ANY),
    row("DELETE", "/api/v1/notifications/:id", token(200, 404, 404, 404), params={"id": lambda ctx, c: ctx.notification()},
        fresh=True),
    row("DELETE", "/api/v1/notifications", ANY),
    row("GET", "/api/v1/notifications/stream", ANY, stream=True),
    # ---- e-mail (sql/93_email_api.sql): the test e-mail, to the caller's own address ----
    row("POST", "/api/v1/notifications/test-email", CREATED_ANY),
]


def served_routes():
    """(method, path template) of every route of the table, from the server's OpenAPI document."""
    import re
    r = request("GET", "/api/docs-json")
    check(r.status == 200, "docs-json: %r" % r)
    out = set()
    for path, ops in r.json["paths"].items():
        for method in ops:
            out.add((method.upper(), re.sub(r"\{([^}]+)\}", r":\1", path)))
    return out


def test_every_route_has_a_row():
    rows = [(x["method"], x["path"]) for x in MATRIX]
    dup = sorted({x for x in rows if rows.count(x) > 1})
    check(not dup, "rows given twice: %r" % dup)
    served = served_routes()
    missing = sorted(served - set(rows))
    extra = sorted(set(rows) - served)
    check(not missing, "routes without a row in tests/http/test_rbac.py (who may call them?): %r" % missing)
    check(not extra, "rows for routes the server does not have: %r" % extra)


def test_role_matrix():
    ctx = Ctx()
    wrong = []
    cells = 0
    try:
        for x in MATRIX:
            shared = None
            for caller in CALLERS:
                if shared is None or x["fresh"]:
                    params = {k: f(ctx, caller) for k, f in x["params"].items()}
                    body = x["body"](ctx, caller) if callable(x["body"]) else x["body"]
                    shared = (params, body)
                params, body = shared
                path = x["path"]
                query = x["query"](ctx, caller) if callable(x["query"]) else x["query"]
                for k, v in params.items():
                    path = path.replace(":" + k, str(v))
                hdrs = ctx.headers[caller]
                if isinstance(body, tuple):  # (bytes, Content-Type): a multipart upload
                    body, ctype = body
                    hdrs = dict(hdrs, **{"Content-Type": ctype})
                if x["stream"]:
                    es = EventStream(path + query, hdrs)
                    r = Response(es.status, es.headers, es.body)
                    es.close()
                    if r.status == 200 == x["expect"][caller]:
                        cells += 1
                        continue  # text/event-stream, no envelope (tests/http/test_notifications.py)
                else:
                    r = request(x["method"], path + query, body, hdrs)
                cells += 1
                want = x["expect"][caller]
                if r.status != want:
                    wrong.append("%s %s as %s: %d, expected %d: %s" % (x["method"], x["path"], caller, r.status, want,
                                                                       r.body[:160].decode("utf-8", "replace")))
                    continue
                if want < 300 and r.headers.get("content-disposition", "").startswith("attachment"):
                    continue  # a file (the `file` response kind): its bytes, not an envelope
                j = r.json if r.body else None
                if want < 300:
                    if want != 204 and (not j or j.get("success") is not True):
                        wrong.append("%s %s as %s: no success envelope: %r" % (x["method"], x["path"], caller, r))
                    elif x["data"] is not None and not x["data"](caller, j["data"]):
                        wrong.append("%s %s as %s: data %r" % (x["method"], x["path"], caller, j["data"]))
                    elif x["then"] is not None and j:
                        x["then"](ctx, j["data"])
                elif not j or j.get("statusCode") != want or j.get("success") is not False:
                    wrong.append("%s %s as %s: no error envelope: %r" % (x["method"], x["path"], caller, r))
    finally:
        ctx.finish()
    print("     role matrix: %d routes x %d callers = %d requests" % (len(MATRIX), len(CALLERS), cells))
    check(not wrong, "%d of %d answers differ from the matrix:\n      %s" % (len(wrong), cells, "\n      ".join(wrong)))
