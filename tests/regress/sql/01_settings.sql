-- The extension's settings and the request helpers built on them.
\set SHOW_CONTEXT never

-- The library is loaded through shared_preload_libraries, so its settings exist.
SELECT name, setting, context FROM pg_settings WHERE name LIKE 'helpdesk.%' ORDER BY name;

-- The helpdesk prefix is reserved: a misspelt setting is an error, not a silent placeholder.
SET helpdesk.actor = '1';

-- Id settings accept '' or a positive integer only.
SET helpdesk.actor_id = 'abc';
SET helpdesk.actor_id = '0';
SET helpdesk.actor_id = '-1';
SET helpdesk.actor_id = '99999999999';
SET helpdesk.token_iat = '12x';
BEGIN;
SET LOCAL helpdesk.actor_id = '42';
SELECT helpdesk.actor_id();
COMMIT;
SELECT helpdesk.actor_id() IS NULL AS reset_after_commit;

-- bcrypt cost is a superuser setting within pgcrypto's range.
SET helpdesk.bcrypt_cost = 3;
SET helpdesk.bcrypt_cost = 32;
CREATE ROLE regress_plain;
SET ROLE regress_plain;
SET helpdesk.bcrypt_cost = 4;
RESET ROLE;
DROP ROLE regress_plain;

-- The worker's database cannot change without a restart.
SET helpdesk.database_name = 'other';

-- Errors carry their HTTP status in the SQLSTATE, details as JSON, Retry-After as the hint.
CREATE FUNCTION pg_temp.caught(status int, message text, details text[] DEFAULT NULL, retry int DEFAULT NULL)
RETURNS text LANGUAGE plpgsql AS $$
DECLARE st text; msg text; det text; hint text;
BEGIN
    PERFORM helpdesk.http_error(status, message, details, retry);
    RETURN 'no error';
EXCEPTION WHEN OTHERS THEN
    GET STACKED DIAGNOSTICS st = RETURNED_SQLSTATE, msg = MESSAGE_TEXT, det = PG_EXCEPTION_DETAIL, hint = PG_EXCEPTION_HINT;
    RETURN format('%s | %s | %s | %s', st, msg, det, hint);
END $$;
SELECT pg_temp.caught(400, 'Validation failed', ARRAY['title must be longer than or equal to 5 characters', 'property x should not exist']);
SELECT pg_temp.caught(401, 'Invalid token or user not found');
SELECT pg_temp.caught(404, 'Ticket with ID 7 not found');
SELECT pg_temp.caught(429, 'Too many login attempts', NULL, 60);
SELECT pg_temp.caught(418, 'I am a teapot');

-- Timestamps on the wire.
SELECT helpdesk.iso('2026-01-15 10:04:05.1234+07'), helpdesk.iso(NULL);
SET timezone = 'America/New_York';
SELECT helpdesk.iso('2026-03-08 01:59:59.999-05');
RESET timezone;

-- The acting user: unknown, inactive, stale token -> 401; active -> the user.
INSERT INTO helpdesk.users (id, username, email, password_hash, full_name, role, tokens_valid_after, created_at, updated_at)
VALUES (1, 'ada', 'ada@example.com', helpdesk.hash_password('correct horse'), 'Ada Admin', 'Admin',
        '2026-01-01 00:00:00+00', '2025-12-01 00:00:00+00', '2025-12-01 00:00:00+00'),
       (2, 'ivan', 'ivan@example.com', helpdesk.hash_password('correct horse'), 'Ivan Inactive', 'Employee',
        '-infinity', '2025-12-01 00:00:00+00', '2025-12-01 00:00:00+00');
UPDATE helpdesk.users SET is_active = false WHERE id = 2;
SELECT helpdesk.password_matches('correct horse', password_hash) AS right_password,
       helpdesk.password_matches('wrong horse', password_hash) AS wrong_password,
       password_hash LIKE '$2a$04$%' AS cost_from_setting
FROM helpdesk.users WHERE id = 1;
SELECT helpdesk_api.auth_me('{}');
BEGIN; SET LOCAL helpdesk.actor_id = '99'; SELECT helpdesk_api.auth_me('{}'); ROLLBACK;
BEGIN; SET LOCAL helpdesk.actor_id = '2'; SELECT helpdesk_api.auth_me('{}'); ROLLBACK;
-- A token issued before the user's tokens_valid_after is refused; one issued after is accepted.
BEGIN; SET LOCAL helpdesk.actor_id = '1'; SET LOCAL helpdesk.token_iat = '1767225599';
SELECT helpdesk_api.auth_me('{}'); ROLLBACK;
BEGIN; SET LOCAL helpdesk.actor_id = '1'; SET LOCAL helpdesk.token_iat = '1767225600';
SELECT helpdesk_api.auth_me('{}') - 'updatedAt' AS me; ROLLBACK;

-- Roles.
SELECT helpdesk.require_role(u, 'IT_Staff', 'Admin') FROM helpdesk.users u WHERE id = 1;
SELECT helpdesk.require_role(u, 'IT_Staff', 'Admin') FROM helpdesk.users u WHERE id = 2;

-- Audit rows take the actor and client from the request settings.
BEGIN;
SET LOCAL helpdesk.actor_id = '1';
SET LOCAL helpdesk.client_ip = '192.0.2.7';
SET LOCAL helpdesk.user_agent = 'regress/1.0';
SELECT helpdesk.audit('USER_DEACTIVATED', 'user', 2, '{"reason": "left"}');
SELECT user_id, action, entity_type, entity_id, ip_address, user_agent, details FROM helpdesk.audit_logs;
ROLLBACK;

-- Settings fall back to the caller's default until an admin sets them.
SELECT helpdesk.setting('sla_at_risk_share', '0.8');
INSERT INTO helpdesk.settings (setting_key, setting_value, setting_type) VALUES ('sla_at_risk_share', '0.75', 'number');
SELECT helpdesk.setting('sla_at_risk_share', '0.8');

-- Root, health and docs.
SELECT helpdesk_api.root('{}') - 'timestamp' AS root;
SELECT jsonb_object_keys(helpdesk_api.health('{}')) AS health_key ORDER BY 1;
SELECT helpdesk_api.health('{}') @> '{"status": "ok", "database": "connected", "readOnly": false}' AS healthy;
SELECT helpdesk_api.docs('{}') -> 'endpoints' AS endpoints;

-- The SLA watcher runs in this database (helpdesk.database_name), visible in pg_stat_activity.
DO $$
BEGIN
    FOR i IN 1..120 LOOP
        PERFORM pg_stat_clear_snapshot();
        EXIT WHEN EXISTS (SELECT FROM pg_stat_activity
                          WHERE backend_type = 'helpdesk sla watcher' AND datname = current_database());
        PERFORM pg_sleep(0.25);
    END LOOP;
END $$;
SELECT count(*) AS watchers FROM pg_stat_activity
WHERE backend_type = 'helpdesk sla watcher' AND datname = current_database();

-- helpdesk-http's per-request settings, set from the FROM clause of the route's own statement:
-- they hold for the rest of the transaction (read-only included) and end with it.
BEGIN;
SELECT helpdesk.actor_id() AS actor, current_setting('helpdesk.token_iat') AS iat,
       current_setting('helpdesk.client_ip') AS ip, current_setting('helpdesk.user_agent') AS ua,
       current_setting('transaction_read_only') AS ro, current_setting('application_name') AS app
FROM helpdesk_api.request_context('1', '1767225600', '192.0.2.9', 'curl/8', 'on', 'helpdesk-http/4f2a9c');
INSERT INTO helpdesk.settings (setting_key, setting_value) VALUES ('x', 'y');
ROLLBACK;
SELECT helpdesk.actor_id() IS NULL AS actor_reset, current_setting('transaction_read_only') AS ro,
       current_setting('application_name') = 'helpdesk-http/4f2a9c' AS app_kept;
-- a bad id is refused like SET would refuse it
SELECT FROM helpdesk_api.request_context('abc', '', '', '', 'off', '');
