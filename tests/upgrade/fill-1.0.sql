-- A desk's worth of data written through the 1.0 extension only (its routes, domain functions
-- and triggers): the data the upgrade test carries from release 1.0 to the version under
-- development. Frozen with the release: it must keep running against helpdesk--1.0.sql, so it
-- uses nothing newer. Instants are fixed in March 2025 (the past), so the data does not depend
-- on when the test runs; the cluster's SLA watcher is off.
--
-- It leaves behind every kind of row 1.0 writes: users and their logins, refresh tokens, a
-- password reset and its mail, audit rows, categories, SLA rules, a business calendar with
-- holidays, escalation rules and escalations, tickets in every status with comments, an
-- attachment, history, notifications, and SLA clocks running, paused, met, missed, cancelled and
-- not applicable, with their events. Among them the states 1.0 left that 1.1 reads differently:
-- a breach recorded before a priority change moved the deadline later, and a clock paused after
-- its breach (no stored deadline).
\set ON_ERROR_STOP 1
\set QUIET 1
SET TimeZone = 'UTC';
SET helpdesk.bcrypt_cost = 4;

-- call(fn, actor, request, at): one route call as `actor` at the SLA instant `at`, in its own
-- transaction like a request.
CREATE PROCEDURE pg_temp.call(fn text, actor int, req jsonb, at timestamptz)
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM set_config('helpdesk.actor_id', coalesce(actor::text, ''), true);
    PERFORM set_config('helpdesk.sla_time', at::text, true);
    EXECUTE format('SELECT helpdesk_api.%I($1)', fn) USING req;
END
$$;

-- A ticket created at a fixed instant (the DBA's way: created_at written).
CREATE FUNCTION pg_temp.mk(num text, title text, prio helpdesk.ticket_priority, cat text, submitter text,
                           at timestamptz)
RETURNS int LANGUAGE sql AS $$
    INSERT INTO helpdesk.tickets (ticket_number, title, description, category_id, priority, submitter_id, created_at)
    SELECT num, title, 'Filled by the upgrade test: ' || title, c.id, prio, u.id, at
    FROM helpdesk.categories c, helpdesk.users u WHERE c.name = cat AND u.username = submitter
    RETURNING id $$;

INSERT INTO helpdesk.users (username, email, password_hash, full_name, role, department, phone) VALUES
    ('admin', 'admin@example.com', helpdesk.hash_password('password123'), 'Admin User', 'Admin', 'IT', '0123456789'),
    ('staff', 'staff@example.com', helpdesk.hash_password('password123'), 'Staff User', 'IT_Staff', 'IT', NULL),
    ('staff2', 'staff2@example.com', helpdesk.hash_password('password123'), 'Second Staff', 'IT_Staff', 'IT', NULL),
    ('emp', 'emp@example.com', helpdesk.hash_password('password123'), 'Employee User', 'Employee', 'Sales', NULL),
    ('emp2', 'emp2@example.com', helpdesk.hash_password('password123'), 'Ána Nguyễn', 'Employee', 'Finance', NULL);
SELECT id AS admin FROM helpdesk.users WHERE username = 'admin' \gset
SELECT id AS staff FROM helpdesk.users WHERE username = 'staff' \gset
SELECT id AS staff2 FROM helpdesk.users WHERE username = 'staff2' \gset
SELECT id AS emp FROM helpdesk.users WHERE username = 'emp' \gset

INSERT INTO helpdesk.categories (name, description, icon, color, display_order) VALUES
    ('Hardware', 'Computers and printers', 'computer', '#3B82F6', 1),
    ('Software', 'Installation and issues', 'code', '#10B981', 2),
    ('Network', 'Connectivity', 'wifi', '#F59E0B', 3);
INSERT INTO helpdesk.sla_rules (priority, response_time_hours, resolution_time_hours) VALUES
    ('High', 1, 4), ('Medium', 4, 24), ('Low', 8, 72);
INSERT INTO helpdesk.settings (setting_key, setting_value, setting_type, description) VALUES
    ('sla_at_risk_share', '0.75', 'number', 'at risk after three quarters of the window'),
    ('login_max_per_account', '7', 'number', NULL);
SELECT helpdesk.calendar_ensure_default('Europe/Berlin') IS NOT NULL AS calendar \gset
CALL pg_temp.call('holidays_create', :admin, '{"body": {"name": "Company day", "date": "2025-03-14"}}', '2025-03-01');
CALL pg_temp.call('holidays_create', :admin, '{"body": {"name": "Founders", "date": "2025-06-02", "isRecurring": true}}', '2025-03-01');
CALL pg_temp.call('escalation_rules_create', :admin, '{"body": {"name": "High breach", "priority": "High",
    "triggerType": "sla_breached", "escalationLevel": 2, "targetType": "role", "targetRole": "Admin"}}', '2025-03-01');
CALL pg_temp.call('escalation_rules_create', :admin, '{"body": {"name": "Unassigned 2 h",
    "triggerType": "no_assignment", "triggerHours": 2, "escalationLevel": 1, "targetType": "role", "targetRole": "IT_Staff"}}', '2025-03-01');
CALL pg_temp.call('escalation_rules_create', :admin, '{"body": {"name": "By hand", "triggerType": "sla_at_risk",
    "escalationLevel": 3, "targetType": "user", "targetUserId": 3, "notifyManager": false}}', '2025-03-01');

-- Logins (refresh tokens, audit and attempt rows), a failed one, a password reset by mail.
CALL pg_temp.call('auth_login', NULL, '{"body": {"email": "staff@example.com", "password": "password123"}}', '2025-03-01');
CALL pg_temp.call('auth_login', NULL, '{"body": {"email": "emp@example.com", "password": "password123"}}', '2025-03-01');
CALL pg_temp.call('auth_login', NULL, '{"body": {"email": "emp@example.com", "password": "wrong-password"}}', '2025-03-01');
CALL pg_temp.call('auth_forgot_password', NULL, '{"body": {"email": "emp2@example.com"}}', '2025-03-01');

-- Monday 2025-03-03 (Berlin, UTC+1: the windows are 07:00-16:30 UTC).
SELECT pg_temp.mk('UPG-1', 'Printer jammed on floor two', 'High', 'Hardware', 'emp', '2025-03-03 08:00+00') AS t1 \gset
SELECT pg_temp.mk('UPG-2', 'VPN drops every hour', 'High', 'Network', 'emp', '2025-03-03 08:00+00') AS t2 \gset
SELECT pg_temp.mk('UPG-3', 'New laptop for a hire', 'Medium', 'Hardware', 'emp2', '2025-03-03 09:00+00') AS t3 \gset
SELECT pg_temp.mk('UPG-4', 'Licence renewal question', 'Low', 'Software', 'emp', '2025-03-03 10:00+00') AS t4 \gset
SELECT pg_temp.mk('UPG-5', 'Mail rule misbehaves', 'High', 'Software', 'emp2', '2025-03-03 11:00+00') AS t5 \gset
SELECT pg_temp.mk('UPG-6', 'Wrong category, closed', 'Medium', 'Network', 'emp', '2025-03-04 08:00+00') AS t6 \gset
-- Low without an active rule: not applicable.
UPDATE helpdesk.sla_rules SET is_active = false WHERE priority = 'Low';
SELECT pg_temp.mk('UPG-7', 'Poster for the canteen', 'Low', 'Hardware', 'emp2', '2025-03-04 09:00+00') AS t7 \gset
UPDATE helpdesk.sla_rules SET is_active = true WHERE priority = 'Low';

-- UPG-1: answered, assigned, Pending (paused), resumed, resolved in time, rated.
CALL pg_temp.call('comments_create', :staff, format('{"path": {"ticketId": %s}, "body": {"content": "Looking at it now", "type": "public"}}', :t1)::jsonb, '2025-03-03 08:20+00');
CALL pg_temp.call('tickets_assign', :admin, format('{"path": {"id": %s}, "body": {"assigneeId": %s}}', :t1, :staff)::jsonb, '2025-03-03 08:30+00');
CALL pg_temp.call('tickets_change_status', :staff, format('{"path": {"id": %s}, "body": {"status": "Pending"}}', :t1)::jsonb, '2025-03-03 09:00+00');
CALL pg_temp.call('comments_create', :emp, format('{"path": {"ticketId": %s}, "body": {"content": "Here is the photo you asked for"}}', :t1)::jsonb, '2025-03-04 08:00+00');
CALL pg_temp.call('tickets_change_status', :staff, format('{"path": {"id": %s}, "body": {"status": "In Progress"}}', :t1)::jsonb, '2025-03-04 09:00+00');
CALL pg_temp.call('tickets_resolve', :staff, format('{"path": {"id": %s}, "body": {"resolutionNotes": "The roller was replaced"}}', :t1)::jsonb, '2025-03-04 10:00+00');
CALL pg_temp.call('tickets_rate', :emp, format('{"path": {"id": %s}, "body": {"rating": 5, "comment": "Quick"}}', :t1)::jsonb, '2025-03-04 11:00+00');
INSERT INTO helpdesk.attachments (ticket_id, file_name, original_name, file_path, file_size, mime_type, sha256, uploaded_by)
VALUES (:t1, 'a1b2c3.jpg', 'printer.jpg', 'uploads/a1b2c3.jpg', 48213, 'image/jpeg', sha256('printer'), :emp);

-- The watcher's work at fixed instants: UPG-2 and UPG-5 breach (response and resolution),
-- escalated by the High breach rule; UPG-3 and UPG-7 stay unassigned past two hours.
SELECT * FROM helpdesk.sla_scan('2025-03-03 10:00+00') \gset
SELECT * FROM helpdesk.sla_scan('2025-03-04 09:00+00') \gset

-- UPG-2: breached, then lowered to Low: 1.0 keeps the recorded breach (breached_at) although
-- the new deadline is days away.
CALL pg_temp.call('tickets_update', :admin, format('{"path": {"id": %s}, "body": {"priority": "Low"}}', :t2)::jsonb, '2025-03-04 10:00+00');
-- UPG-5: breached, then Pending: a paused clock with its breach recorded.
CALL pg_temp.call('tickets_assign', :admin, format('{"path": {"id": %s}, "body": {"assigneeId": %s}}', :t5, :staff2)::jsonb, '2025-03-04 10:00+00');
CALL pg_temp.call('tickets_change_status', :staff2, format('{"path": {"id": %s}, "body": {"status": "Pending"}}', :t5)::jsonb, '2025-03-04 10:30+00');
-- UPG-4: resolved after its response deadline passed unanswered, then reopened (cycle 2).
CALL pg_temp.call('tickets_assign', :admin, format('{"path": {"id": %s}, "body": {"assigneeId": %s}}', :t4, :staff)::jsonb, '2025-03-06 10:00+00');
CALL pg_temp.call('tickets_start_progress', :staff, format('{"path": {"id": %s}}', :t4)::jsonb, '2025-03-06 10:30+00');
CALL pg_temp.call('tickets_resolve', :staff, format('{"path": {"id": %s}, "body": {"resolutionNotes": "Licence renewed for a year"}}', :t4)::jsonb, '2025-03-06 11:00+00');
CALL pg_temp.call('tickets_reopen', :emp, format('{"path": {"id": %s}}', :t4)::jsonb, '2025-03-07 09:00+00');
-- UPG-6: closed by a DBA on its submitter's word before any response (response clock cancelled).
BEGIN;
SELECT set_config('helpdesk.sla_time', '2025-03-04 08:30+00', true), set_config('helpdesk.actor_id', :'emp', true) \gset
UPDATE helpdesk.tickets SET status = 'Closed', closed_at = '2025-03-04 08:30+00' WHERE id = :t6;
COMMIT;
-- An escalation by hand, an internal note, a comment edited.
CALL pg_temp.call('escalation_escalate', :staff, format('{"path": {"ticketId": %s}, "body": {"ruleId": 3}}', :t3)::jsonb, '2025-03-05 09:00+00');
CALL pg_temp.call('comments_create', :staff, format('{"path": {"ticketId": %s}, "body": {"content": "Ordered from the usual vendor", "type": "internal"}}', :t3)::jsonb, '2025-03-05 09:10+00');
UPDATE helpdesk.comments SET content = content || ' (edited)' WHERE ticket_id = :t1 AND type = 'public' AND user_id = :staff;
SELECT * FROM helpdesk.sla_scan('2025-03-07 12:00+00') \gset

-- A ticket through the route (created now: a ticket number from this year's counter).
CALL pg_temp.call('tickets_create', :emp, '{"body": {"title": "Keyboard missing keys", "description": "Several keys came off today", "categoryId": 1, "priority": "Medium"}}', '2025-03-07 12:00+00');

-- Notifications read by their users; a settings change.
UPDATE helpdesk.notifications SET is_read = true WHERE user_id = :emp;
UPDATE helpdesk.settings SET setting_value = '6' WHERE setting_key = 'login_max_per_account';
