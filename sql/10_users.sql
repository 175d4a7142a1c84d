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
    -- Access tokens issued before this instant are refused (password change, reset)...
    tokens_valid_after timestamptz NOT NULL DEFAULT '-infinity',
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now(),
    -- ...except the one that changed the password (its iat, seconds): "sign out the other
    -- sessions", so a client that keeps its token after changing its password stays signed in.
    tokens_kept_iat bigint,
    -- 1.1: the language of the user's e-mails (sql/03_email.sql), NULL: 'en'; set with
    -- helpdesk.user_set_language, API v1 has no field for it. (No default: an added column
    -- with one would differ, in the catalog, from the same column created with the table.)
    language      varchar(2) CHECK (language IN ('en', 'vi'))
);

-- Addresses and usernames are unique whatever their case.
CREATE UNIQUE INDEX users_email_key ON helpdesk.users (lower(email));

CREATE UNIQUE INDEX users_username_key ON helpdesk.users (lower(username));

CREATE INDEX users_role_idx ON helpdesk.users (role) WHERE is_active;

-- The staff, inactive included (staff-performance lists every IT_Staff and Admin): at the 1M
-- bench 52 of 5,053 users, which a scan of every user took 1.8-5 ms to find.
CREATE INDEX users_staff_idx ON helpdesk.users (id) WHERE role IN ('IT_Staff', 'Admin');

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

-- Whether an access token issued at `iat` (seconds) still holds for `u`: not older than the
-- last password change or reset, or the very token that changed the password.
CREATE FUNCTION helpdesk.token_current(u helpdesk.users, iat bigint)
RETURNS boolean
LANGUAGE sql STABLE
AS $$ SELECT to_timestamp(iat) >= date_trunc('second', u.tokens_valid_after) OR coalesce(iat = u.tokens_kept_iat, false) $$;

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
    IF NOT FOUND OR (coalesce(iat, '') <> '' AND NOT helpdesk.token_current(u, iat::bigint)) THEN
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

-- The acting user of a route that works with or without a token (published knowledge): NULL
-- when no actor is set (anonymous), else as current_actor (401 for a user that is gone or
-- inactive, or a token older than the last password change).
CREATE FUNCTION helpdesk.optional_actor()
RETURNS helpdesk.users
LANGUAGE plpgsql STABLE
AS $$
BEGIN
    IF helpdesk.actor_id() IS NULL THEN
        RETURN NULL;
    END IF;
    RETURN helpdesk.current_actor();
END
$$;

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

-- ---- e-mail to a user ----------------------------------------------------------------------

-- One e-mail to `u` in their language (sql/03_email.sql), in the caller's transaction; `name`
-- (the user's full name) is added to the parameters. Returns the outbox id.
CREATE FUNCTION helpdesk.email_enqueue(u helpdesk.users, template text, params jsonb, ticket_id int DEFAULT NULL)
RETURNS bigint
LANGUAGE sql
AS $$
    SELECT helpdesk.email_compose(u.id, u.email, u.language, template,
                                  coalesce(params, '{}') || jsonb_build_object('name', u.full_name), ticket_id)
$$;

-- The language of a user's e-mails, 'en' or 'vi' (a DBA's or an admin's tool: API v1 has no
-- field for it). Returns the user, NULL when there is none with that id.
CREATE FUNCTION helpdesk.user_set_language(user_id int, language text)
RETURNS helpdesk.users
LANGUAGE sql
AS $$
    UPDATE helpdesk.users SET language = user_set_language.language WHERE id = user_set_language.user_id RETURNING *
$$;
