-- SLA clocks for tickets loaded by bench/generate.sql (which writes tickets with triggers off,
-- so none start): one response and one resolution clock per ticket, with the outcome its dates
-- say (wall-clock targets of the demo rules: due_date is created_at + the resolution target).
-- A benchmark's data, not what the SLA engine would compute to the second.
SET session_replication_role = replica;
-- One transaction: the SLA watcher must never see the clocks inserted before the update below
-- records their past warnings and breaches (nor the escalation rules still on). At 1M tickets
-- it once did, between the two statements: its catch-up round over the past-due clocks then
-- held the report facts' lock for 12+ minutes and reports_rebuild() waited on it.
BEGIN;
INSERT INTO helpdesk.sla_clocks (ticket_id, kind, state, target, cycle_start, paused_since, due_at, warn_at, stopped_at,
                                 next_deadline)
SELECT t.id, 'resolution',
       CASE WHEN t.resolved_at IS NOT NULL THEN CASE WHEN t.resolved_at <= t.due_date THEN 'met' ELSE 'missed' END
            WHEN t.status = 'Pending' THEN 'paused' ELSE 'running' END,
       t.due_date - t.created_at, t.created_at,
       CASE WHEN t.resolved_at IS NULL AND t.status = 'Pending' THEN t.created_at + (t.due_date - t.created_at) / 2 END,
       t.due_date, t.created_at + (t.due_date - t.created_at) * 0.8, t.resolved_at,
       CASE WHEN t.resolved_at IS NULL AND t.status <> 'Pending' THEN t.due_date END
FROM helpdesk.tickets t
UNION ALL
SELECT t.id, 'response',
       CASE WHEN t.status = 'New' THEN 'running' ELSE 'met' END,
       (t.due_date - t.created_at) / 4, t.created_at, NULL,
       t.created_at + (t.due_date - t.created_at) / 4, t.created_at + (t.due_date - t.created_at) / 5,
       CASE WHEN t.status <> 'New' THEN t.created_at + (t.due_date - t.created_at) / 8 END, NULL
FROM helpdesk.tickets t;
-- A desk running all along had its watcher fire the warnings and breaches of the past as they
-- came: recorded here, or the watcher's first round on the loaded data fires all of them at
-- once (at 1M tickets tens of thousands: a catch-up of many minutes beside what is measured).
UPDATE helpdesk.sla_clocks c
SET warned_at = CASE WHEN c.warn_at <= now() THEN c.warn_at END,
    breached_at = CASE WHEN c.due_at <= now() THEN c.due_at END,
    next_deadline = CASE WHEN c.due_at <= now() THEN NULL WHEN c.warn_at <= now() THEN c.due_at ELSE c.warn_at END
WHERE c.state = 'running' AND c.next_deadline IS NOT NULL;
-- The same holds for the escalation rules of the seed: tens of thousands of the loaded open
-- tickets match them (unassigned, unanswered, high priority past due), and the watcher's first
-- round would escalate them all in one transaction of many minutes, started again at each run.
-- Escalation is not what this benchmark measures: the rules are switched off.
UPDATE helpdesk.escalation_rules SET is_active = false;
COMMIT;
ANALYZE helpdesk.tickets;
ANALYZE helpdesk.sla_clocks;
