-- 34_attachments: files attached to tickets. An attachment follows its ticket's visibility
-- (helpdesk.visible_ticket); its history row comes from the history trigger (sql/36_history.sql).

-- Attachment metadata; the bytes live in the storage the attachments module chooses.
CREATE TABLE helpdesk.attachments (
    id            serial PRIMARY KEY,
    ticket_id     int NOT NULL REFERENCES helpdesk.tickets (id) ON DELETE CASCADE,
    file_name     varchar(255) NOT NULL,
    original_name varchar(255) NOT NULL,
    file_path     varchar(500) NOT NULL,
    file_size     bigint NOT NULL CHECK (file_size >= 0),
    mime_type     varchar(100) NOT NULL,
    sha256        bytea CHECK (length(sha256) = 32),
    uploaded_by   int NOT NULL REFERENCES helpdesk.users (id) ON DELETE RESTRICT,
    created_at    timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX attachments_ticket_idx ON helpdesk.attachments (ticket_id, created_at);

CREATE INDEX attachments_uploader_idx ON helpdesk.attachments (uploaded_by);

SELECT pg_catalog.pg_extension_config_dump('helpdesk.attachments', '');

SELECT pg_catalog.pg_extension_config_dump('helpdesk.attachments_id_seq', '');
