-- 35_attachments_api: the attachment routes (seed-system §2.7). The rules are in
-- sql/34_attachments.sql.
--
-- POST /attachments/upload arrives as multipart/form-data, parsed by helpdesk-http: its text
-- fields are the request document's `body` (string values), its file is described by `file`
-- ({field, originalName, mimeType, size}; mimeType judged from the content) and its bytes are
-- the second argument (docs/REQUEST-CONTRACT.md, "Uploads").

-- An integer sent as a form field (a string): the reference reads ticketId with
-- @Type(() => Number) @IsInt(), so "12" is 12 and anything else is "must be an integer number".
CREATE FUNCTION helpdesk.form_field_int(obj jsonb, key text, required boolean DEFAULT false)
RETURNS int
LANGUAGE plpgsql STABLE
AS $$
DECLARE
    v jsonb := obj -> key;
BEGIN
    IF jsonb_typeof(v) = 'string' AND btrim(v #>> '{}') ~ '^[+-]?[0-9]{1,18}$' THEN
        v := to_jsonb(btrim(v #>> '{}')::numeric);
    END IF;
    RETURN helpdesk.field_int(jsonb_build_object(key, v), key, required);
END
$$;

-- The uploaded file's description, which must have come in the part named `field`.
CREATE FUNCTION helpdesk.upload_file(req jsonb, field text)
RETURNS jsonb
LANGUAGE plpgsql STABLE
AS $$
DECLARE
    f jsonb := req -> 'file';
BEGIN
    IF f IS NULL OR jsonb_typeof(f) <> 'object' THEN
        PERFORM helpdesk.http_error(400, 'No file uploaded');
    END IF;
    IF f ->> 'field' IS DISTINCT FROM field THEN
        PERFORM helpdesk.validation_error(format('property %s should not exist', f ->> 'field'));
    END IF;
    RETURN f;
END
$$;

-- POST /attachments/upload (multipart: file, ticketId)
CREATE FUNCTION helpdesk_api.attachments_upload(req jsonb, content bytea)
RETURNS jsonb
LANGUAGE plpgsql
AS $$
DECLARE
    actor     helpdesk.users := helpdesk.current_actor();
    b         jsonb := helpdesk.body(req, 'ticketId');
    ticket_id int := helpdesk.form_field_int(b, 'ticketId', true);
    f         jsonb := helpdesk.upload_file(req, 'file');
    a         helpdesk.attachments;
BEGIN
    a := helpdesk.attachment_add(actor, ticket_id, f ->> 'originalName', f ->> 'mimeType', content);
    RETURN helpdesk.attachment_json(a);
END
$$;

-- GET /attachments?ticketId=
CREATE FUNCTION helpdesk_api.attachments_list(req jsonb)
RETURNS jsonb
LANGUAGE plpgsql STABLE
AS $$
DECLARE
    actor     helpdesk.users := helpdesk.current_actor();
    ticket_id int := helpdesk.query_int(req, 'ticketId', NULL, 1);
BEGIN
    RETURN (SELECT coalesce(jsonb_agg(helpdesk.attachment_json(a) ORDER BY a.created_at DESC, a.id DESC), '[]')
            FROM helpdesk.attachments_of(actor, ticket_id) a);
END
$$;

-- GET /attachments/:id
CREATE FUNCTION helpdesk_api.attachments_get(req jsonb)
RETURNS jsonb
LANGUAGE plpgsql STABLE
AS $$
DECLARE
    actor helpdesk.users := helpdesk.current_actor();
BEGIN
    RETURN helpdesk.attachment_json(helpdesk.visible_attachment(actor, helpdesk.path_int(req)));
END
$$;

-- GET /attachments/:id/download (response kind `file`)
CREATE FUNCTION helpdesk_api.attachments_download(req jsonb)
RETURNS helpdesk.file_download
LANGUAGE plpgsql STABLE
AS $$
DECLARE
    actor helpdesk.users := helpdesk.current_actor();
BEGIN
    RETURN helpdesk.attachment_file(actor, helpdesk.path_int(req));
END
$$;

-- DELETE /attachments/:id
CREATE FUNCTION helpdesk_api.attachments_delete(req jsonb)
RETURNS jsonb
LANGUAGE plpgsql
AS $$
DECLARE
    actor helpdesk.users := helpdesk.current_actor();
BEGIN
    PERFORM helpdesk.attachment_delete(actor, helpdesk.path_int(req));
    RETURN jsonb_build_object('message', 'Attachment deleted successfully');
END
$$;
