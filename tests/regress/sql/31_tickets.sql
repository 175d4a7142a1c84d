-- Tickets: create (number, due date), the JSON shapes, SLA predicates, list filters, sorting,
-- paging, search, and the plans the list uses.
\set SHOW_CONTEXT never
\set VERBOSITY terse
SET timezone = 'UTC';

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

SELECT setval('helpdesk.users_id_seq', (SELECT max(id) FROM helpdesk.users)) IS NOT NULL AS seq_moved
FROM helpdesk.users HAVING count(*) > 0;
INSERT INTO helpdesk.users (username, email, password_hash, full_name, role, department) VALUES
    ('tk_admin', 'tk_admin@example.com', helpdesk.hash_password('x'), 'TK Admin', 'Admin', 'IT'),
    ('tk_staff', 'tk_staff@example.com', helpdesk.hash_password('x'), 'TK Staff', 'IT_Staff', 'IT'),
    ('tk_emp', 'tk_emp@example.com', helpdesk.hash_password('x'), 'TK Employee', 'Employee', 'Sales'),
    ('tk_emp2', 'tk_emp2@example.com', helpdesk.hash_password('x'), 'TK Other', 'Employee', 'Sales');
SELECT max(id) FILTER (WHERE username = 'tk_admin') AS admin,
       max(id) FILTER (WHERE username = 'tk_staff') AS staff,
       max(id) FILTER (WHERE username = 'tk_emp') AS emp,
       max(id) FILTER (WHERE username = 'tk_emp2') AS emp2
FROM helpdesk.users \gset
INSERT INTO helpdesk.categories (name, description, icon, color) VALUES ('TK Desk', 'Desk things', 'desk', '#112233')
RETURNING id AS cat \gset

-- SLA rules for this suite (others may have theirs; ours are removed at the end).
CREATE TEMP TABLE my_rules AS
WITH r AS (
    INSERT INTO helpdesk.sla_rules (priority, response_time_hours, resolution_time_hours)
    VALUES ('High', 1, 4), ('Medium', 4, 24)
    ON CONFLICT (priority) DO NOTHING RETURNING id)
SELECT id FROM r;
SELECT priority, resolution_time_hours FROM helpdesk.sla_rules WHERE is_active ORDER BY priority;

-- Tickets with fixed clocks (domain function), shown without ids and numbers.
CREATE FUNCTION pg_temp.mk(who text, title text, prio helpdesk.ticket_priority, at timestamptz,
                           descr text DEFAULT 'A long enough description') RETURNS int LANGUAGE sql AS $$
    SELECT t.id FROM helpdesk.users u, helpdesk.categories c,
        LATERAL helpdesk.ticket_create(u, title, descr, c.id, prio, at) t
    WHERE u.username = who AND c.name = 'TK Desk' $$;
SELECT pg_temp.mk('tk_emp', 'Monitor flickers', 'High', '2030-01-07 09:00+00') AS t1 \gset
SELECT pg_temp.mk('tk_emp', 'Keyboard missing keys', 'Medium', '2030-01-07 10:00+00') AS t2 \gset
SELECT pg_temp.mk('tk_emp2', 'Mouse is 100% dead', 'Low', '2030-01-07 11:00+00', 'Cable cut_in two places') AS t3 \gset
SELECT pg_temp.mk('tk_staff', 'Docking station', 'Medium', '2030-01-08 09:00+00') AS t4 \gset

-- detail shape (every mutation answers with it) and list shape
SELECT jsonb_pretty(helpdesk.ticket_json(t, true, '2030-01-07 12:00+00') - 'id' - 'ticketNumber' - 'categoryId'
                    - 'submitterId' #- '{submitter,id}' #- '{category,id}')
FROM helpdesk.tickets t WHERE id = :t1;
SELECT jsonb_pretty(helpdesk.ticket_json(t, false, '2030-01-07 14:00+00') - 'id' - 'ticketNumber' - 'categoryId'
                    - 'submitterId' #- '{submitter,id}' #- '{category,id}')
FROM helpdesk.tickets t WHERE id = :t1;

-- "Breached" and "at risk" have one definition each (sql/30_tickets.sql), over a clock's state;
-- the ticket JSON, the list filters, the SLA routes, the scan and escalation all call them.
-- The boundary: work done at or before the deadline is in time, so at the due instant itself a
-- clock is not breached (still at risk); one microsecond later it is breached.
-- Breached follows the current deadline: a breach recorded before the deadline moved later is
-- not current; a paused clock is breached when its deadline had passed when it paused (a clock
-- paused under release 1.0 has no deadline: its recorded breach decides).
CREATE FUNCTION pg_temp.clock(state text, due timestamptz, warn timestamptz, breached timestamptz DEFAULT NULL,
                              paused_since timestamptz DEFAULT NULL)
RETURNS helpdesk.sla_clocks LANGUAGE sql AS $$
    SELECT ROW(0, 'resolution', state, 1, interval '10 hours', due - interval '10 hours', interval '0',
               paused_since, due, warn, NULL, breached, NULL, NULL, due, '{}')::helpdesk.sla_clocks $$;
SELECT label, helpdesk.sla_clock_breached(c, at) AS breached, helpdesk.sla_clock_at_risk(c, at) AS at_risk
FROM (VALUES
    ('running, before its warning',    pg_temp.clock('running', '2030-01-01 10:00+00', '2030-01-01 08:00+00'), timestamptz '2030-01-01 07:59:59+00'),
    ('running, at the warning instant', pg_temp.clock('running', '2030-01-01 10:00+00', '2030-01-01 08:00+00'), '2030-01-01 08:00+00'),
    ('running, 1 us before due',        pg_temp.clock('running', '2030-01-01 10:00+00', '2030-01-01 08:00+00'), '2030-01-01 09:59:59.999999+00'),
    ('running, at the due instant',     pg_temp.clock('running', '2030-01-01 10:00+00', '2030-01-01 08:00+00'), '2030-01-01 10:00+00'),
    ('running, 1 us after due',         pg_temp.clock('running', '2030-01-01 10:00+00', '2030-01-01 08:00+00'), '2030-01-01 10:00:00.000001+00'),
    ('running, breach recorded, deadline moved later', pg_temp.clock('running', '2030-01-02 10:00+00', '2030-01-02 08:00+00', '2030-01-01 10:00+00'), '2030-01-01 12:00+00'),
    ('... and that deadline passed too', pg_temp.clock('running', '2030-01-02 10:00+00', '2030-01-02 08:00+00', '2030-01-01 10:00+00'), '2030-01-02 12:00+00'),
    ('paused at its deadline',          pg_temp.clock('paused', '2030-01-01 10:00+00', '2030-01-01 08:00+00', NULL, '2030-01-01 10:00+00'), '2030-01-05 00:00+00'),
    ('paused after its deadline',       pg_temp.clock('paused', '2030-01-01 10:00+00', '2030-01-01 08:00+00', '2030-01-01 10:00+00', '2030-01-01 11:00+00'), '2030-01-05 00:00+00'),
    ('paused under 1.0, breach recorded', pg_temp.clock('paused', NULL, NULL, '2030-01-01 10:00+00', '2030-01-01 11:00+00'), '2030-01-05 00:00+00'),
    ('paused under 1.0, none recorded', pg_temp.clock('paused', NULL, NULL, NULL, '2030-01-01 11:00+00'), '2030-01-05 00:00+00'),
    ('met',                             pg_temp.clock('met', '2030-01-01 10:00+00', '2030-01-01 08:00+00'), '2030-01-05 00:00+00'),
    ('missed',                          pg_temp.clock('missed', '2030-01-01 10:00+00', '2030-01-01 08:00+00', '2030-01-01 10:00+00'), '2030-01-05 00:00+00'),
    ('cancelled',                       pg_temp.clock('cancelled', '2030-01-01 10:00+00', '2030-01-01 08:00+00'), '2030-01-05 00:00+00'),
    ('no clock (NULL)',                 NULL::helpdesk.sla_clocks, '2030-01-05 00:00+00')
) AS v(label, c, at);

-- The list. ids are shown as t1..t4.
CREATE FUNCTION pg_temp.names(j jsonb) RETURNS text LANGUAGE sql AS $$
    SELECT CASE WHEN j ? 'error' THEN j ->> 'error' ELSE
        format('total=%s page=%s pages=%s: %s', j -> 'total', j -> 'page', j -> 'totalPages',
               coalesce((SELECT string_agg(x ->> 'title', ', ' ORDER BY n) FROM jsonb_array_elements(j -> 'tickets') WITH ORDINALITY a(x, n)), '-'))
    END $$;
CREATE FUNCTION pg_temp.list(who text, VARIADIC args text[] DEFAULT '{}') RETURNS text LANGUAGE plpgsql AS $$
DECLARE u helpdesk.users; call text := '';
BEGIN
    SELECT * INTO u FROM helpdesk.users WHERE username = who;
    FOR i IN 1 .. coalesce(array_length(args, 1), 0) LOOP
        call := call || ', ' || args[i];
    END LOOP;
    RETURN pg_temp.names(pg_temp.try_list(u, call));
END $$;
CREATE FUNCTION pg_temp.try_list(u helpdesk.users, call text) RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE result jsonb; st text; msg text;
BEGIN
    EXECUTE format('SELECT helpdesk.ticket_list($1, category_id => %s, at => ''2030-01-07 12:00+00''%s)',
                   (SELECT id FROM helpdesk.categories WHERE name = 'TK Desk'), call) INTO result USING u;
    RETURN result;
EXCEPTION WHEN OTHERS THEN
    GET STACKED DIAGNOSTICS st = RETURNED_SQLSTATE, msg = MESSAGE_TEXT;
    RETURN jsonb_build_object('error', st || ' ' || msg);
END $$;
UPDATE helpdesk.tickets SET assignee_id = :staff, status = 'Assigned' WHERE id = :t2;
SELECT call, pg_temp.list(who, VARIADIC args) AS result FROM (VALUES
    ('admin: everything, newest first',       'tk_admin', '{}'::text[]),
    ('staff: everything',                     'tk_staff', '{}'),
    ('employee: own only',                    'tk_emp',   '{}'),
    ('employee: submitterId cannot widen',    'tk_emp',   ARRAY['submitter_id => ' || :emp2]),
    ('employee: own submitterId',             'tk_emp',   ARRAY['submitter_id => ' || :emp]),
    ('admin: submitterId',                    'tk_admin', ARRAY['submitter_id => ' || :emp2]),
    ('status Assigned',                       'tk_admin', ARRAY['status => ''Assigned''']),
    ('priority Medium',                       'tk_admin', ARRAY['priority => ''Medium''']),
    ('assignee staff',                        'tk_admin', ARRAY['assignee_id => ' || :staff]),
    ('unassigned',                            'tk_admin', ARRAY['unassigned => true']),
    ('search title, any case',                'tk_admin', ARRAY['search => ''KEYBOARD''']),
    ('search description',                    'tk_admin', ARRAY['search => ''cut_in''']),
    ('search % is literal',                   'tk_admin', ARRAY['search => ''100%''']),
    ('search _ is literal',                   'tk_admin', ARRAY['search => ''cut_i_''']),
    ('search ticket number',                  'tk_admin', ARRAY['search => ''' || (SELECT ticket_number FROM helpdesk.tickets WHERE id = :t4) || '''']),
    ('search across field boundary: no',      'tk_admin', ARRAY['search => ''flickers a long''']),
    ('slaBreached at 12:00 (High due 13:00)', 'tk_admin', ARRAY['sla_breached => true']),
    ('slaAtRisk at 12:00 (High 75%)',         'tk_admin', ARRAY['sla_at_risk => true']),
    ('slaAtRisk overrides status',            'tk_admin', ARRAY['sla_at_risk => true', 'status => ''Closed''']),
    ('sort dueDate ASC (NULL last)',          'tk_admin', ARRAY['sort_by => ''dueDate''', 'sort_order => ''ASC''']),
    ('sort priority DESC',                    'tk_admin', ARRAY['sort_by => ''priority''']),
    ('sort title ASC',                        'tk_admin', ARRAY['sort_by => ''title''', 'sort_order => ''ASC''']),
    ('sort by a non-field',                   'tk_admin', ARRAY['sort_by => ''passwordHash''']),
    ('page 2 of 3 per page',                  'tk_admin', ARRAY['page => 2', 'page_size => 3']),
    ('page far past the end',                 'tk_admin', ARRAY['page => 1000000', 'page_size => 1000'])
) AS v(call, who, args);
-- Past 'ticket_list_exact_count' matching tickets the total is the planner's estimate (at least
-- cap + 1); the page itself is always real.
INSERT INTO helpdesk.settings (setting_key, setting_value, setting_type) VALUES ('ticket_list_exact_count', '2', 'number');
SELECT (j ->> 'total')::int >= 3 AS estimated_total_above_cap, jsonb_array_length(j -> 'tickets') AS tickets_on_page,
       (j ->> 'totalPages')::int >= 1 AS pages
FROM helpdesk.users u, LATERAL helpdesk.ticket_list(u, category_id => :cat) j WHERE username = 'tk_admin';
SELECT (j ->> 'total')::int AS exact_when_under_cap
FROM helpdesk.users u, LATERAL helpdesk.ticket_list(u, category_id => :cat, priority => 'Medium') j WHERE username = 'tk_admin';
-- The answer says which: totalIsEstimate beside total.
SELECT j -> 'totalIsEstimate' AS estimate_above_cap
FROM helpdesk.users u, LATERAL helpdesk.ticket_list(u, category_id => :cat, page_size => 2) j WHERE username = 'tk_admin';
-- ... unless the page was not filled: the end was reached, the total is exact.
SELECT j -> 'totalIsEstimate' AS estimate_when_the_page_ends_the_list,
       (j ->> 'total')::int = jsonb_array_length(j -> 'tickets') AS total_is_the_rows_found
FROM helpdesk.users u, LATERAL helpdesk.ticket_list(u, category_id => :cat) j WHERE username = 'tk_admin';
SELECT j -> 'totalIsEstimate' AS estimate_under_cap
FROM helpdesk.users u, LATERAL helpdesk.ticket_list(u, category_id => :cat, priority => 'Medium') j WHERE username = 'tk_admin';
-- The unfiltered list's estimate comes from the plan the connection keeps for it (no planning
-- per call): the planner's own estimate, the same as EXPLAIN's. Past the bound, total is that
-- estimate.
SELECT helpdesk.ticket_list_estimate('SELECT FROM helpdesk.tickets t')
       = helpdesk.estimate_rows('SELECT FROM helpdesk.tickets t', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL)
       AS kept_plan_estimate_is_the_planners,
       helpdesk.ticket_list_estimate('SELECT FROM helpdesk.tickets t') > 8 AS past_four_times_the_bound;
SELECT (j ->> 'total')::bigint = helpdesk.ticket_list_estimate('SELECT FROM helpdesk.tickets t') AS total_is_the_estimate,
       j -> 'totalIsEstimate' AS estimated, jsonb_array_length(j -> 'tickets') AS tickets_on_page
FROM helpdesk.users u, LATERAL helpdesk.ticket_list(u, page_size => 3) j WHERE username = 'tk_admin';
-- "Many" is decided by counting up to the bound, never by the statistics alone: statistics
-- that say a million tickets (as after thousands deleted since the last ANALYZE) leave a list
-- under the bound exact. (Decided from the estimate, this list was "a million, estimated".)
BEGIN;
UPDATE pg_class SET reltuples = 1000000, relpages = 1 WHERE oid = 'helpdesk.tickets'::regclass;
UPDATE helpdesk.settings SET setting_value = (SELECT count(*) FROM helpdesk.tickets)::text
WHERE setting_key = 'ticket_list_exact_count';
SELECT helpdesk.ticket_list_estimate('SELECT FROM helpdesk.tickets t') > 4 * (SELECT count(*) FROM helpdesk.tickets)
       AS statistics_say_many,
       j -> 'totalIsEstimate' AS estimated, (j ->> 'total')::bigint = (SELECT count(*) FROM helpdesk.tickets) AS total_is_the_count,
       jsonb_array_length(j -> 'tickets') AS tickets_on_page
FROM helpdesk.users u, LATERAL helpdesk.ticket_list(u, page_size => 1) j WHERE username = 'tk_admin';
-- one more ticket than the bound: an estimate (the statistics', at least the bound + 1)
UPDATE helpdesk.settings SET setting_value = ((SELECT count(*) FROM helpdesk.tickets) - 1)::text
WHERE setting_key = 'ticket_list_exact_count';
SELECT j -> 'totalIsEstimate' AS estimated, (j ->> 'total')::bigint >= (SELECT count(*) FROM helpdesk.tickets) AS total_past_the_bound
FROM helpdesk.users u, LATERAL helpdesk.ticket_list(u, page_size => 1) j WHERE username = 'tk_admin';
ROLLBACK;
-- A search with more matches than the bound walks the list's order instead of sorting the
-- trigram index's matches: the same tickets in the same order, page by page, in both orders.
INSERT INTO helpdesk.settings (setting_key, setting_value, setting_type) VALUES ('ticket_list_search_exact_count', '1', 'number');
CREATE TEMP TABLE search_pages AS
SELECT o.sort_order, pg.page, pg_temp.names(helpdesk.ticket_list(u, category_id => :cat, search => 'e', page => pg.page, page_size => 2,
                                               sort_by => 'title', sort_order => o.sort_order)) AS walked
FROM helpdesk.users u, (VALUES ('ASC'), ('DESC')) o(sort_order), generate_series(1, 3) pg(page) WHERE username = 'tk_admin';
DELETE FROM helpdesk.settings WHERE setting_key IN ('ticket_list_exact_count', 'ticket_list_search_exact_count');
SELECT s.sort_order, s.page, s.walked,
       s.walked = pg_temp.names(helpdesk.ticket_list(u, category_id => :cat, search => 'e', page => s.page, page_size => 2,
                                                     sort_by => 'title', sort_order => s.sort_order))
           OR split_part(s.walked, ':', 2) = split_part(pg_temp.names(helpdesk.ticket_list(u, category_id => :cat, search => 'e',
                                                     page => s.page, page_size => 2, sort_by => 'title', sort_order => s.sort_order)), ':', 2)
           AS same_page_as_sorted_matches
FROM search_pages s, helpdesk.users u WHERE u.username = 'tk_admin' ORDER BY 1, 2;
-- The default bound is 1,000: these lists are exact.
SELECT j -> 'total' AS total, j -> 'totalIsEstimate' AS estimate_by_default
FROM helpdesk.users u, LATERAL helpdesk.ticket_list(u, category_id => :cat) j WHERE username = 'tk_admin';
-- later: slaBreached once the High ticket is past due
SELECT pg_temp.names(helpdesk.ticket_list(u, category_id => :cat, sla_breached => true, at => '2030-01-07 13:00:01+00'))
FROM helpdesk.users u WHERE username = 'tk_admin';

-- the route: query strings validated, assigneeId=null, limits
SELECT q, pg_temp.names(pg_temp.api('tickets_list', :admin, jsonb_build_object('query', q::jsonb || jsonb_build_object('categoryId', :cat::text)))) AS result
FROM unnest(ARRAY[
    '{"assigneeId": "null"}', '{"assigneeId": "NULL"}', '{"assigneeId": "abc"}', '{"status": "Open"}',
    '{"priority": "Urgent"}', '{"sortBy": "dueDate", "sortOrder": "asc"}', '{"sortOrder": "sideways"}',
    '{"limit": "1001"}', '{"limit": "2", "page": "2"}', '{"page": "0"}', '{"slaAtRisk": "yes"}',
    '{"search": "   "}', '{"submitterId": "0"}'
]) AS q;
SELECT pg_temp.names(pg_temp.api('tickets_list', :emp, jsonb_build_object('query', jsonb_build_object('submitterId', :emp2::text))));
SELECT pg_temp.names(pg_temp.api('tickets_my', :emp));
SELECT pg_temp.names(pg_temp.api('tickets_my', :emp2));
SELECT pg_temp.names(pg_temp.api('tickets_assigned_to_me', :staff));
SELECT pg_temp.api('tickets_assigned_to_me', :emp);

-- stats per role: Employee = submitted, IT_Staff = assigned to them, Admin = all
SELECT (pg_temp.api('tickets_stats', :emp) - 'total') AS employee_stats,
       pg_temp.api('tickets_stats', :staff) AS staff_stats;

-- create through the route: validation and the detail shape
SELECT body, pg_temp.api('tickets_create', :emp, jsonb_build_object('body', body::jsonb || jsonb_build_object('categoryId', :cat))) ->> 'error' AS result
FROM unnest(ARRAY[
    '{"title": "Tiny", "description": "Long enough text"}',
    '{"title": "Title ok", "description": "short"}',
    '{"title": "Title ok", "description": "Long enough text", "priority": "Critical"}',
    '{"title": "Title ok", "description": "Long enough text", "assigneeId": 1}',
    '{"description": "Long enough text"}'
]) AS body;
SELECT jsonb_object_keys(pg_temp.api('tickets_create', :emp, jsonb_build_object('body', jsonb_build_object(
    'title', 'Created by route', 'description', 'Long enough text', 'categoryId', :cat)))) AS detail_key ORDER BY 1;

-- get: visibility and 404
SELECT pg_temp.api('tickets_get', :emp, jsonb_build_object('path', jsonb_build_object('id', :t1))) ->> 'title' AS own,
       pg_temp.api('tickets_get', :emp2, jsonb_build_object('path', jsonb_build_object('id', :t1))) ->> 'error' AS other,
       pg_temp.api('tickets_get', :staff, jsonb_build_object('path', jsonb_build_object('ticketId', :t1))) ->> 'title' AS staff,
       pg_temp.api('tickets_get', :staff, '{"path": {"id": 2147483647}}') ->> 'error' AS missing;

-- The plans. 20,000 generated tickets (triggers off: plain rows), vacuumed and analyzed, so the
-- planner sees a realistic table; then removed again.
SET session_replication_role = replica;
INSERT INTO helpdesk.tickets (ticket_number, title, description, category_id, priority, status, submitter_id,
                              due_date, created_at, updated_at)
SELECT 'TKT-1999-' || lpad(i::text, 5, '0'),
       (ARRAY['Printer', 'Laptop', 'VPN', 'Email', 'Monitor', 'Phone'])[1 + i % 6] || ' issue ' || md5(i::text),
       'Reported problem ' || md5((i * 7)::text) || CASE WHEN i % 4000 = 0 THEN ' kerberos ticket expired' ELSE '' END
           -- words of known frequencies for the search's estimate: 5%, 1%, 0.4%
           || CASE WHEN i % 20 = 0 THEN ' toner low' ELSE '' END || CASE WHEN i % 100 = 7 THEN ' fuser hot' ELSE '' END
           || CASE WHEN i % 250 = 3 THEN ' drum worn' ELSE '' END,
       :cat, (ARRAY['Low', 'Medium', 'High'])[1 + i % 3]::helpdesk.ticket_priority,
       (ARRAY['New', 'Assigned', 'In Progress', 'Pending', 'Resolved', 'Closed'])[1 + i % 6]::helpdesk.ticket_status,
       CASE WHEN i % 50 = 0 THEN :emp ELSE :emp2 END,
       '1999-01-01'::timestamptz + i * interval '13 minutes' + interval '24 hours',
       '1999-01-01'::timestamptz + i * interval '13 minutes', '1999-01-01'::timestamptz + i * interval '13 minutes'
FROM generate_series(1, 20000) i;
RESET session_replication_role;
VACUUM ANALYZE helpdesk.tickets;
-- The plans of ticket_list's two statements; `parts` picks 'count', 'page' or both. (The plan of
-- an unfiltered count is left out: it picks whichever index is smallest.)
CREATE FUNCTION pg_temp.plan(who text, parts text, VARIADIC args text[] DEFAULT '{}') RETURNS SETOF text LANGUAGE plpgsql AS $$
DECLARE u helpdesk.users; call text := ''; j jsonb;
BEGIN
    SELECT * INTO u FROM helpdesk.users WHERE username = who;
    FOR i IN 1 .. coalesce(array_length(args, 1), 0) LOOP call := call || ', ' || args[i]; END LOOP;
    EXECUTE format('SELECT helpdesk.ticket_list($1, at => ''2030-01-07 12:00+00'', explain => true%s)', call) INTO j USING u;
    -- user ids depend on earlier suites
    IF parts LIKE '%count%' THEN
        RETURN QUERY SELECT 'count: ' || regexp_replace(x, '= \d+', '= <id>') FROM jsonb_array_elements_text(j -> 'count') x;
    END IF;
    IF parts LIKE '%page%' THEN
        RETURN QUERY SELECT 'page:  ' || regexp_replace(x, '= \d+', '= <id>') FROM jsonb_array_elements_text(j -> 'page') x;
    END IF;
END $$;
-- search: the trigram index, never a sequential scan
SELECT pg_temp.plan('tk_admin', 'count page', 'search => ''kerberos''');
-- default order, page 10,000 of 2: walks tickets_created_id_idx backwards, no sort
SELECT pg_temp.plan('tk_admin', 'page', 'page => 10000', 'page_size => 2');
-- sortBy=dueDate walks tickets_due_id_idx
SELECT pg_temp.plan('tk_admin', 'page', 'sort_by => ''dueDate''', 'sort_order => ''ASC''');
-- an Employee's list starts from their own tickets
SELECT pg_temp.plan('tk_emp', 'count page');
-- with sequential scans priced out, the index is usable for any search term
SET enable_seqscan = off;
SELECT pg_temp.plan('tk_admin', 'count', 'search => ''issue''');
RESET enable_seqscan;
SELECT pg_temp.names(helpdesk.ticket_list(u, search => 'KERBEROS', page_size => 2)) FROM helpdesk.users u WHERE username = 'tk_admin';
-- A search's total (setting ticket_list_search_exact_count, default 150): exact up to the bound,
-- beyond it estimated from the walk that found the page (matches - 1) / (rows walked - 1) x the
-- rows in scope, and said so. The page is always the exact one: the same ids as the plain query.
CREATE FUNCTION pg_temp.search_total(w text, s text DEFAULT 'createdAt', pg int DEFAULT 1, size int DEFAULT 20)
RETURNS TABLE (word text, sort text, page int, matches bigint, total bigint, estimated boolean, error_pct numeric, same_page boolean)
LANGUAGE plpgsql AS $$
DECLARE u helpdesk.users; j jsonb; n bigint; expected int[]; col text := helpdesk.ticket_sort_column(s);
BEGIN
    SELECT * INTO u FROM helpdesk.users WHERE username = 'tk_admin';
    j := helpdesk.ticket_list(u, category_id => (SELECT id FROM helpdesk.categories WHERE name = 'TK Desk'), search => w,
                              page => pg, page_size => size, sort_by => s, at => '2030-01-07 12:00+00');
    SELECT count(*) INTO n FROM helpdesk.tickets t JOIN helpdesk.categories c ON c.id = t.category_id AND c.name = 'TK Desk'
    WHERE t.title ILIKE '%' || w || '%' OR t.description ILIKE '%' || w || '%' OR t.ticket_number ILIKE '%' || w || '%';
    EXECUTE format('SELECT array_agg(id) FROM (SELECT t.id FROM helpdesk.tickets t JOIN helpdesk.categories c ON c.id = t.category_id '
                   'AND c.name = %L WHERE t.title ILIKE $1 OR t.description ILIKE $1 OR t.ticket_number ILIKE $1 '
                   'ORDER BY t.%I DESC, t.id DESC LIMIT %s OFFSET %s) s', 'TK Desk', col, size, (pg - 1) * size)
        INTO expected USING '%' || w || '%';
    RETURN QUERY SELECT w, s, pg, n, (j ->> 'total')::bigint, (j ->> 'totalIsEstimate')::boolean,
        round(100.0 * ((j ->> 'total')::bigint - n) / n), ARRAY(SELECT (x ->> 'id')::int FROM jsonb_array_elements(j -> 'tickets') x) = expected;
END $$;
SELECT r.* FROM (VALUES ('drum', 'createdAt', 1, 20), ('fuser', 'createdAt', 1, 20), ('fuser', 'createdAt', 3, 20),
                        ('toner', 'createdAt', 1, 20), ('toner', 'createdAt', 1, 10), ('toner', 'createdAt', 40, 5),
                        ('toner', 'title', 1, 20), ('toner', 'dueDate', 2, 20), ('Printer', 'createdAt', 1, 20),
                        ('kerberos', 'createdAt', 1, 20), ('TKT-1999-00042', 'createdAt', 1, 20)) v(w, s, p, n),
     LATERAL pg_temp.search_total(v.w, v.s, v.p, v.n) r;
-- a lower bound (the setting): a word past it is estimated, one under it counted
INSERT INTO helpdesk.settings (setting_key, setting_value, setting_type) VALUES ('ticket_list_search_exact_count', '50', 'number');
SELECT r.* FROM (VALUES ('drum'), ('fuser')) v(w), LATERAL pg_temp.search_total(v.w) r;
DELETE FROM helpdesk.settings WHERE setting_key = 'ticket_list_search_exact_count';
-- The rows are tested by ticket_search_matches (C): ILIKE's answer, ASCII folded in place, other
-- text through lower() (Vietnamese, the Kelvin sign that lowers to k, German sharp s), the
-- search's own wildcards and backslashes literal, NULL fields not matching.
SELECT f, s, helpdesk.ticket_search_matches(f, NULL, NULL, helpdesk.like_pattern(s)) AS matches,
       helpdesk.ticket_search_matches(f, NULL, NULL, helpdesk.like_pattern(s)) = coalesce(f ILIKE helpdesk.like_pattern(s), false) AS as_ilike
FROM (VALUES ('Printer jammed', 'PRINTER'), ('Printer jammed', 'inter j'), ('Printer jammed', 'jammed!'),
             ('Máy in bị kẹt giấy', 'KẸT'), ('Máy in bị kẹt giấy', 'may in'), ('MÁY IN', 'máy'),
             ('Temperature 300 K', E'300 \u212A'), (E'300 \u212A', '300 k'), ('Straße', 'STRASSE'), ('Straße', 'ß'),
             ('100% done_now', '0% d'), ('100% done_now', 'e_n'), ('100 done now', '0% d'), ('a\b', 'a\b'), ('ab', 'a\b'),
             ('', 'x'), ('anything', ''), (NULL, 'x'),
             -- other text matched among its ASCII bytes, or else through lower(); a needle at the end
             ('Café PRINTER', 'printer'), (E'Kelvin \u212A only', 'k only'), ('Café', 'cafe'),
             ('xprinter', 'printer'), ('xprinte', 'printer'), ('Printer', 'printer')) v(f, s);
-- The search's static statements run generic plans: the page's JSON statement was planned again on
-- every call (custom plans looked cheaper for a one-ticket page).
SELECT 'plan_cache_mode=force_generic_plan' = ANY (p.proconfig) AS planned_once
FROM pg_proc p WHERE p.oid = 'helpdesk.ticket_list_search'::regproc;
-- A search's pattern estimate (the choice between walk and index) comes from the statistics of the
-- trigram index's expression, read in C (ticket_search_share): the planner's own ILIKE estimate
-- of the same pattern, without planning a statement.
SELECT w, abs(round(helpdesk.ticket_search_share('helpdesk.tickets_search_trgm_idx', helpdesk.like_pattern(w))
                    * helpdesk.ticket_list_estimate('SELECT FROM helpdesk.tickets t'))
              - helpdesk.estimate_rows('SELECT FROM helpdesk.tickets t WHERE helpdesk.ticket_search_text(t.title, t.description, t.ticket_number) ILIKE $7',
                                       NULL, NULL, NULL, NULL, NULL, NULL, helpdesk.like_pattern(w), NULL)) <= 1 AS as_planner
FROM (VALUES ('toner'), ('fuser'), ('drum'), ('Printer'), ('kerberos'), ('TKT-1999-00042'), ('zzzz'), ('')) v(w);
SET session_replication_role = replica;
DELETE FROM helpdesk.tickets WHERE ticket_number LIKE 'TKT-1999-%';
RESET session_replication_role;

DELETE FROM helpdesk.sla_rules WHERE id IN (SELECT id FROM my_rules);
RESET timezone;
