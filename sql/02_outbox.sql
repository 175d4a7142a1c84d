-- 02_outbox: the e-mail outbox.
--
-- Every module that sends mail (one-time codes of sql/12_auth.sql, ticket events of
-- sql/38_notifications.sql) writes the composed message here in the same transaction as its
-- cause; a sender delivers it and records the outcome, so no mail is lost, and none is sent for
-- a change that rolled back. user_id and ticket_id say what a message is about. They are not
-- foreign keys: this file comes before users and tickets (no file refers to a later one), and
-- a message already composed is delivered, or kept as a record, even after its ticket is gone.
-- Messages are composed from templates by helpdesk.email_compose (sql/03_email.sql); their
-- states and the sender's protocol are in sql/92_email.sql.
CREATE TABLE helpdesk.email_outbox (
    id              bigserial PRIMARY KEY,
    user_id         int,
    recipient       varchar(255) NOT NULL,
    subject         varchar(255) NOT NULL,
    body_text       text NOT NULL,
    body_html       text,
    template        varchar(50) NOT NULL,
    ticket_id       int,
    status          varchar(10) NOT NULL DEFAULT 'pending'
                    CHECK (status IN ('pending', 'sent', 'failed')),
    attempts        int NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    last_error      text,
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    sent_at         timestamptz,
    created_at      timestamptz NOT NULL DEFAULT now(),
    -- 1.1: the Message-ID header, chosen at enqueue and sent with every attempt, so a message
    -- sent twice (a crash between sending and recording it) is recognisable as one; NULL for
    -- rows of 1.0, which get '<outbox-<id>@helpdesk>' when first claimed (sql/92_email.sql)
    message_id      text,
    language        varchar(2),
    -- 1.1: a sender holds the message until then (sql/92_email.sql); NULL: nobody does
    lease_until     timestamptz,
    last_attempt_at timestamptz
);

CREATE INDEX email_outbox_pending_idx ON helpdesk.email_outbox (next_attempt_at) WHERE status = 'pending';

SELECT pg_catalog.pg_extension_config_dump('helpdesk.email_outbox', '');
SELECT pg_catalog.pg_extension_config_dump('helpdesk.email_outbox_id_seq', '');
