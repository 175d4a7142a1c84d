-- 50_sla_rules: the SLA targets per priority (response and resolution hours), and who may
-- change them (an Admin; any signed-in user reads). The clocks they drive: sql/52_sla_clock.sql.

CREATE TABLE helpdesk.sla_rules (
    id                    serial PRIMARY KEY,
    priority              helpdesk.ticket_priority NOT NULL UNIQUE,
    response_time_hours   int NOT NULL CHECK (response_time_hours >= 1),
    resolution_time_hours int NOT NULL CHECK (resolution_time_hours >= 1),
    is_active             boolean NOT NULL DEFAULT true,
    created_at            timestamptz NOT NULL DEFAULT now(),
    updated_at            timestamptz NOT NULL DEFAULT now()
);

CREATE TRIGGER sla_rules_touch BEFORE UPDATE ON helpdesk.sla_rules
    FOR EACH ROW EXECUTE FUNCTION helpdesk.touch_updated_at();

SELECT pg_catalog.pg_extension_config_dump('helpdesk.sla_rules', '');

SELECT pg_catalog.pg_extension_config_dump('helpdesk.sla_rules_id_seq', '');

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

-- Create the rule of a priority (Admin); one rule per priority (409).
CREATE FUNCTION helpdesk.sla_rule_create(actor helpdesk.users, priority helpdesk.ticket_priority,
                                         response_hours int, resolution_hours int, is_active boolean DEFAULT true,
                                         changes jsonb DEFAULT '{}')
RETURNS helpdesk.sla_rules
LANGUAGE plpgsql
AS $$
DECLARE
    row helpdesk.sla_rules;
BEGIN
    PERFORM helpdesk.require_role(actor, 'Admin');
    -- one rule per priority: concurrent creates wait here, the second one gets the 409
    PERFORM pg_advisory_xact_lock(hashtext('helpdesk.sla_rules'));
    PERFORM helpdesk.sla_rule_check_free(priority);
    INSERT INTO helpdesk.sla_rules (priority, response_time_hours, resolution_time_hours, is_active)
    VALUES (priority, response_hours, resolution_hours, coalesce(is_active, true))
    RETURNING * INTO row;
    PERFORM helpdesk.audit('sla_rule.create', 'sla_rule', row.id, changes);
    RETURN row;
END
$$;

-- Change a rule (Admin); NULL leaves a field as it is. A new priority must be free (409).
CREATE FUNCTION helpdesk.sla_rule_update(actor helpdesk.users, rule_id int, new_priority helpdesk.ticket_priority,
                                         response_hours int, resolution_hours int, active boolean,
                                         changes jsonb DEFAULT '{}')
RETURNS helpdesk.sla_rules
LANGUAGE plpgsql
AS $$
DECLARE
    old helpdesk.sla_rules;
    row helpdesk.sla_rules;
BEGIN
    PERFORM helpdesk.require_role(actor, 'Admin');
    PERFORM pg_advisory_xact_lock(hashtext('helpdesk.sla_rules'));
    old := helpdesk.sla_rule_find(rule_id);
    IF new_priority IS NOT NULL AND new_priority <> old.priority THEN
        PERFORM helpdesk.sla_rule_check_free(new_priority, old.id);
    END IF;
    UPDATE helpdesk.sla_rules r SET
        priority = coalesce(new_priority, r.priority),
        response_time_hours = coalesce(response_hours, r.response_time_hours),
        resolution_time_hours = coalesce(resolution_hours, r.resolution_time_hours),
        is_active = coalesce(active, r.is_active)
    WHERE r.id = old.id
    RETURNING * INTO row;
    PERFORM helpdesk.audit('sla_rule.update', 'sla_rule', row.id, changes);
    RETURN row;
END
$$;

-- Delete a rule (Admin): tickets of that priority then have no SLA for new clocks.
CREATE FUNCTION helpdesk.sla_rule_delete(actor helpdesk.users, rule_id int)
RETURNS void
LANGUAGE plpgsql
AS $$
DECLARE
    old helpdesk.sla_rules;
BEGIN
    PERFORM helpdesk.require_role(actor, 'Admin');
    old := helpdesk.sla_rule_find(rule_id);
    DELETE FROM helpdesk.sla_rules WHERE id = old.id;
    PERFORM helpdesk.audit('sla_rule.delete', 'sla_rule', old.id, jsonb_build_object('priority', old.priority));
END
$$;

-- The rules by priority (Low, Medium, High), newest first within one.
CREATE FUNCTION helpdesk.sla_rule_list()
RETURNS jsonb
LANGUAGE sql STABLE
AS $$
    SELECT coalesce(jsonb_agg(helpdesk.sla_rule_json(r) ORDER BY r.priority, r.created_at DESC, r.id), '[]')
    FROM helpdesk.sla_rules r
$$;
