"""Tickets end to end: the eighteen routes, every role, the state machine on every path,
visibility, bulk operations, SLA filters, search, sorting and bad input."""
import re
import uuid
from datetime import datetime, timedelta

from hdlib import bearer, check, check_error, check_success, claims, make_jwt, request
from hdlib import psql

sql = psql

ADMIN, STAFF, EMPLOYEE = 1, 2, 3
CREATED = "Resource created successfully"
UPDATED = "Resource updated successfully"

LIST_KEYS = {"id", "ticketNumber", "title", "description", "categoryId", "priority", "status", "submitterId",
             "assigneeId", "dueDate", "resolvedAt", "closedAt", "satisfactionRating", "satisfactionComment",
             "satisfactionFeedback", "resolutionNotes", "createdAt", "updatedAt", "slaBreached",
             "submitter", "assignee", "category"}


def call(method, path, user=ADMIN, body=None):
    headers = bearer(make_jwt(claims(sub=user))) if user else {}
    return request(method, "/api/v1" + path, body=body, headers=headers)




_users = {}


def user(name, role="Employee", active=True):
    """Id of an extra test user (created once)."""
    if name not in _users:
        _users[name] = int(sql(
            "INSERT INTO helpdesk.users (username, email, password_hash, full_name, role, is_active) "
            "VALUES ('%s', '%s@example.com', helpdesk.hash_password('password123'), '%s', '%s', %s) "
            "ON CONFLICT DO NOTHING; SELECT id FROM helpdesk.users WHERE username = '%s'"
            % (name, name, name, role, "true" if active else "false", name)).splitlines()[-1])
    return _users[name]


def new_ticket(who=EMPLOYEE, **fields):
    body = {"title": "HTTP ticket " + uuid.uuid4().hex[:8], "description": "Something is broken here",
            "categoryId": 1}
    body.update(fields)
    return check_success(call("POST", "/tickets", who, body), 201, CREATED)["data"]


def post(path, who, body=None, status=201):
    return check_success(call("POST", path, who, body), status, CREATED)["data"]


def parse(ts):
    return datetime.strptime(ts, "%Y-%m-%dT%H:%M:%S.%fZ")


# ---- create ----

def test_create_detail_shape_number_and_due_date():
    t = new_ticket(priority="High")
    check(set(t) == LIST_KEYS, "keys %r" % sorted(set(t) ^ LIST_KEYS))
    check(re.fullmatch(r"TKT-\d{4}-\d{4,}", t["ticketNumber"]), t["ticketNumber"])
    check(t["status"] == "New" and t["priority"] == "High" and t["submitterId"] == EMPLOYEE, t)
    check(t["assignee"] is None and t["assigneeId"] is None and t["slaBreached"] is False, t)
    check(set(t["submitter"]) == {"id", "username", "fullName", "email", "department"}, t["submitter"])
    check(set(t["category"]) == {"id", "name", "description", "icon", "color"}, t["category"])
    check(t["satisfactionFeedback"] is None and t["satisfactionComment"] is None, t)
    # the seed's High rule: 4 business hours to resolve, never fewer wall-clock hours
    check(parse(t["dueDate"]) - parse(t["createdAt"]) >= timedelta(hours=4), (t["createdAt"], t["dueDate"]))
    t2 = new_ticket()
    check(t2["priority"] == "Medium", t2)
    n1, n2 = int(t["ticketNumber"].split("-")[2]), int(t2["ticketNumber"].split("-")[2])
    check(n2 > n1, (t["ticketNumber"], t2["ticketNumber"]))


def test_create_bad_input():
    good = {"title": "Valid title", "description": "Valid description", "categoryId": 1}
    cases = [
        (dict(good, title="abc"), "title must be longer than or equal to 5 characters"),
        (dict(good, description="short"), "description must be longer than or equal to 10 characters"),
        ({"title": "Valid title", "description": "Valid description"}, "categoryId should not be empty, categoryId must be an integer number"),
        (dict(good, categoryId="1"), "categoryId must be an integer number"),
        (dict(good, priority="Urgent"), "priority must be one of the following values: Low, Medium, High"),
        (dict(good, status="Closed"), "property status should not exist"),
        (dict(good, categoryId=999999), "Category not found"),
        (dict(good, title=7), "title must be a string"),
    ]
    for body, message in cases:
        check_error(call("POST", "/tickets", EMPLOYEE, body), 400, "BadRequestException", message)
    check_error(call("POST", "/tickets", EMPLOYEE, []), 400, "BadRequestException")
    check_error(call("POST", "/tickets", None, good), 401, "UnauthorizedException")


# ---- read ----

def test_get_visibility_and_bad_ids():
    t = new_ticket()
    other = user("http_tk_emp2")
    check_success(call("GET", "/tickets/%d" % t["id"], EMPLOYEE))
    check_success(call("GET", "/tickets/%d" % t["id"], STAFF))
    check_error(call("GET", "/tickets/%d" % t["id"], other), 403, "ForbiddenException",
                "You do not have permission to view this ticket")
    check_error(call("GET", "/tickets/999999"), 404, "NotFoundException", "Ticket with ID 999999 not found")
    check_error(call("GET", "/tickets/abc"), 400, "BadRequestException", "Validation failed (numeric string is expected)")
    check_error(call("GET", "/tickets/0"), 400, "BadRequestException")


def test_list_shape_paging_and_limits():
    new_ticket()
    j = check_success(call("GET", "/tickets?limit=2&page=1"))["data"]
    check(set(j) == {"tickets", "total", "page", "totalPages", "totalIsEstimate"}, j.keys())
    check(len(j["tickets"]) <= 2 and j["page"] == 1 and j["totalPages"] == -(-j["total"] // 2), j)
    t = j["tickets"][0]
    check(set(t) == LIST_KEYS, sorted(t))
    check(set(t["submitter"]) == {"id", "username", "fullName", "email"}, t["submitter"])
    check(set(t["category"]) == {"id", "name", "icon", "color"}, t["category"])
    check_success(call("GET", "/tickets?limit=1000"))
    far = check_success(call("GET", "/tickets?page=1000000&limit=1000"))["data"]
    check(far["tickets"] == [] and far["page"] == 1000000 and far["total"] == j["total"], far)
    for q, message in [("limit=1001", "limit must not be greater than 1000"), ("limit=0", "limit must not be less than 1"),
                       ("page=0", "page must not be less than 1"), ("page=x", "page must be an integer number"),
                       ("page=99999999999", "page must be an integer number"),
                       ("status=Open", None), ("priority=Urgent", None), ("sortBy=password", None),
                       ("sortOrder=UP", "sortOrder must be one of the following values: ASC, DESC"),
                       ("categoryId=abc", "categoryId must be an integer number"),
                       ("assigneeId=nobody", "assigneeId must be an integer number"),
                       ("slaBreached=maybe", "slaBreached must be a boolean value")]:
        check_error(call("GET", "/tickets?" + q), 400, "BadRequestException", message)


def test_list_total_is_estimate_past_the_bound():
    """total is exact up to the setting ticket_list_exact_count (default 1,000), an estimate beyond,
    and totalIsEstimate says which."""
    def bound(n):
        sql("INSERT INTO helpdesk.settings (setting_key, setting_value, setting_type) "
            "VALUES ('ticket_list_exact_count', '%d', 'number') "
            "ON CONFLICT (setting_key) DO UPDATE SET setting_value = EXCLUDED.setting_value" % n)

    new_ticket()
    new_ticket()
    try:
        # a bound above every ticket the suite has made (earlier files create and delete
        # thousands; with the default bound, the statistics of those decide "many")
        bound(10000000)
        exact = check_success(call("GET", "/tickets?limit=1"))["data"]
        check(exact["totalIsEstimate"] is False and exact["total"] >= 2
              and exact["total"] == int(sql("SELECT count(*) FROM helpdesk.tickets")), exact)
        bound(1)
        est = check_success(call("GET", "/tickets?limit=1"))["data"]
        check(est["totalIsEstimate"] is True and est["total"] >= 2 and len(est["tickets"]) == 1, est)
        check(est["totalPages"] == est["total"], est)
        # an Employee's own list, narrowed to one ticket, stays exact under the same bound
        mine = new_ticket(title="Estimate flag unique title 7f3a")
        one = check_success(call("GET", "/tickets?search=unique%20title%207f3a", EMPLOYEE))["data"]
        check(one["totalIsEstimate"] is False and one["total"] == 1 and one["tickets"][0]["id"] == mine["id"], one)
    finally:
        sql("DELETE FROM helpdesk.settings WHERE setting_key = 'ticket_list_exact_count'")


def test_list_filters_and_sorting():
    cat = check_success(call("POST", "/categories", ADMIN, {"name": "HTTP filters " + uuid.uuid4().hex[:8]}),
                        201, CREATED)["data"]["id"]
    tag = uuid.uuid4().hex[:10]
    a = new_ticket(title="Filter A " + tag, categoryId=cat, priority="Low")
    b = new_ticket(title="Filter B " + tag, categoryId=cat, priority="High")
    c = new_ticket(title="Filter C " + tag, categoryId=cat, description="100% broken_really " + tag)
    post("/tickets/%d/assign" % b["id"], STAFF, {"assigneeId": STAFF})

    def ids(q, who=ADMIN):
        return [t["id"] for t in check_success(call("GET", "/tickets?limit=1000&categoryId=%d&%s" % (cat, q), who))["data"]["tickets"]]

    check(sorted(ids("")) == sorted([a["id"], b["id"], c["id"]]), ids(""))
    check(ids("priority=High") == [b["id"]], ids("priority=High"))
    check(ids("status=Assigned") == [b["id"]], ids("status=Assigned"))
    check(ids("assigneeId=%d" % STAFF) == [b["id"]], ids("assigneeId=2"))
    check(sorted(ids("assigneeId=null")) == sorted([a["id"], c["id"]]), ids("assigneeId=null"))
    check(ids("submitterId=%d" % ADMIN) == [], "submitterId filter")
    # search: title, description, ticket number; case-insensitive; wildcards literal
    check(ids("search=filter+b+" + tag) == [b["id"]], "search title")
    check(ids("search=" + tag.upper()) != [], "search case")
    check(ids("search=100%25+broken") == [c["id"]], "search percent literal")
    check(ids("search=0%25+broken") == [c["id"]], "search substring")
    check(ids("search=100_") == [], "underscore is literal")
    check(ids("search=" + b["ticketNumber"]) == [b["id"]], "search number")
    # sorting on real fields, both directions
    by_prio = ids("sortBy=priority&sortOrder=ASC")
    check(by_prio[0] == a["id"] and by_prio[-1] == b["id"], by_prio)
    by_due = check_success(call("GET", "/tickets?limit=1000&categoryId=%d&sortBy=dueDate&sortOrder=asc" % cat))["data"]["tickets"]
    dues = [t["dueDate"] for t in by_due]
    check(dues == sorted(dues), dues)
    check(ids("sortBy=createdAt&sortOrder=DESC") == [c["id"], b["id"], a["id"]], "createdAt desc")
    check(ids("sortBy=ticketNumber&sortOrder=ASC") == [a["id"], b["id"], c["id"]], "ticketNumber asc")


def test_employee_sees_only_own_whatever_the_filter():
    mine = new_ticket(EMPLOYEE)
    theirs = new_ticket(user("http_tk_emp2"))
    for q in ("", "submitterId=%d" % user("http_tk_emp2"), "submitterId=%d" % EMPLOYEE, "assigneeId=null",
              "search=HTTP+ticket"):
        j = check_success(call("GET", "/tickets?limit=1000&" + q, EMPLOYEE))["data"]
        subs = {t["submitterId"] for t in j["tickets"]}
        check(subs <= {EMPLOYEE}, (q, subs))
        check(theirs["id"] not in [t["id"] for t in j["tickets"]], q)
    j = check_success(call("GET", "/tickets?limit=1000&submitterId=%d" % user("http_tk_emp2"), EMPLOYEE))["data"]
    check(j["total"] == 0, j)
    j = check_success(call("GET", "/tickets?limit=1000", EMPLOYEE))["data"]
    check(mine["id"] in [t["id"] for t in j["tickets"]], "own ticket listed")


def test_sla_filters():
    cat = check_success(call("POST", "/categories", ADMIN, {"name": "HTTP sla " + uuid.uuid4().hex[:8]}),
                        201, CREATED)["data"]["id"]
    late = new_ticket(categoryId=cat, title="Late ticket", priority="High")
    risky = new_ticket(categoryId=cat, title="Risky ticket", priority="High")
    fresh = new_ticket(categoryId=cat, title="Fresh ticket", priority="High")
    done_late = new_ticket(categoryId=cat, title="Done late", priority="High")
    # The SLA clocks own due dates: tickets are placed in time through created_at only.
    long_ago = "now() - interval '60 days'"
    # a start from which about 3.6 of the High rule's 4 business hours have been used by now
    at_risk_start = ("(SELECT s FROM generate_series(now() - interval '14 days', now(), interval '2 minutes') s "
                     "WHERE helpdesk.sla_between(s, now()) BETWEEN interval '3 hours 30 minutes' "
                     "AND interval '3 hours 50 minutes' ORDER BY s DESC LIMIT 1)")
    sql("UPDATE helpdesk.tickets SET created_at = %s WHERE id IN (%d, %d)" % (long_ago, late["id"], done_late["id"]))
    sql("UPDATE helpdesk.tickets SET created_at = %s WHERE id = %d" % (at_risk_start, risky["id"]))
    sql("UPDATE helpdesk.tickets SET status = 'Closed', closed_at = now() WHERE id = %d" % done_late["id"])
    def ids(q):
        return sorted(t["id"] for t in check_success(call("GET", "/tickets?limit=1000&categoryId=%d&%s" % (cat, q)))["data"]["tickets"])

    check(ids("slaBreached=true") == [late["id"]], ids("slaBreached=true"))
    check(ids("slaAtRisk=true") == [risky["id"]], ids("slaAtRisk=true"))
    # slaBreached overrides status (the reference)
    check(ids("slaBreached=true&status=New") == [late["id"]], "override")
    check(len(ids("slaBreached=false")) == 4, "false means no filter")
    got = {t["id"]: t["slaBreached"] for t in check_success(call("GET", "/tickets?limit=1000&categoryId=%d" % cat))["data"]["tickets"]}
    check(got == {late["id"]: True, risky["id"]: False, fresh["id"]: False, done_late["id"]: True}, got)


def test_stats_scoped_by_role():
    t = new_ticket(EMPLOYEE)
    post("/tickets/%d/assign" % t["id"], ADMIN, {"assigneeId": STAFF})
    for who in (ADMIN, STAFF, EMPLOYEE):
        s = check_success(call("GET", "/tickets/stats", who))["data"]
        check(set(s) == {"total", "byStatus"}, s)
        check(set(s["byStatus"]) == {"new", "assigned", "inProgress", "pending", "resolved", "closed"}, s)
        check(sum(s["byStatus"].values()) == s["total"], s)
    admin_total = int(sql("SELECT count(*) FROM helpdesk.tickets"))
    staff_total = int(sql("SELECT count(*) FROM helpdesk.tickets WHERE assignee_id = %d" % STAFF))
    emp_total = int(sql("SELECT count(*) FROM helpdesk.tickets WHERE submitter_id = %d" % EMPLOYEE))
    check(check_success(call("GET", "/tickets/stats", ADMIN))["data"]["total"] == admin_total, "admin")
    check(check_success(call("GET", "/tickets/stats", STAFF))["data"]["total"] == staff_total, "staff")
    check(check_success(call("GET", "/tickets/stats", EMPLOYEE))["data"]["total"] == emp_total, "employee")


def test_my_tickets_and_assigned_to_me():
    t = new_ticket(EMPLOYEE)
    post("/tickets/%d/assign" % t["id"], ADMIN, {"assigneeId": STAFF})
    mine = check_success(call("GET", "/tickets/my-tickets?limit=1000", EMPLOYEE))["data"]
    check(t["id"] in [x["id"] for x in mine["tickets"]] and {x["submitterId"] for x in mine["tickets"]} == {EMPLOYEE}, mine["total"])
    created = [x["createdAt"] for x in mine["tickets"]]
    check(created == sorted(created, reverse=True), "createdAt DESC")
    assigned = check_success(call("GET", "/tickets/assigned-to-me?limit=1000&status=Assigned", STAFF))["data"]
    check(t["id"] in [x["id"] for x in assigned["tickets"]], "assigned")
    check({x["assigneeId"] for x in assigned["tickets"]} == {STAFF} and {x["status"] for x in assigned["tickets"]} == {"Assigned"}, "scope")
    check_error(call("GET", "/tickets/assigned-to-me", EMPLOYEE), 403, "ForbiddenException",
                "Access denied. Required roles: IT_Staff, Admin")
    check_error(call("GET", "/tickets/my-tickets?status=Nope", EMPLOYEE), 400, "BadRequestException")


# ---- update ----

def test_patch_rules():
    t = new_ticket(EMPLOYEE, priority="Low")
    path = "/tickets/%d" % t["id"]
    # the reference's edit page always sends priority: unchanged values pass
    j = check_success(call("PATCH", path, EMPLOYEE, {"title": "Edited by me", "description": "Edited description",
                                                      "categoryId": 1, "priority": "Low"}), 200, UPDATED)["data"]
    check(j["title"] == "Edited by me" and j["priority"] == "Low", j)
    check_error(call("PATCH", path, EMPLOYEE, {"priority": "High"}), 403, "ForbiddenException")
    check_error(call("PATCH", path, EMPLOYEE, {"status": "Closed"}), 403, "ForbiddenException")
    check_error(call("PATCH", path, EMPLOYEE, {"assigneeId": STAFF}), 403, "ForbiddenException")
    check_error(call("PATCH", path, user("http_tk_emp2"), {"title": "Not my ticket"}), 403, "ForbiddenException")
    check_error(call("PATCH", path, EMPLOYEE, {"title": "abc"}), 400, "BadRequestException",
                "title must be longer than or equal to 5 characters")
    check_error(call("PATCH", path, EMPLOYEE, {"submitterId": 1}), 400, "BadRequestException",
                "property submitterId should not exist")
    # staff: a priority change recomputes the due date (Low 72 h -> High 4 h)
    j = check_success(call("PATCH", path, STAFF, {"priority": "High"}), 200, UPDATED)["data"]
    check(parse(j["dueDate"]) < parse(t["dueDate"]), (t["dueDate"], j["dueDate"]))
    check(parse(j["dueDate"]) - parse(j["createdAt"]) >= timedelta(hours=4), j["dueDate"])
    # status through the state machine
    check_error(call("PATCH", path, STAFF, {"status": "Resolved"}), 400, "BadRequestException",
                "Cannot transition from New to Resolved")
    check_error(call("PATCH", path, STAFF, {"status": "Done"}), 400, "BadRequestException")
    j = check_success(call("PATCH", path, STAFF, {"status": "Closed"}), 200, UPDATED)["data"]
    check(j["status"] == "Closed" and j["closedAt"] is not None, j)
    # an employee cannot edit once it is no longer New/Assigned
    check_error(call("PATCH", path, EMPLOYEE, {"title": "Too late now"}), 403, "ForbiddenException")


def test_patch_assignee_and_category_checks():
    t = new_ticket()
    path = "/tickets/%d" % t["id"]
    check_error(call("PATCH", path, STAFF, {"assigneeId": EMPLOYEE}), 400, "BadRequestException",
                "Assignee must be IT Staff or Admin")
    check_error(call("PATCH", path, STAFF, {"assigneeId": 999999}), 400, "BadRequestException", "Assignee not found")
    check_error(call("PATCH", path, STAFF, {"assigneeId": user("http_tk_gone", "IT_Staff", active=False)}), 400,
                "BadRequestException", "Assignee is not active")
    check_error(call("PATCH", path, STAFF, {"categoryId": 999999}), 400, "BadRequestException", "Category not found")
    j = check_success(call("PATCH", path, STAFF, {"assigneeId": STAFF, "categoryId": 2}), 200, UPDATED)["data"]
    check(j["assigneeId"] == STAFF and j["assignee"]["id"] == STAFF and j["category"]["id"] == 2, j)
    check_error(call("PATCH", "/tickets/999999", STAFF, {"title": "Nobody here"}), 404, "NotFoundException")


# ---- lifecycle ----

def test_full_lifecycle_and_action_rules():
    t = new_ticket(EMPLOYEE)
    p = "/tickets/%d" % t["id"]
    check_error(call("POST", p + "/assign", EMPLOYEE, {"assigneeId": STAFF}), 403, "ForbiddenException")
    check_error(call("POST", p + "/assign", STAFF, {"assigneeId": EMPLOYEE}), 400, "BadRequestException",
                "Assignee must be IT Staff or Admin")
    check_error(call("POST", p + "/assign", STAFF, {}), 400, "BadRequestException")
    j = post(p + "/assign", ADMIN, {"assigneeId": STAFF})
    check(j["status"] == "Assigned" and j["assigneeId"] == STAFF, j)
    check_error(call("POST", p + "/start-progress", ADMIN), 403, "ForbiddenException",
                "Only the assigned user can start progress on this ticket")
    check_error(call("POST", p + "/resolve", STAFF, {"resolutionNotes": "Fixed it properly"}), 400, "BadRequestException")
    j = post(p + "/start-progress", STAFF)
    check(j["status"] == "In Progress", j)
    check_error(call("POST", p + "/start-progress", STAFF), 400, "BadRequestException")
    check_error(call("POST", p + "/rate", EMPLOYEE, {"rating": 5}), 400, "BadRequestException",
                "Only resolved or closed tickets can be rated")
    check_error(call("POST", p + "/resolve", STAFF, {"resolutionNotes": "short"}), 400, "BadRequestException",
                "resolutionNotes must be longer than or equal to 10 characters")
    check_error(call("POST", p + "/resolve", ADMIN, {"resolutionNotes": "Not my ticket to resolve"}), 403, "ForbiddenException",
                "Only the assigned user can resolve this ticket")
    j = post(p + "/resolve", STAFF, {"resolutionNotes": "Replaced the toner cartridge"})
    check(j["status"] == "Resolved" and j["resolvedAt"] and j["resolutionNotes"] == "Replaced the toner cartridge", j)
    check_error(call("POST", p + "/close", STAFF), 403, "ForbiddenException", "You do not have permission to close this ticket")
    check_error(call("POST", p + "/close", user("http_tk_emp2")), 403, "ForbiddenException",
                "You do not have permission to close this ticket")
    check_error(call("POST", p + "/rate", STAFF, {"rating": 5}), 403, "ForbiddenException",
                "You do not have permission to rate this ticket")
    j = post(p + "/close", EMPLOYEE)
    check(j["status"] == "Closed" and j["closedAt"] and j["resolvedAt"], j)
    check_error(call("POST", p + "/rate", EMPLOYEE, {"rating": 6}), 400, "BadRequestException", "rating must not be greater than 5")
    check_error(call("POST", p + "/rate", EMPLOYEE, {"rating": 4, "comment": "a", "satisfactionFeedback": "b"}), 400, "BadRequestException")
    j = post(p + "/rate", EMPLOYEE, {"rating": 4, "satisfactionFeedback": "Quick and friendly"})
    check(j["satisfactionRating"] == 4 and j["satisfactionFeedback"] == "Quick and friendly"
          and j["satisfactionComment"] == "Quick and friendly", j)
    check_error(call("POST", p + "/rate", EMPLOYEE, {"rating": 5, "comment": "again"}), 409, "ConflictException",
                "Ticket has already been rated")
    check_error(call("POST", p + "/reopen", user("http_tk_emp2")), 403, "ForbiddenException",
                "You do not have permission to reopen this ticket")
    j = post(p + "/reopen", EMPLOYEE)
    check(j["status"] == "New" and j["resolvedAt"] is None and j["closedAt"] is None and j["resolutionNotes"] is None, j)
    check(j["assigneeId"] == STAFF, "assignee kept")
    check_error(call("POST", p + "/reopen", EMPLOYEE), 400, "BadRequestException", "Only resolved or closed tickets can be reopened")


def test_admin_close_and_change_status_table():
    t = new_ticket()
    p = "/tickets/%d" % t["id"]
    check_error(call("POST", p + "/close", ADMIN), 400, "BadRequestException", "Cannot close a ticket with status New")
    check_error(call("POST", p + "/change-status", STAFF, {"status": "New"}), 400, "BadRequestException",
                "Cannot transition from New to New")
    check_error(call("POST", p + "/change-status", STAFF, {"status": "Pending"}), 400, "BadRequestException",
                "Cannot transition from New to Pending")
    check_error(call("POST", p + "/change-status", STAFF, {"status": "Bogus"}), 400, "BadRequestException")
    check_error(call("POST", p + "/change-status", STAFF, {}), 400, "BadRequestException")
    check_error(call("POST", p + "/change-status", user("http_tk_emp2"), {"status": "Closed"}), 403, "ForbiddenException")
    j = post(p + "/change-status", STAFF, {"status": "In Progress"})
    check(j["status"] == "In Progress", j)
    j = post(p + "/change-status", STAFF, {"status": "Resolved"})
    check(j["status"] == "Resolved" and j["resolvedAt"], j)
    j = post(p + "/change-status", STAFF, {"status": "In Progress"})
    check(j["status"] == "In Progress" and j["resolvedAt"] is None, "leaving Resolved clears resolvedAt")
    j = post(p + "/close", ADMIN)
    check(j["status"] == "Closed" and j["closedAt"], j)
    j = post(p + "/change-status", EMPLOYEE, {"status": "Assigned"})
    check(j["status"] == "Assigned" and j["closedAt"] is None, j)
    check_error(call("POST", "/tickets/999999/change-status", STAFF, {"status": "Closed"}), 404, "NotFoundException")


def test_delete():
    t = new_ticket()
    check_error(call("DELETE", "/tickets/%d" % t["id"], STAFF), 403, "ForbiddenException", "Access denied. Required roles: Admin")
    check_error(call("DELETE", "/tickets/%d" % t["id"], EMPLOYEE), 403, "ForbiddenException")
    j = check_success(call("DELETE", "/tickets/%d" % t["id"], ADMIN), 200, "Resource deleted successfully")
    check(j["data"] == {"message": "Ticket deleted successfully"}, j)
    check_error(call("GET", "/tickets/%d" % t["id"]), 404, "NotFoundException")
    check_error(call("DELETE", "/tickets/%d" % t["id"], ADMIN), 404, "NotFoundException")
    t2 = new_ticket()
    check(t2["ticketNumber"] != t["ticketNumber"], "numbers are not reused")


# ---- bulk ----

def test_bulk_assign():
    a, b, c = new_ticket(), new_ticket(), new_ticket()
    post("/tickets/%d/change-status" % c["id"], STAFF, {"status": "Closed"})
    body = {"ticketIds": [a["id"], b["id"], c["id"], 999999], "assigneeId": STAFF}
    check_error(call("POST", "/tickets/bulk-assign", EMPLOYEE, body), 403, "ForbiddenException")
    check_error(call("POST", "/tickets/bulk-assign", STAFF, dict(body, assigneeId=EMPLOYEE)), 400, "BadRequestException",
                "Can only assign to IT Staff or Admin")
    check_error(call("POST", "/tickets/bulk-assign", STAFF, dict(body, assigneeId=999999)), 400, "BadRequestException",
                "Assignee not found")
    check_error(call("POST", "/tickets/bulk-assign", STAFF, dict(body, ticketIds=[])), 400, "BadRequestException")
    check_error(call("POST", "/tickets/bulk-assign", STAFF, dict(body, ticketIds=[1, "x"])), 400, "BadRequestException")
    r = post("/tickets/bulk-assign", STAFF, body)
    check(r == {"success": 2, "failed": 2, "errors": ["Ticket %d: Cannot assign a ticket with status Closed" % c["id"],
                                                    "Ticket 999999: Not found"]}, r)
    for t in (a, b):
        got = check_success(call("GET", "/tickets/%d" % t["id"]))["data"]
        check(got["assigneeId"] == STAFF and got["status"] == "Assigned", got)


def test_bulk_status_applies_the_state_machine_per_item():
    a, b = new_ticket(EMPLOYEE), new_ticket(EMPLOYEE)
    theirs = new_ticket(user("http_tk_emp2"))
    post("/tickets/%d/change-status" % b["id"], STAFF, {"status": "In Progress"})
    r = post("/tickets/bulk-status", STAFF, {"ticketIds": [a["id"], b["id"]], "status": "Resolved"})
    check(r == {"success": 1, "failed": 1, "errors": ["Ticket %d: Cannot transition from New to Resolved" % a["id"]]}, r)
    got = check_success(call("GET", "/tickets/%d" % b["id"]))["data"]
    check(got["status"] == "Resolved" and got["resolvedAt"], got)
    got = check_success(call("GET", "/tickets/%d" % a["id"]))["data"]
    check(got["status"] == "New", "failed item untouched")
    r = post("/tickets/bulk-status", EMPLOYEE, {"ticketIds": [a["id"], theirs["id"]], "status": "Closed"})
    check(r == {"success": 1, "failed": 1,
                "errors": ["Ticket %d: You do not have permission to view this ticket" % theirs["id"]]}, r)
    check_error(call("POST", "/tickets/bulk-status", STAFF, {"ticketIds": [a["id"]], "status": "Gone"}), 400, "BadRequestException")
    check_error(call("POST", "/tickets/bulk-status", STAFF, {"ticketIds": [a["id"]]}), 400, "BadRequestException")


def test_bulk_delete():
    a, b = new_ticket(), new_ticket()
    check_error(call("POST", "/tickets/bulk-delete", STAFF, {"ticketIds": [a["id"]]}), 403, "ForbiddenException")
    r = post("/tickets/bulk-delete", ADMIN, {"ticketIds": [a["id"], 999999, b["id"], a["id"]]})
    check(r == {"success": 2, "failed": 1, "errors": ["Ticket 999999: Not found"]}, r)
    check_error(call("GET", "/tickets/%d" % a["id"]), 404, "NotFoundException")
    check_error(call("POST", "/tickets/bulk-delete", ADMIN, {"ticketIds": list(range(1, 1002))}), 400, "BadRequestException")


# ---- every route, every role, over HTTP ----

def _fresh(status):
    """A ticket of EMPLOYEE assigned to STAFF, put straight into `status`."""
    t = new_ticket(EMPLOYEE)
    sql("UPDATE helpdesk.tickets SET status = '%s', assignee_id = %d, "
        "resolved_at = CASE WHEN '%s' IN ('Resolved', 'Closed') THEN now() END, "
        "closed_at = CASE WHEN '%s' = 'Closed' THEN now() END WHERE id = %d"
        % (status, STAFF, status, status, t["id"]))
    return t["id"]


def test_route_role_matrix():
    other = user("http_tk_emp2")
    ok_post, ok = 201, 200
    # (method, path template, body, status the ticket is in, {user: expected HTTP status})
    cases = [
        ("GET", "/tickets/%d", None, "New", {ADMIN: ok, STAFF: ok, EMPLOYEE: ok, other: 403}),
        ("PATCH", "/tickets/%d", {"title": "Matrix title"}, "New", {ADMIN: ok, STAFF: ok, EMPLOYEE: ok, other: 403}),
        ("POST", "/tickets/%d/change-status", {"status": "Closed"}, "New", {ADMIN: ok_post, STAFF: ok_post, EMPLOYEE: ok_post, other: 403}),
        ("POST", "/tickets/%d/assign", {"assigneeId": STAFF}, "New", {ADMIN: ok_post, STAFF: ok_post, EMPLOYEE: 403, other: 403}),
        ("POST", "/tickets/%d/start-progress", None, "Assigned", {ADMIN: 403, STAFF: ok_post, EMPLOYEE: 403, other: 403}),
        ("POST", "/tickets/%d/resolve", {"resolutionNotes": "Matrix resolution"}, "In Progress",
         {ADMIN: 403, STAFF: ok_post, EMPLOYEE: 403, other: 403}),
        ("POST", "/tickets/%d/close", None, "Resolved", {ADMIN: ok_post, STAFF: 403, EMPLOYEE: ok_post, other: 403}),
        ("POST", "/tickets/%d/reopen", None, "Closed", {ADMIN: ok_post, STAFF: ok_post, EMPLOYEE: ok_post, other: 403}),
        ("POST", "/tickets/%d/rate", {"rating": 3}, "Closed", {ADMIN: 403, STAFF: 403, EMPLOYEE: ok_post, other: 403}),
        ("DELETE", "/tickets/%d", None, "New", {ADMIN: ok, STAFF: 403, EMPLOYEE: 403, other: 403}),
    ]
    for method, tmpl, body, status, expected in cases:
        for who, code in expected.items():
            tid = _fresh(status)
            r = call(method, tmpl % tid, who, body)
            check(r.status == code, "%s %s as %d from %s: %r" % (method, tmpl, who, status, r))
            if code >= 400:
                check_error(r, code)
        # bad ids never reach 500
        check_error(call(method, (tmpl % 1).replace("/1", "/abc", 1), ADMIN, body), 400, "BadRequestException",
                    "Validation failed (numeric string is expected)")
        check_error(call(method, tmpl % 2147483647, ADMIN, body), 404, "NotFoundException")
    for path in ("/tickets", "/tickets/stats", "/tickets/my-tickets"):
        for who in (ADMIN, STAFF, EMPLOYEE, other):
            check_success(call("GET", path, who))
        check_error(call("GET", path, None), 401, "UnauthorizedException")
    for who, code in ((ADMIN, ok), (STAFF, ok), (EMPLOYEE, 403), (other, 403)):
        check(call("GET", "/tickets/assigned-to-me", who).status == code, "assigned-to-me as %d" % who)


def test_parallel_creation_numbers_unique_and_consecutive():
    import threading
    results, errors = [], []

    def worker(i):
        try:
            r = call("POST", "/tickets", EMPLOYEE if i % 2 else STAFF,
                     {"title": "Parallel %d" % i, "description": "Created concurrently", "categoryId": 1})
            if r.status != 201:
                errors.append(r)
            else:
                results.append(r.json["data"]["ticketNumber"])
        except Exception as e:  # noqa: BLE001 - reported below
            errors.append(e)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(40)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    check(not errors, errors[:3])
    check(len(set(results)) == 40, "duplicates: %r" % sorted(results))
    years = {n.split("-")[1] for n in results}
    check(len(years) == 1, years)
    seq = sorted(int(n.split("-")[2]) for n in results)
    check(seq == list(range(seq[0], seq[0] + 40)), "gaps: %r" % seq)
