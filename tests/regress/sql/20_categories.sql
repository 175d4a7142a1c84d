-- Categories: the ten routes, roles, validation, the real ticket count, reorder, guarded delete.
\set SHOW_CONTEXT never
\set VERBOSITY terse

-- Calls route `fn` as user `actor`; an error comes back as {"error": "<SQLSTATE> <message>"}.
CREATE FUNCTION pg_temp.api(fn text, actor int, req jsonb DEFAULT '{}') RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE result jsonb; st text; msg text;
BEGIN
    PERFORM set_config('helpdesk.actor_id', coalesce(actor::text, ''), false);
    EXECUTE format('SELECT helpdesk_api.%I($1)', fn) INTO result USING req;
    RETURN result;
EXCEPTION WHEN OTHERS THEN
    GET STACKED DIAGNOSTICS st = RETURNED_SQLSTATE, msg = MESSAGE_TEXT;
    RETURN jsonb_build_object('error', st || ' ' || msg);
END $$;
-- A category without its id and timestamps.
CREATE FUNCTION pg_temp.c(j jsonb) RETURNS jsonb LANGUAGE sql AS $$
    SELECT CASE WHEN j ? 'error' THEN j ELSE j - 'id' - 'createdAt' - 'updatedAt' END $$;

-- Earlier suites insert users with explicit ids: move the sequences past them.
SELECT setval('helpdesk.users_id_seq', (SELECT max(id) FROM helpdesk.users)) IS NOT NULL AS seq_moved
FROM helpdesk.users HAVING count(*) > 0;
INSERT INTO helpdesk.users (username, email, password_hash, full_name, role) VALUES
    ('rc_admin', 'rc_admin@example.com', helpdesk.hash_password('x'), 'RC Admin', 'Admin'),
    ('rc_staff', 'rc_staff@example.com', helpdesk.hash_password('x'), 'RC Staff', 'IT_Staff'),
    ('rc_emp', 'rc_emp@example.com', helpdesk.hash_password('x'), 'RC Employee', 'Employee');
SELECT max(id) FILTER (WHERE username = 'rc_admin') AS admin,
       max(id) FILTER (WHERE username = 'rc_staff') AS staff,
       max(id) FILTER (WHERE username = 'rc_emp') AS emp
FROM helpdesk.users \gset

-- create: Admin and IT_Staff; Employee refused; no token refused
SELECT pg_temp.c(pg_temp.api('categories_create', :emp, '{"body": {"name": "RC Printers"}}'));
SELECT pg_temp.c(pg_temp.api('categories_create', NULL, '{"body": {"name": "RC Printers"}}'));
SELECT pg_temp.c(pg_temp.api('categories_create', :staff,
    '{"body": {"name": "RC Printers", "description": "Paper jams", "icon": "printer", "color": "#aabbcc", "displayOrder": 3}}'));
SELECT pg_temp.c(pg_temp.api('categories_create', :admin, '{"body": {"name": "RC Phones", "isActive": false}}'));
SELECT pg_temp.c(pg_temp.api('categories_create', :admin, '{"body": {"name": "RC Laptops", "displayOrder": 1}}'));
-- bad input: duplicate name (any case), colour, missing/blank/long name, negative order, unknown field, wrong types
SELECT t AS body, pg_temp.api('categories_create', :admin, jsonb_build_object('body', t::jsonb)) AS result FROM unnest(ARRAY[
    '{"name": "rc printers"}',
    '{"name": "RC X", "color": "blue"}',
    '{"name": "RC X", "color": "#12345"}',
    '{}',
    '{"name": "   "}',
    '{"name": "' || repeat('x', 101) || '"}',
    '{"name": "RC X", "icon": "' || repeat('i', 51) || '"}',
    '{"name": "RC X", "displayOrder": -1}',
    '{"name": "RC X", "displayOrder": 1.5}',
    '{"name": "RC X", "isActive": "yes"}',
    '{"name": "RC X", "parentId": 1}',
    '{"name": 42}'
]) AS t;

SELECT id AS printers FROM helpdesk.categories WHERE name = 'RC Printers' \gset
SELECT id AS phones FROM helpdesk.categories WHERE name = 'RC Phones' \gset
SELECT id AS laptops FROM helpdesk.categories WHERE name = 'RC Laptops' \gset

-- get, 404
SELECT pg_temp.c(pg_temp.api('categories_get', :emp, jsonb_build_object('path', jsonb_build_object('id', :printers))));
SELECT pg_temp.api('categories_get', :emp, '{"path": {"id": 2147483647}}');

-- list: active only by default, inactive with includeInactive=true; active route; bad boolean
SELECT jsonb_path_query_array(pg_temp.api('categories_list', :emp), '$[*] ? (@.name starts with "RC ").name') AS default_list;
SELECT jsonb_path_query_array(pg_temp.api('categories_list', :emp, '{"query": {"includeInactive": "true"}}'),
                              '$[*] ? (@.name starts with "RC ").name') AS with_inactive;
SELECT jsonb_path_query_array(pg_temp.api('categories_list', :emp, '{"query": {"includeInactive": "false"}}'),
                              '$[*] ? (@.name starts with "RC ").name') AS without_inactive;
SELECT jsonb_path_query_array(pg_temp.api('categories_active', :emp), '$[*] ? (@.name starts with "RC ").name') AS active;
SELECT pg_temp.api('categories_list', :emp, '{"query": {"includeInactive": "maybe"}}');

-- update: staff may; employee not; partial; rename clash; unknown id
SELECT pg_temp.c(pg_temp.api('categories_update', :emp, jsonb_build_object('path', jsonb_build_object('id', :printers), 'body', '{"icon": "x"}'::jsonb)));
SELECT pg_temp.c(pg_temp.api('categories_update', :staff, jsonb_build_object('path', jsonb_build_object('id', :printers), 'body', '{"icon": "print", "color": "#000000"}'::jsonb)));
SELECT pg_temp.c(pg_temp.api('categories_update', :staff, jsonb_build_object('path', jsonb_build_object('id', :printers), 'body', '{"name": "RC LAPTOPS"}'::jsonb)));
SELECT pg_temp.c(pg_temp.api('categories_update', :staff, jsonb_build_object('path', jsonb_build_object('id', :printers), 'body', '{"name": "RC printers"}'::jsonb)));
SELECT pg_temp.c(pg_temp.api('categories_update', :staff, '{"path": {"id": 2147483647}, "body": {"icon": "x"}}'));

-- activate / deactivate: Admin only
SELECT pg_temp.api('categories_set_active', :staff, jsonb_build_object('path', jsonb_build_object('id', :phones), 'args', '{"active": true}'::jsonb));
SELECT pg_temp.api('categories_set_active', :admin, jsonb_build_object('path', jsonb_build_object('id', :phones), 'args', '{"active": true}'::jsonb)) -> 'isActive' AS activated;
SELECT pg_temp.api('categories_set_active', :admin, jsonb_build_object('path', jsonb_build_object('id', :phones), 'args', '{"active": false}'::jsonb)) -> 'isActive' AS deactivated;
SELECT pg_temp.api('categories_set_active', :admin, '{"path": {"id": 2147483647}, "args": {"active": false}}');

-- tickets: only in an existing, active category
SELECT pg_temp.api('tickets_create', :emp, jsonb_build_object('body', jsonb_build_object(
    'title', 'Phone is dead', 'description', 'It does not turn on at all', 'categoryId', :phones)));
SELECT pg_temp.api('tickets_create', :emp, jsonb_build_object('body', jsonb_build_object(
    'title', 'Phone is dead', 'description', 'It does not turn on at all', 'categoryId', 2147483647)));
SELECT pg_temp.api('tickets_create', :emp, jsonb_build_object('body', jsonb_build_object(
    'title', 'Printer jams', 'description', 'Every second page jams', 'categoryId', :printers))) -> 'category' ->> 'name' AS created_in;
SELECT pg_temp.api('tickets_create', :staff, jsonb_build_object('body', jsonb_build_object(
    'title', 'Printer toner', 'description', 'Toner is empty again', 'categoryId', :printers))) -> 'category' ->> 'name' AS created_in;

-- stats: the true ticket count
SELECT pg_temp.c(pg_temp.api('categories_stats', :emp, jsonb_build_object('path', jsonb_build_object('id', :printers))));
SELECT pg_temp.c(pg_temp.api('categories_stats', :emp, jsonb_build_object('path', jsonb_build_object('id', :laptops))));
SELECT pg_temp.api('categories_stats', :emp, '{"path": {"id": 2147483647}}');

-- reorder: Admin; ids in order get 0, 1, 2; duplicates and unknown ids refused whole
SELECT pg_temp.api('categories_reorder', :staff, jsonb_build_object('body', jsonb_build_object('categoryIds', jsonb_build_array(:laptops, :printers))));
SELECT pg_temp.api('categories_reorder', :admin, jsonb_build_object('body', jsonb_build_object('categoryIds', jsonb_build_array(:laptops, :laptops))));
SELECT pg_temp.api('categories_reorder', :admin, jsonb_build_object('body', jsonb_build_object('categoryIds', jsonb_build_array(:laptops, 2147483647))));
SELECT pg_temp.api('categories_reorder', :admin, '{"body": {"categoryIds": []}}');
SELECT pg_temp.api('categories_reorder', :admin, '{"body": {"categoryIds": "1,2"}}');
SELECT pg_temp.api('categories_reorder', :admin, jsonb_build_object('body', jsonb_build_object('categoryIds', jsonb_build_array(:phones, :laptops, :printers))));
SELECT name, display_order FROM helpdesk.categories WHERE name LIKE 'RC %' ORDER BY display_order;

-- delete: Admin; refused while tickets use it; then gone
SELECT pg_temp.api('categories_delete', :staff, jsonb_build_object('path', jsonb_build_object('id', :laptops)));
SELECT pg_temp.api('categories_delete', :admin, jsonb_build_object('path', jsonb_build_object('id', :printers)));
SELECT pg_temp.api('categories_delete', :admin, jsonb_build_object('path', jsonb_build_object('id', :laptops)));
SELECT pg_temp.api('categories_get', :admin, jsonb_build_object('path', jsonb_build_object('id', :laptops)))
       = jsonb_build_object('error', format('HD404 Category with ID %s not found', :laptops)) AS get_gone;
SELECT pg_temp.api('categories_delete', :admin, jsonb_build_object('path', jsonb_build_object('id', :laptops)))
       = jsonb_build_object('error', format('HD404 Category with ID %s not found', :laptops)) AS delete_gone;

-- audit rows of the admin actions
SELECT action, count(*) FROM helpdesk.audit_logs WHERE entity_type = 'category' AND user_id IN (:admin, :staff)
GROUP BY action ORDER BY action;
