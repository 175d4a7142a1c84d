-- E-mail: templates in two languages, the outbox row written with its cause, and the sender's
-- state machine (claim with a lease, sent / retry with backoff / dead letter). Clocks passed in.
-- Everything runs in one transaction rolled back at the end.
SET TimeZone = 'UTC';
\set SHOW_CONTEXT never
\set VERBOSITY terse
\set ON_ERROR_ROLLBACK on
BEGIN;
-- the sender's own messages only (other tests left some in the outbox)
DELETE FROM helpdesk.email_outbox;

-- Every template exists in both languages, with a subject, a text and an HTML body.
SELECT template, array_agg(language ORDER BY language) AS languages,
       bool_and(subject <> '' AND body_text <> '' AND body_html LIKE '<p>%') AS complete
FROM helpdesk.email_templates GROUP BY template ORDER BY template;

-- Rendering: one pass (a value holding "{{x}}" stays as it is), values escaped in HTML only.
SELECT helpdesk.email_render('A {{a}} B {{b}}.', '{"a": "<x & \"y\">", "b": "{{a}}"}', false) AS text,
       helpdesk.email_render('A {{a}} B {{b}}.', '{"a": "<x & ''y''>\nz", "b": "{{a}}"}', true) AS html;

INSERT INTO helpdesk.users (username, email, password_hash, full_name, role, language) VALUES
    ('m_staff', 'm_staff@example.com', '$2a$04$regressregressregressre', 'Mai Staff', 'IT_Staff', 'vi'),
    ('m_emp', 'm_emp@example.com', '$2a$04$regressregressregressre', 'Minh <Employee>', 'Employee', 'en');
SELECT id AS staff FROM helpdesk.users WHERE username = 'm_staff' \gset
SELECT id AS emp FROM helpdesk.users WHERE username = 'm_emp' \gset
INSERT INTO helpdesk.categories (name) VALUES ('Mail Cat');

-- The language is the user's; the Message-ID is chosen at enqueue.
SELECT helpdesk.email_enqueue(u, 'test_email', '{}') > 0 AS queued FROM helpdesk.users u WHERE u.id IN (:staff, :emp);
SELECT recipient, language, template, subject, body_text, body_html,
       message_id ~ '^<[0-9a-f-]{36}@helpdesk\.local>$' AS message_id_ok, status, attempts
FROM helpdesk.email_outbox ORDER BY id;
-- an unknown language falls back to English; a missing parameter or template is an error
SELECT helpdesk.email_compose(NULL, 'x@example.com', 'fr', 'test_email', '{"name": "X"}') AS fr \gset
SELECT language, subject FROM helpdesk.email_outbox WHERE id = :fr;
SELECT helpdesk.email_compose(NULL, 'x@example.com', 'en', 'password_reset_otp', '{"name": "X", "code": "1"}');
SELECT helpdesk.email_compose(NULL, 'x@example.com', 'en', 'no_such', '{}');
DELETE FROM helpdesk.email_outbox;

-- Ticket events: the ticket's number, never its id, in the staff member's language.
SELECT set_config('helpdesk.actor_id', :'emp', true) IS NOT NULL AS acting;
INSERT INTO helpdesk.tickets (ticket_number, title, description, category_id, submitter_id)
VALUES ('TKT-2031-0042', 'Máy in <kẹt giấy>', 'x', (SELECT id FROM helpdesk.categories WHERE name = 'Mail Cat'), :emp)
RETURNING id AS t \gset
SELECT set_config('helpdesk.actor_id', '', true) IS NOT NULL AS system;
UPDATE helpdesk.tickets SET assignee_id = :staff WHERE id = :t;
INSERT INTO helpdesk.comments (ticket_id, user_id, content, type) VALUES (:t, :staff, 'Đã kiểm tra: <b>driver</b>', 'internal');
INSERT INTO helpdesk.comments (ticket_id, user_id, content) VALUES (:t, :staff, E'Fixed the tray.\nTry again?');
UPDATE helpdesk.tickets SET status = 'Resolved' WHERE id = :t;
SELECT recipient, language, template, subject, body_text, body_html, ticket_id = :t AS about_ticket,
       position(:'t' IN subject) = 0 AS no_id_in_subject
FROM helpdesk.email_outbox ORDER BY id;
-- an internal comment never mails the Employee: only the public one reached m_emp
SELECT count(*) AS internal_mails_to_employee FROM helpdesk.email_outbox
WHERE recipient = 'm_emp@example.com' AND body_text LIKE '%driver%';
DELETE FROM helpdesk.email_outbox;

-- ---- the sender's state machine ----
INSERT INTO helpdesk.email_outbox (recipient, subject, body_text, template, message_id, next_attempt_at)
SELECT 'q' || i || '@example.com', 'S' || i, 'B', 'test_email', '<m' || i || '@t>', '2030-01-01 10:00+00'
FROM generate_series(1, 5) i;
-- a row of release 1.0 (no Message-ID) gets a stable one when first claimed
INSERT INTO helpdesk.email_outbox (recipient, subject, body_text, template, next_attempt_at)
VALUES ('old@example.com', 'Old', 'B', 'password_reset_otp', '2030-01-01 10:00+00') RETURNING id AS old \gset
-- not due yet
INSERT INTO helpdesk.email_outbox (recipient, subject, body_text, template, message_id, next_attempt_at)
VALUES ('later@example.com', 'Later', 'B', 'test_email', '<later@t>', '2030-01-01 11:00+00');

CREATE TEMP VIEW box AS
SELECT recipient, status, attempts, last_attempt_at, lease_until,
       CASE WHEN next_attempt_at > '2030-01-01 10:00+00' AND attempts > 0 THEN 'backed off' ELSE 'first' END AS next_attempt,
       last_error, sent_at
FROM helpdesk.email_outbox ORDER BY id;

-- A claim of 4 takes the 4 oldest due ones, records the attempt and the lease.
SELECT recipient, attempts, message_id FROM helpdesk.email_claim(4, '2 min', 3, '2030-01-01 10:00+00') ORDER BY id;
-- while leased, nobody else takes them: the next claim gets the other two due ones only
SELECT recipient, attempts, message_id = '<outbox-' || :old || '@helpdesk.local>' AS derived_id
FROM helpdesk.email_claim(10, '2 min', 3, '2030-01-01 10:01+00') ORDER BY id;
SELECT count(*) AS nothing_left FROM helpdesk.email_claim(10, '2 min', 3, '2030-01-01 10:01:30+00');

-- Outcomes: q1 sent; q2 retried (4xx); q3 refused for good (5xx); q5 and old sent.
SELECT recipient, CASE recipient
           WHEN 'q1@example.com' THEN helpdesk.email_mark_sent(id, '2030-01-01 10:00:05+00')
           WHEN 'q2@example.com' THEN helpdesk.email_mark_retry(id, 1, '451 4.3.0 try later', 3, 1000, 60000, '2030-01-01 10:00:06+00')
           WHEN 'q3@example.com' THEN helpdesk.email_mark_dead(id, 1, '550 5.1.1 no such user')
           ELSE helpdesk.email_mark_sent(id, '2030-01-01 10:01:05+00') END AS recorded
FROM helpdesk.email_outbox WHERE recipient IN ('q1@example.com', 'q2@example.com', 'q3@example.com', 'q5@example.com', 'old@example.com')
ORDER BY id;
-- a stale attempt number (not the holder) records nothing; sent twice is recorded once
SELECT helpdesk.email_mark_retry(id, 7, 'late', 3, 1000, 60000, '2030-01-01 10:00:07+00') AS stale_retry,
       helpdesk.email_mark_dead(id, 7, 'late') AS stale_dead
FROM helpdesk.email_outbox WHERE recipient = 'q4@example.com';
SELECT helpdesk.email_mark_sent(id, '2030-01-01 10:00:08+00') AS sent_again FROM helpdesk.email_outbox WHERE recipient = 'q1@example.com';
SELECT * FROM box;

-- q2 is due again after its backoff (attempt 2); q4 is still leased.
SELECT recipient, attempts FROM helpdesk.email_claim(10, '2 min', 3, '2030-01-01 10:01:59+00') ORDER BY id;
-- (a base of 10 s: attempt 3 is due 10 to 20 s later)
SELECT helpdesk.email_mark_retry(id, 2, 'connection refused', 3, 10000, 60000, '2030-01-01 10:01:59+00') AS recorded
FROM helpdesk.email_outbox WHERE recipient = 'q2@example.com';
-- q4's sender stopped between sending and recording: after its lease (10:02) it is claimed again
-- with the SAME Message-ID, as attempt 2.
SELECT recipient, attempts, message_id FROM helpdesk.email_claim(10, '2 min', 3, '2030-01-01 10:02:00+00') ORDER BY id;
-- q2's third and last attempt gets a 4xx: a dead letter with that error. q4's third attempt
-- never records an outcome: a dead letter when its lease ends.
SELECT recipient, attempts FROM helpdesk.email_claim(10, '2 min', 3, '2030-01-01 10:05+00') ORDER BY id;
SELECT helpdesk.email_mark_retry(id, 3, '421 4.7.0 busy', 3, 1000, 60000, '2030-01-01 10:05:01+00') AS recorded
FROM helpdesk.email_outbox WHERE recipient = 'q2@example.com';
SELECT count(*) AS claimed FROM helpdesk.email_claim(10, '2 min', 3, '2030-01-01 10:06:59+00');
SELECT count(*) AS claimed FROM helpdesk.email_claim(10, '2 min', 3, '2030-01-01 10:07+00');
SELECT * FROM box;

-- Backoff: base * 2^(n-1), capped, its second half spread by (id, attempt); within [d/2, d].
SELECT n, d AS uncapped_or_cap,
       bool_and(b >= d / 2 AND b <= d) AS within, count(DISTINCT b) > 1 AS spread
FROM generate_series(1, 12) n
CROSS JOIN LATERAL (SELECT least(60000, 1000 * 2 ^ (n - 1)) * interval '1 ms' AS d) c
CROSS JOIN LATERAL (SELECT helpdesk.email_backoff(i, n, 1000, 60000) AS b FROM generate_series(1, 50) i) x
GROUP BY n, d ORDER BY n;
SELECT helpdesk.email_backoff(7, 3, 1000, 60000) = helpdesk.email_backoff(7, 3, 1000, 60000) AS deterministic,
       helpdesk.email_backoff(7, 1000, 1000, 60000) <= interval '60 s' AS huge_attempt_capped;

-- POST /notifications/test-email's function: to the caller, queued here.
SELECT helpdesk.email_test(u) FROM helpdesk.users u WHERE u.id = :emp;
SELECT recipient, template, subject FROM helpdesk.email_outbox WHERE template = 'test_email' AND recipient = 'm_emp@example.com';

-- The sender's calls through helpdesk_api (what http/mailer.c sends), on live clocks.
UPDATE helpdesk.email_outbox SET next_attempt_at = '2000-01-01' WHERE recipient = 'm_emp@example.com';
SELECT jsonb_array_length(c) AS claimed, c -> 0 -> 'attempt' AS attempt, c -> 0 ->> 'recipient' AS recipient,
       c -> 0 ? 'bodyHtml' AND c -> 0 ? 'messageId' AND c -> 0 ? 'subject' AS shape
FROM helpdesk_api.email_claim('{"batch": 5, "leaseMs": 60000, "maxAttempts": 3}') c \gset
\echo :claimed :attempt :recipient :shape
SELECT helpdesk_api.email_mark(jsonb_build_object('id', id, 'attempt', 1, 'outcome', 'sent'))
FROM helpdesk.email_outbox WHERE recipient = 'm_emp@example.com';
SELECT helpdesk_api.email_mark('{"id": 1, "attempt": 1, "outcome": "maybe"}');
ROLLBACK;
