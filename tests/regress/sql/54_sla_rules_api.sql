-- Routes of /sla/rules: the rule DTO, roles, validation, one rule per priority, PUT vs PATCH.
\set SHOW_CONTEXT never
SET timezone = 'UTC';

-- (earlier suites may have inserted users with explicit ids)
SELECT setval(pg_get_serial_sequence('helpdesk.users', 'id'), (SELECT coalesce(max(id), 0) + 1 FROM helpdesk.users), false) > 0 AS seq_ok;
INSERT INTO helpdesk.users (username, email, password_hash, full_name, role) VALUES
    ('sla_admin', 'sla-admin@example.com', helpdesk.hash_password('password123'), 'SLA Admin', 'Admin'),
    ('sla_staff', 'sla-staff@example.com', helpdesk.hash_password('password123'), 'SLA Staff', 'IT_Staff'),
    ('sla_employee', 'sla-employee@example.com', helpdesk.hash_password('password123'), 'SLA Employee', 'Employee');

CREATE FUNCTION pg_temp.strip(j jsonb) RETURNS jsonb LANGUAGE sql AS $$
    SELECT CASE jsonb_typeof(j)
        WHEN 'object' THEN (SELECT jsonb_object_agg(k, pg_temp.strip(v)) FROM jsonb_each(j) AS e(k, v)
                            WHERE k NOT IN ('createdAt', 'updatedAt', 'id'))
        WHEN 'array' THEN (SELECT coalesce(jsonb_agg(pg_temp.strip(v) ORDER BY n), '[]') FROM jsonb_array_elements(j) WITH ORDINALITY AS e(v, n))
        ELSE j END
$$;
CREATE FUNCTION pg_temp.call(fn text, who text, req jsonb) RETURNS text LANGUAGE plpgsql AS $$
DECLARE st text; msg text; det text; result jsonb;
BEGIN
    PERFORM set_config('helpdesk.actor_id',
                       coalesce((SELECT id::text FROM helpdesk.users WHERE username = who), ''), true);
    EXECUTE format('SELECT helpdesk_api.%I($1)', fn) INTO result USING req;
    RETURN coalesce(pg_temp.strip(result)::text, '<no data>');
EXCEPTION WHEN OTHERS THEN
    GET STACKED DIAGNOSTICS st = RETURNED_SQLSTATE, msg = MESSAGE_TEXT, det = PG_EXCEPTION_DETAIL;
    RETURN format('%s %s%s', st, regexp_replace(msg, 'ID \d+', 'ID n'), ' ' || nullif(det, ''));
END $$;
CREATE FUNCTION pg_temp.rule(p text) RETURNS jsonb LANGUAGE sql AS
$$ SELECT jsonb_build_object('id', id) FROM helpdesk.sla_rules WHERE priority = p::helpdesk.ticket_priority $$;

-- Formatting of hours.
SELECT h, helpdesk.sla_hours_text(h) FROM unnest(ARRAY[1, 2, 23, 24, 36, 48, 72, 100]) AS h;

-- Everything below is rolled back at the end: the suites that follow keep their rules.
BEGIN;
DELETE FROM helpdesk.sla_rules;

-- POST /sla/rules (Admin)
SELECT b::text AS body, pg_temp.call('sla_rules_create', 'sla_admin', jsonb_build_object('body', b)) AS result
FROM unnest(ARRAY[
    '{"priority": "High", "responseTimeHours": 1, "resolutionTimeHours": 4}',
    '{"priority": "Medium", "responseTimeHours": 4, "resolutionTimeHours": 24, "isActive": true}',
    '{"priority": "Low", "responseTimeHours": 8, "resolutionTimeHours": 36, "isActive": false}',
    '{"priority": "High", "responseTimeHours": 2, "resolutionTimeHours": 8}',
    '{"priority": "Urgent", "responseTimeHours": 2, "resolutionTimeHours": 8}',
    '{"responseTimeHours": 2, "resolutionTimeHours": 8}',
    '{"priority": "Low", "responseTimeHours": 0, "resolutionTimeHours": 8}',
    '{"priority": "Low", "responseTimeHours": 1.5, "resolutionTimeHours": 8}',
    '{"priority": "Low", "responseTimeHours": "2", "resolutionTimeHours": 8}',
    '{"priority": "Low", "responseTimeHours": 2}',
    '{"priority": "Low", "responseTimeHours": 2, "resolutionTimeHours": 8, "name": "x"}'
]::jsonb[]) AS b;
SELECT pg_temp.call('sla_rules_create', 'sla_staff', '{"body": {"priority": "Low", "responseTimeHours": 1, "resolutionTimeHours": 2}}') AS staff_create;
SELECT pg_temp.call('sla_rules_create', NULL, '{"body": {"priority": "Low", "responseTimeHours": 1, "resolutionTimeHours": 2}}') AS anonymous_create;

-- GET /sla/rules (any user): Low, Medium, High
SELECT pg_temp.call('sla_rules_list', 'sla_employee', '{}');
-- GET /sla/rules/:id
SELECT pg_temp.call('sla_rules_get', 'sla_employee', jsonb_build_object('path', pg_temp.rule('Medium')));
SELECT pg_temp.call('sla_rules_get', 'sla_employee', '{"path": {"id": 999999}}');

-- PUT /sla/rules/:id (Admin): no priority
SELECT b::text AS body, pg_temp.call('sla_rules_update', 'sla_admin', jsonb_build_object('path', pg_temp.rule('Low'), 'body', b)) AS result
FROM unnest(ARRAY[
    '{"resolutionTimeHours": 72, "isActive": true}',
    '{"priority": "Low"}',
    '{"responseTimeHours": 0}',
    '{}'
]::jsonb[]) AS b;
SELECT pg_temp.call('sla_rules_update', 'sla_staff', jsonb_build_object('path', pg_temp.rule('Low'), 'body', '{"responseTimeHours": 9}'::jsonb)) AS staff_put;
SELECT pg_temp.call('sla_rules_update', 'sla_admin', '{"path": {"id": 999999}, "body": {"responseTimeHours": 9}}') AS missing_put;

-- PATCH /sla/rules/:id (Admin): priority accepted when unchanged or free
SELECT b::text AS body, pg_temp.call('sla_rules_patch', 'sla_admin', jsonb_build_object('path', pg_temp.rule('Medium'), 'body', b)) AS result
FROM unnest(ARRAY[
    '{"priority": "Medium", "responseTimeHours": 3}',
    '{"priority": "High"}',
    '{"priority": "Critical"}'
]::jsonb[]) AS b;
DELETE FROM helpdesk.sla_rules WHERE priority = 'Low';
SELECT pg_temp.call('sla_rules_patch', 'sla_admin', jsonb_build_object('path', pg_temp.rule('Medium'), 'body', '{"priority": "Low", "resolutionTimeHours": 48}'::jsonb)) AS moved_to_free_priority;
SELECT pg_temp.call('sla_rules_patch', 'sla_employee', jsonb_build_object('path', pg_temp.rule('Low'), 'body', '{"responseTimeHours": 9}'::jsonb)) AS employee_patch;

-- DELETE /sla/rules/:id (Admin): no data (the route answers 204)
SELECT pg_temp.call('sla_rules_delete', 'sla_staff', jsonb_build_object('path', pg_temp.rule('Low'))) AS staff_delete;
CREATE TEMP TABLE low AS SELECT pg_temp.rule('Low') AS path;
SELECT pg_temp.call('sla_rules_delete', 'sla_admin', jsonb_build_object('path', path)) AS admin_delete FROM low;
SELECT pg_temp.call('sla_rules_delete', 'sla_admin', jsonb_build_object('path', path)) AS deleted_twice FROM low;
SELECT pg_temp.call('sla_rules_list', 'sla_staff', '{}');
SELECT action, count(*) FROM helpdesk.audit_logs WHERE action LIKE 'sla_rule.%' GROUP BY 1 ORDER BY 1;

ROLLBACK;
