-- Authentication: password hashing, login, rate limits, refresh tokens, logout, one-time codes,
-- password change and reset, audit rows. Clocks are passed in; no now() reaches the output.
\set SHOW_CONTEXT never

-- The HTTP status, message, Retry-After an expression raises; or its value.
CREATE FUNCTION pg_temp.try(expr text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE st text; msg text; det text; hint text; result text;
BEGIN
    EXECUTE 'SELECT (' || expr || ')::text' INTO result;
    RETURN coalesce(result, '<null>');
EXCEPTION WHEN OTHERS THEN
    GET STACKED DIAGNOSTICS st = RETURNED_SQLSTATE, msg = MESSAGE_TEXT, det = PG_EXCEPTION_DETAIL,
                            hint = PG_EXCEPTION_HINT;
    RETURN concat_ws(' ', st, msg, nullif(det, ''), 'retry-after ' || nullif(hint, ''));
END $$;

-- A route answer without what changes from run to run (timestamps, random tokens).
CREATE FUNCTION pg_temp.clean(j jsonb) RETURNS jsonb LANGUAGE sql AS $$
    SELECT CASE jsonb_typeof(j)
        WHEN 'object' THEN (
            SELECT coalesce(jsonb_object_agg(k, CASE
                WHEN k IN ('createdAt', 'updatedAt', 'lastLoginAt') AND jsonb_typeof(v) = 'string' THEN '"<ts>"'
                WHEN k = 'refreshToken' AND jsonb_typeof(v) = 'string' THEN to_jsonb('<token ' || length(v #>> '{}') || ' chars>')
                ELSE pg_temp.clean(v) END), '{}')
            FROM jsonb_each(j) AS e(k, v))
        WHEN 'array' THEN (SELECT coalesce(jsonb_agg(pg_temp.clean(v)), '[]') FROM jsonb_array_elements(j) v)
        ELSE j END
$$;

SELECT set_config('helpdesk.client_ip', '192.0.2.1', false) IS NOT NULL AS ip_set;
-- (01_settings inserted users with explicit ids; move the sequence past them.)
SELECT setval('helpdesk.users_id_seq', (SELECT max(id) FROM helpdesk.users)) IS NOT NULL AS seq_moved;
CREATE FUNCTION pg_temp.uid(name text) RETURNS int LANGUAGE sql AS $$
    SELECT id FROM helpdesk.users WHERE username = name $$;
CREATE FUNCTION pg_temp.act(name text) RETURNS boolean LANGUAGE sql AS $$
    SELECT set_config('helpdesk.actor_id', coalesce(pg_temp.uid(name)::text, ''), false) IS NOT NULL $$;

-- Users. Passwords are hashed once, at the configured cost (4 in tests), minimum length 8.
SELECT (helpdesk.user_insert('admin', 'Admin@Example.com', 'admin-pass-1', 'Ada Admin', 'Admin',
                             at => '2026-01-05 09:00Z')).username AS created;
SELECT (helpdesk.user_insert('staff', 'staff@example.com', 'staff-pass-1', 'Sam Staff', 'IT_Staff',
                             at => '2026-01-05 09:00Z')).username AS created;
SELECT (helpdesk.user_insert('emp', 'emp@example.com', 'emp-pass-1', 'Eve Employee',
                             at => '2026-01-05 09:00Z')).username AS created;
SELECT username, email, role, password_hash LIKE '$2a$04$%' AS bcrypt_cost_4,
       helpdesk.password_matches(split_part(email, '@', 1) || '-pass-1', password_hash) AS verifies
FROM helpdesk.users WHERE username IN ('admin', 'staff', 'emp') ORDER BY id;
SELECT pg_temp.try($$helpdesk.user_insert('shorty', 'short@example.com', 'seven77', 'Short')$$);

-- Login through the route: {user, accessClaims, refreshToken}; last login recorded; audited.
SELECT pg_temp.clean(helpdesk_api.auth_login('{"body": {"email": "ADMIN@example.com", "password": "admin-pass-1"}}'));
SELECT last_login_at IS NOT NULL AS login_recorded FROM helpdesk.users WHERE id = pg_temp.uid('admin');
SELECT count(*) AS refresh_tokens, bool_and(length(token_hash) = 32) AS stored_as_sha256
FROM helpdesk.refresh_tokens WHERE user_id = pg_temp.uid('admin');
-- Bad input is refused before anything is looked up.
SELECT t AS req, pg_temp.try(format('helpdesk_api.auth_login(%L)', t)) AS result FROM unnest(ARRAY[
    '{"body": {"email": "admin@example.com"}}',
    '{"body": {"email": "not-an-email", "password": "x"}}',
    '{"body": {"email": "admin@example.com", "password": 12345678}}',
    '{"body": {"email": "admin@example.com", "password": "admin-pass-1", "remember": true}}',
    '{"body": null}'
]) AS t;

-- A failed login answers the committing 401 and leaves its trace (this statement committed).
SELECT helpdesk_api.auth_login('{"body": {"email": "admin@example.com", "password": "wrong-pass"}}');
SELECT helpdesk_api.auth_login('{"body": {"email": "ghost@example.com", "password": "wrong-pass"}}');
SELECT kind, account, ip_address FROM helpdesk.auth_attempts ORDER BY id;
SELECT user_id, action, entity_id, ip_address, details FROM helpdesk.audit_logs ORDER BY id;

-- Per-account limit: 5 failures in 15 minutes, then 429 with the seconds until the oldest
-- counted failure leaves the window.
DELETE FROM helpdesk.auth_attempts;
SELECT set_config('helpdesk.client_ip', '192.0.2.10', false) IS NOT NULL AS ip_set;
SELECT i, helpdesk.login('staff@example.com', 'bad-pass-' || i, '2026-01-06 10:00Z'::timestamptz + i * interval '1 minute')
FROM generate_series(1, 5) i;
SELECT pg_temp.try($$helpdesk.login('staff@example.com', 'staff-pass-1', '2026-01-06 10:06Z')$$);
-- from another address: the account limit still holds
SELECT set_config('helpdesk.client_ip', '192.0.2.11', false) IS NOT NULL AS ip_set;
SELECT pg_temp.try($$helpdesk.login('staff@example.com', 'staff-pass-1', '2026-01-06 10:06Z')$$);
-- once the first failure (10:01) is 15 minutes old, one more try is allowed; success clears the count
SELECT pg_temp.clean(helpdesk.login('staff@example.com', 'staff-pass-1', '2026-01-06 10:16:01Z')) ? 'user' AS logged_in;
SELECT count(*) AS staff_failures_left FROM helpdesk.auth_attempts WHERE account = 'staff@example.com';
-- The limit reads the settings table.
INSERT INTO helpdesk.settings (setting_key, setting_value) VALUES ('login_max_per_account', '2');
SELECT helpdesk.login('emp@example.com', 'bad', '2026-01-06 11:00Z'), helpdesk.login('emp@example.com', 'bad', '2026-01-06 11:00:30Z');
SELECT pg_temp.try($$helpdesk.login('emp@example.com', 'emp-pass-1', '2026-01-06 11:01Z')$$);
DELETE FROM helpdesk.settings WHERE setting_key = 'login_max_per_account';

-- Per-address limit: 20 failures from one address over any accounts.
DELETE FROM helpdesk.auth_attempts;
SELECT set_config('helpdesk.client_ip', '198.51.100.7', false) IS NOT NULL AS ip_set;
SELECT count(*) AS failures FROM generate_series(1, 20) i,
    LATERAL helpdesk.login('nobody' || i || '@example.com', 'x', '2026-01-07 08:00Z'::timestamptz + i * interval '10 seconds') r
WHERE r ? '__error';
SELECT pg_temp.try($$helpdesk.login('admin@example.com', 'admin-pass-1', '2026-01-07 08:05Z')$$);
SELECT set_config('helpdesk.client_ip', '198.51.100.8', false) IS NOT NULL AS ip_set;
SELECT helpdesk.login('admin@example.com', 'admin-pass-1', '2026-01-07 08:05Z') ? 'user' AS other_address_ok;
DELETE FROM helpdesk.auth_attempts;

-- Inactive accounts: the right password learns it is inactive, a wrong one learns nothing.
UPDATE helpdesk.users SET is_active = false WHERE username = 'emp';
SELECT helpdesk.login('emp@example.com', 'emp-pass-1', '2026-01-07 09:00Z');
SELECT helpdesk.login('emp@example.com', 'nope-nope', '2026-01-07 09:00Z');
UPDATE helpdesk.users SET is_active = true WHERE username = 'emp';
DELETE FROM helpdesk.auth_attempts;

-- Registration: always an Employee, unique address and name, password rules, audited.
SELECT pg_temp.clean(helpdesk_api.auth_register('{"body": {"username": "NewBie", "fullName": "New Bie", "email": "NewBie@Example.com", "password": "newbie-pass", "department": "Sales"}}'));
SELECT t AS req, pg_temp.try(format('helpdesk_api.auth_register(%L)', t)) AS result FROM unnest(ARRAY[
    '{"body": {"username": "boss", "fullName": "B", "email": "boss@example.com", "password": "boss-pass-1", "role": "Admin"}}',
    '{"body": {"username": "other", "fullName": "O", "email": "NEWBIE@example.com", "password": "other-pass-1"}}',
    '{"body": {"username": "newbie", "fullName": "O", "email": "other@example.com", "password": "other-pass-1"}}',
    '{"body": {"username": "other", "fullName": "O", "email": "other@example.com", "password": "short"}}',
    '{"body": {"username": "ab", "fullName": "O", "email": "other@example.com", "password": "other-pass-1"}}',
    '{"body": {"fullName": "O", "email": "other@example.com", "password": "other-pass-1"}}',
    '{"body": {"username": "other", "fullName": "O", "email": "other@example.com", "password": "other-pass-1", "phone": "012345678901234567890"}}'
]) AS t;
SELECT username, email, role, department FROM helpdesk.users WHERE username IN ('newbie', 'boss', 'other');

-- Refresh tokens: rotated on use; a rotated token used again revokes its family (committing 401).
SELECT set_config('helpdesk.client_ip', '203.0.113.5', false) IS NOT NULL AS ip_set;
SELECT helpdesk.login('staff@example.com', 'staff-pass-1', '2026-02-01 08:00Z') ->> 'refreshToken' AS t1 \gset
SELECT expires_at = '2026-03-03 08:00Z' AS thirty_days, ip_address FROM helpdesk.refresh_tokens
WHERE token_hash = helpdesk.refresh_token_hash(:'t1');
SELECT helpdesk.refresh(:'t1', '2026-02-02 08:00Z') AS r2 \gset
SELECT (:'r2'::jsonb) -> 'accessClaims' AS claims, length(:'r2'::jsonb ->> 'refreshToken') AS token_length,
       :'r2'::jsonb ->> 'refreshToken' <> :'t1' AS new_token;
SELECT :'r2'::jsonb ->> 'refreshToken' AS t2 \gset
SELECT count(*) AS family_size, count(*) FILTER (WHERE rotated_at IS NOT NULL) AS rotated
FROM helpdesk.refresh_tokens WHERE family_id = (SELECT family_id FROM helpdesk.refresh_tokens
                                                WHERE token_hash = helpdesk.refresh_token_hash(:'t1'));
-- reuse of t1: the whole family dies, t2 included
SELECT helpdesk.refresh(:'t1', '2026-02-03 08:00Z');
SELECT pg_temp.try(format('helpdesk.refresh(%L, %L)', :'t2', '2026-02-03 08:01Z'));
SELECT revoked_reason, count(*) FROM helpdesk.refresh_tokens
WHERE family_id = (SELECT family_id FROM helpdesk.refresh_tokens WHERE token_hash = helpdesk.refresh_token_hash(:'t1'))
GROUP BY 1;
SELECT action, details ? 'familyId' AS has_family FROM helpdesk.audit_logs WHERE action = 'REFRESH_TOKEN_REUSED';
-- unknown, expired, inactive user, too long, missing
SELECT helpdesk.login('staff@example.com', 'staff-pass-1', '2026-02-01 08:00Z') ->> 'refreshToken' AS t3 \gset
SELECT pg_temp.try($$helpdesk.refresh('no-such-token', '2026-02-02 08:00Z')$$);
SELECT pg_temp.try(format('helpdesk.refresh(%L, %L)', :'t3', '2026-03-03 08:00Z'));
UPDATE helpdesk.users SET is_active = false WHERE username = 'staff';
SELECT pg_temp.try(format('helpdesk.refresh(%L, %L)', :'t3', '2026-02-02 08:00Z'));
UPDATE helpdesk.users SET is_active = true WHERE username = 'staff';
SELECT pg_temp.try(format('helpdesk_api.auth_refresh(%L)', jsonb_build_object('body', jsonb_build_object('refreshToken', repeat('x', 300)))));
SELECT pg_temp.try($$helpdesk_api.auth_refresh('{"body": {}}')$$);
SELECT pg_temp.try($$helpdesk_api.auth_refresh('{"body": {"refreshToken": "abc", "userId": 1}}')$$);
-- the route works with the real clock too
SELECT helpdesk.login('staff@example.com', 'staff-pass-1') ->> 'refreshToken' AS t3b \gset
SELECT pg_temp.clean(helpdesk_api.auth_refresh(jsonb_build_object('body', jsonb_build_object('refreshToken', :'t3b'))));

-- Logout revokes the family of the token given, if it is the actor's own.
SELECT helpdesk.login('staff@example.com', 'staff-pass-1') ->> 'refreshToken' AS t4 \gset
SELECT pg_temp.act('admin') AS acting_as_admin;
SELECT helpdesk_api.auth_logout(jsonb_build_object('body', jsonb_build_object('refreshToken', :'t4')));
SELECT revoked_at IS NULL AS still_live FROM helpdesk.refresh_tokens WHERE token_hash = helpdesk.refresh_token_hash(:'t4');
SELECT pg_temp.act('staff') AS acting_as_staff;
SELECT helpdesk_api.auth_logout(jsonb_build_object('body', jsonb_build_object('refreshToken', :'t4')));
SELECT revoked_reason FROM helpdesk.refresh_tokens WHERE token_hash = helpdesk.refresh_token_hash(:'t4');
SELECT pg_temp.try(format('helpdesk_api.auth_refresh(%L)', jsonb_build_object('body', jsonb_build_object('refreshToken', :'t4'))));
SELECT helpdesk_api.auth_logout('{"body": null}');
SELECT user_id, action, details FROM helpdesk.audit_logs WHERE action = 'LOGOUT' ORDER BY id;

-- /auth/me (also /auth/profile and /users/profile): the actor as the database sees it; inactive or unknown is 401.
SELECT pg_temp.clean(helpdesk_api.auth_me('{}')) ->> 'username' AS me, pg_temp.clean(helpdesk_api.auth_me('{}')) ->> 'role' AS role;
SELECT set_config('helpdesk.actor_id', '99', false) IS NOT NULL AS unknown_actor;
SELECT pg_temp.try($$helpdesk_api.auth_me('{}')$$);
SELECT set_config('helpdesk.actor_id', '', false) IS NOT NULL AS no_actor;
SELECT pg_temp.try($$helpdesk_api.auth_me('{}')$$);
SELECT pg_temp.try($$helpdesk_api.auth_logout('{}')$$);

-- Forgot password: a 6-digit code, hashed, mailed through the outbox; unknown addresses get the
-- same answer and nothing is stored or sent.
DELETE FROM helpdesk.auth_attempts;
SELECT set_config('helpdesk.client_ip', '192.0.2.50', false) IS NOT NULL AS ip_set;
SELECT helpdesk_api.auth_forgot_password('{"body": {"email": "nobody@example.com"}}');
SELECT count(*) AS outbox_rows FROM helpdesk.email_outbox;
SELECT helpdesk.password_reset_request('Emp@Example.com', '2026-03-01 12:00Z');
SELECT recipient, subject, template, body_text ~ 'code is [0-9]{6}\.' AS has_code,
       body_text ~ '10 minutes' AS says_ten_minutes
FROM helpdesk.email_outbox;
SELECT substring(body_text FROM 'code is ([0-9]{6})') AS otp FROM helpdesk.email_outbox ORDER BY id DESC LIMIT 1 \gset
SELECT expires_at = '2026-03-01 12:10Z' AS ten_minutes, otp_hash LIKE '$2a$04$%' AS hashed,
       otp_hash <> :'otp' AS not_plain, ip_address FROM helpdesk.password_resets;
-- verify does not consume; a wrong code is counted (committing 400)
SELECT (helpdesk.otp_check('emp@example.com', :'otp', '2026-03-01 12:05Z')).reset_id IS NOT NULL AS valid;
SELECT (helpdesk.otp_check('emp@example.com', :'otp', '2026-03-01 12:05Z')).error IS NULL AS still_valid;
SELECT (helpdesk.otp_check('emp@example.com', '000000', '2026-03-01 12:05Z')).error;
SELECT attempts FROM helpdesk.password_resets;
-- expired after 10 minutes
SELECT pg_temp.try(format('helpdesk.otp_check(%L, %L, %L)', 'emp@example.com', :'otp', '2026-03-01 12:10Z'));
-- the route form (real clock: the code above is expired by now, so ask for a new one)
SELECT helpdesk.password_reset_request('emp@example.com');
SELECT substring(body_text FROM 'code is ([0-9]{6})') AS otp2 FROM helpdesk.email_outbox ORDER BY id DESC LIMIT 1 \gset
SELECT count(*) FILTER (WHERE expires_at > now()) AS live_codes FROM helpdesk.password_resets;
SELECT helpdesk_api.auth_verify_otp(jsonb_build_object('body', jsonb_build_object('email', 'emp@example.com', 'otp', :'otp2')));
SELECT t AS req, pg_temp.try(format('helpdesk_api.auth_verify_otp(%L)', t)) AS result FROM unnest(ARRAY[
    '{"body": {"email": "emp@example.com", "otp": "12345"}}',
    '{"body": {"email": "emp@example.com", "otp": 123456}}',
    '{"body": {"email": "emp@example.com"}}',
    '{"body": {"email": "ghost@example.com", "otp": "123456"}}'
]) AS t;

-- Five wrong tries kill a code, even for the right code afterwards.
DELETE FROM helpdesk.password_resets;
DELETE FROM helpdesk.auth_attempts;
SELECT helpdesk.password_reset_request('staff@example.com', '2026-03-02 09:00Z');
SELECT substring(body_text FROM 'code is ([0-9]{6})') AS otp3 FROM helpdesk.email_outbox ORDER BY id DESC LIMIT 1 \gset
SELECT i, (helpdesk.otp_check('staff@example.com', CASE WHEN :'otp3' = '999999' THEN '999998' ELSE '999999' END,
                              '2026-03-02 09:01Z')).error
FROM generate_series(1, 5) i;
SELECT pg_temp.try(format('helpdesk.otp_check(%L, %L, %L)', 'staff@example.com', :'otp3', '2026-03-02 09:02Z'));
-- per account: 10 wrong codes in 15 minutes over several codes, then 429
SELECT helpdesk.password_reset_request('staff@example.com', '2026-03-02 09:03Z');
SELECT count(*) AS wrong FROM generate_series(1, 5) i,
    LATERAL helpdesk.otp_check('staff@example.com', 'wrong' || i, '2026-03-02 09:04Z') c
WHERE c.error IS NOT NULL;
SELECT pg_temp.try($$helpdesk.otp_check('staff@example.com', 'abcdef', '2026-03-02 09:05Z')$$);
-- requests are limited too (3 per 15 minutes per address): the 4th of this window is refused
SELECT count(*) AS requests FROM helpdesk.auth_attempts WHERE kind = 'otp_request' AND account = 'staff@example.com';
DELETE FROM helpdesk.auth_attempts;
SELECT helpdesk.password_reset_request('admin@example.com', '2026-03-02 10:00Z'),
       helpdesk.password_reset_request('admin@example.com', '2026-03-02 10:01Z'),
       helpdesk.password_reset_request('admin@example.com', '2026-03-02 10:02Z');
SELECT pg_temp.try($$helpdesk.password_reset_request('admin@example.com', '2026-03-02 10:03Z')$$);
SELECT pg_temp.try($$helpdesk.password_reset_request('admin@example.com', '2026-03-02 10:15:01Z')$$);
-- a new code ends the older ones
SELECT count(*) FILTER (WHERE expires_at > '2026-03-02 10:15:01Z') AS live, count(*) AS total
FROM helpdesk.password_resets p JOIN helpdesk.users u ON u.id = p.user_id WHERE u.username = 'admin';

-- Reset: consumes the code, hashes the new password once, ends every session, audits, mails.
DELETE FROM helpdesk.auth_attempts;
SELECT helpdesk.login('emp@example.com', 'emp-pass-1', '2026-03-03 07:00Z') ->> 'refreshToken' AS t5 \gset
SELECT helpdesk.password_reset_request('emp@example.com', '2026-03-03 08:00Z');
SELECT substring(body_text FROM 'code is ([0-9]{6})') AS otp4 FROM helpdesk.email_outbox ORDER BY id DESC LIMIT 1 \gset
SELECT pg_temp.try(format('helpdesk.password_reset(%L, %L, %L, %L)', 'emp@example.com', :'otp4', 'short', '2026-03-03 08:01Z'));
SELECT helpdesk.password_reset('emp@example.com', CASE WHEN :'otp4' = '111111' THEN '111112' ELSE '111111' END,
                               'emp-pass-2', '2026-03-03 08:01Z');
SELECT helpdesk.password_reset('emp@example.com', :'otp4', 'emp-pass-2', '2026-03-03 08:02Z');
SELECT helpdesk.password_matches('emp-pass-2', password_hash) AS new_password_works,
       tokens_valid_after = '2026-03-03 08:02Z' AS old_access_tokens_dead
FROM helpdesk.users WHERE username = 'emp';
SELECT used_at = '2026-03-03 08:02Z' AS consumed FROM helpdesk.password_resets
WHERE user_id = pg_temp.uid('emp') ORDER BY id DESC LIMIT 1;
SELECT pg_temp.try(format('helpdesk.refresh(%L, %L)', :'t5', '2026-03-03 08:03Z'));
SELECT helpdesk.password_reset('emp@example.com', :'otp4', 'emp-pass-3', '2026-03-03 08:03Z');
SELECT template, subject FROM helpdesk.email_outbox ORDER BY id DESC LIMIT 1;
-- an access token issued before the reset is refused; one issued after is accepted
SELECT pg_temp.act('emp') AS acting_as_emp;
SELECT set_config('helpdesk.token_iat', extract(epoch FROM timestamptz '2026-03-03 08:01:59Z')::bigint::text, false) IS NOT NULL AS iat_before;
SELECT pg_temp.try($$helpdesk_api.auth_me('{}')$$);
SELECT set_config('helpdesk.token_iat', extract(epoch FROM timestamptz '2026-03-03 08:02:00Z')::bigint::text, false) IS NOT NULL AS iat_after;
SELECT helpdesk_api.auth_me('{}') ->> 'username' AS me;
SELECT set_config('helpdesk.token_iat', '', false) IS NOT NULL AS no_iat;
-- the route: unknown addresses and wrong codes look the same
SELECT t AS req, pg_temp.try(format('helpdesk_api.auth_reset_password(%L)', t)) AS result FROM unnest(ARRAY[
    '{"body": {"email": "ghost@example.com", "otp": "123456", "newPassword": "whatever-1"}}',
    '{"body": {"email": "emp@example.com", "otp": "123456", "newPassword": "short"}}',
    '{"body": {"email": "emp@example.com", "otp": "123456"}}'
]) AS t;

-- Change password: the current one must match (a miss is counted, committing 400); success
-- ends every earlier session and starts a new one.
DELETE FROM helpdesk.auth_attempts;
SELECT helpdesk.login('emp@example.com', 'emp-pass-2', '2026-03-04 07:00Z') ->> 'refreshToken' AS t6 \gset
SELECT helpdesk.password_change(u, 'not-it', 'emp-pass-4', '2026-03-04 08:00Z') FROM helpdesk.users u WHERE id = pg_temp.uid('emp');
SELECT kind, account FROM helpdesk.auth_attempts;
SELECT pg_temp.try($$SELECT helpdesk.password_change(u, 'emp-pass-2', 'short', '2026-03-04 08:00Z') FROM helpdesk.users u WHERE id = pg_temp.uid('emp')$$);
SELECT pg_temp.clean(helpdesk.password_change(u, 'emp-pass-2', 'emp-pass-4', '2026-03-04 08:01Z')) FROM helpdesk.users u WHERE id = pg_temp.uid('emp');
SELECT helpdesk.password_matches('emp-pass-4', password_hash) AS changed, tokens_valid_after = '2026-03-04 08:01Z' AS sessions_ended
FROM helpdesk.users WHERE id = pg_temp.uid('emp');
SELECT pg_temp.try(format('helpdesk.refresh(%L, %L)', :'t6', '2026-03-04 08:02Z'));
SELECT count(*) FILTER (WHERE revoked_at IS NULL) AS live_tokens FROM helpdesk.refresh_tokens WHERE user_id = pg_temp.uid('emp');
-- five misses, then 429
SELECT count(*) AS misses FROM generate_series(1, 5) i, helpdesk.users u,
    LATERAL helpdesk.password_change(u, 'miss-' || i, 'emp-pass-5', '2026-03-04 09:00Z') r
WHERE u.id = pg_temp.uid('emp') AND r ? '__error';
SELECT pg_temp.try($$SELECT helpdesk.password_change(u, 'emp-pass-4', 'emp-pass-5', '2026-03-04 09:01Z') FROM helpdesk.users u WHERE id = pg_temp.uid('emp')$$);

-- The audit trail: every kind of event, with client address; never a password or a code.
SELECT action, count(*) FROM helpdesk.audit_logs GROUP BY 1 ORDER BY 1;
SELECT count(*) AS rows_without_ip FROM helpdesk.audit_logs WHERE ip_address IS NULL;
SELECT count(*) AS secrets_in_audit FROM helpdesk.audit_logs
WHERE details::text ~ ('pass-[0-9]|wrong-pass|bad-pass|' || :'otp' || '|' || :'otp2' || '|' || :'otp4')
   OR details ? 'password';

-- The access token that changed the password stays valid (the web client keeps using it);
-- every other token issued before the change is refused, and a later reset ends it too.
SELECT pg_temp.act('staff') AS acting_as_staff;
SELECT set_config('helpdesk.token_iat', extract(epoch FROM timestamptz '2026-03-05 08:00Z')::bigint::text, false) IS NOT NULL AS changer_iat;
SELECT pg_temp.clean(helpdesk.password_change(helpdesk.current_actor(), 'staff-pass-1', 'staff-pass-2', '2026-03-05 09:00Z'));
SELECT helpdesk_api.auth_me('{}') ->> 'username' AS changer_still_in;
SELECT set_config('helpdesk.token_iat', extract(epoch FROM timestamptz '2026-03-05 08:00:01Z')::bigint::text, false) IS NOT NULL AS other_iat;
SELECT pg_temp.try($$helpdesk_api.auth_me('{}')$$) AS other_session;
SELECT set_config('helpdesk.token_iat', extract(epoch FROM timestamptz '2026-03-05 09:00Z')::bigint::text, false) IS NOT NULL AS new_iat;
SELECT helpdesk_api.auth_me('{}') ->> 'username' AS new_session;
SELECT helpdesk.user_set_password(pg_temp.uid('staff'), 'staff-pass-3', 'admin_reset', '2026-03-05 10:00Z');
SELECT set_config('helpdesk.token_iat', extract(epoch FROM timestamptz '2026-03-05 08:00Z')::bigint::text, false) IS NOT NULL AS changer_iat;
SELECT pg_temp.try($$helpdesk_api.auth_me('{}')$$) AS changer_after_reset;
SELECT set_config('helpdesk.token_iat', '', false) IS NOT NULL AS no_iat;
