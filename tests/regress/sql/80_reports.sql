-- Reports on a small fixed data set with hand-computed answers: ranges (whole end day, last day
-- of a month, bad and reversed dates), the desk's time zone (Europe/Paris, a week across the
-- 2026-03-29 DST change), SLA outcomes from the clocks (met exactly at the deadline, open past
-- due, paused in time, at risk at the due instant), roles and the Employee's scope, CSV tables.
-- Runs in its own database so that the other files' tickets are not counted.
\set SHOW_CONTEXT never
SET client_min_messages = warning;
CREATE DATABASE reports_regress;
\c reports_regress
SET client_min_messages = warning;
CREATE EXTENSION helpdesk CASCADE;
RESET client_min_messages;
SET TimeZone = 'UTC';
SET datestyle = 'ISO';

-- The desk: Europe/Paris, Monday to Friday 08:00-17:30, no holidays. SLA (business hours):
-- High 1 h / 4 h, Medium 4 h / 24 h, Low 8 h / 72 h.
SELECT helpdesk.calendar_ensure_default('Europe/Paris') IS NOT NULL AS calendar;
DELETE FROM helpdesk.holidays;
INSERT INTO helpdesk.users (username, email, password_hash, full_name, role) VALUES
    ('rp_admin', 'rp_admin@example.com', '$2a$04$x', 'Report Admin', 'Admin'),
    ('rp_staff', 'rp_staff@example.com', '$2a$04$x', 'Report Staff', 'IT_Staff'),
    ('rp_emp', 'rp_emp@example.com', '$2a$04$x', 'Report Employee', 'Employee'),
    ('rp_emp2', 'rp_emp2@example.com', '$2a$04$x', 'Other Employee', 'Employee');
SELECT max(id) FILTER (WHERE username = 'rp_admin') AS admin, max(id) FILTER (WHERE username = 'rp_staff') AS staff,
       max(id) FILTER (WHERE username = 'rp_emp') AS emp, max(id) FILTER (WHERE username = 'rp_emp2') AS emp2
FROM helpdesk.users \gset
INSERT INTO helpdesk.categories (name) VALUES ('Hardware'), ('Network');
INSERT INTO helpdesk.sla_rules (priority, response_time_hours, resolution_time_hours) VALUES
    ('High', 1, 4), ('Medium', 4, 24), ('Low', 8, 72);

-- A ticket created at a Paris wall-clock time; the staff's actions at Paris times.
CREATE FUNCTION pg_temp.mk(num text, prio helpdesk.ticket_priority, local_at timestamp, submitter int, cat text DEFAULT 'Hardware')
RETURNS int LANGUAGE sql AS $$
    INSERT INTO helpdesk.tickets (ticket_number, title, description, category_id, priority, submitter_id, created_at)
    SELECT num, 'Ticket ' || num, 'A description', c.id, prio, submitter, local_at AT TIME ZONE 'Europe/Paris'
    FROM helpdesk.categories c WHERE c.name = cat
    RETURNING id $$;
CREATE FUNCTION pg_temp.act(num text, what text, local_at timestamp, who int) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    at timestamptz := local_at AT TIME ZONE 'Europe/Paris';
    actor helpdesk.users := (SELECT u FROM helpdesk.users u WHERE u.id = who);
    tid int := (SELECT id FROM helpdesk.tickets WHERE ticket_number = num);
BEGIN
    PERFORM set_config('helpdesk.sla_time', at::text, true);
    PERFORM set_config('helpdesk.actor_id', who::text, true);
    CASE what
        WHEN 'assign' THEN PERFORM helpdesk.ticket_assign(tid, who, actor, at);
        WHEN 'start' THEN PERFORM helpdesk.ticket_start_progress(tid, actor, at);
        WHEN 'pending' THEN PERFORM helpdesk.ticket_transition(tid, 'Pending', actor, at);
        WHEN 'resolve' THEN PERFORM helpdesk.ticket_resolve(tid, 'done', actor, at);
        WHEN 'close' THEN PERFORM helpdesk.ticket_close(tid, actor, at);
    END CASE;
    RETURN (SELECT status::text FROM helpdesk.tickets WHERE id = tid);
END $$;
-- "now" of every report below: Tuesday 2026-03-31 12:00 Paris (10:00 UTC, summer time).
\set now '''2026-03-31 10:00+00'''

-- T1 High, Mon 03-02 09:00: assigned 09:30 (response met), resolved 13:00 = exactly its
--    deadline (09:00 + 4 h): met. 4.0 h wall, 4.0 business.
-- T2 High, Mon 03-02 09:00: assigned 11:00 (response due 10:00: missed), resolved 14:00: missed.
--    5.0 h wall, 5.0 business.
-- T3 Medium, Tue 03-03 16:00, assigned 16:30: resolution due Fri 03-06 11:30 (1.5 + 9.5 + 9.5
--    + 3.5 business hours); still In Progress at "now": breached while open.
-- T4 High, Wed 03-04 09:00, assigned 09:30, Pending at 10:00 (1 h of 4 used): paused in time,
--    not breached although its wall-clock deadline passed long ago.
-- T5 Low, Fri 02-27 10:00 (February), resolved Mon 03-02 09:00: 71 h wall, 7.5 + 1 = 8.5
--    business; met.
-- T6 Low, Thu 03-26 09:00 (emp), resolved Fri 03-27 10:00 (25 h wall, 8.5 + 2 = 10.5
--    business, met), closed Mon 03-30 09:00: closed this week and this month, not today.
-- T7 Medium, Mon 03-02 10:00 (emp), resolved 12:00 (2 h, met), closed Tue 03-31 10:00: today.
-- T8 Low, Sun 03-29 23:30 Paris (21:30 UTC, ISO week of 03-23), New, Network.
-- T9 Low, Mon 03-30 00:30 Paris (03-29 22:30 UTC, ISO week of 03-30), New, Network.
-- T10 High, Tue 03-31 08:00 (emp2): due 12:00, warned at 11:12 (80 %): at "now" exactly at its
--    deadline: at risk, not breached. New, unassigned.
SELECT pg_temp.mk('T1', 'High', '2026-03-02 09:00', :emp) > 0 AND pg_temp.mk('T2', 'High', '2026-03-02 09:00', :emp2) > 0
   AND pg_temp.mk('T3', 'Medium', '2026-03-03 16:00', :emp2) > 0 AND pg_temp.mk('T4', 'High', '2026-03-04 09:00', :emp2) > 0
   AND pg_temp.mk('T5', 'Low', '2026-02-27 10:00', :emp2) > 0 AND pg_temp.mk('T6', 'Low', '2026-03-26 09:00', :emp) > 0
   AND pg_temp.mk('T7', 'Medium', '2026-03-02 10:00', :emp) > 0
   AND pg_temp.mk('T8', 'Low', '2026-03-29 23:30', :emp2, 'Network') > 0
   AND pg_temp.mk('T9', 'Low', '2026-03-30 00:30', :emp2, 'Network') > 0
   AND pg_temp.mk('T10', 'High', '2026-03-31 08:00', :emp2) > 0 AS made;
BEGIN; SELECT pg_temp.act('T1', 'assign', '2026-03-02 09:30', :staff); COMMIT;
BEGIN; SELECT pg_temp.act('T1', 'start', '2026-03-02 09:40', :staff); COMMIT;
BEGIN; SELECT pg_temp.act('T1', 'resolve', '2026-03-02 13:00', :staff); COMMIT;
BEGIN; SELECT pg_temp.act('T2', 'assign', '2026-03-02 11:00', :admin); COMMIT;
BEGIN; SELECT pg_temp.act('T2', 'start', '2026-03-02 11:10', :admin); COMMIT;
BEGIN; SELECT pg_temp.act('T2', 'resolve', '2026-03-02 14:00', :admin); COMMIT;
BEGIN; SELECT pg_temp.act('T3', 'assign', '2026-03-03 16:30', :staff); COMMIT;
BEGIN; SELECT pg_temp.act('T3', 'start', '2026-03-03 16:40', :staff); COMMIT;
BEGIN; SELECT pg_temp.act('T4', 'assign', '2026-03-04 09:30', :staff); COMMIT;
BEGIN; SELECT pg_temp.act('T4', 'start', '2026-03-04 09:40', :staff); COMMIT;
BEGIN; SELECT pg_temp.act('T4', 'pending', '2026-03-04 10:00', :staff); COMMIT;
BEGIN; SELECT pg_temp.act('T5', 'assign', '2026-02-27 11:00', :staff); COMMIT;
BEGIN; SELECT pg_temp.act('T5', 'start', '2026-02-27 11:10', :staff); COMMIT;
BEGIN; SELECT pg_temp.act('T5', 'resolve', '2026-03-02 09:00', :staff); COMMIT;
BEGIN; SELECT pg_temp.act('T6', 'assign', '2026-03-26 09:30', :staff); COMMIT;
BEGIN; SELECT pg_temp.act('T6', 'start', '2026-03-26 09:40', :staff); COMMIT;
BEGIN; SELECT pg_temp.act('T6', 'resolve', '2026-03-27 10:00', :staff); COMMIT;
BEGIN; SELECT pg_temp.act('T6', 'close', '2026-03-30 09:00', :emp); COMMIT;
BEGIN; SELECT pg_temp.act('T7', 'assign', '2026-03-02 10:30', :staff); COMMIT;
BEGIN; SELECT pg_temp.act('T7', 'start', '2026-03-02 10:40', :staff); COMMIT;
BEGIN; SELECT pg_temp.act('T7', 'resolve', '2026-03-02 12:00', :staff); COMMIT;
BEGIN; SELECT pg_temp.act('T7', 'close', '2026-03-31 10:00', :emp); COMMIT;

-- The clocks as the SLA module left them (the reports only read these).
SELECT t.ticket_number, t.status, rc.state AS resolution, pc.state AS response,
       helpdesk.sla_clock_breached(rc, :now) AS breached, helpdesk.sla_clock_at_risk(rc, :now) AS at_risk
FROM helpdesk.tickets t
JOIN helpdesk.sla_clocks rc ON rc.ticket_id = t.id AND rc.kind = 'resolution'
JOIN helpdesk.sla_clocks pc ON pc.ticket_id = t.id AND pc.kind = 'response'
ORDER BY t.id;

CREATE FUNCTION pg_temp.u(id int) RETURNS helpdesk.users LANGUAGE sql AS $$ SELECT u FROM helpdesk.users u WHERE u.id = $1 $$;
CREATE FUNCTION pg_temp.r(s text, e text) RETURNS tstzrange LANGUAGE sql AS $$
    SELECT tstzrange(r.from_at, r.to_at) FROM helpdesk.report_range(s, e) r $$;
-- Errors come back as "SQLSTATE: message".
CREATE FUNCTION pg_temp.try(q text) RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE r jsonb;
BEGIN
    EXECUTE q INTO r;
    RETURN r;
EXCEPTION WHEN OTHERS THEN
    RETURN to_jsonb(SQLSTATE || ': ' || SQLERRM);
END $$;

-- ---- ranges: dates are whole Paris days, ends inclusive; timestamps are instants ------------
SELECT pg_temp.r('2026-03-01', '2026-03-31') AS march,            -- 02-28 23:00Z .. 03-31 22:00Z (DST inside)
       pg_temp.r('2026-03-31', '2026-03-31') AS last_day,
       pg_temp.r('2026-03-02T09:00:00Z', '2026-03-02T12:00:00+02:00') AS instants,
       pg_temp.r('2026-03-02T09:00', NULL) AS local_instant_open_end,
       pg_temp.r(NULL, NULL) AS everything;
SELECT pg_temp.try(format('SELECT to_jsonb(helpdesk.report_range(%L, %L))', s, e)) AS answer
FROM (VALUES ('2026-02-30', NULL), ('yesterday', NULL), (NULL, '2026-13-01'), ('2026-03-31', '2026-03-30'),
             ('2026-03-02T10:00Z', '2026-03-02T09:59Z'), ('2026-03-02T10:00Z', '2026-03-02T10:00Z')) v (s, e);

-- ---- dashboard --------------------------------------------------------------------------------
-- Staff, everything: 10 tickets; open = T3 T4 T8 T9 T10 = 5; closed today T7, this week T6 T7,
-- this month T6 T7; average resolution (T1 4, T2 5, T5 71, T6 25, T7 2) = 107 / 5 = 21.4 h;
-- compliance: met T1 T5 T6 T7 = 4, breached T2 (late) + T3 (open past due) = 2 -> 66.7 %;
-- slaBreached 2 (the reference counted only T2); slaAtRisk 1 (T10, at its due instant).
SELECT jsonb_pretty(helpdesk.report_dashboard(pg_temp.u(:staff), '-infinity', 'infinity', :now));
-- March (T5 created in February is out): 9 tickets, average (4 + 5 + 25 + 2) / 4 = 9.0 h,
-- compliance 3 met / 2 breached = 60.0 %. The last day of March alone: T10 only.
SELECT r.total, d -> 'totalTickets' AS total, d -> 'avgResolutionTime' AS avg, d -> 'slaComplianceRate' AS rate,
       d -> 'slaBreached' AS breached, d -> 'ticketsByPriority' AS by_priority
FROM (VALUES ('march', '2026-03-01', '2026-03-31'), ('last day', '2026-03-31', '2026-03-31'),
             ('through 03-30', '2026-03-01', '2026-03-30')) r (total, s, e),
     helpdesk.report_range(r.s, r.e) g,
     helpdesk.report_dashboard(pg_temp.u(:admin), g.from_at, g.to_at, :now) d;
-- The Employee counts only their own tickets (T1, T6, T7): 3, none open, T6 and T7 closed,
-- average (4 + 25 + 2) / 3 = 10.3 h, 100 % in time.
SELECT jsonb_pretty(helpdesk.report_dashboard(pg_temp.u(:emp), '-infinity', 'infinity', :now) - 'ticketsByStatus' - 'ticketsByPriority');
-- An empty range: zeros, no division by zero.
SELECT helpdesk.report_dashboard(pg_temp.u(:staff), '2030-01-01', '2030-01-02', :now) ->> 'slaComplianceRate' AS empty_rate,
       helpdesk.report_dashboard(pg_temp.u(:staff), '2030-01-01', '2030-01-02', :now) ->> 'avgResolutionTime' AS empty_avg;

-- The at-risk count and the at-risk / breached lists read running clocks by (due_at, warn_at):
-- at T10's warning instant, its due instant and a microsecond either side they count what the
-- one definition (sla_clock_at_risk / sla_clock_breached of every clock) counts, through the index.
SET enable_seqscan = off;
SELECT b.what, b.at - rc.warn_at AS after_warning, b.at - rc.due_at AS after_due,
       helpdesk.report_at_risk(b.at, NULL) AS report_at_risk,
       (SELECT count(*) FROM helpdesk.sla_at_risk_ids(b.at)) AS at_risk_ids,
       (SELECT count(*) FROM helpdesk.sla_clocks c WHERE c.kind = 'resolution' AND helpdesk.sla_clock_at_risk(c, b.at)) AS at_risk_recount,
       (SELECT count(*) FROM helpdesk.sla_breached_ids(b.at)) AS breached_ids,
       (SELECT count(*) FROM helpdesk.sla_clocks c WHERE c.kind = 'resolution' AND c.state IN ('running', 'paused')
                                                     AND helpdesk.sla_clock_breached(c, b.at)) AS breached_recount
FROM helpdesk.tickets t
JOIN helpdesk.sla_clocks rc ON rc.ticket_id = t.id AND rc.kind = 'resolution'
CROSS JOIN LATERAL (VALUES (1, 'warn_at - 1us', rc.warn_at - interval '1 microsecond'), (2, 'warn_at', rc.warn_at),
                           (3, 'due_at', rc.due_at), (4, 'due_at + 1us', rc.due_at + interval '1 microsecond')) b (n, what, at)
WHERE t.ticket_number = 'T10'
ORDER BY b.n;
RESET enable_seqscan;

-- ---- action-required --------------------------------------------------------------------------
-- New: T8 T9 T10 (all unassigned). Admin: 3 new + 0 unassigned; staff: 3 new + 1 assigned to
-- them (T3 In Progress; T4 Pending does not count); emp2: open T3 T4 T8 T9 T10 = 5; emp: 0.
SELECT u.username, helpdesk.report_action_required(u) AS answer
FROM helpdesk.users u WHERE u.username LIKE 'rp_%' ORDER BY u.id;

-- ---- by status / category / priority ---------------------------------------------------------
SELECT jsonb_pretty(helpdesk.report_by_status(pg_temp.u(:staff), '-infinity', 'infinity'));
SELECT jsonb_pretty(helpdesk.report_by_category(pg_temp.u(:admin), '-infinity', 'infinity'));
-- Every ticket per priority (High T1 T2 T4 T10 = 4 of 10 = 40 %; the reference divided the
-- resolved ones by all): High average (4 + 5) / 2 = 4.5; Medium T7 2.0; Low (71 + 25) / 2 = 48
-- wall, (8.5 + 10.5) / 2 = 9.5 business.
SELECT jsonb_pretty(helpdesk.report_by_priority(pg_temp.u(:staff), '-infinity', 'infinity'));
SELECT pg_temp.try(format('SELECT helpdesk.%s(pg_temp.u(%s), %L, %L)', f, :emp, '-infinity', 'infinity')) AS employee
FROM unnest(ARRAY['report_by_status', 'report_by_category', 'report_by_priority', 'report_staff_performance']) f;

-- ---- SLA compliance: both clocks -------------------------------------------------------------
-- Resolution: met T1 T5 T6 T7, breached T2 T3 -> 66.7 %; average resolution of the decided ones
-- that are resolved (T1 4, T2 5, T5 71, T6 25, T7 2) = 21.4 h, business (4 + 5 + 8.5 + 10.5 + 2)
-- / 5 = 6.0. Response: met T1 (09:30 < 10:00) T3 T4 T5 T6 T7 = 6, breached T2 (11:00 > 10:00),
-- T8 T9 (Low, 8 h from Mon 03-30 08:00: due 16:00, still running) and T10 (due 09:00) = 4.
-- The routes below read the real clock (after every deadline here): T8 T9 T10 breached too.
SELECT jsonb_pretty(helpdesk.report_sla_compliance(pg_temp.u(:staff), '-infinity', 'infinity', :now));
SELECT helpdesk.report_sla_compliance(pg_temp.u(:staff), '2030-01-01', '2030-01-02', :now) AS empty;

-- ---- staff performance (Admin) ---------------------------------------------------------------
SELECT jsonb_pretty(helpdesk.report_staff_performance(pg_temp.u(:admin), '-infinity', 'infinity', :now));
SELECT pg_temp.try(format('SELECT helpdesk.report_staff_performance(pg_temp.u(%s), %L, %L)', :staff, '-infinity', 'infinity')) AS staff;
-- its staff (inactive included) are read through users_staff_idx, not by a scan of every user
-- (a plan with sequential scans disabled still scans when no index serves the predicate)
CREATE FUNCTION pg_temp.plan_uses(q text, idx text) RETURNS boolean LANGUAGE plpgsql AS $$
DECLARE line text; found boolean := false;
BEGIN
    SET LOCAL enable_seqscan = off;
    FOR line IN EXECUTE 'EXPLAIN (COSTS OFF) ' || q LOOP
        found := found OR position(idx IN line) > 0;
    END LOOP;
    RETURN found;
END $$;
BEGIN;
SELECT pg_temp.plan_uses($q$SELECT u.id FROM helpdesk.users u WHERE u.role IN ('IT_Staff', 'Admin')$q$, 'users_staff_idx') AS staff_by_index;
COMMIT;

-- ---- trends: Paris days, ISO weeks from Monday, calendar months --------------------------------
-- Weeks: 03-16 nothing; 03-23 (167 hours: DST) created T6 T8, resolved T6; 03-30 created T9
-- T10, closed T6 T7. period labels are the local first day.
SELECT jsonb_pretty(helpdesk.report_trends(pg_temp.u(:staff), 'week', 3, :now));
SELECT x ->> 'period' AS period, x -> 'ticketsCreated' AS created, x -> 'ticketsResolved' AS resolved,
       x -> 'ticketsClosed' AS closed, x -> 'averageResolutionHours' AS avg
FROM jsonb_array_elements(helpdesk.report_trends(pg_temp.u(:staff), 'month', 2, :now)) x;
SELECT x ->> 'period' AS period, x -> 'ticketsCreated' AS created, x -> 'ticketsClosed' AS closed
FROM jsonb_array_elements(helpdesk.report_trends(pg_temp.u(:staff), 'day', 3, :now)) x;
SELECT pg_temp.try(format('SELECT helpdesk.report_trends(pg_temp.u(%s), %L, 3)', :emp, 'week')) AS employee;

-- ---- the routes' input and CSV tables ---------------------------------------------------------
CREATE FUNCTION pg_temp.call(fn text, actor int, req jsonb DEFAULT '{}') RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE r jsonb;
BEGIN
    PERFORM set_config('helpdesk.actor_id', actor::text, true);
    EXECUTE format('SELECT helpdesk_api.%I($1)', fn) INTO r USING req;
    RETURN r;
EXCEPTION WHEN OTHERS THEN
    RETURN to_jsonb(SQLSTATE || ': ' || SQLERRM);
END $$;
SELECT q AS query, pg_temp.call('reports_trends', :staff, jsonb_build_object('query', q)) AS answer
FROM (VALUES ('{"period": "year"}'::jsonb), ('{"limit": "0"}'), ('{"limit": "367"}'), ('{"limit": "x"}'),
             ('{"format": "xml"}')) v (q);
SELECT pg_temp.call('reports_dashboard', :staff, '{"query": {"startDate": "2026-03-31", "endDate": "2026-03-01"}}') AS reversed,
       pg_temp.call('reports_by_status', :staff, '{"query": {"startDate": "31/03/2026"}}') AS bad_date,
       pg_temp.call('reports_by_status', NULL, '{}') AS no_actor;
SELECT jsonb_pretty(pg_temp.call('reports_by_category', :staff,
                                 '{"query": {"format": "csv", "startDate": "2026-03-01", "endDate": "2026-03-31"}}'));
SELECT jsonb_pretty(pg_temp.call('reports_sla_compliance', :staff, '{"query": {"format": "csv"}}'));
SELECT (pg_temp.call('reports_dashboard', :emp, '{"query": {"format": "csv"}}') -> 'rows') -> 0 AS first_row,
       pg_temp.call('reports_dashboard', :emp, '{"query": {"format": "csv"}}') ->> 'filename' AS filename;

\c contrib_regression
DROP DATABASE reports_regress;
