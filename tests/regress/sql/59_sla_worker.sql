-- The SLA watcher (background worker, running in contrib_regression with the default
-- helpdesk.worker_idle_seconds of 60): a deadline a few seconds ahead is breached by the worker
-- without anyone calling sla_scan. The insert's commit wakes the worker (it would otherwise
-- sleep up to a minute); the test waits at most 30 seconds and asserts no timing beyond that.
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

-- Clean up.
DELETE FROM helpdesk.tickets WHERE id = :tid;
DELETE FROM helpdesk.notifications WHERE user_id = :emp;
DELETE FROM helpdesk.users WHERE id = :emp;
DELETE FROM helpdesk.categories WHERE id = :cat;
DELETE FROM helpdesk.sla_rules WHERE priority = 'High';
INSERT INTO helpdesk.sla_rules SELECT * FROM saved_rule;
UPDATE helpdesk.calendars SET is_default = true WHERE id IN (SELECT id FROM saved_calendar);
