-- 92_email: the outbox's states and the sender's protocol (the sender: http/mailer.c, a thread
-- of helpdesk-http; docs/ARCHITECTURE.md says why there).
--
-- A message is `pending` until it is `sent`, or `failed` (the dead letter: a permanent refusal,
-- 5xx, or EMAIL_MAX_ATTEMPTS attempts). A sender CLAIMS a batch of due pending messages
-- (FOR UPDATE SKIP LOCKED, so two senders never take the same one): the claim records the
-- attempt (attempts + 1, last_attempt_at) and a lease (lease_until) and commits BEFORE anything
-- is sent. Then per message it records the outcome: sent; retry (a 4xx answer or no connection:
-- next_attempt_at = now + exponential backoff with jitter, capped); dead (5xx). An outcome
-- is recorded only by the holder of that attempt (its number), except `sent`, which is true
-- whoever sent it.
--
-- The guarantee: AT LEAST ONCE, with a stable Message-ID. A sender that stops between sending
-- and recording (crash, kill, lost database) leaves the message pending with its lease; no one
-- takes it before lease_until, then it is sent again with the SAME Message-ID header, so a
-- receiver can drop the duplicate. A message is never lost: it leaves `pending` only as `sent`
-- after a server accepted it, or as `failed` after the attempts allowed. The last allowed
-- attempt whose outcome was never recorded is a dead letter when its lease ends. Every clock is
-- passed in (`at`), so the rules are tested with fixed instants (tests/regress/sql/92_email.sql).

-- Delay before attempt `attempts` + 1 of message `id`: base_ms * 2^(attempts - 1), at most
-- max_ms, of which the second half is spread by a hash of (id, attempts) so that messages that
-- failed together do not come back together (deterministic: the same inputs, the same delay).
CREATE FUNCTION helpdesk.email_backoff(id bigint, attempts int, base_ms bigint, max_ms bigint)
RETURNS interval
LANGUAGE sql IMMUTABLE
AS $$
    SELECT pg_catalog.make_interval(secs => (d / 2 + d / 2 * frac) / 1000.0)
    FROM (SELECT least(max_ms::float8, base_ms * power(2::float8, least(greatest(attempts, 1) - 1, 60))) AS d,
                 (abs(pg_catalog.hashint8(id * 131 + attempts)::bigint) % 1000) / 1000.0 AS frac) x
$$;

-- Claim up to `batch` due messages for `lease`: each gets its attempt recorded and is returned
-- (message_id filled in for rows of release 1.0). Pending messages that already used
-- `max_attempts` and whose last lease ended without an outcome become dead letters first.
CREATE FUNCTION helpdesk.email_claim(batch int, lease interval, max_attempts int, at timestamptz)
RETURNS SETOF helpdesk.email_outbox
LANGUAGE plpgsql
AS $$
BEGIN
    UPDATE helpdesk.email_outbox o
    SET status = 'failed', lease_until = NULL,
        last_error = left(format('attempt %s: no outcome recorded before its lease ended (the sender stopped)%s',
                                 o.attempts, coalesce('; before: ' || o.last_error, '')), 2000)
    WHERE o.id IN (SELECT c.id FROM helpdesk.email_outbox c
                   WHERE c.status = 'pending' AND c.attempts >= max_attempts
                     AND (c.lease_until IS NULL OR c.lease_until <= at)
                   FOR UPDATE SKIP LOCKED);
    RETURN QUERY
    UPDATE helpdesk.email_outbox o
    SET attempts = o.attempts + 1, last_attempt_at = at, lease_until = at + lease,
        message_id = coalesce(o.message_id, '<outbox-' || o.id || '@helpdesk.local>')
    WHERE o.id IN (SELECT c.id FROM helpdesk.email_outbox c
                   WHERE c.status = 'pending' AND c.next_attempt_at <= at
                     AND (c.lease_until IS NULL OR c.lease_until <= at) AND c.attempts < max_attempts
                   ORDER BY c.next_attempt_at, c.id
                   LIMIT batch
                   FOR UPDATE SKIP LOCKED)
    RETURNING o.*;
END
$$;

-- A server accepted message `id`. True when it was pending (whoever held it).
CREATE FUNCTION helpdesk.email_mark_sent(id bigint, at timestamptz)
RETURNS boolean
LANGUAGE plpgsql
AS $$
BEGIN
    UPDATE helpdesk.email_outbox o SET status = 'sent', sent_at = at, lease_until = NULL, last_error = NULL
    WHERE o.id = email_mark_sent.id AND o.status = 'pending';
    RETURN FOUND;
END
$$;

-- Attempt `attempt` of message `id` failed for now (a 4xx answer, no connection): due again
-- after the backoff, or a dead letter when it was attempt `max_attempts`. False when that
-- attempt is not the message's current one (its lease ended and another sender took it).
CREATE FUNCTION helpdesk.email_mark_retry(id bigint, attempt int, error text, max_attempts int,
                                          base_ms bigint, max_ms bigint, at timestamptz)
RETURNS boolean
LANGUAGE plpgsql
AS $$
BEGIN
    UPDATE helpdesk.email_outbox o
    SET status = CASE WHEN o.attempts >= max_attempts THEN 'failed' ELSE 'pending' END,
        next_attempt_at = CASE WHEN o.attempts >= max_attempts THEN o.next_attempt_at
                               ELSE at + helpdesk.email_backoff(o.id, o.attempts, base_ms, max_ms) END,
        lease_until = NULL, last_error = left(error, 2000)
    WHERE o.id = email_mark_retry.id AND o.status = 'pending' AND o.attempts = attempt;
    RETURN FOUND;
END
$$;

-- Attempt `attempt` of message `id` was refused for good (5xx): a dead letter.
CREATE FUNCTION helpdesk.email_mark_dead(id bigint, attempt int, error text)
RETURNS boolean
LANGUAGE plpgsql
AS $$
BEGIN
    UPDATE helpdesk.email_outbox o SET status = 'failed', lease_until = NULL, last_error = left(error, 2000)
    WHERE o.id = email_mark_dead.id AND o.status = 'pending' AND o.attempts = attempt;
    RETURN FOUND;
END
$$;

-- POST /notifications/test-email: the test e-mail to the caller's own address, queued in this
-- transaction (sent when the server's sender is on, EMAIL_ENABLED).
CREATE FUNCTION helpdesk.email_test(actor helpdesk.users)
RETURNS jsonb
LANGUAGE plpgsql
AS $$
BEGIN
    PERFORM helpdesk.email_enqueue(actor, 'test_email', '{}');
    RETURN jsonb_build_object('success', true, 'message', 'Test email queued for delivery', 'recipient', actor.email);
END
$$;
