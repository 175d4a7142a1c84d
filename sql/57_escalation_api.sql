-- 57_escalation_api: the escalation routes (seed §2.12), with the client's extra filters. The
-- rules are in sql/56_escalation.sql; POST /escalation/check-now runs the scan (sql/59_sla_api.sql).

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
        r.priority := helpdesk.field_enum(b, 'priority', NULL::helpdesk.ticket_priority);
    END IF;
    IF b ? 'categoryId' THEN
        r.category_id := helpdesk.field_int(b, 'categoryId', false, 1);
        IF r.category_id IS NOT NULL AND NOT EXISTS (SELECT FROM helpdesk.categories c WHERE c.id = r.category_id) THEN
            PERFORM helpdesk.http_error(400, 'Category not found');
        END IF;
    END IF;
    IF NOT partial OR b ? 'triggerType' THEN
        r.trigger_type := helpdesk.field_enum(b, 'triggerType', NULL::helpdesk.escalation_trigger, true);
    END IF;
    IF b ? 'triggerHours' THEN
        r.trigger_hours := helpdesk.field_int(b, 'triggerHours', false, 1);
    END IF;
    IF NOT partial OR b ? 'escalationLevel' THEN
        r.escalation_level := helpdesk.field_int(b, 'escalationLevel', true, 1, 5);
    END IF;
    IF NOT partial OR b ? 'targetType' THEN
        r.target_type := helpdesk.field_enum(b, 'targetType', NULL::helpdesk.escalation_target, true);
    END IF;
    IF b ? 'targetRole' THEN
        r.target_role := helpdesk.field_enum(b, 'targetRole', NULL::helpdesk.user_role);
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
    b jsonb := helpdesk.body(req, 'name', 'description', 'priority', 'categoryId', 'triggerType', 'triggerHours',
                             'escalationLevel', 'targetType', 'targetRole', 'targetUserId', 'notifyManager', 'isActive');
    r helpdesk.escalation_rules;
BEGIN
    r.notify_manager := true;
    r.is_active := true;
    RETURN helpdesk.escalation_rule_json(
        helpdesk.escalation_rule_create(actor, helpdesk.escalation_rule_from_body(b, r, false)),
        false);
END
$$;

-- GET /escalation/rules?isActive&priority&categoryId&triggerType&targetType
CREATE FUNCTION helpdesk_api.escalation_rules_list(req jsonb)
RETURNS jsonb
LANGUAGE plpgsql STABLE
AS $$
BEGIN
    RETURN helpdesk.escalation_rule_list(helpdesk.current_actor(),
        helpdesk.query_bool(req, 'isActive'),
        helpdesk.query_enum(req, 'priority', NULL::helpdesk.ticket_priority),
        helpdesk.query_int(req, 'categoryId', NULL, 1),
        helpdesk.query_enum(req, 'triggerType', NULL::helpdesk.escalation_trigger),
        helpdesk.query_enum(req, 'targetType', NULL::helpdesk.escalation_target));
END
$$;

-- GET /escalation/rules/:id
CREATE FUNCTION helpdesk_api.escalation_rules_get(req jsonb)
RETURNS jsonb
LANGUAGE plpgsql STABLE
AS $$
BEGIN
    RETURN helpdesk.escalation_rule_json(helpdesk.escalation_rule_view(helpdesk.current_actor(), helpdesk.path_int(req)));
END
$$;

-- PUT /escalation/rules/:id (a partial of create)
CREATE FUNCTION helpdesk_api.escalation_rules_update(req jsonb)
RETURNS jsonb
LANGUAGE plpgsql
AS $$
DECLARE
    actor helpdesk.users := helpdesk.current_actor();
    b jsonb := helpdesk.body(req, 'name', 'description', 'priority', 'categoryId', 'triggerType', 'triggerHours',
                             'escalationLevel', 'targetType', 'targetRole', 'targetUserId', 'notifyManager', 'isActive');
BEGIN
    RETURN helpdesk.escalation_rule_json(helpdesk.escalation_rule_update(actor,
        helpdesk.escalation_rule_from_body(b, helpdesk.escalation_rule_view(actor, helpdesk.path_int(req)), true)));
END
$$;

-- DELETE /escalation/rules/:id (its history rows stay, with rule_id NULL)
CREATE FUNCTION helpdesk_api.escalation_rules_delete(req jsonb)
RETURNS jsonb
LANGUAGE plpgsql
AS $$
BEGIN
    PERFORM helpdesk.escalation_rule_delete(helpdesk.current_actor(), helpdesk.path_int(req));
    RETURN jsonb_build_object('message', 'Escalation rule deleted successfully');
END
$$;

-- GET /escalation/history/ticket/:ticketId
CREATE FUNCTION helpdesk_api.escalation_history_ticket(req jsonb)
RETURNS jsonb
LANGUAGE plpgsql STABLE
AS $$
BEGIN
    RETURN helpdesk.escalation_history_of(helpdesk.current_actor(), helpdesk.path_int(req, 'ticketId'));
END
$$;

-- GET /escalation/history?ticketId&ruleId&escalatedToUserId&startDate&endDate
CREATE FUNCTION helpdesk_api.escalation_history_list(req jsonb)
RETURNS jsonb
LANGUAGE plpgsql STABLE
AS $$
DECLARE
    actor helpdesk.users := helpdesk.current_actor();
    until timestamptz := helpdesk.query_timestamptz(req, 'endDate');
BEGIN
    -- a bare date as endDate means the whole day
    IF until IS NOT NULL AND (req -> 'query' ->> 'endDate') ~ '^\s*\d{4}-\d{2}-\d{2}\s*$' THEN
        until := until + interval '1 day';
    END IF;
    RETURN helpdesk.escalation_history_list(actor,
        helpdesk.query_int(req, 'ticketId', NULL, 1), helpdesk.query_int(req, 'ruleId', NULL, 1),
        helpdesk.query_int(req, 'escalatedToUserId', NULL, 1),
        helpdesk.query_timestamptz(req, 'startDate'), until);
END
$$;

-- POST /escalation/tickets/:ticketId/escalate {ruleId}
CREATE FUNCTION helpdesk_api.escalation_escalate(req jsonb)
RETURNS jsonb
LANGUAGE plpgsql
AS $$
DECLARE
    actor helpdesk.users := helpdesk.current_actor();
    b jsonb := helpdesk.body(req, 'ruleId');
BEGIN
    RETURN helpdesk.escalation_history_json(helpdesk.escalate_by_hand(actor,
        helpdesk.path_int(req, 'ticketId'), helpdesk.field_int(b, 'ruleId', true, 1)));
END
$$;
