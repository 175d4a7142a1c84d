-- 00_base, 1.0 to 1.1: http_error accepts 503 (readiness answers 503 with its reasons).

-- Raise an error that helpdesk-http turns into the HTTP status `status` (SQLSTATE HD<status>).
-- `details` become the envelope's details array; `retry_after` (seconds) the Retry-After header.
CREATE OR REPLACE FUNCTION helpdesk.http_error(status int, message text, details text[] DEFAULT NULL,
                                    retry_after int DEFAULT NULL)
RETURNS void
LANGUAGE plpgsql
AS $$
BEGIN
    IF status NOT IN (400, 401, 403, 404, 409, 413, 422, 429, 503) THEN
        RAISE EXCEPTION 'helpdesk.http_error: unsupported status %', status;
    END IF;
    IF details IS NOT NULL AND retry_after IS NOT NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'HD' || status, MESSAGE = message,
            DETAIL = to_jsonb(details)::text, HINT = retry_after::text;
    ELSIF details IS NOT NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'HD' || status, MESSAGE = message, DETAIL = to_jsonb(details)::text;
    ELSIF retry_after IS NOT NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'HD' || status, MESSAGE = message, HINT = retry_after::text;
    ELSE
        RAISE EXCEPTION USING ERRCODE = 'HD' || status, MESSAGE = message;
    END IF;
END
$$;

-- iso: in C (extension/iso.c), the same text as to_char; to_char was a third of a list page's JSON.
CREATE OR REPLACE FUNCTION helpdesk.iso(ts timestamptz)
RETURNS text
LANGUAGE c STABLE STRICT PARALLEL SAFE
AS 'MODULE_PATHNAME', 'helpdesk_iso';

-- setting: PL/pgSQL, its query planned once per connection (a SQL function with a sub-select
-- is never inlined and was planned on every call).
CREATE OR REPLACE FUNCTION helpdesk.setting(key text, fallback text)
RETURNS text
LANGUAGE plpgsql STABLE PARALLEL SAFE
AS $$
BEGIN
    RETURN coalesce((SELECT s.setting_value FROM helpdesk.settings s WHERE s.setting_key = key), fallback);
END
$$;
