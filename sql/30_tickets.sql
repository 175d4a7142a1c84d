-- 30_tickets: tickets, their numbering counters, comments, attachments and history.

-- Ticket numbers TKT-YYYY-NNNN come from one counter row per year, never from counting rows,
-- so they never collide after deletes or under concurrency.
CREATE TABLE helpdesk.ticket_number_counters (
    year       int PRIMARY KEY CHECK (year BETWEEN 1970 AND 9999),
    last_value int NOT NULL CHECK (last_value >= 0)
);

CREATE TABLE helpdesk.tickets (
    id                   serial PRIMARY KEY,
    ticket_number        varchar(32) NOT NULL UNIQUE,
    title                varchar(255) NOT NULL CHECK (length(btrim(title)) > 0),
    description          text NOT NULL,
    category_id          int NOT NULL REFERENCES helpdesk.categories (id) ON DELETE RESTRICT,
    priority             helpdesk.ticket_priority NOT NULL DEFAULT 'Medium',
    status               helpdesk.ticket_status NOT NULL DEFAULT 'New',
    submitter_id         int NOT NULL REFERENCES helpdesk.users (id) ON DELETE RESTRICT,
    assignee_id          int REFERENCES helpdesk.users (id) ON DELETE SET NULL,
    due_date             timestamptz,
    response_due_at      timestamptz,
    first_response_at    timestamptz,
    resolved_at          timestamptz,
    closed_at            timestamptz,
    satisfaction_rating  int CHECK (satisfaction_rating BETWEEN 1 AND 5),
    satisfaction_comment text,
    resolution_notes     text,
    created_at           timestamptz NOT NULL DEFAULT now(),
    updated_at           timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX tickets_status_created_idx ON helpdesk.tickets (status, created_at);
CREATE INDEX tickets_submitter_idx ON helpdesk.tickets (submitter_id, created_at);
CREATE INDEX tickets_assignee_idx ON helpdesk.tickets (assignee_id, created_at);
CREATE INDEX tickets_category_idx ON helpdesk.tickets (category_id);
CREATE INDEX tickets_created_idx ON helpdesk.tickets (created_at);
CREATE INDEX tickets_due_open_idx ON helpdesk.tickets (due_date)
    WHERE status NOT IN ('Resolved', 'Closed');
CREATE TRIGGER tickets_touch BEFORE UPDATE ON helpdesk.tickets
    FOR EACH ROW EXECUTE FUNCTION helpdesk.touch_updated_at();

CREATE TABLE helpdesk.comments (
    id          serial PRIMARY KEY,
    ticket_id   int NOT NULL REFERENCES helpdesk.tickets (id) ON DELETE CASCADE,
    user_id     int NOT NULL REFERENCES helpdesk.users (id) ON DELETE RESTRICT,
    content     text NOT NULL CHECK (length(content) BETWEEN 1 AND 5000),
    type        helpdesk.comment_type NOT NULL DEFAULT 'public',
    is_edited   boolean NOT NULL DEFAULT false,
    edited_at   timestamptz,
    metadata    jsonb,
    deleted_at  timestamptz,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX comments_ticket_idx ON helpdesk.comments (ticket_id, created_at) WHERE deleted_at IS NULL;
CREATE INDEX comments_user_idx ON helpdesk.comments (user_id, created_at);
CREATE TRIGGER comments_touch BEFORE UPDATE ON helpdesk.comments
    FOR EACH ROW EXECUTE FUNCTION helpdesk.touch_updated_at();

-- Attachment metadata; the bytes live in the storage the attachments module chooses.
CREATE TABLE helpdesk.attachments (
    id            serial PRIMARY KEY,
    ticket_id     int NOT NULL REFERENCES helpdesk.tickets (id) ON DELETE CASCADE,
    file_name     varchar(255) NOT NULL,
    original_name varchar(255) NOT NULL,
    file_path     varchar(500) NOT NULL,
    file_size     bigint NOT NULL CHECK (file_size >= 0),
    mime_type     varchar(100) NOT NULL,
    sha256        bytea CHECK (length(sha256) = 32),
    uploaded_by   int NOT NULL REFERENCES helpdesk.users (id) ON DELETE RESTRICT,
    created_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX attachments_ticket_idx ON helpdesk.attachments (ticket_id, created_at);
CREATE INDEX attachments_uploader_idx ON helpdesk.attachments (uploaded_by);

-- One row per change to a ticket, written by triggers (whoever made the change) and by the
-- SLA watcher. user_id is the acting user; db_user who held the connection.
CREATE TABLE helpdesk.ticket_history (
    id          bigserial PRIMARY KEY,
    ticket_id   int NOT NULL REFERENCES helpdesk.tickets (id) ON DELETE CASCADE,
    user_id     int REFERENCES helpdesk.users (id) ON DELETE SET NULL,
    db_user     name NOT NULL DEFAULT current_user,
    action      varchar(50) NOT NULL CHECK (action IN (
                    'created', 'updated', 'assigned', 'status_changed', 'priority_changed',
                    'category_changed', 'comment_added', 'attachment_added', 'resolved', 'closed',
                    'reopened', 'sla_warning', 'sla_breached', 'escalated')),
    field_name  varchar(50),
    old_value   text,
    new_value   text,
    description text,
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX ticket_history_ticket_idx ON helpdesk.ticket_history (ticket_id, created_at DESC);
CREATE INDEX ticket_history_created_idx ON helpdesk.ticket_history (created_at DESC);

SELECT pg_catalog.pg_extension_config_dump('helpdesk.ticket_number_counters', '');
SELECT pg_catalog.pg_extension_config_dump('helpdesk.tickets', '');
SELECT pg_catalog.pg_extension_config_dump('helpdesk.tickets_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('helpdesk.comments', '');
SELECT pg_catalog.pg_extension_config_dump('helpdesk.comments_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('helpdesk.attachments', '');
SELECT pg_catalog.pg_extension_config_dump('helpdesk.attachments_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('helpdesk.ticket_history', '');
SELECT pg_catalog.pg_extension_config_dump('helpdesk.ticket_history_id_seq', '');

-- The one visibility rule of tickets: IT_Staff and Admin see every ticket, an Employee only the
-- tickets they submitted. Returns the ticket, or raises 404 (missing) / 403 (not visible).
-- Everything that belongs to a ticket (comments, attachments, history, SLA status, escalations)
-- goes through this function.
CREATE FUNCTION helpdesk.visible_ticket(actor helpdesk.users, ticket_id int,
                                        for_update boolean DEFAULT false)
RETURNS helpdesk.tickets
LANGUAGE plpgsql
AS $$
DECLARE
    t helpdesk.tickets;
BEGIN
    IF for_update THEN
        SELECT * INTO t FROM helpdesk.tickets WHERE id = ticket_id FOR UPDATE;
    ELSE
        SELECT * INTO t FROM helpdesk.tickets WHERE id = ticket_id;
    END IF;
    IF NOT FOUND THEN
        PERFORM helpdesk.http_error(404, format('Ticket with ID %s not found', ticket_id));
    END IF;
    IF actor.role = 'Employee' AND t.submitter_id <> actor.id THEN
        PERFORM helpdesk.http_error(403, 'You do not have permission to view this ticket');
    END IF;
    RETURN t;
END
$$;

-- Whether `actor` is staff (sees everything, internal comments included).
CREATE FUNCTION helpdesk.is_staff(actor helpdesk.users)
RETURNS boolean
LANGUAGE sql IMMUTABLE
AS $$ SELECT actor.role IN ('IT_Staff'::helpdesk.user_role, 'Admin'::helpdesk.user_role) $$;
