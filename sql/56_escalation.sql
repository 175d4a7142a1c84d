-- 56_escalation: escalation rules applied to tickets, by the SLA watcher (helpdesk.sla_scan) and
-- on demand (POST /escalation/check-now, POST /escalation/tickets/:id/escalate).
--
-- Trigger types (a rule applies when its priority and category are NULL or match the ticket):
--   sla_breached   helpdesk.sla_breached_ids(at): the one breached definition
--   sla_at_risk    helpdesk.sla_at_risk_ids(at): the one at-risk definition
--   no_assignment  status New, no assignee, created at least trigger_hours ago
--   no_response    an assignee, status Assigned/In Progress, no first response yet, created at
--                  least trigger_hours ago
-- Targets: user (target_user_id), role (the active user of target_role with the fewest tickets
-- in New/Assigned/In Progress/Pending; ties to the lowest id), manager (the first active Admin).
-- A (ticket, rule) pair escalates once per level: a unique index decides.
-- Who may do what: rules are an Admin's; staff read them and escalate by hand.

-- What makes a rule fire, and whom it escalates to.
CREATE TYPE helpdesk.escalation_trigger AS ENUM ('sla_at_risk', 'sla_breached', 'no_response', 'no_assignment');
CREATE TYPE helpdesk.escalation_target AS ENUM ('role', 'user', 'manager');

CREATE TABLE helpdesk.escalation_rules (
    id               serial PRIMARY KEY,
    name             varchar(100) NOT NULL CHECK (length(btrim(name)) > 0),
    description      text,
    priority         helpdesk.ticket_priority,
    category_id      int REFERENCES helpdesk.categories (id) ON DELETE SET NULL,
    trigger_type     helpdesk.escalation_trigger NOT NULL,
    trigger_hours    int CHECK (trigger_hours >= 1),
    escalation_level int NOT NULL DEFAULT 1 CHECK (escalation_level BETWEEN 1 AND 5),
    target_type      helpdesk.escalation_target NOT NULL,
    target_role      helpdesk.user_role,
    target_user_id   int REFERENCES helpdesk.users (id) ON DELETE SET NULL,
    notify_manager   boolean NOT NULL DEFAULT true,
    is_active        boolean NOT NULL DEFAULT true,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    CHECK (trigger_type NOT IN ('no_response', 'no_assignment') OR trigger_hours IS NOT NULL),
    CHECK (target_type <> 'role' OR target_role IS NOT NULL),
    CHECK (target_type <> 'user' OR target_user_id IS NOT NULL)
);

CREATE INDEX escalation_rules_active_idx ON helpdesk.escalation_rules (trigger_type) WHERE is_active;

CREATE TRIGGER escalation_rules_touch BEFORE UPDATE ON helpdesk.escalation_rules
    FOR EACH ROW EXECUTE FUNCTION helpdesk.touch_updated_at();

CREATE TABLE helpdesk.escalation_history (
    id                   serial PRIMARY KEY,
    ticket_id            int NOT NULL REFERENCES helpdesk.tickets (id) ON DELETE CASCADE,
    rule_id              int REFERENCES helpdesk.escalation_rules (id) ON DELETE SET NULL,
    from_level           int NOT NULL DEFAULT 1,
    to_level             int NOT NULL CHECK (to_level BETWEEN 1 AND 5),
    escalated_by         varchar(50) NOT NULL,
    escalated_to_user_id int REFERENCES helpdesk.users (id) ON DELETE SET NULL,
    escalated_to_role    varchar(50),
    reason               text NOT NULL,
    created_at           timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX escalation_history_ticket_idx ON helpdesk.escalation_history (ticket_id, created_at DESC);

CREATE INDEX escalation_history_created_idx ON helpdesk.escalation_history (created_at DESC);

SELECT pg_catalog.pg_extension_config_dump('helpdesk.escalation_rules', '');

SELECT pg_catalog.pg_extension_config_dump('helpdesk.escalation_rules_id_seq', '');

SELECT pg_catalog.pg_extension_config_dump('helpdesk.escalation_history', '');

SELECT pg_catalog.pg_extension_config_dump('helpdesk.escalation_history_id_seq', '');

CREATE UNIQUE INDEX escalation_history_once ON helpdesk.escalation_history (ticket_id, rule_id, to_level);

-- Open tickets per assignee, counted from the index alone (least-loaded choices).
CREATE INDEX tickets_open_assignee_idx ON helpdesk.tickets (assignee_id)
    WHERE helpdesk.ticket_is_open(status);

-- The active user of `role` with the fewest open tickets (New, Assigned, In Progress, Pending);
-- ties go to the lowest id. NULL when the role has no active user.
CREATE FUNCTION helpdesk.least_loaded_user(role helpdesk.user_role)
RETURNS int
LANGUAGE sql STABLE
AS $$
    SELECT u.id
    FROM helpdesk.users u
    WHERE u.role = least_loaded_user.role AND u.is_active
    ORDER BY (SELECT count(*) FROM helpdesk.tickets t
              WHERE t.assignee_id = u.id AND helpdesk.ticket_is_open(t.status)),
             u.id
    LIMIT 1
$$;

-- Where a rule escalates to: (user id or NULL, role or NULL).
CREATE FUNCTION helpdesk.escalation_target(r helpdesk.escalation_rules, OUT user_id int, OUT role text)
LANGUAGE plpgsql STABLE
AS $$
BEGIN
    CASE r.target_type
        WHEN 'user' THEN
            SELECT u.id INTO user_id FROM helpdesk.users u WHERE u.id = r.target_user_id AND u.is_active;
            role := NULL;
        WHEN 'role' THEN
            user_id := helpdesk.least_loaded_user(r.target_role);
            role := r.target_role::text;
        ELSE
            SELECT u.id INTO user_id FROM helpdesk.users u
            WHERE u.role = 'Admin' AND u.is_active ORDER BY u.id LIMIT 1;
            role := 'Admin';
    END CASE;
END
$$;

-- The reason text of the reference's templates.
CREATE FUNCTION helpdesk.escalation_reason(r helpdesk.escalation_rules, t helpdesk.tickets)
RETURNS text
LANGUAGE sql STABLE
AS $$
    SELECT CASE r.trigger_type
        WHEN 'sla_breached' THEN format('SLA breached for %s priority ticket', t.priority)
        WHEN 'sla_at_risk' THEN format('SLA at risk for %s priority ticket', t.priority)
        WHEN 'no_assignment' THEN format('Ticket not assigned after %s hours', r.trigger_hours)
        WHEN 'no_response' THEN format('No response after %s hours', r.trigger_hours)
        ELSE format('Escalated by rule: %s', r.name)
    END
$$;

-- Escalate ticket `ticket` by rule `rule`, on behalf of `escalated_by` ('system' or a user
-- id). Returns the new escalation_history row, or NULL when this (ticket, rule) pair already
-- reached the rule's level. In one transaction: the history row, the reassignment (a normal
-- UPDATE of the ticket, so its triggers record the `assigned` change), an `escalated` row in
-- ticket_history and the `ticket_escalated` notifications.
CREATE FUNCTION helpdesk.escalate(ticket int, rule int, escalated_by text)
RETURNS helpdesk.escalation_history
LANGUAGE plpgsql VOLATILE
AS $$
DECLARE
    t      helpdesk.tickets;
    r      helpdesk.escalation_rules;
    h      helpdesk.escalation_history;
    target record;
    reason text;
    prev_level int;
    previous_assignee int;
    actor_id int := CASE WHEN escalated_by ~ '^[0-9]{1,9}$' THEN escalated_by::int END;
BEGIN
    SELECT * INTO STRICT r FROM helpdesk.escalation_rules er WHERE er.id = rule;
    SELECT * INTO STRICT t FROM helpdesk.tickets tk WHERE tk.id = ticket FOR UPDATE;
    SELECT * INTO target FROM helpdesk.escalation_target(r);
    reason := helpdesk.escalation_reason(r, t);
    SELECT eh.to_level INTO prev_level FROM helpdesk.escalation_history eh
    WHERE eh.ticket_id = t.id ORDER BY eh.created_at DESC, eh.id DESC LIMIT 1;

    INSERT INTO helpdesk.escalation_history (ticket_id, rule_id, from_level, to_level, escalated_by,
                                             escalated_to_user_id, escalated_to_role, reason)
    VALUES (t.id, r.id, coalesce(prev_level, 1), r.escalation_level, escalated_by,
            target.user_id, target.role, reason)
    ON CONFLICT (ticket_id, rule_id, to_level) DO NOTHING
    RETURNING * INTO h;
    IF h.id IS NULL THEN
        RETURN NULL;
    END IF;

    previous_assignee := t.assignee_id;
    IF target.user_id IS NOT NULL AND target.user_id IS DISTINCT FROM t.assignee_id THEN
        UPDATE helpdesk.tickets SET assignee_id = target.user_id WHERE id = t.id;
    END IF;

    INSERT INTO helpdesk.ticket_history (ticket_id, user_id, action, field_name, old_value, new_value, description)
    VALUES (t.id, actor_id, 'escalated', 'escalation_level', h.from_level::text, h.to_level::text,
            format('Escalated to level %s: %s', h.to_level, reason));

    -- the escalated-to user; every other active Admin when notify_manager; the original assignee
    INSERT INTO helpdesk.notifications (user_id, type, title, message, ticket_id)
    SELECT target.user_id, 'ticket_escalated', format('Ticket Escalated: %s', t.ticket_number),
           format('Ticket "%s" has been escalated to you. Reason: %s', t.title, reason), t.id
    WHERE target.user_id IS NOT NULL;
    IF r.notify_manager THEN
        INSERT INTO helpdesk.notifications (user_id, type, title, message, ticket_id)
        SELECT u.id, 'ticket_escalated', format('Ticket Escalated: %s', t.ticket_number),
               format('Ticket "%s" has been escalated to level %s. Reason: %s', t.title, h.to_level, reason), t.id
        FROM helpdesk.users u
        WHERE u.role = 'Admin' AND u.is_active AND u.id IS DISTINCT FROM target.user_id;
    END IF;
    IF previous_assignee IS NOT NULL AND previous_assignee IS DISTINCT FROM target.user_id THEN
        INSERT INTO helpdesk.notifications (user_id, type, title, message, ticket_id)
        SELECT previous_assignee, 'ticket_escalated', format('Your Ticket Was Escalated: %s', t.ticket_number),
               format('Ticket "%s" has been escalated to level %s. Reason: %s', t.title, h.to_level, reason), t.id
        WHERE NOT (r.notify_manager AND EXISTS (SELECT FROM helpdesk.users u
                                                  WHERE u.id = previous_assignee AND u.role = 'Admin' AND u.is_active));
    END IF;
    RETURN h;
END
$$;

-- The time-based triggers read only the tickets they can match, through partial indexes, so a
-- scan costs the same with a million closed or answered tickets as with none.
CREATE INDEX tickets_no_assignment_idx ON helpdesk.tickets (created_at)
    WHERE status = 'New' AND assignee_id IS NULL;

CREATE INDEX tickets_no_response_idx ON helpdesk.tickets (created_at)
    WHERE status IN ('Assigned', 'In Progress') AND assignee_id IS NOT NULL AND first_response_at IS NULL;

-- Whether rule `r` applies to ticket `t` now: its priority and category filters, and it has not
-- escalated the ticket to its level yet (once per level).
CREATE FUNCTION helpdesk.escalation_applies(r helpdesk.escalation_rules, t helpdesk.tickets)
RETURNS boolean
LANGUAGE sql STABLE
AS $$
    SELECT (r.priority IS NULL OR t.priority = r.priority) AND (r.category_id IS NULL OR t.category_id = r.category_id)
       AND NOT EXISTS (SELECT FROM helpdesk.escalation_history h
                       WHERE h.ticket_id = t.id AND h.rule_id = r.id AND h.to_level = r.escalation_level)
$$;

-- The tickets a time-based rule waits on, whatever their age (they become its candidates
-- trigger_hours after their creation): for no_assignment the New tickets without an assignee,
-- for no_response the assigned ones in Assigned or In Progress without a first response; the
-- one definition of both triggers (escalation_candidates, escalation_next_deadline and the
-- watcher's wake-up read them). Each is an index range scan by creation instant (the partial
-- indexes above).
CREATE FUNCTION helpdesk.escalation_unassigned(r helpdesk.escalation_rules)
RETURNS SETOF helpdesk.tickets
LANGUAGE sql STABLE
AS $$
    SELECT t.* FROM helpdesk.tickets t
    WHERE t.status = 'New' AND t.assignee_id IS NULL AND helpdesk.escalation_applies(r, t)
$$;

CREATE FUNCTION helpdesk.escalation_unanswered(r helpdesk.escalation_rules)
RETURNS SETOF helpdesk.tickets
LANGUAGE sql STABLE
AS $$
    SELECT t.* FROM helpdesk.tickets t
    WHERE t.status IN ('Assigned', 'In Progress') AND t.assignee_id IS NOT NULL AND t.first_response_at IS NULL
      AND helpdesk.escalation_applies(r, t)
$$;

CREATE FUNCTION helpdesk.escalation_waiting(r helpdesk.escalation_rules)
RETURNS SETOF helpdesk.tickets
LANGUAGE sql STABLE
AS $$
    SELECT * FROM helpdesk.escalation_unassigned(r) WHERE r.trigger_type = 'no_assignment'
    UNION ALL
    SELECT * FROM helpdesk.escalation_unanswered(r) WHERE r.trigger_type = 'no_response'
$$;

-- Tickets a rule applies to at `at`, not yet escalated by it at its level. One query per
-- trigger type, each an index range scan (due dates, warning instants, creation instants).
CREATE FUNCTION helpdesk.escalation_candidates(r helpdesk.escalation_rules, at timestamptz)
RETURNS SETOF int
LANGUAGE plpgsql STABLE
AS $$
DECLARE
    since timestamptz := at - make_interval(hours => coalesce(r.trigger_hours, 0));
BEGIN
    IF r.trigger_type = 'sla_breached' THEN
        RETURN QUERY
        SELECT t.id FROM helpdesk.sla_breached_ids(at) b JOIN helpdesk.tickets t ON t.id = b
        WHERE helpdesk.escalation_applies(r, t)
        ORDER BY t.id;
    ELSIF r.trigger_type = 'sla_at_risk' THEN
        RETURN QUERY
        SELECT t.id FROM helpdesk.sla_at_risk_ids(at) a JOIN helpdesk.tickets t ON t.id = a
        WHERE helpdesk.escalation_applies(r, t)
        ORDER BY t.id;
    ELSIF r.trigger_type IN ('no_assignment', 'no_response') THEN
        RETURN QUERY
        SELECT w.id FROM helpdesk.escalation_waiting(r) w WHERE w.created_at <= since ORDER BY w.id;
    END IF;
END
$$;

-- The earliest instant a time-based rule reaches a ticket it waits on (creation + trigger_hours),
-- NULL when none: the SLA watcher sleeps until then at most (sla_next_deadline), so these rules
-- fire within a second of their threshold, as breaches do. One index probe per active rule.
CREATE FUNCTION helpdesk.escalation_next_deadline()
RETURNS timestamptz
LANGUAGE sql STABLE
AS $$
    SELECT min(CASE r.trigger_type
                   WHEN 'no_assignment' THEN (SELECT w.created_at FROM helpdesk.escalation_unassigned(r) w
                                              ORDER BY w.created_at LIMIT 1)
                   ELSE (SELECT w.created_at FROM helpdesk.escalation_unanswered(r) w ORDER BY w.created_at LIMIT 1)
               END + pg_catalog.make_interval(hours => r.trigger_hours))
    FROM helpdesk.escalation_rules r
    WHERE r.is_active AND r.trigger_type IN ('no_assignment', 'no_response')
$$;

-- Whether ticket row `t` waits on the time-based rule `r`: escalation_waiting(r) judged on a row
-- at hand instead of read back from the table, for the trigger below. The trigger read it back
-- through escalation_waiting(r), whose escalation_applies() (a SQL function with a sub-select,
-- never inlined) was planned again on every call: the costliest statement of a ticket creation
-- (bench/RESULTS.md, "Ticket creation profile"). PL/pgSQL keeps this plan for the session. The
-- same rules as escalation_unassigned / escalation_unanswered and escalation_applies;
-- tests/regress/sql/57_escalation.sql checks that they agree on every ticket and rule.
CREATE FUNCTION helpdesk.escalation_ticket_waits(r helpdesk.escalation_rules, t helpdesk.tickets)
RETURNS boolean
LANGUAGE plpgsql STABLE
-- (the plan cache kept choosing a custom plan of the expression below, planned at every call)
SET plan_cache_mode = force_generic_plan
AS $$
BEGIN
    RETURN CASE r.trigger_type
               WHEN 'no_assignment' THEN t.status = 'New' AND t.assignee_id IS NULL
               WHEN 'no_response' THEN t.status IN ('Assigned', 'In Progress') AND t.assignee_id IS NOT NULL
                                       AND t.first_response_at IS NULL
               ELSE false
           END
       AND (r.priority IS NULL OR t.priority = r.priority)
       AND (r.category_id IS NULL OR t.category_id = r.category_id)
       AND NOT EXISTS (SELECT FROM helpdesk.escalation_history h
                       WHERE h.ticket_id = t.id AND h.rule_id = r.id AND h.to_level = r.escalation_level);
END
$$;

-- Trigger: a ticket created, or changed in what the time-based rules look at, may now wait on a
-- rule whose threshold comes before the watcher's planned wake-up: wake it at commit for that
-- instant (sla_wake does nothing when the watcher wakes sooner anyway).
CREATE FUNCTION helpdesk.escalation_ticket_changed()
RETURNS trigger
LANGUAGE plpgsql
AS $$
DECLARE
    due timestamptz;
BEGIN
    SELECT min(NEW.created_at + pg_catalog.make_interval(hours => r.trigger_hours)) INTO due
    FROM helpdesk.escalation_rules r
    WHERE r.is_active AND r.trigger_type IN ('no_assignment', 'no_response')
      AND helpdesk.escalation_ticket_waits(r, NEW);
    IF due IS NOT NULL THEN
        PERFORM helpdesk.sla_wake(due);
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER tickets_50_escalation_wake_insert AFTER INSERT ON helpdesk.tickets
    FOR EACH ROW WHEN (NOT helpdesk.copying_rows()) EXECUTE FUNCTION helpdesk.escalation_ticket_changed();

CREATE TRIGGER tickets_50_escalation_wake_update AFTER UPDATE ON helpdesk.tickets
    FOR EACH ROW
    WHEN ((OLD.status, OLD.assignee_id, OLD.first_response_at, OLD.priority, OLD.category_id, OLD.created_at)
          IS DISTINCT FROM
          (NEW.status, NEW.assignee_id, NEW.first_response_at, NEW.priority, NEW.category_id, NEW.created_at))
    EXECUTE FUNCTION helpdesk.escalation_ticket_changed();

-- Trigger: a rule created, changed or removed may move the next threshold earlier: wake the
-- watcher at commit to read it again.
CREATE FUNCTION helpdesk.escalation_rules_changed()
RETURNS trigger
LANGUAGE plpgsql
AS $$
BEGIN
    PERFORM helpdesk.sla_wake('-infinity');
    RETURN NULL;
END
$$;

CREATE TRIGGER escalation_rules_wake AFTER INSERT OR UPDATE OR DELETE ON helpdesk.escalation_rules
    FOR EACH STATEMENT WHEN (NOT helpdesk.copying_rows()) EXECUTE FUNCTION helpdesk.escalation_rules_changed();

-- Apply every active rule at `at` (breached, then at risk, then no assignment, then no
-- response), each escalation in its own subtransaction. Returns how many escalations happened.
CREATE FUNCTION helpdesk.escalation_run(at timestamptz, escalated_by text DEFAULT 'system')
RETURNS int
LANGUAGE plpgsql VOLATILE
AS $$
DECLARE
    r helpdesk.escalation_rules;
    h helpdesk.escalation_history;
    tid int;
    n int := 0;
BEGIN
    FOR r IN
        SELECT * FROM helpdesk.escalation_rules
        WHERE is_active
        ORDER BY array_position(ARRAY['sla_breached', 'sla_at_risk', 'no_assignment', 'no_response']::helpdesk.escalation_trigger[],
                                trigger_type), escalation_level, id
    LOOP
        FOR tid IN SELECT helpdesk.escalation_candidates(r, at) LOOP
            BEGIN
                h := helpdesk.escalate(tid, r.id, escalated_by);
                IF h.id IS NOT NULL THEN
                    n := n + 1;
                END IF;
            EXCEPTION WHEN OTHERS THEN
                RAISE WARNING 'helpdesk escalation: ticket %, rule %: %', tid, r.id, SQLERRM;
            END;
        END LOOP;
    END LOOP;
    RETURN n;
END
$$;

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

-- Create a rule (Admin) from a row built by the caller (defaults: notify_manager, is_active).
CREATE FUNCTION helpdesk.escalation_rule_create(actor helpdesk.users, r helpdesk.escalation_rules)
RETURNS helpdesk.escalation_rules
LANGUAGE plpgsql
AS $$
BEGIN
    PERFORM helpdesk.require_role(actor, 'Admin');
    INSERT INTO helpdesk.escalation_rules (name, description, priority, category_id, trigger_type, trigger_hours,
                                           escalation_level, target_type, target_role, target_user_id,
                                           notify_manager, is_active)
    VALUES (r.name, r.description, r.priority, r.category_id, r.trigger_type, r.trigger_hours,
            r.escalation_level, r.target_type, r.target_role, r.target_user_id,
            coalesce(r.notify_manager, true), coalesce(r.is_active, true))
    RETURNING * INTO r;
    PERFORM helpdesk.audit('escalation_rule_created', 'escalation_rule', r.id);
    RETURN r;
END
$$;

-- Store a changed rule (Admin): every field of `r`, whose id names the rule.
CREATE FUNCTION helpdesk.escalation_rule_update(actor helpdesk.users, r helpdesk.escalation_rules)
RETURNS helpdesk.escalation_rules
LANGUAGE plpgsql
AS $$
BEGIN
    PERFORM helpdesk.require_role(actor, 'Admin');
    UPDATE helpdesk.escalation_rules
    SET name = r.name, description = r.description, priority = r.priority, category_id = r.category_id,
        trigger_type = r.trigger_type, trigger_hours = r.trigger_hours, escalation_level = r.escalation_level,
        target_type = r.target_type, target_role = r.target_role, target_user_id = r.target_user_id,
        notify_manager = r.notify_manager, is_active = r.is_active
    WHERE id = r.id
    RETURNING * INTO r;
    IF NOT FOUND THEN
        PERFORM helpdesk.http_error(404, format('Escalation rule with ID %s not found', r.id));
    END IF;
    PERFORM helpdesk.audit('escalation_rule_updated', 'escalation_rule', r.id);
    RETURN r;
END
$$;

-- Delete a rule (Admin); its history rows stay, with rule_id NULL.
CREATE FUNCTION helpdesk.escalation_rule_delete(actor helpdesk.users, rule_id int)
RETURNS void
LANGUAGE plpgsql
AS $$
DECLARE
    r helpdesk.escalation_rules;
BEGIN
    PERFORM helpdesk.require_role(actor, 'Admin');
    r := helpdesk.escalation_rule_get(rule_id, true);
    DELETE FROM helpdesk.escalation_rules WHERE id = r.id;
    PERFORM helpdesk.audit('escalation_rule_deleted', 'escalation_rule', r.id);
END
$$;

-- A rule as staff see it (Admin, IT_Staff).
CREATE FUNCTION helpdesk.escalation_rule_view(actor helpdesk.users, rule_id int)
RETURNS helpdesk.escalation_rules
LANGUAGE plpgsql STABLE
AS $$
BEGIN
    PERFORM helpdesk.require_role(actor, 'Admin', 'IT_Staff');
    RETURN helpdesk.escalation_rule_get(rule_id);
END
$$;

-- The rules (Admin, IT_Staff), filtered, by level then newest first.
CREATE FUNCTION helpdesk.escalation_rule_list(actor helpdesk.users, active boolean DEFAULT NULL,
                                              priority helpdesk.ticket_priority DEFAULT NULL,
                                              category_id int DEFAULT NULL,
                                              trigger_type helpdesk.escalation_trigger DEFAULT NULL,
                                              target_type helpdesk.escalation_target DEFAULT NULL)
RETURNS jsonb
LANGUAGE plpgsql STABLE
AS $$
BEGIN
    PERFORM helpdesk.require_role(actor, 'Admin', 'IT_Staff');
    RETURN (SELECT coalesce(jsonb_agg(helpdesk.escalation_rule_json(r)
                                      ORDER BY r.escalation_level, r.created_at DESC, r.id DESC), '[]')
            FROM helpdesk.escalation_rules r
            WHERE (active IS NULL OR r.is_active = active)
              AND (escalation_rule_list.priority IS NULL OR r.priority = escalation_rule_list.priority)
              AND (escalation_rule_list.category_id IS NULL OR r.category_id = escalation_rule_list.category_id)
              AND (escalation_rule_list.trigger_type IS NULL OR r.trigger_type = escalation_rule_list.trigger_type)
              AND (escalation_rule_list.target_type IS NULL OR r.target_type = escalation_rule_list.target_type));
END
$$;

-- A ticket's escalations, newest first (anyone who can see the ticket).
CREATE FUNCTION helpdesk.escalation_history_of(actor helpdesk.users, ticket_id int)
RETURNS jsonb
LANGUAGE plpgsql STABLE
AS $$
DECLARE
    t helpdesk.tickets := helpdesk.visible_ticket(actor, ticket_id);
BEGIN
    RETURN (SELECT coalesce(jsonb_agg(helpdesk.escalation_history_json(h) ORDER BY h.created_at DESC, h.id DESC), '[]')
            FROM helpdesk.escalation_history h
            WHERE h.ticket_id = t.id);
END
$$;

-- Every escalation (Admin, IT_Staff), filtered, newest first; `until` is exclusive.
CREATE FUNCTION helpdesk.escalation_history_list(actor helpdesk.users, ticket_id int DEFAULT NULL,
                                                 rule_id int DEFAULT NULL, to_user_id int DEFAULT NULL,
                                                 since timestamptz DEFAULT NULL, until timestamptz DEFAULT NULL)
RETURNS jsonb
LANGUAGE plpgsql STABLE
AS $$
BEGIN
    PERFORM helpdesk.require_role(actor, 'Admin', 'IT_Staff');
    RETURN (SELECT coalesce(jsonb_agg(helpdesk.escalation_history_json(h, true)
                                      ORDER BY h.created_at DESC, h.id DESC), '[]')
            FROM helpdesk.escalation_history h
            WHERE (escalation_history_list.ticket_id IS NULL OR h.ticket_id = escalation_history_list.ticket_id)
              AND (escalation_history_list.rule_id IS NULL OR h.rule_id = escalation_history_list.rule_id)
              AND (to_user_id IS NULL OR h.escalated_to_user_id = to_user_id)
              AND (since IS NULL OR h.created_at >= since)
              AND (until IS NULL OR h.created_at < until));
END
$$;

-- Escalate a ticket by a rule, by hand (Admin, IT_Staff, on a ticket they can see); 409 when
-- that rule already escalated the ticket to its level.
CREATE FUNCTION helpdesk.escalate_by_hand(actor helpdesk.users, ticket_id int, rule_id int)
RETURNS helpdesk.escalation_history
LANGUAGE plpgsql
AS $$
DECLARE
    t helpdesk.tickets;
    r helpdesk.escalation_rules;
    h helpdesk.escalation_history;
BEGIN
    PERFORM helpdesk.require_role(actor, 'Admin', 'IT_Staff');
    t := helpdesk.visible_ticket(actor, ticket_id);
    r := helpdesk.escalation_rule_get(rule_id);
    h := helpdesk.escalate(t.id, r.id, actor.id::text);
    IF h.id IS NULL THEN
        PERFORM helpdesk.http_error(409, format('Ticket %s was already escalated by rule %s to level %s',
                                               t.ticket_number, r.id, r.escalation_level));
    END IF;
    RETURN h;
END
$$;
