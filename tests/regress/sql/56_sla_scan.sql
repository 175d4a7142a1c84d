-- helpdesk.sla_scan(at): every warning and breach due at `at`, each exactly once, with its
-- history row and notifications. Continues in the database of 55_sla_clock.
\set SHOW_CONTEXT never
\c sla_regress
SET TimeZone = 'UTC';
SET datestyle = 'ISO';
SELECT id AS emp FROM helpdesk.users WHERE username = 'sla_emp' \gset
SELECT id AS staff FROM helpdesk.users WHERE username = 'sla_staff' \gset

-- Catch up on what 55_sla_clock left running (T2's resolution was due 2030-03-13 11:30): a
-- warning overtaken by its breach is not sent, only the breach. 55_sla_clock changed the rules,
-- so a recomputation of the open tickets' clocks is pending: the watcher is due at once, and the
-- scan does it first (two open tickets; their clocks do not change).
SELECT helpdesk.sla_next_deadline() <= now() AS recomputation_due;
SELECT * FROM helpdesk.sla_scan('2030-03-18 07:00+00');
SELECT helpdesk.sla_next_deadline();

CREATE FUNCTION pg_temp.mk(title text, prio helpdesk.ticket_priority, at timestamptz, submitter int)
RETURNS int LANGUAGE sql AS $$
    INSERT INTO helpdesk.tickets (ticket_number, title, description, category_id, priority, submitter_id, created_at)
    SELECT 'SCAN-' || title, title, 'A description', c.id, prio, submitter, at
    FROM helpdesk.categories c WHERE c.name = 'SLA things'
    RETURNING id $$;
-- Monday 2030-03-18 09:00: S1 High (response 10:00, warn 09:48; resolution 13:00, warn 12:12),
-- S2 Medium (response 13:00, warn 12:12; resolution Wednesday 14:00, warn Wednesday 09:12).
SELECT pg_temp.mk('S1', 'High', '2030-03-18 09:00+00', :emp) AS s1 \gset
SELECT pg_temp.mk('S2', 'Medium', '2030-03-18 09:00+00', :emp) AS s2 \gset
SELECT title, response_due_at, due_date FROM helpdesk.tickets WHERE id IN (:s1, :s2) ORDER BY id;
SELECT helpdesk.sla_next_deadline();

-- Each scan fires what is due; the same clock again fires nothing; a later one the rest. A
-- warning fires at its instant; a breach only once the deadline has passed: a scan at the due
-- instant itself (10:00) finds the clock in time, one a millisecond later records the breach.
SELECT at, s.* FROM unnest(ARRAY['2030-03-18 09:47+00', '2030-03-18 09:48+00', '2030-03-18 09:48+00',
                                 '2030-03-18 10:00+00', '2030-03-18 10:00:00.001+00', '2030-03-18 10:00:00.001+00',
                                 '2030-03-18 12:12+00',
                                 '2030-03-18 13:00:00.001+00', '2030-03-18 13:00:00.001+00', '2030-03-18 14:00+00',
                                 '2030-03-21 09:00+00', '2030-03-22 09:00+00']::timestamptz[]) WITH ORDINALITY AS a(at, n),
     LATERAL helpdesk.sla_scan(a.at) s
ORDER BY n;
SELECT helpdesk.sla_next_deadline();

-- One event, one history row per warning and breach.
SELECT t.title, e.clock, e.cycle, e.event, e.at, e.used
FROM helpdesk.sla_events e JOIN helpdesk.tickets t ON t.id = e.ticket_id
WHERE e.ticket_id IN (:s1, :s2) AND e.event IN ('warned', 'breached')
ORDER BY e.ticket_id, e.id;
SELECT t.title, h.action, h.field_name, h.user_id, h.new_value, h.description
FROM helpdesk.ticket_history h JOIN helpdesk.tickets t ON t.id = h.ticket_id
WHERE h.ticket_id IN (:s1, :s2) AND h.action IN ('sla_warning', 'sla_breached')
ORDER BY h.ticket_id, h.id;
-- Unassigned: warnings go to the active Admins, breaches to the Admins (and the assignee).
SELECT t.title, u.username, n.type, n.title, n.message
FROM helpdesk.notifications n JOIN helpdesk.tickets t ON t.id = n.ticket_id JOIN helpdesk.users u ON u.id = n.user_id
WHERE n.ticket_id IN (:s1, :s2) AND n.type IN ('sla_warning', 'sla_breach')
ORDER BY n.ticket_id, n.id;

-- Exactly once is structural: a second breach of the same deadline cannot be written, and
-- firing again reports that nothing happened.
\set VERBOSITY terse
INSERT INTO helpdesk.sla_events (ticket_id, clock, cycle, event, at)
SELECT ticket_id, kind, cycle, 'breached', due_at FROM helpdesk.sla_clocks WHERE ticket_id = :s1 AND kind = 'response';
\set VERBOSITY default
SELECT helpdesk.sla_fire(c, 'breached', c.due_at) AS fired_again
FROM helpdesk.sla_clocks c WHERE c.ticket_id = :s1 AND c.kind = 'response';

-- A warned clock whose deadline moves (priority Low) waits for its new deadline, and is not
-- warned twice in the same cycle (the resolution clock). The response clock, breached under High
-- (due 10:00), is in time again under Low (due 17:00): no longer breached, and, never warned in
-- its cycle (the breach overtook the warning), it is warned at its new warning instant.
SELECT pg_temp.mk('S3', 'High', '2030-03-25 09:00+00', :emp) AS s3 \gset
SELECT * FROM helpdesk.sla_scan('2030-03-25 12:12+00');
BEGIN;
SET LOCAL helpdesk.sla_time = '2030-03-25 12:30+00';
UPDATE helpdesk.tickets SET priority = 'Low' WHERE id = :s3;
COMMIT;
SELECT kind, warned_at, breached_at, due_at, next_deadline FROM helpdesk.sla_clocks WHERE ticket_id = :s3 ORDER BY kind DESC;
SELECT * FROM helpdesk.sla_scan('2030-03-25 17:00+00');
SELECT e.clock, e.event, e.at FROM helpdesk.sla_events e WHERE e.ticket_id = :s3 AND e.event IN ('warned', 'breached') ORDER BY e.id;

-- The watcher's reads are index scans on the partial index of pending deadlines.
SET enable_seqscan = off;
EXPLAIN (COSTS OFF) SELECT min(next_deadline) FROM helpdesk.sla_clocks WHERE next_deadline IS NOT NULL;
EXPLAIN (COSTS OFF) SELECT * FROM helpdesk.sla_clocks WHERE next_deadline <= '2030-01-01' ORDER BY next_deadline;
RESET enable_seqscan;
