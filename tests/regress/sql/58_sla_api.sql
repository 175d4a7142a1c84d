-- The SLA and escalation route functions: roles, visibility, shapes, validation.
-- Continues in the database of 55_sla_clock, and drops it at the end.
\set SHOW_CONTEXT never
\c sla_regress
SET TimeZone = 'UTC';
SET datestyle = 'ISO';
SELECT id AS admin FROM helpdesk.users WHERE username = 'sla_admin' \gset
SELECT id AS staff FROM helpdesk.users WHERE username = 'sla_staff' \gset
SELECT id AS emp FROM helpdesk.users WHERE username = 'sla_emp' \gset
INSERT INTO helpdesk.users (username, email, password_hash, full_name, role)
VALUES ('sla_emp2', 'sla_emp2@example.com', '$2a$04$x', 'Other Employee', 'Employee') RETURNING id AS emp2 \gset
SELECT id AS cat FROM helpdesk.categories WHERE name = 'SLA things' \gset

-- Calls a route as a user; errors come back as "HDnnn: message".
CREATE FUNCTION pg_temp.call(fn text, actor int, req jsonb DEFAULT '{}') RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE r jsonb;
BEGIN
    PERFORM set_config('helpdesk.actor_id', actor::text, true);
    EXECUTE format('SELECT helpdesk_api.%I($1)', fn) INTO r USING req;
    RETURN r;
EXCEPTION WHEN OTHERS THEN
    RETURN to_jsonb(SQLSTATE || ': ' || SQLERRM);
END $$;

-- ---- SLA routes -------------------------------------------------------------------------------
SELECT id AS t1 FROM helpdesk.tickets WHERE ticket_number = 'SLA-T1' \gset

-- timeline: the ticket's events, oldest first, for whoever may see the ticket
SELECT jsonb_array_length(pg_temp.call('sla_ticket_timeline', :emp, jsonb_build_object('path', jsonb_build_object('id', :t1)))) AS own_ticket_events,
       jsonb_array_length(pg_temp.call('sla_ticket_timeline', :staff, jsonb_build_object('path', jsonb_build_object('id', :t1)))) AS staff_events;
SELECT jsonb_pretty((pg_temp.call('sla_ticket_timeline', :admin, jsonb_build_object('path', jsonb_build_object('id', :t1))) -> 0) - 'createdAt' - 'id' - 'ticketId');
SELECT pg_temp.call('sla_ticket_timeline', :emp2, jsonb_build_object('path', jsonb_build_object('id', :t1))) AS other_employee,
       pg_temp.call('sla_ticket_timeline', :admin, '{"path": {"id": 999999}}') AS missing,
       pg_temp.call('sla_ticket_timeline', NULL, jsonb_build_object('path', jsonb_build_object('id', :t1))) AS no_actor;

-- status: same visibility; the reference's keys plus the response clock
SELECT (SELECT array_agg(k ORDER BY k) FROM jsonb_object_keys(pg_temp.call('sla_ticket_status', :emp, jsonb_build_object('path', jsonb_build_object('id', :t1)))) k) AS keys;
SELECT pg_temp.call('sla_ticket_status', :emp, jsonb_build_object('path', jsonb_build_object('id', :t1))) ->> 'status' AS t1_status,
       pg_temp.call('sla_ticket_status', :emp2, jsonb_build_object('path', jsonb_build_object('id', :t1))) AS other_employee,
       pg_temp.call('sla_ticket_status', :staff, '{"path": {"id": 999999}}') AS missing;

-- at-risk and breached read the real clock: a 24/7 calendar and tickets placed around now().
DELETE FROM helpdesk.business_hours WHERE calendar_id = helpdesk.default_calendar_id();
INSERT INTO helpdesk.business_hours (calendar_id, day_of_week, start_time, end_time)
SELECT helpdesk.default_calendar_id(), d, '00:00', '24:00' FROM generate_series(0, 6) d;
BEGIN;
SET LOCAL helpdesk.sla_time = '2030-12-31 00:00+00';
UPDATE helpdesk.tickets SET status = 'Closed' WHERE status <> 'Closed';
COMMIT;
INSERT INTO helpdesk.tickets (ticket_number, title, description, category_id, priority, submitter_id, created_at) VALUES
    ('API-R', 'At risk', 'High, 3.5 h of 4 used', :cat, 'High', :emp, now() - interval '3 hours 30 minutes'),
    ('API-B', 'Breached', 'High, 5 h of 4 used', :cat, 'High', :emp, now() - interval '5 hours 10 minutes'),
    ('API-B2', 'Breached long ago', 'Medium, 2 days late', :cat, 'Medium', :emp, now() - interval '3 days 1 minute'),
    ('API-OK', 'On track', 'Medium, 1 h of 24 used', :cat, 'Medium', :emp, now() - interval '1 hour');
INSERT INTO helpdesk.tickets (ticket_number, title, description, category_id, priority, status, submitter_id, created_at) VALUES
    ('API-P', 'Pending', 'High, paused', :cat, 'High', 'Pending', :emp, now() - interval '5 hours');
SELECT t.title, helpdesk.sla_at_risk(t) AS at_risk, helpdesk.sla_breached(t) AS breached,
       helpdesk.sla_status(t) ->> 'status' AS status
FROM helpdesk.tickets t WHERE ticket_number LIKE 'API-%' ORDER BY t.id;

SELECT jsonb_pretty(x - 'id' - 'createdAt' - 'dueDate') FROM jsonb_array_elements(pg_temp.call('sla_at_risk', :staff)) x;
SELECT x ->> 'title' AS title, x -> 'breachedBy' AS breached_by,
       (x ->> 'dueDate')::timestamptz < now() AS overdue
FROM jsonb_array_elements(pg_temp.call('sla_breached', :admin)) x;
SELECT pg_temp.call('sla_at_risk', :emp) AS employee_at_risk, pg_temp.call('sla_breached', :emp) AS employee_breached;

-- ---- escalation rules -------------------------------------------------------------------------
SELECT pg_temp.call('escalation_rules_create', :admin, ('{"body": {"name": "API rule", "priority": "High", "categoryId": ' || :cat || ', "triggerType": "sla_breached", "escalationLevel": 4, "targetType": "role", "targetRole": "Admin"}}')::jsonb) - 'id' - 'createdAt' - 'updatedAt' - 'categoryId' AS created;
SELECT id AS api_rule FROM helpdesk.escalation_rules WHERE name = 'API rule' \gset
-- validation, roles
SELECT b AS body, pg_temp.call('escalation_rules_create', :admin, jsonb_build_object('body', b)) AS answer
FROM unnest(ARRAY[
    '{"triggerType": "sla_breached", "escalationLevel": 1, "targetType": "manager"}',
    '{"name": "x", "triggerType": "late", "escalationLevel": 1, "targetType": "manager"}',
    '{"name": "x", "triggerType": "sla_breached", "escalationLevel": 6, "targetType": "manager"}',
    '{"name": "x", "triggerType": "sla_breached", "escalationLevel": "1", "targetType": "manager"}',
    '{"name": "x", "triggerType": "no_response", "escalationLevel": 1, "targetType": "manager"}',
    '{"name": "x", "triggerType": "sla_breached", "escalationLevel": 1, "targetType": "role"}',
    '{"name": "x", "triggerType": "sla_breached", "escalationLevel": 1, "targetType": "user"}',
    '{"name": "x", "triggerType": "sla_breached", "escalationLevel": 1, "targetType": "user", "targetUserId": 999999}',
    '{"name": "x", "triggerType": "sla_breached", "escalationLevel": 1, "targetType": "manager", "categoryId": 999999}',
    '{"name": "x", "triggerType": "sla_breached", "escalationLevel": 1, "targetType": "manager", "triggerHours": 0}',
    '{"name": "x", "triggerType": "sla_breached", "escalationLevel": 1, "targetType": "manager", "colour": "red"}'
]::jsonb[]) b;
SELECT pg_temp.call('escalation_rules_create', :staff, '{"body": {"name": "x", "triggerType": "sla_breached", "escalationLevel": 1, "targetType": "manager"}}') AS staff_creates,
       pg_temp.call('escalation_rules_list', :emp) AS employee_lists;

-- list: filters, order (level, newest first), category included
SELECT x ->> 'name' AS name, x -> 'escalationLevel' AS level, x #>> '{category,name}' AS category
FROM jsonb_array_elements(pg_temp.call('escalation_rules_list', :staff)) x;
SELECT x ->> 'name' AS name
FROM jsonb_array_elements(pg_temp.call('escalation_rules_list', :staff,
     jsonb_build_object('query', jsonb_build_object('isActive', 'true', 'priority', 'High', 'categoryId', :cat::text)))) x;
SELECT jsonb_array_length(pg_temp.call('escalation_rules_list', :staff, '{"query": {"triggerType": "no_response"}}')) AS no_response_rules,
       pg_temp.call('escalation_rules_list', :staff, '{"query": {"priority": "Urgent"}}') AS bad_priority,
       pg_temp.call('escalation_rules_list', :staff, '{"query": {"isActive": "maybe"}}') AS bad_bool;

-- get, update (partial), delete
SELECT pg_temp.call('escalation_rules_get', :staff, jsonb_build_object('path', jsonb_build_object('id', :api_rule))) ->> 'name' AS got,
       pg_temp.call('escalation_rules_get', :staff, '{"path": {"id": 999999}}') AS missing;
SELECT pg_temp.call('escalation_rules_update', :admin, jsonb_build_object('path', jsonb_build_object('id', :api_rule),
           'body', '{"escalationLevel": 5, "isActive": false, "description": "now level 5"}'::jsonb))
       - 'id' - 'createdAt' - 'updatedAt' - 'category' AS updated;
SELECT pg_temp.call('escalation_rules_update', :admin, jsonb_build_object('path', jsonb_build_object('id', :api_rule),
           'body', '{"triggerType": "no_assignment"}'::jsonb)) AS needs_hours,
       pg_temp.call('escalation_rules_update', :staff, jsonb_build_object('path', jsonb_build_object('id', :api_rule),
           'body', '{}'::jsonb)) AS staff_updates,
       pg_temp.call('escalation_rules_update', :admin, '{"path": {"id": 999999}, "body": {}}') AS missing;

-- ---- manual escalation, history, check-now ----------------------------------------------------
SELECT id AS tr FROM helpdesk.tickets WHERE ticket_number = 'API-R' \gset
SELECT pg_temp.call('escalation_escalate', :staff, jsonb_build_object('path', jsonb_build_object('ticketId', :tr),
           'body', jsonb_build_object('ruleId', :api_rule)))
       - 'id' - 'createdAt' - 'ticketId' - 'ruleId' - 'escalatedToUserId' #- '{rule,id}' #- '{escalatedToUser,id}' AS escalated;
SELECT pg_temp.call('escalation_escalate', :staff, jsonb_build_object('path', jsonb_build_object('ticketId', :tr),
           'body', jsonb_build_object('ruleId', :api_rule))) AS again,
       pg_temp.call('escalation_escalate', :emp, jsonb_build_object('path', jsonb_build_object('ticketId', :tr),
           'body', jsonb_build_object('ruleId', :api_rule))) AS employee,
       pg_temp.call('escalation_escalate', :staff, jsonb_build_object('path', jsonb_build_object('ticketId', :tr),
           'body', '{}'::jsonb)) AS no_rule,
       pg_temp.call('escalation_escalate', :staff, jsonb_build_object('path', jsonb_build_object('ticketId', :tr),
           'body', '{"ruleId": 999999}'::jsonb)) AS unknown_rule;

SELECT x ->> 'escalatedBy' = :staff::text AS by_caller, x ->> 'toLevel' AS to_level, x #>> '{rule,name}' AS rule,
       x #>> '{escalatedToUser,fullName}' AS escalated_to
FROM jsonb_array_elements(pg_temp.call('escalation_history_ticket', :emp, jsonb_build_object('path', jsonb_build_object('ticketId', :tr)))) x;
SELECT pg_temp.call('escalation_history_ticket', :emp2, jsonb_build_object('path', jsonb_build_object('ticketId', :tr))) AS other_employee;
SELECT jsonb_array_length(pg_temp.call('escalation_history_list', :admin, jsonb_build_object('query', jsonb_build_object('ticketId', :tr::text)))) AS for_ticket,
       jsonb_array_length(pg_temp.call('escalation_history_list', :admin, '{"query": {"startDate": "2000-01-01"}}')) = (SELECT count(*) FROM helpdesk.escalation_history) AS since_2000_is_all,
       jsonb_array_length(pg_temp.call('escalation_history_list', :admin, '{"query": {"endDate": "2000-01-01"}}')) AS before_2000,
       pg_temp.call('escalation_history_list', :admin, '{"query": {"startDate": "yesterday"}}') AS bad_date,
       pg_temp.call('escalation_history_list', :emp) AS employee;
SELECT jsonb_object_keys(pg_temp.call('escalation_history_list', :admin, jsonb_build_object('query', jsonb_build_object('ticketId', :tr::text))) -> 0) AS key
ORDER BY 1;

-- check-now: the watcher's pass, at once
INSERT INTO helpdesk.escalation_rules (name, priority, trigger_type, escalation_level, target_type)
VALUES ('API breached', 'High', 'sla_breached', 1, 'manager');
SELECT pg_temp.call('escalation_check_now', :admin) AS first, pg_temp.call('escalation_check_now', :admin) AS second,
       pg_temp.call('escalation_check_now', :staff) AS staff;

SELECT pg_temp.call('escalation_rules_delete', :admin, jsonb_build_object('path', jsonb_build_object('id', :api_rule))) AS deleted,
       pg_temp.call('escalation_rules_delete', :admin, jsonb_build_object('path', jsonb_build_object('id', :api_rule))) AS again;
-- the history stays, without its rule
SELECT count(*) AS history_rows_kept FROM helpdesk.escalation_history WHERE ticket_id = :tr AND rule_id IS NULL;

\c contrib_regression
DROP DATABASE sla_regress;
