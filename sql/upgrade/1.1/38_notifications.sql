-- 38_notifications, 1.0 to 1.1: one row per broadcast ("ticket created" to every staff member),
-- its readers decided when read, per-reader marks and watermarks written when a reader acts; the
-- reading functions of the routes (sql/39_notifications_api.sql); NOTIFY at commit for the
-- streams. Rows written by 1.0 (one per staff member, user_id set) are ordinary per-user rows
-- and read as such: nothing is migrated.

ALTER TABLE helpdesk.notifications ALTER COLUMN user_id DROP NOT NULL;

ALTER TABLE helpdesk.notifications ADD COLUMN actor_id int REFERENCES helpdesk.users (id) ON DELETE SET NULL;

-- the inserting transaction: a stream finds rows committed after it moved past their id (rows
-- of 1.0 get the upgrade's, long committed). Written by an UPDATE, not as the column's default:
-- a default on ADD COLUMN would be kept as the column's missing value, which a fresh install has not.
ALTER TABLE helpdesk.notifications ADD COLUMN txid xid8;

UPDATE helpdesk.notifications SET txid = pg_current_xact_id();

ALTER TABLE helpdesk.notifications ALTER COLUMN txid SET DEFAULT pg_current_xact_id(), ALTER COLUMN txid SET NOT NULL;

-- the rows of transactions a stream's snapshot did not see (helpdesk.notification_stream_state)
CREATE INDEX notifications_txid_idx ON helpdesk.notifications (txid);

CREATE INDEX notifications_broadcast_idx ON helpdesk.notifications (id) WHERE user_id IS NULL;

CREATE INDEX notifications_actor_idx ON helpdesk.notifications (actor_id) WHERE actor_id IS NOT NULL;

-- a user's own rows after an id: what is new for a stream (helpdesk.notification_stream_state)
CREATE INDEX notifications_user_id_idx ON helpdesk.notifications (user_id, id);

-- a user's unread rows, by transaction: all of them, or those since a kept count's `upto`
DROP INDEX helpdesk.notifications_unread_idx;

CREATE INDEX notifications_unread_idx ON helpdesk.notifications (user_id, txid) WHERE NOT is_read;

-- the broadcasts since a kept count's `upto` (notifications_unread_since)
CREATE INDEX notifications_broadcast_txid_idx ON helpdesk.notifications (txid) WHERE user_id IS NULL;

-- Per reader, what they did to broadcasts as a whole: read-all and delete-all as watermarks
-- (every broadcast with id <= read_upto is read, since read_upto_at; <= deleted_upto is gone
-- for them), and staff_since: they read only broadcasts with a greater id (set when the user
-- becomes active staff; no row: 0). Written when the reader acts, never when an event is.
CREATE TABLE helpdesk.notification_readers (
    user_id      int PRIMARY KEY REFERENCES helpdesk.users (id) ON DELETE CASCADE,
    staff_since  bigint NOT NULL DEFAULT 0,
    read_upto    bigint NOT NULL DEFAULT 0,
    read_upto_at timestamptz,
    deleted_upto bigint NOT NULL DEFAULT 0
);

-- One broadcast read or deleted by one reader.
CREATE TABLE helpdesk.notification_marks (
    user_id         int NOT NULL REFERENCES helpdesk.users (id) ON DELETE CASCADE,
    notification_id bigint NOT NULL REFERENCES helpdesk.notifications (id) ON DELETE CASCADE,
    read_at         timestamptz,
    deleted         boolean NOT NULL DEFAULT false,
    PRIMARY KEY (user_id, notification_id)
);

CREATE INDEX notification_marks_notification_idx ON helpdesk.notification_marks (notification_id);

SELECT pg_catalog.pg_extension_config_dump('helpdesk.notification_readers', '');

SELECT pg_catalog.pg_extension_config_dump('helpdesk.notification_marks', '');

-- One notification for every active staff member but the acting user (a broadcast: one row,
-- its readers decided when read; see the header).
-- PL/pgSQL so that its INSERT is planned once per connection (as a SQL function it was planned
-- on every ticket creation).
CREATE FUNCTION helpdesk.notify_staff(type text, title text, message text, ticket_id int)
RETURNS void
LANGUAGE plpgsql
AS $$
BEGIN
    INSERT INTO helpdesk.notifications (user_id, type, title, message, ticket_id, actor_id)
    VALUES (NULL, type, title, message, ticket_id, helpdesk.actor_id());
END
$$;

-- E-mails are composed from the templates in the user's language (sql/03_email.sql): notify
-- takes the template's parameters instead of a subject and a body.
DROP FUNCTION helpdesk.notify(int, text, text, text, int, text, text);

CREATE FUNCTION helpdesk.notify(user_id int, type text, title text, message text, ticket_id int,
                                email_params jsonb DEFAULT NULL)
RETURNS boolean
LANGUAGE plpgsql
AS $$
DECLARE
    u helpdesk.users;
BEGIN
    IF user_id IS NULL OR user_id IS NOT DISTINCT FROM helpdesk.actor_id() THEN
        RETURN false;
    END IF;
    SELECT * INTO u FROM helpdesk.users WHERE id = notify.user_id AND is_active;
    IF NOT FOUND THEN
        RETURN false;
    END IF;
    INSERT INTO helpdesk.notifications (user_id, type, title, message, ticket_id)
    VALUES (u.id, type, title, message, ticket_id);
    IF email_params IS NOT NULL THEN
        PERFORM helpdesk.email_enqueue(u, type, email_params, ticket_id);
    END IF;
    RETURN true;
END
$$;

CREATE OR REPLACE FUNCTION helpdesk.comments_notify()
RETURNS trigger
LANGUAGE plpgsql
AS $$
DECLARE
    t      helpdesk.tickets;
    author text;
    ref    text;
    u      int;
BEGIN
    SELECT * INTO t FROM helpdesk.tickets WHERE id = NEW.ticket_id;
    SELECT full_name INTO author FROM helpdesk.users WHERE id = NEW.user_id;
    ref := '#' || t.ticket_number;
    FOR u IN SELECT DISTINCT x FROM unnest(ARRAY[t.submitter_id, t.assignee_id]) x
             WHERE x IS NOT NULL AND x <> NEW.user_id
               AND (NEW.type <> 'internal'
                    OR EXISTS (SELECT FROM helpdesk.users s WHERE s.id = x AND helpdesk.is_staff(s)))
             ORDER BY x LOOP
        PERFORM helpdesk.notify(u, 'ticket_commented', 'New Comment on Ticket',
                                format('%s commented on Ticket %s: %s', author, ref, t.title), t.id,
                                jsonb_build_object('ticketNumber', t.ticket_number, 'title', t.title,
                                                   'author', author, 'comment', NEW.content));
    END LOOP;
    RETURN NULL;
END
$$;

-- AFTER INSERT OR UPDATE ON tickets.
CREATE OR REPLACE FUNCTION helpdesk.tickets_notify()
RETURNS trigger
LANGUAGE plpgsql
AS $$
DECLARE
    ref      text := '#' || NEW.ticket_number;
    who      text;  -- the actor's name, read when a message names it (not on INSERT)
    notified int[] := '{}';
    told     int[] := '{}';
    memo     text := pg_catalog.current_setting('helpdesk_notify.last', true);
    u        int;
    assignee text;
BEGIN
    -- Who this transaction already told about this ticket: a route may write the ticket in
    -- several statements (assign, then move the status), which is one event for its reader.
    -- The memo holds the last ticket notified in this transaction, '<ticket id>:<user ids>'.
    IF memo LIKE NEW.id || ':%' THEN
        told := coalesce(string_to_array(nullif(split_part(memo, ':', 2), ''), ',')::int[], '{}');
    END IF;

    IF TG_OP = 'INSERT' THEN
        -- one row whatever the number of staff; the memo still names who it tells
        PERFORM helpdesk.notify_staff('ticket_created', 'New Ticket Created', format('Ticket %s: %s', ref, NEW.title), NEW.id);
        SELECT coalesce(array_agg(id ORDER BY id), '{}') INTO notified FROM helpdesk.users
        WHERE is_active AND helpdesk.is_staff(users) AND id IS DISTINCT FROM helpdesk.actor_id();
        PERFORM pg_catalog.set_config('helpdesk_notify.last', NEW.id || ':' || array_to_string(notified, ','), true);
        RETURN NULL;
    END IF;
    who := helpdesk.actor_name();

    IF NEW.status IS DISTINCT FROM OLD.status AND NEW.status = 'Resolved' THEN
        IF helpdesk.notify(NEW.submitter_id, 'ticket_resolved', 'Ticket Resolved',
                           format('Your ticket %s: %s has been resolved by %s', ref, NEW.title, who), NEW.id,
                           jsonb_build_object('ticketNumber', NEW.ticket_number, 'title', NEW.title, 'actor', who)) THEN
            notified := notified || NEW.submitter_id;
        END IF;
    ELSIF NEW.status IS DISTINCT FROM OLD.status AND NEW.status = 'Closed' THEN
        IF helpdesk.notify(NEW.submitter_id, 'ticket_closed', 'Your Ticket Has Been Closed',
                           format('Your ticket %s: %s has been closed', ref, NEW.title), NEW.id) THEN
            notified := notified || NEW.submitter_id;
        END IF;
        IF NEW.assignee_id IS DISTINCT FROM NEW.submitter_id
           AND helpdesk.notify(NEW.assignee_id, 'ticket_closed', 'Ticket Closed',
                               format('Ticket %s: %s has been closed', ref, NEW.title), NEW.id) THEN
            notified := notified || NEW.assignee_id;
        END IF;
    END IF;

    IF NEW.assignee_id IS DISTINCT FROM OLD.assignee_id AND NEW.assignee_id IS NOT NULL THEN
        IF helpdesk.notify(NEW.assignee_id, 'ticket_assigned', 'Ticket Assigned to You',
                           format('Ticket %s: %s has been assigned to you by %s', ref, NEW.title, who), NEW.id,
                           jsonb_build_object('ticketNumber', NEW.ticket_number, 'title', NEW.title, 'actor', who,
                                              'priority', NEW.priority, 'status', NEW.status)) THEN
            notified := notified || NEW.assignee_id;
        END IF;
        IF NEW.submitter_id <> NEW.assignee_id THEN
            SELECT full_name INTO assignee FROM helpdesk.users WHERE id = NEW.assignee_id;
            IF helpdesk.notify(NEW.submitter_id, 'ticket_assigned', 'Your Ticket Has Been Assigned',
                               format('Your ticket %s: %s has been assigned to %s', ref, NEW.title,
                                      coalesce(assignee, 'IT Staff')), NEW.id) THEN
                notified := notified || NEW.submitter_id;
            END IF;
        END IF;
    END IF;

    IF (NEW.title, NEW.description, NEW.priority, NEW.category_id, NEW.assignee_id)
           IS DISTINCT FROM (OLD.title, OLD.description, OLD.priority, OLD.category_id, OLD.assignee_id)
       OR (NEW.status IS DISTINCT FROM OLD.status AND helpdesk.ticket_is_open(NEW.status)) THEN
        FOR u IN SELECT DISTINCT x FROM unnest(ARRAY[NEW.submitter_id, NEW.assignee_id]) x
                 WHERE x IS NOT NULL AND x <> ALL (notified) AND x <> ALL (told)
                 ORDER BY x LOOP
            IF helpdesk.notify(u, 'ticket_updated', 'Ticket Updated',
                               format('Ticket %s: %s has been updated by %s', ref, NEW.title, who), NEW.id) THEN
                notified := notified || u;
            END IF;
        END LOOP;
    END IF;
    PERFORM pg_catalog.set_config('helpdesk_notify.last',
                                  NEW.id || ':' || array_to_string(told || notified, ','), true);
    RETURN NULL;
END
$$;

-- ---- real time: NOTIFY at commit ----------------------------------------------------------

-- Tell the streams (http/sse.c) that what `user_id` sees changed ('u <id>'), or, for NULL, that a
-- broadcast was written ('staff'). pg_notify is delivered at commit only, once per distinct
-- payload per transaction.
CREATE FUNCTION helpdesk.notification_signal(user_id int)
RETURNS void
LANGUAGE sql
AS $$
    SELECT pg_catalog.pg_notify('helpdesk_notifications', CASE WHEN user_id IS NULL THEN 'staff' ELSE 'u ' || user_id END)
$$;

-- AFTER INSERT ON notifications (every writer: the triggers above, escalation, the SLA scan):
-- 'n <user id>' (a new notification of that user: a stream adds it to the count it has) or
-- 'staff' (a new broadcast); 'u <user id>' (notification_signal) is for changes that need the
-- count taken again (a read, a delete, a role or password change).
CREATE FUNCTION helpdesk.notifications_signal()
RETURNS trigger
LANGUAGE plpgsql
AS $$
BEGIN
    PERFORM pg_catalog.pg_notify('helpdesk_notifications',
                                 CASE WHEN NEW.user_id IS NULL THEN 'staff' ELSE 'n ' || NEW.user_id END);
    RETURN NULL;
END
$$;

CREATE TRIGGER notifications_signal AFTER INSERT ON helpdesk.notifications
    FOR EACH ROW WHEN (NOT helpdesk.copying_rows()) EXECUTE FUNCTION helpdesk.notifications_signal();

-- AFTER DELETE ON notifications (a deleted ticket takes its notifications with it): what their
-- readers see went down, and a stream adds only new notifications to the count it has
-- (helpdesk.notification_stream_state), so it is told: the user of a per-user row, every active
-- staff member for a broadcast. The routes' own deletes signal too (one NOTIFY per payload).
CREATE FUNCTION helpdesk.notifications_deleted_signal()
RETURNS trigger
LANGUAGE plpgsql
AS $$
BEGIN
    PERFORM helpdesk.notification_signal(r.user_id)
    FROM (SELECT o.user_id FROM gone o WHERE o.user_id IS NOT NULL
          UNION
          SELECT u.id FROM helpdesk.users u
          WHERE u.is_active AND helpdesk.is_staff(u) AND EXISTS (SELECT FROM gone o WHERE o.user_id IS NULL)) r;
    RETURN NULL;
END
$$;

CREATE TRIGGER notifications_deleted_signal AFTER DELETE ON helpdesk.notifications
    REFERENCING OLD TABLE AS gone FOR EACH STATEMENT EXECUTE FUNCTION helpdesk.notifications_deleted_signal();

-- AFTER INSERT OR UPDATE ON users: a user who becomes active staff reads only broadcasts written
-- from now on (staff_since); a change of activity, role or password is signalled (a stream ends
-- for a deactivated user or an old token, and the staff broadcasts a user sees follow the role).
CREATE FUNCTION helpdesk.users_notification_audience()
RETURNS trigger
LANGUAGE plpgsql
AS $$
BEGIN
    IF NEW.is_active AND helpdesk.is_staff(NEW)
       AND (TG_OP = 'INSERT' OR NOT (OLD.is_active AND helpdesk.is_staff(OLD))) THEN
        INSERT INTO helpdesk.notification_readers (user_id, staff_since)
        VALUES (NEW.id, coalesce(pg_catalog.pg_sequence_last_value('helpdesk.notifications_id_seq'), 0))
        ON CONFLICT (user_id) DO UPDATE SET staff_since = excluded.staff_since;
    END IF;
    IF TG_OP = 'UPDATE' THEN
        PERFORM helpdesk.notification_signal(NEW.id);
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER users_30_notification_audience_insert AFTER INSERT ON helpdesk.users
    FOR EACH ROW WHEN (NOT helpdesk.copying_rows()) EXECUTE FUNCTION helpdesk.users_notification_audience();

CREATE TRIGGER users_30_notification_audience_update AFTER UPDATE ON helpdesk.users
    FOR EACH ROW
    WHEN ((OLD.is_active, OLD.role, OLD.tokens_valid_after) IS DISTINCT FROM (NEW.is_active, NEW.role, NEW.tokens_valid_after))
    EXECUTE FUNCTION helpdesk.users_notification_audience();

-- ---- reading: one user's notifications -----------------------------------------------------

-- What `user_id` sees: their own rows, and the broadcasts they are a reader of (header), with
-- their read state; as rows of the table (user_id is the reader). A SQL function, inlined.
CREATE FUNCTION helpdesk.inbox(user_id int)
RETURNS SETOF helpdesk.notifications
LANGUAGE sql STABLE
AS $$
    SELECT n.* FROM helpdesk.notifications n WHERE n.user_id = inbox.user_id
    UNION ALL
    SELECT n.id, u.id, n.type, n.title, n.message, n.ticket_id,
           n.id <= coalesce(r.read_upto, 0) OR m.read_at IS NOT NULL,
           coalesce(m.read_at, CASE WHEN n.id <= coalesce(r.read_upto, 0) THEN r.read_upto_at END),
           n.created_at, n.actor_id, n.txid
    FROM helpdesk.users u
    LEFT JOIN helpdesk.notification_readers r ON r.user_id = u.id
    JOIN helpdesk.notifications n
      ON n.user_id IS NULL AND n.id > greatest(coalesce(r.staff_since, 0), coalesce(r.deleted_upto, 0))
         AND n.actor_id IS DISTINCT FROM u.id
    LEFT JOIN helpdesk.notification_marks m ON m.user_id = u.id AND m.notification_id = n.id
    WHERE u.id = inbox.user_id AND u.is_active AND u.role IN ('IT_Staff', 'Admin') AND NOT coalesce(m.deleted, false)
$$;

-- The API's notification: id, userId, type, title, message, ticketId, isRead, readAt, createdAt,
-- and with `with_ticket`, ticket {id, title, status} or null.
CREATE FUNCTION helpdesk.notification_json(n helpdesk.notifications, with_ticket boolean DEFAULT true)
RETURNS jsonb
LANGUAGE sql STABLE
AS $$
    SELECT jsonb_build_object('id', n.id, 'userId', n.user_id, 'type', n.type, 'title', n.title,
                              'message', n.message, 'ticketId', n.ticket_id, 'isRead', n.is_read,
                              'readAt', helpdesk.iso(n.read_at), 'createdAt', helpdesk.iso(n.created_at))
           || CASE WHEN with_ticket THEN jsonb_build_object('ticket',
                  (SELECT jsonb_build_object('id', t.id, 'title', t.title, 'status', t.status)
                   FROM helpdesk.tickets t WHERE t.id = n.ticket_id))
              ELSE '{}' END
$$;

-- GET /notifications (the latest `max_rows`) and /notifications/unread (all unread), newest first.
CREATE FUNCTION helpdesk.notifications_list(actor helpdesk.users, unread_only boolean, max_rows int DEFAULT NULL)
RETURNS jsonb
LANGUAGE sql STABLE
AS $$
    SELECT coalesce(jsonb_agg(helpdesk.notification_json(n) ORDER BY n.created_at DESC, n.id DESC), '[]')
    FROM (SELECT * FROM helpdesk.inbox(actor.id) i
          WHERE NOT (unread_only AND i.is_read)
          ORDER BY i.created_at DESC, i.id DESC
          LIMIT max_rows) n
$$;

-- ---- the unread count, kept per reader (issue 13) -------------------------------------------
--
-- Counting a reader's unread notifications at each call read every one of them (5,000+ rows for
-- a staff member who never reads: each ticket creation adds a broadcast). A counter that each new
-- notification increments would be a hot row: every creation notifies every staff member, so
-- concurrent creations would all update the same staff rows. So nothing is written when a
-- notification is: notification_counts holds, per active staff member (the readers of the
-- broadcasts, which pile up unread), the unread count of the rows inserted
-- by transactions before `upto` (an xid8: every transaction below it had ended when the count was
-- taken, so no such row can still appear), and the count is that number plus the unread rows with
-- a txid >= upto, read live (the few written since). The SLA watcher folds those into the stored
-- count every helpdesk.notification_fold_ms (notification_counts_fold), touching each row once per
-- fold whatever the number of creations. A reader's own changes (read, delete, read-all, a
-- new watermark, a role change) adjust their own row in their transaction, through the triggers
-- below, so the count stays exact whoever makes the change. No row (an Employee: their own rows
-- are few), or upto = 0 (a deleted broadcast it had counted, rows restored with old txids):
-- counted in full, until the next fold.
--
-- Every writer of a row locks it before it counts or adjusts: the fold and a refresh lock first,
-- then count in a statement of their own (READ COMMITTED: a snapshot taken after the lock, which
-- sees every change committed by a writer that held it); a trigger's adjustment re-reads `upto`
-- on the row it locked (an UPDATE's re-check), so a change made while a fold counted is applied
-- to the fold's result when it covers the change's row. Not dumped: the count is derived, and its
-- `upto` means nothing in another cluster's transaction ids (a restore starts with none).
CREATE TABLE helpdesk.notification_counts (
    user_id int PRIMARY KEY REFERENCES helpdesk.users (id) ON DELETE CASCADE,
    upto    xid8 NOT NULL DEFAULT '0',
    unread  bigint NOT NULL DEFAULT 0
);

COMMENT ON TABLE helpdesk.notification_counts IS
    'derived: unread counts kept from helpdesk.notifications, rebuilt by the SLA watcher';

-- The unread rows of `user_id`'s inbox inserted by transactions in [from_txid, to_txid) (to_txid
-- NULL: no bound): the own rows by notifications_unread_idx, the broadcasts by
-- notifications_broadcast_txid_idx (a range of recent transactions), with inbox's rules. A SQL
-- function returning a table, so that it is inlined into its callers' statements (their plans
-- are kept per connection; a scalar SQL function with sub-selects is planned at every call).
CREATE FUNCTION helpdesk.notifications_unread_since(user_id int, from_txid xid8, to_txid xid8 DEFAULT NULL)
RETURNS TABLE (unread bigint)
LANGUAGE sql STABLE
AS $$
    SELECT (SELECT count(*) FROM helpdesk.notifications n
            WHERE n.user_id = notifications_unread_since.user_id AND NOT n.is_read
              AND n.txid >= from_txid AND (to_txid IS NULL OR n.txid < to_txid))
         + (SELECT count(*)
            FROM helpdesk.users u
            LEFT JOIN helpdesk.notification_readers r ON r.user_id = u.id
            -- (OFFSET 0: the recent broadcasts first, by their transaction; with the reader's
            -- watermark pushed down, the planner read every broadcast above it through
            -- notifications_broadcast_idx: 10,697 index entries at 1M tickets, 0.4 ms a call)
            JOIN (SELECT b.id, b.actor_id FROM helpdesk.notifications b
                  WHERE b.user_id IS NULL AND b.txid >= from_txid AND (to_txid IS NULL OR b.txid < to_txid)
                  OFFSET 0) n
              ON n.id > greatest(coalesce(r.staff_since, 0), coalesce(r.deleted_upto, 0), coalesce(r.read_upto, 0))
                 AND n.actor_id IS DISTINCT FROM u.id
            WHERE u.id = notifications_unread_since.user_id AND u.is_active AND u.role IN ('IT_Staff', 'Admin')
              AND NOT EXISTS (SELECT FROM helpdesk.notification_marks m
                              WHERE m.user_id = u.id AND m.notification_id = n.id
                                AND (m.deleted OR m.read_at IS NOT NULL)))
$$;

-- The unread rows of `user_id`'s inbox inserted before `to_txid`, counted in full (inbox: its
-- broadcasts from the reader's watermark on).
CREATE FUNCTION helpdesk.notifications_unread_before(user_id int, to_txid xid8)
RETURNS bigint
LANGUAGE plpgsql STABLE
AS $$
BEGIN
    RETURN (SELECT count(*) FROM helpdesk.inbox(user_id) i WHERE NOT i.is_read AND i.txid < to_txid);
END
$$;

-- GET /notifications/unread/count: the stored count plus the unread rows since (one statement);
-- no stored count yet: counted in full.
CREATE FUNCTION helpdesk.notifications_unread_count(user_id int)
RETURNS bigint
LANGUAGE plpgsql STABLE
AS $$
DECLARE
    unread bigint;
BEGIN
    SELECT c.unread + s.unread INTO unread
    FROM helpdesk.notification_counts c, helpdesk.notifications_unread_since(c.user_id, c.upto) s
    WHERE c.user_id = notifications_unread_count.user_id AND c.upto <> '0';
    IF FOUND THEN
        RETURN unread;
    END IF;
    RETURN (SELECT count(*) FROM helpdesk.inbox(user_id) i WHERE NOT i.is_read);
END
$$;

-- `user_id`'s kept count, if they have one, taken again in full, now (a new watermark, role or
-- activity: what they read changed as a whole; after a read-all or a delete-all little is left to
-- count). Locks the row, then counts with a snapshot taken after the lock.
CREATE FUNCTION helpdesk.notification_count_refresh(user_id int)
RETURNS void
LANGUAGE plpgsql
AS $$
BEGIN
    PERFORM FROM helpdesk.notification_counts c WHERE c.user_id = notification_count_refresh.user_id FOR UPDATE;
    IF NOT FOUND THEN
        RETURN;
    END IF;
    UPDATE helpdesk.notification_counts c
    SET upto = s.upto, unread = helpdesk.notifications_unread_before(c.user_id, s.upto)
    FROM (SELECT pg_catalog.pg_snapshot_xmin(pg_catalog.pg_current_snapshot()) AS upto) s
    WHERE c.user_id = notification_count_refresh.user_id;
END
$$;

-- The SLA watcher's fold (extension/sla_worker.c, every helpdesk.notification_fold_ms): the
-- active staff members have a kept count (broadcasts are what piles up unread; others' own rows
-- are few, counted in full), and every kept count takes in the rows inserted since its `upto` by
-- transactions that have ended. Nothing new: no write. Returns the number of counts folded.
-- Never JIT-compiled (the watcher runs without JIT; so does a fold called from SQL): its estimate
-- (a count per staff member) passed jit_above_cost at 1M tickets, and compiling took 1.6 s for a
-- fold of a few milliseconds.
CREATE FUNCTION helpdesk.notification_counts_fold()
RETURNS int
LANGUAGE plpgsql
SET jit = off
AS $$
DECLARE
    folded int;
BEGIN
    INSERT INTO helpdesk.notification_counts (user_id)
    SELECT u.id FROM helpdesk.users u
    WHERE u.is_active AND helpdesk.is_staff(u)
      AND NOT EXISTS (SELECT FROM helpdesk.notification_counts c WHERE c.user_id = u.id)
    ON CONFLICT (user_id) DO NOTHING;
    IF NOT EXISTS (SELECT FROM helpdesk.notification_counts c WHERE c.upto = '0')
       AND NOT EXISTS (SELECT FROM helpdesk.notification_counts c JOIN helpdesk.users u ON u.id = c.user_id
                       WHERE NOT (u.is_active AND helpdesk.is_staff(u)))
       AND NOT EXISTS (SELECT FROM helpdesk.notifications n
                       WHERE n.txid >= (SELECT min(c.upto) FROM helpdesk.notification_counts c)
                         AND n.txid < pg_catalog.pg_snapshot_xmin(pg_catalog.pg_current_snapshot())) THEN
        RETURN 0;
    END IF;
    -- (in user id order, as every writer of several rows: no deadlock between them)
    PERFORM FROM helpdesk.notification_counts c ORDER BY c.user_id FOR UPDATE;
    DELETE FROM helpdesk.notification_counts c USING helpdesk.users u
    WHERE u.id = c.user_id AND NOT (u.is_active AND helpdesk.is_staff(u));
    UPDATE helpdesk.notification_counts c
    SET upto = s.upto,
        unread = CASE WHEN c.upto = '0' THEN helpdesk.notifications_unread_before(c.user_id, s.upto)
                      ELSE c.unread + (SELECT d.unread FROM helpdesk.notifications_unread_since(c.user_id, c.upto, s.upto) d) END
    FROM (SELECT pg_catalog.pg_snapshot_xmin(pg_catalog.pg_current_snapshot()) AS upto) s
    WHERE c.upto < s.upto;
    GET DIAGNOSTICS folded = ROW_COUNT;
    RETURN folded;
END
$$;

-- Counts that took in a row of transaction `txid` or later-folded ones lose their fold (a
-- broadcast deleted or changed, rows inserted with an old txid): counted in full until the next
-- fold. Rows locked in user id order.
CREATE FUNCTION helpdesk.notification_counts_reset(txid xid8)
RETURNS void
LANGUAGE sql
AS $$
    UPDATE helpdesk.notification_counts c SET upto = '0', unread = 0
    WHERE c.user_id IN (SELECT k.user_id FROM helpdesk.notification_counts k
                        WHERE k.upto > notification_counts_reset.txid ORDER BY k.user_id FOR UPDATE)
$$;

-- AFTER UPDATE ON notifications (a read, read-all, a DBA's UPDATE): each user's own rows that
-- changed state below their `upto`. A broadcast that changed audience or transaction resets.
CREATE FUNCTION helpdesk.notifications_count_updated()
RETURNS trigger
LANGUAGE plpgsql
AS $$
DECLARE
    txid xid8;
BEGIN
    UPDATE helpdesk.notification_counts c
    SET unread = c.unread
                 - (SELECT count(*) FROM old_rows o WHERE o.user_id = c.user_id AND NOT o.is_read AND o.txid < c.upto)
                 + (SELECT count(*) FROM new_rows n WHERE n.user_id = c.user_id AND NOT n.is_read AND n.txid < c.upto)
    WHERE c.user_id IN (SELECT o.user_id FROM old_rows o UNION SELECT n.user_id FROM new_rows n);
    SELECT min(least(o.txid, n.txid)) INTO txid
    FROM old_rows o JOIN new_rows n ON n.id = o.id
    WHERE (o.user_id IS NULL OR n.user_id IS NULL) AND (o.user_id, o.txid) IS DISTINCT FROM (n.user_id, n.txid);
    IF txid IS NOT NULL THEN
        PERFORM helpdesk.notification_counts_reset(txid);
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER notifications_count_updated AFTER UPDATE ON helpdesk.notifications
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION helpdesk.notifications_count_updated();

-- AFTER DELETE ON notifications (a delete, delete-all, a ticket deleted): own unread rows below
-- `upto` leave their user's count; a broadcast below some `upto` resets those counts (who had it
-- unread depends on marks its deletion takes along).
CREATE FUNCTION helpdesk.notifications_count_deleted()
RETURNS trigger
LANGUAGE plpgsql
AS $$
DECLARE
    txid xid8;
BEGIN
    UPDATE helpdesk.notification_counts c
    SET unread = c.unread - (SELECT count(*) FROM gone o WHERE o.user_id = c.user_id AND NOT o.is_read AND o.txid < c.upto)
    WHERE c.user_id IN (SELECT o.user_id FROM gone o);
    SELECT min(o.txid) INTO txid FROM gone o WHERE o.user_id IS NULL;
    IF txid IS NOT NULL THEN
        PERFORM helpdesk.notification_counts_reset(txid);
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER notifications_count_deleted AFTER DELETE ON helpdesk.notifications
    REFERENCING OLD TABLE AS gone FOR EACH STATEMENT EXECUTE FUNCTION helpdesk.notifications_count_deleted();

-- AFTER INSERT ON notifications of a row another transaction's txid (a restore, an import): a
-- count may have folded past it. Never for the rows this desk writes (their own transaction).
CREATE FUNCTION helpdesk.notifications_count_inserted_old()
RETURNS trigger
LANGUAGE plpgsql
AS $$
BEGIN
    PERFORM helpdesk.notification_counts_reset(NEW.txid);
    RETURN NULL;
END
$$;

CREATE TRIGGER notifications_count_inserted_old AFTER INSERT ON helpdesk.notifications
    FOR EACH ROW WHEN (NEW.txid <> pg_catalog.pg_current_xact_id())
    EXECUTE FUNCTION helpdesk.notifications_count_inserted_old();

-- How much the mark (read_at, deleted) of `user_id` on broadcast `notification_id` takes off their
-- count as kept up to `upto`: 1 when the broadcast, below `upto`, is one they read and would be
-- unread without the mark, and the mark reads or deletes it.
CREATE FUNCTION helpdesk.notification_mark_effect(user_id int, notification_id bigint, read_at timestamptz,
                                                  deleted boolean, upto xid8)
RETURNS int
LANGUAGE plpgsql STABLE
AS $$
BEGIN
    IF read_at IS NULL AND NOT deleted THEN
        RETURN 0;
    END IF;
    RETURN (SELECT count(*)
            FROM helpdesk.users u
            LEFT JOIN helpdesk.notification_readers r ON r.user_id = u.id
            JOIN helpdesk.notifications n
              ON n.id = notification_mark_effect.notification_id AND n.user_id IS NULL AND n.txid < upto
                 AND n.id > greatest(coalesce(r.staff_since, 0), coalesce(r.deleted_upto, 0), coalesce(r.read_upto, 0))
                 AND n.actor_id IS DISTINCT FROM u.id
            WHERE u.id = notification_mark_effect.user_id AND u.is_active AND u.role IN ('IT_Staff', 'Admin'));
END
$$;

-- AFTER INSERT/UPDATE/DELETE ON notification_marks: a broadcast read or deleted (or a mark gone)
-- below `upto` moves its reader's count. An UPDATE is its old marks gone and its new ones made.
CREATE FUNCTION helpdesk.notification_marks_count()
RETURNS trigger
LANGUAGE plpgsql
AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        UPDATE helpdesk.notification_counts c
        SET unread = c.unread + (SELECT coalesce(sum(helpdesk.notification_mark_effect(o.user_id, o.notification_id,
                                                                                    o.read_at, o.deleted, c.upto)), 0)
                                 FROM old_marks o WHERE o.user_id = c.user_id)
        WHERE c.user_id IN (SELECT o.user_id FROM old_marks o);
    END IF;
    IF TG_OP IN ('UPDATE', 'INSERT') THEN
        UPDATE helpdesk.notification_counts c
        SET unread = c.unread - (SELECT coalesce(sum(helpdesk.notification_mark_effect(m.user_id, m.notification_id,
                                                                                    m.read_at, m.deleted, c.upto)), 0)
                                 FROM new_marks m WHERE m.user_id = c.user_id)
        WHERE c.user_id IN (SELECT m.user_id FROM new_marks m);
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER notification_marks_count_insert AFTER INSERT ON helpdesk.notification_marks
    REFERENCING NEW TABLE AS new_marks FOR EACH STATEMENT EXECUTE FUNCTION helpdesk.notification_marks_count();

CREATE TRIGGER notification_marks_count_update AFTER UPDATE ON helpdesk.notification_marks
    REFERENCING OLD TABLE AS old_marks NEW TABLE AS new_marks
    FOR EACH STATEMENT EXECUTE FUNCTION helpdesk.notification_marks_count();

CREATE TRIGGER notification_marks_count_delete AFTER DELETE ON helpdesk.notification_marks
    REFERENCING OLD TABLE AS old_marks FOR EACH STATEMENT EXECUTE FUNCTION helpdesk.notification_marks_count();

-- AFTER INSERT/UPDATE ON notification_readers (read-all, delete-all, staff since) and AFTER
-- UPDATE of users' activity or role: what the reader sees changed as a whole: counted again.
CREATE FUNCTION helpdesk.notification_count_changed()
RETURNS trigger
LANGUAGE plpgsql
AS $$
BEGIN
    IF TG_TABLE_NAME = 'users' THEN
        PERFORM helpdesk.notification_count_refresh(NEW.id);
    ELSE
        PERFORM helpdesk.notification_count_refresh(NEW.user_id);
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER notification_readers_count AFTER INSERT OR UPDATE ON helpdesk.notification_readers
    FOR EACH ROW EXECUTE FUNCTION helpdesk.notification_count_changed();

CREATE TRIGGER users_31_notification_count AFTER UPDATE ON helpdesk.users
    FOR EACH ROW WHEN ((OLD.is_active, OLD.role) IS DISTINCT FROM (NEW.is_active, NEW.role))
    EXECUTE FUNCTION helpdesk.notification_count_changed();

-- One of the actor's notifications, locked for a change of its state: 404 when it is not theirs.
CREATE FUNCTION helpdesk.notification_of(actor helpdesk.users, id bigint)
RETURNS helpdesk.notifications
LANGUAGE plpgsql
AS $$
DECLARE
    n helpdesk.notifications;
BEGIN
    SELECT * INTO n FROM helpdesk.inbox(actor.id) i WHERE i.id = notification_of.id;
    IF NOT FOUND THEN
        PERFORM helpdesk.http_error(404, 'Notification not found');
    END IF;
    RETURN n;
END
$$;

-- PATCH /notifications/:id/read: read at `at` (a notification read before keeps its first read).
CREATE FUNCTION helpdesk.notification_mark_read(actor helpdesk.users, id bigint, at timestamptz DEFAULT now())
RETURNS jsonb
LANGUAGE plpgsql
AS $$
DECLARE
    n helpdesk.notifications := helpdesk.notification_of(actor, id);
BEGIN
    IF NOT n.is_read THEN
        IF EXISTS (SELECT FROM helpdesk.notifications o WHERE o.id = n.id AND o.user_id = actor.id) THEN
            UPDATE helpdesk.notifications o SET is_read = true, read_at = at WHERE o.id = n.id;
        ELSE
            INSERT INTO helpdesk.notification_marks (user_id, notification_id, read_at) VALUES (actor.id, n.id, at)
            ON CONFLICT (user_id, notification_id) DO UPDATE SET read_at = excluded.read_at;
        END IF;
        n.is_read := true;
        n.read_at := at;
        PERFORM helpdesk.notification_signal(actor.id);
    END IF;
    RETURN helpdesk.notification_json(n);
END
$$;

-- PATCH /notifications/read-all: how many were unread. Broadcasts: one watermark.
CREATE FUNCTION helpdesk.notifications_mark_all_read(actor helpdesk.users, at timestamptz DEFAULT now())
RETURNS bigint
LANGUAGE plpgsql
AS $$
DECLARE
    own bigint;
    shared bigint;
    upto bigint;
BEGIN
    UPDATE helpdesk.notifications SET is_read = true, read_at = at WHERE user_id = actor.id AND NOT is_read;
    GET DIAGNOSTICS own = ROW_COUNT;
    SELECT count(*) FILTER (WHERE NOT i.is_read), max(i.id) INTO shared, upto
    FROM helpdesk.inbox(actor.id) i WHERE i.id IN (SELECT b.id FROM helpdesk.notifications b WHERE b.user_id IS NULL);
    IF shared > 0 THEN
        INSERT INTO helpdesk.notification_readers AS r (user_id, read_upto, read_upto_at) VALUES (actor.id, upto, at)
        ON CONFLICT (user_id) DO UPDATE SET read_upto = excluded.read_upto, read_upto_at = excluded.read_upto_at;
    END IF;
    IF own + shared > 0 THEN
        PERFORM helpdesk.notification_signal(actor.id);
    END IF;
    RETURN own + shared;
END
$$;

-- DELETE /notifications/:id
CREATE FUNCTION helpdesk.notification_delete(actor helpdesk.users, id bigint)
RETURNS void
LANGUAGE plpgsql
AS $$
DECLARE
    n helpdesk.notifications := helpdesk.notification_of(actor, id);
BEGIN
    DELETE FROM helpdesk.notifications o WHERE o.id = n.id AND o.user_id = actor.id;
    IF NOT FOUND THEN
        INSERT INTO helpdesk.notification_marks (user_id, notification_id, deleted) VALUES (actor.id, n.id, true)
        ON CONFLICT (user_id, notification_id) DO UPDATE SET deleted = true;
    END IF;
    PERFORM helpdesk.notification_signal(actor.id);
END
$$;

-- DELETE /notifications: how many were deleted. Broadcasts: one watermark (their marks go).
CREATE FUNCTION helpdesk.notifications_delete_all(actor helpdesk.users)
RETURNS bigint
LANGUAGE plpgsql
AS $$
DECLARE
    own bigint;
    shared bigint;
    upto bigint;
BEGIN
    DELETE FROM helpdesk.notifications WHERE user_id = actor.id;
    GET DIAGNOSTICS own = ROW_COUNT;
    SELECT count(*), max(i.id) INTO shared, upto
    FROM helpdesk.inbox(actor.id) i WHERE i.id IN (SELECT b.id FROM helpdesk.notifications b WHERE b.user_id IS NULL);
    IF shared > 0 THEN
        INSERT INTO helpdesk.notification_readers AS r (user_id, deleted_upto) VALUES (actor.id, upto)
        ON CONFLICT (user_id) DO UPDATE SET deleted_upto = excluded.deleted_upto;
        DELETE FROM helpdesk.notification_marks m WHERE m.user_id = actor.id AND m.notification_id <= upto;
    END IF;
    IF own + shared > 0 THEN
        PERFORM helpdesk.notification_signal(actor.id);
    END IF;
    RETURN own + shared;
END
$$;

-- The stream's view of its subscribers (http/sse.c): `subs` is [{userId, iat, after, count,
-- countUpto, snapshot}] (iat: the token's, seconds; after: the last notification id the
-- subscriber has, -1 for none yet; count and countUpto, optional: the unread count it was given
-- with lastId = countUpto; snapshot, optional: pg_current_snapshot() of the answer it last got,
-- helpdesk_api.notifications_stream's "snapshot"). For each distinct user: {"active": false}
-- when the user is gone, inactive, or the token older than the last password change (the stream
-- ends); else {"active": true, "staff" (reads staff broadcasts), "unreadCount", "lastId" (the
-- newest id the user sees, 0 for none), "events": [notification JSON, id ascending, ids > the
-- smallest `after` of that user but -1, at most 100], and "late" when there are some: [the
-- notifications with an id <= the greatest `after` committed since the snapshot, id ascending:
-- each subscriber takes those up to its own `after` from "late", the others from "events"]}.
-- Late rows: ids are taken at INSERT and rows seen at COMMIT, so a transaction that took id 104
-- and commits after the one that took 105 was not there when the stream moved past 105. Rows
-- new since a snapshot are those visible now whose transaction (txid) it did not see; "late"
-- uses the snapshot the user's subscribers with an `after` agree on (http/sse.c asks for a
-- user's streams together, so they do), none when they disagree.
-- Only txids this cluster has issued: rows restored from another cluster's dump keep its txids.
-- The count: when every subscriber of the user gave the same count, countUpto and snapshot, it is
-- that count plus the unread notifications after countUpto and the late ones up to it (a
-- broadcast adds a few index entries); else it is counted over everything the user reads
-- (thousands of rows for a reader who never reads). The caller leaves the count out when the
-- user's own state changed (a 'u <id>' signal: a read, a delete, a role or password change), so
-- only new notifications are added.
-- Never JIT-compiled: the stream waits for this answer, and compiling costs more than it saves.
CREATE FUNCTION helpdesk.notification_stream_state(subs jsonb)
RETURNS jsonb
LANGUAGE sql STABLE
SET jit = off
AS $$
    WITH s AS MATERIALIZED (
        SELECT (x->>'userId')::int AS user_id, max((x->>'iat')::bigint) AS iat,
               min((x->>'after')::bigint) FILTER (WHERE (x->>'after')::bigint >= 0) AS after,
               max((x->>'after')::bigint) FILTER (WHERE (x->>'after')::bigint >= 0) AS after_max,
               CASE WHEN count(*) = count(x->'count') AND count(DISTINCT (x->>'count', x->>'countUpto')) = 1
                         AND count(*) = count(x->'snapshot') AND count(DISTINCT x->>'snapshot') = 1
                    THEN min((x->>'count')::bigint) END AS known,
               min((x->>'countUpto')::bigint) AS known_upto,
               CASE WHEN count(DISTINCT x->>'snapshot') FILTER (WHERE (x->>'after')::bigint >= 0) = 1
                    THEN min(x->>'snapshot') FILTER (WHERE (x->>'after')::bigint >= 0) END AS since_snapshot
        FROM jsonb_array_elements(subs) x GROUP BY 1),
    -- the rows committed since a snapshot, once per snapshot sent (one, as a rule), whoever reads
    -- them: the rows of transactions it did not see (notifications_txid_idx). Per user, only
    -- these ids are then tested against what the user reads (a scan per user and arm read every
    -- row since the snapshot's xmin, thousands while a long transaction held it back).
    -- (a subquery per snapshot: the scan is that index's, with the snapshot's xmin)
    late_ids AS MATERIALIZED (
        SELECT d.since_snapshot,
               (SELECT array_agg(n.id) FROM helpdesk.notifications n
                WHERE n.txid >= pg_snapshot_xmin(d.since_snapshot::pg_snapshot)
                  AND n.txid < pg_snapshot_xmax(pg_current_snapshot())
                  AND NOT pg_visible_in_snapshot(n.txid, d.since_snapshot::pg_snapshot)) AS ids
        FROM (SELECT DISTINCT since_snapshot FROM s WHERE since_snapshot IS NOT NULL) d)
    SELECT coalesce(jsonb_object_agg(s.user_id, CASE
               WHEN u.id IS NULL OR NOT u.is_active
                    OR NOT helpdesk.token_current(u, s.iat)
               THEN '{"active": false}'::jsonb
               ELSE jsonb_build_object(
                   'active', true,
                   'staff', helpdesk.is_staff(u),
                   'unreadCount', coalesce(recount.unread, s.known + since.unread + late_unread.unread),
                   'lastId', coalesce(recount.last_id, greatest(s.known_upto, since.last_id)),
                   'events', CASE WHEN s.after IS NULL THEN '[]'::jsonb ELSE
                       (SELECT coalesce(jsonb_agg(helpdesk.notification_json(e, false) ORDER BY e.id), '[]')
                        FROM (SELECT * FROM helpdesk.inbox(u.id) i WHERE i.id > s.after ORDER BY i.id LIMIT 100) e) END)
                   || CASE WHEN late.events IS NULL THEN '{}'::jsonb ELSE jsonb_build_object('late', late.events) END
               END), '{}')
    FROM s
    LEFT JOIN helpdesk.users u ON u.id = s.user_id
    LEFT JOIN late_ids l ON l.since_snapshot = s.since_snapshot
    -- no count known: the count and the newest id in one pass over what the user reads
    LEFT JOIN LATERAL (SELECT count(*) FILTER (WHERE NOT i.is_read) AS unread, coalesce(max(i.id), 0) AS last_id
                       FROM helpdesk.inbox(u.id) i WHERE s.known IS NULL) recount ON s.known IS NULL
    -- a count known up to an id: what came after it (notifications_user_id_idx, the broadcasts' index)
    LEFT JOIN LATERAL (SELECT count(*) FILTER (WHERE NOT i.is_read) AS unread, max(i.id) AS last_id
                       FROM helpdesk.inbox(u.id) i WHERE s.known IS NOT NULL AND i.id > s.known_upto) since
           ON s.known IS NOT NULL
    -- and the late ones up to it (late_ids; none: not a row read, "l.ids IS NOT NULL" gates the scan)
    LEFT JOIN LATERAL (SELECT count(*) FILTER (WHERE NOT i.is_read) AS unread
                       FROM helpdesk.inbox(u.id) i
                       WHERE s.known IS NOT NULL AND l.ids IS NOT NULL AND i.id <= s.known_upto AND i.id = ANY (l.ids)) late_unread
           ON s.known IS NOT NULL
    LEFT JOIN LATERAL (SELECT jsonb_agg(helpdesk.notification_json(i, false) ORDER BY i.id) AS events
                       FROM helpdesk.inbox(u.id) i
                       WHERE l.ids IS NOT NULL AND i.id <= s.after_max AND i.id = ANY (l.ids)) late
           ON s.after IS NOT NULL
$$;

-- actor_name: PL/pgSQL, planned once per connection (as a SQL function, on every call).
CREATE OR REPLACE FUNCTION helpdesk.actor_name()
RETURNS text
LANGUAGE plpgsql STABLE
AS $$
BEGIN
    RETURN coalesce((SELECT u.full_name::text FROM helpdesk.users u WHERE u.id = helpdesk.actor_id()), 'System');
END
$$;

-- The CHECKs of value lists as one array constant (a CHECK's expression is read back from its
-- stored text at every statement that writes the table; IN's list of casts was 3-4 times as long).
ALTER TABLE helpdesk.notifications DROP CONSTRAINT notifications_type_check,
    ADD CONSTRAINT notifications_type_check CHECK (type::text = ANY ('{
        ticket_created, ticket_assigned, ticket_updated, ticket_commented,
        ticket_resolved, ticket_closed, ticket_escalated, sla_warning, sla_breach}'::text[]));
