-- 02_outbox, 1.0 to 1.1: the Message-ID chosen at enqueue, the recipient's language, and the
-- sender's lease (sql/92_email.sql).
ALTER TABLE helpdesk.email_outbox ADD COLUMN message_id text;

ALTER TABLE helpdesk.email_outbox ADD COLUMN language varchar(2);

ALTER TABLE helpdesk.email_outbox ADD COLUMN lease_until timestamptz;

ALTER TABLE helpdesk.email_outbox ADD COLUMN last_attempt_at timestamptz;
