-- The ticket object of the API, written in C (extension/ticket_json.c): its shapes against a
-- reference written in SQL here (the definition it replaced), NULLs, strings that need
-- escaping (quotes, backslashes, control characters, non-ASCII), time zones, infinite
-- timestamps, and the aggregate of a list's page.
\set SHOW_CONTEXT never
\set VERBOSITY terse
-- a session far from UTC: the wire format is UTC whatever the session's zone
SET timezone = 'Asia/Ho_Chi_Minh';

SELECT count(*) <= 1 AS seq_checked
FROM (SELECT setval('helpdesk.users_id_seq', (SELECT max(id) FROM helpdesk.users)) FROM helpdesk.users HAVING count(*) > 0) s;
INSERT INTO helpdesk.users (username, email, password_hash, full_name, role, department) VALUES
    ('tj_staff', 'tj_staff@example.com', helpdesk.hash_password('x'), 'Nguyễn "Văn" A\', 'IT_Staff', NULL),
    ('tj_emp', 'tj_emp@example.com', helpdesk.hash_password('x'), E'Tab\there', 'Employee', 'Sales ünd Ops');
INSERT INTO helpdesk.categories (name, description, icon, color) VALUES ('TJ Bare', NULL, NULL, NULL);

-- the SQL reference: the definition of the ticket object before it moved to C
CREATE FUNCTION pg_temp.ref(t helpdesk.tickets, s helpdesk.users, a helpdesk.users, c helpdesk.categories,
                            breached boolean, detail boolean)
RETURNS jsonb LANGUAGE sql STABLE AS $$
    SELECT jsonb_build_object(
        'id', t.id, 'ticketNumber', t.ticket_number, 'title', t.title, 'description', t.description,
        'categoryId', t.category_id, 'priority', t.priority, 'status', t.status,
        'submitterId', t.submitter_id, 'assigneeId', t.assignee_id,
        'dueDate', helpdesk.iso(t.due_date), 'resolvedAt', helpdesk.iso(t.resolved_at),
        'closedAt', helpdesk.iso(t.closed_at), 'satisfactionRating', t.satisfaction_rating,
        'satisfactionComment', t.satisfaction_comment, 'satisfactionFeedback', t.satisfaction_comment,
        'resolutionNotes', t.resolution_notes,
        'createdAt', helpdesk.iso(t.created_at), 'updatedAt', helpdesk.iso(t.updated_at),
        'slaBreached', coalesce(breached, false),
        'submitter', CASE WHEN s.id IS NOT NULL THEN jsonb_build_object('id', s.id, 'username', s.username,
            'fullName', s.full_name, 'email', s.email) || CASE WHEN detail THEN jsonb_build_object('department', s.department) ELSE '{}' END END,
        'assignee', CASE WHEN a.id IS NOT NULL THEN jsonb_build_object('id', a.id, 'username', a.username,
            'fullName', a.full_name, 'email', a.email) || CASE WHEN detail THEN jsonb_build_object('department', a.department) ELSE '{}' END END,
        'category', CASE WHEN c.id IS NOT NULL THEN jsonb_build_object('id', c.id, 'name', c.name,
            'icon', c.icon, 'color', c.color) || CASE WHEN detail THEN jsonb_build_object('description', c.description) ELSE '{}' END END)
$$;

-- A ticket whose strings need escaping, created at an instant given in another zone; then
-- resolved, rated and assigned so that every field has a value.
SELECT t.id AS tj1 FROM helpdesk.users u, helpdesk.categories c,
    LATERAL helpdesk.ticket_create(u, E'Quote " back\\slash \u0001 ctl\nnew line, tiếng Việt, 日本, 🖨',
                                   E'Line one\r\nLine two\ttab \u001f end', c.id, 'High', '2030-01-07 09:00:00.1234+07') t
WHERE u.username = 'tj_emp' AND c.name = 'TJ Bare' \gset
SELECT t.id AS tj2 FROM helpdesk.users u, helpdesk.categories c,
    LATERAL helpdesk.ticket_create(u, 'Plain title', 'A long enough description', c.id, 'Low', '2030-01-07 10:00+00') t
WHERE u.username = 'tj_emp' AND c.name = 'TJ Bare' \gset
UPDATE helpdesk.tickets SET assignee_id = (SELECT id FROM helpdesk.users WHERE username = 'tj_staff'),
       status = 'Resolved', resolved_at = '2030-01-08 00:00:00.999999+00', satisfaction_rating = 4,
       satisfaction_comment = E'Great \"job\"', resolution_notes = 'Replaced'
WHERE id = :tj2;

-- the text on the wire (ids and numbers vary with earlier suites)
SELECT (helpdesk.ticket_json_of(t, s, NULL, c, NULL, true) - 'id' - 'ticketNumber' - 'categoryId' - 'submitterId'
        - 'dueDate' - 'updatedAt' #- '{submitter,id}' #- '{category,id}')::text AS detail_text
FROM helpdesk.tickets t JOIN helpdesk.users s ON s.id = t.submitter_id JOIN helpdesk.categories c ON c.id = t.category_id
WHERE t.id = :tj1;
SELECT (helpdesk.ticket_json_of(t, s, a, c, true, false) - 'id' - 'ticketNumber' - 'categoryId' - 'submitterId'
        - 'assigneeId' - 'dueDate' - 'updatedAt' #- '{submitter,id}' #- '{assignee,id}' #- '{category,id}')::text AS list_text
FROM helpdesk.tickets t JOIN helpdesk.users s ON s.id = t.submitter_id JOIN helpdesk.users a ON a.id = t.assignee_id
JOIN helpdesk.categories c ON c.id = t.category_id
WHERE t.id = :tj2;

-- every ticket of the database, both shapes, with and without includes: the same as the reference
SELECT count(*) >= 2 AS tickets_compared,
       count(*) FILTER (WHERE helpdesk.ticket_json_of(t, s, a, c, b, true) <> pg_temp.ref(t, s, a, c, b, true)) AS detail_differs,
       count(*) FILTER (WHERE helpdesk.ticket_json_of(t, s, a, c, b, false) <> pg_temp.ref(t, s, a, c, b, false)) AS list_differs,
       count(*) FILTER (WHERE helpdesk.ticket_json_of(t, NULL, NULL, NULL, NULL, false)
                              <> pg_temp.ref(t, NULL, NULL, NULL, NULL, false)) AS bare_differs,
       count(*) FILTER (WHERE helpdesk.ticket_json_of(t, s, a, c, b, true)::text
                              <> pg_temp.ref(t, s, a, c, b, true)::text) AS text_differs
FROM helpdesk.tickets t
LEFT JOIN helpdesk.users s ON s.id = t.submitter_id
LEFT JOIN helpdesk.users a ON a.id = t.assignee_id
LEFT JOIN helpdesk.categories c ON c.id = t.category_id
LEFT JOIN helpdesk.sla_clocks r ON r.ticket_id = t.id AND r.kind = 'resolution',
LATERAL (SELECT helpdesk.sla_clock_breached(r, '2030-01-07 12:00+00')) x(b);

-- NULLs: no ticket, no includes, a row of NULLs as an include (an outer join's), breached unknown
SELECT helpdesk.ticket_json_of(NULL, NULL, NULL, NULL, NULL, NULL) AS no_ticket;
SELECT j -> 'submitter' AS submitter, j -> 'assignee' AS assignee, j -> 'category' AS category,
       j -> 'slaBreached' AS sla_breached, j -> 'assigneeId' AS assignee_id
FROM helpdesk.tickets t,
     LATERAL helpdesk.ticket_json_of(t, NULL, jsonb_populate_record(NULL::helpdesk.users, '{}'), NULL, NULL, NULL) j
WHERE t.id = :tj1;

-- time zones and infinities: UTC with milliseconds (truncated), infinite dates are null
SELECT j -> 'createdAt' AS created_at, j -> 'resolvedAt' AS resolved_at, j -> 'dueDate' AS due_date,
       j -> 'closedAt' AS closed_at
FROM helpdesk.tickets t,
     LATERAL helpdesk.ticket_json_of(jsonb_populate_record(t, '{"due_date": "infinity", "closed_at": "-infinity"}'),
                                     NULL, NULL, NULL, false, false) j
WHERE t.id IN (:tj1, :tj2) ORDER BY t.id;

-- the aggregate: the same objects, in the aggregate's order; no rows give NULL
SELECT helpdesk.ticket_json_agg(t, s, NULL, NULL, false, false ORDER BY t.id DESC)
       = jsonb_agg(helpdesk.ticket_json_of(t, s, NULL, NULL, false, false) ORDER BY t.id DESC) AS agg_same,
       jsonb_array_length(helpdesk.ticket_json_agg(t, s, NULL, NULL, false, false ORDER BY t.id DESC)) AS n,
       helpdesk.ticket_json_agg(t, s, NULL, NULL, false, false ORDER BY t.id DESC) -> 0 -> 'id' = to_jsonb(:tj2) AS first_is_last
FROM helpdesk.tickets t JOIN helpdesk.users s ON s.id = t.submitter_id WHERE t.id IN (:tj1, :tj2);
SELECT helpdesk.ticket_json_agg(t, NULL, NULL, NULL, false, false) AS empty_page FROM helpdesk.tickets t WHERE false;

-- the list's pages (helpdesk.ticket_list writes them from its statement's rows, extension/
-- list_plans.c): every ticket of the database, page by page in the list's order, the same
-- objects as the reference, as values and as text
SELECT count(*) = (SELECT count(*) FROM helpdesk.tickets) AS every_ticket_listed,
       count(*) FILTER (WHERE l.obj <> pg_temp.ref(t, s, a, c, b, false)) AS list_page_differs,
       count(*) FILTER (WHERE l.obj::text <> pg_temp.ref(t, s, a, c, b, false)::text) AS list_text_differs
FROM (SELECT u FROM helpdesk.users u WHERE u.role = 'Admin' ORDER BY u.id LIMIT 1) adm,
     generate_series(1, (SELECT (count(*) + 6) / 7 FROM helpdesk.tickets)::int) pg,
     LATERAL jsonb_array_elements(helpdesk.ticket_list(adm.u, page => pg, page_size => 7,
                                                       at => '2030-01-07 12:00+00') -> 'tickets') l(obj)
JOIN helpdesk.tickets t ON t.id = (l.obj ->> 'id')::int
LEFT JOIN helpdesk.users s ON s.id = t.submitter_id
LEFT JOIN helpdesk.users a ON a.id = t.assignee_id
LEFT JOIN helpdesk.categories c ON c.id = t.category_id
LEFT JOIN helpdesk.sla_clocks r ON r.ticket_id = t.id AND r.kind = 'resolution',
LATERAL (SELECT helpdesk.sla_clock_breached(r, '2030-01-07 12:00+00')) x(b);

DELETE FROM helpdesk.tickets WHERE id IN (:tj1, :tj2);
DELETE FROM helpdesk.users WHERE username IN ('tj_staff', 'tj_emp');
DELETE FROM helpdesk.categories WHERE name = 'TJ Bare';
RESET timezone;

-- paginated (extension/paginated.c) writes jsonb's binary form around the items' array as it
-- is: the same value and text as the SQL it replaced, over pages of every size (past the 32
-- entries where jsonb stores offsets), keys shorter and longer than the fixed ones, NULLs
-- (totalIsEstimate NULL: the key left out).
CREATE FUNCTION pg_temp.ref_paginated(key text, items jsonb, total bigint, page int, page_size int, est boolean)
RETURNS jsonb LANGUAGE sql AS $$
    SELECT jsonb_build_object(key, coalesce(items, '[]'::jsonb), 'total', total, 'page', page,
                              'totalPages', ceil(total::numeric / page_size)::int)
           || CASE WHEN est IS NOT NULL THEN jsonb_build_object('totalIsEstimate', est) ELSE '{}' END
$$;
SELECT count(*) AS cases,
       count(*) FILTER (WHERE helpdesk.paginated(k, i, t, p, s, e) IS DISTINCT FROM pg_temp.ref_paginated(k, i, t, p, s, e)
                           OR helpdesk.paginated(k, i, t, p, s, e)::text IS DISTINCT FROM pg_temp.ref_paginated(k, i, t, p, s, e)::text
                           OR (helpdesk.paginated(k, i, t, p, s, e)::text)::jsonb IS DISTINCT FROM helpdesk.paginated(k, i, t, p, s, e)
                           OR helpdesk.paginated(k, i, t, p, s, e) -> k IS DISTINCT FROM coalesce(i, '[]')) AS differ,
       count(*) FILTER (WHERE s > 0 AND helpdesk.paginated(k, i, t, p, s) IS DISTINCT FROM
                              pg_temp.ref_paginated(k, i, t, p, s, NULL) - 'totalIsEstimate') AS five_args_differ
FROM unnest(ARRAY['tickets', 'users', 'a', 'articles', 'aVeryLongKeyOfTheItemsHere', 'päge']) k,
     unnest(ARRAY[NULL, '[]', '[1]', '[{"b": 1, "a": "x\"y"}, null, true, 1.5, "z"]',
                  (SELECT jsonb_agg(jsonb_build_object('n', g, 'obj', jsonb_build_object('k', repeat('x', g))))
                   FROM generate_series(1, 40) g)]::jsonb[]) i,
     unnest(ARRAY[NULL, 0, 1, 21, 1001, -5]::bigint[]) t,
     unnest(ARRAY[1, 3]) p,
     unnest(ARRAY[1, 7, 10, 20]) s,
     unnest(ARRAY[NULL, true, false]) e;
SELECT helpdesk.paginated('tickets', '{"not": "an array"}', 1, 1, 1) AS not_an_array;
SELECT helpdesk.paginated('page', '[]', 1, 1, 1) AS key_taken;
SELECT helpdesk.paginated('tickets', '[]', 1, 1, 0) AS no_page_size;
