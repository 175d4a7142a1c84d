-- Business-time arithmetic: business_time_add, business_time_between, is_working_day.
\set SHOW_CONTEXT never
\set VERBOSITY terse
SET timezone = 'UTC';

-- The seed's default calendar: Mon-Fri 08:00-17:30 Asia/Ho_Chi_Minh (UTC+7), 2026 holidays.
SELECT helpdesk.calendar_ensure_default() > 0 AS created;
SELECT helpdesk.calendar_ensure_default('Europe/Paris') = helpdesk.default_calendar_id() AS idempotent,
       (SELECT time_zone FROM helpdesk.calendars WHERE is_default) AS time_zone,
       (SELECT count(*) FROM helpdesk.business_hours WHERE calendar_id = helpdesk.default_calendar_id()) AS windows,
       (SELECT count(*) FROM helpdesk.holidays WHERE calendar_id = helpdesk.default_calendar_id()) AS holidays;

-- Test calendars, found by name.
CREATE FUNCTION pg_temp.cal(n text) RETURNS int LANGUAGE sql AS
$$ SELECT id FROM helpdesk.calendars WHERE name = n $$;
CREATE FUNCTION pg_temp.new_cal(n text, tz text, windows text[], holidays text[] DEFAULT '{}')
RETURNS int LANGUAGE plpgsql AS $$
DECLARE c int; w text; h text;
BEGIN
    INSERT INTO helpdesk.calendars (name, time_zone) VALUES (n, tz) RETURNING id INTO c;
    FOREACH w IN ARRAY windows LOOP   -- 'dow start end'
        INSERT INTO helpdesk.business_hours (calendar_id, day_of_week, start_time, end_time)
        VALUES (c, split_part(w, ' ', 1)::int, split_part(w, ' ', 2)::time, split_part(w, ' ', 3)::time);
    END LOOP;
    FOREACH h IN ARRAY holidays LOOP  -- 'date' or 'date r' (recurring)
        INSERT INTO helpdesk.holidays (calendar_id, name, date, is_recurring)
        VALUES (c, 'holiday ' || h, split_part(h, ' ', 1)::date, split_part(h, ' ', 2) = 'r');
    END LOOP;
    RETURN c;
END $$;

-- Split shifts in UTC: weekdays 09-12 and 13-17, Saturdays 10-14; a recurring Feb 29.
SELECT pg_temp.new_cal('split', 'UTC',
    ARRAY['1 09:00 12:00', '1 13:00 17:00', '2 09:00 12:00', '2 13:00 17:00', '3 09:00 12:00',
          '3 13:00 17:00', '4 09:00 12:00', '4 13:00 17:00', '5 09:00 12:00', '5 13:00 17:00',
          '6 10:00 14:00'],
    ARRAY['2028-02-29 r', '2026-12-25']) > 0 AS split;
-- Every day 01:00-04:00 and 09:00-17:00, around the clock changes of New York and Berlin.
SELECT pg_temp.new_cal('ny', 'America/New_York',
    ARRAY['0 01:00 04:00', '1 01:00 04:00', '2 01:00 04:00', '3 01:00 04:00', '4 01:00 04:00',
          '5 01:00 04:00', '6 01:00 04:00', '0 09:00 17:00', '1 09:00 17:00', '2 09:00 17:00',
          '3 09:00 17:00', '4 09:00 17:00', '5 09:00 17:00', '6 09:00 17:00']) > 0 AS ny;
SELECT pg_temp.new_cal('berlin', 'Europe/Berlin',
    ARRAY['0 02:00 03:00', '0 08:00 12:00', '1 02:00 03:00', '1 08:00 12:00', '2 02:00 03:00',
          '2 08:00 12:00', '3 02:00 03:00', '3 08:00 12:00', '4 02:00 03:00', '4 08:00 12:00',
          '5 02:00 03:00', '5 08:00 12:00', '6 02:00 03:00', '6 08:00 12:00']) > 0 AS berlin;
-- A night shift across midnight (22:00-24:00 then 00:00-06:00), Mon night to Sat morning.
SELECT pg_temp.new_cal('night', 'UTC',
    ARRAY['1 22:00 24:00', '2 00:00 06:00', '2 22:00 24:00', '3 00:00 06:00', '3 22:00 24:00',
          '4 00:00 06:00', '4 22:00 24:00', '5 00:00 06:00', '5 22:00 24:00', '6 00:00 06:00']) > 0 AS night;
-- Overlapping rows are merged, not counted twice.
SELECT pg_temp.new_cal('overlap', 'UTC', ARRAY['1 08:00 12:00', '1 11:00 13:00', '1 13:00 14:00']) > 0 AS overlap;
-- No working time at all; working time on Mondays but every date a holiday.
SELECT pg_temp.new_cal('empty', 'UTC', '{}') > 0 AS empty;
SELECT pg_temp.new_cal('closed', 'UTC', ARRAY['1 08:00 17:00'],
    ARRAY(SELECT to_char(d, 'YYYY-MM-DD') || ' r' FROM generate_series(date '2028-01-01', '2028-12-31', '1 day') d)) > 0 AS closed;

-- business_time_add: calendar, start, duration -> result
SELECT c AS calendar, s AS start, d AS duration,
       helpdesk.business_time_add(s, d, pg_temp.cal(c)) AS result, note
FROM (VALUES
    ('Default', timestamptz '2026-01-05 09:00+07', interval '2 hours', 'inside a window'),
    ('Default', '2026-01-05 16:00+07', '4 hours', '1.5 h today, 2.5 h tomorrow: Tue 10:30+07'),
    ('Default', '2026-01-09 17:00+07', '1 hour', 'Friday evening to Monday 08:30+07'),
    ('Default', '2026-01-09 17:00+07', '30 minutes', 'ends exactly at 17:30 Friday'),
    ('Default', '2026-01-10 12:00+07', '1 hour', 'starts on Saturday: Monday 09:00+07'),
    ('Default', '2026-01-05 06:00+07', '1 hour', 'before the window: 09:00+07'),
    ('Default', '2026-01-10 12:00+07', '0', 'zero duration keeps the start'),
    ('Default', '2025-12-31 17:00+07', '1 hour', 'year end, Jan 1 recurring: Fri 2026-01-02 08:30+07'),
    ('Default', '2026-12-31 17:00+07', '1 hour', 'Jan 1 2027 (recurring) too: Mon 2027-01-04 08:30+07'),
    ('Default', '2026-02-16 17:00+07', '1 hour', 'Tet 17-20 Feb (one-off): Mon 23 Feb 08:30+07'),
    ('Default', '2026-04-29 17:00+07', '2 hours', 'Apr 30, May 1 (recurring): Mon 4 May 09:30+07'),
    ('Default', '2026-01-05 08:00+07', '47 hours 30 minutes', 'one working week: Friday 17:30+07'),
    ('Default', '2026-01-05 08:00+07', '2394 hours', '2026 holds 2394 h, Jan 2 is before the start: Mon 2027-01-04 17:30+07'),
    ('Default', '2026-01-05 08:00+07', '1 day', 'a day is 24 business hours: Wed 2026-01-07 13:00+07'),
    ('Default', '2026-01-05 08:00+07', '10000 hours', 'four years ahead: Thu 2030-02-07 14:00+07'),
    ('split', '2026-01-05 11:00Z', '2 hours', 'over the lunch break: 14:00'),
    ('split', '2026-01-05 12:30Z', '1 second', 'in the break: 13:00:01'),
    ('split', '2026-01-09 16:00Z', '2 hours', 'Friday to Saturday 11:00'),
    ('split', '2026-12-24 16:00Z', '2 hours', 'Dec 25 one-off holiday (Fri): Sat 26 11:00'),
    ('split', '2028-02-28 16:00Z', '2 hours', 'Feb 29 2028 recurring (Tue): Wed Mar 1 10:00'),
    ('split', '2027-02-26 16:00Z', '8 hours', 'recurring Feb 29 spares Sat Feb 27 and Mon Mar 1 2027: 12:00'),
    ('night', '2026-01-05 23:00Z', '3 hours', 'across midnight: Tue 02:00'),
    ('night', '2026-01-10 05:00Z', '2 hours', 'Sat 05:00-06:00, then Mon 22:00-23:00'),
    ('overlap', '2026-01-05 08:00Z', '6 hours', 'merged 08:00-14:00: 14:00'),
    ('overlap', '2026-01-05 08:00Z', '6 hours 1 second', 'the next Monday 08:00:01'),
    ('ny', '2026-03-08 00:00-05', '2 hours', 'spring forward: 01:00-04:00 EST/EDT holds 2 h: 04:00 EDT'),
    ('ny', '2026-03-08 00:00-05', '2 hours 1 minute', '09:01 EDT'),
    ('ny', '2026-11-01 00:00-04', '4 hours', 'fall back: 01:00 EDT-04:00 EST holds 4 h: 04:00 EST'),
    ('ny', '2026-11-01 01:30-05', '30 minutes', 'from the second 01:30: 02:00 EST'),
    ('berlin', '2026-03-29 00:00+01', '1 minute', 'the 02:00-03:00 window does not exist that night: 08:01 CEST'),
    ('berlin', '2026-10-25 00:00+02', '90 minutes', '02:00 CEST + 90 min = 02:30 CET'),
    ('berlin', '2026-10-25 00:00+02', '2 hours 1 minute', 'the window is 2 real hours: 08:01 CET')
) AS t(c, s, d, note);

-- business_time_between: calendar, a, b -> business time in [a, b)
SELECT c AS calendar, a, b, helpdesk.business_time_between(a, b, pg_temp.cal(c)) AS business, note
FROM (VALUES
    ('Default', timestamptz '2026-01-05 09:00+07', timestamptz '2026-01-05 09:00+07', 'between(a, a) = 0'),
    ('Default', '2026-01-05 09:00+07', '2026-01-05 11:15+07', 'inside one window'),
    ('Default', '2026-01-05 11:15+07', '2026-01-05 09:00+07', 'reversed: negative'),
    ('Default', '2026-01-01 00:00+07', '2027-01-01 00:00+07', '2026: 252 working days of 9.5 h'),
    ('Default', '2027-01-01 00:00+07', '2028-01-01 00:00+07', '2027: 261 weekdays less Jan 1, Apr 30, Sep 2 (May 1 is a Saturday)'),
    ('Default', '2026-12-31 12:00+07', '2027-01-04 12:00+07', 'across the year end: 5.5 + 4 h'),
    ('Default', '2026-01-10 00:00+07', '2026-01-11 23:59+07', 'a weekend'),
    ('Default', '2020-01-01 00:00+07', '2040-01-01 00:00+07', 'twenty years (a day-by-day count gives 48991.5 h)'),
    ('split', '2026-01-05 00:00Z', '2026-01-12 00:00Z', 'a week: 5 x 7 h + 4 h'),
    ('split', '2028-02-27 00:00Z', '2028-03-05 00:00Z', 'a week with a recurring Feb 29'),
    ('ny', '2026-03-08 00:00-05', '2026-03-09 00:00-04', 'spring forward day: 01:00 EST-04:00 EDT is 2 h, + 8 h'),
    ('ny', '2026-11-01 00:00-04', '2026-11-02 00:00-05', 'fall back day: 01:00 EDT-04:00 EST is 4 h, + 8 h'),
    ('ny', '2026-03-01 00:00-05', '2026-11-15 00:00-05', 'both changes: 259 days x 11 h - 1 h + 1 h'),
    ('berlin', '2026-03-29 00:00+01', '2026-03-30 00:00+02', 'spring forward: 0 + 4 h'),
    ('berlin', '2026-10-25 00:00+02', '2026-10-26 00:00+01', 'fall back: 2 + 4 h'),
    ('night', '2026-01-05 00:00Z', '2026-01-12 00:00Z', 'a week of nights: 5 x 8 h'),
    ('overlap', '2026-01-05 00:00Z', '2026-01-06 00:00Z', 'merged windows: 6 h')
) AS t(c, a, b, note);

-- Round trips over long spans and year ends.
SELECT c AS calendar, s AS start, d AS duration,
       helpdesk.business_time_between(s, helpdesk.business_time_add(s, d, pg_temp.cal(c)), pg_temp.cal(c)) = d AS round_trip
FROM (VALUES
    ('Default', timestamptz '2026-12-30 15:07:13.25+07', interval '1234 hours 5 minutes 6.5 seconds'),
    ('ny', '2026-02-01 03:00Z', '5000 hours'),
    ('berlin', '2025-12-31 23:59:59Z', '3000 hours 1 second'),
    ('split', '2027-12-31 12:00Z', '100000 hours')
) AS t(c, s, d);

-- is_working_day
SELECT d, helpdesk.is_working_day(d) AS working, note
FROM (VALUES
    (date '2026-01-05', 'Monday'),
    ('2026-01-10', 'Saturday'),
    ('2026-01-01', 'recurring holiday'),
    ('2031-01-01', 'recurring holiday, later year (Wednesday)'),
    ('2026-02-18', 'one-off holiday'),
    ('2027-02-18', 'one-off only in 2026 (Thursday)'),
    ('2026-09-02', 'recurring holiday (Wednesday)')
) AS t(d, note);
SELECT helpdesk.is_working_day('2028-02-29', pg_temp.cal('split')) AS feb29_2028,
       helpdesk.is_working_day('2032-02-29', pg_temp.cal('split')) AS feb29_2032,
       helpdesk.is_working_day('2028-02-28', pg_temp.cal('split')) AS feb28_2028;

-- The calendar argument NULL (or omitted) is the default calendar.
SELECT helpdesk.business_time_add('2026-01-09 17:00+07', '1 hour', NULL)
       = helpdesk.business_time_add('2026-01-09 17:00+07', '1 hour', helpdesk.default_calendar_id()) AS null_is_default,
       helpdesk.is_working_day('2026-01-01', NULL) AS new_year_working;

-- NULL in, NULL out.
SELECT helpdesk.business_time_add(NULL, '1 hour') AS add_null,
       helpdesk.business_time_between('2026-01-05', NULL) AS between_null,
       helpdesk.is_working_day(NULL) AS day_null;

-- Errors: SQLSTATE and message (calendar ids masked: other suites may create calendars first).
CREATE FUNCTION pg_temp.err(expr text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE st text; msg text;
BEGIN
    EXECUTE 'SELECT (' || expr || ')::text';
    RETURN 'no error';
EXCEPTION WHEN OTHERS THEN
    GET STACKED DIAGNOSTICS st = RETURNED_SQLSTATE, msg = MESSAGE_TEXT;
    RETURN st || ' ' || regexp_replace(msg, 'calendar \d+', 'calendar N');
END $$;
SELECT e AS expr, pg_temp.err(e) AS error FROM unnest(ARRAY[
    $$helpdesk.business_time_add('2026-01-05', '1 month')$$,
    $$helpdesk.business_time_add('2026-01-05', '-1 hour')$$,
    $$helpdesk.business_time_add('2026-01-05', '1 day -25 hours')$$,
    $$helpdesk.business_time_add('infinity', '1 hour')$$,
    $$helpdesk.business_time_between('2026-01-05', '-infinity')$$,
    $$helpdesk.is_working_day('infinity')$$,
    $$helpdesk.business_time_add('2026-01-05', '1 hour', pg_temp.cal('empty'))$$,
    $$helpdesk.business_time_between('2026-01-05', '2026-01-06', pg_temp.cal('empty'))$$,
    $$helpdesk.business_time_add('2028-01-01', '1 hour', pg_temp.cal('closed'))$$,
    $$helpdesk.business_time_add('2026-01-05', '1 hour', 999999)$$,
    $$helpdesk.business_time_add('2026-01-05', '1 hour', 0)$$,
    $$helpdesk.business_time_add('294270-01-01', '100000 hours')$$
]) AS e;
UPDATE helpdesk.calendars SET time_zone = 'Nowhere/Special' WHERE name = 'empty';
SELECT pg_temp.err($$helpdesk.business_time_add('2026-01-05', '1 hour', pg_temp.cal('empty'))$$) AS bad_zone;
BEGIN;
UPDATE helpdesk.calendars SET is_default = false;
SELECT pg_temp.err($$helpdesk.business_time_add('2026-01-05', '1 hour')$$) AS no_default,
       pg_temp.err($$helpdesk.calendar_ensure_default('Mars/Olympus_Mons')$$) AS bad_default_zone;
ROLLBACK;

-- The cache follows writes in the same transaction.
BEGIN;
SELECT helpdesk.business_time_add('2026-01-05 08:00+07', '1 hour') AS before_change;
INSERT INTO helpdesk.holidays (calendar_id, name, date) VALUES (helpdesk.default_calendar_id(), 'Extra', '2026-01-05');
SELECT helpdesk.business_time_add('2026-01-05 08:00+07', '1 hour') AS after_change;
ROLLBACK;

-- ... and writes of other transactions: each change of windows or holidays rewrites the
-- calendar's row, whose version the kept copy is checked against.
SELECT helpdesk.business_time_add('2026-01-05 08:00+07', '1 hour') AS kept;
INSERT INTO helpdesk.holidays (calendar_id, name, date) VALUES (helpdesk.default_calendar_id(), 'Extra', '2026-01-05');
SELECT helpdesk.business_time_add('2026-01-05 08:00+07', '1 hour') AS after_insert;
UPDATE helpdesk.holidays SET date = '2026-01-06' WHERE name = 'Extra';
SELECT helpdesk.business_time_add('2026-01-05 08:00+07', '10 hours') AS after_update;
DELETE FROM helpdesk.holidays WHERE name = 'Extra';
UPDATE helpdesk.business_hours SET start_time = '09:00' WHERE calendar_id = helpdesk.default_calendar_id() AND day_of_week = 1;
SELECT helpdesk.business_time_add('2026-01-05 08:00+07', '1 hour') AS after_hours_update;
UPDATE helpdesk.business_hours SET start_time = '08:00' WHERE calendar_id = helpdesk.default_calendar_id() AND day_of_week = 1;
SELECT helpdesk.business_time_add('2026-01-05 08:00+07', '1 hour') AS restored;
UPDATE helpdesk.calendars SET time_zone = 'UTC' WHERE is_default;
SELECT helpdesk.business_time_add('2026-01-05 08:00+07', '1 hour') AS in_utc;
UPDATE helpdesk.calendars SET time_zone = 'Asia/Ho_Chi_Minh' WHERE is_default;
