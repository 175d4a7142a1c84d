-- The schema the extension installs: tables, dump registration, privileges, pinned paths.

-- Tables of schema helpdesk.
SELECT c.relname
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = 'helpdesk' AND c.relkind = 'r'
ORDER BY 1;

-- Every table (and its id sequence) is registered with pg_extension_config_dump, so pg_dump
-- keeps the rows; only the extension's constants (commented 'constant: ...', filled by the
-- install script) and state derived from other tables (commented 'derived: ...', rebuilt after a
-- restore) are not.
SELECT c.relname AS not_dumped
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = 'helpdesk' AND c.relkind IN ('r', 'S')
  AND c.oid NOT IN (SELECT unnest(extconfig) FROM pg_extension WHERE extname = 'helpdesk')
  AND coalesce(obj_description(c.oid, 'pg_class'), '') NOT LIKE 'constant: %'
  AND coalesce(obj_description(c.oid, 'pg_class'), '') NOT LIKE 'derived: %'
ORDER BY 1;

-- Every route function is SECURITY DEFINER with a pinned search_path.
SELECT p.oid::regprocedure AS unpinned
FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
WHERE n.nspname = 'helpdesk_api' AND p.proname <> 'request_context'
  AND (NOT p.prosecdef OR p.proconfig IS NULL
       OR NOT 'search_path=helpdesk, public, pg_temp' = ANY (p.proconfig))
ORDER BY 1;

-- Every route function is PL/pgSQL: its plans are cached per connection, where a LANGUAGE sql
-- function with SECURITY DEFINER and a pinned search_path is parsed and planned on every call.
SELECT p.oid::regprocedure AS not_plpgsql
FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
JOIN pg_language l ON l.oid = p.prolang
WHERE n.nspname = 'helpdesk_api' AND l.lanname <> 'plpgsql' AND p.proname <> 'request_context'
ORDER BY 1;

-- So is the JSON of one ticket (the answer of every ticket route): it runs a query, and as a
-- SQL function (never inlined: it has a FROM clause) that query was planned on every call.
SELECT p.oid::regprocedure AS one_ticket_json, l.lanname
FROM pg_proc p JOIN pg_language l ON l.oid = p.prolang
WHERE p.oid = 'helpdesk.ticket_json(helpdesk.tickets, boolean, timestamptz)'::regprocedure;

-- So is every PL/pgSQL function of schema helpdesk (pinned, not definer).
SELECT p.oid::regprocedure AS unpinned
FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
JOIN pg_language l ON l.oid = p.prolang
WHERE n.nspname = 'helpdesk' AND l.lanname = 'plpgsql'
  AND (p.prosecdef OR p.proconfig IS NULL)
ORDER BY 1;

-- Only members of helpdesk_web may call the routes.
CREATE ROLE regress_outsider;
CREATE ROLE regress_web IN ROLE helpdesk_web;
SELECT has_schema_privilege('regress_outsider', 'helpdesk_api', 'USAGE') AS outsider_schema,
       has_function_privilege('regress_outsider', 'helpdesk_api.health(jsonb)', 'EXECUTE') AS outsider_exec,
       has_schema_privilege('regress_web', 'helpdesk_api', 'USAGE') AS web_schema,
       has_function_privilege('regress_web', 'helpdesk_api.health(jsonb)', 'EXECUTE') AS web_exec,
       has_table_privilege('regress_web', 'helpdesk.users', 'SELECT') AS web_reads_users;
SET ROLE regress_outsider;
SELECT helpdesk_api.health('{}');
RESET ROLE;
SET ROLE regress_web;
SELECT helpdesk_api.health('{}') ? 'status' AS web_calls_health;
SELECT * FROM helpdesk.users;
RESET ROLE;
DROP ROLE regress_outsider;
DROP ROLE regress_web;

-- Constraints that hold whatever the caller.
\set VERBOSITY terse
INSERT INTO helpdesk.users (username, email, password_hash, full_name)
VALUES ('nohash', 'nohash@example.com', 'plaintext', 'No Hash');
INSERT INTO helpdesk.categories (name, color) VALUES ('Bad colour', 'blue');
INSERT INTO helpdesk.categories (name) VALUES ('Hardware');
INSERT INTO helpdesk.categories (name) VALUES ('HARDWARE');
INSERT INTO helpdesk.business_hours (calendar_id, day_of_week, start_time, end_time)
VALUES (1, 7, '08:00', '17:00');
