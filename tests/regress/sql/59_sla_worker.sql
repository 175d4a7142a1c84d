-- The SLA watcher (background worker, running in contrib_regression with the default
-- helpdesk.worker_idle_seconds of 60): a deadline a few seconds ahead is breached by the worker
-- without anyone calling sla_scan. The insert's commit wakes the worker (it would otherwise
-- sleep up to a minute); the test waits at most 30 seconds and asserts no timing beyond that.
-- Then, with the watcher's idle sleep raised to an hour: a change of the SLA rules recomputed by
-- the watcher, and the time-based escalation rules fired at their threshold.
\set SHOW_CONTEXT never
SET TimeZone = 'UTC';

-- The watcher starts once contrib_regression exists (it retries every 10 s before): wait for it.
DO $$
DECLARE
    deadline timestamptz := clock_timestamp() + interval '30 seconds';
BEGIN
    WHILE clock_timestamp() < deadline LOOP
        EXIT WHEN EXISTS (SELECT FROM pg_stat_activity
                          WHERE backend_type = 'helpdesk sla watcher' AND datname = current_database());
        PERFORM pg_sleep(0.1);
    END LOOP;
END
$$;
SELECT count(*) AS watchers FROM pg_stat_activity
WHERE backend_type = 'helpdesk sla watcher' AND datname = current_database();

-- Each round first moves the reports' watermark of past deadlines when it is an hour behind
-- (sql/80_reports.sql, reports_advance_due): from -infinity at install to the round's instant.
DO $$
DECLARE
    deadline timestamptz := clock_timestamp() + interval '30 seconds';
BEGIN
    WHILE clock_timestamp() < deadline LOOP
        EXIT WHEN (SELECT s.due_before > '-infinity' FROM helpdesk.report_state s);
        PERFORM pg_sleep(0.1);
    END LOOP;
END
$$;
SELECT due_before > '-infinity' AS watermark_moved, due_before > now() - interval '1 hour' AS recent
FROM helpdesk.report_state;

-- 24/7 for this test (no default calendar), and a High rule of 1 h / 4 h; both restored below.
CREATE TEMP TABLE saved_calendar AS SELECT id FROM helpdesk.calendars WHERE is_default;
UPDATE helpdesk.calendars SET is_default = false WHERE is_default;
CREATE TEMP TABLE saved_rule AS SELECT * FROM helpdesk.sla_rules WHERE priority = 'High';
INSERT INTO helpdesk.sla_rules (priority, response_time_hours, resolution_time_hours) VALUES ('High', 1, 4)
ON CONFLICT (priority) DO UPDATE SET response_time_hours = 1, resolution_time_hours = 4, is_active = true;
INSERT INTO helpdesk.users (username, email, password_hash, full_name, role)
VALUES ('sla_worker_emp', 'sla_worker_emp@example.com', '$2a$04$x', 'Worker Test', 'Employee') RETURNING id AS emp \gset
INSERT INTO helpdesk.categories (name) VALUES ('SLA worker test') RETURNING id AS cat \gset

-- The response clock started 1 h minus 3 s ago: due in 3 s, its warning already due.
INSERT INTO helpdesk.tickets (ticket_number, title, description, category_id, priority, submitter_id, created_at)
VALUES ('SLA-WORKER-1', 'Watched', 'Breached by the watcher', :cat, 'High', :emp,
        clock_timestamp() - interval '1 hour' + interval '3 seconds')
RETURNING id AS tid \gset
SELECT response_due_at > clock_timestamp() AS due_in_the_future FROM helpdesk.tickets WHERE id = :tid;

-- Wait (at most 30 s) for the watcher's breach row.
DO $$
DECLARE
    deadline timestamptz := clock_timestamp() + interval '30 seconds';
BEGIN
    WHILE clock_timestamp() < deadline LOOP
        EXIT WHEN EXISTS (SELECT FROM helpdesk.ticket_history h JOIN helpdesk.tickets t ON t.id = h.ticket_id
                          WHERE t.ticket_number = 'SLA-WORKER-1' AND h.action = 'sla_breached');
        PERFORM pg_sleep(0.1);
    END LOOP;
END
$$;

-- The breach, once, never before the deadline. (Whether the warning, already due at the
-- insert, was sent first depends on how soon the watcher ran, so it is not shown.)
SELECT h.action, h.field_name, h.created_at >= t.response_due_at AS not_early
FROM helpdesk.ticket_history h JOIN helpdesk.tickets t ON t.id = h.ticket_id
WHERE t.id = :tid AND h.action = 'sla_breached'
ORDER BY h.id;
SELECT clock, event FROM helpdesk.sla_events WHERE ticket_id = :tid AND event = 'breached' ORDER BY id;

-- The watcher sleeps until whatever is due next, not only breaches, however long it would
-- otherwise sleep: helpdesk.worker_idle_seconds goes to an hour for the rest of this file. Once
-- this session sees the new setting, the watcher has been signalled too; a round it runs after
-- that has read it.
ALTER SYSTEM SET helpdesk.worker_idle_seconds = 3600;
SELECT pg_reload_conf();
DO $$
DECLARE
    deadline timestamptz := clock_timestamp() + interval '30 seconds';
BEGIN
    WHILE clock_timestamp() < deadline AND current_setting('helpdesk.worker_idle_seconds') <> '1h' LOOP
        PERFORM pg_sleep(0.1);
    END LOOP;
END
$$;
SHOW helpdesk.worker_idle_seconds;

-- wait_for(query): polls (at most 30 s) until the query returns true.
CREATE FUNCTION pg_temp.wait_for(query text) RETURNS boolean LANGUAGE plpgsql AS $$
DECLARE
    deadline timestamptz := clock_timestamp() + interval '30 seconds';
    ok boolean := false;
BEGIN
    WHILE clock_timestamp() < deadline LOOP
        EXECUTE query INTO ok;
        EXIT WHEN ok;
        PERFORM pg_sleep(0.1);
    END LOOP;
    RETURN ok;
END $$;

-- A change of the SLA rules is done by the watcher at once: the recomputation is queued and
-- wakes it at commit. The watched ticket's resolution deadline follows the High rule, 4 h -> 8 h.
UPDATE helpdesk.sla_rules SET resolution_time_hours = 8 WHERE priority = 'High';
SELECT pg_temp.wait_for(format('SELECT due_date = created_at + interval ''8 hours'' FROM helpdesk.tickets WHERE id = %s', :tid))
       AS recomputed_by_the_watcher;
SELECT count(*) AS requests_left FROM helpdesk.sla_recompute_requests;
SELECT event, detail FROM helpdesk.sla_events WHERE ticket_id = :tid AND clock = 'resolution' AND event = 'recalculated';

-- Time-based escalation rules fire at their threshold: two tickets without an SLA rule (Low has
-- none here, so no clock wakes the watcher), 1 h minus 3 s old, one unassigned, one assigned
-- without a response; a rule of 1 h for each.
CREATE TEMP TABLE saved_low AS SELECT * FROM helpdesk.sla_rules WHERE priority = 'Low';
DELETE FROM helpdesk.sla_rules WHERE priority = 'Low';
INSERT INTO helpdesk.users (username, email, password_hash, full_name, role)
VALUES ('sla_worker_staff', 'sla_worker_staff@example.com', '$2a$04$x', 'Worker Staff', 'IT_Staff') RETURNING id AS staff \gset
INSERT INTO helpdesk.escalation_rules (name, category_id, trigger_type, trigger_hours, escalation_level, target_type,
                                       target_user_id, notify_manager) VALUES
    ('Worker: unassigned 1 h', :cat, 'no_assignment', 1, 1, 'user', :staff, false),
    ('Worker: unanswered 1 h', :cat, 'no_response', 1, 1, 'user', :staff, false);
INSERT INTO helpdesk.tickets (ticket_number, title, description, category_id, priority, status, assignee_id,
                              submitter_id, created_at) VALUES
    ('SLA-WORKER-2', 'Nobody took it', 'Escalated by the watcher', :cat, 'Low', 'New', NULL, :emp,
     clock_timestamp() - interval '1 hour' + interval '3 seconds'),
    ('SLA-WORKER-3', 'Nobody answered', 'Escalated by the watcher', :cat, 'Low', 'Assigned', :staff, :emp,
     clock_timestamp() - interval '1 hour' + interval '3 seconds');
SELECT t.ticket_number, c.kind, c.state FROM helpdesk.sla_clocks c JOIN helpdesk.tickets t ON t.id = c.ticket_id
WHERE t.ticket_number IN ('SLA-WORKER-2', 'SLA-WORKER-3') ORDER BY 1, 2;
SELECT pg_temp.wait_for($q$SELECT count(*) = 2 FROM helpdesk.escalation_history h JOIN helpdesk.tickets t ON t.id = h.ticket_id
                           WHERE t.ticket_number IN ('SLA-WORKER-2', 'SLA-WORKER-3')$q$) AS escalated_by_the_watcher;
-- Once each, never before the threshold.
SELECT t.ticket_number, r.name, h.escalated_by, h.created_at >= t.created_at + interval '1 hour' AS not_early
FROM helpdesk.escalation_history h JOIN helpdesk.tickets t ON t.id = h.ticket_id
JOIN helpdesk.escalation_rules r ON r.id = h.rule_id
WHERE t.ticket_number IN ('SLA-WORKER-2', 'SLA-WORKER-3') ORDER BY 1;

ALTER SYSTEM RESET helpdesk.worker_idle_seconds;
SELECT pg_reload_conf();

-- Clean up.
DELETE FROM helpdesk.tickets WHERE ticket_number IN ('SLA-WORKER-2', 'SLA-WORKER-3');
DELETE FROM helpdesk.escalation_rules WHERE category_id = :cat;
INSERT INTO helpdesk.sla_rules SELECT * FROM saved_low;
DELETE FROM helpdesk.notifications WHERE user_id = :staff;
DELETE FROM helpdesk.users WHERE id = :staff;
DELETE FROM helpdesk.tickets WHERE id = :tid;
DELETE FROM helpdesk.notifications WHERE user_id = :emp;
DELETE FROM helpdesk.users WHERE id = :emp;
DELETE FROM helpdesk.categories WHERE id = :cat;
DELETE FROM helpdesk.sla_rules WHERE priority = 'High';
INSERT INTO helpdesk.sla_rules SELECT * FROM saved_rule;
UPDATE helpdesk.calendars SET is_default = true WHERE id IN (SELECT id FROM saved_calendar);
