-- SLA clocks: start, pause/resume in business time, priority recompute, reopen, the event log.
-- Runs in its own database so that fixed clocks and scans see only this file's tickets (and the
-- watcher, which runs in contrib_regression, never touches them).
\set SHOW_CONTEXT never
SET client_min_messages = warning;
CREATE DATABASE sla_regress;
\c sla_regress
SET client_min_messages = warning;
CREATE EXTENSION helpdesk CASCADE;
RESET client_min_messages;
SET TimeZone = 'UTC';
SET datestyle = 'ISO';

-- Without a default calendar the desk is 24/7: business time is elapsed time.
SELECT helpdesk.sla_add('2030-03-02 22:00+00', '4 hours') AS no_calendar_add,
       helpdesk.sla_between('2030-03-02 22:00+00', '2030-03-03 02:30+00') AS no_calendar_between;

-- The seed's calendar in UTC: Monday to Friday 08:00-17:30. 2030-03-04 is a Monday.
SELECT helpdesk.calendar_ensure_default('UTC') IS NOT NULL AS calendar;
INSERT INTO helpdesk.users (username, email, password_hash, full_name, role) VALUES
    ('sla_admin', 'sla_admin@example.com', '$2a$04$x', 'SLA Admin', 'Admin'),
    ('sla_staff', 'sla_staff@example.com', '$2a$04$x', 'SLA Staff', 'IT_Staff'),
    ('sla_emp', 'sla_emp@example.com', '$2a$04$x', 'SLA Employee', 'Employee');
SELECT id AS admin FROM helpdesk.users WHERE username = 'sla_admin' \gset
SELECT id AS staff FROM helpdesk.users WHERE username = 'sla_staff' \gset
SELECT id AS emp FROM helpdesk.users WHERE username = 'sla_emp' \gset
INSERT INTO helpdesk.categories (name) VALUES ('SLA things') RETURNING id AS cat \gset
INSERT INTO helpdesk.sla_rules (priority, response_time_hours, resolution_time_hours) VALUES
    ('High', 1, 4), ('Medium', 4, 24), ('Low', 8, 72);

-- Helpers: make a ticket at a fixed instant; change it at a fixed instant as a given user
-- (NULL: the database user, who counts as staff).
CREATE FUNCTION pg_temp.mk(title text, prio helpdesk.ticket_priority, at timestamptz, submitter int)
RETURNS int LANGUAGE sql AS $$
    INSERT INTO helpdesk.tickets (ticket_number, title, description, category_id, priority, submitter_id, created_at)
    SELECT 'SLA-' || title, title, 'A description', c.id, prio, submitter, at
    FROM helpdesk.categories c WHERE c.name = 'SLA things'
    RETURNING id $$;
CREATE PROCEDURE pg_temp.at(at timestamptz, actor int) LANGUAGE sql AS $$
    SELECT set_config('helpdesk.sla_time', at::text, true), set_config('helpdesk.actor_id', coalesce(actor::text, ''), true) $$;
CREATE FUNCTION pg_temp.clocks(tid int) RETURNS TABLE (kind text, state text, cycle int, target interval,
    paused_total interval, due_at timestamptz, warn_at timestamptz, next_deadline timestamptz)
LANGUAGE sql AS $$
    SELECT kind, state, cycle, target, paused_total, due_at, warn_at, next_deadline
    FROM helpdesk.sla_clocks WHERE ticket_id = tid ORDER BY kind DESC $$;
CREATE FUNCTION pg_temp.events(tid int) RETURNS TABLE (clock text, cycle int, event text, at timestamptz,
    due_before timestamptz, due_after timestamptz, used interval, detail text)
LANGUAGE sql AS $$
    SELECT clock, cycle, event, at, due_before, due_after, used, detail
    FROM helpdesk.sla_events WHERE ticket_id = tid ORDER BY id $$;

-- 1. A High ticket (1 h response, 4 h resolution) created Monday 09:00 by the employee.
SELECT pg_temp.mk('T1', 'High', '2030-03-04 09:00+00', :emp) AS t1 \gset
SELECT due_date, response_due_at, first_response_at FROM helpdesk.tickets WHERE id = :t1;
SELECT * FROM pg_temp.clocks(:t1);

-- An internal comment and an employee's comment are not a response; a staff public one is.
BEGIN;
CALL pg_temp.at('2030-03-04 09:10+00', :staff);
INSERT INTO helpdesk.comments (ticket_id, user_id, content, type) VALUES (:t1, :staff, 'looking', 'internal');
CALL pg_temp.at('2030-03-04 09:20+00', :emp);
INSERT INTO helpdesk.comments (ticket_id, user_id, content, type) VALUES (:t1, :emp, 'any news?', 'public');
COMMIT;
SELECT first_response_at FROM helpdesk.tickets WHERE id = :t1;
BEGIN;
CALL pg_temp.at('2030-03-04 09:30+00', :staff);
INSERT INTO helpdesk.comments (ticket_id, user_id, content, type) VALUES (:t1, :staff, 'On it', 'public');
COMMIT;
SELECT first_response_at, response_due_at FROM helpdesk.tickets WHERE id = :t1;

-- Pending at 10:00 pauses the resolution clock (1 h used, 3 h left): no due date while paused.
BEGIN;
CALL pg_temp.at('2030-03-04 10:00+00', :staff);
UPDATE helpdesk.tickets SET status = 'Pending' WHERE id = :t1;
COMMIT;
SELECT status, due_date FROM helpdesk.tickets WHERE id = :t1;
SELECT helpdesk.sla_status(t, '2030-03-04 15:00+00') - 'response' FROM helpdesk.tickets t WHERE id = :t1;

-- Resumed Tuesday 11:00: 7.5 h (Monday) + 3 h (Tuesday) paused are added back:
-- due = Tuesday 11:00 + 3 h = 14:00, warning at 80 % (3.2 h used) = 13:12.
BEGIN;
CALL pg_temp.at('2030-03-05 11:00+00', :staff);
UPDATE helpdesk.tickets SET status = 'In Progress' WHERE id = :t1;
COMMIT;
SELECT status, due_date FROM helpdesk.tickets WHERE id = :t1;
SELECT * FROM pg_temp.clocks(:t1);

-- At risk at 13:12, not at 13:11; still in time at the due instant 14:00 itself (at risk),
-- breached one microsecond later. The list sets agree with the per-ticket answers.
SELECT at, helpdesk.sla_at_risk(t, at) AS at_risk, :t1 IN (SELECT helpdesk.sla_at_risk_ids(at)) AS in_list,
       helpdesk.sla_breached(t, at) AS breached, :t1 IN (SELECT helpdesk.sla_breached_ids(at)) AS in_breached_list
FROM helpdesk.tickets t,
     unnest(ARRAY['2030-03-05 13:11+00', '2030-03-05 13:12+00', '2030-03-05 13:59+00',
                  '2030-03-05 14:00+00', '2030-03-05 14:00:00.000001+00']::timestamptz[]) at
WHERE t.id = :t1;

-- Priority Low at 12:00: 72 h from Monday 09:00 plus the 10.5 h paused.
BEGIN;
CALL pg_temp.at('2030-03-05 12:00+00', :staff);
UPDATE helpdesk.tickets SET priority = 'Low' WHERE id = :t1;
COMMIT;
SELECT due_date, response_due_at FROM helpdesk.tickets WHERE id = :t1;
SELECT helpdesk.sla_between('2030-03-04 09:00+00', due_date) AS business_time_to_due FROM helpdesk.tickets WHERE id = :t1;

-- Back to High at 15:00: the deadline is recomputed from the start, and is already past.
BEGIN;
CALL pg_temp.at('2030-03-05 15:00+00', :staff);
UPDATE helpdesk.tickets SET priority = 'High' WHERE id = :t1;
COMMIT;
SELECT due_date FROM helpdesk.tickets WHERE id = :t1;
SELECT helpdesk.sla_status(t, '2030-03-05 15:00+00') - 'response' FROM helpdesk.tickets t WHERE id = :t1;

-- A direct write to the due dates is recomputed away.
UPDATE helpdesk.tickets SET due_date = '2099-01-01', response_due_at = NULL WHERE id = :t1;
SELECT due_date, response_due_at FROM helpdesk.tickets WHERE id = :t1;

-- Resolved late at 16:00, before the watcher ran: the stop records the breach itself.
BEGIN;
CALL pg_temp.at('2030-03-05 16:00+00', :staff);
UPDATE helpdesk.tickets SET status = 'Resolved', resolved_at = '2030-03-05 16:00+00' WHERE id = :t1;
COMMIT;
SELECT * FROM pg_temp.clocks(:t1);

-- Reopened Wednesday 09:00: a new resolution cycle of 4 h; the response clock stays met.
BEGIN;
CALL pg_temp.at('2030-03-06 09:00+00', :emp);
UPDATE helpdesk.tickets SET status = 'In Progress', resolved_at = NULL WHERE id = :t1;
COMMIT;
SELECT status, due_date, response_due_at FROM helpdesk.tickets WHERE id = :t1;
SELECT * FROM pg_temp.clocks(:t1);
-- Resolved in time at 12:45.
BEGIN;
CALL pg_temp.at('2030-03-06 12:45+00', :staff);
UPDATE helpdesk.tickets SET status = 'Resolved' WHERE id = :t1;
COMMIT;
SELECT jsonb_pretty(helpdesk.sla_status(t, '2030-03-06 13:00+00')) FROM helpdesk.tickets t WHERE id = :t1;

-- The whole story, one event per clock change.
SELECT * FROM pg_temp.events(:t1);

-- 2. Over a weekend: a Medium ticket created Friday 16:00 (1.5 h left that day).
SELECT pg_temp.mk('T2', 'Medium', '2030-03-08 16:00+00', :emp) AS t2 \gset
SELECT response_due_at, due_date FROM helpdesk.tickets WHERE id = :t2;
-- A status change by staff is the first response (Monday 09:00, in time).
BEGIN;
CALL pg_temp.at('2030-03-11 09:00+00', :staff);
UPDATE helpdesk.tickets SET status = 'Assigned', assignee_id = :staff WHERE id = :t2;
COMMIT;
SELECT first_response_at, response_due_at FROM helpdesk.tickets WHERE id = :t2;
SELECT jsonb_pretty(helpdesk.sla_status(t, '2030-03-11 09:00+00')) FROM helpdesk.tickets t WHERE id = :t2;

-- 3. No active rule: not applicable; a rule applying later counts from the ticket's start.
UPDATE helpdesk.sla_rules SET is_active = false WHERE priority = 'Low';
SELECT pg_temp.mk('T3', 'Low', '2030-03-11 08:00+00', :emp) AS t3 \gset
SELECT due_date, response_due_at FROM helpdesk.tickets WHERE id = :t3;
SELECT helpdesk.sla_status(t, '2030-03-11 10:00+00') FROM helpdesk.tickets t WHERE id = :t3;
BEGIN;
CALL pg_temp.at('2030-03-11 10:00+00', :emp);
UPDATE helpdesk.tickets SET priority = 'Medium' WHERE id = :t3;
COMMIT;
SELECT response_due_at, due_date FROM helpdesk.tickets WHERE id = :t3;
UPDATE helpdesk.sla_rules SET is_active = true WHERE priority = 'Low';

-- 4. Closed by its employee before any staff response: the response clock is cancelled, the
-- resolution clock stops (in time).
BEGIN;
CALL pg_temp.at('2030-03-11 11:00+00', :emp);
UPDATE helpdesk.tickets SET status = 'Closed', closed_at = '2030-03-11 11:00+00' WHERE id = :t3;
COMMIT;
SELECT * FROM pg_temp.clocks(:t3);
SELECT helpdesk.sla_status(t, '2030-03-12 10:00+00') -> 'response' ->> 'status' AS response_status,
       helpdesk.sla_status(t, '2030-03-12 10:00+00') ->> 'status' AS resolution_status
FROM helpdesk.tickets t WHERE id = :t3;

-- 5. Created Pending: both clocks start paused.
INSERT INTO helpdesk.tickets (ticket_number, title, description, category_id, priority, status, submitter_id, created_at)
VALUES ('SLA-T4', 'T4', 'A description', :cat, 'High', 'Pending', :emp, '2030-03-12 09:00+00') RETURNING id AS t4 \gset
SELECT * FROM pg_temp.clocks(:t4);
SELECT due_date, response_due_at FROM helpdesk.tickets WHERE id = :t4;

-- The clock instant is a superuser-only setting (PGC_SUSET): other sessions cannot set it and
-- get now(). A value that is not a timestamp is refused.
CREATE ROLE regress_sla_plain;
GRANT USAGE ON SCHEMA helpdesk TO regress_sla_plain;
SET SESSION AUTHORIZATION regress_sla_plain;
SET helpdesk.sla_time = '2030-01-01 00:00+00';
SELECT helpdesk.sla_time() = now() AS plain_session_gets_now;
RESET SESSION AUTHORIZATION;
SET helpdesk.sla_time = 'next tuesday';
SET helpdesk.sla_time = '2030-01-01 00:00+00';
SELECT helpdesk.sla_time() AS superuser_instant;
RESET helpdesk.sla_time;
DROP OWNED BY regress_sla_plain;
DROP ROLE regress_sla_plain;

-- 6. A data repair moving created_at moves the start of a clock in its first cycle. Closing
-- it after the response deadline without a response is a breach, not a cancellation.
SELECT pg_temp.mk('T5', 'High', '2030-03-13 09:00+00', :emp) AS t5 \gset
BEGIN;
CALL pg_temp.at('2030-03-13 09:30+00', NULL);
UPDATE helpdesk.tickets SET created_at = '2030-03-13 08:00+00' WHERE id = :t5;
COMMIT;
SELECT response_due_at, due_date FROM helpdesk.tickets WHERE id = :t5;
SELECT clock, event, due_before, due_after, detail FROM pg_temp.events(:t5) WHERE event = 'recalculated';
BEGIN;
CALL pg_temp.at('2030-03-13 09:40+00', :emp);
UPDATE helpdesk.tickets SET status = 'Closed' WHERE id = :t5;
COMMIT;
SELECT kind, state FROM pg_temp.clocks(:t5);

-- 7. A creation starts both clocks in one statement with the due dates its BEFORE trigger
-- computed (sla_clocks_start_running): the same clocks and events as sla_clock_start gives them
-- (sla_clocks_ensure, after taking them away), with and without a rule for the priority.
SELECT coalesce(max(id), 0) AS requests_before FROM helpdesk.sla_recompute_requests \gset
SELECT pg_temp.mk('T6', 'High', '2030-03-14 16:00+00', :emp) AS t6 \gset
BEGIN;  -- (Low without an active rule while T7 is created)
UPDATE helpdesk.sla_rules SET is_active = false WHERE priority = 'Low';
SELECT pg_temp.mk('T7', 'Low', '2030-03-14 16:00+00', :emp) AS t7 \gset
UPDATE helpdesk.sla_rules SET is_active = true WHERE priority = 'Low';
COMMIT;
CREATE TEMP TABLE fast AS
    SELECT c.ticket_id, c.kind, c.state, c.cycle, c.target, c.cycle_start, c.paused_total, c.paused_since,
           c.due_at, c.warn_at, c.warned_at, c.breached_at, c.stopped_at, c.next_deadline, c.pauses
    FROM helpdesk.sla_clocks c WHERE c.ticket_id IN (:t6, :t7);
CREATE TEMP TABLE fast_events AS
    SELECT e.ticket_id, e.clock, e.cycle, e.event, e.at, e.due_before, e.due_after, e.used, e.target, e.detail
    FROM helpdesk.sla_events e WHERE e.ticket_id IN (:t6, :t7) ORDER BY e.id;
SELECT ticket_id = :t6 AS t6, kind, state, target, due_at, warn_at, next_deadline FROM fast ORDER BY ticket_id, kind DESC;
SELECT ticket_id = :t6 AS t6, clock, event, due_after, used, detail FROM fast_events;
BEGIN;
DELETE FROM helpdesk.sla_events WHERE ticket_id IN (:t6, :t7);
DELETE FROM helpdesk.sla_clocks WHERE ticket_id IN (:t6, :t7);
UPDATE helpdesk.sla_rules SET is_active = false WHERE priority = 'Low';  -- (as at T7's creation)
SELECT helpdesk.sla_clocks_ensure(t, t.created_at) FROM helpdesk.tickets t WHERE t.id IN (:t6, :t7) ORDER BY t.id;
SELECT count(*) AS clocks_differing FROM (
    (SELECT * FROM fast EXCEPT
     SELECT c.ticket_id, c.kind, c.state, c.cycle, c.target, c.cycle_start, c.paused_total, c.paused_since,
            c.due_at, c.warn_at, c.warned_at, c.breached_at, c.stopped_at, c.next_deadline, c.pauses
     FROM helpdesk.sla_clocks c WHERE c.ticket_id IN (:t6, :t7))
    UNION ALL
    (SELECT c.ticket_id, c.kind, c.state, c.cycle, c.target, c.cycle_start, c.paused_total, c.paused_since,
            c.due_at, c.warn_at, c.warned_at, c.breached_at, c.stopped_at, c.next_deadline, c.pauses
     FROM helpdesk.sla_clocks c WHERE c.ticket_id IN (:t6, :t7) EXCEPT SELECT * FROM fast)) d;
SELECT (SELECT array_agg(f::text ORDER BY f::text) FROM fast_events f)
     = (SELECT array_agg(e::text ORDER BY e::text) FROM (
            SELECT e.ticket_id, e.clock, e.cycle, e.event, e.at, e.due_before, e.due_after, e.used, e.target, e.detail
            FROM helpdesk.sla_events e WHERE e.ticket_id IN (:t6, :t7)) e) AS same_events;
ROLLBACK;

-- A move between two statuses in which the clocks run, after the first response, leaves the
-- clocks (and the due dates) as they were and logs nothing (sla_tickets_before_update).
BEGIN;
CALL pg_temp.at('2030-03-14 16:20+00', :staff);
UPDATE helpdesk.tickets SET status = 'Assigned', assignee_id = :staff WHERE id = :t6;
COMMIT;
CREATE TEMP TABLE responded AS SELECT * FROM pg_temp.clocks(:t6);
SELECT count(*) AS events_before FROM helpdesk.sla_events WHERE ticket_id = :t6 \gset
BEGIN;
CALL pg_temp.at('2030-03-14 16:40+00', :staff);
UPDATE helpdesk.tickets SET status = 'In Progress' WHERE id = :t6;
UPDATE helpdesk.tickets SET status = 'Assigned' WHERE id = :t6;
COMMIT;
SELECT (SELECT array_agg(c::text ORDER BY c.kind) FROM pg_temp.clocks(:t6) c)
     = (SELECT array_agg(r::text ORDER BY r.kind) FROM responded r) AS clocks_unchanged,
       (SELECT count(*) FROM helpdesk.sla_events WHERE ticket_id = :t6) - :events_before AS new_events,
       (SELECT t.due_date = (SELECT due_at FROM helpdesk.sla_clocks WHERE ticket_id = :t6 AND kind = 'resolution')
           AND t.response_due_at = (SELECT due_at FROM helpdesk.sla_clocks WHERE ticket_id = :t6 AND kind = 'response')
        FROM helpdesk.tickets t WHERE t.id = :t6) AS due_dates_are_the_clocks;
-- (this section's tickets, and the recomputation its switch of the Low rule queued, are not the
-- next files': 56_sla_scan and 57_escalation count the tickets of this database)
DELETE FROM helpdesk.tickets WHERE id IN (:t6, :t7);
DELETE FROM helpdesk.sla_recompute_requests WHERE id > :requests_before;
