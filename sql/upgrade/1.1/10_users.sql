-- 10_users, 1.0 to 1.1: the acting user of a route that works with or without a token; the
-- token that changed a password stays valid (tokens_kept_iat, token_current); the staff's index.

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


ALTER TABLE helpdesk.users ADD COLUMN tokens_kept_iat bigint;

-- Whether an access token issued at `iat` (seconds) still holds for `u`: not older than the
-- last password change or reset, or the very token that changed the password.
CREATE FUNCTION helpdesk.token_current(u helpdesk.users, iat bigint)
RETURNS boolean
LANGUAGE sql STABLE
AS $$ SELECT to_timestamp(iat) >= date_trunc('second', u.tokens_valid_after) OR coalesce(iat = u.tokens_kept_iat, false) $$;

-- The acting user of this request: exists, is active, and the token is not older than the
-- user's last password change. Anything else is 401, whatever the token said.
CREATE OR REPLACE FUNCTION helpdesk.current_actor()
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

-- The language of a user's e-mails (sql/03_email.sql), and sending one to a user.
ALTER TABLE helpdesk.users ADD COLUMN language varchar(2) CHECK (language IN ('en', 'vi'));

CREATE FUNCTION helpdesk.email_enqueue(u helpdesk.users, template text, params jsonb, ticket_id int DEFAULT NULL)
RETURNS bigint
LANGUAGE sql
AS $$
    SELECT helpdesk.email_compose(u.id, u.email, u.language, template,
                                  coalesce(params, '{}') || jsonb_build_object('name', u.full_name), ticket_id)
$$;

CREATE FUNCTION helpdesk.user_set_language(user_id int, language text)
RETURNS helpdesk.users
LANGUAGE sql
AS $$
    UPDATE helpdesk.users SET language = user_set_language.language WHERE id = user_set_language.user_id RETURNING *
$$;

-- The staff, inactive included (staff-performance lists every IT_Staff and Admin): at the 1M
-- bench 52 of 5,053 users, which a scan of every user took 1.8-5 ms to find.
CREATE INDEX users_staff_idx ON helpdesk.users (id) WHERE role IN ('IT_Staff', 'Admin');
