-- Reading the request document with the reference's validation messages.
\set SHOW_CONTEXT never

-- Shows the HTTP status, message and details an expression raises, or its value.
CREATE FUNCTION pg_temp.try(expr text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE st text; msg text; det text; result text;
BEGIN
    EXECUTE 'SELECT (' || expr || ')::text' INTO result;
    RETURN coalesce(result, '<null>');
EXCEPTION WHEN OTHERS THEN
    GET STACKED DIAGNOSTICS st = RETURNED_SQLSTATE, msg = MESSAGE_TEXT, det = PG_EXCEPTION_DETAIL;
    RETURN format('%s %s %s', st, msg, nullif(det, ''));
END $$;

SELECT t AS expr, pg_temp.try(t) AS result FROM unnest(ARRAY[
    -- body: absent, not an object, unknown properties (all listed, sorted)
    $$helpdesk.body('{"body": null}', 'title')$$,
    $$helpdesk.body('{}', 'title')$$,
    $$helpdesk.body('{"body": [1]}', 'title')$$,
    $$helpdesk.body('{"body": {"title": "x", "zeta": 1, "alpha": 2}}', 'title')$$,
    -- text
    $$helpdesk.field_text('{"t": "hello"}', 't', true, 5, 10)$$,
    $$helpdesk.field_text('{"t": "hey"}', 't', true, 5, 10)$$,
    $$helpdesk.field_text('{"t": "hello world!"}', 't', true, 5, 10)$$,
    $$helpdesk.field_text('{}', 't', true)$$,
    $$helpdesk.field_text('{"t": "  "}', 't', true)$$,
    $$helpdesk.field_text('{"t": 5}', 't')$$,
    $$helpdesk.field_text('{}', 't')$$,
    -- email
    $$helpdesk.field_email('{"e": "Ada@Example.COM"}', 'e', true)$$,
    $$helpdesk.field_email('{"e": "not-an-email"}', 'e', true)$$,
    $$helpdesk.field_email('{"e": "a@b"}', 'e', true)$$,
    -- int
    $$helpdesk.field_int('{"n": 3}', 'n', true, 1, 5)$$,
    $$helpdesk.field_int('{"n": 3.5}', 'n', true)$$,
    $$helpdesk.field_int('{"n": "3"}', 'n', true)$$,
    $$helpdesk.field_int('{"n": 0}', 'n', true, 1, 5)$$,
    $$helpdesk.field_int('{"n": 6}', 'n', true, 1, 5)$$,
    $$helpdesk.field_int('{"n": 1e20}', 'n')$$,
    $$helpdesk.field_int('{}', 'n', true)$$,
    -- bool, enum, arrays
    $$helpdesk.field_bool('{"b": false}', 'b')$$,
    $$helpdesk.field_bool('{"b": "true"}', 'b')$$,
    $$helpdesk.field_enum('{"p": "High"}', 'p', ARRAY['Low', 'Medium', 'High'])$$,
    $$helpdesk.field_enum('{"p": "Urgent"}', 'p', ARRAY['Low', 'Medium', 'High'])$$,
    $$helpdesk.field_int_array('{"ids": [3, 1, 2]}', 'ids', true, 1)$$,
    $$helpdesk.field_int_array('{"ids": []}', 'ids', true, 1)$$,
    $$helpdesk.field_int_array('{"ids": [1, "2"]}', 'ids', true, 1)$$,
    $$helpdesk.field_int_array('{"ids": [1, -2]}', 'ids', true, 1)$$,
    $$helpdesk.field_int_array('{"ids": 1}', 'ids', true, 1)$$,
    -- query strings
    $$helpdesk.query_int('{"query": {"page": "3"}}', 'page', 1, 1)$$,
    $$helpdesk.query_int('{"query": {}}', 'page', 1, 1)$$,
    $$helpdesk.query_int('{"query": {"page": "abc"}}', 'page', 1, 1)$$,
    $$helpdesk.query_int('{"query": {"page": "0"}}', 'page', 1, 1)$$,
    $$helpdesk.query_int('{"query": {"page": "99999999999"}}', 'page', 1, 1)$$,
    $$helpdesk.query_limit('{"query": {"limit": "1000"}}')$$,
    $$helpdesk.query_limit('{"query": {"limit": "1001"}}')$$,
    $$helpdesk.query_bool('{"query": {"isActive": "false"}}', 'isActive')$$,
    $$helpdesk.query_bool('{"query": {"isActive": "maybe"}}', 'isActive')$$,
    $$helpdesk.query_enum('{"query": {"role": "Admin"}}', 'role', ARRAY['Employee', 'IT_Staff', 'Admin'])$$,
    $$helpdesk.query_enum('{"query": {"role": "root"}}', 'role', ARRAY['Employee', 'IT_Staff', 'Admin'])$$,
    $$helpdesk.query_sort_order('{"query": {"sortOrder": "asc"}}')$$,
    $$helpdesk.query_sort_order('{"query": {"sortOrder": "sideways"}}')$$,
    $$helpdesk.path_int('{"path": {"id": 42}}')$$,
    $$helpdesk.paginated('users', '[1, 2]', 21, 2, 10)$$,
    $$helpdesk.paginated('users', NULL, 0, 1, 10)$$,
    $$helpdesk.paginated('tickets', '[1]', 1001, 1, 20, true)$$
]) AS t;

-- Timestamps on the wire (helpdesk.iso, in C): the same text as the to_char it replaces, across
-- eras, leap days, the millisecond truncation, far years; infinity gives NULL as to_char does.
SELECT count(*) AS timestamps,
       count(*) FILTER (WHERE helpdesk.iso(ts) IS DISTINCT FROM
                        to_char(ts AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')) AS differ
FROM (SELECT ts FROM unnest(ARRAY['2026-01-15 03:04:05.123+00', '2024-02-29 23:59:59.9999+00',
                                  '1999-12-31 23:59:59.999999+00', '2000-01-01 00:00:00+00',
                                  '1900-03-01 12:00:00.5+05:30', '0044-03-15 12:00:00+00 BC',
                                  '0001-01-01 00:00:00+00', '12345-06-07 08:09:10.011+00',
                                  'infinity', '-infinity']::timestamptz[]) ts
      UNION ALL
      SELECT '1970-01-01 00:00:00+00'::timestamptz + g * interval '37 hours 11 minutes 13.017 seconds'
      FROM generate_series(-200000, 200000, 97) g) t;
SELECT helpdesk.iso('2026-01-15 03:04:05.123456+02'), helpdesk.iso('infinity') IS NULL AS infinity_null;

-- query_int, query_bool and query_enum(anyenum) are inlined into the caller's expression: an
-- absent parameter makes no PL/pgSQL call; a present one goes to the check (*_given).
CREATE FUNCTION pg_temp.plan_text(q text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE l text; r text := '';
BEGIN
    FOR l IN EXECUTE 'EXPLAIN (VERBOSE, COSTS OFF) ' || q LOOP r := r || l; END LOOP;
    RETURN r;
END $$;
PREPARE query_helpers(jsonb) AS
    SELECT helpdesk.query_int($1, 'x', 1), helpdesk.query_bool($1, 'y'),
           helpdesk.query_enum($1, 'status', NULL::helpdesk.ticket_status), helpdesk.query_page($1);
SET plan_cache_mode = force_generic_plan;
SELECT pg_temp.plan_text('EXECUTE query_helpers(''{}'')') ~ 'helpdesk\.query_(int|bool|enum|page)\(' AS helpers_called,
       pg_temp.plan_text('EXECUTE query_helpers(''{}'')') ~ 'helpdesk\.query_int_given\(' AS check_when_present;
RESET plan_cache_mode;
DEALLOCATE query_helpers;
