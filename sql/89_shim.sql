-- TEMP sql shim, branch arch-http only: the lead drops this commit at merge, where the SQL half
-- of issue 9 defines these functions for real. The route table (http/routes.c) names
-- users_set_active and categories_set_active, told by req->'args'->'active' which way to go;
-- until then they dispatch to the old functions. (auth_me is unchanged: the route table's
-- auth_profile and users_profile rows now name it.)

CREATE FUNCTION helpdesk_api.users_set_active(req jsonb)
RETURNS jsonb
LANGUAGE plpgsql
AS $$
BEGIN
    CASE req->'args'->'active'
        WHEN 'true' THEN RETURN helpdesk_api.users_activate(req);
        WHEN 'false' THEN RETURN helpdesk_api.users_deactivate(req);
    END CASE;
END
$$;

CREATE FUNCTION helpdesk_api.categories_set_active(req jsonb)
RETURNS jsonb
LANGUAGE plpgsql
AS $$
BEGIN
    CASE req->'args'->'active'
        WHEN 'true' THEN RETURN helpdesk_api.categories_activate(req);
        WHEN 'false' THEN RETURN helpdesk_api.categories_deactivate(req);
    END CASE;
END
$$;
