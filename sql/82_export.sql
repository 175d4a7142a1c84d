-- 82_export: GET /tickets/export?format=csv -- every ticket the list's filters match (the
-- parameters and visibility of GET /tickets: an Employee exports their own tickets), as rows
-- that helpdesk-http streams as CSV (route kind HD_RESP_EXPORT, http/export.c: the column
-- names are the header row; text cells quoted and neutralised by the CSV writer's one rule).
-- The whole set in one statement and one transaction, newest first; no page, no limit.

CREATE TYPE helpdesk.ticket_export_row AS (
    "id"                 int,
    "ticketNumber"       text,
    "title"              text,
    "description"        text,
    "status"             text,
    "priority"           text,
    "category"           text,
    "submitterName"      text,
    "submitterEmail"     text,
    "assigneeName"       text,
    "assigneeEmail"      text,
    "createdAt"          text,
    "updatedAt"          text,
    "dueDate"            text,
    "resolvedAt"         text,
    "closedAt"           text,
    "satisfactionRating" int
);

-- The matching tickets, with the filters of helpdesk.ticket_list (sql/30_tickets.sql): an
-- Employee sees only their own; slaAtRisk overrides slaBreached, which overrides status;
-- assigneeId=null is unassigned; search is the list's case-insensitive substring of title,
-- description or number. (Static SQL: every filter is a parameter, NULL when not given.)
CREATE FUNCTION helpdesk.ticket_export(actor helpdesk.users, status helpdesk.ticket_status, priority helpdesk.ticket_priority,
                                       category_id int, submitter_id int, assignee_id int, unassigned boolean,
                                       search text, sla_breached boolean, sla_at_risk boolean, at timestamptz)
RETURNS SETOF helpdesk.ticket_export_row
LANGUAGE sql STABLE
AS $$
    SELECT t.id, t.ticket_number, t.title, t.description, t.status::text, t.priority::text, c.name,
           su.full_name, su.email, au.full_name, au.email,
           helpdesk.iso(t.created_at), helpdesk.iso(t.updated_at), helpdesk.iso(t.due_date),
           helpdesk.iso(t.resolved_at), helpdesk.iso(t.closed_at), t.satisfaction_rating
    FROM helpdesk.tickets t
    LEFT JOIN helpdesk.users su ON su.id = t.submitter_id
    LEFT JOIN helpdesk.users au ON au.id = t.assignee_id
    LEFT JOIN helpdesk.categories c ON c.id = t.category_id
    -- (the parameters, named apart from the columns)
    CROSS JOIN (SELECT actor, status, priority, category_id, submitter_id, assignee_id, unassigned, search,
                       sla_breached, sla_at_risk, at) e
    WHERE ((e.actor).role <> 'Employee' OR t.submitter_id = (e.actor).id)
      AND (e.submitter_id IS NULL OR t.submitter_id = e.submitter_id)
      AND CASE WHEN e.sla_at_risk THEN t.id IN (SELECT helpdesk.sla_at_risk_ids(e.at))
               WHEN e.sla_breached THEN t.id IN (SELECT helpdesk.sla_breached_ids(e.at))
               ELSE e.status IS NULL OR t.status = e.status END
      AND (e.priority IS NULL OR t.priority = e.priority)
      AND (e.category_id IS NULL OR t.category_id = e.category_id)
      AND CASE WHEN e.unassigned THEN t.assignee_id IS NULL ELSE e.assignee_id IS NULL OR t.assignee_id = e.assignee_id END
      AND (e.search IS NULL
           OR (helpdesk.ticket_search_text(t.title, t.description, t.ticket_number) ILIKE helpdesk.like_pattern(e.search)
               AND (t.title ILIKE helpdesk.like_pattern(e.search) OR t.description ILIKE helpdesk.like_pattern(e.search)
                    OR t.ticket_number ILIKE helpdesk.like_pattern(e.search))))
    ORDER BY t.created_at DESC, t.id DESC
$$;
