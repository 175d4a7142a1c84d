-- 12_auth, 1.0 to 1.1: the one-time code and the reset confirmation are composed from the
-- e-mail templates in the user's language (sql/03_email.sql).

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
