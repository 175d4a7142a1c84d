-- 32_comments: comments on tickets (public, internal, system) and who may do what with them.
--
-- Rules (reference §3.2, with API.md's security fixes):
-- - Comments follow their ticket's visibility (helpdesk.visible_ticket).
-- - Internal comments never reach an Employee: not in lists, not in stats, not by id (404, as if
--   it did not exist), not in history, not in notifications.
-- - Employees comment only on their own tickets and only publicly; staff may use any type.
-- - Edit: author only, never a system comment, within 15 minutes of creation.
-- - Delete: author or Admin, never a system comment; soft delete, deleted comments are gone
--   everywhere.
-- Domain functions take the acting user row and, where time matters, the clock (`at`).

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

CREATE TRIGGER comments_90_touch BEFORE UPDATE ON helpdesk.comments
    FOR EACH ROW EXECUTE FUNCTION helpdesk.touch_updated_at();

SELECT pg_catalog.pg_extension_config_dump('helpdesk.comments', '');

SELECT pg_catalog.pg_extension_config_dump('helpdesk.comments_id_seq', '');

-- The comment JSON of the reference (deleted_at never shown).
CREATE FUNCTION helpdesk.comment_json(c helpdesk.comments)
RETURNS jsonb
LANGUAGE sql STABLE
AS $$
    SELECT jsonb_build_object(
        'id', c.id, 'ticketId', c.ticket_id, 'userId', c.user_id, 'content', c.content,
        'type', c.type, 'isEdited', c.is_edited, 'editedAt', helpdesk.iso(c.edited_at),
        'metadata', c.metadata, 'createdAt', helpdesk.iso(c.created_at),
        'updatedAt', helpdesk.iso(c.updated_at))
$$;

-- The author include of comment JSON: {id, username, fullName, email, avatarUrl}.
CREATE FUNCTION helpdesk.comment_author_json(user_id int)
RETURNS jsonb
LANGUAGE sql STABLE
AS $$
    SELECT jsonb_build_object('id', u.id, 'username', u.username, 'fullName', u.full_name,
                              'email', u.email, 'avatarUrl', u.avatar_url)
    FROM helpdesk.users u WHERE u.id = user_id
$$;

-- Whether `actor` may see comments of type `type` (on a ticket they may see).
CREATE FUNCTION helpdesk.comment_type_visible(actor helpdesk.users, type helpdesk.comment_type)
RETURNS boolean
LANGUAGE sql STABLE
AS $$ SELECT type <> 'internal' OR helpdesk.is_staff(actor) $$;

-- A live comment `actor` may see: 404 when missing, deleted, or internal for an Employee;
-- 403 when its ticket is not theirs.
CREATE FUNCTION helpdesk.visible_comment(actor helpdesk.users, comment_id int,
                                         for_update boolean DEFAULT false)
RETURNS helpdesk.comments
LANGUAGE plpgsql
AS $$
DECLARE
    c helpdesk.comments;
BEGIN
    IF for_update THEN
        SELECT * INTO c FROM helpdesk.comments WHERE id = comment_id AND deleted_at IS NULL FOR UPDATE;
    ELSE
        SELECT * INTO c FROM helpdesk.comments WHERE id = comment_id AND deleted_at IS NULL;
    END IF;
    IF NOT FOUND OR NOT helpdesk.comment_type_visible(actor, c.type) THEN
        PERFORM helpdesk.http_error(404, format('Comment with ID %s not found', comment_id));
    END IF;
    IF NOT helpdesk.is_staff(actor)
       AND NOT EXISTS (SELECT FROM helpdesk.tickets t WHERE t.id = c.ticket_id AND t.submitter_id = actor.id) THEN
        PERFORM helpdesk.http_error(403, 'You do not have permission to view this comment');
    END IF;
    RETURN c;
END
$$;

-- Add a comment to a ticket as `actor`.
CREATE FUNCTION helpdesk.comment_create(actor helpdesk.users, ticket_id int, content text,
                                        type helpdesk.comment_type DEFAULT 'public',
                                        at timestamptz DEFAULT now())
RETURNS helpdesk.comments
LANGUAGE plpgsql
AS $$
DECLARE
    t helpdesk.tickets;
    c helpdesk.comments;
BEGIN
    SELECT * INTO t FROM helpdesk.tickets WHERE id = comment_create.ticket_id;
    IF NOT FOUND THEN
        PERFORM helpdesk.http_error(404, format('Ticket with ID %s not found', comment_create.ticket_id));
    END IF;
    IF NOT helpdesk.is_staff(actor) THEN
        IF t.submitter_id <> actor.id THEN
            PERFORM helpdesk.http_error(403, 'You can only comment on your own tickets');
        END IF;
        IF coalesce(type, 'public') <> 'public' THEN
            PERFORM helpdesk.http_error(403, 'You can only create public comments');
        END IF;
    END IF;
    IF content IS NULL OR btrim(content) = '' THEN
        PERFORM helpdesk.validation_error('content should not be empty');
    END IF;
    IF length(content) > 5000 THEN
        PERFORM helpdesk.validation_error('content must be shorter than or equal to 5000 characters');
    END IF;
    INSERT INTO helpdesk.comments (ticket_id, user_id, content, type, created_at, updated_at)
    VALUES (t.id, actor.id, content, coalesce(type, 'public'), at, at)
    RETURNING * INTO c;
    RETURN c;
END
$$;

-- Edit a comment's text: the author only, never a system comment, within 15 minutes.
CREATE FUNCTION helpdesk.comment_update(actor helpdesk.users, comment_id int, content text,
                                        at timestamptz DEFAULT now())
RETURNS helpdesk.comments
LANGUAGE plpgsql
AS $$
DECLARE
    c helpdesk.comments := helpdesk.visible_comment(actor, comment_id, true);
BEGIN
    IF c.user_id <> actor.id THEN
        PERFORM helpdesk.http_error(403, 'You can only edit your own comments');
    END IF;
    IF c.type = 'system' THEN
        PERFORM helpdesk.http_error(403, 'System comments cannot be edited');
    END IF;
    IF at > c.created_at + interval '15 minutes' THEN
        PERFORM helpdesk.http_error(400, 'Comments can only be edited within 15 minutes of creation');
    END IF;
    IF content IS NULL OR btrim(content) = '' THEN
        PERFORM helpdesk.validation_error('content should not be empty');
    END IF;
    IF length(content) > 5000 THEN
        PERFORM helpdesk.validation_error('content must be shorter than or equal to 5000 characters');
    END IF;
    UPDATE helpdesk.comments
    SET content = comment_update.content, is_edited = true, edited_at = at
    WHERE id = c.id
    RETURNING * INTO c;
    RETURN c;
END
$$;

-- Soft-delete a comment: its author or an Admin, never a system comment.
CREATE FUNCTION helpdesk.comment_delete(actor helpdesk.users, comment_id int,
                                        at timestamptz DEFAULT now())
RETURNS void
LANGUAGE plpgsql
AS $$
DECLARE
    c helpdesk.comments := helpdesk.visible_comment(actor, comment_id, true);
BEGIN
    IF c.user_id <> actor.id AND actor.role <> 'Admin' THEN
        PERFORM helpdesk.http_error(403, 'You do not have permission to delete this comment');
    END IF;
    IF c.type = 'system' THEN
        PERFORM helpdesk.http_error(403, 'System comments cannot be deleted');
    END IF;
    UPDATE helpdesk.comments SET deleted_at = at WHERE id = c.id;
END
$$;

-- The live comments of a ticket `actor` may see, oldest first.
CREATE FUNCTION helpdesk.ticket_comments(actor helpdesk.users, ticket_id int)
RETURNS SETOF helpdesk.comments
LANGUAGE plpgsql STABLE
AS $$
DECLARE
    t helpdesk.tickets;
BEGIN
    SELECT * INTO t FROM helpdesk.tickets WHERE id = ticket_comments.ticket_id;
    IF NOT FOUND THEN
        PERFORM helpdesk.http_error(404, format('Ticket with ID %s not found', ticket_comments.ticket_id));
    END IF;
    IF NOT helpdesk.is_staff(actor) AND t.submitter_id <> actor.id THEN
        PERFORM helpdesk.http_error(403, 'You can only view comments on your own tickets');
    END IF;
    RETURN QUERY
        SELECT c.* FROM helpdesk.comments c
        WHERE c.ticket_id = t.id AND c.deleted_at IS NULL
          AND helpdesk.comment_type_visible(actor, c.type)
        ORDER BY c.created_at, c.id;
END
$$;

-- The ticket include of comment JSON.
CREATE FUNCTION helpdesk.comment_ticket_json(ticket_id int, with_submitter boolean DEFAULT true)
RETURNS jsonb
LANGUAGE sql STABLE
AS $$
    SELECT jsonb_build_object('id', t.id, 'ticketNumber', t.ticket_number, 'title', t.title)
           || CASE WHEN with_submitter THEN jsonb_build_object('submitterId', t.submitter_id)
                   ELSE '{}'::jsonb END
    FROM helpdesk.tickets t WHERE t.id = ticket_id
$$;

-- A comment with its author and ticket.
CREATE FUNCTION helpdesk.comment_full_json(c helpdesk.comments)
RETURNS jsonb
LANGUAGE sql STABLE
AS $$
    SELECT helpdesk.comment_json(c)
           || jsonb_build_object('user', helpdesk.comment_author_json(c.user_id),
                                 'ticket', helpdesk.comment_ticket_json(c.ticket_id))
$$;

-- The actor's 20 most recent live comments that they may still see, with their ticket.
CREATE FUNCTION helpdesk.comments_of_actor(actor helpdesk.users, max_items int DEFAULT 20)
RETURNS jsonb
LANGUAGE sql STABLE
AS $$
    SELECT coalesce(jsonb_agg(helpdesk.comment_json(c)
                              || jsonb_build_object('ticket', helpdesk.comment_ticket_json(c.ticket_id, false))
                              ORDER BY c.created_at DESC, c.id DESC), '[]')
    FROM (SELECT c.* FROM helpdesk.comments c
          JOIN helpdesk.tickets t ON t.id = c.ticket_id
          WHERE c.user_id = actor.id AND c.deleted_at IS NULL
            AND helpdesk.comment_type_visible(actor, c.type)
            AND (helpdesk.is_staff(actor) OR t.submitter_id = actor.id)
          ORDER BY c.created_at DESC, c.id DESC
          LIMIT max_items) c
$$;
