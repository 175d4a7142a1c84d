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

-- The matching tickets: the list's filters as helpdesk.ticket_filter_conds and
-- helpdesk.ticket_search_cond define them (sql/30_tickets.sql; an Employee sees only their
-- own), newest first. The statement is made of those fixed fragments; every value is a parameter.
CREATE FUNCTION helpdesk.ticket_export(actor helpdesk.users, status helpdesk.ticket_status, priority helpdesk.ticket_priority,
                                       category_id int, submitter_id int, assignee_id int, unassigned boolean,
                                       search text, sla_breached boolean, sla_at_risk boolean, at timestamptz)
RETURNS SETOF helpdesk.ticket_export_row
LANGUAGE plpgsql STABLE
AS $$
DECLARE
    conds text[] := helpdesk.ticket_filter_conds(actor, status, priority, category_id, submitter_id, assignee_id,
                                                 unassigned, sla_breached, sla_at_risk);
BEGIN
    IF search IS NOT NULL THEN
        conds := conds || helpdesk.ticket_search_cond('indexed') || helpdesk.ticket_search_cond('fields');
    END IF;
    RETURN QUERY EXECUTE
        -- (RETURN QUERY wants the row type's types exactly: the varchar columns cast to text)
        'SELECT t.id, t.ticket_number::text, t.title::text, t.description::text, t.status::text, '
        '       t.priority::text, c.name::text, su.full_name::text, su.email::text, au.full_name::text, '
        '       au.email::text, '
        '       helpdesk.iso(t.created_at), helpdesk.iso(t.updated_at), helpdesk.iso(t.due_date), '
        '       helpdesk.iso(t.resolved_at), helpdesk.iso(t.closed_at), t.satisfaction_rating '
        'FROM helpdesk.tickets t '
        'LEFT JOIN helpdesk.users su ON su.id = t.submitter_id '
        'LEFT JOIN helpdesk.users au ON au.id = t.assignee_id '
        'LEFT JOIN helpdesk.categories c ON c.id = t.category_id'
        || helpdesk.ticket_where_sql(conds)
        || ' ORDER BY t.created_at DESC, t.id DESC'
        USING actor.id, submitter_id, status, priority, category_id, assignee_id,
              helpdesk.like_pattern(search), NULL::int, at;
END
$$;
