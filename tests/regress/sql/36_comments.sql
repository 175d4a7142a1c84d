-- Comments: types, who may write and read what, the edit window, soft delete, stats.
\set SHOW_CONTEXT never

SELECT setval('helpdesk.users_id_seq', coalesce((SELECT max(id) FROM helpdesk.users), 0) + 1, false) AS seq,
       setval('helpdesk.categories_id_seq', coalesce((SELECT max(id) FROM helpdesk.categories), 0) + 1, false) AS seq,
       setval('helpdesk.tickets_id_seq', coalesce((SELECT max(id) FROM helpdesk.tickets), 0) + 1, false) AS seq \gset

INSERT INTO helpdesk.users (username, email, password_hash, full_name, role) VALUES
    ('c_admin', 'c_admin@example.com', '$2a$04$regressregressregressre', 'Comment Admin', 'Admin'),
    ('c_staff', 'c_staff@example.com', '$2a$04$regressregressregressre', 'Comment Staff', 'IT_Staff'),
    ('c_emp', 'c_emp@example.com', '$2a$04$regressregressregressre', 'Comment Employee', 'Employee'),
    ('c_emp2', 'c_emp2@example.com', '$2a$04$regressregressregressre', 'Comment Other Employee', 'Employee');
SELECT id AS admin FROM helpdesk.users WHERE username = 'c_admin' \gset
SELECT id AS staff FROM helpdesk.users WHERE username = 'c_staff' \gset
SELECT id AS emp FROM helpdesk.users WHERE username = 'c_emp' \gset
SELECT id AS emp2 FROM helpdesk.users WHERE username = 'c_emp2' \gset
INSERT INTO helpdesk.categories (name) VALUES ('Comment Cat');
SELECT id AS cat FROM helpdesk.categories WHERE name = 'Comment Cat' \gset
INSERT INTO helpdesk.tickets (ticket_number, title, description, category_id, submitter_id, assignee_id, status)
VALUES ('COMM-0001', 'VPN drops', 'Every hour', :cat, :emp, :staff, 'Assigned');
SELECT id AS t1 FROM helpdesk.tickets WHERE ticket_number = 'COMM-0001' \gset

-- Calls a route as `actor` and shows its value or its HTTP status and message.
CREATE FUNCTION pg_temp.call(fn text, actor int, req jsonb) RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE st text; msg text; det text; result jsonb;
BEGIN
    PERFORM set_config('helpdesk.actor_id', coalesce(actor::text, ''), true);
    EXECUTE format('SELECT helpdesk_api.%I($1)', fn) INTO result USING req;
    RETURN result;
EXCEPTION WHEN OTHERS THEN
    GET STACKED DIAGNOSTICS st = RETURNED_SQLSTATE, msg = MESSAGE_TEXT, det = PG_EXCEPTION_DETAIL;
    RETURN jsonb_build_object('error', st, 'message', regexp_replace(msg, 'ID [0-9]+ ', 'ID <id> ')) || CASE WHEN det <> '' THEN jsonb_build_object('details', det::jsonb) ELSE '{}' END;
END $$;
-- A domain function call as `actor`, or its HTTP status and message.
CREATE FUNCTION pg_temp.try(expr text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE st text; msg text; result text;
BEGIN
    EXECUTE 'SELECT (' || expr || ')::text' INTO result;
    RETURN coalesce(result, '<null>');
EXCEPTION WHEN OTHERS THEN
    GET STACKED DIAGNOSTICS st = RETURNED_SQLSTATE, msg = MESSAGE_TEXT;
    RETURN format('%s %s', st, regexp_replace(msg, 'ID [0-9]+ ', 'ID <id> '));
END $$;
CREATE FUNCTION pg_temp.u(name text) RETURNS helpdesk.users LANGUAGE sql AS $$
    SELECT * FROM helpdesk.users WHERE username = name $$;
CREATE FUNCTION pg_temp.req(ticket int, body jsonb DEFAULT NULL) RETURNS jsonb LANGUAGE sql AS $$
    SELECT jsonb_build_object('path', jsonb_build_object('ticketId', ticket), 'query', '{}', 'body', body) $$;
CREATE FUNCTION pg_temp.idreq(id int, body jsonb DEFAULT NULL) RETURNS jsonb LANGUAGE sql AS $$
    SELECT jsonb_build_object('path', jsonb_build_object('id', id), 'query', '{}', 'body', body) $$;
-- Comment JSON without ids and timestamps.
CREATE FUNCTION pg_temp.shape(j jsonb) RETURNS jsonb LANGUAGE sql AS $$
    SELECT CASE WHEN j ? 'error' THEN j ELSE
        (j - 'id' - 'ticketId' - 'userId' - 'createdAt' - 'updatedAt' - 'editedAt' - 'user' - 'ticket')
        || jsonb_build_object('hasEditedAt', j ->> 'editedAt' IS NOT NULL)
        || CASE WHEN j ? 'user' THEN jsonb_build_object('user', (j -> 'user') - 'id') ELSE '{}' END
        || CASE WHEN j ? 'ticket' THEN jsonb_build_object('ticket', (j -> 'ticket') - 'id' - 'submitterId') ELSE '{}' END
    END $$;

-- Create: the submitter comments publicly; staff in any type.
SELECT jsonb_pretty(pg_temp.shape(pg_temp.call('comments_create', :emp, pg_temp.req(:t1, '{"content": "Still dropping"}'))));
SELECT pg_temp.shape(pg_temp.call('comments_create', :staff, pg_temp.req(:t1, '{"content": "Check the vendor", "type": "internal"}'))) ->> 'type' AS type;
SELECT pg_temp.shape(pg_temp.call('comments_create', :admin, pg_temp.req(:t1, '{"content": "Escalated", "type": "system"}'))) ->> 'type' AS type;
SELECT pg_temp.shape(pg_temp.call('comments_create', :staff, pg_temp.req(:t1, '{"content": "Please reboot", "type": "public"}'))) ->> 'type' AS type;
-- Refused: an employee on someone else's ticket, an employee's internal comment, a missing
-- ticket, bad bodies, no actor.
SELECT pg_temp.call('comments_create', :emp2, pg_temp.req(:t1, '{"content": "me too"}'));
SELECT pg_temp.call('comments_create', :emp, pg_temp.req(:t1, '{"content": "psst", "type": "internal"}'));
SELECT pg_temp.call('comments_create', :emp, pg_temp.req(:t1, '{"content": "psst", "type": "system"}'));
SELECT pg_temp.call('comments_create', :staff, pg_temp.req(2147483647, '{"content": "x"}'));
SELECT pg_temp.call('comments_create', :staff, pg_temp.req(:t1, '{"content": "   "}'));
SELECT pg_temp.call('comments_create', :staff, pg_temp.req(:t1, '{}'));
SELECT pg_temp.call('comments_create', :staff, pg_temp.req(:t1, jsonb_build_object('content', repeat('x', 5001))));
SELECT pg_temp.call('comments_create', :staff, pg_temp.req(:t1, '{"content": "x", "type": "secret"}'));
SELECT pg_temp.call('comments_create', :staff, pg_temp.req(:t1, '{"content": "x", "isInternal": true}'));
SELECT pg_temp.call('comments_create', NULL, pg_temp.req(:t1, '{"content": "x"}'));

-- List: oldest first; the submitter never sees internal comments.
SELECT c ->> 'type' AS type, c ->> 'content' AS content, c -> 'user' ->> 'username' AS author
FROM jsonb_array_elements(pg_temp.call('comments_list', :emp, pg_temp.req(:t1))) c;
SELECT c ->> 'type' AS type, c ->> 'content' AS content, c -> 'user' ->> 'username' AS author
FROM jsonb_array_elements(pg_temp.call('comments_list', :staff, pg_temp.req(:t1))) c;
SELECT pg_temp.call('comments_list', :emp2, pg_temp.req(:t1));
SELECT pg_temp.call('comments_list', :emp2, pg_temp.req(2147483647));
-- Stats: the Employee's counts leave out internal comments.
SELECT pg_temp.call('comments_stats', :emp, pg_temp.req(:t1)) AS employee,
       pg_temp.call('comments_stats', :staff, pg_temp.req(:t1)) AS staff;
SELECT pg_temp.call('comments_stats', :emp2, pg_temp.req(:t1));
-- The ticket parameter may also arrive as :id; both names work.
SELECT pg_temp.call('comments_stats', :staff, jsonb_build_object('path', jsonb_build_object('id', :t1))) AS by_id;

SELECT id AS c_public FROM helpdesk.comments WHERE content = 'Still dropping' \gset
SELECT id AS c_internal FROM helpdesk.comments WHERE content = 'Check the vendor' \gset
SELECT id AS c_system FROM helpdesk.comments WHERE content = 'Escalated' \gset
SELECT id AS c_staff FROM helpdesk.comments WHERE content = 'Please reboot' \gset

-- Read by id: the internal comment does not exist for an Employee; others' tickets are 403.
SELECT jsonb_pretty(pg_temp.shape(pg_temp.call('comments_get', :emp, pg_temp.idreq(:c_public))));
SELECT pg_temp.call('comments_get', :emp, pg_temp.idreq(:c_internal));
SELECT pg_temp.shape(pg_temp.call('comments_get', :staff, pg_temp.idreq(:c_internal))) ->> 'content' AS staff_reads_internal;
SELECT pg_temp.shape(pg_temp.call('comments_get', :emp, pg_temp.idreq(:c_system))) ->> 'content' AS employee_reads_system;
SELECT pg_temp.call('comments_get', :emp2, pg_temp.idreq(:c_public));
SELECT pg_temp.call('comments_get', :emp, pg_temp.idreq(2147483647));

-- Edit window, with the clock passed in: at 15 minutes still allowed, after that refused.
INSERT INTO helpdesk.comments (ticket_id, user_id, content, created_at)
VALUES (:t1, :emp, 'Typo heer', '2026-03-02 10:00:00Z');
SELECT id AS c_old FROM helpdesk.comments WHERE content = 'Typo heer' \gset
SELECT pg_temp.try($$helpdesk.comment_update(pg_temp.u('c_emp'), $$ || :c_old || $$, 'Typo here', '2026-03-02 10:15:01Z')$$);
SELECT pg_temp.try($$(helpdesk.comment_update(pg_temp.u('c_emp'), $$ || :c_old || $$, 'Typo here', '2026-03-02 10:15:00Z')).content$$);
SELECT content, is_edited, edited_at AT TIME ZONE 'UTC' AS edited_at FROM helpdesk.comments WHERE id = :c_old;
-- Author only (not even an Admin edits others' words), never a system comment.
SELECT pg_temp.try($$helpdesk.comment_update(pg_temp.u('c_admin'), $$ || :c_old || $$, 'x', '2026-03-02 10:01:00Z')$$);
SELECT pg_temp.try($$helpdesk.comment_update(pg_temp.u('c_admin'), $$ || :c_system || $$, 'x')$$);
SELECT pg_temp.try($$helpdesk.comment_update(pg_temp.u('c_emp'), $$ || :c_internal || $$, 'x')$$);
-- Through the route (just created, so inside the window); bad bodies.
SELECT pg_temp.shape(pg_temp.call('comments_update', :emp, pg_temp.idreq(:c_public, '{"content": "Still dropping today"}')));
SELECT pg_temp.call('comments_update', :emp, pg_temp.idreq(:c_public, '{"content": ""}'));
SELECT pg_temp.call('comments_update', :emp, pg_temp.idreq(:c_public, '{"content": "x", "type": "internal"}'));
SELECT pg_temp.call('comments_update', :staff, pg_temp.idreq(:c_public, '{"content": "x"}'));

-- My comments: newest first, with their ticket; an Employee's list has no internal ones.
SELECT c ->> 'content' AS content, c -> 'ticket' ->> 'ticketNumber' AS ticket, c -> 'ticket' ? 'submitterId' AS has_submitter
FROM jsonb_array_elements(pg_temp.call('comments_my', :emp, '{}')) c;
SELECT c ->> 'content' AS content FROM jsonb_array_elements(pg_temp.call('comments_my', :staff, '{}')) c;

-- Delete: author or Admin, never a system comment; soft delete, then gone everywhere.
SELECT pg_temp.call('comments_delete', :emp2, pg_temp.idreq(:c_public));
SELECT pg_temp.call('comments_delete', :staff, pg_temp.idreq(:c_public));
SELECT pg_temp.call('comments_delete', :admin, pg_temp.idreq(:c_system));
SELECT pg_temp.call('comments_delete', :emp, pg_temp.idreq(:c_internal));
SELECT pg_temp.call('comments_delete', :emp, pg_temp.idreq(:c_public));
SELECT pg_temp.call('comments_delete', :admin, pg_temp.idreq(:c_staff));
SELECT pg_temp.call('comments_delete', :emp, pg_temp.idreq(:c_public));
SELECT pg_temp.call('comments_get', :staff, pg_temp.idreq(:c_public));
SELECT pg_temp.call('comments_update', :emp, pg_temp.idreq(:c_public, '{"content": "back"}'));
SELECT content, deleted_at IS NOT NULL AS deleted FROM helpdesk.comments WHERE ticket_id = :t1 ORDER BY id;
SELECT pg_temp.call('comments_stats', :staff, pg_temp.req(:t1));
SELECT c ->> 'content' AS content FROM jsonb_array_elements(pg_temp.call('comments_list', :staff, pg_temp.req(:t1))) c;
SELECT c ->> 'content' AS content FROM jsonb_array_elements(pg_temp.call('comments_my', :emp, '{}')) c;
