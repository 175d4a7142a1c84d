-- Visibility and roles on every ticket route: an Employee sees and acts only on tickets they
-- submitted; IT_Staff and Admin see all; unknown or inactive users are 401; a missing ticket
-- is 404 everywhere.
\set SHOW_CONTEXT never
\set VERBOSITY terse
SET timezone = 'UTC';

SELECT setval('helpdesk.users_id_seq', (SELECT max(id) FROM helpdesk.users)) IS NOT NULL AS seq_moved
FROM helpdesk.users HAVING count(*) > 0;
INSERT INTO helpdesk.users (username, email, password_hash, full_name, role, is_active) VALUES
    ('vi_admin', 'vi_admin@example.com', helpdesk.hash_password('x'), 'VI Admin', 'Admin', true),
    ('vi_staff', 'vi_staff@example.com', helpdesk.hash_password('x'), 'VI Staff', 'IT_Staff', true),
    ('vi_owner', 'vi_owner@example.com', helpdesk.hash_password('x'), 'VI Owner', 'Employee', true),
    ('vi_other', 'vi_other@example.com', helpdesk.hash_password('x'), 'VI Other', 'Employee', true),
    ('vi_gone', 'vi_gone@example.com', helpdesk.hash_password('x'), 'VI Gone', 'Admin', false);
INSERT INTO helpdesk.categories (name) VALUES ('VI Visibility');

CREATE FUNCTION pg_temp.uid(name text) RETURNS int LANGUAGE sql AS $$
    SELECT id FROM helpdesk.users WHERE username = name $$;
CREATE FUNCTION pg_temp.fresh(status helpdesk.ticket_status DEFAULT 'New') RETURNS int LANGUAGE plpgsql AS $$
DECLARE t helpdesk.tickets;
BEGIN
    SELECT x.* INTO t FROM helpdesk.users u, helpdesk.categories c,
        LATERAL helpdesk.ticket_create(u, 'Visible to whom', 'Visibility test ticket', c.id, 'Medium') x
    WHERE u.username = 'vi_owner' AND c.name = 'VI Visibility';
    UPDATE helpdesk.tickets SET status = fresh.status, assignee_id = pg_temp.uid('vi_staff'),
        resolved_at = CASE WHEN fresh.status IN ('Resolved', 'Closed') THEN now() END,
        closed_at = CASE WHEN fresh.status = 'Closed' THEN now() END
    WHERE id = t.id;
    RETURN t.id;
END $$;
-- The HTTP status a route answers (200 for success), on a fresh ticket of vi_owner in `status`
-- (id 2147483647 when `missing`).
CREATE FUNCTION pg_temp.status_of(fn text, who text, status helpdesk.ticket_status, body jsonb, missing boolean DEFAULT false)
RETURNS text LANGUAGE plpgsql AS $$
DECLARE id int := CASE WHEN missing THEN 2147483647 ELSE pg_temp.fresh(status) END; st text;
BEGIN
    PERFORM set_config('helpdesk.actor_id', coalesce(pg_temp.uid(who)::text, ''), false);
    EXECUTE format('SELECT helpdesk_api.%I($1)', fn)
        USING jsonb_build_object('path', jsonb_build_object('id', id),
                                 'body', replace(body::text, '"$ID"', id::text)::jsonb);
    RETURN '200';
EXCEPTION WHEN OTHERS THEN
    GET STACKED DIAGNOSTICS st = RETURNED_SQLSTATE;
    RETURN CASE WHEN st LIKE 'HD%' THEN substr(st, 3) ELSE st END;
END $$;

SELECT fn, s AS "on",
       pg_temp.status_of(fn, 'vi_admin', s, body) AS admin,
       pg_temp.status_of(fn, 'vi_staff', s, body) AS staff,
       pg_temp.status_of(fn, 'vi_owner', s, body) AS owner,
       pg_temp.status_of(fn, 'vi_other', s, body) AS other_employee,
       pg_temp.status_of(fn, 'vi_gone', s, body) AS inactive,
       pg_temp.status_of(fn, 'nobody', s, body) AS no_user,
       pg_temp.status_of(fn, 'vi_admin', s, body, true) AS missing
FROM (VALUES
    ('tickets_get', 'New'::helpdesk.ticket_status, NULL::jsonb),
    ('tickets_update', 'New', '{"title": "A new title"}'),
    ('tickets_update', 'Assigned', '{"description": "A new description"}'),
    ('tickets_change_status', 'New', '{"status": "Closed"}'),
    ('tickets_assign', 'New', jsonb_build_object('assigneeId', pg_temp.uid('vi_staff'))),
    ('tickets_start_progress', 'Assigned', NULL),
    ('tickets_resolve', 'In Progress', '{"resolutionNotes": "Rebooted the router"}'),
    ('tickets_close', 'Resolved', NULL),
    ('tickets_reopen', 'Closed', NULL),
    ('tickets_rate', 'Closed', '{"rating": 5}'),
    ('tickets_delete', 'New', NULL),
    ('tickets_bulk_status', 'New', '{"ticketIds": ["$ID"], "status": "Closed"}'),
    ('tickets_bulk_assign', 'New', jsonb_build_object('ticketIds', '["$ID"]'::jsonb, 'assigneeId', pg_temp.uid('vi_staff'))),
    ('tickets_bulk_delete', 'New', '{"ticketIds": ["$ID"]}')
) v(fn, s, body);

-- Bulk routes answer 200 with per-item refusals; what did the other employee get?
SELECT set_config('helpdesk.actor_id', pg_temp.uid('vi_other')::text, false) IS NOT NULL AS as_other;
SELECT regexp_replace(helpdesk_api.tickets_bulk_status(jsonb_build_object('body', jsonb_build_object(
           'ticketIds', jsonb_build_array(pg_temp.fresh(), 2147483647), 'status', 'Closed')))::text, 'Ticket \d+: You', 'Ticket <id>: You') AS bulk_status;

-- Lists, whatever the filters: the other employee sees none of vi_owner's tickets.
CREATE FUNCTION pg_temp.seen(who text, query jsonb) RETURNS text LANGUAGE plpgsql AS $$
DECLARE j jsonb; cat int := (SELECT id FROM helpdesk.categories WHERE name = 'VI Visibility');
BEGIN
    PERFORM set_config('helpdesk.actor_id', pg_temp.uid(who)::text, false);
    j := helpdesk_api.tickets_list(jsonb_build_object('query', query || jsonb_build_object('categoryId', cat::text, 'limit', '1000')));
    RETURN format('%s of %s', (SELECT count(*) FROM jsonb_array_elements(j -> 'tickets') x
                               WHERE (x ->> 'submitterId')::int = pg_temp.uid('vi_owner')),
                  (SELECT count(*) FROM helpdesk.tickets WHERE category_id = cat));
END $$;
SELECT label AS query, pg_temp.seen('vi_admin', q) AS admin, pg_temp.seen('vi_staff', q) AS staff,
       pg_temp.seen('vi_owner', q) AS owner, pg_temp.seen('vi_other', q) AS other_employee
FROM (VALUES ('no filter', '{}'::jsonb),
             ('submitterId = vi_owner', jsonb_build_object('submitterId', pg_temp.uid('vi_owner')::text)),
             ('assigneeId = vi_staff', jsonb_build_object('assigneeId', pg_temp.uid('vi_staff')::text)),
             ('search', '{"search": "Visible"}'),
             ('slaAtRisk=false', '{"slaAtRisk": "false"}'),
             ('sortBy submitterId', '{"sortBy": "submitterId"}')) v(label, q);
SELECT set_config('helpdesk.actor_id', pg_temp.uid('vi_other')::text, false) IS NOT NULL AS as_other;
SELECT helpdesk_api.tickets_stats('{}') AS other_stats, (helpdesk_api.tickets_my('{}') ->> 'total') AS other_my_total;
-- GET /tickets/:id reads the ticket, its includes and the visibility rule in one query
-- (ticket_detail_json): the same answer as ticket_json of the ticket, for every role that
-- sees it (a ticket with an assignee and a category).
CREATE FUNCTION pg_temp.get_same(who text, id int) RETURNS boolean LANGUAGE plpgsql AS $$
BEGIN
    PERFORM set_config('helpdesk.actor_id', pg_temp.uid(who)::text, false);
    RETURN helpdesk_api.tickets_get(jsonb_build_object('path', jsonb_build_object('id', id)))
           = helpdesk.ticket_json((SELECT t FROM helpdesk.tickets t WHERE t.id = get_same.id), true);
END $$;
SELECT who, pg_temp.get_same(who, id) AS same_as_ticket_json
FROM (SELECT pg_temp.fresh('Assigned') AS id) t, unnest(ARRAY['vi_admin', 'vi_staff', 'vi_owner']) who;
RESET timezone;
