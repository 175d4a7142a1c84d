-- Deadlines that move: a ticket's SLA status follows its current deadline (a breach that a later
-- deadline supersedes stays in the timeline and the history, but is no longer current), paused
-- clocks, and the recomputation of every open ticket's clocks when the SLA rules, the business
-- hours or the holidays change (queued, done in batches by the scan).
-- Its own database, so that fixed clocks and scans see only this file's tickets.
\set SHOW_CONTEXT never
SET client_min_messages = warning;
CREATE DATABASE sla_moves_regress;
\c sla_moves_regress
SET client_min_messages = warning;
CREATE EXTENSION helpdesk CASCADE;
RESET client_min_messages;
SET TimeZone = 'UTC';
SET datestyle = 'ISO';

-- Monday to Friday 08:00-17:30 UTC. 2030-06-03 is a Monday.
SELECT helpdesk.calendar_ensure_default('UTC') IS NOT NULL AS calendar;
INSERT INTO helpdesk.users (username, email, password_hash, full_name, role) VALUES
    ('mv_admin', 'mv_admin@example.com', '$2a$04$x', 'Moves Admin', 'Admin'),
    ('mv_staff', 'mv_staff@example.com', '$2a$04$x', 'Moves Staff', 'IT_Staff'),
    ('mv_emp', 'mv_emp@example.com', '$2a$04$x', 'Moves Employee', 'Employee');
SELECT id AS staff FROM helpdesk.users WHERE username = 'mv_staff' \gset
SELECT id AS emp FROM helpdesk.users WHERE username = 'mv_emp' \gset
INSERT INTO helpdesk.categories (name) VALUES ('Moves');
INSERT INTO helpdesk.sla_rules (priority, response_time_hours, resolution_time_hours) VALUES
    ('High', 1, 4), ('Medium', 4, 24), ('Low', 8, 72);
-- The setup asked for recomputations (rules, calendar): no ticket yet, so the first round ends
-- the pass and empties the queue.
SELECT reason FROM helpdesk.sla_recompute_requests ORDER BY id;
SELECT helpdesk.sla_recompute_pending('2030-06-01 00:00+00') AS tickets_done;
SELECT count(*) AS requests_left FROM helpdesk.sla_recompute_requests;

CREATE FUNCTION pg_temp.mk(title text, prio helpdesk.ticket_priority, at timestamptz)
RETURNS int LANGUAGE sql AS $$
    INSERT INTO helpdesk.tickets (ticket_number, title, description, category_id, priority, submitter_id, created_at)
    SELECT 'MV-' || title, title, 'A description', c.id, prio, u.id, at
    FROM helpdesk.categories c, helpdesk.users u WHERE c.name = 'Moves' AND u.username = 'mv_emp'
    RETURNING id $$;
-- change(ticket, at, assignments): one UPDATE of a ticket by the staff member at a fixed instant
CREATE PROCEDURE pg_temp.change(tid int, at timestamptz, sets text) LANGUAGE plpgsql AS $$
BEGIN
    PERFORM set_config('helpdesk.sla_time', at::text, true);
    PERFORM set_config('helpdesk.actor_id', (SELECT id::text FROM helpdesk.users WHERE username = 'mv_staff'), true);
    EXECUTE format('UPDATE helpdesk.tickets SET %s WHERE id = %s', sets, tid);
END $$;
-- the resolution clock's state at `at`, as the API shows it, and in the lists
CREATE FUNCTION pg_temp.status(tid int, at timestamptz) RETURNS TABLE (status text, due_date timestamptz,
    is_paused boolean, in_breached_list boolean, in_at_risk_list boolean)
LANGUAGE sql AS $$
    SELECT s ->> 'status', (s ->> 'dueDate')::timestamptz, (s ->> 'isPaused')::boolean,
           tid IN (SELECT helpdesk.sla_breached_ids(at)), tid IN (SELECT helpdesk.sla_at_risk_ids(at))
    FROM helpdesk.tickets t, LATERAL helpdesk.sla_status(t, at) s WHERE t.id = tid $$;
CREATE FUNCTION pg_temp.clock(tid int, k text DEFAULT 'resolution') RETURNS TABLE (state text, target interval,
    paused_total interval, due_at timestamptz, warned_at timestamptz, breached_at timestamptz, next_deadline timestamptz)
LANGUAGE sql AS $$
    SELECT state, target, paused_total, due_at, warned_at, breached_at, next_deadline
    FROM helpdesk.sla_clocks WHERE ticket_id = tid AND kind = k $$;
CREATE FUNCTION pg_temp.events(tid int, k text DEFAULT 'resolution') RETURNS TABLE (cycle int, event text,
    at timestamptz, due_before timestamptz, due_after timestamptz, detail text)
LANGUAGE sql AS $$
    SELECT cycle, event, at, due_before, due_after, detail FROM helpdesk.sla_events
    WHERE ticket_id = tid AND clock = k ORDER BY id $$;

-- 1. The status follows the deadline. M1, High, Monday 09:00: resolution due 13:00. The watcher
-- records the breach just after 13:00.
SELECT pg_temp.mk('M1', 'High', '2030-06-03 09:00+00') AS m1 \gset
SELECT warnings, breaches FROM helpdesk.sla_scan('2030-06-03 13:30+00');
SELECT * FROM pg_temp.status(:m1, '2030-06-03 13:30+00');
-- Lowered to Low at 14:00: 72 business hours from Monday 09:00 is Wednesday 14:30 next week. No
-- longer breached; the breach stays in the timeline and the history; the watcher now waits for
-- the new warning (none was sent in this cycle: the breach overtook it).
CALL pg_temp.change(:m1, '2030-06-03 14:00+00', 'priority = ''Low''');
SELECT * FROM pg_temp.status(:m1, '2030-06-03 14:00+00');
SELECT * FROM pg_temp.clock(:m1);
SELECT * FROM pg_temp.events(:m1);
SELECT action, new_value, description FROM helpdesk.ticket_history WHERE ticket_id = :m1 AND action = 'sla_breached';
-- Back to High at 15:00: late again, for the deadline whose breach is already recorded: the scan
-- records nothing twice.
CALL pg_temp.change(:m1, '2030-06-03 15:00+00', 'priority = ''High''');
SELECT * FROM pg_temp.status(:m1, '2030-06-03 15:00+00');
SELECT warnings, breaches FROM helpdesk.sla_scan('2030-06-03 15:00:01+00');
-- Medium at 15:30: due Wednesday 14:00 (24 business hours). Missed too: a new breach, of the new
-- deadline, recorded once.
CALL pg_temp.change(:m1, '2030-06-03 15:30+00', 'priority = ''Medium''');
SELECT * FROM pg_temp.status(:m1, '2030-06-03 15:30+00');
SELECT warnings, breaches FROM helpdesk.sla_scan('2030-06-05 14:00+00');
SELECT warnings, breaches FROM helpdesk.sla_scan('2030-06-05 14:00:00.001+00');
SELECT warnings, breaches FROM helpdesk.sla_scan('2030-06-05 15:00+00');
SELECT * FROM pg_temp.status(:m1, '2030-06-05 15:00+00');
-- Resolved at 16:00: missed, judged against the deadline in force then.
CALL pg_temp.change(:m1, '2030-06-05 16:00+00', 'status = ''Resolved''');
SELECT * FROM pg_temp.events(:m1);

-- 2. The outcome reports count: M2, breached under High, lowered to Low and resolved within the
-- Low deadline, is met (its earlier breach stays an event: "breaches recorded").
SELECT pg_temp.mk('M2', 'High', '2030-06-03 09:00+00') AS m2 \gset
SELECT breaches FROM helpdesk.sla_scan('2030-06-03 13:30+00');
CALL pg_temp.change(:m2, '2030-06-03 14:00+00', 'priority = ''Low''');
CALL pg_temp.change(:m2, '2030-06-03 16:00+00', 'status = ''Resolved''');
SELECT c.state, helpdesk.sla_clock_breached(c, '2030-06-10 00:00+00') AS breached,
       (SELECT count(*) FROM helpdesk.sla_events e WHERE e.ticket_id = :m2 AND e.clock = 'resolution'
                                                   AND e.event = 'breached') AS breaches_recorded
FROM helpdesk.sla_clocks c WHERE c.ticket_id = :m2 AND c.kind = 'resolution';

-- 3. Paused clocks keep their deadline. M3, High, Pending at 12:00 with 3 h used: not breached
-- while paused, however long; the ticket shows no due date.
SELECT pg_temp.mk('M3', 'High', '2030-06-10 09:00+00') AS m3 \gset
CALL pg_temp.change(:m3, '2030-06-10 12:00+00', 'status = ''Pending''');
SELECT * FROM pg_temp.status(:m3, '2030-06-12 09:00+00');
SELECT due_date FROM helpdesk.tickets WHERE id = :m3;
-- M4, High, Pending at 13:30 before the watcher ran: the pause records the breach (13:00), the
-- clock is breached while paused, by the hours overdue when it paused.
SELECT pg_temp.mk('M4', 'High', '2030-06-10 09:00+00') AS m4 \gset
CALL pg_temp.change(:m4, '2030-06-10 13:30+00', 'status = ''Pending''');
SELECT * FROM pg_temp.status(:m4, '2030-06-12 09:00+00');
SELECT t ->> 'title' AS title, t ->> 'breachedBy' AS breached_by
FROM helpdesk.users u, jsonb_array_elements(helpdesk.sla_breached_list(u, '2030-06-12 09:00+00')) t
WHERE u.username = 'mv_admin';
-- Resumed Tuesday 09:00: the deadline moves by the 5 business hours paused (Tuesday 08:30), still
-- past: the same lateness, no second breach.
CALL pg_temp.change(:m4, '2030-06-11 09:00+00', 'status = ''In Progress''');
SELECT * FROM pg_temp.clock(:m4);
SELECT warnings, breaches FROM helpdesk.sla_scan('2030-06-11 09:00:01+00');
SELECT event, at, due_after FROM pg_temp.events(:m4) WHERE event IN ('breached', 'paused', 'resumed');

-- 4. Changing the rules recomputes every open ticket's clocks: queued, done by the scan in
-- batches. Open: M3 (High, paused), M4 (High, running), R1 (High), R2 (Medium), R3 (Low);
-- M1 and M2 are resolved and keep their outcome.
SELECT pg_temp.mk('R1', 'High', '2030-06-17 09:00+00') AS r1 \gset
SELECT pg_temp.mk('R2', 'Medium', '2030-06-17 09:00+00') AS r2 \gset
SELECT pg_temp.mk('R3', 'Low', '2030-06-17 09:00+00') AS r3 \gset
SELECT title, due_date FROM helpdesk.tickets WHERE id IN (:m3, :m4, :r1, :r2, :r3) ORDER BY id;
UPDATE helpdesk.sla_rules SET resolution_time_hours = 2 WHERE priority = 'High';
-- Asked, not yet done; the watcher's next deadline is now (the request's instant).
SELECT reason, done_upto FROM helpdesk.sla_recompute_requests;
SELECT helpdesk.sla_next_deadline() <= now() AS watcher_due_now;
SELECT title, due_date FROM helpdesk.tickets WHERE id = :r1;
-- Two tickets a round: M3, M4, then R1, R2, then R3 and the pass is through.
SELECT max(id) AS mark FROM helpdesk.sla_events \gset
SELECT helpdesk.sla_recompute_pending('2030-06-17 10:00+00', 2) AS done;
SELECT done_upto = :m4 AS progress_kept FROM helpdesk.sla_recompute_requests;
SELECT helpdesk.sla_recompute_pending('2030-06-17 10:00+00', 2) AS done;
SELECT helpdesk.sla_recompute_pending('2030-06-17 10:00+00', 2) AS done;
SELECT count(*) AS requests_left FROM helpdesk.sla_recompute_requests;
SELECT helpdesk.sla_recompute_pending('2030-06-17 10:00+00', 2) AS done;
-- High tickets: 2 h. M3 was paused with 3 h used: its new deadline (11:00) is before its pause
-- (12:00), so it is breached now, recorded at once (the watcher watches running clocks only). M4
-- was late and stays late: its breach stands. R1 is due 11:00. Medium and Low did not change: no
-- event, no write.
SELECT title, due_date FROM helpdesk.tickets WHERE id IN (:m3, :m4, :r1, :r2, :r3) ORDER BY id;
SELECT t.title, e.clock, e.event, e.at, e.due_before, e.due_after, e.detail
FROM helpdesk.sla_events e JOIN helpdesk.tickets t ON t.id = e.ticket_id
WHERE e.id > :mark ORDER BY e.id;
SELECT * FROM pg_temp.status(:m3, '2030-06-17 10:00+00');
SELECT * FROM pg_temp.status(:m4, '2030-06-17 10:00+00');

-- A change during a pass starts it again from the first ticket, with both reasons.
UPDATE helpdesk.sla_rules SET resolution_time_hours = 8 WHERE priority = 'Medium';
SELECT helpdesk.sla_recompute_pending('2030-06-17 10:30+00', 2) AS done;
UPDATE helpdesk.sla_rules SET is_active = false WHERE priority = 'Low';
SELECT reason, done_upto > 0 AS in_progress FROM helpdesk.sla_recompute_requests ORDER BY id;
SELECT helpdesk.sla_recompute_pending('2030-06-17 10:30+00', 10) AS done;
SELECT count(*) AS requests_left FROM helpdesk.sla_recompute_requests;
SELECT t.title, e.clock, e.event, e.due_before, e.due_after, e.detail
FROM helpdesk.sla_events e JOIN helpdesk.tickets t ON t.id = e.ticket_id
WHERE e.ticket_id IN (:r2, :r3) AND e.at = '2030-06-17 10:30+00'
ORDER BY e.id;
-- The Low rule back: R3's clocks count from its start again (as a new rule for a priority does).
UPDATE helpdesk.sla_rules SET is_active = true WHERE priority = 'Low';
SELECT recomputed FROM helpdesk.sla_scan('2030-06-17 11:00+00');
SELECT * FROM pg_temp.clock(:r3);

-- 5. The calendar. A holiday on Thursday 2030-06-20 moves R3's deadline (72 h: Wednesday
-- 2030-06-26 14:30) a working day later; the reason names it. A holiday of another calendar
-- changes nothing.
INSERT INTO helpdesk.calendars (name, time_zone) VALUES ('Other', 'UTC') RETURNING id AS other_cal \gset
INSERT INTO helpdesk.holidays (calendar_id, name, date) VALUES (:other_cal, 'Not ours', '2030-06-19');
SELECT count(*) AS requests FROM helpdesk.sla_recompute_requests;
INSERT INTO helpdesk.holidays (calendar_id, name, date) SELECT id, 'Midsummer', '2030-06-20' FROM helpdesk.calendars WHERE is_default;
SELECT reason FROM helpdesk.sla_recompute_requests;
SELECT recomputed FROM helpdesk.sla_scan('2030-06-17 11:30+00');
SELECT event, due_before, due_after, detail FROM pg_temp.events(:r3) WHERE at = '2030-06-17 11:30+00';
-- Business hours 09:00-17:00: R2 (Medium, now 8 h, from Monday 09:00) is due at 17:00; R3 (72 h,
-- 8 h a day, the holiday skipped) Friday 2030-06-28 17:00.
UPDATE helpdesk.business_hours SET start_time = '09:00', end_time = '17:00'
WHERE calendar_id = (SELECT id FROM helpdesk.calendars WHERE is_default);
SELECT reason FROM helpdesk.sla_recompute_requests;
SELECT recomputed FROM helpdesk.sla_scan('2030-06-17 12:00+00');
SELECT title, due_date FROM helpdesk.tickets WHERE id IN (:r1, :r2, :r3) ORDER BY id;

-- Pauses are measured again on the new calendar. P1, Medium (8 h), Monday 2030-06-24 09:00,
-- Pending from 10:00 to Tuesday 10:00: on 09:00-17:00 the pause is 7 h + 1 h, and the 7 h left
-- after Tuesday 10:00 end at 17:00. Back to 08:00-17:30 the same pause is 7.5 h + 2 h: 17.5 h of
-- business time from Monday 09:00 end on Tuesday at 17:00 again (kept at its old 8 h, the pause
-- would have ended the clock at 15:30, counting working time of the pause as used).
SELECT pg_temp.mk('P1', 'Medium', '2030-06-24 09:00+00') AS p1 \gset
CALL pg_temp.change(:p1, '2030-06-24 10:00+00', 'status = ''Pending''');
CALL pg_temp.change(:p1, '2030-06-25 10:00+00', 'status = ''In Progress''');
SELECT paused_total, due_at FROM pg_temp.clock(:p1);
UPDATE helpdesk.business_hours SET start_time = '08:00', end_time = '17:30'
WHERE calendar_id = (SELECT id FROM helpdesk.calendars WHERE is_default);
SELECT recomputed FROM helpdesk.sla_scan('2030-06-25 11:00+00');
SELECT paused_total, due_at FROM pg_temp.clock(:p1);
SELECT (SELECT pauses FROM helpdesk.sla_clocks WHERE ticket_id = :p1 AND kind = 'resolution') AS pauses;

-- A clock written by release 1.0 kept no pauses (NULL): its paused total is kept as measured.
UPDATE helpdesk.sla_clocks SET pauses = NULL WHERE ticket_id = :p1;
UPDATE helpdesk.sla_rules SET resolution_time_hours = 9 WHERE priority = 'Medium';
SELECT recomputed FROM helpdesk.sla_scan('2030-06-25 11:30+00');
SELECT paused_total, due_at FROM pg_temp.clock(:p1);

-- Rows loaded by COPY (a restore) ask for nothing.
COPY helpdesk.holidays (calendar_id, name, date) FROM stdin;
1	Restored day	2030-12-24
\.
SELECT count(*) AS requests_after_copy FROM helpdesk.sla_recompute_requests;

-- The whole pass at once, in the caller's transaction (a DBA's repair): it serves the pending
-- requests too.
UPDATE helpdesk.sla_rules SET resolution_time_hours = 4 WHERE priority = 'High';
SELECT helpdesk.sla_recompute_all('2030-06-25 12:00+00') AS clocks_changed;
SELECT count(*) AS requests_left FROM helpdesk.sla_recompute_requests;
-- Back at 4 h, M3's deadline (13:00) is after its pause (12:00): no longer breached.
SELECT title, due_date FROM helpdesk.tickets WHERE id IN (:m3, :m4, :r1) ORDER BY id;
SELECT * FROM pg_temp.status(:m3, '2030-06-25 12:00+00');
SELECT helpdesk.sla_recompute_all('2030-06-25 12:00+00') AS nothing_left_to_change;
SELECT event, at, due_before, due_after, detail FROM pg_temp.events(:m3);
