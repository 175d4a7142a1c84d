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

-- ==== ticket numbers, SLA seams, the state machine and the ticket operations ====

-- Next ticket number TKT-YYYY-NNNN for a ticket created at `at` (extension/numbering.c). The
-- year is taken in `time_zone` when given, else in the session's TimeZone; ticket_create passes
-- the setting 'ticket_number_time_zone' (unset: the session's zone, UTC on the demo cluster).
CREATE FUNCTION helpdesk.next_ticket_number(at timestamptz DEFAULT now(), time_zone text DEFAULT NULL)
RETURNS text
LANGUAGE c VOLATILE
AS 'MODULE_PATHNAME', 'helpdesk_next_ticket_number';

-- The text the list's `search` parameter matches, one trigram index over it. The separator
-- cannot come from the outside in practice; queries recheck each field exactly anyway.
CREATE FUNCTION helpdesk.ticket_search_text(title text, description text, ticket_number text)
RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$ SELECT title || E'\x1f' || description || E'\x1f' || ticket_number $$;

CREATE INDEX tickets_search_trgm_idx ON helpdesk.tickets
    USING gin (helpdesk.ticket_search_text(title, description, ticket_number) public.gin_trgm_ops);
-- The default list order (createdAt DESC, id DESC as tie-breaker) walks this index, so a deep
-- OFFSET costs an index walk, never a sort of the whole table.
CREATE INDEX tickets_created_id_idx ON helpdesk.tickets (created_at, id);
CREATE INDEX tickets_priority_idx ON helpdesk.tickets (priority, created_at);
-- sortBy=dueDate (the reference's client sorts by it) walks this one.
CREATE INDEX tickets_due_id_idx ON helpdesk.tickets (due_date, id);
-- The web client's usual filter (status and priority), counted and paged from one index.
CREATE INDEX tickets_status_priority_idx ON helpdesk.tickets (status, priority, created_at, id);

-- Whether a ticket is open (its SLA clock can still run).
CREATE FUNCTION helpdesk.ticket_is_open(status helpdesk.ticket_status)
RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$ SELECT status NOT IN ('Resolved'::helpdesk.ticket_status, 'Closed'::helpdesk.ticket_status) $$;

-- SLA breached: an open ticket past its due date, or a finished one that finished after it.
CREATE FUNCTION helpdesk.ticket_sla_breached(status helpdesk.ticket_status, due_date timestamptz,
                                             resolved_at timestamptz, closed_at timestamptz,
                                             at timestamptz DEFAULT now())
RETURNS boolean
LANGUAGE sql STABLE PARALLEL SAFE
AS $$
    SELECT CASE
        WHEN due_date IS NULL THEN false
        WHEN helpdesk.ticket_is_open(status) THEN due_date < at
        ELSE coalesce(resolved_at, closed_at) > due_date
    END
$$;

-- The reference's change-status table (seed-system §3.1): the moves every path may make.
CREATE FUNCTION helpdesk.ticket_transition_allowed(from_status helpdesk.ticket_status,
                                                   to_status helpdesk.ticket_status)
RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
    SELECT CASE from_status::text
        WHEN 'New'         THEN to_status::text IN ('Assigned', 'In Progress', 'Closed')
        WHEN 'Assigned'    THEN to_status::text IN ('New', 'In Progress', 'Pending', 'Closed')
        WHEN 'In Progress' THEN to_status::text IN ('Assigned', 'Pending', 'Resolved', 'Closed')
        WHEN 'Pending'     THEN to_status::text IN ('In Progress', 'Resolved', 'Closed')
        WHEN 'Resolved'    THEN to_status::text IN ('In Progress', 'Pending', 'Closed')
        WHEN 'Closed'      THEN to_status::text IN ('New', 'Assigned')
        ELSE false
    END
$$;

-- The ticket `actor` may act on, locked; a 403 from visible_ticket becomes `denied` (the
-- reference words the refusal per action).
CREATE FUNCTION helpdesk.ticket_for_action(actor helpdesk.users, ticket_id int, denied text)
RETURNS helpdesk.tickets
LANGUAGE plpgsql
AS $$
BEGIN
    RETURN helpdesk.visible_ticket(actor, ticket_id, true);
EXCEPTION WHEN SQLSTATE 'HD403' THEN
    PERFORM helpdesk.http_error(403, denied);
    RETURN NULL;
END
$$;

-- THE status change: every path that changes a ticket's status comes here (PATCH, change-status,
-- the action routes, bulk-status). Locks the ticket, applies visibility, refuses moves outside
-- the table (400 "Cannot transition from X to Y", same status included) and keeps the lifecycle
-- timestamps consistent:
--   resolved_at: set on entering Resolved, kept into Closed, cleared on any move to an open status;
--   closed_at:   set on entering Closed, cleared on leaving it;
--   resolution_notes: cleared when a finished ticket goes back to New or Assigned (a reopen).
-- `reopen` admits the one move outside the table, the reopen action's Resolved -> New.
-- `notes` (resolve) and `new_assignee_id` (assign) are set in the same update, so every action
-- is one row change (one history entry per action for the history triggers).
CREATE FUNCTION helpdesk.ticket_transition(ticket_id int, new_status helpdesk.ticket_status,
                                           actor helpdesk.users, at timestamptz DEFAULT now(),
                                           reopen boolean DEFAULT false, notes text DEFAULT NULL,
                                           new_assignee_id int DEFAULT NULL)
RETURNS helpdesk.tickets
LANGUAGE plpgsql
AS $$
DECLARE
    t helpdesk.tickets := helpdesk.visible_ticket(actor, ticket_id, true);
BEGIN
    IF NOT (helpdesk.ticket_transition_allowed(t.status, new_status)
            OR (reopen AND t.status = 'Resolved' AND new_status = 'New')) THEN
        PERFORM helpdesk.http_error(400, format('Cannot transition from %s to %s', t.status, new_status));
    END IF;
    UPDATE helpdesk.tickets SET
        status = new_status,
        assignee_id = coalesce(new_assignee_id, assignee_id),
        resolved_at = CASE WHEN new_status = 'Resolved' THEN at
                           WHEN new_status = 'Closed' THEN resolved_at END,
        closed_at = CASE WHEN new_status = 'Closed' THEN at END,
        resolution_notes = CASE WHEN notes IS NOT NULL THEN notes
                                WHEN new_status IN ('New', 'Assigned') AND t.status IN ('Resolved', 'Closed')
                                THEN NULL ELSE resolution_notes END
    WHERE id = t.id
    RETURNING * INTO t;
    RETURN t;
END
$$;

-- A user tickets may be assigned to: exists, active, IT_Staff or Admin.
CREATE FUNCTION helpdesk.assignable_user(user_id int, role_message text DEFAULT 'Assignee must be IT Staff or Admin')
RETURNS helpdesk.users
LANGUAGE plpgsql
AS $$
DECLARE
    u helpdesk.users;
BEGIN
    SELECT * INTO u FROM helpdesk.users WHERE id = user_id FOR KEY SHARE;
    IF NOT FOUND THEN
        PERFORM helpdesk.http_error(400, 'Assignee not found');
    END IF;
    IF u.role NOT IN ('IT_Staff', 'Admin') THEN
        PERFORM helpdesk.http_error(400, role_message);
    END IF;
    IF NOT u.is_active THEN
        PERFORM helpdesk.http_error(400, 'Assignee is not active');
    END IF;
    RETURN u;
END
$$;

-- A new ticket, status New, submitted by `submitter`, due per the SLA rule of its priority.
CREATE FUNCTION helpdesk.ticket_create(submitter helpdesk.users, title text, description text,
                                       category_id int, priority helpdesk.ticket_priority DEFAULT 'Medium',
                                       at timestamptz DEFAULT now())
RETURNS helpdesk.tickets
LANGUAGE plpgsql
AS $$
DECLARE
    t helpdesk.tickets;
BEGIN
    PERFORM helpdesk.category_usable(category_id);
    priority := coalesce(priority, 'Medium');
    -- due_date and response_due_at come from the SLA clocks (sql/55_sla_clock.sql)
    INSERT INTO helpdesk.tickets (ticket_number, title, description, category_id, priority, status,
                                  submitter_id, created_at, updated_at)
    VALUES (helpdesk.next_ticket_number(at, helpdesk.setting('ticket_number_time_zone', NULL)),
            title, description, category_id, priority, 'New', submitter.id, at, at)
    RETURNING * INTO t;
    RETURN t;
END
$$;

-- PATCH: the given fields (NULL = unchanged). Staff may change anything; an Employee only their
-- own ticket while New or Assigned, and never its status, priority or assignee (403 when the
-- value would change; an unchanged value is let through, the reference's client always sends
-- priority). A status change goes through ticket_transition; a priority change recomputes
-- the due date.
CREATE FUNCTION helpdesk.ticket_update(ticket_id int, actor helpdesk.users,
                                       new_title text DEFAULT NULL, new_description text DEFAULT NULL,
                                       new_category_id int DEFAULT NULL,
                                       new_priority helpdesk.ticket_priority DEFAULT NULL,
                                       new_status helpdesk.ticket_status DEFAULT NULL,
                                       new_assignee_id int DEFAULT NULL,
                                       at timestamptz DEFAULT now())
RETURNS helpdesk.tickets
LANGUAGE plpgsql
AS $$
DECLARE
    t helpdesk.tickets := helpdesk.ticket_for_action(actor, ticket_id, 'You do not have permission to update this ticket');
BEGIN
    IF actor.role = 'Employee' THEN
        IF t.status NOT IN ('New', 'Assigned') THEN
            PERFORM helpdesk.http_error(403, 'You can only update your tickets while they are New or Assigned');
        END IF;
        IF new_status IS DISTINCT FROM t.status AND new_status IS NOT NULL THEN
            PERFORM helpdesk.http_error(403, 'You do not have permission to change the status of this ticket');
        END IF;
        IF new_priority IS DISTINCT FROM t.priority AND new_priority IS NOT NULL THEN
            PERFORM helpdesk.http_error(403, 'You do not have permission to change the priority of this ticket');
        END IF;
        IF new_assignee_id IS DISTINCT FROM t.assignee_id AND new_assignee_id IS NOT NULL THEN
            PERFORM helpdesk.http_error(403, 'You do not have permission to assign this ticket');
        END IF;
    END IF;
    IF new_category_id IS NOT NULL AND new_category_id <> t.category_id THEN
        PERFORM helpdesk.category_usable(new_category_id);
    END IF;
    IF new_assignee_id IS NOT NULL AND new_assignee_id IS DISTINCT FROM t.assignee_id THEN
        PERFORM helpdesk.assignable_user(new_assignee_id);
    END IF;
    UPDATE helpdesk.tickets SET
        title = coalesce(new_title, title),
        description = coalesce(new_description, description),
        category_id = coalesce(new_category_id, category_id),
        priority = coalesce(new_priority, priority),
        assignee_id = coalesce(new_assignee_id, assignee_id)
    WHERE id = t.id
    RETURNING * INTO t;
    IF new_status IS NOT NULL AND new_status <> t.status THEN
        t := helpdesk.ticket_transition(t.id, new_status, actor, at);
    END IF;
    RETURN t;
END
$$;

-- Assign: staff only, to an active IT_Staff or Admin, while New, Assigned or In Progress; the
-- ticket becomes Assigned.
CREATE FUNCTION helpdesk.ticket_assign(ticket_id int, assignee_id int, actor helpdesk.users,
                                       at timestamptz DEFAULT now(),
                                       role_message text DEFAULT 'Assignee must be IT Staff or Admin')
RETURNS helpdesk.tickets
LANGUAGE plpgsql
AS $$
DECLARE
    t helpdesk.tickets;
BEGIN
    PERFORM helpdesk.require_role(actor, 'IT_Staff', 'Admin');
    t := helpdesk.visible_ticket(actor, ticket_id, true);
    PERFORM helpdesk.assignable_user(assignee_id, role_message);
    IF t.status NOT IN ('New', 'Assigned', 'In Progress') THEN
        PERFORM helpdesk.http_error(400, format('Cannot assign a ticket with status %s', t.status));
    END IF;
    IF t.status = 'Assigned' THEN
        UPDATE helpdesk.tickets SET assignee_id = ticket_assign.assignee_id WHERE id = t.id RETURNING * INTO t;
        RETURN t;
    END IF;
    RETURN helpdesk.ticket_transition(t.id, 'Assigned', actor, at, new_assignee_id => ticket_assign.assignee_id);
END
$$;

-- Start progress: only the assignee, only from Assigned.
CREATE FUNCTION helpdesk.ticket_start_progress(ticket_id int, actor helpdesk.users, at timestamptz DEFAULT now())
RETURNS helpdesk.tickets
LANGUAGE plpgsql
AS $$
DECLARE
    t helpdesk.tickets;
BEGIN
    PERFORM helpdesk.require_role(actor, 'IT_Staff', 'Admin');
    t := helpdesk.visible_ticket(actor, ticket_id, true);
    IF t.assignee_id IS DISTINCT FROM actor.id THEN
        PERFORM helpdesk.http_error(403, 'Only the assigned user can start progress on this ticket');
    END IF;
    IF t.status <> 'Assigned' THEN
        PERFORM helpdesk.http_error(400, format('Cannot start progress on a ticket with status %s', t.status));
    END IF;
    RETURN helpdesk.ticket_transition(t.id, 'In Progress', actor, at);
END
$$;

-- Resolve: only the assignee, from In Progress or Pending, with resolution notes.
CREATE FUNCTION helpdesk.ticket_resolve(ticket_id int, resolution_notes text, actor helpdesk.users,
                                        at timestamptz DEFAULT now())
RETURNS helpdesk.tickets
LANGUAGE plpgsql
AS $$
DECLARE
    t helpdesk.tickets;
BEGIN
    PERFORM helpdesk.require_role(actor, 'IT_Staff', 'Admin');
    t := helpdesk.visible_ticket(actor, ticket_id, true);
    IF t.assignee_id IS DISTINCT FROM actor.id THEN
        PERFORM helpdesk.http_error(403, 'Only the assigned user can resolve this ticket');
    END IF;
    IF t.status NOT IN ('In Progress', 'Pending') THEN
        PERFORM helpdesk.http_error(400, format('Cannot resolve a ticket with status %s', t.status));
    END IF;
    RETURN helpdesk.ticket_transition(t.id, 'Resolved', actor, at, notes => resolution_notes);
END
$$;

-- Close: an Admin from Resolved, In Progress or Pending; anyone else (IT_Staff included) only
-- as the submitter, from Resolved.
CREATE FUNCTION helpdesk.ticket_close(ticket_id int, actor helpdesk.users, at timestamptz DEFAULT now())
RETURNS helpdesk.tickets
LANGUAGE plpgsql
AS $$
DECLARE
    t helpdesk.tickets := helpdesk.ticket_for_action(actor, ticket_id, 'You do not have permission to close this ticket');
BEGIN
    IF actor.role = 'Admin' THEN
        IF t.status NOT IN ('Resolved', 'In Progress', 'Pending') THEN
            PERFORM helpdesk.http_error(400, format('Cannot close a ticket with status %s', t.status));
        END IF;
    ELSE
        IF t.submitter_id <> actor.id THEN
            PERFORM helpdesk.http_error(403, 'You do not have permission to close this ticket');
        END IF;
        IF t.status <> 'Resolved' THEN
            PERFORM helpdesk.http_error(400, 'Only resolved tickets can be closed');
        END IF;
    END IF;
    RETURN helpdesk.ticket_transition(t.id, 'Closed', actor, at);
END
$$;

-- Reopen: a Resolved or Closed ticket goes back to New, without its resolution; assignee and
-- due date stay.
CREATE FUNCTION helpdesk.ticket_reopen(ticket_id int, actor helpdesk.users, at timestamptz DEFAULT now())
RETURNS helpdesk.tickets
LANGUAGE plpgsql
AS $$
DECLARE
    t helpdesk.tickets := helpdesk.ticket_for_action(actor, ticket_id, 'You do not have permission to reopen this ticket');
BEGIN
    IF t.status NOT IN ('Resolved', 'Closed') THEN
        PERFORM helpdesk.http_error(400, 'Only resolved or closed tickets can be reopened');
    END IF;
    t := helpdesk.ticket_transition(t.id, 'New', actor, at, reopen => true);
    -- ticket_transition clears the resolution on the way back to New
    RETURN t;
END
$$;

-- Rate: the submitter, once, when the ticket is Resolved or Closed.
CREATE FUNCTION helpdesk.ticket_rate(ticket_id int, rating int, feedback text, actor helpdesk.users)
RETURNS helpdesk.tickets
LANGUAGE plpgsql
AS $$
DECLARE
    t helpdesk.tickets := helpdesk.ticket_for_action(actor, ticket_id, 'You do not have permission to rate this ticket');
BEGIN
    IF t.submitter_id <> actor.id THEN
        PERFORM helpdesk.http_error(403, 'You do not have permission to rate this ticket');
    END IF;
    IF t.status NOT IN ('Resolved', 'Closed') THEN
        PERFORM helpdesk.http_error(400, 'Only resolved or closed tickets can be rated');
    END IF;
    IF t.satisfaction_rating IS NOT NULL THEN
        PERFORM helpdesk.http_error(409, 'Ticket has already been rated');
    END IF;
    IF rating IS NULL OR rating NOT BETWEEN 1 AND 5 THEN
        PERFORM helpdesk.validation_error('rating must not be less than 1', 'rating must not be greater than 5');
    END IF;
    UPDATE helpdesk.tickets SET satisfaction_rating = rating, satisfaction_comment = feedback
    WHERE id = t.id RETURNING * INTO t;
    RETURN t;
END
$$;

-- Hard delete (Admin); comments, attachments, history, notifications go with it.
CREATE FUNCTION helpdesk.ticket_delete(ticket_id int, actor helpdesk.users)
RETURNS void
LANGUAGE plpgsql
AS $$
DECLARE
    t helpdesk.tickets;
BEGIN
    PERFORM helpdesk.require_role(actor, 'Admin');
    t := helpdesk.visible_ticket(actor, ticket_id, true);
    DELETE FROM helpdesk.tickets WHERE id = t.id;
END
$$;

-- The submitter / assignee include of a ticket (detail adds the department).
CREATE FUNCTION helpdesk.ticket_user_json(u helpdesk.users, detail boolean)
RETURNS jsonb
LANGUAGE sql STABLE
AS $$
    SELECT CASE WHEN detail
                THEN jsonb_build_object('id', u.id, 'username', u.username, 'fullName', u.full_name,
                                        'email', u.email, 'department', u.department)
                ELSE jsonb_build_object('id', u.id, 'username', u.username, 'fullName', u.full_name,
                                        'email', u.email)
           END
$$;

-- The ticket JSON of the API: the reference's columns, satisfactionFeedback (= satisfactionComment),
-- slaBreached, and the includes of the list shape (detail = false) or the detail shape.
-- Built from the ticket and its joined rows with no subquery, so the planner inlines it into a
-- list's query (a function with subqueries is called row by row instead, ~4x slower).
CREATE FUNCTION helpdesk.ticket_json_of(t helpdesk.tickets, submitter helpdesk.users, assignee helpdesk.users,
                                        c helpdesk.categories, detail boolean, at timestamptz)
RETURNS jsonb
LANGUAGE sql STABLE
AS $$
    SELECT jsonb_build_object(
        'id', t.id, 'ticketNumber', t.ticket_number, 'title', t.title, 'description', t.description,
        'categoryId', t.category_id, 'priority', t.priority, 'status', t.status,
        'submitterId', t.submitter_id, 'assigneeId', t.assignee_id,
        'dueDate', helpdesk.iso(t.due_date), 'resolvedAt', helpdesk.iso(t.resolved_at),
        'closedAt', helpdesk.iso(t.closed_at), 'satisfactionRating', t.satisfaction_rating,
        'satisfactionComment', t.satisfaction_comment, 'satisfactionFeedback', t.satisfaction_comment,
        'resolutionNotes', t.resolution_notes,
        'createdAt', helpdesk.iso(t.created_at), 'updatedAt', helpdesk.iso(t.updated_at),
        'slaBreached', helpdesk.ticket_sla_breached(t.status, t.due_date, t.resolved_at, t.closed_at, at),
        'submitter', CASE WHEN submitter.id IS NOT NULL THEN helpdesk.ticket_user_json(submitter, detail) END,
        'assignee', CASE WHEN assignee.id IS NOT NULL THEN helpdesk.ticket_user_json(assignee, detail) END,
        'category', CASE WHEN c.id IS NULL THEN NULL
                         WHEN detail THEN jsonb_build_object('id', c.id, 'name', c.name, 'description', c.description,
                                                             'icon', c.icon, 'color', c.color)
                         ELSE jsonb_build_object('id', c.id, 'name', c.name, 'icon', c.icon, 'color', c.color)
                    END)
$$;

-- The ticket JSON of one ticket (detail responses).
CREATE FUNCTION helpdesk.ticket_json(t helpdesk.tickets, detail boolean DEFAULT true, at timestamptz DEFAULT now())
RETURNS jsonb
LANGUAGE sql STABLE
AS $$
    SELECT helpdesk.ticket_json_of(t, s, a, c, detail, at)
    FROM (SELECT) one
    LEFT JOIN helpdesk.users s ON s.id = t.submitter_id
    LEFT JOIN helpdesk.users a ON a.id = t.assignee_id
    LEFT JOIN helpdesk.categories c ON c.id = t.category_id
$$;
