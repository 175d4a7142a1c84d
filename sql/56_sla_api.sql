-- 56_sla_api: the SLA clock routes (the rule routes live with the calendars, 51..53).
--
--   GET /sla/tickets/:id/timeline   sla_ticket_timeline   the clock events of a visible ticket
--   GET /sla/tickets/:id/status     sla_ticket_status     derived from the clocks (the log's state)
--   GET /sla/at-risk                sla_at_risk           IT_Staff, Admin: array (the client's reading)
--   GET /sla/breached               sla_breached          IT_Staff, Admin: array, with breachedBy
--
-- Times remaining and percentages are business time; breachedBy is whole hours since the
-- deadline, as in the reference.

-- The reference's format of a time remaining: "-Hh Mm (overdue)", "Dd Hh" above a day, else
-- "Hh Mm".
CREATE FUNCTION helpdesk.sla_format_remaining(remaining interval)
RETURNS text
LANGUAGE sql IMMUTABLE
AS $$
    SELECT CASE
        WHEN secs < 0 THEN format('-%sh %sm (overdue)', floor(-secs / 3600)::bigint, floor(mod(-secs, 3600) / 60)::bigint)
        WHEN secs > 86400 THEN format('%sd %sh', floor(secs / 86400)::bigint, floor(mod(secs, 86400) / 3600)::bigint)
        ELSE format('%sh %sm', floor(secs / 3600)::bigint, floor(mod(secs, 3600) / 60)::bigint)
    END
    FROM (SELECT extract(epoch FROM remaining) AS secs) s
$$;

CREATE FUNCTION helpdesk.sla_hours(i interval)
RETURNS numeric
LANGUAGE sql IMMUTABLE
AS $$ SELECT round(extract(epoch FROM i) / 3600, 2) $$;

-- The state of one clock at `at`, as the API shows it.
CREATE FUNCTION helpdesk.sla_clock_json(c helpdesk.sla_clocks, at timestamptz)
RETURNS jsonb
LANGUAGE plpgsql STABLE
AS $$
DECLARE
    used interval;
    breached boolean;
    at_risk boolean;
    status text;
BEGIN
    IF c.ticket_id IS NULL OR c.state = 'not_applicable' THEN
        RETURN jsonb_build_object('status', 'not_applicable', 'dueDate', NULL, 'timeRemaining', NULL,
                                  'percentageUsed', NULL, 'isBreached', false, 'isAtRisk', false,
                                  'isPaused', false, 'businessHoursUsed', NULL, 'businessHoursTarget', NULL);
    END IF;
    used := helpdesk.sla_used(c, at);
    breached := c.breached_at IS NOT NULL OR c.state = 'missed' OR (c.state = 'running' AND at >= c.due_at);
    at_risk := NOT breached AND c.state = 'running' AND c.warn_at <= at;
    status := CASE WHEN breached THEN 'breached' WHEN at_risk THEN 'at_risk'
                   WHEN c.state = 'cancelled' THEN 'not_applicable' ELSE 'met' END;
    RETURN jsonb_build_object(
        'status', status,
        'dueDate', helpdesk.iso(c.due_at),
        'timeRemaining', CASE WHEN c.state IN ('running', 'paused')
                              THEN helpdesk.sla_format_remaining(c.target - used) END,
        'percentageUsed', least(100, round(extract(epoch FROM used) * 100 / extract(epoch FROM c.target)))::int,
        'isBreached', breached,
        'isAtRisk', at_risk,
        'isPaused', c.state = 'paused',
        'businessHoursUsed', helpdesk.sla_hours(used),
        'businessHoursTarget', helpdesk.sla_hours(c.target));
END
$$;

-- SLA status of a ticket at `at`: the resolution clock's fields at the top level (the
-- reference's shape) and the response clock under "response".
CREATE FUNCTION helpdesk.sla_status(t helpdesk.tickets, at timestamptz DEFAULT now())
RETURNS jsonb
LANGUAGE sql STABLE
AS $$
    SELECT jsonb_build_object('ticketId', t.id)
        || helpdesk.sla_clock_json(res, at)
        || jsonb_build_object('response',
               helpdesk.sla_clock_json(resp, at) || jsonb_build_object('respondedAt', helpdesk.iso(t.first_response_at)))
    FROM (SELECT (SELECT c FROM helpdesk.sla_clocks c WHERE c.ticket_id = t.id AND c.kind = 'resolution') AS res,
                 (SELECT c FROM helpdesk.sla_clocks c WHERE c.ticket_id = t.id AND c.kind = 'response') AS resp) s
$$;

-- The events of a ticket's clocks, oldest first.
CREATE FUNCTION helpdesk.sla_timeline(ticket_id int)
RETURNS jsonb
LANGUAGE sql STABLE
AS $$
    SELECT coalesce(jsonb_agg(jsonb_build_object(
               'id', e.id, 'ticketId', e.ticket_id, 'clock', e.clock, 'cycle', e.cycle, 'event', e.event,
               'at', helpdesk.iso(e.at), 'dueBefore', helpdesk.iso(e.due_before),
               'dueAfter', helpdesk.iso(e.due_after), 'businessHoursUsed', helpdesk.sla_hours(e.used),
               'businessHoursTarget', helpdesk.sla_hours(e.target), 'detail', e.detail,
               'createdAt', helpdesk.iso(e.created_at)) ORDER BY e.id), '[]')
    FROM helpdesk.sla_events e
    WHERE e.ticket_id = sla_timeline.ticket_id
$$;

-- The list item of the at-risk and breached routes.
CREATE FUNCTION helpdesk.sla_list_item(t helpdesk.tickets)
RETURNS jsonb
LANGUAGE sql STABLE
AS $$
    SELECT jsonb_build_object('id', t.id, 'ticketNumber', t.ticket_number, 'title', t.title,
                              'priority', t.priority, 'status', t.status, 'dueDate', helpdesk.iso(t.due_date),
                              'createdAt', helpdesk.iso(t.created_at), 'assigneeId', t.assignee_id)
$$;

-- GET /sla/tickets/:id/timeline
CREATE FUNCTION helpdesk_api.sla_ticket_timeline(req jsonb)
RETURNS jsonb
LANGUAGE plpgsql STABLE
AS $$
DECLARE
    actor helpdesk.users := helpdesk.current_actor();
    t helpdesk.tickets := helpdesk.visible_ticket(actor, (req #>> '{path,id}')::int);
BEGIN
    RETURN helpdesk.sla_timeline(t.id);
END
$$;

-- GET /sla/tickets/:id/status
CREATE FUNCTION helpdesk_api.sla_ticket_status(req jsonb)
RETURNS jsonb
LANGUAGE plpgsql STABLE
AS $$
DECLARE
    actor helpdesk.users := helpdesk.current_actor();
    t helpdesk.tickets := helpdesk.visible_ticket(actor, (req #>> '{path,id}')::int);
BEGIN
    RETURN helpdesk.sla_status(t, now());
END
$$;

-- GET /sla/at-risk
CREATE FUNCTION helpdesk_api.sla_at_risk(req jsonb)
RETURNS jsonb
LANGUAGE plpgsql STABLE
AS $$
DECLARE
    actor helpdesk.users := helpdesk.current_actor();
    result jsonb;
BEGIN
    PERFORM helpdesk.require_role(actor, 'IT_Staff', 'Admin');
    SELECT coalesce(jsonb_agg(helpdesk.sla_list_item(t) || jsonb_build_object(
               'percentageUsed', (helpdesk.sla_status(t, now()) ->> 'percentageUsed')::int)
               ORDER BY t.due_date, t.id), '[]')
    INTO result
    FROM helpdesk.tickets t
    WHERE t.id IN (SELECT helpdesk.sla_at_risk_ids(now()));
    RETURN result;
END
$$;

-- GET /sla/breached
CREATE FUNCTION helpdesk_api.sla_breached(req jsonb)
RETURNS jsonb
LANGUAGE plpgsql STABLE
AS $$
DECLARE
    actor helpdesk.users := helpdesk.current_actor();
    result jsonb;
BEGIN
    PERFORM helpdesk.require_role(actor, 'IT_Staff', 'Admin');
    SELECT coalesce(jsonb_agg(helpdesk.sla_list_item(t) || jsonb_build_object(
               'breachedBy', floor(extract(epoch FROM now() - t.due_date) / 3600)::int)
               ORDER BY t.due_date, t.id), '[]')
    INTO result
    FROM helpdesk.tickets t
    WHERE t.status IN ('New', 'Assigned', 'In Progress') AND t.due_date <= now();
    RETURN result;
END
$$;
