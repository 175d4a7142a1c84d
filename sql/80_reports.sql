-- 80_reports: the reports (reference §2.13, §3.9, its bugs fixed) and their CSV tables.
--
-- Every report reads the tickets created in a range [from_at, to_at) (unbounded: -infinity /
-- infinity); "today", "this week" (ISO, from Monday) and "this month", and the trend buckets,
-- are in the desk's time zone, the default calendar's (UTC without one). SLA figures come from
-- the clocks with the one definition of breached and at risk (sql/30_tickets.sql): compliance
-- counts met clocks against breached ones (stopped late, or open past their deadline; a paused
-- clock only if it was late when it paused), so pauses are respected and an open ticket in time
-- is not counted yet. Resolution times are given in wall-clock hours and in business hours of
-- the desk's calendar. Who sees what is decided here: staff reports for IT_Staff and Admin,
-- staff performance for Admin, the dashboard and action-required for everyone, an Employee's
-- counting only their own tickets. Every function takes the instant `at` (tests pass a clock).

-- Reports read tickets by when they were resolved and closed (trends, "closed today").
CREATE INDEX tickets_resolved_at_idx ON helpdesk.tickets (resolved_at) WHERE resolved_at IS NOT NULL;

CREATE INDEX tickets_closed_at_idx ON helpdesk.tickets (closed_at) WHERE closed_at IS NOT NULL;

-- The desk's time zone: the default calendar's. (PL/pgSQL here and in report_summary_ready: a
-- SQL function with a subquery is not inlined, and its query was planned again in every
-- request, at each place that calls it; PL/pgSQL plans it once per connection.)
CREATE FUNCTION helpdesk.report_time_zone()
RETURNS text
LANGUAGE plpgsql STABLE
AS $$
BEGIN
    RETURN coalesce((SELECT c.time_zone FROM helpdesk.calendars c WHERE c.is_default), 'UTC');
END
$$;

-- The instant a local day / ISO week / month containing `at` starts, in time zone `tz`.
CREATE FUNCTION helpdesk.report_period_start(unit text, at timestamptz, tz text)
RETURNS timestamptz
LANGUAGE sql IMMUTABLE
AS $$ SELECT pg_catalog.date_trunc(unit, at AT TIME ZONE tz) AT TIME ZONE tz $$;

-- A range bound of a query parameter: a date (YYYY-MM-DD: that whole day in the desk's time
-- zone) or a full ISO-8601 timestamp (that instant; without an offset, desk time). Returns the
-- range's [from, to) bound: a start is the day's start or the instant; an end is the next day's
-- start or the instant plus a microsecond (ends are inclusive). 400 when unparsable.
CREATE FUNCTION helpdesk.report_bound(value text, key text, is_end boolean, tz text)
RETURNS timestamptz
LANGUAGE plpgsql STABLE
AS $$
DECLARE
    s text := nullif(btrim(value), '');
    d date;
    ts timestamptz;
BEGIN
    IF s IS NULL THEN
        RETURN CASE WHEN is_end THEN 'infinity'::timestamptz ELSE '-infinity'::timestamptz END;
    END IF;
    BEGIN
        IF s ~ '^\d{4}-\d{2}-\d{2}$' THEN
            d := s::date;
            RETURN (d + CASE WHEN is_end THEN 1 ELSE 0 END)::timestamp AT TIME ZONE tz;
        ELSIF s ~ '^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}(:?\d{2})?)$' THEN
            ts := s::timestamptz;
        ELSIF s ~ '^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?$' THEN
            ts := s::timestamp AT TIME ZONE tz;
        ELSE
            RAISE invalid_datetime_format;
        END IF;
    EXCEPTION WHEN invalid_datetime_format OR datetime_field_overflow OR invalid_text_representation THEN
        PERFORM helpdesk.validation_error(key || ' must be a valid ISO 8601 date string');
    END;
    RETURN ts + CASE WHEN is_end THEN interval '1 microsecond' ELSE interval '0' END;
END
$$;

-- The report range of startDate/endDate: [from, to); an end before the start is 400.
CREATE FUNCTION helpdesk.report_range(start_date text, end_date text, OUT from_at timestamptz, OUT to_at timestamptz)
LANGUAGE plpgsql STABLE
AS $$
DECLARE
    tz text := helpdesk.report_time_zone();
BEGIN
    from_at := helpdesk.report_bound(start_date, 'startDate', false, tz);
    to_at := helpdesk.report_bound(end_date, 'endDate', true, tz);
    IF to_at <= from_at THEN
        PERFORM helpdesk.validation_error('endDate must not be before startDate');
    END IF;
END
$$;

-- Hours of a number of seconds, one decimal (0 for none: an empty set has no division).
CREATE FUNCTION helpdesk.report_hours(seconds numeric)
RETURNS numeric
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$ SELECT coalesce(round(seconds / 3600, 1), 0) $$;

-- part / whole as a percentage with one decimal, 0 when whole is 0.
CREATE FUNCTION helpdesk.report_percent(part bigint, whole bigint)
RETURNS numeric
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$ SELECT CASE WHEN whole > 0 THEN round(part * 100.0 / whole, 1) ELSE 0 END $$;

-- Business seconds between a ticket's creation and its resolution in the desk's calendar.
CREATE FUNCTION helpdesk.report_business_seconds(created_at timestamptz, resolved_at timestamptz)
RETURNS numeric
LANGUAGE sql STABLE
AS $$ SELECT extract(epoch FROM helpdesk.sla_between(created_at, resolved_at)) $$;

-- ---- summary tables: what the reports read at a million tickets ---------------------------
--
-- Every ticket has one row in report_ticket_facts: what it contributes to the reports (its
-- desk-local creation day, status, priority, category, assignee, resolution seconds wall-clock
-- and in business hours, and its clocks' outcomes). The business seconds are computed once,
-- when the ticket's resolution (or start) changes, with the calendar then in force; the wall
-- seconds are resolved_at - created_at. A clock's outcome splits in two: the part that no
-- longer depends on the instant (met; missed, or paused after its deadline: what
-- sla_clock_breached(c, '-infinity') says) is summed in the day tables, and a running clock's
-- deadline (res_due_at, resp_due_at) is kept so that "open past its deadline at `at`" is read
-- live through a partial index: sla_clock_breached(c, at) = sla_clock_breached(c, '-infinity')
-- OR (running AND due_at < at), by its definition (sql/30_tickets.sql).
--
-- Triggers on tickets and sla_clocks (AFTER, row level) call report_refresh(ticket): it
-- recomputes the ticket's fact from the base rows and, when it changed, adds the difference
-- between the new fact and the old to the summary tables whose part of it changed, in the
-- writer's transaction. The day
-- tables are keyed per desk-local day and by a shard, the writing backend's process id: two
-- transactions at once are two backends, so they never update, wait for or deadlock on the same
-- summary row (with a shard per ticket, two multi-ticket transactions, say a bulk route and the
-- SLA watcher's round, locked shared rows in opposite orders). Reads sum over shards; a sum does
-- not care which shard holds an addend, so a fact added by one backend is subtracted in
-- another's. Long-lived pooled connections keep the shards per key few; reports_rebuild()
-- folds them back into one. reports_rebuild() recomputes
-- everything from the base tables (after a COPY load with triggers off, after an upgrade) and
-- writes shard 0 only (any split into shards sums the same). The day keys are in the time zone
-- recorded in report_state; when the desk's time zone changes the calendars trigger rebuilds.
-- The tables are derived data: pg_dump leaves their rows out and the triggers refill them on
-- restore (COPY fires them).

-- The time zone the day keys are in (the desk's, when the tables were last rebuilt), and the
-- instant up to which running clocks past their deadline are summed in the day tables
-- (due_before: the *_over columns count the running clocks due before it; reports read the
-- ones due between it and their `at` from the facts). reports_advance() moves it forward.
CREATE TABLE helpdesk.report_state (
    one        boolean PRIMARY KEY DEFAULT true CHECK (one),
    time_zone  text NOT NULL,
    due_before timestamptz NOT NULL DEFAULT '-infinity'
);
INSERT INTO helpdesk.report_state (time_zone) VALUES ('UTC');

CREATE TABLE helpdesk.report_ticket_facts (
    ticket_id        int PRIMARY KEY,
    day              date NOT NULL,
    status           helpdesk.ticket_status NOT NULL,
    priority         helpdesk.ticket_priority NOT NULL,
    category_id      int NOT NULL,
    assignee_id      int,
    created_at       timestamptz NOT NULL,
    resolved_at      timestamptz,
    closed_at        timestamptz,
    wall_seconds     numeric,
    business_seconds numeric,
    res_met          boolean NOT NULL,
    res_missed       boolean NOT NULL,
    res_due_at       timestamptz,
    resp_met         boolean NOT NULL,
    resp_missed      boolean NOT NULL,
    resp_due_at      timestamptz
);
-- partial first / last days of a range; running clocks past their deadline at `at`
CREATE INDEX report_ticket_facts_created_idx ON helpdesk.report_ticket_facts (created_at);
CREATE INDEX report_ticket_facts_res_due_idx ON helpdesk.report_ticket_facts (res_due_at) WHERE res_due_at IS NOT NULL;
CREATE INDEX report_ticket_facts_resp_due_idx ON helpdesk.report_ticket_facts (resp_due_at) WHERE resp_due_at IS NOT NULL;

-- The day tables hold each ticket three times: in the row of its creation day (month false), in
-- the row of that day's month (month true, day = the month's first day) and in the all-time row
-- (month true, day = 'infinity'), so that a long range sums a row per month and only its first
-- and last partial months per day, and a range without bounds (every report's default) the
-- all-time rows alone.
-- Per creation day x status x priority. o_*: the resolved tickets whose resolution clock has a
-- lasting outcome (met or missed), the SLA report's averages. *_over: running clocks due before
-- report_state.due_before (breached at any later instant); o_over_*: those of resolved tickets.
CREATE TABLE helpdesk.report_day_stats (
    month       boolean NOT NULL,
    day         date NOT NULL,
    status      helpdesk.ticket_status NOT NULL,
    priority    helpdesk.ticket_priority NOT NULL,
    shard       int NOT NULL,
    tickets     bigint NOT NULL,
    resolved    bigint NOT NULL,
    wall        numeric NOT NULL,
    business    numeric NOT NULL,
    o_n         bigint NOT NULL,
    o_wall      numeric NOT NULL,
    o_business  numeric NOT NULL,
    res_met     bigint NOT NULL,
    res_missed  bigint NOT NULL,
    resp_met    bigint NOT NULL,
    resp_missed bigint NOT NULL,
    res_over    bigint NOT NULL,
    resp_over   bigint NOT NULL,
    o_over_n    bigint NOT NULL,
    o_over_wall numeric NOT NULL,
    o_over_business numeric NOT NULL,
    PRIMARY KEY (month, day, status, priority, shard)
);

CREATE TABLE helpdesk.report_day_categories (
    month       boolean NOT NULL,
    day         date NOT NULL,
    category_id int NOT NULL,
    shard       int NOT NULL,
    tickets     bigint NOT NULL,
    PRIMARY KEY (month, day, category_id, shard)
);

-- Per creation day x assignee (tickets with an assignee).
CREATE TABLE helpdesk.report_day_staff (
    month       boolean NOT NULL,
    day         date NOT NULL,
    assignee_id int NOT NULL,
    shard       int NOT NULL,
    tickets     bigint NOT NULL,
    resolved    bigint NOT NULL,
    wall        numeric NOT NULL,
    business    numeric NOT NULL,
    res_met     bigint NOT NULL,
    res_missed  bigint NOT NULL,
    res_over    bigint NOT NULL,
    PRIMARY KEY (month, day, assignee_id, shard)
);

-- Tickets created / resolved / closed per local day of that event (trends, closed this week).
CREATE TABLE helpdesk.report_day_events (
    day   date NOT NULL,
    event text NOT NULL CHECK (event = ANY ('{created,resolved,closed}'::text[])),  -- (array: sql/30_tickets.sql, sla_clocks)
    shard int NOT NULL,
    n     bigint NOT NULL,
    wall  numeric NOT NULL,
    PRIMARY KEY (day, event, shard)
);

-- Open tickets per status x assignee (0: none): action-required, workloads.
CREATE TABLE helpdesk.report_open_counts (
    status      helpdesk.ticket_status NOT NULL,
    assignee_id int NOT NULL,
    shard       int NOT NULL,
    n           bigint NOT NULL,
    PRIMARY KEY (status, assignee_id, shard)
);

SELECT pg_catalog.pg_extension_config_dump('helpdesk.report_state', 'WHERE false');
SELECT pg_catalog.pg_extension_config_dump('helpdesk.report_ticket_facts', 'WHERE false');
SELECT pg_catalog.pg_extension_config_dump('helpdesk.report_day_stats', 'WHERE false');
SELECT pg_catalog.pg_extension_config_dump('helpdesk.report_day_categories', 'WHERE false');
SELECT pg_catalog.pg_extension_config_dump('helpdesk.report_day_staff', 'WHERE false');
SELECT pg_catalog.pg_extension_config_dump('helpdesk.report_day_events', 'WHERE false');
SELECT pg_catalog.pg_extension_config_dump('helpdesk.report_open_counts', 'WHERE false');

-- Every ticket's fact in time zone `tz`, business seconds left NULL (computed by the caller).
CREATE FUNCTION helpdesk.report_facts_of(tz text)
RETURNS SETOF helpdesk.report_ticket_facts
LANGUAGE sql STABLE
AS $$
    SELECT t.id, (t.created_at AT TIME ZONE tz)::date, t.status, t.priority, t.category_id,
           t.assignee_id, t.created_at, t.resolved_at, t.closed_at,
           extract(epoch FROM t.resolved_at - t.created_at), NULL::numeric,
           coalesce(rc.state = 'met', false), helpdesk.sla_clock_breached(rc, '-infinity'),
           CASE WHEN rc.state = 'running' THEN rc.due_at END,
           coalesce(pc.state = 'met', false), helpdesk.sla_clock_breached(pc, '-infinity'),
           CASE WHEN pc.state = 'running' THEN pc.due_at END
    FROM helpdesk.tickets t
    LEFT JOIN helpdesk.sla_clocks rc ON rc.ticket_id = t.id AND rc.kind = 'resolution'
    LEFT JOIN helpdesk.sla_clocks pc ON pc.ticket_id = t.id AND pc.kind = 'response'
$$;

-- Whether the day tables are keyed in the desk's current time zone (else reports recount).
CREATE FUNCTION helpdesk.report_summary_ready()
RETURNS boolean
LANGUAGE plpgsql STABLE
AS $$
BEGIN
    RETURN (SELECT s.time_zone FROM helpdesk.report_state s) = helpdesk.report_time_zone();
END
$$;

-- One ticket's fact as rows of each summary table, its counts times `sign` (1: the fact added,
-- -1: taken back; no rows for an absent fact, all fields NULL), shard 0, its running clocks due
-- before `due_before` counted as over. The one definition of what a ticket adds to the
-- summaries: the triggers (report_refresh) and reports_rebuild() both sum these rows. The day
-- tables get three rows per ticket: its creation day, that day's month and the all-time row.
-- (SQL, inlined into the statements that call them.)
CREATE FUNCTION helpdesk.report_stats_rows(f helpdesk.report_ticket_facts, sign int, due_before timestamptz)
RETURNS SETOF helpdesk.report_day_stats
LANGUAGE sql IMMUTABLE
AS $$
    SELECT g.month, g.day, f.status, f.priority, 0, sign, x.resolved, x.wall, x.business,
           x.outcome, CASE WHEN x.outcome <> 0 THEN x.wall ELSE 0 END, CASE WHEN x.outcome <> 0 THEN x.business ELSE 0 END,
           CASE WHEN f.res_met THEN sign ELSE 0 END, CASE WHEN f.res_missed THEN sign ELSE 0 END,
           CASE WHEN f.resp_met THEN sign ELSE 0 END, CASE WHEN f.resp_missed THEN sign ELSE 0 END,
           x.res_over, CASE WHEN f.resp_due_at < due_before THEN sign ELSE 0 END,
           x.o_over, CASE WHEN x.o_over <> 0 THEN x.wall ELSE 0 END, CASE WHEN x.o_over <> 0 THEN x.business ELSE 0 END
    FROM (SELECT CASE WHEN f.resolved_at IS NOT NULL THEN sign ELSE 0 END AS resolved,
                 CASE WHEN f.resolved_at IS NOT NULL AND (f.res_met OR f.res_missed) THEN sign ELSE 0 END AS outcome,
                 CASE WHEN f.res_due_at < due_before THEN sign ELSE 0 END AS res_over,
                 CASE WHEN f.resolved_at IS NOT NULL AND f.res_due_at < due_before THEN sign ELSE 0 END AS o_over,
                 coalesce(f.wall_seconds, 0) * sign AS wall,
                 coalesce(f.business_seconds, 0) * sign AS business) x,
         (VALUES (false, f.day), (true, pg_catalog.date_trunc('month', f.day::timestamp)::date),
                 (true, 'infinity'::date)) g (month, day)
    WHERE f.ticket_id IS NOT NULL
$$;

CREATE FUNCTION helpdesk.report_categories_rows(f helpdesk.report_ticket_facts, sign int)
RETURNS SETOF helpdesk.report_day_categories
LANGUAGE sql IMMUTABLE
AS $$
    SELECT g.month, g.day, f.category_id, 0, sign
    FROM (VALUES (false, f.day), (true, pg_catalog.date_trunc('month', f.day::timestamp)::date),
                 (true, 'infinity'::date)) g (month, day)
    WHERE f.ticket_id IS NOT NULL
$$;

CREATE FUNCTION helpdesk.report_staff_rows(f helpdesk.report_ticket_facts, sign int, due_before timestamptz)
RETURNS SETOF helpdesk.report_day_staff
LANGUAGE sql IMMUTABLE
AS $$
    SELECT g.month, g.day, f.assignee_id, 0, sign, CASE WHEN f.resolved_at IS NOT NULL THEN sign ELSE 0 END,
           coalesce(f.wall_seconds, 0) * sign, coalesce(f.business_seconds, 0) * sign,
           CASE WHEN f.res_met THEN sign ELSE 0 END, CASE WHEN f.res_missed THEN sign ELSE 0 END,
           CASE WHEN f.res_due_at < due_before THEN sign ELSE 0 END
    FROM (VALUES (false, f.day), (true, pg_catalog.date_trunc('month', f.day::timestamp)::date),
                 (true, 'infinity'::date)) g (month, day)
    WHERE f.ticket_id IS NOT NULL AND f.assignee_id IS NOT NULL
$$;

-- (created, resolved, closed: each on the local day of that event, `tz`)
CREATE FUNCTION helpdesk.report_events_rows(f helpdesk.report_ticket_facts, sign int, tz text)
RETURNS SETOF helpdesk.report_day_events
LANGUAGE sql IMMUTABLE
AS $$
    SELECT e.day, e.event, 0, sign, e.wall
    FROM (VALUES (f.day, 'created', 0::numeric),
                 ((f.resolved_at AT TIME ZONE tz)::date, 'resolved', coalesce(f.wall_seconds, 0) * sign),
                 ((f.closed_at AT TIME ZONE tz)::date, 'closed', 0)) e (day, event, wall)
    WHERE f.ticket_id IS NOT NULL AND e.day IS NOT NULL
$$;

-- (open tickets only; assignee 0: none)
CREATE FUNCTION helpdesk.report_open_rows(f helpdesk.report_ticket_facts, sign int)
RETURNS SETOF helpdesk.report_open_counts
LANGUAGE sql IMMUTABLE
AS $$
    SELECT f.status, coalesce(f.assignee_id, 0), 0, sign
    WHERE f.ticket_id IS NOT NULL AND helpdesk.ticket_is_open(f.status)
$$;

-- Bring one ticket's fact and the summary tables up to date with its rows (gone: removed):
-- the summaries get the difference between the old fact and the new, one upsert per table
-- whose part of the fact changed (a status move: -1 in the old status's rows and +1 in the
-- new's in one statement), none for a table it does not touch (a clock's new deadline changes
-- no summary). known_only: only a ticket that already has a fact (the clocks' triggers: a
-- ticket being inserted gets its fact from its own trigger, which fires after the SLA
-- trigger has inserted its clocks; a ticket loaded with triggers off waits for
-- reports_rebuild()).
CREATE FUNCTION helpdesk.report_refresh(tid int, known_only boolean DEFAULT false)
RETURNS void
LANGUAGE plpgsql VOLATILE
-- (generic plans: a custom plan of each upsert, which the plan cache kept choosing, was planned
-- again at every call, 0.1 ms each)
SET plan_cache_mode = force_generic_plan
AS $$
DECLARE
    tz text;
    due_before timestamptz;
    o helpdesk.report_ticket_facts;  -- as summed (all NULL: none)
    n helpdesk.report_ticket_facts;  -- from the base rows now (all NULL: the ticket is gone)
    had boolean;
    one_side boolean;  -- only an old fact or only a new one
    writer_shard int;
BEGIN
    SELECT * INTO o FROM helpdesk.report_ticket_facts f WHERE f.ticket_id = tid FOR UPDATE;
    had := FOUND;
    IF NOT had AND known_only THEN
        RETURN;
    END IF;
    -- (read after the lock on the facts that statement took: reports_advance() waits for this
    -- transaction, or this one reads the watermark it moved)
    SELECT s.time_zone, s.due_before INTO tz, due_before FROM helpdesk.report_state s;
    SELECT * INTO n FROM helpdesk.report_facts_of(tz) f WHERE f.ticket_id = tid;
    IF NOT FOUND THEN
        IF NOT had THEN
            RETURN;
        END IF;
        DELETE FROM helpdesk.report_ticket_facts f WHERE f.ticket_id = tid;
    ELSE
        -- business time: computed once per resolution, kept while created/resolved stay
        IF n.resolved_at IS NOT NULL THEN
            n.business_seconds := CASE WHEN had AND o.resolved_at = n.resolved_at AND o.created_at = n.created_at
                                       THEN o.business_seconds
                                       ELSE helpdesk.report_business_seconds(n.created_at, n.resolved_at) END;
        END IF;
        IF NOT had THEN
            INSERT INTO helpdesk.report_ticket_facts VALUES (n.*);
        ELSIF o IS NOT DISTINCT FROM n THEN
            RETURN;
        ELSE
            UPDATE helpdesk.report_ticket_facts f
            SET day = n.day, status = n.status, priority = n.priority, category_id = n.category_id,
                assignee_id = n.assignee_id, created_at = n.created_at, resolved_at = n.resolved_at,
                closed_at = n.closed_at, wall_seconds = n.wall_seconds, business_seconds = n.business_seconds,
                res_met = n.res_met, res_missed = n.res_missed, res_due_at = n.res_due_at,
                resp_met = n.resp_met, resp_missed = n.resp_missed, resp_due_at = n.resp_due_at
            WHERE f.ticket_id = tid;
        END IF;
    END IF;

    -- This backend's rows: never another writer's (the shards, above).
    writer_shard := pg_catalog.pg_backend_pid();
    -- Each table's statement runs when a field its rows read differs (the *_rows functions above).
    -- When the old fact's rows and the new one's cannot share a key (a fact added or removed, or
    -- a key field moved: a creation, a status change), they are upserted as they are; otherwise
    -- summed per key first (the aggregate's set-up in the executor, 16 sums, costs more than the
    -- upsert it feeds).
    one_side := NOT had OR n.ticket_id IS NULL;
    IF (o.day, o.status, o.priority, o.resolved_at IS NULL, o.wall_seconds, o.business_seconds, o.res_met,
        o.res_missed, o.resp_met, o.resp_missed, coalesce(o.res_due_at < due_before, false),
        coalesce(o.resp_due_at < due_before, false))
       IS DISTINCT FROM
       (n.day, n.status, n.priority, n.resolved_at IS NULL, n.wall_seconds, n.business_seconds, n.res_met,
        n.res_missed, n.resp_met, n.resp_missed, coalesce(n.res_due_at < due_before, false),
        coalesce(n.resp_due_at < due_before, false)) THEN
        IF one_side OR (o.status, o.priority) IS DISTINCT FROM (n.status, n.priority) THEN
            INSERT INTO helpdesk.report_day_stats AS s
            SELECT r.month, r.day, r.status, r.priority, writer_shard, r.tickets, r.resolved, r.wall, r.business,
                   r.o_n, r.o_wall, r.o_business, r.res_met, r.res_missed, r.resp_met, r.resp_missed, r.res_over,
                   r.resp_over, r.o_over_n, r.o_over_wall, r.o_over_business
            FROM (SELECT * FROM helpdesk.report_stats_rows(o, -1, due_before)
                  UNION ALL SELECT * FROM helpdesk.report_stats_rows(n, 1, due_before)) r
            ON CONFLICT (month, day, status, priority, shard) DO UPDATE SET
                tickets = s.tickets + EXCLUDED.tickets, resolved = s.resolved + EXCLUDED.resolved,
                wall = s.wall + EXCLUDED.wall, business = s.business + EXCLUDED.business,
                o_n = s.o_n + EXCLUDED.o_n, o_wall = s.o_wall + EXCLUDED.o_wall, o_business = s.o_business + EXCLUDED.o_business,
                res_met = s.res_met + EXCLUDED.res_met, res_missed = s.res_missed + EXCLUDED.res_missed,
                resp_met = s.resp_met + EXCLUDED.resp_met, resp_missed = s.resp_missed + EXCLUDED.resp_missed,
                res_over = s.res_over + EXCLUDED.res_over, resp_over = s.resp_over + EXCLUDED.resp_over,
                o_over_n = s.o_over_n + EXCLUDED.o_over_n, o_over_wall = s.o_over_wall + EXCLUDED.o_over_wall,
                o_over_business = s.o_over_business + EXCLUDED.o_over_business;
        ELSE
            INSERT INTO helpdesk.report_day_stats AS s
            SELECT r.month, r.day, r.status, r.priority, writer_shard, sum(r.tickets), sum(r.resolved), sum(r.wall),
                   sum(r.business), sum(r.o_n), sum(r.o_wall), sum(r.o_business), sum(r.res_met), sum(r.res_missed),
                   sum(r.resp_met), sum(r.resp_missed), sum(r.res_over), sum(r.resp_over), sum(r.o_over_n),
                   sum(r.o_over_wall), sum(r.o_over_business)
            FROM (SELECT * FROM helpdesk.report_stats_rows(o, -1, due_before)
                  UNION ALL SELECT * FROM helpdesk.report_stats_rows(n, 1, due_before)) r
            GROUP BY r.month, r.day, r.status, r.priority
            ON CONFLICT (month, day, status, priority, shard) DO UPDATE SET
                tickets = s.tickets + EXCLUDED.tickets, resolved = s.resolved + EXCLUDED.resolved,
                wall = s.wall + EXCLUDED.wall, business = s.business + EXCLUDED.business,
                o_n = s.o_n + EXCLUDED.o_n, o_wall = s.o_wall + EXCLUDED.o_wall, o_business = s.o_business + EXCLUDED.o_business,
                res_met = s.res_met + EXCLUDED.res_met, res_missed = s.res_missed + EXCLUDED.res_missed,
                resp_met = s.resp_met + EXCLUDED.resp_met, resp_missed = s.resp_missed + EXCLUDED.resp_missed,
                res_over = s.res_over + EXCLUDED.res_over, resp_over = s.resp_over + EXCLUDED.resp_over,
                o_over_n = s.o_over_n + EXCLUDED.o_over_n, o_over_wall = s.o_over_wall + EXCLUDED.o_over_wall,
                o_over_business = s.o_over_business + EXCLUDED.o_over_business;
        END IF;
    END IF;

    IF (o.day, o.category_id) IS DISTINCT FROM (n.day, n.category_id) THEN
        IF one_side OR o.category_id IS DISTINCT FROM n.category_id THEN
            INSERT INTO helpdesk.report_day_categories AS s
            SELECT r.month, r.day, r.category_id, writer_shard, r.tickets
            FROM (SELECT * FROM helpdesk.report_categories_rows(o, -1)
                  UNION ALL SELECT * FROM helpdesk.report_categories_rows(n, 1)) r
            ON CONFLICT (month, day, category_id, shard) DO UPDATE SET tickets = s.tickets + EXCLUDED.tickets;
        ELSE
            INSERT INTO helpdesk.report_day_categories AS s
            SELECT r.month, r.day, r.category_id, writer_shard, sum(r.tickets)
            FROM (SELECT * FROM helpdesk.report_categories_rows(o, -1)
                  UNION ALL SELECT * FROM helpdesk.report_categories_rows(n, 1)) r
            GROUP BY r.month, r.day, r.category_id
            ON CONFLICT (month, day, category_id, shard) DO UPDATE SET tickets = s.tickets + EXCLUDED.tickets;
        END IF;
    END IF;

    IF (o.day, o.assignee_id, o.resolved_at IS NULL, o.wall_seconds, o.business_seconds, o.res_met, o.res_missed,
        coalesce(o.res_due_at < due_before, false))
       IS DISTINCT FROM
       (n.day, n.assignee_id, n.resolved_at IS NULL, n.wall_seconds, n.business_seconds, n.res_met, n.res_missed,
        coalesce(n.res_due_at < due_before, false))
       AND (o.assignee_id IS NOT NULL OR n.assignee_id IS NOT NULL) THEN
        IF one_side OR o.assignee_id IS DISTINCT FROM n.assignee_id THEN
            INSERT INTO helpdesk.report_day_staff AS s
            SELECT r.month, r.day, r.assignee_id, writer_shard, r.tickets, r.resolved, r.wall, r.business,
                   r.res_met, r.res_missed, r.res_over
            FROM (SELECT * FROM helpdesk.report_staff_rows(o, -1, due_before)
                  UNION ALL SELECT * FROM helpdesk.report_staff_rows(n, 1, due_before)) r
            ON CONFLICT (month, day, assignee_id, shard) DO UPDATE SET
                tickets = s.tickets + EXCLUDED.tickets, resolved = s.resolved + EXCLUDED.resolved,
                wall = s.wall + EXCLUDED.wall, business = s.business + EXCLUDED.business,
                res_met = s.res_met + EXCLUDED.res_met, res_missed = s.res_missed + EXCLUDED.res_missed,
                res_over = s.res_over + EXCLUDED.res_over;
        ELSE
            INSERT INTO helpdesk.report_day_staff AS s
            SELECT r.month, r.day, r.assignee_id, writer_shard, sum(r.tickets), sum(r.resolved), sum(r.wall),
                   sum(r.business), sum(r.res_met), sum(r.res_missed), sum(r.res_over)
            FROM (SELECT * FROM helpdesk.report_staff_rows(o, -1, due_before)
                  UNION ALL SELECT * FROM helpdesk.report_staff_rows(n, 1, due_before)) r
            GROUP BY r.month, r.day, r.assignee_id
            ON CONFLICT (month, day, assignee_id, shard) DO UPDATE SET
                tickets = s.tickets + EXCLUDED.tickets, resolved = s.resolved + EXCLUDED.resolved,
                wall = s.wall + EXCLUDED.wall, business = s.business + EXCLUDED.business,
                res_met = s.res_met + EXCLUDED.res_met, res_missed = s.res_missed + EXCLUDED.res_missed,
                res_over = s.res_over + EXCLUDED.res_over;
        END IF;
    END IF;

    IF (o.day, o.resolved_at, o.closed_at, o.wall_seconds) IS DISTINCT FROM (n.day, n.resolved_at, n.closed_at, n.wall_seconds) THEN
        IF one_side THEN
            INSERT INTO helpdesk.report_day_events AS s
            SELECT r.day, r.event, writer_shard, r.n, r.wall
            FROM (SELECT * FROM helpdesk.report_events_rows(o, -1, tz)
                  UNION ALL SELECT * FROM helpdesk.report_events_rows(n, 1, tz)) r
            ON CONFLICT (day, event, shard) DO UPDATE SET n = s.n + EXCLUDED.n, wall = s.wall + EXCLUDED.wall;
        ELSE
            INSERT INTO helpdesk.report_day_events AS s
            SELECT r.day, r.event, writer_shard, sum(r.n), sum(r.wall)
            FROM (SELECT * FROM helpdesk.report_events_rows(o, -1, tz)
                  UNION ALL SELECT * FROM helpdesk.report_events_rows(n, 1, tz)) r
            GROUP BY r.day, r.event
            ON CONFLICT (day, event, shard) DO UPDATE SET n = s.n + EXCLUDED.n, wall = s.wall + EXCLUDED.wall;
        END IF;
    END IF;

    -- (a fact has one open row at most, and the statement runs when its key moved: never two rows
    -- of one key)
    IF (o.status, o.assignee_id) IS DISTINCT FROM (n.status, n.assignee_id) THEN
        INSERT INTO helpdesk.report_open_counts AS s
        SELECT r.status, r.assignee_id, writer_shard, r.n
        FROM (SELECT * FROM helpdesk.report_open_rows(o, -1)
              UNION ALL SELECT * FROM helpdesk.report_open_rows(n, 1)) r
        ON CONFLICT (status, assignee_id, shard) DO UPDATE SET n = s.n + EXCLUDED.n;
    END IF;
END
$$;

CREATE FUNCTION helpdesk.report_ticket_changed()
RETURNS trigger
LANGUAGE plpgsql
-- (never JIT-compiled: a ticket write waits for it, and compiling costs more than it saves)
SET jit = off
AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        -- A new ticket has no fact (its id is new): report_refresh's work for an absent old
        -- fact in one statement, the fact inserted and its rows added to every summary table
        -- (the *_rows functions), where report_refresh runs eight. The INSERT's lock on the
        -- facts comes before the statement's snapshot, so the watermark read is the one
        -- reports_advance() left (report_refresh's lock order). (LIMIT 1: the one row of
        -- report_state, which the planner takes for 1,180 rows while the table has no
        -- statistics, as on a new desk: the statement was then costed at 620,000 and JIT-compiled
        -- at every creation, 0.7 s each.)
        WITH st AS (SELECT s.time_zone AS tz, s.due_before FROM helpdesk.report_state s LIMIT 1),
        f AS (
            INSERT INTO helpdesk.report_ticket_facts
            SELECT x.ticket_id, x.day, x.status, x.priority, x.category_id, x.assignee_id, x.created_at,
                   x.resolved_at, x.closed_at, x.wall_seconds,
                   CASE WHEN x.resolved_at IS NOT NULL THEN helpdesk.report_business_seconds(x.created_at, x.resolved_at) END,
                   x.res_met, x.res_missed, x.res_due_at, x.resp_met, x.resp_missed, x.resp_due_at
            FROM st, helpdesk.report_facts_of(st.tz) x
            WHERE x.ticket_id = NEW.id
            RETURNING *),
        stats AS (
            INSERT INTO helpdesk.report_day_stats AS s
            SELECT r.month, r.day, r.status, r.priority, pg_catalog.pg_backend_pid(), r.tickets, r.resolved, r.wall,
                   r.business, r.o_n, r.o_wall, r.o_business, r.res_met, r.res_missed, r.resp_met, r.resp_missed,
                   r.res_over, r.resp_over, r.o_over_n, r.o_over_wall, r.o_over_business
            FROM f, st, helpdesk.report_stats_rows(f::helpdesk.report_ticket_facts, 1, st.due_before) r
            ON CONFLICT (month, day, status, priority, shard) DO UPDATE SET
                tickets = s.tickets + EXCLUDED.tickets, resolved = s.resolved + EXCLUDED.resolved,
                wall = s.wall + EXCLUDED.wall, business = s.business + EXCLUDED.business,
                o_n = s.o_n + EXCLUDED.o_n, o_wall = s.o_wall + EXCLUDED.o_wall, o_business = s.o_business + EXCLUDED.o_business,
                res_met = s.res_met + EXCLUDED.res_met, res_missed = s.res_missed + EXCLUDED.res_missed,
                resp_met = s.resp_met + EXCLUDED.resp_met, resp_missed = s.resp_missed + EXCLUDED.resp_missed,
                res_over = s.res_over + EXCLUDED.res_over, resp_over = s.resp_over + EXCLUDED.resp_over,
                o_over_n = s.o_over_n + EXCLUDED.o_over_n, o_over_wall = s.o_over_wall + EXCLUDED.o_over_wall,
                o_over_business = s.o_over_business + EXCLUDED.o_over_business),
        categories AS (
            INSERT INTO helpdesk.report_day_categories AS s
            SELECT r.month, r.day, r.category_id, pg_catalog.pg_backend_pid(), r.tickets
            FROM f, helpdesk.report_categories_rows(f::helpdesk.report_ticket_facts, 1) r
            ON CONFLICT (month, day, category_id, shard) DO UPDATE SET tickets = s.tickets + EXCLUDED.tickets),
        staff AS (
            INSERT INTO helpdesk.report_day_staff AS s
            SELECT r.month, r.day, r.assignee_id, pg_catalog.pg_backend_pid(), r.tickets, r.resolved, r.wall, r.business,
                   r.res_met, r.res_missed, r.res_over
            FROM f, st, helpdesk.report_staff_rows(f::helpdesk.report_ticket_facts, 1, st.due_before) r
            ON CONFLICT (month, day, assignee_id, shard) DO UPDATE SET
                tickets = s.tickets + EXCLUDED.tickets, resolved = s.resolved + EXCLUDED.resolved,
                wall = s.wall + EXCLUDED.wall, business = s.business + EXCLUDED.business,
                res_met = s.res_met + EXCLUDED.res_met, res_missed = s.res_missed + EXCLUDED.res_missed,
                res_over = s.res_over + EXCLUDED.res_over),
        events AS (
            INSERT INTO helpdesk.report_day_events AS s
            SELECT r.day, r.event, pg_catalog.pg_backend_pid(), r.n, r.wall
            FROM f, st, helpdesk.report_events_rows(f::helpdesk.report_ticket_facts, 1, st.tz) r
            ON CONFLICT (day, event, shard) DO UPDATE SET n = s.n + EXCLUDED.n, wall = s.wall + EXCLUDED.wall)
        INSERT INTO helpdesk.report_open_counts AS s
        SELECT r.status, r.assignee_id, pg_catalog.pg_backend_pid(), r.n
        FROM f, helpdesk.report_open_rows(f::helpdesk.report_ticket_facts, 1) r
        ON CONFLICT (status, assignee_id, shard) DO UPDATE SET n = s.n + EXCLUDED.n;
        RETURN NULL;
    END IF;
    PERFORM helpdesk.report_refresh(CASE WHEN TG_OP = 'DELETE' THEN OLD.id ELSE NEW.id END);
    RETURN NULL;
END
$$;

CREATE FUNCTION helpdesk.report_clock_changed()
RETURNS trigger
LANGUAGE plpgsql
AS $$
DECLARE
    tid int := CASE WHEN TG_OP = 'DELETE' THEN OLD.ticket_id ELSE NEW.ticket_id END;
BEGIN
    -- Only a ticket that has a fact (report_refresh's known_only), checked before the call: a
    -- ticket being created has none yet (its own trigger adds it after its clocks), and the
    -- call's setting costs more than this probe.
    IF EXISTS (SELECT FROM helpdesk.report_ticket_facts f WHERE f.ticket_id = tid) THEN
        PERFORM helpdesk.report_refresh(tid, true);
    END IF;
    RETURN NULL;
END
$$;

-- (COPY fires these too: a restore refills the derived tables.)
CREATE TRIGGER tickets_95_report_ins AFTER INSERT ON helpdesk.tickets
    FOR EACH ROW EXECUTE FUNCTION helpdesk.report_ticket_changed();

CREATE TRIGGER tickets_95_report_upd AFTER UPDATE ON helpdesk.tickets
    FOR EACH ROW WHEN ((OLD.status, OLD.priority, OLD.category_id, OLD.assignee_id, OLD.created_at, OLD.resolved_at, OLD.closed_at)
                       IS DISTINCT FROM (NEW.status, NEW.priority, NEW.category_id, NEW.assignee_id, NEW.created_at, NEW.resolved_at, NEW.closed_at))
    EXECUTE FUNCTION helpdesk.report_ticket_changed();

CREATE TRIGGER tickets_95_report_del AFTER DELETE ON helpdesk.tickets
    FOR EACH ROW EXECUTE FUNCTION helpdesk.report_ticket_changed();

CREATE TRIGGER sla_clocks_95_report_ins AFTER INSERT ON helpdesk.sla_clocks
    FOR EACH ROW EXECUTE FUNCTION helpdesk.report_clock_changed();

-- (only what a fact reads: the outcome and a running clock's deadline)
CREATE TRIGGER sla_clocks_95_report_upd AFTER UPDATE ON helpdesk.sla_clocks
    FOR EACH ROW WHEN ((OLD.state, OLD.due_at, OLD.paused_since, OLD.breached_at)
                       IS DISTINCT FROM (NEW.state, NEW.due_at, NEW.paused_since, NEW.breached_at))
    EXECUTE FUNCTION helpdesk.report_clock_changed();

CREATE TRIGGER sla_clocks_95_report_del AFTER DELETE ON helpdesk.sla_clocks
    FOR EACH ROW EXECUTE FUNCTION helpdesk.report_clock_changed();

-- The summary tables from the facts (their day keys in `tz`).
CREATE FUNCTION helpdesk.report_summaries_from_facts(tz text)
RETURNS void
LANGUAGE plpgsql VOLATILE
AS $$
DECLARE
    due_before timestamptz := (SELECT s.due_before FROM helpdesk.report_state s);
BEGIN
    DELETE FROM helpdesk.report_day_stats;
    DELETE FROM helpdesk.report_day_categories;
    DELETE FROM helpdesk.report_day_staff;
    DELETE FROM helpdesk.report_day_events;
    DELETE FROM helpdesk.report_open_counts;
    UPDATE helpdesk.report_state SET time_zone = tz;

    INSERT INTO helpdesk.report_day_stats
    SELECT g.month, g.day, f.status, f.priority, 0, count(*), count(f.resolved_at),
           coalesce(sum(f.wall_seconds), 0), coalesce(sum(f.business_seconds), 0),
           count(*) FILTER (WHERE o), coalesce(sum(f.wall_seconds) FILTER (WHERE o), 0),
           coalesce(sum(f.business_seconds) FILTER (WHERE o), 0),
           count(*) FILTER (WHERE f.res_met), count(*) FILTER (WHERE f.res_missed),
           count(*) FILTER (WHERE f.resp_met), count(*) FILTER (WHERE f.resp_missed),
           count(*) FILTER (WHERE x.res_over), count(*) FILTER (WHERE f.resp_due_at < due_before),
           count(*) FILTER (WHERE x.o_over), coalesce(sum(f.wall_seconds) FILTER (WHERE x.o_over), 0),
           coalesce(sum(f.business_seconds) FILTER (WHERE x.o_over), 0)
    FROM helpdesk.report_ticket_facts f
    CROSS JOIN LATERAL (SELECT f.resolved_at IS NOT NULL AND (f.res_met OR f.res_missed) AS o,
                               coalesce(f.res_due_at < due_before, false) AS res_over,
                               f.resolved_at IS NOT NULL AND coalesce(f.res_due_at < due_before, false) AS o_over) x
    CROSS JOIN LATERAL (VALUES (false, f.day), (true, pg_catalog.date_trunc('month', f.day::timestamp)::date),
                                   (true, 'infinity')) g (month, day)
    GROUP BY g.month, g.day, f.status, f.priority;

    INSERT INTO helpdesk.report_day_categories
    SELECT g.month, g.day, f.category_id, 0, count(*) FROM helpdesk.report_ticket_facts f
    CROSS JOIN LATERAL (VALUES (false, f.day), (true, pg_catalog.date_trunc('month', f.day::timestamp)::date),
                                   (true, 'infinity')) g (month, day)
    GROUP BY g.month, g.day, f.category_id;

    INSERT INTO helpdesk.report_day_staff
    SELECT g.month, g.day, f.assignee_id, 0, count(*), count(f.resolved_at),
           coalesce(sum(f.wall_seconds), 0), coalesce(sum(f.business_seconds), 0),
           count(*) FILTER (WHERE f.res_met), count(*) FILTER (WHERE f.res_missed),
           count(*) FILTER (WHERE f.res_due_at < due_before)
    FROM helpdesk.report_ticket_facts f
    CROSS JOIN LATERAL (VALUES (false, f.day), (true, pg_catalog.date_trunc('month', f.day::timestamp)::date),
                                   (true, 'infinity')) g (month, day)
    WHERE f.assignee_id IS NOT NULL
    GROUP BY g.month, g.day, f.assignee_id;

    INSERT INTO helpdesk.report_day_events
    SELECT e.day, e.event, 0, count(*), coalesce(sum(e.wall), 0)
    FROM helpdesk.report_ticket_facts f
    CROSS JOIN LATERAL (VALUES (f.day, 'created', 0::numeric),
                               ((f.resolved_at AT TIME ZONE tz)::date, 'resolved', coalesce(f.wall_seconds, 0)),
                               ((f.closed_at AT TIME ZONE tz)::date, 'closed', 0)) e (day, event, wall)
    WHERE e.day IS NOT NULL
    GROUP BY e.day, e.event;

    INSERT INTO helpdesk.report_open_counts
    SELECT f.status, coalesce(f.assignee_id, 0), 0, count(*)
    FROM helpdesk.report_ticket_facts f WHERE helpdesk.ticket_is_open(f.status)
    GROUP BY f.status, coalesce(f.assignee_id, 0);
END
$$;

-- Recompute every fact and summary table from the base tables, in the desk's current time
-- zone, business seconds with the current calendar. Returns the number of tickets.
CREATE FUNCTION helpdesk.reports_rebuild()
RETURNS bigint
LANGUAGE plpgsql VOLATILE
AS $$
DECLARE
    tz text := helpdesk.report_time_zone();
    n bigint;
BEGIN
    -- (the lock first: a ticket write in flight finishes before the rows are read)
    LOCK TABLE helpdesk.report_ticket_facts, helpdesk.report_day_stats, helpdesk.report_day_categories,
               helpdesk.report_day_staff, helpdesk.report_day_events, helpdesk.report_open_counts IN EXCLUSIVE MODE;
    DELETE FROM helpdesk.report_ticket_facts;
    INSERT INTO helpdesk.report_ticket_facts
    SELECT f.ticket_id, f.day, f.status, f.priority, f.category_id, f.assignee_id, f.created_at,
           f.resolved_at, f.closed_at, f.wall_seconds,
           CASE WHEN f.resolved_at IS NOT NULL THEN helpdesk.report_business_seconds(f.created_at, f.resolved_at) END,
           f.res_met, f.res_missed, f.res_due_at, f.resp_met, f.resp_missed, f.resp_due_at
    FROM helpdesk.report_facts_of(tz) f;
    GET DIAGNOSTICS n = ROW_COUNT;
    PERFORM helpdesk.report_summaries_from_facts(tz);
    RETURN n;
END
$$;

-- Move report_state.due_before forward to `due_before` (never back): the running clocks that
-- came due in between are summed in the day tables' *_over columns from now on, so a report
-- reads from the facts only the clocks due between the watermark and its `at`. Returns how many
-- clocks moved. Called after reports_rebuild() by a bulk load, and by the SLA watcher
-- (reports_advance_due, below).
CREATE FUNCTION helpdesk.reports_advance(due_before timestamptz DEFAULT now())
RETURNS bigint
LANGUAGE plpgsql VOLATILE
AS $$
DECLARE
    was timestamptz;
    n bigint;
BEGIN
    -- (the lock first: a ticket write in flight applied its fact with the old watermark and
    -- commits before the facts are read; the next ones read the new watermark, report_refresh.
    -- Its rows are this backend's shard, as a writer's.)
    LOCK TABLE helpdesk.report_ticket_facts, helpdesk.report_day_stats, helpdesk.report_day_staff IN EXCLUSIVE MODE;
    SELECT s.due_before INTO was FROM helpdesk.report_state s FOR UPDATE;
    IF reports_advance.due_before <= was THEN
        RETURN 0;
    END IF;
    WITH moved AS MATERIALIZED (
        SELECT f.*, coalesce(f.res_due_at >= was AND f.res_due_at < reports_advance.due_before, false) AS res_over,
               coalesce(f.resp_due_at >= was AND f.resp_due_at < reports_advance.due_before, false) AS resp_over
        FROM helpdesk.report_ticket_facts f
        WHERE (f.res_due_at >= was AND f.res_due_at < reports_advance.due_before)
           OR (f.resp_due_at >= was AND f.resp_due_at < reports_advance.due_before)),
    stats AS (
        INSERT INTO helpdesk.report_day_stats AS s
        SELECT g.month, g.day, f.status, f.priority, pg_catalog.pg_backend_pid(), 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
               count(*) FILTER (WHERE f.res_over), count(*) FILTER (WHERE f.resp_over),
               count(*) FILTER (WHERE x.o_over), coalesce(sum(f.wall_seconds) FILTER (WHERE x.o_over), 0),
               coalesce(sum(f.business_seconds) FILTER (WHERE x.o_over), 0)
        FROM moved f
        CROSS JOIN LATERAL (SELECT f.res_over AND f.resolved_at IS NOT NULL AS o_over) x
        CROSS JOIN LATERAL (VALUES (false, f.day), (true, pg_catalog.date_trunc('month', f.day::timestamp)::date),
                                   (true, 'infinity')) g (month, day)
        GROUP BY g.month, g.day, f.status, f.priority
        ON CONFLICT (month, day, status, priority, shard) DO UPDATE SET
            res_over = s.res_over + EXCLUDED.res_over, resp_over = s.resp_over + EXCLUDED.resp_over,
            o_over_n = s.o_over_n + EXCLUDED.o_over_n, o_over_wall = s.o_over_wall + EXCLUDED.o_over_wall,
            o_over_business = s.o_over_business + EXCLUDED.o_over_business),
    staff AS (
        INSERT INTO helpdesk.report_day_staff AS s
        SELECT g.month, g.day, f.assignee_id, pg_catalog.pg_backend_pid(), 0, 0, 0, 0, 0, 0, count(*)
        FROM moved f
        CROSS JOIN LATERAL (VALUES (false, f.day), (true, pg_catalog.date_trunc('month', f.day::timestamp)::date),
                                   (true, 'infinity')) g (month, day)
        WHERE f.assignee_id IS NOT NULL AND f.res_over
        GROUP BY g.month, g.day, f.assignee_id
        ON CONFLICT (month, day, assignee_id, shard) DO UPDATE SET res_over = s.res_over + EXCLUDED.res_over)
    SELECT count(*) INTO n FROM moved;
    UPDATE helpdesk.report_state s SET due_before = reports_advance.due_before;
    RETURN n;
END
$$;

-- The watermark at most an hour behind `at`: the SLA watcher calls this before each round, in a
-- transaction of its own (extension/sla_worker.c). Returns the clocks moved.
CREATE FUNCTION helpdesk.reports_advance_due(at timestamptz)
RETURNS bigint
LANGUAGE plpgsql VOLATILE
AS $$
BEGIN
    IF (SELECT s.due_before FROM helpdesk.report_state s) < at - interval '1 hour' THEN
        RETURN helpdesk.reports_advance(at);
    END IF;
    RETURN 0;
END
$$;

-- The desk's time zone changed (the default calendar's): the day keys follow, in the same
-- transaction (the facts keep their business seconds: the calendar being edited may have no
-- working window yet).
CREATE FUNCTION helpdesk.report_time_zone_changed()
RETURNS trigger
LANGUAGE plpgsql
AS $$
DECLARE
    tz text := helpdesk.report_time_zone();
BEGIN
    IF NOT helpdesk.report_summary_ready() THEN
        LOCK TABLE helpdesk.report_ticket_facts, helpdesk.report_day_stats, helpdesk.report_day_categories,
                   helpdesk.report_day_staff, helpdesk.report_day_events, helpdesk.report_open_counts IN EXCLUSIVE MODE;
        UPDATE helpdesk.report_ticket_facts f SET day = (f.created_at AT TIME ZONE tz)::date
        WHERE f.day <> (f.created_at AT TIME ZONE tz)::date;
        PERFORM helpdesk.report_summaries_from_facts(tz);
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER calendars_95_report_zone AFTER INSERT OR UPDATE OR DELETE ON helpdesk.calendars
    FOR EACH STATEMENT EXECUTE FUNCTION helpdesk.report_time_zone_changed();

-- Filled from the tickets there are: nothing on a fresh install; an upgrade from a release
-- without the summary tables (1.0) builds them here, in the upgrade's transaction.
SELECT helpdesk.reports_rebuild() >= 0 AS summary_built;

-- The tickets a report counts: created in [from_at, to_at), of `own` submitter when not NULL,
-- with their clocks' outcomes at `at` (NULL: no such clock) and resolution seconds.
CREATE FUNCTION helpdesk.report_tickets(from_at timestamptz, to_at timestamptz, own int, at timestamptz)
RETURNS TABLE (id int, status helpdesk.ticket_status, priority helpdesk.ticket_priority, category_id int,
               assignee_id int, created_at timestamptz, resolved_at timestamptz,
               resolution_met boolean, resolution_breached boolean, response_met boolean, response_breached boolean)
LANGUAGE sql STABLE
AS $$
    SELECT t.id, t.status, t.priority, t.category_id, t.assignee_id, t.created_at, t.resolved_at,
           rc.state = 'met', helpdesk.sla_clock_breached(rc, at),
           pc.state = 'met', helpdesk.sla_clock_breached(pc, at)
    FROM helpdesk.tickets t
    LEFT JOIN helpdesk.sla_clocks rc ON rc.ticket_id = t.id AND rc.kind = 'resolution'
    LEFT JOIN helpdesk.sla_clocks pc ON pc.ticket_id = t.id AND pc.kind = 'response'
    WHERE t.created_at >= from_at AND t.created_at < to_at
      AND (own IS NULL OR t.submitter_id = own)
$$;

-- ---- the sums every range report is made of -------------------------------------------------
-- One row per group of the tickets created in [from_at, to_at) at `at`; `dims` says the
-- grouping: 'status' (status x priority), 'category', 'assignee' (tickets with one). Columns:
-- tickets; resolved (with resolved_at) and their wall / business seconds; o_*: the resolved
-- ones whose resolution clock is met or breached at `at`; the clocks' met and breached counts.
-- report_sums_recount reads the tickets (an Employee's own, or when the day tables are not in
-- the desk's time zone); report_sums_summary the day tables for the whole days of the range,
-- the facts of the partial first and last days, and the running clocks past due at `at`.
CREATE TYPE helpdesk.report_sum AS (
    status helpdesk.ticket_status, priority helpdesk.ticket_priority, category_id int, assignee_id int,
    tickets bigint, resolved bigint, wall numeric, business numeric,
    o_n bigint, o_wall numeric, o_business numeric,
    res_met bigint, res_breached bigint, resp_met bigint, resp_breached bigint);

CREATE FUNCTION helpdesk.report_sums_recount(dims text, from_at timestamptz, to_at timestamptz, own int,
                                             at timestamptz, with_business boolean)
RETURNS SETOF helpdesk.report_sum
LANGUAGE sql STABLE
AS $$
    SELECT CASE WHEN dims = 'status' THEN t.status END, CASE WHEN dims = 'status' THEN t.priority END,
           CASE WHEN dims = 'category' THEN t.category_id END, CASE WHEN dims = 'assignee' THEN t.assignee_id END,
           count(*), count(t.resolved_at), coalesce(sum(x.wall), 0), coalesce(sum(x.business), 0),
           count(*) FILTER (WHERE x.o), coalesce(sum(x.wall) FILTER (WHERE x.o), 0),
           coalesce(sum(x.business) FILTER (WHERE x.o), 0),
           count(*) FILTER (WHERE t.resolution_met), count(*) FILTER (WHERE t.resolution_breached),
           count(*) FILTER (WHERE t.response_met), count(*) FILTER (WHERE t.response_breached)
    FROM helpdesk.report_tickets(from_at, to_at, own, at) t
    CROSS JOIN LATERAL (
        SELECT extract(epoch FROM t.resolved_at - t.created_at) AS wall,
               CASE WHEN with_business AND t.resolved_at IS NOT NULL
                    THEN helpdesk.report_business_seconds(t.created_at, t.resolved_at) END AS business,
               t.resolved_at IS NOT NULL AND (t.resolution_met OR t.resolution_breached) AS o) x
    WHERE dims <> 'assignee' OR t.assignee_id IS NOT NULL
    GROUP BY 1, 2, 3, 4
$$;

-- The whole local days [d1, d2) inside [from_at, to_at) (NULL: unbounded), and the partial
-- parts [from_at, p1) and [p2, to_at) around them.
-- (A one-row set: a set-returning SQL function is inlined into the caller's query, a row one
-- is planned at every call.)
CREATE FUNCTION helpdesk.report_day_bounds(from_at timestamptz, to_at timestamptz, tz text)
RETURNS TABLE (d1 date, d2 date, p1 timestamptz, p2 timestamptz)
LANGUAGE sql STABLE
AS $$
    SELECT b.d1, b.d2, q.p1, greatest(coalesce(b.d2::timestamp AT TIME ZONE tz, to_at), q.p1)
    FROM (SELECT CASE WHEN from_at = '-infinity' THEN NULL
                      ELSE (from_at AT TIME ZONE tz)::date
                           + CASE WHEN ((from_at AT TIME ZONE tz)::date::timestamp AT TIME ZONE tz) = from_at THEN 0 ELSE 1 END
                 END AS d1,
                 CASE WHEN to_at = 'infinity' THEN NULL ELSE (to_at AT TIME ZONE tz)::date END AS d2) b
    CROSS JOIN LATERAL (SELECT least(coalesce(b.d1::timestamp AT TIME ZONE tz, from_at), to_at) AS p1) q
$$;

-- Whether a day-table row counts for the whole days [d1, d2) whose whole months are [m1, m2):
-- a month row of those months, a day row outside them; or the all-time row when `top` is
-- 'infinity' (then the others are empty ranges). (Inlined: an index condition each.)
CREATE FUNCTION helpdesk.report_in_days(is_month boolean, day date, d1 date, d2 date, m1 date, m2 date, top date)
RETURNS boolean
LANGUAGE sql IMMUTABLE
AS $$
    SELECT (is_month AND day >= m1 AND day < m2)
           OR (NOT is_month AND day >= d1 AND day < least(m1, d2))
           OR (NOT is_month AND day >= greatest(m2, d1) AND day < d2)
           OR (is_month AND day = top)
$$;

-- The facts arm reads the partial first and last days whole, and of the whole days only the
-- running clocks whose deadline lies between report_state.due_before and `at`: counted breached
-- (sign 1) when due in [due_before, at), taken back from the day tables' *_over sums (sign -1)
-- when due in [at, due_before). (The clocks due before the watermark are in *_over: at a million
-- tickets they are tens of thousands of rows, the ones read here the few due since.)
CREATE FUNCTION helpdesk.report_sums_summary(dims text, from_at timestamptz, to_at timestamptz, at timestamptz)
RETURNS SETOF helpdesk.report_sum
LANGUAGE sql STABLE
AS $$
    WITH b AS MATERIALIZED (
        -- (no bound: the all-time rows, every other range of rows empty)
        SELECT CASE WHEN r.whole THEN 'infinity' ELSE r.d1 END AS d1, r.d2, r.p1, r.p2,
               CASE WHEN r.whole THEN 'infinity' ELSE m.m1 END AS m1,
               CASE WHEN r.whole THEN 'infinity' ELSE greatest(m.m2, m.m1) END AS m2,
               CASE WHEN r.whole THEN 'infinity'::date END AS top,
               least(w.due_before, at) AS lo, greatest(w.due_before, at) AS hi,
               CASE WHEN at > w.due_before THEN 1 ELSE -1 END AS sign
        FROM (SELECT coalesce(r.d1, '-infinity') AS d1, coalesce(r.d2, 'infinity') AS d2, r.p1, r.p2,
                     r.d1 IS NULL AND r.d2 IS NULL AS whole
              FROM helpdesk.report_day_bounds(from_at, to_at, helpdesk.report_time_zone()) r) r
        -- the whole months [m1, m2) inside the whole days [d1, d2)
        CROSS JOIN LATERAL (
            SELECT CASE WHEN NOT isfinite(r.d1) THEN r.d1
                        WHEN extract(day FROM r.d1) = 1 THEN r.d1
                        ELSE (pg_catalog.date_trunc('month', r.d1::timestamp) + interval '1 month')::date END AS m1,
                   CASE WHEN NOT isfinite(r.d2) THEN r.d2 ELSE pg_catalog.date_trunc('month', r.d2::timestamp)::date END AS m2) m
        -- (LIMIT 1: its one row, which the planner takes for 1,180 while the table is unanalysed)
        CROSS JOIN (SELECT s.due_before FROM helpdesk.report_state s LIMIT 1) w),
    -- facts: the partial days whole (part), and the whole days' running clocks due between the
    -- watermark and `at` (not part)
    f AS (
        -- (b's values as scalar subqueries: index conditions of one scan each, whatever the
        -- estimates; the deadline arms each through their partial index)
        SELECT f.*, true AS part, 0 AS res_sign, 0 AS resp_sign FROM helpdesk.report_ticket_facts f
        WHERE f.created_at >= from_at AND f.created_at < (SELECT b.p1 FROM b)
        UNION ALL
        SELECT f.*, true, 0, 0 FROM helpdesk.report_ticket_facts f
        WHERE f.created_at >= (SELECT b.p2 FROM b) AND f.created_at < to_at
        UNION ALL
        SELECT f.*, false, b.sign, CASE WHEN f.resp_due_at >= b.lo AND f.resp_due_at < b.hi THEN b.sign ELSE 0 END
        FROM helpdesk.report_ticket_facts f, b
        WHERE f.res_due_at >= (SELECT b.lo FROM b) AND f.res_due_at < (SELECT b.hi FROM b)
          AND f.created_at + interval '0' >= b.p1 AND f.created_at + interval '0' < b.p2
        UNION ALL
        SELECT f.*, false, 0, b.sign FROM helpdesk.report_ticket_facts f, b
        WHERE f.resp_due_at >= (SELECT b.lo FROM b) AND f.resp_due_at < (SELECT b.hi FROM b)
          AND NOT coalesce(f.res_due_at >= b.lo AND f.res_due_at < b.hi, false)
          AND f.created_at + interval '0' >= b.p1 AND f.created_at + interval '0' < b.p2)
    SELECT g.status, g.priority, g.category_id, g.assignee_id,
           sum(g.tickets)::bigint, sum(g.resolved)::bigint, sum(g.wall), sum(g.business),
           sum(g.o_n)::bigint, sum(g.o_wall), sum(g.o_business),
           sum(g.res_met)::bigint, sum(g.res_breached)::bigint, sum(g.resp_met)::bigint, sum(g.resp_breached)::bigint
    FROM (
        SELECT s.status, s.priority, NULL::int AS category_id, NULL::int AS assignee_id, s.tickets, s.resolved,
               s.wall, s.business, s.o_n + s.o_over_n AS o_n, s.o_wall + s.o_over_wall AS o_wall,
               s.o_business + s.o_over_business AS o_business, s.res_met, s.res_missed + s.res_over AS res_breached,
               s.resp_met, s.resp_missed + s.resp_over AS resp_breached
        FROM helpdesk.report_day_stats s, b
        WHERE dims = 'status' AND helpdesk.report_in_days(s.month, s.day, b.d1, b.d2, b.m1, b.m2, b.top)
        UNION ALL
        SELECT NULL, NULL, c.category_id, NULL, c.tickets, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0
        FROM helpdesk.report_day_categories c, b
        WHERE dims = 'category' AND helpdesk.report_in_days(c.month, c.day, b.d1, b.d2, b.m1, b.m2, b.top)
        UNION ALL
        SELECT NULL, NULL, NULL, s.assignee_id, s.tickets, s.resolved, s.wall, s.business, 0, 0, 0,
               s.res_met, s.res_missed + s.res_over, 0, 0
        FROM helpdesk.report_day_staff s, b
        WHERE dims = 'assignee' AND helpdesk.report_in_days(s.month, s.day, b.d1, b.d2, b.m1, b.m2, b.top)
        UNION ALL
        SELECT CASE WHEN dims = 'status' THEN f.status END, CASE WHEN dims = 'status' THEN f.priority END,
               CASE WHEN dims = 'category' THEN f.category_id END, CASE WHEN dims = 'assignee' THEN f.assignee_id END,
               count(*) FILTER (WHERE f.part), count(f.resolved_at) FILTER (WHERE f.part),
               coalesce(sum(f.wall_seconds) FILTER (WHERE f.part), 0),
               coalesce(sum(f.business_seconds) FILTER (WHERE f.part), 0),
               coalesce(sum(x.o), 0), coalesce(sum(x.o * f.wall_seconds), 0), coalesce(sum(x.o * f.business_seconds), 0),
               count(*) FILTER (WHERE f.part AND f.res_met), coalesce(sum(x.res_breached), 0),
               count(*) FILTER (WHERE f.part AND f.resp_met), coalesce(sum(x.resp_breached), 0)
        FROM f
        CROSS JOIN LATERAL (
            SELECT CASE WHEN f.part THEN (f.res_missed OR coalesce(f.res_due_at < at, false))::int ELSE f.res_sign END AS res_breached,
                   CASE WHEN f.part THEN (f.resp_missed OR coalesce(f.resp_due_at < at, false))::int ELSE f.resp_sign END AS resp_breached) y
        CROSS JOIN LATERAL (
            -- (o: a resolved ticket whose resolution clock is met or breached at `at`)
            SELECT CASE WHEN f.resolved_at IS NULL THEN 0
                        WHEN f.part THEN (f.res_met OR y.res_breached = 1)::int
                        ELSE y.res_breached END AS o,
                   y.res_breached, y.resp_breached) x
        WHERE dims <> 'assignee' OR f.assignee_id IS NOT NULL
        GROUP BY 1, 2, 3, 4) g
    GROUP BY 1, 2, 3, 4
$$;

-- The sums a report reads: from the summary for staff, recounted for an Employee's own tickets
-- (and while the day tables are not in the desk's time zone). PL/pgSQL, so that the summary's
-- query is planned once per connection (a generic plan: its shape does not depend on the
-- range), where inlined into each report's query it was planned again at every call (~1.5 ms;
-- the reports below force generic plans too: their statements were planned at every call);
-- the recount is planned with the call's values (EXECUTE), an Employee's tickets through the
-- submitter's index.
CREATE FUNCTION helpdesk.report_sums(dims text, from_at timestamptz, to_at timestamptz, own int, at timestamptz,
                                     with_business boolean DEFAULT false)
RETURNS SETOF helpdesk.report_sum
LANGUAGE plpgsql STABLE
SET plan_cache_mode = force_generic_plan
AS $$
BEGIN
    -- (one statement per grouping: each plan holds only its own arms, smaller to start)
    IF own IS NULL AND helpdesk.report_summary_ready() AND dims = 'status' THEN
        RETURN QUERY SELECT * FROM helpdesk.report_sums_summary('status', from_at, to_at, at);
    ELSIF own IS NULL AND helpdesk.report_summary_ready() AND dims = 'category' THEN
        RETURN QUERY SELECT * FROM helpdesk.report_sums_summary('category', from_at, to_at, at);
    ELSIF own IS NULL AND helpdesk.report_summary_ready() AND dims = 'assignee' THEN
        RETURN QUERY SELECT * FROM helpdesk.report_sums_summary('assignee', from_at, to_at, at);
    ELSE
        RETURN QUERY EXECUTE 'SELECT * FROM helpdesk.report_sums_recount($1, $2, $3, $4, $5, $6)'
            USING dims, from_at, to_at, own, at, with_business;
    END IF;
END
$$;

-- avg = sum / n, NULL (report_hours: 0) for none.
CREATE FUNCTION helpdesk.report_avg(total numeric, n numeric)
RETURNS numeric
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$ SELECT total / nullif(n, 0) $$;

-- The submitter whose tickets an actor's dashboard counts: NULL (all) for staff.
CREATE FUNCTION helpdesk.report_scope(actor helpdesk.users)
RETURNS int
LANGUAGE sql IMMUTABLE
AS $$ SELECT CASE WHEN helpdesk.is_staff(actor) THEN NULL ELSE actor.id END $$;

-- Tickets at risk at `at` (the one definition, sla_clock_at_risk), of `own` submitter when not
-- NULL. An at-risk clock is running, warned and not yet due: the conditions of sla_at_risk_ids,
-- read in sla_clocks_running_deadlines_idx (sql/30_tickets.sql).
-- (PL/pgSQL: its query planned once per connection; a SQL function called in an expression is
-- planned at every call.)
CREATE FUNCTION helpdesk.report_at_risk(at timestamptz, own int)
RETURNS bigint
LANGUAGE plpgsql STABLE
SET plan_cache_mode = force_generic_plan
AS $$
BEGIN
    RETURN (SELECT count(*) FROM helpdesk.sla_clocks c
            WHERE c.kind = 'resolution' AND c.state = 'running' AND c.due_at >= at AND c.warn_at <= at
              AND helpdesk.sla_clock_at_risk(c, at)
              AND (own IS NULL OR EXISTS (SELECT FROM helpdesk.tickets t WHERE t.id = c.ticket_id AND t.submitter_id = own)));
END
$$;

-- ---- action-required (everyone; each role its own count) ------------------------------------
-- The open counts in one read of report_open_counts (assignee 0: none). (PL/pgSQL: planned once
-- per connection.)
CREATE FUNCTION helpdesk.report_action_required(actor helpdesk.users)
RETURNS jsonb
LANGUAGE plpgsql STABLE
SET plan_cache_mode = force_generic_plan
AS $$
BEGIN
    RETURN (
    SELECT jsonb_build_object(
               'actionRequired', CASE actor.role WHEN 'Admin' THEN s.new_tickets + s.unassigned
                                                 WHEN 'IT_Staff' THEN s.new_tickets + s.assigned_to_me
                                                 ELSE s.my_open END,
               'breakdown', jsonb_build_object('newTickets', s.new_tickets, 'newUnassigned', s.new_unassigned,
                                               'assignedToMe', s.assigned_to_me, 'unassigned', s.unassigned,
                                               'myOpenTickets', s.my_open))
    FROM (SELECT CASE WHEN helpdesk.is_staff(actor) THEN o.new_tickets ELSE 0 END AS new_tickets,
                 CASE WHEN helpdesk.is_staff(actor) THEN o.new_unassigned ELSE 0 END AS new_unassigned,
                 o.assigned_to_me,
                 CASE WHEN helpdesk.is_staff(actor) THEN o.unassigned ELSE 0 END AS unassigned,
                 -- the status tested in the aggregate, not in WHERE: there the planner ANDs the
                 -- submitter index with tickets_open_assignee_idx, a read of every open ticket's
                 -- entry (73,000 at 1M: 5.7 ms) for an Employee's ~200 tickets (0.4 ms)
                 (SELECT count(*) FILTER (WHERE t.status NOT IN ('Resolved', 'Closed')) FROM helpdesk.tickets t
                  WHERE t.submitter_id = actor.id) AS my_open
          FROM (SELECT coalesce(sum(c.n) FILTER (WHERE c.status = 'New'), 0)::bigint AS new_tickets,
                       coalesce(sum(c.n) FILTER (WHERE c.status = 'New' AND c.assignee_id = 0), 0)::bigint AS new_unassigned,
                       coalesce(sum(c.n) FILTER (WHERE c.status IN ('Assigned', 'In Progress')
                                                   AND c.assignee_id = actor.id), 0)::bigint AS assigned_to_me,
                       coalesce(sum(c.n) FILTER (WHERE c.status IN ('Assigned', 'In Progress', 'Pending')
                                                   AND c.assignee_id = 0), 0)::bigint AS unassigned
                FROM helpdesk.report_open_counts c) o) s);
END
$$;

-- ---- dashboard (everyone; an Employee's counts only their own tickets) ----------------------
CREATE FUNCTION helpdesk.report_dashboard(actor helpdesk.users, from_at timestamptz, to_at timestamptz,
                                          at timestamptz DEFAULT now())
RETURNS jsonb
LANGUAGE plpgsql STABLE
SET plan_cache_mode = force_generic_plan
AS $$
DECLARE
    tz text := helpdesk.report_time_zone();
    own int := helpdesk.report_scope(actor);
    day_start timestamptz := helpdesk.report_period_start('day', at, tz);
    week_start timestamptz := helpdesk.report_period_start('week', at, tz);
    month_start timestamptz := helpdesk.report_period_start('month', at, tz);
    r record;
    closed record;
    today bigint;
    risk bigint;
    chat record;
BEGIN
    SELECT coalesce(sum(t.tickets), 0) AS total,
           coalesce(sum(t.tickets) FILTER (WHERE t.status IN ('New', 'Assigned', 'In Progress', 'Pending')), 0) AS open,
           coalesce(sum(t.tickets) FILTER (WHERE t.status = 'New'), 0) AS s_new,
           coalesce(sum(t.tickets) FILTER (WHERE t.status = 'Assigned'), 0) AS s_assigned,
           coalesce(sum(t.tickets) FILTER (WHERE t.status = 'In Progress'), 0) AS s_in_progress,
           coalesce(sum(t.tickets) FILTER (WHERE t.status = 'Pending'), 0) AS s_pending,
           coalesce(sum(t.tickets) FILTER (WHERE t.status = 'Resolved'), 0) AS s_resolved,
           coalesce(sum(t.tickets) FILTER (WHERE t.status = 'Closed'), 0) AS s_closed,
           coalesce(sum(t.tickets) FILTER (WHERE t.priority = 'High'), 0) AS p_high,
           coalesce(sum(t.tickets) FILTER (WHERE t.priority = 'Medium'), 0) AS p_medium,
           coalesce(sum(t.tickets) FILTER (WHERE t.priority = 'Low'), 0) AS p_low,
           helpdesk.report_avg(sum(t.wall), sum(t.resolved)) AS resolution_seconds,
           coalesce(sum(t.res_met), 0)::bigint AS met,
           coalesce(sum(t.res_breached), 0)::bigint AS breached
    INTO r
    FROM helpdesk.report_sums('status', from_at, to_at, own, at) t;

    -- closed today (live: the day so far), this week and this month (whole days: the summary);
    -- the week counted within the month, as the month's query always did
    SELECT count(*) INTO today FROM helpdesk.tickets t
    WHERE t.status = 'Closed' AND t.closed_at >= day_start AND t.closed_at <= at
      AND (own IS NULL OR t.submitter_id = own);
    IF own IS NULL AND helpdesk.report_summary_ready() THEN
        SELECT coalesce(sum(e.n) FILTER (WHERE e.day >= (greatest(week_start, month_start) AT TIME ZONE tz)::date), 0)::bigint AS week,
               coalesce(sum(e.n), 0)::bigint AS month
        INTO closed
        FROM helpdesk.report_day_events e
        WHERE e.event = 'closed' AND e.day >= (month_start AT TIME ZONE tz)::date AND e.day < (day_start AT TIME ZONE tz)::date;
    ELSE
        SELECT count(*) FILTER (WHERE t.closed_at >= week_start) AS week, count(*) AS month
        INTO closed
        FROM helpdesk.tickets t
        WHERE t.status = 'Closed' AND t.closed_at >= month_start AND t.closed_at < day_start
          AND (own IS NULL OR t.submitter_id = own);
    END IF;

    risk := helpdesk.report_at_risk(at, own);

    SELECT count(*) AS conversations,
           count(*) FILTER (WHERE d.conversation_id IS NOT NULL AND d.ticket_id IS NULL AND c.ticket_id IS NULL) AS deflected,
           count(*) FILTER (WHERE c.ticket_id IS NOT NULL) AS from_chat
    INTO chat
    FROM helpdesk.chatbot_conversations c
    LEFT JOIN helpdesk.chatbot_deflections d ON d.conversation_id = c.id
    WHERE c.started_at >= from_at AND c.started_at < to_at AND (own IS NULL OR c.user_id = own);

    RETURN jsonb_build_object(
        'totalTickets', r.total,
        'openTickets', r.open,
        'closedToday', today,
        'closedThisWeek', closed.week + today,
        'closedThisMonth', closed.month + today,
        'avgResolutionTime', helpdesk.report_hours(r.resolution_seconds),
        'slaComplianceRate', helpdesk.report_percent(r.met, r.met + r.breached),
        'slaBreached', r.breached,
        'slaAtRisk', risk,
        'ticketsByPriority', jsonb_build_object('high', r.p_high, 'medium', r.p_medium, 'low', r.p_low),
        'ticketsByStatus', jsonb_build_object('new', r.s_new, 'assigned', r.s_assigned, 'in_progress', r.s_in_progress,
                                              'pending', r.s_pending, 'resolved', r.s_resolved, 'closed', r.s_closed),
        'selfService', jsonb_build_object('conversations', chat.conversations, 'deflected', chat.deflected,
                                          'ticketsFromChat', chat.from_chat));
END
$$;

-- ---- tickets by status / category / priority (IT_Staff, Admin) -----------------------------
CREATE FUNCTION helpdesk.report_by_status(actor helpdesk.users, from_at timestamptz, to_at timestamptz,
                                          at timestamptz DEFAULT now())
RETURNS jsonb
LANGUAGE plpgsql STABLE
SET plan_cache_mode = force_generic_plan
AS $$
BEGIN
    PERFORM helpdesk.require_role(actor, 'IT_Staff', 'Admin');
    RETURN (SELECT coalesce(jsonb_agg(jsonb_build_object('status', g.status, 'count', g.n,
                                                         'percentage', helpdesk.report_percent(g.n, g.total))
                                      ORDER BY g.status), '[]')
            FROM (SELECT s.status, sum(s.tickets)::bigint AS n, sum(sum(s.tickets)) OVER ()::bigint AS total
                  FROM helpdesk.report_sums('status', from_at, to_at, NULL, at) s
                  GROUP BY s.status HAVING sum(s.tickets) > 0) g);
END
$$;

CREATE FUNCTION helpdesk.report_by_category(actor helpdesk.users, from_at timestamptz, to_at timestamptz,
                                            at timestamptz DEFAULT now())
RETURNS jsonb
LANGUAGE plpgsql STABLE
SET plan_cache_mode = force_generic_plan
AS $$
BEGIN
    PERFORM helpdesk.require_role(actor, 'IT_Staff', 'Admin');
    RETURN (SELECT coalesce(jsonb_agg(jsonb_build_object('categoryId', g.category_id, 'categoryName', c.name, 'count', g.n,
                                                         'percentage', helpdesk.report_percent(g.n, g.total))
                                      ORDER BY g.n DESC, g.category_id), '[]')
            FROM (SELECT s.category_id, sum(s.tickets)::bigint AS n, sum(sum(s.tickets)) OVER ()::bigint AS total
                  FROM helpdesk.report_sums('category', from_at, to_at, NULL, at) s
                  GROUP BY s.category_id HAVING sum(s.tickets) > 0) g
            JOIN helpdesk.categories c ON c.id = g.category_id);
END
$$;

-- Every ticket of the range per priority (the percentage over that same set, not only the
-- resolved ones as the reference did), with the resolved ones' average resolution time.
CREATE FUNCTION helpdesk.report_by_priority(actor helpdesk.users, from_at timestamptz, to_at timestamptz,
                                            at timestamptz DEFAULT now())
RETURNS jsonb
LANGUAGE plpgsql STABLE
SET plan_cache_mode = force_generic_plan
AS $$
BEGIN
    PERFORM helpdesk.require_role(actor, 'IT_Staff', 'Admin');
    RETURN (SELECT coalesce(jsonb_agg(jsonb_build_object(
                       'priority', g.priority, 'count', g.n, 'resolvedCount', g.resolved,
                       'percentage', helpdesk.report_percent(g.n, g.total),
                       'averageResolutionHours', helpdesk.report_hours(helpdesk.report_avg(g.wall, g.resolved)),
                       'averageResolutionBusinessHours', helpdesk.report_hours(helpdesk.report_avg(g.business, g.resolved)))
                   ORDER BY g.priority DESC), '[]')
            FROM (SELECT s.priority, sum(s.tickets)::bigint AS n, sum(s.resolved)::bigint AS resolved,
                         sum(sum(s.tickets)) OVER ()::bigint AS total, sum(s.wall) AS wall, sum(s.business) AS business
                  FROM helpdesk.report_sums('status', from_at, to_at, NULL, at, true) s
                  GROUP BY s.priority HAVING sum(s.tickets) > 0) g);
END
$$;

-- ---- SLA compliance (IT_Staff, Admin): both clocks, per priority ----------------------------
CREATE FUNCTION helpdesk.report_sla_compliance(actor helpdesk.users, from_at timestamptz, to_at timestamptz,
                                               at timestamptz DEFAULT now())
RETURNS jsonb
LANGUAGE plpgsql STABLE
SET plan_cache_mode = force_generic_plan
AS $$
DECLARE
    r record;
BEGIN
    PERFORM helpdesk.require_role(actor, 'IT_Staff', 'Admin');
    WITH g AS (
        SELECT s.priority, sum(s.res_met)::bigint AS met, sum(s.res_breached)::bigint AS breached,
               sum(s.resp_met)::bigint AS response_met, sum(s.resp_breached)::bigint AS response_breached,
               sum(s.o_n) AS o_n, sum(s.o_wall) AS o_wall, sum(s.o_business) AS o_business
        FROM helpdesk.report_sums('status', from_at, to_at, NULL, at, true) s
        GROUP BY s.priority)
    SELECT coalesce((SELECT sum(g.met) FROM g), 0)::bigint AS met,
           coalesce((SELECT sum(g.breached) FROM g), 0)::bigint AS breached,
           coalesce((SELECT sum(g.response_met) FROM g), 0)::bigint AS response_met,
           coalesce((SELECT sum(g.response_breached) FROM g), 0)::bigint AS response_breached,
           (SELECT helpdesk.report_avg(sum(g.o_wall), sum(g.o_n)) FROM g) AS wall,
           (SELECT helpdesk.report_avg(sum(g.o_business), sum(g.o_n)) FROM g) AS business,
           (SELECT jsonb_agg(jsonb_build_object(
                       'priority', p.priority, 'total', coalesce(g.met + g.breached, 0), 'met', coalesce(g.met, 0),
                       'breached', coalesce(g.breached, 0), 'rate', helpdesk.report_percent(g.met, g.met + g.breached),
                       'responseTotal', coalesce(g.response_met + g.response_breached, 0),
                       'responseMet', coalesce(g.response_met, 0), 'responseBreached', coalesce(g.response_breached, 0),
                       'responseRate', helpdesk.report_percent(g.response_met, g.response_met + g.response_breached))
                   ORDER BY p.priority DESC)
            FROM unnest(pg_catalog.enum_range(NULL::helpdesk.ticket_priority)) p (priority)
            LEFT JOIN g ON g.priority = p.priority) AS by_priority
    INTO r;

    RETURN jsonb_build_object(
        'totalTickets', r.met + r.breached,
        'metSla', r.met,
        'breachedSla', r.breached,
        'complianceRate', helpdesk.report_percent(r.met, r.met + r.breached),
        'averageResolutionHours', helpdesk.report_hours(r.wall),
        'averageResolutionBusinessHours', helpdesk.report_hours(r.business),
        'response', jsonb_build_object('total', r.response_met + r.response_breached, 'met', r.response_met,
                                       'breached', r.response_breached,
                                       'rate', helpdesk.report_percent(r.response_met, r.response_met + r.response_breached)),
        'byPriority', r.by_priority);
END
$$;

-- ---- staff performance (Admin) --------------------------------------------------------------
CREATE FUNCTION helpdesk.report_staff_performance(actor helpdesk.users, from_at timestamptz, to_at timestamptz,
                                                  at timestamptz DEFAULT now())
RETURNS jsonb
LANGUAGE plpgsql STABLE
SET plan_cache_mode = force_generic_plan
AS $$
BEGIN
    PERFORM helpdesk.require_role(actor, 'Admin');
    RETURN (SELECT coalesce(jsonb_agg(jsonb_build_object(
                       'staffId', u.id, 'staffName', u.full_name, 'staffEmail', u.email,
                       'assignedTickets', coalesce(g.assigned, 0), 'resolvedTickets', coalesce(g.resolved, 0),
                       'averageResolutionHours', helpdesk.report_hours(helpdesk.report_avg(g.wall, g.resolved)),
                       'averageResolutionBusinessHours', helpdesk.report_hours(helpdesk.report_avg(g.business, g.resolved)),
                       'slaComplianceRate', helpdesk.report_percent(g.met, g.met + g.breached),
                       'currentWorkload', coalesce(w.n, 0))
                   ORDER BY coalesce(g.resolved, 0) DESC, u.id), '[]')
            FROM helpdesk.users u
            -- (every workload in one read of the open counts, not a query per staff member)
            LEFT JOIN (SELECT o.assignee_id, sum(o.n)::bigint AS n FROM helpdesk.report_open_counts o
                       WHERE o.status IN ('Assigned', 'In Progress', 'Pending') GROUP BY o.assignee_id) w
                   ON w.assignee_id = u.id
            LEFT JOIN (SELECT s.assignee_id, sum(s.tickets)::bigint AS assigned, sum(s.resolved)::bigint AS resolved,
                              sum(s.wall) AS wall, sum(s.business) AS business,
                              sum(s.res_met)::bigint AS met, sum(s.res_breached)::bigint AS breached
                       FROM helpdesk.report_sums('assignee', from_at, to_at, NULL, at, true) s
                       GROUP BY s.assignee_id) g ON g.assignee_id = u.id
            WHERE u.role IN ('IT_Staff', 'Admin'));
END
$$;

-- ---- trends (IT_Staff, Admin): `lim` buckets ending with the one containing `at` -------------
-- Buckets are local days, ISO weeks (from Monday) or calendar months of the desk's time zone;
-- `period` is the bucket's first local date. Whole local days: the summary's event days.
CREATE FUNCTION helpdesk.report_trends(actor helpdesk.users, period text, lim int, at timestamptz DEFAULT now())
RETURNS jsonb
LANGUAGE plpgsql STABLE
SET plan_cache_mode = force_generic_plan
AS $$
DECLARE
    tz text := helpdesk.report_time_zone();
    step interval := CASE period WHEN 'day' THEN interval '1 day' WHEN 'week' THEN interval '1 week'
                                 ELSE interval '1 month' END;
    last_start timestamp := pg_catalog.date_trunc(period, at AT TIME ZONE tz);
    first_at timestamptz;
BEGIN
    PERFORM helpdesk.require_role(actor, 'IT_Staff', 'Admin');
    first_at := (last_start - (lim - 1) * step) AT TIME ZONE tz;
    IF helpdesk.report_summary_ready() THEN
        RETURN (
            WITH buckets AS (
                SELECT s AS local_start FROM generate_series(last_start - (lim - 1) * step, last_start, step) s),
            events AS (
                SELECT pg_catalog.date_trunc(period, e.day::timestamp) AS b, e.event, sum(e.n) AS n, sum(e.wall) AS wall
                FROM helpdesk.report_day_events e
                WHERE e.day >= (last_start - (lim - 1) * step)::date
                GROUP BY 1, 2)
            SELECT jsonb_agg(jsonb_build_object(
                       'period', to_char(b.local_start, 'YYYY-MM-DD'),
                       'ticketsCreated', coalesce(c.n, 0), 'ticketsResolved', coalesce(r.n, 0),
                       'ticketsClosed', coalesce(x.n, 0),
                       'averageResolutionHours', helpdesk.report_hours(helpdesk.report_avg(r.wall, r.n)))
                   ORDER BY b.local_start)
            FROM buckets b
            LEFT JOIN events c ON c.b = b.local_start AND c.event = 'created'
            LEFT JOIN events r ON r.b = b.local_start AND r.event = 'resolved'
            LEFT JOIN events x ON x.b = b.local_start AND x.event = 'closed');
    END IF;
    RETURN (
        WITH buckets AS (
            SELECT s AS local_start FROM generate_series(last_start - (lim - 1) * step, last_start, step) s),
        created AS (
            SELECT pg_catalog.date_trunc(period, t.created_at AT TIME ZONE tz) AS b, count(*) AS n
            FROM helpdesk.tickets t WHERE t.created_at >= first_at GROUP BY 1),
        resolved AS (
            SELECT pg_catalog.date_trunc(period, t.resolved_at AT TIME ZONE tz) AS b, count(*) AS n,
                   avg(extract(epoch FROM t.resolved_at - t.created_at)) AS wall
            FROM helpdesk.tickets t WHERE t.resolved_at >= first_at GROUP BY 1),
        closed AS (
            SELECT pg_catalog.date_trunc(period, t.closed_at AT TIME ZONE tz) AS b, count(*) AS n
            FROM helpdesk.tickets t WHERE t.closed_at >= first_at GROUP BY 1)
        SELECT jsonb_agg(jsonb_build_object(
                   'period', to_char(b.local_start, 'YYYY-MM-DD'),
                   'ticketsCreated', coalesce(c.n, 0), 'ticketsResolved', coalesce(r.n, 0),
                   'ticketsClosed', coalesce(x.n, 0), 'averageResolutionHours', helpdesk.report_hours(r.wall))
               ORDER BY b.local_start)
        FROM buckets b
        LEFT JOIN created c ON c.b = b.local_start
        LEFT JOIN resolved r ON r.b = b.local_start
        LEFT JOIN closed x ON x.b = b.local_start);
END
$$;

-- ---- CSV tables -----------------------------------------------------------------------------
-- A report as a table for helpdesk-http's CSV writer (http/csv.c): {filename, columns, rows},
-- rows as arrays of JSON scalars. A list report gives one row per element with `columns`; an
-- object report one row per leaf (metric, value), nested keys joined with '.', list elements
-- named by their first column's value.
CREATE FUNCTION helpdesk.report_csv_leaves(prefix text, v jsonb)
RETURNS TABLE (metric text, value jsonb)
LANGUAGE sql IMMUTABLE
AS $$
    WITH RECURSIVE walk (path, val, ord) AS (
        SELECT prefix, v, ARRAY[]::int[]
        UNION ALL
        SELECT CASE WHEN w.path = '' THEN '' ELSE w.path || '.' END || e.k, e.val, w.ord || e.n::int
        FROM walk w
        CROSS JOIN LATERAL (
            SELECT o.key AS k, o.value AS val, 0::bigint AS n FROM jsonb_each(CASE WHEN jsonb_typeof(w.val) = 'object' THEN w.val END) o
            UNION ALL
            SELECT coalesce(a.value ->> 'priority', a.value ->> 'status', (a.n - 1)::text), a.value, a.n
            FROM jsonb_array_elements(CASE WHEN jsonb_typeof(w.val) = 'array' THEN w.val END) WITH ORDINALITY a (value, n)) e)
    SELECT w.path, w.val FROM walk w
    WHERE jsonb_typeof(w.val) NOT IN ('object', 'array')
    ORDER BY w.ord, w.path
$$;

CREATE FUNCTION helpdesk.report_csv(name text, start_date text, end_date text, data jsonb, columns text[] DEFAULT NULL)
RETURNS jsonb
LANGUAGE sql STABLE
AS $$
    SELECT jsonb_build_object(
        'filename', name || coalesce('_' || nullif(left(start_date, 10), ''), '') || coalesce('_' || nullif(left(end_date, 10), ''), '') || '.csv',
        'columns', CASE WHEN columns IS NULL THEN '["metric","value"]'::jsonb ELSE to_jsonb(columns) END,
        'rows', CASE WHEN columns IS NULL
                     THEN (SELECT coalesce(jsonb_agg(jsonb_build_array(l.metric, l.value)), '[]')
                           FROM helpdesk.report_csv_leaves('', data) l)
                     ELSE (SELECT coalesce(jsonb_agg((SELECT jsonb_agg(coalesce(e.value -> c, 'null') ORDER BY i)
                                                     FROM unnest(columns) WITH ORDINALITY u (c, i)) ORDER BY e.n), '[]')
                           FROM jsonb_array_elements(data) WITH ORDINALITY e (value, n)) END)
$$;
