-- Attachments: storage with the row and its history in one transaction, visibility through the
-- ticket (404 for who cannot see it), who may delete, names cleaned for headers, the DTO, and
-- the upload route's reading of its form.
\set SHOW_CONTEXT never

SELECT setval('helpdesk.users_id_seq', coalesce((SELECT max(id) FROM helpdesk.users), 0) + 1, false) AS seq,
       setval('helpdesk.categories_id_seq', coalesce((SELECT max(id) FROM helpdesk.categories), 0) + 1, false) AS seq,
       setval('helpdesk.tickets_id_seq', coalesce((SELECT max(id) FROM helpdesk.tickets), 0) + 1, false) AS seq \gset

INSERT INTO helpdesk.users (username, email, password_hash, full_name, role) VALUES
    ('a_admin', 'a_admin@example.com', '$2a$04$regressregressregressre', 'Attach Admin', 'Admin'),
    ('a_staff', 'a_staff@example.com', '$2a$04$regressregressregressre', 'Attach Staff', 'IT_Staff'),
    ('a_staff2', 'a_staff2@example.com', '$2a$04$regressregressregressre', 'Attach Staff Two', 'IT_Staff'),
    ('a_emp', 'a_emp@example.com', '$2a$04$regressregressregressre', 'Attach Employee', 'Employee'),
    ('a_emp2', 'a_emp2@example.com', '$2a$04$regressregressregressre', 'Attach Other Employee', 'Employee');
SELECT id AS admin FROM helpdesk.users WHERE username = 'a_admin' \gset
SELECT id AS staff FROM helpdesk.users WHERE username = 'a_staff' \gset
SELECT id AS staff2 FROM helpdesk.users WHERE username = 'a_staff2' \gset
SELECT id AS emp FROM helpdesk.users WHERE username = 'a_emp' \gset
SELECT id AS emp2 FROM helpdesk.users WHERE username = 'a_emp2' \gset
INSERT INTO helpdesk.categories (name) VALUES ('Attach Cat');
SELECT id AS cat FROM helpdesk.categories WHERE name = 'Attach Cat' \gset
INSERT INTO helpdesk.tickets (ticket_number, title, description, category_id, submitter_id, assignee_id, status)
VALUES ('ATT-0001', 'Scanner jams', 'Every page', :cat, :emp, :staff, 'Assigned'),
       ('ATT-0002', 'Other desk', 'Not a_emp''s', :cat, :emp2, NULL, 'New');
SELECT id AS t1 FROM helpdesk.tickets WHERE ticket_number = 'ATT-0001' \gset
SELECT id AS t2 FROM helpdesk.tickets WHERE ticket_number = 'ATT-0002' \gset

-- A domain call, or its SQLSTATE and message (ids masked).
CREATE FUNCTION pg_temp.try(expr text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE st text; msg text; result text;
BEGIN
    EXECUTE 'SELECT (' || expr || ')::text' INTO result;
    RETURN coalesce(result, '<null>');
EXCEPTION WHEN OTHERS THEN
    GET STACKED DIAGNOSTICS st = RETURNED_SQLSTATE, msg = MESSAGE_TEXT;
    RETURN format('%s %s', st, regexp_replace(msg, 'ID [0-9]+ ', 'ID <id> '));
END $$;
-- A route called as `actor`: its value, or its HTTP status and message.
CREATE FUNCTION pg_temp.call(fn text, actor int, req jsonb, content bytea DEFAULT NULL) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE st text; msg text; det text; result jsonb;
BEGIN
    PERFORM set_config('helpdesk.actor_id', coalesce(actor::text, ''), true);
    IF fn = 'attachments_upload' THEN
        result := helpdesk_api.attachments_upload(req, content);
    ELSE
        EXECUTE format('SELECT helpdesk_api.%I($1)', fn) INTO result USING req;
    END IF;
    RETURN result;
EXCEPTION WHEN OTHERS THEN
    GET STACKED DIAGNOSTICS st = RETURNED_SQLSTATE, msg = MESSAGE_TEXT, det = PG_EXCEPTION_DETAIL;
    RETURN jsonb_build_object('error', st, 'message', regexp_replace(msg, 'ID [0-9]+ ', 'ID <id> '))
           || CASE WHEN det <> '' THEN jsonb_build_object('details', det::jsonb) ELSE '{}' END;
END $$;
CREATE FUNCTION pg_temp.u(name text) RETURNS helpdesk.users LANGUAGE sql AS $$
    SELECT * FROM helpdesk.users WHERE username = name $$;
-- The upload route's document: the form's fields and its file as helpdesk-http describes it.
CREATE FUNCTION pg_temp.form(fields jsonb, file jsonb DEFAULT NULL) RETURNS jsonb LANGUAGE sql AS $$
    SELECT jsonb_build_object('path', '{}'::jsonb, 'query', '{}'::jsonb, 'body', fields, 'args', NULL, 'file', file) $$;
CREATE FUNCTION pg_temp.file(name text, mime text DEFAULT 'text/plain', field text DEFAULT 'file') RETURNS jsonb
LANGUAGE sql AS $$ SELECT jsonb_build_object('field', field, 'originalName', name, 'mimeType', mime, 'size', 0) $$;
-- DTO without what changes from run to run (id, ticket, stored name, time).
CREATE FUNCTION pg_temp.shape(j jsonb) RETURNS jsonb LANGUAGE sql AS $$
    SELECT CASE WHEN j ? 'error' THEN j ELSE
        j - 'id' - 'ticketId' - 'fileName' - 'createdAt' - 'uploadedBy'
          || jsonb_build_object('byEmp', (j ->> 'uploadedBy')::int = (SELECT id FROM helpdesk.users WHERE username = 'a_emp'))
    END $$;

-- Names, sizes and extensions as the reference shows them.
SELECT n AS given, helpdesk.attachment_name(n) AS kept
FROM unnest(ARRAY['report.pdf', 'C:\Users\me\report.pdf', '../../etc/passwd', E'tab\there\x01.txt',
                  'photo' || chr(8238) || 'gpj.exe', '  spaced  ', '..', '', 'báo cáo.pdf']) n;
SELECT length(helpdesk.attachment_name(repeat('x', 300) || '.pdf')) AS cut_length,
       right(helpdesk.attachment_name(repeat('x', 300) || '.pdf'), 5) AS keeps_extension;
SELECT b AS bytes, helpdesk.file_size_formatted(b) AS formatted
FROM unnest(ARRAY[0, 1, 1023, 1024, 1536, 1048576, 10485760, 1073741824]::bigint[]) b;
SELECT n AS name, helpdesk.file_extension(n) AS ext
FROM unnest(ARRAY['a.PDF', 'archive.tar.gz', 'README', '.bashrc', 'x.']) n;

-- Adding: whoever sees the ticket; the row, its bytes and its history in one go.
SELECT pg_temp.try(format($$helpdesk.attachment_add(pg_temp.u('a_emp'), %s, 'notes.txt', 'text/plain',
                                                      'hello'::bytea, '2026-03-02 09:15:00.123+00')$$, :t1)) IS NOT NULL AS added;
SELECT a.original_name, a.file_size, a.mime_type, a.sha256 = sha256('hello'::bytea) AS sha256_of_bytes,
       a.file_name ~ '^1772442900123-[0-9a-f-]{36}\.txt$' AS stored_name, c.content = 'hello'::bytea AS bytes_kept
FROM helpdesk.attachments a JOIN helpdesk.attachment_contents c ON c.attachment_id = a.id
WHERE a.ticket_id = :t1;
SELECT action, field_name, new_value, description, user_id = :emp AS by_uploader
FROM helpdesk.ticket_history WHERE ticket_id = :t1 AND action = 'attachment_added';
SELECT id AS a1 FROM helpdesk.attachments WHERE ticket_id = :t1 \gset

-- Who cannot see the ticket: "not found", never "forbidden"; bad content; nothing stored.
SELECT pg_temp.try(format($$helpdesk.attachment_add(pg_temp.u('a_emp2'), %s, 'x.txt', 'text/plain', 'x')$$, :t1));
SELECT pg_temp.try($$helpdesk.attachment_add(pg_temp.u('a_emp'), 2147483647, 'x.txt', 'text/plain', 'x')$$);
SELECT pg_temp.try(format($$helpdesk.attachment_add(pg_temp.u('a_emp'), %s, 'x.txt', 'text/plain', '')$$, :t1));
SELECT pg_temp.try(format($$helpdesk.attachment_add(pg_temp.u('a_emp'), %s, 'x.txt', 'text/plain', NULL)$$, :t1));
SELECT pg_temp.try(format($$helpdesk.attachment_add(pg_temp.u('a_emp'), %s, 'x.txt', E'text/plain\r\nX-Evil: 1', 'x')$$, :t1));
SELECT pg_temp.try(format($$helpdesk.attachment_add(pg_temp.u('a_emp'), %s, 'x.txt', NULL, 'x')$$, :t1));
SELECT count(*) AS attachments, (SELECT count(*) FROM helpdesk.attachment_contents) AS contents
FROM helpdesk.attachments;
-- The table refuses what the functions refuse, whoever writes.
\set VERBOSITY terse
INSERT INTO helpdesk.attachments (ticket_id, file_name, original_name, file_size, mime_type, sha256, uploaded_by)
VALUES (:t1, 'x', 'x', 1, 'Text/Plain; charset=utf-8', sha256('x'), :emp);
INSERT INTO helpdesk.attachments (ticket_id, file_name, original_name, file_size, mime_type, sha256, uploaded_by)
VALUES (:t1, 'x', 'x', 0, 'text/plain', sha256('x'), :emp);
INSERT INTO helpdesk.attachments (ticket_id, file_name, original_name, file_size, mime_type, sha256, uploaded_by)
VALUES (:t1, 'x', 'x', 1, 'text/plain', '\x00', :emp);
\set VERBOSITY default

-- Reading: visible to the submitter and staff; 404 for another employee.
SELECT u AS reader, pg_temp.try(format('(helpdesk.visible_attachment(pg_temp.u(%L), %s)).original_name', u, :a1)) AS result
FROM unnest(ARRAY['a_emp', 'a_staff', 'a_admin', 'a_emp2']) u;
SELECT pg_temp.try('helpdesk.visible_attachment(pg_temp.u(''a_staff''), 2147483647)');
SELECT pg_temp.try(format('helpdesk.attachment_file(pg_temp.u(%L), %s)', 'a_staff', :a1));
SELECT pg_temp.try(format('helpdesk.attachment_file(pg_temp.u(%L), %s)', 'a_emp2', :a1));

-- Lists: one ticket's (404 when not visible), or everything the caller may see, newest first.
SELECT (helpdesk.attachment_add(pg_temp.u('a_emp2'), :t2, 'theirs.txt', 'text/plain', 'theirs', '2026-03-02 10:00+00')).id IS NOT NULL AS added;
SELECT (helpdesk.attachment_add(pg_temp.u('a_staff'), :t1, 'later.png', 'image/png', '\x89504e47', '2026-03-02 11:00+00')).id IS NOT NULL AS added;
SELECT u AS reader, string_agg(a.original_name, ', ' ORDER BY a.created_at DESC) AS sees
FROM unnest(ARRAY['a_emp', 'a_emp2', 'a_staff']) u, helpdesk.attachments_of(pg_temp.u(u)) a
WHERE a.ticket_id IN (:t1, :t2)
GROUP BY u ORDER BY u;
SELECT string_agg(a.original_name, ', ') AS t1_for_emp FROM helpdesk.attachments_of(pg_temp.u('a_emp'), :t1) a;
SELECT pg_temp.try(format('(SELECT count(*) FROM helpdesk.attachments_of(pg_temp.u(%L), %s))', 'a_emp2', :t1));

-- Deleting: the uploader or an Admin (among those who see the ticket).
SELECT id AS a_later FROM helpdesk.attachments WHERE original_name = 'later.png' \gset
SELECT pg_temp.try(format('helpdesk.attachment_delete(pg_temp.u(%L), %s)', 'a_staff2', :a1)) AS other_staff,
       pg_temp.try(format('helpdesk.attachment_delete(pg_temp.u(%L), %s)', 'a_staff', :a1)) AS assignee,
       pg_temp.try(format('helpdesk.attachment_delete(pg_temp.u(%L), %s)', 'a_emp2', :a1)) AS other_employee,
       pg_temp.try(format('helpdesk.attachment_delete(pg_temp.u(%L), %s)', 'a_emp', :a_later)) AS employee_not_uploader;
SELECT pg_temp.try(format('helpdesk.attachment_delete(pg_temp.u(%L), %s)', 'a_emp', :a1)) AS uploader,
       pg_temp.try(format('helpdesk.attachment_delete(pg_temp.u(%L), %s)', 'a_admin', :a_later)) AS admin;
SELECT count(*) AS left_on_t1, (SELECT count(*) FROM helpdesk.attachment_contents c
                                WHERE c.attachment_id IN (:a1, :a_later)) AS contents_left
FROM helpdesk.attachments WHERE ticket_id = :t1;
-- An uploader who can no longer see the ticket cannot delete (404).
SELECT (helpdesk.attachment_add(pg_temp.u('a_staff2'), :t1, 'mine.txt', 'text/plain', 'mine')).id AS a_mine \gset
UPDATE helpdesk.users SET role = 'Employee' WHERE username = 'a_staff2';
SELECT pg_temp.try(format('helpdesk.attachment_delete(pg_temp.u(%L), %s)', 'a_staff2', :a_mine)) AS demoted_uploader;
UPDATE helpdesk.users SET role = 'IT_Staff' WHERE username = 'a_staff2';
SELECT pg_temp.try(format('helpdesk.attachment_delete(pg_temp.u(%L), %s)', 'a_staff2', :a_mine)) AS staff_again;

-- A row without its bytes (written by hand): the reference's "File not found on server".
INSERT INTO helpdesk.attachments (ticket_id, file_name, original_name, file_size, mime_type, sha256, uploaded_by)
VALUES (:t1, 'lost', 'lost.txt', 1, 'text/plain', sha256('x'), :staff) RETURNING id AS a_lost \gset
SELECT pg_temp.try(format('helpdesk.attachment_file(pg_temp.u(%L), %s)', 'a_staff', :a_lost));

-- The routes.
SELECT jsonb_pretty(pg_temp.shape(pg_temp.call('attachments_upload', :emp,
                                               pg_temp.form(jsonb_build_object('ticketId', :t1::text),
                                                            pg_temp.file('Scan 01.PNG', 'image/png')),
                                               '\x89504e470d0a1a0a'))) AS uploaded;
SELECT label, pg_temp.shape(pg_temp.call('attachments_upload', :emp,
                                         pg_temp.form(jsonb_build_object('ticketId', v), pg_temp.file('a.txt')),
                                         'a')) ->> 'originalName' AS result
FROM (VALUES ('"<t1>"', :t1::text), ('" <t1> "', ' ' || :t1 || ' '), ('"+<t1>"', '+' || :t1)) f(label, v);
SELECT label, pg_temp.call('attachments_upload', :emp, f::jsonb, 'a') AS result
FROM (VALUES
    ('ticketId abc', format('{"body": {"ticketId": "abc"}, "file": %s}', pg_temp.file('a.txt'))),
    ('ticketId 1.5', format('{"body": {"ticketId": "1.5"}, "file": %s}', pg_temp.file('a.txt'))),
    ('ticketId empty', format('{"body": {"ticketId": ""}, "file": %s}', pg_temp.file('a.txt'))),
    ('no ticketId', format('{"body": {}, "file": %s}', pg_temp.file('a.txt'))),
    ('ticketId too large', format('{"body": {"ticketId": "99999999999"}, "file": %s}', pg_temp.file('a.txt'))),
    ('another field', format('{"body": {"ticketId": "%s", "note": "x"}, "file": %s}', :t1, pg_temp.file('a.txt'))),
    ('no file', format('{"body": {"ticketId": "%s"}, "file": null}', :t1)),
    ('file in another part', format('{"body": {"ticketId": "%s"}, "file": %s}', :t1, pg_temp.file('a.txt', 'text/plain', 'upload'))),
    ('ticket not visible', format('{"body": {"ticketId": "%s"}, "file": %s}', :t2, pg_temp.file('a.txt')))) t(label, f);
SELECT pg_temp.call('attachments_upload', NULL, pg_temp.form(jsonb_build_object('ticketId', :t1::text), pg_temp.file('a.txt')), 'a');
SELECT jsonb_array_length(pg_temp.call('attachments_list', :emp, jsonb_build_object('query', jsonb_build_object('ticketId', :t1::text)))) AS emp_sees,
       pg_temp.call('attachments_list', :emp2, jsonb_build_object('query', jsonb_build_object('ticketId', :t1::text))) AS emp2_sees,
       pg_temp.call('attachments_list', :emp2, '{"query": {"ticketId": "x"}}') AS bad_query;
SELECT (helpdesk.attachment_add(pg_temp.u('a_emp'), :t1, 'route.txt', 'text/plain', 'route')).id AS a_route \gset
SELECT pg_temp.shape(pg_temp.call('attachments_get', :staff, jsonb_build_object('path', jsonb_build_object('id', :a_route)))) ->> 'originalName' AS staff_reads,
       pg_temp.call('attachments_get', :emp2, jsonb_build_object('path', jsonb_build_object('id', :a_route))) AS emp2_reads;
SELECT (helpdesk_api.attachments_download(jsonb_build_object('path', jsonb_build_object('id', :a_route)))).*
FROM (SELECT set_config('helpdesk.actor_id', :staff::text, false)) s;
RESET helpdesk.actor_id;
SELECT pg_temp.call('attachments_delete', :staff2, jsonb_build_object('path', jsonb_build_object('id', :a_route))) AS staff2_deletes,
       pg_temp.call('attachments_delete', :admin, jsonb_build_object('path', jsonb_build_object('id', :a_route))) AS admin_deletes;

-- A deleted ticket takes its files.
SELECT count(*) > 0 AS has_files FROM helpdesk.attachments WHERE ticket_id = :t1;
DELETE FROM helpdesk.tickets WHERE id = :t1;
SELECT count(*) AS files_left, (SELECT count(*) FROM helpdesk.attachment_contents c
                                WHERE NOT EXISTS (SELECT FROM helpdesk.attachments a WHERE a.id = c.attachment_id)) AS orphans
FROM helpdesk.attachments WHERE ticket_id = :t1;
