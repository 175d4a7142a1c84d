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

-- paginated: one function in C (extension/paginated.c: the items' array copied in, not encoded
-- again) with an optional totalIsEstimate (left out when NULL). 1.0's five-argument function is
-- dropped: beside the new one, a five-argument call would be ambiguous.
DROP FUNCTION helpdesk.paginated(text, jsonb, bigint, int, int);
CREATE FUNCTION helpdesk.paginated(key text, items jsonb, total bigint, page int, page_size int,
                                   total_is_estimate boolean DEFAULT NULL)
RETURNS jsonb
LANGUAGE c IMMUTABLE PARALLEL SAFE
AS 'MODULE_PATHNAME', 'helpdesk_paginated';

-- Query parameters (perf2): query_int, query_bool and query_enum(anyenum) become inlinable SQL
-- that calls their PL/pgSQL checks (new: *_given) only for a parameter that is present.

-- query_int of a parameter that is present (query_int below).
CREATE FUNCTION helpdesk.query_int_given(req jsonb, key text, fallback int DEFAULT NULL,
                                         min_value int DEFAULT NULL, max_value int DEFAULT NULL)
RETURNS int
LANGUAGE plpgsql IMMUTABLE
AS $$
DECLARE
    s text := nullif(btrim(req -> 'query' ->> key), '');
    n bigint;
BEGIN
    IF s IS NULL THEN
        RETURN fallback;
    END IF;
    IF s !~ '^-?[0-9]{1,10}$' THEN
        PERFORM helpdesk.validation_error(key || ' must be an integer number');
    END IF;
    n := s::bigint;
    IF min_value IS NOT NULL AND n < min_value THEN
        PERFORM helpdesk.validation_error(format('%s must not be less than %s', key, min_value));
    END IF;
    IF max_value IS NOT NULL AND n > max_value THEN
        PERFORM helpdesk.validation_error(format('%s must not be greater than %s', key, max_value));
    END IF;
    IF n NOT BETWEEN -2147483648 AND 2147483647 THEN
        PERFORM helpdesk.validation_error(key || ' must be an integer number');
    END IF;
    RETURN n::int;
END
$$;

-- An integer query parameter: `fallback` when absent, 400 when not a number or out of range.
-- SQL, inlined into the route: an absent parameter (most of a list's filters) or a plain number
-- in range costs no PL/pgSQL call, which set up its pinned search_path and its expressions on
-- every request; anything else goes to query_int_given (its answer or its 400).
CREATE OR REPLACE FUNCTION helpdesk.query_int(req jsonb, key text, fallback int DEFAULT NULL,
                                   min_value int DEFAULT NULL, max_value int DEFAULT NULL)
RETURNS int
LANGUAGE sql IMMUTABLE
AS $$
    SELECT CASE WHEN nullif(btrim(req -> 'query' ->> key), '') IS NULL THEN fallback
                -- digits in range (page=1, limit=20): no PL/pgSQL call either
                WHEN btrim(req -> 'query' ->> key) ~ '^[0-9]{1,9}$'
                     AND btrim(req -> 'query' ->> key)::int >= coalesce(min_value, 0)
                     AND btrim(req -> 'query' ->> key)::int <= coalesce(max_value, 999999999)
                THEN btrim(req -> 'query' ->> key)::int
                ELSE helpdesk.query_int_given(req, key, fallback, min_value, max_value) END
$$;

-- query_bool of a parameter that is present (query_bool below).
CREATE FUNCTION helpdesk.query_bool_given(req jsonb, key text)
RETURNS boolean
LANGUAGE plpgsql IMMUTABLE
AS $$
DECLARE
    s text := lower(nullif(btrim(req -> 'query' ->> key), ''));
BEGIN
    IF s IS NULL THEN
        RETURN NULL;
    ELSIF s IN ('true', '1') THEN
        RETURN true;
    ELSIF s IN ('false', '0') THEN
        RETURN false;
    END IF;
    PERFORM helpdesk.validation_error(key || ' must be a boolean value');
    RETURN NULL;
END
$$;

-- A boolean query parameter: 'true' / 'false' (NULL when absent); anything else is 400.
-- SQL, inlined: an absent parameter costs no PL/pgSQL call (query_int).
CREATE OR REPLACE FUNCTION helpdesk.query_bool(req jsonb, key text)
RETURNS boolean
LANGUAGE sql IMMUTABLE
AS $$
    SELECT CASE WHEN nullif(btrim(req -> 'query' ->> key), '') IS NOT NULL THEN helpdesk.query_bool_given(req, key) END
$$;

-- query_enum of a parameter that is present (query_enum below).
CREATE FUNCTION helpdesk.query_enum_given(req jsonb, key text, of_type anyenum)
RETURNS anyenum
LANGUAGE plpgsql IMMUTABLE
AS $$
BEGIN
    RETURN helpdesk.query_enum(req, key, pg_catalog.enum_range(of_type)::text[]);
END
$$;

-- A query parameter that must be a label of an enum type (NULL when absent), as that type.
-- SQL, inlined: an absent parameter costs no PL/pgSQL call (query_int).
CREATE OR REPLACE FUNCTION helpdesk.query_enum(req jsonb, key text, of_type anyenum)
RETURNS anyenum
LANGUAGE sql IMMUTABLE
AS $$
    SELECT CASE WHEN nullif(req -> 'query' ->> key, '') IS NOT NULL THEN helpdesk.query_enum_given(req, key, of_type) END
$$;

-- The list routes (listc): a valid sortOrder without a PL/pgSQL call.
-- query_sort_order of a request (query_sort_order below): the answer or the 400.
CREATE FUNCTION helpdesk.query_sort_order_given(req jsonb)
RETURNS text
LANGUAGE plpgsql IMMUTABLE
AS $$
DECLARE
    s text := upper(coalesce(nullif(req -> 'query' ->> 'sortOrder', ''), 'DESC'));
BEGIN
    IF s NOT IN ('ASC', 'DESC') THEN
        PERFORM helpdesk.validation_error('sortOrder must be one of the following values: ASC, DESC');
    END IF;
    RETURN s;
END
$$;

-- sortOrder: ASC or DESC (default DESC), case-insensitive. SQL, inlined: a valid value costs no
-- PL/pgSQL call (query_int).
CREATE OR REPLACE FUNCTION helpdesk.query_sort_order(req jsonb)
RETURNS text
LANGUAGE sql IMMUTABLE
AS $$
    SELECT CASE WHEN upper(coalesce(nullif(req -> 'query' ->> 'sortOrder', ''), 'DESC')) IN ('ASC', 'DESC')
                THEN upper(coalesce(nullif(req -> 'query' ->> 'sortOrder', ''), 'DESC'))
                ELSE helpdesk.query_sort_order_given(req) END
$$;
