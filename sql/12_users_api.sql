-- 12_users_api: user administration (domain functions and the /api/v1/users routes).
-- Every admin action writes an audit row in the same transaction; passwords never appear in one.

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

-- Create a user. The password is hashed here, once. username NULL: derived from the address.
CREATE FUNCTION helpdesk.user_create(username text, email text, password text, full_name text,
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
    INSERT INTO helpdesk.users (username, email, password_hash, full_name, role, department, phone,
                                avatar_url, created_at, updated_at)
    VALUES (coalesce(lower(username), helpdesk.username_from_email(email)), lower(email),
            helpdesk.hash_password(password), full_name, coalesce(role, 'Employee'), department, phone,
            avatar_url, at, at)
    RETURNING * INTO u;
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
    IF EXISTS (SELECT FROM helpdesk.tickets t WHERE t.submitter_id = u.id)
       OR EXISTS (SELECT FROM helpdesk.comments c WHERE c.user_id = u.id) THEN
        PERFORM helpdesk.http_error(409, format(
            'Cannot delete user with ID %s: the user has submitted tickets or written comments. Deactivate the user instead', u.id));
    END IF;
    BEGIN
        DELETE FROM helpdesk.users x WHERE x.id = u.id;
    EXCEPTION WHEN foreign_key_violation THEN
        PERFORM helpdesk.http_error(409, format(
            'Cannot delete user with ID %s: other records refer to the user. Deactivate the user instead', u.id));
    END;
    PERFORM helpdesk.audit('USER_DELETED', 'user', u.id,
                           jsonb_build_object('username', u.username, 'email', u.email, 'role', u.role));
END
$$;

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
            c := c || jsonb_build_object('role', helpdesk.field_enum(b, 'role', ARRAY['Employee', 'IT_Staff', 'Admin'], true));
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

-- ---------------------------------------------------------------- routes: /api/v1/users

-- POST /users (Admin): username optional (derived from the e-mail when absent).
CREATE FUNCTION helpdesk_api.users_create(req jsonb)
RETURNS jsonb
LANGUAGE plpgsql
AS $$
DECLARE
    actor helpdesk.users := helpdesk.current_actor();
    b     jsonb;
    uname text;
    addr  text;
    pw    text;
    fname text;
    r     text;
    dept  text;
    ph    text;
    av    text;
    u     helpdesk.users;
BEGIN
    PERFORM helpdesk.require_role(actor, 'Admin');
    b := helpdesk.body(req, 'username', 'email', 'password', 'fullName', 'role', 'department', 'phone', 'avatarUrl');
    uname := lower(btrim(helpdesk.field_text(b, 'username', false, 3, 50)));
    IF length(uname) < 3 THEN
        PERFORM helpdesk.validation_error('username must be longer than or equal to 3 characters');
    END IF;
    addr := helpdesk.field_email(b, 'email', true);
    pw := helpdesk.field_text(b, 'password', true);
    PERFORM helpdesk.check_new_password(pw);
    fname := btrim(helpdesk.field_text(b, 'fullName', true, 1, 100));
    r := helpdesk.field_enum(b, 'role', ARRAY['Employee', 'IT_Staff', 'Admin']);
    dept := nullif(btrim(helpdesk.field_text(b, 'department', false, NULL, 100)), '');
    ph := nullif(btrim(helpdesk.field_text(b, 'phone', false, NULL, 20)), '');
    av := nullif(btrim(helpdesk.field_text(b, 'avatarUrl', false, NULL, 255)), '');
    IF uname IS NOT NULL AND EXISTS (SELECT FROM helpdesk.users x WHERE lower(x.username) = uname) THEN
        PERFORM helpdesk.http_error(409, 'Username already exists');
    END IF;
    IF EXISTS (SELECT FROM helpdesk.users x WHERE lower(x.email) = addr) THEN
        PERFORM helpdesk.http_error(409, 'Email already exists');
    END IF;
    u := helpdesk.user_create(uname, addr, pw, fname, coalesce(r, 'Employee')::helpdesk.user_role, dept, ph, av);
    PERFORM helpdesk.audit('USER_CREATED', 'user', u.id,
                           jsonb_build_object('username', u.username, 'email', u.email, 'role', u.role));
    RETURN helpdesk.user_json(u);
END
$$;

-- GET /users (IT_Staff, Admin): filters role, department, isActive, search; paginated, sorted.
CREATE FUNCTION helpdesk_api.users_list(req jsonb)
RETURNS jsonb
LANGUAGE plpgsql STABLE
AS $$
DECLARE
    actor   helpdesk.users := helpdesk.current_actor();
    sorts   CONSTANT jsonb := '{"id": "id", "username": "username", "email": "email", "fullName": "full_name",
                                "role": "role", "department": "department", "phone": "phone",
                                "isActive": "is_active", "lastLoginAt": "last_login_at",
                                "createdAt": "created_at", "updatedAt": "updated_at"}';
    r       text;
    dept    text;
    active  boolean;
    search  text;
    page    int;
    lim     int;
    sort_by text;
    ord     text;
    pattern text;
    total   bigint;
    items   jsonb;
BEGIN
    PERFORM helpdesk.require_role(actor, 'IT_Staff', 'Admin');
    r := helpdesk.query_enum(req, 'role', ARRAY['Employee', 'IT_Staff', 'Admin']);
    dept := helpdesk.query_text(req, 'department');
    active := helpdesk.query_bool(req, 'isActive');
    search := helpdesk.query_text(req, 'search');
    IF length(search) > 100 THEN
        PERFORM helpdesk.validation_error('search must be shorter than or equal to 100 characters');
    END IF;
    page := helpdesk.query_page(req);
    lim := helpdesk.query_limit(req);
    sort_by := coalesce(helpdesk.query_text(req, 'sortBy'), 'createdAt');
    IF NOT sorts ? sort_by THEN
        PERFORM helpdesk.validation_error('sortBy must be one of the following values: '
            || (SELECT string_agg(k, ', ' ORDER BY k) FROM jsonb_object_keys(sorts) k));
    END IF;
    ord := helpdesk.query_sort_order(req);
    pattern := '%' || replace(replace(replace(search, '\', '\\'), '%', '\%'), '_', '\_') || '%';

    SELECT count(*) INTO total FROM helpdesk.users x
    WHERE (r IS NULL OR x.role = r::helpdesk.user_role)
      AND (dept IS NULL OR x.department = dept)
      AND (active IS NULL OR x.is_active = active)
      AND (search IS NULL OR x.username ILIKE pattern OR x.email ILIKE pattern OR x.full_name ILIKE pattern);

    EXECUTE format(
        'SELECT jsonb_agg(helpdesk.user_json(s) ORDER BY s.%1$I %2$s NULLS LAST, s.id %2$s) FROM (
            SELECT * FROM helpdesk.users x
            WHERE ($1 IS NULL OR x.role = $1::helpdesk.user_role)
              AND ($2 IS NULL OR x.department = $2)
              AND ($3 IS NULL OR x.is_active = $3)
              AND ($4 IS NULL OR x.username ILIKE $5 OR x.email ILIKE $5 OR x.full_name ILIKE $5)
            ORDER BY x.%1$I %2$s NULLS LAST, x.id %2$s
            LIMIT $6 OFFSET $7) s',
        sorts ->> sort_by, ord)
    INTO items
    USING r, dept, active, search, pattern, lim, (page - 1)::bigint * lim;
    RETURN helpdesk.paginated('users', items, total, page, lim);
END
$$;

-- GET /users/stats (Admin)
CREATE FUNCTION helpdesk_api.users_stats(req jsonb)
RETURNS jsonb
LANGUAGE plpgsql STABLE
AS $$
DECLARE
    actor helpdesk.users := helpdesk.current_actor();
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

-- GET /users/it-staff (IT_Staff, Admin): active staff and admins by name.
CREATE FUNCTION helpdesk_api.users_it_staff(req jsonb)
RETURNS jsonb
LANGUAGE plpgsql STABLE
AS $$
DECLARE
    actor helpdesk.users := helpdesk.current_actor();
BEGIN
    PERFORM helpdesk.require_role(actor, 'IT_Staff', 'Admin');
    RETURN coalesce((SELECT jsonb_agg(helpdesk.user_json(x) ORDER BY x.full_name, x.id)
                     FROM helpdesk.users x WHERE x.is_active AND x.role IN ('IT_Staff', 'Admin')), '[]');
END
$$;

-- GET /users/department/:department (IT_Staff, Admin): active users of a department by name.
CREATE FUNCTION helpdesk_api.users_by_department(req jsonb)
RETURNS jsonb
LANGUAGE plpgsql STABLE
AS $$
DECLARE
    actor helpdesk.users := helpdesk.current_actor();
    dept  text := req -> 'path' ->> 'department';
BEGIN
    PERFORM helpdesk.require_role(actor, 'IT_Staff', 'Admin');
    RETURN coalesce((SELECT jsonb_agg(helpdesk.user_json(x) ORDER BY x.full_name, x.id)
                     FROM helpdesk.users x WHERE x.is_active AND x.department = dept), '[]');
END
$$;

-- GET /users/profile: one's own user.
CREATE FUNCTION helpdesk_api.users_profile(req jsonb)
RETURNS jsonb
LANGUAGE plpgsql STABLE
AS $$
BEGIN
    RETURN (SELECT helpdesk.user_json(helpdesk.current_actor()));
END
$$;

-- PATCH /users/profile {fullName?, department?, phone?, avatarUrl?}
CREATE FUNCTION helpdesk_api.users_update_profile(req jsonb)
RETURNS jsonb
LANGUAGE plpgsql
AS $$
DECLARE
    actor helpdesk.users := helpdesk.current_actor();
    c     jsonb := helpdesk.user_changes(helpdesk.body(req, 'fullName', 'department', 'phone', 'avatarUrl'), false);
    u     helpdesk.users;
BEGIN
    UPDATE helpdesk.users x SET
        full_name  = CASE WHEN c ? 'fullName' THEN c ->> 'fullName' ELSE x.full_name END,
        department = CASE WHEN c ? 'department' THEN c ->> 'department' ELSE x.department END,
        phone      = CASE WHEN c ? 'phone' THEN c ->> 'phone' ELSE x.phone END,
        avatar_url = CASE WHEN c ? 'avatarUrl' THEN c ->> 'avatarUrl' ELSE x.avatar_url END
    WHERE x.id = actor.id
    RETURNING * INTO u;
    PERFORM helpdesk.audit('PROFILE_UPDATED', 'user', u.id, jsonb_build_object('fields', c));
    RETURN helpdesk.user_json(u);
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

-- GET /users/:id (IT_Staff, Admin)
CREATE FUNCTION helpdesk_api.users_get(req jsonb)
RETURNS jsonb
LANGUAGE plpgsql STABLE
AS $$
DECLARE
    actor helpdesk.users := helpdesk.current_actor();
BEGIN
    PERFORM helpdesk.require_role(actor, 'IT_Staff', 'Admin');
    RETURN helpdesk.user_json(helpdesk.user_get(helpdesk.path_int(req)));
END
$$;

-- PATCH /users/:id (Admin)
CREATE FUNCTION helpdesk_api.users_update(req jsonb)
RETURNS jsonb
LANGUAGE plpgsql
AS $$
DECLARE
    actor helpdesk.users := helpdesk.current_actor();
    c     jsonb;
BEGIN
    PERFORM helpdesk.require_role(actor, 'Admin');
    c := helpdesk.user_changes(helpdesk.body(req, 'username', 'email', 'fullName', 'role', 'department',
                                                  'phone', 'avatarUrl', 'isActive'), true);
    RETURN helpdesk.user_json(helpdesk.user_update(actor, helpdesk.path_int(req), c));
END
$$;

-- DELETE /users/:id (Admin)
CREATE FUNCTION helpdesk_api.users_delete(req jsonb)
RETURNS jsonb
LANGUAGE plpgsql
AS $$
DECLARE
    actor helpdesk.users := helpdesk.current_actor();
BEGIN
    PERFORM helpdesk.user_delete(actor, helpdesk.path_int(req));
    RETURN jsonb_build_object('message', 'User deleted successfully');
END
$$;

-- PATCH|POST /users/:id/activate and /deactivate (Admin)
CREATE FUNCTION helpdesk_api.users_activate(req jsonb)
RETURNS jsonb
LANGUAGE plpgsql
AS $$
BEGIN
    RETURN (SELECT helpdesk.user_json(helpdesk.user_set_active(helpdesk.current_actor(), helpdesk.path_int(req), true)));
END
$$;

CREATE FUNCTION helpdesk_api.users_deactivate(req jsonb)
RETURNS jsonb
LANGUAGE plpgsql
AS $$
BEGIN
    RETURN (SELECT helpdesk.user_json(helpdesk.user_set_active(helpdesk.current_actor(), helpdesk.path_int(req), false)));
END
$$;
