-- 00_base: schemas, the web role, the enums every module shares, errors, settings.
--
-- Schema helpdesk holds the tables and the typed domain functions a DBA can call from psql.
-- Schema helpdesk_api holds one function per REST route, (req jsonb) -> jsonb, SECURITY DEFINER
-- (made so in 99_finalize.sql); only members of helpdesk_web may call them.
-- Layout and conventions of sql/: docs/ARCHITECTURE.md.

CREATE SCHEMA helpdesk;

CREATE SCHEMA helpdesk_api;

COMMENT ON SCHEMA helpdesk IS 'IT service desk: tables and domain functions';

COMMENT ON SCHEMA helpdesk_api IS 'IT service desk: one function per REST route of API v1';

-- The role helpdesk-http logs in as is a member of helpdesk_web. Roles are cluster-wide, so it is
-- created only when missing and survives DROP EXTENSION.
DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = 'helpdesk_web') THEN
        CREATE ROLE helpdesk_web NOLOGIN;
    END IF;
END
$$;

CREATE TYPE helpdesk.user_role AS ENUM ('Employee', 'IT_Staff', 'Admin');

CREATE TYPE helpdesk.ticket_priority AS ENUM ('Low', 'Medium', 'High');

CREATE TYPE helpdesk.ticket_status AS ENUM ('New', 'Assigned', 'In Progress', 'Pending', 'Resolved', 'Closed');

CREATE TYPE helpdesk.comment_type AS ENUM ('public', 'internal', 'system');

-- Raise an error that helpdesk-http turns into the HTTP status `status` (SQLSTATE HD<status>).
-- `details` become the envelope's details array; `retry_after` (seconds) the Retry-After header.
CREATE FUNCTION helpdesk.http_error(status int, message text, details text[] DEFAULT NULL,
                                    retry_after int DEFAULT NULL)
RETURNS void
LANGUAGE plpgsql
AS $$
BEGIN
    IF status NOT IN (400, 401, 403, 404, 409, 413, 422, 429, 503) THEN
        RAISE EXCEPTION 'helpdesk.http_error: unsupported status %', status;
    END IF;
    IF details IS NOT NULL AND retry_after IS NOT NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'HD' || status, MESSAGE = message,
            DETAIL = to_jsonb(details)::text, HINT = retry_after::text;
    ELSIF details IS NOT NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'HD' || status, MESSAGE = message, DETAIL = to_jsonb(details)::text;
    ELSIF retry_after IS NOT NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'HD' || status, MESSAGE = message, HINT = retry_after::text;
    ELSE
        RAISE EXCEPTION USING ERRCODE = 'HD' || status, MESSAGE = message;
    END IF;
END
$$;

-- Timestamps on the wire: ISO-8601 UTC with milliseconds, e.g. 2026-01-15T03:04:05.123Z: the
-- text of to_char(ts AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'), written in C
-- (extension/iso.c) because to_char was a third of the cost of a list page's JSON.
CREATE FUNCTION helpdesk.iso(ts timestamptz)
RETURNS text
LANGUAGE c STABLE STRICT PARALLEL SAFE
AS 'MODULE_PATHNAME', 'helpdesk_iso';

-- The acting user's id from the transaction-local setting, NULL when none is set.
CREATE FUNCTION helpdesk.actor_id()
RETURNS int
LANGUAGE sql STABLE PARALLEL SAFE
AS $$ SELECT nullif(pg_catalog.current_setting('helpdesk.actor_id', true), '')::int $$;

-- Keeps updated_at current on every table that has one.
CREATE FUNCTION helpdesk.touch_updated_at()
RETURNS trigger
LANGUAGE plpgsql
AS $$
BEGIN
    NEW.updated_at := now();
    RETURN NEW;
END
$$;

-- Application settings that admins edit at run time (the seed's settings table).
CREATE TABLE helpdesk.settings (
    id            serial PRIMARY KEY,
    setting_key   varchar(100) NOT NULL UNIQUE,
    setting_value text,
    setting_type  varchar(20) NOT NULL DEFAULT 'string'
                  CHECK (setting_type IN ('string', 'number', 'boolean', 'json')),
    description   text,
    is_public     boolean NOT NULL DEFAULT false,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now()
);

CREATE TRIGGER settings_touch BEFORE UPDATE ON helpdesk.settings
    FOR EACH ROW EXECUTE FUNCTION helpdesk.touch_updated_at();

SELECT pg_catalog.pg_extension_config_dump('helpdesk.settings', '');

SELECT pg_catalog.pg_extension_config_dump('helpdesk.settings_id_seq', '');

-- A setting's value, or `fallback` when the table has no row for it. The table starts empty so
-- that a dump restores exactly what the admins set; defaults live in the callers.
-- PL/pgSQL so that its query is planned once per connection: a SQL function with a sub-select
-- is never inlined, and was parsed and planned on every call.
CREATE FUNCTION helpdesk.setting(key text, fallback text)
RETURNS text
LANGUAGE plpgsql STABLE PARALLEL SAFE
AS $$
BEGIN
    RETURN coalesce((SELECT s.setting_value FROM helpdesk.settings s WHERE s.setting_key = key), fallback);
END
$$;

-- The camelCase key of a label: 'In Progress' -> 'inProgress', 'IT_Staff' -> 'itStaff'.
CREATE FUNCTION helpdesk.camel_case(label text)
RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
AS $$
    SELECT lower(w[1])
           || coalesce((SELECT string_agg(upper(left(x, 1)) || lower(substr(x, 2)), '' ORDER BY i)
                        FROM unnest(w[2:]) WITH ORDINALITY u(x, i)), '')
    FROM regexp_split_to_array(label, '[ _]+') w
$$;

-- A case-insensitive substring pattern for ILIKE: `%text%` with the text's own LIKE wildcards
-- (%, _ and the escape \) taken literally.
CREATE FUNCTION helpdesk.like_pattern(search text)
RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
AS $$ SELECT '%' || replace(replace(replace(search, '\', '\\'), '%', '\%'), '_', '\_') || '%' $$;
