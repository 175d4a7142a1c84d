-- 30_tickets, 1.0 to 1.1: "breached" follows the current deadline (sla_clock_breached, the list
-- and its index); clocks keep their finished pauses (sla_clocks.pauses, last column; NULL on the
-- rows release 1.0 wrote, which is how 1.1 tells them apart); the at-risk and breached lists read
-- running clocks by (due_at, warn_at), so an at-risk count no longer reads the past-due clocks.

ALTER TABLE helpdesk.sla_clocks ADD COLUMN pauses tstzmultirange;

DROP INDEX helpdesk.sla_clocks_breached_idx;

CREATE INDEX sla_clocks_breached_idx ON helpdesk.sla_clocks (ticket_id)
    WHERE kind = 'resolution' AND state = 'paused' AND coalesce(due_at < paused_since, breached_at IS NOT NULL);

DROP INDEX helpdesk.sla_clocks_at_risk_idx;

-- At-risk and breached lists: running resolution clocks by their deadline then their warning
-- instant (breached: due_at < at; at risk: due_at >= at AND warn_at <= at, the warning checked in
-- the index, so only the at-risk clocks are fetched), and the paused ones that were late when they
-- paused (the paused arm of sla_clock_breached()). One index for both: with a second one on
-- warn_at alone, generic plans (no value for `at`) costed the two alike and could pick warn_at,
-- which reads every running clock past its warning, past due ones included.
CREATE INDEX sla_clocks_running_deadlines_idx ON helpdesk.sla_clocks (due_at, warn_at)
    WHERE kind = 'resolution' AND state = 'running';

-- ---- "breached" and "at risk": the one definition of each --------------------------------
--
-- The boundary: work done at or before a deadline is in time. A clock is breached at `at` once
-- `at` is strictly past its due instant (due_at < at); at the instant itself it is not. This is
-- the same boundary as a stop after the deadline (sla_clock_stop: missed) and as a scan at time
-- `at` recording the breach.
--
-- Breached follows the CURRENT deadline: a running clock is breached when its deadline has
-- passed, a paused one when its deadline had passed when it paused (a paused clock keeps the
-- deadline it had, due_at; clocks paused under release 1.0 kept none, and their recorded breach
-- decides), a stopped one when it stopped after its deadline (missed, for good). When a priority
-- change or a recomputation of the rules or the calendar moves the deadline later, a ticket that
-- was breached is no longer breached unless the new deadline has passed too; the breach that
-- happened stays where it was recorded: its `breached` event (sla_events, the timeline) and its
-- `sla_breached` history row. breached_at is only the watcher's bookkeeping (the latest deadline
-- whose breach was recorded), never read here.
--
-- Reports: a clock's outcome is decided once, when it stops, against the deadline then in force:
-- `met` or `missed` (sla_clock_breached(c, at) of a stopped clock). SLA compliance counts those
-- outcomes, so a ticket breached under High, lowered to Low and resolved within the Low deadline
-- counts as met; "breaches recorded" (escalations, notifications sent) counts the `breached`
-- events instead, where that earlier breach stays. (docs/ARCHITECTURE.md says the same.)
CREATE OR REPLACE FUNCTION helpdesk.sla_clock_breached(c helpdesk.sla_clocks, at timestamptz)
RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
    SELECT coalesce(c.state = 'missed'
                    OR (c.state = 'running' AND c.due_at < at)
                    OR (c.state = 'paused' AND coalesce(c.due_at < c.paused_since, c.breached_at IS NOT NULL)), false)
$$;

-- The same sets for lists: open tickets whose resolution clock is breached / at risk at `at`.
-- Each arm adds a condition that the definition implies (a running clock is breached when past
-- its deadline, at risk when past its warning and not past its deadline: a running clock always
-- has both, sla_plan; a paused one was late when it paused) so that an index serves it; the
-- definition itself is the function.
CREATE OR REPLACE FUNCTION helpdesk.sla_breached_ids(at timestamptz DEFAULT now())
RETURNS SETOF int
LANGUAGE sql STABLE
AS $$
    SELECT c.ticket_id FROM helpdesk.sla_clocks c
    WHERE c.kind = 'resolution' AND c.state = 'running' AND c.due_at < at
      AND helpdesk.sla_clock_breached(c, at)
    UNION ALL
    SELECT c.ticket_id FROM helpdesk.sla_clocks c
    WHERE c.kind = 'resolution' AND c.state = 'paused' AND coalesce(c.due_at < c.paused_since, c.breached_at IS NOT NULL)
      AND helpdesk.sla_clock_breached(c, at)
$$;

-- (an index range scan on the running clocks not yet due, their warning checked in the index)
CREATE OR REPLACE FUNCTION helpdesk.sla_at_risk_ids(at timestamptz DEFAULT now())
RETURNS SETOF int
LANGUAGE sql STABLE
AS $$
    SELECT c.ticket_id FROM helpdesk.sla_clocks c
    WHERE c.kind = 'resolution' AND c.state = 'running' AND c.due_at >= at AND c.warn_at <= at
      AND helpdesk.sla_clock_at_risk(c, at)
$$;

-- Ticket numbers come from a sequence per year (extension/numbering.c), no longer from the row
-- helpdesk.ticket_number_counters, which every creator held locked until its commit. The
-- counters are carried over by the new C function itself: a year's sequence, made by the year's
-- first number, starts after that year's counter row and after its highest existing ticket
-- number, so an upgraded desk continues after the numbers 1.0 handed out. (The symbol 1.0 binds,
-- helpdesk_next_ticket_number, keeps counting in the rows until this update.)
CREATE OR REPLACE FUNCTION helpdesk.next_ticket_number(at timestamptz DEFAULT now(), time_zone text DEFAULT NULL)
RETURNS text
LANGUAGE c VOLATILE
AS 'MODULE_PATHNAME', 'helpdesk_next_ticket_number_seq';

-- The ticket list (issue 13): its count and page statements planned once per shape and kept
-- (ticket_list_run, extension/list_plans.c), the page's JSON static SQL, total exact up to
-- 'ticket_list_exact_count' (now 1,000) with totalIsEstimate, a common word found by walking
-- the sort order.
-- The ticket list: filters, visibility, order, page. Returns the reference's paginated shape
-- plus totalIsEstimate.
--
-- Visibility: an Employee's list is always limited to the tickets they submitted; a submitterId
-- filter can only narrow it (another user's id gives an empty list).
--
-- Planned once per shape. Three statements: the count, the page's ids, the page's JSON.
-- - The count and the ids depend on the filters present, the sort column and direction and the
--   page size: their text is made of fixed fragments (integers formatted in: the bound and the
--   page size) and every value of the request is a parameter. Each text is prepared once per
--   connection with a generic plan and kept (ticket_list_run, extension/list_plans.c). Dynamic
--   SQL (EXECUTE) planned them on every call, ~1 ms each, more than running them.
-- - The JSON of the page's rows is static SQL below, inlined (ticket_json_of), planned once.
--
-- Paging: the reference's contract is page/limit, so keyset paging is not possible. Every sort
-- column is indexed or cheap to sort; the default order (createdAt DESC, id DESC) walks
-- tickets_created_id_idx.
--
-- total: an exact count with the same filters as long as at most 'ticket_list_exact_count'
-- (setting, default 1,000) tickets match; beyond, the planner's estimate of the matching rows
-- (at least the bound + 1) and totalIsEstimate: true. An exact count of tens of thousands of
-- matches (a common word: each match rechecked) cost up to 100x the page; nobody pages to the
-- end of a list that long, and the flag says the number is an estimate. The count comes first,
-- so a page past an exact end is answered without walking anything.
--
-- search: case-insensitive substring of title, description or ticket number (the reference's
-- ILIKE), with LIKE wildcards taken literally, in the list's order (the reference's). Few matches
-- (an exact count: a ticket number, a rare word) are found through the trigram index over
-- ticket_search_text and sorted; many (past the bound: a common word) are found by walking the
-- sort order's index and testing each row, which reaches a page of a word in 5% of the tickets
-- after ~20 x 20 rows instead of fetching and sorting all its matches. The HTTP layer's
-- statement_timeout bounds the worst case (a search term shorter than three characters, which
-- no trigram index can serve, on a huge table).
CREATE OR REPLACE FUNCTION helpdesk.ticket_list(actor helpdesk.users,
                                     status helpdesk.ticket_status DEFAULT NULL,
                                     priority helpdesk.ticket_priority DEFAULT NULL,
                                     category_id int DEFAULT NULL,
                                     submitter_id int DEFAULT NULL,
                                     assignee_id int DEFAULT NULL,
                                     unassigned boolean DEFAULT false,
                                     search text DEFAULT NULL,
                                     sla_breached boolean DEFAULT false,
                                     sla_at_risk boolean DEFAULT false,
                                     page int DEFAULT 1, page_size int DEFAULT 10,
                                     sort_by text DEFAULT 'createdAt', sort_order text DEFAULT 'DESC',
                                     at timestamptz DEFAULT now(), explain boolean DEFAULT false)
RETURNS jsonb
LANGUAGE plpgsql STABLE
AS $$
DECLARE
    conds text[] := '{}';
    where_sql text;
    walk_where_sql text;
    est_where_sql text;
    order_sql text;
    total bigint;
    estimated boolean := false;
    ids int[];
    items jsonb;
    pattern text;
    est bigint;
    found jsonb;
    cap constant bigint := greatest(helpdesk.setting('ticket_list_exact_count', '1000')::bigint, 0);
    dir text := CASE WHEN upper(sort_order) = 'ASC' THEN 'ASC' ELSE 'DESC' END;
    page_offset bigint := (page - 1)::bigint * page_size;
BEGIN
    IF actor.role = 'Employee' THEN
        conds := array_append(conds, 't.submitter_id = $1');
    END IF;
    IF submitter_id IS NOT NULL THEN
        conds := array_append(conds, 't.submitter_id = $2');
    END IF;
    -- slaAtRisk overrides slaBreached and status; slaBreached overrides status (the reference).
    IF sla_at_risk THEN
        conds := array_append(conds, 't.id IN (SELECT helpdesk.sla_at_risk_ids($9))');
    ELSIF sla_breached THEN
        conds := array_append(conds, 't.id IN (SELECT helpdesk.sla_breached_ids($9))');
    ELSIF status IS NOT NULL THEN
        conds := array_append(conds, 't.status = $3');
    END IF;
    IF priority IS NOT NULL THEN
        conds := array_append(conds, 't.priority = $4');
    END IF;
    IF category_id IS NOT NULL THEN
        conds := array_append(conds, 't.category_id = $5');
    END IF;
    IF unassigned THEN
        conds := array_append(conds, 't.assignee_id IS NULL');
    ELSIF assignee_id IS NOT NULL THEN
        conds := array_append(conds, 't.assignee_id = $6');
    END IF;
    where_sql := CASE WHEN cardinality(conds) = 0 THEN '' ELSE ' WHERE ' || array_to_string(conds, ' AND ') END;
    walk_where_sql := where_sql;
    IF search IS NOT NULL THEN
        pattern := helpdesk.like_pattern(search);
        -- the walk tests the fields only: without the indexed expression no bitmap is possible
        walk_where_sql := CASE WHEN where_sql = '' THEN ' WHERE ' ELSE where_sql || ' AND ' END
                          || '(t.title ILIKE $7 OR t.description ILIKE $7 OR t.ticket_number ILIKE $7)';
        -- the estimate tests the indexed expression only: the fields' test is implied by it,
        -- and the planner, multiplying the two as if independent, put a common word ~10x
        -- too low (and estimated four patterns instead of one)
        est_where_sql := CASE WHEN where_sql = '' THEN ' WHERE ' ELSE where_sql || ' AND ' END
                         || 'helpdesk.ticket_search_text(t.title, t.description, t.ticket_number) ILIKE $7';
        where_sql := est_where_sql
                     || ' AND (t.title ILIKE $7 OR t.description ILIKE $7 OR t.ticket_number ILIKE $7)';
    END IF;
    order_sql := format(' ORDER BY t.%I %s, t.id %s LIMIT %s', helpdesk.ticket_sort_column(sort_by), dir, dir, page_size);

    IF explain THEN
        -- the plans of the two statements, for a DBA (and the regression tests)
        RETURN jsonb_build_object(
            'count', helpdesk.explain_lines(format('SELECT count(*) FROM (SELECT FROM helpdesk.tickets t%s LIMIT %s) c',
                                                   where_sql, cap + 1),
                                            actor.id, submitter_id, status, priority, category_id, assignee_id, pattern, at),
            'page', helpdesk.explain_lines('SELECT t.id FROM helpdesk.tickets t' || where_sql || order_sql
                                           || format(' OFFSET %s', page_offset),
                                           actor.id, submitter_id, status, priority, category_id, assignee_id, pattern, at));
    END IF;

    -- Decide "many" from the statistics first where that is cheap or the count is dear: a
    -- list the planner expects past four times the bound is counted no further. A search's
    -- exact count built the trigram bitmap of every match and rechecked up to cap + 1 of them
    -- (~60% of the request at 1M tickets); the unfiltered list's estimate comes from its kept
    -- plan, with no planning at all. Filtered lists count first (their count is cheap, the
    -- estimate is a planning).
    IF search IS NOT NULL THEN
        est := helpdesk.estimate_rows('SELECT FROM helpdesk.tickets t' || est_where_sql,
                                      actor.id, submitter_id, status, priority, category_id, assignee_id, pattern, at);
    ELSIF where_sql = '' THEN
        est := helpdesk.ticket_list_estimate('SELECT FROM helpdesk.tickets t');
    END IF;
    IF est > 4 * cap THEN
        estimated := true;
        total := est;
    ELSIF search IS NOT NULL THEN
        -- One statement collects up to cap + 1 matches and pages them: exact, the page is
        -- among them (the count and the page each built the trigram bitmap); past the bound,
        -- the walk below.
        found := helpdesk.ticket_list_run(format(
            'WITH m AS MATERIALIZED (SELECT t.id, t.%I AS k FROM helpdesk.tickets t%s LIMIT %s) '
            'SELECT jsonb_build_object(''n'', (SELECT count(*) FROM m), ''ids'', (SELECT to_jsonb(array_agg(s.id)) '
            'FROM (SELECT m.id FROM m ORDER BY m.k %s, m.id %s LIMIT %s OFFSET $10) s))',
            helpdesk.ticket_sort_column(sort_by), where_sql, cap + 1, dir, dir, page_size),
            actor.id, submitter_id, status, priority, category_id, assignee_id, pattern, at, page_offset);
        total := (found ->> 'n')::bigint;
        IF total > cap THEN
            estimated := true;
            total := greatest(cap + 1, est);
        ELSE
            ids := ARRAY(SELECT x::int FROM jsonb_array_elements_text(nullif(found -> 'ids', 'null')) x);
        END IF;
    ELSE
        -- Exact up to `cap` matching rows, the planner's estimate beyond (see above).
        total := helpdesk.ticket_list_run(format('SELECT to_jsonb(count(*)) FROM (SELECT FROM helpdesk.tickets t%s LIMIT %s) c',
                                                 where_sql, cap + 1),
                                          actor.id, submitter_id, status, priority, category_id, assignee_id, pattern, at,
                                          page_offset)::bigint;
        IF total > cap THEN
            estimated := true;
            total := greatest(cap + 1, coalesce(est, helpdesk.estimate_rows('SELECT FROM helpdesk.tickets t' || where_sql,
                              actor.id, submitter_id, status, priority, category_id, assignee_id, pattern, at)));
        END IF;
    END IF;

    -- a page past an exact end is empty without walking anything
    IF ids IS NULL AND (estimated OR total > page_offset) THEN
        SELECT array_agg(value::int) INTO ids
        FROM jsonb_array_elements_text(helpdesk.ticket_list_run(
            'SELECT to_jsonb(array_agg(s.id)) FROM (SELECT t.id FROM helpdesk.tickets t'
            || CASE WHEN estimated THEN walk_where_sql ELSE where_sql END || order_sql || ' OFFSET $10) s',
            actor.id, submitter_id, status, priority, category_id, assignee_id, pattern, at, page_offset));
        -- a walk that ended before filling its page reached the end: the total is known
        -- exactly (the planner's estimate for a rare string can be thousands for two rows)
        IF estimated AND coalesce(cardinality(ids), 0) < page_size THEN
            IF cardinality(ids) > 0 OR page_offset = 0 THEN
                estimated := false;
                total := page_offset + coalesce(cardinality(ids), 0);
            ELSE
                total := least(total, page_offset);
            END IF;
        END IF;
    END IF;
    IF cardinality(ids) > 0 THEN
        -- the page's rows in the page's order
        SELECT jsonb_agg(helpdesk.ticket_json_of(t, su, au, c, r, false, at) ORDER BY p.ord) INTO items
        FROM unnest(ids) WITH ORDINALITY p(id, ord)
        JOIN helpdesk.tickets t ON t.id = p.id
        LEFT JOIN helpdesk.users su ON su.id = t.submitter_id
        LEFT JOIN helpdesk.users au ON au.id = t.assignee_id
        LEFT JOIN helpdesk.categories c ON c.id = t.category_id
        LEFT JOIN helpdesk.sla_clocks r ON r.ticket_id = t.id AND r.kind = 'resolution';
    END IF;
    RETURN helpdesk.paginated('tickets', items, total, page, page_size, estimated);
END
$$;

-- Runs one ticket_list statement (built by ticket_list from fixed fragments only; the request's
-- values are its parameters $1..$10, $8 unused) through a generic plan kept by this connection
-- for that statement's text, so each shape is parsed and planned once (extension/list_plans.c).
-- Returns the statement's one jsonb value.
CREATE FUNCTION helpdesk.ticket_list_run(query text, p1 int, p2 int, p3 helpdesk.ticket_status,
                                         p4 helpdesk.ticket_priority, p5 int, p6 int, p7 text,
                                         p9 timestamptz, p10 bigint)
RETURNS jsonb
LANGUAGE c STABLE
AS 'MODULE_PATHNAME', 'helpdesk_ticket_list_run';


-- ticket_json: PL/pgSQL, its query planned once per connection (as a SQL function it was
-- parsed and planned on every call).
CREATE OR REPLACE FUNCTION helpdesk.ticket_json(t helpdesk.tickets, detail boolean DEFAULT true, at timestamptz DEFAULT now())
RETURNS jsonb
LANGUAGE plpgsql VOLATILE
AS $$
DECLARE
    j jsonb;
BEGIN
    SELECT helpdesk.ticket_json_of(t, s, a, c, r, detail, at) INTO j
    FROM (SELECT) one
    LEFT JOIN helpdesk.users s ON s.id = t.submitter_id
    LEFT JOIN helpdesk.users a ON a.id = t.assignee_id
    LEFT JOIN helpdesk.categories c ON c.id = t.category_id
    LEFT JOIN helpdesk.sla_clocks r ON r.ticket_id = t.id AND r.kind = 'resolution';
    RETURN j;
END
$$;

-- The planner's estimate of an unfiltered list from the kept plan (new in 1.1).
CREATE OR REPLACE FUNCTION helpdesk.ticket_list_estimate(query text)
RETURNS bigint
LANGUAGE c STABLE
AS 'MODULE_PATHNAME', 'helpdesk_ticket_list_estimate';

-- GET /tickets/:id in one query (perf2): the visibility rule as an inlinable SQL predicate,
-- used by visible_ticket and by ticket_detail_json (new in 1.1).
CREATE FUNCTION helpdesk.ticket_visible_to(actor helpdesk.users, submitter_id int)
RETURNS boolean
LANGUAGE sql IMMUTABLE
AS $$ SELECT NOT coalesce(actor.role = 'Employee'::helpdesk.user_role AND submitter_id <> actor.id, false) $$;

-- The ticket `ticket_id` if `actor` may see it (ticket_visible_to), else raises 404 (missing) /
-- 403 (not visible).
-- Everything that belongs to a ticket (comments, attachments, history, SLA status, escalations)
-- goes through this function.
CREATE OR REPLACE FUNCTION helpdesk.visible_ticket(actor helpdesk.users, ticket_id int,
                                        for_update boolean DEFAULT false)
RETURNS helpdesk.tickets
LANGUAGE plpgsql
AS $$
DECLARE
    t helpdesk.tickets;
BEGIN
    IF for_update THEN
        SELECT * INTO t FROM helpdesk.tickets WHERE id = ticket_id FOR UPDATE;
    ELSE
        SELECT * INTO t FROM helpdesk.tickets WHERE id = ticket_id;
    END IF;
    IF NOT FOUND THEN
        PERFORM helpdesk.http_error(404, format('Ticket with ID %s not found', ticket_id));
    END IF;
    IF NOT helpdesk.ticket_visible_to(actor, t.submitter_id) THEN
        PERFORM helpdesk.http_error(403, 'You do not have permission to view this ticket');
    END IF;
    RETURN t;
END
$$;

CREATE FUNCTION helpdesk.ticket_detail_json(actor helpdesk.users, ticket_id int, at timestamptz DEFAULT now())
RETURNS jsonb
LANGUAGE plpgsql STABLE
AS $$
DECLARE
    j jsonb;
BEGIN
    SELECT helpdesk.ticket_json_of(t, s, a, c, r, true, at) INTO j
    FROM helpdesk.tickets t
    -- one row each, looked up by key: as plain joins the generic plan merge-joined the whole
    -- (small) users table and sorted, ~25% more per call than these nested loops
    LEFT JOIN LATERAL (SELECT * FROM helpdesk.users u WHERE u.id = t.submitter_id OFFSET 0) s ON true
    LEFT JOIN LATERAL (SELECT * FROM helpdesk.users u WHERE u.id = t.assignee_id OFFSET 0) a ON true
    LEFT JOIN LATERAL (SELECT * FROM helpdesk.categories k WHERE k.id = t.category_id OFFSET 0) c ON true
    LEFT JOIN helpdesk.sla_clocks r ON r.ticket_id = t.id AND r.kind = 'resolution'
    WHERE t.id = ticket_detail_json.ticket_id AND helpdesk.ticket_visible_to(actor, t.submitter_id);
    IF j IS NULL THEN
        PERFORM helpdesk.visible_ticket(actor, ticket_id);
    END IF;
    RETURN j;
END
$$;

-- The ticket JSON through a row type (perf2): to_jsonb of a row instead of jsonb_build_object.
-- The ticket object of the API, as a row type whose field names are the JSON keys: to_jsonb of
-- a row categorises each field's type once per row, where jsonb_build_object did that for each
-- of its 44 keys and values (a page of 20 tickets cost ~27% less).
CREATE TYPE helpdesk.ticket_api AS (
    "id" int, "ticketNumber" text, "title" text, "description" text, "categoryId" int,
    "priority" helpdesk.ticket_priority, "status" helpdesk.ticket_status,
    "submitterId" int, "assigneeId" int,
    "dueDate" text, "resolvedAt" text, "closedAt" text, "satisfactionRating" int,
    "satisfactionComment" text, "satisfactionFeedback" text, "resolutionNotes" text,
    "createdAt" text, "updatedAt" text, "slaBreached" boolean,
    "submitter" jsonb, "assignee" jsonb, "category" jsonb);

-- The ticket JSON of the API: the reference's columns, satisfactionFeedback (= satisfactionComment),
-- slaBreached, and the includes of the list shape (detail = false) or the detail shape.
-- Built from the ticket and its joined rows with no subquery, so the planner inlines it into a
-- list's query (a function with subqueries is called row by row instead, ~4x slower).
CREATE OR REPLACE FUNCTION helpdesk.ticket_json_of(t helpdesk.tickets, submitter helpdesk.users, assignee helpdesk.users,
                                        c helpdesk.categories, resolution helpdesk.sla_clocks,
                                        detail boolean, at timestamptz)
RETURNS jsonb
LANGUAGE sql STABLE
AS $$
    SELECT to_jsonb(ROW(
        t.id, t.ticket_number, t.title, t.description,
        t.category_id, t.priority, t.status,
        t.submitter_id, t.assignee_id,
        helpdesk.iso(t.due_date), helpdesk.iso(t.resolved_at),
        helpdesk.iso(t.closed_at), t.satisfaction_rating,
        t.satisfaction_comment, t.satisfaction_comment,
        t.resolution_notes,
        helpdesk.iso(t.created_at), helpdesk.iso(t.updated_at),
        helpdesk.sla_clock_breached(resolution, at),
        CASE WHEN submitter.id IS NOT NULL THEN helpdesk.ticket_user_json(submitter, detail) END,
        CASE WHEN assignee.id IS NOT NULL THEN helpdesk.ticket_user_json(assignee, detail) END,
        CASE WHEN c.id IS NULL THEN NULL
             WHEN detail THEN jsonb_build_object('id', c.id, 'name', c.name, 'description', c.description,
                                                 'icon', c.icon, 'color', c.color)
             ELSE jsonb_build_object('id', c.id, 'name', c.name, 'icon', c.icon, 'color', c.color)
        END)::helpdesk.ticket_api)
$$;
