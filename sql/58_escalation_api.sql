-- 58_escalation_api: the 9 escalation routes (seed §2.12), with the client's extra filters.
--
--   POST   /escalation/rules                      escalation_rules_create   Admin
--   GET    /escalation/rules                      escalation_rules_list     Admin, IT_Staff
--   GET    /escalation/rules/:id                  escalation_rules_get      Admin, IT_Staff
--   PUT    /escalation/rules/:id                  escalation_rules_update   Admin
--   DELETE /escalation/rules/:id                  escalation_rules_delete   Admin
--   GET    /escalation/history/ticket/:ticketId   escalation_history_ticket any role, ticket visibility
--   GET    /escalation/history                    escalation_history_list   Admin, IT_Staff
--   POST   /escalation/tickets/:ticketId/escalate escalation_escalate       Admin, IT_Staff
--   POST   /escalation/check-now                  escalation_check_now      Admin

CREATE FUNCTION helpdesk.escalation_rule_json(r helpdesk.escalation_rules, with_category boolean DEFAULT true)
RETURNS jsonb
LANGUAGE sql STABLE
AS $$
    SELECT jsonb_build_object(
        'id', r.id, 'name', r.name, 'description', r.description, 'priority', r.priority,
        'categoryId', r.category_id, 'triggerType', r.trigger_type, 'triggerHours', r.trigger_hours,
        'escalationLevel', r.escalation_level, 'targetType', r.target_type, 'targetRole', r.target_role,
        'targetUserId', r.target_user_id, 'notifyManager', r.notify_manager, 'isActive', r.is_active,
        'createdAt', helpdesk.iso(r.created_at), 'updatedAt', helpdesk.iso(r.updated_at))
    || CASE WHEN with_category THEN jsonb_build_object('category', (
        SELECT jsonb_build_object('id', c.id, 'name', c.name, 'description', c.description, 'icon', c.icon,
                                  'color', c.color, 'isActive', c.is_active, 'displayOrder', c.display_order,
                                  'createdAt', helpdesk.iso(c.created_at), 'updatedAt', helpdesk.iso(c.updated_at))
        FROM helpdesk.categories c WHERE c.id = r.category_id)) ELSE '{}'::jsonb END
$$;

CREATE FUNCTION helpdesk.escalation_history_json(h helpdesk.escalation_history, with_ticket boolean DEFAULT false)
RETURNS jsonb
LANGUAGE sql STABLE
AS $$
    SELECT jsonb_build_object(
        'id', h.id, 'ticketId', h.ticket_id, 'ruleId', h.rule_id, 'fromLevel', h.from_level,
        'toLevel', h.to_level, 'escalatedBy', h.escalated_by, 'escalatedToUserId', h.escalated_to_user_id,
        'escalatedToRole', h.escalated_to_role, 'reason', h.reason, 'createdAt', helpdesk.iso(h.created_at),
        'rule', (SELECT jsonb_build_object('id', r.id, 'name', r.name)
                 FROM helpdesk.escalation_rules r WHERE r.id = h.rule_id),
        'escalatedToUser', (SELECT jsonb_build_object('id', u.id, 'fullName', u.full_name, 'email', u.email)
                            FROM helpdesk.users u WHERE u.id = h.escalated_to_user_id))
    || CASE WHEN with_ticket THEN jsonb_build_object('ticket', (
        SELECT jsonb_build_object('id', t.id, 'ticketNumber', t.ticket_number, 'title', t.title)
        FROM helpdesk.tickets t WHERE t.id = h.ticket_id)) ELSE '{}'::jsonb END
$$;

CREATE FUNCTION helpdesk.escalation_rule_get(id int, for_update boolean DEFAULT false)
RETURNS helpdesk.escalation_rules
LANGUAGE plpgsql VOLATILE
AS $$
DECLARE
    r helpdesk.escalation_rules;
BEGIN
    IF for_update THEN
        SELECT * INTO r FROM helpdesk.escalation_rules er WHERE er.id = escalation_rule_get.id FOR UPDATE;
    ELSE
        SELECT * INTO r FROM helpdesk.escalation_rules er WHERE er.id = escalation_rule_get.id;
    END IF;
    IF NOT FOUND THEN
        PERFORM helpdesk.http_error(404, format('Escalation rule with ID %s not found', id));
    END IF;
    RETURN r;
END
$$;

-- Read the rule fields of a create or update body into `r` (only those present when partial),
-- then check the rule as a whole.
CREATE FUNCTION helpdesk.escalation_rule_from_body(b jsonb, r helpdesk.escalation_rules, partial boolean)
RETURNS helpdesk.escalation_rules
LANGUAGE plpgsql STABLE
AS $$
BEGIN
    IF NOT partial OR b ? 'name' THEN
        r.name := helpdesk.field_text(b, 'name', true, NULL, 100);
    END IF;
    IF b ? 'description' THEN
        r.description := helpdesk.field_text(b, 'description');
    END IF;
    IF b ? 'priority' THEN
        r.priority := helpdesk.field_enum(b, 'priority', ARRAY['Low', 'Medium', 'High']);
    END IF;
    IF b ? 'categoryId' THEN
        r.category_id := helpdesk.field_int(b, 'categoryId', false, 1);
        IF r.category_id IS NOT NULL AND NOT EXISTS (SELECT FROM helpdesk.categories c WHERE c.id = r.category_id) THEN
            PERFORM helpdesk.http_error(400, 'Category not found');
        END IF;
    END IF;
    IF NOT partial OR b ? 'triggerType' THEN
        r.trigger_type := helpdesk.field_enum(b, 'triggerType',
                                              ARRAY['sla_at_risk', 'sla_breached', 'no_response', 'no_assignment'], true);
    END IF;
    IF b ? 'triggerHours' THEN
        r.trigger_hours := helpdesk.field_int(b, 'triggerHours', false, 1);
    END IF;
    IF NOT partial OR b ? 'escalationLevel' THEN
        r.escalation_level := helpdesk.field_int(b, 'escalationLevel', true, 1, 5);
    END IF;
    IF NOT partial OR b ? 'targetType' THEN
        r.target_type := helpdesk.field_enum(b, 'targetType', ARRAY['role', 'user', 'manager'], true);
    END IF;
    IF b ? 'targetRole' THEN
        r.target_role := helpdesk.field_enum(b, 'targetRole', ARRAY['Employee', 'IT_Staff', 'Admin']);
    END IF;
    IF b ? 'targetUserId' THEN
        r.target_user_id := helpdesk.field_int(b, 'targetUserId', false, 1);
        IF r.target_user_id IS NOT NULL AND NOT EXISTS (SELECT FROM helpdesk.users u WHERE u.id = r.target_user_id) THEN
            PERFORM helpdesk.http_error(400, 'Target user not found');
        END IF;
    END IF;
    IF b ? 'notifyManager' THEN
        r.notify_manager := coalesce(helpdesk.field_bool(b, 'notifyManager'), true);
    END IF;
    IF b ? 'isActive' THEN
        r.is_active := coalesce(helpdesk.field_bool(b, 'isActive'), true);
    END IF;

    IF r.trigger_type IN ('no_response', 'no_assignment') AND r.trigger_hours IS NULL THEN
        PERFORM helpdesk.http_error(400, format('triggerHours is required for trigger type %s', r.trigger_type));
    END IF;
    IF r.target_type = 'role' AND r.target_role IS NULL THEN
        PERFORM helpdesk.http_error(400, 'targetRole is required for target type role');
    END IF;
    IF r.target_type = 'user' AND r.target_user_id IS NULL THEN
        PERFORM helpdesk.http_error(400, 'targetUserId is required for target type user');
    END IF;
    RETURN r;
END
$$;

-- POST /escalation/rules
CREATE FUNCTION helpdesk_api.escalation_rules_create(req jsonb)
RETURNS jsonb
LANGUAGE plpgsql
AS $$
DECLARE
    actor helpdesk.users := helpdesk.current_actor();
    b jsonb;
    r helpdesk.escalation_rules;
BEGIN
    PERFORM helpdesk.require_role(actor, 'Admin');
    b := helpdesk.body(req, 'name', 'description', 'priority', 'categoryId', 'triggerType', 'triggerHours',
                       'escalationLevel', 'targetType', 'targetRole', 'targetUserId', 'notifyManager', 'isActive');
    r.notify_manager := true;
    r.is_active := true;
    r := helpdesk.escalation_rule_from_body(b, r, false);
    INSERT INTO helpdesk.escalation_rules (name, description, priority, category_id, trigger_type, trigger_hours,
                                           escalation_level, target_type, target_role, target_user_id,
                                           notify_manager, is_active)
    VALUES (r.name, r.description, r.priority, r.category_id, r.trigger_type, r.trigger_hours,
            r.escalation_level, r.target_type, r.target_role, r.target_user_id, r.notify_manager, r.is_active)
    RETURNING * INTO r;
    PERFORM helpdesk.audit('escalation_rule_created', 'escalation_rule', r.id);
    RETURN helpdesk.escalation_rule_json(r, false);
END
$$;

-- GET /escalation/rules?isActive&priority&categoryId&triggerType&targetType
CREATE FUNCTION helpdesk_api.escalation_rules_list(req jsonb)
RETURNS jsonb
LANGUAGE plpgsql STABLE
AS $$
DECLARE
    actor helpdesk.users := helpdesk.current_actor();
    active boolean;
    prio text;
    cat int;
    ttype text;
    target text;
    result jsonb;
BEGIN
    PERFORM helpdesk.require_role(actor, 'Admin', 'IT_Staff');
    active := helpdesk.query_bool(req, 'isActive');
    prio := helpdesk.query_enum(req, 'priority', ARRAY['Low', 'Medium', 'High']);
    cat := helpdesk.query_int(req, 'categoryId', NULL, 1);
    ttype := helpdesk.query_enum(req, 'triggerType', ARRAY['sla_at_risk', 'sla_breached', 'no_response', 'no_assignment']);
    target := helpdesk.query_enum(req, 'targetType', ARRAY['role', 'user', 'manager']);
    SELECT coalesce(jsonb_agg(helpdesk.escalation_rule_json(r) ORDER BY r.escalation_level, r.created_at DESC, r.id DESC), '[]')
    INTO result
    FROM helpdesk.escalation_rules r
    WHERE (active IS NULL OR r.is_active = active)
      AND (prio IS NULL OR r.priority = prio::helpdesk.ticket_priority)
      AND (cat IS NULL OR r.category_id = cat)
      AND (ttype IS NULL OR r.trigger_type = ttype)
      AND (target IS NULL OR r.target_type = target);
    RETURN result;
END
$$;

-- GET /escalation/rules/:id
CREATE FUNCTION helpdesk_api.escalation_rules_get(req jsonb)
RETURNS jsonb
LANGUAGE plpgsql STABLE
AS $$
DECLARE
    actor helpdesk.users := helpdesk.current_actor();
BEGIN
    PERFORM helpdesk.require_role(actor, 'Admin', 'IT_Staff');
    RETURN helpdesk.escalation_rule_json(helpdesk.escalation_rule_get(helpdesk.path_int(req)));
END
$$;

-- PUT /escalation/rules/:id (a partial of create)
CREATE FUNCTION helpdesk_api.escalation_rules_update(req jsonb)
RETURNS jsonb
LANGUAGE plpgsql
AS $$
DECLARE
    actor helpdesk.users := helpdesk.current_actor();
    b jsonb;
    r helpdesk.escalation_rules;
BEGIN
    PERFORM helpdesk.require_role(actor, 'Admin');
    b := helpdesk.body(req, 'name', 'description', 'priority', 'categoryId', 'triggerType', 'triggerHours',
                       'escalationLevel', 'targetType', 'targetRole', 'targetUserId', 'notifyManager', 'isActive');
    r := helpdesk.escalation_rule_get(helpdesk.path_int(req), true);
    r := helpdesk.escalation_rule_from_body(b, r, true);
    UPDATE helpdesk.escalation_rules
    SET name = r.name, description = r.description, priority = r.priority, category_id = r.category_id,
        trigger_type = r.trigger_type, trigger_hours = r.trigger_hours, escalation_level = r.escalation_level,
        target_type = r.target_type, target_role = r.target_role, target_user_id = r.target_user_id,
        notify_manager = r.notify_manager, is_active = r.is_active
    WHERE id = r.id
    RETURNING * INTO r;
    PERFORM helpdesk.audit('escalation_rule_updated', 'escalation_rule', r.id);
    RETURN helpdesk.escalation_rule_json(r);
END
$$;

-- DELETE /escalation/rules/:id (its history rows stay, with rule_id NULL)
CREATE FUNCTION helpdesk_api.escalation_rules_delete(req jsonb)
RETURNS jsonb
LANGUAGE plpgsql
AS $$
DECLARE
    actor helpdesk.users := helpdesk.current_actor();
    r helpdesk.escalation_rules;
BEGIN
    PERFORM helpdesk.require_role(actor, 'Admin');
    r := helpdesk.escalation_rule_get(helpdesk.path_int(req), true);
    DELETE FROM helpdesk.escalation_rules WHERE id = r.id;
    PERFORM helpdesk.audit('escalation_rule_deleted', 'escalation_rule', r.id);
    RETURN jsonb_build_object('message', 'Escalation rule deleted successfully');
END
$$;

-- GET /escalation/history/ticket/:ticketId
CREATE FUNCTION helpdesk_api.escalation_history_ticket(req jsonb)
RETURNS jsonb
LANGUAGE plpgsql STABLE
AS $$
DECLARE
    actor helpdesk.users := helpdesk.current_actor();
    t helpdesk.tickets := helpdesk.visible_ticket(actor, helpdesk.path_int(req, 'ticketId'));
    result jsonb;
BEGIN
    SELECT coalesce(jsonb_agg(helpdesk.escalation_history_json(h) ORDER BY h.created_at DESC, h.id DESC), '[]')
    INTO result
    FROM helpdesk.escalation_history h
    WHERE h.ticket_id = t.id;
    RETURN result;
END
$$;

-- An ISO date or timestamp query parameter (NULL when absent, 400 when invalid).
CREATE FUNCTION helpdesk.query_timestamptz(req jsonb, key text)
RETURNS timestamptz
LANGUAGE plpgsql STABLE
AS $$
DECLARE
    s text := nullif(btrim(req -> 'query' ->> key), '');
BEGIN
    IF s IS NULL THEN
        RETURN NULL;
    END IF;
    IF s !~ '^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}(:?\d{2})?)?)?$' THEN
        PERFORM helpdesk.validation_error(key || ' must be a valid ISO 8601 date string');
    END IF;
    BEGIN
        RETURN s::timestamptz;
    EXCEPTION WHEN OTHERS THEN
        PERFORM helpdesk.validation_error(key || ' must be a valid ISO 8601 date string');
    END;
    RETURN NULL;
END
$$;

-- GET /escalation/history?ticketId&ruleId&escalatedToUserId&startDate&endDate
CREATE FUNCTION helpdesk_api.escalation_history_list(req jsonb)
RETURNS jsonb
LANGUAGE plpgsql STABLE
AS $$
DECLARE
    actor helpdesk.users := helpdesk.current_actor();
    tid int;
    rid int;
    uid int;
    since timestamptz;
    until timestamptz;
    result jsonb;
BEGIN
    PERFORM helpdesk.require_role(actor, 'Admin', 'IT_Staff');
    tid := helpdesk.query_int(req, 'ticketId', NULL, 1);
    rid := helpdesk.query_int(req, 'ruleId', NULL, 1);
    uid := helpdesk.query_int(req, 'escalatedToUserId', NULL, 1);
    since := helpdesk.query_timestamptz(req, 'startDate');
    until := helpdesk.query_timestamptz(req, 'endDate');
    -- a bare date as endDate means the whole day
    IF until IS NOT NULL AND (req -> 'query' ->> 'endDate') ~ '^\s*\d{4}-\d{2}-\d{2}\s*$' THEN
        until := until + interval '1 day';
    END IF;
    SELECT coalesce(jsonb_agg(helpdesk.escalation_history_json(h, true) ORDER BY h.created_at DESC, h.id DESC), '[]')
    INTO result
    FROM helpdesk.escalation_history h
    WHERE (tid IS NULL OR h.ticket_id = tid)
      AND (rid IS NULL OR h.rule_id = rid)
      AND (uid IS NULL OR h.escalated_to_user_id = uid)
      AND (since IS NULL OR h.created_at >= since)
      AND (until IS NULL OR h.created_at < until);
    RETURN result;
END
$$;

-- POST /escalation/tickets/:ticketId/escalate {ruleId}
CREATE FUNCTION helpdesk_api.escalation_escalate(req jsonb)
RETURNS jsonb
LANGUAGE plpgsql
AS $$
DECLARE
    actor helpdesk.users := helpdesk.current_actor();
    b jsonb;
    t helpdesk.tickets;
    r helpdesk.escalation_rules;
    h helpdesk.escalation_history;
BEGIN
    PERFORM helpdesk.require_role(actor, 'Admin', 'IT_Staff');
    b := helpdesk.body(req, 'ruleId');
    t := helpdesk.visible_ticket(actor, helpdesk.path_int(req, 'ticketId'));
    r := helpdesk.escalation_rule_get(helpdesk.field_int(b, 'ruleId', true, 1));
    h := helpdesk.escalate(t.id, r.id, actor.id::text);
    IF h.id IS NULL THEN
        PERFORM helpdesk.http_error(409, format('Ticket %s was already escalated by rule %s to level %s',
                                               t.ticket_number, r.id, r.escalation_level));
    END IF;
    RETURN helpdesk.escalation_history_json(h);
END
$$;

-- POST /escalation/check-now: the watcher's escalation pass, at once.
CREATE FUNCTION helpdesk_api.escalation_check_now(req jsonb)
RETURNS jsonb
LANGUAGE plpgsql
AS $$
DECLARE
    actor helpdesk.users := helpdesk.current_actor();
    n int;
BEGIN
    PERFORM helpdesk.require_role(actor, 'Admin');
    PERFORM helpdesk.body(req, VARIADIC ARRAY[]::text[]);
    -- the watcher's own pass (warnings and breaches due now included), at once
    SELECT s.escalations INTO n FROM helpdesk.sla_scan(now()) s;
    RETURN jsonb_build_object('message', 'Escalation check triggered successfully', 'escalatedCount', n);
END
$$;
