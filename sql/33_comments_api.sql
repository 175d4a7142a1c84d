-- 33_comments_api: the comment routes (seed-system §2.6). The rules are in sql/32_comments.sql.

-- The ticket of the comment routes under /tickets/:ticketId (the http router wants one parameter
-- name per position, shared with the ticket routes; :id is accepted too should that name change).
CREATE FUNCTION helpdesk.comments_path_ticket(req jsonb)
RETURNS int
LANGUAGE sql IMMUTABLE
AS $$ SELECT coalesce(helpdesk.path_int(req, 'ticketId'), helpdesk.path_int(req, 'id')) $$;

-- POST /tickets/:ticketId/comments {content, type?}
CREATE FUNCTION helpdesk_api.comments_create(req jsonb)
RETURNS jsonb
LANGUAGE plpgsql
AS $$
DECLARE
    actor   helpdesk.users := helpdesk.current_actor();
    b       jsonb := helpdesk.body(req, 'content', 'type');
    content text := helpdesk.field_text(b, 'content', true, NULL, 5000);
    type    helpdesk.comment_type := helpdesk.field_enum(b, 'type', NULL::helpdesk.comment_type);
BEGIN
    RETURN helpdesk.comment_full_json(
        helpdesk.comment_create(actor, helpdesk.comments_path_ticket(req), content,
                                coalesce(type, 'public')));
END
$$;

-- GET /tickets/:ticketId/comments
CREATE FUNCTION helpdesk_api.comments_list(req jsonb)
RETURNS jsonb
LANGUAGE plpgsql STABLE
AS $$
DECLARE
    actor helpdesk.users := helpdesk.current_actor();
BEGIN
    RETURN (SELECT coalesce(jsonb_agg(helpdesk.comment_json(c)
                                      || jsonb_build_object('user', helpdesk.comment_author_json(c.user_id))
                                      ORDER BY c.created_at, c.id), '[]')
            FROM helpdesk.ticket_comments(actor, helpdesk.comments_path_ticket(req)) c);
END
$$;

-- GET /tickets/:ticketId/comments/stats: {total, public, internal, system} of what the caller
-- may see (an Employee's internal count is always 0).
CREATE FUNCTION helpdesk_api.comments_stats(req jsonb)
RETURNS jsonb
LANGUAGE plpgsql STABLE
AS $$
DECLARE
    actor helpdesk.users := helpdesk.current_actor();
BEGIN
    RETURN (SELECT jsonb_build_object(
                       'total', count(*),
                       'public', count(*) FILTER (WHERE c.type = 'public'),
                       'internal', count(*) FILTER (WHERE c.type = 'internal'),
                       'system', count(*) FILTER (WHERE c.type = 'system'))
            FROM helpdesk.ticket_comments(actor, helpdesk.comments_path_ticket(req)) c);
END
$$;

-- GET /comments/my-comments: the caller's 20 most recent live comments, with their ticket.
CREATE FUNCTION helpdesk_api.comments_my(req jsonb)
RETURNS jsonb
LANGUAGE plpgsql STABLE
AS $$
BEGIN
    RETURN helpdesk.comments_of_actor(helpdesk.current_actor());
END
$$;

-- GET /comments/:id
CREATE FUNCTION helpdesk_api.comments_get(req jsonb)
RETURNS jsonb
LANGUAGE plpgsql STABLE
AS $$
DECLARE
    actor helpdesk.users := helpdesk.current_actor();
BEGIN
    RETURN helpdesk.comment_full_json(helpdesk.visible_comment(actor, helpdesk.path_int(req)));
END
$$;

-- PATCH /comments/:id {content}
CREATE FUNCTION helpdesk_api.comments_update(req jsonb)
RETURNS jsonb
LANGUAGE plpgsql
AS $$
DECLARE
    actor   helpdesk.users := helpdesk.current_actor();
    b       jsonb := helpdesk.body(req, 'content');
    content text := helpdesk.field_text(b, 'content', true, NULL, 5000);
BEGIN
    RETURN helpdesk.comment_full_json(helpdesk.comment_update(actor, helpdesk.path_int(req), content));
END
$$;

-- DELETE /comments/:id
CREATE FUNCTION helpdesk_api.comments_delete(req jsonb)
RETURNS jsonb
LANGUAGE plpgsql
AS $$
DECLARE
    actor helpdesk.users := helpdesk.current_actor();
BEGIN
    PERFORM helpdesk.comment_delete(actor, helpdesk.path_int(req));
    RETURN jsonb_build_object('message', 'Comment deleted successfully');
END
$$;
