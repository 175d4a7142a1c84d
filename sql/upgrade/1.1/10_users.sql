-- 10_users, 1.0 to 1.1: the acting user of a route that works with or without a token.

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
