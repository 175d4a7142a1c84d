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

-- title ILIKE p OR description ILIKE p OR ticket_number ILIKE p, for p = like_pattern(search),
-- with the same answer and without lower()'s wide characters for ASCII text (extension/list_plans.c).
-- What the list tests each row with (the trigram index finds the candidates).
CREATE FUNCTION helpdesk.ticket_search_matches(title text, description text, ticket_number text, pattern text)
RETURNS boolean
LANGUAGE c IMMUTABLE PARALLEL SAFE
AS 'MODULE_PATHNAME', 'helpdesk_ticket_search_matches';

-- The planner's estimate of the share of tickets whose search text matches `pattern` (a
-- like_pattern), read from the statistics of `index`'s expression (ticket_search_text) as the
-- planner's ILIKE estimate reads them, without planning a statement (extension/list_plans.c).
-- NULL without such statistics (fewer than 100 histogram entries): ask the planner then.
CREATE FUNCTION helpdesk.ticket_search_share(index regclass, pattern text)
RETURNS float8
LANGUAGE c STABLE PARALLEL SAFE
AS 'MODULE_PATHNAME', 'helpdesk_ticket_search_share';

-- The ticket list (issue 13): its count and page statements planned once per shape and kept
-- (ticket_list_run, extension/list_plans.c), the page's JSON static SQL, total exact up to
-- 'ticket_list_exact_count' (now 1,000) with totalIsEstimate, a common word found by walking
-- the sort order.
-- The list's filters, the one definition of what each of them means (the ticket list and the
-- CSV export use it): the conditions on `helpdesk.tickets t` of the filters given, as SQL
-- fragments whose values are parameters ($1 actor id, $2 submitterId, $3 status, $4 priority,
-- $5 categoryId, $6 assigneeId, $7 the search's LIKE pattern, $9 the clock instant). Fixed text
-- only, so each combination of filters is one statement shape, planned once.
-- Visibility: an Employee sees only the tickets they submitted; a submitterId filter can only
-- narrow it. slaAtRisk overrides slaBreached and status; slaBreached overrides status (the
-- reference); assigneeId=null (unassigned) means no assignee.
CREATE FUNCTION helpdesk.ticket_filter_conds(actor helpdesk.users, status helpdesk.ticket_status,
                                             priority helpdesk.ticket_priority, category_id int,
                                             submitter_id int, assignee_id int, unassigned boolean,
                                             sla_breached boolean, sla_at_risk boolean)
RETURNS text[]
LANGUAGE plpgsql IMMUTABLE
AS $$
DECLARE
    conds text[] := '{}';
BEGIN
    IF actor.role = 'Employee' THEN
        conds := array_append(conds, 't.submitter_id = $1');
    END IF;
    IF submitter_id IS NOT NULL THEN
        conds := array_append(conds, 't.submitter_id = $2');
    END IF;
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
    RETURN conds;
END
$$;

-- search= is a case-insensitive substring of the title, the description or the ticket number
-- (the reference's ILIKE; $7 is helpdesk.like_pattern(search), wildcards taken literally). Two
-- forms of the one test: 'fields' tests the three columns (helpdesk.ticket_search_matches, with
-- ILIKE's answer); 'indexed' tests the trigram-indexed
-- expression that contains them (implied by 'fields', and what an index or an estimate can use).
-- A match is both.
CREATE FUNCTION helpdesk.ticket_search_cond(form text)
RETURNS text
LANGUAGE sql IMMUTABLE
AS $$
    SELECT CASE form
        WHEN 'fields' THEN 'helpdesk.ticket_search_matches(t.title, t.description, t.ticket_number, $7)'
        WHEN 'indexed' THEN 'helpdesk.ticket_search_text(t.title, t.description, t.ticket_number) ILIKE $7'
    END
$$;

-- ' WHERE a AND b' of the conditions, or '' when there are none. STABLE as array_to_string is:
-- declared IMMUTABLE it was never inlined, and each call parsed and planned its body again
-- (three per search, ~0.1 ms of a 2.5 ms search at 1M tickets, bench/RESULTS.md).
CREATE FUNCTION helpdesk.ticket_where_sql(conds text[])
RETURNS text
LANGUAGE sql STABLE
AS $$
    SELECT CASE WHEN cardinality(conds) = 0 THEN '' ELSE ' WHERE ' || array_to_string(conds, ' AND ') END
$$;

-- The ticket list: filters, visibility, order, page. Returns the reference's paginated shape
-- plus totalIsEstimate.
--
-- Visibility: an Employee's list is always limited to the tickets they submitted; a submitterId
-- filter can only narrow it (another user's id gives an empty list).
--
-- Planned once per shape. The statements depend on the filters present, the sort column and
-- direction and the page size: their text is made of fixed fragments (ticket_filter_conds,
-- ticket_sort_column; integers formatted in: the bound and the page size) and every value of
-- the request is a parameter. Each text is prepared once per connection with a generic plan
-- and kept (extension/list_plans.c). Dynamic SQL (EXECUTE) planned them on every call, ~1 ms
-- each, more than running them.
-- - Without search (helpdesk.ticket_list, C): two kept statements per call, the bound with the
--   count up to it, then the page joined to its includes (users, category, the resolution
--   clock for slaBreached), written by ticket_json.c's writer from the rows. Through PL/pgSQL
--   it was two more PL/pgSQL frames, five statements and per-call planning of SQL helpers
--   (bench/RESULTS.md, "The default list in C").
-- - A search (helpdesk.ticket_list_search, below): the ways described under "search".
--
-- Paging: the reference's contract is page/limit, so keyset paging is not possible. Every sort
-- column is indexed or cheap to sort; the default order (createdAt DESC, id DESC) walks
-- tickets_created_id_idx.
--
-- total: an exact count with the same filters as long as at most 'ticket_list_exact_count'
-- (setting, default 1,000) tickets match; beyond, the planner's estimate of the matching rows
-- (at least the bound + 1) and totalIsEstimate: true. An exact count of tens of thousands of
-- matches (a common word: each match rechecked) cost up to 100x the page; nobody pages to the
-- end of a list that long, and the flag says the number is an estimate. "Many" is decided by
-- that bounded count, never by the planner's statistics alone: those can be stale (thousands of
-- tickets deleted since the last ANALYZE made a list of a few tickets an "estimate" in one CI
-- run, d269c7b). The page is walked only when the count leaves rows for it, so a page past an
-- exact end is answered without walking anything.
--
-- search: case-insensitive substring of title, description or ticket number (the reference's
-- ILIKE), with LIKE wildcards taken literally, in the list's order (the reference's). Its total
-- has its own, smaller bound, 'ticket_list_search_exact_count' (setting, default 150): an exact
-- count of a common word rechecks every match. Few matches (a ticket number, a rare word) are
-- found through the trigram index over ticket_search_text, counted and sorted; many (a common
-- word) are found by walking the sort order's index and testing each row, which reaches a page
-- of a word in 5% of the tickets after ~20 x 20 rows instead of fetching all its matches. The
-- walk also gives the total: the share of matching rows among those it read ((matches - 1) /
-- (rows - 1), unbiased when sampling until a number of matches) times the rows in scope of the
-- other filters, which the planner knows well (no pattern in them). The planner's estimate of
-- the pattern itself only picks the way (it was 9,529 for 2 rows); a walk that finds too few
-- matches for what it expected gives up for the index, and a total near the bound is counted.
-- The estimate assumes the word is as frequent among the rows walked (the first in the list's
-- order) as in the rest: measured in bench/RESULTS.md ("The search's total"). The HTTP layer's
-- statement_timeout bounds the worst case (a search term shorter than three characters, which
-- no trigram index can serve, on a huge table).

-- helpdesk.ticket_list_search: the list with a search (and the plans of any list, explain), the
-- same arguments as helpdesk.ticket_list, which calls it.
CREATE FUNCTION helpdesk.ticket_list_search(actor helpdesk.users,
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
-- Its static statements with generic plans: the page's JSON statement (unnest of the page's ids)
-- was planned again on every call, custom plans looking cheaper for the one id of a ticket-number
-- search (1.2 ms of a 2.9 ms search at 1M tickets, pg_stat_statements: 19 plans in 24 calls).
-- Its dynamic statements (ticket_list_run, the walks, EXPLAIN's estimates) plan as they did.
SET plan_cache_mode = force_generic_plan
AS $$
DECLARE
    conds text[] := '{}';
    where_sql text;
    est_where_sql text;
    order_sql text;
    total bigint;
    estimated boolean := false;
    ids int[];
    items jsonb;
    pattern text;
    est bigint;
    share float8;
    found jsonb;
    walk jsonb;
    sample jsonb;
    walk_sql text;
    scope_where_sql text;
    scope bigint;
    want bigint;
    sample_size bigint;
    counted bigint;
    cap constant bigint := greatest(helpdesk.setting('ticket_list_exact_count', '1000')::bigint, 0);
    search_cap bigint;
    dir text := CASE WHEN upper(sort_order) = 'ASC' THEN 'ASC' ELSE 'DESC' END;
    page_offset bigint := (page - 1)::bigint * page_size;
BEGIN
    conds := helpdesk.ticket_filter_conds(actor, status, priority, category_id, submitter_id, assignee_id,
                                          unassigned, sla_breached, sla_at_risk);
    where_sql := helpdesk.ticket_where_sql(conds);
    scope_where_sql := where_sql;
    IF search IS NOT NULL THEN
        pattern := helpdesk.like_pattern(search);
        search_cap := greatest(helpdesk.setting('ticket_list_search_exact_count', '150')::bigint, 0);
        -- the estimate tests the indexed expression only: the fields' test is implied by it,
        -- and the planner, multiplying the two as if independent, put a common word ~10x
        -- too low (and estimated four patterns instead of one)
        est_where_sql := helpdesk.ticket_where_sql(conds || helpdesk.ticket_search_cond('indexed'));
        where_sql := helpdesk.ticket_where_sql(conds || helpdesk.ticket_search_cond('indexed')
                                               || helpdesk.ticket_search_cond('fields'));
        -- the walk of a search: every row in scope in the list's order, and whether it matches
        walk_sql := format('SELECT t.id, %s FROM helpdesk.tickets t%s ORDER BY t.%I %s, t.id %s',
                           helpdesk.ticket_search_cond('fields'), scope_where_sql,
                           helpdesk.ticket_sort_column(sort_by), dir, dir);
    END IF;
    order_sql := format(' ORDER BY t.%I %s, t.id %s LIMIT %s', helpdesk.ticket_sort_column(sort_by), dir, dir, page_size);

    IF explain THEN
        -- the plans of the two statements, for a DBA (and the regression tests)
        RETURN jsonb_build_object(
            'count', helpdesk.explain_lines(format('SELECT count(*) FROM (SELECT FROM helpdesk.tickets t%s LIMIT %s) c',
                                                   where_sql, coalesce(search_cap, cap) + 1),
                                            actor.id, submitter_id, status, priority, category_id, assignee_id, pattern, at),
            'page', helpdesk.explain_lines('SELECT t.id FROM helpdesk.tickets t' || where_sql || order_sql
                                           || format(' OFFSET %s', page_offset),
                                           actor.id, submitter_id, status, priority, category_id, assignee_id, pattern, at));
    END IF;

    IF search IS NOT NULL THEN
        -- A search (see above). The planner's estimate of the matches (from the statistics of
        -- the indexed text: good enough to tell a common word from a rare one, not for a
        -- total) picks the first way: a word it expects past twice the bound is walked in the
        -- list's order; the rest go through the trigram index, exact up to the bound.
        -- The share comes from the index expression's statistics in C (EXPLAIN planned a
        -- statement for it on every search: ~0.7 ms of 4 at 1M tickets), times the rows in scope
        -- (the planner multiplies the two alike); EXPLAIN only where those statistics are thin.
        share := helpdesk.ticket_search_share('helpdesk.tickets_search_trgm_idx', pattern);
        IF share IS NULL THEN
            est := helpdesk.estimate_rows('SELECT FROM helpdesk.tickets t' || est_where_sql,
                                          actor.id, submitter_id, status, priority, category_id, assignee_id, pattern, at);
        ELSE
            scope := CASE WHEN scope_where_sql = '' THEN helpdesk.ticket_list_estimate('SELECT FROM helpdesk.tickets t')
                          ELSE helpdesk.estimate_rows('SELECT FROM helpdesk.tickets t' || scope_where_sql, actor.id,
                                                      submitter_id, status, priority, category_id, assignee_id, pattern, at) END;
            est := greatest(round(share * scope), 1);
        END IF;
        -- A walk goes on past the page until `sample` matches, the estimate's sample: its
        -- relative error is ~1/sqrt(sample) (50: 14%; the page's 20 alone: 22%, and +56% was
        -- seen at 1M tickets).
        sample_size := greatest(helpdesk.setting('ticket_list_search_sample', '50')::bigint, 2);
        want := greatest(page_offset + page_size, sample_size);
        IF est > 2 * search_cap THEN
            -- the rows in scope of the other filters: the unfiltered list's from its kept plan
            IF scope IS NULL THEN
                scope := CASE WHEN scope_where_sql = '' THEN helpdesk.ticket_list_estimate('SELECT FROM helpdesk.tickets t')
                              ELSE helpdesk.estimate_rows('SELECT FROM helpdesk.tickets t' || scope_where_sql, actor.id,
                                                          submitter_id, status, priority, category_id, assignee_id, pattern, at) END;
            END IF;
            -- give up on the walk (the planner was wrong: a rare string) after the rows that
            -- four times the expected matches would need
            walk := helpdesk.ticket_list_walk(walk_sql, actor.id, submitter_id, status, priority, category_id,
                                              assignee_id, pattern, at, page_offset, page_size, want,
                                              greatest(4 * want * (scope + 1) / est, 200));
            IF (walk ->> 'matches')::bigint < want AND NOT (walk -> 'end')::boolean THEN
                walk := NULL;
            END IF;
        END IF;
        IF walk IS NULL THEN
            -- One statement collects up to search_cap + 1 matches through the trigram index and pages
            -- them: exact, the page is among them; past the bound, the walk below.
            found := helpdesk.ticket_list_run(format(
                'WITH m AS MATERIALIZED (SELECT t.id, t.%I AS k FROM helpdesk.tickets t%s LIMIT %s) '
                'SELECT jsonb_build_object(''n'', (SELECT count(*) FROM m), ''ids'', (SELECT to_jsonb(array_agg(s.id)) '
                'FROM (SELECT m.id FROM m ORDER BY m.k %s, m.id %s LIMIT %s OFFSET $10) s))',
                helpdesk.ticket_sort_column(sort_by), where_sql, search_cap + 1, dir, dir, page_size),
                actor.id, submitter_id, status, priority, category_id, assignee_id, pattern, at, page_offset);
            counted := (found ->> 'n')::bigint;
            IF counted <= search_cap THEN
                total := counted;
                ids := ARRAY(SELECT x::int FROM jsonb_array_elements_text(nullif(found -> 'ids', 'null')) x);
            ELSE
                walk := helpdesk.ticket_list_walk(walk_sql, actor.id, submitter_id, status, priority, category_id,
                                                  assignee_id, pattern, at, page_offset, page_size, want, 0);
            END IF;
        END IF;
        IF walk IS NOT NULL THEN
            ids := ARRAY(SELECT x::int FROM jsonb_array_elements_text(walk -> 'ids') x);
            IF (walk -> 'end')::boolean THEN
                -- every row in scope was tested: exact
                total := (walk ->> 'matches')::bigint;
            ELSE
                -- The walk stopped at its want-th match after `walked` rows: (matches - 1) /
                -- (walked - 1) estimates the share of matching rows without bias (sampling
                -- until a number of successes), times the rows in scope of the other filters.
                -- Rows in another order than creation's can gather the word (sorted by title,
                -- "Printer ..." titles come together: 2.3x too high in the regression test), so
                -- the share is then read from a walk of the newest rows.
                IF helpdesk.ticket_sort_column(sort_by) <> 'created_at' THEN
                    sample := helpdesk.ticket_list_walk(format('SELECT t.id, %s FROM helpdesk.tickets t%s ORDER BY t.created_at DESC, t.id DESC',
                                                               helpdesk.ticket_search_cond('fields'), scope_where_sql),
                                                        actor.id, submitter_id, status, priority, category_id, assignee_id, pattern, at,
                                                        0, 0, sample_size, 0);
                ELSE
                    sample := walk;
                END IF;
                IF scope IS NULL THEN
                    scope := CASE WHEN scope_where_sql = '' THEN helpdesk.ticket_list_estimate('SELECT FROM helpdesk.tickets t')
                                  ELSE helpdesk.estimate_rows('SELECT FROM helpdesk.tickets t' || scope_where_sql, actor.id,
                                                              submitter_id, status, priority, category_id, assignee_id, pattern, at) END;
                END IF;
                total := greatest(round(((sample ->> 'matches')::numeric - 1) / greatest((sample ->> 'walked')::bigint - 1, 1)
                                        * greatest(scope, (sample ->> 'walked')::bigint))::bigint,
                                  (walk ->> 'matches')::bigint + 1);
                IF counted IS NULL AND total <= 2 * search_cap THEN
                    -- near the bound: count exactly (at most search_cap + 1 matches through the index)
                    counted := helpdesk.ticket_list_run(format('SELECT to_jsonb(count(*)) FROM (SELECT FROM helpdesk.tickets t%s LIMIT %s) c',
                                                               where_sql, search_cap + 1),
                                                        actor.id, submitter_id, status, priority, category_id, assignee_id, pattern, at,
                                                        page_offset)::bigint;
                END IF;
                IF counted <= search_cap THEN
                    total := counted;
                ELSE
                    estimated := true;
                    total := greatest(total, search_cap + 1);
                END IF;
            END IF;
        END IF;
    ELSE
        -- the list without a search is helpdesk.ticket_list's own (C)
        RAISE EXCEPTION 'ticket_list_search needs a search' USING ERRCODE = 'XX000';
    END IF;
    IF cardinality(ids) > 0 THEN
        -- the page's rows in the page's order
        SELECT helpdesk.ticket_json_agg(t, su, au, c, helpdesk.sla_clock_breached(r, at), false ORDER BY p.ord) INTO items
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

-- The ticket list (see "The ticket list" above): without a search, one statement per call
-- through the plan this connection keeps for its shape, the page written in C
-- (extension/list_plans.c); a search, or explain, goes to helpdesk.ticket_list_search.
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
LANGUAGE c STABLE
AS 'MODULE_PATHNAME', 'helpdesk_ticket_list';

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

-- Walks one ticket_list statement returning (id, matched) in the list's order through the plan
-- this connection keeps for it, until `want` rows matched, the rows ran out or `budget` rows
-- were read (0: none): {"ids": matches skip+1 .. skip+take, "walked", "matches", "end"}
-- (extension/list_plans.c). What a search's page and its estimated total come from.
CREATE FUNCTION helpdesk.ticket_list_walk(query text, p1 int, p2 int, p3 helpdesk.ticket_status,
                                          p4 helpdesk.ticket_priority, p5 int, p6 int, p7 text,
                                          p9 timestamptz, skip bigint, take int, want bigint, budget bigint)
RETURNS jsonb
LANGUAGE c STABLE
AS 'MODULE_PATHNAME', 'helpdesk_ticket_list_walk';


-- ticket_json: PL/pgSQL, its query planned once per connection (as a SQL function it was
-- parsed and planned on every call).
CREATE OR REPLACE FUNCTION helpdesk.ticket_json(t helpdesk.tickets, detail boolean DEFAULT true, at timestamptz DEFAULT now())
RETURNS jsonb
LANGUAGE plpgsql VOLATILE
AS $$
DECLARE
    j jsonb;
BEGIN
    SELECT helpdesk.ticket_json_of(t, s, a, c, helpdesk.sla_clock_breached(r, at), detail) INTO j
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
    SELECT helpdesk.ticket_json_of(t, s, a, c, helpdesk.sla_clock_breached(r, at), true) INTO j
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

-- The ticket JSON in C (extension/ticket_json.c), the one definition of the ticket object:
-- "breached" is passed in by the caller (sla_clock_breached stays the rule); the SQL include
-- helper goes with the SQL definition.
DROP FUNCTION helpdesk.ticket_json_of(helpdesk.tickets, helpdesk.users, helpdesk.users, helpdesk.categories,
                                      helpdesk.sla_clocks, boolean, timestamptz);
DROP FUNCTION helpdesk.ticket_user_json(helpdesk.users, boolean);

-- The ticket JSON of the API: the reference's columns, satisfactionFeedback (= satisfactionComment),
-- slaBreached (the caller's sla_clock_breached of the resolution clock: the rule stays there),
-- and the includes of the list shape (detail = false: submitter and assignee {id, username,
-- fullName, email}, category {id, name, icon, color}) or the detail shape (+ department,
-- + description). Written in C in one pass (extension/ticket_json.c): the one definition of
-- the ticket object. As SQL (to_jsonb of a row type) each field's type was categorised and its
-- output looked up per row, two thirds of a list page's cost.
CREATE FUNCTION helpdesk.ticket_json_of(t helpdesk.tickets, submitter helpdesk.users, assignee helpdesk.users,
                                        c helpdesk.categories, sla_breached boolean, detail boolean)
RETURNS jsonb
LANGUAGE c STABLE PARALLEL SAFE
AS 'MODULE_PATHNAME', 'helpdesk_ticket_json_of';

-- The same objects as one array, in the aggregate's order (a list's page): jsonb_agg of
-- ticket_json_of took each object apart and sorted its keys again.
CREATE FUNCTION helpdesk.ticket_json_agg_step(internal, helpdesk.tickets, helpdesk.users, helpdesk.users,
                                              helpdesk.categories, boolean, boolean)
RETURNS internal
LANGUAGE c STABLE PARALLEL SAFE
AS 'MODULE_PATHNAME', 'helpdesk_ticket_json_agg_step';
CREATE FUNCTION helpdesk.ticket_json_agg_final(internal)
RETURNS jsonb
LANGUAGE c STABLE PARALLEL SAFE
AS 'MODULE_PATHNAME', 'helpdesk_ticket_json_agg_final';
CREATE AGGREGATE helpdesk.ticket_json_agg(helpdesk.tickets, helpdesk.users, helpdesk.users,
                                          helpdesk.categories, boolean, boolean) (
    SFUNC = helpdesk.ticket_json_agg_step, STYPE = internal, FINALFUNC = helpdesk.ticket_json_agg_final);

-- ticket_transition_allowed in PL/pgSQL (planned once per connection, not at every status change).
CREATE OR REPLACE FUNCTION helpdesk.ticket_transition_allowed(from_status helpdesk.ticket_status,
                                                   to_status helpdesk.ticket_status)
RETURNS boolean
LANGUAGE plpgsql STABLE PARALLEL SAFE
AS $$
BEGIN
    RETURN EXISTS (SELECT FROM helpdesk.ticket_transitions m
                   WHERE m.from_status = ticket_transition_allowed.from_status
                     AND m.to_status = ticket_transition_allowed.to_status);
END
$$;

-- The CHECKs of value lists as one array constant (a CHECK's expression is read back from its
-- stored text at every statement that writes the table; IN's list of casts was 3-4 times as long).
ALTER TABLE helpdesk.sla_clocks DROP CONSTRAINT sla_clocks_kind_check,
    ADD CONSTRAINT sla_clocks_kind_check CHECK (kind::text = ANY ('{response,resolution}'::text[]));
ALTER TABLE helpdesk.sla_clocks DROP CONSTRAINT sla_clocks_state_check,
    ADD CONSTRAINT sla_clocks_state_check
        CHECK (state::text = ANY ('{running,paused,met,missed,cancelled,not_applicable}'::text[]));
