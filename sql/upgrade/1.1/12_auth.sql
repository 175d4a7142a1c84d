-- 12_auth, 1.0 to 1.1: a password change keeps the token that made it (users.tokens_kept_iat);
-- the one-time code and the reset confirmation are composed from the e-mail templates in the
-- user's language (sql/03_email.sql).

-- Set a user's password (hashed once, here), end every session: access tokens issued before
-- `at` are refused by current_actor() (helpdesk.token_current), refresh tokens are revoked.
CREATE OR REPLACE FUNCTION helpdesk.user_set_password(user_id int, password text, reason text, at timestamptz DEFAULT now())
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

-- Change one's own password knowing the current one. Wrong current password: counted (kind
-- password, per user and address) and the committing error 400. Success ends every other
-- session: the access token that made the change stays valid (clients such as the reference's
-- web client keep using it), and a new session is answered: {accessClaims, refreshToken}.
CREATE OR REPLACE FUNCTION helpdesk.password_change(actor helpdesk.users, current_password text, new_password text,
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

CREATE OR REPLACE FUNCTION helpdesk.password_reset_request(email text, at timestamptz DEFAULT now())
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

CREATE OR REPLACE FUNCTION helpdesk.password_reset(email text, otp text, new_password text, at timestamptz DEFAULT now())
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
