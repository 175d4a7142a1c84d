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
