-- 38_notifications: in-app notifications, and the triggers that write them and outbox mails in
-- the same transaction as the change that causes them, whoever made it (API, bulk routes, a DBA's UPDATE).
--
-- Texts are the reference's (§3.6) with one change: where it printed the database id
-- (`Ticket #<id>`) we print the ticket number users know (`Ticket #TKT-2026-0001`); the
-- notification's ticketId still links the ticket.
--
-- Recipients (reference §3.6 and API.md's fixes):
-- - ticket created: every active IT_Staff and Admin.
-- - assignee set: the assignee (+ e-mail), and the submitter when not the assignee.
-- - status entered Resolved: the submitter (+ e-mail).
-- - status entered Closed: the submitter, and the assignee when not the submitter.
-- - any other change of title, description, priority, category, assignee or status: the
--   submitter and the assignee (`ticket_updated`), unless this transaction already told them
--   about the ticket (a route that assigns then moves the status is one event for its reader).
-- - comment (not system): the submitter and the assignee except its author (+ e-mail with the
--   text). An internal comment reaches staff only: an Employee gets no notification, no e-mail,
--   no text.
-- - Nobody is notified of their own action (the acting user, helpdesk.actor_id); a change made
--   without an acting user notifies everyone concerned. Inactive users are never notified.
-- - Rows loaded by COPY (pg_restore of a dump, an import) notify nobody: they are not changes.

CREATE TABLE helpdesk.notifications (
    id          bigserial PRIMARY KEY,
    user_id     int NOT NULL REFERENCES helpdesk.users (id) ON DELETE CASCADE,
    type        varchar(50) NOT NULL CHECK (type IN (
                    'ticket_created', 'ticket_assigned', 'ticket_updated', 'ticket_commented',
                    'ticket_resolved', 'ticket_closed', 'ticket_escalated', 'sla_warning', 'sla_breach')),
    title       varchar(255) NOT NULL,
    message     text NOT NULL,
    ticket_id   int REFERENCES helpdesk.tickets (id) ON DELETE CASCADE,
    is_read     boolean NOT NULL DEFAULT false,
    read_at     timestamptz,
    created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX notifications_user_idx ON helpdesk.notifications (user_id, created_at DESC);

CREATE INDEX notifications_unread_idx ON helpdesk.notifications (user_id) WHERE NOT is_read;

CREATE INDEX notifications_ticket_idx ON helpdesk.notifications (ticket_id);

SELECT pg_catalog.pg_extension_config_dump('helpdesk.notifications', '');

SELECT pg_catalog.pg_extension_config_dump('helpdesk.notifications_id_seq', '');

-- The acting user's name for messages (`System` when none is set).
CREATE FUNCTION helpdesk.actor_name()
RETURNS text
LANGUAGE sql STABLE
AS $$
    SELECT coalesce((SELECT u.full_name::text FROM helpdesk.users u WHERE u.id = helpdesk.actor_id()), 'System')
$$;

-- One notification for `user_id` and, when `email_subject` is given, one outbox mail to the
-- user's address. Does nothing for a missing or inactive user, or for the acting user.
-- Returns whether the user was notified.
CREATE FUNCTION helpdesk.notify(user_id int, type text, title text, message text, ticket_id int,
                                email_subject text DEFAULT NULL, email_body text DEFAULT NULL)
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
    IF email_subject IS NOT NULL THEN
        INSERT INTO helpdesk.email_outbox (user_id, recipient, subject, body_text, template, ticket_id)
        VALUES (u.id, u.email, email_subject,
                format(E'Hello %s,\n\n%s\n', u.full_name, coalesce(email_body, message)),
                type, ticket_id);
    END IF;
    RETURN true;
END
$$;

-- Mark `user_ids` as already told, in this transaction, about ticket `ticket_id`: the next
-- change of that ticket in this transaction sends them no `ticket_updated`. For code that
-- sends its own notification about a change it makes (e.g. an escalation that reassigns).
-- The memo is transaction-local: '<ticket id>:<user ids>' of the last ticket notified.
CREATE FUNCTION helpdesk.notify_mark_told(ticket_id int, VARIADIC user_ids int[])
RETURNS void
LANGUAGE plpgsql
AS $$
DECLARE
    memo text := pg_catalog.current_setting('helpdesk_notify.last', true);
    told int[] := '{}';
BEGIN
    IF memo LIKE ticket_id || ':%' THEN
        told := coalesce(string_to_array(nullif(split_part(memo, ':', 2), ''), ',')::int[], '{}');
    END IF;
    PERFORM pg_catalog.set_config('helpdesk_notify.last',
                                  ticket_id || ':' || array_to_string(told || user_ids, ','), true);
END
$$;

-- AFTER INSERT OR UPDATE ON tickets.
CREATE FUNCTION helpdesk.tickets_notify()
RETURNS trigger
LANGUAGE plpgsql
AS $$
DECLARE
    ref      text := '#' || NEW.ticket_number;
    who      text := helpdesk.actor_name();
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
        FOR u IN SELECT id FROM helpdesk.users WHERE is_active AND helpdesk.is_staff(users) ORDER BY id LOOP
            IF helpdesk.notify(u, 'ticket_created', 'New Ticket Created',
                               format('Ticket %s: %s', ref, NEW.title), NEW.id) THEN
                notified := notified || u;
            END IF;
        END LOOP;
        PERFORM pg_catalog.set_config('helpdesk_notify.last', NEW.id || ':' || array_to_string(notified, ','), true);
        RETURN NULL;
    END IF;

    IF NEW.status IS DISTINCT FROM OLD.status AND NEW.status = 'Resolved' THEN
        IF helpdesk.notify(NEW.submitter_id, 'ticket_resolved', 'Ticket Resolved',
                           format('Your ticket %s: %s has been resolved by %s', ref, NEW.title, who), NEW.id,
                           format('Ticket %s Resolved', ref),
                           format('Your ticket %s: %s has been resolved by %s.', ref, NEW.title, who)) THEN
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
                           format('Ticket %s Assigned to You', ref),
                           format(E'Ticket %s: %s has been assigned to you by %s.\n\nPriority: %s\nStatus: %s',
                                  ref, NEW.title, who, NEW.priority, NEW.status)) THEN
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

CREATE TRIGGER tickets_30_notify_insert AFTER INSERT ON helpdesk.tickets
    FOR EACH ROW WHEN (NOT helpdesk.copying_rows()) EXECUTE FUNCTION helpdesk.tickets_notify();

CREATE TRIGGER tickets_30_notify_update AFTER UPDATE ON helpdesk.tickets
    FOR EACH ROW
    WHEN ((OLD.title, OLD.description, OLD.category_id, OLD.priority, OLD.assignee_id, OLD.status)
          IS DISTINCT FROM
          (NEW.title, NEW.description, NEW.category_id, NEW.priority, NEW.assignee_id, NEW.status))
    EXECUTE FUNCTION helpdesk.tickets_notify();

-- AFTER INSERT ON comments (not system, not inserted deleted).
CREATE FUNCTION helpdesk.comments_notify()
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
                                format('New Comment on Ticket %s', ref),
                                format(E'%s commented on Ticket %s: %s\n\n%s', author, ref, t.title, NEW.content));
    END LOOP;
    RETURN NULL;
END
$$;

CREATE TRIGGER comments_30_notify AFTER INSERT ON helpdesk.comments
    FOR EACH ROW WHEN (NEW.type <> 'system' AND NEW.deleted_at IS NULL AND NOT helpdesk.copying_rows())
    EXECUTE FUNCTION helpdesk.comments_notify();


