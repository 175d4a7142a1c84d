"""SLA clock routes end to end: timeline, status, at-risk, breached; every role; the clocks
driven through the ticket and comment routes. Tickets placed in time are written in SQL (in a
category of their own) and deleted at the end, so other suites see none of them."""
import uuid

from hdlib import bearer, check, check_error, check_success, claims, make_jwt, request
from hdlib import psql

sql = psql

ADMIN, STAFF, EMPLOYEE = 1, 2, 3
STATUS_KEYS = {"ticketId", "status", "dueDate", "timeRemaining", "percentageUsed", "isBreached", "isAtRisk",
               "isPaused", "businessHoursUsed", "businessHoursTarget", "response"}
LIST_KEYS = {"id", "ticketNumber", "title", "priority", "status", "dueDate", "createdAt", "assigneeId"}


def call(method, path, user=ADMIN, body=None):
    headers = bearer(make_jwt(claims(sub=user))) if user else {}
    return request(method, "/api/v1" + path, body=body, headers=headers)




def category():
    return int(sql("INSERT INTO helpdesk.categories (name) VALUES ('SLA HTTP') ON CONFLICT DO NOTHING; "
                   "SELECT id FROM helpdesk.categories WHERE name = 'SLA HTTP'").splitlines()[-1])


def sql_ticket(priority, created_at_sql, submitter=EMPLOYEE):
    """A ticket written in SQL with the given creation instant (an SQL expression)."""
    number = "SLA-HTTP-" + uuid.uuid4().hex[:8]
    return int(sql(
        "INSERT INTO helpdesk.tickets (ticket_number, title, description, category_id, priority, submitter_id, created_at) "
        "VALUES ('%s', 'SLA HTTP %s', 'Placed in time by the SLA tests', %d, '%s', %d, %s) RETURNING id"
        % (number, number, category(), priority, submitter, created_at_sql)).splitlines()[-1])


# An instant whose business time to now is about 3.6 h of a High ticket's 4 h (at risk, whatever
# the default calendar), and one long ago (breached).
AT_RISK_START = ("(SELECT s FROM generate_series(now() - interval '14 days', now(), interval '2 minutes') s "
                 "WHERE helpdesk.sla_between(s, now()) BETWEEN interval '3 hours 30 minutes' AND interval '3 hours 50 minutes' "
                 "ORDER BY s DESC LIMIT 1)")
LONG_AGO = "now() - interval '60 days'"
UPDATED = "Resource updated successfully"


def cleanup():
    sql("DELETE FROM helpdesk.tickets WHERE category_id IN (SELECT id FROM helpdesk.categories WHERE name = 'SLA HTTP')")


def test_timeline_roles_and_shape():
    tid = sql_ticket("High", "now()")
    for who in (EMPLOYEE, STAFF, ADMIN):
        events = check_success(call("GET", "/sla/tickets/%d/timeline" % tid, who))["data"]
        check(isinstance(events, list) and len(events) == 2, "events %r" % events)
        check({e["clock"] for e in events} == {"response", "resolution"}, "clocks %r" % events)
        check(all(e["event"] == "started" and e["ticketId"] == tid for e in events), "started %r" % events)
        check(set(events[0]) >= {"id", "clock", "cycle", "event", "at", "dueBefore", "dueAfter",
                                 "businessHoursUsed", "businessHoursTarget", "detail", "createdAt"}, "keys %r" % events[0])
    other = sql_ticket("High", "now()", submitter=ADMIN)
    check_error(call("GET", "/sla/tickets/%d/timeline" % other, EMPLOYEE), 403, "ForbiddenException",
                "You do not have permission to view this ticket")
    check_error(call("GET", "/sla/tickets/999999/timeline", STAFF), 404, "NotFoundException",
                "Ticket with ID 999999 not found")
    check_error(call("GET", "/sla/tickets/%d/timeline" % tid, None), 401)
    check_error(call("GET", "/sla/tickets/abc/timeline", STAFF), 400)
    cleanup()


def test_status_roles_and_shape():
    tid = sql_ticket("High", "now()")
    for who in (EMPLOYEE, STAFF, ADMIN):
        st = check_success(call("GET", "/sla/tickets/%d/status" % tid, who))["data"]
        check(set(st) == STATUS_KEYS, "keys %r" % sorted(st))
        check(st["ticketId"] == tid and st["status"] in ("met", "at_risk"), "status %r" % st)
        check(st["isBreached"] is False and st["businessHoursTarget"] == 4, "values %r" % st)
        check(st["response"]["status"] in ("met", "at_risk") and st["response"]["respondedAt"] is None,
              "response %r" % st["response"])
    other = sql_ticket("High", "now()", submitter=ADMIN)
    check_error(call("GET", "/sla/tickets/%d/status" % other, EMPLOYEE), 403, "ForbiddenException")
    check_error(call("GET", "/sla/tickets/999999/status", ADMIN), 404, "NotFoundException")
    check_error(call("GET", "/sla/tickets/%d/status" % tid, None), 401)
    breached = sql_ticket("High", LONG_AGO)
    st = check_success(call("GET", "/sla/tickets/%d/status" % breached, EMPLOYEE))["data"]
    check(st["status"] == "breached" and st["isBreached"] is True and st["percentageUsed"] == 100, "breached %r" % st)
    check(st["timeRemaining"].startswith("-") and st["timeRemaining"].endswith("(overdue)"), "remaining %r" % st)
    cleanup()


def test_at_risk_and_breached_lists():
    risky = sql_ticket("High", AT_RISK_START)
    late = sql_ticket("High", LONG_AGO)
    fine = sql_ticket("Low", "now()")
    for who in (STAFF, ADMIN):
        at_risk = check_success(call("GET", "/sla/at-risk", who))["data"]
        check(isinstance(at_risk, list), "array %r" % at_risk)
        ids = [t["id"] for t in at_risk]
        check(risky in ids and late not in ids and fine not in ids, "at-risk ids %r" % ids)
        item = [t for t in at_risk if t["id"] == risky][0]
        check(set(item) == LIST_KEYS | {"percentageUsed"}, "keys %r" % sorted(item))
        check(80 <= item["percentageUsed"] < 100, "percentage %r" % item)
        breached = check_success(call("GET", "/sla/breached", who))["data"]
        ids = [t["id"] for t in breached]
        check(late in ids and risky not in ids and fine not in ids, "breached ids %r" % ids)
        item = [t for t in breached if t["id"] == late][0]
        check(set(item) == LIST_KEYS | {"breachedBy"}, "keys %r" % sorted(item))
        check(isinstance(item["breachedBy"], int) and item["breachedBy"] >= 24 * 50, "breachedBy %r" % item)
    for path in ("/sla/at-risk", "/sla/breached"):
        check_error(call("GET", path, EMPLOYEE), 403, "ForbiddenException", "Access denied. Required roles: IT_Staff, Admin")
        check_error(call("GET", path, None), 401)
    cleanup()


def test_clocks_follow_the_ticket_routes():
    cat = category()
    t = check_success(call("POST", "/tickets", EMPLOYEE, {"title": "Clock via the API", "description": "Paused and resumed",
                                                          "categoryId": cat, "priority": "High"}), 201,
                      "Resource created successfully")["data"]
    tid = t["id"]
    st = check_success(call("GET", "/sla/tickets/%d/status" % tid, EMPLOYEE))["data"]
    check(st["dueDate"] == t["dueDate"], "ticket dueDate %r vs status %r" % (t["dueDate"], st["dueDate"]))
    # an employee's comment is no response; a staff public comment is
    check_success(call("POST", "/tickets/%d/comments" % tid, EMPLOYEE, {"content": "Any news?"}), 201,
                  "Resource created successfully")
    check(call("GET", "/sla/tickets/%d/status" % tid, STAFF).json["data"]["response"]["respondedAt"] is None,
          "employee comment counted as a response")
    check_success(call("POST", "/tickets/%d/comments" % tid, STAFF, {"content": "Looking into it", "type": "public"}),
                  201, "Resource created successfully")
    resp = call("GET", "/sla/tickets/%d/status" % tid, STAFF).json["data"]["response"]
    check(resp["respondedAt"] is not None and resp["status"] == "met", "response %r" % resp)
    # Pending pauses: no due date; leaving it resumes
    check_success(call("POST", "/tickets/%d/assign" % tid, STAFF, {"assigneeId": STAFF}), 201, "Resource created successfully")
    paused = check_success(call("POST", "/tickets/%d/change-status" % tid, STAFF, {"status": "Pending"}), 201,
                           "Resource created successfully")["data"]
    check(paused["dueDate"] is None, "due date while pending %r" % paused["dueDate"])
    st = call("GET", "/sla/tickets/%d/status" % tid, STAFF).json["data"]
    check(st["isPaused"] is True and st["timeRemaining"] is not None, "paused %r" % st)
    resumed = check_success(call("POST", "/tickets/%d/change-status" % tid, STAFF, {"status": "In Progress"}), 201,
                            "Resource created successfully")["data"]
    check(resumed["dueDate"] is not None, "no due date after resume")
    events = [e["event"] for e in call("GET", "/sla/tickets/%d/timeline" % tid, EMPLOYEE).json["data"]
              if e["clock"] == "resolution"]
    check(events == ["started", "paused", "resumed"], "resolution events %r" % events)
    cleanup()


def wait_for(query, timeout=30):
    """Polls an SQL condition (at most `timeout` seconds) until it holds: the watcher's work."""
    import time
    end = time.time() + timeout
    while time.time() < end:
        if psql(query) == "t":
            return True
        time.sleep(0.2)
    return False


def recomputed():
    """The watcher is through with every recomputation asked for."""
    return wait_for("SELECT NOT EXISTS (SELECT FROM helpdesk.sla_recompute_requests)")


def test_rule_edit_moves_open_tickets_deadlines():
    # An Admin's edit of the High rule is done by the watcher on every open ticket: the ticket's
    # dueDate follows within a moment, its timeline names the change.
    check(recomputed(), "a recomputation left pending by the fixture")
    tid = sql_ticket("High", "now() - interval '10 minutes'")
    high = [r for r in check_success(call("GET", "/sla/rules", ADMIN))["data"] if r["priority"] == "High"][0]
    before = check_success(call("GET", "/sla/tickets/%d/status" % tid, STAFF))["data"]
    check(before["businessHoursTarget"] == high["resolutionTimeHours"], "target %r" % before)
    try:
        check_success(call("PUT", "/sla/rules/%d" % high["id"], ADMIN,
                           {"resolutionTimeHours": high["resolutionTimeHours"] + 6}), 200, UPDATED)
        check(wait_for("SELECT target = interval '%d hours' FROM helpdesk.sla_clocks WHERE ticket_id = %d AND kind = 'resolution'"
                       % (high["resolutionTimeHours"] + 6, tid)), "the watcher did not recompute the ticket")
        after = check_success(call("GET", "/sla/tickets/%d/status" % tid, STAFF))["data"]
        check(after["businessHoursTarget"] == high["resolutionTimeHours"] + 6 and after["dueDate"] > before["dueDate"],
              "after %r, before %r" % (after, before))
        events = check_success(call("GET", "/sla/tickets/%d/timeline" % tid, STAFF))["data"]
        check(any(e["event"] == "recalculated" and e["clock"] == "resolution"
                  and e["detail"].startswith("SLA rule changed: High") for e in events), "events %r" % events)
    finally:
        check_success(call("PUT", "/sla/rules/%d" % high["id"], ADMIN,
                           {"resolutionTimeHours": high["resolutionTimeHours"]}), 200, UPDATED)
        check(recomputed(), "the watcher did not finish the recomputation")
        cleanup()


def test_breach_follows_the_current_deadline():
    # A High ticket 30 days old is breached, and the watcher records it. Lowered to Low, with a
    # Low rule of 2,000 hours (a deadline far ahead), it is no longer breached: not in the
    # breached list, slaBreached false; the breach stays in its timeline.
    check(recomputed(), "a recomputation left pending by the fixture")
    tid = sql_ticket("High", "now() - interval '30 days'")
    check(wait_for("SELECT EXISTS (SELECT FROM helpdesk.sla_events WHERE ticket_id = %d AND clock = 'resolution' "
                   "AND event = 'breached')" % tid), "no breach recorded by the watcher")
    st = check_success(call("GET", "/sla/tickets/%d/status" % tid, STAFF))["data"]
    check(st["status"] == "breached" and st["isBreached"] is True, "status %r" % st)
    check(tid in [t["id"] for t in check_success(call("GET", "/sla/breached", STAFF))["data"]], "breached list")
    low = [r for r in check_success(call("GET", "/sla/rules", ADMIN))["data"] if r["priority"] == "Low"][0]
    try:
        check_success(call("PUT", "/sla/rules/%d" % low["id"], ADMIN, {"resolutionTimeHours": 2000}), 200, UPDATED)
        check(recomputed(), "the watcher did not finish the recomputation")
        check_success(call("PATCH", "/tickets/%d" % tid, ADMIN, {"priority": "Low"}), 200, UPDATED)
        st = check_success(call("GET", "/sla/tickets/%d/status" % tid, STAFF))["data"]
        check(st["status"] != "breached" and st["isBreached"] is False, "status after the move %r" % st)
        check(tid not in [t["id"] for t in check_success(call("GET", "/sla/breached", STAFF))["data"]],
              "still in the breached list")
        ticket = check_success(call("GET", "/tickets/%d" % tid, STAFF))["data"]
        check(ticket["slaBreached"] is False, "ticket %r" % ticket)
        events = [e for e in check_success(call("GET", "/sla/tickets/%d/timeline" % tid, STAFF))["data"]
                  if e["clock"] == "resolution"]
        check([e["event"] for e in events][-2:] == ["breached", "recalculated"]
              and "no longer breached" in events[-1]["detail"], "timeline %r" % events)
    finally:
        check_success(call("PUT", "/sla/rules/%d" % low["id"], ADMIN, {"resolutionTimeHours": low["resolutionTimeHours"]}),
                      200, UPDATED)
        check(recomputed(), "the watcher did not finish the recomputation")
        cleanup()
