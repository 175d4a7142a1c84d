"""Notifications (issue 11): the 8 routes of the caller's own notifications (seed-system §2.15;
POST /notifications/test-email is the e-mail module's), one row per "ticket created" whatever
the number of staff, and the Server-Sent Events stream GET /notifications/stream (a real client
reading the stream: events at commit, nothing for a rollback, Last-Event-ID, the end of a
stream for a deactivated user or an expired token, the keepalive comment, the token never in
the access log)."""
import json
import os
import time
import uuid

from hdlib import EventStream, bearer, check, claims, make_jwt, psql, psql_int, request

API = "/api/v1"
ADMIN1 = bearer(make_jwt(claims(sub=1)))


def new_user(role="Employee"):
    name = "notif-%s" % uuid.uuid4().hex[:10]
    r = request("POST", API + "/users", {"fullName": name, "email": name + "@example.com", "password": "notif-pass-123",
                                         "role": role, "department": "Notif"}, ADMIN1)
    check(r.status == 201, "user: %r" % r)
    uid = r.json["data"]["id"]
    return uid, bearer(make_jwt(claims(sub=uid, iat=int(time.time()))))


def token_of(uid, **extra):
    return make_jwt(claims(sub=uid, iat=int(time.time()), **extra))


def new_ticket(headers, title="Notif ticket"):
    r = request("POST", API + "/tickets", {"title": title, "description": "For the notification tests", "categoryId": 1},
                headers)
    check(r.status == 201, "ticket: %r" % r)
    return r.json["data"]["id"]


def data(r, status=200):
    check(r.status == status, "status %d: %r" % (r.status, r))
    return r.json.get("data") if r.body else None


def test_routes_are_the_callers_own():
    emp, emp_h = new_user()
    staff, staff_h = new_user("IT_Staff")
    other, other_h = new_user("IT_Staff")
    tid = new_ticket(emp_h, "Printer on fire")
    mine = data(request("GET", API + "/notifications", headers=staff_h))
    created = [n for n in mine if n["ticketId"] == tid]
    check(len(created) == 1, "one ticket_created: %r" % mine)
    n = created[0]
    check(set(n) == {"id", "userId", "type", "title", "message", "ticketId", "isRead", "readAt", "createdAt", "ticket"},
          "shape: %r" % n)
    check(n["userId"] == staff and n["type"] == "ticket_created" and n["isRead"] is False and n["readAt"] is None, "%r" % n)
    check(n["ticket"] == {"id": tid, "title": "Printer on fire", "status": "New"}, "ticket: %r" % n["ticket"])
    check(not any(x["ticketId"] == tid for x in data(request("GET", API + "/notifications", headers=emp_h))),
          "the submitter is not told of their own ticket")
    count = data(request("GET", API + "/notifications/unread/count", headers=staff_h))
    check(isinstance(count, int) and count >= 1, "count: %r" % count)
    unread = data(request("GET", API + "/notifications/unread", headers=staff_h))
    check(any(x["id"] == n["id"] for x in unread) and all(not x["isRead"] for x in unread), "unread: %r" % unread)

    # an id the caller does not read is a 404 (a broadcast's id is the same for all its readers:
    # the admin reads this one too, with a read state of their own)
    for h in (emp_h,):
        r = request("PATCH", API + "/notifications/%d/read" % n["id"], headers=h)
        check(r.status == 404 and r.json["message"] == "Notification not found", "%r" % r)
        check(request("DELETE", API + "/notifications/%d" % n["id"], headers=h).status == 404)

    read = data(request("PATCH", API + "/notifications/%d/read" % n["id"], headers=staff_h))
    check(read["isRead"] is True and read["readAt"] is not None and read["id"] == n["id"], "%r" % read)
    check(data(request("GET", API + "/notifications/unread/count", headers=staff_h)) == count - 1)
    # one reader's state is theirs: the other staff member still has it unread
    theirs = [x for x in data(request("GET", API + "/notifications/unread", headers=other_h)) if x["ticketId"] == tid]
    check(len(theirs) == 1 and theirs[0]["id"] == n["id"] and theirs[0]["userId"] == other, "%r" % theirs)

    # read-all: {count} of what was unread
    new_ticket(emp_h, "Second")
    left = data(request("GET", API + "/notifications/unread/count", headers=other_h))
    check(data(request("PATCH", API + "/notifications/read-all", headers=other_h)) == {"count": left})
    check(data(request("GET", API + "/notifications/unread/count", headers=other_h)) == 0)
    check(data(request("PATCH", API + "/notifications/read-all", headers=other_h)) == {"count": 0})
    check(all(x["isRead"] for x in data(request("GET", API + "/notifications", headers=other_h))))

    # delete one: no data key; gone for this reader only
    r = request("DELETE", API + "/notifications/%d" % n["id"], headers=staff_h)
    check(r.status == 200 and "data" not in r.json and r.json["success"] is True, "%r" % r)
    check(not any(x["id"] == n["id"] for x in data(request("GET", API + "/notifications", headers=staff_h))))
    check(any(x["id"] == n["id"] for x in data(request("GET", API + "/notifications", headers=other_h))))
    check(request("DELETE", API + "/notifications/%d" % n["id"], headers=staff_h).status == 404)
    # delete all: {count}
    total = len(data(request("GET", API + "/notifications", headers=other_h)))
    check(data(request("DELETE", API + "/notifications", headers=other_h)) == {"count": total})
    check(data(request("GET", API + "/notifications", headers=other_h)) == [])
    check(data(request("GET", API + "/notifications/unread/count", headers=other_h)) == 0)
    # an id that is not a number is the request's fault
    check(request("PATCH", API + "/notifications/abc/read", headers=staff_h).status == 400)



def test_unread_count_is_the_lists_after_every_change():
    """The unread count is kept per reader and folded by the SLA watcher (issue 13): after the
    fold has taken in the caller's notifications, each change (read one broadcast, read an own
    row, delete, two reads of one notification at once, read-all) leaves the count equal to the
    number of notifications the unread list gives."""
    import threading
    emp, emp_h = new_user()
    staff, staff_h = new_user("IT_Staff")
    tids = [new_ticket(emp_h, "Counted %d" % i) for i in range(4)]
    check(request("POST", API + "/tickets/%d/assign" % tids[0], {"assigneeId": staff}, ADMIN1).status in (200, 201))

    def agree(what):
        count = data(request("GET", API + "/notifications/unread/count", headers=staff_h))
        listed = data(request("GET", API + "/notifications/unread", headers=staff_h))
        check(count == len(listed), "%s: count %r, list %d" % (what, count, len(listed)))
        return listed

    # the fold (the watcher's, called here too) covers what was written; the count is the kept one
    psql("SELECT helpdesk.notification_counts_fold()")
    check(psql_int("SELECT count(*) FROM helpdesk.notification_counts WHERE user_id = %d AND upto <> '0'" % staff) == 1)
    listed = agree("folded")
    check(len(listed) >= 5, "4 creations and an assignment: %r" % listed)
    broadcast = next(x for x in listed if x["type"] == "ticket_created")
    own = next(x for x in listed if x["type"] == "ticket_assigned")
    data(request("PATCH", API + "/notifications/%d/read" % broadcast["id"], headers=staff_h))
    agree("a broadcast read")
    data(request("PATCH", API + "/notifications/%d/read" % own["id"], headers=staff_h))
    agree("an own row read")
    listed = agree("read again")
    data(request("DELETE", API + "/notifications/%d" % listed[0]["id"], headers=staff_h))
    listed = agree("one deleted")
    # two reads of one notification at once take it off once
    statuses = []
    threads = [threading.Thread(target=lambda: statuses.append(
        request("PATCH", API + "/notifications/%d/read" % listed[0]["id"], headers=staff_h).status)) for _ in range(2)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    check(statuses == [200, 200], "%r" % statuses)
    agree("two reads at once")
    new_ticket(emp_h, "After the fold")
    agree("a notification after the fold")
    data(request("PATCH", API + "/notifications/read-all", headers=staff_h))
    check(agree("read-all") == [])

def test_a_ticket_creation_writes_one_row_whatever_the_staff():
    emp, emp_h = new_user()
    before = psql_int("SELECT count(*) FROM helpdesk.notifications")
    new_ticket(emp_h)
    one = psql_int("SELECT count(*) FROM helpdesk.notifications") - before
    for _ in range(5):
        new_user("IT_Staff")
    before = psql_int("SELECT count(*) FROM helpdesk.notifications")
    new_ticket(emp_h)
    check(psql_int("SELECT count(*) FROM helpdesk.notifications") - before == one == 1, "rows per creation: %d" % one)


def test_staff_later_does_not_see_older_creations():
    emp, emp_h = new_user()
    tid = new_ticket(emp_h, "Before the promotion")
    late, late_h = new_user()
    check(request("PATCH", API + "/users/%d" % late, {"role": "IT_Staff"}, ADMIN1).status == 200)
    after = new_ticket(emp_h, "After the promotion")
    seen = {x["ticketId"] for x in data(request("GET", API + "/notifications", headers=late_h))}
    check(tid not in seen and after in seen, "seen: %r" % seen)


def stream(uid, last_event_id=None, **extra):
    headers = {"Last-Event-ID": str(last_event_id)} if last_event_id is not None else {}
    s = EventStream(API + "/notifications/stream?access_token=" + token_of(uid, **extra), headers)
    check(s.status == 200, "stream: %d %r" % (s.status, s.body))
    check(s.headers.get("content-type", "").startswith("text/event-stream"), "%r" % s.headers)
    return s


def next_event(s, name=None):
    while True:
        ev = s.next()
        check(ev is not None, "the stream ended")
        if name is None or ev.get("event") == name:
            return ev


def test_stream_events_at_commit_and_unread_count():
    emp, emp_h = new_user()
    staff, staff_h = new_user("IT_Staff")
    s = stream(staff)
    try:
        first = next_event(s)
        check(first["event"] == "unreadCount" and first["data"] == "0", "first: %r" % first)
        # a rolled back creation sends nothing; the committed one after it is the next event
        psql("BEGIN; INSERT INTO helpdesk.notifications (user_id, type, title, message) "
             "VALUES (%d, 'ticket_updated', 'Rolled back', 'Rolled back'); ROLLBACK;" % staff)
        tid = new_ticket(emp_h, "Streamed")
        ev = next_event(s)
        check(ev["event"] == "notification", "%r" % ev)
        n = json.loads(ev["data"])
        check(n["ticketId"] == tid and n["type"] == "ticket_created" and n["userId"] == staff and ev["id"] == str(n["id"]),
              "%r" % ev)
        cnt = next_event(s)
        check(cnt == {"event": "unreadCount", "id": str(n["id"]), "data": "1"}, "%r" % cnt)
        # read, read-all and delete move the count
        data(request("PATCH", API + "/notifications/%d/read" % n["id"], headers=staff_h))
        check(next_event(s)["data"] == "0")
        new_ticket(emp_h, "Streamed 2")
        check(next_event(s, "unreadCount")["data"] == "1")
        data(request("PATCH", API + "/notifications/read-all", headers=staff_h))
        check(next_event(s, "unreadCount")["data"] == "0")
    finally:
        s.close()


def test_stream_sends_a_late_commit():
    """Ids are taken at INSERT and rows seen at COMMIT: a notification that commits after a
    greater id was streamed is still sent (its own id) and counted (issue 11)."""
    import shlex
    import subprocess
    psql("SELECT 1")  # skips without HD_PSQL
    emp, _ = new_user()
    insert = "INSERT INTO helpdesk.notifications (user_id, type, title, message) VALUES (%d, 'ticket_updated', '%s', '%s') RETURNING id;\n"
    s = stream(emp)
    late = subprocess.Popen(shlex.split(os.environ["HD_PSQL"]) + ["-Atq", "-v", "ON_ERROR_STOP=1"],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        check(next_event(s)["data"] == "0")
        late.stdin.write("BEGIN;\n" + insert % (emp, "Late", "Late"))
        late.stdin.flush()
        late_id = int(late.stdout.readline())
        early_id = psql_int(insert % (emp, "Early", "Early"))
        check(early_id > late_id, "%d %d" % (early_id, late_id))
        ev = next_event(s, "notification")
        check(ev["id"] == str(early_id), "%r" % ev)
        check(next_event(s, "unreadCount")["data"] == "1")
        late.stdin.write("COMMIT;\n")
        late.stdin.flush()
        # keepalive comments count as arrivals: without a deadline a lost event would hang here
        deadline = time.time() + 10
        ev = s.next(comments=True)
        while ev is not None and "comment" in ev and time.time() < deadline:
            ev = s.next(comments=True)
        check(ev is not None and ev.get("event") == "notification", "the late notification never came: %r" % ev)
        # its SSE id is the stream's position (a reconnect resends nothing), its data its own id
        check(ev["id"] == str(early_id) and json.loads(ev["data"])["id"] == late_id
              and json.loads(ev["data"])["title"] == "Late", "%r" % ev)
        check(next_event(s, "unreadCount")["data"] == "2")
    finally:
        late.stdin.close()
        late.wait(timeout=30)
        s.close()


def test_stream_count_goes_down_when_a_ticket_is_deleted():
    """A stream adds new notifications to the count it has (the database is not asked to count
    everything again for a broadcast), so the notifications a deleted ticket takes with it are
    signalled: the count goes down at once, for staff (a broadcast) and the submitter (their own)."""
    emp, emp_h = new_user()
    staff, staff_h = new_user("IT_Staff")
    tid = new_ticket(emp_h, "Deleted with its notifications")
    data(request("POST", API + "/tickets/%d/assign" % tid, {"assigneeId": staff}, ADMIN1), 201)
    s_staff, s_emp = stream(staff), stream(emp)
    try:
        check(next_event(s_staff, "unreadCount")["data"] == "2", "staff: created + assigned")
        check(next_event(s_emp, "unreadCount")["data"] == "1", "submitter: assigned")
        new_ticket(emp_h, "Added to the count")
        check(next_event(s_staff, "unreadCount")["data"] == "3")
        # a notification of the user ('n <id>'): added too
        other = new_ticket(emp_h, "Assigned while streaming")
        check(next_event(s_staff, "unreadCount")["data"] == "4")
        data(request("POST", API + "/tickets/%d/assign" % other, {"assigneeId": staff}, ADMIN1), 201)
        ev = next_event(s_staff, "notification")
        check(json.loads(ev["data"])["type"] == "ticket_assigned", "%r" % ev)
        check(next_event(s_staff, "unreadCount")["data"] == "5")
        check(next_event(s_emp, "unreadCount")["data"] == "2", "submitter: assigned twice")
        data(request("DELETE", API + "/tickets/%d" % tid, headers=ADMIN1))
        for s, want in ((s_staff, "3"), (s_emp, "1")):
            # keepalive comments every second (tests/run.sh): at most a few before the count
            for _ in range(5):
                ev = s.next(comments=True)
                check(ev is not None, "the stream ended")
                if ev.get("event") == "unreadCount":
                    break
            check(ev == {"event": "unreadCount", "id": ev.get("id"), "data": want}, "after the delete: %r" % ev)
    finally:
        s_staff.close()
        s_emp.close()


def test_stream_resumes_after_last_event_id():
    emp, emp_h = new_user()
    staff, staff_h = new_user("IT_Staff")
    s = stream(staff)
    next_event(s, "unreadCount")
    t1 = new_ticket(emp_h, "Resume 1")
    ev = next_event(s, "notification")
    last = int(ev["id"])
    s.close()
    # while disconnected: two more
    t2 = new_ticket(emp_h, "Resume 2")
    t3 = new_ticket(emp_h, "Resume 3")
    s = stream(staff, last_event_id=last)
    try:
        got = [json.loads(next_event(s, "notification")["data"])["ticketId"] for _ in range(2)]
        check(got == [t2, t3], "resumed: %r (t1 %d)" % (got, t1))
        cnt = next_event(s)
        check(cnt["event"] == "unreadCount" and cnt["data"] == "3", "%r" % cnt)
        t4 = new_ticket(emp_h, "Resume 4")
        check(json.loads(next_event(s, "notification")["data"])["ticketId"] == t4, "no repeat, no loss")
    finally:
        s.close()


def test_stream_refusals_and_ends():
    r = EventStream(API + "/notifications/stream")
    check(r.status == 401 and r.json["statusCode"] == 401, "no token: %d" % r.status)
    r = EventStream(API + "/notifications/stream?access_token=not-a-token")
    check(r.status == 401, "bad token: %d" % r.status)
    # the Authorization header works too
    emp, emp_h = new_user()
    r = EventStream(API + "/notifications/stream", emp_h)
    check(r.status == 200, "header: %d" % r.status)
    next_event(r, "unreadCount")
    # a deactivated user's stream ends
    check(request("PATCH", API + "/users/%d/deactivate" % emp, headers=ADMIN1).status == 200)
    while True:
        ev = r.next()
        if ev is None:
            break
    r.close()
    # and a new one is refused
    r = EventStream(API + "/notifications/stream", emp_h)
    check(r.status == 401, "deactivated: %d" % r.status)
    # a token that expires ends the stream (the next event after the unread count is the end)
    other, _ = new_user()
    s = stream(other, exp=int(time.time()) + 2)
    next_event(s, "unreadCount")
    check(s.next() is None, "the stream outlived its token")
    s.close()


def test_stream_keepalive_comment():
    """The suite runs the server with SSE_KEEPALIVE_MS=1000 (tests/run.sh)."""
    emp, _ = new_user()
    s = stream(emp)
    try:
        next_event(s, "unreadCount")
        ev = s.next(comments=True)
        check(ev == {"comment": "keepalive"}, "%r" % ev)
    finally:
        s.close()


def test_stream_token_never_in_the_access_log():
    log = os.environ.get("HD_SERVER_LOG")
    emp, _ = new_user()
    tok = token_of(emp)
    s = EventStream(API + "/notifications/stream?access_token=" + tok, {"X-Request-Id": "notif-stream-log"})
    check(s.status == 200)
    s.close()
    if log:
        deadline = time.time() + 10
        line = None
        while time.time() < deadline and line is None:
            with open(log, encoding="utf-8", errors="replace") as f:
                line = next((x for x in f if "notif-stream-log" in x), None)
            time.sleep(0.05)
        check(line is not None, "no access log line")
        check(tok not in line and "REDACTED" in line, "token logged: %s" % line)
