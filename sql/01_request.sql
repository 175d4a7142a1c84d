-- 01_request: the request as the route functions see it: its context (who asks, from where),
-- and its document {path, query, body, args} read with the reference's validation messages
-- (class-validator wording), so every route validates the same way (docs/REQUEST-CONTRACT.md).
--
-- Body fields: helpdesk.body() first (rejects unknown properties), then field_* per field.
-- Query strings: query_* (the reference ignores unknown query parameters, so do we).
-- Allowed values come from their enum type (field_enum/query_enum with NULL::<enum type>),
-- never from a list written out at the call site.

-- Raise 400 "Validation failed"-style: message = the details joined by ', ', details = the list.
CREATE FUNCTION helpdesk.validation_error(VARIADIC details text[])
RETURNS void
LANGUAGE plpgsql
AS $$
BEGIN
    PERFORM helpdesk.http_error(400, array_to_string(details, ', '), details);
END
$$;

-- The request body as an object ('{}' when absent), refusing properties not in `allowed`.
CREATE FUNCTION helpdesk.body(req jsonb, VARIADIC allowed text[])
RETURNS jsonb
LANGUAGE plpgsql STABLE
AS $$
DECLARE
    b       jsonb := req -> 'body';
    unknown text[];
BEGIN
    IF b IS NULL OR jsonb_typeof(b) = 'null' THEN
        RETURN '{}';
    END IF;
    IF jsonb_typeof(b) <> 'object' THEN
        PERFORM helpdesk.http_error(400, 'Request body must be a JSON object');
    END IF;
    SELECT array_agg(format('property %s should not exist', k) ORDER BY k) INTO unknown
    FROM jsonb_object_keys(b) AS k
    WHERE k <> ALL (allowed);
    IF unknown IS NOT NULL THEN
        PERFORM helpdesk.http_error(400, array_to_string(unknown, ', '), unknown);
    END IF;
    RETURN b;
END
$$;

-- A string field. NULL when absent (or JSON null) and not required.
CREATE FUNCTION helpdesk.field_text(obj jsonb, key text, required boolean DEFAULT false,
                                    min_len int DEFAULT NULL, max_len int DEFAULT NULL)
RETURNS text
LANGUAGE plpgsql STABLE
AS $$
DECLARE
    v jsonb := obj -> key;
    s text;
BEGIN
    IF v IS NULL OR jsonb_typeof(v) = 'null' THEN
        IF required THEN
            PERFORM helpdesk.validation_error(key || ' should not be empty', key || ' must be a string');
        END IF;
        RETURN NULL;
    END IF;
    IF jsonb_typeof(v) <> 'string' THEN
        PERFORM helpdesk.validation_error(key || ' must be a string');
    END IF;
    s := v #>> '{}';
    IF required AND btrim(s) = '' THEN
        PERFORM helpdesk.validation_error(key || ' should not be empty');
    END IF;
    IF min_len IS NOT NULL AND length(s) < min_len THEN
        PERFORM helpdesk.validation_error(format('%s must be longer than or equal to %s characters', key, min_len));
    END IF;
    IF max_len IS NOT NULL AND length(s) > max_len THEN
        PERFORM helpdesk.validation_error(format('%s must be shorter than or equal to %s characters', key, max_len));
    END IF;
    RETURN s;
END
$$;

-- An e-mail address field, lower-cased.
CREATE FUNCTION helpdesk.field_email(obj jsonb, key text, required boolean DEFAULT false)
RETURNS text
LANGUAGE plpgsql STABLE
AS $$
DECLARE
    s text := helpdesk.field_text(obj, key, required, NULL, 100);
BEGIN
    IF s IS NOT NULL AND s !~ '^[A-Za-z0-9.!#$%&''*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$' THEN
        PERFORM helpdesk.validation_error(key || ' must be an email');
    END IF;
    RETURN lower(s);
END
$$;

-- An integer field (a JSON number without fraction), optionally range-checked.
CREATE FUNCTION helpdesk.field_int(obj jsonb, key text, required boolean DEFAULT false,
                                   min_value bigint DEFAULT NULL, max_value bigint DEFAULT NULL)
RETURNS int
LANGUAGE plpgsql STABLE
AS $$
DECLARE
    v jsonb := obj -> key;
    n numeric;
BEGIN
    IF v IS NULL OR jsonb_typeof(v) = 'null' THEN
        IF required THEN
            PERFORM helpdesk.validation_error(key || ' should not be empty', key || ' must be an integer number');
        END IF;
        RETURN NULL;
    END IF;
    IF jsonb_typeof(v) <> 'number' OR (v::text)::numeric <> trunc((v::text)::numeric) THEN
        PERFORM helpdesk.validation_error(key || ' must be an integer number');
    END IF;
    n := (v::text)::numeric;
    IF min_value IS NOT NULL AND n < min_value THEN
        PERFORM helpdesk.validation_error(format('%s must not be less than %s', key, min_value));
    END IF;
    IF max_value IS NOT NULL AND n > max_value THEN
        PERFORM helpdesk.validation_error(format('%s must not be greater than %s', key, max_value));
    END IF;
    IF n < -2147483648 OR n > 2147483647 THEN
        PERFORM helpdesk.validation_error(key || ' must be an integer number');
    END IF;
    RETURN n::int;
END
$$;

CREATE FUNCTION helpdesk.field_bool(obj jsonb, key text, required boolean DEFAULT false)
RETURNS boolean
LANGUAGE plpgsql STABLE
AS $$
DECLARE
    v jsonb := obj -> key;
BEGIN
    IF v IS NULL OR jsonb_typeof(v) = 'null' THEN
        IF required THEN
            PERFORM helpdesk.validation_error(key || ' should not be empty', key || ' must be a boolean value');
        END IF;
        RETURN NULL;
    END IF;
    IF jsonb_typeof(v) <> 'boolean' THEN
        PERFORM helpdesk.validation_error(key || ' must be a boolean value');
    END IF;
    RETURN v::text::boolean;
END
$$;

-- A string field that must be one of `allowed`.
CREATE FUNCTION helpdesk.field_enum(obj jsonb, key text, allowed text[], required boolean DEFAULT false)
RETURNS text
LANGUAGE plpgsql STABLE
AS $$
DECLARE
    v jsonb := obj -> key;
BEGIN
    IF v IS NULL OR jsonb_typeof(v) = 'null' THEN
        IF required THEN
            PERFORM helpdesk.validation_error(
                format('%s must be one of the following values: %s', key, array_to_string(allowed, ', ')));
        END IF;
        RETURN NULL;
    END IF;
    IF jsonb_typeof(v) <> 'string' OR NOT (v #>> '{}') = ANY (allowed) THEN
        PERFORM helpdesk.validation_error(
            format('%s must be one of the following values: %s', key, array_to_string(allowed, ', ')));
    END IF;
    RETURN v #>> '{}';
END
$$;

-- A string field that must be a label of an enum type, returned as that type. Pass the type as
-- a typed NULL: helpdesk.field_enum(b, 'priority', NULL::helpdesk.ticket_priority).
CREATE FUNCTION helpdesk.field_enum(obj jsonb, key text, of_type anyenum, required boolean DEFAULT false)
RETURNS anyenum
LANGUAGE plpgsql STABLE
AS $$
BEGIN
    RETURN helpdesk.field_enum(obj, key, pg_catalog.enum_range(of_type)::text[], required);
END
$$;

-- An array of positive integers (ids), at least `min_items` long.
CREATE FUNCTION helpdesk.field_int_array(obj jsonb, key text, required boolean DEFAULT false,
                                         min_items int DEFAULT 0, max_items int DEFAULT 10000)
RETURNS int[]
LANGUAGE plpgsql STABLE
AS $$
DECLARE
    v jsonb := obj -> key;
    result int[];
BEGIN
    IF v IS NULL OR jsonb_typeof(v) = 'null' THEN
        IF required THEN
            PERFORM helpdesk.validation_error(key || ' should not be empty', key || ' must be an array');
        END IF;
        RETURN NULL;
    END IF;
    IF jsonb_typeof(v) <> 'array' THEN
        PERFORM helpdesk.validation_error(key || ' must be an array');
    END IF;
    IF jsonb_array_length(v) < min_items THEN
        PERFORM helpdesk.validation_error(format('%s must contain at least %s elements', key, min_items));
    END IF;
    IF jsonb_array_length(v) > max_items THEN
        PERFORM helpdesk.validation_error(format('%s must contain no more than %s elements', key, max_items));
    END IF;
    IF EXISTS (SELECT FROM jsonb_array_elements(v) e
               WHERE jsonb_typeof(e) <> 'number' OR e::text !~ '^[0-9]{1,10}$' OR e::text::bigint NOT BETWEEN 1 AND 2147483647) THEN
        PERFORM helpdesk.validation_error('each value in ' || key || ' must be an integer number');
    END IF;
    SELECT array_agg(e::text::int ORDER BY ord) INTO result
    FROM jsonb_array_elements(v) WITH ORDINALITY AS t(e, ord);
    RETURN coalesce(result, '{}');
END
$$;

-- A path parameter (helpdesk-http has already checked that ids are integers).
CREATE FUNCTION helpdesk.path_int(req jsonb, key text DEFAULT 'id')
RETURNS int
LANGUAGE sql IMMUTABLE
AS $$ SELECT (req -> 'path' ->> key)::int $$;

CREATE FUNCTION helpdesk.query_text(req jsonb, key text)
RETURNS text
LANGUAGE sql IMMUTABLE
AS $$ SELECT nullif(req -> 'query' ->> key, '') $$;

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
CREATE FUNCTION helpdesk.query_int(req jsonb, key text, fallback int DEFAULT NULL,
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
CREATE FUNCTION helpdesk.query_bool(req jsonb, key text)
RETURNS boolean
LANGUAGE sql IMMUTABLE
AS $$
    SELECT CASE WHEN nullif(btrim(req -> 'query' ->> key), '') IS NOT NULL THEN helpdesk.query_bool_given(req, key) END
$$;

-- A query parameter that must be one of `allowed` (NULL when absent).
CREATE FUNCTION helpdesk.query_enum(req jsonb, key text, allowed text[])
RETURNS text
LANGUAGE plpgsql IMMUTABLE
AS $$
DECLARE
    s text := nullif(req -> 'query' ->> key, '');
BEGIN
    IF s IS NOT NULL AND NOT s = ANY (allowed) THEN
        PERFORM helpdesk.validation_error(
            format('%s must be one of the following values: %s', key, array_to_string(allowed, ', ')));
    END IF;
    RETURN s;
END
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
CREATE FUNCTION helpdesk.query_enum(req jsonb, key text, of_type anyenum)
RETURNS anyenum
LANGUAGE sql IMMUTABLE
AS $$
    SELECT CASE WHEN nullif(req -> 'query' ->> key, '') IS NOT NULL THEN helpdesk.query_enum_given(req, key, of_type) END
$$;

-- An ISO date or timestamp query parameter (NULL when absent, 400 when invalid).
CREATE FUNCTION helpdesk.query_timestamptz(req jsonb, key text)
RETURNS timestamptz
LANGUAGE plpgsql STABLE
AS $$
DECLARE
    s text := nullif(btrim(req -> 'query' ->> key), '');
BEGIN
    IF s IS NULL THEN
        RETURN NULL;
    END IF;
    IF s !~ '^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}(:?\d{2})?)?)?$' THEN
        PERFORM helpdesk.validation_error(key || ' must be a valid ISO 8601 date string');
    END IF;
    BEGIN
        RETURN s::timestamptz;
    EXCEPTION WHEN OTHERS THEN
        PERFORM helpdesk.validation_error(key || ' must be a valid ISO 8601 date string');
    END;
    RETURN NULL;
END
$$;

-- Pagination of every list: page >= 1 (default 1), limit 1..1000 (default 10).
CREATE FUNCTION helpdesk.query_page(req jsonb)
RETURNS int
LANGUAGE sql IMMUTABLE
AS $$ SELECT helpdesk.query_int(req, 'page', 1, 1, 1000000) $$;

CREATE FUNCTION helpdesk.query_limit(req jsonb)
RETURNS int
LANGUAGE sql IMMUTABLE
AS $$ SELECT helpdesk.query_int(req, 'limit', 10, 1, 1000) $$;

-- The reference's paginated shape: {<key>: items, total, page, totalPages}, plus totalIsEstimate
-- for a list whose total may be an estimate (the key is left out when NULL); items NULL gives []
-- and totalPages = ceil(total / page_size). In C (extension/paginated.c): the items' array is
-- copied in as it is, where jsonb_build_object took every element apart and encoded it again
-- (as much CPU as building a page of tickets).
CREATE FUNCTION helpdesk.paginated(key text, items jsonb, total bigint, page int, page_size int,
                                   total_is_estimate boolean DEFAULT NULL)
RETURNS jsonb
LANGUAGE c IMMUTABLE PARALLEL SAFE
AS 'MODULE_PATHNAME', 'helpdesk_paginated';

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
CREATE FUNCTION helpdesk.query_sort_order(req jsonb)
RETURNS text
LANGUAGE sql IMMUTABLE
AS $$
    SELECT CASE WHEN upper(coalesce(nullif(req -> 'query' ->> 'sortOrder', ''), 'DESC')) IN ('ASC', 'DESC')
                THEN upper(coalesce(nullif(req -> 'query' ->> 'sortOrder', ''), 'DESC'))
                ELSE helpdesk.query_sort_order_given(req) END
$$;

-- A fixed argument of the route row (helpdesk-http adds the row's `args` to the document), so
-- that several route rows can name one function. Missing is a bug in the route table: 500.
CREATE FUNCTION helpdesk.route_arg_bool(req jsonb, key text)
RETURNS boolean
LANGUAGE plpgsql IMMUTABLE
AS $$
DECLARE
    v jsonb := req -> 'args' -> key;
BEGIN
    IF v IS NULL OR jsonb_typeof(v) <> 'boolean' THEN
        RAISE EXCEPTION 'route argument "%" is missing or not a boolean', key USING ERRCODE = 'XX000';
    END IF;
    RETURN v::text::boolean;
END
$$;

-- The per-request settings of helpdesk-http (docs/REQUEST-CONTRACT.md), set in the FROM clause
-- of the route's statement. Not a route: no SECURITY DEFINER and no SET clause (99_finalize
-- leaves it alone), since a SET clause would undo the settings when the function returns.
CREATE FUNCTION helpdesk_api.request_context(actor_id text, token_iat text, client_ip text,
                                             user_agent text, read_only text, application_name text)
RETURNS void
AS 'MODULE_PATHNAME', 'helpdesk_request_context'
LANGUAGE C VOLATILE;
