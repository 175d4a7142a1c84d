-- helpdesk 1.0, the first release: the install script as built from sql/*.sql at commit 8850303, frozen. Never edit it; later versions change the schema through sql/upgrade/<version>/ (see README, "Upgrades").
\echo Use "CREATE EXTENSION helpdesk CASCADE" to load this file. \quit

-- ==== sql/00_base.sql ====
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
    IF status NOT IN (400, 401, 403, 404, 409, 413, 422, 429) THEN
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

-- Timestamps on the wire: ISO-8601 UTC with milliseconds, e.g. 2026-01-15T03:04:05.123Z.
CREATE FUNCTION helpdesk.iso(ts timestamptz)
RETURNS text
LANGUAGE sql STABLE STRICT PARALLEL SAFE
AS $$ SELECT pg_catalog.to_char(ts AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') $$;

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
CREATE FUNCTION helpdesk.setting(key text, fallback text)
RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE
AS $$
    SELECT coalesce((SELECT s.setting_value FROM helpdesk.settings s WHERE s.setting_key = key), fallback)
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

-- ==== sql/01_request.sql ====
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

-- An integer query parameter: `fallback` when absent, 400 when not a number or out of range.
CREATE FUNCTION helpdesk.query_int(req jsonb, key text, fallback int DEFAULT NULL,
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

-- A boolean query parameter: 'true' / 'false' (NULL when absent); anything else is 400.
CREATE FUNCTION helpdesk.query_bool(req jsonb, key text)
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

-- A query parameter that must be a label of an enum type (NULL when absent), as that type.
CREATE FUNCTION helpdesk.query_enum(req jsonb, key text, of_type anyenum)
RETURNS anyenum
LANGUAGE plpgsql IMMUTABLE
AS $$
BEGIN
    RETURN helpdesk.query_enum(req, key, pg_catalog.enum_range(of_type)::text[]);
END
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

-- The reference's paginated shape: {<key>: items, total, page, totalPages}.
CREATE FUNCTION helpdesk.paginated(key text, items jsonb, total bigint, page int, page_size int)
RETURNS jsonb
LANGUAGE sql IMMUTABLE
AS $$
    SELECT jsonb_build_object(key, coalesce(items, '[]'::jsonb), 'total', total, 'page', page,
                              'totalPages', ceil(total::numeric / page_size)::int)
$$;

-- sortOrder: ASC or DESC (default DESC), case-insensitive.
CREATE FUNCTION helpdesk.query_sort_order(req jsonb)
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
                                             user_agent text, read_only text)
RETURNS void
AS 'MODULE_PATHNAME', 'helpdesk_request_context'
LANGUAGE C VOLATILE;

-- ==== sql/02_outbox.sql ====
-- 02_outbox: the e-mail outbox.
--
-- Every module that sends mail (one-time codes of sql/12_auth.sql, ticket events of
-- sql/38_notifications.sql) writes the composed message here in the same transaction as its
-- cause; a sender delivers it and records the outcome, so no mail is lost, and none is sent for
-- a change that rolled back. user_id and ticket_id say what a message is about. They are not
-- foreign keys: this file comes before users and tickets (no file refers to a later one), and
-- a message already composed is delivered, or kept as a record, even after its ticket is gone.
CREATE TABLE helpdesk.email_outbox (
    id              bigserial PRIMARY KEY,
    user_id         int,
    recipient       varchar(255) NOT NULL,
    subject         varchar(255) NOT NULL,
    body_text       text NOT NULL,
    body_html       text,
    template        varchar(50) NOT NULL,
    ticket_id       int,
    status          varchar(10) NOT NULL DEFAULT 'pending'
                    CHECK (status IN ('pending', 'sent', 'failed')),
    attempts        int NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    last_error      text,
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    sent_at         timestamptz,
    created_at      timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX email_outbox_pending_idx ON helpdesk.email_outbox (next_attempt_at) WHERE status = 'pending';

SELECT pg_catalog.pg_extension_config_dump('helpdesk.email_outbox', '');
SELECT pg_catalog.pg_extension_config_dump('helpdesk.email_outbox_id_seq', '');

-- ==== sql/10_users.sql ====
-- 10_users: users and their passwords, refresh tokens and one-time codes (tables), the audit
-- log, the acting user of a request, and user administration.
--
-- Who may do what on users is decided here: user_create, user_list, user_view, user_update,
-- user_set_active and user_delete check the actor's role themselves, so a SQL client gets the
-- same rules as the REST API. Every admin action writes an audit row in the same transaction;
-- passwords never appear in one.

CREATE TABLE helpdesk.users (
    id            serial PRIMARY KEY,
    username      varchar(50)  NOT NULL CHECK (length(username) >= 3),
    email         varchar(100) NOT NULL CHECK (email ~ '^[^@[:space:]]+@[^@[:space:]]+\.[^@[:space:]]+$'),
    password_hash text NOT NULL CHECK (password_hash LIKE '$2%'),
    full_name     varchar(100) NOT NULL CHECK (length(btrim(full_name)) > 0),
    role          helpdesk.user_role NOT NULL DEFAULT 'Employee',
    department    varchar(100),
    phone         varchar(20),
    avatar_url    varchar(255),
    is_active     boolean NOT NULL DEFAULT true,
    last_login_at timestamptz,
    -- Access tokens issued before this instant are refused (password change, reset).
    tokens_valid_after timestamptz NOT NULL DEFAULT '-infinity',
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now()
);

-- Addresses and usernames are unique whatever their case.
CREATE UNIQUE INDEX users_email_key ON helpdesk.users (lower(email));

CREATE UNIQUE INDEX users_username_key ON helpdesk.users (lower(username));

CREATE INDEX users_role_idx ON helpdesk.users (role) WHERE is_active;

CREATE INDEX users_department_idx ON helpdesk.users (department);

CREATE TRIGGER users_touch BEFORE UPDATE ON helpdesk.users
    FOR EACH ROW EXECUTE FUNCTION helpdesk.touch_updated_at();

COMMENT ON COLUMN helpdesk.users.password_hash IS 'bcrypt hash (pgcrypto crypt); never leaves the database';

-- Opaque refresh tokens, stored only as SHA-256 hashes. Each login starts a family; each use
-- rotates the token within its family; reusing a rotated token revokes the whole family.
CREATE TABLE helpdesk.refresh_tokens (
    id          bigserial PRIMARY KEY,
    user_id     int NOT NULL REFERENCES helpdesk.users (id) ON DELETE CASCADE,
    family_id   uuid NOT NULL,
    token_hash  bytea NOT NULL UNIQUE CHECK (length(token_hash) = 32),
    expires_at  timestamptz NOT NULL,
    rotated_at  timestamptz,
    revoked_at  timestamptz,
    revoked_reason text,
    ip_address  text,
    user_agent  text,
    created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX refresh_tokens_user_idx ON helpdesk.refresh_tokens (user_id);

CREATE INDEX refresh_tokens_family_idx ON helpdesk.refresh_tokens (family_id);

-- One-time codes for "forgot password": stored hashed, limited tries, single use.
CREATE TABLE helpdesk.password_resets (
    id          serial PRIMARY KEY,
    user_id     int NOT NULL REFERENCES helpdesk.users (id) ON DELETE CASCADE,
    otp_hash    text NOT NULL,
    expires_at  timestamptz NOT NULL,
    attempts    int NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    used_at     timestamptz,
    ip_address  text,
    created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX password_resets_user_idx ON helpdesk.password_resets (user_id, created_at DESC);

-- Who did what, from where; written in the same transaction as the change it describes.
CREATE TABLE helpdesk.audit_logs (
    id          bigserial PRIMARY KEY,
    user_id     int REFERENCES helpdesk.users (id) ON DELETE SET NULL,
    action      varchar(100) NOT NULL,
    entity_type varchar(50),
    entity_id   int,
    ip_address  text,
    user_agent  text,
    details     jsonb NOT NULL DEFAULT '{}',
    created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX audit_logs_created_idx ON helpdesk.audit_logs (created_at);

CREATE INDEX audit_logs_user_idx ON helpdesk.audit_logs (user_id, created_at);

CREATE INDEX audit_logs_action_idx ON helpdesk.audit_logs (action, created_at);

SELECT pg_catalog.pg_extension_config_dump('helpdesk.users', '');

SELECT pg_catalog.pg_extension_config_dump('helpdesk.users_id_seq', '');

SELECT pg_catalog.pg_extension_config_dump('helpdesk.refresh_tokens', '');

SELECT pg_catalog.pg_extension_config_dump('helpdesk.refresh_tokens_id_seq', '');

SELECT pg_catalog.pg_extension_config_dump('helpdesk.password_resets', '');

SELECT pg_catalog.pg_extension_config_dump('helpdesk.password_resets_id_seq', '');

SELECT pg_catalog.pg_extension_config_dump('helpdesk.audit_logs', '');

SELECT pg_catalog.pg_extension_config_dump('helpdesk.audit_logs_id_seq', '');

-- A password that a user chooses: 8 to 128 characters. (bcrypt reads the first 72 bytes.)
CREATE FUNCTION helpdesk.check_new_password(password text, field text DEFAULT 'password')
RETURNS void
LANGUAGE plpgsql IMMUTABLE
AS $$
BEGIN
    IF password IS NULL OR length(password) < 8 THEN
        PERFORM helpdesk.validation_error(field || ' must be longer than or equal to 8 characters');
    ELSIF length(password) > 128 THEN
        PERFORM helpdesk.validation_error(field || ' must be shorter than or equal to 128 characters');
    END IF;
END
$$;

-- A new bcrypt hash at the configured cost (helpdesk.bcrypt_cost). The only place passwords are
-- hashed, so every path (create, register, change, reset) hashes exactly once.
CREATE FUNCTION helpdesk.hash_password(password text)
RETURNS text
LANGUAGE sql VOLATILE STRICT
AS $$
    SELECT public.crypt(password, public.gen_salt('bf', pg_catalog.current_setting('helpdesk.bcrypt_cost')::int))
$$;

CREATE FUNCTION helpdesk.password_matches(password text, hash text)
RETURNS boolean
LANGUAGE sql STABLE STRICT
AS $$ SELECT public.crypt(password, hash) = hash $$;

-- Revoke every live refresh token of a user (password change/reset, deactivation).
CREATE FUNCTION helpdesk.refresh_tokens_revoke_user(user_id int, reason text, at timestamptz DEFAULT now())
RETURNS int
LANGUAGE sql VOLATILE
AS $$
    WITH r AS (
        UPDATE helpdesk.refresh_tokens t SET revoked_at = at, revoked_reason = reason
        WHERE t.user_id = refresh_tokens_revoke_user.user_id AND t.revoked_at IS NULL
        RETURNING 1)
    SELECT count(*)::int FROM r
$$;

-- The user JSON of the API (never the password hash).
CREATE FUNCTION helpdesk.user_json(u helpdesk.users)
RETURNS jsonb
LANGUAGE sql STABLE
AS $$
    SELECT jsonb_build_object(
        'id', u.id, 'username', u.username, 'email', u.email, 'fullName', u.full_name,
        'role', u.role, 'department', u.department, 'phone', u.phone, 'avatarUrl', u.avatar_url,
        'isActive', u.is_active, 'lastLoginAt', helpdesk.iso(u.last_login_at),
        'createdAt', helpdesk.iso(u.created_at), 'updatedAt', helpdesk.iso(u.updated_at))
$$;

-- The acting user of this request: exists, is active, and the token is not older than the
-- user's last password change. Anything else is 401, whatever the token said.
CREATE FUNCTION helpdesk.current_actor()
RETURNS helpdesk.users
LANGUAGE plpgsql STABLE
AS $$
DECLARE
    u   helpdesk.users;
    iat text := pg_catalog.current_setting('helpdesk.token_iat', true);
BEGIN
    SELECT * INTO u FROM helpdesk.users WHERE id = helpdesk.actor_id() AND is_active;
    IF NOT FOUND
       OR (coalesce(iat, '') <> '' AND to_timestamp(iat::bigint) < date_trunc('second', u.tokens_valid_after)) THEN
        PERFORM helpdesk.http_error(401, 'Invalid token or user not found');
    END IF;
    RETURN u;
END
$$;

-- Whether `actor` is staff (sees everything, internal comments included).
CREATE FUNCTION helpdesk.is_staff(actor helpdesk.users)
RETURNS boolean
LANGUAGE sql IMMUTABLE
AS $$ SELECT actor.role IN ('IT_Staff'::helpdesk.user_role, 'Admin'::helpdesk.user_role) $$;

-- Raise 403 unless the actor has one of `roles`, with the reference's message.
CREATE FUNCTION helpdesk.require_role(actor helpdesk.users, VARIADIC roles helpdesk.user_role[])
RETURNS void
LANGUAGE plpgsql STABLE
AS $$
BEGIN
    IF NOT actor.role = ANY (roles) THEN
        PERFORM helpdesk.http_error(403, 'Access denied. Required roles: ' || array_to_string(roles, ', '));
    END IF;
END
$$;

-- Append an audit row attributed to the acting user and the request's client.
CREATE FUNCTION helpdesk.audit(action text, entity_type text DEFAULT NULL, entity_id int DEFAULT NULL,
                               details jsonb DEFAULT '{}', user_id int DEFAULT NULL)
RETURNS void
LANGUAGE sql VOLATILE
AS $$
    INSERT INTO helpdesk.audit_logs (user_id, action, entity_type, entity_id, ip_address, user_agent, details)
    VALUES (coalesce(user_id, helpdesk.actor_id()), action, entity_type, entity_id,
            nullif(pg_catalog.current_setting('helpdesk.client_ip', true), ''),
            nullif(pg_catalog.current_setting('helpdesk.user_agent', true), ''),
            coalesce(details, '{}'))
$$;

-- The request's client address (helpdesk-http sets it; NULL from psql).
CREATE FUNCTION helpdesk.client_ip()
RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE
AS $$ SELECT nullif(pg_catalog.current_setting('helpdesk.client_ip', true), '') $$;

-- A username for an address: its local part reduced to [a-z0-9._-], made unique with a number.
CREATE FUNCTION helpdesk.username_from_email(email text)
RETURNS text
LANGUAGE plpgsql STABLE
AS $$
DECLARE
    base      text := left(lower(regexp_replace(split_part(email, '@', 1), '[^A-Za-z0-9._-]', '', 'g')), 40);
    candidate text;
    n         int := 1;
BEGIN
    IF length(base) < 3 THEN
        base := 'user' || base;
    END IF;
    candidate := base;
    WHILE EXISTS (SELECT FROM helpdesk.users x WHERE lower(x.username) = candidate) LOOP
        n := n + 1;
        candidate := base || n;
    END LOOP;
    RETURN candidate;
END
$$;

-- Insert a user: the one place a user row is created (admin creation, self-registration). The
-- password is hashed here, once. username NULL: derived from the address.
CREATE FUNCTION helpdesk.user_insert(username text, email text, password text, full_name text,
                                     role helpdesk.user_role DEFAULT 'Employee', department text DEFAULT NULL,
                                     phone text DEFAULT NULL, avatar_url text DEFAULT NULL,
                                     at timestamptz DEFAULT now())
RETURNS helpdesk.users
LANGUAGE plpgsql
AS $$
DECLARE
    u helpdesk.users;
BEGIN
    PERFORM helpdesk.check_new_password(password);
    IF username IS NOT NULL
       AND EXISTS (SELECT FROM helpdesk.users x WHERE lower(x.username) = lower(user_insert.username)) THEN
        PERFORM helpdesk.http_error(409, 'Username already exists');
    END IF;
    IF EXISTS (SELECT FROM helpdesk.users x WHERE lower(x.email) = lower(user_insert.email)) THEN
        PERFORM helpdesk.http_error(409, 'Email already exists');
    END IF;
    INSERT INTO helpdesk.users (username, email, password_hash, full_name, role, department, phone,
                                avatar_url, created_at, updated_at)
    VALUES (coalesce(lower(username), helpdesk.username_from_email(email)), lower(email),
            helpdesk.hash_password(password), full_name, coalesce(role, 'Employee'), department, phone,
            avatar_url, at, at)
    RETURNING * INTO u;
    RETURN u;
END
$$;

-- Create a user of any role (Admin).
CREATE FUNCTION helpdesk.user_create(actor helpdesk.users, username text, email text, password text,
                                     full_name text, role helpdesk.user_role DEFAULT 'Employee',
                                     department text DEFAULT NULL, phone text DEFAULT NULL,
                                     avatar_url text DEFAULT NULL)
RETURNS helpdesk.users
LANGUAGE plpgsql
AS $$
DECLARE
    u helpdesk.users;
BEGIN
    PERFORM helpdesk.require_role(actor, 'Admin');
    u := helpdesk.user_insert(username, email, password, full_name, role, department, phone, avatar_url);
    PERFORM helpdesk.audit('USER_CREATED', 'user', u.id,
                           jsonb_build_object('username', u.username, 'email', u.email, 'role', u.role));
    RETURN u;
END
$$;
-- The user `id`, or 404 with the reference's message. for_update locks the row.
CREATE FUNCTION helpdesk.user_get(id int, for_update boolean DEFAULT false)
RETURNS helpdesk.users
LANGUAGE plpgsql
AS $$
DECLARE
    u helpdesk.users;
BEGIN
    IF for_update THEN
        SELECT * INTO u FROM helpdesk.users x WHERE x.id = user_get.id FOR UPDATE;
    ELSE
        SELECT * INTO u FROM helpdesk.users x WHERE x.id = user_get.id;
    END IF;
    IF NOT FOUND THEN
        PERFORM helpdesk.http_error(404, format('User with ID %s not found', id));
    END IF;
    RETURN u;
END
$$;

-- Lock the active Admins, in id order, and count them. Every change that may remove an active
-- Admin takes these locks first (before the target's row), so two such changes serialize
-- without deadlocking and cannot both pass the last-admin check.
CREATE FUNCTION helpdesk.lock_active_admins()
RETURNS int
LANGUAGE sql VOLATILE
AS $$
    SELECT count(*)::int FROM (
        SELECT 1 FROM helpdesk.users x WHERE x.role = 'Admin' AND x.is_active ORDER BY x.id FOR UPDATE) s
$$;

-- Refuse to leave the desk without an active Admin: called before `target` stops being an
-- active Admin.
CREATE FUNCTION helpdesk.assert_not_last_admin(target helpdesk.users)
RETURNS void
LANGUAGE plpgsql
AS $$
BEGIN
    IF target.role <> 'Admin' OR NOT target.is_active THEN
        RETURN;
    END IF;
    IF helpdesk.lock_active_admins() <= 1 THEN
        PERFORM helpdesk.http_error(409, 'Cannot deactivate or demote the last active admin');
    END IF;
END
$$;

-- Activate or deactivate a user (Admin). Deactivation ends the user's sessions at once.
CREATE FUNCTION helpdesk.user_set_active(actor helpdesk.users, target_id int, active boolean,
                                         at timestamptz DEFAULT now())
RETURNS helpdesk.users
LANGUAGE plpgsql
AS $$
DECLARE
    u helpdesk.users;
BEGIN
    PERFORM helpdesk.require_role(actor, 'Admin');
    IF NOT active THEN
        PERFORM helpdesk.lock_active_admins();
    END IF;
    u := helpdesk.user_get(target_id, true);
    IF NOT active THEN
        PERFORM helpdesk.assert_not_last_admin(u);
        PERFORM helpdesk.refresh_tokens_revoke_user(u.id, 'deactivated', at);
    END IF;
    UPDATE helpdesk.users x SET is_active = active WHERE x.id = u.id RETURNING * INTO u;
    PERFORM helpdesk.audit(CASE WHEN active THEN 'USER_ACTIVATED' ELSE 'USER_DEACTIVATED' END, 'user', u.id);
    RETURN u;
END
$$;

-- Update a user from validated API fields (camelCase keys of `changes`; a key present with
-- null clears a nullable field). Admin only. Audits the fields that changed, old and new.
CREATE FUNCTION helpdesk.user_update(actor helpdesk.users, target_id int, changes jsonb,
                                     at timestamptz DEFAULT now())
RETURNS helpdesk.users
LANGUAGE plpgsql
AS $$
DECLARE
    prev  helpdesk.users;
    u     helpdesk.users;
    diff  jsonb;
BEGIN
    PERFORM helpdesk.require_role(actor, 'Admin');
    IF changes ? 'role' OR changes ? 'isActive' THEN
        PERFORM helpdesk.lock_active_admins();
    END IF;
    prev := helpdesk.user_get(target_id, true);
    IF changes = '{}' THEN
        RETURN prev;
    END IF;
    IF changes ? 'username' AND EXISTS (SELECT FROM helpdesk.users x
            WHERE lower(x.username) = lower(changes ->> 'username') AND x.id <> prev.id) THEN
        PERFORM helpdesk.http_error(409, 'Username already exists');
    END IF;
    IF changes ? 'email' AND EXISTS (SELECT FROM helpdesk.users x
            WHERE lower(x.email) = lower(changes ->> 'email') AND x.id <> prev.id) THEN
        PERFORM helpdesk.http_error(409, 'Email already exists');
    END IF;
    IF (changes ? 'role' AND (changes ->> 'role') <> 'Admin')
       OR (changes ? 'isActive' AND NOT (changes ->> 'isActive')::boolean) THEN
        PERFORM helpdesk.assert_not_last_admin(prev);
    END IF;

    UPDATE helpdesk.users x SET
        username   = CASE WHEN changes ? 'username' THEN lower(changes ->> 'username') ELSE x.username END,
        email      = CASE WHEN changes ? 'email' THEN lower(changes ->> 'email') ELSE x.email END,
        full_name  = CASE WHEN changes ? 'fullName' THEN changes ->> 'fullName' ELSE x.full_name END,
        role       = CASE WHEN changes ? 'role' THEN (changes ->> 'role')::helpdesk.user_role ELSE x.role END,
        department = CASE WHEN changes ? 'department' THEN changes ->> 'department' ELSE x.department END,
        phone      = CASE WHEN changes ? 'phone' THEN changes ->> 'phone' ELSE x.phone END,
        avatar_url = CASE WHEN changes ? 'avatarUrl' THEN changes ->> 'avatarUrl' ELSE x.avatar_url END,
        is_active  = CASE WHEN changes ? 'isActive' THEN (changes ->> 'isActive')::boolean ELSE x.is_active END
    WHERE x.id = prev.id
    RETURNING * INTO u;

    IF prev.is_active AND NOT u.is_active THEN
        PERFORM helpdesk.refresh_tokens_revoke_user(u.id, 'deactivated', at);
    END IF;
    SELECT jsonb_object_agg(n.key, jsonb_build_object('old', o.value, 'new', n.value)) INTO diff
    FROM jsonb_each(helpdesk.user_json(u)) n
    JOIN jsonb_each(helpdesk.user_json(prev)) o USING (key)
    WHERE n.value IS DISTINCT FROM o.value AND n.key NOT IN ('updatedAt');
    IF diff IS NOT NULL THEN
        PERFORM helpdesk.audit('USER_UPDATED', 'user', u.id, jsonb_build_object('changes', diff));
    END IF;
    RETURN u;
END
$$;

-- Delete a user (Admin). Admins cannot be deleted; users who own tickets, comments or other
-- records cannot either (409: deactivate them instead).
CREATE FUNCTION helpdesk.user_delete(actor helpdesk.users, target_id int)
RETURNS void
LANGUAGE plpgsql
AS $$
DECLARE
    u helpdesk.users;
BEGIN
    PERFORM helpdesk.require_role(actor, 'Admin');
    u := helpdesk.user_get(target_id, true);
    IF u.role = 'Admin' THEN
        PERFORM helpdesk.http_error(403, 'Cannot delete admin users');
    END IF;
    -- Tickets, comments and attachments refer to their author with ON DELETE RESTRICT: the
    -- foreign keys decide, whichever later module holds the records.
    BEGIN
        DELETE FROM helpdesk.users x WHERE x.id = u.id;
    EXCEPTION WHEN foreign_key_violation THEN
        PERFORM helpdesk.http_error(409, format(
            'Cannot delete user with ID %s: the user has submitted tickets or written comments. Deactivate the user instead', u.id));
    END;
    PERFORM helpdesk.audit('USER_DELETED', 'user', u.id,
                           jsonb_build_object('username', u.username, 'email', u.email, 'role', u.role));
END
$$;

-- Update one's own profile (any user): name, department, phone, avatar.
CREATE FUNCTION helpdesk.user_update_profile(actor helpdesk.users, changes jsonb)
RETURNS helpdesk.users
LANGUAGE plpgsql
AS $$
DECLARE
    u helpdesk.users;
BEGIN
    UPDATE helpdesk.users x SET
        full_name  = CASE WHEN changes ? 'fullName' THEN changes ->> 'fullName' ELSE x.full_name END,
        department = CASE WHEN changes ? 'department' THEN changes ->> 'department' ELSE x.department END,
        phone      = CASE WHEN changes ? 'phone' THEN changes ->> 'phone' ELSE x.phone END,
        avatar_url = CASE WHEN changes ? 'avatarUrl' THEN changes ->> 'avatarUrl' ELSE x.avatar_url END
    WHERE x.id = actor.id
    RETURNING * INTO u;
    PERFORM helpdesk.audit('PROFILE_UPDATED', 'user', u.id, jsonb_build_object('fields', changes));
    RETURN u;
END
$$;

-- A user as staff see it (IT_Staff, Admin).
CREATE FUNCTION helpdesk.user_view(actor helpdesk.users, target_id int)
RETURNS helpdesk.users
LANGUAGE plpgsql STABLE
AS $$
BEGIN
    PERFORM helpdesk.require_role(actor, 'IT_Staff', 'Admin');
    RETURN helpdesk.user_get(target_id);
END
$$;

-- Sortable fields of the user list: camelCase name -> column.
CREATE FUNCTION helpdesk.user_sort_column(sort_by text)
RETURNS text
LANGUAGE plpgsql IMMUTABLE
AS $$
DECLARE
    sorts CONSTANT jsonb := '{"id": "id", "username": "username", "email": "email", "fullName": "full_name",
                              "role": "role", "department": "department", "phone": "phone",
                              "isActive": "is_active", "lastLoginAt": "last_login_at",
                              "createdAt": "created_at", "updatedAt": "updated_at"}';
BEGIN
    IF NOT sorts ? coalesce(sort_by, 'createdAt') THEN
        PERFORM helpdesk.validation_error('sortBy must be one of the following values: '
            || (SELECT string_agg(k, ', ' ORDER BY k) FROM jsonb_object_keys(sorts) k));
    END IF;
    RETURN sorts ->> coalesce(sort_by, 'createdAt');
END
$$;

-- The user list (IT_Staff, Admin): filters, search in username/email/full name, one page, in
-- the reference's paginated shape {users, total, page, totalPages}.
CREATE FUNCTION helpdesk.user_list(actor helpdesk.users, role helpdesk.user_role DEFAULT NULL,
                                   department text DEFAULT NULL, active boolean DEFAULT NULL,
                                   search text DEFAULT NULL, page int DEFAULT 1, page_size int DEFAULT 10,
                                   sort_by text DEFAULT 'createdAt', sort_order text DEFAULT 'DESC')
RETURNS jsonb
LANGUAGE plpgsql STABLE
AS $$
DECLARE
    pattern text := helpdesk.like_pattern(search);
    col     text := helpdesk.user_sort_column(sort_by);
    dir     text := CASE WHEN upper(sort_order) = 'ASC' THEN 'ASC' ELSE 'DESC' END;
    total   bigint;
    items   jsonb;
BEGIN
    PERFORM helpdesk.require_role(actor, 'IT_Staff', 'Admin');
    SELECT count(*) INTO total FROM helpdesk.users x
    WHERE (user_list.role IS NULL OR x.role = user_list.role)
      AND (user_list.department IS NULL OR x.department = user_list.department)
      AND (active IS NULL OR x.is_active = active)
      AND (search IS NULL OR x.username ILIKE pattern OR x.email ILIKE pattern OR x.full_name ILIKE pattern);

    EXECUTE format(
        'SELECT jsonb_agg(helpdesk.user_json(s) ORDER BY s.%1$I %2$s NULLS LAST, s.id %2$s) FROM (
            SELECT * FROM helpdesk.users x
            WHERE ($1 IS NULL OR x.role = $1)
              AND ($2 IS NULL OR x.department = $2)
              AND ($3 IS NULL OR x.is_active = $3)
              AND ($4 IS NULL OR x.username ILIKE $5 OR x.email ILIKE $5 OR x.full_name ILIKE $5)
            ORDER BY x.%1$I %2$s NULLS LAST, x.id %2$s
            LIMIT $6 OFFSET $7) s',
        col, dir)
    INTO items
    USING role, department, active, search, pattern, page_size, (page - 1)::bigint * page_size;
    RETURN helpdesk.paginated('users', items, total, page, page_size);
END
$$;

-- Counts of users by state and role (Admin).
CREATE FUNCTION helpdesk.user_stats(actor helpdesk.users)
RETURNS jsonb
LANGUAGE plpgsql STABLE
AS $$
DECLARE
    result jsonb;
BEGIN
    PERFORM helpdesk.require_role(actor, 'Admin');
    SELECT jsonb_build_object(
        'total', count(*),
        'active', count(*) FILTER (WHERE x.is_active),
        'inactive', count(*) FILTER (WHERE NOT x.is_active),
        'byRole', jsonb_build_object(
            'employee', count(*) FILTER (WHERE x.role = 'Employee'),
            'itStaff', count(*) FILTER (WHERE x.role = 'IT_Staff'),
            'admin', count(*) FILTER (WHERE x.role = 'Admin')))
    INTO result
    FROM helpdesk.users x;
    RETURN result;
END
$$;

-- Active users by name (IT_Staff, Admin): the staff and admins (department NULL), or the users
-- of one department.
CREATE FUNCTION helpdesk.user_directory(actor helpdesk.users, department text DEFAULT NULL)
RETURNS jsonb
LANGUAGE plpgsql STABLE
AS $$
BEGIN
    PERFORM helpdesk.require_role(actor, 'IT_Staff', 'Admin');
    RETURN coalesce((SELECT jsonb_agg(helpdesk.user_json(x) ORDER BY x.full_name, x.id)
                     FROM helpdesk.users x
                     WHERE x.is_active
                       AND CASE WHEN user_directory.department IS NULL THEN helpdesk.is_staff(x)
                                ELSE x.department = user_directory.department END), '[]');
END
$$;

-- ==== sql/11_users_api.sql ====
-- 11_users_api: the /api/v1/users routes (seed-system §2.2). Each reads its input, resolves the
-- acting user and calls the domain function of sql/10_users.sql, which decides who may do it.

-- The fields of PATCH /users/:id and PATCH /users/profile, validated, as a jsonb of changes.
CREATE FUNCTION helpdesk.user_changes(b jsonb, admin boolean)
RETURNS jsonb
LANGUAGE plpgsql STABLE
AS $$
DECLARE
    c jsonb := '{}';
    s text;
BEGIN
    IF admin THEN
        IF b ? 'username' THEN
            s := lower(btrim(helpdesk.field_text(b, 'username', true, 3, 50)));
            IF length(s) < 3 THEN
                PERFORM helpdesk.validation_error('username must be longer than or equal to 3 characters');
            END IF;
            c := c || jsonb_build_object('username', s);
        END IF;
        IF b ? 'email' THEN
            c := c || jsonb_build_object('email', helpdesk.field_email(b, 'email', true));
        END IF;
        IF b ? 'role' THEN
            c := c || jsonb_build_object('role', helpdesk.field_enum(b, 'role', NULL::helpdesk.user_role, true));
        END IF;
        IF b ? 'isActive' THEN
            c := c || jsonb_build_object('isActive', helpdesk.field_bool(b, 'isActive', true));
        END IF;
    END IF;
    IF b ? 'fullName' THEN
        s := btrim(helpdesk.field_text(b, 'fullName', true, 1, 100));
        IF s = '' THEN
            PERFORM helpdesk.validation_error('fullName should not be empty');
        END IF;
        c := c || jsonb_build_object('fullName', s);
    END IF;
    IF b ? 'department' THEN
        c := c || jsonb_build_object('department', nullif(btrim(helpdesk.field_text(b, 'department', false, NULL, 100)), ''));
    END IF;
    IF b ? 'phone' THEN
        c := c || jsonb_build_object('phone', nullif(btrim(helpdesk.field_text(b, 'phone', false, NULL, 20)), ''));
    END IF;
    IF b ? 'avatarUrl' THEN
        c := c || jsonb_build_object('avatarUrl', nullif(btrim(helpdesk.field_text(b, 'avatarUrl', false, NULL, 255)), ''));
    END IF;
    RETURN c;
END
$$;


-- POST /users (Admin): username optional (derived from the e-mail when absent).
CREATE FUNCTION helpdesk_api.users_create(req jsonb)
RETURNS jsonb
LANGUAGE plpgsql
AS $$
DECLARE
    actor helpdesk.users := helpdesk.current_actor();
    b     jsonb := helpdesk.body(req, 'username', 'email', 'password', 'fullName', 'role', 'department',
                                      'phone', 'avatarUrl');
    uname text := lower(btrim(helpdesk.field_text(b, 'username', false, 3, 50)));
    addr  text := helpdesk.field_email(b, 'email', true);
    pw    text := helpdesk.field_text(b, 'password', true);
    fname text := btrim(helpdesk.field_text(b, 'fullName', true, 1, 100));
    r     helpdesk.user_role := helpdesk.field_enum(b, 'role', NULL::helpdesk.user_role);
BEGIN
    IF length(uname) < 3 THEN
        PERFORM helpdesk.validation_error('username must be longer than or equal to 3 characters');
    END IF;
    PERFORM helpdesk.check_new_password(pw);
    RETURN helpdesk.user_json(helpdesk.user_create(actor, uname, addr, pw, fname,
        coalesce(r, 'Employee'),
        nullif(btrim(helpdesk.field_text(b, 'department', false, NULL, 100)), ''),
        nullif(btrim(helpdesk.field_text(b, 'phone', false, NULL, 20)), ''),
        nullif(btrim(helpdesk.field_text(b, 'avatarUrl', false, NULL, 255)), '')));
END
$$;

-- GET /users (IT_Staff, Admin): filters role, department, isActive, search; paginated, sorted.
CREATE FUNCTION helpdesk_api.users_list(req jsonb)
RETURNS jsonb
LANGUAGE plpgsql STABLE
AS $$
DECLARE
    actor helpdesk.users := helpdesk.current_actor();
    search text := helpdesk.query_text(req, 'search');
BEGIN
    IF length(search) > 100 THEN
        PERFORM helpdesk.validation_error('search must be shorter than or equal to 100 characters');
    END IF;
    RETURN helpdesk.user_list(actor,
        role => helpdesk.query_enum(req, 'role', NULL::helpdesk.user_role),
        department => helpdesk.query_text(req, 'department'),
        active => helpdesk.query_bool(req, 'isActive'),
        search => search,
        page => helpdesk.query_page(req),
        page_size => helpdesk.query_limit(req),
        sort_by => coalesce(helpdesk.query_text(req, 'sortBy'), 'createdAt'),
        sort_order => helpdesk.query_sort_order(req));
END
$$;

-- GET /users/stats (Admin)
CREATE FUNCTION helpdesk_api.users_stats(req jsonb)
RETURNS jsonb
LANGUAGE plpgsql STABLE
AS $$
BEGIN
    RETURN helpdesk.user_stats(helpdesk.current_actor());
END
$$;

-- GET /users/it-staff (IT_Staff, Admin): active staff and admins by name.
CREATE FUNCTION helpdesk_api.users_it_staff(req jsonb)
RETURNS jsonb
LANGUAGE plpgsql STABLE
AS $$
BEGIN
    RETURN helpdesk.user_directory(helpdesk.current_actor());
END
$$;

-- GET /users/department/:department (IT_Staff, Admin): active users of a department by name.
CREATE FUNCTION helpdesk_api.users_by_department(req jsonb)
RETURNS jsonb
LANGUAGE plpgsql STABLE
AS $$
BEGIN
    RETURN helpdesk.user_directory(helpdesk.current_actor(), req -> 'path' ->> 'department');
END
$$;

-- PATCH /users/profile {fullName?, department?, phone?, avatarUrl?}
CREATE FUNCTION helpdesk_api.users_update_profile(req jsonb)
RETURNS jsonb
LANGUAGE plpgsql
AS $$
DECLARE
    actor helpdesk.users := helpdesk.current_actor();
    c jsonb := helpdesk.user_changes(helpdesk.body(req, 'fullName', 'department', 'phone', 'avatarUrl'), false);
BEGIN
    RETURN helpdesk.user_json(helpdesk.user_update_profile(actor, c));
END
$$;

-- GET /users/:id (IT_Staff, Admin)
CREATE FUNCTION helpdesk_api.users_get(req jsonb)
RETURNS jsonb
LANGUAGE plpgsql STABLE
AS $$
BEGIN
    RETURN helpdesk.user_json(helpdesk.user_view(helpdesk.current_actor(), helpdesk.path_int(req)));
END
$$;

-- PATCH /users/:id (Admin)
CREATE FUNCTION helpdesk_api.users_update(req jsonb)
RETURNS jsonb
LANGUAGE plpgsql
AS $$
DECLARE
    actor helpdesk.users := helpdesk.current_actor();
    c jsonb := helpdesk.user_changes(helpdesk.body(req, 'username', 'email', 'fullName', 'role', 'department',
                                                        'phone', 'avatarUrl', 'isActive'), true);
BEGIN
    RETURN helpdesk.user_json(helpdesk.user_update(actor, helpdesk.path_int(req), c));
END
$$;

-- DELETE /users/:id (Admin)
CREATE FUNCTION helpdesk_api.users_delete(req jsonb)
RETURNS jsonb
LANGUAGE plpgsql
AS $$
BEGIN
    PERFORM helpdesk.user_delete(helpdesk.current_actor(), helpdesk.path_int(req));
    RETURN jsonb_build_object('message', 'User deleted successfully');
END
$$;

-- PATCH|POST /users/:id/activate and /deactivate (Admin): the route row's args say which,
-- {"active": true} or {"active": false}.
CREATE FUNCTION helpdesk_api.users_set_active(req jsonb)
RETURNS jsonb
LANGUAGE plpgsql
AS $$
BEGIN
    RETURN helpdesk.user_json(helpdesk.user_set_active(helpdesk.current_actor(), helpdesk.path_int(req),
                                                       helpdesk.route_arg_bool(req, 'active')));
END
$$;

-- ==== sql/12_auth.sql ====
-- 12_auth: authentication. Login, registration, opaque refresh tokens (rotated, families,
-- reuse detection), logout, forgot-password one-time codes, password change/reset, and the
-- brute-force limits on all of them.
--
-- Failed attempts must be counted even though the request fails. An error raised by a route
-- function rolls back its whole transaction, so a failure row inserted before the RAISE would
-- be lost. Failures that must leave a trace (a wrong password, a wrong one-time code, a reused
-- refresh token) therefore do NOT raise: the function writes its bookkeeping (auth_attempts
-- row, audit row, attempts counter, family revocation) and RETURNS normally the object
-- {"__error": {"status": 401, "message": "...", "retryAfter"?: n}} built by
-- helpdesk.error_result(). The transaction commits, and helpdesk-http answers that status and
-- message in the error envelope (docs/REQUEST-CONTRACT.md, "Errors that must still commit").
-- Errors with nothing to keep (validation, throttled, expired) raise as usual.

-- Attempts that the brute-force limits count: failed logins, failed one-time codes, failed
-- current-password checks, and password-reset requests. `account` is the lower-cased e-mail
-- (login, otp, otp_request) or the user id (password).
CREATE TABLE helpdesk.auth_attempts (
    id          bigserial PRIMARY KEY,
    kind        varchar(20) NOT NULL CHECK (kind IN ('login', 'otp', 'otp_request', 'password')),
    account     text NOT NULL,
    ip_address  text,
    created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX auth_attempts_account_idx ON helpdesk.auth_attempts (kind, account, created_at);

CREATE INDEX auth_attempts_ip_idx ON helpdesk.auth_attempts (kind, ip_address, created_at)
    WHERE ip_address IS NOT NULL;

CREATE INDEX auth_attempts_created_idx ON helpdesk.auth_attempts (created_at);

SELECT pg_catalog.pg_extension_config_dump('helpdesk.auth_attempts', '');

SELECT pg_catalog.pg_extension_config_dump('helpdesk.auth_attempts_id_seq', '');

-- An error answer that still commits (see the top of this file).
CREATE FUNCTION helpdesk.error_result(status int, message text, retry_after int DEFAULT NULL)
RETURNS jsonb
LANGUAGE sql IMMUTABLE
AS $$
    SELECT pg_catalog.jsonb_build_object('__error',
        pg_catalog.jsonb_strip_nulls(pg_catalog.jsonb_build_object(
            'status', status, 'message', message, 'retryAfter', retry_after)))
$$;

-- The limits of one kind of attempt: at most max_per_account per account and max_per_ip per
-- client address within window. Settings (helpdesk.settings keys) override the defaults:
-- <kind>_max_per_account, <kind>_max_per_ip, <kind>_window_minutes.
CREATE FUNCTION helpdesk.auth_limits(kind text, OUT max_per_account int, OUT max_per_ip int,
                                     OUT window_length interval)
LANGUAGE plpgsql STABLE
AS $$
DECLARE
    -- kind: per account, per address, minutes
    defaults CONSTANT jsonb := '{"login": [5, 20, 15], "otp": [10, 20, 15],
                                 "otp_request": [3, 10, 15], "password": [5, 20, 15]}';
BEGIN
    IF NOT defaults ? kind THEN
        RAISE EXCEPTION 'helpdesk.auth_limits: unknown kind %', kind;
    END IF;
    max_per_account := helpdesk.setting(kind || '_max_per_account', defaults -> kind ->> 0)::int;
    max_per_ip := helpdesk.setting(kind || '_max_per_ip', defaults -> kind ->> 1)::int;
    window_length := make_interval(mins => helpdesk.setting(kind || '_window_minutes', defaults -> kind ->> 2)::int);
END
$$;

-- Serialize the attempts of one kind on one account until the end of the transaction, so that
-- parallel requests cannot all pass the limit before any of them has recorded its failure.
-- (Per address there is no lock: all users behind one NAT would queue; that limit is approximate
-- under concurrency, the per-account one is exact.)
CREATE FUNCTION helpdesk.auth_lock(kind text, account text)
RETURNS void
LANGUAGE sql VOLATILE
AS $$ SELECT pg_catalog.pg_advisory_xact_lock(pg_catalog.hashtextextended('helpdesk.auth:' || kind || ':' || account, 0)) $$;

-- Seconds until one more attempt of `kind` is allowed for (account, ip), NULL when allowed now.
CREATE FUNCTION helpdesk.auth_throttle(kind text, account text, ip text, at timestamptz DEFAULT now())
RETURNS int
LANGUAGE plpgsql STABLE
AS $$
DECLARE
    lim    record := helpdesk.auth_limits(kind);
    oldest timestamptz;
    until  timestamptz;
BEGIN
    -- The max-th newest attempt in the window: once it leaves the window, one more is allowed.
    -- (No upper bound on created_at: a parallel request that started after this one may have
    -- recorded its failure with a later clock before this one got the account lock.)
    SELECT a.created_at INTO oldest
    FROM helpdesk.auth_attempts a
    WHERE a.kind = auth_throttle.kind AND a.account = auth_throttle.account
      AND a.created_at > at - lim.window_length
    ORDER BY a.created_at DESC
    OFFSET greatest(lim.max_per_account, 1) - 1 LIMIT 1;
    IF FOUND THEN
        until := oldest + lim.window_length;
    END IF;
    IF ip IS NOT NULL THEN
        SELECT a.created_at INTO oldest
        FROM helpdesk.auth_attempts a
        WHERE a.kind = auth_throttle.kind AND a.ip_address = ip
          AND a.created_at > at - lim.window_length
        ORDER BY a.created_at DESC
        OFFSET greatest(lim.max_per_ip, 1) - 1 LIMIT 1;
        IF FOUND THEN
            until := greatest(until, oldest + lim.window_length);
        END IF;
    END IF;
    IF until IS NULL THEN
        RETURN NULL;
    END IF;
    RETURN greatest(1, ceil(extract(epoch FROM until - at)))::int;
END
$$;

-- Count one attempt, and forget this account's attempts that left the window.
CREATE FUNCTION helpdesk.auth_attempt_record(kind text, account text, ip text, at timestamptz DEFAULT now())
RETURNS void
LANGUAGE plpgsql
AS $$
DECLARE
    win interval := (helpdesk.auth_limits(kind)).window_length;
BEGIN
    DELETE FROM helpdesk.auth_attempts a
    WHERE a.kind = auth_attempt_record.kind AND a.account = auth_attempt_record.account
      AND a.created_at <= at - win;
    INSERT INTO helpdesk.auth_attempts (kind, account, ip_address, created_at)
    VALUES (kind, account, ip, at);
END
$$;

-- Housekeeping for a DBA or a scheduler: drop attempts older than every window.
CREATE FUNCTION helpdesk.auth_attempts_purge(at timestamptz DEFAULT now(), keep interval DEFAULT '1 day')
RETURNS bigint
LANGUAGE sql VOLATILE
AS $$
    WITH d AS (DELETE FROM helpdesk.auth_attempts WHERE created_at < at - keep RETURNING 1)
    SELECT count(*) FROM d
$$;

-- The claims helpdesk-http signs into the access token (response kind `tokens`).
CREATE FUNCTION helpdesk.access_claims(u helpdesk.users)
RETURNS jsonb
LANGUAGE sql STABLE
AS $$ SELECT pg_catalog.jsonb_build_object('sub', u.id, 'email', u.email, 'role', u.role) $$;

CREATE FUNCTION helpdesk.refresh_token_hash(token text)
RETURNS bytea
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
AS $$ SELECT pg_catalog.sha256(pg_catalog.convert_to(token, 'UTF8')) $$;

-- A new opaque refresh token for `user_id`: 32 random bytes, base64url. Only its SHA-256 is
-- stored. `family` NULL starts a new family (a login); rotation passes the old token's family.
-- Lifetime: setting refresh_token_days (default 30).
CREATE FUNCTION helpdesk.refresh_token_issue(user_id int, family uuid DEFAULT NULL, at timestamptz DEFAULT now())
RETURNS text
LANGUAGE plpgsql
AS $$
DECLARE
    token text := rtrim(translate(encode(public.gen_random_bytes(32), 'base64'), '+/', '-_'), '=');
BEGIN
    INSERT INTO helpdesk.refresh_tokens (user_id, family_id, token_hash, expires_at, ip_address, user_agent, created_at)
    VALUES (user_id, coalesce(family, gen_random_uuid()), helpdesk.refresh_token_hash(token),
            at + make_interval(days => helpdesk.setting('refresh_token_days', '30')::int),
            helpdesk.client_ip(), nullif(current_setting('helpdesk.user_agent', true), ''), at);
    RETURN token;
END
$$;

-- The bcrypt hash of a password the dummy comparison uses when no account matches, so a
-- login for an unknown address costs the same time as one for a known address.
CREATE FUNCTION helpdesk.dummy_password_check(password text)
RETURNS void
LANGUAGE plpgsql VOLATILE
AS $$
BEGIN
    PERFORM public.crypt(password, public.gen_salt('bf', current_setting('helpdesk.bcrypt_cost')::int));
END
$$;

-- Set a user's password (hashed once, here), end every session: access tokens issued before
-- `at` are refused by current_actor(), refresh tokens are revoked.
CREATE FUNCTION helpdesk.user_set_password(user_id int, password text, reason text, at timestamptz DEFAULT now())
RETURNS void
LANGUAGE plpgsql
AS $$
BEGIN
    PERFORM helpdesk.check_new_password(password);
    UPDATE helpdesk.users u SET password_hash = helpdesk.hash_password(password), tokens_valid_after = at
    WHERE u.id = user_set_password.user_id;
    PERFORM helpdesk.refresh_tokens_revoke_user(user_id, reason, at);
END
$$;

-- Login. Success: {user, accessClaims, refreshToken}, last_login_at set, a LOGIN audit row, the
-- account's failure count cleared. Failure: a LOGIN_FAILED audit row and a counted attempt, and
-- the committing error 401. Over the limits: 429 with Retry-After.
CREATE FUNCTION helpdesk.login(email text, password text, at timestamptz DEFAULT now())
RETURNS jsonb
LANGUAGE plpgsql
AS $$
DECLARE
    addr   text := lower(btrim(email));
    ip     text := helpdesk.client_ip();
    u      helpdesk.users;
    reason text;
    retry  int;
BEGIN
    PERFORM helpdesk.auth_lock('login', addr);
    retry := helpdesk.auth_throttle('login', addr, ip, at);
    IF retry IS NOT NULL THEN
        PERFORM helpdesk.http_error(429, 'Too many failed login attempts. Please try again later.', NULL, retry);
    END IF;

    SELECT * INTO u FROM helpdesk.users x WHERE lower(x.email) = addr;
    IF NOT FOUND THEN
        PERFORM helpdesk.dummy_password_check(password);
        reason := 'unknown_email';
    ELSIF NOT helpdesk.password_matches(password, u.password_hash) THEN
        reason := 'wrong_password';
    ELSIF NOT u.is_active THEN
        reason := 'inactive';
    END IF;

    IF reason IS NOT NULL THEN
        PERFORM helpdesk.auth_attempt_record('login', addr, ip, at);
        PERFORM helpdesk.audit('LOGIN_FAILED', 'user', u.id,
                               jsonb_build_object('email', addr, 'reason', reason), u.id);
        RETURN helpdesk.error_result(401, CASE reason WHEN 'inactive' THEN 'Account is not active'
                                                      ELSE 'Invalid email or password' END);
    END IF;

    UPDATE helpdesk.users x SET last_login_at = at WHERE x.id = u.id RETURNING * INTO u;
    DELETE FROM helpdesk.auth_attempts a WHERE a.kind = 'login' AND a.account = addr;
    PERFORM helpdesk.audit('LOGIN', 'user', u.id, '{}', u.id);
    RETURN jsonb_build_object('user', helpdesk.user_json(u), 'accessClaims', helpdesk.access_claims(u),
                              'refreshToken', helpdesk.refresh_token_issue(u.id, NULL, at));
END
$$;

-- Exchange a refresh token for a new pair. The token is rotated (it can be used once); using
-- a rotated token again revokes its whole family (someone holds a stolen copy) and answers the
-- committing error 401. Revoked, expired, unknown tokens and tokens of inactive users: 401.
CREATE FUNCTION helpdesk.refresh(token text, at timestamptz DEFAULT now())
RETURNS jsonb
LANGUAGE plpgsql
AS $$
DECLARE
    r helpdesk.refresh_tokens;
    u helpdesk.users;
BEGIN
    IF token IS NULL OR length(token) > 256 THEN
        PERFORM helpdesk.http_error(401, 'Invalid refresh token');
    END IF;
    SELECT * INTO r FROM helpdesk.refresh_tokens t WHERE t.token_hash = helpdesk.refresh_token_hash(token) FOR UPDATE;
    IF NOT FOUND THEN
        PERFORM helpdesk.http_error(401, 'Invalid refresh token');
    END IF;
    IF r.rotated_at IS NOT NULL THEN
        UPDATE helpdesk.refresh_tokens t SET revoked_at = at, revoked_reason = 'reuse_detected'
        WHERE t.family_id = r.family_id AND t.revoked_at IS NULL;
        PERFORM helpdesk.audit('REFRESH_TOKEN_REUSED', 'user', r.user_id,
                               jsonb_build_object('familyId', r.family_id), r.user_id);
        RETURN helpdesk.error_result(401, 'Refresh token has already been used');
    END IF;
    IF r.revoked_at IS NOT NULL THEN
        PERFORM helpdesk.http_error(401, 'Refresh token has been revoked');
    END IF;
    IF r.expires_at <= at THEN
        PERFORM helpdesk.http_error(401, 'Refresh token has expired');
    END IF;
    SELECT * INTO u FROM helpdesk.users x WHERE x.id = r.user_id;
    IF NOT u.is_active OR r.created_at < u.tokens_valid_after THEN
        PERFORM helpdesk.http_error(401, 'Invalid token or user not found');
    END IF;
    UPDATE helpdesk.refresh_tokens t SET rotated_at = at WHERE t.id = r.id;
    RETURN jsonb_build_object('accessClaims', helpdesk.access_claims(u),
                              'refreshToken', helpdesk.refresh_token_issue(u.id, r.family_id, at));
END
$$;

-- Logout: revoke the family of the refresh token given (if it is the actor's), audit.
CREATE FUNCTION helpdesk.logout(actor helpdesk.users, token text DEFAULT NULL, at timestamptz DEFAULT now())
RETURNS boolean
LANGUAGE plpgsql
AS $$
DECLARE
    fam uuid;
    n   int := 0;
BEGIN
    IF token IS NOT NULL THEN
        SELECT t.family_id INTO fam FROM helpdesk.refresh_tokens t
        WHERE t.token_hash = helpdesk.refresh_token_hash(token) AND t.user_id = actor.id;
        IF FOUND THEN
            UPDATE helpdesk.refresh_tokens t SET revoked_at = at, revoked_reason = 'logout'
            WHERE t.family_id = fam AND t.revoked_at IS NULL;
            GET DIAGNOSTICS n = ROW_COUNT;
        END IF;
    END IF;
    PERFORM helpdesk.audit('LOGOUT', 'user', actor.id, jsonb_build_object('refreshTokenRevoked', n > 0), actor.id);
    RETURN n > 0;
END
$$;

-- Forgot password: a 6-digit one-time code valid otp_valid_minutes (default 10), stored as a
-- bcrypt hash, mailed through the outbox. Earlier unused codes of the user stop working.
-- Unknown or inactive addresses: nothing is stored or sent, the caller cannot tell.
-- Requests are limited per address and per client (kind otp_request).
CREATE FUNCTION helpdesk.password_reset_request(email text, at timestamptz DEFAULT now())
RETURNS void
LANGUAGE plpgsql
AS $$
DECLARE
    addr    text := lower(btrim(email));
    ip      text := helpdesk.client_ip();
    u       helpdesk.users;
    b       bytea := public.gen_random_bytes(4);
    otp     text;
    minutes int := helpdesk.setting('otp_valid_minutes', '10')::int;
    retry   int;
BEGIN
    PERFORM helpdesk.auth_lock('otp_request', addr);
    retry := helpdesk.auth_throttle('otp_request', addr, ip, at);
    IF retry IS NOT NULL THEN
        PERFORM helpdesk.http_error(429, 'Too many password reset requests. Please try again later.', NULL, retry);
    END IF;
    PERFORM helpdesk.auth_attempt_record('otp_request', addr, ip, at);

    SELECT * INTO u FROM helpdesk.users x WHERE lower(x.email) = addr AND x.is_active;
    IF NOT FOUND THEN
        RETURN;
    END IF;

    otp := (100000 + ((get_byte(b, 0)::bigint << 24) | (get_byte(b, 1) << 16) | (get_byte(b, 2) << 8)
                      | get_byte(b, 3)) % 900000)::text;
    UPDATE helpdesk.password_resets p SET expires_at = at
    WHERE p.user_id = u.id AND p.used_at IS NULL AND p.expires_at > at;
    INSERT INTO helpdesk.password_resets (user_id, otp_hash, expires_at, ip_address, created_at)
    VALUES (u.id, public.crypt(otp, public.gen_salt('bf', 4)), at + make_interval(mins => minutes), ip, at);
    INSERT INTO helpdesk.email_outbox (user_id, recipient, subject, body_text, template)
    VALUES (u.id, u.email, 'Password Reset OTP - NexusFlow Ticket System',
            format(E'Hello %s,\n\nYour password reset code is %s.\nIt is valid for %s minutes and can be used once.\n\nIf you did not ask to reset your password, ignore this e-mail.\n',
                   u.full_name, otp, minutes),
            'password_reset_otp');
    PERFORM helpdesk.audit('PASSWORD_RESET_REQUESTED', 'user', u.id, '{}', u.id);
END
$$;

-- Check a one-time code without consuming it. reset_id: the code's row when valid. error: the
-- committing error when the code is wrong (the wrong try is counted on the code, at most
-- otp_max_attempts (default 5) tries per code, and against the per-account/address limits).
CREATE FUNCTION helpdesk.otp_check(email text, otp text, at timestamptz DEFAULT now(),
                                   OUT reset_id int, OUT error jsonb)
LANGUAGE plpgsql
AS $$
DECLARE
    addr  text := lower(btrim(email));
    ip    text := helpdesk.client_ip();
    u     helpdesk.users;
    r     helpdesk.password_resets;
    retry int;
BEGIN
    PERFORM helpdesk.auth_lock('otp', addr);
    retry := helpdesk.auth_throttle('otp', addr, ip, at);
    IF retry IS NOT NULL THEN
        PERFORM helpdesk.http_error(429, 'Too many invalid OTP attempts. Please try again later.', NULL, retry);
    END IF;
    SELECT * INTO u FROM helpdesk.users x WHERE lower(x.email) = addr AND x.is_active;
    IF FOUND THEN
        SELECT * INTO r FROM helpdesk.password_resets p
        WHERE p.user_id = u.id AND p.used_at IS NULL AND p.created_at <= at
        ORDER BY p.created_at DESC, p.id DESC LIMIT 1 FOR UPDATE;
    END IF;
    IF r.id IS NULL THEN
        PERFORM helpdesk.auth_attempt_record('otp', addr, ip, at);
        error := helpdesk.error_result(400, 'Invalid OTP code');
        RETURN;
    END IF;
    IF r.attempts >= helpdesk.setting('otp_max_attempts', '5')::int THEN
        PERFORM helpdesk.http_error(400, 'Too many invalid attempts. Please request a new OTP');
    END IF;
    IF r.expires_at <= at THEN
        PERFORM helpdesk.http_error(400, 'OTP has expired. Please request a new one');
    END IF;
    IF otp IS NULL OR NOT helpdesk.password_matches(otp, r.otp_hash) THEN
        UPDATE helpdesk.password_resets p SET attempts = p.attempts + 1 WHERE p.id = r.id;
        PERFORM helpdesk.auth_attempt_record('otp', addr, ip, at);
        PERFORM helpdesk.audit('OTP_FAILED', 'user', u.id, '{}', u.id);
        error := helpdesk.error_result(400, 'Invalid OTP code');
        RETURN;
    END IF;
    reset_id := r.id;
END
$$;

-- Reset a password with a one-time code: consumes the code, sets the password (ending every
-- session), audits, and mails a confirmation. Returns NULL, or the committing error.
CREATE FUNCTION helpdesk.password_reset(email text, otp text, new_password text, at timestamptz DEFAULT now())
RETURNS jsonb
LANGUAGE plpgsql
AS $$
DECLARE
    c   record;
    uid int;
    u   helpdesk.users;
BEGIN
    PERFORM helpdesk.check_new_password(new_password, 'newPassword');
    c := helpdesk.otp_check(email, otp, at);
    IF c.error IS NOT NULL THEN
        RETURN c.error;
    END IF;
    UPDATE helpdesk.password_resets p SET used_at = at WHERE p.id = c.reset_id RETURNING p.user_id INTO uid;
    PERFORM helpdesk.user_set_password(uid, new_password, 'password_reset', at);
    -- the owner proved control of the address: forget its failed codes and logins
    DELETE FROM helpdesk.auth_attempts a WHERE a.kind IN ('otp', 'login') AND a.account = lower(btrim(email));
    SELECT * INTO u FROM helpdesk.users x WHERE x.id = uid;
    INSERT INTO helpdesk.email_outbox (user_id, recipient, subject, body_text, template)
    VALUES (u.id, u.email, 'Password Reset Successful - NexusFlow Ticket System',
            format(E'Hello %s,\n\nYour password has been reset. Every session was signed out.\n\nIf you did not do this, contact the IT service desk at once.\n',
                   u.full_name),
            'password_reset_success');
    PERFORM helpdesk.audit('PASSWORD_RESET', 'user', uid, '{}', uid);
    RETURN NULL;
END
$$;

-- Change one's own password knowing the current one. Wrong current password: counted (kind
-- password, per user and address) and the committing error 400. Success ends every other
-- session and starts a new one: {accessClaims, refreshToken}.
CREATE FUNCTION helpdesk.password_change(actor helpdesk.users, current_password text, new_password text,
                                         at timestamptz DEFAULT now())
RETURNS jsonb
LANGUAGE plpgsql
AS $$
DECLARE
    ip    text := helpdesk.client_ip();
    retry int;
BEGIN
    PERFORM helpdesk.check_new_password(new_password, 'newPassword');
    PERFORM helpdesk.auth_lock('password', actor.id::text);
    retry := helpdesk.auth_throttle('password', actor.id::text, ip, at);
    IF retry IS NOT NULL THEN
        PERFORM helpdesk.http_error(429, 'Too many failed password attempts. Please try again later.', NULL, retry);
    END IF;
    IF current_password IS NULL OR NOT helpdesk.password_matches(current_password, actor.password_hash) THEN
        PERFORM helpdesk.auth_attempt_record('password', actor.id::text, ip, at);
        PERFORM helpdesk.audit('PASSWORD_CHANGE_FAILED', 'user', actor.id, '{}', actor.id);
        RETURN helpdesk.error_result(400, 'Current password is incorrect');
    END IF;
    PERFORM helpdesk.user_set_password(actor.id, new_password, 'password_change', at);
    DELETE FROM helpdesk.auth_attempts a WHERE a.kind = 'password' AND a.account = actor.id::text;
    PERFORM helpdesk.audit('PASSWORD_CHANGED', 'user', actor.id, '{}', actor.id);
    RETURN jsonb_build_object('accessClaims', helpdesk.access_claims(actor),
                              'refreshToken', helpdesk.refresh_token_issue(actor.id, NULL, at));
END
$$;

-- Self-registration (POST /auth/register): always an Employee. Answers the new session.
CREATE FUNCTION helpdesk.register(username text, email text, password text, full_name text,
                                  phone text DEFAULT NULL, department text DEFAULT NULL)
RETURNS jsonb
LANGUAGE plpgsql
AS $$
DECLARE
    u helpdesk.users;
BEGIN
    PERFORM helpdesk.check_new_password(password);
    -- the reference's own messages for registration
    IF EXISTS (SELECT FROM helpdesk.users x WHERE lower(x.email) = lower(register.email)) THEN
        PERFORM helpdesk.http_error(409, 'User with this email already exists');
    END IF;
    IF EXISTS (SELECT FROM helpdesk.users x WHERE lower(x.username) = lower(register.username)) THEN
        PERFORM helpdesk.http_error(409, 'Username already taken');
    END IF;
    u := helpdesk.user_insert(username, email, password, full_name, 'Employee', department, phone);
    PERFORM helpdesk.audit('REGISTER', 'user', u.id, '{}', u.id);
    RETURN jsonb_build_object('user', helpdesk.user_json(u), 'accessClaims', helpdesk.access_claims(u),
                              'refreshToken', helpdesk.refresh_token_issue(u.id));
END
$$;

-- ==== sql/13_auth_api.sql ====
-- 13_auth_api: the /api/v1/auth routes (seed-system §2.1), and POST /users/change-password,
-- which is a password operation of sql/12_auth.sql. Failures that must still commit come back
-- from the domain functions as {"__error": ...} and are passed through unchanged.

-- POST /auth/login {email, password} -> {user, accessClaims, refreshToken} (kind tokens)
CREATE FUNCTION helpdesk_api.auth_login(req jsonb)
RETURNS jsonb
LANGUAGE plpgsql
AS $$
DECLARE
    b        jsonb := helpdesk.body(req, 'email', 'password');
    email    text := helpdesk.field_email(b, 'email', true);
    password text := helpdesk.field_text(b, 'password', true, NULL, 128);
BEGIN
    RETURN helpdesk.login(email, password);
END
$$;

-- POST /auth/register: always an Employee (a `role` property is refused like any unknown one).
CREATE FUNCTION helpdesk_api.auth_register(req jsonb)
RETURNS jsonb
LANGUAGE plpgsql
AS $$
DECLARE
    b      jsonb := helpdesk.body(req, 'username', 'fullName', 'email', 'password', 'phone', 'department');
    uname  text := lower(btrim(helpdesk.field_text(b, 'username', true, 3, 50)));
    fname  text := btrim(helpdesk.field_text(b, 'fullName', true, 1, 100));
    addr   text := helpdesk.field_email(b, 'email', true);
    pw     text := helpdesk.field_text(b, 'password', true);
BEGIN
    PERFORM helpdesk.check_new_password(pw);
    IF length(uname) < 3 THEN
        PERFORM helpdesk.validation_error('username must be longer than or equal to 3 characters');
    END IF;
    RETURN helpdesk.register(uname, addr, pw, fname, helpdesk.field_text(b, 'phone', false, NULL, 20),
                             helpdesk.field_text(b, 'department', false, NULL, 100));
END
$$;
-- POST /auth/refresh {refreshToken} -> {accessClaims, refreshToken} (kind tokens)
CREATE FUNCTION helpdesk_api.auth_refresh(req jsonb)
RETURNS jsonb
LANGUAGE plpgsql
AS $$
DECLARE
    b     jsonb := helpdesk.body(req, 'refreshToken');
    token text := helpdesk.field_text(b, 'refreshToken', true, NULL, 256);
BEGIN
    RETURN helpdesk.refresh(token);
END
$$;

-- POST /auth/logout {refreshToken?}
CREATE FUNCTION helpdesk_api.auth_logout(req jsonb)
RETURNS jsonb
LANGUAGE plpgsql
AS $$
DECLARE
    actor helpdesk.users := helpdesk.current_actor();
    b     jsonb := helpdesk.body(req, 'refreshToken');
    token text := helpdesk.field_text(b, 'refreshToken', false, NULL, 256);
BEGIN
    PERFORM helpdesk.logout(actor, token);
    RETURN jsonb_build_object('message', 'Logged out successfully');
END
$$;

-- GET /auth/me, GET /auth/profile, GET /users/profile: the acting user as the database sees it now.
CREATE FUNCTION helpdesk_api.auth_me(req jsonb)
RETURNS jsonb
LANGUAGE plpgsql STABLE
AS $$
BEGIN
    RETURN (SELECT helpdesk.user_json(helpdesk.current_actor()));
END
$$;

-- POST /auth/forgot-password {email}: the same answer whether or not the address exists.
CREATE FUNCTION helpdesk_api.auth_forgot_password(req jsonb)
RETURNS jsonb
LANGUAGE plpgsql
AS $$
DECLARE
    b     jsonb := helpdesk.body(req, 'email');
    email text := helpdesk.field_email(b, 'email', true);
BEGIN
    PERFORM helpdesk.password_reset_request(email);
    RETURN jsonb_build_object('message', 'If the email exists, an OTP has been sent to it');
END
$$;

-- POST /auth/verify-otp {email, otp}: checks the code, does not consume it.
CREATE FUNCTION helpdesk_api.auth_verify_otp(req jsonb)
RETURNS jsonb
LANGUAGE plpgsql
AS $$
DECLARE
    b     jsonb := helpdesk.body(req, 'email', 'otp');
    email text := helpdesk.field_email(b, 'email', true);
    otp   text := helpdesk.field_text(b, 'otp', true, 6, 6);
    c     record;
BEGIN
    c := helpdesk.otp_check(email, otp);
    RETURN coalesce(c.error, jsonb_build_object('message', 'OTP verified successfully', 'valid', true));
END
$$;

-- POST /auth/reset-password {email, otp, newPassword}: consumes the code.
CREATE FUNCTION helpdesk_api.auth_reset_password(req jsonb)
RETURNS jsonb
LANGUAGE plpgsql
AS $$
DECLARE
    b            jsonb := helpdesk.body(req, 'email', 'otp', 'newPassword');
    email        text := helpdesk.field_email(b, 'email', true);
    otp          text := helpdesk.field_text(b, 'otp', true, 6, 6);
    new_password text := helpdesk.field_text(b, 'newPassword', true);
BEGIN
    RETURN coalesce(helpdesk.password_reset(email, otp, new_password),
                    jsonb_build_object('message', 'Password reset successfully'));
END
$$;

-- POST /users/change-password {currentPassword, newPassword}: a `tokens` route, the answer
-- carries a fresh session since every earlier one ends.
CREATE FUNCTION helpdesk_api.users_change_password(req jsonb)
RETURNS jsonb
LANGUAGE plpgsql
AS $$
DECLARE
    actor  helpdesk.users := helpdesk.current_actor();
    b      jsonb := helpdesk.body(req, 'currentPassword', 'newPassword');
    cur    text := helpdesk.field_text(b, 'currentPassword', true, NULL, 128);
    pw     text := helpdesk.field_text(b, 'newPassword', true);
    result jsonb;
BEGIN
    result := helpdesk.password_change(actor, cur, pw);
    IF result ? '__error' THEN
        RETURN result;
    END IF;
    RETURN jsonb_build_object('message', 'Password changed successfully') || result;
END
$$;

-- ==== sql/20_categories.sql ====
-- 20_categories: ticket categories, and who may change them: IT_Staff and Admin create and
-- edit; only an Admin activates, deactivates, reorders or deletes. Any signed-in user reads.

CREATE TABLE helpdesk.categories (
    id            serial PRIMARY KEY,
    name          varchar(100) NOT NULL CHECK (length(btrim(name)) > 0),
    description   text,
    icon          varchar(50),
    color         varchar(7) CHECK (color ~* '^#[0-9A-F]{6}$'),
    is_active     boolean NOT NULL DEFAULT true,
    display_order int NOT NULL DEFAULT 0 CHECK (display_order >= 0),
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now()
);

CREATE UNIQUE INDEX categories_name_key ON helpdesk.categories (lower(name));

CREATE INDEX categories_order_idx ON helpdesk.categories (display_order, name);

CREATE TRIGGER categories_touch BEFORE UPDATE ON helpdesk.categories
    FOR EACH ROW EXECUTE FUNCTION helpdesk.touch_updated_at();

SELECT pg_catalog.pg_extension_config_dump('helpdesk.categories', '');

SELECT pg_catalog.pg_extension_config_dump('helpdesk.categories_id_seq', '');

-- The category JSON of the API.
CREATE FUNCTION helpdesk.category_json(c helpdesk.categories)
RETURNS jsonb
LANGUAGE sql STABLE
AS $$
    SELECT jsonb_build_object(
        'id', c.id, 'name', c.name, 'description', c.description, 'icon', c.icon,
        'color', c.color, 'isActive', c.is_active, 'displayOrder', c.display_order,
        'createdAt', helpdesk.iso(c.created_at), 'updatedAt', helpdesk.iso(c.updated_at))
$$;

-- The category with this id, or 404.
CREATE FUNCTION helpdesk.category_get(category_id int, for_update boolean DEFAULT false)
RETURNS helpdesk.categories
LANGUAGE plpgsql
AS $$
DECLARE
    c helpdesk.categories;
BEGIN
    IF for_update THEN
        SELECT * INTO c FROM helpdesk.categories WHERE id = category_id FOR UPDATE;
    ELSE
        SELECT * INTO c FROM helpdesk.categories WHERE id = category_id;
    END IF;
    IF NOT FOUND THEN
        PERFORM helpdesk.http_error(404, format('Category with ID %s not found', category_id));
    END IF;
    RETURN c;
END
$$;

-- A category new tickets (or a ticket's category change) may use: exists and is active,
-- else 400 with the reference's messages.
CREATE FUNCTION helpdesk.category_usable(category_id int)
RETURNS helpdesk.categories
LANGUAGE plpgsql
AS $$
DECLARE
    c helpdesk.categories;
BEGIN
    -- KEY SHARE: the category cannot be deleted under a ticket being written to it.
    SELECT * INTO c FROM helpdesk.categories WHERE id = category_id FOR KEY SHARE;
    IF NOT FOUND THEN
        PERFORM helpdesk.http_error(400, 'Category not found');
    END IF;
    IF NOT c.is_active THEN
        PERFORM helpdesk.http_error(400, 'Category is not active');
    END IF;
    RETURN c;
END
$$;

-- 409 when another category (other than `except_id`) has this name, whatever its case.
CREATE FUNCTION helpdesk.category_name_free(category_name text, except_id int DEFAULT NULL)
RETURNS void
LANGUAGE plpgsql
AS $$
BEGIN
    IF EXISTS (SELECT FROM helpdesk.categories
               WHERE lower(name) = lower(category_name) AND id IS DISTINCT FROM except_id) THEN
        PERFORM helpdesk.http_error(409, 'Category with this name already exists');
    END IF;
END
$$;

-- Create a category (IT_Staff, Admin).
CREATE FUNCTION helpdesk.category_create(actor helpdesk.users, name text, description text DEFAULT NULL,
                                         icon text DEFAULT NULL, color text DEFAULT NULL,
                                         is_active boolean DEFAULT true, display_order int DEFAULT 0)
RETURNS helpdesk.categories
LANGUAGE plpgsql
AS $$
DECLARE
    c helpdesk.categories;
BEGIN
    PERFORM helpdesk.require_role(actor, 'Admin', 'IT_Staff');
    PERFORM helpdesk.category_name_free(name);
    INSERT INTO helpdesk.categories (name, description, icon, color, is_active, display_order)
    VALUES (name, description, icon, color, coalesce(is_active, true), coalesce(display_order, 0))
    RETURNING * INTO c;
    PERFORM helpdesk.audit('CREATE_CATEGORY', 'category', c.id, jsonb_build_object('name', c.name));
    RETURN c;
EXCEPTION WHEN unique_violation THEN
    -- a concurrent create of the same name committed between the check and the insert
    PERFORM helpdesk.http_error(409, 'Category with this name already exists');
END
$$;

-- Change the given fields (IT_Staff, Admin); a NULL argument leaves that field as it is.
-- `changes` is what the audit row records (the request's fields).
CREATE FUNCTION helpdesk.category_update(actor helpdesk.users, category_id int, new_name text DEFAULT NULL,
                                         new_description text DEFAULT NULL, new_icon text DEFAULT NULL,
                                         new_color text DEFAULT NULL, new_is_active boolean DEFAULT NULL,
                                         new_display_order int DEFAULT NULL, changes jsonb DEFAULT '{}')
RETURNS helpdesk.categories
LANGUAGE plpgsql
AS $$
DECLARE
    c helpdesk.categories;
BEGIN
    PERFORM helpdesk.require_role(actor, 'Admin', 'IT_Staff');
    c := helpdesk.category_store(category_id, new_name, new_description, new_icon, new_color,
                                 new_is_active, new_display_order);
    PERFORM helpdesk.audit('UPDATE_CATEGORY', 'category', c.id, changes);
    RETURN c;
END
$$;

-- Activate or deactivate a category (Admin). An inactive category takes no new tickets.
CREATE FUNCTION helpdesk.category_set_active(actor helpdesk.users, category_id int, active boolean)
RETURNS helpdesk.categories
LANGUAGE plpgsql
AS $$
DECLARE
    c helpdesk.categories;
BEGIN
    PERFORM helpdesk.require_role(actor, 'Admin');
    c := helpdesk.category_store(category_id, new_is_active => active);
    PERFORM helpdesk.audit(CASE WHEN active THEN 'ACTIVATE_CATEGORY' ELSE 'DEACTIVATE_CATEGORY' END,
                           'category', c.id);
    RETURN c;
END
$$;

-- The one UPDATE of a category row (category_update, category_set_active).
CREATE FUNCTION helpdesk.category_store(category_id int, new_name text DEFAULT NULL,
                                        new_description text DEFAULT NULL, new_icon text DEFAULT NULL,
                                        new_color text DEFAULT NULL, new_is_active boolean DEFAULT NULL,
                                        new_display_order int DEFAULT NULL)
RETURNS helpdesk.categories
LANGUAGE plpgsql
AS $$
DECLARE
    c helpdesk.categories := helpdesk.category_get(category_id);
BEGIN
    IF new_name IS NOT NULL THEN
        PERFORM helpdesk.category_name_free(new_name, category_id);
    END IF;
    UPDATE helpdesk.categories SET
        name = coalesce(new_name, name),
        description = coalesce(new_description, description),
        icon = coalesce(new_icon, icon),
        color = coalesce(new_color, color),
        is_active = coalesce(new_is_active, is_active),
        display_order = coalesce(new_display_order, display_order)
    WHERE id = category_id
    RETURNING * INTO c;
    RETURN c;
EXCEPTION WHEN unique_violation THEN
    PERFORM helpdesk.http_error(409, 'Category with this name already exists');
END
$$;

-- displayOrder = position in `ids` (0-based), Admin. Every id must exist; each may appear once.
CREATE FUNCTION helpdesk.category_reorder(actor helpdesk.users, ids int[])
RETURNS void
LANGUAGE plpgsql
AS $$
DECLARE
    missing int;
BEGIN
    PERFORM helpdesk.require_role(actor, 'Admin');
    IF (SELECT count(DISTINCT i) FROM unnest(ids) i) <> cardinality(ids) THEN
        PERFORM helpdesk.validation_error('categoryIds must not contain duplicates');
    END IF;
    SELECT i INTO missing FROM unnest(ids) WITH ORDINALITY AS u(i, n)
    WHERE NOT EXISTS (SELECT FROM helpdesk.categories c WHERE c.id = u.i)
    ORDER BY n LIMIT 1;
    IF FOUND THEN
        PERFORM helpdesk.http_error(404, format('Category with ID %s not found', missing));
    END IF;
    UPDATE helpdesk.categories c SET display_order = u.n - 1
    FROM unnest(ids) WITH ORDINALITY AS u(i, n)
    WHERE c.id = u.i AND c.display_order IS DISTINCT FROM (u.n - 1)::int;
    PERFORM helpdesk.audit('REORDER_CATEGORIES', 'category', NULL, jsonb_build_object('categoryIds', to_jsonb(ids)));
END
$$;

-- Delete a category that no ticket uses (Admin; 409 otherwise).
CREATE FUNCTION helpdesk.category_delete(actor helpdesk.users, category_id int)
RETURNS void
LANGUAGE plpgsql
AS $$
BEGIN
    PERFORM helpdesk.require_role(actor, 'Admin');
    -- The row lock conflicts with the KEY SHARE lock ticket writers take (category_usable), so
    -- no ticket appears in this category while it is being deleted; tickets refer to their
    -- category with ON DELETE RESTRICT, so the foreign key decides.
    PERFORM helpdesk.category_get(category_id, true);
    BEGIN
        DELETE FROM helpdesk.categories WHERE id = category_id;
    EXCEPTION WHEN foreign_key_violation THEN
        PERFORM helpdesk.http_error(409, 'Cannot delete category with existing tickets');
    END;
    PERFORM helpdesk.audit('DELETE_CATEGORY', 'category', category_id);
END
$$;

-- The categories by display order: active ones, or all with include_inactive.
CREATE FUNCTION helpdesk.category_list(include_inactive boolean DEFAULT false)
RETURNS jsonb
LANGUAGE sql STABLE
AS $$
    SELECT coalesce(jsonb_agg(helpdesk.category_json(c) ORDER BY c.display_order, c.name, c.id), '[]')
    FROM helpdesk.categories c
    WHERE include_inactive OR c.is_active
$$;

-- ==== sql/21_categories_api.sql ====
-- 21_categories_api: the category routes (seed-system §2.4, §3.13); GET /categories/:id/stats
-- counts tickets and is in sql/31_tickets_api.sql. The rules are in sql/20_categories.sql.

-- The writable fields of POST/PATCH /categories, validated with the reference's messages.
CREATE FUNCTION helpdesk.category_fields(b jsonb, creating boolean,
    OUT name text, OUT description text, OUT icon text, OUT color text,
    OUT is_active boolean, OUT display_order int)
LANGUAGE plpgsql STABLE
AS $$
BEGIN
    name := helpdesk.field_text(b, 'name', creating, NULL, 100);
    IF name IS NOT NULL AND btrim(name) = '' THEN
        PERFORM helpdesk.validation_error('name should not be empty');
    END IF;
    description := helpdesk.field_text(b, 'description');
    icon := helpdesk.field_text(b, 'icon', false, NULL, 50);
    color := helpdesk.field_text(b, 'color');
    IF color IS NOT NULL AND color !~* '^#[0-9A-F]{6}$' THEN
        PERFORM helpdesk.validation_error('color must match /^#[0-9A-F]{6}$/i regular expression');
    END IF;
    is_active := helpdesk.field_bool(b, 'isActive');
    display_order := helpdesk.field_int(b, 'displayOrder', false, 0);
END
$$;

-- GET /categories[?includeInactive=true]
CREATE FUNCTION helpdesk_api.categories_list(req jsonb)
RETURNS jsonb
LANGUAGE plpgsql STABLE
AS $$
BEGIN
    PERFORM helpdesk.current_actor();
    RETURN helpdesk.category_list(coalesce(helpdesk.query_bool(req, 'includeInactive'), false));
END
$$;

-- GET /categories/active
CREATE FUNCTION helpdesk_api.categories_active(req jsonb)
RETURNS jsonb
LANGUAGE plpgsql STABLE
AS $$
BEGIN
    PERFORM helpdesk.current_actor();
    RETURN helpdesk.category_list(false);
END
$$;

-- GET /categories/:id
CREATE FUNCTION helpdesk_api.categories_get(req jsonb)
RETURNS jsonb
LANGUAGE plpgsql STABLE
AS $$
BEGIN
    PERFORM helpdesk.current_actor();
    RETURN helpdesk.category_json(helpdesk.category_get(helpdesk.path_int(req)));
END
$$;

-- POST /categories (Admin, IT_Staff)
CREATE FUNCTION helpdesk_api.categories_create(req jsonb)
RETURNS jsonb
LANGUAGE plpgsql
AS $$
DECLARE
    actor helpdesk.users := helpdesk.current_actor();
    f record := helpdesk.category_fields(
        helpdesk.body(req, 'name', 'description', 'icon', 'color', 'isActive', 'displayOrder'), true);
BEGIN
    RETURN helpdesk.category_json(helpdesk.category_create(actor, f.name, f.description,
                                                           f.icon, f.color, f.is_active, f.display_order));
END
$$;

-- PATCH /categories/:id (Admin, IT_Staff)
CREATE FUNCTION helpdesk_api.categories_update(req jsonb)
RETURNS jsonb
LANGUAGE plpgsql
AS $$
DECLARE
    actor helpdesk.users := helpdesk.current_actor();
    f record := helpdesk.category_fields(
        helpdesk.body(req, 'name', 'description', 'icon', 'color', 'isActive', 'displayOrder'), false);
BEGIN
    RETURN helpdesk.category_json(helpdesk.category_update(actor, helpdesk.path_int(req),
        f.name, f.description, f.icon, f.color, f.is_active, f.display_order, req -> 'body'));
END
$$;

-- PATCH|POST /categories/:id/activate and /deactivate (Admin): the route row's args say which.
CREATE FUNCTION helpdesk_api.categories_set_active(req jsonb)
RETURNS jsonb
LANGUAGE plpgsql
AS $$
BEGIN
    PERFORM helpdesk.body(req, VARIADIC '{}'::text[]);
    RETURN helpdesk.category_json(helpdesk.category_set_active(helpdesk.current_actor(), helpdesk.path_int(req),
                                                               helpdesk.route_arg_bool(req, 'active')));
END
$$;

-- POST /categories/reorder {categoryIds} (Admin)
CREATE FUNCTION helpdesk_api.categories_reorder(req jsonb)
RETURNS jsonb
LANGUAGE plpgsql
AS $$
BEGIN
    PERFORM helpdesk.category_reorder(helpdesk.current_actor(),
        helpdesk.field_int_array(helpdesk.body(req, 'categoryIds'), 'categoryIds', true, 1, 1000));
    RETURN jsonb_build_object('message', 'Categories reordered successfully');
END
$$;

-- DELETE /categories/:id (Admin)
CREATE FUNCTION helpdesk_api.categories_delete(req jsonb)
RETURNS jsonb
LANGUAGE plpgsql
AS $$
BEGIN
    PERFORM helpdesk.category_delete(helpdesk.current_actor(), helpdesk.path_int(req));
    RETURN jsonb_build_object('message', 'Category deleted successfully');
END
$$;

-- ==== sql/30_tickets.sql ====
-- 30_tickets: tickets, their numbering, their lifecycle (the state machine and the ticket
-- operations), the state of their SLA clocks, and the ticket list.
--
-- Who may do what on a ticket is decided here, once: visible_ticket() is the visibility rule
-- every module applies to a ticket and what belongs to it; each operation checks the actor's
-- role and relation to the ticket (submitter, assignee) itself.
--
-- The SLA clock state (table sla_clocks) is defined here, with the ticket, because the ticket's
-- own answers depend on it: "breached" and "at risk" are decided by sla_clock_breached() and
-- sla_clock_at_risk() below and nowhere else; the ticket JSON, the list filters, the SLA routes,
-- the scan, escalation and reports all call them. The SLA module (sql/5x) computes the clocks.

-- Ticket numbers TKT-YYYY-NNNN come from one counter row per year, never from counting rows,
-- so they never collide after deletes or under concurrency.
CREATE TABLE helpdesk.ticket_number_counters (
    year       int PRIMARY KEY CHECK (year BETWEEN 1970 AND 9999),
    last_value int NOT NULL CHECK (last_value >= 0)
);

CREATE TABLE helpdesk.tickets (
    id                   serial PRIMARY KEY,
    ticket_number        varchar(32) NOT NULL UNIQUE,
    title                varchar(255) NOT NULL CHECK (length(btrim(title)) > 0),
    description          text NOT NULL,
    category_id          int NOT NULL REFERENCES helpdesk.categories (id) ON DELETE RESTRICT,
    priority             helpdesk.ticket_priority NOT NULL DEFAULT 'Medium',
    status               helpdesk.ticket_status NOT NULL DEFAULT 'New',
    submitter_id         int NOT NULL REFERENCES helpdesk.users (id) ON DELETE RESTRICT,
    assignee_id          int REFERENCES helpdesk.users (id) ON DELETE SET NULL,
    due_date             timestamptz,
    response_due_at      timestamptz,
    first_response_at    timestamptz,
    resolved_at          timestamptz,
    closed_at            timestamptz,
    satisfaction_rating  int CHECK (satisfaction_rating BETWEEN 1 AND 5),
    satisfaction_comment text,
    resolution_notes     text,
    created_at           timestamptz NOT NULL DEFAULT now(),
    updated_at           timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX tickets_status_created_idx ON helpdesk.tickets (status, created_at);

CREATE INDEX tickets_submitter_idx ON helpdesk.tickets (submitter_id, created_at);

CREATE INDEX tickets_assignee_idx ON helpdesk.tickets (assignee_id, created_at);

CREATE INDEX tickets_category_idx ON helpdesk.tickets (category_id);

CREATE TRIGGER tickets_90_touch BEFORE UPDATE ON helpdesk.tickets
    FOR EACH ROW EXECUTE FUNCTION helpdesk.touch_updated_at();

SELECT pg_catalog.pg_extension_config_dump('helpdesk.ticket_number_counters', '');

SELECT pg_catalog.pg_extension_config_dump('helpdesk.tickets', '');

SELECT pg_catalog.pg_extension_config_dump('helpdesk.tickets_id_seq', '');

CREATE TABLE helpdesk.sla_clocks (
    ticket_id     int NOT NULL REFERENCES helpdesk.tickets (id) ON DELETE CASCADE,
    kind          varchar(10) NOT NULL CHECK (kind IN ('response', 'resolution')),
    -- running: counting; paused: ticket Pending; met: stopped in time; missed: stopped after
    -- its breach; cancelled: stopped without a response (ticket closed first);

    -- not_applicable: no active SLA rule for the priority.
    state         varchar(16) NOT NULL
                  CHECK (state IN ('running', 'paused', 'met', 'missed', 'cancelled', 'not_applicable')),
    cycle         int NOT NULL DEFAULT 1 CHECK (cycle >= 1),
    target        interval,
    cycle_start   timestamptz NOT NULL,
    paused_total  interval NOT NULL DEFAULT '0',
    paused_since  timestamptz,
    due_at        timestamptz,
    warn_at       timestamptz,
    warned_at     timestamptz,
    breached_at   timestamptz,
    stopped_at    timestamptz,
    -- The next instant the watcher must act on (warn_at, then due_at), NULL when none.
    next_deadline timestamptz,
    updated_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (ticket_id, kind),
    CHECK ((state = 'paused') = (paused_since IS NOT NULL)),
    CHECK (state = 'not_applicable' OR target IS NOT NULL)
);
-- The watcher's wake-up and the scan read only this.
CREATE INDEX sla_clocks_next_deadline_idx ON helpdesk.sla_clocks (next_deadline)
    WHERE next_deadline IS NOT NULL;

-- At-risk and breached lists: running resolution clocks by their warning instant, and the
-- open ones whose breach was recorded.
CREATE INDEX sla_clocks_at_risk_idx ON helpdesk.sla_clocks (warn_at)
    WHERE kind = 'resolution' AND state = 'running';

CREATE INDEX sla_clocks_breached_idx ON helpdesk.sla_clocks (ticket_id)
    WHERE kind = 'resolution' AND state IN ('running', 'paused') AND breached_at IS NOT NULL;

SELECT pg_catalog.pg_extension_config_dump('helpdesk.sla_clocks', '');

-- ---- "breached" and "at risk": the one definition of each --------------------------------
--
-- The boundary: work done at or before a deadline is in time. A clock is breached at `at` once
-- `at` is strictly past its due instant (due_at < at); at the instant itself it is not. This is
-- the same boundary as "resolved with used business time > target" (sla_clock_stop) and as a
-- scan at time `at` recording the breach. Beyond the running deadline, a breach once recorded
-- (breached_at) stays, and a clock stopped after its deadline (missed) is breached for good.
CREATE FUNCTION helpdesk.sla_clock_breached(c helpdesk.sla_clocks, at timestamptz)
RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
    SELECT coalesce(c.state = 'missed'
                    OR (c.state IN ('running', 'paused') AND c.breached_at IS NOT NULL)
                    OR (c.state = 'running' AND c.due_at < at), false)
$$;

-- At risk at `at`: a running clock that has used at least the configured share of its
-- business-time window (warn_at <= at, the share is in warn_at) and is not breached.
CREATE FUNCTION helpdesk.sla_clock_at_risk(c helpdesk.sla_clocks, at timestamptz)
RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
    SELECT coalesce(c.state = 'running' AND c.warn_at <= at, false)
           AND NOT helpdesk.sla_clock_breached(c, at)
$$;

-- A ticket is breached / at risk when its resolution clock is.
CREATE FUNCTION helpdesk.sla_breached(t helpdesk.tickets, at timestamptz DEFAULT now())
RETURNS boolean
LANGUAGE sql STABLE
AS $$
    SELECT coalesce((SELECT helpdesk.sla_clock_breached(c, at) FROM helpdesk.sla_clocks c
                     WHERE c.ticket_id = t.id AND c.kind = 'resolution'), false)
$$;

CREATE FUNCTION helpdesk.sla_at_risk(t helpdesk.tickets, at timestamptz DEFAULT now())
RETURNS boolean
LANGUAGE sql STABLE
AS $$
    SELECT coalesce((SELECT helpdesk.sla_clock_at_risk(c, at) FROM helpdesk.sla_clocks c
                     WHERE c.ticket_id = t.id AND c.kind = 'resolution'), false)
$$;

-- The same sets for lists: open tickets whose resolution clock is breached / at risk at `at`.
-- Each arm adds a condition that the definition implies (a running clock past its deadline is
-- past its warning, warn_at <= due_at; otherwise a breach was recorded) so that an index serves
-- it; the definition itself is the function.
CREATE FUNCTION helpdesk.sla_breached_ids(at timestamptz DEFAULT now())
RETURNS SETOF int
LANGUAGE sql STABLE
AS $$
    SELECT c.ticket_id FROM helpdesk.sla_clocks c
    WHERE c.kind = 'resolution' AND c.state = 'running' AND c.warn_at <= at
      AND helpdesk.sla_clock_breached(c, at)
    UNION
    SELECT c.ticket_id FROM helpdesk.sla_clocks c
    WHERE c.kind = 'resolution' AND c.state IN ('running', 'paused') AND c.breached_at IS NOT NULL
      AND helpdesk.sla_clock_breached(c, at)
$$;

-- (an index range scan on the running clocks' warning instants)
CREATE FUNCTION helpdesk.sla_at_risk_ids(at timestamptz DEFAULT now())
RETURNS SETOF int
LANGUAGE sql STABLE
AS $$
    SELECT c.ticket_id FROM helpdesk.sla_clocks c
    WHERE c.kind = 'resolution' AND c.state = 'running' AND c.warn_at <= at
      AND helpdesk.sla_clock_at_risk(c, at)
$$;

-- The one visibility rule of tickets: IT_Staff and Admin see every ticket, an Employee only the
-- tickets they submitted. Returns the ticket, or raises 404 (missing) / 403 (not visible).
-- Everything that belongs to a ticket (comments, attachments, history, SLA status, escalations)
-- goes through this function.
CREATE FUNCTION helpdesk.visible_ticket(actor helpdesk.users, ticket_id int,
                                        for_update boolean DEFAULT false)
RETURNS helpdesk.tickets
LANGUAGE plpgsql
AS $$
DECLARE
    t helpdesk.tickets;
BEGIN
    IF for_update THEN
        SELECT * INTO t FROM helpdesk.tickets WHERE id = ticket_id FOR UPDATE;
    ELSE
        SELECT * INTO t FROM helpdesk.tickets WHERE id = ticket_id;
    END IF;
    IF NOT FOUND THEN
        PERFORM helpdesk.http_error(404, format('Ticket with ID %s not found', ticket_id));
    END IF;
    IF actor.role = 'Employee' AND t.submitter_id <> actor.id THEN
        PERFORM helpdesk.http_error(403, 'You do not have permission to view this ticket');
    END IF;
    RETURN t;
END
$$;

-- ==== ticket numbers, SLA seams, the state machine and the ticket operations ====

-- Next ticket number TKT-YYYY-NNNN for a ticket created at `at` (extension/numbering.c). The
-- year is taken in `time_zone` when given, else in the session's TimeZone; ticket_create passes
-- the setting 'ticket_number_time_zone' (unset: the session's zone, UTC on the demo cluster).
CREATE FUNCTION helpdesk.next_ticket_number(at timestamptz DEFAULT now(), time_zone text DEFAULT NULL)
RETURNS text
LANGUAGE c VOLATILE
AS 'MODULE_PATHNAME', 'helpdesk_next_ticket_number';

-- The text the list's `search` parameter matches, one trigram index over it. The separator
-- cannot come from the outside in practice; queries recheck each field exactly anyway.
CREATE FUNCTION helpdesk.ticket_search_text(title text, description text, ticket_number text)
RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$ SELECT title || E'\x1f' || description || E'\x1f' || ticket_number $$;

CREATE INDEX tickets_search_trgm_idx ON helpdesk.tickets
    USING gin (helpdesk.ticket_search_text(title, description, ticket_number) public.gin_trgm_ops);

-- The default list order (createdAt DESC, id DESC as tie-breaker) walks this index, so a deep
-- OFFSET costs an index walk, never a sort of the whole table.
CREATE INDEX tickets_created_id_idx ON helpdesk.tickets (created_at, id);

CREATE INDEX tickets_priority_idx ON helpdesk.tickets (priority, created_at);

-- sortBy=dueDate (the reference's client sorts by it) walks this one.
CREATE INDEX tickets_due_id_idx ON helpdesk.tickets (due_date, id);

-- The web client's usual filter (status and priority), counted and paged from one index.
CREATE INDEX tickets_status_priority_idx ON helpdesk.tickets (status, priority, created_at, id);

-- Whether a ticket is open (its SLA clock can still run).
CREATE FUNCTION helpdesk.ticket_is_open(status helpdesk.ticket_status)
RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$ SELECT status NOT IN ('Resolved'::helpdesk.ticket_status, 'Closed'::helpdesk.ticket_status) $$;

-- The reference's change-status table (seed-system §3.1): the moves every path may make. A
-- constant of the extension (created by the install script, not user data, so not dumped).
CREATE TABLE helpdesk.ticket_transitions (
    from_status helpdesk.ticket_status NOT NULL,
    to_status   helpdesk.ticket_status NOT NULL,
    PRIMARY KEY (from_status, to_status),
    CHECK (from_status <> to_status)
);
INSERT INTO helpdesk.ticket_transitions (from_status, to_status) VALUES
    ('New', 'Assigned'), ('New', 'In Progress'), ('New', 'Closed'),
    ('Assigned', 'New'), ('Assigned', 'In Progress'), ('Assigned', 'Pending'), ('Assigned', 'Closed'),
    ('In Progress', 'Assigned'), ('In Progress', 'Pending'), ('In Progress', 'Resolved'), ('In Progress', 'Closed'),
    ('Pending', 'In Progress'), ('Pending', 'Resolved'), ('Pending', 'Closed'),
    ('Resolved', 'In Progress'), ('Resolved', 'Pending'), ('Resolved', 'Closed'),
    ('Closed', 'New'), ('Closed', 'Assigned');
COMMENT ON TABLE helpdesk.ticket_transitions IS 'constant: the status moves every path may make (seed-system 3.1)';

CREATE FUNCTION helpdesk.ticket_transition_allowed(from_status helpdesk.ticket_status,
                                                   to_status helpdesk.ticket_status)
RETURNS boolean
LANGUAGE sql STABLE PARALLEL SAFE
AS $$
    SELECT EXISTS (SELECT FROM helpdesk.ticket_transitions m
                   WHERE m.from_status = ticket_transition_allowed.from_status
                     AND m.to_status = ticket_transition_allowed.to_status)
$$;
-- The ticket `actor` may act on, locked; a 403 from visible_ticket becomes `denied` (the
-- reference words the refusal per action).
CREATE FUNCTION helpdesk.ticket_for_action(actor helpdesk.users, ticket_id int, denied text)
RETURNS helpdesk.tickets
LANGUAGE plpgsql
AS $$
BEGIN
    RETURN helpdesk.visible_ticket(actor, ticket_id, true);
EXCEPTION WHEN SQLSTATE 'HD403' THEN
    PERFORM helpdesk.http_error(403, denied);
    RETURN NULL;
END
$$;

-- THE status change: every path that changes a ticket's status comes here (PATCH, change-status,
-- the action routes, bulk-status). Locks the ticket, applies visibility, refuses moves outside
-- the table (400 "Cannot transition from X to Y", same status included) and keeps the lifecycle
-- timestamps consistent:
--   resolved_at: set on entering Resolved, kept into Closed, cleared on any move to an open status;
--   closed_at:   set on entering Closed, cleared on leaving it;
--   resolution_notes: cleared when a finished ticket goes back to New or Assigned (a reopen).
-- `reopen` admits the one move outside the table, the reopen action's Resolved -> New.
-- `notes` (resolve) and `new_assignee_id` (assign) are set in the same update, so every action
-- is one row change (one history entry per action for the history triggers).
CREATE FUNCTION helpdesk.ticket_transition(ticket_id int, new_status helpdesk.ticket_status,
                                           actor helpdesk.users, at timestamptz DEFAULT now(),
                                           reopen boolean DEFAULT false, notes text DEFAULT NULL,
                                           new_assignee_id int DEFAULT NULL)
RETURNS helpdesk.tickets
LANGUAGE plpgsql
AS $$
DECLARE
    t helpdesk.tickets := helpdesk.visible_ticket(actor, ticket_id, true);
BEGIN
    IF NOT (helpdesk.ticket_transition_allowed(t.status, new_status)
            OR (reopen AND t.status = 'Resolved' AND new_status = 'New')) THEN
        PERFORM helpdesk.http_error(400, format('Cannot transition from %s to %s', t.status, new_status));
    END IF;
    UPDATE helpdesk.tickets SET
        status = new_status,
        assignee_id = coalesce(new_assignee_id, assignee_id),
        resolved_at = CASE WHEN new_status = 'Resolved' THEN at
                           WHEN new_status = 'Closed' THEN resolved_at END,
        closed_at = CASE WHEN new_status = 'Closed' THEN at END,
        resolution_notes = CASE WHEN notes IS NOT NULL THEN notes
                                WHEN new_status IN ('New', 'Assigned') AND NOT helpdesk.ticket_is_open(t.status)
                                THEN NULL ELSE resolution_notes END
    WHERE id = t.id
    RETURNING * INTO t;
    RETURN t;
END
$$;

-- A user tickets may be assigned to: exists, active, IT_Staff or Admin.
CREATE FUNCTION helpdesk.assignable_user(user_id int, role_message text DEFAULT 'Assignee must be IT Staff or Admin')
RETURNS helpdesk.users
LANGUAGE plpgsql
AS $$
DECLARE
    u helpdesk.users;
BEGIN
    SELECT * INTO u FROM helpdesk.users WHERE id = user_id FOR KEY SHARE;
    IF NOT FOUND THEN
        PERFORM helpdesk.http_error(400, 'Assignee not found');
    END IF;
    IF u.role NOT IN ('IT_Staff', 'Admin') THEN
        PERFORM helpdesk.http_error(400, role_message);
    END IF;
    IF NOT u.is_active THEN
        PERFORM helpdesk.http_error(400, 'Assignee is not active');
    END IF;
    RETURN u;
END
$$;

-- A new ticket, status New, submitted by `submitter`, due per the SLA rule of its priority.
CREATE FUNCTION helpdesk.ticket_create(submitter helpdesk.users, title text, description text,
                                       category_id int, priority helpdesk.ticket_priority DEFAULT 'Medium',
                                       at timestamptz DEFAULT now())
RETURNS helpdesk.tickets
LANGUAGE plpgsql
AS $$
DECLARE
    t helpdesk.tickets;
BEGIN
    PERFORM helpdesk.category_usable(category_id);
    priority := coalesce(priority, 'Medium');
    -- due_date and response_due_at come from the SLA clocks (sql/55_sla_clock.sql)
    INSERT INTO helpdesk.tickets (ticket_number, title, description, category_id, priority, status,
                                  submitter_id, created_at, updated_at)
    VALUES (helpdesk.next_ticket_number(at, helpdesk.setting('ticket_number_time_zone', NULL)),
            title, description, category_id, priority, 'New', submitter.id, at, at)
    RETURNING * INTO t;
    RETURN t;
END
$$;

-- PATCH: the given fields (NULL = unchanged). Staff may change anything; an Employee only their
-- own ticket while New or Assigned, and never its status, priority or assignee (403 when the
-- value would change; an unchanged value is let through, the reference's client always sends
-- priority). A status change goes through ticket_transition; a priority change recomputes
-- the due date.
CREATE FUNCTION helpdesk.ticket_update(ticket_id int, actor helpdesk.users,
                                       new_title text DEFAULT NULL, new_description text DEFAULT NULL,
                                       new_category_id int DEFAULT NULL,
                                       new_priority helpdesk.ticket_priority DEFAULT NULL,
                                       new_status helpdesk.ticket_status DEFAULT NULL,
                                       new_assignee_id int DEFAULT NULL,
                                       at timestamptz DEFAULT now())
RETURNS helpdesk.tickets
LANGUAGE plpgsql
AS $$
DECLARE
    t helpdesk.tickets := helpdesk.ticket_for_action(actor, ticket_id, 'You do not have permission to update this ticket');
BEGIN
    IF actor.role = 'Employee' THEN
        IF t.status NOT IN ('New', 'Assigned') THEN
            PERFORM helpdesk.http_error(403, 'You can only update your tickets while they are New or Assigned');
        END IF;
        IF new_status IS DISTINCT FROM t.status AND new_status IS NOT NULL THEN
            PERFORM helpdesk.http_error(403, 'You do not have permission to change the status of this ticket');
        END IF;
        IF new_priority IS DISTINCT FROM t.priority AND new_priority IS NOT NULL THEN
            PERFORM helpdesk.http_error(403, 'You do not have permission to change the priority of this ticket');
        END IF;
        IF new_assignee_id IS DISTINCT FROM t.assignee_id AND new_assignee_id IS NOT NULL THEN
            PERFORM helpdesk.http_error(403, 'You do not have permission to assign this ticket');
        END IF;
    END IF;
    IF new_category_id IS NOT NULL AND new_category_id <> t.category_id THEN
        PERFORM helpdesk.category_usable(new_category_id);
    END IF;
    IF new_assignee_id IS NOT NULL AND new_assignee_id IS DISTINCT FROM t.assignee_id THEN
        PERFORM helpdesk.assignable_user(new_assignee_id);
    END IF;
    UPDATE helpdesk.tickets SET
        title = coalesce(new_title, title),
        description = coalesce(new_description, description),
        category_id = coalesce(new_category_id, category_id),
        priority = coalesce(new_priority, priority),
        assignee_id = coalesce(new_assignee_id, assignee_id)
    WHERE id = t.id
    RETURNING * INTO t;
    IF new_status IS NOT NULL AND new_status <> t.status THEN
        t := helpdesk.ticket_transition(t.id, new_status, actor, at);
    END IF;
    RETURN t;
END
$$;

-- Assign: staff only, to an active IT_Staff or Admin, while New, Assigned or In Progress; the
-- ticket becomes Assigned.
CREATE FUNCTION helpdesk.ticket_assign(ticket_id int, assignee_id int, actor helpdesk.users,
                                       at timestamptz DEFAULT now(),
                                       role_message text DEFAULT 'Assignee must be IT Staff or Admin')
RETURNS helpdesk.tickets
LANGUAGE plpgsql
AS $$
DECLARE
    t helpdesk.tickets;
BEGIN
    PERFORM helpdesk.require_role(actor, 'IT_Staff', 'Admin');
    t := helpdesk.visible_ticket(actor, ticket_id, true);
    PERFORM helpdesk.assignable_user(assignee_id, role_message);
    IF t.status NOT IN ('New', 'Assigned', 'In Progress') THEN
        PERFORM helpdesk.http_error(400, format('Cannot assign a ticket with status %s', t.status));
    END IF;
    IF t.status = 'Assigned' THEN
        UPDATE helpdesk.tickets SET assignee_id = ticket_assign.assignee_id WHERE id = t.id RETURNING * INTO t;
        RETURN t;
    END IF;
    RETURN helpdesk.ticket_transition(t.id, 'Assigned', actor, at, new_assignee_id => ticket_assign.assignee_id);
END
$$;

-- Start progress: only the assignee, only from Assigned.
CREATE FUNCTION helpdesk.ticket_start_progress(ticket_id int, actor helpdesk.users, at timestamptz DEFAULT now())
RETURNS helpdesk.tickets
LANGUAGE plpgsql
AS $$
DECLARE
    t helpdesk.tickets;
BEGIN
    PERFORM helpdesk.require_role(actor, 'IT_Staff', 'Admin');
    t := helpdesk.visible_ticket(actor, ticket_id, true);
    IF t.assignee_id IS DISTINCT FROM actor.id THEN
        PERFORM helpdesk.http_error(403, 'Only the assigned user can start progress on this ticket');
    END IF;
    IF t.status <> 'Assigned' THEN
        PERFORM helpdesk.http_error(400, format('Cannot start progress on a ticket with status %s', t.status));
    END IF;
    RETURN helpdesk.ticket_transition(t.id, 'In Progress', actor, at);
END
$$;

-- Resolve: only the assignee, from In Progress or Pending, with resolution notes.
CREATE FUNCTION helpdesk.ticket_resolve(ticket_id int, resolution_notes text, actor helpdesk.users,
                                        at timestamptz DEFAULT now())
RETURNS helpdesk.tickets
LANGUAGE plpgsql
AS $$
DECLARE
    t helpdesk.tickets;
BEGIN
    PERFORM helpdesk.require_role(actor, 'IT_Staff', 'Admin');
    t := helpdesk.visible_ticket(actor, ticket_id, true);
    IF t.assignee_id IS DISTINCT FROM actor.id THEN
        PERFORM helpdesk.http_error(403, 'Only the assigned user can resolve this ticket');
    END IF;
    IF t.status NOT IN ('In Progress', 'Pending') THEN
        PERFORM helpdesk.http_error(400, format('Cannot resolve a ticket with status %s', t.status));
    END IF;
    RETURN helpdesk.ticket_transition(t.id, 'Resolved', actor, at, notes => resolution_notes);
END
$$;

-- Close: an Admin from Resolved, In Progress or Pending; anyone else (IT_Staff included) only
-- as the submitter, from Resolved.
CREATE FUNCTION helpdesk.ticket_close(ticket_id int, actor helpdesk.users, at timestamptz DEFAULT now())
RETURNS helpdesk.tickets
LANGUAGE plpgsql
AS $$
DECLARE
    t helpdesk.tickets := helpdesk.ticket_for_action(actor, ticket_id, 'You do not have permission to close this ticket');
BEGIN
    IF actor.role = 'Admin' THEN
        IF t.status NOT IN ('Resolved', 'In Progress', 'Pending') THEN
            PERFORM helpdesk.http_error(400, format('Cannot close a ticket with status %s', t.status));
        END IF;
    ELSE
        IF t.submitter_id <> actor.id THEN
            PERFORM helpdesk.http_error(403, 'You do not have permission to close this ticket');
        END IF;
        IF t.status <> 'Resolved' THEN
            PERFORM helpdesk.http_error(400, 'Only resolved tickets can be closed');
        END IF;
    END IF;
    RETURN helpdesk.ticket_transition(t.id, 'Closed', actor, at);
END
$$;

-- Reopen: a Resolved or Closed ticket goes back to New, without its resolution; assignee and
-- due date stay.
CREATE FUNCTION helpdesk.ticket_reopen(ticket_id int, actor helpdesk.users, at timestamptz DEFAULT now())
RETURNS helpdesk.tickets
LANGUAGE plpgsql
AS $$
DECLARE
    t helpdesk.tickets := helpdesk.ticket_for_action(actor, ticket_id, 'You do not have permission to reopen this ticket');
BEGIN
    IF helpdesk.ticket_is_open(t.status) THEN
        PERFORM helpdesk.http_error(400, 'Only resolved or closed tickets can be reopened');
    END IF;
    t := helpdesk.ticket_transition(t.id, 'New', actor, at, reopen => true);
    -- ticket_transition clears the resolution on the way back to New
    RETURN t;
END
$$;

-- Rate: the submitter, once, when the ticket is Resolved or Closed.
CREATE FUNCTION helpdesk.ticket_rate(ticket_id int, rating int, feedback text, actor helpdesk.users)
RETURNS helpdesk.tickets
LANGUAGE plpgsql
AS $$
DECLARE
    t helpdesk.tickets := helpdesk.ticket_for_action(actor, ticket_id, 'You do not have permission to rate this ticket');
BEGIN
    IF t.submitter_id <> actor.id THEN
        PERFORM helpdesk.http_error(403, 'You do not have permission to rate this ticket');
    END IF;
    IF helpdesk.ticket_is_open(t.status) THEN
        PERFORM helpdesk.http_error(400, 'Only resolved or closed tickets can be rated');
    END IF;
    IF t.satisfaction_rating IS NOT NULL THEN
        PERFORM helpdesk.http_error(409, 'Ticket has already been rated');
    END IF;
    IF rating IS NULL OR rating NOT BETWEEN 1 AND 5 THEN
        PERFORM helpdesk.validation_error('rating must not be less than 1', 'rating must not be greater than 5');
    END IF;
    UPDATE helpdesk.tickets SET satisfaction_rating = rating, satisfaction_comment = feedback
    WHERE id = t.id RETURNING * INTO t;
    RETURN t;
END
$$;

-- Hard delete (Admin); comments, attachments, history, notifications go with it.
CREATE FUNCTION helpdesk.ticket_delete(ticket_id int, actor helpdesk.users)
RETURNS void
LANGUAGE plpgsql
AS $$
DECLARE
    t helpdesk.tickets;
BEGIN
    PERFORM helpdesk.require_role(actor, 'Admin');
    t := helpdesk.visible_ticket(actor, ticket_id, true);
    DELETE FROM helpdesk.tickets WHERE id = t.id;
    PERFORM helpdesk.audit('DELETE_TICKET', 'ticket', t.id);
END
$$;

-- The submitter / assignee include of a ticket (detail adds the department).
CREATE FUNCTION helpdesk.ticket_user_json(u helpdesk.users, detail boolean)
RETURNS jsonb
LANGUAGE sql STABLE
AS $$
    SELECT CASE WHEN detail
                THEN jsonb_build_object('id', u.id, 'username', u.username, 'fullName', u.full_name,
                                        'email', u.email, 'department', u.department)
                ELSE jsonb_build_object('id', u.id, 'username', u.username, 'fullName', u.full_name,
                                        'email', u.email)
           END
$$;

-- The ticket JSON of the API: the reference's columns, satisfactionFeedback (= satisfactionComment),
-- slaBreached, and the includes of the list shape (detail = false) or the detail shape.
-- Built from the ticket and its joined rows with no subquery, so the planner inlines it into a
-- list's query (a function with subqueries is called row by row instead, ~4x slower).
CREATE FUNCTION helpdesk.ticket_json_of(t helpdesk.tickets, submitter helpdesk.users, assignee helpdesk.users,
                                        c helpdesk.categories, resolution helpdesk.sla_clocks,
                                        detail boolean, at timestamptz)
RETURNS jsonb
LANGUAGE sql STABLE
AS $$
    SELECT jsonb_build_object(
        'id', t.id, 'ticketNumber', t.ticket_number, 'title', t.title, 'description', t.description,
        'categoryId', t.category_id, 'priority', t.priority, 'status', t.status,
        'submitterId', t.submitter_id, 'assigneeId', t.assignee_id,
        'dueDate', helpdesk.iso(t.due_date), 'resolvedAt', helpdesk.iso(t.resolved_at),
        'closedAt', helpdesk.iso(t.closed_at), 'satisfactionRating', t.satisfaction_rating,
        'satisfactionComment', t.satisfaction_comment, 'satisfactionFeedback', t.satisfaction_comment,
        'resolutionNotes', t.resolution_notes,
        'createdAt', helpdesk.iso(t.created_at), 'updatedAt', helpdesk.iso(t.updated_at),
        'slaBreached', helpdesk.sla_clock_breached(resolution, at),
        'submitter', CASE WHEN submitter.id IS NOT NULL THEN helpdesk.ticket_user_json(submitter, detail) END,
        'assignee', CASE WHEN assignee.id IS NOT NULL THEN helpdesk.ticket_user_json(assignee, detail) END,
        'category', CASE WHEN c.id IS NULL THEN NULL
                         WHEN detail THEN jsonb_build_object('id', c.id, 'name', c.name, 'description', c.description,
                                                             'icon', c.icon, 'color', c.color)
                         ELSE jsonb_build_object('id', c.id, 'name', c.name, 'icon', c.icon, 'color', c.color)
                    END)
$$;

-- The ticket JSON of one ticket (detail responses). VOLATILE on purpose: a route answers
-- ticket_json(ticket_transition(...)) in one expression, and a STABLE function would read the
-- ticket's clocks with the snapshot taken before the transition's triggers moved them.
CREATE FUNCTION helpdesk.ticket_json(t helpdesk.tickets, detail boolean DEFAULT true, at timestamptz DEFAULT now())
RETURNS jsonb
LANGUAGE sql VOLATILE
AS $$
    SELECT helpdesk.ticket_json_of(t, s, a, c, r, detail, at)
    FROM (SELECT) one
    LEFT JOIN helpdesk.users s ON s.id = t.submitter_id
    LEFT JOIN helpdesk.users a ON a.id = t.assignee_id
    LEFT JOIN helpdesk.categories c ON c.id = t.category_id
    LEFT JOIN helpdesk.sla_clocks r ON r.ticket_id = t.id AND r.kind = 'resolution'
$$;

-- Sortable fields of the ticket list: camelCase name -> column. Anything else is a 400.
CREATE FUNCTION helpdesk.ticket_sort_column(sort_by text)
RETURNS text
LANGUAGE plpgsql IMMUTABLE
AS $$
DECLARE
    fields constant text[] := ARRAY['id', 'ticketNumber', 'title', 'description', 'categoryId',
        'priority', 'status', 'submitterId', 'assigneeId', 'dueDate', 'resolvedAt', 'closedAt',
        'satisfactionRating', 'satisfactionComment', 'resolutionNotes', 'createdAt', 'updatedAt'];
    columns constant text[] := ARRAY['id', 'ticket_number', 'title', 'description', 'category_id',
        'priority', 'status', 'submitter_id', 'assignee_id', 'due_date', 'resolved_at', 'closed_at',
        'satisfaction_rating', 'satisfaction_comment', 'resolution_notes', 'created_at', 'updated_at'];
    i int := array_position(fields, coalesce(sort_by, 'createdAt'));
BEGIN
    IF sort_by = 'satisfactionFeedback' THEN
        RETURN 'satisfaction_comment';
    END IF;
    IF i IS NULL THEN
        PERFORM helpdesk.validation_error(
            'sortBy must be one of the following values: ' || array_to_string(fields, ', '));
    END IF;
    RETURN columns[i];
END
$$;

-- EXPLAIN (COSTS OFF) of a ticket_list statement with its parameters, one text per line.
CREATE FUNCTION helpdesk.explain_lines(query text, p1 int, p2 int, p3 helpdesk.ticket_status,
                                       p4 helpdesk.ticket_priority, p5 int, p6 int, p7 text, p9 timestamptz)
RETURNS jsonb
LANGUAGE plpgsql VOLATILE  -- EXPLAIN is refused in non-volatile functions
AS $$
DECLARE
    line text;
    lines text[] := '{}';
BEGIN
    FOR line IN EXECUTE 'EXPLAIN (COSTS OFF) ' || query USING p1, p2, p3, p4, p5, p6, p7, NULL::int, p9 LOOP
        lines := array_append(lines, line);
    END LOOP;
    RETURN to_jsonb(lines);
END
$$;

-- The planner's estimate of the rows a ticket_list statement returns.
CREATE FUNCTION helpdesk.estimate_rows(query text, p1 int, p2 int, p3 helpdesk.ticket_status,
                                       p4 helpdesk.ticket_priority, p5 int, p6 int, p7 text, p9 timestamptz)
RETURNS bigint
LANGUAGE plpgsql VOLATILE  -- EXPLAIN is refused in non-volatile functions
AS $$
DECLARE
    plan json;
BEGIN
    EXECUTE 'EXPLAIN (FORMAT JSON) ' || query INTO plan USING p1, p2, p3, p4, p5, p6, p7, NULL::int, p9;
    RETURN round((plan -> 0 -> 'Plan' ->> 'Plan Rows')::numeric)::bigint;
END
$$;

-- The ticket list: filters, visibility, order, page. Returns the reference's paginated shape.
--
-- Visibility: an Employee's list is always limited to the tickets they submitted; a submitterId
-- filter can only narrow it (another user's id gives an empty list).
--
-- Paging: the reference's contract is page/limit, so keyset paging is not possible. Every sort
-- column is indexed or cheap to sort; the default order (createdAt DESC, id DESC) walks
-- tickets_created_id_idx, so page 10,000 at 10 per page costs an index walk of 100,000 entries
-- (tens of milliseconds on a million tickets), not a sort. `total` is an exact count(*) with the
-- same filters (an index-only scan for the common filters) as long as at most
-- 'ticket_list_exact_count' (setting, default 100,000) tickets match: counting 100,000 index
-- entries takes ~15 ms, counting a million ~130 ms of two cores. Beyond that cap `total` is the
-- planner's estimate of the matching rows (from the table's statistics; exact enough for an
-- unfiltered or single-filter list of a million tickets, where nobody pages to the very end),
-- and totalPages follows it. The count comes first, so a page past an exact end is answered
-- without walking anything. The HTTP layer's statement_timeout bounds the worst case (a search
-- term shorter than three characters, which no trigram index can serve, on a huge table).
--
-- search: case-insensitive substring of title, description or ticket number (the reference's
-- ILIKE), with LIKE wildcards taken literally; served by the trigram index over
-- ticket_search_text, each field rechecked exactly.
CREATE FUNCTION helpdesk.ticket_list(actor helpdesk.users,
                                     status helpdesk.ticket_status DEFAULT NULL,
                                     priority helpdesk.ticket_priority DEFAULT NULL,
                                     category_id int DEFAULT NULL,
                                     submitter_id int DEFAULT NULL,
                                     assignee_id int DEFAULT NULL,
                                     unassigned boolean DEFAULT false,
                                     search text DEFAULT NULL,
                                     sla_breached boolean DEFAULT false,
                                     sla_at_risk boolean DEFAULT false,
                                     page int DEFAULT 1, page_size int DEFAULT 10,
                                     sort_by text DEFAULT 'createdAt', sort_order text DEFAULT 'DESC',
                                     at timestamptz DEFAULT now(), explain boolean DEFAULT false)
RETURNS jsonb
LANGUAGE plpgsql STABLE
AS $$
DECLARE
    conds text[] := '{}';
    where_sql text;
    order_sql text;
    total bigint;
    items jsonb;
    pattern text;
    cap constant bigint := greatest(helpdesk.setting('ticket_list_exact_count', '100000')::bigint, 0);
    dir text := CASE WHEN upper(sort_order) = 'ASC' THEN 'ASC' ELSE 'DESC' END;
BEGIN
    IF actor.role = 'Employee' THEN
        conds := array_append(conds, 't.submitter_id = $1');
    END IF;
    IF submitter_id IS NOT NULL THEN
        conds := array_append(conds, 't.submitter_id = $2');
    END IF;
    -- slaAtRisk overrides slaBreached and status; slaBreached overrides status (the reference).
    IF sla_at_risk THEN
        conds := array_append(conds, 't.id IN (SELECT helpdesk.sla_at_risk_ids($9))');
    ELSIF sla_breached THEN
        conds := array_append(conds, 't.id IN (SELECT helpdesk.sla_breached_ids($9))');
    ELSIF status IS NOT NULL THEN
        conds := array_append(conds, 't.status = $3');
    END IF;
    IF priority IS NOT NULL THEN
        conds := array_append(conds, 't.priority = $4');
    END IF;
    IF category_id IS NOT NULL THEN
        conds := array_append(conds, 't.category_id = $5');
    END IF;
    IF unassigned THEN
        conds := array_append(conds, 't.assignee_id IS NULL');
    ELSIF assignee_id IS NOT NULL THEN
        conds := array_append(conds, 't.assignee_id = $6');
    END IF;
    IF search IS NOT NULL THEN
        pattern := helpdesk.like_pattern(search);
        conds := array_append(conds, ('helpdesk.ticket_search_text(t.title, t.description, t.ticket_number) ILIKE $7'
                           || ' AND (t.title ILIKE $7 OR t.description ILIKE $7 OR t.ticket_number ILIKE $7)'));
    END IF;
    where_sql := CASE WHEN cardinality(conds) = 0 THEN '' ELSE ' WHERE ' || array_to_string(conds, ' AND ') END;
    order_sql := format(' ORDER BY t.%I %s, t.id %s LIMIT %s OFFSET %s',
                        helpdesk.ticket_sort_column(sort_by), dir, dir, page_size, (page - 1)::bigint * page_size);

    IF explain THEN
        -- the plans of the two statements, for a DBA (and the regression tests)
        RETURN jsonb_build_object(
            'count', helpdesk.explain_lines(format('SELECT count(*) FROM (SELECT FROM helpdesk.tickets t%s LIMIT %s) c',
                                                   where_sql, cap + 1),
                                            actor.id, submitter_id, status, priority, category_id, assignee_id, pattern, at),
            'page', helpdesk.explain_lines('SELECT t.id FROM helpdesk.tickets t' || where_sql || order_sql,
                                           actor.id, submitter_id, status, priority, category_id, assignee_id, pattern, at));
    END IF;

    -- Exact up to `cap` matching rows, the planner's estimate beyond (see above).
    EXECUTE format('SELECT count(*) FROM (SELECT FROM helpdesk.tickets t%s LIMIT %s) c', where_sql, cap + 1) INTO total
        USING actor.id, submitter_id, status, priority, category_id, assignee_id, pattern, NULL::int, at;
    IF total > cap THEN
        total := greatest(cap + 1, helpdesk.estimate_rows('SELECT FROM helpdesk.tickets t' || where_sql,
                          actor.id, submitter_id, status, priority, category_id, assignee_id, pattern, at));
    END IF;

    -- a page past an exact end is empty without walking anything
    IF total > cap OR total > (page - 1)::bigint * page_size THEN
        -- the page's ids first (the offset walks ids only), then the JSON of those rows
        EXECUTE 'SELECT jsonb_agg(helpdesk.ticket_json_of(t, su, au, c, r, false, $9) ORDER BY p.ord)'
                || ' FROM (SELECT s.id, row_number() OVER () AS ord FROM (SELECT t.id FROM helpdesk.tickets t'
                || where_sql || order_sql || ') s) p JOIN helpdesk.tickets t ON t.id = p.id'
                || ' LEFT JOIN helpdesk.users su ON su.id = t.submitter_id'
                || ' LEFT JOIN helpdesk.users au ON au.id = t.assignee_id'
                || ' LEFT JOIN helpdesk.categories c ON c.id = t.category_id'
                || $q$ LEFT JOIN helpdesk.sla_clocks r ON r.ticket_id = t.id AND r.kind = 'resolution'$q$
            INTO items
            USING actor.id, submitter_id, status, priority, category_id, assignee_id, pattern, NULL::int, at;
    END IF;
    RETURN helpdesk.paginated('tickets', items, total, page, page_size);
END
$$;

-- Runs one operation on each ticket of a bulk request, each one all or nothing in its own
-- subtransaction, and reports {success, failed, errors}. Expected refusals (the HDnnn errors,
-- constraint violations) are reported per item as "Ticket <id>: <reason>"; anything else aborts
-- the whole request. Each item goes through the same domain function as the single route, so
-- the same rules hold.
CREATE FUNCTION helpdesk.ticket_bulk(actor helpdesk.users, ticket_ids int[], op text,
                                     assignee_id int DEFAULT NULL, new_status helpdesk.ticket_status DEFAULT NULL)
RETURNS jsonb
LANGUAGE plpgsql
AS $$
DECLARE
    tid int;
    ok int := 0;
    errors text[] := '{}';
    st text;
    msg text;
BEGIN
    FOR tid IN SELECT i FROM unnest(ticket_ids) WITH ORDINALITY u(i, n) GROUP BY i ORDER BY min(n) LOOP
        BEGIN
            CASE op
                WHEN 'assign' THEN
                    PERFORM helpdesk.ticket_assign(tid, assignee_id, actor,
                                                   role_message => 'Can only assign to IT Staff or Admin');
                WHEN 'status' THEN
                    PERFORM helpdesk.ticket_transition(tid, new_status, actor);
                WHEN 'delete' THEN
                    PERFORM helpdesk.ticket_delete(tid, actor);
            END CASE;
            ok := ok + 1;
        EXCEPTION
            WHEN SQLSTATE 'HD400' OR SQLSTATE 'HD403' OR SQLSTATE 'HD404' OR SQLSTATE 'HD409'
                 OR SQLSTATE 'HD422' OR integrity_constraint_violation THEN
                GET STACKED DIAGNOSTICS st = RETURNED_SQLSTATE, msg = MESSAGE_TEXT;
                errors := errors || format('Ticket %s: %s', tid,
                    CASE WHEN st = 'HD404' THEN 'Not found'
                         WHEN st LIKE 'HD%' THEN msg
                         ELSE 'Conflicts with another change' END);
        END;
    END LOOP;
    RETURN jsonb_build_object('success', ok, 'failed', cardinality(errors), 'errors', to_jsonb(errors));
END
$$;

-- Bulk assign (IT_Staff, Admin): the assign rules per item.
CREATE FUNCTION helpdesk.ticket_bulk_assign(actor helpdesk.users, ticket_ids int[], assignee_id int)
RETURNS jsonb
LANGUAGE plpgsql
AS $$
BEGIN
    PERFORM helpdesk.require_role(actor, 'IT_Staff', 'Admin');
    PERFORM helpdesk.assignable_user(assignee_id, 'Can only assign to IT Staff or Admin');
    RETURN helpdesk.ticket_bulk(actor, ticket_ids, 'assign', assignee_id => assignee_id);
END
$$;

-- Bulk status (anyone): the change-status rules per item.
CREATE FUNCTION helpdesk.ticket_bulk_status(actor helpdesk.users, ticket_ids int[], new_status helpdesk.ticket_status)
RETURNS jsonb
LANGUAGE sql
AS $$ SELECT helpdesk.ticket_bulk(actor, ticket_ids, 'status', new_status => new_status) $$;

-- Bulk delete (Admin), audited as one action besides each ticket's own row.
CREATE FUNCTION helpdesk.ticket_bulk_delete(actor helpdesk.users, ticket_ids int[])
RETURNS jsonb
LANGUAGE plpgsql
AS $$
DECLARE
    result jsonb;
BEGIN
    PERFORM helpdesk.require_role(actor, 'Admin');
    result := helpdesk.ticket_bulk(actor, ticket_ids, 'delete');
    PERFORM helpdesk.audit('BULK_DELETE_TICKETS', 'ticket', NULL,
                           jsonb_build_object('ticketIds', to_jsonb(ticket_ids), 'result', result));
    RETURN result;
END
$$;

-- Ticket counts by status: an Employee's submitted tickets, an IT_Staff's assigned tickets, all
-- tickets for an Admin. byStatus has one key per status (camelCase of its label).
CREATE FUNCTION helpdesk.ticket_stats(actor helpdesk.users)
RETURNS jsonb
LANGUAGE plpgsql STABLE
AS $$
DECLARE
    n jsonb;
BEGIN
    -- one branch per role (one-time filters), each a GROUP BY over an index on its column
    SELECT coalesce(jsonb_object_agg(c.status, c.n), '{}') INTO n FROM (
        SELECT t.status, count(*) AS n FROM helpdesk.tickets t
        WHERE actor.role = 'Employee' AND t.submitter_id = actor.id GROUP BY t.status
        UNION ALL
        SELECT t.status, count(*) FROM helpdesk.tickets t
        WHERE actor.role = 'IT_Staff' AND t.assignee_id = actor.id GROUP BY t.status
        UNION ALL
        SELECT t.status, count(*) FROM helpdesk.tickets t
        WHERE actor.role = 'Admin' GROUP BY t.status) c;
    RETURN jsonb_build_object(
        'total', (SELECT coalesce(sum(v::bigint), 0) FROM jsonb_each_text(n) e(k, v)),
        'byStatus', (SELECT jsonb_object_agg(helpdesk.camel_case(s::text), coalesce(n -> s::text, '0'))
                     FROM unnest(pg_catalog.enum_range(NULL::helpdesk.ticket_status)) s));
END
$$;

-- The tickets assigned to the actor (IT_Staff, Admin), newest first.
CREATE FUNCTION helpdesk.ticket_list_assigned(actor helpdesk.users, status helpdesk.ticket_status DEFAULT NULL,
                                              page int DEFAULT 1, page_size int DEFAULT 10)
RETURNS jsonb
LANGUAGE plpgsql STABLE
AS $$
BEGIN
    PERFORM helpdesk.require_role(actor, 'IT_Staff', 'Admin');
    RETURN helpdesk.ticket_list(actor, status => status, assignee_id => actor.id, page => page, page_size => page_size);
END
$$;

-- A category's ticket count (GET /categories/:id/stats): whether it can be deleted.
CREATE FUNCTION helpdesk.category_stats(category_id int)
RETURNS jsonb
LANGUAGE sql STABLE
AS $$
    SELECT jsonb_build_object('id', c.id, 'name', c.name, 'ticketCount', n, 'isActive', c.is_active,
                              'canBeDeleted', n = 0)
    FROM helpdesk.category_get(category_id) c,
         LATERAL (SELECT count(*) AS n FROM helpdesk.tickets t WHERE t.category_id = c.id) k
$$;


-- ==== sql/31_tickets_api.sql ====
-- 31_tickets_api: the eighteen ticket routes (seed-system §2.5, §3.1), and
-- GET /categories/:id/stats (a count of tickets). The rules are in sql/30_tickets.sql.

-- The ticket id of a ticket route: `:id`, or `:ticketId` when another module's routes share the
-- path prefix under that name (the router wants one parameter name per position).
CREATE FUNCTION helpdesk.ticket_path_id(req jsonb)
RETURNS int
LANGUAGE sql IMMUTABLE
AS $$ SELECT coalesce(req -> 'path' ->> 'id', req -> 'path' ->> 'ticketId')::int $$;

-- POST /tickets
CREATE FUNCTION helpdesk_api.tickets_create(req jsonb)
RETURNS jsonb
LANGUAGE plpgsql
AS $$
DECLARE
    actor helpdesk.users := helpdesk.current_actor();
    b jsonb := helpdesk.body(req, 'title', 'description', 'categoryId', 'priority');
    t helpdesk.tickets;
BEGIN
    t := helpdesk.ticket_create(
        actor,
        helpdesk.field_text(b, 'title', true, 5, 255),
        helpdesk.field_text(b, 'description', true, 10, 100000),
        helpdesk.field_int(b, 'categoryId', true, 1),
        helpdesk.field_enum(b, 'priority', NULL::helpdesk.ticket_priority));
    RETURN helpdesk.ticket_json(t, true);
END
$$;

-- GET /tickets
CREATE FUNCTION helpdesk_api.tickets_list(req jsonb)
RETURNS jsonb
LANGUAGE plpgsql STABLE
AS $$
DECLARE
    actor helpdesk.users := helpdesk.current_actor();
    assignee text := nullif(btrim(req -> 'query' ->> 'assigneeId'), '');
BEGIN
    RETURN helpdesk.ticket_list(
        actor,
        status => helpdesk.query_enum(req, 'status', NULL::helpdesk.ticket_status),
        priority => helpdesk.query_enum(req, 'priority', NULL::helpdesk.ticket_priority),
        category_id => helpdesk.query_int(req, 'categoryId', NULL, 1),
        submitter_id => helpdesk.query_int(req, 'submitterId', NULL, 1),
        assignee_id => CASE WHEN lower(assignee) = 'null' THEN NULL ELSE helpdesk.query_int(req, 'assigneeId', NULL, 1) END,
        unassigned => coalesce(lower(assignee) = 'null', false),
        search => nullif(btrim(req -> 'query' ->> 'search'), ''),
        sla_breached => coalesce(helpdesk.query_bool(req, 'slaBreached'), false),
        sla_at_risk => coalesce(helpdesk.query_bool(req, 'slaAtRisk'), false),
        page => helpdesk.query_page(req),
        page_size => helpdesk.query_limit(req),
        sort_by => coalesce(helpdesk.query_text(req, 'sortBy'), 'createdAt'),
        sort_order => helpdesk.query_sort_order(req));
END
$$;

-- GET /tickets/stats: Employee = submitted by me, IT_Staff = assigned to me, Admin = all.
CREATE FUNCTION helpdesk_api.tickets_stats(req jsonb)
RETURNS jsonb
LANGUAGE plpgsql STABLE
AS $$
BEGIN
    RETURN helpdesk.ticket_stats(helpdesk.current_actor());
END
$$;

-- GET /tickets/my-tickets
CREATE FUNCTION helpdesk_api.tickets_my(req jsonb)
RETURNS jsonb
LANGUAGE plpgsql STABLE
AS $$
DECLARE
    actor helpdesk.users := helpdesk.current_actor();
BEGIN
    RETURN helpdesk.ticket_list(actor, status => helpdesk.query_enum(req, 'status', NULL::helpdesk.ticket_status), submitter_id => actor.id,
                                page => helpdesk.query_page(req), page_size => helpdesk.query_limit(req));
END
$$;

-- GET /tickets/assigned-to-me (IT_Staff, Admin)
CREATE FUNCTION helpdesk_api.tickets_assigned_to_me(req jsonb)
RETURNS jsonb
LANGUAGE plpgsql STABLE
AS $$
BEGIN
    RETURN helpdesk.ticket_list_assigned(helpdesk.current_actor(),
        helpdesk.query_enum(req, 'status', NULL::helpdesk.ticket_status),
        helpdesk.query_page(req), helpdesk.query_limit(req));
END
$$;

-- GET /tickets/:id
CREATE FUNCTION helpdesk_api.tickets_get(req jsonb)
RETURNS jsonb
LANGUAGE plpgsql STABLE
AS $$
BEGIN
    RETURN helpdesk.ticket_json(helpdesk.visible_ticket(helpdesk.current_actor(), helpdesk.ticket_path_id(req)), true);
END
$$;

-- PATCH /tickets/:id
CREATE FUNCTION helpdesk_api.tickets_update(req jsonb)
RETURNS jsonb
LANGUAGE plpgsql
AS $$
DECLARE
    actor helpdesk.users := helpdesk.current_actor();
    b jsonb := helpdesk.body(req, 'title', 'description', 'categoryId', 'priority', 'status', 'assigneeId');
    t helpdesk.tickets;
BEGIN
    t := helpdesk.ticket_update(
        helpdesk.ticket_path_id(req), actor,
        new_title => helpdesk.field_text(b, 'title', false, 5, 255),
        new_description => helpdesk.field_text(b, 'description', false, 10, 100000),
        new_category_id => helpdesk.field_int(b, 'categoryId', false, 1),
        new_priority => helpdesk.field_enum(b, 'priority', NULL::helpdesk.ticket_priority),
        new_status => helpdesk.field_enum(b, 'status', NULL::helpdesk.ticket_status),
        new_assignee_id => helpdesk.field_int(b, 'assigneeId', false, 1));
    RETURN helpdesk.ticket_json(t, true);
END
$$;

-- POST /tickets/:id/change-status {status}: staff on any ticket, an Employee on their own;
-- the transition table decides.
CREATE FUNCTION helpdesk_api.tickets_change_status(req jsonb)
RETURNS jsonb
LANGUAGE plpgsql
AS $$
DECLARE
    actor helpdesk.users := helpdesk.current_actor();
    b jsonb := helpdesk.body(req, 'status');
BEGIN
    RETURN helpdesk.ticket_json(
        helpdesk.ticket_transition(helpdesk.ticket_path_id(req), helpdesk.field_enum(b, 'status', NULL::helpdesk.ticket_status, true), actor),
        true);
END
$$;

-- POST /tickets/:id/assign {assigneeId} (IT_Staff, Admin)
CREATE FUNCTION helpdesk_api.tickets_assign(req jsonb)
RETURNS jsonb
LANGUAGE plpgsql
AS $$
DECLARE
    actor helpdesk.users := helpdesk.current_actor();
    b jsonb := helpdesk.body(req, 'assigneeId');
BEGIN
    RETURN helpdesk.ticket_json(
        helpdesk.ticket_assign(helpdesk.ticket_path_id(req), helpdesk.field_int(b, 'assigneeId', true, 1),
                               actor),
        true);
END
$$;

-- POST /tickets/:id/start-progress (IT_Staff, Admin; the assignee)
CREATE FUNCTION helpdesk_api.tickets_start_progress(req jsonb)
RETURNS jsonb
LANGUAGE plpgsql
AS $$
BEGIN
    PERFORM helpdesk.body(req, VARIADIC '{}'::text[]);
    RETURN helpdesk.ticket_json(helpdesk.ticket_start_progress(helpdesk.ticket_path_id(req), helpdesk.current_actor()),
                                true);
END
$$;

-- POST /tickets/:id/resolve {resolutionNotes} (IT_Staff, Admin; the assignee)
CREATE FUNCTION helpdesk_api.tickets_resolve(req jsonb)
RETURNS jsonb
LANGUAGE plpgsql
AS $$
DECLARE
    actor helpdesk.users := helpdesk.current_actor();
    b jsonb := helpdesk.body(req, 'resolutionNotes');
BEGIN
    RETURN helpdesk.ticket_json(
        helpdesk.ticket_resolve(helpdesk.ticket_path_id(req),
                                helpdesk.field_text(b, 'resolutionNotes', true, 10, 100000), actor),
        true);
END
$$;

-- POST /tickets/:id/close
CREATE FUNCTION helpdesk_api.tickets_close(req jsonb)
RETURNS jsonb
LANGUAGE plpgsql
AS $$
DECLARE
    actor helpdesk.users := helpdesk.current_actor();
BEGIN
    PERFORM helpdesk.body(req, VARIADIC '{}'::text[]);
    RETURN helpdesk.ticket_json(helpdesk.ticket_close(helpdesk.ticket_path_id(req), actor), true);
END
$$;

-- POST /tickets/:id/reopen
CREATE FUNCTION helpdesk_api.tickets_reopen(req jsonb)
RETURNS jsonb
LANGUAGE plpgsql
AS $$
DECLARE
    actor helpdesk.users := helpdesk.current_actor();
BEGIN
    PERFORM helpdesk.body(req, VARIADIC '{}'::text[]);
    RETURN helpdesk.ticket_json(helpdesk.ticket_reopen(helpdesk.ticket_path_id(req), actor), true);
END
$$;

-- POST /tickets/:id/rate {rating, comment | satisfactionComment | satisfactionFeedback}
CREATE FUNCTION helpdesk_api.tickets_rate(req jsonb)
RETURNS jsonb
LANGUAGE plpgsql
AS $$
DECLARE
    actor helpdesk.users := helpdesk.current_actor();
    b jsonb := helpdesk.body(req, 'rating', 'comment', 'satisfactionComment', 'satisfactionFeedback');
    rating int := helpdesk.field_int(b, 'rating', true, 1, 5);
    texts text[] := ARRAY[helpdesk.field_text(b, 'comment', false, NULL, 5000),
                          helpdesk.field_text(b, 'satisfactionComment', false, NULL, 5000),
                          helpdesk.field_text(b, 'satisfactionFeedback', false, NULL, 5000)];
    feedback text;
BEGIN
    IF (SELECT count(DISTINCT x) FROM unnest(texts) x) > 1 THEN
        PERFORM helpdesk.validation_error('comment, satisfactionComment and satisfactionFeedback must agree');
    END IF;
    SELECT x INTO feedback FROM unnest(texts) x WHERE x IS NOT NULL LIMIT 1;
    RETURN helpdesk.ticket_json(helpdesk.ticket_rate(helpdesk.ticket_path_id(req), rating, feedback, actor), true);
END
$$;

-- DELETE /tickets/:id (Admin)
CREATE FUNCTION helpdesk_api.tickets_delete(req jsonb)
RETURNS jsonb
LANGUAGE plpgsql
AS $$
BEGIN
    PERFORM helpdesk.ticket_delete(helpdesk.ticket_path_id(req), helpdesk.current_actor());
    RETURN jsonb_build_object('message', 'Ticket deleted successfully');
END
$$;

-- POST /tickets/bulk-assign {ticketIds, assigneeId} (IT_Staff, Admin): the assign rules per item.
CREATE FUNCTION helpdesk_api.tickets_bulk_assign(req jsonb)
RETURNS jsonb
LANGUAGE plpgsql
AS $$
DECLARE
    actor helpdesk.users := helpdesk.current_actor();
    b jsonb := helpdesk.body(req, 'ticketIds', 'assigneeId');
BEGIN
    RETURN helpdesk.ticket_bulk_assign(actor,
                                       helpdesk.field_int_array(b, 'ticketIds', true, 1, 1000),
                                       helpdesk.field_int(b, 'assigneeId', true, 1));
END
$$;

-- POST /tickets/bulk-status {ticketIds, status}: the change-status rules per item.
CREATE FUNCTION helpdesk_api.tickets_bulk_status(req jsonb)
RETURNS jsonb
LANGUAGE plpgsql
AS $$
DECLARE
    actor helpdesk.users := helpdesk.current_actor();
    b jsonb := helpdesk.body(req, 'ticketIds', 'status');
BEGIN
    RETURN helpdesk.ticket_bulk_status(actor,
                                       helpdesk.field_int_array(b, 'ticketIds', true, 1, 1000),
                                       helpdesk.field_enum(b, 'status', NULL::helpdesk.ticket_status, true));
END
$$;

-- POST /tickets/bulk-delete {ticketIds} (Admin)
CREATE FUNCTION helpdesk_api.tickets_bulk_delete(req jsonb)
RETURNS jsonb
LANGUAGE plpgsql
AS $$
BEGIN
    RETURN helpdesk.ticket_bulk_delete(helpdesk.current_actor(),
        helpdesk.field_int_array(helpdesk.body(req, 'ticketIds'), 'ticketIds', true, 1, 1000));
END
$$;

-- GET /categories/:id/stats: the real number of tickets in the category.
CREATE FUNCTION helpdesk_api.categories_stats(req jsonb)
RETURNS jsonb
LANGUAGE plpgsql STABLE
AS $$
BEGIN
    PERFORM helpdesk.current_actor();
    RETURN helpdesk.category_stats(helpdesk.path_int(req));
END
$$;

-- ==== sql/32_comments.sql ====
-- 32_comments: comments on tickets (public, internal, system) and who may do what with them.
--
-- Rules (reference §3.2, with API.md's security fixes):
-- - Comments follow their ticket's visibility (helpdesk.visible_ticket).
-- - Internal comments never reach an Employee: not in lists, not in stats, not by id (404, as if
--   it did not exist), not in history, not in notifications.
-- - Employees comment only on their own tickets and only publicly; staff may use any type.
-- - Edit: author only, never a system comment, within 15 minutes of creation.
-- - Delete: author or Admin, never a system comment; soft delete, deleted comments are gone
--   everywhere.
-- Domain functions take the acting user row and, where time matters, the clock (`at`).

CREATE TABLE helpdesk.comments (
    id          serial PRIMARY KEY,
    ticket_id   int NOT NULL REFERENCES helpdesk.tickets (id) ON DELETE CASCADE,
    user_id     int NOT NULL REFERENCES helpdesk.users (id) ON DELETE RESTRICT,
    content     text NOT NULL CHECK (length(content) BETWEEN 1 AND 5000),
    type        helpdesk.comment_type NOT NULL DEFAULT 'public',
    is_edited   boolean NOT NULL DEFAULT false,
    edited_at   timestamptz,
    metadata    jsonb,
    deleted_at  timestamptz,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX comments_ticket_idx ON helpdesk.comments (ticket_id, created_at) WHERE deleted_at IS NULL;

CREATE INDEX comments_user_idx ON helpdesk.comments (user_id, created_at);

CREATE TRIGGER comments_90_touch BEFORE UPDATE ON helpdesk.comments
    FOR EACH ROW EXECUTE FUNCTION helpdesk.touch_updated_at();

SELECT pg_catalog.pg_extension_config_dump('helpdesk.comments', '');

SELECT pg_catalog.pg_extension_config_dump('helpdesk.comments_id_seq', '');

-- The comment JSON of the reference (deleted_at never shown).
CREATE FUNCTION helpdesk.comment_json(c helpdesk.comments)
RETURNS jsonb
LANGUAGE sql STABLE
AS $$
    SELECT jsonb_build_object(
        'id', c.id, 'ticketId', c.ticket_id, 'userId', c.user_id, 'content', c.content,
        'type', c.type, 'isEdited', c.is_edited, 'editedAt', helpdesk.iso(c.edited_at),
        'metadata', c.metadata, 'createdAt', helpdesk.iso(c.created_at),
        'updatedAt', helpdesk.iso(c.updated_at))
$$;

-- The author include of comment JSON: {id, username, fullName, email, avatarUrl}.
CREATE FUNCTION helpdesk.comment_author_json(user_id int)
RETURNS jsonb
LANGUAGE sql STABLE
AS $$
    SELECT jsonb_build_object('id', u.id, 'username', u.username, 'fullName', u.full_name,
                              'email', u.email, 'avatarUrl', u.avatar_url)
    FROM helpdesk.users u WHERE u.id = user_id
$$;

-- Whether `actor` may see comments of type `type` (on a ticket they may see).
CREATE FUNCTION helpdesk.comment_type_visible(actor helpdesk.users, type helpdesk.comment_type)
RETURNS boolean
LANGUAGE sql STABLE
AS $$ SELECT type <> 'internal' OR helpdesk.is_staff(actor) $$;

-- A live comment `actor` may see: 404 when missing, deleted, or internal for an Employee;
-- 403 when its ticket is not theirs.
CREATE FUNCTION helpdesk.visible_comment(actor helpdesk.users, comment_id int,
                                         for_update boolean DEFAULT false)
RETURNS helpdesk.comments
LANGUAGE plpgsql
AS $$
DECLARE
    c helpdesk.comments;
BEGIN
    IF for_update THEN
        SELECT * INTO c FROM helpdesk.comments WHERE id = comment_id AND deleted_at IS NULL FOR UPDATE;
    ELSE
        SELECT * INTO c FROM helpdesk.comments WHERE id = comment_id AND deleted_at IS NULL;
    END IF;
    IF NOT FOUND OR NOT helpdesk.comment_type_visible(actor, c.type) THEN
        PERFORM helpdesk.http_error(404, format('Comment with ID %s not found', comment_id));
    END IF;
    IF NOT helpdesk.is_staff(actor)
       AND NOT EXISTS (SELECT FROM helpdesk.tickets t WHERE t.id = c.ticket_id AND t.submitter_id = actor.id) THEN
        PERFORM helpdesk.http_error(403, 'You do not have permission to view this comment');
    END IF;
    RETURN c;
END
$$;

-- Add a comment to a ticket as `actor`.
CREATE FUNCTION helpdesk.comment_create(actor helpdesk.users, ticket_id int, content text,
                                        type helpdesk.comment_type DEFAULT 'public',
                                        at timestamptz DEFAULT now())
RETURNS helpdesk.comments
LANGUAGE plpgsql
AS $$
DECLARE
    t helpdesk.tickets;
    c helpdesk.comments;
BEGIN
    SELECT * INTO t FROM helpdesk.tickets WHERE id = comment_create.ticket_id;
    IF NOT FOUND THEN
        PERFORM helpdesk.http_error(404, format('Ticket with ID %s not found', comment_create.ticket_id));
    END IF;
    IF NOT helpdesk.is_staff(actor) THEN
        IF t.submitter_id <> actor.id THEN
            PERFORM helpdesk.http_error(403, 'You can only comment on your own tickets');
        END IF;
        IF coalesce(type, 'public') <> 'public' THEN
            PERFORM helpdesk.http_error(403, 'You can only create public comments');
        END IF;
    END IF;
    IF content IS NULL OR btrim(content) = '' THEN
        PERFORM helpdesk.validation_error('content should not be empty');
    END IF;
    IF length(content) > 5000 THEN
        PERFORM helpdesk.validation_error('content must be shorter than or equal to 5000 characters');
    END IF;
    INSERT INTO helpdesk.comments (ticket_id, user_id, content, type, created_at, updated_at)
    VALUES (t.id, actor.id, content, coalesce(type, 'public'), at, at)
    RETURNING * INTO c;
    RETURN c;
END
$$;

-- Edit a comment's text: the author only, never a system comment, within 15 minutes.
CREATE FUNCTION helpdesk.comment_update(actor helpdesk.users, comment_id int, content text,
                                        at timestamptz DEFAULT now())
RETURNS helpdesk.comments
LANGUAGE plpgsql
AS $$
DECLARE
    c helpdesk.comments := helpdesk.visible_comment(actor, comment_id, true);
BEGIN
    IF c.user_id <> actor.id THEN
        PERFORM helpdesk.http_error(403, 'You can only edit your own comments');
    END IF;
    IF c.type = 'system' THEN
        PERFORM helpdesk.http_error(403, 'System comments cannot be edited');
    END IF;
    IF at > c.created_at + interval '15 minutes' THEN
        PERFORM helpdesk.http_error(400, 'Comments can only be edited within 15 minutes of creation');
    END IF;
    IF content IS NULL OR btrim(content) = '' THEN
        PERFORM helpdesk.validation_error('content should not be empty');
    END IF;
    IF length(content) > 5000 THEN
        PERFORM helpdesk.validation_error('content must be shorter than or equal to 5000 characters');
    END IF;
    UPDATE helpdesk.comments
    SET content = comment_update.content, is_edited = true, edited_at = at
    WHERE id = c.id
    RETURNING * INTO c;
    RETURN c;
END
$$;

-- Soft-delete a comment: its author or an Admin, never a system comment.
CREATE FUNCTION helpdesk.comment_delete(actor helpdesk.users, comment_id int,
                                        at timestamptz DEFAULT now())
RETURNS void
LANGUAGE plpgsql
AS $$
DECLARE
    c helpdesk.comments := helpdesk.visible_comment(actor, comment_id, true);
BEGIN
    IF c.user_id <> actor.id AND actor.role <> 'Admin' THEN
        PERFORM helpdesk.http_error(403, 'You do not have permission to delete this comment');
    END IF;
    IF c.type = 'system' THEN
        PERFORM helpdesk.http_error(403, 'System comments cannot be deleted');
    END IF;
    UPDATE helpdesk.comments SET deleted_at = at WHERE id = c.id;
END
$$;

-- The live comments of a ticket `actor` may see, oldest first.
CREATE FUNCTION helpdesk.ticket_comments(actor helpdesk.users, ticket_id int)
RETURNS SETOF helpdesk.comments
LANGUAGE plpgsql STABLE
AS $$
DECLARE
    t helpdesk.tickets;
BEGIN
    SELECT * INTO t FROM helpdesk.tickets WHERE id = ticket_comments.ticket_id;
    IF NOT FOUND THEN
        PERFORM helpdesk.http_error(404, format('Ticket with ID %s not found', ticket_comments.ticket_id));
    END IF;
    IF NOT helpdesk.is_staff(actor) AND t.submitter_id <> actor.id THEN
        PERFORM helpdesk.http_error(403, 'You can only view comments on your own tickets');
    END IF;
    RETURN QUERY
        SELECT c.* FROM helpdesk.comments c
        WHERE c.ticket_id = t.id AND c.deleted_at IS NULL
          AND helpdesk.comment_type_visible(actor, c.type)
        ORDER BY c.created_at, c.id;
END
$$;

-- The ticket include of comment JSON.
CREATE FUNCTION helpdesk.comment_ticket_json(ticket_id int, with_submitter boolean DEFAULT true)
RETURNS jsonb
LANGUAGE sql STABLE
AS $$
    SELECT jsonb_build_object('id', t.id, 'ticketNumber', t.ticket_number, 'title', t.title)
           || CASE WHEN with_submitter THEN jsonb_build_object('submitterId', t.submitter_id)
                   ELSE '{}'::jsonb END
    FROM helpdesk.tickets t WHERE t.id = ticket_id
$$;

-- A comment with its author and ticket.
CREATE FUNCTION helpdesk.comment_full_json(c helpdesk.comments)
RETURNS jsonb
LANGUAGE sql STABLE
AS $$
    SELECT helpdesk.comment_json(c)
           || jsonb_build_object('user', helpdesk.comment_author_json(c.user_id),
                                 'ticket', helpdesk.comment_ticket_json(c.ticket_id))
$$;

-- The actor's 20 most recent live comments that they may still see, with their ticket.
CREATE FUNCTION helpdesk.comments_of_actor(actor helpdesk.users, max_items int DEFAULT 20)
RETURNS jsonb
LANGUAGE sql STABLE
AS $$
    SELECT coalesce(jsonb_agg(helpdesk.comment_json(c)
                              || jsonb_build_object('ticket', helpdesk.comment_ticket_json(c.ticket_id, false))
                              ORDER BY c.created_at DESC, c.id DESC), '[]')
    FROM (SELECT c.* FROM helpdesk.comments c
          JOIN helpdesk.tickets t ON t.id = c.ticket_id
          WHERE c.user_id = actor.id AND c.deleted_at IS NULL
            AND helpdesk.comment_type_visible(actor, c.type)
            AND (helpdesk.is_staff(actor) OR t.submitter_id = actor.id)
          ORDER BY c.created_at DESC, c.id DESC
          LIMIT max_items) c
$$;

-- ==== sql/33_comments_api.sql ====
-- 33_comments_api: the comment routes (seed-system §2.6). The rules are in sql/32_comments.sql.

-- The ticket of the comment routes under /tickets/:ticketId (the http router wants one parameter
-- name per position, shared with the ticket routes; :id is accepted too should that name change).
CREATE FUNCTION helpdesk.comments_path_ticket(req jsonb)
RETURNS int
LANGUAGE sql IMMUTABLE
AS $$ SELECT coalesce(helpdesk.path_int(req, 'ticketId'), helpdesk.path_int(req, 'id')) $$;

-- POST /tickets/:ticketId/comments {content, type?}
CREATE FUNCTION helpdesk_api.comments_create(req jsonb)
RETURNS jsonb
LANGUAGE plpgsql
AS $$
DECLARE
    actor   helpdesk.users := helpdesk.current_actor();
    b       jsonb := helpdesk.body(req, 'content', 'type');
    content text := helpdesk.field_text(b, 'content', true, NULL, 5000);
    type    helpdesk.comment_type := helpdesk.field_enum(b, 'type', NULL::helpdesk.comment_type);
BEGIN
    RETURN helpdesk.comment_full_json(
        helpdesk.comment_create(actor, helpdesk.comments_path_ticket(req), content,
                                coalesce(type, 'public')));
END
$$;

-- GET /tickets/:ticketId/comments
CREATE FUNCTION helpdesk_api.comments_list(req jsonb)
RETURNS jsonb
LANGUAGE plpgsql STABLE
AS $$
DECLARE
    actor helpdesk.users := helpdesk.current_actor();
BEGIN
    RETURN (SELECT coalesce(jsonb_agg(helpdesk.comment_json(c)
                                      || jsonb_build_object('user', helpdesk.comment_author_json(c.user_id))
                                      ORDER BY c.created_at, c.id), '[]')
            FROM helpdesk.ticket_comments(actor, helpdesk.comments_path_ticket(req)) c);
END
$$;

-- GET /tickets/:ticketId/comments/stats: {total, public, internal, system} of what the caller
-- may see (an Employee's internal count is always 0).
CREATE FUNCTION helpdesk_api.comments_stats(req jsonb)
RETURNS jsonb
LANGUAGE plpgsql STABLE
AS $$
DECLARE
    actor helpdesk.users := helpdesk.current_actor();
BEGIN
    RETURN (SELECT jsonb_build_object(
                       'total', count(*),
                       'public', count(*) FILTER (WHERE c.type = 'public'),
                       'internal', count(*) FILTER (WHERE c.type = 'internal'),
                       'system', count(*) FILTER (WHERE c.type = 'system'))
            FROM helpdesk.ticket_comments(actor, helpdesk.comments_path_ticket(req)) c);
END
$$;

-- GET /comments/my-comments: the caller's 20 most recent live comments, with their ticket.
CREATE FUNCTION helpdesk_api.comments_my(req jsonb)
RETURNS jsonb
LANGUAGE plpgsql STABLE
AS $$
BEGIN
    RETURN helpdesk.comments_of_actor(helpdesk.current_actor());
END
$$;

-- GET /comments/:id
CREATE FUNCTION helpdesk_api.comments_get(req jsonb)
RETURNS jsonb
LANGUAGE plpgsql STABLE
AS $$
DECLARE
    actor helpdesk.users := helpdesk.current_actor();
BEGIN
    RETURN helpdesk.comment_full_json(helpdesk.visible_comment(actor, helpdesk.path_int(req)));
END
$$;

-- PATCH /comments/:id {content}
CREATE FUNCTION helpdesk_api.comments_update(req jsonb)
RETURNS jsonb
LANGUAGE plpgsql
AS $$
DECLARE
    actor   helpdesk.users := helpdesk.current_actor();
    b       jsonb := helpdesk.body(req, 'content');
    content text := helpdesk.field_text(b, 'content', true, NULL, 5000);
BEGIN
    RETURN helpdesk.comment_full_json(helpdesk.comment_update(actor, helpdesk.path_int(req), content));
END
$$;

-- DELETE /comments/:id
CREATE FUNCTION helpdesk_api.comments_delete(req jsonb)
RETURNS jsonb
LANGUAGE plpgsql
AS $$
DECLARE
    actor helpdesk.users := helpdesk.current_actor();
BEGIN
    PERFORM helpdesk.comment_delete(actor, helpdesk.path_int(req));
    RETURN jsonb_build_object('message', 'Comment deleted successfully');
END
$$;

-- ==== sql/34_attachments.sql ====
-- 34_attachments: files attached to tickets. An attachment follows its ticket's visibility
-- (helpdesk.visible_ticket); its history row comes from the history trigger (sql/36_history.sql).

-- Attachment metadata; the bytes live in the storage the attachments module chooses.
CREATE TABLE helpdesk.attachments (
    id            serial PRIMARY KEY,
    ticket_id     int NOT NULL REFERENCES helpdesk.tickets (id) ON DELETE CASCADE,
    file_name     varchar(255) NOT NULL,
    original_name varchar(255) NOT NULL,
    file_path     varchar(500) NOT NULL,
    file_size     bigint NOT NULL CHECK (file_size >= 0),
    mime_type     varchar(100) NOT NULL,
    sha256        bytea CHECK (length(sha256) = 32),
    uploaded_by   int NOT NULL REFERENCES helpdesk.users (id) ON DELETE RESTRICT,
    created_at    timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX attachments_ticket_idx ON helpdesk.attachments (ticket_id, created_at);

CREATE INDEX attachments_uploader_idx ON helpdesk.attachments (uploaded_by);

SELECT pg_catalog.pg_extension_config_dump('helpdesk.attachments', '');

SELECT pg_catalog.pg_extension_config_dump('helpdesk.attachments_id_seq', '');

-- ==== sql/36_history.sql ====
-- 36_history: the ticket history: its table, the triggers that write it (C, extension/history.c),
-- and who may read it.
--
-- Every change to a ticket, a new comment or a new attachment writes helpdesk.ticket_history
-- rows from the trigger's old and new tuples, whoever made the change (API, bulk routes, the SLA
-- watcher, a DBA's UPDATE). The acting user is helpdesk.actor_id; without it user_id is NULL and
-- db_user says which database role acted. See history.c for the rows each change writes; in
-- short, one row per event, and a status move is one row whose action is `resolved`, `closed`,
-- `reopened` or `status_changed` (field_name 'status' in every case).

-- One row per change to a ticket, written by triggers (whoever made the change) and by the
-- SLA watcher. user_id is the acting user; db_user who held the connection.
CREATE TABLE helpdesk.ticket_history (
    id          bigserial PRIMARY KEY,
    ticket_id   int NOT NULL REFERENCES helpdesk.tickets (id) ON DELETE CASCADE,
    user_id     int REFERENCES helpdesk.users (id) ON DELETE SET NULL,
    db_user     name NOT NULL DEFAULT current_user,
    action      varchar(50) NOT NULL CHECK (action IN (
                    'created', 'updated', 'assigned', 'status_changed', 'priority_changed',
                    'category_changed', 'comment_added', 'attachment_added', 'resolved', 'closed',
                    'reopened', 'sla_warning', 'sla_breached', 'escalated')),
    field_name  varchar(50),
    old_value   text,
    new_value   text,
    description text,
    created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX ticket_history_ticket_idx ON helpdesk.ticket_history (ticket_id, created_at DESC);

CREATE INDEX ticket_history_created_idx ON helpdesk.ticket_history (created_at DESC);

SELECT pg_catalog.pg_extension_config_dump('helpdesk.ticket_history', '');

SELECT pg_catalog.pg_extension_config_dump('helpdesk.ticket_history_id_seq', '');

CREATE FUNCTION helpdesk.ticket_history_trigger()
RETURNS trigger
AS 'MODULE_PATHNAME', 'ticket_history_trigger'
LANGUAGE C;

COMMENT ON FUNCTION helpdesk.ticket_history_trigger() IS
    'AFTER ROW trigger of tickets, comments and attachments: writes helpdesk.ticket_history';

-- Whether the running statement is a COPY: rows loaded (pg_restore of a dump, an import) are
-- not changes, they arrive with their history and notifications, so triggers skip them.
CREATE FUNCTION helpdesk.copying_rows()
RETURNS boolean
AS 'MODULE_PATHNAME', 'helpdesk_copying_rows'
LANGUAGE C STABLE;

CREATE TRIGGER tickets_20_history_insert AFTER INSERT ON helpdesk.tickets
    FOR EACH ROW EXECUTE FUNCTION helpdesk.ticket_history_trigger();

-- Only the columns the history speaks about wake the trigger (updated_at, SLA dates do not).
CREATE TRIGGER tickets_20_history_update AFTER UPDATE ON helpdesk.tickets
    FOR EACH ROW
    WHEN ((OLD.title, OLD.description, OLD.category_id, OLD.priority, OLD.assignee_id, OLD.status)
          IS DISTINCT FROM
          (NEW.title, NEW.description, NEW.category_id, NEW.priority, NEW.assignee_id, NEW.status))
    EXECUTE FUNCTION helpdesk.ticket_history_trigger();

CREATE TRIGGER comments_20_history AFTER INSERT ON helpdesk.comments
    FOR EACH ROW EXECUTE FUNCTION helpdesk.ticket_history_trigger();

CREATE TRIGGER attachments_20_history AFTER INSERT ON helpdesk.attachments
    FOR EACH ROW EXECUTE FUNCTION helpdesk.ticket_history_trigger();

-- The label of an action (the reference's actionLabel).
CREATE FUNCTION helpdesk.history_action_label(action text)
RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
    SELECT CASE action
        WHEN 'created' THEN 'Ticket created'
        WHEN 'updated' THEN 'Ticket updated'
        WHEN 'assigned' THEN 'Ticket assigned'
        WHEN 'status_changed' THEN 'Status changed'
        WHEN 'priority_changed' THEN 'Priority changed'
        WHEN 'category_changed' THEN 'Category changed'
        WHEN 'comment_added' THEN 'Comment added'
        WHEN 'attachment_added' THEN 'Attachment added'
        WHEN 'resolved' THEN 'Ticket resolved'
        WHEN 'closed' THEN 'Ticket closed'
        WHEN 'reopened' THEN 'Ticket reopened'
        WHEN 'sla_warning' THEN 'SLA warning'
        WHEN 'sla_breached' THEN 'SLA breached'
        WHEN 'escalated' THEN 'Ticket escalated'
        ELSE action
    END
$$;

-- Whether a history row may be shown to `actor` (the ticket's visibility is checked by the
-- caller): Employees never see rows about internal comments.
CREATE FUNCTION helpdesk.history_row_visible(actor helpdesk.users, h helpdesk.ticket_history)
RETURNS boolean
LANGUAGE sql STABLE
AS $$
    SELECT helpdesk.is_staff(actor)
        OR NOT (h.action = 'comment_added' AND h.field_name IS NOT DISTINCT FROM 'internal_comment')
$$;

-- The row JSON of the reference: changeDescription = description if set, else
-- `<field> changed from "<old>" to "<new>"`, else `<field> set to "<new>"`, else the label.
CREATE FUNCTION helpdesk.history_json(h helpdesk.ticket_history)
RETURNS jsonb
LANGUAGE sql STABLE
AS $$
    SELECT jsonb_build_object(
        'id', h.id, 'ticketId', h.ticket_id, 'userId', h.user_id, 'action', h.action,
        'actionLabel', helpdesk.history_action_label(h.action),
        'fieldName', h.field_name, 'oldValue', h.old_value, 'newValue', h.new_value,
        'description', h.description,
        'changeDescription', coalesce(
            h.description,
            CASE WHEN h.field_name IS NOT NULL AND h.old_value IS NOT NULL AND h.new_value IS NOT NULL
                 THEN pg_catalog.format('%s changed from "%s" to "%s"', h.field_name, h.old_value, h.new_value)
                 WHEN h.field_name IS NOT NULL AND h.new_value IS NOT NULL
                 THEN pg_catalog.format('%s set to "%s"', h.field_name, h.new_value)
            END,
            helpdesk.history_action_label(h.action)),
        'createdAt', helpdesk.iso(h.created_at),
        'user', (SELECT jsonb_build_object('id', u.id, 'fullName', u.full_name, 'email', u.email,
                                           'role', u.role)
                 FROM helpdesk.users u WHERE u.id = h.user_id))
$$;

-- The history of one ticket as `actor` may see it, newest first. 404/403 per visible_ticket.
CREATE FUNCTION helpdesk.ticket_history_of(actor helpdesk.users, ticket_id int)
RETURNS SETOF helpdesk.ticket_history
LANGUAGE plpgsql STABLE
AS $$
BEGIN
    PERFORM helpdesk.visible_ticket(actor, ticket_id);
    RETURN QUERY
        SELECT h.* FROM helpdesk.ticket_history h
        WHERE h.ticket_id = ticket_history_of.ticket_id AND helpdesk.history_row_visible(actor, h)
        ORDER BY h.created_at DESC, h.id DESC;
END
$$;

-- Every ticket's history, newest first, one page (IT_Staff, Admin).
-- (ticket_history_created_idx gives the created_at order; ties within one transaction are put
-- in id order by an incremental sort, never a sort of the whole table.)
CREATE FUNCTION helpdesk.history_list(actor helpdesk.users, max_items int DEFAULT 100, skip int DEFAULT 0)
RETURNS jsonb
LANGUAGE plpgsql STABLE
AS $$
BEGIN
    PERFORM helpdesk.require_role(actor, 'IT_Staff', 'Admin');
    RETURN (SELECT coalesce(jsonb_agg(helpdesk.history_json(h) ORDER BY h.created_at DESC, h.id DESC), '[]')
            FROM (SELECT * FROM helpdesk.ticket_history
                  ORDER BY created_at DESC, id DESC
                  LIMIT max_items OFFSET skip) h);
END
$$;

-- ==== sql/37_history_api.sql ====
-- 37_history_api: the ticket-history routes (seed-system §2.8). The rules are in sql/36_history.sql.

-- GET /ticket-history/ticket/:ticketId (any role; the ticket's visibility applies)
CREATE FUNCTION helpdesk_api.ticket_history_by_ticket(req jsonb)
RETURNS jsonb
LANGUAGE plpgsql STABLE
AS $$
DECLARE
    actor helpdesk.users := helpdesk.current_actor();
BEGIN
    RETURN (SELECT coalesce(jsonb_agg(helpdesk.history_json(h) ORDER BY h.created_at DESC, h.id DESC), '[]')
            FROM helpdesk.ticket_history_of(actor, helpdesk.path_int(req, 'ticketId')) h);
END
$$;

-- GET /ticket-history?limit&offset (IT_Staff, Admin): every ticket's history, newest first.
CREATE FUNCTION helpdesk_api.ticket_history_list(req jsonb)
RETURNS jsonb
LANGUAGE plpgsql STABLE
AS $$
BEGIN
    RETURN helpdesk.history_list(helpdesk.current_actor(), helpdesk.query_int(req, 'limit', 100, 1, 1000),
                                 helpdesk.query_int(req, 'offset', 0, 0));
END
$$;

-- ==== sql/38_notifications.sql ====
-- 38_notifications: in-app notifications, and the triggers that write them and outbox mails in
-- the same transaction as the change that causes them, whoever made it (API, bulk routes, a DBA's UPDATE).
--
-- Texts are the reference's (§3.6) with one change: where it printed the database id
-- (`Ticket #<id>`) we print the ticket number users know (`Ticket #TKT-2026-0001`); the
-- notification's ticketId still links the ticket.
--
-- Recipients (reference §3.6 and API.md's fixes):
-- - ticket created: every active IT_Staff and Admin.
-- - assignee set: the assignee (+ e-mail), and the submitter when not the assignee.
-- - status entered Resolved: the submitter (+ e-mail).
-- - status entered Closed: the submitter, and the assignee when not the submitter.
-- - any other change of title, description, priority, category, assignee or status: the
--   submitter and the assignee (`ticket_updated`), unless this transaction already told them
--   about the ticket (a route that assigns then moves the status is one event for its reader).
-- - comment (not system): the submitter and the assignee except its author (+ e-mail with the
--   text). An internal comment reaches staff only: an Employee gets no notification, no e-mail,
--   no text.
-- - Nobody is notified of their own action (the acting user, helpdesk.actor_id); a change made
--   without an acting user notifies everyone concerned. Inactive users are never notified.
-- - Rows loaded by COPY (pg_restore of a dump, an import) notify nobody: they are not changes.

CREATE TABLE helpdesk.notifications (
    id          bigserial PRIMARY KEY,
    user_id     int NOT NULL REFERENCES helpdesk.users (id) ON DELETE CASCADE,
    type        varchar(50) NOT NULL CHECK (type IN (
                    'ticket_created', 'ticket_assigned', 'ticket_updated', 'ticket_commented',
                    'ticket_resolved', 'ticket_closed', 'ticket_escalated', 'sla_warning', 'sla_breach')),
    title       varchar(255) NOT NULL,
    message     text NOT NULL,
    ticket_id   int REFERENCES helpdesk.tickets (id) ON DELETE CASCADE,
    is_read     boolean NOT NULL DEFAULT false,
    read_at     timestamptz,
    created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX notifications_user_idx ON helpdesk.notifications (user_id, created_at DESC);

CREATE INDEX notifications_unread_idx ON helpdesk.notifications (user_id) WHERE NOT is_read;

CREATE INDEX notifications_ticket_idx ON helpdesk.notifications (ticket_id);

SELECT pg_catalog.pg_extension_config_dump('helpdesk.notifications', '');

SELECT pg_catalog.pg_extension_config_dump('helpdesk.notifications_id_seq', '');

-- The acting user's name for messages (`System` when none is set).
CREATE FUNCTION helpdesk.actor_name()
RETURNS text
LANGUAGE sql STABLE
AS $$
    SELECT coalesce((SELECT u.full_name::text FROM helpdesk.users u WHERE u.id = helpdesk.actor_id()), 'System')
$$;

-- One notification for `user_id` and, when `email_subject` is given, one outbox mail to the
-- user's address. Does nothing for a missing or inactive user, or for the acting user.
-- Returns whether the user was notified.
CREATE FUNCTION helpdesk.notify(user_id int, type text, title text, message text, ticket_id int,
                                email_subject text DEFAULT NULL, email_body text DEFAULT NULL)
RETURNS boolean
LANGUAGE plpgsql
AS $$
DECLARE
    u helpdesk.users;
BEGIN
    IF user_id IS NULL OR user_id IS NOT DISTINCT FROM helpdesk.actor_id() THEN
        RETURN false;
    END IF;
    SELECT * INTO u FROM helpdesk.users WHERE id = notify.user_id AND is_active;
    IF NOT FOUND THEN
        RETURN false;
    END IF;
    INSERT INTO helpdesk.notifications (user_id, type, title, message, ticket_id)
    VALUES (u.id, type, title, message, ticket_id);
    IF email_subject IS NOT NULL THEN
        INSERT INTO helpdesk.email_outbox (user_id, recipient, subject, body_text, template, ticket_id)
        VALUES (u.id, u.email, email_subject,
                format(E'Hello %s,\n\n%s\n', u.full_name, coalesce(email_body, message)),
                type, ticket_id);
    END IF;
    RETURN true;
END
$$;

-- Mark `user_ids` as already told, in this transaction, about ticket `ticket_id`: the next
-- change of that ticket in this transaction sends them no `ticket_updated`. For code that
-- sends its own notification about a change it makes (e.g. an escalation that reassigns).
-- The memo is transaction-local: '<ticket id>:<user ids>' of the last ticket notified.
CREATE FUNCTION helpdesk.notify_mark_told(ticket_id int, VARIADIC user_ids int[])
RETURNS void
LANGUAGE plpgsql
AS $$
DECLARE
    memo text := pg_catalog.current_setting('helpdesk_notify.last', true);
    told int[] := '{}';
BEGIN
    IF memo LIKE ticket_id || ':%' THEN
        told := coalesce(string_to_array(nullif(split_part(memo, ':', 2), ''), ',')::int[], '{}');
    END IF;
    PERFORM pg_catalog.set_config('helpdesk_notify.last',
                                  ticket_id || ':' || array_to_string(told || user_ids, ','), true);
END
$$;

-- AFTER INSERT OR UPDATE ON tickets.
CREATE FUNCTION helpdesk.tickets_notify()
RETURNS trigger
LANGUAGE plpgsql
AS $$
DECLARE
    ref      text := '#' || NEW.ticket_number;
    who      text := helpdesk.actor_name();
    notified int[] := '{}';
    told     int[] := '{}';
    memo     text := pg_catalog.current_setting('helpdesk_notify.last', true);
    u        int;
    assignee text;
BEGIN
    -- Who this transaction already told about this ticket: a route may write the ticket in
    -- several statements (assign, then move the status), which is one event for its reader.
    -- The memo holds the last ticket notified in this transaction, '<ticket id>:<user ids>'.
    IF memo LIKE NEW.id || ':%' THEN
        told := coalesce(string_to_array(nullif(split_part(memo, ':', 2), ''), ',')::int[], '{}');
    END IF;

    IF TG_OP = 'INSERT' THEN
        FOR u IN SELECT id FROM helpdesk.users WHERE is_active AND helpdesk.is_staff(users) ORDER BY id LOOP
            IF helpdesk.notify(u, 'ticket_created', 'New Ticket Created',
                               format('Ticket %s: %s', ref, NEW.title), NEW.id) THEN
                notified := notified || u;
            END IF;
        END LOOP;
        PERFORM pg_catalog.set_config('helpdesk_notify.last', NEW.id || ':' || array_to_string(notified, ','), true);
        RETURN NULL;
    END IF;

    IF NEW.status IS DISTINCT FROM OLD.status AND NEW.status = 'Resolved' THEN
        IF helpdesk.notify(NEW.submitter_id, 'ticket_resolved', 'Ticket Resolved',
                           format('Your ticket %s: %s has been resolved by %s', ref, NEW.title, who), NEW.id,
                           format('Ticket %s Resolved', ref),
                           format('Your ticket %s: %s has been resolved by %s.', ref, NEW.title, who)) THEN
            notified := notified || NEW.submitter_id;
        END IF;
    ELSIF NEW.status IS DISTINCT FROM OLD.status AND NEW.status = 'Closed' THEN
        IF helpdesk.notify(NEW.submitter_id, 'ticket_closed', 'Your Ticket Has Been Closed',
                           format('Your ticket %s: %s has been closed', ref, NEW.title), NEW.id) THEN
            notified := notified || NEW.submitter_id;
        END IF;
        IF NEW.assignee_id IS DISTINCT FROM NEW.submitter_id
           AND helpdesk.notify(NEW.assignee_id, 'ticket_closed', 'Ticket Closed',
                               format('Ticket %s: %s has been closed', ref, NEW.title), NEW.id) THEN
            notified := notified || NEW.assignee_id;
        END IF;
    END IF;

    IF NEW.assignee_id IS DISTINCT FROM OLD.assignee_id AND NEW.assignee_id IS NOT NULL THEN
        IF helpdesk.notify(NEW.assignee_id, 'ticket_assigned', 'Ticket Assigned to You',
                           format('Ticket %s: %s has been assigned to you by %s', ref, NEW.title, who), NEW.id,
                           format('Ticket %s Assigned to You', ref),
                           format(E'Ticket %s: %s has been assigned to you by %s.\n\nPriority: %s\nStatus: %s',
                                  ref, NEW.title, who, NEW.priority, NEW.status)) THEN
            notified := notified || NEW.assignee_id;
        END IF;
        IF NEW.submitter_id <> NEW.assignee_id THEN
            SELECT full_name INTO assignee FROM helpdesk.users WHERE id = NEW.assignee_id;
            IF helpdesk.notify(NEW.submitter_id, 'ticket_assigned', 'Your Ticket Has Been Assigned',
                               format('Your ticket %s: %s has been assigned to %s', ref, NEW.title,
                                      coalesce(assignee, 'IT Staff')), NEW.id) THEN
                notified := notified || NEW.submitter_id;
            END IF;
        END IF;
    END IF;

    IF (NEW.title, NEW.description, NEW.priority, NEW.category_id, NEW.assignee_id)
           IS DISTINCT FROM (OLD.title, OLD.description, OLD.priority, OLD.category_id, OLD.assignee_id)
       OR (NEW.status IS DISTINCT FROM OLD.status AND helpdesk.ticket_is_open(NEW.status)) THEN
        FOR u IN SELECT DISTINCT x FROM unnest(ARRAY[NEW.submitter_id, NEW.assignee_id]) x
                 WHERE x IS NOT NULL AND x <> ALL (notified) AND x <> ALL (told)
                 ORDER BY x LOOP
            IF helpdesk.notify(u, 'ticket_updated', 'Ticket Updated',
                               format('Ticket %s: %s has been updated by %s', ref, NEW.title, who), NEW.id) THEN
                notified := notified || u;
            END IF;
        END LOOP;
    END IF;
    PERFORM pg_catalog.set_config('helpdesk_notify.last',
                                  NEW.id || ':' || array_to_string(told || notified, ','), true);
    RETURN NULL;
END
$$;

CREATE TRIGGER tickets_30_notify_insert AFTER INSERT ON helpdesk.tickets
    FOR EACH ROW WHEN (NOT helpdesk.copying_rows()) EXECUTE FUNCTION helpdesk.tickets_notify();

CREATE TRIGGER tickets_30_notify_update AFTER UPDATE ON helpdesk.tickets
    FOR EACH ROW
    WHEN ((OLD.title, OLD.description, OLD.category_id, OLD.priority, OLD.assignee_id, OLD.status)
          IS DISTINCT FROM
          (NEW.title, NEW.description, NEW.category_id, NEW.priority, NEW.assignee_id, NEW.status))
    EXECUTE FUNCTION helpdesk.tickets_notify();

-- AFTER INSERT ON comments (not system, not inserted deleted).
CREATE FUNCTION helpdesk.comments_notify()
RETURNS trigger
LANGUAGE plpgsql
AS $$
DECLARE
    t      helpdesk.tickets;
    author text;
    ref    text;
    u      int;
BEGIN
    SELECT * INTO t FROM helpdesk.tickets WHERE id = NEW.ticket_id;
    SELECT full_name INTO author FROM helpdesk.users WHERE id = NEW.user_id;
    ref := '#' || t.ticket_number;
    FOR u IN SELECT DISTINCT x FROM unnest(ARRAY[t.submitter_id, t.assignee_id]) x
             WHERE x IS NOT NULL AND x <> NEW.user_id
               AND (NEW.type <> 'internal'
                    OR EXISTS (SELECT FROM helpdesk.users s WHERE s.id = x AND helpdesk.is_staff(s)))
             ORDER BY x LOOP
        PERFORM helpdesk.notify(u, 'ticket_commented', 'New Comment on Ticket',
                                format('%s commented on Ticket %s: %s', author, ref, t.title), t.id,
                                format('New Comment on Ticket %s', ref),
                                format(E'%s commented on Ticket %s: %s\n\n%s', author, ref, t.title, NEW.content));
    END LOOP;
    RETURN NULL;
END
$$;

CREATE TRIGGER comments_30_notify AFTER INSERT ON helpdesk.comments
    FOR EACH ROW WHEN (NEW.type <> 'system' AND NEW.deleted_at IS NULL AND NOT helpdesk.copying_rows())
    EXECUTE FUNCTION helpdesk.comments_notify();



-- ==== sql/40_calendar.sql ====
-- 40_calendar: business calendars (a time zone, weekly working windows, holidays), the
-- business-time arithmetic over them (C, extension/calendar.c), and who may change them (an
-- Admin; any signed-in user reads). The API works on the default calendar; without one, reads
-- and holiday writes answer 404 and PUT /business-hours/schedule creates it.
--
-- Business time is real elapsed time inside the weekly working windows of a calendar, read on
-- the wall clock of the calendar's time zone, outside its holidays (one-off dates, and recurring
-- ones on the same month and day every year: a recurring Feb 29 only in leap years).
-- Daylight saving time: an instant counts when the wall clock then reads a time inside a window,
-- so wall-clock times the clock skips count for nothing (a window boundary in the gap falls on the
-- jump: a window from 02:30 starts at 03:00 when 02:00-03:00 is skipped) and times it repeats
-- count twice (00:00-08:00 holds nine hours that night). See extension/calendar_math.h.
--
-- The calendar argument: a helpdesk.calendars id; NULL or omitted means the default calendar
-- (the one marked is_default, resolved inside the C functions, which keep a loaded calendar
-- between calls). No default calendar: 22023, with a hint to call calendar_ensure_default().

-- A business calendar: a time zone and its working windows; exactly one is the default.
CREATE TABLE helpdesk.calendars (
    id          serial PRIMARY KEY,
    name        varchar(100) NOT NULL UNIQUE,
    time_zone   text NOT NULL,
    is_default  boolean NOT NULL DEFAULT false,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);

CREATE UNIQUE INDEX calendars_one_default ON helpdesk.calendars (is_default) WHERE is_default;

CREATE TRIGGER calendars_touch BEFORE UPDATE ON helpdesk.calendars
    FOR EACH ROW EXECUTE FUNCTION helpdesk.touch_updated_at();

-- Weekly working windows in the calendar's local time; several per day allow split shifts.
-- A weekday without rows is not a working day. day_of_week: 0 = Sunday .. 6 = Saturday.
CREATE TABLE helpdesk.business_hours (
    id           serial PRIMARY KEY,
    calendar_id  int NOT NULL REFERENCES helpdesk.calendars (id) ON DELETE CASCADE,
    day_of_week  int NOT NULL CHECK (day_of_week BETWEEN 0 AND 6),
    start_time   time NOT NULL,
    end_time     time NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now(),
    CHECK (start_time < end_time)
);

CREATE INDEX business_hours_calendar_idx ON helpdesk.business_hours (calendar_id, day_of_week, start_time);

CREATE TRIGGER business_hours_touch BEFORE UPDATE ON helpdesk.business_hours
    FOR EACH ROW EXECUTE FUNCTION helpdesk.touch_updated_at();

-- Days off: one-off (a date) or recurring every year (same month and day).
CREATE TABLE helpdesk.holidays (
    id           serial PRIMARY KEY,
    calendar_id  int NOT NULL REFERENCES helpdesk.calendars (id) ON DELETE CASCADE,
    name         varchar(100) NOT NULL CHECK (length(btrim(name)) > 0),
    date         date NOT NULL,
    is_recurring boolean NOT NULL DEFAULT false,
    description  text,
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX holidays_date_idx ON helpdesk.holidays (calendar_id, date);

CREATE TRIGGER holidays_touch BEFORE UPDATE ON helpdesk.holidays
    FOR EACH ROW EXECUTE FUNCTION helpdesk.touch_updated_at();

SELECT pg_catalog.pg_extension_config_dump('helpdesk.calendars', '');

SELECT pg_catalog.pg_extension_config_dump('helpdesk.calendars_id_seq', '');

SELECT pg_catalog.pg_extension_config_dump('helpdesk.business_hours', '');

SELECT pg_catalog.pg_extension_config_dump('helpdesk.business_hours_id_seq', '');

SELECT pg_catalog.pg_extension_config_dump('helpdesk.holidays', '');

SELECT pg_catalog.pg_extension_config_dump('helpdesk.holidays_id_seq', '');

-- The calendar marked is_default, NULL when there is none.
CREATE FUNCTION helpdesk.default_calendar_id()
RETURNS int
LANGUAGE sql STABLE PARALLEL SAFE
AS $$ SELECT c.id FROM helpdesk.calendars c WHERE c.is_default $$;

-- The instant at which `duration` of business time has elapsed since `start` (exact to the
-- microsecond; the end of a window when the duration ends exactly there). Durations: months are
-- refused, a day counts as 24 hours, negative durations are refused, zero returns `start` (for
-- any calendar). Otherwise a calendar without working time raises 22023.
CREATE FUNCTION helpdesk.business_time_add(start timestamptz, duration interval,
                                           calendar int DEFAULT NULL)
RETURNS timestamptz
AS 'MODULE_PATHNAME', 'helpdesk_business_time_add'
LANGUAGE C STABLE PARALLEL SAFE;

-- Business time in [a, b) as an interval of hours (no days, no months); between(a, a) = 0 (for
-- any calendar) and between(a, b) = -between(b, a) when b < a.
CREATE FUNCTION helpdesk.business_time_between(a timestamptz, b timestamptz,
                                               calendar int DEFAULT NULL)
RETURNS interval
AS 'MODULE_PATHNAME', 'helpdesk_business_time_between'
LANGUAGE C STABLE PARALLEL SAFE;

-- A weekday with a working window that is not a holiday of the calendar.
CREATE FUNCTION helpdesk.is_working_day(d date, calendar int DEFAULT NULL)
RETURNS boolean
AS 'MODULE_PATHNAME', 'helpdesk_is_working_day'
LANGUAGE C STABLE PARALLEL SAFE;

-- Is `tz` a time-zone name PostgreSQL knows (IANA names such as Europe/Berlin, and UTC)?
CREATE FUNCTION helpdesk.is_time_zone(tz text)
RETURNS boolean
LANGUAGE sql STABLE PARALLEL SAFE
AS $$ SELECT EXISTS (SELECT FROM pg_catalog.pg_timezone_names n WHERE n.name = tz) $$;

-- Creates the seed's default calendar when no calendar is the default, and returns the default
-- calendar's id: Monday to Friday 08:00-17:30 in `time_zone`, with the seed's 2026 holidays
-- (New Year, Labour Day, Reunification Day and National Day recurring; Tet and the Hung Kings'
-- day, which follow the lunar calendar, as one-off 2026 dates). Not run by the extension script
-- (a dump would then restore the rows twice): demo/seed.sql and the tests call it.
CREATE FUNCTION helpdesk.calendar_ensure_default(time_zone text DEFAULT 'Asia/Ho_Chi_Minh')
RETURNS int
LANGUAGE plpgsql
AS $$
DECLARE
    cal int;
BEGIN
    LOCK TABLE helpdesk.calendars IN SHARE ROW EXCLUSIVE MODE;
    cal := helpdesk.default_calendar_id();
    IF cal IS NOT NULL THEN
        RETURN cal;
    END IF;
    IF NOT helpdesk.is_time_zone(time_zone) THEN
        RAISE EXCEPTION 'unknown time zone "%"', time_zone USING ERRCODE = 'invalid_parameter_value';
    END IF;
    INSERT INTO helpdesk.calendars AS c (name, time_zone, is_default)
    VALUES ('Default', calendar_ensure_default.time_zone, true)
    ON CONFLICT (name) DO UPDATE SET is_default = true, time_zone = excluded.time_zone
    RETURNING c.id INTO cal;
    IF NOT EXISTS (SELECT FROM helpdesk.business_hours WHERE calendar_id = cal) THEN
        INSERT INTO helpdesk.business_hours (calendar_id, day_of_week, start_time, end_time)
        SELECT cal, d, '08:00', '17:30' FROM generate_series(1, 5) AS d;
    END IF;
    IF NOT EXISTS (SELECT FROM helpdesk.holidays WHERE calendar_id = cal) THEN
        INSERT INTO helpdesk.holidays (calendar_id, name, date, is_recurring) VALUES
            (cal, 'Tết Dương lịch', '2026-01-01', true),
            (cal, 'Tết Nguyên Đán', '2026-02-17', false),
            (cal, 'Tết Nguyên Đán', '2026-02-18', false),
            (cal, 'Tết Nguyên Đán', '2026-02-19', false),
            (cal, 'Tết Nguyên Đán', '2026-02-20', false),
            (cal, 'Giỗ Tổ Hùng Vương', '2026-04-02', false),
            (cal, 'Giải phóng miền Nam', '2026-04-30', true),
            (cal, 'Quốc tế Lao động', '2026-05-01', true),
            (cal, 'Quốc khánh', '2026-09-02', true);
    END IF;
    RETURN cal;
END
$$;

-- Any change to a calendar's windows or holidays also writes its calendars row (updated_at), so
-- the row's version (xmin, ctid) identifies the whole definition: the C functions keep a loaded
-- calendar across statements and transactions and re-read it only when that version changes.
CREATE FUNCTION helpdesk.calendar_children_changed()
RETURNS trigger
LANGUAGE plpgsql
AS $$
BEGIN
    IF TG_OP = 'TRUNCATE' THEN
        UPDATE helpdesk.calendars SET updated_at = now();
    ELSIF TG_OP = 'INSERT' THEN
        UPDATE helpdesk.calendars SET updated_at = now() WHERE id IN (SELECT calendar_id FROM new_rows);
    ELSIF TG_OP = 'DELETE' THEN
        UPDATE helpdesk.calendars SET updated_at = now() WHERE id IN (SELECT calendar_id FROM old_rows);
    ELSE
        UPDATE helpdesk.calendars SET updated_at = now()
        WHERE id IN (SELECT calendar_id FROM old_rows UNION SELECT calendar_id FROM new_rows);
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER business_hours_changed_ins AFTER INSERT ON helpdesk.business_hours
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION helpdesk.calendar_children_changed();

CREATE TRIGGER business_hours_changed_upd AFTER UPDATE ON helpdesk.business_hours
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION helpdesk.calendar_children_changed();

CREATE TRIGGER business_hours_changed_del AFTER DELETE ON helpdesk.business_hours
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION helpdesk.calendar_children_changed();

CREATE TRIGGER business_hours_changed_trunc AFTER TRUNCATE ON helpdesk.business_hours
    FOR EACH STATEMENT EXECUTE FUNCTION helpdesk.calendar_children_changed();

CREATE TRIGGER holidays_changed_ins AFTER INSERT ON helpdesk.holidays
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION helpdesk.calendar_children_changed();

CREATE TRIGGER holidays_changed_upd AFTER UPDATE ON helpdesk.holidays
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION helpdesk.calendar_children_changed();

CREATE TRIGGER holidays_changed_del AFTER DELETE ON helpdesk.holidays
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION helpdesk.calendar_children_changed();

CREATE TRIGGER holidays_changed_trunc AFTER TRUNCATE ON helpdesk.holidays
    FOR EACH STATEMENT EXECUTE FUNCTION helpdesk.calendar_children_changed();

-- The default calendar's id, or 404.
CREATE FUNCTION helpdesk.calendar_require_default()
RETURNS int
LANGUAGE plpgsql STABLE
AS $$
DECLARE
    cal int := helpdesk.default_calendar_id();
BEGIN
    IF cal IS NULL THEN
        PERFORM helpdesk.http_error(404, 'No business calendar is configured');
    END IF;
    RETURN cal;
END
$$;

-- The holiday JSON of the API; `on_date` replaces the stored date (a recurring holiday shown in
-- another year).
CREATE FUNCTION helpdesk.holiday_json(h helpdesk.holidays, on_date date DEFAULT NULL)
RETURNS jsonb
LANGUAGE sql STABLE
AS $$
    SELECT jsonb_build_object(
        'id', h.id, 'name', h.name, 'date', pg_catalog.to_char(coalesce(on_date, h.date), 'YYYY-MM-DD'),
        'isRecurring', h.is_recurring, 'description', h.description,
        'createdAt', helpdesk.iso(h.created_at), 'updatedAt', helpdesk.iso(h.updated_at))
$$;

-- The holidays in effect in `year`: one-off holidays of that year and every recurring holiday on
-- its date of that year (a recurring Feb 29 only in leap years), date order.
CREATE FUNCTION helpdesk.holidays_of_year(cal int, year int)
RETURNS TABLE (holiday helpdesk.holidays, on_date date)
LANGUAGE sql STABLE
AS $$
    SELECT h, d
    FROM helpdesk.holidays h
    CROSS JOIN LATERAL (
        SELECT CASE
            WHEN NOT h.is_recurring THEN h.date
            WHEN pg_catalog.to_char(h.date, 'MM-DD') = '02-29'
                 AND NOT (year % 4 = 0 AND (year % 100 <> 0 OR year % 400 = 0)) THEN NULL
            ELSE pg_catalog.make_date(year, extract(month FROM h.date)::int, extract(day FROM h.date)::int)
        END AS d) AS x
    WHERE h.calendar_id = cal AND x.d IS NOT NULL AND extract(year FROM x.d) = year
    ORDER BY x.d, h.id
$$;

-- The weekly schedule of a calendar as the API shows it. VOLATILE on purpose, so that
-- calendar_schedule_json(calendar_set_schedule(...)) reads the windows just written (a STABLE
-- function would read them with the snapshot taken before the call).
CREATE FUNCTION helpdesk.calendar_schedule_json(cal int)
RETURNS jsonb
LANGUAGE sql VOLATILE
AS $$
    SELECT jsonb_build_object(
        'id', c.id, 'name', c.name, 'timeZone', c.time_zone, 'isDefault', c.is_default,
        'weeklyHours', (SELECT coalesce(sum(extract(epoch FROM b.end_time - b.start_time)), 0) / 3600
                        FROM helpdesk.business_hours b WHERE b.calendar_id = c.id)::float8,
        'days', (SELECT jsonb_agg(jsonb_build_object(
                     'dayOfWeek', d, 'dayName', (ARRAY['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday',
                                                       'Friday', 'Saturday'])[d + 1],
                     'isWorkingDay', w.windows IS NOT NULL,
                     'hours', coalesce(w.hours, 0)::float8,
                     'windows', coalesce(w.windows, '[]')) ORDER BY d)
                 FROM generate_series(0, 6) AS d
                 LEFT JOIN LATERAL (
                     SELECT jsonb_agg(jsonb_build_object('startTime', pg_catalog.to_char(b.start_time, 'HH24:MI:SS'),
                                                         'endTime', pg_catalog.to_char(b.end_time, 'HH24:MI:SS'))
                                      ORDER BY b.start_time) AS windows,
                            sum(extract(epoch FROM b.end_time - b.start_time)) / 3600 AS hours
                     FROM helpdesk.business_hours b
                     WHERE b.calendar_id = c.id AND b.day_of_week = d) AS w ON true),
        'updatedAt', helpdesk.iso(c.updated_at))
    FROM helpdesk.calendars c
    WHERE c.id = cal
$$;

-- 409 when the calendar already has a holiday on `d` (other than `except_id`).
CREATE FUNCTION helpdesk.holiday_check_free(cal int, d date, except_id int DEFAULT NULL)
RETURNS void
LANGUAGE plpgsql STABLE
AS $$
BEGIN
    IF EXISTS (SELECT FROM helpdesk.holidays h
               WHERE h.calendar_id = cal AND h.date = d AND h.id IS DISTINCT FROM except_id) THEN
        PERFORM helpdesk.http_error(409, format('Holiday on %s already exists', to_char(d, 'YYYY-MM-DD')));
    END IF;
END
$$;

-- Add a holiday to a calendar (Admin).
CREATE FUNCTION helpdesk.holiday_create(actor helpdesk.users, cal int, name text, date date,
                                        is_recurring boolean DEFAULT false, description text DEFAULT NULL)
RETURNS helpdesk.holidays
LANGUAGE plpgsql
AS $$
DECLARE
    row helpdesk.holidays;
BEGIN
    PERFORM helpdesk.require_role(actor, 'Admin');
    PERFORM helpdesk.holiday_check_free(cal, date);
    INSERT INTO helpdesk.holidays (calendar_id, name, date, is_recurring, description)
    VALUES (cal, name, date, coalesce(is_recurring, false), description)
    RETURNING * INTO row;
    PERFORM helpdesk.audit('holiday.create', 'holiday', row.id,
                           jsonb_build_object('name', row.name, 'date', row.date, 'isRecurring', row.is_recurring));
    RETURN row;
END
$$;
CREATE FUNCTION helpdesk.holiday_find(id int)
RETURNS helpdesk.holidays
LANGUAGE plpgsql STABLE
AS $$
DECLARE
    row helpdesk.holidays;
BEGIN
    SELECT * INTO row FROM helpdesk.holidays h WHERE h.id = holiday_find.id;
    IF NOT FOUND THEN
        PERFORM helpdesk.http_error(404, format('Holiday with ID %s not found', id));
    END IF;
    RETURN row;
END
$$;

-- Change a holiday (Admin): NULL leaves a field as it is, except the description, which
-- `set_description` replaces (NULL clears it). `changes` is what the audit row records.
CREATE FUNCTION helpdesk.holiday_update(actor helpdesk.users, holiday_id int, new_name text DEFAULT NULL,
                                        new_date date DEFAULT NULL, new_recurring boolean DEFAULT NULL,
                                        set_description boolean DEFAULT false, new_description text DEFAULT NULL,
                                        changes jsonb DEFAULT '{}')
RETURNS helpdesk.holidays
LANGUAGE plpgsql
AS $$
DECLARE
    old helpdesk.holidays;
    row helpdesk.holidays;
BEGIN
    PERFORM helpdesk.require_role(actor, 'Admin');
    old := helpdesk.holiday_find(holiday_id);
    IF new_date IS NOT NULL THEN
        PERFORM helpdesk.holiday_check_free(old.calendar_id, new_date, old.id);
    END IF;
    UPDATE helpdesk.holidays h SET
        name = coalesce(new_name, h.name),
        date = coalesce(new_date, h.date),
        is_recurring = coalesce(new_recurring, h.is_recurring),
        description = CASE WHEN set_description THEN new_description ELSE h.description END
    WHERE h.id = old.id
    RETURNING * INTO row;
    PERFORM helpdesk.audit('holiday.update', 'holiday', row.id, changes);
    RETURN row;
END
$$;

-- Remove a holiday (Admin).
CREATE FUNCTION helpdesk.holiday_delete(actor helpdesk.users, holiday_id int)
RETURNS void
LANGUAGE plpgsql
AS $$
DECLARE
    old helpdesk.holidays;
BEGIN
    PERFORM helpdesk.require_role(actor, 'Admin');
    old := helpdesk.holiday_find(holiday_id);
    DELETE FROM helpdesk.holidays WHERE id = old.id;
    PERFORM helpdesk.audit('holiday.delete', 'holiday', old.id, jsonb_build_object('name', old.name, 'date', old.date));
END
$$;

-- A calendar's holiday rows (of `year` when given), date order.
CREATE FUNCTION helpdesk.holiday_list(cal int, year int DEFAULT NULL)
RETURNS jsonb
LANGUAGE sql STABLE
AS $$
    SELECT coalesce(jsonb_agg(helpdesk.holiday_json(h) ORDER BY h.date, h.id), '[]')
    FROM helpdesk.holidays h
    WHERE h.calendar_id = cal AND (year IS NULL OR extract(year FROM h.date) = year)
$$;

-- The years that have holiday rows, newest first.
CREATE FUNCTION helpdesk.holiday_years(cal int)
RETURNS jsonb
LANGUAGE sql STABLE
AS $$
    SELECT coalesce(jsonb_agg(y ORDER BY y DESC), '[]')
    FROM (SELECT DISTINCT extract(year FROM h.date)::int AS y FROM helpdesk.holidays h WHERE h.calendar_id = cal) t
$$;

-- The holidays in effect in `year` (default: this year in the calendar's time zone), recurring
-- ones on their date of that year.
CREATE FUNCTION helpdesk.holidays_in_effect(cal int, year int DEFAULT NULL)
RETURNS jsonb
LANGUAGE sql STABLE
AS $$
    SELECT coalesce(jsonb_agg(helpdesk.holiday_json(y.holiday, y.on_date) ORDER BY y.on_date, (y.holiday).id), '[]')
    FROM helpdesk.holidays_of_year(cal, coalesce(year,
             extract(year FROM now() AT TIME ZONE (SELECT c.time_zone FROM helpdesk.calendars c WHERE c.id = cal))::int)) y
$$;

-- Set the default calendar's time zone and weekly windows (Admin). `windows`: {"<day of week
-- 0-6>": [["HH:MM:SS", "HH:MM:SS"], ...]} for each weekday to replace (an empty list: not a
-- working day); weekdays not listed keep theirs. Creates the default calendar (without holidays)
-- when there is none. `changes` is what the audit row records.
CREATE FUNCTION helpdesk.calendar_set_schedule(actor helpdesk.users, time_zone text, windows jsonb,
                                               changes jsonb DEFAULT '{}')
RETURNS int
LANGUAGE plpgsql
AS $$
DECLARE
    cal int;
    dow int;
BEGIN
    PERFORM helpdesk.require_role(actor, 'Admin');
    IF time_zone IS NOT NULL AND NOT helpdesk.is_time_zone(time_zone) THEN
        PERFORM helpdesk.validation_error('timeZone must be a valid IANA time zone');
    END IF;
    LOCK TABLE helpdesk.calendars IN SHARE ROW EXCLUSIVE MODE;
    cal := helpdesk.default_calendar_id();
    IF cal IS NULL THEN
        INSERT INTO helpdesk.calendars (name, time_zone, is_default)
        VALUES ('Default', coalesce(time_zone, 'Asia/Ho_Chi_Minh'), true)
        ON CONFLICT (name) DO UPDATE SET is_default = true
        RETURNING id INTO cal;
    END IF;
    IF time_zone IS NOT NULL THEN
        UPDATE helpdesk.calendars c SET time_zone = calendar_set_schedule.time_zone WHERE c.id = cal;
    END IF;
    FOR dow IN SELECT k::int FROM jsonb_object_keys(coalesce(windows, '{}')) AS k LOOP
        DELETE FROM helpdesk.business_hours WHERE calendar_id = cal AND day_of_week = dow;
        INSERT INTO helpdesk.business_hours (calendar_id, day_of_week, start_time, end_time)
        SELECT cal, dow, (w ->> 0)::time, (w ->> 1)::time FROM jsonb_array_elements(windows -> dow::text) AS w;
    END LOOP;
    IF NOT EXISTS (SELECT FROM helpdesk.business_hours WHERE calendar_id = cal) THEN
        PERFORM helpdesk.validation_error('The schedule needs at least one working window');
    END IF;
    UPDATE helpdesk.calendars SET updated_at = now() WHERE id = cal;
    PERFORM helpdesk.audit('business_hours.update', 'calendar', cal, changes);
    RETURN cal;
END
$$;

-- ==== sql/41_calendar_api.sql ====
-- 41_calendar_api: the business-hours and holiday routes (API v1 /business-hours, /holidays).
-- Every route works on the default calendar; the rules are in sql/40_calendar.sql.

-- A date given as text: YYYY-MM-DD, or an ISO 8601 date-time (its date in the calendar's time
-- zone). NULL when absent; 400 "<key> must be a valid ISO 8601 date string" when invalid.
CREATE FUNCTION helpdesk.calendar_parse_date(s text, key text, cal int DEFAULT NULL)
RETURNS date
LANGUAGE plpgsql STABLE
AS $$
DECLARE
    d date;
BEGIN
    IF s IS NULL THEN
        RETURN NULL;
    END IF;
    IF s ~ '^\d{4}-\d{2}-\d{2}$' THEN
        BEGIN
            d := to_date(s, 'YYYY-MM-DD');
            IF to_char(d, 'YYYY-MM-DD') = s THEN   -- to_date accepts 2026-02-30
                RETURN d;
            END IF;
        EXCEPTION WHEN OTHERS THEN
            NULL;
        END;
    ELSIF s ~ '^\d{4}-\d{2}-\d{2}T' THEN
        RETURN (helpdesk.calendar_parse_instant(s, key, cal)
                AT TIME ZONE (SELECT c.time_zone FROM helpdesk.calendars c WHERE c.id = cal))::date;
    END IF;
    PERFORM helpdesk.validation_error(key || ' must be a valid ISO 8601 date string');
    RETURN NULL;
END
$$;

-- An instant given as ISO 8601 text (2026-01-05, 2026-01-05T08:00, 2026-01-05T08:00:00.000Z,
-- 2026-01-05T08:00+07:00). Without an offset it is a wall-clock time of the calendar's zone.
CREATE FUNCTION helpdesk.calendar_parse_instant(s text, key text, cal int DEFAULT NULL)
RETURNS timestamptz
LANGUAGE plpgsql STABLE
AS $$
DECLARE
    tz text := coalesce((SELECT c.time_zone FROM helpdesk.calendars c WHERE c.id = cal), 'UTC');
BEGIN
    IF s IS NULL THEN
        RETURN NULL;
    END IF;
    IF s ~ '^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?)?$' THEN
        BEGIN
            RETURN (replace(s, 'T', ' ')::timestamp) AT TIME ZONE tz;
        EXCEPTION WHEN OTHERS THEN
            NULL;
        END;
    ELSIF s ~ '^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}(:?\d{2})?)$' THEN
        BEGIN
            RETURN replace(s, 'T', ' ')::timestamptz;
        EXCEPTION WHEN OTHERS THEN
            NULL;
        END;
    END IF;
    PERFORM helpdesk.validation_error(key || ' must be a valid ISO 8601 date string');
    RETURN NULL;
END
$$;

-- GET /business-hours/holidays?year: the holidays in effect in that year (default: this year in
-- the calendar's time zone), recurring ones on their date of that year.
CREATE FUNCTION helpdesk_api.business_hours_holidays(req jsonb)
RETURNS jsonb
LANGUAGE plpgsql STABLE
AS $$
BEGIN
    PERFORM helpdesk.current_actor();
    RETURN helpdesk.holidays_in_effect(helpdesk.calendar_require_default(),
                                       helpdesk.query_int(req, 'year', NULL, 1, 9999));
END
$$;

-- GET /business-hours/check-working-day?date: {date: <as given>, isWorkingDay}.
CREATE FUNCTION helpdesk_api.business_hours_check_working_day(req jsonb)
RETURNS jsonb
LANGUAGE plpgsql STABLE
AS $$
DECLARE
    actor helpdesk.users := helpdesk.current_actor();
    cal int;
    s   text := helpdesk.query_text(req, 'date');
    d   date;
BEGIN
    cal := helpdesk.calendar_require_default();
    IF s IS NULL THEN
        PERFORM helpdesk.validation_error('date should not be empty', 'date must be a valid ISO 8601 date string');
    END IF;
    d := helpdesk.calendar_parse_date(s, 'date', cal);
    RETURN jsonb_build_object('date', s, 'isWorkingDay', helpdesk.is_working_day(d, cal));
END
$$;

-- GET /business-hours/calculate?start&end: business hours between two instants (a float).
CREATE FUNCTION helpdesk_api.business_hours_calculate(req jsonb)
RETURNS jsonb
LANGUAGE plpgsql STABLE
AS $$
DECLARE
    actor helpdesk.users := helpdesk.current_actor();
    cal int;
    a   timestamptz;
    b   timestamptz;
BEGIN
    cal := helpdesk.calendar_require_default();
    IF helpdesk.query_text(req, 'start') IS NULL OR helpdesk.query_text(req, 'end') IS NULL THEN
        PERFORM helpdesk.validation_error('start and end are required');
    END IF;
    a := helpdesk.calendar_parse_instant(helpdesk.query_text(req, 'start'), 'start', cal);
    b := helpdesk.calendar_parse_instant(helpdesk.query_text(req, 'end'), 'end', cal);
    IF b < a THEN
        PERFORM helpdesk.validation_error('end must not be before start');
    END IF;
    RETURN jsonb_build_object(
        'start', helpdesk.iso(a), 'end', helpdesk.iso(b),
        'businessHours', (extract(epoch FROM helpdesk.business_time_between(a, b, cal)) / 3600)::float8);
END
$$;

-- GET /business-hours/schedule: the default calendar's time zone and weekly windows.
CREATE FUNCTION helpdesk_api.business_hours_schedule_get(req jsonb)
RETURNS jsonb
LANGUAGE plpgsql STABLE
AS $$
BEGIN
    PERFORM helpdesk.current_actor();
    RETURN helpdesk.calendar_schedule_json(helpdesk.calendar_require_default());
END
$$;

-- A "HH:MM" or "HH:MM:SS" field of a window, 00:00 to 24:00.
CREATE FUNCTION helpdesk.calendar_field_time(obj jsonb, key text, label text)
RETURNS time
LANGUAGE plpgsql IMMUTABLE
AS $$
DECLARE
    v jsonb := obj -> key;
    s text;
BEGIN
    IF v IS NULL OR jsonb_typeof(v) <> 'string' THEN
        PERFORM helpdesk.validation_error(format('%s.%s must be a time (HH:MM)', label, key));
    END IF;
    s := v #>> '{}';
    IF s !~ '^([01]\d|2[0-3]):[0-5]\d(:[0-5]\d)?$' AND s !~ '^24:00(:00)?$' THEN
        PERFORM helpdesk.validation_error(format('%s.%s must be a time (HH:MM)', label, key));
    END IF;
    RETURN s::time;
END
$$;

-- PUT /business-hours/schedule (Admin): {timeZone?, days?: [{dayOfWeek, windows: [{startTime,
-- endTime}]}]}. Each listed weekday gets exactly the windows given (none: not a working day);
-- weekdays not listed keep theirs. Windows of a day may touch but not overlap. Creates the
-- default calendar (without holidays) when there is none.
CREATE FUNCTION helpdesk_api.business_hours_schedule_put(req jsonb)
RETURNS jsonb
LANGUAGE plpgsql
AS $$
DECLARE
    actor helpdesk.users := helpdesk.current_actor();
    b       jsonb;
    tz      text;
    days    jsonb;
    day     jsonb;
    win     jsonb;
    dow     int;
    seen    int[] := '{}';
    label   text;
    s       time;
    e       time;
    wins    jsonb := '{}';   -- dow -> [[start, end], ...]
    list    jsonb;
    prev_end time;
BEGIN
    b := helpdesk.body(req, 'timeZone', 'days');
    tz := helpdesk.field_text(b, 'timeZone', false, 1, 100);
    days := b -> 'days';
    IF days IS NOT NULL AND jsonb_typeof(days) <> 'null' THEN
        IF jsonb_typeof(days) <> 'array' THEN
            PERFORM helpdesk.validation_error('days must be an array');
        END IF;
        FOR day IN SELECT value FROM jsonb_array_elements(days) LOOP
            IF jsonb_typeof(day) <> 'object' THEN
                PERFORM helpdesk.validation_error('each value in days must be an object');
            END IF;
            PERFORM helpdesk.body(jsonb_build_object('body', day), 'dayOfWeek', 'windows');
            dow := helpdesk.field_int(day, 'dayOfWeek', true, 0, 6);
            IF dow = ANY (seen) THEN
                PERFORM helpdesk.validation_error(format('dayOfWeek %s is listed twice', dow));
            END IF;
            seen := seen || dow;
            label := format('days[%s].windows', dow);
            IF day -> 'windows' IS NULL OR jsonb_typeof(day -> 'windows') <> 'array' THEN
                PERFORM helpdesk.validation_error(label || ' must be an array');
            END IF;
            list := '[]';
            prev_end := NULL;
            FOR win IN SELECT value FROM jsonb_array_elements(day -> 'windows') AS t(value)
                       ORDER BY value ->> 'startTime' LOOP
                IF jsonb_typeof(win) <> 'object' THEN
                    PERFORM helpdesk.validation_error('each value in ' || label || ' must be an object');
                END IF;
                PERFORM helpdesk.body(jsonb_build_object('body', win), 'startTime', 'endTime');
                s := helpdesk.calendar_field_time(win, 'startTime', label);
                e := helpdesk.calendar_field_time(win, 'endTime', label);
                IF s >= e THEN
                    PERFORM helpdesk.validation_error(format('%s: startTime %s must be before endTime %s',
                                                             label, win ->> 'startTime', win ->> 'endTime'));
                END IF;
                IF prev_end IS NOT NULL AND s < prev_end THEN
                    PERFORM helpdesk.validation_error(format('%s: windows must not overlap', label));
                END IF;
                prev_end := e;
                list := list || jsonb_build_array(jsonb_build_array(s::text, e::text));
            END LOOP;
            wins := wins || jsonb_build_object(dow::text, list);
        END LOOP;
    END IF;

    RETURN helpdesk.calendar_schedule_json(helpdesk.calendar_set_schedule(actor, tz, wins, b));
END
$$;

-- Validated holiday fields of a create (all required) or an update (partial) body.
CREATE FUNCTION helpdesk.holiday_fields(b jsonb, creating boolean, cal int,
                                        OUT f_name text, OUT f_date date, OUT f_recurring boolean,
                                        OUT f_description text)
LANGUAGE plpgsql STABLE
AS $$
BEGIN
    f_name := btrim(helpdesk.field_text(b, 'name', creating, NULL, 100));
    IF NOT creating AND b ? 'name' AND (f_name IS NULL OR f_name = '') THEN
        PERFORM helpdesk.validation_error('name should not be empty');
    END IF;
    IF creating AND (b -> 'date' IS NULL OR jsonb_typeof(b -> 'date') = 'null') THEN
        PERFORM helpdesk.validation_error('date should not be empty', 'date must be a valid ISO 8601 date string');
    END IF;
    IF b ? 'date' AND jsonb_typeof(b -> 'date') <> 'string' THEN
        PERFORM helpdesk.validation_error('date must be a valid ISO 8601 date string');
    END IF;
    f_date := helpdesk.calendar_parse_date(b ->> 'date', 'date', cal);
    f_recurring := helpdesk.field_bool(b, 'isRecurring');
    f_description := helpdesk.field_text(b, 'description', false, NULL, 1000);
END
$$;

-- POST /holidays (Admin)
CREATE FUNCTION helpdesk_api.holidays_create(req jsonb)
RETURNS jsonb
LANGUAGE plpgsql
AS $$
DECLARE
    actor helpdesk.users := helpdesk.current_actor();
    cal int := helpdesk.calendar_require_default();
    f   record := helpdesk.holiday_fields(helpdesk.body(req, 'name', 'date', 'isRecurring', 'description'), true, cal);
BEGIN
    RETURN helpdesk.holiday_json(helpdesk.holiday_create(actor, cal, f.f_name, f.f_date,
                                                         f.f_recurring, f.f_description));
END
$$;

-- POST /holidays/bulk (Admin): a JSON array of holidays, all created or none.
CREATE FUNCTION helpdesk_api.holidays_bulk_create(req jsonb)
RETURNS jsonb
LANGUAGE plpgsql
AS $$
DECLARE
    actor  helpdesk.users := helpdesk.current_actor();
    cal    int := helpdesk.calendar_require_default();
    items  jsonb := req -> 'body';
    result jsonb := '[]';
    item   jsonb;
    f      record;
BEGIN
    IF items IS NULL OR jsonb_typeof(items) <> 'array' THEN
        PERFORM helpdesk.validation_error('Request body must be an array of holidays');
    END IF;
    IF jsonb_array_length(items) = 0 OR jsonb_array_length(items) > 1000 THEN
        PERFORM helpdesk.validation_error('Request body must contain between 1 and 1000 holidays');
    END IF;
    FOR item IN SELECT value FROM jsonb_array_elements(items) LOOP
        f := helpdesk.holiday_fields(helpdesk.body(jsonb_build_object('body', item), 'name', 'date', 'isRecurring',
                                                   'description'), true, cal);
        result := result || helpdesk.holiday_json(helpdesk.holiday_create(actor, cal, f.f_name, f.f_date,
                                                                           f.f_recurring, f.f_description));
    END LOOP;
    RETURN result;
END
$$;

-- GET /holidays?year: the default calendar's holiday rows (of that year when given), date order.
CREATE FUNCTION helpdesk_api.holidays_list(req jsonb)
RETURNS jsonb
LANGUAGE plpgsql STABLE
AS $$
BEGIN
    PERFORM helpdesk.current_actor();
    RETURN helpdesk.holiday_list(helpdesk.calendar_require_default(), helpdesk.query_int(req, 'year', NULL, 1, 9999));
END
$$;

-- GET /holidays/years: the years that have holiday rows, newest first.
CREATE FUNCTION helpdesk_api.holidays_years(req jsonb)
RETURNS jsonb
LANGUAGE plpgsql STABLE
AS $$
BEGIN
    PERFORM helpdesk.current_actor();
    RETURN helpdesk.holiday_years(helpdesk.calendar_require_default());
END
$$;

-- GET /holidays/:id
CREATE FUNCTION helpdesk_api.holidays_get(req jsonb)
RETURNS jsonb
LANGUAGE plpgsql STABLE
AS $$
BEGIN
    PERFORM helpdesk.current_actor();
    RETURN helpdesk.holiday_json(helpdesk.holiday_find(helpdesk.path_int(req)));
END
$$;

-- PATCH /holidays/:id (Admin): any of name, date, isRecurring, description.
CREATE FUNCTION helpdesk_api.holidays_update(req jsonb)
RETURNS jsonb
LANGUAGE plpgsql
AS $$
DECLARE
    actor helpdesk.users := helpdesk.current_actor();
    old helpdesk.holidays := helpdesk.holiday_find(helpdesk.path_int(req));
    b   jsonb := helpdesk.body(req, 'name', 'date', 'isRecurring', 'description');
    f   record := helpdesk.holiday_fields(b, false, old.calendar_id);
BEGIN
    RETURN helpdesk.holiday_json(helpdesk.holiday_update(actor, old.id, f.f_name, f.f_date,
                                                         f.f_recurring, b ? 'description', f.f_description, b));
END
$$;

-- DELETE /holidays/:id (Admin): no data.
CREATE FUNCTION helpdesk_api.holidays_delete(req jsonb)
RETURNS jsonb
LANGUAGE plpgsql
AS $$
BEGIN
    PERFORM helpdesk.holiday_delete(helpdesk.current_actor(), helpdesk.path_int(req));
    RETURN NULL;
END
$$;

-- ==== sql/50_sla_rules.sql ====
-- 50_sla_rules: the SLA targets per priority (response and resolution hours), and who may
-- change them (an Admin; any signed-in user reads). The clocks they drive: sql/52_sla_clock.sql.

CREATE TABLE helpdesk.sla_rules (
    id                    serial PRIMARY KEY,
    priority              helpdesk.ticket_priority NOT NULL UNIQUE,
    response_time_hours   int NOT NULL CHECK (response_time_hours >= 1),
    resolution_time_hours int NOT NULL CHECK (resolution_time_hours >= 1),
    is_active             boolean NOT NULL DEFAULT true,
    created_at            timestamptz NOT NULL DEFAULT now(),
    updated_at            timestamptz NOT NULL DEFAULT now()
);

CREATE TRIGGER sla_rules_touch BEFORE UPDATE ON helpdesk.sla_rules
    FOR EACH ROW EXECUTE FUNCTION helpdesk.touch_updated_at();

SELECT pg_catalog.pg_extension_config_dump('helpdesk.sla_rules', '');

SELECT pg_catalog.pg_extension_config_dump('helpdesk.sla_rules_id_seq', '');

-- Hours as the reference shows them: "1 hour", "8 hours", "1 day", "3 days", "1d 12h".
CREATE FUNCTION helpdesk.sla_hours_text(hours int)
RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
AS $$
    SELECT CASE
        WHEN hours < 24 THEN hours || CASE WHEN hours = 1 THEN ' hour' ELSE ' hours' END
        WHEN hours % 24 = 0 THEN (hours / 24) || CASE WHEN hours = 24 THEN ' day' ELSE ' days' END
        ELSE (hours / 24) || 'd ' || (hours % 24) || 'h'
    END
$$;

-- The rule DTO of the reference.
CREATE FUNCTION helpdesk.sla_rule_json(r helpdesk.sla_rules)
RETURNS jsonb
LANGUAGE sql STABLE
AS $$
    SELECT jsonb_build_object(
        'id', r.id, 'priority', r.priority,
        'responseTimeHours', r.response_time_hours, 'resolutionTimeHours', r.resolution_time_hours,
        'responseTimeFormatted', helpdesk.sla_hours_text(r.response_time_hours),
        'resolutionTimeFormatted', helpdesk.sla_hours_text(r.resolution_time_hours),
        'isActive', r.is_active,
        'createdAt', helpdesk.iso(r.created_at), 'updatedAt', helpdesk.iso(r.updated_at))
$$;

CREATE FUNCTION helpdesk.sla_rule_find(id int)
RETURNS helpdesk.sla_rules
LANGUAGE plpgsql STABLE
AS $$
DECLARE
    row helpdesk.sla_rules;
BEGIN
    SELECT * INTO row FROM helpdesk.sla_rules r WHERE r.id = sla_rule_find.id;
    IF NOT FOUND THEN
        PERFORM helpdesk.http_error(404, format('SLA rule with ID %s not found', id));
    END IF;
    RETURN row;
END
$$;

-- 409 when another rule has `priority`.
CREATE FUNCTION helpdesk.sla_rule_check_free(priority helpdesk.ticket_priority, except_id int DEFAULT NULL)
RETURNS void
LANGUAGE plpgsql STABLE
AS $$
BEGIN
    IF EXISTS (SELECT FROM helpdesk.sla_rules r
               WHERE r.priority = sla_rule_check_free.priority AND r.id IS DISTINCT FROM except_id) THEN
        PERFORM helpdesk.http_error(409, format('SLA rule for priority %s already exists', priority));
    END IF;
END
$$;

-- Create the rule of a priority (Admin); one rule per priority (409).
CREATE FUNCTION helpdesk.sla_rule_create(actor helpdesk.users, priority helpdesk.ticket_priority,
                                         response_hours int, resolution_hours int, is_active boolean DEFAULT true,
                                         changes jsonb DEFAULT '{}')
RETURNS helpdesk.sla_rules
LANGUAGE plpgsql
AS $$
DECLARE
    row helpdesk.sla_rules;
BEGIN
    PERFORM helpdesk.require_role(actor, 'Admin');
    -- one rule per priority: concurrent creates wait here, the second one gets the 409
    PERFORM pg_advisory_xact_lock(hashtext('helpdesk.sla_rules'));
    PERFORM helpdesk.sla_rule_check_free(priority);
    INSERT INTO helpdesk.sla_rules (priority, response_time_hours, resolution_time_hours, is_active)
    VALUES (priority, response_hours, resolution_hours, coalesce(is_active, true))
    RETURNING * INTO row;
    PERFORM helpdesk.audit('sla_rule.create', 'sla_rule', row.id, changes);
    RETURN row;
END
$$;

-- Change a rule (Admin); NULL leaves a field as it is. A new priority must be free (409).
CREATE FUNCTION helpdesk.sla_rule_update(actor helpdesk.users, rule_id int, new_priority helpdesk.ticket_priority,
                                         response_hours int, resolution_hours int, active boolean,
                                         changes jsonb DEFAULT '{}')
RETURNS helpdesk.sla_rules
LANGUAGE plpgsql
AS $$
DECLARE
    old helpdesk.sla_rules;
    row helpdesk.sla_rules;
BEGIN
    PERFORM helpdesk.require_role(actor, 'Admin');
    PERFORM pg_advisory_xact_lock(hashtext('helpdesk.sla_rules'));
    old := helpdesk.sla_rule_find(rule_id);
    IF new_priority IS NOT NULL AND new_priority <> old.priority THEN
        PERFORM helpdesk.sla_rule_check_free(new_priority, old.id);
    END IF;
    UPDATE helpdesk.sla_rules r SET
        priority = coalesce(new_priority, r.priority),
        response_time_hours = coalesce(response_hours, r.response_time_hours),
        resolution_time_hours = coalesce(resolution_hours, r.resolution_time_hours),
        is_active = coalesce(active, r.is_active)
    WHERE r.id = old.id
    RETURNING * INTO row;
    PERFORM helpdesk.audit('sla_rule.update', 'sla_rule', row.id, changes);
    RETURN row;
END
$$;

-- Delete a rule (Admin): tickets of that priority then have no SLA for new clocks.
CREATE FUNCTION helpdesk.sla_rule_delete(actor helpdesk.users, rule_id int)
RETURNS void
LANGUAGE plpgsql
AS $$
DECLARE
    old helpdesk.sla_rules;
BEGIN
    PERFORM helpdesk.require_role(actor, 'Admin');
    old := helpdesk.sla_rule_find(rule_id);
    DELETE FROM helpdesk.sla_rules WHERE id = old.id;
    PERFORM helpdesk.audit('sla_rule.delete', 'sla_rule', old.id, jsonb_build_object('priority', old.priority));
END
$$;

-- The rules by priority (Low, Medium, High), newest first within one.
CREATE FUNCTION helpdesk.sla_rule_list()
RETURNS jsonb
LANGUAGE sql STABLE
AS $$
    SELECT coalesce(jsonb_agg(helpdesk.sla_rule_json(r) ORDER BY r.priority, r.created_at DESC, r.id), '[]')
    FROM helpdesk.sla_rules r
$$;

-- ==== sql/51_sla_rules_api.sql ====
-- 51_sla_rules_api: the SLA rule routes of API v1 (/sla/rules). The rules are in
-- sql/50_sla_rules.sql; the clocks' routes (status, timeline, at-risk, breached) in sql/59_sla_api.sql.

-- POST /sla/rules (Admin)
CREATE FUNCTION helpdesk_api.sla_rules_create(req jsonb)
RETURNS jsonb
LANGUAGE plpgsql
AS $$
DECLARE
    actor helpdesk.users := helpdesk.current_actor();
    b jsonb := helpdesk.body(req, 'priority', 'responseTimeHours', 'resolutionTimeHours', 'isActive');
BEGIN
    RETURN helpdesk.sla_rule_json(helpdesk.sla_rule_create(actor,
        helpdesk.field_enum(b, 'priority', NULL::helpdesk.ticket_priority, true),
        helpdesk.field_int(b, 'responseTimeHours', true, 1, 87600),
        helpdesk.field_int(b, 'resolutionTimeHours', true, 1, 87600),
        helpdesk.field_bool(b, 'isActive'), b));
END
$$;

-- GET /sla/rules: by priority (Low, Medium, High), newest first within one.
CREATE FUNCTION helpdesk_api.sla_rules_list(req jsonb)
RETURNS jsonb
LANGUAGE plpgsql STABLE
AS $$
BEGIN
    PERFORM helpdesk.current_actor();
    RETURN helpdesk.sla_rule_list();
END
$$;

-- GET /sla/rules/:id
CREATE FUNCTION helpdesk_api.sla_rules_get(req jsonb)
RETURNS jsonb
LANGUAGE plpgsql STABLE
AS $$
BEGIN
    PERFORM helpdesk.current_actor();
    RETURN helpdesk.sla_rule_json(helpdesk.sla_rule_find(helpdesk.path_int(req)));
END
$$;

-- PUT /sla/rules/:id (Admin): responseTimeHours, resolutionTimeHours, isActive.
CREATE FUNCTION helpdesk_api.sla_rules_update(req jsonb)
RETURNS jsonb
LANGUAGE plpgsql
AS $$
DECLARE
    actor helpdesk.users := helpdesk.current_actor();
    b jsonb := helpdesk.body(req, 'responseTimeHours', 'resolutionTimeHours', 'isActive');
BEGIN
    RETURN helpdesk.sla_rule_json(helpdesk.sla_rule_update(actor, helpdesk.path_int(req), NULL,
        helpdesk.field_int(b, 'responseTimeHours', false, 1, 87600),
        helpdesk.field_int(b, 'resolutionTimeHours', false, 1, 87600),
        helpdesk.field_bool(b, 'isActive'), b));
END
$$;

-- PATCH /sla/rules/:id (Admin): as PUT, plus priority when unchanged or not taken (the web client's call).
CREATE FUNCTION helpdesk_api.sla_rules_patch(req jsonb)
RETURNS jsonb
LANGUAGE plpgsql
AS $$
DECLARE
    actor helpdesk.users := helpdesk.current_actor();
    b jsonb := helpdesk.body(req, 'priority', 'responseTimeHours', 'resolutionTimeHours', 'isActive');
BEGIN
    RETURN helpdesk.sla_rule_json(helpdesk.sla_rule_update(actor, helpdesk.path_int(req),
        helpdesk.field_enum(b, 'priority', NULL::helpdesk.ticket_priority),
        helpdesk.field_int(b, 'responseTimeHours', false, 1, 87600),
        helpdesk.field_int(b, 'resolutionTimeHours', false, 1, 87600),
        helpdesk.field_bool(b, 'isActive'), b));
END
$$;

-- DELETE /sla/rules/:id (Admin): 204, no body.
CREATE FUNCTION helpdesk_api.sla_rules_delete(req jsonb)
RETURNS jsonb
LANGUAGE plpgsql
AS $$
BEGIN
    PERFORM helpdesk.sla_rule_delete(helpdesk.current_actor(), helpdesk.path_int(req));
    RETURN NULL;
END
$$;

-- ==== sql/52_sla_clock.sql ====
-- 52_sla_clock: the SLA clocks of each ticket: starting, pausing, resuming, recomputing and
-- stopping them, recording warnings and breaches, and their event log.
--
-- Each ticket has two clocks: `response` (stops at the first public reply by staff or the first
-- status change by staff) and `resolution` (stops at Resolved or Closed, restarts on reopen).
-- Both pause while the ticket is Pending. A clock's deadline is always computed forward from the
-- start of its cycle:
--
--     due_at  = business_time_add(cycle_start, target + paused_total)
--     warn_at = business_time_add(cycle_start, share * target + paused_total)
--
-- where paused_total is the business time the clock spent paused, so a resume gives
-- due = business_time_add(resume, remaining) and a priority change recomputes the targets from
-- the ticket's start, minus pauses, also when the new deadline is already past.
--
-- The clock rows (helpdesk.sla_clocks) and the one definition of "breached" and "at risk"
-- (sla_clock_breached, sla_clock_at_risk) are in sql/30_tickets.sql. Triggers on tickets and
-- comments drive the clocks (sql/54_sla_clock_triggers.sql); the watcher's scan fires what is due
-- (sql/58_sla_scan.sql). A ticket's clocks start at its created_at; later changes happen at
-- helpdesk.sla_time(): the transaction's clock, or, for tests and repairs by a superuser, the
-- setting helpdesk.sla_time. The computations take the instant as an argument.
--
-- tickets.due_date mirrors the resolution clock and tickets.response_due_at the response clock:
-- the running deadline, NULL while paused or without a rule, and the deadline that applied once
-- the clock stopped.

-- The event instant of SLA clock changes made by this transaction: now(), unless a superuser
-- set helpdesk.sla_time (SET LOCAL helpdesk.sla_time = '2030-01-07 09:00+00'; the setting is
-- PGC_SUSET and checked as a timestamp, extension/guc.c).
CREATE FUNCTION helpdesk.sla_time()
RETURNS timestamptz
LANGUAGE sql STABLE
AS $$ SELECT coalesce(nullif(pg_catalog.current_setting('helpdesk.sla_time'), '')::timestamptz, now()) $$;

-- Set the watcher's latch at commit when `deadline` is before its planned wake-up (C,
-- extension/sla_clock.c); does nothing when the library is not preloaded.
CREATE FUNCTION helpdesk.sla_wake(deadline timestamptz)
RETURNS void
AS 'MODULE_PATHNAME', 'helpdesk_sla_wake'
LANGUAGE C VOLATILE STRICT;

-- Business time through the default calendar; with no default calendar configured the desk
-- is a 24/7 service and business time is elapsed time.
CREATE FUNCTION helpdesk.sla_add(start timestamptz, duration interval)
RETURNS timestamptz
LANGUAGE plpgsql STABLE
AS $$
BEGIN
    IF NOT EXISTS (SELECT FROM helpdesk.calendars c WHERE c.is_default) THEN
        RETURN start + duration;
    END IF;
    RETURN helpdesk.business_time_add(start, duration);
END
$$;

CREATE FUNCTION helpdesk.sla_between(a timestamptz, b timestamptz)
RETURNS interval
LANGUAGE plpgsql STABLE
AS $$
BEGIN
    IF b <= a THEN
        RETURN interval '0';
    END IF;
    IF NOT EXISTS (SELECT FROM helpdesk.calendars c WHERE c.is_default) THEN
        RETURN b - a;
    END IF;
    RETURN helpdesk.business_time_between(a, b);
END
$$;

-- Share of the business-time window after which a clock is at risk (setting sla_at_risk_share).
CREATE FUNCTION helpdesk.sla_at_risk_share()
RETURNS numeric
LANGUAGE sql STABLE PARALLEL SAFE
AS $$ SELECT helpdesk.setting('sla_at_risk_share', '0.8')::numeric $$;

-- Append-only log of every clock change. `at` is the instant of the change (for warnings and
-- breaches the deadline itself), `used` the business time used at that instant.
CREATE TABLE helpdesk.sla_events (
    id          bigserial PRIMARY KEY,
    ticket_id   int NOT NULL REFERENCES helpdesk.tickets (id) ON DELETE CASCADE,
    clock       varchar(10) NOT NULL CHECK (clock IN ('response', 'resolution')),
    cycle       int NOT NULL,
    event       varchar(16) NOT NULL CHECK (event IN (
                    'started', 'paused', 'resumed', 'warned', 'breached', 'met', 'stopped',
                    'recalculated', 'not_applicable')),
    at          timestamptz NOT NULL,
    due_before  timestamptz,
    due_after   timestamptz,
    used        interval,
    target      interval,
    detail      text,
    created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX sla_events_ticket_idx ON helpdesk.sla_events (ticket_id, id);

-- Exactly once, structurally: one warning and one breach per clock cycle.
CREATE UNIQUE INDEX sla_events_once ON helpdesk.sla_events (ticket_id, clock, cycle, event)
    WHERE event IN ('warned', 'breached');

SELECT pg_catalog.pg_extension_config_dump('helpdesk.sla_events', '');

SELECT pg_catalog.pg_extension_config_dump('helpdesk.sla_events_id_seq', '');

-- Target of a clock kind for a priority: the active rule's hours, NULL when there is none.
CREATE FUNCTION helpdesk.sla_target(kind text, priority helpdesk.ticket_priority)
RETURNS interval
LANGUAGE sql STABLE
AS $$
    SELECT pg_catalog.make_interval(hours => CASE kind WHEN 'response' THEN r.response_time_hours
                                                       ELSE r.resolution_time_hours END)
    FROM helpdesk.sla_rules r
    WHERE r.priority = sla_target.priority AND r.is_active
$$;

-- Business time a clock has used at `at` (its cycle's time minus pauses).
CREATE FUNCTION helpdesk.sla_used(c helpdesk.sla_clocks, at timestamptz)
RETURNS interval
LANGUAGE plpgsql STABLE
AS $$
DECLARE
    upto timestamptz;
BEGIN
    IF c.state = 'not_applicable' THEN
        RETURN NULL;
    END IF;
    upto := CASE WHEN c.state = 'paused' THEN c.paused_since
                 WHEN c.state IN ('met', 'missed', 'cancelled') THEN c.stopped_at
                 ELSE at END;
    upto := least(upto, at);
    IF upto <= c.cycle_start THEN
        RETURN interval '0';
    END IF;
    RETURN greatest(helpdesk.sla_between(c.cycle_start, upto) - c.paused_total, interval '0');
END
$$;

-- Recompute due_at, warn_at and next_deadline of a clock from its cycle start, target and pauses.
CREATE FUNCTION helpdesk.sla_plan(c helpdesk.sla_clocks)
RETURNS helpdesk.sla_clocks
LANGUAGE plpgsql STABLE
AS $$
BEGIN
    IF c.state = 'running' THEN
        c.due_at := helpdesk.sla_add(c.cycle_start, c.target + c.paused_total);
        c.warn_at := helpdesk.sla_add(c.cycle_start, c.target * helpdesk.sla_at_risk_share() + c.paused_total);
    ELSIF c.state IN ('paused', 'not_applicable') THEN
        c.due_at := NULL;
        c.warn_at := NULL;
    END IF;
    -- stopped clocks keep the deadline that applied
    c.next_deadline := CASE
        WHEN c.state <> 'running' THEN NULL
        WHEN c.warned_at IS NULL AND c.breached_at IS NULL THEN c.warn_at
        WHEN c.breached_at IS NULL THEN c.due_at
    END;
    RETURN c;
END
$$;

-- Append one event.
CREATE FUNCTION helpdesk.sla_log(c helpdesk.sla_clocks, event text, at timestamptz,
                                 due_before timestamptz, detail text DEFAULT NULL)
RETURNS void
LANGUAGE sql VOLATILE
AS $$
    INSERT INTO helpdesk.sla_events (ticket_id, clock, cycle, event, at, due_before, due_after, used, target, detail)
    VALUES (c.ticket_id, c.kind, c.cycle, event, at, due_before, c.due_at, helpdesk.sla_used(c, at), c.target, detail)
$$;

-- Store a clock (insert or update) and wake the watcher when its next deadline may be earlier
-- than the watcher's planned wake-up (the wake itself happens at commit).
CREATE FUNCTION helpdesk.sla_store(c helpdesk.sla_clocks)
RETURNS helpdesk.sla_clocks
LANGUAGE plpgsql VOLATILE
AS $$
BEGIN
    c.updated_at := now();
    INSERT INTO helpdesk.sla_clocks VALUES (c.*)
    ON CONFLICT (ticket_id, kind) DO UPDATE
    SET state = EXCLUDED.state, cycle = EXCLUDED.cycle, target = EXCLUDED.target,
        cycle_start = EXCLUDED.cycle_start, paused_total = EXCLUDED.paused_total,
        paused_since = EXCLUDED.paused_since, due_at = EXCLUDED.due_at, warn_at = EXCLUDED.warn_at,
        warned_at = EXCLUDED.warned_at, breached_at = EXCLUDED.breached_at,
        stopped_at = EXCLUDED.stopped_at, next_deadline = EXCLUDED.next_deadline,
        updated_at = EXCLUDED.updated_at;
    IF c.next_deadline IS NOT NULL THEN
        PERFORM helpdesk.sla_wake(c.next_deadline);
    END IF;
    RETURN c;
END
$$;

-- Who hears about a ticket's SLA: its assignee, or every active Admin when it has none; for
-- breaches the assignee and every active Admin.
CREATE FUNCTION helpdesk.sla_recipients(t helpdesk.tickets, event text)
RETURNS SETOF int
LANGUAGE sql STABLE
AS $$
    SELECT t.assignee_id WHERE t.assignee_id IS NOT NULL
    UNION
    SELECT u.id FROM helpdesk.users u
    WHERE u.role = 'Admin' AND u.is_active AND (event = 'breached' OR t.assignee_id IS NULL)
$$;

-- Record a warning or a breach of a clock, exactly once per clock cycle (the unique index on
-- sla_events decides), with its history row and notifications. Returns whether it fired now.
CREATE FUNCTION helpdesk.sla_fire(c helpdesk.sla_clocks, what_event text, deadline timestamptz)
RETURNS boolean
LANGUAGE plpgsql VOLATILE
AS $$
DECLARE
    t helpdesk.tickets;
    inserted int;
    what text := CASE c.kind WHEN 'response' THEN 'Response' ELSE 'Resolution' END;
BEGIN
    INSERT INTO helpdesk.sla_events (ticket_id, clock, cycle, event, at, due_before, due_after, used, target)
    VALUES (c.ticket_id, c.kind, c.cycle, what_event, deadline, c.due_at, c.due_at,
            CASE WHEN what_event = 'breached' THEN c.target ELSE c.target * helpdesk.sla_at_risk_share() END,
            c.target)
    ON CONFLICT (ticket_id, clock, cycle, event) WHERE event IN ('warned', 'breached') DO NOTHING;
    GET DIAGNOSTICS inserted = ROW_COUNT;
    IF inserted = 0 THEN
        RETURN false;
    END IF;
    SELECT * INTO t FROM helpdesk.tickets WHERE id = c.ticket_id;
    IF what_event = 'warned' THEN
        INSERT INTO helpdesk.ticket_history (ticket_id, user_id, action, field_name, new_value, description)
        VALUES (t.id, NULL, 'sla_warning', c.kind || '_due', helpdesk.iso(c.due_at),
                format('%s SLA at risk: %s%% of the %s window used, due %s', what,
                       round(helpdesk.sla_at_risk_share() * 100), c.kind, helpdesk.iso(c.due_at)));
        INSERT INTO helpdesk.notifications (user_id, type, title, message, ticket_id)
        SELECT r, 'sla_warning', 'SLA Warning',
               format('Ticket %s: %s is at risk of breaching its %s SLA (due %s)',
                      t.ticket_number, t.title, c.kind, helpdesk.iso(c.due_at)), t.id
        FROM helpdesk.sla_recipients(t, what_event) r;
    ELSE
        INSERT INTO helpdesk.ticket_history (ticket_id, user_id, action, field_name, new_value, description)
        VALUES (t.id, NULL, 'sla_breached', c.kind || '_due', helpdesk.iso(c.due_at),
                format('%s SLA breached: was due %s', what, helpdesk.iso(c.due_at)));
        INSERT INTO helpdesk.notifications (user_id, type, title, message, ticket_id)
        SELECT r, 'sla_breach', 'SLA Breach',
               format('Ticket %s: %s has breached its %s SLA (was due %s)',
                      t.ticket_number, t.title, c.kind, helpdesk.iso(c.due_at)), t.id
        FROM helpdesk.sla_recipients(t, what_event) r;
    END IF;
    RETURN true;
END
$$;

-- A new clock (a ticket's creation, or a reopen for the resolution clock), started at `at`,
-- paused at once when the ticket is Pending.
CREATE FUNCTION helpdesk.sla_clock_start(ticket_id int, kind text, priority helpdesk.ticket_priority,
                                         at timestamptz, cycle int DEFAULT 1, pending boolean DEFAULT false)
RETURNS helpdesk.sla_clocks
LANGUAGE plpgsql VOLATILE
AS $$
DECLARE
    c helpdesk.sla_clocks;
BEGIN
    c.ticket_id := ticket_id;
    c.kind := kind;
    c.cycle := cycle;
    c.cycle_start := at;
    c.paused_total := interval '0';
    c.target := helpdesk.sla_target(kind, priority);
    c.state := CASE WHEN c.target IS NULL THEN 'not_applicable' WHEN pending THEN 'paused' ELSE 'running' END;
    IF pending AND c.target IS NOT NULL THEN
        c.paused_since := at;
    END IF;
    c := helpdesk.sla_plan(c);
    IF c.state = 'not_applicable' THEN
        PERFORM helpdesk.sla_log(c, 'not_applicable', at, NULL, format('no active SLA rule for priority %s', priority));
    ELSE
        PERFORM helpdesk.sla_log(c, 'started', at, NULL, format('%s priority', priority));
        IF pending THEN
            PERFORM helpdesk.sla_log(c, 'paused', at, NULL, 'ticket is Pending');
        END IF;
    END IF;
    RETURN helpdesk.sla_store(c);
END
$$;

-- Pause a running clock at `at`.
CREATE FUNCTION helpdesk.sla_clock_pause(c helpdesk.sla_clocks, at timestamptz)
RETURNS helpdesk.sla_clocks
LANGUAGE plpgsql VOLATILE
AS $$
DECLARE
    before timestamptz := c.due_at;
BEGIN
    IF c.state <> 'running' THEN
        RETURN c;
    END IF;
    c.state := 'paused';
    c.paused_since := greatest(at, c.cycle_start);
    c := helpdesk.sla_plan(c);
    PERFORM helpdesk.sla_log(c, 'paused', at, before, 'ticket is Pending');
    RETURN helpdesk.sla_store(c);
END
$$;

-- Resume a paused clock at `at`: the business time spent paused is added back.
CREATE FUNCTION helpdesk.sla_clock_resume(c helpdesk.sla_clocks, at timestamptz)
RETURNS helpdesk.sla_clocks
LANGUAGE plpgsql VOLATILE
AS $$
BEGIN
    IF c.state <> 'paused' THEN
        RETURN c;
    END IF;
    IF at > c.paused_since THEN
        c.paused_total := c.paused_total + helpdesk.sla_between(c.paused_since, at);
    END IF;
    c.state := 'running';
    c.paused_since := NULL;
    c := helpdesk.sla_plan(c);
    PERFORM helpdesk.sla_log(c, 'resumed', at, NULL);
    RETURN helpdesk.sla_store(c);
END
$$;

-- Stop a running or paused clock at `at`: met when in time, missed when after its deadline
-- (recording the breach if the watcher has not yet), cancelled when `cancel` (a response clock
-- whose ticket was closed without a staff response) and not yet late.
CREATE FUNCTION helpdesk.sla_clock_stop(c helpdesk.sla_clocks, at timestamptz, cancel boolean DEFAULT false)
RETURNS helpdesk.sla_clocks
LANGUAGE plpgsql VOLATILE
AS $$
DECLARE
    used interval;
BEGIN
    IF c.state NOT IN ('running', 'paused') THEN
        RETURN c;
    END IF;
    used := helpdesk.sla_used(c, at);
    IF c.state = 'paused' THEN
        -- no time passes while paused: the deadline is the one the clock would have had
        c.due_at := helpdesk.sla_add(c.cycle_start, c.target + c.paused_total);
    END IF;
    IF c.breached_at IS NULL AND used > c.target THEN
        -- late, and the watcher has not fired yet: the breach is recorded here, once
        PERFORM helpdesk.sla_fire(c, 'breached', c.due_at);
        c.breached_at := c.due_at;
    END IF;
    c.stopped_at := at;
    c.state := CASE WHEN c.breached_at IS NOT NULL THEN 'missed' WHEN cancel THEN 'cancelled' ELSE 'met' END;
    c.paused_since := NULL;
    c := helpdesk.sla_plan(c);
    PERFORM helpdesk.sla_log(c, CASE c.state WHEN 'met' THEN 'met' ELSE 'stopped' END, at, c.due_at,
                             CASE c.state WHEN 'missed' THEN 'stopped after the deadline'
                                          WHEN 'cancelled' THEN 'ticket closed without a staff response' END);
    RETURN helpdesk.sla_store(c);
END
$$;

-- A priority change: the target follows the new priority's rule, counted from the cycle's start
-- minus pauses. Stopped clocks keep their outcome.
CREATE FUNCTION helpdesk.sla_clock_recalculate(c helpdesk.sla_clocks, priority helpdesk.ticket_priority,
                                               at timestamptz, pending boolean)
RETURNS helpdesk.sla_clocks
LANGUAGE plpgsql VOLATILE
AS $$
DECLARE
    before timestamptz := c.due_at;
    new_target interval := helpdesk.sla_target(c.kind, priority);
BEGIN
    IF c.state IN ('met', 'missed', 'cancelled') THEN
        RETURN c;
    END IF;
    IF c.state = 'not_applicable' THEN
        IF new_target IS NULL THEN
            RETURN c;
        END IF;
        -- a rule now applies: the clock counts from the ticket's start
        c.state := CASE WHEN pending THEN 'paused' ELSE 'running' END;
        c.paused_since := CASE WHEN pending THEN at END;
    ELSIF new_target IS NULL THEN
        c.state := 'not_applicable';
        c.paused_since := NULL;
    END IF;
    c.target := new_target;
    c := helpdesk.sla_plan(c);
    PERFORM helpdesk.sla_log(c, 'recalculated', at, before, format('priority %s', priority));
    RETURN helpdesk.sla_store(c);
END
$$;

-- The ticket's start moved (a data repair writing created_at): a clock still in its first
-- cycle and not stopped counts from the new start.
CREATE FUNCTION helpdesk.sla_clock_rebase(c helpdesk.sla_clocks, start timestamptz, at timestamptz)
RETURNS helpdesk.sla_clocks
LANGUAGE plpgsql VOLATILE
AS $$
DECLARE
    before timestamptz := c.due_at;
BEGIN
    IF c.cycle <> 1 OR c.state NOT IN ('running', 'paused', 'not_applicable') OR c.cycle_start = start THEN
        RETURN c;
    END IF;
    c.cycle_start := start;
    IF c.state = 'paused' THEN
        c.paused_since := greatest(c.paused_since, start);
    END IF;
    c := helpdesk.sla_plan(c);
    PERFORM helpdesk.sla_log(c, 'recalculated', at, before, 'ticket start moved to ' || helpdesk.iso(start));
    RETURN helpdesk.sla_store(c);
END
$$;

-- The clock of a ticket, locked.
CREATE FUNCTION helpdesk.sla_clock(ticket_id int, kind text)
RETURNS helpdesk.sla_clocks
LANGUAGE sql VOLATILE
AS $$
    SELECT * FROM helpdesk.sla_clocks c WHERE c.ticket_id = sla_clock.ticket_id AND c.kind = sla_clock.kind
    FOR UPDATE
$$;

-- Clocks of a ticket created without them (bulk loads with triggers off): started at the
-- ticket's creation, then brought to its current state at `at`.
CREATE FUNCTION helpdesk.sla_clocks_ensure(t helpdesk.tickets, at timestamptz)
RETURNS void
LANGUAGE plpgsql VOLATILE
AS $$
DECLARE
    c helpdesk.sla_clocks;
    k text;
BEGIN
    FOREACH k IN ARRAY ARRAY['response', 'resolution'] LOOP
        IF NOT EXISTS (SELECT FROM helpdesk.sla_clocks s WHERE s.ticket_id = t.id AND s.kind = k) THEN
            c := helpdesk.sla_clock_start(t.id, k, t.priority, t.created_at);
            IF k = 'response' AND t.first_response_at IS NOT NULL THEN
                PERFORM helpdesk.sla_clock_stop(c, t.first_response_at);
            ELSIF NOT helpdesk.ticket_is_open(t.status) THEN
                PERFORM helpdesk.sla_clock_stop(c, coalesce(t.resolved_at, t.closed_at, at), k = 'response');
            ELSIF t.status = 'Pending' THEN
                PERFORM helpdesk.sla_clock_pause(c, at);
            END IF;
        END IF;
    END LOOP;
END
$$;

-- The reference's format of a time remaining: "-Hh Mm (overdue)", "Dd Hh" above a day, else
-- "Hh Mm".
CREATE FUNCTION helpdesk.sla_format_remaining(remaining interval)
RETURNS text
LANGUAGE sql IMMUTABLE
AS $$
    SELECT CASE
        WHEN secs < 0 THEN format('-%sh %sm (overdue)', floor(-secs / 3600)::bigint, floor(mod(-secs, 3600) / 60)::bigint)
        WHEN secs > 86400 THEN format('%sd %sh', floor(secs / 86400)::bigint, floor(mod(secs, 86400) / 3600)::bigint)
        ELSE format('%sh %sm', floor(secs / 3600)::bigint, floor(mod(secs, 3600) / 60)::bigint)
    END
    FROM (SELECT extract(epoch FROM remaining) AS secs) s
$$;

CREATE FUNCTION helpdesk.sla_hours(i interval)
RETURNS numeric
LANGUAGE sql IMMUTABLE
AS $$ SELECT round(extract(epoch FROM i) / 3600, 2) $$;

-- The state of one clock at `at`, as the API shows it.
CREATE FUNCTION helpdesk.sla_clock_json(c helpdesk.sla_clocks, at timestamptz)
RETURNS jsonb
LANGUAGE plpgsql STABLE
AS $$
DECLARE
    used interval;
    breached boolean;
    at_risk boolean;
    status text;
BEGIN
    IF c.ticket_id IS NULL OR c.state = 'not_applicable' THEN
        RETURN jsonb_build_object('status', 'not_applicable', 'dueDate', NULL, 'timeRemaining', NULL,
                                  'percentageUsed', NULL, 'isBreached', false, 'isAtRisk', false,
                                  'isPaused', false, 'businessHoursUsed', NULL, 'businessHoursTarget', NULL);
    END IF;
    used := helpdesk.sla_used(c, at);
    breached := helpdesk.sla_clock_breached(c, at);
    at_risk := helpdesk.sla_clock_at_risk(c, at);
    status := CASE WHEN breached THEN 'breached' WHEN at_risk THEN 'at_risk'
                   WHEN c.state = 'cancelled' THEN 'not_applicable' ELSE 'met' END;
    RETURN jsonb_build_object(
        'status', status,
        'dueDate', helpdesk.iso(c.due_at),
        'timeRemaining', CASE WHEN c.state IN ('running', 'paused')
                              THEN helpdesk.sla_format_remaining(c.target - used) END,
        'percentageUsed', least(100, round(extract(epoch FROM used) * 100 / extract(epoch FROM c.target)))::int,
        'isBreached', breached,
        'isAtRisk', at_risk,
        'isPaused', c.state = 'paused',
        'businessHoursUsed', helpdesk.sla_hours(used),
        'businessHoursTarget', helpdesk.sla_hours(c.target));
END
$$;

-- SLA status of a ticket at `at`: the resolution clock's fields at the top level (the
-- reference's shape) and the response clock under "response".
CREATE FUNCTION helpdesk.sla_status(t helpdesk.tickets, at timestamptz DEFAULT now())
RETURNS jsonb
LANGUAGE sql STABLE
AS $$
    SELECT jsonb_build_object('ticketId', t.id)
        || helpdesk.sla_clock_json(res, at)
        || jsonb_build_object('response',
               helpdesk.sla_clock_json(resp, at) || jsonb_build_object('respondedAt', helpdesk.iso(t.first_response_at)))
    FROM (SELECT (SELECT c FROM helpdesk.sla_clocks c WHERE c.ticket_id = t.id AND c.kind = 'resolution') AS res,
                 (SELECT c FROM helpdesk.sla_clocks c WHERE c.ticket_id = t.id AND c.kind = 'response') AS resp) s
$$;

-- The events of a ticket's clocks, oldest first.
CREATE FUNCTION helpdesk.sla_timeline(ticket_id int)
RETURNS jsonb
LANGUAGE sql STABLE
AS $$
    SELECT coalesce(jsonb_agg(jsonb_build_object(
               'id', e.id, 'ticketId', e.ticket_id, 'clock', e.clock, 'cycle', e.cycle, 'event', e.event,
               'at', helpdesk.iso(e.at), 'dueBefore', helpdesk.iso(e.due_before),
               'dueAfter', helpdesk.iso(e.due_after), 'businessHoursUsed', helpdesk.sla_hours(e.used),
               'businessHoursTarget', helpdesk.sla_hours(e.target), 'detail', e.detail,
               'createdAt', helpdesk.iso(e.created_at)) ORDER BY e.id), '[]')
    FROM helpdesk.sla_events e
    WHERE e.ticket_id = sla_timeline.ticket_id
$$;

-- The list item of the at-risk and breached routes.
CREATE FUNCTION helpdesk.sla_list_item(t helpdesk.tickets)
RETURNS jsonb
LANGUAGE sql STABLE
AS $$
    SELECT jsonb_build_object('id', t.id, 'ticketNumber', t.ticket_number, 'title', t.title,
                              'priority', t.priority, 'status', t.status, 'dueDate', helpdesk.iso(t.due_date),
                              'createdAt', helpdesk.iso(t.created_at), 'assigneeId', t.assignee_id)
$$;

-- The open tickets at risk at `at` (IT_Staff, Admin), soonest deadline first, with the share of
-- their window used.
CREATE FUNCTION helpdesk.sla_at_risk_list(actor helpdesk.users, at timestamptz DEFAULT now())
RETURNS jsonb
LANGUAGE plpgsql STABLE
AS $$
BEGIN
    PERFORM helpdesk.require_role(actor, 'IT_Staff', 'Admin');
    RETURN (SELECT coalesce(jsonb_agg(helpdesk.sla_list_item(t) || jsonb_build_object(
                       'percentageUsed', (helpdesk.sla_status(t, at) ->> 'percentageUsed')::int)
                       ORDER BY t.due_date, t.id), '[]')
            FROM helpdesk.tickets t
            WHERE t.id IN (SELECT helpdesk.sla_at_risk_ids(at)));
END
$$;

-- The open tickets breached at `at` (IT_Staff, Admin), oldest deadline first, with breachedBy:
-- whole hours since the deadline that was missed, as in the reference.
CREATE FUNCTION helpdesk.sla_breached_list(actor helpdesk.users, at timestamptz DEFAULT now())
RETURNS jsonb
LANGUAGE plpgsql STABLE
AS $$
BEGIN
    PERFORM helpdesk.require_role(actor, 'IT_Staff', 'Admin');
    RETURN (SELECT coalesce(jsonb_agg(helpdesk.sla_list_item(t) || jsonb_build_object(
                       'breachedBy', floor(extract(epoch FROM at - coalesce(c.breached_at, c.due_at)) / 3600)::int)
                       ORDER BY coalesce(c.breached_at, c.due_at), t.id), '[]')
            FROM helpdesk.sla_breached_ids(at) b
            JOIN helpdesk.tickets t ON t.id = b
            JOIN helpdesk.sla_clocks c ON c.ticket_id = t.id AND c.kind = 'resolution');
END
$$;

-- ==== sql/54_sla_clock_triggers.sql ====
-- 54_sla_clock_triggers: the triggers on tickets and comments that drive the SLA clocks of
-- sql/52_sla_clock.sql, so every path (API, bulk, raw SQL) is covered. Rows loaded by COPY are
-- skipped (a restore is not a change); helpdesk.sla_clocks_ensure() gives them clocks.

-- The ticket's clocks after a change from `old` to `new` at `at`, made by `staff` (or not).
-- Returns the new row with due_date, response_due_at and first_response_at set.
CREATE FUNCTION helpdesk.sla_ticket_changed(old helpdesk.tickets, new helpdesk.tickets, at timestamptz,
                                            staff boolean)
RETURNS helpdesk.tickets
LANGUAGE plpgsql VOLATILE
AS $$
DECLARE
    resp helpdesk.sla_clocks;
    res  helpdesk.sla_clocks;
    was_open boolean := helpdesk.ticket_is_open(old.status);
    is_open  boolean := helpdesk.ticket_is_open(new.status);
BEGIN
    PERFORM helpdesk.sla_clocks_ensure(old, at);
    resp := helpdesk.sla_clock(new.id, 'response');
    res := helpdesk.sla_clock(new.id, 'resolution');

    -- A status change by staff is a response.
    IF staff AND new.status IS DISTINCT FROM old.status AND new.first_response_at IS NULL THEN
        new.first_response_at := at;
    END IF;

    IF new.created_at IS DISTINCT FROM old.created_at THEN
        resp := helpdesk.sla_clock_rebase(resp, new.created_at, at);
        res := helpdesk.sla_clock_rebase(res, new.created_at, at);
    END IF;

    IF new.priority IS DISTINCT FROM old.priority THEN
        resp := helpdesk.sla_clock_recalculate(resp, new.priority, at, old.status = 'Pending');
        res := helpdesk.sla_clock_recalculate(res, new.priority, at, old.status = 'Pending');
    END IF;

    -- response clock
    IF old.first_response_at IS NULL AND new.first_response_at IS NOT NULL THEN
        resp := helpdesk.sla_clock_stop(resp, greatest(new.first_response_at, resp.cycle_start));
    ELSIF was_open AND NOT is_open THEN
        resp := helpdesk.sla_clock_stop(resp, at, true);
    END IF;

    -- resolution clock
    IF was_open AND NOT is_open THEN
        res := helpdesk.sla_clock_stop(res, at);
    ELSIF NOT was_open AND is_open THEN
        res := helpdesk.sla_clock_start(new.id, 'resolution', new.priority, at, res.cycle + 1,
                                        new.status = 'Pending');
    END IF;

    -- Pending pauses what runs, leaving it resumes
    IF new.status = 'Pending' AND old.status IS DISTINCT FROM 'Pending' THEN
        resp := helpdesk.sla_clock_pause(resp, at);
        res := helpdesk.sla_clock_pause(res, at);
    ELSIF old.status = 'Pending' AND new.status IS DISTINCT FROM 'Pending' THEN
        resp := helpdesk.sla_clock_resume(resp, at);
        res := helpdesk.sla_clock_resume(res, at);
    END IF;

    new.response_due_at := resp.due_at;
    new.due_date := res.due_at;
    RETURN new;
END
$$;

-- Whether a user counts as staff for the response clock: IT_Staff, Admin, or no acting user
-- (the database user, e.g. a DBA).
CREATE FUNCTION helpdesk.sla_is_staff(user_id int)
RETURNS boolean
LANGUAGE sql STABLE
AS $$
    SELECT user_id IS NULL
        OR EXISTS (SELECT FROM helpdesk.users u WHERE u.id = user_id AND u.role IN ('IT_Staff', 'Admin'))
$$;

-- Trigger: before a ticket is inserted, its due dates; after, its clocks. Both clocks start at
-- the ticket's created_at (now() unless the writer set it).
CREATE FUNCTION helpdesk.sla_tickets_before_insert()
RETURNS trigger
LANGUAGE plpgsql
AS $$
DECLARE
    at timestamptz := NEW.created_at;
    t interval;
BEGIN
    IF helpdesk.ticket_is_open(NEW.status) AND NEW.status <> 'Pending' THEN
        t := helpdesk.sla_target('response', NEW.priority);
        NEW.response_due_at := CASE WHEN t IS NOT NULL THEN helpdesk.sla_add(at, t) END;
        t := helpdesk.sla_target('resolution', NEW.priority);
        NEW.due_date := CASE WHEN t IS NOT NULL THEN helpdesk.sla_add(at, t) END;
    ELSE
        NEW.response_due_at := NULL;
        NEW.due_date := NULL;
    END IF;
    RETURN NEW;
END
$$;

CREATE FUNCTION helpdesk.sla_tickets_after_insert()
RETURNS trigger
LANGUAGE plpgsql
AS $$
DECLARE
    at timestamptz := NEW.created_at;
    c helpdesk.sla_clocks;
BEGIN
    c := helpdesk.sla_clock_start(NEW.id, 'response', NEW.priority, at, 1, NEW.status = 'Pending');
    IF NEW.first_response_at IS NOT NULL THEN
        PERFORM helpdesk.sla_clock_stop(c, at);
    ELSIF NOT helpdesk.ticket_is_open(NEW.status) THEN
        PERFORM helpdesk.sla_clock_stop(c, at, true);
    END IF;
    c := helpdesk.sla_clock_start(NEW.id, 'resolution', NEW.priority, at, 1, NEW.status = 'Pending');
    IF NOT helpdesk.ticket_is_open(NEW.status) THEN
        PERFORM helpdesk.sla_clock_stop(c, at);
    END IF;
    RETURN NULL;
END
$$;

CREATE FUNCTION helpdesk.sla_tickets_before_update()
RETURNS trigger
LANGUAGE plpgsql
AS $$
BEGIN
    IF NEW.status IS DISTINCT FROM OLD.status OR NEW.priority IS DISTINCT FROM OLD.priority
       OR NEW.first_response_at IS DISTINCT FROM OLD.first_response_at
       OR NEW.created_at IS DISTINCT FROM OLD.created_at
       OR NEW.due_date IS DISTINCT FROM OLD.due_date
       OR NEW.response_due_at IS DISTINCT FROM OLD.response_due_at THEN
        -- the clocks own the due dates: a direct write to them is recomputed away
        NEW := helpdesk.sla_ticket_changed(OLD, NEW, helpdesk.sla_time(), helpdesk.sla_is_staff(helpdesk.actor_id()));
    END IF;
    RETURN NEW;
END
$$;

-- Rows loaded by COPY (pg_restore of a dump, which brings the clocks and their events along)
-- are not changes: the triggers skip them. An import by COPY gets its clocks with
-- helpdesk.sla_clocks_ensure(ticket, now()) (or lazily, at the ticket's next change).
CREATE TRIGGER tickets_10_sla_due BEFORE INSERT ON helpdesk.tickets
    FOR EACH ROW WHEN (NOT helpdesk.copying_rows()) EXECUTE FUNCTION helpdesk.sla_tickets_before_insert();

CREATE TRIGGER tickets_40_sla_start AFTER INSERT ON helpdesk.tickets
    FOR EACH ROW WHEN (NOT helpdesk.copying_rows()) EXECUTE FUNCTION helpdesk.sla_tickets_after_insert();

CREATE TRIGGER tickets_10_sla_clocks BEFORE UPDATE ON helpdesk.tickets
    FOR EACH ROW EXECUTE FUNCTION helpdesk.sla_tickets_before_update();

-- Trigger: the first public comment by staff is the ticket's first response.
CREATE FUNCTION helpdesk.sla_comments_after_insert()
RETURNS trigger
LANGUAGE plpgsql
AS $$
BEGIN
    IF NEW.type = 'public' AND NEW.deleted_at IS NULL
       AND EXISTS (SELECT FROM helpdesk.users u WHERE u.id = NEW.user_id AND u.role IN ('IT_Staff', 'Admin')) THEN
        UPDATE helpdesk.tickets SET first_response_at = helpdesk.sla_time()
        WHERE id = NEW.ticket_id AND first_response_at IS NULL;
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER comments_40_sla_response AFTER INSERT ON helpdesk.comments
    FOR EACH ROW WHEN (NOT helpdesk.copying_rows()) EXECUTE FUNCTION helpdesk.sla_comments_after_insert();

-- ==== sql/56_escalation.sql ====
-- 56_escalation: escalation rules applied to tickets, by the SLA watcher (helpdesk.sla_scan) and
-- on demand (POST /escalation/check-now, POST /escalation/tickets/:id/escalate).
--
-- Trigger types (a rule applies when its priority and category are NULL or match the ticket):
--   sla_breached   helpdesk.sla_breached_ids(at): the one breached definition
--   sla_at_risk    helpdesk.sla_at_risk_ids(at): the one at-risk definition
--   no_assignment  status New, no assignee, created at least trigger_hours ago
--   no_response    an assignee, status Assigned/In Progress, no first response yet, created at
--                  least trigger_hours ago
-- Targets: user (target_user_id), role (the active user of target_role with the fewest tickets
-- in New/Assigned/In Progress/Pending; ties to the lowest id), manager (the first active Admin).
-- A (ticket, rule) pair escalates once per level: a unique index decides.
-- Who may do what: rules are an Admin's; staff read them and escalate by hand.

-- What makes a rule fire, and whom it escalates to.
CREATE TYPE helpdesk.escalation_trigger AS ENUM ('sla_at_risk', 'sla_breached', 'no_response', 'no_assignment');
CREATE TYPE helpdesk.escalation_target AS ENUM ('role', 'user', 'manager');

CREATE TABLE helpdesk.escalation_rules (
    id               serial PRIMARY KEY,
    name             varchar(100) NOT NULL CHECK (length(btrim(name)) > 0),
    description      text,
    priority         helpdesk.ticket_priority,
    category_id      int REFERENCES helpdesk.categories (id) ON DELETE SET NULL,
    trigger_type     helpdesk.escalation_trigger NOT NULL,
    trigger_hours    int CHECK (trigger_hours >= 1),
    escalation_level int NOT NULL DEFAULT 1 CHECK (escalation_level BETWEEN 1 AND 5),
    target_type      helpdesk.escalation_target NOT NULL,
    target_role      helpdesk.user_role,
    target_user_id   int REFERENCES helpdesk.users (id) ON DELETE SET NULL,
    notify_manager   boolean NOT NULL DEFAULT true,
    is_active        boolean NOT NULL DEFAULT true,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    CHECK (trigger_type NOT IN ('no_response', 'no_assignment') OR trigger_hours IS NOT NULL),
    CHECK (target_type <> 'role' OR target_role IS NOT NULL),
    CHECK (target_type <> 'user' OR target_user_id IS NOT NULL)
);

CREATE INDEX escalation_rules_active_idx ON helpdesk.escalation_rules (trigger_type) WHERE is_active;

CREATE TRIGGER escalation_rules_touch BEFORE UPDATE ON helpdesk.escalation_rules
    FOR EACH ROW EXECUTE FUNCTION helpdesk.touch_updated_at();

CREATE TABLE helpdesk.escalation_history (
    id                   serial PRIMARY KEY,
    ticket_id            int NOT NULL REFERENCES helpdesk.tickets (id) ON DELETE CASCADE,
    rule_id              int REFERENCES helpdesk.escalation_rules (id) ON DELETE SET NULL,
    from_level           int NOT NULL DEFAULT 1,
    to_level             int NOT NULL CHECK (to_level BETWEEN 1 AND 5),
    escalated_by         varchar(50) NOT NULL,
    escalated_to_user_id int REFERENCES helpdesk.users (id) ON DELETE SET NULL,
    escalated_to_role    varchar(50),
    reason               text NOT NULL,
    created_at           timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX escalation_history_ticket_idx ON helpdesk.escalation_history (ticket_id, created_at DESC);

CREATE INDEX escalation_history_created_idx ON helpdesk.escalation_history (created_at DESC);

SELECT pg_catalog.pg_extension_config_dump('helpdesk.escalation_rules', '');

SELECT pg_catalog.pg_extension_config_dump('helpdesk.escalation_rules_id_seq', '');

SELECT pg_catalog.pg_extension_config_dump('helpdesk.escalation_history', '');

SELECT pg_catalog.pg_extension_config_dump('helpdesk.escalation_history_id_seq', '');

CREATE UNIQUE INDEX escalation_history_once ON helpdesk.escalation_history (ticket_id, rule_id, to_level);

-- Open tickets per assignee, counted from the index alone (least-loaded choices).
CREATE INDEX tickets_open_assignee_idx ON helpdesk.tickets (assignee_id)
    WHERE helpdesk.ticket_is_open(status);

-- The active user of `role` with the fewest open tickets (New, Assigned, In Progress, Pending);
-- ties go to the lowest id. NULL when the role has no active user.
CREATE FUNCTION helpdesk.least_loaded_user(role helpdesk.user_role)
RETURNS int
LANGUAGE sql STABLE
AS $$
    SELECT u.id
    FROM helpdesk.users u
    WHERE u.role = least_loaded_user.role AND u.is_active
    ORDER BY (SELECT count(*) FROM helpdesk.tickets t
              WHERE t.assignee_id = u.id AND helpdesk.ticket_is_open(t.status)),
             u.id
    LIMIT 1
$$;

-- Where a rule escalates to: (user id or NULL, role or NULL).
CREATE FUNCTION helpdesk.escalation_target(r helpdesk.escalation_rules, OUT user_id int, OUT role text)
LANGUAGE plpgsql STABLE
AS $$
BEGIN
    CASE r.target_type
        WHEN 'user' THEN
            SELECT u.id INTO user_id FROM helpdesk.users u WHERE u.id = r.target_user_id AND u.is_active;
            role := NULL;
        WHEN 'role' THEN
            user_id := helpdesk.least_loaded_user(r.target_role);
            role := r.target_role::text;
        ELSE
            SELECT u.id INTO user_id FROM helpdesk.users u
            WHERE u.role = 'Admin' AND u.is_active ORDER BY u.id LIMIT 1;
            role := 'Admin';
    END CASE;
END
$$;

-- The reason text of the reference's templates.
CREATE FUNCTION helpdesk.escalation_reason(r helpdesk.escalation_rules, t helpdesk.tickets)
RETURNS text
LANGUAGE sql STABLE
AS $$
    SELECT CASE r.trigger_type
        WHEN 'sla_breached' THEN format('SLA breached for %s priority ticket', t.priority)
        WHEN 'sla_at_risk' THEN format('SLA at risk for %s priority ticket', t.priority)
        WHEN 'no_assignment' THEN format('Ticket not assigned after %s hours', r.trigger_hours)
        WHEN 'no_response' THEN format('No response after %s hours', r.trigger_hours)
        ELSE format('Escalated by rule: %s', r.name)
    END
$$;

-- Escalate ticket `ticket` by rule `rule`, on behalf of `escalated_by` ('system' or a user
-- id). Returns the new escalation_history row, or NULL when this (ticket, rule) pair already
-- reached the rule's level. In one transaction: the history row, the reassignment (a normal
-- UPDATE of the ticket, so its triggers record the `assigned` change), an `escalated` row in
-- ticket_history and the `ticket_escalated` notifications.
CREATE FUNCTION helpdesk.escalate(ticket int, rule int, escalated_by text)
RETURNS helpdesk.escalation_history
LANGUAGE plpgsql VOLATILE
AS $$
DECLARE
    t      helpdesk.tickets;
    r      helpdesk.escalation_rules;
    h      helpdesk.escalation_history;
    target record;
    reason text;
    prev_level int;
    previous_assignee int;
    actor_id int := CASE WHEN escalated_by ~ '^[0-9]{1,9}$' THEN escalated_by::int END;
BEGIN
    SELECT * INTO STRICT r FROM helpdesk.escalation_rules er WHERE er.id = rule;
    SELECT * INTO STRICT t FROM helpdesk.tickets tk WHERE tk.id = ticket FOR UPDATE;
    SELECT * INTO target FROM helpdesk.escalation_target(r);
    reason := helpdesk.escalation_reason(r, t);
    SELECT eh.to_level INTO prev_level FROM helpdesk.escalation_history eh
    WHERE eh.ticket_id = t.id ORDER BY eh.created_at DESC, eh.id DESC LIMIT 1;

    INSERT INTO helpdesk.escalation_history (ticket_id, rule_id, from_level, to_level, escalated_by,
                                             escalated_to_user_id, escalated_to_role, reason)
    VALUES (t.id, r.id, coalesce(prev_level, 1), r.escalation_level, escalated_by,
            target.user_id, target.role, reason)
    ON CONFLICT (ticket_id, rule_id, to_level) DO NOTHING
    RETURNING * INTO h;
    IF h.id IS NULL THEN
        RETURN NULL;
    END IF;

    previous_assignee := t.assignee_id;
    IF target.user_id IS NOT NULL AND target.user_id IS DISTINCT FROM t.assignee_id THEN
        UPDATE helpdesk.tickets SET assignee_id = target.user_id WHERE id = t.id;
    END IF;

    INSERT INTO helpdesk.ticket_history (ticket_id, user_id, action, field_name, old_value, new_value, description)
    VALUES (t.id, actor_id, 'escalated', 'escalation_level', h.from_level::text, h.to_level::text,
            format('Escalated to level %s: %s', h.to_level, reason));

    -- the escalated-to user; every other active Admin when notify_manager; the original assignee
    INSERT INTO helpdesk.notifications (user_id, type, title, message, ticket_id)
    SELECT target.user_id, 'ticket_escalated', format('Ticket Escalated: %s', t.ticket_number),
           format('Ticket "%s" has been escalated to you. Reason: %s', t.title, reason), t.id
    WHERE target.user_id IS NOT NULL;
    IF r.notify_manager THEN
        INSERT INTO helpdesk.notifications (user_id, type, title, message, ticket_id)
        SELECT u.id, 'ticket_escalated', format('Ticket Escalated: %s', t.ticket_number),
               format('Ticket "%s" has been escalated to level %s. Reason: %s', t.title, h.to_level, reason), t.id
        FROM helpdesk.users u
        WHERE u.role = 'Admin' AND u.is_active AND u.id IS DISTINCT FROM target.user_id;
    END IF;
    IF previous_assignee IS NOT NULL AND previous_assignee IS DISTINCT FROM target.user_id THEN
        INSERT INTO helpdesk.notifications (user_id, type, title, message, ticket_id)
        SELECT previous_assignee, 'ticket_escalated', format('Your Ticket Was Escalated: %s', t.ticket_number),
               format('Ticket "%s" has been escalated to level %s. Reason: %s', t.title, h.to_level, reason), t.id
        WHERE NOT (r.notify_manager AND EXISTS (SELECT FROM helpdesk.users u
                                                  WHERE u.id = previous_assignee AND u.role = 'Admin' AND u.is_active));
    END IF;
    RETURN h;
END
$$;

-- The time-based triggers read only the tickets they can match, through partial indexes, so a
-- scan costs the same with a million closed or answered tickets as with none.
CREATE INDEX tickets_no_assignment_idx ON helpdesk.tickets (created_at)
    WHERE status = 'New' AND assignee_id IS NULL;

CREATE INDEX tickets_no_response_idx ON helpdesk.tickets (created_at)
    WHERE status IN ('Assigned', 'In Progress') AND assignee_id IS NOT NULL AND first_response_at IS NULL;

-- Tickets a rule applies to at `at`, not yet escalated by it at its level. One query per
-- trigger type, each an index range scan (due dates, warning instants, creation instants).
CREATE FUNCTION helpdesk.escalation_candidates(r helpdesk.escalation_rules, at timestamptz)
RETURNS SETOF int
LANGUAGE plpgsql STABLE
AS $$
DECLARE
    since timestamptz := at - make_interval(hours => coalesce(r.trigger_hours, 0));
BEGIN
    IF r.trigger_type = 'sla_breached' THEN
        RETURN QUERY
        SELECT t.id FROM helpdesk.sla_breached_ids(at) b JOIN helpdesk.tickets t ON t.id = b
        WHERE (r.priority IS NULL OR t.priority = r.priority) AND (r.category_id IS NULL OR t.category_id = r.category_id)
          AND NOT EXISTS (SELECT FROM helpdesk.escalation_history h
                          WHERE h.ticket_id = t.id AND h.rule_id = r.id AND h.to_level = r.escalation_level)
        ORDER BY t.id;
    ELSIF r.trigger_type = 'sla_at_risk' THEN
        RETURN QUERY
        SELECT t.id FROM helpdesk.sla_at_risk_ids(at) a JOIN helpdesk.tickets t ON t.id = a
        WHERE (r.priority IS NULL OR t.priority = r.priority) AND (r.category_id IS NULL OR t.category_id = r.category_id)
          AND NOT EXISTS (SELECT FROM helpdesk.escalation_history h
                          WHERE h.ticket_id = t.id AND h.rule_id = r.id AND h.to_level = r.escalation_level)
        ORDER BY t.id;
    ELSIF r.trigger_type = 'no_assignment' THEN
        RETURN QUERY
        SELECT t.id FROM helpdesk.tickets t
        WHERE t.status = 'New' AND t.assignee_id IS NULL AND t.created_at <= since
          AND (r.priority IS NULL OR t.priority = r.priority) AND (r.category_id IS NULL OR t.category_id = r.category_id)
          AND NOT EXISTS (SELECT FROM helpdesk.escalation_history h
                          WHERE h.ticket_id = t.id AND h.rule_id = r.id AND h.to_level = r.escalation_level)
        ORDER BY t.id;
    ELSIF r.trigger_type = 'no_response' THEN
        RETURN QUERY
        SELECT t.id FROM helpdesk.tickets t
        WHERE t.status IN ('Assigned', 'In Progress') AND t.assignee_id IS NOT NULL AND t.first_response_at IS NULL
          AND t.created_at <= since
          AND (r.priority IS NULL OR t.priority = r.priority) AND (r.category_id IS NULL OR t.category_id = r.category_id)
          AND NOT EXISTS (SELECT FROM helpdesk.escalation_history h
                          WHERE h.ticket_id = t.id AND h.rule_id = r.id AND h.to_level = r.escalation_level)
        ORDER BY t.id;
    END IF;
END
$$;

-- Apply every active rule at `at` (breached, then at risk, then no assignment, then no
-- response), each escalation in its own subtransaction. Returns how many escalations happened.
CREATE FUNCTION helpdesk.escalation_run(at timestamptz, escalated_by text DEFAULT 'system')
RETURNS int
LANGUAGE plpgsql VOLATILE
AS $$
DECLARE
    r helpdesk.escalation_rules;
    h helpdesk.escalation_history;
    tid int;
    n int := 0;
BEGIN
    FOR r IN
        SELECT * FROM helpdesk.escalation_rules
        WHERE is_active
        ORDER BY array_position(ARRAY['sla_breached', 'sla_at_risk', 'no_assignment', 'no_response']::helpdesk.escalation_trigger[],
                                trigger_type), escalation_level, id
    LOOP
        FOR tid IN SELECT helpdesk.escalation_candidates(r, at) LOOP
            BEGIN
                h := helpdesk.escalate(tid, r.id, escalated_by);
                IF h.id IS NOT NULL THEN
                    n := n + 1;
                END IF;
            EXCEPTION WHEN OTHERS THEN
                RAISE WARNING 'helpdesk escalation: ticket %, rule %: %', tid, r.id, SQLERRM;
            END;
        END LOOP;
    END LOOP;
    RETURN n;
END
$$;

CREATE FUNCTION helpdesk.escalation_rule_json(r helpdesk.escalation_rules, with_category boolean DEFAULT true)
RETURNS jsonb
LANGUAGE sql STABLE
AS $$
    SELECT jsonb_build_object(
        'id', r.id, 'name', r.name, 'description', r.description, 'priority', r.priority,
        'categoryId', r.category_id, 'triggerType', r.trigger_type, 'triggerHours', r.trigger_hours,
        'escalationLevel', r.escalation_level, 'targetType', r.target_type, 'targetRole', r.target_role,
        'targetUserId', r.target_user_id, 'notifyManager', r.notify_manager, 'isActive', r.is_active,
        'createdAt', helpdesk.iso(r.created_at), 'updatedAt', helpdesk.iso(r.updated_at))
    || CASE WHEN with_category THEN jsonb_build_object('category', (
        SELECT jsonb_build_object('id', c.id, 'name', c.name, 'description', c.description, 'icon', c.icon,
                                  'color', c.color, 'isActive', c.is_active, 'displayOrder', c.display_order,
                                  'createdAt', helpdesk.iso(c.created_at), 'updatedAt', helpdesk.iso(c.updated_at))
        FROM helpdesk.categories c WHERE c.id = r.category_id)) ELSE '{}'::jsonb END
$$;

CREATE FUNCTION helpdesk.escalation_history_json(h helpdesk.escalation_history, with_ticket boolean DEFAULT false)
RETURNS jsonb
LANGUAGE sql STABLE
AS $$
    SELECT jsonb_build_object(
        'id', h.id, 'ticketId', h.ticket_id, 'ruleId', h.rule_id, 'fromLevel', h.from_level,
        'toLevel', h.to_level, 'escalatedBy', h.escalated_by, 'escalatedToUserId', h.escalated_to_user_id,
        'escalatedToRole', h.escalated_to_role, 'reason', h.reason, 'createdAt', helpdesk.iso(h.created_at),
        'rule', (SELECT jsonb_build_object('id', r.id, 'name', r.name)
                 FROM helpdesk.escalation_rules r WHERE r.id = h.rule_id),
        'escalatedToUser', (SELECT jsonb_build_object('id', u.id, 'fullName', u.full_name, 'email', u.email)
                            FROM helpdesk.users u WHERE u.id = h.escalated_to_user_id))
    || CASE WHEN with_ticket THEN jsonb_build_object('ticket', (
        SELECT jsonb_build_object('id', t.id, 'ticketNumber', t.ticket_number, 'title', t.title)
        FROM helpdesk.tickets t WHERE t.id = h.ticket_id)) ELSE '{}'::jsonb END
$$;

CREATE FUNCTION helpdesk.escalation_rule_get(id int, for_update boolean DEFAULT false)
RETURNS helpdesk.escalation_rules
LANGUAGE plpgsql VOLATILE
AS $$
DECLARE
    r helpdesk.escalation_rules;
BEGIN
    IF for_update THEN
        SELECT * INTO r FROM helpdesk.escalation_rules er WHERE er.id = escalation_rule_get.id FOR UPDATE;
    ELSE
        SELECT * INTO r FROM helpdesk.escalation_rules er WHERE er.id = escalation_rule_get.id;
    END IF;
    IF NOT FOUND THEN
        PERFORM helpdesk.http_error(404, format('Escalation rule with ID %s not found', id));
    END IF;
    RETURN r;
END
$$;

-- Create a rule (Admin) from a row built by the caller (defaults: notify_manager, is_active).
CREATE FUNCTION helpdesk.escalation_rule_create(actor helpdesk.users, r helpdesk.escalation_rules)
RETURNS helpdesk.escalation_rules
LANGUAGE plpgsql
AS $$
BEGIN
    PERFORM helpdesk.require_role(actor, 'Admin');
    INSERT INTO helpdesk.escalation_rules (name, description, priority, category_id, trigger_type, trigger_hours,
                                           escalation_level, target_type, target_role, target_user_id,
                                           notify_manager, is_active)
    VALUES (r.name, r.description, r.priority, r.category_id, r.trigger_type, r.trigger_hours,
            r.escalation_level, r.target_type, r.target_role, r.target_user_id,
            coalesce(r.notify_manager, true), coalesce(r.is_active, true))
    RETURNING * INTO r;
    PERFORM helpdesk.audit('escalation_rule_created', 'escalation_rule', r.id);
    RETURN r;
END
$$;

-- Store a changed rule (Admin): every field of `r`, whose id names the rule.
CREATE FUNCTION helpdesk.escalation_rule_update(actor helpdesk.users, r helpdesk.escalation_rules)
RETURNS helpdesk.escalation_rules
LANGUAGE plpgsql
AS $$
BEGIN
    PERFORM helpdesk.require_role(actor, 'Admin');
    UPDATE helpdesk.escalation_rules
    SET name = r.name, description = r.description, priority = r.priority, category_id = r.category_id,
        trigger_type = r.trigger_type, trigger_hours = r.trigger_hours, escalation_level = r.escalation_level,
        target_type = r.target_type, target_role = r.target_role, target_user_id = r.target_user_id,
        notify_manager = r.notify_manager, is_active = r.is_active
    WHERE id = r.id
    RETURNING * INTO r;
    IF NOT FOUND THEN
        PERFORM helpdesk.http_error(404, format('Escalation rule with ID %s not found', r.id));
    END IF;
    PERFORM helpdesk.audit('escalation_rule_updated', 'escalation_rule', r.id);
    RETURN r;
END
$$;

-- Delete a rule (Admin); its history rows stay, with rule_id NULL.
CREATE FUNCTION helpdesk.escalation_rule_delete(actor helpdesk.users, rule_id int)
RETURNS void
LANGUAGE plpgsql
AS $$
DECLARE
    r helpdesk.escalation_rules;
BEGIN
    PERFORM helpdesk.require_role(actor, 'Admin');
    r := helpdesk.escalation_rule_get(rule_id, true);
    DELETE FROM helpdesk.escalation_rules WHERE id = r.id;
    PERFORM helpdesk.audit('escalation_rule_deleted', 'escalation_rule', r.id);
END
$$;

-- A rule as staff see it (Admin, IT_Staff).
CREATE FUNCTION helpdesk.escalation_rule_view(actor helpdesk.users, rule_id int)
RETURNS helpdesk.escalation_rules
LANGUAGE plpgsql STABLE
AS $$
BEGIN
    PERFORM helpdesk.require_role(actor, 'Admin', 'IT_Staff');
    RETURN helpdesk.escalation_rule_get(rule_id);
END
$$;

-- The rules (Admin, IT_Staff), filtered, by level then newest first.
CREATE FUNCTION helpdesk.escalation_rule_list(actor helpdesk.users, active boolean DEFAULT NULL,
                                              priority helpdesk.ticket_priority DEFAULT NULL,
                                              category_id int DEFAULT NULL,
                                              trigger_type helpdesk.escalation_trigger DEFAULT NULL,
                                              target_type helpdesk.escalation_target DEFAULT NULL)
RETURNS jsonb
LANGUAGE plpgsql STABLE
AS $$
BEGIN
    PERFORM helpdesk.require_role(actor, 'Admin', 'IT_Staff');
    RETURN (SELECT coalesce(jsonb_agg(helpdesk.escalation_rule_json(r)
                                      ORDER BY r.escalation_level, r.created_at DESC, r.id DESC), '[]')
            FROM helpdesk.escalation_rules r
            WHERE (active IS NULL OR r.is_active = active)
              AND (escalation_rule_list.priority IS NULL OR r.priority = escalation_rule_list.priority)
              AND (escalation_rule_list.category_id IS NULL OR r.category_id = escalation_rule_list.category_id)
              AND (escalation_rule_list.trigger_type IS NULL OR r.trigger_type = escalation_rule_list.trigger_type)
              AND (escalation_rule_list.target_type IS NULL OR r.target_type = escalation_rule_list.target_type));
END
$$;

-- A ticket's escalations, newest first (anyone who can see the ticket).
CREATE FUNCTION helpdesk.escalation_history_of(actor helpdesk.users, ticket_id int)
RETURNS jsonb
LANGUAGE plpgsql STABLE
AS $$
DECLARE
    t helpdesk.tickets := helpdesk.visible_ticket(actor, ticket_id);
BEGIN
    RETURN (SELECT coalesce(jsonb_agg(helpdesk.escalation_history_json(h) ORDER BY h.created_at DESC, h.id DESC), '[]')
            FROM helpdesk.escalation_history h
            WHERE h.ticket_id = t.id);
END
$$;

-- Every escalation (Admin, IT_Staff), filtered, newest first; `until` is exclusive.
CREATE FUNCTION helpdesk.escalation_history_list(actor helpdesk.users, ticket_id int DEFAULT NULL,
                                                 rule_id int DEFAULT NULL, to_user_id int DEFAULT NULL,
                                                 since timestamptz DEFAULT NULL, until timestamptz DEFAULT NULL)
RETURNS jsonb
LANGUAGE plpgsql STABLE
AS $$
BEGIN
    PERFORM helpdesk.require_role(actor, 'Admin', 'IT_Staff');
    RETURN (SELECT coalesce(jsonb_agg(helpdesk.escalation_history_json(h, true)
                                      ORDER BY h.created_at DESC, h.id DESC), '[]')
            FROM helpdesk.escalation_history h
            WHERE (escalation_history_list.ticket_id IS NULL OR h.ticket_id = escalation_history_list.ticket_id)
              AND (escalation_history_list.rule_id IS NULL OR h.rule_id = escalation_history_list.rule_id)
              AND (to_user_id IS NULL OR h.escalated_to_user_id = to_user_id)
              AND (since IS NULL OR h.created_at >= since)
              AND (until IS NULL OR h.created_at < until));
END
$$;

-- Escalate a ticket by a rule, by hand (Admin, IT_Staff, on a ticket they can see); 409 when
-- that rule already escalated the ticket to its level.
CREATE FUNCTION helpdesk.escalate_by_hand(actor helpdesk.users, ticket_id int, rule_id int)
RETURNS helpdesk.escalation_history
LANGUAGE plpgsql
AS $$
DECLARE
    t helpdesk.tickets;
    r helpdesk.escalation_rules;
    h helpdesk.escalation_history;
BEGIN
    PERFORM helpdesk.require_role(actor, 'Admin', 'IT_Staff');
    t := helpdesk.visible_ticket(actor, ticket_id);
    r := helpdesk.escalation_rule_get(rule_id);
    h := helpdesk.escalate(t.id, r.id, actor.id::text);
    IF h.id IS NULL THEN
        PERFORM helpdesk.http_error(409, format('Ticket %s was already escalated by rule %s to level %s',
                                               t.ticket_number, r.id, r.escalation_level));
    END IF;
    RETURN h;
END
$$;

-- ==== sql/57_escalation_api.sql ====
-- 57_escalation_api: the escalation routes (seed §2.12), with the client's extra filters. The
-- rules are in sql/56_escalation.sql; POST /escalation/check-now runs the scan (sql/59_sla_api.sql).

-- Read the rule fields of a create or update body into `r` (only those present when partial),
-- then check the rule as a whole.
CREATE FUNCTION helpdesk.escalation_rule_from_body(b jsonb, r helpdesk.escalation_rules, partial boolean)
RETURNS helpdesk.escalation_rules
LANGUAGE plpgsql STABLE
AS $$
BEGIN
    IF NOT partial OR b ? 'name' THEN
        r.name := helpdesk.field_text(b, 'name', true, NULL, 100);
    END IF;
    IF b ? 'description' THEN
        r.description := helpdesk.field_text(b, 'description');
    END IF;
    IF b ? 'priority' THEN
        r.priority := helpdesk.field_enum(b, 'priority', NULL::helpdesk.ticket_priority);
    END IF;
    IF b ? 'categoryId' THEN
        r.category_id := helpdesk.field_int(b, 'categoryId', false, 1);
        IF r.category_id IS NOT NULL AND NOT EXISTS (SELECT FROM helpdesk.categories c WHERE c.id = r.category_id) THEN
            PERFORM helpdesk.http_error(400, 'Category not found');
        END IF;
    END IF;
    IF NOT partial OR b ? 'triggerType' THEN
        r.trigger_type := helpdesk.field_enum(b, 'triggerType', NULL::helpdesk.escalation_trigger, true);
    END IF;
    IF b ? 'triggerHours' THEN
        r.trigger_hours := helpdesk.field_int(b, 'triggerHours', false, 1);
    END IF;
    IF NOT partial OR b ? 'escalationLevel' THEN
        r.escalation_level := helpdesk.field_int(b, 'escalationLevel', true, 1, 5);
    END IF;
    IF NOT partial OR b ? 'targetType' THEN
        r.target_type := helpdesk.field_enum(b, 'targetType', NULL::helpdesk.escalation_target, true);
    END IF;
    IF b ? 'targetRole' THEN
        r.target_role := helpdesk.field_enum(b, 'targetRole', NULL::helpdesk.user_role);
    END IF;
    IF b ? 'targetUserId' THEN
        r.target_user_id := helpdesk.field_int(b, 'targetUserId', false, 1);
        IF r.target_user_id IS NOT NULL AND NOT EXISTS (SELECT FROM helpdesk.users u WHERE u.id = r.target_user_id) THEN
            PERFORM helpdesk.http_error(400, 'Target user not found');
        END IF;
    END IF;
    IF b ? 'notifyManager' THEN
        r.notify_manager := coalesce(helpdesk.field_bool(b, 'notifyManager'), true);
    END IF;
    IF b ? 'isActive' THEN
        r.is_active := coalesce(helpdesk.field_bool(b, 'isActive'), true);
    END IF;

    IF r.trigger_type IN ('no_response', 'no_assignment') AND r.trigger_hours IS NULL THEN
        PERFORM helpdesk.http_error(400, format('triggerHours is required for trigger type %s', r.trigger_type));
    END IF;
    IF r.target_type = 'role' AND r.target_role IS NULL THEN
        PERFORM helpdesk.http_error(400, 'targetRole is required for target type role');
    END IF;
    IF r.target_type = 'user' AND r.target_user_id IS NULL THEN
        PERFORM helpdesk.http_error(400, 'targetUserId is required for target type user');
    END IF;
    RETURN r;
END
$$;

-- POST /escalation/rules
CREATE FUNCTION helpdesk_api.escalation_rules_create(req jsonb)
RETURNS jsonb
LANGUAGE plpgsql
AS $$
DECLARE
    actor helpdesk.users := helpdesk.current_actor();
    b jsonb := helpdesk.body(req, 'name', 'description', 'priority', 'categoryId', 'triggerType', 'triggerHours',
                             'escalationLevel', 'targetType', 'targetRole', 'targetUserId', 'notifyManager', 'isActive');
    r helpdesk.escalation_rules;
BEGIN
    r.notify_manager := true;
    r.is_active := true;
    RETURN helpdesk.escalation_rule_json(
        helpdesk.escalation_rule_create(actor, helpdesk.escalation_rule_from_body(b, r, false)),
        false);
END
$$;

-- GET /escalation/rules?isActive&priority&categoryId&triggerType&targetType
CREATE FUNCTION helpdesk_api.escalation_rules_list(req jsonb)
RETURNS jsonb
LANGUAGE plpgsql STABLE
AS $$
BEGIN
    RETURN helpdesk.escalation_rule_list(helpdesk.current_actor(),
        helpdesk.query_bool(req, 'isActive'),
        helpdesk.query_enum(req, 'priority', NULL::helpdesk.ticket_priority),
        helpdesk.query_int(req, 'categoryId', NULL, 1),
        helpdesk.query_enum(req, 'triggerType', NULL::helpdesk.escalation_trigger),
        helpdesk.query_enum(req, 'targetType', NULL::helpdesk.escalation_target));
END
$$;

-- GET /escalation/rules/:id
CREATE FUNCTION helpdesk_api.escalation_rules_get(req jsonb)
RETURNS jsonb
LANGUAGE plpgsql STABLE
AS $$
BEGIN
    RETURN helpdesk.escalation_rule_json(helpdesk.escalation_rule_view(helpdesk.current_actor(), helpdesk.path_int(req)));
END
$$;

-- PUT /escalation/rules/:id (a partial of create)
CREATE FUNCTION helpdesk_api.escalation_rules_update(req jsonb)
RETURNS jsonb
LANGUAGE plpgsql
AS $$
DECLARE
    actor helpdesk.users := helpdesk.current_actor();
    b jsonb := helpdesk.body(req, 'name', 'description', 'priority', 'categoryId', 'triggerType', 'triggerHours',
                             'escalationLevel', 'targetType', 'targetRole', 'targetUserId', 'notifyManager', 'isActive');
BEGIN
    RETURN helpdesk.escalation_rule_json(helpdesk.escalation_rule_update(actor,
        helpdesk.escalation_rule_from_body(b, helpdesk.escalation_rule_view(actor, helpdesk.path_int(req)), true)));
END
$$;

-- DELETE /escalation/rules/:id (its history rows stay, with rule_id NULL)
CREATE FUNCTION helpdesk_api.escalation_rules_delete(req jsonb)
RETURNS jsonb
LANGUAGE plpgsql
AS $$
BEGIN
    PERFORM helpdesk.escalation_rule_delete(helpdesk.current_actor(), helpdesk.path_int(req));
    RETURN jsonb_build_object('message', 'Escalation rule deleted successfully');
END
$$;

-- GET /escalation/history/ticket/:ticketId
CREATE FUNCTION helpdesk_api.escalation_history_ticket(req jsonb)
RETURNS jsonb
LANGUAGE plpgsql STABLE
AS $$
BEGIN
    RETURN helpdesk.escalation_history_of(helpdesk.current_actor(), helpdesk.path_int(req, 'ticketId'));
END
$$;

-- GET /escalation/history?ticketId&ruleId&escalatedToUserId&startDate&endDate
CREATE FUNCTION helpdesk_api.escalation_history_list(req jsonb)
RETURNS jsonb
LANGUAGE plpgsql STABLE
AS $$
DECLARE
    actor helpdesk.users := helpdesk.current_actor();
    until timestamptz := helpdesk.query_timestamptz(req, 'endDate');
BEGIN
    -- a bare date as endDate means the whole day
    IF until IS NOT NULL AND (req -> 'query' ->> 'endDate') ~ '^\s*\d{4}-\d{2}-\d{2}\s*$' THEN
        until := until + interval '1 day';
    END IF;
    RETURN helpdesk.escalation_history_list(actor,
        helpdesk.query_int(req, 'ticketId', NULL, 1), helpdesk.query_int(req, 'ruleId', NULL, 1),
        helpdesk.query_int(req, 'escalatedToUserId', NULL, 1),
        helpdesk.query_timestamptz(req, 'startDate'), until);
END
$$;

-- POST /escalation/tickets/:ticketId/escalate {ruleId}
CREATE FUNCTION helpdesk_api.escalation_escalate(req jsonb)
RETURNS jsonb
LANGUAGE plpgsql
AS $$
DECLARE
    actor helpdesk.users := helpdesk.current_actor();
    b jsonb := helpdesk.body(req, 'ruleId');
BEGIN
    RETURN helpdesk.escalation_history_json(helpdesk.escalate_by_hand(actor,
        helpdesk.path_int(req, 'ticketId'), helpdesk.field_int(b, 'ruleId', true, 1)));
END
$$;

-- ==== sql/58_sla_scan.sql ====
-- 58_sla_scan: the SLA watcher's work, a plain SQL-callable function: sla_scan(at) fires every
-- warning, breach and escalation due at `at`, each exactly once, and sla_next_deadline() says
-- when the watcher must wake next (extension/sla_worker.c calls both).

-- Fire every warning and breach due at `at`, then the escalations due at `at`. Each item runs
-- in a subtransaction: one that fails is logged and retried by the next scan, the others go on.
-- Locks each due clock, so a concurrent ticket update and the scan serialize on the clock row.
CREATE FUNCTION helpdesk.sla_scan(at timestamptz, OUT warnings int, OUT breaches int, OUT escalations int)
LANGUAGE plpgsql VOLATILE
AS $$
DECLARE
    c helpdesk.sla_clocks;
BEGIN
    warnings := 0;
    breaches := 0;
    FOR c IN
        SELECT * FROM helpdesk.sla_clocks
        WHERE next_deadline <= at
        ORDER BY next_deadline
        FOR UPDATE
    LOOP
        BEGIN
            IF c.state = 'running' AND c.breached_at IS NULL AND helpdesk.sla_clock_breached(c, at) THEN
                -- a warning overtaken by its breach is not sent
                IF helpdesk.sla_fire(c, 'breached', c.due_at) THEN
                    breaches := breaches + 1;
                END IF;
                c.breached_at := c.due_at;
            ELSIF c.warned_at IS NULL AND helpdesk.sla_clock_at_risk(c, at) THEN
                IF helpdesk.sla_fire(c, 'warned', c.warn_at) THEN
                    warnings := warnings + 1;
                END IF;
                c.warned_at := c.warn_at;
            END IF;
            c.next_deadline := CASE WHEN c.breached_at IS NOT NULL THEN NULL ELSE c.due_at END;
            UPDATE helpdesk.sla_clocks s
            SET warned_at = c.warned_at, breached_at = c.breached_at, next_deadline = c.next_deadline,
                updated_at = now()
            WHERE s.ticket_id = c.ticket_id AND s.kind = c.kind;
        EXCEPTION WHEN OTHERS THEN
            RAISE WARNING 'helpdesk sla_scan: ticket %, % clock: %', c.ticket_id, c.kind, SQLERRM;
        END;
    END LOOP;
    escalations := helpdesk.escalation_run(at, 'system');
END
$$;

-- The earliest instant the watcher must act on, read from the partial index.
CREATE FUNCTION helpdesk.sla_next_deadline()
RETURNS timestamptz
LANGUAGE sql STABLE
AS $$ SELECT min(next_deadline) FROM helpdesk.sla_clocks WHERE next_deadline IS NOT NULL $$;

-- Run the scan now, on demand (Admin): POST /escalation/check-now. Returns the escalations made.
CREATE FUNCTION helpdesk.sla_scan_now(actor helpdesk.users)
RETURNS int
LANGUAGE plpgsql
AS $$
BEGIN
    PERFORM helpdesk.require_role(actor, 'Admin');
    RETURN (SELECT s.escalations FROM helpdesk.sla_scan(now()) s);
END
$$;

-- ==== sql/59_sla_api.sql ====
-- 59_sla_api: the SLA clock routes (status, timeline, at-risk, breached) and POST
-- /escalation/check-now, which runs the watcher's scan. The rules are in sql/52_sla_clock.sql
-- and sql/58_sla_scan.sql; "breached" and "at risk" are defined once in sql/30_tickets.sql.
-- Times remaining and percentages are business time.

-- GET /sla/tickets/:id/timeline
CREATE FUNCTION helpdesk_api.sla_ticket_timeline(req jsonb)
RETURNS jsonb
LANGUAGE plpgsql STABLE
AS $$
DECLARE
    actor helpdesk.users := helpdesk.current_actor();
    t helpdesk.tickets := helpdesk.visible_ticket(actor, helpdesk.path_int(req));
BEGIN
    RETURN helpdesk.sla_timeline(t.id);
END
$$;

-- GET /sla/tickets/:id/status
CREATE FUNCTION helpdesk_api.sla_ticket_status(req jsonb)
RETURNS jsonb
LANGUAGE plpgsql STABLE
AS $$
DECLARE
    actor helpdesk.users := helpdesk.current_actor();
    t helpdesk.tickets := helpdesk.visible_ticket(actor, helpdesk.path_int(req));
BEGIN
    RETURN helpdesk.sla_status(t, now());
END
$$;

-- GET /sla/at-risk
CREATE FUNCTION helpdesk_api.sla_at_risk(req jsonb)
RETURNS jsonb
LANGUAGE plpgsql STABLE
AS $$
BEGIN
    RETURN helpdesk.sla_at_risk_list(helpdesk.current_actor(), now());
END
$$;

-- GET /sla/breached
CREATE FUNCTION helpdesk_api.sla_breached(req jsonb)
RETURNS jsonb
LANGUAGE plpgsql STABLE
AS $$
BEGIN
    RETURN helpdesk.sla_breached_list(helpdesk.current_actor(), now());
END
$$;

-- POST /escalation/check-now: the watcher's escalation pass, at once.
CREATE FUNCTION helpdesk_api.escalation_check_now(req jsonb)
RETURNS jsonb
LANGUAGE plpgsql
AS $$
BEGIN
    PERFORM helpdesk.body(req, VARIADIC ARRAY[]::text[]);
    RETURN jsonb_build_object('message', 'Escalation check triggered successfully',
                              'escalatedCount', helpdesk.sla_scan_now(helpdesk.current_actor()));
END
$$;

-- ==== sql/91_core_api.sql ====
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

-- ==== sql/99_finalize.sql ====
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
