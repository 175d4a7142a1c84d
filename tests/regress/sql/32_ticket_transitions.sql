-- The state machine, table-driven: every (from, to) pair of statuses by every role through
-- change-status, and the same pairs through PATCH and bulk-status (one table for every path);
-- then every action route from every status by every role; lifecycle timestamps.
\set SHOW_CONTEXT never
\set VERBOSITY terse
SET timezone = 'UTC';

SELECT setval('helpdesk.users_id_seq', (SELECT max(id) FROM helpdesk.users)) IS NOT NULL AS seq_moved
FROM helpdesk.users HAVING count(*) > 0;
INSERT INTO helpdesk.users (username, email, password_hash, full_name, role) VALUES
    ('st_admin', 'st_admin@example.com', helpdesk.hash_password('x'), 'ST Admin', 'Admin'),
    ('st_staff', 'st_staff@example.com', helpdesk.hash_password('x'), 'ST Assignee', 'IT_Staff'),
    ('st_staff2', 'st_staff2@example.com', helpdesk.hash_password('x'), 'ST Other Staff', 'IT_Staff'),
    ('st_emp', 'st_emp@example.com', helpdesk.hash_password('x'), 'ST Submitter', 'Employee'),
    ('st_emp2', 'st_emp2@example.com', helpdesk.hash_password('x'), 'ST Other Employee', 'Employee');
INSERT INTO helpdesk.categories (name) VALUES ('ST States');

CREATE FUNCTION pg_temp.uid(name text) RETURNS int LANGUAGE sql AS $$
    SELECT id FROM helpdesk.users WHERE username = name $$;

-- A ticket by st_emp, assigned to st_staff, put straight into `status` with consistent stamps.
CREATE FUNCTION pg_temp.fresh(status helpdesk.ticket_status) RETURNS int LANGUAGE plpgsql AS $$
DECLARE t helpdesk.tickets;
BEGIN
    SELECT x.* INTO t FROM helpdesk.users u, helpdesk.categories c,
        LATERAL helpdesk.ticket_create(u, 'State machine', 'State machine test ticket', c.id, 'Medium', '2030-03-01 09:00+00') x
    WHERE u.username = 'st_emp' AND c.name = 'ST States';
    UPDATE helpdesk.tickets SET status = fresh.status, assignee_id = pg_temp.uid('st_staff'),
        resolved_at = CASE WHEN fresh.status IN ('Resolved', 'Closed') THEN '2030-03-01 10:00+00'::timestamptz END,
        closed_at = CASE WHEN fresh.status = 'Closed' THEN '2030-03-01 11:00+00'::timestamptz END,
        resolution_notes = CASE WHEN fresh.status IN ('Resolved', 'Closed') THEN 'Earlier resolution' END
    WHERE id = t.id;
    RETURN t.id;
END $$;

-- Calls a route as `who` on a fresh ticket in `status`; 'ok' plus the lifecycle stamps
-- (R = resolvedAt, C = closedAt, N = resolutionNotes, - = empty) and the new status, or the
-- HTTP status of the refusal.
CREATE FUNCTION pg_temp.cell(fn text, who text, status helpdesk.ticket_status, body jsonb DEFAULT NULL) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE id int := pg_temp.fresh(status); j jsonb; st text;
BEGIN
    PERFORM set_config('helpdesk.actor_id', pg_temp.uid(who)::text, false);
    EXECUTE format('SELECT helpdesk_api.%I($1)', fn) INTO j
        USING jsonb_build_object('path', jsonb_build_object('id', id), 'body', body);
    IF fn = 'tickets_bulk_status' THEN
        RETURN CASE WHEN (j ->> 'success')::int = 1 THEN 'ok' ELSE 'fail' END;
    END IF;
    RETURN format('ok %s%s%s %s', CASE WHEN j ->> 'resolvedAt' IS NULL THEN '-' ELSE 'R' END,
                  CASE WHEN j ->> 'closedAt' IS NULL THEN '-' ELSE 'C' END,
                  CASE WHEN j ->> 'resolutionNotes' IS NULL THEN '-' ELSE 'N' END, j ->> 'status');
EXCEPTION WHEN OTHERS THEN
    GET STACKED DIAGNOSTICS st = RETURNED_SQLSTATE;
    RETURN substr(st, 3);
END $$;

-- change-status: staff on any ticket, an Employee on their own, always within the table.
SELECT f AS "from", t AS "to",
       pg_temp.cell('tickets_change_status', 'st_admin', f, jsonb_build_object('status', t)) AS admin,
       pg_temp.cell('tickets_change_status', 'st_staff2', f, jsonb_build_object('status', t)) AS staff,
       pg_temp.cell('tickets_change_status', 'st_emp', f, jsonb_build_object('status', t)) AS submitter,
       pg_temp.cell('tickets_change_status', 'st_emp2', f, jsonb_build_object('status', t)) AS other_emp
FROM unnest(enum_range(NULL::helpdesk.ticket_status)) f, unnest(enum_range(NULL::helpdesk.ticket_status)) t
ORDER BY f, t;

-- The table itself, and every other path must agree with it: PATCH {status} (an unchanged
-- status is simply no change there) and bulk-status, both as an admin.
CREATE FUNCTION pg_temp.bulk_cell(f helpdesk.ticket_status, t helpdesk.ticket_status) RETURNS text LANGUAGE plpgsql AS $$
DECLARE id int := pg_temp.fresh(f); j jsonb;
BEGIN
    PERFORM set_config('helpdesk.actor_id', pg_temp.uid('st_admin')::text, false);
    j := helpdesk_api.tickets_bulk_status(jsonb_build_object('body', jsonb_build_object('ticketIds', jsonb_build_array(id), 'status', t)));
    RETURN CASE WHEN (j ->> 'success')::int = 1 THEN 'ok' ELSE j -> 'errors' ->> 0 END;
END $$;
SELECT f AS "from", t AS "to", helpdesk.ticket_transition_allowed(f, t) AS allowed,
       pg_temp.cell('tickets_update', 'st_admin', f, jsonb_build_object('status', t)) AS patch,
       regexp_replace(pg_temp.bulk_cell(f, t), '^Ticket \d+: ', '') AS bulk
FROM unnest(enum_range(NULL::helpdesk.ticket_status)) f, unnest(enum_range(NULL::helpdesk.ticket_status)) t
ORDER BY f, t;

-- The action routes from every status by every role (st_staff is the assignee).
SELECT a.fn, f AS "from",
       pg_temp.cell(a.fn, 'st_admin', f, a.body) AS admin,
       pg_temp.cell(a.fn, 'st_staff', f, a.body) AS assignee,
       pg_temp.cell(a.fn, 'st_staff2', f, a.body) AS other_staff,
       pg_temp.cell(a.fn, 'st_emp', f, a.body) AS submitter,
       pg_temp.cell(a.fn, 'st_emp2', f, a.body) AS other_emp
FROM (VALUES (1, 'tickets_assign', jsonb_build_object('assigneeId', pg_temp.uid('st_staff2'))),
             (2, 'tickets_start_progress', NULL),
             (3, 'tickets_resolve', '{"resolutionNotes": "Replaced the cable"}'::jsonb),
             (4, 'tickets_close', NULL),
             (5, 'tickets_reopen', NULL),
             (6, 'tickets_rate', '{"rating": 5, "comment": "Great"}'::jsonb)) a(n, fn, body),
     unnest(enum_range(NULL::helpdesk.ticket_status)) f
ORDER BY a.n, f;

-- The messages of the refusals (all 400/403/409, never 500).
CREATE FUNCTION pg_temp.err(fn text, who text, status helpdesk.ticket_status, body jsonb) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE id int := pg_temp.fresh(status); st text; msg text;
BEGIN
    PERFORM set_config('helpdesk.actor_id', pg_temp.uid(who)::text, false);
    EXECUTE format('SELECT helpdesk_api.%I($1)', fn) USING jsonb_build_object('path', jsonb_build_object('id', id), 'body', body);
    RETURN 'ok';
EXCEPTION WHEN OTHERS THEN
    GET STACKED DIAGNOSTICS st = RETURNED_SQLSTATE, msg = MESSAGE_TEXT;
    RETURN st || ' ' || msg;
END $$;
SELECT fn, who, f AS "from", body, pg_temp.err(fn, who, f, body) AS result
FROM (VALUES ('tickets_change_status', 'st_emp', 'New'::helpdesk.ticket_status, '{"status": "Resolved"}'::jsonb),
             ('tickets_change_status', 'st_emp', 'Closed', '{"status": "Closed"}'),
             ('tickets_change_status', 'st_emp2', 'New', '{"status": "Closed"}'),
             ('tickets_change_status', 'st_admin', 'New', '{"status": "Done"}'),
             ('tickets_change_status', 'st_admin', 'New', '{"status": "Closed", "note": "x"}'),
             ('tickets_assign', 'st_emp', 'New', '{"assigneeId": 1}'),
             ('tickets_assign', 'st_admin', 'Pending', '{"assigneeId": 1}'),
             ('tickets_start_progress', 'st_staff2', 'Assigned', NULL),
             ('tickets_start_progress', 'st_staff', 'New', NULL),
             ('tickets_start_progress', 'st_staff', 'Assigned', '{"force": true}'),
             ('tickets_resolve', 'st_staff2', 'In Progress', '{"resolutionNotes": "Replaced the cable"}'),
             ('tickets_resolve', 'st_staff', 'Assigned', '{"resolutionNotes": "Replaced the cable"}'),
             ('tickets_resolve', 'st_staff', 'In Progress', '{"resolutionNotes": "too short"}'),
             ('tickets_resolve', 'st_staff', 'In Progress', '{}'),
             ('tickets_close', 'st_admin', 'New', NULL),
             ('tickets_close', 'st_staff', 'Resolved', NULL),
             ('tickets_close', 'st_emp', 'In Progress', NULL),
             ('tickets_close', 'st_emp2', 'Resolved', NULL),
             ('tickets_reopen', 'st_staff', 'Pending', NULL),
             ('tickets_reopen', 'st_emp2', 'Closed', NULL),
             ('tickets_rate', 'st_emp', 'In Progress', '{"rating": 3}'),
             ('tickets_rate', 'st_admin', 'Closed', '{"rating": 3}'),
             ('tickets_rate', 'st_emp', 'Closed', '{"rating": 0}'),
             ('tickets_rate', 'st_emp', 'Closed', '{"rating": 3, "comment": "a", "satisfactionComment": "b"}'),
             ('tickets_update', 'st_emp', 'New', '{"status": "Closed"}'),
             ('tickets_update', 'st_emp', 'New', '{"priority": "High"}'),
             ('tickets_update', 'st_emp', 'New', '{"priority": "Medium", "status": "New", "title": "Same values pass"}'),
             ('tickets_update', 'st_emp', 'New', '{"assigneeId": 1}'),
             ('tickets_update', 'st_emp', 'In Progress', '{"title": "Changed title"}'),
             ('tickets_update', 'st_emp2', 'New', '{"title": "Changed title"}'),
             ('tickets_update', 'st_admin', 'Resolved', '{"status": "New"}')
     ) v(fn, who, f, body);

-- Rating happens once; the feedback is readable under both names.
SELECT pg_temp.fresh('Resolved') AS rated \gset
SELECT set_config('helpdesk.actor_id', pg_temp.uid('st_emp')::text, false) IS NOT NULL AS as_submitter;
SELECT j ->> 'satisfactionRating' AS rating, j ->> 'satisfactionComment' AS comment, j ->> 'satisfactionFeedback' AS feedback
FROM helpdesk_api.tickets_rate(jsonb_build_object('path', jsonb_build_object('id', :rated),
                                                  'body', '{"rating": 4, "satisfactionFeedback": "Fast fix"}'::jsonb)) j;
SELECT helpdesk_api.tickets_rate(jsonb_build_object('path', jsonb_build_object('id', :rated), 'body', '{"rating": 5}'::jsonb));

-- Reopen keeps assignee and due date, clears the resolution.
SELECT pg_temp.fresh('Closed') AS reopened \gset
SELECT set_config('helpdesk.actor_id', pg_temp.uid('st_emp')::text, false) IS NOT NULL AS as_submitter;
SELECT j ->> 'status' AS status, j -> 'assignee' ->> 'fullName' AS assignee, j ->> 'dueDate' AS due,
       j ->> 'resolvedAt' AS resolved, j ->> 'closedAt' AS closed, j ->> 'resolutionNotes' AS notes
FROM helpdesk_api.tickets_reopen(jsonb_build_object('path', jsonb_build_object('id', :reopened))) j;

-- From psql: the domain functions take the clock, so a DBA can replay a lifecycle.
SELECT pg_temp.fresh('New') AS replay \gset
SELECT status, resolved_at, closed_at FROM helpdesk.ticket_assign(:replay, pg_temp.uid('st_staff'), (SELECT u FROM helpdesk.users u WHERE username = 'st_admin'), '2030-03-02 08:00+00');
SELECT status, resolved_at, closed_at FROM helpdesk.ticket_start_progress(:replay, (SELECT u FROM helpdesk.users u WHERE username = 'st_staff'), '2030-03-02 09:00+00');
SELECT status, resolved_at, closed_at, resolution_notes FROM helpdesk.ticket_resolve(:replay, 'Swapped the PSU', (SELECT u FROM helpdesk.users u WHERE username = 'st_staff'), '2030-03-02 10:00+00');
SELECT status, resolved_at, closed_at FROM helpdesk.ticket_close(:replay, (SELECT u FROM helpdesk.users u WHERE username = 'st_emp'), '2030-03-02 11:00+00');
RESET timezone;
