"""Reports end to end (sql/80_reports.sql, http/csv.c): every route for every role, JSON and
CSV (?format=csv and Accept: text/csv), RFC 4180 quoting and formula neutralisation, the
Employee's scoped dashboard, figures equal to a recount in SQL, and bad input (400). The exact
definitions are pinned by tests/regress/sql/80_reports.sql on a fixed data set."""
import csv
import io
import uuid

from hdlib import bearer, check, check_error, check_success, claims, make_jwt, psql, request

ADMIN, STAFF, EMPLOYEE = 1, 2, 3
ROUTES = ("action-required", "dashboard", "tickets-by-status", "tickets-by-category", "tickets-by-priority",
          "sla-compliance", "staff-performance", "trends")
ALLOWED = {  # who may call each route: (Employee, IT_Staff, Admin)
    "action-required": (True, True, True), "dashboard": (True, True, True),
    "tickets-by-status": (False, True, True), "tickets-by-category": (False, True, True),
    "tickets-by-priority": (False, True, True), "sla-compliance": (False, True, True),
    "staff-performance": (False, False, True), "trends": (False, True, True),
}


def call(path, user=ADMIN, headers=None):
    h = dict(bearer(make_jwt(claims(sub=user)))) if user else {}
    h.update(headers or {})
    return request("GET", "/api/v1/reports/" + path, headers=h)


def sql_int(q):
    return int(psql(q).splitlines()[-1])


def parse_csv(resp):
    check(resp.status == 200, "csv status %r" % resp)
    check(resp.headers.get("content-type") == "text/csv; charset=utf-8", "content-type %r" % resp.headers.get("content-type"))
    check(resp.headers.get("content-disposition", "").startswith('attachment; filename="'), "disposition %r" % resp.headers)
    text = resp.body.decode("utf-8")
    check(text.endswith("\r\n"), "CRLF line ends")
    return list(csv.reader(io.StringIO(text, newline="")))


def test_every_route_role_and_format():
    for route in ROUTES:
        for user, allowed in zip((EMPLOYEE, STAFF, ADMIN), ALLOWED[route]):
            r = call(route, user)
            if not allowed:
                check_error(r, 403)
                check_error(call(route + "?format=csv", user), 403)
                continue
            data = check_success(r)["data"]
            check(isinstance(data, (dict, list)), "%s data %r" % (route, data))
            rows = parse_csv(call(route + "?format=csv", user))
            check(len(rows) >= 1 and all(len(x) == len(rows[0]) for x in rows), "%s table %r" % (route, rows))
            rows2 = parse_csv(call(route, user, {"Accept": "text/csv"}))
            check(rows2[0] == rows[0], "Accept: text/csv gives the same table")
            # an explicit format wins over Accept
            check_success(call(route + "?format=json", user, {"Accept": "text/csv"}))
        check_error(call(route, None), 401)


def test_shapes():
    d = check_success(call("dashboard"))["data"]
    check(set(d) == {"totalTickets", "openTickets", "closedToday", "closedThisWeek", "closedThisMonth", "avgResolutionTime",
                     "slaComplianceRate", "slaBreached", "slaAtRisk", "ticketsByPriority", "ticketsByStatus",
                     "selfService"}, "dashboard keys %r" % sorted(d))
    check(set(d["ticketsByStatus"]) == {"new", "assigned", "in_progress", "pending", "resolved", "closed"}, "statuses")
    check(set(d["selfService"]) == {"conversations", "deflected", "ticketsFromChat"}, "selfService")
    a = check_success(call("action-required", STAFF))["data"]
    check(set(a) == {"actionRequired", "breakdown"}, "action-required %r" % a)
    s = check_success(call("sla-compliance"))["data"]
    check(isinstance(s["averageResolutionHours"], (int, float)), "average is a number %r" % s)
    check([p["priority"] for p in s["byPriority"]] == ["High", "Medium", "Low"], "byPriority order")
    t = check_success(call("trends?period=month&limit=3"))["data"]
    check(len(t) == 3 and all(x["period"].endswith("-01") for x in t), "month buckets %r" % t)
    t = check_success(call("trends?period=week&limit=2"))["data"]
    check(len(t) == 2, "week buckets %r" % t)
    staff = check_success(call("staff-performance"))["data"]
    check(all(set(x) >= {"staffId", "staffName", "staffEmail", "assignedTickets", "resolvedTickets", "averageResolutionHours",
                         "slaComplianceRate", "currentWorkload"} for x in staff), "staff keys")


def test_figures_equal_a_recount():
    d = check_success(call("dashboard"))["data"]
    check(d["totalTickets"] == sql_int("SELECT count(*) FROM helpdesk.tickets"), "total %r" % d)
    check(d["openTickets"] == sql_int("SELECT count(*) FROM helpdesk.tickets WHERE status IN ('New', 'Assigned', 'In Progress', 'Pending')"),
          "open")
    check(d["ticketsByStatus"]["new"] == sql_int("SELECT count(*) FROM helpdesk.tickets WHERE status = 'New'"), "new")
    check(d["slaBreached"] == sql_int("SELECT count(*) FROM helpdesk.tickets t JOIN helpdesk.sla_clocks c ON c.ticket_id = t.id "
                                      "AND c.kind = 'resolution' WHERE helpdesk.sla_clock_breached(c, now())"), "breached")
    rows = check_success(call("tickets-by-status"))["data"]
    check(sum(x["count"] for x in rows) == d["totalTickets"], "by status sums to the total")
    check(abs(sum(x["percentage"] for x in rows) - 100) < 0.5 or not rows, "percentages %r" % rows)
    prio = check_success(call("tickets-by-priority"))["data"]
    check(sum(x["count"] for x in prio) == d["totalTickets"], "by priority counts every ticket")


def test_employee_dashboard_is_scoped():
    tag = uuid.uuid4().hex[:8]
    emp = sql_int("INSERT INTO helpdesk.users (username, email, password_hash, full_name, role) VALUES "
                  "('rep_%s', 'rep_%s@example.com', '$2a$04$x', 'Report Emp', 'Employee') RETURNING id" % (tag, tag))
    cat = sql_int("SELECT min(id) FROM helpdesk.categories")
    for i in range(2):
        psql("INSERT INTO helpdesk.tickets (ticket_number, title, description, category_id, submitter_id) "
             "VALUES ('REP-%s-%d', 'Scoped', 'x', %d, %d)" % (tag, i, cat, emp))
    d = check_success(call("dashboard", emp))["data"]
    check(d["totalTickets"] == 2 and d["openTickets"] == 2 and d["ticketsByStatus"]["new"] == 2, "own tickets only %r" % d)
    a = check_success(call("action-required", emp))["data"]
    check(a["actionRequired"] == 2 and a["breakdown"]["myOpenTickets"] == 2, "employee's action %r" % a)
    psql("DELETE FROM helpdesk.tickets WHERE submitter_id = %d; DELETE FROM helpdesk.users WHERE id = %d" % (emp, emp))


def test_csv_quoting_and_neutralisation():
    tag = uuid.uuid4().hex[:6]
    name = '=HYPERLINK("x"),%s' % tag
    cat = sql_int("INSERT INTO helpdesk.categories (name) VALUES ('%s') RETURNING id" % name.replace("'", "''"))
    psql("INSERT INTO helpdesk.tickets (ticket_number, title, description, category_id, submitter_id) "
         "VALUES ('REPC-%s', 'CSV', 'x', %d, %d)" % (tag, cat, EMPLOYEE))
    r = call("tickets-by-category?format=csv&startDate=2000-01-01&endDate=2100-12-31")
    check('filename="tickets-by-category_2000-01-01_2100-12-31.csv"' in r.headers.get("content-disposition", ""),
          "filename %r" % r.headers.get("content-disposition"))
    raw = r.body.decode("utf-8")
    check('"\'=HYPERLINK(""x""),%s"' % tag in raw, "quoted, doubled quotes, neutralised: %r" % raw)
    rows = parse_csv(r)
    check(rows[0] == ["categoryId", "categoryName", "count", "percentage"], "header %r" % rows[0])
    mine = [x for x in rows[1:] if x[0] == str(cat)]
    check(len(mine) == 1 and mine[0][1] == "'" + name and mine[0][2] == "1", "row %r" % mine)
    psql("DELETE FROM helpdesk.tickets WHERE category_id = %d; DELETE FROM helpdesk.categories WHERE id = %d" % (cat, cat))


def test_bad_input():
    for q in ("trends?period=year", "trends?limit=0", "trends?limit=367", "trends?limit=x", "dashboard?format=xml",
              "dashboard?startDate=2026-02-30", "dashboard?startDate=2026-03-31&endDate=2026-03-01",
              "tickets-by-status?endDate=tomorrow", "sla-compliance?format=xml&startDate=bad"):
        check_error(call(q, ADMIN), 400)
    # an empty range: zeros, no division by zero
    d = check_success(call("dashboard?startDate=1990-01-01&endDate=1990-01-02"))["data"]
    check(d["totalTickets"] == 0 and d["slaComplianceRate"] == 0 and d["avgResolutionTime"] == 0, "empty %r" % d)
    check(check_success(call("tickets-by-status?startDate=1990-01-01&endDate=1990-01-02"))["data"] == [], "empty list")
    rows = parse_csv(call("tickets-by-status?startDate=1990-01-01&endDate=1990-01-02&format=csv"))
    check(rows == [["status", "count", "percentage"]], "empty table has its header %r" % rows)


def test_openapi_lists_format():
    doc = request("GET", "/api/docs-json").json
    op = doc["paths"]["/api/v1/reports/dashboard"]["get"]
    check(any(p["name"] == "format" for p in op.get("parameters", [])), "format parameter")
    check("text/csv" in op["responses"]["200"]["content"], "csv response")
