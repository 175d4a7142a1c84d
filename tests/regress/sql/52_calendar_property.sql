-- Property test of the business-time arithmetic on random calendars (deterministic: setseed).
--   1. between(a, add(a, d)) = d, for short and long durations (up to ~2 years of hours);
--   2. add(a, d) is the first such instant: between(a, add(a, d) - 1 microsecond) < d;
--   3. between(a, b) equals a brute-force count of real elapsed time, minute by minute, written
--      here in PL/pgSQL from the definition: a minute is business time when the calendar's wall
--      clock reads a time in a window of a day that is not a holiday (so a repeated hour counts
--      twice and a skipped one not at all);
--   4. add(a, between(a, b)) = b when the minute before b is business time.
-- Random time zones include New York, Berlin, Lord Howe (30-minute DST), Chatham (+12:45/+13:45)
-- and zones without DST; half of the instants fall within 36 hours before a clock change of the
-- calendar's zone, and most calendars have a short window with a boundary in a skipped or
-- repeated hour.
\set SHOW_CONTEXT never
SET timezone = 'UTC';
SELECT setseed(0.2026);

CREATE FUNCTION pg_temp.brute_between(cal int, a timestamptz, b timestamptz) RETURNS interval
LANGUAGE plpgsql AS $$
DECLARE
    tz   text := (SELECT time_zone FROM helpdesk.calendars WHERE id = cal);
    dows int[];
    ss   time[];
    es   time[];
    one  date[];
    rec  text[];
    l    timestamp;
    u    timestamptz;
    n    int := 0;
BEGIN
    SELECT array_agg(day_of_week), array_agg(start_time), array_agg(end_time) INTO dows, ss, es
    FROM helpdesk.business_hours WHERE calendar_id = cal;
    SELECT array_agg(date) FILTER (WHERE NOT is_recurring), array_agg(to_char(date, 'MM-DD')) FILTER (WHERE is_recurring)
    INTO one, rec FROM helpdesk.holidays WHERE calendar_id = cal;
    -- each real minute of [a, b), read on the calendar's wall clock (every offset change and
    -- window boundary here falls on a whole minute)
    u := a;
    WHILE u < b LOOP
        l := u AT TIME ZONE tz;
        IF NOT (l::date = ANY (coalesce(one, '{}')) OR to_char(l, 'MM-DD') = ANY (coalesce(rec, '{}'))) THEN
            FOR i IN 1 .. coalesce(array_length(dows, 1), 0) LOOP
                IF dows[i] = extract(dow FROM l) AND l::time >= ss[i] AND (l::time < es[i] OR es[i] = '24:00') THEN
                    n := n + 1;
                    EXIT;
                END IF;
            END LOOP;
        END IF;
        u := u + interval '1 minute';
    END LOOP;
    RETURN n * interval '1 minute';
END $$;

CREATE FUNCTION pg_temp.random_calendar(k int) RETURNS int LANGUAGE plpgsql AS $$
DECLARE
    zones text[] := ARRAY['America/New_York', 'Europe/Berlin', 'Australia/Lord_Howe', 'Pacific/Chatham',
                          'America/New_York', 'Europe/Berlin', 'Australia/Lord_Howe', 'Pacific/Chatham',
                          'UTC', 'Asia/Ho_Chi_Minh', 'Asia/Kolkata'];
    c int;
    s int;
    e int;
BEGIN
    INSERT INTO helpdesk.calendars (name, time_zone)
    VALUES ('random ' || k, zones[1 + floor(random() * array_length(zones, 1))::int]) RETURNING id INTO c;
    FOR d IN 0 .. 6 LOOP
        FOR w IN 1 .. floor(random() * 4)::int LOOP
            s := floor(random() * 96)::int * 15;     -- minutes, on quarter hours
            e := least(1440, s + 15 + floor(random() * 40)::int * 15);
            INSERT INTO helpdesk.business_hours (calendar_id, day_of_week, start_time, end_time)
            VALUES (c, d, make_interval(mins => s)::time,
                    CASE WHEN e = 1440 THEN '24:00'::time ELSE make_interval(mins => e)::time END);
        END LOOP;
    END LOOP;
    IF random() < 0.7 THEN   -- a short Sunday window with boundaries in the skipped/repeated hours
        s := (ARRAY[75, 100, 105, 135, 160, 170, 195, 215, 225])[1 + floor(random() * 9)::int];
        INSERT INTO helpdesk.business_hours (calendar_id, day_of_week, start_time, end_time)
        VALUES (c, 0, make_interval(mins => s)::time, make_interval(mins => s + 10 + floor(random() * 4)::int * 10)::time);
    END IF;
    INSERT INTO helpdesk.holidays (calendar_id, name, date, is_recurring)
    SELECT c, 'h' || i, date '2026-01-01' + floor(random() * 800)::int, random() < 0.3
    FROM generate_series(1, 1 + floor(random() * 8)::int) AS i;
    RETURN c;
END $$;

-- Random instants on whole minutes: for half of them, up to 36 hours before a 2026/2027 clock
-- change of the calendar's zone (when it has any), else anywhere in 2026-2027.
CREATE FUNCTION pg_temp.random_instant(cal int) RETURNS timestamptz LANGUAGE plpgsql AS $$
DECLARE
    changes timestamptz[] := CASE (SELECT time_zone FROM helpdesk.calendars WHERE id = cal)
        WHEN 'America/New_York' THEN ARRAY[timestamptz '2026-03-08 07:00Z', '2026-11-01 06:00Z', '2027-03-14 07:00Z', '2027-11-07 06:00Z']
        WHEN 'Europe/Berlin' THEN ARRAY[timestamptz '2026-03-29 01:00Z', '2026-10-25 01:00Z', '2027-03-28 01:00Z', '2027-10-31 01:00Z']
        WHEN 'Australia/Lord_Howe' THEN ARRAY[timestamptz '2026-04-04 15:00Z', '2026-10-03 15:30Z', '2027-04-03 15:00Z', '2027-10-02 15:30Z']
        WHEN 'Pacific/Chatham' THEN ARRAY[timestamptz '2026-04-04 14:00Z', '2026-09-26 14:00Z', '2027-04-03 14:00Z', '2027-09-25 14:00Z']
    END;
BEGIN
    IF changes IS NOT NULL AND random() < 0.5 THEN
        RETURN changes[1 + floor(random() * 4)::int] - floor(random() * 36 * 60) * interval '1 minute';
    END IF;
    RETURN timestamptz '2026-01-01 00:00Z' + floor(random() * 730 * 1440) * interval '1 minute';
END $$;

CREATE TEMP TABLE trials AS
SELECT k, cal, pg_temp.random_instant(cal) AS a,
       CASE WHEN k % 3 = 0 THEN floor(random() * 20000) * interval '1 hour' + floor(random() * 3600) * interval '1 second'
            ELSE floor(random() * 7200) * interval '1 minute' + interval '0.000007 second' END AS d,
       floor(random() * 2 * 1440) * interval '1 minute' AS span
FROM (SELECT k, pg_temp.random_calendar(k) AS cal FROM generate_series(1, 120) AS k) AS c;
-- calendars without any window would only raise "no working time" (tested in 51_calendar)
DELETE FROM trials t WHERE NOT EXISTS (SELECT FROM helpdesk.business_hours WHERE calendar_id = t.cal);
SELECT count(*) > 100 AS enough_trials FROM trials;

WITH r AS (
    SELECT t.*, helpdesk.business_time_add(a, d, cal) AS t_end FROM trials t
)
SELECT count(*) FILTER (WHERE helpdesk.business_time_between(a, t_end, cal) <> d) AS round_trip_mismatches,
       count(*) FILTER (WHERE d > interval '0' AND helpdesk.business_time_between(a, t_end - interval '1 microsecond', cal) >= d)
           AS not_first_instant,
       count(*) FILTER (WHERE helpdesk.business_time_between(t_end, a, cal) <> -d) AS antisymmetry_mismatches
FROM r;

SELECT count(*) FILTER (WHERE helpdesk.business_time_between(a, a + span, cal) <> pg_temp.brute_between(cal, a, a + span))
           AS brute_force_mismatches
FROM trials;

-- add inverts between where the minute before b is business time (b - 1 minute >= a)
SELECT count(*) FILTER (WHERE helpdesk.business_time_add(a, helpdesk.business_time_between(a, a + span, cal), cal) <> a + span)
           AS inverse_mismatches,
       count(*) > 20 AS enough_inverse_trials
FROM trials
WHERE span >= interval '1 minute'
  AND pg_temp.brute_between(cal, a + span - interval '1 minute', a + span) = interval '1 minute';
