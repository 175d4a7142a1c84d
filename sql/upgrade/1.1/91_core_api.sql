-- 91_core_api, 1.0 to 1.1: readiness (GET /health/ready) and the database's part of /metrics.

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

