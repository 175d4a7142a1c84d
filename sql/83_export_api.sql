-- 83_export_api: the export route (sql/82_export.sql decides what is exported; helpdesk-http
-- streams the rows as CSV, route kind HD_RESP_EXPORT).

-- GET /tickets/export?format=csv (format may be left out; anything else is 400)
CREATE FUNCTION helpdesk_api.tickets_export(req jsonb)
RETURNS SETOF helpdesk.ticket_export_row
LANGUAGE plpgsql STABLE
AS $$
DECLARE
    actor helpdesk.users := helpdesk.current_actor();
    f helpdesk.ticket_filter;
BEGIN
    PERFORM helpdesk.query_enum(req, 'format', ARRAY['csv']);
    f := helpdesk.ticket_filter_query(req);
    RETURN QUERY SELECT * FROM helpdesk.ticket_export(actor, f.status, f.priority, f.category_id, f.submitter_id,
                                                      f.assignee_id, f.unassigned, f.search, f.sla_breached,
                                                      f.sla_at_risk, now());
END
$$;
