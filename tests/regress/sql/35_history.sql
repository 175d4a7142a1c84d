-- Ticket history written by the C triggers, whoever changes the row, and the history routes.
\set SHOW_CONTEXT never

-- Earlier tests may have inserted rows with explicit ids: move the sequences past them.
SELECT setval('helpdesk.users_id_seq', coalesce((SELECT max(id) FROM helpdesk.users), 0) + 1, false) AS seq,
       setval('helpdesk.categories_id_seq', coalesce((SELECT max(id) FROM helpdesk.categories), 0) + 1, false) AS seq,
       setval('helpdesk.tickets_id_seq', coalesce((SELECT max(id) FROM helpdesk.tickets), 0) + 1, false) AS seq \gset

INSERT INTO helpdesk.users (username, email, password_hash, full_name, role) VALUES
    ('h_admin', 'h_admin@example.com', '$2a$04$regressregressregressre', 'Hist Admin', 'Admin'),
    ('h_staff', 'h_staff@example.com', '$2a$04$regressregressregressre', 'Hist Staff', 'IT_Staff'),
    ('h_staff2', 'h_staff2@example.com', '$2a$04$regressregressregressre', 'Hist Staff Two', 'IT_Staff'),
    ('h_emp', 'h_emp@example.com', '$2a$04$regressregressregressre', 'Hist Employee', 'Employee'),
    ('h_emp2', 'h_emp2@example.com', '$2a$04$regressregressregressre', 'Hist Other Employee', 'Employee');
SELECT id AS admin FROM helpdesk.users WHERE username = 'h_admin' \gset
SELECT id AS staff FROM helpdesk.users WHERE username = 'h_staff' \gset
SELECT id AS staff2 FROM helpdesk.users WHERE username = 'h_staff2' \gset
SELECT id AS emp FROM helpdesk.users WHERE username = 'h_emp' \gset
SELECT id AS emp2 FROM helpdesk.users WHERE username = 'h_emp2' \gset
INSERT INTO helpdesk.categories (name) VALUES ('Hist Cat A'), ('Hist Cat B');
SELECT id AS cat_a FROM helpdesk.categories WHERE name = 'Hist Cat A' \gset
SELECT id AS cat_b FROM helpdesk.categories WHERE name = 'Hist Cat B' \gset

-- The history of a ticket with ids shown as names (ids depend on what ran before).
CREATE FUNCTION pg_temp.hist(number text)
RETURNS TABLE (action text, by_user text, field text, old_value text, new_value text, description text)
LANGUAGE sql AS $$
    SELECT h.action::text,
           coalesce(u.username, CASE WHEN h.user_id IS NULL AND h.db_user = current_user THEN '(db user)' END),
           h.field_name::text,
           CASE h.field_name WHEN 'assignee' THEN coalesce((SELECT username FROM helpdesk.users WHERE id::text = h.old_value), h.old_value)
                             WHEN 'category' THEN (SELECT name FROM helpdesk.categories WHERE id::text = h.old_value)
                             ELSE h.old_value END,
           CASE h.field_name WHEN 'assignee' THEN coalesce((SELECT username FROM helpdesk.users WHERE id::text = h.new_value), h.new_value)
                             WHEN 'category' THEN (SELECT name FROM helpdesk.categories WHERE id::text = h.new_value)
                             WHEN 'comment' THEN (SELECT content FROM helpdesk.comments WHERE id::text = h.new_value)
                             WHEN 'internal_comment' THEN (SELECT content FROM helpdesk.comments WHERE id::text = h.new_value)
                             ELSE h.new_value END,
           h.description
    FROM helpdesk.ticket_history h
    JOIN helpdesk.tickets t ON t.id = h.ticket_id
    LEFT JOIN helpdesk.users u ON u.id = h.user_id
    WHERE t.ticket_number = number
    ORDER BY h.id
$$;

-- Created by the acting user.
BEGIN;
SET LOCAL helpdesk.actor_id = :'emp';
INSERT INTO helpdesk.tickets (ticket_number, title, description, category_id, submitter_id)
VALUES ('HIST-0001', 'Printer jam', 'The printer on floor 2 jams', :cat_a, :emp);
COMMIT;
SELECT id AS t1 FROM helpdesk.tickets WHERE ticket_number = 'HIST-0001' \gset

-- Assigned (from nobody), then reassigned: true old and new assignees.
BEGIN;
SET LOCAL helpdesk.actor_id = :'staff';
UPDATE helpdesk.tickets SET assignee_id = :staff, status = 'Assigned' WHERE id = :t1;
UPDATE helpdesk.tickets SET assignee_id = :staff2 WHERE id = :t1;
-- Title, description, category and priority in one statement: one row each.
UPDATE helpdesk.tickets SET title = 'Printer jams', description = 'Jams every morning',
       category_id = :cat_b, priority = 'High' WHERE id = :t1;
-- Setting a column to its own value writes nothing.
UPDATE helpdesk.tickets SET title = 'Printer jams', priority = 'High' WHERE id = :t1;
-- Neither does a change to a column the history does not speak about.
UPDATE helpdesk.tickets SET resolution_notes = 'n/a', due_date = '2026-01-01Z' WHERE id = :t1;
COMMIT;

-- The status moves: one row each, the action names what the move means.
BEGIN;
SET LOCAL helpdesk.actor_id = :'staff2';
UPDATE helpdesk.tickets SET status = 'In Progress' WHERE id = :t1;
UPDATE helpdesk.tickets SET status = 'Resolved' WHERE id = :t1;
UPDATE helpdesk.tickets SET status = 'Closed' WHERE id = :t1;
UPDATE helpdesk.tickets SET status = 'New' WHERE id = :t1;
UPDATE helpdesk.tickets SET status = 'In Progress' WHERE id = :t1;
UPDATE helpdesk.tickets SET status = 'Resolved' WHERE id = :t1;
UPDATE helpdesk.tickets SET status = 'In Progress' WHERE id = :t1;
UPDATE helpdesk.tickets SET status = 'Pending' WHERE id = :t1;
COMMIT;

-- A DBA's raw UPDATE without an acting user: attributed to the database user.
UPDATE helpdesk.tickets SET priority = 'Low', assignee_id = NULL WHERE id = :t1;
-- An actor id that names no user is recorded as NULL instead of failing the change.
BEGIN;
SET LOCAL helpdesk.actor_id = '2147483647';
UPDATE helpdesk.tickets SET priority = 'Medium' WHERE id = :t1;
COMMIT;

-- Comments: attributed to the actor, else to their author; internal ones are marked;
-- a comment inserted already deleted leaves no trace.
INSERT INTO helpdesk.comments (ticket_id, user_id, content) VALUES (:t1, :emp, 'Still jamming');
BEGIN;
SET LOCAL helpdesk.actor_id = :'staff';
INSERT INTO helpdesk.comments (ticket_id, user_id, content, type) VALUES (:t1, :staff, 'Vendor ticket 42', 'internal');
INSERT INTO helpdesk.comments (ticket_id, user_id, content, type) VALUES (:t1, :staff, 'Waiting on parts', 'system');
INSERT INTO helpdesk.comments (ticket_id, user_id, content, deleted_at) VALUES (:t1, :staff, 'gone', now());
-- Editing or deleting a comment is not a history event.
UPDATE helpdesk.comments SET content = 'Still jamming!' WHERE content = 'Still jamming';
COMMIT;
INSERT INTO helpdesk.attachments (ticket_id, file_name, original_name, file_size, mime_type, sha256, uploaded_by)
VALUES (:t1, 'x.png', 'jam photo.png', 10, 'image/png', sha256('x'), :emp);

SELECT * FROM pg_temp.hist('HIST-0001');

-- A long description (stored out of line) that does not change is not rewritten into the history; one
-- that changes is.
INSERT INTO helpdesk.tickets (ticket_number, title, description, category_id, submitter_id)
VALUES ('HIST-0003', 'Long', (SELECT string_agg(md5(i::text), ' ') FROM generate_series(1, 4000) i), :cat_a, :emp);
UPDATE helpdesk.tickets SET status = 'Assigned', description = description WHERE ticket_number = 'HIST-0003';
UPDATE helpdesk.tickets SET description = description || '!' WHERE ticket_number = 'HIST-0003';
SELECT action, field, length(old_value) AS old_length, length(new_value) AS new_length
FROM pg_temp.hist('HIST-0003');

-- Rows carry the database user that made the change; no row without a ticket.
SELECT count(*) FILTER (WHERE db_user = current_user) = count(*) AS all_by_db_user,
       count(*) FILTER (WHERE user_id IS NULL) AS unattributed
FROM helpdesk.ticket_history WHERE ticket_id = :t1;

-- Deleting the ticket deletes its history.
INSERT INTO helpdesk.tickets (ticket_number, title, description, category_id, submitter_id)
VALUES ('HIST-0002', 'Temp', 'Temp', :cat_a, :emp2);
SELECT count(*) AS rows_before FROM pg_temp.hist('HIST-0002');
DELETE FROM helpdesk.tickets WHERE ticket_number = 'HIST-0002';
SELECT count(*) AS rows_after FROM helpdesk.ticket_history h
WHERE NOT EXISTS (SELECT FROM helpdesk.tickets t WHERE t.id = h.ticket_id);

-- The trigger refuses to be used the wrong way.
\set VERBOSITY terse
CREATE TABLE pg_temp.other (id int);
CREATE TRIGGER other_history AFTER INSERT ON pg_temp.other
    FOR EACH ROW EXECUTE FUNCTION helpdesk.ticket_history_trigger();
INSERT INTO pg_temp.other VALUES (1);
CREATE TRIGGER other_history_before BEFORE INSERT ON helpdesk.attachments
    FOR EACH ROW EXECUTE FUNCTION helpdesk.ticket_history_trigger();
INSERT INTO helpdesk.attachments (ticket_id, file_name, original_name, file_size, mime_type, sha256, uploaded_by)
VALUES (:t1, 'y.png', 'y.png', 10, 'image/png', sha256('y'), :emp);
DROP TRIGGER other_history_before ON helpdesk.attachments;
\set VERBOSITY default

-- Routes. Shows the HTTP status and message an API call raises, or its value.
CREATE FUNCTION pg_temp.call(fn text, actor int, req jsonb) RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE st text; msg text; result jsonb;
BEGIN
    PERFORM set_config('helpdesk.actor_id', coalesce(actor::text, ''), true);
    EXECUTE format('SELECT helpdesk_api.%I($1)', fn) INTO result USING req;
    RETURN result;
EXCEPTION WHEN OTHERS THEN
    GET STACKED DIAGNOSTICS st = RETURNED_SQLSTATE, msg = MESSAGE_TEXT;
    RETURN jsonb_build_object('error', st, 'message', msg);
END $$;

-- The submitter sees the history of their ticket without the internal comment; staff see all.
SELECT r ->> 'action' AS action, r ->> 'description' AS description, r -> 'user' ->> 'fullName' AS by_user
FROM jsonb_array_elements(pg_temp.call('ticket_history_by_ticket', :emp,
                                       jsonb_build_object('path', jsonb_build_object('ticketId', :t1)))) r
WHERE r ->> 'action' IN ('comment_added', 'attachment_added', 'created');
SELECT count(*) AS staff_rows,
       count(*) FILTER (WHERE r ->> 'fieldName' = 'internal_comment') AS internal_rows
FROM jsonb_array_elements(pg_temp.call('ticket_history_by_ticket', :staff,
                                       jsonb_build_object('path', jsonb_build_object('ticketId', :t1)))) r;
-- Newest first.
SELECT (a -> 0 ->> 'id')::bigint > (a -> 1 ->> 'id')::bigint AS newest_first
FROM pg_temp.call('ticket_history_by_ticket', :admin,
                  jsonb_build_object('path', jsonb_build_object('ticketId', :t1))) a;
-- Another employee's ticket, a missing ticket, no actor.
SELECT pg_temp.call('ticket_history_by_ticket', :emp2, jsonb_build_object('path', jsonb_build_object('ticketId', :t1)));
SELECT pg_temp.call('ticket_history_by_ticket', :admin, '{"path": {"ticketId": 2147483647}}');
SELECT pg_temp.call('ticket_history_by_ticket', NULL, jsonb_build_object('path', jsonb_build_object('ticketId', :t1)));

-- The row JSON (ids and timestamp masked).
SELECT jsonb_pretty(r - 'id' - 'ticketId' - 'userId' - 'createdAt' - 'oldValue' - 'newValue' - 'user'
                    || jsonb_build_object('user', (r -> 'user') - 'id')),
       r ->> 'oldValue' = :'staff' AS old_is_staff, r ->> 'newValue' = :'staff2' AS new_is_staff2,
       (r ->> 'ticketId')::int = :t1 AS ticket_ok, (r ->> 'userId')::int = :staff AS user_ok
FROM jsonb_array_elements(pg_temp.call('ticket_history_by_ticket', :staff,
                                       jsonb_build_object('path', jsonb_build_object('ticketId', :t1)))) r
WHERE r ->> 'description' = 'Ticket reassigned to another staff member';
-- changeDescription falls back to the field's change, then to the label.
SELECT r ->> 'changeDescription' AS change_description
FROM (VALUES (ROW(1, 1, NULL, 'postgres', 'updated', 'title', 'a', 'b', NULL, now())::helpdesk.ticket_history),
             (ROW(1, 1, NULL, 'postgres', 'sla_warning', 'sla', NULL, '80%', NULL, now())::helpdesk.ticket_history),
             (ROW(1, 1, NULL, 'postgres', 'escalated', NULL, NULL, NULL, NULL, now())::helpdesk.ticket_history)) v(h),
     LATERAL (SELECT helpdesk.history_json(v.h)) j(r);

-- GET /ticket-history: staff only, limit 1..1000 (default 100), offset >= 0.
SELECT pg_temp.call('ticket_history_list', :emp, '{}');
SELECT jsonb_array_length(pg_temp.call('ticket_history_list', :staff, '{"query": {"limit": "3"}}')) AS three;
SELECT (pg_temp.call('ticket_history_list', :admin, '{"query": {"limit": "2", "offset": "1"}}') -> 0 -> 'id')
     = (pg_temp.call('ticket_history_list', :admin, '{"query": {"limit": "3"}}') -> 1 -> 'id') AS offset_skips;
SELECT jsonb_array_length(pg_temp.call('ticket_history_list', :admin, '{}'))
     = least(100, (SELECT count(*) FROM helpdesk.ticket_history)) AS default_limit;
SELECT pg_temp.call('ticket_history_list', :admin, '{"query": {"limit": "1001"}}');
SELECT pg_temp.call('ticket_history_list', :admin, '{"query": {"limit": "0"}}');
SELECT pg_temp.call('ticket_history_list', :admin, '{"query": {"offset": "-1"}}');
SELECT pg_temp.call('ticket_history_list', :admin, '{"query": {"limit": "ten"}}');

