-- The unread count kept per reader (notification_counts, folded by the SLA watcher): after every
-- kind of change, each reader's count is the number the list gives (inbox) and the stream's,
-- whether the change came before or after the last fold. Folds are run here until they cover
-- every row (pg_temp.fold), so each change below acts on rows a kept count has taken in.
\set SHOW_CONTEXT never

SELECT setval('helpdesk.users_id_seq', coalesce((SELECT max(id) FROM helpdesk.users), 0) + 1, false) AS seq,
       setval('helpdesk.categories_id_seq', coalesce((SELECT max(id) FROM helpdesk.categories), 0) + 1, false) AS seq,
       setval('helpdesk.tickets_id_seq', coalesce((SELECT max(id) FROM helpdesk.tickets), 0) + 1, false) AS seq \gset

CREATE TABLE pg_temp.was_active AS SELECT id FROM helpdesk.users WHERE is_active;
UPDATE helpdesk.users SET is_active = false WHERE is_active;
INSERT INTO helpdesk.users (username, email, password_hash, full_name, role, is_active) VALUES
    ('uc_admin', 'uc_admin@example.com', '$2a$04$regressregressregressre', 'Cat Admin', 'Admin', true),
    ('uc_staff', 'uc_staff@example.com', '$2a$04$regressregressregressre', 'Cid Staff', 'IT_Staff', true),
    ('uc_staff2', 'uc_staff2@example.com', '$2a$04$regressregressregressre', 'Cy Staff', 'IT_Staff', true),
    ('uc_emp', 'uc_emp@example.com', '$2a$04$regressregressregressre', 'Cora Employee', 'Employee', true);
SELECT id AS admin FROM helpdesk.users WHERE username = 'uc_admin' \gset
SELECT id AS staff FROM helpdesk.users WHERE username = 'uc_staff' \gset
SELECT id AS staff2 FROM helpdesk.users WHERE username = 'uc_staff2' \gset
SELECT id AS emp FROM helpdesk.users WHERE username = 'uc_emp' \gset
INSERT INTO helpdesk.categories (name) VALUES ('Unread Count Cat');

CREATE FUNCTION pg_temp.create_ticket(actor int, num text, assignee int DEFAULT NULL) RETURNS int LANGUAGE plpgsql AS $$
DECLARE
    tid int;
BEGIN
    PERFORM set_config('helpdesk.actor_id', actor::text, true);
    INSERT INTO helpdesk.tickets (ticket_number, title, description, category_id, submitter_id)
    VALUES (num, 'Counted ' || num, 'x', (SELECT id FROM helpdesk.categories WHERE name = 'Unread Count Cat'), actor) RETURNING id INTO tid;
    IF assignee IS NOT NULL THEN
        UPDATE helpdesk.tickets SET assignee_id = assignee, status = 'Assigned' WHERE id = tid;
    END IF;
    PERFORM set_config('helpdesk.actor_id', '', true);
    RETURN tid;
END $$;

-- Folds (the watcher's, called here) until every kept count of this test's users covers every
-- notification (a fold covers the transactions ended before it: another session's snapshot can
-- hold it back a moment).
CREATE PROCEDURE pg_temp.fold() LANGUAGE plpgsql AS $$
BEGIN
    FOR i IN 1..400 LOOP
        PERFORM helpdesk.notification_counts_fold();
        COMMIT;
        EXIT WHEN NOT EXISTS (
            SELECT FROM helpdesk.notification_counts c JOIN helpdesk.users u ON u.id = c.user_id
            WHERE u.username LIKE 'uc\_%' AND c.upto <= (SELECT max(n.txid) FROM helpdesk.notifications n));
        PERFORM pg_sleep(0.05);
    END LOOP;
END $$;

-- Per active user of this test: the count of the route, and whether the list of unread
-- notifications and the stream's count (taken in full) give the same number.
CREATE FUNCTION pg_temp.counts() RETURNS TABLE (username text, unread bigint, list_agrees boolean, stream_agrees boolean)
LANGUAGE sql AS $$
    SELECT u.username::text, helpdesk.notifications_unread_count(u.id),
           helpdesk.notifications_unread_count(u.id) = jsonb_array_length(helpdesk.notifications_list(u, true)),
           helpdesk.notifications_unread_count(u.id)
               = (helpdesk.notification_stream_state(jsonb_build_array(jsonb_build_object('userId', u.id, 'iat', 2000000000, 'after', -1)))
                  -> u.id::text ->> 'unreadCount')::bigint
    FROM helpdesk.users u
    WHERE u.is_active AND u.username LIKE 'uc\_%'
    ORDER BY 1
$$;

-- Tickets: broadcasts to staff, own rows for an assignment (the assignee and the submitter).
SELECT pg_temp.create_ticket(:emp, 'TKT-2026-7001') AS t1 \gset
SELECT pg_temp.create_ticket(:emp, 'TKT-2026-7002', :staff) AS t2 \gset
SELECT pg_temp.create_ticket(:emp, 'TKT-2026-7003') AS t3 \gset
SELECT pg_temp.create_ticket(:staff, 'TKT-2026-7004', :staff2) AS t4 \gset
-- before any fold: counted in full
SELECT * FROM pg_temp.counts();
CALL pg_temp.fold();
-- every active staff member has a kept count, which covers every row
SELECT u.username, c.upto > (SELECT max(n.txid) FROM helpdesk.notifications n) AS covers_all
FROM helpdesk.notification_counts c JOIN helpdesk.users u ON u.id = c.user_id
WHERE u.username LIKE 'uc\_%' ORDER BY 1;
SELECT * FROM pg_temp.counts();

-- Read one broadcast (a mark), one own row (an UPDATE); again: no change.
SELECT n.id AS b1 FROM helpdesk.inbox(:staff) n WHERE n.ticket_id = :t1 AND n.type = 'ticket_created' \gset
SELECT n.id AS own2 FROM helpdesk.inbox(:staff) n WHERE n.ticket_id = :t2 AND n.type = 'ticket_assigned' \gset
SELECT helpdesk.notification_mark_read(u, :b1, '2026-05-01 09:00Z') ->> 'isRead' AS read FROM helpdesk.users u WHERE u.id = :staff;
SELECT helpdesk.notification_mark_read(u, :own2, '2026-05-01 09:00Z') ->> 'isRead' AS read FROM helpdesk.users u WHERE u.id = :staff;
SELECT helpdesk.notification_mark_read(u, :b1, '2026-05-01 10:00Z') ->> 'isRead' AS read FROM helpdesk.users u WHERE u.id = :staff;
SELECT * FROM pg_temp.counts();

-- Delete one broadcast (a mark), one read own row, one unread own row.
SELECT n.id AS b3 FROM helpdesk.inbox(:admin) n WHERE n.ticket_id = :t3 AND n.type = 'ticket_created' \gset
SELECT helpdesk.notification_delete(u, :b3) FROM helpdesk.users u WHERE u.id = :admin;
SELECT helpdesk.notification_delete(u, :own2) FROM helpdesk.users u WHERE u.id = :staff;
SELECT n.id AS unread_own FROM helpdesk.inbox(:staff2) n WHERE n.ticket_id = :t4 AND n.type = 'ticket_assigned' \gset
SELECT helpdesk.notification_delete(u, :unread_own) FROM helpdesk.users u WHERE u.id = :staff2;
SELECT * FROM pg_temp.counts();

-- A mark's change and its removal by a DBA: the broadcast is unread again.
UPDATE helpdesk.notification_marks SET read_at = NULL WHERE user_id = :staff AND notification_id = :b1;
SELECT * FROM pg_temp.counts();
DELETE FROM helpdesk.notification_marks WHERE user_id = :admin AND notification_id = :b3;
SELECT * FROM pg_temp.counts();
-- ... and a DBA's UPDATE of own rows, read then unread
UPDATE helpdesk.notifications SET is_read = true WHERE user_id = :staff2;
SELECT * FROM pg_temp.counts();
UPDATE helpdesk.notifications SET is_read = false WHERE user_id = :staff2;
SELECT * FROM pg_temp.counts();

-- New rows since the fold are counted live; read-all and delete-all.
CALL pg_temp.fold();
SELECT pg_temp.create_ticket(:emp, 'TKT-2026-7005', :staff2) AS t5 \gset
SELECT * FROM pg_temp.counts();
SELECT helpdesk.notifications_mark_all_read(u, '2026-05-02 08:00Z') AS read_all FROM helpdesk.users u WHERE u.id = :admin;
SELECT * FROM pg_temp.counts();
SELECT helpdesk.notifications_delete_all(u) AS deleted_all FROM helpdesk.users u WHERE u.id = :staff2;
SELECT * FROM pg_temp.counts();
SELECT pg_temp.create_ticket(:emp, 'TKT-2026-7006') AS t6 \gset
SELECT * FROM pg_temp.counts();
CALL pg_temp.fold();
SELECT * FROM pg_temp.counts();

-- Role and activity: a demoted staff member reads no broadcast, promoted again only new ones;
-- deactivated, reactivated.
UPDATE helpdesk.users SET role = 'Employee' WHERE id = :staff;
SELECT * FROM pg_temp.counts();
UPDATE helpdesk.users SET role = 'IT_Staff' WHERE id = :staff;
SELECT pg_temp.create_ticket(:emp, 'TKT-2026-7007') AS t7 \gset
SELECT * FROM pg_temp.counts();
UPDATE helpdesk.users SET is_active = false WHERE id = :admin;
UPDATE helpdesk.users SET is_active = true WHERE id = :admin;
SELECT * FROM pg_temp.counts();
CALL pg_temp.fold();
SELECT * FROM pg_temp.counts();

-- A ticket deleted takes its broadcast and rows along (the counts that took them in are reset,
-- then folded again); rows inserted with an old transaction id (a restore) likewise.
DELETE FROM helpdesk.tickets WHERE id = :t1;
SELECT * FROM pg_temp.counts();
CALL pg_temp.fold();
SELECT * FROM pg_temp.counts();
INSERT INTO helpdesk.notifications (user_id, type, title, message, ticket_id, txid)
VALUES (NULL, 'ticket_created', 'New Ticket Created', 'Restored', :t3, '3'),
       (:admin, 'ticket_updated', 'Ticket Updated', 'Restored', :t3, '3');
SELECT * FROM pg_temp.counts();
CALL pg_temp.fold();
SELECT * FROM pg_temp.counts();

-- A deleted user takes their kept count along.
INSERT INTO helpdesk.users (username, email, password_hash, full_name, role, is_active)
VALUES ('uc_gone', 'uc_gone@example.com', '$2a$04$regressregressregressre', 'Gus Gone', 'IT_Staff', true) RETURNING id AS gone \gset
CALL pg_temp.fold();
SELECT count(*) AS kept_before FROM helpdesk.notification_counts WHERE user_id = :gone;
DELETE FROM helpdesk.users WHERE id = :gone;
SELECT count(*) AS kept_after FROM helpdesk.notification_counts WHERE user_id = :gone;

-- Not dumped: derived, and its transaction ids mean nothing in another cluster.
SELECT obj_description('helpdesk.notification_counts'::regclass, 'pg_class') LIKE 'derived: %' AS derived,
       'helpdesk.notification_counts'::regclass NOT IN (SELECT unnest(extconfig) FROM pg_extension WHERE extname = 'helpdesk') AS not_dumped;

-- Put the other tests' users back as they were.
UPDATE helpdesk.users SET is_active = false WHERE username LIKE 'uc\_%';
UPDATE helpdesk.users SET is_active = true WHERE id IN (SELECT id FROM pg_temp.was_active);
