-- Notifications stored once per event: "ticket created" is one row whatever the number of staff,
-- its readers decided when read (helpdesk.inbox), per-reader state written when a reader acts;
-- the domain functions of the routes; the stream's state. Fixed clocks throughout.
\set SHOW_CONTEXT never

SELECT setval('helpdesk.users_id_seq', coalesce((SELECT max(id) FROM helpdesk.users), 0) + 1, false) AS seq,
       setval('helpdesk.categories_id_seq', coalesce((SELECT max(id) FROM helpdesk.categories), 0) + 1, false) AS seq,
       setval('helpdesk.tickets_id_seq', coalesce((SELECT max(id) FROM helpdesk.tickets), 0) + 1, false) AS seq \gset

-- Only this test's users are active, so "every staff member" is a known list.
CREATE TABLE pg_temp.was_active AS SELECT id FROM helpdesk.users WHERE is_active;
UPDATE helpdesk.users SET is_active = false WHERE is_active;
INSERT INTO helpdesk.users (username, email, password_hash, full_name, role, is_active) VALUES
    ('r_admin', 'r_admin@example.com', '$2a$04$regressregressregressre', 'Rita Admin', 'Admin', true),
    ('r_staff', 'r_staff@example.com', '$2a$04$regressregressregressre', 'Ray Staff', 'IT_Staff', true),
    ('r_staff2', 'r_staff2@example.com', '$2a$04$regressregressregressre', 'Rob Staff', 'IT_Staff', true),
    ('r_emp', 'r_emp@example.com', '$2a$04$regressregressregressre', 'Ria Employee', 'Employee', true),
    ('r_late', 'r_late@example.com', '$2a$04$regressregressregressre', 'Lee Later', 'Employee', true);
SELECT id AS admin FROM helpdesk.users WHERE username = 'r_admin' \gset
SELECT id AS staff FROM helpdesk.users WHERE username = 'r_staff' \gset
SELECT id AS staff2 FROM helpdesk.users WHERE username = 'r_staff2' \gset
SELECT id AS emp FROM helpdesk.users WHERE username = 'r_emp' \gset
SELECT id AS late FROM helpdesk.users WHERE username = 'r_late' \gset
INSERT INTO helpdesk.categories (name) VALUES ('Inbox Cat');
SELECT id AS cat FROM helpdesk.categories WHERE name = 'Inbox Cat' \gset

-- Who reads what: username, type, message, read state, for every active user.
CREATE FUNCTION pg_temp.inboxes() RETURNS TABLE (username text, type text, message text, is_read boolean, read_at timestamptz)
LANGUAGE sql AS $$
    SELECT u.username::text, n.type::text, n.message, n.is_read, n.read_at
    FROM helpdesk.users u CROSS JOIN LATERAL helpdesk.inbox(u.id) n
    WHERE u.is_active AND u.username LIKE 'r\_%'
    ORDER BY 1, n.id
$$;
CREATE FUNCTION pg_temp.create_ticket(actor int, num text, title text) RETURNS int LANGUAGE plpgsql AS $$
DECLARE
    tid int;
BEGIN
    PERFORM set_config('helpdesk.actor_id', actor::text, true);
    INSERT INTO helpdesk.tickets (ticket_number, title, description, category_id, submitter_id)
    VALUES (num, title, 'x', (SELECT id FROM helpdesk.categories WHERE name = 'Inbox Cat'), actor) RETURNING id INTO tid;
    PERFORM set_config('helpdesk.actor_id', '', true);
    RETURN tid;
END $$;

-- A creation writes one row, whatever the number of staff; every staff member reads it.
SELECT count(*) AS rows_before FROM helpdesk.notifications \gset
SELECT pg_temp.create_ticket(:emp, 'TKT-2026-8001', 'Monitor flickers') AS t1 \gset
SELECT count(*) - :rows_before AS rows_written FROM helpdesk.notifications;
SELECT * FROM pg_temp.inboxes();
-- Ten more staff members: still one row per creation.
INSERT INTO helpdesk.users (username, email, password_hash, full_name, role)
SELECT 'r_many' || i, 'r_many' || i || '@example.com', '$2a$04$regressregressregressre', 'Many ' || i, 'IT_Staff'
FROM generate_series(1, 10) i;
SELECT count(*) AS rows_before FROM helpdesk.notifications \gset
SELECT pg_temp.create_ticket(:staff, 'TKT-2026-8002', 'Switch down') AS t2 \gset
SELECT count(*) - :rows_before AS rows_written FROM helpdesk.notifications;
UPDATE helpdesk.users SET is_active = false WHERE username LIKE 'r\_many%';
-- ... its creator (a staff member) does not read it.
SELECT * FROM pg_temp.inboxes();

-- A user who becomes staff later reads only what was created after; one demoted reads none;
-- one deactivated and activated again reads only what was created after.
UPDATE helpdesk.users SET role = 'IT_Staff' WHERE id = :late;
UPDATE helpdesk.users SET role = 'Employee' WHERE id = :staff2;
UPDATE helpdesk.users SET is_active = false WHERE id = :admin;
UPDATE helpdesk.users SET is_active = true WHERE id = :admin;
SELECT pg_temp.create_ticket(:emp, 'TKT-2026-8003', 'Keyboard missing keys') AS t3 \gset
SELECT * FROM pg_temp.inboxes();
UPDATE helpdesk.users SET role = 'IT_Staff' WHERE id = :staff2;

-- Reading: the API's shape, newest first, with the ticket.
SELECT helpdesk.notifications_list(u, false, 50) FROM helpdesk.users u WHERE u.id = :staff \gset list_
SELECT jsonb_array_length(:'list_notifications_list'::jsonb) AS listed,
       (:'list_notifications_list'::jsonb -> 0) - 'id' - 'userId' - 'createdAt' - 'ticketId' - 'ticket' AS newest,
       (:'list_notifications_list'::jsonb -> 0 -> 'ticket') - 'id' AS its_ticket;
SELECT helpdesk.notifications_unread_count(:staff) AS unread;

-- Read one broadcast: this reader's state only; reading again keeps the first time.
SELECT n.id AS n1 FROM helpdesk.inbox(:staff) n WHERE n.ticket_id = :t1 \gset
SELECT (helpdesk.notification_mark_read(u, :n1, '2026-03-02 09:00Z')) ->> 'readAt' AS read_at
FROM helpdesk.users u WHERE u.id = :staff;
SELECT (helpdesk.notification_mark_read(u, :n1, '2026-03-02 10:00Z')) ->> 'readAt' AS read_again
FROM helpdesk.users u WHERE u.id = :staff;
SELECT username, message, is_read, read_at FROM pg_temp.inboxes() WHERE type = 'ticket_created' AND message LIKE '%8001%';
-- Another user's notification is a 404.
SELECT helpdesk.notification_mark_read(u, :n1, '2026-03-02 09:00Z') FROM helpdesk.users u WHERE u.id = :emp;
SELECT helpdesk.notification_delete(u, :n1) FROM helpdesk.users u WHERE u.id = :emp;
-- A per-user row: the row itself.
INSERT INTO helpdesk.notifications (user_id, type, title, message, ticket_id)
VALUES (:staff, 'ticket_updated', 'Ticket Updated', 'Own row', :t1) RETURNING id AS own \gset
SELECT (helpdesk.notification_mark_read(u, :own, '2026-03-02 11:00Z')) - 'id' - 'userId' - 'createdAt' - 'ticketId' - 'ticket'
FROM helpdesk.users u WHERE u.id = :staff;
SELECT is_read, read_at FROM helpdesk.notifications WHERE id = :own;

-- Read all: the count of what was unread; broadcasts by one watermark row.
SELECT helpdesk.notifications_unread_count(:admin) AS admin_unread;
SELECT count(*) AS marks_before FROM helpdesk.notification_marks \gset
SELECT helpdesk.notifications_mark_all_read(u, '2026-03-03 08:00Z') AS read_all FROM helpdesk.users u WHERE u.id = :admin;
SELECT count(*) - :marks_before AS marks_written FROM helpdesk.notification_marks;
SELECT helpdesk.notifications_unread_count(:admin) AS admin_unread;
SELECT username, message, is_read, read_at FROM pg_temp.inboxes() WHERE username = 'r_admin';
SELECT helpdesk.notifications_mark_all_read(u, '2026-03-03 09:00Z') AS read_all_again FROM helpdesk.users u WHERE u.id = :admin;

-- Delete one (gone for this reader only), then all.
SELECT helpdesk.notification_delete(u, :n1) FROM helpdesk.users u WHERE u.id = :staff;
SELECT helpdesk.notification_delete(u, :n1) FROM helpdesk.users u WHERE u.id = :staff;
SELECT username, message FROM pg_temp.inboxes() WHERE message LIKE '%8001%';
SELECT helpdesk.notifications_delete_all(u) AS deleted FROM helpdesk.users u WHERE u.id = :staff;
SELECT count(*) AS staff_left FROM helpdesk.inbox(:staff);
SELECT helpdesk.notifications_delete_all(u) AS deleted_again FROM helpdesk.users u WHERE u.id = :staff;
-- a new one after a delete-all is read as usual
SELECT pg_temp.create_ticket(:emp, 'TKT-2026-8004', 'Mouse') AS t4 \gset
SELECT message, is_read FROM helpdesk.inbox(:staff);

-- The stream's state: per user, whether the stream goes on, the count, the newest id, and the
-- notifications after the smallest `after` given (-1: none, the stream starts at the newest).
SELECT n.id AS n4 FROM helpdesk.inbox(:staff) n WHERE n.ticket_id = :t4 \gset
SELECT helpdesk.notification_stream_state(jsonb_build_array(
    jsonb_build_object('userId', :staff, 'iat', 2000000000, 'after', :n4 - 1),
    jsonb_build_object('userId', :staff, 'iat', 2000000000, 'after', -1),
    jsonb_build_object('userId', :emp, 'iat', 2000000000, 'after', -1))) AS state \gset
SELECT jsonb_pretty(((:'state'::jsonb -> :'staff') - 'lastId') #- '{events,0,createdAt}' #- '{events,0,id}'
                    #- '{events,0,userId}' #- '{events,0,ticketId}') AS staff_state,
       (:'state'::jsonb -> :'emp') - 'lastId' AS emp_state,
       (SELECT array_agg(k::int ORDER BY k::int) = ARRAY[:staff, :emp] FROM jsonb_object_keys(:'state'::jsonb) k) AS keyed_by_user;
SELECT (helpdesk.notification_stream_state(jsonb_build_array(jsonb_build_object('userId', :staff, 'iat', 2000000000, 'after', -1)))
        -> :'staff' ->> 'lastId')::bigint = :n4 AS last_id_is_the_newest;
-- A count given with the lastId it came with (countUpto) and the snapshot of that answer is added
-- to, not counted again: 1000 stands for a count the stream has; n4 is the one notification after
-- n4 - 1 (the snapshot is now's: nothing committed late). Subscribers of one user that disagree,
-- one without a count, or a count without a snapshot get the count taken in full (1).
SELECT pg_current_snapshot()::text AS snap \gset
SELECT s -> :'staff' ->> 'unreadCount' AS unread_added_to, (s -> :'staff' ->> 'lastId')::bigint = :n4 AS last_id
FROM helpdesk.notification_stream_state(jsonb_build_array(
    jsonb_build_object('userId', :staff, 'iat', 2000000000, 'after', :n4, 'count', 1000, 'countUpto', :n4 - 1, 'snapshot', :'snap'))) s;
SELECT s -> :'staff' ->> 'unreadCount' AS unread_nothing_newer, (s -> :'staff' ->> 'lastId')::bigint = :n4 AS last_id
FROM helpdesk.notification_stream_state(jsonb_build_array(
    jsonb_build_object('userId', :staff, 'iat', 2000000000, 'after', :n4, 'count', 1000, 'countUpto', :n4, 'snapshot', :'snap'),
    jsonb_build_object('userId', :staff, 'iat', 2000000000, 'after', :n4, 'count', 1000, 'countUpto', :n4, 'snapshot', :'snap'))) s;
SELECT s -> :'staff' ->> 'unreadCount' AS unread_counted_again
FROM helpdesk.notification_stream_state(jsonb_build_array(
    jsonb_build_object('userId', :staff, 'iat', 2000000000, 'after', :n4, 'count', 1000, 'countUpto', :n4))) s;
SELECT s -> :'staff' ->> 'unreadCount' AS unread_counted_again
FROM helpdesk.notification_stream_state(jsonb_build_array(
    jsonb_build_object('userId', :staff, 'iat', 2000000000, 'after', :n4, 'count', 1000, 'countUpto', :n4),
    jsonb_build_object('userId', :staff, 'iat', 2000000000, 'after', :n4, 'count', 999, 'countUpto', :n4))) s;
SELECT s -> :'staff' ->> 'unreadCount' AS unread_counted_again
FROM helpdesk.notification_stream_state(jsonb_build_array(
    jsonb_build_object('userId', :staff, 'iat', 2000000000, 'after', :n4, 'count', 1000, 'countUpto', :n4),
    jsonb_build_object('userId', :staff, 'iat', 2000000000, 'after', -1))) s;
-- the stream waits for this answer: never compiled by JIT (the compilation costs more)
SELECT proconfig FROM pg_proc WHERE oid = 'helpdesk.notification_stream_state(jsonb)'::regprocedure;
-- a token issued before the last password change, an inactive or unknown user: the stream ends
UPDATE helpdesk.users SET tokens_valid_after = '2030-01-01Z' WHERE id = :emp;
UPDATE helpdesk.users SET is_active = false WHERE id = :staff2;
SELECT helpdesk.notification_stream_state(jsonb_build_array(
    jsonb_build_object('userId', :emp, 'iat', extract(epoch FROM timestamptz '2029-12-31Z')::bigint, 'after', -1),
    jsonb_build_object('userId', :staff2, 'iat', 2000000000, 'after', -1),
    jsonb_build_object('userId', 2147483647, 'iat', 2000000000, 'after', -1))) - :'emp' - :'staff2' - '2147483647' = '{}' AS only_those,
       helpdesk.notification_stream_state(jsonb_build_array(
    jsonb_build_object('userId', :emp, 'iat', extract(epoch FROM timestamptz '2029-12-31Z')::bigint, 'after', -1),
    jsonb_build_object('userId', :staff2, 'iat', 2000000000, 'after', -1),
    jsonb_build_object('userId', 2147483647, 'iat', 2000000000, 'after', -1)))
    = jsonb_build_object(:'emp', '{"active": false}'::jsonb, :'staff2', '{"active": false}'::jsonb, '2147483647', '{"active": false}'::jsonb) AS all_end;

-- Rows written the 1.0 way (one per staff member) read as ordinary per-user rows.
INSERT INTO helpdesk.notifications (user_id, type, title, message, ticket_id, is_read)
VALUES (:admin, 'ticket_created', 'New Ticket Created', 'Written by 1.0', :t1, false);
SELECT message, is_read FROM helpdesk.inbox(:admin) WHERE message = 'Written by 1.0';

-- Put the other tests' users back as they were.
UPDATE helpdesk.users SET is_active = false WHERE username LIKE 'r\_%';
UPDATE helpdesk.users SET is_active = true WHERE id IN (SELECT id FROM pg_temp.was_active);
