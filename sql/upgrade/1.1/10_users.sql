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

