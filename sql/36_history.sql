-- 36_history: the ticket history: its table, the triggers that write it (C, extension/history.c),
-- and who may read it.
--
-- Every change to a ticket, a new comment or a new attachment writes helpdesk.ticket_history
-- rows from the trigger's old and new tuples, whoever made the change (API, bulk routes, the SLA
-- watcher, a DBA's UPDATE). The acting user is helpdesk.actor_id; without it user_id is NULL and
-- db_user says which database role acted. See history.c for the rows each change writes; in
-- short, one row per event, and a status move is one row whose action is `resolved`, `closed`,
-- `reopened` or `status_changed` (field_name 'status' in every case).

-- One row per change to a ticket, written by triggers (whoever made the change) and by the
-- SLA watcher. user_id is the acting user; db_user who held the connection.
CREATE TABLE helpdesk.ticket_history (
    id          bigserial PRIMARY KEY,
    ticket_id   int NOT NULL REFERENCES helpdesk.tickets (id) ON DELETE CASCADE,
    user_id     int REFERENCES helpdesk.users (id) ON DELETE SET NULL,
    db_user     name NOT NULL DEFAULT current_user,
    -- (an array constant, not IN (...): a CHECK's expression is read back from its stored text at
    -- every statement that writes the table, and IN's list of casts was 3-4 times as long)
    action      varchar(50) NOT NULL CHECK (action::text = ANY ('{
                    created, updated, assigned, status_changed, priority_changed,
                    category_changed, comment_added, attachment_added, resolved, closed,
                    reopened, sla_warning, sla_breached, escalated}'::text[])),
    field_name  varchar(50),
    old_value   text,
    new_value   text,
    description text,
    created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX ticket_history_ticket_idx ON helpdesk.ticket_history (ticket_id, created_at DESC);

CREATE INDEX ticket_history_created_idx ON helpdesk.ticket_history (created_at DESC);

SELECT pg_catalog.pg_extension_config_dump('helpdesk.ticket_history', '');

SELECT pg_catalog.pg_extension_config_dump('helpdesk.ticket_history_id_seq', '');

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

CREATE TRIGGER tickets_20_history_insert AFTER INSERT ON helpdesk.tickets
    FOR EACH ROW EXECUTE FUNCTION helpdesk.ticket_history_trigger();

-- Only the columns the history speaks about wake the trigger (updated_at, SLA dates do not).
CREATE TRIGGER tickets_20_history_update AFTER UPDATE ON helpdesk.tickets
    FOR EACH ROW
    WHEN ((OLD.title, OLD.description, OLD.category_id, OLD.priority, OLD.assignee_id, OLD.status)
          IS DISTINCT FROM
          (NEW.title, NEW.description, NEW.category_id, NEW.priority, NEW.assignee_id, NEW.status))
    EXECUTE FUNCTION helpdesk.ticket_history_trigger();

CREATE TRIGGER comments_20_history AFTER INSERT ON helpdesk.comments
    FOR EACH ROW EXECUTE FUNCTION helpdesk.ticket_history_trigger();

CREATE TRIGGER attachments_20_history AFTER INSERT ON helpdesk.attachments
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

-- Every ticket's history, newest first, one page (IT_Staff, Admin).
-- (ticket_history_created_idx gives the created_at order; ties within one transaction are put
-- in id order by an incremental sort, never a sort of the whole table.)
CREATE FUNCTION helpdesk.history_list(actor helpdesk.users, max_items int DEFAULT 100, skip int DEFAULT 0)
RETURNS jsonb
LANGUAGE plpgsql STABLE
AS $$
BEGIN
    PERFORM helpdesk.require_role(actor, 'IT_Staff', 'Admin');
    RETURN (SELECT coalesce(jsonb_agg(helpdesk.history_json(h) ORDER BY h.created_at DESC, h.id DESC), '[]')
            FROM (SELECT * FROM helpdesk.ticket_history
                  ORDER BY created_at DESC, id DESC
                  LIMIT max_items OFFSET skip) h);
END
$$;
