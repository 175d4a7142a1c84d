-- Business time across daylight-saving changes (extension/calendar_math.h): real elapsed time
-- during which the calendar's wall clock reads a time inside a working window. When clocks go
-- back the repeated wall-clock times count twice; when they go forward the skipped ones count
-- nothing, and a window boundary inside the gap falls on the jump (the first wall-clock time
-- after it). Both functions, both changes of 2026 in Europe/Berlin, America/New_York,
-- Australia/Lord_Howe (30-minute change) and Pacific/Chatham (+12:45/+13:45).
\set SHOW_CONTEXT never
\set VERBOSITY terse
SET timezone = 'UTC';

-- Calendars named 'dst ...', found by name.
CREATE FUNCTION pg_temp.cal(n text) RETURNS int LANGUAGE sql AS
$$ SELECT id FROM helpdesk.calendars WHERE name = 'dst ' || n $$;
CREATE FUNCTION pg_temp.new_cal(n text, tz text, windows text[], holidays date[] DEFAULT '{}')
RETURNS int LANGUAGE plpgsql AS $$
DECLARE c int; w text;
BEGIN
    INSERT INTO helpdesk.calendars (name, time_zone) VALUES ('dst ' || n, tz) RETURNING id INTO c;
    FOREACH w IN ARRAY windows LOOP   -- 'dow start end'
        INSERT INTO helpdesk.business_hours (calendar_id, day_of_week, start_time, end_time)
        VALUES (c, split_part(w, ' ', 1)::int, split_part(w, ' ', 2)::time, split_part(w, ' ', 3)::time);
    END LOOP;
    INSERT INTO helpdesk.holidays (calendar_id, name, date)
    SELECT c, 'holiday ' || h, h FROM unnest(holidays) AS h;
    RETURN c;
END $$;
-- Every day 00:00-08:00.
CREATE FUNCTION pg_temp.daily(n text, tz text, holidays date[] DEFAULT '{}') RETURNS int LANGUAGE sql AS
$$ SELECT pg_temp.new_cal(n, tz, ARRAY(SELECT d || ' 00:00 08:00' FROM generate_series(0, 6) AS d), holidays) $$;
-- A wall-clock time with its offset in the calendar's zone, e.g. '2026-10-25 02:30:00 +01:00'.
CREATE FUNCTION pg_temp.wall(t timestamptz, n text) RETURNS text LANGUAGE sql AS $$
    SELECT to_char(t AT TIME ZONE z, 'YYYY-MM-DD HH24:MI:SS')
           || CASE WHEN o >= interval '0' THEN ' +' ELSE ' ' END || to_char(o, 'HH24:MI')
    FROM (SELECT c.time_zone AS z, (t AT TIME ZONE c.time_zone) - (t AT TIME ZONE 'UTC') AS o
          FROM helpdesk.calendars c WHERE c.name = 'dst ' || n) AS s
$$;

SELECT count(*) AS calendars FROM (VALUES
    -- Berlin: 2026-03-29 02:00 CET -> 03:00 CEST (02:00-03:00 skipped),
    --         2026-10-25 03:00 CEST -> 02:00 CET (02:00-03:00 repeated)
    (pg_temp.daily('berlin daily', 'Europe/Berlin')),
    (pg_temp.daily('berlin holiday', 'Europe/Berlin', '{2026-10-25}')),
    (pg_temp.new_cal('berlin 02:15-02:45', 'Europe/Berlin', '{"0 02:15 02:45"}')),
    (pg_temp.new_cal('berlin 00:00-02:30', 'Europe/Berlin', '{"0 00:00 02:30"}')),
    (pg_temp.new_cal('berlin 02:30-05:00', 'Europe/Berlin', '{"0 02:30 05:00"}')),
    -- New York: 2026-03-08 02:00 EST -> 03:00 EDT (02:00-03:00 skipped),
    --           2026-11-01 02:00 EDT -> 01:00 EST (01:00-02:00 repeated)
    (pg_temp.daily('ny daily', 'America/New_York')),
    (pg_temp.new_cal('ny 01:15-01:45', 'America/New_York', '{"0 01:15 01:45"}')),
    (pg_temp.new_cal('ny 02:15-02:45', 'America/New_York', '{"0 02:15 02:45"}')),
    -- Lord Howe: 2026-04-05 02:00 +11 -> 01:30 +10:30 (01:30-02:00 repeated),
    --            2026-10-04 02:00 +10:30 -> 02:30 +11 (02:00-02:30 skipped)
    (pg_temp.daily('lhi daily', 'Australia/Lord_Howe')),
    (pg_temp.new_cal('lhi 01:40-01:50', 'Australia/Lord_Howe', '{"0 01:40 01:50"}')),
    (pg_temp.new_cal('lhi 02:10-02:40', 'Australia/Lord_Howe', '{"0 02:10 02:40"}')),
    (pg_temp.new_cal('lhi 01:45-02:15', 'Australia/Lord_Howe', '{"0 01:45 02:15"}')),
    -- Chatham: 2026-04-05 03:45 +13:45 -> 02:45 +12:45 (02:45-03:45 repeated),
    --          2026-09-27 02:45 +12:45 -> 03:45 +13:45 (02:45-03:45 skipped)
    (pg_temp.daily('chatham daily', 'Pacific/Chatham')),
    (pg_temp.new_cal('chatham 03:00-03:30', 'Pacific/Chatham', '{"0 03:00 03:30"}')),
    (pg_temp.new_cal('chatham 03:30-04:30', 'Pacific/Chatham', '{"0 03:30 04:30"}')),
    (pg_temp.new_cal('chatham 02:30-03:00', 'Pacific/Chatham', '{"0 02:30 03:00"}')),
    -- no working time at all
    (pg_temp.new_cal('empty', 'Europe/Berlin', '{}'))
) AS t(id) WHERE id > 0;

-- business_time_between(a, b): business time in [a, b)
SELECT c AS calendar, helpdesk.business_time_between(a, b, pg_temp.cal(c)) AS business, note
FROM (VALUES
    ('berlin daily', timestamptz '2026-03-28 12:00+01', timestamptz '2026-03-29 12:00+02', 'spring: 00:00-08:00 holds 7 h'),
    ('berlin daily', '2026-10-24 12:00+02', '2026-10-25 12:00+01', 'fall: 00:00-08:00 holds 9 h'),
    ('berlin holiday', '2026-10-24 00:00+02', '2026-10-27 00:00+01', 'the fall-back Sunday is a holiday: 8 + 0 + 8 h'),
    ('berlin 02:15-02:45', '2026-10-24 12:00+02', '2026-10-25 12:00+01', 'fall: inside the repeated hour, worked twice: 1 h'),
    ('berlin 02:15-02:45', '2026-10-25 02:20+02', '2026-10-25 02:20+01', 'fall: first 02:20 to second 02:20: 25 + 5 min'),
    ('berlin 02:15-02:45', '2026-03-28 12:00+01', '2026-03-29 12:00+02', 'spring: inside the skipped hour: nothing'),
    ('berlin 00:00-02:30', '2026-10-24 12:00+02', '2026-10-25 12:00+01', 'fall: ends in the repeated hour, twice: 2.5 + 0.5 h'),
    ('berlin 00:00-02:30', '2026-10-25 00:59:59Z', '2026-10-25 02:00Z', 'fall: from the last second of CEST: 02:00-02:30 CET'),
    ('berlin 00:00-02:30', '2026-03-28 12:00+01', '2026-03-29 12:00+02', 'spring: ends in the gap, so at the jump: 2 h'),
    ('berlin 02:30-05:00', '2026-10-24 12:00+02', '2026-10-25 12:00+01', 'fall: starts in the repeated hour, twice: 0.5 + 2.5 h'),
    ('berlin 02:30-05:00', '2026-03-28 12:00+01', '2026-03-29 12:00+02', 'spring: starts in the gap, so at 03:00 CEST: 2 h'),
    ('ny daily', '2026-03-07 12:00-05', '2026-03-08 12:00-04', 'spring: 00:00-08:00 holds 7 h'),
    ('ny daily', '2026-10-31 12:00-04', '2026-11-01 12:00-05', 'fall: 00:00-08:00 holds 9 h'),
    ('ny 01:15-01:45', '2026-10-31 12:00-04', '2026-11-01 12:00-05', 'fall: inside the repeated hour: 1 h'),
    ('ny 01:15-01:45', '2026-03-07 12:00-05', '2026-03-08 12:00-04', 'spring: before the gap: 30 min'),
    ('ny 02:15-02:45', '2026-03-07 12:00-05', '2026-03-08 12:00-04', 'spring: inside the gap: nothing'),
    ('ny 02:15-02:45', '2026-10-31 12:00-04', '2026-11-01 12:00-05', 'fall: after the repeated hour: 30 min'),
    ('lhi daily', '2026-04-04 12:00+11', '2026-04-05 12:00+10:30', 'fall: 00:00-08:00 holds 8.5 h'),
    ('lhi daily', '2026-10-03 12:00+10:30', '2026-10-04 12:00+11', 'spring: 00:00-08:00 holds 7.5 h'),
    ('lhi 01:40-01:50', '2026-04-04 12:00+11', '2026-04-05 12:00+10:30', 'fall: inside the repeated half hour: 20 min'),
    ('lhi 02:10-02:40', '2026-10-03 12:00+10:30', '2026-10-04 12:00+11', 'spring: starts in the gap, so at 02:30: 10 min'),
    ('lhi 02:10-02:40', '2026-04-04 12:00+11', '2026-04-05 12:00+10:30', 'fall: after the repeated half hour: 30 min'),
    ('lhi 01:45-02:15', '2026-04-04 12:00+11', '2026-04-05 12:00+10:30', 'fall: starts in the repeated half hour: 15 + 30 min'),
    ('lhi 01:45-02:15', '2026-10-03 12:00+10:30', '2026-10-04 12:00+11', 'spring: ends in the gap, so at the jump: 15 min'),
    ('chatham daily', '2026-04-04 12:00+13:45', '2026-04-05 12:00+12:45', 'fall: 00:00-08:00 holds 9 h'),
    ('chatham daily', '2026-09-26 12:00+12:45', '2026-09-27 12:00+13:45', 'spring: 00:00-08:00 holds 7 h'),
    ('chatham 03:00-03:30', '2026-04-04 12:00+13:45', '2026-04-05 12:00+12:45', 'fall: inside the repeated hour: 1 h'),
    ('chatham 03:00-03:30', '2026-09-26 12:00+12:45', '2026-09-27 12:00+13:45', 'spring: inside the gap: nothing'),
    ('chatham 03:30-04:30', '2026-04-04 12:00+13:45', '2026-04-05 12:00+12:45', 'fall: starts in the repeated hour: 15 + 60 min'),
    ('chatham 03:30-04:30', '2026-09-26 12:00+12:45', '2026-09-27 12:00+13:45', 'spring: starts in the gap, so at 03:45: 45 min'),
    ('chatham 02:30-03:00', '2026-04-04 12:00+13:45', '2026-04-05 12:00+12:45', 'fall: ends in the repeated hour: 30 + 15 min'),
    ('chatham 02:30-03:00', '2026-09-26 12:00+12:45', '2026-09-27 12:00+13:45', 'spring: ends in the gap, so at the jump: 15 min'),
    ('berlin daily', '2026-10-25 12:00+01', '2026-10-24 12:00+02', 'reversed: minus the fall night'),
    ('berlin daily', '2026-10-25 02:30+01', '2026-10-25 02:30+01', 'between(a, a) = 0'),
    ('empty', '2026-10-25 02:30+01', '2026-10-25 02:30+01', 'between(a, a) = 0, even without working time')
) AS t(c, a, b, note);

-- business_time_add(start, duration): the first instant at which `duration` has elapsed
SELECT c AS calendar, d AS duration,
       pg_temp.wall(helpdesk.business_time_add(s, d, pg_temp.cal(c)), c) AS result, note
FROM (VALUES
    ('berlin daily', timestamptz '2026-03-29 00:00+01', interval '7 hours', 'spring: the night holds 7 h, ends 08:00 CEST'),
    ('berlin daily', '2026-03-29 00:00+01', '2 hours 1 minute', 'spring: 02:00 CET jumps to 03:00 CEST: 03:01'),
    ('berlin daily', '2026-10-25 00:00+02', '9 hours', 'fall: the night holds 9 h, ends 08:00 CET'),
    ('berlin daily', '2026-10-25 00:00+02', '9 hours 1 minute', 'fall: then Monday 00:01'),
    ('berlin daily', '2026-10-25 00:00+02', '3 hours 30 minutes', 'fall: the second 02:30'),
    ('berlin 02:15-02:45', '2026-10-24 12:00Z', '30 minutes', 'fall: first pass ends 02:45 CEST'),
    ('berlin 02:15-02:45', '2026-10-24 12:00Z', '31 minutes', 'fall: second pass, 02:16 CET'),
    ('berlin 02:15-02:45', '2026-10-24 12:00Z', '1 hour', 'fall: second pass ends 02:45 CET'),
    ('berlin 02:15-02:45', '2026-03-28 12:00Z', '1 minute', 'spring: no such time that night: a week later'),
    ('berlin 00:00-02:30', '2026-10-25 00:00+02', '2 hours 31 minutes', 'fall: resumes when the clock reads 02:00 again'),
    ('berlin 00:00-02:30', '2026-03-29 00:00+01', '2 hours', 'spring: ends at the jump (03:00 CEST)'),
    ('berlin 02:30-05:00', '2026-03-28 12:00Z', '1 minute', 'spring: starts at 03:00 CEST'),
    ('berlin 02:30-05:00', '2026-10-24 12:00Z', '31 minutes', 'fall: 02:30-03:00 CEST, then 02:30 CET'),
    ('ny daily', '2026-03-08 00:00-05', '7 hours', 'spring: ends 08:00 EDT'),
    ('ny daily', '2026-11-01 00:00-04', '9 hours', 'fall: ends 08:00 EST'),
    ('ny 01:15-01:45', '2026-10-31 12:00-04', '45 minutes', 'fall: the second 01:30'),
    ('ny 02:15-02:45', '2026-03-07 12:00-05', '1 minute', 'spring: no such time that night: a week later'),
    ('lhi daily', '2026-04-05 00:00+11', '8 hours 30 minutes', 'fall: ends 08:00 +10:30'),
    ('lhi daily', '2026-10-04 00:00+10:30', '2 hours 1 minute', 'spring: 02:00 jumps to 02:30: 02:31'),
    ('lhi 01:40-01:50', '2026-04-04 12:00+11', '15 minutes', 'fall: the second 01:45'),
    ('lhi 02:10-02:40', '2026-10-03 12:00+10:30', '1 minute', 'spring: starts at 02:30'),
    ('lhi 01:45-02:15', '2026-10-03 12:00+10:30', '15 minutes', 'spring: ends at the jump (02:30 +11)'),
    ('chatham daily', '2026-04-05 00:00+13:45', '9 hours', 'fall: ends 08:00 +12:45'),
    ('chatham daily', '2026-09-27 00:00+12:45', '3 hours', 'spring: 02:45 jumps to 03:45: 04:00'),
    ('chatham 03:30-04:30', '2026-04-04 12:00+13:45', '16 minutes', 'fall: the second 03:31'),
    ('chatham 03:30-04:30', '2026-09-26 12:00+12:45', '1 minute', 'spring: starts at 03:45'),
    ('chatham 02:30-03:00', '2026-09-26 12:00+12:45', '15 minutes', 'spring: ends at the jump (03:45 +13:45)'),
    ('chatham 02:30-03:00', '2026-04-04 12:00+13:45', '31 minutes', 'fall: resumes at 02:45 +12:45'),
    ('empty', '2026-10-25 02:30+01', '0', 'a zero duration keeps the start, even without working time')
) AS t(c, s, d, note);

-- add and between are inverses around each change: between(a, add(a, d)) = d, and
-- add(a, between(a, b)) = b when b ends business time (b inside a window).
SELECT c AS calendar,
       count(*) AS trials,
       count(*) FILTER (WHERE helpdesk.business_time_between(s, helpdesk.business_time_add(s, d, pg_temp.cal(c)), pg_temp.cal(c)) <> d)
           AS between_of_add_mismatches,
       count(*) FILTER (WHERE helpdesk.business_time_add(s, helpdesk.business_time_between(s, s + d, pg_temp.cal(c)), pg_temp.cal(c)) <> s + d
                          AND helpdesk.business_time_between(s + d - interval '1 second', s + d, pg_temp.cal(c)) = interval '1 second')
           AS add_of_between_mismatches
FROM (VALUES ('berlin daily', timestamptz '2026-03-28 22:00Z'), ('berlin daily', '2026-10-24 21:00Z'),
             ('ny daily', '2026-03-08 04:00Z'), ('ny daily', '2026-11-01 03:00Z'),
             ('lhi daily', '2026-04-04 12:00Z'), ('lhi daily', '2026-10-03 12:30Z'),
             ('chatham daily', '2026-04-04 10:00Z'), ('chatham daily', '2026-09-26 10:00Z'),
             ('berlin 02:30-05:00', '2026-10-24 23:00Z'), ('chatham 02:30-03:00', '2026-04-04 12:00Z')) AS z(c, s0),
     generate_series(0, 600, 7) AS m,
     LATERAL (SELECT s0 + m * interval '1 minute' AS s, (m % 300 + 1) * interval '1 minute' + interval '0.5 second' AS d) AS p
GROUP BY c ORDER BY c;

-- Multi-week spans crossing both changes of 2026 (every day 00:00-08:00): over the year the two
-- changes cancel out (365 x 8 h); each half year holds one of them.
SELECT c AS calendar,
       helpdesk.business_time_between(y0, y1, pg_temp.cal(c)) AS year,
       helpdesk.business_time_between(y0, h, pg_temp.cal(c)) AS first_half,
       helpdesk.business_time_between(h, y1, pg_temp.cal(c)) AS second_half,
       pg_temp.wall(helpdesk.business_time_add(y0, '2920 hours', pg_temp.cal(c)), c) AS add_2920_hours,
       pg_temp.wall(helpdesk.business_time_add(y0, helpdesk.business_time_between(y0, h, pg_temp.cal(c)), pg_temp.cal(c)), c)
           AS add_first_half
FROM (VALUES
    ('berlin daily', timestamptz '2026-01-01 00:00+01', timestamptz '2026-07-01 00:00+02', timestamptz '2027-01-01 00:00+01'),
    ('ny daily', '2026-01-01 00:00-05', '2026-07-01 00:00-04', '2027-01-01 00:00-05'),
    ('lhi daily', '2026-01-01 00:00+11', '2026-07-01 00:00+10:30', '2027-01-01 00:00+11'),
    ('chatham daily', '2026-01-01 00:00+13:45', '2026-07-01 00:00+12:45', '2027-01-01 00:00+13:45')
) AS t(c, y0, h, y1);

-- Without working time, only a zero span is answered.
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
    $$helpdesk.business_time_between('2026-10-25 00:00Z', '2026-10-25 00:00:00.000001Z', pg_temp.cal('empty'))$$,
    $$helpdesk.business_time_between('2026-10-25 00:00:00.000001Z', '2026-10-25 00:00Z', pg_temp.cal('empty'))$$,
    $$helpdesk.business_time_add('2026-10-25 00:00Z', '1 microsecond', pg_temp.cal('empty'))$$
]) AS e;
