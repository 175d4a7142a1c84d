-- The business-time walk of helpdesk.business_time_add, written in PL/pgSQL, for bench/calendar.sh
-- to measure the C version against. Same definition for zones without DST (wall-clock windows
-- in the calendar's zone, one-off and recurring holidays, a day counts 24 hours), walking day by
-- day; it reads the calendar on every call.
CREATE SCHEMA IF NOT EXISTS bench;

CREATE OR REPLACE FUNCTION bench.business_time_add(start timestamptz, duration interval,
                                                   cal int DEFAULT helpdesk.default_calendar_id())
RETURNS timestamptz
LANGUAGE plpgsql STABLE
AS $$
DECLARE
    tz        text;
    remaining interval := make_interval(secs => extract(epoch FROM duration));
    cur       timestamptz := start;
    d         date;
    dows      int[];
    starts    time[];
    ends      time[];
    one       date[];
    rec       text[];
    us        timestamptz;
    ue        timestamptz;
    idle      int := 0;
BEGIN
    IF duration < interval '0' OR extract(month FROM duration) <> 0 THEN
        RAISE EXCEPTION 'invalid business duration' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF duration = interval '0' THEN
        RETURN start;
    END IF;
    SELECT c.time_zone INTO tz FROM helpdesk.calendars c WHERE c.id = cal;
    SELECT array_agg(b.day_of_week ORDER BY b.day_of_week, b.start_time),
           array_agg(b.start_time ORDER BY b.day_of_week, b.start_time),
           array_agg(b.end_time ORDER BY b.day_of_week, b.start_time)
    INTO dows, starts, ends
    FROM helpdesk.business_hours b WHERE b.calendar_id = cal;
    IF dows IS NULL THEN
        RAISE EXCEPTION 'business calendar % has no working time', cal USING ERRCODE = 'invalid_parameter_value';
    END IF;
    SELECT coalesce(array_agg(h.date) FILTER (WHERE NOT h.is_recurring), '{}'),
           coalesce(array_agg(to_char(h.date, 'MM-DD')) FILTER (WHERE h.is_recurring), '{}')
    INTO one, rec
    FROM helpdesk.holidays h WHERE h.calendar_id = cal;

    d := (start AT TIME ZONE tz)::date;
    LOOP
        IF NOT (d = ANY (one) OR to_char(d, 'MM-DD') = ANY (rec)) THEN
            FOR i IN 1 .. array_length(dows, 1) LOOP
                CONTINUE WHEN dows[i] <> extract(dow FROM d);
                us := (d + starts[i]) AT TIME ZONE tz;
                ue := (d + ends[i]) AT TIME ZONE tz;
                IF us < cur THEN
                    us := cur;
                END IF;
                CONTINUE WHEN ue <= us;
                idle := 0;
                IF ue - us >= remaining THEN
                    RETURN us + remaining;
                END IF;
                remaining := remaining - (ue - us);
                cur := ue;
            END LOOP;
        END IF;
        idle := idle + 1;
        IF idle > 3660 THEN
            RAISE EXCEPTION 'business calendar % has no working time', cal USING ERRCODE = 'invalid_parameter_value';
        END IF;
        d := d + 1;
    END LOOP;
END
$$;
