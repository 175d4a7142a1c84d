-- 57_escalation: escalation rules applied to tickets, by the SLA watcher (helpdesk.sla_scan) and
-- on demand (POST /escalation/check-now, POST /escalation/tickets/:id/escalate).
--
-- Trigger types (a rule applies when its priority and category are NULL or match the ticket):
--   sla_breached   the resolution clock runs past its deadline (status New/Assigned/In Progress)
--   sla_at_risk    helpdesk.sla_at_risk(ticket, at): the one at-risk definition
--   no_assignment  status New, no assignee, created at least trigger_hours ago
--   no_response    an assignee, status Assigned/In Progress, no first response yet, created at
--                  least trigger_hours ago
-- Targets: user (target_user_id), role (the active user of target_role with the fewest tickets
-- in New/Assigned/In Progress/Pending; ties to the lowest id), manager (the first active Admin).
-- A (ticket, rule) pair escalates once per level: a unique index decides.

CREATE UNIQUE INDEX escalation_history_once ON helpdesk.escalation_history (ticket_id, rule_id, to_level);

-- Open tickets per assignee, counted from the index alone (least-loaded choices).
CREATE INDEX tickets_open_assignee_idx ON helpdesk.tickets (assignee_id)
    WHERE status IN ('New', 'Assigned', 'In Progress', 'Pending');

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
              WHERE t.assignee_id = u.id AND t.status IN ('New', 'Assigned', 'In Progress', 'Pending')),
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
        SELECT t.id FROM helpdesk.tickets t
        WHERE t.status IN ('New', 'Assigned', 'In Progress') AND t.due_date <= at
          AND (r.priority IS NULL OR t.priority = r.priority) AND (r.category_id IS NULL OR t.category_id = r.category_id)
          AND NOT EXISTS (SELECT FROM helpdesk.escalation_history h
                          WHERE h.ticket_id = t.id AND h.rule_id = r.id AND h.to_level = r.escalation_level)
        ORDER BY t.id;
    ELSIF r.trigger_type = 'sla_at_risk' THEN
        RETURN QUERY
        SELECT t.id FROM helpdesk.sla_at_risk_ids(at) a JOIN helpdesk.tickets t ON t.id = a
        WHERE (r.priority IS NULL OR t.priority = r.priority) AND (r.category_id IS NULL OR t.category_id = r.category_id)
          AND NOT EXISTS (SELECT FROM helpdesk.escalation_history h
                          WHERE h.ticket_id = t.id AND h.rule_id = r.id AND h.to_level = r.escalation_level)
        ORDER BY t.id;
    ELSIF r.trigger_type = 'no_assignment' THEN
        RETURN QUERY
        SELECT t.id FROM helpdesk.tickets t
        WHERE t.status = 'New' AND t.assignee_id IS NULL AND t.created_at <= since
          AND (r.priority IS NULL OR t.priority = r.priority) AND (r.category_id IS NULL OR t.category_id = r.category_id)
          AND NOT EXISTS (SELECT FROM helpdesk.escalation_history h
                          WHERE h.ticket_id = t.id AND h.rule_id = r.id AND h.to_level = r.escalation_level)
        ORDER BY t.id;
    ELSIF r.trigger_type = 'no_response' THEN
        RETURN QUERY
        SELECT t.id FROM helpdesk.tickets t
        WHERE t.status IN ('Assigned', 'In Progress') AND t.assignee_id IS NOT NULL AND t.first_response_at IS NULL
          AND t.created_at <= since
          AND (r.priority IS NULL OR t.priority = r.priority) AND (r.category_id IS NULL OR t.category_id = r.category_id)
          AND NOT EXISTS (SELECT FROM helpdesk.escalation_history h
                          WHERE h.ticket_id = t.id AND h.rule_id = r.id AND h.to_level = r.escalation_level)
        ORDER BY t.id;
    END IF;
END
$$;

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
        ORDER BY array_position(ARRAY['sla_breached', 'sla_at_risk', 'no_assignment', 'no_response']::varchar[],
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
