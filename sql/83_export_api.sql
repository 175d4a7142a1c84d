-- 83_export_api: the export route (sql/82_export.sql decides what is exported; helpdesk-http
-- streams the rows as CSV, route kind HD_RESP_EXPORT).

-- GET /tickets/export?format=csv (format may be left out; anything else is 400)
CREATE FUNCTION helpdesk_api.tickets_export(req jsonb)
RETURNS SETOF helpdesk.ticket_export_row
LANGUAGE plpgsql STABLE
AS $$
DECLARE
    actor helpdesk.users := helpdesk.current_actor();
    assignee text := nullif(btrim(req -> 'query' ->> 'assigneeId'), '');
BEGIN
    PERFORM helpdesk.query_enum(req, 'format', ARRAY['csv']);
    RETURN QUERY SELECT * FROM helpdesk.ticket_export(
        actor,
        helpdesk.query_enum(req, 'status', NULL::helpdesk.ticket_status),
        helpdesk.query_enum(req, 'priority', NULL::helpdesk.ticket_priority),
        helpdesk.query_int(req, 'categoryId', NULL, 1),
        helpdesk.query_int(req, 'submitterId', NULL, 1),
        CASE WHEN lower(assignee) = 'null' THEN NULL ELSE helpdesk.query_int(req, 'assigneeId', NULL, 1) END,
        coalesce(lower(assignee) = 'null', false),
        nullif(btrim(req -> 'query' ->> 'search'), ''),
        coalesce(helpdesk.query_bool(req, 'slaBreached'), false),
        coalesce(helpdesk.query_bool(req, 'slaAtRisk'), false),
        now());
END
$$;
