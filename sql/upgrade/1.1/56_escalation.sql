-- 56_escalation, 1.0 to 1.1: the time-based rules' waiting tickets defined once, their thresholds
-- (escalation_next_deadline, read by the watcher), and the triggers that wake the watcher for them.

-- Whether rule `r` applies to ticket `t` now: its priority and category filters, and it has not
-- escalated the ticket to its level yet (once per level).
CREATE OR REPLACE FUNCTION helpdesk.escalation_applies(r helpdesk.escalation_rules, t helpdesk.tickets)
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
CREATE OR REPLACE FUNCTION helpdesk.escalation_unassigned(r helpdesk.escalation_rules)
RETURNS SETOF helpdesk.tickets
LANGUAGE sql STABLE
AS $$
    SELECT t.* FROM helpdesk.tickets t
    WHERE t.status = 'New' AND t.assignee_id IS NULL AND helpdesk.escalation_applies(r, t)
$$;

CREATE OR REPLACE FUNCTION helpdesk.escalation_unanswered(r helpdesk.escalation_rules)
RETURNS SETOF helpdesk.tickets
LANGUAGE sql STABLE
AS $$
    SELECT t.* FROM helpdesk.tickets t
    WHERE t.status IN ('Assigned', 'In Progress') AND t.assignee_id IS NOT NULL AND t.first_response_at IS NULL
      AND helpdesk.escalation_applies(r, t)
$$;

CREATE OR REPLACE FUNCTION helpdesk.escalation_waiting(r helpdesk.escalation_rules)
RETURNS SETOF helpdesk.tickets
LANGUAGE sql STABLE
AS $$
    SELECT * FROM helpdesk.escalation_unassigned(r) WHERE r.trigger_type = 'no_assignment'
    UNION ALL
    SELECT * FROM helpdesk.escalation_unanswered(r) WHERE r.trigger_type = 'no_response'
$$;

-- Tickets a rule applies to at `at`, not yet escalated by it at its level. One query per
-- trigger type, each an index range scan (due dates, warning instants, creation instants).
CREATE OR REPLACE FUNCTION helpdesk.escalation_candidates(r helpdesk.escalation_rules, at timestamptz)
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
CREATE OR REPLACE FUNCTION helpdesk.escalation_next_deadline()
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
CREATE OR REPLACE FUNCTION helpdesk.escalation_ticket_waits(r helpdesk.escalation_rules, t helpdesk.tickets)
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
CREATE OR REPLACE FUNCTION helpdesk.escalation_ticket_changed()
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
CREATE OR REPLACE FUNCTION helpdesk.escalation_rules_changed()
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
