-- 41_calendar_api: the business-hours and holiday routes (API v1 /business-hours, /holidays).
-- Every route works on the default calendar; the rules are in sql/40_calendar.sql.

-- A date given as text: YYYY-MM-DD, or an ISO 8601 date-time (its date in the calendar's time
-- zone). NULL when absent; 400 "<key> must be a valid ISO 8601 date string" when invalid.
CREATE FUNCTION helpdesk.calendar_parse_date(s text, key text, cal int DEFAULT NULL)
RETURNS date
LANGUAGE plpgsql STABLE
AS $$
DECLARE
    d date;
BEGIN
    IF s IS NULL THEN
        RETURN NULL;
    END IF;
    IF s ~ '^\d{4}-\d{2}-\d{2}$' THEN
        BEGIN
            d := to_date(s, 'YYYY-MM-DD');
            IF to_char(d, 'YYYY-MM-DD') = s THEN   -- to_date accepts 2026-02-30
                RETURN d;
            END IF;
        EXCEPTION WHEN OTHERS THEN
            NULL;
        END;
    ELSIF s ~ '^\d{4}-\d{2}-\d{2}T' THEN
        RETURN (helpdesk.calendar_parse_instant(s, key, cal)
                AT TIME ZONE (SELECT c.time_zone FROM helpdesk.calendars c WHERE c.id = cal))::date;
    END IF;
    PERFORM helpdesk.validation_error(key || ' must be a valid ISO 8601 date string');
    RETURN NULL;
END
$$;

-- An instant given as ISO 8601 text (2026-01-05, 2026-01-05T08:00, 2026-01-05T08:00:00.000Z,
-- 2026-01-05T08:00+07:00). Without an offset it is a wall-clock time of the calendar's zone.
CREATE FUNCTION helpdesk.calendar_parse_instant(s text, key text, cal int DEFAULT NULL)
RETURNS timestamptz
LANGUAGE plpgsql STABLE
AS $$
DECLARE
    tz text := coalesce((SELECT c.time_zone FROM helpdesk.calendars c WHERE c.id = cal), 'UTC');
BEGIN
    IF s IS NULL THEN
        RETURN NULL;
    END IF;
    IF s ~ '^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?)?$' THEN
        BEGIN
            RETURN (replace(s, 'T', ' ')::timestamp) AT TIME ZONE tz;
        EXCEPTION WHEN OTHERS THEN
            NULL;
        END;
    ELSIF s ~ '^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}(:?\d{2})?)$' THEN
        BEGIN
            RETURN replace(s, 'T', ' ')::timestamptz;
        EXCEPTION WHEN OTHERS THEN
            NULL;
        END;
    END IF;
    PERFORM helpdesk.validation_error(key || ' must be a valid ISO 8601 date string');
    RETURN NULL;
END
$$;

-- GET /business-hours/holidays?year: the holidays in effect in that year (default: this year in
-- the calendar's time zone), recurring ones on their date of that year.
CREATE FUNCTION helpdesk_api.business_hours_holidays(req jsonb)
RETURNS jsonb
LANGUAGE plpgsql STABLE
AS $$
BEGIN
    PERFORM helpdesk.current_actor();
    RETURN helpdesk.holidays_in_effect(helpdesk.calendar_require_default(),
                                       helpdesk.query_int(req, 'year', NULL, 1, 9999));
END
$$;

-- GET /business-hours/check-working-day?date: {date: <as given>, isWorkingDay}.
CREATE FUNCTION helpdesk_api.business_hours_check_working_day(req jsonb)
RETURNS jsonb
LANGUAGE plpgsql STABLE
AS $$
DECLARE
    actor helpdesk.users := helpdesk.current_actor();
    cal int;
    s   text := helpdesk.query_text(req, 'date');
    d   date;
BEGIN
    cal := helpdesk.calendar_require_default();
    IF s IS NULL THEN
        PERFORM helpdesk.validation_error('date should not be empty', 'date must be a valid ISO 8601 date string');
    END IF;
    d := helpdesk.calendar_parse_date(s, 'date', cal);
    RETURN jsonb_build_object('date', s, 'isWorkingDay', helpdesk.is_working_day(d, cal));
END
$$;

-- GET /business-hours/calculate?start&end: business hours between two instants (a float).
CREATE FUNCTION helpdesk_api.business_hours_calculate(req jsonb)
RETURNS jsonb
LANGUAGE plpgsql STABLE
AS $$
DECLARE
    actor helpdesk.users := helpdesk.current_actor();
    cal int;
    a   timestamptz;
    b   timestamptz;
BEGIN
    cal := helpdesk.calendar_require_default();
    IF helpdesk.query_text(req, 'start') IS NULL OR helpdesk.query_text(req, 'end') IS NULL THEN
        PERFORM helpdesk.validation_error('start and end are required');
    END IF;
    a := helpdesk.calendar_parse_instant(helpdesk.query_text(req, 'start'), 'start', cal);
    b := helpdesk.calendar_parse_instant(helpdesk.query_text(req, 'end'), 'end', cal);
    IF b < a THEN
        PERFORM helpdesk.validation_error('end must not be before start');
    END IF;
    RETURN jsonb_build_object(
        'start', helpdesk.iso(a), 'end', helpdesk.iso(b),
        'businessHours', (extract(epoch FROM helpdesk.business_time_between(a, b, cal)) / 3600)::float8);
END
$$;

-- GET /business-hours/schedule: the default calendar's time zone and weekly windows.
CREATE FUNCTION helpdesk_api.business_hours_schedule_get(req jsonb)
RETURNS jsonb
LANGUAGE plpgsql STABLE
AS $$
BEGIN
    PERFORM helpdesk.current_actor();
    RETURN helpdesk.calendar_schedule_json(helpdesk.calendar_require_default());
END
$$;

-- A "HH:MM" or "HH:MM:SS" field of a window, 00:00 to 24:00.
CREATE FUNCTION helpdesk.calendar_field_time(obj jsonb, key text, label text)
RETURNS time
LANGUAGE plpgsql IMMUTABLE
AS $$
DECLARE
    v jsonb := obj -> key;
    s text;
BEGIN
    IF v IS NULL OR jsonb_typeof(v) <> 'string' THEN
        PERFORM helpdesk.validation_error(format('%s.%s must be a time (HH:MM)', label, key));
    END IF;
    s := v #>> '{}';
    IF s !~ '^([01]\d|2[0-3]):[0-5]\d(:[0-5]\d)?$' AND s !~ '^24:00(:00)?$' THEN
        PERFORM helpdesk.validation_error(format('%s.%s must be a time (HH:MM)', label, key));
    END IF;
    RETURN s::time;
END
$$;

-- PUT /business-hours/schedule (Admin): {timeZone?, days?: [{dayOfWeek, windows: [{startTime,
-- endTime}]}]}. Each listed weekday gets exactly the windows given (none: not a working day);
-- weekdays not listed keep theirs. Windows of a day may touch but not overlap. Creates the
-- default calendar (without holidays) when there is none.
CREATE FUNCTION helpdesk_api.business_hours_schedule_put(req jsonb)
RETURNS jsonb
LANGUAGE plpgsql
AS $$
DECLARE
    actor helpdesk.users := helpdesk.current_actor();
    b       jsonb;
    tz      text;
    days    jsonb;
    day     jsonb;
    win     jsonb;
    dow     int;
    seen    int[] := '{}';
    label   text;
    s       time;
    e       time;
    wins    jsonb := '{}';   -- dow -> [[start, end], ...]
    list    jsonb;
    prev_end time;
BEGIN
    b := helpdesk.body(req, 'timeZone', 'days');
    tz := helpdesk.field_text(b, 'timeZone', false, 1, 100);
    days := b -> 'days';
    IF days IS NOT NULL AND jsonb_typeof(days) <> 'null' THEN
        IF jsonb_typeof(days) <> 'array' THEN
            PERFORM helpdesk.validation_error('days must be an array');
        END IF;
        FOR day IN SELECT value FROM jsonb_array_elements(days) LOOP
            IF jsonb_typeof(day) <> 'object' THEN
                PERFORM helpdesk.validation_error('each value in days must be an object');
            END IF;
            PERFORM helpdesk.body(jsonb_build_object('body', day), 'dayOfWeek', 'windows');
            dow := helpdesk.field_int(day, 'dayOfWeek', true, 0, 6);
            IF dow = ANY (seen) THEN
                PERFORM helpdesk.validation_error(format('dayOfWeek %s is listed twice', dow));
            END IF;
            seen := seen || dow;
            label := format('days[%s].windows', dow);
            IF day -> 'windows' IS NULL OR jsonb_typeof(day -> 'windows') <> 'array' THEN
                PERFORM helpdesk.validation_error(label || ' must be an array');
            END IF;
            list := '[]';
            prev_end := NULL;
            FOR win IN SELECT value FROM jsonb_array_elements(day -> 'windows') AS t(value)
                       ORDER BY value ->> 'startTime' LOOP
                IF jsonb_typeof(win) <> 'object' THEN
                    PERFORM helpdesk.validation_error('each value in ' || label || ' must be an object');
                END IF;
                PERFORM helpdesk.body(jsonb_build_object('body', win), 'startTime', 'endTime');
                s := helpdesk.calendar_field_time(win, 'startTime', label);
                e := helpdesk.calendar_field_time(win, 'endTime', label);
                IF s >= e THEN
                    PERFORM helpdesk.validation_error(format('%s: startTime %s must be before endTime %s',
                                                             label, win ->> 'startTime', win ->> 'endTime'));
                END IF;
                IF prev_end IS NOT NULL AND s < prev_end THEN
                    PERFORM helpdesk.validation_error(format('%s: windows must not overlap', label));
                END IF;
                prev_end := e;
                list := list || jsonb_build_array(jsonb_build_array(s::text, e::text));
            END LOOP;
            wins := wins || jsonb_build_object(dow::text, list);
        END LOOP;
    END IF;

    RETURN helpdesk.calendar_schedule_json(helpdesk.calendar_set_schedule(actor, tz, wins, b));
END
$$;

-- Validated holiday fields of a create (all required) or an update (partial) body.
CREATE FUNCTION helpdesk.holiday_fields(b jsonb, creating boolean, cal int,
                                        OUT f_name text, OUT f_date date, OUT f_recurring boolean,
                                        OUT f_description text)
LANGUAGE plpgsql STABLE
AS $$
BEGIN
    f_name := btrim(helpdesk.field_text(b, 'name', creating, NULL, 100));
    IF NOT creating AND b ? 'name' AND (f_name IS NULL OR f_name = '') THEN
        PERFORM helpdesk.validation_error('name should not be empty');
    END IF;
    IF creating AND (b -> 'date' IS NULL OR jsonb_typeof(b -> 'date') = 'null') THEN
        PERFORM helpdesk.validation_error('date should not be empty', 'date must be a valid ISO 8601 date string');
    END IF;
    IF b ? 'date' AND jsonb_typeof(b -> 'date') <> 'string' THEN
        PERFORM helpdesk.validation_error('date must be a valid ISO 8601 date string');
    END IF;
    f_date := helpdesk.calendar_parse_date(b ->> 'date', 'date', cal);
    f_recurring := helpdesk.field_bool(b, 'isRecurring');
    f_description := helpdesk.field_text(b, 'description', false, NULL, 1000);
END
$$;

-- POST /holidays (Admin)
CREATE FUNCTION helpdesk_api.holidays_create(req jsonb)
RETURNS jsonb
LANGUAGE plpgsql
AS $$
DECLARE
    actor helpdesk.users := helpdesk.current_actor();
    cal int := helpdesk.calendar_require_default();
    f   record := helpdesk.holiday_fields(helpdesk.body(req, 'name', 'date', 'isRecurring', 'description'), true, cal);
BEGIN
    RETURN helpdesk.holiday_json(helpdesk.holiday_create(actor, cal, f.f_name, f.f_date,
                                                         f.f_recurring, f.f_description));
END
$$;

-- POST /holidays/bulk (Admin): a JSON array of holidays, all created or none.
CREATE FUNCTION helpdesk_api.holidays_bulk_create(req jsonb)
RETURNS jsonb
LANGUAGE plpgsql
AS $$
DECLARE
    actor  helpdesk.users := helpdesk.current_actor();
    cal    int := helpdesk.calendar_require_default();
    items  jsonb := req -> 'body';
    result jsonb := '[]';
    item   jsonb;
    f      record;
BEGIN
    IF items IS NULL OR jsonb_typeof(items) <> 'array' THEN
        PERFORM helpdesk.validation_error('Request body must be an array of holidays');
    END IF;
    IF jsonb_array_length(items) = 0 OR jsonb_array_length(items) > 1000 THEN
        PERFORM helpdesk.validation_error('Request body must contain between 1 and 1000 holidays');
    END IF;
    FOR item IN SELECT value FROM jsonb_array_elements(items) LOOP
        f := helpdesk.holiday_fields(helpdesk.body(jsonb_build_object('body', item), 'name', 'date', 'isRecurring',
                                                   'description'), true, cal);
        result := result || helpdesk.holiday_json(helpdesk.holiday_create(actor, cal, f.f_name, f.f_date,
                                                                           f.f_recurring, f.f_description));
    END LOOP;
    RETURN result;
END
$$;

-- GET /holidays?year: the default calendar's holiday rows (of that year when given), date order.
CREATE FUNCTION helpdesk_api.holidays_list(req jsonb)
RETURNS jsonb
LANGUAGE plpgsql STABLE
AS $$
BEGIN
    PERFORM helpdesk.current_actor();
    RETURN helpdesk.holiday_list(helpdesk.calendar_require_default(), helpdesk.query_int(req, 'year', NULL, 1, 9999));
END
$$;

-- GET /holidays/years: the years that have holiday rows, newest first.
CREATE FUNCTION helpdesk_api.holidays_years(req jsonb)
RETURNS jsonb
LANGUAGE plpgsql STABLE
AS $$
BEGIN
    PERFORM helpdesk.current_actor();
    RETURN helpdesk.holiday_years(helpdesk.calendar_require_default());
END
$$;

-- GET /holidays/:id
CREATE FUNCTION helpdesk_api.holidays_get(req jsonb)
RETURNS jsonb
LANGUAGE plpgsql STABLE
AS $$
BEGIN
    PERFORM helpdesk.current_actor();
    RETURN helpdesk.holiday_json(helpdesk.holiday_find(helpdesk.path_int(req)));
END
$$;

-- PATCH /holidays/:id (Admin): any of name, date, isRecurring, description.
CREATE FUNCTION helpdesk_api.holidays_update(req jsonb)
RETURNS jsonb
LANGUAGE plpgsql
AS $$
DECLARE
    actor helpdesk.users := helpdesk.current_actor();
    old helpdesk.holidays := helpdesk.holiday_find(helpdesk.path_int(req));
    b   jsonb := helpdesk.body(req, 'name', 'date', 'isRecurring', 'description');
    f   record := helpdesk.holiday_fields(b, false, old.calendar_id);
BEGIN
    RETURN helpdesk.holiday_json(helpdesk.holiday_update(actor, old.id, f.f_name, f.f_date,
                                                         f.f_recurring, b ? 'description', f.f_description, b));
END
$$;

-- DELETE /holidays/:id (Admin): no data.
CREATE FUNCTION helpdesk_api.holidays_delete(req jsonb)
RETURNS jsonb
LANGUAGE plpgsql
AS $$
BEGIN
    PERFORM helpdesk.holiday_delete(helpdesk.current_actor(), helpdesk.path_int(req));
    RETURN NULL;
END
$$;
