-- Escalation: who a rule escalates to, once per level, run by sla_scan with fixed clocks.
-- Continues in the database of 55_sla_clock.
\set SHOW_CONTEXT never
\c sla_regress
SET TimeZone = 'UTC';
SET datestyle = 'ISO';

-- A clean slate: what earlier files left open is closed (at a fixed instant).
BEGIN;
SET LOCAL helpdesk.sla_time = '2030-03-29 17:00+00';
UPDATE helpdesk.tickets SET status = 'Closed' WHERE status <> 'Closed';
COMMIT;

INSERT INTO helpdesk.users (username, email, password_hash, full_name, role) VALUES
    ('esc_a', 'esc_a@example.com', '$2a$04$x', 'Staff A', 'IT_Staff'),
    ('esc_b', 'esc_b@example.com', '$2a$04$x', 'Staff B', 'IT_Staff'),
    ('esc_c', 'esc_c@example.com', '$2a$04$x', 'Staff C', 'IT_Staff'),
    ('esc_admin2', 'esc_admin2@example.com', '$2a$04$x', 'Second Admin', 'Admin');
SELECT id AS emp FROM helpdesk.users WHERE username = 'sla_emp' \gset
SELECT id AS esc_a FROM helpdesk.users WHERE username = 'esc_a' \gset
SELECT id AS esc_c FROM helpdesk.users WHERE username = 'esc_c' \gset
SELECT id AS cat FROM helpdesk.categories WHERE name = 'SLA things' \gset
INSERT INTO helpdesk.categories (name) VALUES ('Elsewhere') RETURNING id AS other_cat \gset

CREATE FUNCTION pg_temp.mk(title text, prio helpdesk.ticket_priority, at timestamptz,
                           status helpdesk.ticket_status DEFAULT 'New', assignee int DEFAULT NULL)
RETURNS int LANGUAGE sql AS $$
    INSERT INTO helpdesk.tickets (ticket_number, title, description, category_id, priority, status, assignee_id,
                                  submitter_id, created_at)
    SELECT 'ESC-' || title, title, 'A description', c.id, prio, status, assignee, u.id, at
    FROM helpdesk.categories c, helpdesk.users u WHERE c.name = 'SLA things' AND u.username = 'sla_emp'
    RETURNING id $$;
CREATE FUNCTION pg_temp.loads() RETURNS TABLE (username text, role helpdesk.user_role, open_tickets bigint)
LANGUAGE sql AS $$
    SELECT u.username, u.role, count(t.id) FILTER (WHERE t.status IN ('New', 'Assigned', 'In Progress', 'Pending'))
    FROM helpdesk.users u LEFT JOIN helpdesk.tickets t ON t.assignee_id = u.id
    WHERE u.role IN ('IT_Staff', 'Admin') AND u.is_active GROUP BY u.id ORDER BY u.id $$;

-- Least loaded: fewest tickets in New/Assigned/In Progress/Pending; ties to the lowest id.
-- Closed and resolved tickets do not count.
SELECT pg_temp.mk('L1', 'Low', '2030-04-01 08:00+00', 'Assigned', :esc_a) IS NOT NULL AS l1,
       pg_temp.mk('L2', 'Low', '2030-04-01 08:00+00', 'In Progress', (SELECT id FROM helpdesk.users WHERE username = 'sla_staff')) IS NOT NULL AS l2,
       pg_temp.mk('L3', 'Low', '2030-04-01 08:00+00', 'Pending', (SELECT id FROM helpdesk.users WHERE username = 'esc_b')) IS NOT NULL AS l3,
       pg_temp.mk('L4', 'Low', '2030-04-01 08:00+00', 'Resolved', :esc_c) IS NOT NULL AS l4;
SELECT * FROM pg_temp.loads();
SELECT u.username AS least_loaded_staff FROM helpdesk.users u WHERE u.id = helpdesk.least_loaded_user('IT_Staff');
SELECT u.username AS least_loaded_admin FROM helpdesk.users u WHERE u.id = helpdesk.least_loaded_user('Admin');

-- Rules (seed-like). R5 is for another category and never applies here.
INSERT INTO helpdesk.escalation_rules (name, priority, category_id, trigger_type, trigger_hours, escalation_level,
                                       target_type, target_role, target_user_id, notify_manager) VALUES
    ('R1 High breach', 'High', NULL, 'sla_breached', NULL, 2, 'role', 'Admin', NULL, true),
    ('R2 High at risk', 'High', NULL, 'sla_at_risk', NULL, 1, 'role', 'IT_Staff', NULL, true),
    ('R3 No assignment 2h', NULL, NULL, 'no_assignment', 2, 1, 'manager', NULL, NULL, true),
    ('R4 No response 4h', NULL, NULL, 'no_response', 4, 1, 'user', NULL, :esc_c, false),
    ('R5 Elsewhere', NULL, :other_cat, 'sla_breached', NULL, 1, 'manager', NULL, NULL, true);
SELECT id AS r1 FROM helpdesk.escalation_rules WHERE name = 'R1 High breach' \gset
SELECT id AS r3 FROM helpdesk.escalation_rules WHERE name = 'R3 No assignment 2h' \gset

-- Targets: manager = the first active Admin; user = that user.
SELECT r.name, u.username, tg.role
FROM helpdesk.escalation_rules r, LATERAL helpdesk.escalation_target(r) tg LEFT JOIN helpdesk.users u ON u.id = tg.user_id
ORDER BY r.id;

-- Monday 2030-04-01 09:00: E1 High, unassigned (resolution at risk 12:12, due 13:00);
-- E2 Medium, assigned to esc_a but never answered.
SELECT pg_temp.mk('E1', 'High', '2030-04-01 09:00+00') AS e1 \gset
SELECT pg_temp.mk('E2', 'Medium', '2030-04-01 09:00+00', 'Assigned', :esc_a) AS e2 \gset

CREATE FUNCTION pg_temp.state() RETURNS TABLE (title text, status helpdesk.ticket_status, assignee text)
LANGUAGE sql AS $$
    SELECT t.title, t.status, u.username FROM helpdesk.tickets t LEFT JOIN helpdesk.users u ON u.id = t.assignee_id
    WHERE t.title IN ('E1', 'E2') ORDER BY t.id $$;

-- The time-based rules have deadlines, which the watcher sleeps until like a clock's (so they
-- fire within a second of their threshold): the earliest ticket a rule waits on, plus its hours.
-- E1 waits on R3 from 09:00 (11:00); L1, L2 (08:00) and E2 (09:00) on R4 (12:00, 13:00).
SELECT helpdesk.escalation_next_deadline();
SELECT helpdesk.sla_next_deadline() = least(helpdesk.escalation_next_deadline(),
           (SELECT min(next_deadline) FROM helpdesk.sla_clocks)) AS watcher_wakes_for_both;
-- 10:59: nothing yet. 11:00: E1 unassigned for 2 h -> R3 -> the manager.
SELECT * FROM helpdesk.sla_scan('2030-04-01 10:59+00');
SELECT * FROM helpdesk.sla_scan('2030-04-01 11:00+00');
SELECT * FROM helpdesk.sla_scan('2030-04-01 11:00+00');
SELECT * FROM pg_temp.state();
-- E1 is assigned now: the next threshold is R4's for L1 and L2.
SELECT helpdesk.escalation_next_deadline();
-- 12:12: E1 at risk -> R2 -> the least-loaded IT_Staff; L1, L2 without a response for 4 h -> R4.
SELECT * FROM helpdesk.sla_scan('2030-04-01 12:12+00');
SELECT * FROM pg_temp.state();
SELECT helpdesk.escalation_next_deadline();
-- Just past 13:00 (E1's deadline; at 13:00 itself it is still in time): E1 breached -> R1
-- (level 2) -> the least-loaded Admin; E2 without a response for 4 h -> R4 -> esc_c.
SELECT * FROM helpdesk.sla_scan('2030-04-01 13:00:00.001+00');
SELECT * FROM pg_temp.state();
-- Every ticket these rules wait on is escalated to their level: no threshold left.
SELECT helpdesk.escalation_next_deadline();
-- Once per level: nothing more, however often the scan runs.
SELECT * FROM helpdesk.sla_scan('2030-04-01 15:00+00');
SELECT * FROM helpdesk.sla_scan('2030-04-02 15:00+00');
-- Raising R1 to level 3 escalates E1 once more, from level 2.
UPDATE helpdesk.escalation_rules SET escalation_level = 3 WHERE id = :r1;
SELECT * FROM helpdesk.sla_scan('2030-04-02 15:00+00');
SELECT * FROM helpdesk.sla_scan('2030-04-02 15:00+00');

SELECT t.title, r.name AS rule, h.from_level, h.to_level, h.escalated_by, u.username AS escalated_to,
       h.escalated_to_role, h.reason
FROM helpdesk.escalation_history h JOIN helpdesk.tickets t ON t.id = h.ticket_id
LEFT JOIN helpdesk.escalation_rules r ON r.id = h.rule_id LEFT JOIN helpdesk.users u ON u.id = h.escalated_to_user_id
ORDER BY h.id;
-- History: one `escalated` row each, and the reassignment is an ordinary ticket update.
SELECT t.title, h.action, h.field_name, h.old_value, h.new_value, h.description
FROM helpdesk.ticket_history h JOIN helpdesk.tickets t ON t.id = h.ticket_id
WHERE t.title IN ('E1', 'E2') AND h.action IN ('escalated', 'assigned')
ORDER BY h.id;
-- Notifications: the escalated-to user, the other Admins when notifyManager, the previous assignee.
SELECT t.title, u.username, n.title, n.message
FROM helpdesk.notifications n JOIN helpdesk.tickets t ON t.id = n.ticket_id JOIN helpdesk.users u ON u.id = n.user_id
WHERE t.title IN ('E1', 'E2') AND n.type = 'ticket_escalated'
ORDER BY n.id;

-- A (ticket, rule, level) is escalated once, whoever asks: the unique index decides.
SELECT helpdesk.escalate(:e1, :r3, 'system') IS NULL AS already_escalated;
\set VERBOSITY terse
INSERT INTO helpdesk.escalation_history (ticket_id, rule_id, to_level, escalated_by, reason)
VALUES (:e1, :r3, 1, 'system', 'again');
\set VERBOSITY default

-- The manager is the first *active* Admin.
UPDATE helpdesk.users SET is_active = false WHERE username = 'sla_admin';
SELECT u.username FROM helpdesk.escalation_rules r, LATERAL helpdesk.escalation_target(r) tg
JOIN helpdesk.users u ON u.id = tg.user_id WHERE r.id = :r3;
UPDATE helpdesk.users SET is_active = true WHERE username = 'sla_admin';

-- Inactive rules do nothing.
UPDATE helpdesk.escalation_rules SET is_active = false;
SELECT pg_temp.mk('E3', 'High', '2030-04-08 09:00+00') AS e3 \gset
SELECT * FROM helpdesk.sla_scan('2030-04-08 17:00+00');
UPDATE helpdesk.escalation_rules SET is_active = true;

-- The watcher reads the thresholds from the partial indexes, the earliest ticket first (one
-- index probe per rule, however many tickets wait).
SET enable_seqscan = off;
EXPLAIN (COSTS OFF) SELECT w.created_at FROM helpdesk.escalation_rules r, LATERAL (
    SELECT u.created_at FROM helpdesk.escalation_unassigned(r) u ORDER BY u.created_at LIMIT 1) w WHERE r.id = :r3;
EXPLAIN (COSTS OFF) SELECT w.created_at FROM helpdesk.escalation_rules r, LATERAL (
    SELECT u.created_at FROM helpdesk.escalation_unanswered(r) u ORDER BY u.created_at LIMIT 1) w WHERE r.id = :r3;
RESET enable_seqscan;

-- The ticket trigger judges the row at hand with escalation_ticket_waits(r, t); it must agree
-- with escalation_waiting(r), the set the watcher reads, for every ticket and rule (time-based
-- or not, escalated or not, in every status).
SELECT count(*) AS pairs,
       count(*) FILTER (WHERE helpdesk.escalation_ticket_waits(r, t)) AS waiting,
       count(*) FILTER (WHERE helpdesk.escalation_ticket_waits(r, t)
                        IS DISTINCT FROM EXISTS (SELECT FROM helpdesk.escalation_waiting(r) w WHERE w.id = t.id)) AS disagreeing
FROM helpdesk.escalation_rules r, helpdesk.tickets t;
