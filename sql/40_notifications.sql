-- 40_notifications: in-app notifications and the e-mail outbox.

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

-- Mail waits here, written in the same transaction as what caused it; a sender delivers it
-- and records the outcome, so no mail is lost or sent for a change that rolled back.
CREATE TABLE helpdesk.email_outbox (
    id              bigserial PRIMARY KEY,
    user_id         int REFERENCES helpdesk.users (id) ON DELETE SET NULL,
    recipient       varchar(255) NOT NULL,
    subject         varchar(255) NOT NULL,
    body_text       text NOT NULL,
    body_html       text,
    template        varchar(50) NOT NULL,
    ticket_id       int REFERENCES helpdesk.tickets (id) ON DELETE SET NULL,
    status          varchar(10) NOT NULL DEFAULT 'pending'
                    CHECK (status IN ('pending', 'sent', 'failed')),
    attempts        int NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    last_error      text,
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    sent_at         timestamptz,
    created_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX email_outbox_pending_idx ON helpdesk.email_outbox (next_attempt_at) WHERE status = 'pending';

SELECT pg_catalog.pg_extension_config_dump('helpdesk.notifications', '');
SELECT pg_catalog.pg_extension_config_dump('helpdesk.notifications_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('helpdesk.email_outbox', '');
SELECT pg_catalog.pg_extension_config_dump('helpdesk.email_outbox_id_seq', '');
