-- 10_users: users, refresh tokens, password resets, the audit log, and the acting user.

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
