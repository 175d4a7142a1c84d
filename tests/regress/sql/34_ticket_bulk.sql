-- Bulk operations: the single routes' rules per item, each item all or nothing (its own
-- subtransaction), per-item reports {success, failed, errors}, request order, duplicates once.
\set SHOW_CONTEXT never
\set VERBOSITY terse
SET timezone = 'UTC';

SELECT setval('helpdesk.users_id_seq', (SELECT max(id) FROM helpdesk.users)) IS NOT NULL AS seq_moved
FROM helpdesk.users HAVING count(*) > 0;
INSERT INTO helpdesk.users (username, email, password_hash, full_name, role, is_active) VALUES
    ('bk_admin', 'bk_admin@example.com', helpdesk.hash_password('x'), 'BK Admin', 'Admin', true),
    ('bk_staff', 'bk_staff@example.com', helpdesk.hash_password('x'), 'BK Staff', 'IT_Staff', true),
    ('bk_idle', 'bk_idle@example.com', helpdesk.hash_password('x'), 'BK Inactive Staff', 'IT_Staff', false),
    ('bk_emp', 'bk_emp@example.com', helpdesk.hash_password('x'), 'BK Employee', 'Employee', true),
    ('bk_emp2', 'bk_emp2@example.com', helpdesk.hash_password('x'), 'BK Other', 'Employee', true);
INSERT INTO helpdesk.categories (name) VALUES ('BK Bulk');

CREATE FUNCTION pg_temp.uid(name text) RETURNS int LANGUAGE sql AS $$
    SELECT id FROM helpdesk.users WHERE username = name $$;
-- Tickets named by title; `who` submits, status set directly.
CREATE FUNCTION pg_temp.mk(title text, status helpdesk.ticket_status DEFAULT 'New', who text DEFAULT 'bk_emp')
RETURNS int LANGUAGE plpgsql AS $$
DECLARE t helpdesk.tickets;
BEGIN
    SELECT x.* INTO t FROM helpdesk.users u, helpdesk.categories c,
        LATERAL helpdesk.ticket_create(u, title, 'Bulk operation test', c.id, 'Medium') x
    WHERE u.username = who AND c.name = 'BK Bulk';
    UPDATE helpdesk.tickets SET status = mk.status,
        resolved_at = CASE WHEN mk.status IN ('Resolved', 'Closed') THEN now() END,
        closed_at = CASE WHEN mk.status = 'Closed' THEN now() END
    WHERE id = t.id;
    RETURN t.id;
END $$;
CREATE FUNCTION pg_temp.tid(t text) RETURNS int LANGUAGE sql AS $$ SELECT id FROM helpdesk.tickets WHERE title = t $$;
-- Calls a bulk route as `who` with ticket titles; ids in the report are shown as titles.
CREATE FUNCTION pg_temp.bulk(fn text, who text, titles text[], extra jsonb DEFAULT '{}') RETURNS text
LANGUAGE plpgsql AS $$
DECLARE j jsonb; ids jsonb; st text; msg text; r text;
BEGIN
    SELECT jsonb_agg(coalesce(pg_temp.tid(x), 2147483647) ORDER BY n) INTO ids FROM unnest(titles) WITH ORDINALITY u(x, n);
    PERFORM set_config('helpdesk.actor_id', pg_temp.uid(who)::text, false);
    EXECUTE format('SELECT helpdesk_api.%I($1)', fn) INTO j USING jsonb_build_object('body', extra || jsonb_build_object('ticketIds', ids));
    r := j::text;
    FOR st IN SELECT x FROM unnest(titles) x WHERE pg_temp.tid(x) IS NOT NULL LOOP
        r := replace(r, 'Ticket ' || pg_temp.tid(st) || ':', 'Ticket "' || st || '":');
    END LOOP;
    RETURN r;
EXCEPTION WHEN OTHERS THEN
    GET STACKED DIAGNOSTICS st = RETURNED_SQLSTATE, msg = MESSAGE_TEXT;
    RETURN st || ' ' || msg;
END $$;
CREATE FUNCTION pg_temp.state(titles text[]) RETURNS TABLE (title text, status helpdesk.ticket_status, assignee text)
LANGUAGE sql AS $$
    SELECT t.title, t.status, u.username FROM unnest(titles) WITH ORDINALITY x(title, n)
    JOIN helpdesk.tickets t ON t.title = x.title LEFT JOIN helpdesk.users u ON u.id = t.assignee_id ORDER BY x.n $$;

SELECT count(pg_temp.mk(t, s::helpdesk.ticket_status, w)) AS made FROM (VALUES
    ('b-new-1', 'New', 'bk_emp'), ('b-new-2', 'New', 'bk_emp'), ('b-progress', 'In Progress', 'bk_emp'),
    ('b-pending', 'Pending', 'bk_emp'), ('b-resolved', 'Resolved', 'bk_emp'), ('b-closed', 'Closed', 'bk_emp'),
    ('b-theirs', 'New', 'bk_emp2')) v(t, s, w);

-- bulk-assign: the assign rules per item (New, Assigned, In Progress -> Assigned; others refused)
SELECT pg_temp.bulk('tickets_bulk_assign', 'bk_staff',
                    ARRAY['b-new-1', 'b-closed', 'b-progress', 'missing', 'b-new-1', 'b-pending'],
                    jsonb_build_object('assigneeId', pg_temp.uid('bk_staff'))) AS bulk_assign;
SELECT * FROM pg_temp.state(ARRAY['b-new-1', 'b-closed', 'b-progress', 'b-pending']);
-- the assignee is checked once for the whole request
SELECT pg_temp.bulk('tickets_bulk_assign', 'bk_staff', ARRAY['b-new-2'], jsonb_build_object('assigneeId', pg_temp.uid('bk_emp'))) AS to_employee,
       pg_temp.bulk('tickets_bulk_assign', 'bk_staff', ARRAY['b-new-2'], jsonb_build_object('assigneeId', pg_temp.uid('bk_idle'))) AS to_inactive,
       pg_temp.bulk('tickets_bulk_assign', 'bk_staff', ARRAY['b-new-2'], '{"assigneeId": 2147483647}') AS to_nobody,
       pg_temp.bulk('tickets_bulk_assign', 'bk_emp', ARRAY['b-new-2'], jsonb_build_object('assigneeId', pg_temp.uid('bk_staff'))) AS by_employee;

-- bulk-status: the transition table per item
SELECT pg_temp.bulk('tickets_bulk_status', 'bk_staff', ARRAY['b-new-2', 'b-progress', 'b-pending', 'b-closed'],
                    '{"status": "Resolved"}') AS bulk_status;
SELECT * FROM pg_temp.state(ARRAY['b-new-2', 'b-progress', 'b-pending', 'b-closed']);
SELECT title, resolved_at IS NOT NULL AS resolved_at_set FROM helpdesk.tickets WHERE title IN ('b-progress', 'b-pending') ORDER BY title;
-- an Employee: own tickets only
SELECT pg_temp.bulk('tickets_bulk_status', 'bk_emp', ARRAY['b-new-2', 'b-theirs'], '{"status": "Closed"}') AS employee_bulk_status;
SELECT * FROM pg_temp.state(ARRAY['b-new-2', 'b-theirs']);

-- Each item is all or nothing: a failure after an item's first change undoes that item only.
-- (A trigger refuses the move to Assigned for one ticket, after ticket_assign has set its assignee.)
SELECT pg_temp.mk('b-explodes') IS NOT NULL AND pg_temp.mk('b-fine') IS NOT NULL AS made;
CREATE FUNCTION pg_temp.refuse() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.title = 'b-explodes' AND NEW.status = 'Assigned' THEN
        PERFORM helpdesk.http_error(409, 'Refused by a test trigger');
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER zz_refuse BEFORE UPDATE ON helpdesk.tickets FOR EACH ROW EXECUTE FUNCTION pg_temp.refuse();
SELECT pg_temp.bulk('tickets_bulk_assign', 'bk_admin', ARRAY['b-explodes', 'b-fine'],
                    jsonb_build_object('assigneeId', pg_temp.uid('bk_staff'))) AS partial_failure;
SELECT * FROM pg_temp.state(ARRAY['b-explodes', 'b-fine']);
DROP TRIGGER zz_refuse ON helpdesk.tickets;

-- bulk-delete: Admin; missing ones reported; deleted numbers are never handed out again
SELECT pg_temp.bulk('tickets_bulk_delete', 'bk_staff', ARRAY['b-new-1']) AS by_staff;
CREATE TEMP TABLE numbers AS SELECT ticket_number FROM helpdesk.tickets WHERE title IN ('b-new-1', 'b-theirs');
SELECT pg_temp.bulk('tickets_bulk_delete', 'bk_admin', ARRAY['b-new-1', 'missing', 'b-theirs']) AS bulk_delete;
SELECT count(*) AS left_of_them FROM helpdesk.tickets WHERE title IN ('b-new-1', 'b-theirs');
SELECT pg_temp.mk('b-after-delete') IS NOT NULL AS created;
SELECT (SELECT ticket_number FROM helpdesk.tickets WHERE title = 'b-after-delete') NOT IN (SELECT ticket_number FROM numbers) AS fresh_number;
SELECT action, details -> 'result' AS result FROM helpdesk.audit_logs
WHERE action = 'BULK_DELETE_TICKETS' AND user_id = pg_temp.uid('bk_admin');

-- Input checks (whole request refused).
CREATE FUNCTION pg_temp.raw(fn text, body jsonb) RETURNS text LANGUAGE plpgsql AS $$
DECLARE st text; msg text;
BEGIN
    PERFORM set_config('helpdesk.actor_id', pg_temp.uid('bk_admin')::text, false);
    EXECUTE format('SELECT helpdesk_api.%I($1)', fn) USING jsonb_build_object('body', body);
    RETURN 'ok';
EXCEPTION WHEN OTHERS THEN
    GET STACKED DIAGNOSTICS st = RETURNED_SQLSTATE, msg = MESSAGE_TEXT;
    RETURN st || ' ' || msg;
END $$;
SELECT fn, body, pg_temp.raw(fn, body::jsonb) AS result FROM (VALUES
    ('tickets_bulk_status', '{"ticketIds": [], "status": "Closed"}'),
    ('tickets_bulk_status', '{"ticketIds": [1.5], "status": "Closed"}'),
    ('tickets_bulk_status', '{"ticketIds": [0], "status": "Closed"}'),
    ('tickets_bulk_status', '{"ticketIds": "1", "status": "Closed"}'),
    ('tickets_bulk_status', '{"ticketIds": [1]}'),
    ('tickets_bulk_status', '{"ticketIds": [1], "status": "Archived"}'),
    ('tickets_bulk_assign', '{"ticketIds": [1]}'),
    ('tickets_bulk_delete', '{"ticketIds": [1], "force": true}'),
    ('tickets_bulk_delete', '{}')
) v(fn, body);
SELECT pg_temp.raw('tickets_bulk_delete', jsonb_build_object('ticketIds', (SELECT jsonb_agg(i) FROM generate_series(1, 1001) i))) AS too_many;
RESET timezone;
