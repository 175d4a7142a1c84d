-- 36_history, 1.0 to 1.1:
-- The CHECKs of value lists as one array constant (a CHECK's expression is read back from its
-- stored text at every statement that writes the table; IN's list of casts was 3-4 times as long).

ALTER TABLE helpdesk.ticket_history DROP CONSTRAINT ticket_history_action_check,
    ADD CONSTRAINT ticket_history_action_check CHECK (action::text = ANY ('{
        created, updated, assigned, status_changed, priority_changed,
        category_changed, comment_added, attachment_added, resolved, closed,
        reopened, sla_warning, sla_breached, escalated}'::text[]));
