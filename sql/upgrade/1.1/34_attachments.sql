-- 34_attachments, 1.0 to 1.1: the attachments module (its routes, storage of the bytes, rules).

-- What a route of response kind `file` returns (docs/REQUEST-CONTRACT.md): helpdesk-http sends
-- content with Content-Type mime_type and Content-Disposition: attachment naming file_name.
CREATE TYPE helpdesk.file_download AS (
    mime_type text,
    file_name text,
    content   bytea
);

-- Media types as they may appear in a header: type/subtype, RFC 6838 characters, lower case.
CREATE FUNCTION helpdesk.is_media_type(mime text)
RETURNS boolean
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
AS $$ SELECT mime ~ '^[a-z0-9][a-z0-9!#$&^_.+-]{0,63}/[a-z0-9][a-z0-9!#$&^_.+-]{0,63}$' $$;

-- The table 1.0 created without a place for the bytes: file_path no longer required (the bytes
-- are in the database), a SHA-256 always, and the checks of a fresh install (same constraint
-- names). 1.0 had no route that stored an attachment; a row a DBA added by hand without sha256
-- stops the upgrade, which names it.
ALTER TABLE helpdesk.attachments ALTER COLUMN file_path DROP NOT NULL;
ALTER TABLE helpdesk.attachments ALTER COLUMN sha256 SET NOT NULL;
ALTER TABLE helpdesk.attachments DROP CONSTRAINT attachments_file_size_check;
ALTER TABLE helpdesk.attachments
    ADD CONSTRAINT attachments_file_size_check CHECK (file_size > 0),
    ADD CONSTRAINT attachments_original_name_check CHECK (original_name <> ''),
    ADD CONSTRAINT attachments_mime_type_check CHECK (helpdesk.is_media_type(mime_type));

-- The bytes of each attachment. EXTERNAL: out of line without compression, since most allowed
-- types (images, PDF, zip, OOXML) are compressed already and pglz would spend CPU on every
-- upload for nothing.
CREATE TABLE helpdesk.attachment_contents (
    attachment_id int PRIMARY KEY REFERENCES helpdesk.attachments (id) ON DELETE CASCADE,
    content       bytea NOT NULL
);

ALTER TABLE helpdesk.attachment_contents ALTER COLUMN content SET STORAGE EXTERNAL;

SELECT pg_catalog.pg_extension_config_dump('helpdesk.attachment_contents', '');

-- The reference's fileSizeFormatted: 1024-based, at most 2 decimals, Bytes/KB/MB/GB.
CREATE FUNCTION helpdesk.file_size_formatted(bytes bigint)
RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
AS $$
    SELECT CASE WHEN bytes <= 0 THEN '0 Bytes' ELSE
        (SELECT pg_catalog.trim_scale(round(bytes / 1024.0 ^ i, 2))::text || ' '
                || (ARRAY['Bytes', 'KB', 'MB', 'GB'])[i + 1]
         FROM (SELECT least(floor(ln(bytes) / ln(1024))::int, 3) AS i) e)
    END
$$;

-- The extension of a file name, lower case, without the dot ('' when there is none).
CREATE FUNCTION helpdesk.file_extension(name text)
RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
AS $$ SELECT coalesce(lower(substring(name FROM '^.+\.([^./\\]+)$')), '') $$;

-- A file name as stored: its last path segment (browsers of old sent the client's path), with
-- control characters (C0, DEL, C1) and bidirectional formatting characters (which can make
-- "photo<RLO>gpj.exe" read as "photoexe.jpg") removed, spaces trimmed, at most 255 characters
-- with the extension kept; 'file' when nothing is left.
CREATE FUNCTION helpdesk.attachment_name(name text)
RETURNS text
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
AS $$
DECLARE
    s   text := btrim(regexp_replace(
                   regexp_replace(coalesce(name, ''), '^.*[/\\]', ''),
                   '[\x01-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]', '', 'g'));
    ext text;
BEGIN
    IF s = '' OR s IN ('.', '..') THEN
        RETURN 'file';
    END IF;
    IF length(s) > 255 THEN
        ext := helpdesk.file_extension(s);
        IF ext <> '' AND length(ext) < 32 THEN
            s := btrim(left(s, 255 - length(ext) - 1)) || '.' || right(s, length(ext));
        ELSE
            s := btrim(left(s, 255));
        END IF;
    END IF;
    RETURN s;
END
$$;

-- The ticket of an attachment operation: visible_ticket's rule, but a ticket the actor may not
-- see is "not found" (404), as if it did not exist.
CREATE FUNCTION helpdesk.attachment_ticket(actor helpdesk.users, ticket_id int)
RETURNS helpdesk.tickets
LANGUAGE plpgsql
AS $$
BEGIN
    RETURN helpdesk.visible_ticket(actor, ticket_id);
EXCEPTION WHEN SQLSTATE 'HD403' THEN
    PERFORM helpdesk.http_error(404, format('Ticket with ID %s not found', ticket_id));
    RETURN NULL;
END
$$;

-- An attachment `actor` may see (its ticket is visible to them), else 404.
CREATE FUNCTION helpdesk.visible_attachment(actor helpdesk.users, attachment_id int,
                                            for_update boolean DEFAULT false)
RETURNS helpdesk.attachments
LANGUAGE plpgsql
AS $$
DECLARE
    a helpdesk.attachments;
BEGIN
    IF for_update THEN
        SELECT * INTO a FROM helpdesk.attachments WHERE id = attachment_id FOR UPDATE;
    ELSE
        SELECT * INTO a FROM helpdesk.attachments WHERE id = attachment_id;
    END IF;
    IF FOUND THEN
        BEGIN
            PERFORM helpdesk.visible_ticket(actor, a.ticket_id);
            RETURN a;
        EXCEPTION WHEN SQLSTATE 'HD403' THEN
            NULL; -- not theirs to see: as missing
        END;
    END IF;
    PERFORM helpdesk.http_error(404, format('Attachment with ID %s not found', attachment_id));
    RETURN NULL;
END
$$;

-- Attach `content` to a ticket as `actor`. mime_type is the type judged from the content by the
-- caller (helpdesk-http: libmagic); original_name is what the user called the file.
CREATE FUNCTION helpdesk.attachment_add(actor helpdesk.users, ticket_id int, original_name text,
                                        mime_type text, content bytea, at timestamptz DEFAULT now())
RETURNS helpdesk.attachments
LANGUAGE plpgsql
AS $$
DECLARE
    t    helpdesk.tickets := helpdesk.attachment_ticket(actor, ticket_id);
    name text := helpdesk.attachment_name(original_name);
    ext  text := helpdesk.file_extension(name);
    a    helpdesk.attachments;
BEGIN
    IF content IS NULL OR length(content) = 0 THEN
        PERFORM helpdesk.http_error(400, 'File is empty');
    END IF;
    IF mime_type IS NULL OR NOT helpdesk.is_media_type(lower(mime_type)) THEN
        PERFORM helpdesk.http_error(400, 'Invalid file type');
    END IF;
    -- The ticket is kept from being deleted until this commits (a delete waits, then takes the
    -- file with it); a delete that came first is waited for, and then the ticket is gone: 404,
    -- never a foreign-key error (tests/isolation/specs/attachment_ticket_delete.spec).
    PERFORM FROM helpdesk.tickets x WHERE x.id = t.id FOR KEY SHARE;
    IF NOT FOUND THEN
        PERFORM helpdesk.http_error(404, format('Ticket with ID %s not found', ticket_id));
    END IF;
    INSERT INTO helpdesk.attachments (ticket_id, file_name, original_name, file_size, mime_type, sha256,
                                      uploaded_by, created_at)
    VALUES (t.id,
            format('%s-%s%s', floor(extract(epoch FROM at) * 1000)::bigint, gen_random_uuid(),
                   CASE WHEN ext <> '' AND ext ~ '^[a-z0-9]{1,16}$' THEN '.' || ext ELSE '' END),
            name, length(content), lower(mime_type), sha256(content), actor.id, at)
    RETURNING * INTO a;
    INSERT INTO helpdesk.attachment_contents (attachment_id, content) VALUES (a.id, content);
    RETURN a;
END
$$;

-- Delete an attachment: its uploader or an Admin, among those who can see its ticket.
CREATE FUNCTION helpdesk.attachment_delete(actor helpdesk.users, attachment_id int)
RETURNS void
LANGUAGE plpgsql
AS $$
DECLARE
    a helpdesk.attachments := helpdesk.visible_attachment(actor, attachment_id, true);
BEGIN
    IF a.uploaded_by <> actor.id AND actor.role <> 'Admin' THEN
        PERFORM helpdesk.http_error(403, 'You do not have permission to delete this attachment');
    END IF;
    DELETE FROM helpdesk.attachments WHERE id = a.id; -- the content goes with it (CASCADE)
END
$$;

-- The attachments `actor` may see, newest first: those of one ticket (404 when it is not
-- visible), or, without a ticket, those of every ticket they may see (visible_ticket's rule:
-- staff see all tickets, an Employee the tickets they submitted).
CREATE FUNCTION helpdesk.attachments_of(actor helpdesk.users, ticket_id int DEFAULT NULL)
RETURNS SETOF helpdesk.attachments
LANGUAGE plpgsql STABLE
AS $$
BEGIN
    IF ticket_id IS NOT NULL THEN
        PERFORM helpdesk.attachment_ticket(actor, ticket_id);
        RETURN QUERY
            SELECT a.* FROM helpdesk.attachments a
            WHERE a.ticket_id = attachments_of.ticket_id
            ORDER BY a.created_at DESC, a.id DESC;
    ELSE
        RETURN QUERY
            SELECT a.* FROM helpdesk.attachments a
            JOIN helpdesk.tickets t ON t.id = a.ticket_id
            WHERE helpdesk.is_staff(actor) OR t.submitter_id = actor.id
            ORDER BY a.created_at DESC, a.id DESC;
    END IF;
END
$$;

-- The file of an attachment `actor` may see, for download. An attachment row without its bytes
-- (written by hand, without attachment_add) is the reference's "File not found on server".
CREATE FUNCTION helpdesk.attachment_file(actor helpdesk.users, attachment_id int)
RETURNS helpdesk.file_download
LANGUAGE plpgsql STABLE
AS $$
DECLARE
    a helpdesk.attachments := helpdesk.visible_attachment(actor, attachment_id);
    f helpdesk.file_download;
BEGIN
    SELECT a.mime_type, a.original_name, c.content INTO f
    FROM helpdesk.attachment_contents c WHERE c.attachment_id = a.id;
    IF NOT FOUND THEN
        PERFORM helpdesk.http_error(404, 'File not found on server');
    END IF;
    RETURN f;
END
$$;

-- The attachment DTO of the reference (never a path), plus the SHA-256 of the bytes in hex.
CREATE FUNCTION helpdesk.attachment_json(a helpdesk.attachments)
RETURNS jsonb
LANGUAGE sql STABLE
AS $$
    SELECT jsonb_build_object(
        'id', a.id, 'ticketId', a.ticket_id, 'fileName', a.file_name, 'originalName', a.original_name,
        'mimeType', a.mime_type, 'fileSize', a.file_size,
        'fileSizeFormatted', helpdesk.file_size_formatted(a.file_size),
        'fileExtension', helpdesk.file_extension(a.original_name),
        'uploadedBy', a.uploaded_by,
        'isImage', a.mime_type LIKE 'image/%',
        'isPdf', a.mime_type = 'application/pdf',
        'isDocument', a.mime_type IN ('application/pdf', 'application/msword',
                                      'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
                                      'application/vnd.ms-excel',
                                      'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
                                      'text/plain'),
        'sha256', encode(a.sha256, 'hex'),
        'createdAt', helpdesk.iso(a.created_at))
$$;
