-- 53_sla_rules_api: the SLA rule routes of API v1 (/sla/rules). The SLA clocks and the status,
-- at-risk and breached routes live with the SLA engine.

-- Hours as the reference shows them: "1 hour", "8 hours", "1 day", "3 days", "1d 12h".
CREATE FUNCTION helpdesk.sla_hours_text(hours int)
RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
AS $$
    SELECT CASE
        WHEN hours < 24 THEN hours || CASE WHEN hours = 1 THEN ' hour' ELSE ' hours' END
        WHEN hours % 24 = 0 THEN (hours / 24) || CASE WHEN hours = 24 THEN ' day' ELSE ' days' END
        ELSE (hours / 24) || 'd ' || (hours % 24) || 'h'
    END
$$;

-- The rule DTO of the reference.
CREATE FUNCTION helpdesk.sla_rule_json(r helpdesk.sla_rules)
RETURNS jsonb
LANGUAGE sql STABLE
AS $$
    SELECT jsonb_build_object(
        'id', r.id, 'priority', r.priority,
        'responseTimeHours', r.response_time_hours, 'resolutionTimeHours', r.resolution_time_hours,
        'responseTimeFormatted', helpdesk.sla_hours_text(r.response_time_hours),
        'resolutionTimeFormatted', helpdesk.sla_hours_text(r.resolution_time_hours),
        'isActive', r.is_active,
        'createdAt', helpdesk.iso(r.created_at), 'updatedAt', helpdesk.iso(r.updated_at))
$$;

CREATE FUNCTION helpdesk.sla_rule_find(id int)
RETURNS helpdesk.sla_rules
LANGUAGE plpgsql STABLE
AS $$
DECLARE
    row helpdesk.sla_rules;
BEGIN
    SELECT * INTO row FROM helpdesk.sla_rules r WHERE r.id = sla_rule_find.id;
    IF NOT FOUND THEN
        PERFORM helpdesk.http_error(404, format('SLA rule with ID %s not found', id));
    END IF;
    RETURN row;
END
$$;

-- 409 when another rule has `priority`.
CREATE FUNCTION helpdesk.sla_rule_check_free(priority helpdesk.ticket_priority, except_id int DEFAULT NULL)
RETURNS void
LANGUAGE plpgsql STABLE
AS $$
BEGIN
    IF EXISTS (SELECT FROM helpdesk.sla_rules r
               WHERE r.priority = sla_rule_check_free.priority AND r.id IS DISTINCT FROM except_id) THEN
        PERFORM helpdesk.http_error(409, format('SLA rule for priority %s already exists', priority));
    END IF;
END
$$;

-- POST /sla/rules (Admin)
CREATE FUNCTION helpdesk_api.sla_rules_create(req jsonb)
RETURNS jsonb
LANGUAGE plpgsql
AS $$
DECLARE
    actor helpdesk.users := helpdesk.current_actor();
    b     jsonb;
    p     helpdesk.ticket_priority;
    resp  int;
    reso  int;
    act   boolean;
    row   helpdesk.sla_rules;
BEGIN
    PERFORM helpdesk.require_role(actor, 'Admin');
    b := helpdesk.body(req, 'priority', 'responseTimeHours', 'resolutionTimeHours', 'isActive');
    p := helpdesk.field_enum(b, 'priority', ARRAY['Low', 'Medium', 'High'], true);
    resp := helpdesk.field_int(b, 'responseTimeHours', true, 1, 87600);
    reso := helpdesk.field_int(b, 'resolutionTimeHours', true, 1, 87600);
    act := helpdesk.field_bool(b, 'isActive');
    -- one rule per priority: concurrent creates wait here, the second one gets the 409
    PERFORM pg_advisory_xact_lock(hashtext('helpdesk.sla_rules'));
    PERFORM helpdesk.sla_rule_check_free(p);
    INSERT INTO helpdesk.sla_rules (priority, response_time_hours, resolution_time_hours, is_active)
    VALUES (p, resp, reso, coalesce(act, true))
    RETURNING * INTO row;
    PERFORM helpdesk.audit('sla_rule.create', 'sla_rule', row.id, b);
    RETURN helpdesk.sla_rule_json(row);
END
$$;

-- GET /sla/rules: by priority (Low, Medium, High), newest first within one.
CREATE FUNCTION helpdesk_api.sla_rules_list(req jsonb)
RETURNS jsonb
LANGUAGE plpgsql STABLE
AS $$
BEGIN
    PERFORM helpdesk.current_actor();
    RETURN coalesce((SELECT jsonb_agg(helpdesk.sla_rule_json(r) ORDER BY r.priority, r.created_at DESC, r.id)
                     FROM helpdesk.sla_rules r), '[]');
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

-- The update of PUT (no priority) and PATCH (priority when unchanged or free).
CREATE FUNCTION helpdesk.sla_rule_update(req jsonb, with_priority boolean)
RETURNS jsonb
LANGUAGE plpgsql
AS $$
DECLARE
    actor helpdesk.users := helpdesk.current_actor();
    b     jsonb;
    old   helpdesk.sla_rules;
    p     helpdesk.ticket_priority;
    resp  int;
    reso  int;
    act   boolean;
    row   helpdesk.sla_rules;
BEGIN
    PERFORM helpdesk.require_role(actor, 'Admin');
    IF with_priority THEN
        b := helpdesk.body(req, 'priority', 'responseTimeHours', 'resolutionTimeHours', 'isActive');
        p := helpdesk.field_enum(b, 'priority', ARRAY['Low', 'Medium', 'High']);
    ELSE
        b := helpdesk.body(req, 'responseTimeHours', 'resolutionTimeHours', 'isActive');
    END IF;
    resp := helpdesk.field_int(b, 'responseTimeHours', false, 1, 87600);
    reso := helpdesk.field_int(b, 'resolutionTimeHours', false, 1, 87600);
    act := helpdesk.field_bool(b, 'isActive');
    PERFORM pg_advisory_xact_lock(hashtext('helpdesk.sla_rules'));
    old := helpdesk.sla_rule_find(helpdesk.path_int(req));
    IF p IS NOT NULL AND p <> old.priority THEN
        PERFORM helpdesk.sla_rule_check_free(p, old.id);
    END IF;
    UPDATE helpdesk.sla_rules r SET
        priority = coalesce(p, r.priority),
        response_time_hours = coalesce(resp, r.response_time_hours),
        resolution_time_hours = coalesce(reso, r.resolution_time_hours),
        is_active = coalesce(act, r.is_active)
    WHERE r.id = old.id
    RETURNING * INTO row;
    PERFORM helpdesk.audit('sla_rule.update', 'sla_rule', row.id, b);
    RETURN helpdesk.sla_rule_json(row);
END
$$;

-- PUT /sla/rules/:id (Admin): responseTimeHours, resolutionTimeHours, isActive.
CREATE FUNCTION helpdesk_api.sla_rules_update(req jsonb)
RETURNS jsonb
LANGUAGE plpgsql
AS $$
BEGIN
    RETURN (SELECT helpdesk.sla_rule_update(req, false));
END
$$;

-- PATCH /sla/rules/:id (Admin): as PUT, plus priority when unchanged or not taken (the web client's call).
CREATE FUNCTION helpdesk_api.sla_rules_patch(req jsonb)
RETURNS jsonb
LANGUAGE plpgsql
AS $$
BEGIN
    RETURN (SELECT helpdesk.sla_rule_update(req, true));
END
$$;

-- DELETE /sla/rules/:id (Admin): 204, no body.
CREATE FUNCTION helpdesk_api.sla_rules_delete(req jsonb)
RETURNS jsonb
LANGUAGE plpgsql
AS $$
DECLARE
    actor helpdesk.users := helpdesk.current_actor();
    old   helpdesk.sla_rules;
BEGIN
    PERFORM helpdesk.require_role(actor, 'Admin');
    old := helpdesk.sla_rule_find(helpdesk.path_int(req));
    DELETE FROM helpdesk.sla_rules WHERE id = old.id;
    PERFORM helpdesk.audit('sla_rule.delete', 'sla_rule', old.id, jsonb_build_object('priority', old.priority));
    RETURN NULL;
END
$$;
