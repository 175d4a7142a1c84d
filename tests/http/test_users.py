"""Users end to end: the role matrix of every route, create (derived username, hashed once),
list filters/pagination/sorting, profile, update, activate/deactivate (PATCH and POST), delete
refusals, the last-admin rule, bad input. Fixture users 1 admin, 2 itstaff, 3 employee."""
import json
import uuid

from hdlib import Skip, bearer, check, check_error, check_success, claims, make_jwt, request
from hdlib import psql

U = "/api/v1/users"
ADMIN, STAFF, EMPLOYEE = (bearer(make_jwt(claims(sub=i))) for i in (1, 2, 3))
ROLES = {"admin": ADMIN, "staff": STAFF, "employee": EMPLOYEE, "none": {}}




def new_user(role="Employee", **extra):
    """A user created by the admin over HTTP: its data and password."""
    tag = uuid.uuid4().hex[:10]
    body = {"fullName": "User " + tag, "email": "u%s@example.com" % tag, "password": "user-pass-" + tag, "role": role}
    body.update(extra)
    j = check_success(request("POST", U, body, ADMIN), 201, "Resource created successfully")
    return j["data"], body["password"]


def token_for(user):
    return bearer(make_jwt(claims(sub=user["id"], email=user["email"], role=user["role"])))


# ---- who may call what ----

def test_role_matrix():
    # (method, path, body, {role: expected status}); bodies are chosen so that callers who pass the
    # role check are refused by validation or a missing row, and nothing changes. (The request's
    # shape is read before the domain decides who may act: a malformed body is a 400 for anyone
    # with a token, docs/ARCHITECTURE.md; so the bodies here are well formed.)
    ok_all = {"admin": 200, "staff": 200, "employee": 200, "none": 401}
    staff_up = {"admin": 200, "staff": 200, "employee": 403, "none": 401}
    admin_only = {"admin": 200, "staff": 403, "employee": 403, "none": 401}
    matrix = [
        ("POST", U, {"fullName": "Taken", "email": "admin@28h.com", "password": "password123"}, dict(admin_only, admin=409)),
        ("GET", U, None, staff_up),
        ("GET", U + "/stats", None, admin_only),
        ("GET", U + "/it-staff", None, staff_up),
        ("GET", U + "/department/IT", None, staff_up),
        ("GET", U + "/profile", None, ok_all),
        ("PATCH", U + "/profile", {"fullName": 5}, dict(ok_all, admin=400, staff=400, employee=400)),
        ("POST", U + "/change-password", {}, dict(ok_all, admin=400, staff=400, employee=400)),
        ("GET", U + "/3", None, staff_up),
        ("PATCH", U + "/999999", {}, dict(admin_only, admin=404)),
        ("DELETE", U + "/999999", None, dict(admin_only, admin=404)),
        ("PATCH", U + "/999999/activate", None, dict(admin_only, admin=404)),
        ("POST", U + "/999999/activate", None, dict(admin_only, admin=404)),
        ("PATCH", U + "/999999/deactivate", None, dict(admin_only, admin=404)),
        ("POST", U + "/999999/deactivate", None, dict(admin_only, admin=404)),
    ]
    for method, path, body, expected in matrix:
        for role, hdrs in ROLES.items():
            r = request(method, path, body, hdrs)
            want = expected[role]
            if want < 400:
                check_success(r, want, {"GET": "Data retrieved successfully", "PATCH": "Resource updated successfully",
                                        "POST": "Resource created successfully"}[method])
            else:
                j = check_error(r, want)
                if want == 403:
                    check(j["message"].startswith("Access denied. Required roles: "), "%s %s: %r" % (method, path, j))
            # "%s %s as %s" context on failure comes from the check messages above


def test_bad_path_ids():
    for path in (U + "/abc", U + "/0", U + "/1.5", U + "/99999999999", U + "/abc/activate"):
        method = "POST" if path.endswith("activate") else "GET"
        check_error(request(method, path, None, ADMIN), 400, "BadRequestException",
                    "Validation failed (numeric string is expected)")
    check_error(request("GET", U + "/999999", None, ADMIN), 404, "NotFoundException", "User with ID 999999 not found")


# ---- create ----

def test_create_user_without_username():
    tag = uuid.uuid4().hex[:8]
    body = {"fullName": "Derived Name", "email": "Derived.%s@Example.com" % tag, "password": "derived-pass-1",
            "role": "IT_Staff", "department": "IT", "phone": "0123456789"}
    d = check_success(request("POST", U, body, ADMIN), 201, "Resource created successfully")["data"]
    check(d["username"] == "derived.%s" % tag and d["email"] == body["email"].lower(), "user %r" % d)
    check(d["role"] == "IT_Staff" and "password" not in json.dumps(d).lower(), "user %r" % d)
    # hashed exactly once: the password given logs in
    r = request("POST", "/api/v1/auth/login", {"email": body["email"], "password": body["password"]})
    check_success(r, 200, "Resource created successfully")
    # same local part again: a unique username is derived
    d2 = check_success(request("POST", U, dict(body, email="derived.%s@other.org" % tag), ADMIN), 201,
                       "Resource created successfully")["data"]
    check(d2["username"] == "derived.%s2" % tag, "username %r" % d2["username"])
    check(psql("SELECT count(*) FROM helpdesk.audit_logs WHERE action = 'USER_CREATED' AND entity_id = %d "
               "AND user_id = 1 AND ip_address = '127.0.0.1'" % d["id"]) == "1", "not audited")


def test_create_user_bad_input():
    tag = uuid.uuid4().hex[:8]
    base = {"fullName": "X", "email": "x%s@example.com" % tag, "password": "xxxx-pass-1"}
    cases = [
        (dict(base, email="admin@28h.com"), 409, "Email already exists"),
        (dict(base, username="ADMIN"), 409, "Username already exists"),
        (dict(base, role="Root"), 400, "role must be one of the following values: Employee, IT_Staff, Admin"),
        (dict(base, password="short"), 400, "password must be longer than or equal to 8 characters"),
        (dict(base, email="bad@"), 400, "email must be an email"),
        (dict(base, fullName="n" * 101), 400, "fullName must be shorter than or equal to 100 characters"),
        (dict(base, department="d" * 101), 400, "department must be shorter than or equal to 100 characters"),
        (dict(base, phone="1" * 21), 400, "phone must be shorter than or equal to 20 characters"),
        (dict(base, username="u" * 51), 400, "username must be shorter than or equal to 50 characters"),
        (dict(base, isActive=False), 400, "property isActive should not exist"),
        (dict(base, fullName=["X"]), 400, "fullName must be a string"),
    ]
    for body, status, msg in cases:
        check_error(request("POST", U, body, ADMIN), status, None, msg)
    check_error(request("POST", U, b'{"fullName": "\xc3\x28"}', dict(ADMIN, **{"Content-Type": "application/json"})), 400)
    check_error(request("POST", U, b"[]", dict(ADMIN, **{"Content-Type": "application/json"})), 400)


# ---- list, stats, it-staff, department ----

def test_list_filters_and_pagination():
    tag = uuid.uuid4().hex[:8]
    dept = "Dept-" + tag
    made = [new_user(department=dept, fullName="List %s %d" % (tag, i))[0] for i in range(3)]
    j = check_success(request("GET", U + "?department=%s&sortBy=fullName&sortOrder=ASC&limit=2" % dept, None, ADMIN))
    d = j["data"]
    check(d["total"] == 3 and d["page"] == 1 and d["totalPages"] == 2, "meta %r" % {k: d[k] for k in d if k != "users"})
    check([u["id"] for u in d["users"]] == [made[0]["id"], made[1]["id"]], "order %r" % [u["id"] for u in d["users"]])
    d = check_success(request("GET", U + "?department=%s&sortBy=fullName&sortOrder=asc&limit=2&page=2" % dept, None,
                              STAFF))["data"]
    check([u["id"] for u in d["users"]] == [made[2]["id"]], "page 2 %r" % d)
    d = check_success(request("GET", U + "?search=LIST+%s+1" % tag, None, ADMIN))["data"]
    check(d["total"] == 1 and d["users"][0]["id"] == made[1]["id"], "search %r" % d)
    d = check_success(request("GET", U + "?search=%25", None, ADMIN))["data"]
    check(d["total"] == 0, "%% is a literal: %r" % d["total"])
    d = check_success(request("GET", U + "?role=Admin&isActive=true", None, ADMIN))["data"]
    check(all(u["role"] == "Admin" and u["isActive"] for u in d["users"]) and d["total"] >= 1, "role filter")
    for q, msg in (("sortBy=password", "sortBy must be one of the following values: "),
                   ("sortOrder=up", "sortOrder must be one of the following values: ASC, DESC"),
                   ("role=root", "role must be one of the following values: Employee, IT_Staff, Admin"),
                   ("isActive=perhaps", "isActive must be a boolean value"),
                   ("limit=1001", "limit must not be greater than 1000"),
                   ("page=0", "page must not be less than 1")):
        j = check_error(request("GET", U + "?" + q, None, ADMIN), 400, "BadRequestException")
        check(j["message"].startswith(msg), "%s: %r" % (q, j["message"]))


def test_stats_it_staff_department():
    s = check_success(request("GET", U + "/stats", None, ADMIN))["data"]
    check(set(s) == {"total", "active", "inactive", "byRole"} and s["total"] == s["active"] + s["inactive"], "stats %r" % s)
    check(set(s["byRole"]) == {"employee", "itStaff", "admin"}, "byRole %r" % s["byRole"])
    staff = check_success(request("GET", U + "/it-staff", None, STAFF))["data"]
    check(all(u["role"] in ("IT_Staff", "Admin") and u["isActive"] for u in staff), "it-staff %r" % staff)
    names = [u["fullName"] for u in staff]
    check(names == sorted(names), "it-staff order")
    d = check_success(request("GET", U + "/department/Sales", None, ADMIN))["data"]
    check(any(u["id"] == 3 for u in d) and all(u["department"] == "Sales" for u in d), "department %r" % d)
    check(check_success(request("GET", U + "/department/No%20Such%20Dept", None, ADMIN))["data"] == [], "empty department")


# ---- profile ----

def test_profile():
    user, _ = new_user()
    t = token_for(user)
    check(check_success(request("GET", U + "/profile", None, t))["data"]["id"] == user["id"], "profile")
    r = request("PATCH", U + "/profile", {"fullName": "Renamed Person", "phone": "555-0100", "department": "Ops"}, t)
    d = check_success(r, 200, "Resource updated successfully")["data"]
    check(d["fullName"] == "Renamed Person" and d["phone"] == "555-0100" and d["department"] == "Ops", "%r" % d)
    for body in ({"role": "Admin"}, {"isActive": True}, {"email": "x@example.com"}, {"phone": "1" * 21},
                 {"fullName": ""}, {"avatarUrl": "h" * 256}):
        check_error(request("PATCH", U + "/profile", body, t), 400)


# ---- update, activate, deactivate ----

def test_update_user():
    user, _ = new_user()
    r = request("PATCH", U + "/%d" % user["id"], {"role": "IT_Staff", "department": "Support", "phone": None}, ADMIN)
    d = check_success(r, 200, "Resource updated successfully")["data"]
    check(d["role"] == "IT_Staff" and d["department"] == "Support" and d["phone"] is None, "%r" % d)
    for body, status, msg in (({"email": "admin@28h.com"}, 409, "Email already exists"),
                              ({"username": "Admin"}, 409, "Username already exists"),
                              ({"password": "new-pass-123"}, 400, "property password should not exist"),
                              ({"isActive": "yes"}, 400, "isActive must be a boolean value"),
                              ({"role": "Owner"}, 400, "role must be one of the following values: Employee, IT_Staff, Admin")):
        check_error(request("PATCH", U + "/%d" % user["id"], body, ADMIN), status, None, msg)
    changes = psql("SELECT details FROM helpdesk.audit_logs WHERE action = 'USER_UPDATED' AND entity_id = %d "
                   "ORDER BY id DESC LIMIT 1" % user["id"])
    check(json.loads(changes)["changes"]["role"] == {"old": "Employee", "new": "IT_Staff"}, "audit %r" % changes)


def test_activate_deactivate_both_methods():
    user, password = new_user()
    t = token_for(user)
    check_success(request("GET", "/api/v1/auth/me", None, t))
    login = request("POST", "/api/v1/auth/login", {"email": user["email"], "password": password})
    refresh = check_success(login, 200, "Resource created successfully")["data"]["refreshToken"]
    for method, status in (("POST", 201), ("PATCH", 200)):
        r = request(method, U + "/%d/deactivate" % user["id"], None, ADMIN)
        check(check_success(r, status, "Resource created successfully" if method == "POST"
                            else "Resource updated successfully")["data"]["isActive"] is False, "deactivated")
        # its tokens stop working at once
        check_error(request("GET", "/api/v1/auth/me", None, t), 401, None, "Invalid token or user not found")
        check_error(request("POST", "/api/v1/auth/refresh", {"refreshToken": refresh}), 401)
        r = request(method, U + "/%d/activate" % user["id"], None, ADMIN)
        check(check_success(r, status, "Resource created successfully" if method == "POST"
                            else "Resource updated successfully")["data"]["isActive"] is True, "activated")
        check_success(request("GET", "/api/v1/auth/me", None, t))
    check(psql("SELECT count(*) FROM helpdesk.audit_logs WHERE entity_id = %d AND action IN "
               "('USER_ACTIVATED', 'USER_DEACTIVATED')" % user["id"]) == "4", "not audited")


def test_last_admin_cannot_be_demoted_or_deactivated():
    if psql("SELECT count(*) FROM helpdesk.users WHERE role = 'Admin' AND is_active") != "1":
        raise Skip("more than one active Admin in this database")
    msg = "Cannot deactivate or demote the last active admin"
    check_error(request("PATCH", U + "/1", {"role": "Employee"}, ADMIN), 409, "ConflictException", msg)
    check_error(request("PATCH", U + "/1", {"isActive": False}, ADMIN), 409, "ConflictException", msg)
    check_error(request("POST", U + "/1/deactivate", None, ADMIN), 409, "ConflictException", msg)
    check_error(request("PATCH", U + "/1/deactivate", None, ADMIN), 409, "ConflictException", msg)
    # with a second Admin the first may step down, then the second is the last one
    other, _ = new_user(role="Admin")
    check_success(request("PATCH", U + "/%d/deactivate" % other["id"], None, ADMIN), 200, "Resource updated successfully")
    check_error(request("PATCH", U + "/1/deactivate", None, ADMIN), 409, None, msg)
    check_success(request("PATCH", U + "/%d/activate" % other["id"], None, ADMIN), 200, "Resource updated successfully")
    check_success(request("PATCH", U + "/%d" % other["id"], {"role": "IT_Staff"}, ADMIN), 200,
                  "Resource updated successfully")
    check(check_success(request("GET", U + "/1", None, ADMIN))["data"]["role"] == "Admin", "admin demoted")


# ---- delete ----

def test_delete_rules():
    check_error(request("DELETE", U + "/1", None, ADMIN), 403, "ForbiddenException", "Cannot delete admin users")
    owner, _ = new_user()
    psql("INSERT INTO helpdesk.tickets (ticket_number, title, description, category_id, submitter_id) "
         "VALUES ('TKT-HTTP-%s', 'Mine', 'Owned', 1, %d)" % (uuid.uuid4().hex[:8], owner["id"]))
    j = check_error(request("DELETE", U + "/%d" % owner["id"], None, ADMIN), 409, "ConflictException")
    check("Deactivate the user instead" in j["message"], "message %r" % j["message"])
    free, _ = new_user()
    r = request("DELETE", U + "/%d" % free["id"], None, ADMIN)
    check(check_success(r, 200, "Resource deleted successfully")["data"] == {"message": "User deleted successfully"}, "%r" % r)
    check_error(request("GET", U + "/%d" % free["id"], None, ADMIN), 404)
    check_error(request("DELETE", U + "/%d" % free["id"], None, ADMIN), 404)
    check(psql("SELECT count(*) FROM helpdesk.audit_logs WHERE action = 'USER_DELETED' AND entity_id = %d" % free["id"])
          == "1", "not audited")


def test_two_admins_demoting_each_other_at_once():
    import threading
    if psql("SELECT count(*) FROM helpdesk.users WHERE role = 'Admin' AND is_active") != "1":
        raise Skip("more than one active Admin in this database")
    other, _ = new_user(role="Admin")
    other_tok = token_for(other)
    results = {}

    def demote(name, target, hdrs):
        results[name] = request("PATCH", U + "/%d" % target, {"role": "Employee"}, hdrs).status

    try:
        for _ in range(3):
            psql("UPDATE helpdesk.users SET role = 'Admin', is_active = true WHERE id IN (1, %d)" % other["id"])
            threads = [threading.Thread(target=demote, args=("a", other["id"], ADMIN)),
                       threading.Thread(target=demote, args=("b", 1, other_tok))]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            # never a deadlock (503), never both: one wins, the other is refused (409, or 403
            # when the winner had just demoted the other actor)
            check(sorted(results.values()) in ([200, 403], [200, 409]), "statuses %r" % results)
            check(psql("SELECT count(*) FROM helpdesk.users WHERE role = 'Admin' AND is_active") == "1",
                  "active admins after the race")
    finally:
        psql("UPDATE helpdesk.users SET role = 'Admin', is_active = true WHERE id = 1")
        psql("UPDATE helpdesk.users SET role = 'Employee' WHERE id = %d" % other["id"])
