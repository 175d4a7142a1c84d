-- 99_finalize: privileges and pinned search paths, for every function defined above.

-- Every route function runs as the extension's owner with a fixed search path, and only
-- members of helpdesk_web may call them. PL/pgSQL functions of schema helpdesk get the same
-- fixed search path so a caller's search_path can never redirect them. (SQL functions there
-- stay unpinned so the planner can inline them, and qualify what they use.)
DO $$
DECLARE
    f record;
BEGIN
    FOR f IN
        SELECT p.oid::regprocedure AS sig, p.proname AS name, n.nspname AS schema, l.lanname AS lang
        FROM pg_catalog.pg_proc p
        JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace
        JOIN pg_catalog.pg_language l ON l.oid = p.prolang
        WHERE n.nspname IN ('helpdesk', 'helpdesk_api')
    LOOP
        IF f.schema = 'helpdesk_api' AND f.name = 'request_context' THEN
            CONTINUE;  -- sets the request's settings; a SET clause would undo them
        ELSIF f.schema = 'helpdesk_api' THEN
            EXECUTE format('ALTER FUNCTION %s SECURITY DEFINER SET search_path = helpdesk, public, pg_temp', f.sig);
        ELSIF f.lang = 'plpgsql' THEN
            EXECUTE format('ALTER FUNCTION %s SET search_path = helpdesk, public, pg_temp', f.sig);
        END IF;
    END LOOP;
END
$$;

REVOKE ALL ON ALL FUNCTIONS IN SCHEMA helpdesk_api FROM PUBLIC;

GRANT USAGE ON SCHEMA helpdesk_api TO helpdesk_web;

GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA helpdesk_api TO helpdesk_web;
