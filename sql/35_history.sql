-- 35_history: the ticket history triggers (C, extension/history.c) and the ticket-history routes.
--
-- Every change to a ticket, a new comment or a new attachment writes helpdesk.ticket_history
-- rows from the trigger's old and new tuples, whoever made the change (API, bulk routes, the SLA
-- watcher, a DBA's UPDATE). The acting user is helpdesk.actor_id; without it user_id is NULL and
-- db_user says which database role acted. See history.c for the rows each change writes; in
-- short, one row per event, and a status move is one row whose action is `resolved`, `closed`,
-- `reopened` or `status_changed` (field_name 'status' in every case).

CREATE FUNCTION helpdesk.ticket_history_trigger()
RETURNS trigger
AS 'MODULE_PATHNAME', 'ticket_history_trigger'
LANGUAGE C;
COMMENT ON FUNCTION helpdesk.ticket_history_trigger() IS
    'AFTER ROW trigger of tickets, comments and attachments: writes helpdesk.ticket_history';

-- Whether the running statement is a COPY: rows loaded (pg_restore of a dump, an import) are
-- not changes, they arrive with their history and notifications, so triggers skip them.
CREATE FUNCTION helpdesk.copying_rows()
RETURNS boolean
AS 'MODULE_PATHNAME', 'helpdesk_copying_rows'
LANGUAGE C STABLE;

CREATE TRIGGER tickets_history_insert AFTER INSERT ON helpdesk.tickets
    FOR EACH ROW EXECUTE FUNCTION helpdesk.ticket_history_trigger();
-- Only the columns the history speaks about wake the trigger (updated_at, SLA dates do not).
CREATE TRIGGER tickets_history_update AFTER UPDATE ON helpdesk.tickets
    FOR EACH ROW
    WHEN ((OLD.title, OLD.description, OLD.category_id, OLD.priority, OLD.assignee_id, OLD.status)
          IS DISTINCT FROM
          (NEW.title, NEW.description, NEW.category_id, NEW.priority, NEW.assignee_id, NEW.status))
    EXECUTE FUNCTION helpdesk.ticket_history_trigger();
CREATE TRIGGER comments_history AFTER INSERT ON helpdesk.comments
    FOR EACH ROW EXECUTE FUNCTION helpdesk.ticket_history_trigger();
CREATE TRIGGER attachments_history AFTER INSERT ON helpdesk.attachments
    FOR EACH ROW EXECUTE FUNCTION helpdesk.ticket_history_trigger();

-- The label of an action (the reference's actionLabel).
CREATE FUNCTION helpdesk.history_action_label(action text)
RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
    SELECT CASE action
        WHEN 'created' THEN 'Ticket created'
        WHEN 'updated' THEN 'Ticket updated'
        WHEN 'assigned' THEN 'Ticket assigned'
        WHEN 'status_changed' THEN 'Status changed'
        WHEN 'priority_changed' THEN 'Priority changed'
        WHEN 'category_changed' THEN 'Category changed'
        WHEN 'comment_added' THEN 'Comment added'
        WHEN 'attachment_added' THEN 'Attachment added'
        WHEN 'resolved' THEN 'Ticket resolved'
        WHEN 'closed' THEN 'Ticket closed'
        WHEN 'reopened' THEN 'Ticket reopened'
        WHEN 'sla_warning' THEN 'SLA warning'
        WHEN 'sla_breached' THEN 'SLA breached'
        WHEN 'escalated' THEN 'Ticket escalated'
        ELSE action
    END
$$;

-- Whether a history row may be shown to `actor` (the ticket's visibility is checked by the
-- caller): Employees never see rows about internal comments.
CREATE FUNCTION helpdesk.history_row_visible(actor helpdesk.users, h helpdesk.ticket_history)
RETURNS boolean
LANGUAGE sql STABLE
AS $$
    SELECT helpdesk.is_staff(actor)
        OR NOT (h.action = 'comment_added' AND h.field_name IS NOT DISTINCT FROM 'internal_comment')
$$;

-- The row JSON of the reference: changeDescription = description if set, else
-- `<field> changed from "<old>" to "<new>"`, else `<field> set to "<new>"`, else the label.
CREATE FUNCTION helpdesk.history_json(h helpdesk.ticket_history)
RETURNS jsonb
LANGUAGE sql STABLE
AS $$
    SELECT jsonb_build_object(
        'id', h.id, 'ticketId', h.ticket_id, 'userId', h.user_id, 'action', h.action,
        'actionLabel', helpdesk.history_action_label(h.action),
        'fieldName', h.field_name, 'oldValue', h.old_value, 'newValue', h.new_value,
        'description', h.description,
        'changeDescription', coalesce(
            h.description,
            CASE WHEN h.field_name IS NOT NULL AND h.old_value IS NOT NULL AND h.new_value IS NOT NULL
                 THEN pg_catalog.format('%s changed from "%s" to "%s"', h.field_name, h.old_value, h.new_value)
                 WHEN h.field_name IS NOT NULL AND h.new_value IS NOT NULL
                 THEN pg_catalog.format('%s set to "%s"', h.field_name, h.new_value)
            END,
            helpdesk.history_action_label(h.action)),
        'createdAt', helpdesk.iso(h.created_at),
        'user', (SELECT jsonb_build_object('id', u.id, 'fullName', u.full_name, 'email', u.email,
                                           'role', u.role)
                 FROM helpdesk.users u WHERE u.id = h.user_id))
$$;

-- The history of one ticket as `actor` may see it, newest first. 404/403 per visible_ticket.
CREATE FUNCTION helpdesk.ticket_history_of(actor helpdesk.users, ticket_id int)
RETURNS SETOF helpdesk.ticket_history
LANGUAGE plpgsql STABLE
AS $$
BEGIN
    PERFORM helpdesk.visible_ticket(actor, ticket_id);
    RETURN QUERY
        SELECT h.* FROM helpdesk.ticket_history h
        WHERE h.ticket_id = ticket_history_of.ticket_id AND helpdesk.history_row_visible(actor, h)
        ORDER BY h.created_at DESC, h.id DESC;
END
$$;

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
-- (ticket_history_created_idx gives the created_at order; ties within one transaction are put
-- in id order by an incremental sort, never a sort of the whole table.)
CREATE FUNCTION helpdesk_api.ticket_history_list(req jsonb)
RETURNS jsonb
LANGUAGE plpgsql STABLE
AS $$
DECLARE
    actor  helpdesk.users := helpdesk.current_actor();
    lim    int;
    skip   int;
BEGIN
    PERFORM helpdesk.require_role(actor, 'IT_Staff', 'Admin');
    lim := helpdesk.query_int(req, 'limit', 100, 1, 1000);
    skip := helpdesk.query_int(req, 'offset', 0, 0);
    RETURN (SELECT coalesce(jsonb_agg(helpdesk.history_json(h) ORDER BY h.created_at DESC, h.id DESC), '[]')
            FROM (SELECT * FROM helpdesk.ticket_history
                  ORDER BY created_at DESC, id DESC
                  LIMIT lim OFFSET skip) h);
END
$$;
