"""Comments routes (reference §2.6, §3.2): types, visibility, edit window, soft delete, and the
notifications a comment triggers (internal comments never reach an Employee)."""
import uuid

from hdlib import bearer, check, check_error, check_success, claims, make_jwt, request
from hdlib import psql, psql_int

API = "/api/v1"
ADMIN, STAFF, EMPLOYEE = 1, 2, 3






def token(user_id, role="Employee"):
    return bearer(make_jwt(claims(sub=user_id, role=role)))


def as_user(user_id):
    return token(user_id)


_ctx = {}


def ctx():
    """A ticket of the demo employee assigned to the demo staff member, and a second employee."""
    if not _ctx:
        tag = uuid.uuid4().hex[:8]
        _ctx["ticket"] = psql_int(
            "INSERT INTO helpdesk.tickets (ticket_number, title, description, category_id, submitter_id, assignee_id, status) "
            "VALUES ('HTTP-C-%s', 'Monitor flickers', 'Since Monday', 1, %d, %d, 'Assigned') RETURNING id"
            % (tag, EMPLOYEE, STAFF))
        _ctx["other"] = psql_int(
            "INSERT INTO helpdesk.users (username, email, password_hash, full_name, role) "
            "VALUES ('cmt_%s', 'cmt_%s@example.com', '$2a$04$xxxxxxxxxxxxxxxxxxxxxx', 'Other Employee', 'Employee') RETURNING id"
            % (tag, tag))
    return _ctx


def comments_url(ticket):
    return "%s/tickets/%d/comments" % (API, ticket)


def post_comment(user_id, ticket, body):
    return request("POST", comments_url(ticket), body=body, headers=as_user(user_id))


def test_employee_comments_publicly_on_own_ticket():
    c = ctx()
    r = post_comment(EMPLOYEE, c["ticket"], {"content": "It flickers again"})
    d = check_success(r, 201, "Resource created successfully")["data"]
    for key in ("id", "ticketId", "userId", "content", "type", "isEdited", "editedAt", "metadata",
                "createdAt", "updatedAt", "user", "ticket"):
        check(key in d, "missing %s in %r" % (key, d))
    check(d["type"] == "public" and d["userId"] == EMPLOYEE and d["ticketId"] == c["ticket"], repr(d))
    check("deletedAt" not in d, "deletedAt leaked")
    check(d["user"]["id"] == EMPLOYEE and "password" not in str(d["user"]), repr(d["user"]))
    check(d["createdAt"].endswith("Z"), d["createdAt"])
    # the assignee is notified and mailed with the text, the author is not
    check(psql("SELECT count(*) FROM helpdesk.notifications WHERE user_id = %d AND ticket_id = %d "
               "AND type = 'ticket_commented'" % (STAFF, c["ticket"])) == "1")
    check(psql("SELECT count(*) FROM helpdesk.email_outbox WHERE user_id = %d AND ticket_id = %d "
               "AND body_text LIKE '%%It flickers again%%'" % (STAFF, c["ticket"])) == "1")
    check(psql("SELECT count(*) FROM helpdesk.notifications WHERE user_id = %d AND ticket_id = %d"
               % (EMPLOYEE, c["ticket"])) == "0")


def test_employee_limits():
    c = ctx()
    check_error(post_comment(EMPLOYEE, c["ticket"], {"content": "x", "type": "internal"}), 403,
                "ForbiddenException", "You can only create public comments")
    check_error(post_comment(c["other"], c["ticket"], {"content": "x"}), 403,
                "ForbiddenException", "You can only comment on your own tickets")
    check_error(request("GET", comments_url(c["ticket"]), headers=as_user(c["other"])), 403,
                message="You can only view comments on your own tickets")
    check_error(request("GET", comments_url(c["ticket"]) + "/stats", headers=as_user(c["other"])), 403)


def test_validation_and_auth():
    c = ctx()
    check_error(post_comment(STAFF, c["ticket"], {"content": ""}), 400, "BadRequestException")
    j = check_error(post_comment(STAFF, c["ticket"], {"content": "x", "extra": 1}), 400)
    check(j.get("details") == ["property extra should not exist"], repr(j))
    check_error(post_comment(STAFF, c["ticket"], {"content": "x", "type": "secret"}), 400)
    check_error(post_comment(STAFF, c["ticket"], {"content": "x" * 5001}), 400)
    check_error(post_comment(STAFF, 2147483647, {"content": "x"}), 404, "NotFoundException")
    check_error(request("POST", comments_url(c["ticket"]), body={"content": "x"}), 401)
    check_error(request("GET", API + "/comments/abc", headers=as_user(STAFF)), 400)


def test_internal_comments_never_reach_the_employee():
    c = ctx()
    before_mail = psql("SELECT count(*) FROM helpdesk.email_outbox WHERE user_id = %d" % EMPLOYEE)
    before_notes = psql("SELECT count(*) FROM helpdesk.notifications WHERE user_id = %d" % EMPLOYEE)
    r = post_comment(ADMIN, c["ticket"], {"content": "Replace under warranty", "type": "internal"})
    internal = check_success(r, 201, "Resource created successfully")["data"]
    check(internal["type"] == "internal")
    # no notification, no mail, no text for the employee
    check(psql("SELECT count(*) FROM helpdesk.email_outbox WHERE user_id = %d" % EMPLOYEE) == before_mail)
    check(psql("SELECT count(*) FROM helpdesk.notifications WHERE user_id = %d" % EMPLOYEE) == before_notes)
    check(psql("SELECT count(*) FROM helpdesk.email_outbox WHERE recipient = 'employee@28h.com' "
               "AND body_text LIKE '%Replace under warranty%'") == "0")
    # the assignee (staff) does get it
    check(psql("SELECT count(*) FROM helpdesk.notifications WHERE user_id = %d AND ticket_id = %d "
               "AND message LIKE 'Admin User commented%%'" % (STAFF, c["ticket"])) == "1")
    # lists, stats, single reads
    emp_list = check_success(request("GET", comments_url(c["ticket"]), headers=as_user(EMPLOYEE)))["data"]
    check(all(x["type"] != "internal" for x in emp_list), repr(emp_list))
    staff_list = check_success(request("GET", comments_url(c["ticket"]), headers=as_user(STAFF)))["data"]
    check(any(x["id"] == internal["id"] for x in staff_list))
    check([x["createdAt"] for x in staff_list] == sorted(x["createdAt"] for x in staff_list), "not oldest first")
    check(all(set(x["user"]) == {"id", "username", "fullName", "email", "avatarUrl"} for x in staff_list))
    emp_stats = check_success(request("GET", comments_url(c["ticket"]) + "/stats", headers=as_user(EMPLOYEE)))["data"]
    staff_stats = check_success(request("GET", comments_url(c["ticket"]) + "/stats", headers=as_user(STAFF)))["data"]
    check(emp_stats["internal"] == 0 and staff_stats["internal"] >= 1, repr((emp_stats, staff_stats)))
    check(staff_stats["total"] == emp_stats["total"] + staff_stats["internal"], repr((emp_stats, staff_stats)))
    check_error(request("GET", "%s/comments/%d" % (API, internal["id"]), headers=as_user(EMPLOYEE)), 404)
    d = check_success(request("GET", "%s/comments/%d" % (API, internal["id"]), headers=as_user(STAFF)))["data"]
    check(d["ticket"]["id"] == c["ticket"] and d["ticket"]["submitterId"] == EMPLOYEE, repr(d))


def test_edit_delete_and_my_comments():
    c = ctx()
    mine = check_success(post_comment(EMPLOYEE, c["ticket"], {"content": "Typo heer"}), 201,
                         "Resource created successfully")["data"]
    url = "%s/comments/%d" % (API, mine["id"])
    check_error(request("PATCH", url, body={"content": "x"}, headers=as_user(ADMIN)), 403,
                message="You can only edit your own comments")
    d = check_success(request("PATCH", url, body={"content": "Typo here"}, headers=as_user(EMPLOYEE)),
                      200, "Resource updated successfully")["data"]
    check(d["content"] == "Typo here" and d["isEdited"] is True and d["editedAt"], repr(d))
    # the 15-minute window: make the comment old, then editing is refused
    psql("UPDATE helpdesk.comments SET created_at = now() - interval '16 minutes' WHERE id = %d" % mine["id"])
    check_error(request("PATCH", url, body={"content": "late"}, headers=as_user(EMPLOYEE)), 400,
                message="Comments can only be edited within 15 minutes of creation")
    my = check_success(request("GET", API + "/comments/my-comments", headers=as_user(EMPLOYEE)))["data"]
    check(any(x["id"] == mine["id"] for x in my) and len(my) <= 20, repr(my))
    check(set(my[0]["ticket"]) == {"id", "ticketNumber", "title"}, repr(my[0]))
    check_error(request("DELETE", url, headers=as_user(STAFF)), 403,
                message="You do not have permission to delete this comment")
    r = request("DELETE", url, headers=as_user(EMPLOYEE))
    j = check_success(r, 200, "Resource deleted successfully")
    check(j["data"] == {"message": "Comment deleted successfully"}, repr(j))
    check_error(request("GET", url, headers=as_user(EMPLOYEE)), 404)
    check_error(request("DELETE", url, headers=as_user(EMPLOYEE)), 404)
    my = check_success(request("GET", API + "/comments/my-comments", headers=as_user(EMPLOYEE)))["data"]
    check(all(x["id"] != mine["id"] for x in my))


def test_system_comments_are_fixed():
    c = ctx()
    sysc = check_success(post_comment(ADMIN, c["ticket"], {"content": "Ticket escalated", "type": "system"}),
                         201, "Resource created successfully")["data"]
    url = "%s/comments/%d" % (API, sysc["id"])
    check_error(request("PATCH", url, body={"content": "x"}, headers=as_user(ADMIN)), 403,
                message="System comments cannot be edited")
    check_error(request("DELETE", url, headers=as_user(ADMIN)), 403,
                message="System comments cannot be deleted")
    # the employee sees system comments of their ticket
    check_success(request("GET", url, headers=as_user(EMPLOYEE)))
