-- 31_tickets_api, 1.0 to 1.1: GET /tickets/:id through ticket_detail_json (one query); the
-- list's filters read from the query string by one function (shared with the CSV export).

-- GET /tickets/:id
CREATE OR REPLACE FUNCTION helpdesk_api.tickets_get(req jsonb)
RETURNS jsonb
LANGUAGE plpgsql STABLE
AS $$
BEGIN
    RETURN helpdesk.ticket_detail_json(helpdesk.current_actor(), helpdesk.ticket_path_id(req));
END
$$;

-- The list's filters from a request's query string (GET /tickets and its CSV export):
-- status, priority, categoryId, submitterId, assigneeId (the word null: unassigned), search,
-- slaBreached, slaAtRisk. What each one means is helpdesk.ticket_filter_conds (30_tickets.sql).
CREATE TYPE helpdesk.ticket_filter AS (
    status       helpdesk.ticket_status,
    priority     helpdesk.ticket_priority,
    category_id  int,
    submitter_id int,
    assignee_id  int,
    unassigned   boolean,
    search       text,
    sla_breached boolean,
    sla_at_risk  boolean
);

CREATE FUNCTION helpdesk.ticket_filter_query(req jsonb)
RETURNS helpdesk.ticket_filter
LANGUAGE sql STABLE
AS $$
    SELECT ROW(helpdesk.query_enum(req, 'status', NULL::helpdesk.ticket_status),
               helpdesk.query_enum(req, 'priority', NULL::helpdesk.ticket_priority),
               helpdesk.query_int(req, 'categoryId', NULL, 1),
               helpdesk.query_int(req, 'submitterId', NULL, 1),
               CASE WHEN lower(btrim(req -> 'query' ->> 'assigneeId')) = 'null' THEN NULL
                    ELSE helpdesk.query_int(req, 'assigneeId', NULL, 1) END,
               coalesce(lower(btrim(req -> 'query' ->> 'assigneeId')) = 'null', false),
               nullif(btrim(req -> 'query' ->> 'search'), ''),
               coalesce(helpdesk.query_bool(req, 'slaBreached'), false),
               coalesce(helpdesk.query_bool(req, 'slaAtRisk'), false))::helpdesk.ticket_filter
$$;

-- GET /tickets
CREATE OR REPLACE FUNCTION helpdesk_api.tickets_list(req jsonb)
RETURNS jsonb
LANGUAGE plpgsql STABLE
AS $$
DECLARE
    actor helpdesk.users := helpdesk.current_actor();
    f helpdesk.ticket_filter := helpdesk.ticket_filter_query(req);
BEGIN
    RETURN helpdesk.ticket_list(
        actor,
        status => f.status,
        priority => f.priority,
        category_id => f.category_id,
        submitter_id => f.submitter_id,
        assignee_id => f.assignee_id,
        unassigned => f.unassigned,
        search => f.search,
        sla_breached => f.sla_breached,
        sla_at_risk => f.sla_at_risk,
        page => helpdesk.query_page(req),
        page_size => helpdesk.query_limit(req),
        sort_by => coalesce(helpdesk.query_text(req, 'sortBy'), 'createdAt'),
        sort_order => helpdesk.query_sort_order(req));
END
$$;
