-- Notifications and e-mail outbox rows written by triggers, whoever changes the ticket.
\set SHOW_CONTEXT never

SELECT setval('helpdesk.users_id_seq', coalesce((SELECT max(id) FROM helpdesk.users), 0) + 1, false) AS seq,
       setval('helpdesk.categories_id_seq', coalesce((SELECT max(id) FROM helpdesk.categories), 0) + 1, false) AS seq,
       setval('helpdesk.tickets_id_seq', coalesce((SELECT max(id) FROM helpdesk.tickets), 0) + 1, false) AS seq \gset

-- Only this test's users exist as active staff, so "all staff" is a known list.
CREATE TABLE pg_temp.was_active AS SELECT id FROM helpdesk.users WHERE is_active;
UPDATE helpdesk.users SET is_active = false WHERE is_active;
INSERT INTO helpdesk.users (username, email, password_hash, full_name, role, is_active) VALUES
    ('n_admin', 'n_admin@example.com', '$2a$04$regressregressregressre', 'Nora Admin', 'Admin', true),
    ('n_staff', 'n_staff@example.com', '$2a$04$regressregressregressre', 'Sam Staff', 'IT_Staff', true),
    ('n_staff2', 'n_staff2@example.com', '$2a$04$regressregressregressre', 'Tia Staff', 'IT_Staff', true),
    ('n_gone', 'n_gone@example.com', '$2a$04$regressregressregressre', 'Gone Staff', 'IT_Staff', false),
    ('n_emp', 'n_emp@example.com', '$2a$04$regressregressregressre', 'Eve Employee', 'Employee', true);
SELECT id AS admin FROM helpdesk.users WHERE username = 'n_admin' \gset
SELECT id AS staff FROM helpdesk.users WHERE username = 'n_staff' \gset
SELECT id AS staff2 FROM helpdesk.users WHERE username = 'n_staff2' \gset
SELECT id AS emp FROM helpdesk.users WHERE username = 'n_emp' \gset
INSERT INTO helpdesk.categories (name) VALUES ('Notify Cat');
SELECT id AS cat FROM helpdesk.categories WHERE name = 'Notify Cat' \gset

-- What a statement notified and mailed, then forgets it. A notification to every staff member
-- is one row (sql/38_notifications.sql): what each user reads is helpdesk.inbox.
CREATE TABLE pg_temp.seen (kind text, username text, type text, title text, message text);
CREATE FUNCTION pg_temp.drain() RETURNS SETOF pg_temp.seen LANGUAGE plpgsql AS $$
BEGIN
    RETURN QUERY
        SELECT 'notification', u.username::text, n.type::text, n.title::text, n.message
        FROM helpdesk.users u CROSS JOIN LATERAL helpdesk.inbox(u.id) n
        UNION ALL
        SELECT 'email to ' || e.recipient, u.username::text, e.template::text, e.subject::text, e.body_text
        FROM helpdesk.email_outbox e JOIN helpdesk.users u ON u.id = e.user_id
        ORDER BY 1 DESC, 2, 3;
    DELETE FROM helpdesk.notifications;
    DELETE FROM helpdesk.email_outbox;
END $$;
DELETE FROM helpdesk.notifications;
DELETE FROM helpdesk.email_outbox;

-- Created by an employee: every active staff member and admin.
BEGIN;
SET LOCAL helpdesk.actor_id = :'emp';
INSERT INTO helpdesk.tickets (ticket_number, title, description, category_id, submitter_id)
VALUES ('TKT-2026-9001', 'Laptop fan noise', 'Loud', :cat, :emp);
COMMIT;
SELECT id AS t1 FROM helpdesk.tickets WHERE ticket_number = 'TKT-2026-9001' \gset
SELECT * FROM pg_temp.drain();
-- Created by a staff member: the creator is not told about their own ticket.
BEGIN;
SET LOCAL helpdesk.actor_id = :'staff';
INSERT INTO helpdesk.tickets (ticket_number, title, description, category_id, submitter_id)
VALUES ('TKT-2026-9002', 'Server room AC', 'Hot', :cat, :staff);
COMMIT;
SELECT id AS t2 FROM helpdesk.tickets WHERE ticket_number = 'TKT-2026-9002' \gset
SELECT * FROM pg_temp.drain();

-- Assigned by the admin: the assignee (with e-mail) and the submitter; the status move that
-- comes with it does not notify them twice.
BEGIN;
SET LOCAL helpdesk.actor_id = :'admin';
UPDATE helpdesk.tickets SET assignee_id = :staff, status = 'Assigned' WHERE id = :t1;
COMMIT;
SELECT * FROM pg_temp.drain();
-- Self-assignment: only the submitter hears of it.
BEGIN;
SET LOCAL helpdesk.actor_id = :'staff2';
UPDATE helpdesk.tickets SET assignee_id = :staff2 WHERE id = :t1;
COMMIT;
SELECT * FROM pg_temp.drain();

-- A route that writes the ticket in two statements (assign, then move the status) tells each
-- person once.
BEGIN;
SET LOCAL helpdesk.actor_id = :'admin';
UPDATE helpdesk.tickets SET assignee_id = :staff WHERE id = :t2;
UPDATE helpdesk.tickets SET status = 'Assigned' WHERE id = :t2;
UPDATE helpdesk.tickets SET priority = 'High' WHERE id = :t2;
COMMIT;
SELECT kind, username, type FROM pg_temp.drain();

-- Code that tells people itself (an escalation) can mark them as told about its change.
BEGIN;
SELECT helpdesk.notify_mark_told(:t2, :staff);
UPDATE helpdesk.tickets SET priority = 'Low' WHERE id = :t2;
COMMIT;
SELECT kind, username, type FROM pg_temp.drain();
-- (without the mark, the same change tells them)
UPDATE helpdesk.tickets SET priority = 'Medium' WHERE id = :t2;
SELECT kind, username, type FROM pg_temp.drain();

-- Other updates: submitter and assignee, minus the actor.
BEGIN;
SET LOCAL helpdesk.actor_id = :'staff2';
UPDATE helpdesk.tickets SET priority = 'High', status = 'In Progress' WHERE id = :t1;
COMMIT;
SELECT * FROM pg_temp.drain();
-- Columns nobody is told about (SLA dates, notes) notify no one.
UPDATE helpdesk.tickets SET due_date = '2026-05-01Z', resolution_notes = 'Cleaned the fan' WHERE id = :t1;
SELECT * FROM pg_temp.drain();

-- Resolved: the submitter, with e-mail.
BEGIN;
SET LOCAL helpdesk.actor_id = :'staff2';
UPDATE helpdesk.tickets SET status = 'Resolved' WHERE id = :t1;
COMMIT;
SELECT * FROM pg_temp.drain();
-- Closed by the submitter: the assignee only.
BEGIN;
SET LOCAL helpdesk.actor_id = :'emp';
UPDATE helpdesk.tickets SET status = 'Closed' WHERE id = :t1;
COMMIT;
SELECT * FROM pg_temp.drain();
-- Reopened by a DBA without an acting user: everyone concerned, signed "System".
UPDATE helpdesk.tickets SET status = 'New' WHERE id = :t1;
SELECT * FROM pg_temp.drain();

-- Comments: submitter and assignee minus the author, with the text by e-mail.
BEGIN;
SET LOCAL helpdesk.actor_id = :'staff2';
INSERT INTO helpdesk.comments (ticket_id, user_id, content) VALUES (:t1, :staff2, 'Fan replaced, please check');
COMMIT;
SELECT * FROM pg_temp.drain();
BEGIN;
SET LOCAL helpdesk.actor_id = :'emp';
INSERT INTO helpdesk.comments (ticket_id, user_id, content) VALUES (:t1, :emp, 'Quiet now, thanks');
COMMIT;
SELECT * FROM pg_temp.drain();
-- An internal comment never reaches the Employee: no notification, no e-mail, no text.
BEGIN;
SET LOCAL helpdesk.actor_id = :'admin';
INSERT INTO helpdesk.comments (ticket_id, user_id, content, type) VALUES (:t1, :admin, 'Charge the repair to Sales', 'internal');
COMMIT;
SELECT * FROM pg_temp.drain();
-- ... while a staff member who submitted a ticket does get internal comments on it.
BEGIN;
SET LOCAL helpdesk.actor_id = :'admin';
INSERT INTO helpdesk.comments (ticket_id, user_id, content, type) VALUES (:t2, :admin, 'Facilities are on it', 'internal');
COMMIT;
SELECT kind, username, type FROM pg_temp.drain();
-- System comments and comments inserted deleted notify nobody.
INSERT INTO helpdesk.comments (ticket_id, user_id, content, type) VALUES (:t1, :admin, 'SLA clock paused', 'system');
INSERT INTO helpdesk.comments (ticket_id, user_id, content, deleted_at) VALUES (:t1, :admin, 'oops', now());
SELECT * FROM pg_temp.drain();
-- Through the comment route as well (same trigger).
SELECT (helpdesk.comment_create(u, :t1, 'Through the API', 'public')).type FROM helpdesk.users u WHERE u.id = :staff2;
SELECT * FROM pg_temp.drain();

-- Inactive users are never notified; a change that rolls back leaves nothing behind.
UPDATE helpdesk.tickets SET assignee_id = (SELECT id FROM helpdesk.users WHERE username = 'n_gone') WHERE id = :t1;
SELECT * FROM pg_temp.drain();
BEGIN;
UPDATE helpdesk.tickets SET title = 'Rolled back' WHERE id = :t1;
ROLLBACK;
SELECT count(*) AS after_rollback FROM helpdesk.notifications;

-- Rows loaded by COPY (pg_restore, an import) are not changes: no history, no notifications.
INSERT INTO helpdesk.categories (id, name) VALUES (909001, 'Copy Cat');
INSERT INTO helpdesk.users (id, username, email, password_hash, full_name, role) VALUES
    (909001, 'n_copy', 'n_copy@example.com', '$2a$04$regressregressregressre', 'Copy Employee', 'Employee');
COPY helpdesk.tickets (ticket_number, title, description, category_id, submitter_id, status) FROM STDIN;
TKT-2026-9100	Loaded	Loaded from a dump	909001	909001	New
\.
SELECT t.title, count(h.id) AS history_rows
FROM helpdesk.tickets t LEFT JOIN helpdesk.ticket_history h ON h.ticket_id = t.id
WHERE t.ticket_number = 'TKT-2026-9100' GROUP BY t.title;
SELECT * FROM pg_temp.drain();
-- ... while the same row inserted by a statement is a new ticket.
INSERT INTO helpdesk.tickets (ticket_number, title, description, category_id, submitter_id, status)
VALUES ('TKT-2026-9101', 'Inserted', 'Inserted by a statement', 909001, 909001, 'New');
SELECT count(*) AS history_rows FROM helpdesk.ticket_history h JOIN helpdesk.tickets t ON t.id = h.ticket_id
WHERE t.ticket_number = 'TKT-2026-9101';
SELECT kind, username, type FROM pg_temp.drain();

-- Put the other tests' users back as they were.
UPDATE helpdesk.users SET is_active = true WHERE id IN (SELECT id FROM pg_temp.was_active);
