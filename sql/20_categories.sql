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
