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
