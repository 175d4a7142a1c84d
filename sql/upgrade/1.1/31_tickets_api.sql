-- 31_tickets_api, 1.0 to 1.1: GET /tickets/:id through ticket_detail_json (one query).

-- GET /tickets/:id
CREATE OR REPLACE FUNCTION helpdesk_api.tickets_get(req jsonb)
RETURNS jsonb
LANGUAGE plpgsql STABLE
AS $$
BEGIN
    RETURN helpdesk.ticket_detail_json(helpdesk.current_actor(), helpdesk.ticket_path_id(req));
END
$$;
