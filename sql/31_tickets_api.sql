-- 31_tickets_api: the eighteen ticket routes (seed-system §2.5, §3.1), and
-- GET /categories/:id/stats (a count of tickets). The rules are in sql/30_tickets.sql.

-- The ticket id of a ticket route: `:id`, or `:ticketId` when another module's routes share the
-- path prefix under that name (the router wants one parameter name per position).
CREATE FUNCTION helpdesk.ticket_path_id(req jsonb)
RETURNS int
LANGUAGE sql IMMUTABLE
AS $$ SELECT coalesce(req -> 'path' ->> 'id', req -> 'path' ->> 'ticketId')::int $$;

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
        helpdesk.field_enum(b, 'priority', NULL::helpdesk.ticket_priority));
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
        status => helpdesk.query_enum(req, 'status', NULL::helpdesk.ticket_status),
        priority => helpdesk.query_enum(req, 'priority', NULL::helpdesk.ticket_priority),
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
BEGIN
    RETURN helpdesk.ticket_stats(helpdesk.current_actor());
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
    RETURN helpdesk.ticket_list(actor, status => helpdesk.query_enum(req, 'status', NULL::helpdesk.ticket_status), submitter_id => actor.id,
                                page => helpdesk.query_page(req), page_size => helpdesk.query_limit(req));
END
$$;

-- GET /tickets/assigned-to-me (IT_Staff, Admin)
CREATE FUNCTION helpdesk_api.tickets_assigned_to_me(req jsonb)
RETURNS jsonb
LANGUAGE plpgsql STABLE
AS $$
BEGIN
    RETURN helpdesk.ticket_list_assigned(helpdesk.current_actor(),
        helpdesk.query_enum(req, 'status', NULL::helpdesk.ticket_status),
        helpdesk.query_page(req), helpdesk.query_limit(req));
END
$$;

-- GET /tickets/:id
CREATE FUNCTION helpdesk_api.tickets_get(req jsonb)
RETURNS jsonb
LANGUAGE plpgsql STABLE
AS $$
BEGIN
    RETURN helpdesk.ticket_detail_json(helpdesk.current_actor(), helpdesk.ticket_path_id(req));
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
        new_priority => helpdesk.field_enum(b, 'priority', NULL::helpdesk.ticket_priority),
        new_status => helpdesk.field_enum(b, 'status', NULL::helpdesk.ticket_status),
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
        helpdesk.ticket_transition(helpdesk.ticket_path_id(req), helpdesk.field_enum(b, 'status', NULL::helpdesk.ticket_status, true), actor),
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
    b jsonb := helpdesk.body(req, 'assigneeId');
BEGIN
    RETURN helpdesk.ticket_json(
        helpdesk.ticket_assign(helpdesk.ticket_path_id(req), helpdesk.field_int(b, 'assigneeId', true, 1),
                               actor),
        true);
END
$$;

-- POST /tickets/:id/start-progress (IT_Staff, Admin; the assignee)
CREATE FUNCTION helpdesk_api.tickets_start_progress(req jsonb)
RETURNS jsonb
LANGUAGE plpgsql
AS $$
BEGIN
    PERFORM helpdesk.body(req, VARIADIC '{}'::text[]);
    RETURN helpdesk.ticket_json(helpdesk.ticket_start_progress(helpdesk.ticket_path_id(req), helpdesk.current_actor()),
                                true);
END
$$;

-- POST /tickets/:id/resolve {resolutionNotes} (IT_Staff, Admin; the assignee)
CREATE FUNCTION helpdesk_api.tickets_resolve(req jsonb)
RETURNS jsonb
LANGUAGE plpgsql
AS $$
DECLARE
    actor helpdesk.users := helpdesk.current_actor();
    b jsonb := helpdesk.body(req, 'resolutionNotes');
BEGIN
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
BEGIN
    PERFORM helpdesk.ticket_delete(helpdesk.ticket_path_id(req), helpdesk.current_actor());
    RETURN jsonb_build_object('message', 'Ticket deleted successfully');
END
$$;

-- POST /tickets/bulk-assign {ticketIds, assigneeId} (IT_Staff, Admin): the assign rules per item.
CREATE FUNCTION helpdesk_api.tickets_bulk_assign(req jsonb)
RETURNS jsonb
LANGUAGE plpgsql
AS $$
DECLARE
    actor helpdesk.users := helpdesk.current_actor();
    b jsonb := helpdesk.body(req, 'ticketIds', 'assigneeId');
BEGIN
    RETURN helpdesk.ticket_bulk_assign(actor,
                                       helpdesk.field_int_array(b, 'ticketIds', true, 1, 1000),
                                       helpdesk.field_int(b, 'assigneeId', true, 1));
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
BEGIN
    RETURN helpdesk.ticket_bulk_status(actor,
                                       helpdesk.field_int_array(b, 'ticketIds', true, 1, 1000),
                                       helpdesk.field_enum(b, 'status', NULL::helpdesk.ticket_status, true));
END
$$;

-- POST /tickets/bulk-delete {ticketIds} (Admin)
CREATE FUNCTION helpdesk_api.tickets_bulk_delete(req jsonb)
RETURNS jsonb
LANGUAGE plpgsql
AS $$
BEGIN
    RETURN helpdesk.ticket_bulk_delete(helpdesk.current_actor(),
        helpdesk.field_int_array(helpdesk.body(req, 'ticketIds'), 'ticketIds', true, 1, 1000));
END
$$;

-- GET /categories/:id/stats: the real number of tickets in the category.
CREATE FUNCTION helpdesk_api.categories_stats(req jsonb)
RETURNS jsonb
LANGUAGE plpgsql STABLE
AS $$
BEGIN
    PERFORM helpdesk.current_actor();
    RETURN helpdesk.category_stats(helpdesk.path_int(req));
END
$$;
