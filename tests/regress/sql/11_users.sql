-- User administration: roles of every route, create (hashing once, derived usernames), list
-- filters and sorting, profile, change password, update, the last-admin rule, delete refusals,
-- activate/deactivate, audit rows. Runs after 10_auth (users admin, staff, emp, newbie) and 01_settings
-- (ada, an active Admin, and ivan, inactive).
\set SHOW_CONTEXT never

CREATE FUNCTION pg_temp.try(expr text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE st text; msg text; det text; result text;
BEGIN
    EXECUTE 'SELECT (' || expr || ')::text' INTO result;
    RETURN coalesce(result, '<null>');
EXCEPTION WHEN OTHERS THEN
    GET STACKED DIAGNOSTICS st = RETURNED_SQLSTATE, msg = MESSAGE_TEXT, det = PG_EXCEPTION_DETAIL;
    RETURN concat_ws(' ', st, msg, nullif(det, ''));
END $$;

CREATE FUNCTION pg_temp.uid(name text) RETURNS int LANGUAGE sql AS $$
    SELECT id FROM helpdesk.users WHERE username = name $$;
CREATE FUNCTION pg_temp.act(name text) RETURNS boolean LANGUAGE sql AS $$
    SELECT set_config('helpdesk.actor_id', coalesce(pg_temp.uid(name)::text, ''), false) IS NOT NULL $$;
-- A request document for the user `name` (999 when there is no such user).
CREATE FUNCTION pg_temp.p(name text, body jsonb DEFAULT NULL) RETURNS jsonb LANGUAGE sql AS $$
    SELECT jsonb_build_object('path', jsonb_build_object('id', coalesce(pg_temp.uid(name), 999)), 'body', body) $$;

-- The outcome of a call as the user `actor` ('' = no token), rolled back whatever it did: 'ok' or the
-- SQLSTATE (HD403 = refused by role).
CREATE FUNCTION pg_temp.as_actor(actor text, expr text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE st text; msg text;
BEGIN
    PERFORM set_config('helpdesk.actor_id', coalesce(pg_temp.uid(actor)::text, ''), true);
    BEGIN
        EXECUTE 'SELECT (' || expr || ')::text';
        RAISE EXCEPTION USING ERRCODE = 'P0001', MESSAGE = 'rollback-ok';
    EXCEPTION WHEN OTHERS THEN
        GET STACKED DIAGNOSTICS st = RETURNED_SQLSTATE, msg = MESSAGE_TEXT;
        RETURN CASE WHEN msg = 'rollback-ok' THEN 'ok' ELSE st END;
    END;
END $$;

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

-- Only usernames of a list answer, in order.
CREATE FUNCTION pg_temp.names(j jsonb) RETURNS text LANGUAGE sql AS $$
    SELECT string_agg(u ->> 'username', ',' ORDER BY o)
    FROM jsonb_array_elements(CASE WHEN jsonb_typeof(j) = 'array' THEN j ELSE j -> 'users' END) WITH ORDINALITY AS t(u, o)
$$;

SELECT set_config('helpdesk.client_ip', '192.0.2.77', false) IS NOT NULL AS ip_set;
SELECT set_config('helpdesk.user_agent', 'regress/1.0', false) IS NOT NULL AS ua_set;
SELECT username, role, is_active FROM helpdesk.users ORDER BY id;

-- The role matrix: who may call what (HD400/HD404 = passed the role check, then refused the input).
SELECT f AS call,
       pg_temp.as_actor('admin', f) AS admin, pg_temp.as_actor('staff', f) AS it_staff,
       pg_temp.as_actor('emp', f) AS employee, pg_temp.as_actor('', f) AS no_token
FROM unnest(ARRAY[
    $$helpdesk_api.users_create('{"body": {"fullName": "Matrix", "email": "matrix@example.com", "password": "matrix-pass-1"}}')$$,
    $$helpdesk_api.users_list('{}')$$,
    $$helpdesk_api.users_stats('{}')$$,
    $$helpdesk_api.users_it_staff('{}')$$,
    $$helpdesk_api.users_by_department('{"path": {"department": "IT"}}')$$,
    $$helpdesk_api.users_update_profile('{"body": {"phone": "555"}}')$$,
    $$helpdesk_api.users_change_password('{"body": {}}')$$,
    $$helpdesk_api.users_get(pg_temp.p('newbie'))$$,
    $$helpdesk_api.users_update(pg_temp.p('newbie', '{"phone": "555"}'))$$,
    $$helpdesk_api.users_delete(pg_temp.p('newbie'))$$,
    $$helpdesk_api.users_set_active(pg_temp.p('newbie') || '{"args": {"active": true}}')$$,
    $$helpdesk_api.users_set_active(pg_temp.p('newbie') || '{"args": {"active": false}}')$$,
    $$helpdesk_api.auth_me('{}')$$,
    $$helpdesk_api.auth_logout('{}')$$
]) AS f;
SELECT pg_temp.as_actor('emp', $$helpdesk_api.users_list('{}')$$) AS employee_list,
       pg_temp.try($$helpdesk_api.users_stats('{}')$$) AS no_actor_stats;

-- Create (Admin). Without a username one is derived from the address and made unique.
SELECT pg_temp.act('admin') AS acting_as_admin;
SELECT pg_temp.clean(helpdesk_api.users_create('{"body": {"fullName": "Tom Tech", "email": "Tom.Tech@Example.com", "password": "tom-pass-1", "role": "IT_Staff", "department": "IT", "phone": "0123"}}'));
SELECT pg_temp.clean(helpdesk_api.users_create('{"body": {"fullName": "Tom Other", "email": "tom.tech@other.org", "password": "tom-pass-2"}}')) ->> 'username' AS derived;
SELECT pg_temp.clean(helpdesk_api.users_create('{"body": {"fullName": "Jo", "email": "jo@example.com", "password": "jo-pass-12", "username": "JoJo"}}')) ->> 'username' AS given;
SELECT helpdesk.username_from_email('a@example.com') AS short_local, helpdesk.username_from_email('x+y!z@example.com') AS cleaned;
-- hashed once: the password given verifies
SELECT username, helpdesk.password_matches('tom-pass-1', password_hash) AS verifies
FROM helpdesk.users WHERE email = 'tom.tech@example.com';
SELECT t AS req, pg_temp.try(format('helpdesk_api.users_create(%L)', t)) AS result FROM unnest(ARRAY[
    '{"body": {"fullName": "X", "email": "TOM.TECH@example.com", "password": "xxxx-pass-1"}}',
    '{"body": {"fullName": "X", "email": "x@example.com", "password": "xxxx-pass-1", "username": "jojo"}}',
    '{"body": {"fullName": "X", "email": "x@example.com", "password": "xxxx-pass-1", "role": "root"}}',
    '{"body": {"fullName": "X", "email": "x@example.com", "password": "short"}}',
    '{"body": {"fullName": "X", "email": "x@example", "password": "xxxx-pass-1"}}',
    '{"body": {"email": "x@example.com", "password": "xxxx-pass-1"}}',
    '{"body": {"fullName": "X", "email": "x@example.com", "password": "xxxx-pass-1", "isAdmin": true}}',
    '{"body": {"fullName": "X", "email": "x@example.com", "password": "xxxx-pass-1", "department": 7}}'
]) AS t;

-- List: filters, search (wildcards are literal), pagination, sorting on real fields only.
SELECT q AS query, pg_temp.names(helpdesk_api.users_list(jsonb_build_object('query', q::jsonb))) AS users,
       helpdesk_api.users_list(jsonb_build_object('query', q::jsonb)) - 'users' AS meta
FROM unnest(ARRAY[
    '{"sortBy": "id", "sortOrder": "ASC"}',
    '{"role": "IT_Staff", "sortBy": "username", "sortOrder": "asc"}',
    '{"department": "IT", "sortBy": "username", "sortOrder": "desc"}',
    '{"search": "TOM", "sortBy": "email", "sortOrder": "ASC"}',
    '{"search": "%", "sortBy": "id"}',
    '{"search": "_", "sortBy": "id"}',
    '{"sortBy": "id", "sortOrder": "ASC", "limit": "2", "page": "2"}',
    '{"sortBy": "id", "limit": "2", "page": "9"}'
]) AS q;
SELECT q AS query, pg_temp.try(format('helpdesk_api.users_list(%L)', jsonb_build_object('query', q::jsonb))) AS result
FROM unnest(ARRAY[
    '{"sortBy": "password_hash"}',
    '{"sortOrder": "sideways"}',
    '{"role": "Root"}',
    '{"isActive": "maybe"}',
    '{"limit": "0"}',
    '{"page": "x"}'
]) AS q;

-- Stats, IT staff, department.
SELECT helpdesk_api.users_stats('{}');
SELECT pg_temp.names(helpdesk_api.users_it_staff('{}')) AS it_staff;
SELECT pg_temp.names(helpdesk_api.users_by_department('{"path": {"department": "IT"}}')) AS it_department,
       helpdesk_api.users_by_department('{"path": {"department": "Nowhere"}}') AS nowhere;

-- Get, update.
SELECT pg_temp.clean(helpdesk_api.users_get(pg_temp.p('newbie')));
SELECT pg_temp.try($$helpdesk_api.users_get(pg_temp.p('nobody'))$$);
SELECT pg_temp.clean(helpdesk_api.users_update(pg_temp.p('newbie', '{"fullName": "Newbie Renamed", "department": "Support", "phone": null, "role": "IT_Staff"}')));
SELECT b AS body, pg_temp.try(format('helpdesk_api.users_update(pg_temp.p(%L, %L))', 'newbie', b)) AS result FROM unnest(ARRAY[
    '{"username": "ADMIN"}',
    '{"email": "Staff@example.com"}',
    '{"password": "new-pass-99"}',
    '{"isActive": "no"}',
    '{"fullName": "   "}',
    '{"avatarUrl": 5}'
]) AS b;
SELECT pg_temp.try($$helpdesk_api.users_update(pg_temp.p('nobody', '{}'))$$) AS missing;
-- an empty or unchanged update changes nothing and writes no audit row
SELECT helpdesk_api.users_update(pg_temp.p('newbie', '{}')) ->> 'fullName' AS unchanged,
       helpdesk_api.users_update(pg_temp.p('newbie', '{"department": "Support"}')) ->> 'department' AS same_value;
SELECT action, entity_id, details FROM helpdesk.audit_logs WHERE action = 'USER_UPDATED' ORDER BY id;

-- The last active Admin can be neither demoted nor deactivated; with a second Admin it can.
-- (In a transaction that first sets 01_settings' Admin aside, then rolls back.)
BEGIN;
UPDATE helpdesk.users SET is_active = false WHERE username = 'ada';
SELECT t AS req, pg_temp.try(t) AS result FROM unnest(ARRAY[
    $$helpdesk_api.users_update(pg_temp.p('admin', '{"role": "Employee"}'))$$,
    $$helpdesk_api.users_update(pg_temp.p('admin', '{"isActive": false}'))$$,
    $$helpdesk_api.users_set_active(pg_temp.p('admin') || '{"args": {"active": false}}')$$,
    $$helpdesk_api.users_update(pg_temp.p('admin', '{"role": "Admin", "fullName": "Ada A."}')) ->> 'fullName'$$
]) AS t;
SELECT helpdesk_api.users_update(pg_temp.p('staff', '{"role": "Admin"}')) ->> 'role' AS staff_promoted;
SELECT helpdesk_api.users_set_active(pg_temp.p('staff') || '{"args": {"active": false}}') ->> 'isActive' AS second_admin_deactivated;
SELECT pg_temp.try($$helpdesk_api.users_update(pg_temp.p('admin', '{"role": "IT_Staff"}'))$$) AS demote_last;
SELECT helpdesk_api.users_set_active(pg_temp.p('staff') || '{"args": {"active": true}}') ->> 'isActive' AS reactivated;
SELECT helpdesk_api.users_update(pg_temp.p('staff', '{"role": "IT_Staff"}')) ->> 'role' AS demoted_again;
ROLLBACK;
SELECT username, role, is_active FROM helpdesk.users WHERE username IN ('ada', 'admin', 'staff') ORDER BY id;

-- Deactivation ends sessions at once: the actor is refused and refresh tokens are revoked.
SELECT helpdesk.login('tom.tech@example.com', 'tom-pass-1') ->> 'refreshToken' AS tom_token \gset
SELECT helpdesk_api.users_set_active(pg_temp.p('tom.tech') || '{"args": {"active": false}}') ->> 'isActive' AS tom_active;
SELECT pg_temp.as_actor('tom.tech', $$helpdesk_api.auth_me('{}')$$) AS tom_me;
SELECT pg_temp.try(format('helpdesk.refresh(%L)', :'tom_token')) AS tom_refresh;
SELECT helpdesk.login('tom.tech@example.com', 'tom-pass-1');
SELECT helpdesk_api.users_set_active(pg_temp.p('tom.tech') || '{"args": {"active": true}}') ->> 'isActive' AS tom_active;
SELECT pg_temp.as_actor('tom.tech', $$helpdesk_api.auth_me('{}') ->> 'username'$$) AS tom_me;

-- Delete: never an Admin (403), never someone who owns tickets or comments (409).
INSERT INTO helpdesk.categories (name) VALUES ('Users test');
INSERT INTO helpdesk.tickets (ticket_number, title, description, category_id, submitter_id)
SELECT 'TKT-USERS-1', 'Printer', 'Jammed', c.id, pg_temp.uid('emp') FROM helpdesk.categories c WHERE c.name = 'Users test';
INSERT INTO helpdesk.comments (ticket_id, user_id, content)
SELECT t.id, pg_temp.uid('staff'), 'Looking' FROM helpdesk.tickets t WHERE t.ticket_number = 'TKT-USERS-1';
SELECT t AS req, pg_temp.try(t) AS result FROM unnest(ARRAY[
    $$helpdesk_api.users_delete(pg_temp.p('admin'))$$,
    $$helpdesk_api.users_delete(pg_temp.p('emp'))$$,
    $$helpdesk_api.users_delete(pg_temp.p('staff'))$$,
    $$helpdesk_api.users_delete(pg_temp.p('nobody'))$$
]) AS t;
SELECT uid AS newbie_id FROM pg_temp.uid('newbie') uid \gset
SELECT helpdesk_api.users_delete(pg_temp.p('newbie'));
SELECT count(*) AS newbie_left FROM helpdesk.users WHERE id = :newbie_id;
SELECT count(*) AS newbie_tokens_left FROM helpdesk.refresh_tokens WHERE user_id = :newbie_id;

-- Profile: one's own user; only profile fields; audited.
SELECT pg_temp.act('emp') AS acting_as_emp;
SELECT pg_temp.clean(helpdesk_api.auth_me('{}')) ->> 'username' AS me;
SELECT pg_temp.clean(helpdesk_api.users_update_profile('{"body": {"fullName": "Eve E.", "phone": "", "department": "Finance", "avatarUrl": "https://example.com/eve.png"}}'));
SELECT t AS req, pg_temp.try(format('helpdesk_api.users_update_profile(%L)', t)) AS result FROM unnest(ARRAY[
    '{"body": {"role": "Admin"}}',
    '{"body": {"isActive": true}}',
    '{"body": {"department": "' || repeat('d', 101) || '"}}',
    '{"body": {"phone": "012345678901234567890"}}'
]) AS t;

-- Change password through the route: a `tokens` answer, wrong current password committing 400.
SELECT helpdesk_api.users_change_password('{"body": {"currentPassword": "nope-nope", "newPassword": "emp-pass-9"}}');
SELECT pg_temp.clean(helpdesk_api.users_change_password('{"body": {"currentPassword": "emp-pass-4", "newPassword": "emp-pass-9"}}'));
SELECT t AS req, pg_temp.try(format('helpdesk_api.users_change_password(%L)', t)) AS result FROM unnest(ARRAY[
    '{"body": {"currentPassword": "emp-pass-9", "newPassword": "short"}}',
    '{"body": {"currentPassword": "emp-pass-9"}}',
    '{"body": {"currentPassword": "emp-pass-9", "newPassword": "emp-pass-10", "confirm": "x"}}'
]) AS t;
SELECT helpdesk.password_matches('emp-pass-9', password_hash) AS changed FROM helpdesk.users WHERE username = 'emp';

-- Audit rows of this file: actor, address, agent; never a password.
SELECT user_id, action, entity_type, entity_id, ip_address, user_agent
FROM helpdesk.audit_logs WHERE ip_address = '192.0.2.77' AND action NOT IN ('LOGIN', 'LOGIN_FAILED')
ORDER BY id;
SELECT details FROM helpdesk.audit_logs WHERE action IN ('USER_CREATED', 'USER_DELETED', 'PROFILE_UPDATED') ORDER BY id;
SELECT count(*) AS secrets_in_audit FROM helpdesk.audit_logs
WHERE details::text ~ '(pass-[0-9]|"password")';
