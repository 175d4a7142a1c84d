-- 91_core_api: the routes that belong to no module: the API root, health, docs. (GET /auth/me:
-- sql/13_auth_api.sql)

-- GET /api/v1/
CREATE FUNCTION helpdesk_api.root(req jsonb)
RETURNS jsonb
LANGUAGE plpgsql STABLE
AS $$
BEGIN
    RETURN (SELECT jsonb_build_object(
                'message', 'Ticket Management System API',
                'version', (SELECT extversion FROM pg_catalog.pg_extension WHERE extname = 'helpdesk'),
                'status', 'running',
                'timestamp', helpdesk.iso(pg_catalog.clock_timestamp())));
END
$$;

-- GET /api/v1/health: reaching this function is the database probe; it also reports whether
-- this server accepts writes (a standby answers too, read-only).
CREATE FUNCTION helpdesk_api.health(req jsonb)
RETURNS jsonb
LANGUAGE plpgsql STABLE
AS $$
BEGIN
    RETURN (SELECT jsonb_build_object(
                'status', 'ok',
                'database', 'connected',
                'readOnly', pg_catalog.pg_is_in_recovery(),
                'uptime', round(extract(epoch FROM pg_catalog.clock_timestamp() - pg_catalog.pg_postmaster_start_time()), 3),
                'timestamp', helpdesk.iso(pg_catalog.clock_timestamp())));
END
$$;

-- GET /api/v1/docs
CREATE FUNCTION helpdesk_api.docs(req jsonb)
RETURNS jsonb
LANGUAGE plpgsql IMMUTABLE
AS $$
BEGIN
    RETURN (SELECT jsonb_build_object(
                'message', 'helpdesk REST API v1',
                'baseUrl', '/api/v1',
                'endpoints', jsonb_build_object(
                    'root', '/api/v1/', 'health', '/api/v1/health', 'docs', '/api/v1/docs',
                    'openapi', '/api/docs-json'),
                'modules', jsonb_build_object(
                    'auth', '/api/v1/auth', 'users', '/api/v1/users', 'categories', '/api/v1/categories',
                    'tickets', '/api/v1/tickets', 'comments', '/api/v1/comments',
                    'attachments', '/api/v1/attachments', 'ticketHistory', '/api/v1/ticket-history',
                    'sla', '/api/v1/sla', 'reports', '/api/v1/reports', 'knowledge', '/api/v1/knowledge',
                    'notifications', '/api/v1/notifications', 'chatbot', '/api/v1/chatbot')));
END
$$;
