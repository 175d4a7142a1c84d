-- 51_sla_rules_api: the SLA rule routes of API v1 (/sla/rules). The rules are in
-- sql/50_sla_rules.sql; the clocks' routes (status, timeline, at-risk, breached) in sql/59_sla_api.sql.

-- POST /sla/rules (Admin)
CREATE FUNCTION helpdesk_api.sla_rules_create(req jsonb)
RETURNS jsonb
LANGUAGE plpgsql
AS $$
DECLARE
    actor helpdesk.users := helpdesk.current_actor();
    b jsonb := helpdesk.body(req, 'priority', 'responseTimeHours', 'resolutionTimeHours', 'isActive');
BEGIN
    RETURN helpdesk.sla_rule_json(helpdesk.sla_rule_create(actor,
        helpdesk.field_enum(b, 'priority', NULL::helpdesk.ticket_priority, true),
        helpdesk.field_int(b, 'responseTimeHours', true, 1, 87600),
        helpdesk.field_int(b, 'resolutionTimeHours', true, 1, 87600),
        helpdesk.field_bool(b, 'isActive'), b));
END
$$;

-- GET /sla/rules: by priority (Low, Medium, High), newest first within one.
CREATE FUNCTION helpdesk_api.sla_rules_list(req jsonb)
RETURNS jsonb
LANGUAGE plpgsql STABLE
AS $$
BEGIN
    PERFORM helpdesk.current_actor();
    RETURN helpdesk.sla_rule_list();
END
$$;

-- GET /sla/rules/:id
CREATE FUNCTION helpdesk_api.sla_rules_get(req jsonb)
RETURNS jsonb
LANGUAGE plpgsql STABLE
AS $$
BEGIN
    PERFORM helpdesk.current_actor();
    RETURN helpdesk.sla_rule_json(helpdesk.sla_rule_find(helpdesk.path_int(req)));
END
$$;

-- PUT /sla/rules/:id (Admin): responseTimeHours, resolutionTimeHours, isActive.
CREATE FUNCTION helpdesk_api.sla_rules_update(req jsonb)
RETURNS jsonb
LANGUAGE plpgsql
AS $$
DECLARE
    actor helpdesk.users := helpdesk.current_actor();
    b jsonb := helpdesk.body(req, 'responseTimeHours', 'resolutionTimeHours', 'isActive');
BEGIN
    RETURN helpdesk.sla_rule_json(helpdesk.sla_rule_update(actor, helpdesk.path_int(req), NULL,
        helpdesk.field_int(b, 'responseTimeHours', false, 1, 87600),
        helpdesk.field_int(b, 'resolutionTimeHours', false, 1, 87600),
        helpdesk.field_bool(b, 'isActive'), b));
END
$$;

-- PATCH /sla/rules/:id (Admin): as PUT, plus priority when unchanged or not taken (the web client's call).
CREATE FUNCTION helpdesk_api.sla_rules_patch(req jsonb)
RETURNS jsonb
LANGUAGE plpgsql
AS $$
DECLARE
    actor helpdesk.users := helpdesk.current_actor();
    b jsonb := helpdesk.body(req, 'priority', 'responseTimeHours', 'resolutionTimeHours', 'isActive');
BEGIN
    RETURN helpdesk.sla_rule_json(helpdesk.sla_rule_update(actor, helpdesk.path_int(req),
        helpdesk.field_enum(b, 'priority', NULL::helpdesk.ticket_priority),
        helpdesk.field_int(b, 'responseTimeHours', false, 1, 87600),
        helpdesk.field_int(b, 'resolutionTimeHours', false, 1, 87600),
        helpdesk.field_bool(b, 'isActive'), b));
END
$$;

-- DELETE /sla/rules/:id (Admin): 204, no body.
CREATE FUNCTION helpdesk_api.sla_rules_delete(req jsonb)
RETURNS jsonb
LANGUAGE plpgsql
AS $$
BEGIN
    PERFORM helpdesk.sla_rule_delete(helpdesk.current_actor(), helpdesk.path_int(req));
    RETURN NULL;
END
$$;
