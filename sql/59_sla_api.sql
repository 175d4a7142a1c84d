-- 59_sla_api: the SLA clock routes (status, timeline, at-risk, breached) and POST
-- /escalation/check-now, which runs the watcher's scan. The rules are in sql/52_sla_clock.sql
-- and sql/58_sla_scan.sql; "breached" and "at risk" are defined once in sql/30_tickets.sql.
-- Times remaining and percentages are business time.

-- GET /sla/tickets/:id/timeline
CREATE FUNCTION helpdesk_api.sla_ticket_timeline(req jsonb)
RETURNS jsonb
LANGUAGE plpgsql STABLE
AS $$
DECLARE
    actor helpdesk.users := helpdesk.current_actor();
    t helpdesk.tickets := helpdesk.visible_ticket(actor, helpdesk.path_int(req));
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
    t helpdesk.tickets := helpdesk.visible_ticket(actor, helpdesk.path_int(req));
BEGIN
    RETURN helpdesk.sla_status(t, now());
END
$$;

-- GET /sla/at-risk
CREATE FUNCTION helpdesk_api.sla_at_risk(req jsonb)
RETURNS jsonb
LANGUAGE plpgsql STABLE
AS $$
BEGIN
    RETURN helpdesk.sla_at_risk_list(helpdesk.current_actor(), now());
END
$$;

-- GET /sla/breached
CREATE FUNCTION helpdesk_api.sla_breached(req jsonb)
RETURNS jsonb
LANGUAGE plpgsql STABLE
AS $$
BEGIN
    RETURN helpdesk.sla_breached_list(helpdesk.current_actor(), now());
END
$$;

-- POST /escalation/check-now: the watcher's escalation pass, at once.
CREATE FUNCTION helpdesk_api.escalation_check_now(req jsonb)
RETURNS jsonb
LANGUAGE plpgsql
AS $$
BEGIN
    PERFORM helpdesk.body(req, VARIADIC ARRAY[]::text[]);
    RETURN jsonb_build_object('message', 'Escalation check triggered successfully',
                              'escalatedCount', helpdesk.sla_scan_now(helpdesk.current_actor()));
END
$$;
