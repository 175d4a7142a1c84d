-- 31_tickets_api: the eighteen ticket routes (seed-system §2.5, §3.1).

-- The ticket id of a ticket route: `:id`, or `:ticketId` when another module's routes share the
-- path prefix under that name (the router wants one parameter name per position).
CREATE FUNCTION helpdesk.ticket_path_id(req jsonb)
RETURNS int
LANGUAGE sql IMMUTABLE
AS $$ SELECT coalesce(req -> 'path' ->> 'id', req -> 'path' ->> 'ticketId')::int $$;

-- Sortable fields of the ticket list: camelCase name -> column. Anything else is a 400.
CREATE FUNCTION helpdesk.ticket_sort_column(sort_by text)
RETURNS text
LANGUAGE plpgsql IMMUTABLE
AS $$
DECLARE
    fields constant text[] := ARRAY['id', 'ticketNumber', 'title', 'description', 'categoryId',
        'priority', 'status', 'submitterId', 'assigneeId', 'dueDate', 'resolvedAt', 'closedAt',
        'satisfactionRating', 'satisfactionComment', 'resolutionNotes', 'createdAt', 'updatedAt'];
    columns constant text[] := ARRAY['id', 'ticket_number', 'title', 'description', 'category_id',
        'priority', 'status', 'submitter_id', 'assignee_id', 'due_date', 'resolved_at', 'closed_at',
        'satisfaction_rating', 'satisfaction_comment', 'resolution_notes', 'created_at', 'updated_at'];
    i int := array_position(fields, coalesce(sort_by, 'createdAt'));
BEGIN
    IF sort_by = 'satisfactionFeedback' THEN
        RETURN 'satisfaction_comment';
    END IF;
    IF i IS NULL THEN
        PERFORM helpdesk.validation_error(
            'sortBy must be one of the following values: ' || array_to_string(fields, ', '));
    END IF;
    RETURN columns[i];
END
$$;

-- EXPLAIN (COSTS OFF) of a ticket_list statement with its parameters, one text per line.
CREATE FUNCTION helpdesk.explain_lines(query text, p1 int, p2 int, p3 helpdesk.ticket_status,
                                       p4 helpdesk.ticket_priority, p5 int, p6 int, p7 text, p9 timestamptz)
RETURNS jsonb
LANGUAGE plpgsql VOLATILE  -- EXPLAIN is refused in non-volatile functions
AS $$
DECLARE
    line text;
    lines text[] := '{}';
BEGIN
    FOR line IN EXECUTE 'EXPLAIN (COSTS OFF) ' || query USING p1, p2, p3, p4, p5, p6, p7, NULL::int, p9 LOOP
        lines := array_append(lines, line);
    END LOOP;
    RETURN to_jsonb(lines);
END
$$;

-- The planner's estimate of the rows a ticket_list statement returns.
CREATE FUNCTION helpdesk.estimate_rows(query text, p1 int, p2 int, p3 helpdesk.ticket_status,
                                       p4 helpdesk.ticket_priority, p5 int, p6 int, p7 text, p9 timestamptz)
RETURNS bigint
LANGUAGE plpgsql VOLATILE  -- EXPLAIN is refused in non-volatile functions
AS $$
DECLARE
    plan json;
BEGIN
    EXECUTE 'EXPLAIN (FORMAT JSON) ' || query INTO plan USING p1, p2, p3, p4, p5, p6, p7, NULL::int, p9;
    RETURN round((plan -> 0 -> 'Plan' ->> 'Plan Rows')::numeric)::bigint;
END
$$;

-- The ticket list: filters, visibility, order, page. Returns the reference's paginated shape.
--
-- Visibility: an Employee's list is always limited to the tickets they submitted; a submitterId
-- filter can only narrow it (another user's id gives an empty list).
--
-- Paging: the reference's contract is page/limit, so keyset paging is not possible. Every sort
-- column is indexed or cheap to sort; the default order (createdAt DESC, id DESC) walks
-- tickets_created_id_idx, so page 10,000 at 10 per page costs an index walk of 100,000 entries
-- (tens of milliseconds on a million tickets), not a sort. `total` is an exact count(*) with the
-- same filters (an index-only scan for the common filters) as long as at most
-- 'ticket_list_exact_count' (setting, default 100,000) tickets match: counting 100,000 index
-- entries takes ~15 ms, counting a million ~130 ms of two cores. Beyond that cap `total` is the
-- planner's estimate of the matching rows (from the table's statistics; exact enough for an
-- unfiltered or single-filter list of a million tickets, where nobody pages to the very end),
-- and totalPages follows it. The count comes first, so a page past an exact end is answered
-- without walking anything. The HTTP layer's statement_timeout bounds the worst case (a search
-- term shorter than three characters, which no trigram index can serve, on a huge table).
--
-- search: case-insensitive substring of title, description or ticket number (the reference's
-- ILIKE), with LIKE wildcards taken literally; served by the trigram index over
-- ticket_search_text, each field rechecked exactly.
CREATE FUNCTION helpdesk.ticket_list(actor helpdesk.users,
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
    order_sql text;
    total bigint;
    items jsonb;
    pattern text;
    cap constant bigint := greatest(helpdesk.setting('ticket_list_exact_count', '100000')::bigint, 0);
    dir text := CASE WHEN upper(sort_order) = 'ASC' THEN 'ASC' ELSE 'DESC' END;
BEGIN
    IF actor.role = 'Employee' THEN
        conds := array_append(conds, 't.submitter_id = $1');
    END IF;
    IF submitter_id IS NOT NULL THEN
        conds := array_append(conds, 't.submitter_id = $2');
    END IF;
    -- slaAtRisk overrides slaBreached and status; slaBreached overrides status (the reference).
    IF sla_at_risk THEN
        -- the one at-risk definition of the SLA clocks (sql/55_sla_clock.sql)
        conds := array_append(conds, 't.id IN (SELECT helpdesk.sla_at_risk_ids($9))');
    ELSIF sla_breached THEN
        conds := array_append(conds, $c$t.status NOT IN ('Resolved', 'Closed') AND t.due_date <= $9$c$);
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
    IF search IS NOT NULL THEN
        pattern := '%' || replace(replace(replace(search, '\', '\\'), '%', '\%'), '_', '\_') || '%';
        conds := array_append(conds, ('helpdesk.ticket_search_text(t.title, t.description, t.ticket_number) ILIKE $7'
                           || ' AND (t.title ILIKE $7 OR t.description ILIKE $7 OR t.ticket_number ILIKE $7)'));
    END IF;
    where_sql := CASE WHEN cardinality(conds) = 0 THEN '' ELSE ' WHERE ' || array_to_string(conds, ' AND ') END;
    order_sql := format(' ORDER BY t.%I %s, t.id %s LIMIT %s OFFSET %s',
                        helpdesk.ticket_sort_column(sort_by), dir, dir, page_size, (page - 1)::bigint * page_size);

    IF explain THEN
        -- the plans of the two statements, for a DBA (and the regression tests)
        RETURN jsonb_build_object(
            'count', helpdesk.explain_lines(format('SELECT count(*) FROM (SELECT FROM helpdesk.tickets t%s LIMIT %s) c',
                                                   where_sql, cap + 1),
                                            actor.id, submitter_id, status, priority, category_id, assignee_id, pattern, at),
            'page', helpdesk.explain_lines('SELECT t.id FROM helpdesk.tickets t' || where_sql || order_sql,
                                           actor.id, submitter_id, status, priority, category_id, assignee_id, pattern, at));
    END IF;

    -- Exact up to `cap` matching rows, the planner's estimate beyond (see above).
    EXECUTE format('SELECT count(*) FROM (SELECT FROM helpdesk.tickets t%s LIMIT %s) c', where_sql, cap + 1) INTO total
        USING actor.id, submitter_id, status, priority, category_id, assignee_id, pattern, NULL::int, at;
    IF total > cap THEN
        total := greatest(cap + 1, helpdesk.estimate_rows('SELECT FROM helpdesk.tickets t' || where_sql,
                          actor.id, submitter_id, status, priority, category_id, assignee_id, pattern, at));
    END IF;

    -- a page past an exact end is empty without walking anything
    IF total > cap OR total > (page - 1)::bigint * page_size THEN
        -- the page's ids first (the offset walks ids only), then the JSON of those rows
        EXECUTE 'SELECT jsonb_agg(helpdesk.ticket_json_of(t, su, au, c, false, $9) ORDER BY p.ord)'
                || ' FROM (SELECT s.id, row_number() OVER () AS ord FROM (SELECT t.id FROM helpdesk.tickets t'
                || where_sql || order_sql || ') s) p JOIN helpdesk.tickets t ON t.id = p.id'
                || ' LEFT JOIN helpdesk.users su ON su.id = t.submitter_id'
                || ' LEFT JOIN helpdesk.users au ON au.id = t.assignee_id'
                || ' LEFT JOIN helpdesk.categories c ON c.id = t.category_id'
            INTO items
            USING actor.id, submitter_id, status, priority, category_id, assignee_id, pattern, NULL::int, at;
    END IF;
    RETURN helpdesk.paginated('tickets', items, total, page, page_size);
END
$$;

-- The ticket's detail JSON, read back after a change.
CREATE FUNCTION helpdesk.ticket_detail(ticket_id int)
RETURNS jsonb
LANGUAGE sql STABLE
AS $$ SELECT helpdesk.ticket_json(t, true) FROM helpdesk.tickets t WHERE t.id = ticket_id $$;

CREATE FUNCTION helpdesk.query_ticket_status(req jsonb, key text DEFAULT 'status')
RETURNS helpdesk.ticket_status
LANGUAGE sql IMMUTABLE
AS $$
    SELECT helpdesk.query_enum(req, key, ARRAY['New', 'Assigned', 'In Progress', 'Pending', 'Resolved', 'Closed'])
           ::helpdesk.ticket_status
$$;

CREATE FUNCTION helpdesk.field_ticket_status(b jsonb, key text, required boolean DEFAULT false)
RETURNS helpdesk.ticket_status
LANGUAGE sql STABLE
AS $$
    SELECT helpdesk.field_enum(b, key, ARRAY['New', 'Assigned', 'In Progress', 'Pending', 'Resolved', 'Closed'],
                               required)::helpdesk.ticket_status
$$;

-- POST /tickets
CREATE FUNCTION helpdesk_api.tickets_create(req jsonb)
RETURNS jsonb
LANGUAGE plpgsql
AS $$
DECLARE
    actor helpdesk.users := helpdesk.current_actor();
    b jsonb := helpdesk.body(req, 'title', 'description', 'categoryId', 'priority');
    t helpdesk.tickets;
BEGIN
    t := helpdesk.ticket_create(
        actor,
        helpdesk.field_text(b, 'title', true, 5, 255),
        helpdesk.field_text(b, 'description', true, 10, 100000),
        helpdesk.field_int(b, 'categoryId', true, 1),
        helpdesk.field_enum(b, 'priority', ARRAY['Low', 'Medium', 'High'])::helpdesk.ticket_priority);
    RETURN helpdesk.ticket_json(t, true);
END
$$;

-- GET /tickets
CREATE FUNCTION helpdesk_api.tickets_list(req jsonb)
RETURNS jsonb
LANGUAGE plpgsql STABLE
AS $$
DECLARE
    actor helpdesk.users := helpdesk.current_actor();
    assignee text := nullif(btrim(req -> 'query' ->> 'assigneeId'), '');
BEGIN
    RETURN helpdesk.ticket_list(
        actor,
        status => helpdesk.query_ticket_status(req),
        priority => helpdesk.query_enum(req, 'priority', ARRAY['Low', 'Medium', 'High'])::helpdesk.ticket_priority,
        category_id => helpdesk.query_int(req, 'categoryId', NULL, 1),
        submitter_id => helpdesk.query_int(req, 'submitterId', NULL, 1),
        assignee_id => CASE WHEN lower(assignee) = 'null' THEN NULL ELSE helpdesk.query_int(req, 'assigneeId', NULL, 1) END,
        unassigned => coalesce(lower(assignee) = 'null', false),
        search => nullif(btrim(req -> 'query' ->> 'search'), ''),
        sla_breached => coalesce(helpdesk.query_bool(req, 'slaBreached'), false),
        sla_at_risk => coalesce(helpdesk.query_bool(req, 'slaAtRisk'), false),
        page => helpdesk.query_page(req),
        page_size => helpdesk.query_limit(req),
        sort_by => coalesce(helpdesk.query_text(req, 'sortBy'), 'createdAt'),
        sort_order => helpdesk.query_sort_order(req));
END
$$;

-- GET /tickets/stats: Employee = submitted by me, IT_Staff = assigned to me, Admin = all.
CREATE FUNCTION helpdesk_api.tickets_stats(req jsonb)
RETURNS jsonb
LANGUAGE plpgsql STABLE
AS $$
DECLARE
    actor helpdesk.users := helpdesk.current_actor();
    n jsonb;
BEGIN
    -- one branch per role (one-time filters), each a GROUP BY over an index on its column
    SELECT coalesce(jsonb_object_agg(c.status, c.n), '{}') INTO n FROM (
        SELECT t.status, count(*) AS n FROM helpdesk.tickets t
        WHERE actor.role = 'Employee' AND t.submitter_id = actor.id GROUP BY t.status
        UNION ALL
        SELECT t.status, count(*) FROM helpdesk.tickets t
        WHERE actor.role = 'IT_Staff' AND t.assignee_id = actor.id GROUP BY t.status
        UNION ALL
        SELECT t.status, count(*) FROM helpdesk.tickets t
        WHERE actor.role = 'Admin' GROUP BY t.status) c;
    RETURN jsonb_build_object(
        'total', (SELECT coalesce(sum(v::bigint), 0) FROM jsonb_each_text(n) e(k, v)),
        'byStatus', jsonb_build_object(
            'new', coalesce(n -> 'New', '0'), 'assigned', coalesce(n -> 'Assigned', '0'),
            'inProgress', coalesce(n -> 'In Progress', '0'), 'pending', coalesce(n -> 'Pending', '0'),
            'resolved', coalesce(n -> 'Resolved', '0'), 'closed', coalesce(n -> 'Closed', '0')));
END
$$;

-- GET /tickets/my-tickets
CREATE FUNCTION helpdesk_api.tickets_my(req jsonb)
RETURNS jsonb
LANGUAGE plpgsql STABLE
AS $$
DECLARE
    actor helpdesk.users := helpdesk.current_actor();
BEGIN
    RETURN helpdesk.ticket_list(actor, status => helpdesk.query_ticket_status(req), submitter_id => actor.id,
                                page => helpdesk.query_page(req), page_size => helpdesk.query_limit(req));
END
$$;

-- GET /tickets/assigned-to-me (IT_Staff, Admin)
CREATE FUNCTION helpdesk_api.tickets_assigned_to_me(req jsonb)
RETURNS jsonb
LANGUAGE plpgsql STABLE
AS $$
DECLARE
    actor helpdesk.users := helpdesk.current_actor();
BEGIN
    PERFORM helpdesk.require_role(actor, 'IT_Staff', 'Admin');
    RETURN helpdesk.ticket_list(actor, status => helpdesk.query_ticket_status(req), assignee_id => actor.id,
                                page => helpdesk.query_page(req), page_size => helpdesk.query_limit(req));
END
$$;

-- GET /tickets/:id
CREATE FUNCTION helpdesk_api.tickets_get(req jsonb)
RETURNS jsonb
LANGUAGE plpgsql STABLE
AS $$
BEGIN
    RETURN helpdesk.ticket_json(helpdesk.visible_ticket(helpdesk.current_actor(), helpdesk.ticket_path_id(req)), true);
END
$$;

-- PATCH /tickets/:id
CREATE FUNCTION helpdesk_api.tickets_update(req jsonb)
RETURNS jsonb
LANGUAGE plpgsql
AS $$
DECLARE
    actor helpdesk.users := helpdesk.current_actor();
    b jsonb := helpdesk.body(req, 'title', 'description', 'categoryId', 'priority', 'status', 'assigneeId');
    t helpdesk.tickets;
BEGIN
    t := helpdesk.ticket_update(
        helpdesk.ticket_path_id(req), actor,
        new_title => helpdesk.field_text(b, 'title', false, 5, 255),
        new_description => helpdesk.field_text(b, 'description', false, 10, 100000),
        new_category_id => helpdesk.field_int(b, 'categoryId', false, 1),
        new_priority => helpdesk.field_enum(b, 'priority', ARRAY['Low', 'Medium', 'High'])::helpdesk.ticket_priority,
        new_status => helpdesk.field_ticket_status(b, 'status'),
        new_assignee_id => helpdesk.field_int(b, 'assigneeId', false, 1));
    RETURN helpdesk.ticket_json(t, true);
END
$$;

-- POST /tickets/:id/change-status {status}: staff on any ticket, an Employee on their own;
-- the transition table decides.
CREATE FUNCTION helpdesk_api.tickets_change_status(req jsonb)
RETURNS jsonb
LANGUAGE plpgsql
AS $$
DECLARE
    actor helpdesk.users := helpdesk.current_actor();
    b jsonb := helpdesk.body(req, 'status');
BEGIN
    RETURN helpdesk.ticket_json(
        helpdesk.ticket_transition(helpdesk.ticket_path_id(req), helpdesk.field_ticket_status(b, 'status', true), actor),
        true);
END
$$;

-- POST /tickets/:id/assign {assigneeId} (IT_Staff, Admin)
CREATE FUNCTION helpdesk_api.tickets_assign(req jsonb)
RETURNS jsonb
LANGUAGE plpgsql
AS $$
DECLARE
    actor helpdesk.users := helpdesk.current_actor();
    b jsonb;
BEGIN
    PERFORM helpdesk.require_role(actor, 'IT_Staff', 'Admin');
    b := helpdesk.body(req, 'assigneeId');
    RETURN helpdesk.ticket_json(
        helpdesk.ticket_assign(helpdesk.ticket_path_id(req), helpdesk.field_int(b, 'assigneeId', true, 1), actor),
        true);
END
$$;

-- POST /tickets/:id/start-progress (IT_Staff, Admin; the assignee)
CREATE FUNCTION helpdesk_api.tickets_start_progress(req jsonb)
RETURNS jsonb
LANGUAGE plpgsql
AS $$
DECLARE
    actor helpdesk.users := helpdesk.current_actor();
BEGIN
    PERFORM helpdesk.require_role(actor, 'IT_Staff', 'Admin');
    PERFORM helpdesk.body(req, VARIADIC '{}'::text[]);
    RETURN helpdesk.ticket_json(helpdesk.ticket_start_progress(helpdesk.ticket_path_id(req), actor), true);
END
$$;

-- POST /tickets/:id/resolve {resolutionNotes} (IT_Staff, Admin; the assignee)
CREATE FUNCTION helpdesk_api.tickets_resolve(req jsonb)
RETURNS jsonb
LANGUAGE plpgsql
AS $$
DECLARE
    actor helpdesk.users := helpdesk.current_actor();
    b jsonb;
BEGIN
    PERFORM helpdesk.require_role(actor, 'IT_Staff', 'Admin');
    b := helpdesk.body(req, 'resolutionNotes');
    RETURN helpdesk.ticket_json(
        helpdesk.ticket_resolve(helpdesk.ticket_path_id(req),
                                helpdesk.field_text(b, 'resolutionNotes', true, 10, 100000), actor),
        true);
END
$$;

-- POST /tickets/:id/close
CREATE FUNCTION helpdesk_api.tickets_close(req jsonb)
RETURNS jsonb
LANGUAGE plpgsql
AS $$
DECLARE
    actor helpdesk.users := helpdesk.current_actor();
BEGIN
    PERFORM helpdesk.body(req, VARIADIC '{}'::text[]);
    RETURN helpdesk.ticket_json(helpdesk.ticket_close(helpdesk.ticket_path_id(req), actor), true);
END
$$;

-- POST /tickets/:id/reopen
CREATE FUNCTION helpdesk_api.tickets_reopen(req jsonb)
RETURNS jsonb
LANGUAGE plpgsql
AS $$
DECLARE
    actor helpdesk.users := helpdesk.current_actor();
BEGIN
    PERFORM helpdesk.body(req, VARIADIC '{}'::text[]);
    RETURN helpdesk.ticket_json(helpdesk.ticket_reopen(helpdesk.ticket_path_id(req), actor), true);
END
$$;

-- POST /tickets/:id/rate {rating, comment | satisfactionComment | satisfactionFeedback}
CREATE FUNCTION helpdesk_api.tickets_rate(req jsonb)
RETURNS jsonb
LANGUAGE plpgsql
AS $$
DECLARE
    actor helpdesk.users := helpdesk.current_actor();
    b jsonb := helpdesk.body(req, 'rating', 'comment', 'satisfactionComment', 'satisfactionFeedback');
    rating int := helpdesk.field_int(b, 'rating', true, 1, 5);
    texts text[] := ARRAY[helpdesk.field_text(b, 'comment', false, NULL, 5000),
                          helpdesk.field_text(b, 'satisfactionComment', false, NULL, 5000),
                          helpdesk.field_text(b, 'satisfactionFeedback', false, NULL, 5000)];
    feedback text;
BEGIN
    IF (SELECT count(DISTINCT x) FROM unnest(texts) x) > 1 THEN
        PERFORM helpdesk.validation_error('comment, satisfactionComment and satisfactionFeedback must agree');
    END IF;
    SELECT x INTO feedback FROM unnest(texts) x WHERE x IS NOT NULL LIMIT 1;
    RETURN helpdesk.ticket_json(helpdesk.ticket_rate(helpdesk.ticket_path_id(req), rating, feedback, actor), true);
END
$$;

-- DELETE /tickets/:id (Admin)
CREATE FUNCTION helpdesk_api.tickets_delete(req jsonb)
RETURNS jsonb
LANGUAGE plpgsql
AS $$
DECLARE
    actor helpdesk.users := helpdesk.current_actor();
    id int := helpdesk.ticket_path_id(req);
BEGIN
    PERFORM helpdesk.require_role(actor, 'Admin');
    PERFORM helpdesk.ticket_delete(id, actor);
    PERFORM helpdesk.audit('DELETE_TICKET', 'ticket', id);
    RETURN jsonb_build_object('message', 'Ticket deleted successfully');
END
$$;

-- Runs `op` (a statement over $1 = ticket id, $2 = actor) on each ticket, each one all or
-- nothing in its own subtransaction, and reports {success, failed, errors}. Expected refusals
-- (the HDnnn errors, constraint violations) are reported per item as "Ticket <id>: <reason>";
-- anything else aborts the whole request.
CREATE FUNCTION helpdesk.ticket_bulk(ticket_ids int[], actor helpdesk.users, op text)
RETURNS jsonb
LANGUAGE plpgsql
AS $$
DECLARE
    tid int;
    ok int := 0;
    errors text[] := '{}';
    st text;
    msg text;
BEGIN
    FOR tid IN SELECT i FROM unnest(ticket_ids) WITH ORDINALITY u(i, n) GROUP BY i ORDER BY min(n) LOOP
        BEGIN
            EXECUTE op USING tid, actor;
            ok := ok + 1;
        EXCEPTION
            WHEN SQLSTATE 'HD400' OR SQLSTATE 'HD403' OR SQLSTATE 'HD404' OR SQLSTATE 'HD409'
                 OR SQLSTATE 'HD422' OR integrity_constraint_violation THEN
                GET STACKED DIAGNOSTICS st = RETURNED_SQLSTATE, msg = MESSAGE_TEXT;
                errors := errors || format('Ticket %s: %s', tid,
                    CASE WHEN st = 'HD404' THEN 'Not found'
                         WHEN st LIKE 'HD%' THEN msg
                         ELSE 'Conflicts with another change' END);
        END;
    END LOOP;
    RETURN jsonb_build_object('success', ok, 'failed', cardinality(errors), 'errors', to_jsonb(errors));
END
$$;

-- POST /tickets/bulk-assign {ticketIds, assigneeId} (IT_Staff, Admin): the assign rules per item.
CREATE FUNCTION helpdesk_api.tickets_bulk_assign(req jsonb)
RETURNS jsonb
LANGUAGE plpgsql
AS $$
DECLARE
    actor helpdesk.users := helpdesk.current_actor();
    b jsonb;
    ids int[];
    assignee int;
BEGIN
    PERFORM helpdesk.require_role(actor, 'IT_Staff', 'Admin');
    b := helpdesk.body(req, 'ticketIds', 'assigneeId');
    ids := helpdesk.field_int_array(b, 'ticketIds', true, 1, 1000);
    assignee := helpdesk.field_int(b, 'assigneeId', true, 1);
    PERFORM helpdesk.assignable_user(assignee, 'Can only assign to IT Staff or Admin');
    RETURN helpdesk.ticket_bulk(ids, actor,
        format('SELECT helpdesk.ticket_assign($1, %s, $2)', assignee));
END
$$;

-- POST /tickets/bulk-status {ticketIds, status}: the change-status rules per item.
CREATE FUNCTION helpdesk_api.tickets_bulk_status(req jsonb)
RETURNS jsonb
LANGUAGE plpgsql
AS $$
DECLARE
    actor helpdesk.users := helpdesk.current_actor();
    b jsonb := helpdesk.body(req, 'ticketIds', 'status');
    ids int[] := helpdesk.field_int_array(b, 'ticketIds', true, 1, 1000);
    new_status helpdesk.ticket_status := helpdesk.field_ticket_status(b, 'status', true);
BEGIN
    RETURN helpdesk.ticket_bulk(ids, actor,
        format('SELECT helpdesk.ticket_transition($1, %L, $2)', new_status));
END
$$;

-- POST /tickets/bulk-delete {ticketIds} (Admin)
CREATE FUNCTION helpdesk_api.tickets_bulk_delete(req jsonb)
RETURNS jsonb
LANGUAGE plpgsql
AS $$
DECLARE
    actor helpdesk.users := helpdesk.current_actor();
    b jsonb;
    ids int[];
    result jsonb;
BEGIN
    PERFORM helpdesk.require_role(actor, 'Admin');
    b := helpdesk.body(req, 'ticketIds');
    ids := helpdesk.field_int_array(b, 'ticketIds', true, 1, 1000);
    result := helpdesk.ticket_bulk(ids, actor, 'SELECT helpdesk.ticket_delete($1, $2)');
    PERFORM helpdesk.audit('BULK_DELETE_TICKETS', 'ticket', NULL,
                           jsonb_build_object('ticketIds', to_jsonb(ids), 'result', result));
    RETURN result;
END
$$;
