-- 37_history_api: the ticket-history routes (seed-system §2.8). The rules are in sql/36_history.sql.

-- GET /ticket-history/ticket/:ticketId (any role; the ticket's visibility applies)
CREATE FUNCTION helpdesk_api.ticket_history_by_ticket(req jsonb)
RETURNS jsonb
LANGUAGE plpgsql STABLE
AS $$
DECLARE
    actor helpdesk.users := helpdesk.current_actor();
BEGIN
    RETURN (SELECT coalesce(jsonb_agg(helpdesk.history_json(h) ORDER BY h.created_at DESC, h.id DESC), '[]')
            FROM helpdesk.ticket_history_of(actor, helpdesk.path_int(req, 'ticketId')) h);
END
$$;

-- GET /ticket-history?limit&offset (IT_Staff, Admin): every ticket's history, newest first.
CREATE FUNCTION helpdesk_api.ticket_history_list(req jsonb)
RETURNS jsonb
LANGUAGE plpgsql STABLE
AS $$
BEGIN
    RETURN helpdesk.history_list(helpdesk.current_actor(), helpdesk.query_int(req, 'limit', 100, 1, 1000),
                                 helpdesk.query_int(req, 'offset', 0, 0));
END
$$;
