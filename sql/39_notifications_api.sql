-- 39_notifications_api: the notification routes (seed-system §2.15), every one scoped to the
-- caller, and the state read by the stream (GET /notifications/stream, http/sse.c). The rules
-- are in sql/38_notifications.sql. POST /notifications/test-email is the e-mail module's.

-- GET /notifications: the latest 50, newest first, each with its ticket {id, title, status}.
CREATE FUNCTION helpdesk_api.notifications_list(req jsonb)
RETURNS jsonb
LANGUAGE plpgsql STABLE
AS $$
BEGIN
    RETURN helpdesk.notifications_list(helpdesk.current_actor(), false, 50);
END
$$;

-- GET /notifications/unread: every unread one, newest first.
CREATE FUNCTION helpdesk_api.notifications_unread(req jsonb)
RETURNS jsonb
LANGUAGE plpgsql STABLE
AS $$
BEGIN
    RETURN helpdesk.notifications_list(helpdesk.current_actor(), true);
END
$$;

-- GET /notifications/unread/count: a bare number.
CREATE FUNCTION helpdesk_api.notifications_unread_count(req jsonb)
RETURNS jsonb
LANGUAGE plpgsql STABLE
AS $$
BEGIN
    RETURN to_jsonb(helpdesk.notifications_unread_count((helpdesk.current_actor()).id));
END
$$;

-- PATCH /notifications/:id/read: the notification, read.
CREATE FUNCTION helpdesk_api.notifications_mark_read(req jsonb)
RETURNS jsonb
LANGUAGE plpgsql
AS $$
BEGIN
    RETURN helpdesk.notification_mark_read(helpdesk.current_actor(), helpdesk.path_int(req, 'id'));
END
$$;

-- PATCH /notifications/read-all: {count}.
CREATE FUNCTION helpdesk_api.notifications_mark_all_read(req jsonb)
RETURNS jsonb
LANGUAGE plpgsql
AS $$
BEGIN
    RETURN jsonb_build_object('count', helpdesk.notifications_mark_all_read(helpdesk.current_actor()));
END
$$;

-- DELETE /notifications/:id: no data.
CREATE FUNCTION helpdesk_api.notifications_delete(req jsonb)
RETURNS jsonb
LANGUAGE plpgsql
AS $$
BEGIN
    PERFORM helpdesk.notification_delete(helpdesk.current_actor(), helpdesk.path_int(req, 'id'));
    RETURN NULL;
END
$$;

-- DELETE /notifications: {count}.
CREATE FUNCTION helpdesk_api.notifications_delete_all(req jsonb)
RETURNS jsonb
LANGUAGE plpgsql
AS $$
BEGIN
    RETURN jsonb_build_object('count', helpdesk.notifications_delete_all(helpdesk.current_actor()));
END
$$;

-- GET /notifications/stream: not called per request. The server's stream connection calls it
-- with {"subscribers": [{userId, iat, after, ...}, ...]} (the users and tokens it has verified)
-- and gets {"users": what each user sees now (helpdesk.notification_stream_state), "snapshot":
-- the snapshot it was read with, which the next call of these streams passes back}.
CREATE FUNCTION helpdesk_api.notifications_stream(req jsonb)
RETURNS jsonb
LANGUAGE plpgsql STABLE
AS $$
BEGIN
    RETURN jsonb_build_object('users', helpdesk.notification_stream_state(coalesce(req->'subscribers', '[]')),
                              'snapshot', pg_current_snapshot()::text);
END
$$;
