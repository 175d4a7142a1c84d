-- 20_categories: ticket categories.

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
