-- 13_auth_api: the /api/v1/auth routes (seed-system §2.1), and POST /users/change-password,
-- which is a password operation of sql/12_auth.sql. Failures that must still commit come back
-- from the domain functions as {"__error": ...} and are passed through unchanged.

-- POST /auth/login {email, password} -> {user, accessClaims, refreshToken} (kind tokens)
CREATE FUNCTION helpdesk_api.auth_login(req jsonb)
RETURNS jsonb
LANGUAGE plpgsql
AS $$
DECLARE
    b        jsonb := helpdesk.body(req, 'email', 'password');
    email    text := helpdesk.field_email(b, 'email', true);
    password text := helpdesk.field_text(b, 'password', true, NULL, 128);
BEGIN
    RETURN helpdesk.login(email, password);
END
$$;

-- POST /auth/register: always an Employee (a `role` property is refused like any unknown one).
CREATE FUNCTION helpdesk_api.auth_register(req jsonb)
RETURNS jsonb
LANGUAGE plpgsql
AS $$
DECLARE
    b      jsonb := helpdesk.body(req, 'username', 'fullName', 'email', 'password', 'phone', 'department');
    uname  text := lower(btrim(helpdesk.field_text(b, 'username', true, 3, 50)));
    fname  text := btrim(helpdesk.field_text(b, 'fullName', true, 1, 100));
    addr   text := helpdesk.field_email(b, 'email', true);
    pw     text := helpdesk.field_text(b, 'password', true);
BEGIN
    PERFORM helpdesk.check_new_password(pw);
    IF length(uname) < 3 THEN
        PERFORM helpdesk.validation_error('username must be longer than or equal to 3 characters');
    END IF;
    RETURN helpdesk.register(uname, addr, pw, fname, helpdesk.field_text(b, 'phone', false, NULL, 20),
                             helpdesk.field_text(b, 'department', false, NULL, 100));
END
$$;
-- POST /auth/refresh {refreshToken} -> {accessClaims, refreshToken} (kind tokens)
CREATE FUNCTION helpdesk_api.auth_refresh(req jsonb)
RETURNS jsonb
LANGUAGE plpgsql
AS $$
DECLARE
    b     jsonb := helpdesk.body(req, 'refreshToken');
    token text := helpdesk.field_text(b, 'refreshToken', true, NULL, 256);
BEGIN
    RETURN helpdesk.refresh(token);
END
$$;

-- POST /auth/logout {refreshToken?}
CREATE FUNCTION helpdesk_api.auth_logout(req jsonb)
RETURNS jsonb
LANGUAGE plpgsql
AS $$
DECLARE
    actor helpdesk.users := helpdesk.current_actor();
    b     jsonb := helpdesk.body(req, 'refreshToken');
    token text := helpdesk.field_text(b, 'refreshToken', false, NULL, 256);
BEGIN
    PERFORM helpdesk.logout(actor, token);
    RETURN jsonb_build_object('message', 'Logged out successfully');
END
$$;

-- GET /auth/me, GET /auth/profile, GET /users/profile: the acting user as the database sees it now.
CREATE FUNCTION helpdesk_api.auth_me(req jsonb)
RETURNS jsonb
LANGUAGE plpgsql STABLE
AS $$
BEGIN
    RETURN (SELECT helpdesk.user_json(helpdesk.current_actor()));
END
$$;

-- POST /auth/forgot-password {email}: the same answer whether or not the address exists.
CREATE FUNCTION helpdesk_api.auth_forgot_password(req jsonb)
RETURNS jsonb
LANGUAGE plpgsql
AS $$
DECLARE
    b     jsonb := helpdesk.body(req, 'email');
    email text := helpdesk.field_email(b, 'email', true);
BEGIN
    PERFORM helpdesk.password_reset_request(email);
    RETURN jsonb_build_object('message', 'If the email exists, an OTP has been sent to it');
END
$$;

-- POST /auth/verify-otp {email, otp}: checks the code, does not consume it.
CREATE FUNCTION helpdesk_api.auth_verify_otp(req jsonb)
RETURNS jsonb
LANGUAGE plpgsql
AS $$
DECLARE
    b     jsonb := helpdesk.body(req, 'email', 'otp');
    email text := helpdesk.field_email(b, 'email', true);
    otp   text := helpdesk.field_text(b, 'otp', true, 6, 6);
    c     record;
BEGIN
    c := helpdesk.otp_check(email, otp);
    RETURN coalesce(c.error, jsonb_build_object('message', 'OTP verified successfully', 'valid', true));
END
$$;

-- POST /auth/reset-password {email, otp, newPassword}: consumes the code.
CREATE FUNCTION helpdesk_api.auth_reset_password(req jsonb)
RETURNS jsonb
LANGUAGE plpgsql
AS $$
DECLARE
    b            jsonb := helpdesk.body(req, 'email', 'otp', 'newPassword');
    email        text := helpdesk.field_email(b, 'email', true);
    otp          text := helpdesk.field_text(b, 'otp', true, 6, 6);
    new_password text := helpdesk.field_text(b, 'newPassword', true);
BEGIN
    RETURN coalesce(helpdesk.password_reset(email, otp, new_password),
                    jsonb_build_object('message', 'Password reset successfully'));
END
$$;

-- POST /users/change-password {currentPassword, newPassword}: a `tokens` route, the answer
-- carries a fresh session since every earlier one ends.
CREATE FUNCTION helpdesk_api.users_change_password(req jsonb)
RETURNS jsonb
LANGUAGE plpgsql
AS $$
DECLARE
    actor  helpdesk.users := helpdesk.current_actor();
    b      jsonb := helpdesk.body(req, 'currentPassword', 'newPassword');
    cur    text := helpdesk.field_text(b, 'currentPassword', true, NULL, 128);
    pw     text := helpdesk.field_text(b, 'newPassword', true);
    result jsonb;
BEGIN
    result := helpdesk.password_change(actor, cur, pw);
    IF result ? '__error' THEN
        RETURN result;
    END IF;
    RETURN jsonb_build_object('message', 'Password changed successfully') || result;
END
$$;
