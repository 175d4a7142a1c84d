-- 12_auth: authentication. Login, registration, opaque refresh tokens (rotated, families,
-- reuse detection), logout, forgot-password one-time codes, password change/reset, and the
-- brute-force limits on all of them.
--
-- Failed attempts must be counted even though the request fails. An error raised by a route
-- function rolls back its whole transaction, so a failure row inserted before the RAISE would
-- be lost. Failures that must leave a trace (a wrong password, a wrong one-time code, a reused
-- refresh token) therefore do NOT raise: the function writes its bookkeeping (auth_attempts
-- row, audit row, attempts counter, family revocation) and RETURNS normally the object
-- {"__error": {"status": 401, "message": "...", "retryAfter"?: n}} built by
-- helpdesk.error_result(). The transaction commits, and helpdesk-http answers that status and
-- message in the error envelope (docs/REQUEST-CONTRACT.md, "Errors that must still commit").
-- Errors with nothing to keep (validation, throttled, expired) raise as usual.

-- Attempts that the brute-force limits count: failed logins, failed one-time codes, failed
-- current-password checks, and password-reset requests. `account` is the lower-cased e-mail
-- (login, otp, otp_request) or the user id (password).
CREATE TABLE helpdesk.auth_attempts (
    id          bigserial PRIMARY KEY,
    kind        varchar(20) NOT NULL CHECK (kind IN ('login', 'otp', 'otp_request', 'password')),
    account     text NOT NULL,
    ip_address  text,
    created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX auth_attempts_account_idx ON helpdesk.auth_attempts (kind, account, created_at);

CREATE INDEX auth_attempts_ip_idx ON helpdesk.auth_attempts (kind, ip_address, created_at)
    WHERE ip_address IS NOT NULL;

CREATE INDEX auth_attempts_created_idx ON helpdesk.auth_attempts (created_at);

SELECT pg_catalog.pg_extension_config_dump('helpdesk.auth_attempts', '');

SELECT pg_catalog.pg_extension_config_dump('helpdesk.auth_attempts_id_seq', '');

-- An error answer that still commits (see the top of this file).
CREATE FUNCTION helpdesk.error_result(status int, message text, retry_after int DEFAULT NULL)
RETURNS jsonb
LANGUAGE sql IMMUTABLE
AS $$
    SELECT pg_catalog.jsonb_build_object('__error',
        pg_catalog.jsonb_strip_nulls(pg_catalog.jsonb_build_object(
            'status', status, 'message', message, 'retryAfter', retry_after)))
$$;

-- The limits of one kind of attempt: at most max_per_account per account and max_per_ip per
-- client address within window. Settings (helpdesk.settings keys) override the defaults:
-- <kind>_max_per_account, <kind>_max_per_ip, <kind>_window_minutes.
CREATE FUNCTION helpdesk.auth_limits(kind text, OUT max_per_account int, OUT max_per_ip int,
                                     OUT window_length interval)
LANGUAGE plpgsql STABLE
AS $$
DECLARE
    -- kind: per account, per address, minutes
    defaults CONSTANT jsonb := '{"login": [5, 20, 15], "otp": [10, 20, 15],
                                 "otp_request": [3, 10, 15], "password": [5, 20, 15]}';
BEGIN
    IF NOT defaults ? kind THEN
        RAISE EXCEPTION 'helpdesk.auth_limits: unknown kind %', kind;
    END IF;
    max_per_account := helpdesk.setting(kind || '_max_per_account', defaults -> kind ->> 0)::int;
    max_per_ip := helpdesk.setting(kind || '_max_per_ip', defaults -> kind ->> 1)::int;
    window_length := make_interval(mins => helpdesk.setting(kind || '_window_minutes', defaults -> kind ->> 2)::int);
END
$$;

-- Serialize the attempts of one kind on one account until the end of the transaction, so that
-- parallel requests cannot all pass the limit before any of them has recorded its failure.
-- (Per address there is no lock: all users behind one NAT would queue; that limit is approximate
-- under concurrency, the per-account one is exact.)
CREATE FUNCTION helpdesk.auth_lock(kind text, account text)
RETURNS void
LANGUAGE sql VOLATILE
AS $$ SELECT pg_catalog.pg_advisory_xact_lock(pg_catalog.hashtextextended('helpdesk.auth:' || kind || ':' || account, 0)) $$;

-- Seconds until one more attempt of `kind` is allowed for (account, ip), NULL when allowed now.
CREATE FUNCTION helpdesk.auth_throttle(kind text, account text, ip text, at timestamptz DEFAULT now())
RETURNS int
LANGUAGE plpgsql STABLE
AS $$
DECLARE
    lim    record := helpdesk.auth_limits(kind);
    oldest timestamptz;
    until  timestamptz;
BEGIN
    -- The max-th newest attempt in the window: once it leaves the window, one more is allowed.
    -- (No upper bound on created_at: a parallel request that started after this one may have
    -- recorded its failure with a later clock before this one got the account lock.)
    SELECT a.created_at INTO oldest
    FROM helpdesk.auth_attempts a
    WHERE a.kind = auth_throttle.kind AND a.account = auth_throttle.account
      AND a.created_at > at - lim.window_length
    ORDER BY a.created_at DESC
    OFFSET greatest(lim.max_per_account, 1) - 1 LIMIT 1;
    IF FOUND THEN
        until := oldest + lim.window_length;
    END IF;
    IF ip IS NOT NULL THEN
        SELECT a.created_at INTO oldest
        FROM helpdesk.auth_attempts a
        WHERE a.kind = auth_throttle.kind AND a.ip_address = ip
          AND a.created_at > at - lim.window_length
        ORDER BY a.created_at DESC
        OFFSET greatest(lim.max_per_ip, 1) - 1 LIMIT 1;
        IF FOUND THEN
            until := greatest(until, oldest + lim.window_length);
        END IF;
    END IF;
    IF until IS NULL THEN
        RETURN NULL;
    END IF;
    RETURN greatest(1, ceil(extract(epoch FROM until - at)))::int;
END
$$;

-- Count one attempt, and forget this account's attempts that left the window.
CREATE FUNCTION helpdesk.auth_attempt_record(kind text, account text, ip text, at timestamptz DEFAULT now())
RETURNS void
LANGUAGE plpgsql
AS $$
DECLARE
    win interval := (helpdesk.auth_limits(kind)).window_length;
BEGIN
    DELETE FROM helpdesk.auth_attempts a
    WHERE a.kind = auth_attempt_record.kind AND a.account = auth_attempt_record.account
      AND a.created_at <= at - win;
    INSERT INTO helpdesk.auth_attempts (kind, account, ip_address, created_at)
    VALUES (kind, account, ip, at);
END
$$;

-- Housekeeping for a DBA or a scheduler: drop attempts older than every window.
CREATE FUNCTION helpdesk.auth_attempts_purge(at timestamptz DEFAULT now(), keep interval DEFAULT '1 day')
RETURNS bigint
LANGUAGE sql VOLATILE
AS $$
    WITH d AS (DELETE FROM helpdesk.auth_attempts WHERE created_at < at - keep RETURNING 1)
    SELECT count(*) FROM d
$$;

-- The claims helpdesk-http signs into the access token (response kind `tokens`).
CREATE FUNCTION helpdesk.access_claims(u helpdesk.users)
RETURNS jsonb
LANGUAGE sql STABLE
AS $$ SELECT pg_catalog.jsonb_build_object('sub', u.id, 'email', u.email, 'role', u.role) $$;

CREATE FUNCTION helpdesk.refresh_token_hash(token text)
RETURNS bytea
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
AS $$ SELECT pg_catalog.sha256(pg_catalog.convert_to(token, 'UTF8')) $$;

-- A new opaque refresh token for `user_id`: 32 random bytes, base64url. Only its SHA-256 is
-- stored. `family` NULL starts a new family (a login); rotation passes the old token's family.
-- Lifetime: setting refresh_token_days (default 30).
CREATE FUNCTION helpdesk.refresh_token_issue(user_id int, family uuid DEFAULT NULL, at timestamptz DEFAULT now())
RETURNS text
LANGUAGE plpgsql
AS $$
DECLARE
    token text := rtrim(translate(encode(public.gen_random_bytes(32), 'base64'), '+/', '-_'), '=');
BEGIN
    INSERT INTO helpdesk.refresh_tokens (user_id, family_id, token_hash, expires_at, ip_address, user_agent, created_at)
    VALUES (user_id, coalesce(family, gen_random_uuid()), helpdesk.refresh_token_hash(token),
            at + make_interval(days => helpdesk.setting('refresh_token_days', '30')::int),
            helpdesk.client_ip(), nullif(current_setting('helpdesk.user_agent', true), ''), at);
    RETURN token;
END
$$;

-- The bcrypt hash of a password the dummy comparison uses when no account matches, so a
-- login for an unknown address costs the same time as one for a known address.
CREATE FUNCTION helpdesk.dummy_password_check(password text)
RETURNS void
LANGUAGE plpgsql VOLATILE
AS $$
BEGIN
    PERFORM public.crypt(password, public.gen_salt('bf', current_setting('helpdesk.bcrypt_cost')::int));
END
$$;

-- Set a user's password (hashed once, here), end every session: access tokens issued before
-- `at` are refused by current_actor() (helpdesk.token_current), refresh tokens are revoked.
CREATE FUNCTION helpdesk.user_set_password(user_id int, password text, reason text, at timestamptz DEFAULT now())
RETURNS void
LANGUAGE plpgsql
AS $$
BEGIN
    PERFORM helpdesk.check_new_password(password);
    UPDATE helpdesk.users u SET password_hash = helpdesk.hash_password(password), tokens_valid_after = at,
                                tokens_kept_iat = NULL
    WHERE u.id = user_set_password.user_id;
    PERFORM helpdesk.refresh_tokens_revoke_user(user_id, reason, at);
END
$$;

-- Login. Success: {user, accessClaims, refreshToken}, last_login_at set, a LOGIN audit row, the
-- account's failure count cleared. Failure: a LOGIN_FAILED audit row and a counted attempt, and
-- the committing error 401. Over the limits: 429 with Retry-After.
CREATE FUNCTION helpdesk.login(email text, password text, at timestamptz DEFAULT now())
RETURNS jsonb
LANGUAGE plpgsql
AS $$
DECLARE
    addr   text := lower(btrim(email));
    ip     text := helpdesk.client_ip();
    u      helpdesk.users;
    reason text;
    retry  int;
BEGIN
    PERFORM helpdesk.auth_lock('login', addr);
    retry := helpdesk.auth_throttle('login', addr, ip, at);
    IF retry IS NOT NULL THEN
        PERFORM helpdesk.http_error(429, 'Too many failed login attempts. Please try again later.', NULL, retry);
    END IF;

    SELECT * INTO u FROM helpdesk.users x WHERE lower(x.email) = addr;
    IF NOT FOUND THEN
        PERFORM helpdesk.dummy_password_check(password);
        reason := 'unknown_email';
    ELSIF NOT helpdesk.password_matches(password, u.password_hash) THEN
        reason := 'wrong_password';
    ELSIF NOT u.is_active THEN
        reason := 'inactive';
    END IF;

    IF reason IS NOT NULL THEN
        PERFORM helpdesk.auth_attempt_record('login', addr, ip, at);
        PERFORM helpdesk.audit('LOGIN_FAILED', 'user', u.id,
                               jsonb_build_object('email', addr, 'reason', reason), u.id);
        RETURN helpdesk.error_result(401, CASE reason WHEN 'inactive' THEN 'Account is not active'
                                                      ELSE 'Invalid email or password' END);
    END IF;

    UPDATE helpdesk.users x SET last_login_at = at WHERE x.id = u.id RETURNING * INTO u;
    DELETE FROM helpdesk.auth_attempts a WHERE a.kind = 'login' AND a.account = addr;
    PERFORM helpdesk.audit('LOGIN', 'user', u.id, '{}', u.id);
    RETURN jsonb_build_object('user', helpdesk.user_json(u), 'accessClaims', helpdesk.access_claims(u),
                              'refreshToken', helpdesk.refresh_token_issue(u.id, NULL, at));
END
$$;

-- Exchange a refresh token for a new pair. The token is rotated (it can be used once); using
-- a rotated token again revokes its whole family (someone holds a stolen copy) and answers the
-- committing error 401. Revoked, expired, unknown tokens and tokens of inactive users: 401.
CREATE FUNCTION helpdesk.refresh(token text, at timestamptz DEFAULT now())
RETURNS jsonb
LANGUAGE plpgsql
AS $$
DECLARE
    r helpdesk.refresh_tokens;
    u helpdesk.users;
BEGIN
    IF token IS NULL OR length(token) > 256 THEN
        PERFORM helpdesk.http_error(401, 'Invalid refresh token');
    END IF;
    SELECT * INTO r FROM helpdesk.refresh_tokens t WHERE t.token_hash = helpdesk.refresh_token_hash(token) FOR UPDATE;
    IF NOT FOUND THEN
        PERFORM helpdesk.http_error(401, 'Invalid refresh token');
    END IF;
    IF r.rotated_at IS NOT NULL THEN
        UPDATE helpdesk.refresh_tokens t SET revoked_at = at, revoked_reason = 'reuse_detected'
        WHERE t.family_id = r.family_id AND t.revoked_at IS NULL;
        PERFORM helpdesk.audit('REFRESH_TOKEN_REUSED', 'user', r.user_id,
                               jsonb_build_object('familyId', r.family_id), r.user_id);
        RETURN helpdesk.error_result(401, 'Refresh token has already been used');
    END IF;
    IF r.revoked_at IS NOT NULL THEN
        PERFORM helpdesk.http_error(401, 'Refresh token has been revoked');
    END IF;
    IF r.expires_at <= at THEN
        PERFORM helpdesk.http_error(401, 'Refresh token has expired');
    END IF;
    SELECT * INTO u FROM helpdesk.users x WHERE x.id = r.user_id;
    IF NOT u.is_active OR r.created_at < u.tokens_valid_after THEN
        PERFORM helpdesk.http_error(401, 'Invalid token or user not found');
    END IF;
    UPDATE helpdesk.refresh_tokens t SET rotated_at = at WHERE t.id = r.id;
    RETURN jsonb_build_object('accessClaims', helpdesk.access_claims(u),
                              'refreshToken', helpdesk.refresh_token_issue(u.id, r.family_id, at));
END
$$;

-- Logout: revoke the family of the refresh token given (if it is the actor's), audit.
CREATE FUNCTION helpdesk.logout(actor helpdesk.users, token text DEFAULT NULL, at timestamptz DEFAULT now())
RETURNS boolean
LANGUAGE plpgsql
AS $$
DECLARE
    fam uuid;
    n   int := 0;
BEGIN
    IF token IS NOT NULL THEN
        SELECT t.family_id INTO fam FROM helpdesk.refresh_tokens t
        WHERE t.token_hash = helpdesk.refresh_token_hash(token) AND t.user_id = actor.id;
        IF FOUND THEN
            UPDATE helpdesk.refresh_tokens t SET revoked_at = at, revoked_reason = 'logout'
            WHERE t.family_id = fam AND t.revoked_at IS NULL;
            GET DIAGNOSTICS n = ROW_COUNT;
        END IF;
    END IF;
    PERFORM helpdesk.audit('LOGOUT', 'user', actor.id, jsonb_build_object('refreshTokenRevoked', n > 0), actor.id);
    RETURN n > 0;
END
$$;

-- Forgot password: a 6-digit one-time code valid otp_valid_minutes (default 10), stored as a
-- bcrypt hash, mailed through the outbox. Earlier unused codes of the user stop working.
-- Unknown or inactive addresses: nothing is stored or sent, the caller cannot tell.
-- Requests are limited per address and per client (kind otp_request).
CREATE FUNCTION helpdesk.password_reset_request(email text, at timestamptz DEFAULT now())
RETURNS void
LANGUAGE plpgsql
AS $$
DECLARE
    addr    text := lower(btrim(email));
    ip      text := helpdesk.client_ip();
    u       helpdesk.users;
    b       bytea := public.gen_random_bytes(4);
    otp     text;
    minutes int := helpdesk.setting('otp_valid_minutes', '10')::int;
    retry   int;
BEGIN
    PERFORM helpdesk.auth_lock('otp_request', addr);
    retry := helpdesk.auth_throttle('otp_request', addr, ip, at);
    IF retry IS NOT NULL THEN
        PERFORM helpdesk.http_error(429, 'Too many password reset requests. Please try again later.', NULL, retry);
    END IF;
    PERFORM helpdesk.auth_attempt_record('otp_request', addr, ip, at);

    SELECT * INTO u FROM helpdesk.users x WHERE lower(x.email) = addr AND x.is_active;
    IF NOT FOUND THEN
        RETURN;
    END IF;

    otp := (100000 + ((get_byte(b, 0)::bigint << 24) | (get_byte(b, 1) << 16) | (get_byte(b, 2) << 8)
                      | get_byte(b, 3)) % 900000)::text;
    UPDATE helpdesk.password_resets p SET expires_at = at
    WHERE p.user_id = u.id AND p.used_at IS NULL AND p.expires_at > at;
    INSERT INTO helpdesk.password_resets (user_id, otp_hash, expires_at, ip_address, created_at)
    VALUES (u.id, public.crypt(otp, public.gen_salt('bf', 4)), at + make_interval(mins => minutes), ip, at);
    PERFORM helpdesk.email_enqueue(u, 'password_reset_otp', jsonb_build_object('code', otp, 'minutes', minutes));
    PERFORM helpdesk.audit('PASSWORD_RESET_REQUESTED', 'user', u.id, '{}', u.id);
END
$$;

-- Check a one-time code without consuming it. reset_id: the code's row when valid. error: the
-- committing error when the code is wrong (the wrong try is counted on the code, at most
-- otp_max_attempts (default 5) tries per code, and against the per-account/address limits).
CREATE FUNCTION helpdesk.otp_check(email text, otp text, at timestamptz DEFAULT now(),
                                   OUT reset_id int, OUT error jsonb)
LANGUAGE plpgsql
AS $$
DECLARE
    addr  text := lower(btrim(email));
    ip    text := helpdesk.client_ip();
    u     helpdesk.users;
    r     helpdesk.password_resets;
    retry int;
BEGIN
    PERFORM helpdesk.auth_lock('otp', addr);
    retry := helpdesk.auth_throttle('otp', addr, ip, at);
    IF retry IS NOT NULL THEN
        PERFORM helpdesk.http_error(429, 'Too many invalid OTP attempts. Please try again later.', NULL, retry);
    END IF;
    SELECT * INTO u FROM helpdesk.users x WHERE lower(x.email) = addr AND x.is_active;
    IF FOUND THEN
        SELECT * INTO r FROM helpdesk.password_resets p
        WHERE p.user_id = u.id AND p.used_at IS NULL AND p.created_at <= at
        ORDER BY p.created_at DESC, p.id DESC LIMIT 1 FOR UPDATE;
    END IF;
    IF r.id IS NULL THEN
        PERFORM helpdesk.auth_attempt_record('otp', addr, ip, at);
        error := helpdesk.error_result(400, 'Invalid OTP code');
        RETURN;
    END IF;
    IF r.attempts >= helpdesk.setting('otp_max_attempts', '5')::int THEN
        PERFORM helpdesk.http_error(400, 'Too many invalid attempts. Please request a new OTP');
    END IF;
    IF r.expires_at <= at THEN
        PERFORM helpdesk.http_error(400, 'OTP has expired. Please request a new one');
    END IF;
    IF otp IS NULL OR NOT helpdesk.password_matches(otp, r.otp_hash) THEN
        UPDATE helpdesk.password_resets p SET attempts = p.attempts + 1 WHERE p.id = r.id;
        PERFORM helpdesk.auth_attempt_record('otp', addr, ip, at);
        PERFORM helpdesk.audit('OTP_FAILED', 'user', u.id, '{}', u.id);
        error := helpdesk.error_result(400, 'Invalid OTP code');
        RETURN;
    END IF;
    reset_id := r.id;
END
$$;

-- Reset a password with a one-time code: consumes the code, sets the password (ending every
-- session), audits, and mails a confirmation. Returns NULL, or the committing error.
CREATE FUNCTION helpdesk.password_reset(email text, otp text, new_password text, at timestamptz DEFAULT now())
RETURNS jsonb
LANGUAGE plpgsql
AS $$
DECLARE
    c   record;
    uid int;
    u   helpdesk.users;
BEGIN
    PERFORM helpdesk.check_new_password(new_password, 'newPassword');
    c := helpdesk.otp_check(email, otp, at);
    IF c.error IS NOT NULL THEN
        RETURN c.error;
    END IF;
    UPDATE helpdesk.password_resets p SET used_at = at WHERE p.id = c.reset_id RETURNING p.user_id INTO uid;
    PERFORM helpdesk.user_set_password(uid, new_password, 'password_reset', at);
    -- the owner proved control of the address: forget its failed codes and logins
    DELETE FROM helpdesk.auth_attempts a WHERE a.kind IN ('otp', 'login') AND a.account = lower(btrim(email));
    SELECT * INTO u FROM helpdesk.users x WHERE x.id = uid;
    PERFORM helpdesk.email_enqueue(u, 'password_reset_success', '{}');
    PERFORM helpdesk.audit('PASSWORD_RESET', 'user', uid, '{}', uid);
    RETURN NULL;
END
$$;

-- Change one's own password knowing the current one. Wrong current password: counted (kind
-- password, per user and address) and the committing error 400. Success ends every other
-- session: the access token that made the change stays valid (clients such as the reference's
-- web client keep using it), and a new session is answered: {accessClaims, refreshToken}.
CREATE FUNCTION helpdesk.password_change(actor helpdesk.users, current_password text, new_password text,
                                         at timestamptz DEFAULT now())
RETURNS jsonb
LANGUAGE plpgsql
AS $$
DECLARE
    ip    text := helpdesk.client_ip();
    retry int;
BEGIN
    PERFORM helpdesk.check_new_password(new_password, 'newPassword');
    PERFORM helpdesk.auth_lock('password', actor.id::text);
    retry := helpdesk.auth_throttle('password', actor.id::text, ip, at);
    IF retry IS NOT NULL THEN
        PERFORM helpdesk.http_error(429, 'Too many failed password attempts. Please try again later.', NULL, retry);
    END IF;
    IF current_password IS NULL OR NOT helpdesk.password_matches(current_password, actor.password_hash) THEN
        PERFORM helpdesk.auth_attempt_record('password', actor.id::text, ip, at);
        PERFORM helpdesk.audit('PASSWORD_CHANGE_FAILED', 'user', actor.id, '{}', actor.id);
        RETURN helpdesk.error_result(400, 'Current password is incorrect');
    END IF;
    PERFORM helpdesk.user_set_password(actor.id, new_password, 'password_change', at);
    UPDATE helpdesk.users u SET tokens_kept_iat = nullif(current_setting('helpdesk.token_iat', true), '')::bigint
    WHERE u.id = actor.id;
    DELETE FROM helpdesk.auth_attempts a WHERE a.kind = 'password' AND a.account = actor.id::text;
    PERFORM helpdesk.audit('PASSWORD_CHANGED', 'user', actor.id, '{}', actor.id);
    RETURN jsonb_build_object('accessClaims', helpdesk.access_claims(actor),
                              'refreshToken', helpdesk.refresh_token_issue(actor.id, NULL, at));
END
$$;

-- Self-registration (POST /auth/register): always an Employee. Answers the new session.
CREATE FUNCTION helpdesk.register(username text, email text, password text, full_name text,
                                  phone text DEFAULT NULL, department text DEFAULT NULL)
RETURNS jsonb
LANGUAGE plpgsql
AS $$
DECLARE
    u helpdesk.users;
BEGIN
    PERFORM helpdesk.check_new_password(password);
    -- the reference's own messages for registration
    IF EXISTS (SELECT FROM helpdesk.users x WHERE lower(x.email) = lower(register.email)) THEN
        PERFORM helpdesk.http_error(409, 'User with this email already exists');
    END IF;
    IF EXISTS (SELECT FROM helpdesk.users x WHERE lower(x.username) = lower(register.username)) THEN
        PERFORM helpdesk.http_error(409, 'Username already taken');
    END IF;
    u := helpdesk.user_insert(username, email, password, full_name, 'Employee', department, phone);
    PERFORM helpdesk.audit('REGISTER', 'user', u.id, '{}', u.id);
    RETURN jsonb_build_object('user', helpdesk.user_json(u), 'accessClaims', helpdesk.access_claims(u),
                              'refreshToken', helpdesk.refresh_token_issue(u.id));
END
$$;
