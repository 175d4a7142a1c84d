-- 93_email_api: POST /notifications/test-email, and the two calls of the sender (http/mailer.c),
-- which runs as helpdesk-http's database role and may only call helpdesk_api functions. The
-- sender's calls are not routes (no acting user); their rules are in sql/92_email.sql.

-- POST /notifications/test-email: {success, message, recipient} (the caller's address).
CREATE FUNCTION helpdesk_api.notifications_test_email(req jsonb)
RETURNS jsonb
LANGUAGE plpgsql
AS $$
BEGIN
    RETURN helpdesk.email_test(helpdesk.current_actor());
END
$$;

-- The sender claims a batch: {"batch": n, "leaseMs": n, "maxAttempts": n} -> [{id, attempt,
-- recipient, subject, bodyText, bodyHtml, messageId}], committed before anything is sent.
CREATE FUNCTION helpdesk_api.email_claim(req jsonb)
RETURNS jsonb
LANGUAGE plpgsql
AS $$
BEGIN
    RETURN coalesce((
        SELECT jsonb_agg(jsonb_build_object('id', o.id, 'attempt', o.attempts, 'recipient', o.recipient,
                                            'subject', o.subject, 'bodyText', o.body_text, 'bodyHtml', o.body_html,
                                            'messageId', o.message_id) ORDER BY o.id)
        FROM helpdesk.email_claim((req ->> 'batch')::int,
                                  pg_catalog.make_interval(secs => (req ->> 'leaseMs')::bigint / 1000.0),
                                  (req ->> 'maxAttempts')::int, pg_catalog.clock_timestamp()) o), '[]');
END
$$;

-- The sender records an attempt's outcome: {"id", "attempt", "outcome": "sent" | "retry" |
-- "dead", "error", "maxAttempts", "retryBaseMs", "retryMaxMs"} -> {"recorded": bool}.
CREATE FUNCTION helpdesk_api.email_mark(req jsonb)
RETURNS jsonb
LANGUAGE plpgsql
AS $$
DECLARE
    id      bigint := (req ->> 'id')::bigint;
    attempt int := (req ->> 'attempt')::int;
    at      timestamptz := pg_catalog.clock_timestamp();
    done    boolean;
BEGIN
    CASE req ->> 'outcome'
        WHEN 'sent' THEN
            done := helpdesk.email_mark_sent(id, at);
        WHEN 'retry' THEN
            done := helpdesk.email_mark_retry(id, attempt, req ->> 'error', (req ->> 'maxAttempts')::int,
                                              (req ->> 'retryBaseMs')::bigint, (req ->> 'retryMaxMs')::bigint, at);
        WHEN 'dead' THEN
            done := helpdesk.email_mark_dead(id, attempt, req ->> 'error');
        ELSE
            PERFORM helpdesk.http_error(400, 'outcome must be sent, retry or dead');
    END CASE;
    RETURN jsonb_build_object('recorded', done);
END
$$;
