-- 01_request, 1.0 to 1.1: the request context carries the request id (application_name), so the
-- function is dropped and created with its new argument list (extension/request_context.h).

DROP FUNCTION helpdesk_api.request_context(text, text, text, text, text);

-- The per-request settings of helpdesk-http (docs/REQUEST-CONTRACT.md), set in the FROM clause
-- of the route's statement. Not a route: no SECURITY DEFINER and no SET clause (99_finalize
-- leaves it alone), since a SET clause would undo the settings when the function returns.
CREATE FUNCTION helpdesk_api.request_context(actor_id text, token_iat text, client_ip text,
                                             user_agent text, read_only text, application_name text)
RETURNS void
AS 'MODULE_PATHNAME', 'helpdesk_request_context'
LANGUAGE C VOLATILE;

-- paginated: STABLE, so that it is inlined (an IMMUTABLE function whose body is STABLE never is).
CREATE OR REPLACE FUNCTION helpdesk.paginated(key text, items jsonb, total bigint, page int, page_size int)
RETURNS jsonb
LANGUAGE sql STABLE
AS $$
    SELECT jsonb_build_object(key, coalesce(items, '[]'::jsonb), 'total', total, 'page', page,
                              'totalPages', ceil(total::numeric / page_size)::int)
$$;

-- paginated with totalIsEstimate, built at once (new in 1.1).
CREATE FUNCTION helpdesk.paginated(key text, items jsonb, total bigint, page int, page_size int,
                                   total_is_estimate boolean)
RETURNS jsonb
LANGUAGE sql STABLE
AS $$
    SELECT jsonb_build_object(key, coalesce(items, '[]'::jsonb), 'total', total, 'page', page,
                              'totalPages', ceil(total::numeric / page_size)::int,
                              'totalIsEstimate', total_is_estimate)
$$;
