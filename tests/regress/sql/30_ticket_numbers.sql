-- Ticket numbers TKT-YYYY-NNNN (extension/numbering.c): a sequence per year made by its first
-- number, the year's zone, restart each year, no reuse after deletes or rollbacks (a rollback
-- leaves a gap), more than four digits when needed, a new year's sequence starting after the
-- year's 1.0 counter row and after its existing tickets.
-- (Concurrency: tests/isolation/specs/ticket_numbers.spec.)
\set SHOW_CONTEXT never
\set VERBOSITY terse
SET timezone = 'UTC';

-- The years used here are far enough in the future that no other suite touches them.
SELECT helpdesk.next_ticket_number('2031-03-01 10:00+00') AS first,
       helpdesk.next_ticket_number('2031-03-01 10:00+00') AS second,
       helpdesk.next_ticket_number('2031-07-01 10:00+00') AS third;

-- The year is taken in the session's zone, or in the zone given.
SELECT helpdesk.next_ticket_number('2031-12-31 23:30+00') AS utc_session,
       helpdesk.next_ticket_number('2031-12-31 23:30+00', 'Asia/Ho_Chi_Minh') AS in_hcmc,
       helpdesk.next_ticket_number('2032-01-01 03:00+07', 'America/New_York') AS in_new_york;
SET timezone = 'Pacific/Auckland';
SELECT helpdesk.next_ticket_number('2032-12-31 12:00+00') AS auckland_session;
SET timezone = 'UTC';
SELECT c.relname, pg_sequence_last_value(c.oid) AS last_value, obj_description(c.oid, 'pg_class') AS comment
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = 'helpdesk' AND c.relname BETWEEN 'ticket_numbers_2031' AND 'ticket_numbers_2033' ORDER BY 1;
-- Nothing counts in the 1.0 counter table any more.
SELECT count(*) AS counter_rows FROM helpdesk.ticket_number_counters WHERE year BETWEEN 2031 AND 2033;

-- A year's sequence starts after its counter row (where release 1.0 counted: an upgraded desk
-- carries on), and past 9999 the number simply grows.
INSERT INTO helpdesk.ticket_number_counters VALUES (2035, 9998);
SELECT helpdesk.next_ticket_number('2035-06-01') AS n9999, helpdesk.next_ticket_number('2035-06-01') AS n10000;

-- A rolled-back number is not handed out again: it stays a gap (a sequence is not transactional).
BEGIN;
SELECT helpdesk.next_ticket_number('2035-06-01') AS rolled_back;
ROLLBACK;
SELECT helpdesk.next_ticket_number('2035-06-01') AS after_rollback;
-- A rolled-back first number of a year takes its new sequence with it; the next one makes it again.
BEGIN;
SELECT helpdesk.next_ticket_number('2038-06-01') AS first_of_2038_rolled_back;
ROLLBACK;
SELECT to_regclass('helpdesk.ticket_numbers_2038') IS NULL AS no_sequence_left;
SELECT helpdesk.next_ticket_number('2038-06-01') AS first_of_2038;

-- Bad input.
SELECT helpdesk.next_ticket_number(NULL);
SELECT helpdesk.next_ticket_number('infinity');
SELECT helpdesk.next_ticket_number('1969-06-01 00:00+00');
SELECT helpdesk.next_ticket_number('2031-06-01', 'Mars/Olympus_Mons');

-- Tickets: numbers from the sequence, never from counting rows, so deletes never bring one back.
SELECT setval('helpdesk.users_id_seq', (SELECT max(id) FROM helpdesk.users)) IS NOT NULL AS seq_moved
FROM helpdesk.users HAVING count(*) > 0;
INSERT INTO helpdesk.users (username, email, password_hash, full_name, role)
VALUES ('tn_emp', 'tn_emp@example.com', helpdesk.hash_password('x'), 'TN Employee', 'Employee');
INSERT INTO helpdesk.categories (name) VALUES ('TN Numbers');
CREATE TEMP TABLE made AS
SELECT t.*
FROM helpdesk.users u, helpdesk.categories c, generate_series(1, 3) i,
     LATERAL helpdesk.ticket_create(u, 'Numbered ' || i, 'Ticket number test ' || i, c.id, 'Low',
                                    '2036-02-01 12:00+00'::timestamptz + i * interval '1 minute') t
WHERE u.username = 'tn_emp' AND c.name = 'TN Numbers';
SELECT ticket_number, title FROM made ORDER BY id;
SELECT count(*) AS tickets_in_2036 FROM helpdesk.tickets WHERE ticket_number LIKE 'TKT-2036-%';
DELETE FROM helpdesk.tickets WHERE ticket_number IN ('TKT-2036-0002', 'TKT-2036-0003');
SELECT t.ticket_number
FROM helpdesk.users u, helpdesk.categories c,
     LATERAL helpdesk.ticket_create(u, 'After delete', 'Created after two deletes', c.id, 'Low', '2036-02-02 12:00+00') t
WHERE u.username = 'tn_emp' AND c.name = 'TN Numbers';

-- The settings row 'ticket_number_time_zone' chooses the zone of the year for new tickets.
INSERT INTO helpdesk.settings (setting_key, setting_value) VALUES ('ticket_number_time_zone', 'Asia/Ho_Chi_Minh');
SELECT t.ticket_number
FROM helpdesk.users u, helpdesk.categories c,
     LATERAL helpdesk.ticket_create(u, 'New year in HCMC', 'Created on 31 December UTC', c.id, 'Low', '2036-12-31 20:00+00') t
WHERE u.username = 'tn_emp' AND c.name = 'TN Numbers';
DELETE FROM helpdesk.settings WHERE setting_key = 'ticket_number_time_zone';
SELECT t.ticket_number
FROM helpdesk.users u, helpdesk.categories c,
     LATERAL helpdesk.ticket_create(u, 'Same instant in UTC', 'Created on 31 December UTC', c.id, 'Low', '2036-12-31 20:00+00') t
WHERE u.username = 'tn_emp' AND c.name = 'TN Numbers';

-- A year whose tickets exist without a counter row or a sequence (rows loaded by hand): its new
-- sequence starts after the highest number among them; other formats are ignored.
INSERT INTO helpdesk.tickets (ticket_number, title, description, category_id, submitter_id)
SELECT n, 'Loaded', 'Loaded with its number', c.id, u.id
FROM helpdesk.users u, helpdesk.categories c, unnest(ARRAY['TKT-2039-0041', 'TKT-2039-0007', 'TKT-2039-99x', 'OLD-2039-5000']) n
WHERE u.username = 'tn_emp' AND c.name = 'TN Numbers';
SELECT helpdesk.next_ticket_number('2039-06-01') AS after_loaded;

-- The highest existing number is the greatest as a number, past 9999 too (as text, 9999 is).
-- Year 9999 as well, where 'TKT-<year + 1>' would be no upper bound ('TKT-10000' < 'TKT-9999-').
BEGIN;
INSERT INTO helpdesk.tickets (ticket_number, title, description, category_id, submitter_id)
SELECT n, 'Loaded', 'Loaded with its number', c.id, u.id
FROM helpdesk.users u, helpdesk.categories c,
     unnest(ARRAY['TKT-2040-0500', 'TKT-2040-9999', 'TKT-2040-10007', 'TKT-9999-12345', 'TKT-9999-0999']) n
WHERE u.username = 'tn_emp' AND c.name = 'TN Numbers';
SELECT helpdesk.next_ticket_number('2040-06-01') AS after_10007,
       helpdesk.next_ticket_number('9999-06-01') AS after_12345;
ROLLBACK;

-- A year's first number finds the year's existing numbers through the unique index on
-- ticket_number: a new year reads no index entry (before, the regex alone read every ticket,
-- seconds at 1M tickets). The tickets here are few, so a sequential scan would be the cheaper
-- plan: it is turned off to see that the index serves the statement.
-- The counters are the transaction's own, so they only count this call.
BEGIN;
SET LOCAL enable_seqscan = off;
SET LOCAL enable_bitmapscan = off;
SELECT pg_stat_get_xact_numscans('helpdesk.tickets_ticket_number_key'::regclass) AS scans_before,
       pg_stat_get_xact_tuples_returned('helpdesk.tickets_ticket_number_key'::regclass) AS entries_before,
       pg_stat_get_xact_numscans('helpdesk.tickets'::regclass) AS seq_scans_before \gset
SELECT helpdesk.next_ticket_number('2041-06-01') AS first_of_2041;
SELECT pg_stat_get_xact_numscans('helpdesk.tickets_ticket_number_key'::regclass) - :scans_before AS index_scans,
       pg_stat_get_xact_tuples_returned('helpdesk.tickets_ticket_number_key'::regclass) - :entries_before AS index_entries_read,
       pg_stat_get_xact_numscans('helpdesk.tickets'::regclass) - :seq_scans_before AS seq_scans;
-- Its plan (the statement of year_sequence() in extension/numbering.c): index conditions on
-- the range, the regex kept as a filter for exactness.
PREPARE year_start(int) AS SELECT greatest(
  (SELECT c.last_value::bigint FROM helpdesk.ticket_number_counters c WHERE c.year = $1),
  (SELECT max(substring(t.ticket_number FROM '[0-9]+$')::bigint) FROM helpdesk.tickets t
    WHERE t.ticket_number >= ('TKT-' || $1 || '-')
      AND t.ticket_number < ('TKT-' || $1 || '-' || repeat('9', 19))
      AND t.ticket_number ~ ('^TKT-' || $1 || '-[0-9]{1,18}$')),
  0);
CREATE FUNCTION pg_temp.plan_lines(q text) RETURNS SETOF text LANGUAGE plpgsql AS $$
DECLARE l text;
BEGIN
    -- an index-only scan or not depends on the visibility map, which vacuum changes
    FOR l IN EXECUTE 'EXPLAIN (COSTS OFF) ' || q LOOP
        RETURN NEXT replace(l, 'Index Only Scan', 'Index Scan');
    END LOOP;
END $$;
SELECT * FROM pg_temp.plan_lines('EXECUTE year_start(2039)') AS plan;
ROLLBACK;

-- The unique constraint stays the last line of defence.
INSERT INTO helpdesk.tickets (ticket_number, title, description, category_id, submitter_id)
SELECT 'TKT-2036-0001', 'Duplicate', 'Duplicate number', c.id, u.id
FROM helpdesk.users u, helpdesk.categories c WHERE u.username = 'tn_emp' AND c.name = 'TN Numbers';
RESET timezone;
