"""Escalation end to end: the nine routes, every role, bad input, once per level, and the watcher
escalating a breached ticket on its own. Rules made here apply only to the category 'Escalation
HTTP' and are deleted at the end, with their tickets."""
import time
import uuid

from hdlib import bearer, check, check_error, check_success, claims, make_jwt, request
from hdlib import psql

sql = psql

ADMIN, STAFF, EMPLOYEE = 1, 2, 3
CREATED = "Resource created successfully"
UPDATED = "Resource updated successfully"
DELETED = "Resource deleted successfully"
RULE_KEYS = {"id", "name", "description", "priority", "categoryId", "triggerType", "triggerHours", "escalationLevel",
             "targetType", "targetRole", "targetUserId", "notifyManager", "isActive", "createdAt", "updatedAt"}
HISTORY_KEYS = {"id", "ticketId", "ruleId", "fromLevel", "toLevel", "escalatedBy", "escalatedToUserId",
                "escalatedToRole", "reason", "createdAt", "rule", "escalatedToUser"}


def call(method, path, user=ADMIN, body=None):
    headers = bearer(make_jwt(claims(sub=user))) if user else {}
    return request(method, "/api/v1" + path, body=body, headers=headers)




def category():
    return int(sql("INSERT INTO helpdesk.categories (name) VALUES ('Escalation HTTP') ON CONFLICT DO NOTHING; "
                   "SELECT id FROM helpdesk.categories WHERE name = 'Escalation HTTP'").splitlines()[-1])


def sql_ticket(priority="High", created_at_sql="now()", submitter=EMPLOYEE):
    number = "ESC-HTTP-" + uuid.uuid4().hex[:8]
    return int(sql(
        "INSERT INTO helpdesk.tickets (ticket_number, title, description, category_id, priority, submitter_id, created_at) "
        "VALUES ('%s', 'Escalation HTTP %s', 'Escalation tests', %d, '%s', %d, %s) RETURNING id"
        % (number, number, category(), priority, submitter, created_at_sql)).splitlines()[-1])


def new_rule(**fields):
    body = {"name": "HTTP rule " + uuid.uuid4().hex[:6], "triggerType": "sla_breached", "escalationLevel": 1,
            "targetType": "manager", "categoryId": category()}
    body.update(fields)
    return check_success(call("POST", "/escalation/rules", ADMIN, body), 201, CREATED)["data"]


def cleanup():
    cat = category()
    sql("DELETE FROM helpdesk.tickets WHERE category_id = %d; DELETE FROM helpdesk.escalation_rules WHERE category_id = %d"
        % (cat, cat))


def test_rules_create_roles_and_validation():
    r = new_rule(description="escalate breached tickets", priority="High", triggerType="sla_at_risk",
                 escalationLevel=2, targetType="role", targetRole="IT_Staff", notifyManager=False)
    check(set(r) == RULE_KEYS, "keys %r" % sorted(r))
    check(r["targetRole"] == "IT_Staff" and r["notifyManager"] is False and r["isActive"] is True, "rule %r" % r)
    body = {"name": "x", "triggerType": "sla_breached", "escalationLevel": 1, "targetType": "manager"}
    check_error(call("POST", "/escalation/rules", STAFF, body), 403, "ForbiddenException",
                "Access denied. Required roles: Admin")
    check_error(call("POST", "/escalation/rules", EMPLOYEE, body), 403, "ForbiddenException")
    check_error(call("POST", "/escalation/rules", None, body), 401)
    for bad, message in (
            ({"triggerType": "sla_breached", "escalationLevel": 1, "targetType": "manager"}, "name should not be empty"),
            (dict(body, triggerType="late"), "triggerType must be one of the following values"),
            (dict(body, escalationLevel=6), "escalationLevel must not be greater than 5"),
            (dict(body, escalationLevel=0), "escalationLevel must not be less than 1"),
            (dict(body, triggerType="no_assignment"), "triggerHours is required for trigger type no_assignment"),
            (dict(body, targetType="role"), "targetRole is required for target type role"),
            (dict(body, targetType="user"), "targetUserId is required for target type user"),
            (dict(body, targetType="user", targetUserId=999999), "Target user not found"),
            (dict(body, categoryId=999999), "Category not found"),
            (dict(body, extra=1), "property extra should not exist")):
        j = check_error(call("POST", "/escalation/rules", ADMIN, bad), 400, "BadRequestException")
        check(j["message"].startswith(message), "%r -> %r" % (bad, j["message"]))
    cleanup()


def test_rules_list_get_update_delete():
    r = new_rule(priority="Low", escalationLevel=3)
    for who in (STAFF, ADMIN):
        rules = check_success(call("GET", "/escalation/rules", who))["data"]
        mine = [x for x in rules if x["id"] == r["id"]]
        check(len(mine) == 1 and mine[0]["category"]["name"] == "Escalation HTTP", "list %r" % mine)
        levels = [x["escalationLevel"] for x in rules]
        check(levels == sorted(levels), "ordered by level %r" % levels)
    check_error(call("GET", "/escalation/rules", EMPLOYEE), 403, "ForbiddenException",
                "Access denied. Required roles: Admin, IT_Staff")
    got = check_success(call("GET", "/escalation/rules?priority=Low&isActive=true&categoryId=%d" % category(), STAFF))["data"]
    check([x["id"] for x in got] == [r["id"]], "filtered %r" % got)
    check(check_success(call("GET", "/escalation/rules?priority=High&categoryId=%d" % category(), STAFF))["data"] == [],
          "priority filter")
    check_error(call("GET", "/escalation/rules?triggerType=late", STAFF), 400)
    one = check_success(call("GET", "/escalation/rules/%d" % r["id"], STAFF))["data"]
    check(one["id"] == r["id"] and one["category"]["id"] == category(), "get %r" % one)
    check_error(call("GET", "/escalation/rules/999999", STAFF), 404, "NotFoundException",
                "Escalation rule with ID 999999 not found")
    up = check_success(call("PUT", "/escalation/rules/%d" % r["id"], ADMIN, {"escalationLevel": 4, "isActive": False}),
                       200, UPDATED)["data"]
    check(up["escalationLevel"] == 4 and up["isActive"] is False and up["name"] == r["name"], "update %r" % up)
    check_error(call("PUT", "/escalation/rules/%d" % r["id"], STAFF, {"isActive": True}), 403)
    check_error(call("PUT", "/escalation/rules/%d" % r["id"], ADMIN, {"escalationLevel": 9}), 400)
    check_error(call("PUT", "/escalation/rules/999999", ADMIN, {"isActive": True}), 404)
    check_error(call("DELETE", "/escalation/rules/%d" % r["id"], STAFF), 403)
    d = check_success(call("DELETE", "/escalation/rules/%d" % r["id"], ADMIN), 200, DELETED)["data"]
    check(d == {"message": "Escalation rule deleted successfully"}, "delete %r" % d)
    check_error(call("DELETE", "/escalation/rules/%d" % r["id"], ADMIN), 404)
    cleanup()


def test_manual_escalation_and_history():
    r = new_rule(escalationLevel=2, targetType="user", targetUserId=STAFF)
    tid = sql_ticket()
    h = check_success(call("POST", "/escalation/tickets/%d/escalate" % tid, ADMIN, {"ruleId": r["id"]}), 201, CREATED)["data"]
    check(set(h) == HISTORY_KEYS, "keys %r" % sorted(h))
    check(h["escalatedBy"] == str(ADMIN) and h["toLevel"] == 2 and h["escalatedToUserId"] == STAFF, "row %r" % h)
    check(h["rule"] == {"id": r["id"], "name": r["name"]}, "rule %r" % h["rule"])
    # once per level
    check_error(call("POST", "/escalation/tickets/%d/escalate" % tid, STAFF, {"ruleId": r["id"]}), 409, "ConflictException")
    check_error(call("POST", "/escalation/tickets/%d/escalate" % tid, EMPLOYEE, {"ruleId": r["id"]}), 403)
    check_error(call("POST", "/escalation/tickets/%d/escalate" % tid, STAFF, {}), 400)
    check_error(call("POST", "/escalation/tickets/%d/escalate" % tid, STAFF, {"ruleId": 999999}), 404)
    check_error(call("POST", "/escalation/tickets/999999/escalate", STAFF, {"ruleId": r["id"]}), 404)
    # the reassignment is an ordinary ticket change: the ticket's history shows it
    ticket = check_success(call("GET", "/tickets/%d" % tid, STAFF))["data"]
    check(ticket["assigneeId"] == STAFF, "assignee %r" % ticket["assigneeId"])
    actions = [x["action"] for x in check_success(call("GET", "/ticket-history/ticket/%d" % tid, STAFF))["data"]]
    check("escalated" in actions and "assigned" in actions, "history %r" % actions)
    # history by ticket follows the ticket's visibility
    rows = check_success(call("GET", "/escalation/history/ticket/%d" % tid, EMPLOYEE))["data"]
    check([x["id"] for x in rows] == [h["id"]], "by ticket %r" % rows)
    other = sql_ticket(submitter=ADMIN)
    check_error(call("GET", "/escalation/history/ticket/%d" % other, EMPLOYEE), 403, "ForbiddenException")
    # the list: staff only, filters
    rows = check_success(call("GET", "/escalation/history?ticketId=%d" % tid, STAFF))["data"]
    check([x["id"] for x in rows] == [h["id"]] and rows[0]["ticket"]["id"] == tid, "list %r" % rows)
    check(check_success(call("GET", "/escalation/history?ticketId=%d&endDate=2000-01-01" % tid, ADMIN))["data"] == [],
          "date filter")
    check_error(call("GET", "/escalation/history?startDate=soon", ADMIN), 400)
    check_error(call("GET", "/escalation/history", EMPLOYEE), 403)
    cleanup()


def test_check_now_and_the_watcher():
    # check-now: Admin only, answers escalatedCount
    j = check_success(call("POST", "/escalation/check-now", ADMIN), 201, CREATED)["data"]
    check(j["message"] == "Escalation check triggered successfully" and isinstance(j["escalatedCount"], int), "%r" % j)
    check_error(call("POST", "/escalation/check-now", STAFF), 403, "ForbiddenException", "Access denied. Required roles: Admin")
    check_error(call("POST", "/escalation/check-now", EMPLOYEE), 403)
    # a rule and a ticket breached long ago: the watcher (woken by the insert) escalates it
    # without anyone calling check-now
    r = new_rule(priority="High", escalationLevel=1, targetType="manager")
    tid = sql_ticket("High", "now() - interval '60 days'")
    # (the demo's own "High Priority SLA Breach" rule escalates it too: only ours is looked at)
    mine = []
    deadline = time.time() + 30
    while time.time() < deadline:
        rows = check_success(call("GET", "/escalation/history/ticket/%d" % tid, ADMIN))["data"]
        mine = [x for x in rows if x["ruleId"] == r["id"]]
        if mine:
            break
        time.sleep(0.2)
    check(len(mine) == 1 and mine[0]["escalatedBy"] == "system", "watcher %r" % mine)
    actions = [x["action"] for x in check_success(call("GET", "/ticket-history/ticket/%d" % tid, ADMIN))["data"]]
    check("sla_breached" in actions and "escalated" in actions, "history %r" % actions)
    # and check-now does not escalate it again
    before = len(check_success(call("GET", "/escalation/history/ticket/%d" % tid, ADMIN))["data"])
    check_success(call("POST", "/escalation/check-now", ADMIN), 201, CREATED)
    check(len(check_success(call("GET", "/escalation/history/ticket/%d" % tid, ADMIN))["data"]) == before, "escalated twice")
    cleanup()
