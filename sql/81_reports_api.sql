-- 81_reports_api: the report routes (sql/80_reports.sql decides who sees what). Each answers
-- its JSON, or with format=csv (helpdesk-http also sets it for Accept: text/csv) the table
-- {filename, columns, rows} that helpdesk-http writes as CSV (route kind HD_RESP_TABLE).

-- format: json (default) or csv; anything else is 400.
CREATE FUNCTION helpdesk.report_format(req jsonb)
RETURNS text
LANGUAGE sql IMMUTABLE
AS $$ SELECT coalesce(helpdesk.query_enum(req, 'format', ARRAY['json', 'csv']), 'json') $$;

-- The answer of a report: its JSON, or its CSV table. (PL/pgSQL: its expressions are prepared
-- once per connection, where a SQL function's query not inlined is planned at every call.)
CREATE FUNCTION helpdesk.report_answer(req jsonb, name text, data jsonb, columns text[] DEFAULT NULL)
RETURNS jsonb
LANGUAGE plpgsql STABLE
AS $$
BEGIN
    IF helpdesk.report_format(req) = 'csv' THEN
        RETURN helpdesk.report_csv(name, helpdesk.query_text(req, 'startDate'), helpdesk.query_text(req, 'endDate'),
                                   data, columns);
    END IF;
    RETURN data;
END
$$;

-- GET /reports/action-required
CREATE FUNCTION helpdesk_api.reports_action_required(req jsonb)
RETURNS jsonb
LANGUAGE plpgsql STABLE
AS $$
DECLARE
    actor helpdesk.users := helpdesk.current_actor();
BEGIN
    PERFORM helpdesk.report_format(req);
    RETURN helpdesk.report_answer(req, 'action-required', helpdesk.report_action_required(actor));
END
$$;

-- GET /reports/dashboard
CREATE FUNCTION helpdesk_api.reports_dashboard(req jsonb)
RETURNS jsonb
LANGUAGE plpgsql STABLE
AS $$
DECLARE
    actor helpdesk.users := helpdesk.current_actor();
    r record;
BEGIN
    PERFORM helpdesk.report_format(req);
    r := helpdesk.report_range(helpdesk.query_text(req, 'startDate'), helpdesk.query_text(req, 'endDate'));
    RETURN helpdesk.report_answer(req, 'dashboard', helpdesk.report_dashboard(actor, r.from_at, r.to_at, now()));
END
$$;

-- GET /reports/tickets-by-status
CREATE FUNCTION helpdesk_api.reports_by_status(req jsonb)
RETURNS jsonb
LANGUAGE plpgsql STABLE
AS $$
DECLARE
    actor helpdesk.users := helpdesk.current_actor();
    r record;
BEGIN
    PERFORM helpdesk.report_format(req);
    r := helpdesk.report_range(helpdesk.query_text(req, 'startDate'), helpdesk.query_text(req, 'endDate'));
    RETURN helpdesk.report_answer(req, 'tickets-by-status', helpdesk.report_by_status(actor, r.from_at, r.to_at),
                                      ARRAY['status', 'count', 'percentage']);
END
$$;

-- GET /reports/tickets-by-category
CREATE FUNCTION helpdesk_api.reports_by_category(req jsonb)
RETURNS jsonb
LANGUAGE plpgsql STABLE
AS $$
DECLARE
    actor helpdesk.users := helpdesk.current_actor();
    r record;
BEGIN
    PERFORM helpdesk.report_format(req);
    r := helpdesk.report_range(helpdesk.query_text(req, 'startDate'), helpdesk.query_text(req, 'endDate'));
    RETURN helpdesk.report_answer(req, 'tickets-by-category', helpdesk.report_by_category(actor, r.from_at, r.to_at),
                                      ARRAY['categoryId', 'categoryName', 'count', 'percentage']);
END
$$;

-- GET /reports/tickets-by-priority
CREATE FUNCTION helpdesk_api.reports_by_priority(req jsonb)
RETURNS jsonb
LANGUAGE plpgsql STABLE
AS $$
DECLARE
    actor helpdesk.users := helpdesk.current_actor();
    r record;
BEGIN
    PERFORM helpdesk.report_format(req);
    r := helpdesk.report_range(helpdesk.query_text(req, 'startDate'), helpdesk.query_text(req, 'endDate'));
    RETURN helpdesk.report_answer(req, 'tickets-by-priority', helpdesk.report_by_priority(actor, r.from_at, r.to_at),
                                      ARRAY['priority', 'count', 'resolvedCount', 'percentage', 'averageResolutionHours',
                                            'averageResolutionBusinessHours']);
END
$$;

-- GET /reports/sla-compliance
CREATE FUNCTION helpdesk_api.reports_sla_compliance(req jsonb)
RETURNS jsonb
LANGUAGE plpgsql STABLE
AS $$
DECLARE
    actor helpdesk.users := helpdesk.current_actor();
    r record;
BEGIN
    PERFORM helpdesk.report_format(req);
    r := helpdesk.report_range(helpdesk.query_text(req, 'startDate'), helpdesk.query_text(req, 'endDate'));
    RETURN helpdesk.report_answer(req, 'sla-compliance', helpdesk.report_sla_compliance(actor, r.from_at, r.to_at, now()));
END
$$;

-- GET /reports/staff-performance
CREATE FUNCTION helpdesk_api.reports_staff_performance(req jsonb)
RETURNS jsonb
LANGUAGE plpgsql STABLE
AS $$
DECLARE
    actor helpdesk.users := helpdesk.current_actor();
    r record;
BEGIN
    PERFORM helpdesk.report_format(req);
    r := helpdesk.report_range(helpdesk.query_text(req, 'startDate'), helpdesk.query_text(req, 'endDate'));
    RETURN helpdesk.report_answer(req, 'staff-performance', helpdesk.report_staff_performance(actor, r.from_at, r.to_at, now()),
                                      ARRAY['staffId', 'staffName', 'staffEmail', 'assignedTickets', 'resolvedTickets',
                                            'averageResolutionHours', 'averageResolutionBusinessHours',
                                            'slaComplianceRate', 'currentWorkload']);
END
$$;

-- GET /reports/trends?period=day|week|month&limit=1..366
CREATE FUNCTION helpdesk_api.reports_trends(req jsonb)
RETURNS jsonb
LANGUAGE plpgsql STABLE
AS $$
DECLARE
    actor helpdesk.users := helpdesk.current_actor();
    period text := coalesce(helpdesk.query_enum(req, 'period', ARRAY['day', 'week', 'month']), 'week');
    lim int := helpdesk.query_int(req, 'limit', 12, 1, 366);
BEGIN
    PERFORM helpdesk.report_format(req);
    RETURN helpdesk.report_answer(req, 'trends-' || period, helpdesk.report_trends(actor, period, lim, now()),
                                      ARRAY['period', 'ticketsCreated', 'ticketsResolved', 'ticketsClosed',
                                            'averageResolutionHours']);
END
$$;
