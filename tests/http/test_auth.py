"""Auth end to end: login -> token -> /auth/me, register, refresh rotation and reuse detection,
logout, forgot/verify/reset, change password, rate limits, bad input, expired and tampered
tokens. Fixture users 1 admin, 2 itstaff, 3 employee (password123) are never modified here;
tests that change accounts register their own."""
import base64
import json
import time
import uuid

from hdlib import JWT_SECRET, bearer, check, check_error, check_success, claims, make_jwt, raw_request, request
from hdlib import psql

A = "/api/v1/auth"
POSTED = "Resource created successfully"




def jwt_payload(token):
    part = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))


def login(email, password="password123"):
    return request("POST", A + "/login", {"email": email, "password": password})


def register(prefix="user", password="register-pass-1"):
    """A fresh Employee account: (email, password, data)."""
    name = "%s%s" % (prefix, uuid.uuid4().hex[:10])
    email = name + "@example.com"
    r = request("POST", A + "/register", {"username": name, "fullName": "Test " + name, "email": email,
                                          "password": password})
    j = check_success(r, 201, POSTED)
    return email, password, j["data"]


def forget_attempts(account=None):
    if account is None:
        psql("DELETE FROM helpdesk.auth_attempts")
    else:
        psql("DELETE FROM helpdesk.auth_attempts WHERE account = '%s'" % account)


def latest_otp(email):
    return psql("SELECT substring(body_text FROM 'code is ([0-9]{6})') FROM helpdesk.email_outbox "
                "WHERE recipient = '%s' AND template = 'password_reset_otp' ORDER BY id DESC LIMIT 1" % email)


# ---- login -> token -> me ----

def test_login_token_me():
    r = login("Admin@28h.com")
    j = check_success(r, 200, POSTED)
    d = j["data"]
    check(set(d) == {"user", "accessToken", "refreshToken"}, "keys %r" % sorted(d))
    check(d["user"]["email"] == "admin@28h.com" and d["user"]["role"] == "Admin", "user %r" % d["user"])
    check("password" not in json.dumps(d["user"]).lower(), "password leaked")
    check(isinstance(d["user"]["lastLoginAt"], str), "lastLoginAt %r" % d["user"]["lastLoginAt"])
    p = jwt_payload(d["accessToken"])
    check(p["sub"] == 1 and p["email"] == "admin@28h.com" and p["role"] == "Admin", "claims %r" % p)
    check(p["exp"] > p["iat"] >= int(time.time()) - 60, "iat/exp %r" % p)
    check(len(d["refreshToken"]) == 43 and "." not in d["refreshToken"], "refresh token %r" % d["refreshToken"])
    for path in ("/me", "/profile"):
        me = check_success(request("GET", A + path, headers=bearer(d["accessToken"])))
        check(me["data"]["id"] == 1 and me["data"]["username"] == "admin", "%s %r" % (path, me["data"]))
    check(psql("SELECT count(*) FROM helpdesk.audit_logs WHERE action = 'LOGIN' AND user_id = 1 "
               "AND ip_address = '127.0.0.1'") != "0", "no LOGIN audit row")


def test_login_failures_are_401_and_recorded():
    forget_attempts()
    before = int(psql("SELECT count(*) FROM helpdesk.audit_logs WHERE action = 'LOGIN_FAILED'"))
    check_error(login("employee@28h.com", "wrong-password"), 401, "UnauthorizedException", "Invalid email or password")
    check_error(login("nobody-%s@28h.com" % uuid.uuid4().hex[:6], "wrong-password"), 401, "UnauthorizedException",
                "Invalid email or password")
    # the failure committed its bookkeeping although the answer was an error
    after = int(psql("SELECT count(*) FROM helpdesk.audit_logs WHERE action = 'LOGIN_FAILED'"))
    check(after == before + 2, "LOGIN_FAILED rows %d -> %d" % (before, after))
    check(psql("SELECT count(*) FROM helpdesk.auth_attempts WHERE kind = 'login' AND account = 'employee@28h.com' "
               "AND ip_address = '127.0.0.1'") == "1", "attempt not recorded")
    check(psql("SELECT count(*) FROM helpdesk.audit_logs WHERE details::text LIKE '%wrong-password%'") == "0",
          "password in the audit log")
    forget_attempts()


def test_login_bad_input():
    cases = [
        ({"email": "admin@28h.com"}, "password should not be empty"),
        ({"password": "password123"}, "email should not be empty"),
        ({"email": "not-an-email", "password": "password123"}, "email must be an email"),
        ({"email": "admin@28h.com", "password": 12345678}, "password must be a string"),
        ({"email": ["admin@28h.com"], "password": "password123"}, "email must be a string"),
        ({"email": "admin@28h.com", "password": "password123", "role": "Admin"}, "property role should not exist"),
        ({"email": "a" * 200 + "@28h.com", "password": "password123"}, "email must be shorter than or equal to 100 characters"),
        ({"email": "admin@28h.com", "password": "p" * 129}, "password must be shorter than or equal to 128 characters"),
    ]
    for body, msg in cases:
        j = check_error(request("POST", A + "/login", body), 400, "BadRequestException")
        check(msg in j["details"], "%r: details %r" % (body, j.get("details")))
    check_error(request("POST", A + "/login", b'["x"]', {"Content-Type": "application/json"}), 400)
    check_error(request("POST", A + "/login", b'{"email": "admin@28h.com", "password": "pass\xff"}',
                        {"Content-Type": "application/json"}), 400)
    check_error(request("POST", A + "/login", b'{"email": "x@y.com",', {"Content-Type": "application/json"}), 400)
    check_error(request("POST", A + "/login"), 400)


def test_login_rate_limit_per_account():
    email, password, _ = register("ratelimit")
    forget_attempts()
    for i in range(5):
        check_error(login(email, "wrong-%d-pass" % i), 401, "UnauthorizedException")
    r = login(email, password)
    check_error(r, 429, "TooManyRequestsException")
    ra = int(r.headers.get("retry-after", "0"))
    check(0 < ra <= 900, "Retry-After %r" % r.headers.get("retry-after"))
    # another account from the same address is not affected
    check_success(login("itstaff@28h.com"), 200, POSTED)
    forget_attempts()
    check_success(login(email, password), 200, POSTED)


def test_login_rate_limit_per_address():
    psql("INSERT INTO helpdesk.settings (setting_key, setting_value) VALUES ('login_max_per_ip', '3') "
         "ON CONFLICT (setting_key) DO UPDATE SET setting_value = '3'")
    try:
        forget_attempts()
        for i in range(3):
            check_error(login("ghost%d-%s@example.com" % (i, uuid.uuid4().hex[:6]), "nope-nope"), 401)
        r = login("admin@28h.com")
        check_error(r, 429, "TooManyRequestsException", "Too many failed login attempts. Please try again later.")
        check("retry-after" in r.headers, "no Retry-After")
    finally:
        psql("DELETE FROM helpdesk.settings WHERE setting_key = 'login_max_per_ip'")
        forget_attempts()
    check_success(login("admin@28h.com"), 200, POSTED)


def test_inactive_account():
    email, password, data = register("inactive")
    psql("UPDATE helpdesk.users SET is_active = false WHERE id = %d" % data["user"]["id"])
    check_error(login(email, password), 401, "UnauthorizedException", "Account is not active")
    check_error(login(email, "wrong-password"), 401, "UnauthorizedException", "Invalid email or password")
    # its tokens stopped working at once
    check_error(request("GET", A + "/me", headers=bearer(data["accessToken"])), 401, "UnauthorizedException",
                "Invalid token or user not found")
    check_error(request("POST", A + "/refresh", {"refreshToken": data["refreshToken"]}), 401)
    forget_attempts()


# ---- register ----

def test_register():
    email, password, d = register("reg")
    check(set(d) == {"user", "accessToken", "refreshToken"}, "keys %r" % sorted(d))
    check(d["user"]["role"] == "Employee" and d["user"]["email"] == email, "user %r" % d["user"])
    check(jwt_payload(d["accessToken"])["role"] == "Employee", "claims")
    check_success(request("GET", A + "/me", headers=bearer(d["accessToken"])))
    check_success(login(email.upper(), password), 200, POSTED)
    name = d["user"]["username"]
    base = {"username": "x" + uuid.uuid4().hex[:8], "fullName": "X", "email": "x%s@example.com" % uuid.uuid4().hex[:8],
            "password": "register-pass-1"}
    cases = [
        (dict(base, role="Admin"), 400, "property role should not exist"),
        (dict(base, email=email.upper()), 409, "User with this email already exists"),
        (dict(base, username=name.upper()), 409, "Username already taken"),
        (dict(base, password="short"), 400, "password must be longer than or equal to 8 characters"),
        (dict(base, username="ab"), 400, "username must be longer than or equal to 3 characters"),
        (dict(base, fullName="f" * 101), 400, "fullName must be shorter than or equal to 100 characters"),
        (dict(base, email="no-at-sign"), 400, "email must be an email"),
        ({k: v for k, v in base.items() if k != "fullName"}, 400, "fullName should not be empty, fullName must be a string"),
    ]
    for body, status, msg in cases:
        check_error(request("POST", A + "/register", body), status, None, msg)


# ---- refresh tokens ----

def test_refresh_rotation_and_reuse():
    email, password, _ = register("refresh")
    d = check_success(login(email, password), 200, POSTED)["data"]
    r = request("POST", A + "/refresh", {"refreshToken": d["refreshToken"]})
    j = check_success(r, 200, POSTED)
    check(set(j["data"]) == {"accessToken", "refreshToken"}, "keys %r" % sorted(j["data"]))
    t2 = j["data"]["refreshToken"]
    check(t2 != d["refreshToken"], "not rotated")
    check_success(request("GET", A + "/me", headers=bearer(j["data"]["accessToken"])))
    # the rotated token used again: 401, and the whole family (t2 too) is revoked
    check_error(request("POST", A + "/refresh", {"refreshToken": d["refreshToken"]}), 401, "UnauthorizedException",
                "Refresh token has already been used")
    check_error(request("POST", A + "/refresh", {"refreshToken": t2}), 401, "UnauthorizedException",
                "Refresh token has been revoked")
    check(psql("SELECT count(*) FROM helpdesk.audit_logs a JOIN helpdesk.users u ON u.id = a.user_id "
               "WHERE a.action = 'REFRESH_TOKEN_REUSED' AND u.email = '%s'" % email) == "1", "reuse not audited")
    # another session of the same user is untouched
    d2 = check_success(login(email, password), 200, POSTED)["data"]
    check_success(request("POST", A + "/refresh", {"refreshToken": d2["refreshToken"]}), 200, POSTED)
    # bad input
    check_error(request("POST", A + "/refresh", {"refreshToken": "not-a-token"}), 401, None, "Invalid refresh token")
    check_error(request("POST", A + "/refresh", {}), 400)
    check_error(request("POST", A + "/refresh", {"refreshToken": "x" * 300}), 400)
    check_error(request("POST", A + "/refresh", {"refreshToken": d2["accessToken"]}), 401)
    # the server stores only hashes
    check(psql("SELECT count(*) FROM helpdesk.refresh_tokens WHERE encode(token_hash, 'escape') LIKE '%%%s%%'"
               % d2["refreshToken"][:20]) == "0", "plain token stored")


def test_logout_revokes_refresh_token():
    email, password, d = register("logout")
    r = request("POST", A + "/logout", {"refreshToken": d["refreshToken"]}, headers=bearer(d["accessToken"]))
    j = check_success(r, 200, POSTED)
    check(j["data"] == {"message": "Logged out successfully"}, "data %r" % j["data"])
    check_error(request("POST", A + "/refresh", {"refreshToken": d["refreshToken"]}), 401, None,
                "Refresh token has been revoked")
    # without a body, and without a token
    check_success(request("POST", A + "/logout", headers=bearer(d["accessToken"])), 200, POSTED)
    check_error(request("POST", A + "/logout", {"refreshToken": d["refreshToken"]}), 401)
    check_error(request("POST", A + "/logout", {"refreshToken": 5}, headers=bearer(d["accessToken"])), 400)
    # someone else's refresh token is not revoked by my logout
    other = check_success(login("itstaff@28h.com"), 200, POSTED)["data"]
    check_success(request("POST", A + "/logout", {"refreshToken": other["refreshToken"]},
                          headers=bearer(d["accessToken"])), 200, POSTED)
    check_success(request("POST", A + "/refresh", {"refreshToken": other["refreshToken"]}), 200, POSTED)


# ---- tokens the server must refuse ----

def test_expired_and_tampered_tokens():
    good = make_jwt(claims(sub=1))
    check_success(request("GET", A + "/me", headers=bearer(good)))
    head, body, sig = good.split(".")
    tampered_payload = make_jwt(claims(sub=2)).split(".")[1]
    bad = {
        "expired": make_jwt(claims(sub=1, exp_in=-10)),
        "wrong secret": make_jwt(claims(sub=1), secret="x" * 48),
        "payload swapped": head + "." + tampered_payload + "." + sig,
        "signature flipped": head + "." + body + "." + ("A" if sig[0] != "A" else "B") + sig[1:],
        "alg none": make_jwt(claims(sub=1), header={"alg": "none", "typ": "JWT"}, sign=False),
        "HS512": make_jwt(claims(sub=1), alg="HS512"),
        "garbage": "not.a.jwt",
    }
    for name, token in bad.items():
        check_error(request("GET", A + "/me", headers=bearer(token)), 401, "UnauthorizedException")
    check_error(request("GET", A + "/me"), 401, "UnauthorizedException")
    check_error(request("GET", A + "/me", headers={"Authorization": "Basic YWRtaW46cGFzcw=="}), 401)
    # a valid signature for a user that does not exist
    check_error(request("GET", A + "/me", headers=bearer(make_jwt(claims(sub=999999)))), 401, None,
                "Invalid token or user not found")
    # the role claim is never trusted
    forged_role = make_jwt(claims(sub=3, role="Admin"))
    check(request("GET", A + "/me", headers=bearer(forged_role)).json["data"]["role"] == "Employee", "role from token")
    check_error(request("GET", "/api/v1/users/stats", headers=bearer(forged_role)), 403)


# ---- forgot / verify / reset ----

def test_forgot_verify_reset():
    email, password, d = register("reset")
    forget_attempts()
    msg = {"message": "If the email exists, an OTP has been sent to it"}
    outbox_before = psql("SELECT count(*) FROM helpdesk.email_outbox")
    r = request("POST", A + "/forgot-password", {"email": "ghost-%s@example.com" % uuid.uuid4().hex[:6]})
    check(check_success(r, 200, POSTED)["data"] == msg, "unknown address answer")
    check(psql("SELECT count(*) FROM helpdesk.email_outbox") == outbox_before, "mail for an unknown address")
    check(check_success(request("POST", A + "/forgot-password", {"email": email.upper()}), 200, POSTED)["data"] == msg,
          "known address answer")
    otp = latest_otp(email)
    check(len(otp) == 6 and otp.isdigit(), "otp %r" % otp)
    check(psql("SELECT count(*) FROM helpdesk.password_resets WHERE otp_hash = '%s'" % otp) == "0", "otp stored in clear")
    wrong = "000000" if otp != "000000" else "111111"
    j = check_success(request("POST", A + "/verify-otp", {"email": email, "otp": otp}), 200, POSTED)
    check(j["data"] == {"message": "OTP verified successfully", "valid": True}, "verify %r" % j["data"])
    # verify did not consume; a wrong code is 400 and counted
    check_error(request("POST", A + "/verify-otp", {"email": email, "otp": wrong}), 400, "BadRequestException",
                "Invalid OTP code")
    check(psql("SELECT attempts FROM helpdesk.password_resets p JOIN helpdesk.users u ON u.id = p.user_id "
               "WHERE u.email = '%s' ORDER BY p.id DESC LIMIT 1" % email) == "1", "wrong try not counted")
    for body in ({"email": email, "otp": "12345"}, {"email": email, "otp": 123456}, {"email": email},
                 {"email": email, "otp": otp, "extra": 1}):
        check_error(request("POST", A + "/verify-otp", body), 400)
    check_error(request("POST", A + "/reset-password", {"email": email, "otp": otp, "newPassword": "short"}), 400)
    r = request("POST", A + "/reset-password", {"email": email, "otp": otp, "newPassword": "brand-new-pass"})
    check(check_success(r, 200, POSTED)["data"] == {"message": "Password reset successfully"}, "reset answer")
    # single use; the new password works, the old one does not; old sessions are dead
    check_error(request("POST", A + "/reset-password", {"email": email, "otp": otp, "newPassword": "another-pass-1"}),
                400, None, "Invalid OTP code")
    check_success(login(email, "brand-new-pass"), 200, POSTED)
    check_error(login(email, password), 401)
    check_error(request("POST", A + "/refresh", {"refreshToken": d["refreshToken"]}), 401)
    old_access = make_jwt(claims(sub=d["user"]["id"], iat=int(time.time()) - 30))
    check_error(request("GET", A + "/me", headers=bearer(old_access)), 401, None, "Invalid token or user not found")
    check(psql("SELECT template FROM helpdesk.email_outbox WHERE recipient = '%s' ORDER BY id DESC LIMIT 1" % email)
          == "password_reset_success", "no confirmation mail")
    forget_attempts()


def test_otp_dies_after_five_wrong_tries():
    email, _, _ = register("otp5")
    forget_attempts()
    check_success(request("POST", A + "/forgot-password", {"email": email}), 200, POSTED)
    otp = latest_otp(email)
    wrong = "999999" if otp != "999999" else "999998"
    for _ in range(5):
        check_error(request("POST", A + "/verify-otp", {"email": email, "otp": wrong}), 400, None, "Invalid OTP code")
    check_error(request("POST", A + "/verify-otp", {"email": email, "otp": otp}), 400, None,
                "Too many invalid attempts. Please request a new OTP")
    check_error(request("POST", A + "/reset-password", {"email": email, "otp": otp, "newPassword": "whatever-pass"}),
                400, None, "Too many invalid attempts. Please request a new OTP")
    forget_attempts()


def test_forgot_password_is_rate_limited():
    email, _, _ = register("otpreq")
    forget_attempts()
    for _ in range(3):
        check_success(request("POST", A + "/forgot-password", {"email": email}), 200, POSTED)
    r = request("POST", A + "/forgot-password", {"email": email})
    check_error(r, 429, "TooManyRequestsException")
    check("retry-after" in r.headers, "no Retry-After")
    forget_attempts()


# ---- change password ----

def test_change_password():
    email, password, d = register("chpw")
    forget_attempts()
    tok = bearer(d["accessToken"])
    path = "/api/v1/users/change-password"
    check_error(request("POST", path, {"currentPassword": "not-my-password", "newPassword": "next-pass-1"}, tok), 400,
                "BadRequestException", "Current password is incorrect")
    check_error(request("POST", path, {"currentPassword": password, "newPassword": "short"}, tok), 400)
    check_error(request("POST", path, {"currentPassword": password}, tok), 400)
    check_error(request("POST", path, {"currentPassword": password, "newPassword": "next-pass-1"}), 401)
    old_access = make_jwt(claims(sub=d["user"]["id"], iat=int(time.time()) - 30))
    check_success(request("GET", A + "/me", headers=bearer(old_access)))
    # the change is made with a token issued 10 s ago: older than the change, kept all the same
    changer = bearer(make_jwt(claims(sub=d["user"]["id"], iat=int(time.time()) - 10)))
    r = request("POST", path, {"currentPassword": password, "newPassword": "next-pass-1"}, changer)
    j = check_success(r, 201, POSTED)
    check(j["data"]["message"] == "Password changed successfully", "data %r" % j["data"])
    check("accessToken" in j["data"] and "refreshToken" in j["data"] and "accessClaims" not in j["data"], "new session")
    check_success(request("GET", A + "/me", headers=bearer(j["data"]["accessToken"])))
    check_error(request("GET", A + "/me", headers=bearer(old_access)), 401)
    # the token that made the change stays valid: the reference's web client keeps using it
    check_success(request("GET", A + "/me", headers=changer))
    check_error(request("POST", A + "/refresh", {"refreshToken": d["refreshToken"]}), 401)
    check_success(login(email, "next-pass-1"), 200, POSTED)
    check(psql("SELECT count(*) FROM helpdesk.audit_logs a JOIN helpdesk.users u ON u.id = a.user_id "
               "WHERE u.email = '%s' AND a.action IN ('PASSWORD_CHANGED', 'PASSWORD_CHANGE_FAILED')" % email) == "2",
          "change not audited")
    forget_attempts()


# ---- role matrix of the auth routes ----

def test_auth_role_matrix():
    tokens = {"admin": make_jwt(claims(sub=1)), "staff": make_jwt(claims(sub=2)), "employee": make_jwt(claims(sub=3))}
    for path in ("/me", "/profile"):
        for who, t in tokens.items():
            check_success(request("GET", A + path, headers=bearer(t)))
        check_error(request("GET", A + path), 401)
    for who, t in tokens.items():
        check_success(request("POST", A + "/logout", headers=bearer(t)), 200, POSTED)
    check_error(request("POST", A + "/logout"), 401)
    # the public routes answer without a token (400 here: empty bodies)
    for path in ("/login", "/register", "/refresh", "/forgot-password", "/verify-otp", "/reset-password"):
        check_error(request("POST", A + path, {}), 400)


def test_login_limit_holds_under_parallel_requests():
    import threading
    email, password, _ = register("parallel")
    forget_attempts()
    statuses = []
    lock = threading.Lock()

    def attempt(i):
        r = login(email, "parallel-wrong-%d" % i)
        with lock:
            statuses.append(r.status)

    threads = [threading.Thread(target=attempt, args=(i,)) for i in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    check(sorted(set(statuses)) == [401, 429], "statuses %r" % statuses)
    check(statuses.count(401) == 5, "%d failures passed the limit of 5: %r" % (statuses.count(401), statuses))
    check(psql("SELECT count(*) FROM helpdesk.auth_attempts WHERE account = '%s'" % email) == "5", "attempts")
    forget_attempts()
