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

-- GET /api/v1/health/ready: readiness for a load balancer or an orchestrator (sql/90_ops.sql
-- decides): 200 with the checks, or 503 naming each problem. /health stays the cheap liveness
-- probe.
CREATE FUNCTION helpdesk_api.health_ready(req jsonb)
RETURNS jsonb
LANGUAGE plpgsql STABLE
AS $$
DECLARE
    r jsonb := helpdesk.readiness(pg_catalog.clock_timestamp());
BEGIN
    IF NOT (r ->> 'ready')::boolean THEN
        PERFORM helpdesk.http_error(503, 'Not ready: ' || array_to_string(ARRAY(SELECT jsonb_array_elements_text(r -> 'problems')), '; '),
                                    ARRAY(SELECT jsonb_array_elements_text(r -> 'problems')));
    END IF;
    RETURN r;
END
$$;

-- helpdesk-http's GET /metrics (on METRICS_LISTEN, not a route of the public port): the
-- database's part, one call per scrape.
CREATE FUNCTION helpdesk_api.metrics(req jsonb)
RETURNS jsonb
LANGUAGE plpgsql STABLE
AS $$
BEGIN
    RETURN helpdesk.metrics(pg_catalog.clock_timestamp());
END
$$;
