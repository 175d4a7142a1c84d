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

-- The desk's time zone: the default calendar's.
CREATE FUNCTION helpdesk.report_time_zone()
RETURNS text
LANGUAGE sql STABLE
AS $$ SELECT coalesce((SELECT c.time_zone FROM helpdesk.calendars c WHERE c.is_default), 'UTC') $$;

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

-- The submitter whose tickets an actor's dashboard counts: NULL (all) for staff.
CREATE FUNCTION helpdesk.report_scope(actor helpdesk.users)
RETURNS int
LANGUAGE sql IMMUTABLE
AS $$ SELECT CASE WHEN helpdesk.is_staff(actor) THEN NULL ELSE actor.id END $$;

-- ---- action-required (everyone; each role its own count) ------------------------------------
CREATE FUNCTION helpdesk.report_action_required(actor helpdesk.users)
RETURNS jsonb
LANGUAGE sql STABLE
AS $$
    SELECT jsonb_build_object(
               'actionRequired', CASE actor.role WHEN 'Admin' THEN s.new_tickets + s.unassigned
                                                 WHEN 'IT_Staff' THEN s.new_tickets + s.assigned_to_me
                                                 ELSE s.my_open END,
               'breakdown', jsonb_build_object('newTickets', s.new_tickets, 'newUnassigned', s.new_unassigned,
                                               'assignedToMe', s.assigned_to_me, 'unassigned', s.unassigned,
                                               'myOpenTickets', s.my_open))
    FROM (SELECT CASE WHEN helpdesk.is_staff(actor) THEN
                     (SELECT count(*) FROM helpdesk.tickets t WHERE t.status = 'New') ELSE 0 END AS new_tickets,
                 CASE WHEN helpdesk.is_staff(actor) THEN
                     (SELECT count(*) FROM helpdesk.tickets t WHERE t.status = 'New' AND t.assignee_id IS NULL) ELSE 0 END AS new_unassigned,
                 (SELECT count(*) FROM helpdesk.tickets t
                  WHERE t.assignee_id = actor.id AND t.status IN ('Assigned', 'In Progress')) AS assigned_to_me,
                 CASE WHEN helpdesk.is_staff(actor) THEN
                     (SELECT count(*) FROM helpdesk.tickets t
                      WHERE t.assignee_id IS NULL AND t.status IN ('Assigned', 'In Progress', 'Pending')) ELSE 0 END AS unassigned,
                 (SELECT count(*) FROM helpdesk.tickets t
                  WHERE t.submitter_id = actor.id AND t.status NOT IN ('Resolved', 'Closed')) AS my_open) s
$$;

-- ---- dashboard (everyone; an Employee's counts only their own tickets) ----------------------
CREATE FUNCTION helpdesk.report_dashboard(actor helpdesk.users, from_at timestamptz, to_at timestamptz,
                                          at timestamptz DEFAULT now())
RETURNS jsonb
LANGUAGE plpgsql STABLE
AS $$
DECLARE
    tz text := helpdesk.report_time_zone();
    own int := helpdesk.report_scope(actor);
    r record;
    closed record;
    risk bigint;
    chat record;
BEGIN
    SELECT count(*) AS total,
           count(*) FILTER (WHERE t.status IN ('New', 'Assigned', 'In Progress', 'Pending')) AS open,
           count(*) FILTER (WHERE t.status = 'New') AS s_new,
           count(*) FILTER (WHERE t.status = 'Assigned') AS s_assigned,
           count(*) FILTER (WHERE t.status = 'In Progress') AS s_in_progress,
           count(*) FILTER (WHERE t.status = 'Pending') AS s_pending,
           count(*) FILTER (WHERE t.status = 'Resolved') AS s_resolved,
           count(*) FILTER (WHERE t.status = 'Closed') AS s_closed,
           count(*) FILTER (WHERE t.priority = 'High') AS p_high,
           count(*) FILTER (WHERE t.priority = 'Medium') AS p_medium,
           count(*) FILTER (WHERE t.priority = 'Low') AS p_low,
           avg(extract(epoch FROM t.resolved_at - t.created_at)) AS resolution_seconds,
           count(*) FILTER (WHERE t.resolution_met) AS met,
           count(*) FILTER (WHERE t.resolution_breached) AS breached
    INTO r
    FROM helpdesk.report_tickets(from_at, to_at, own, at) t;

    SELECT count(*) FILTER (WHERE t.closed_at >= helpdesk.report_period_start('day', at, tz)) AS today,
           count(*) FILTER (WHERE t.closed_at >= helpdesk.report_period_start('week', at, tz)) AS week,
           count(*) AS month
    INTO closed
    FROM helpdesk.tickets t
    WHERE t.status = 'Closed' AND t.closed_at >= helpdesk.report_period_start('month', at, tz)
      AND t.closed_at <= at AND (own IS NULL OR t.submitter_id = own);

    SELECT count(*) INTO risk
    FROM helpdesk.sla_at_risk_ids(at) i JOIN helpdesk.tickets t ON t.id = i
    WHERE own IS NULL OR t.submitter_id = own;

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
        'closedToday', closed.today,
        'closedThisWeek', closed.week,
        'closedThisMonth', closed.month,
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
CREATE FUNCTION helpdesk.report_by_status(actor helpdesk.users, from_at timestamptz, to_at timestamptz)
RETURNS jsonb
LANGUAGE plpgsql STABLE
AS $$
BEGIN
    PERFORM helpdesk.require_role(actor, 'IT_Staff', 'Admin');
    RETURN (SELECT coalesce(jsonb_agg(jsonb_build_object('status', g.status, 'count', g.n,
                                                         'percentage', helpdesk.report_percent(g.n, g.total))
                                      ORDER BY g.status), '[]')
            FROM (SELECT t.status, count(*) AS n, sum(count(*)) OVER ()::bigint AS total FROM helpdesk.tickets t
                  WHERE t.created_at >= from_at AND t.created_at < to_at GROUP BY t.status) g);
END
$$;

CREATE FUNCTION helpdesk.report_by_category(actor helpdesk.users, from_at timestamptz, to_at timestamptz)
RETURNS jsonb
LANGUAGE plpgsql STABLE
AS $$
BEGIN
    PERFORM helpdesk.require_role(actor, 'IT_Staff', 'Admin');
    RETURN (SELECT coalesce(jsonb_agg(jsonb_build_object('categoryId', g.category_id, 'categoryName', c.name, 'count', g.n,
                                                         'percentage', helpdesk.report_percent(g.n, g.total))
                                      ORDER BY g.n DESC, g.category_id), '[]')
            FROM (SELECT t.category_id, count(*) AS n, sum(count(*)) OVER ()::bigint AS total FROM helpdesk.tickets t
                  WHERE t.created_at >= from_at AND t.created_at < to_at GROUP BY t.category_id) g
            JOIN helpdesk.categories c ON c.id = g.category_id);
END
$$;

-- Every ticket of the range per priority (the percentage over that same set, not only the
-- resolved ones as the reference did), with the resolved ones' average resolution time.
CREATE FUNCTION helpdesk.report_by_priority(actor helpdesk.users, from_at timestamptz, to_at timestamptz)
RETURNS jsonb
LANGUAGE plpgsql STABLE
AS $$
BEGIN
    PERFORM helpdesk.require_role(actor, 'IT_Staff', 'Admin');
    RETURN (SELECT coalesce(jsonb_agg(jsonb_build_object(
                       'priority', g.priority, 'count', g.n, 'resolvedCount', g.resolved,
                       'percentage', helpdesk.report_percent(g.n, g.total),
                       'averageResolutionHours', helpdesk.report_hours(g.wall),
                       'averageResolutionBusinessHours', helpdesk.report_hours(g.business))
                   ORDER BY g.priority DESC), '[]')
            FROM (SELECT t.priority, count(*) AS n, count(t.resolved_at) AS resolved,
                         sum(count(*)) OVER ()::bigint AS total,
                         avg(extract(epoch FROM t.resolved_at - t.created_at)) AS wall,
                         avg(helpdesk.report_business_seconds(t.created_at, t.resolved_at))
                             FILTER (WHERE t.resolved_at IS NOT NULL) AS business
                  FROM helpdesk.tickets t
                  WHERE t.created_at >= from_at AND t.created_at < to_at GROUP BY t.priority) g);
END
$$;

-- ---- SLA compliance (IT_Staff, Admin): both clocks, per priority ----------------------------
CREATE FUNCTION helpdesk.report_sla_compliance(actor helpdesk.users, from_at timestamptz, to_at timestamptz,
                                               at timestamptz DEFAULT now())
RETURNS jsonb
LANGUAGE plpgsql STABLE
AS $$
DECLARE
    r record;
    by_priority jsonb;
BEGIN
    PERFORM helpdesk.require_role(actor, 'IT_Staff', 'Admin');
    SELECT count(*) FILTER (WHERE t.resolution_met) AS met,
           count(*) FILTER (WHERE t.resolution_breached) AS breached,
           count(*) FILTER (WHERE t.response_met) AS response_met,
           count(*) FILTER (WHERE t.response_breached) AS response_breached,
           avg(extract(epoch FROM t.resolved_at - t.created_at))
               FILTER (WHERE t.resolution_met OR t.resolution_breached) AS wall,
           avg(helpdesk.report_business_seconds(t.created_at, t.resolved_at))
               FILTER (WHERE t.resolved_at IS NOT NULL AND (t.resolution_met OR t.resolution_breached)) AS business
    INTO r
    FROM helpdesk.report_tickets(from_at, to_at, NULL, at) t;

    SELECT jsonb_agg(jsonb_build_object(
               'priority', p.priority, 'total', coalesce(g.met + g.breached, 0), 'met', coalesce(g.met, 0),
               'breached', coalesce(g.breached, 0), 'rate', helpdesk.report_percent(g.met, g.met + g.breached),
               'responseTotal', coalesce(g.response_met + g.response_breached, 0),
               'responseMet', coalesce(g.response_met, 0), 'responseBreached', coalesce(g.response_breached, 0),
               'responseRate', helpdesk.report_percent(g.response_met, g.response_met + g.response_breached))
           ORDER BY p.priority DESC)
    INTO by_priority
    FROM unnest(pg_catalog.enum_range(NULL::helpdesk.ticket_priority)) p (priority)
    LEFT JOIN (SELECT t.priority,
                      count(*) FILTER (WHERE t.resolution_met) AS met,
                      count(*) FILTER (WHERE t.resolution_breached) AS breached,
                      count(*) FILTER (WHERE t.response_met) AS response_met,
                      count(*) FILTER (WHERE t.response_breached) AS response_breached
               FROM helpdesk.report_tickets(from_at, to_at, NULL, at) t GROUP BY t.priority) g ON g.priority = p.priority;

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
        'byPriority', by_priority);
END
$$;

-- ---- staff performance (Admin) --------------------------------------------------------------
CREATE FUNCTION helpdesk.report_staff_performance(actor helpdesk.users, from_at timestamptz, to_at timestamptz,
                                                  at timestamptz DEFAULT now())
RETURNS jsonb
LANGUAGE plpgsql STABLE
AS $$
BEGIN
    PERFORM helpdesk.require_role(actor, 'Admin');
    RETURN (SELECT coalesce(jsonb_agg(jsonb_build_object(
                       'staffId', u.id, 'staffName', u.full_name, 'staffEmail', u.email,
                       'assignedTickets', coalesce(g.assigned, 0), 'resolvedTickets', coalesce(g.resolved, 0),
                       'averageResolutionHours', helpdesk.report_hours(g.wall),
                       'averageResolutionBusinessHours', helpdesk.report_hours(g.business),
                       'slaComplianceRate', helpdesk.report_percent(g.met, g.met + g.breached),
                       'currentWorkload', (SELECT count(*) FROM helpdesk.tickets w
                                           WHERE w.assignee_id = u.id AND w.status IN ('Assigned', 'In Progress', 'Pending')))
                   ORDER BY coalesce(g.resolved, 0) DESC, u.id), '[]')
            FROM helpdesk.users u
            LEFT JOIN (SELECT t.assignee_id, count(*) AS assigned, count(t.resolved_at) AS resolved,
                              avg(extract(epoch FROM t.resolved_at - t.created_at)) AS wall,
                              avg(helpdesk.report_business_seconds(t.created_at, t.resolved_at))
                                  FILTER (WHERE t.resolved_at IS NOT NULL) AS business,
                              count(*) FILTER (WHERE t.resolution_met) AS met,
                              count(*) FILTER (WHERE t.resolution_breached) AS breached
                       FROM helpdesk.report_tickets(from_at, to_at, NULL, at) t
                       WHERE t.assignee_id IS NOT NULL GROUP BY t.assignee_id) g ON g.assignee_id = u.id
            WHERE u.role IN ('IT_Staff', 'Admin'));
END
$$;

-- ---- trends (IT_Staff, Admin): `lim` buckets ending with the one containing `at` -------------
-- Buckets are local days, ISO weeks (from Monday) or calendar months of the desk's time zone;
-- `period` is the bucket's first local date.
CREATE FUNCTION helpdesk.report_trends(actor helpdesk.users, period text, lim int, at timestamptz DEFAULT now())
RETURNS jsonb
LANGUAGE plpgsql STABLE
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
    RETURN (
        WITH buckets AS (
            SELECT s AS local_start, s AT TIME ZONE tz AS b_from, (s + step) AT TIME ZONE tz AS b_to
            FROM generate_series(last_start - (lim - 1) * step, last_start, step) s),
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
