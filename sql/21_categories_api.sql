-- 21_categories_api: the ten category routes (seed-system §2.4, §3.13).

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
DECLARE
    include_inactive boolean;
BEGIN
    PERFORM helpdesk.current_actor();
    include_inactive := coalesce(helpdesk.query_bool(req, 'includeInactive'), false);
    RETURN coalesce((SELECT jsonb_agg(helpdesk.category_json(c) ORDER BY c.display_order, c.name, c.id)
                     FROM helpdesk.categories c
                     WHERE include_inactive OR c.is_active), '[]');
END
$$;

-- GET /categories/active
CREATE FUNCTION helpdesk_api.categories_active(req jsonb)
RETURNS jsonb
LANGUAGE plpgsql STABLE
AS $$
BEGIN
    PERFORM helpdesk.current_actor();
    RETURN coalesce((SELECT jsonb_agg(helpdesk.category_json(c) ORDER BY c.display_order, c.name, c.id)
                     FROM helpdesk.categories c WHERE c.is_active), '[]');
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

-- GET /categories/:id/stats: the real number of tickets in the category.
CREATE FUNCTION helpdesk_api.categories_stats(req jsonb)
RETURNS jsonb
LANGUAGE plpgsql STABLE
AS $$
DECLARE
    c helpdesk.categories;
    n bigint;
BEGIN
    PERFORM helpdesk.current_actor();
    c := helpdesk.category_get(helpdesk.path_int(req));
    SELECT count(*) INTO n FROM helpdesk.tickets t WHERE t.category_id = c.id;
    RETURN jsonb_build_object('id', c.id, 'name', c.name, 'ticketCount', n, 'isActive', c.is_active,
                              'canBeDeleted', n = 0);
END
$$;

-- POST /categories (Admin, IT_Staff)
CREATE FUNCTION helpdesk_api.categories_create(req jsonb)
RETURNS jsonb
LANGUAGE plpgsql
AS $$
DECLARE
    actor helpdesk.users := helpdesk.current_actor();
    f record;
    c helpdesk.categories;
BEGIN
    PERFORM helpdesk.require_role(actor, 'Admin', 'IT_Staff');
    f := helpdesk.category_fields(
        helpdesk.body(req, 'name', 'description', 'icon', 'color', 'isActive', 'displayOrder'), true);
    c := helpdesk.category_create(f.name, f.description, f.icon, f.color, f.is_active, f.display_order);
    PERFORM helpdesk.audit('CREATE_CATEGORY', 'category', c.id, jsonb_build_object('name', c.name));
    RETURN helpdesk.category_json(c);
END
$$;

-- PATCH /categories/:id (Admin, IT_Staff)
CREATE FUNCTION helpdesk_api.categories_update(req jsonb)
RETURNS jsonb
LANGUAGE plpgsql
AS $$
DECLARE
    actor helpdesk.users := helpdesk.current_actor();
    f record;
    c helpdesk.categories;
BEGIN
    PERFORM helpdesk.require_role(actor, 'Admin', 'IT_Staff');
    f := helpdesk.category_fields(
        helpdesk.body(req, 'name', 'description', 'icon', 'color', 'isActive', 'displayOrder'), false);
    c := helpdesk.category_update(helpdesk.path_int(req), f.name, f.description, f.icon, f.color,
                                  f.is_active, f.display_order);
    PERFORM helpdesk.audit('UPDATE_CATEGORY', 'category', c.id, req -> 'body');
    RETURN helpdesk.category_json(c);
END
$$;

-- PATCH|POST /categories/:id/activate (Admin)
CREATE FUNCTION helpdesk_api.categories_activate(req jsonb)
RETURNS jsonb
LANGUAGE plpgsql
AS $$
DECLARE
    actor helpdesk.users := helpdesk.current_actor();
    c helpdesk.categories;
BEGIN
    PERFORM helpdesk.require_role(actor, 'Admin');
    PERFORM helpdesk.body(req, VARIADIC '{}'::text[]);
    c := helpdesk.category_update(helpdesk.path_int(req), new_is_active => true);
    PERFORM helpdesk.audit('ACTIVATE_CATEGORY', 'category', c.id);
    RETURN helpdesk.category_json(c);
END
$$;

-- PATCH|POST /categories/:id/deactivate (Admin)
CREATE FUNCTION helpdesk_api.categories_deactivate(req jsonb)
RETURNS jsonb
LANGUAGE plpgsql
AS $$
DECLARE
    actor helpdesk.users := helpdesk.current_actor();
    c helpdesk.categories;
BEGIN
    PERFORM helpdesk.require_role(actor, 'Admin');
    PERFORM helpdesk.body(req, VARIADIC '{}'::text[]);
    c := helpdesk.category_update(helpdesk.path_int(req), new_is_active => false);
    PERFORM helpdesk.audit('DEACTIVATE_CATEGORY', 'category', c.id);
    RETURN helpdesk.category_json(c);
END
$$;

-- POST /categories/reorder {categoryIds} (Admin)
CREATE FUNCTION helpdesk_api.categories_reorder(req jsonb)
RETURNS jsonb
LANGUAGE plpgsql
AS $$
DECLARE
    actor helpdesk.users := helpdesk.current_actor();
    ids int[];
BEGIN
    PERFORM helpdesk.require_role(actor, 'Admin');
    ids := helpdesk.field_int_array(helpdesk.body(req, 'categoryIds'), 'categoryIds', true, 1, 1000);
    PERFORM helpdesk.category_reorder(ids);
    PERFORM helpdesk.audit('REORDER_CATEGORIES', 'category', NULL, jsonb_build_object('categoryIds', to_jsonb(ids)));
    RETURN jsonb_build_object('message', 'Categories reordered successfully');
END
$$;

-- DELETE /categories/:id (Admin)
CREATE FUNCTION helpdesk_api.categories_delete(req jsonb)
RETURNS jsonb
LANGUAGE plpgsql
AS $$
DECLARE
    actor helpdesk.users := helpdesk.current_actor();
    id int := helpdesk.path_int(req);
BEGIN
    PERFORM helpdesk.require_role(actor, 'Admin');
    PERFORM helpdesk.category_delete(id);
    PERFORM helpdesk.audit('DELETE_CATEGORY', 'category', id);
    RETURN jsonb_build_object('message', 'Category deleted successfully');
END
$$;
