-- The reports' summary tables (sql/80_reports.sql): kept incrementally by the triggers, they
-- equal a rebuild from scratch after a pseudo-random (fixed seed) sequence of creates, status
-- changes, reassignments, priority and category changes, resolutions, reopenings and deletes;
-- and every report read from them equals the same report recounted from the tickets, for
-- whole, partial and one-day ranges and several instants. Own database.
\set SHOW_CONTEXT never
SET client_min_messages = warning;
CREATE DATABASE reports_summary_regress;
\c reports_summary_regress
SET client_min_messages = warning;
CREATE EXTENSION helpdesk CASCADE;
RESET client_min_messages;
SET TimeZone = 'UTC';
SET datestyle = 'ISO';

SELECT helpdesk.calendar_ensure_default('Europe/Paris') IS NOT NULL AS calendar;
DELETE FROM helpdesk.holidays;
INSERT INTO helpdesk.users (username, email, password_hash, full_name, role) VALUES
    ('rs_admin', 'rs_admin@example.com', '$2a$04$x', 'Summary Admin', 'Admin'),
    ('rs_staff1', 'rs_staff1@example.com', '$2a$04$x', 'Summary Staff 1', 'IT_Staff'),
    ('rs_staff2', 'rs_staff2@example.com', '$2a$04$x', 'Summary Staff 2', 'IT_Staff'),
    ('rs_emp1', 'rs_emp1@example.com', '$2a$04$x', 'Summary Employee 1', 'Employee'),
    ('rs_emp2', 'rs_emp2@example.com', '$2a$04$x', 'Summary Employee 2', 'Employee');
INSERT INTO helpdesk.categories (name) VALUES ('Hardware'), ('Network'), ('Software');
INSERT INTO helpdesk.sla_rules (priority, response_time_hours, resolution_time_hours) VALUES
    ('High', 1, 4), ('Medium', 4, 24), ('Low', 8, 72);
-- the day tables are keyed in the desk's time zone (re-keyed when the calendar was created)
SELECT time_zone, helpdesk.report_summary_ready() AS ready FROM helpdesk.report_state;

-- Step i of the sequence at instant `at`: one random change through the tickets table (the
-- triggers drive the clocks and the summary), as a DBA's or an API's write would.
CREATE FUNCTION pg_temp.step(i int, at timestamptz) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    r float8 := random();
    staff int[] := ARRAY(SELECT id FROM helpdesk.users WHERE role <> 'Employee' ORDER BY id);
    emps int[] := ARRAY(SELECT id FROM helpdesk.users WHERE role = 'Employee' ORDER BY id);
    cats int[] := ARRAY(SELECT id FROM helpdesk.categories ORDER BY id);
    prios helpdesk.ticket_priority[] := enum_range(NULL::helpdesk.ticket_priority);
    t helpdesk.tickets;
BEGIN
    PERFORM set_config('helpdesk.sla_time', at::text, true);
    SELECT * INTO t FROM helpdesk.tickets ORDER BY id OFFSET floor(random() * greatest((SELECT count(*) FROM helpdesk.tickets), 1)) LIMIT 1;
    IF r < 0.3 OR t.id IS NULL THEN
        INSERT INTO helpdesk.tickets (ticket_number, title, description, category_id, priority, submitter_id, created_at)
        VALUES ('RS-' || i, 'Ticket ' || i, 'A description', cats[1 + floor(random() * 3)::int],
                prios[1 + floor(random() * 3)::int], emps[1 + floor(random() * 2)::int], at);
        RETURN 'create';
    ELSIF r < 0.4 THEN
        UPDATE helpdesk.tickets SET assignee_id = staff[1 + floor(random() * 3)::int],
               status = CASE WHEN status = 'New' THEN 'Assigned' ELSE status END WHERE id = t.id;
        RETURN 'assign';
    ELSIF r < 0.5 THEN
        UPDATE helpdesk.tickets SET status = 'In Progress', resolved_at = NULL, closed_at = NULL WHERE id = t.id;
        RETURN 'start';
    ELSIF r < 0.58 THEN
        UPDATE helpdesk.tickets SET status = 'Pending', resolved_at = NULL, closed_at = NULL WHERE id = t.id;
        RETURN 'pending';
    ELSIF r < 0.7 THEN
        UPDATE helpdesk.tickets SET status = 'Resolved', resolved_at = at, closed_at = NULL WHERE id = t.id;
        RETURN 'resolve';
    ELSIF r < 0.76 THEN
        UPDATE helpdesk.tickets SET status = 'Closed', resolved_at = coalesce(resolved_at, at), closed_at = at WHERE id = t.id;
        RETURN 'close';
    ELSIF r < 0.82 THEN
        UPDATE helpdesk.tickets SET status = 'New', resolved_at = NULL, closed_at = NULL WHERE id = t.id;
        RETURN 'reopen';
    ELSIF r < 0.89 THEN
        UPDATE helpdesk.tickets SET priority = prios[1 + floor(random() * 3)::int] WHERE id = t.id;
        RETURN 'priority';
    ELSIF r < 0.95 THEN
        UPDATE helpdesk.tickets SET category_id = cats[1 + floor(random() * 3)::int] WHERE id = t.id;
        RETURN 'category';
    ELSE
        DELETE FROM helpdesk.tickets WHERE id = t.id;
        RETURN 'delete';
    END IF;
END $$;

-- 600 steps, 37 minutes apart from Thursday 2026-03-26 (across the 03-29 DST change), in
-- transactions of 20 steps. Halfway (step 300: 2026-04-02 ~08:00), the watermark of past
-- deadlines moves to 03-31: the running clocks due before it are summed from then on, and the
-- later steps add and take back facts with it.
SELECT setseed(0.4242);
CREATE TEMP TABLE steps (i int, op text);
SELECT format('INSERT INTO steps SELECT i, pg_temp.step(i, %L::timestamptz + i * interval ''37 minutes'') FROM generate_series(%s, %s) i',
              '2026-03-26 07:00+00', b, b + 19)
FROM generate_series(1, 300, 20) b \gexec
SELECT helpdesk.reports_advance('2026-03-31 00:00+00') > 0 AS clocks_moved;
SELECT helpdesk.reports_advance('2026-03-30 00:00+00') AS never_back;
SELECT due_before FROM helpdesk.report_state;
SELECT format('INSERT INTO steps SELECT i, pg_temp.step(i, %L::timestamptz + i * interval ''37 minutes'') FROM generate_series(%s, %s) i',
              '2026-03-26 07:00+00', b, b + 19)
FROM generate_series(301, 600, 20) b \gexec
SELECT op, count(*) FROM steps GROUP BY op ORDER BY op;
SELECT count(*) AS tickets, count(*) FILTER (WHERE resolved_at IS NOT NULL) AS resolved FROM helpdesk.tickets;

-- The summary as the triggers left it, summed over shards (zero rows left out).
CREATE FUNCTION pg_temp.summary() RETURNS TABLE (tbl text, k text, v text) LANGUAGE sql AS $$
    SELECT 'facts', f.ticket_id::text, row(f.day, f.status, f.priority, f.category_id, f.assignee_id, f.created_at, f.resolved_at,
                                           f.closed_at, trim_scale(f.wall_seconds), trim_scale(f.business_seconds), f.res_met, f.res_missed, f.res_due_at,
                                           f.resp_met, f.resp_missed, f.resp_due_at)::text
    FROM helpdesk.report_ticket_facts f
    UNION ALL
    SELECT 'stats', row(s.month, s.day, s.status, s.priority)::text,
           row(sum(s.tickets), sum(s.resolved), trim_scale(sum(s.wall)), trim_scale(sum(s.business)), sum(s.o_n), trim_scale(sum(s.o_wall)), trim_scale(sum(s.o_business)),
               sum(s.res_met), sum(s.res_missed), sum(s.resp_met), sum(s.resp_missed), sum(s.res_over), sum(s.resp_over),
               sum(s.o_over_n), trim_scale(sum(s.o_over_wall)), trim_scale(sum(s.o_over_business)))::text
    FROM helpdesk.report_day_stats s GROUP BY s.month, s.day, s.status, s.priority
    HAVING sum(s.tickets) <> 0 OR sum(s.resolved) <> 0 OR sum(s.wall) <> 0 OR sum(s.o_n) <> 0 OR sum(s.res_met) <> 0
        OR sum(s.res_missed) <> 0 OR sum(s.resp_met) <> 0 OR sum(s.resp_missed) <> 0 OR sum(s.res_over) <> 0
        OR sum(s.resp_over) <> 0 OR sum(s.o_over_n) <> 0
    UNION ALL
    SELECT 'categories', row(c.month, c.day, c.category_id)::text, sum(c.tickets)::text
    FROM helpdesk.report_day_categories c GROUP BY c.month, c.day, c.category_id HAVING sum(c.tickets) <> 0
    UNION ALL
    SELECT 'staff', row(s.month, s.day, s.assignee_id)::text,
           row(sum(s.tickets), sum(s.resolved), trim_scale(sum(s.wall)), trim_scale(sum(s.business)), sum(s.res_met), sum(s.res_missed),
               sum(s.res_over))::text
    FROM helpdesk.report_day_staff s GROUP BY s.month, s.day, s.assignee_id
    HAVING sum(s.tickets) <> 0 OR sum(s.resolved) <> 0 OR sum(s.wall) <> 0 OR sum(s.res_met) <> 0 OR sum(s.res_missed) <> 0
        OR sum(s.res_over) <> 0
    UNION ALL
    SELECT 'events', row(e.day, e.event)::text, row(sum(e.n), trim_scale(sum(e.wall)))::text
    FROM helpdesk.report_day_events e GROUP BY e.day, e.event HAVING sum(e.n) <> 0 OR sum(e.wall) <> 0
    UNION ALL
    SELECT 'open', row(o.status, o.assignee_id)::text, sum(o.n)::text
    FROM helpdesk.report_open_counts o GROUP BY o.status, o.assignee_id HAVING sum(o.n) <> 0 $$;
CREATE TEMP TABLE incremental AS SELECT * FROM pg_temp.summary();
SELECT tbl, count(*) AS rows FROM incremental GROUP BY tbl ORDER BY tbl;
-- (the incremental rows are this backend's shard: one writer, one shard per key)
SELECT count(DISTINCT shard) AS shards FROM helpdesk.report_day_stats;

SELECT helpdesk.reports_rebuild() AS rebuilt_tickets;
CREATE TEMP TABLE rebuilt AS SELECT * FROM pg_temp.summary();
-- incremental = rebuilt: no row of one is missing from the other
SELECT 'only incremental' AS side, * FROM (SELECT * FROM incremental EXCEPT SELECT * FROM rebuilt) d
UNION ALL
SELECT 'only rebuilt', * FROM (SELECT * FROM rebuilt EXCEPT SELECT * FROM incremental) d;

-- The sums read from the summary = the sums recounted from the tickets, for whole (months and
-- days), partial and one-day ranges and instants before, inside and after the sequence (before
-- and after the watermark: clocks taken back from the summed ones, and added to them).
CREATE TEMP TABLE cases AS
SELECT d.dims, r.from_at, r.to_at, a.at
FROM unnest(ARRAY['status', 'category', 'assignee']) d (dims),
     (VALUES ('-infinity'::timestamptz, 'infinity'::timestamptz),
             ('2026-03-27 00:00 Europe/Paris', '2026-04-02 00:00 Europe/Paris'),
             ('2026-03-27 10:17+00', '2026-04-01 13:05+00'),
             ('2026-03-30 09:00+00', '2026-03-30 15:00+00'),
             ('2026-03-29 00:00 Europe/Paris', 'infinity'),
             ('2026-03-01 00:00 Europe/Paris', '2026-04-01 00:00 Europe/Paris'),
             ('2026-03-20 00:00 Europe/Paris', '2026-05-01 00:00 Europe/Paris')) r (from_at, to_at),
     (VALUES ('2026-03-27 12:00+00'::timestamptz), ('2026-03-31 08:00+00'), ('2026-04-20 00:00+00')) a (at);
-- (each grouping carries the columns its reports read: category only counts; assignee no
-- response clock nor o_* averages)
CREATE FUNCTION pg_temp.sums(summary boolean, dims text, from_at timestamptz, to_at timestamptz, at timestamptz)
RETURNS TABLE (g text, v text) LANGUAGE sql AS $$
    SELECT row(s.status, s.priority, s.category_id, s.assignee_id)::text,
           row(s.tickets, CASE WHEN dims <> 'category' THEN row(s.resolved, trim_scale(s.wall), trim_scale(s.business), s.res_met, s.res_breached) END,
               CASE WHEN dims = 'status' THEN row(s.o_n, trim_scale(s.o_wall), trim_scale(s.o_business), s.resp_met, s.resp_breached) END)::text
    FROM helpdesk.report_sums_summary(dims, from_at, to_at, at) s WHERE summary AND s.tickets <> 0
    UNION ALL
    SELECT row(s.status, s.priority, s.category_id, s.assignee_id)::text,
           row(s.tickets, CASE WHEN dims <> 'category' THEN row(s.resolved, trim_scale(s.wall), trim_scale(s.business), s.res_met, s.res_breached) END,
               CASE WHEN dims = 'status' THEN row(s.o_n, trim_scale(s.o_wall), trim_scale(s.o_business), s.resp_met, s.resp_breached) END)::text
    FROM helpdesk.report_sums_recount(dims, from_at, to_at, NULL, at, true) s WHERE NOT summary $$;
SELECT count(*) AS cases,
       count(*) FILTER (WHERE NOT EXISTS (SELECT * FROM pg_temp.sums(true, c.dims, c.from_at, c.to_at, c.at)
                                          EXCEPT SELECT * FROM pg_temp.sums(false, c.dims, c.from_at, c.to_at, c.at))
                          AND NOT EXISTS (SELECT * FROM pg_temp.sums(false, c.dims, c.from_at, c.to_at, c.at)
                                          EXCEPT SELECT * FROM pg_temp.sums(true, c.dims, c.from_at, c.to_at, c.at))) AS equal,
       count(*) FILTER (WHERE EXISTS (SELECT FROM helpdesk.report_sums_recount(c.dims, c.from_at, c.to_at, NULL, c.at, true) s
                                      WHERE s.res_breached > 0)) AS with_breaches
FROM cases c;

-- Every report's JSON from the summary = the same report recounted (the day tables set aside by
-- pretending another time zone), at an instant inside the sequence.
CREATE FUNCTION pg_temp.reports(at timestamptz) RETURNS jsonb LANGUAGE sql AS $$
    SELECT jsonb_build_object(
        'dashboard', helpdesk.report_dashboard(u, '-infinity', 'infinity', at),
        'dashboard_range', helpdesk.report_dashboard(u, '2026-03-27 10:17+00', '2026-04-01 00:00 Europe/Paris', at),
        'status', helpdesk.report_by_status(u, '2026-03-28 00:00 Europe/Paris', 'infinity', at),
        'category', helpdesk.report_by_category(u, '-infinity', '2026-03-30 15:00+00', at),
        'priority', helpdesk.report_by_priority(u, '-infinity', 'infinity', at),
        'sla', helpdesk.report_sla_compliance(u, '2026-03-27 10:17+00', '2026-04-01 13:05+00', at),
        'staff', helpdesk.report_staff_performance(u, '-infinity', 'infinity', at),
        'trends_day', helpdesk.report_trends(u, 'day', 30, at),
        'trends_week', helpdesk.report_trends(u, 'week', 4, at),
        'action', helpdesk.report_action_required(u))
    FROM helpdesk.users u WHERE u.username = 'rs_admin' $$;
CREATE TEMP TABLE from_summary AS SELECT at, pg_temp.reports(at) AS j
FROM unnest(ARRAY['2026-03-31 08:00+00', '2026-04-03 16:00+00']::timestamptz[]) at;
UPDATE helpdesk.report_state SET time_zone = 'Asia/Tokyo';
SELECT helpdesk.report_summary_ready() AS ready_while_pretending;
CREATE TEMP TABLE recounted AS SELECT at, pg_temp.reports(at) AS j
FROM unnest(ARRAY['2026-03-31 08:00+00', '2026-04-03 16:00+00']::timestamptz[]) at;
UPDATE helpdesk.report_state SET time_zone = helpdesk.report_time_zone();
SELECT s.at, k.key, s.j -> k.key = r.j -> k.key AS equal
FROM from_summary s JOIN recounted r USING (at), jsonb_object_keys(s.j) k (key)
WHERE s.j -> k.key <> r.j -> k.key;
SELECT count(*) AS reports_compared, (SELECT (j -> 'dashboard' ->> 'totalTickets')::int > 0 FROM from_summary LIMIT 1) AS nonempty
FROM from_summary s, jsonb_object_keys(s.j);

-- A change of the desk's time zone re-keys the days in the same transaction.
UPDATE helpdesk.calendars SET time_zone = 'America/New_York' WHERE is_default;
SELECT time_zone, helpdesk.report_summary_ready() AS ready FROM helpdesk.report_state;
CREATE TEMP TABLE rekeyed AS SELECT * FROM pg_temp.summary();
SELECT helpdesk.reports_rebuild() > 0 AS rebuilt;
-- (the re-keyed facts keep the business seconds measured at resolution; the rebuild measures
-- them again on the calendar now in New York hours: the tables without them are equal)
SELECT d.tbl, count(*) AS differences FROM (
    (SELECT * FROM rekeyed EXCEPT SELECT * FROM pg_temp.summary())
    UNION ALL (SELECT * FROM pg_temp.summary() EXCEPT SELECT * FROM rekeyed)) d
GROUP BY d.tbl ORDER BY d.tbl;

-- A change of no summed column writes no summary row: a running clock's deadline moved (still
-- after the watermark) updates the ticket's fact alone, the day tables keep their row versions
-- (each change used to take the fact back and add it again, rewriting them).
CREATE TEMP TABLE versions AS
SELECT 'stats' AS tbl, ctid AS row_at, xmin::text AS x FROM helpdesk.report_day_stats
UNION ALL SELECT 'categories', ctid, xmin::text FROM helpdesk.report_day_categories
UNION ALL SELECT 'staff', ctid, xmin::text FROM helpdesk.report_day_staff
UNION ALL SELECT 'events', ctid, xmin::text FROM helpdesk.report_day_events
UNION ALL SELECT 'open', ctid, xmin::text FROM helpdesk.report_open_counts;
WITH c AS (SELECT c.ticket_id FROM helpdesk.sla_clocks c
           WHERE c.kind = 'resolution' AND c.state = 'running' AND c.due_at > (SELECT due_before FROM helpdesk.report_state)
           ORDER BY c.ticket_id LIMIT 1)
UPDATE helpdesk.sla_clocks k SET due_at = k.due_at + interval '1 hour' FROM c
WHERE k.ticket_id = c.ticket_id AND k.kind = 'resolution'
RETURNING k.ticket_id AS moved_ticket, k.due_at AS moved_due \gset
SELECT f.res_due_at = :'moved_due' AS fact_follows FROM helpdesk.report_ticket_facts f WHERE f.ticket_id = :moved_ticket;
SELECT count(*) > 0 AS summary_rows, count(*) FILTER (WHERE v.x IS DISTINCT FROM now_.x) AS rewritten
FROM versions v
LEFT JOIN LATERAL (SELECT xmin::text AS x FROM helpdesk.report_day_stats WHERE ctid = v.row_at AND v.tbl = 'stats'
                   UNION ALL SELECT xmin::text FROM helpdesk.report_day_categories WHERE ctid = v.row_at AND v.tbl = 'categories'
                   UNION ALL SELECT xmin::text FROM helpdesk.report_day_staff WHERE ctid = v.row_at AND v.tbl = 'staff'
                   UNION ALL SELECT xmin::text FROM helpdesk.report_day_events WHERE ctid = v.row_at AND v.tbl = 'events'
                   UNION ALL SELECT xmin::text FROM helpdesk.report_open_counts WHERE ctid = v.row_at AND v.tbl = 'open') now_ ON true;
-- and the summary still equals a rebuild
CREATE TEMP TABLE after_move AS SELECT * FROM pg_temp.summary();
SELECT helpdesk.reports_rebuild() > 0 AS rebuilt;
SELECT count(*) AS differences FROM (
    (SELECT * FROM after_move EXCEPT SELECT * FROM pg_temp.summary())
    UNION ALL (SELECT * FROM pg_temp.summary() EXCEPT SELECT * FROM after_move)) d;

-- A ticket write's summary upkeep is never JIT-compiled: with report_state unanalysed (a new
-- desk) its creation statement was costed at 620,000 and compiled at every creation (0.7 s).
SELECT p.proconfig AS report_ticket_changed_settings FROM pg_proc p
WHERE p.oid = 'helpdesk.report_ticket_changed'::regproc;

\c contrib_regression
DROP DATABASE reports_summary_regress;
