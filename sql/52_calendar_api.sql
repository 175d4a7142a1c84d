-- 52_calendar_api: the routes of the business calendar (API v1 /business-hours, /holidays).
--
-- Every route works on the default calendar (helpdesk.default_calendar_id(); demo/seed.sql and
-- installations create it with helpdesk.calendar_ensure_default()). Without one, reads and
-- holiday writes answer 404; PUT /business-hours/schedule creates it.

-- The default calendar's id, or 404.
CREATE FUNCTION helpdesk.calendar_require_default()
RETURNS int
LANGUAGE plpgsql STABLE
AS $$
DECLARE
    cal int := helpdesk.default_calendar_id();
BEGIN
    IF cal IS NULL THEN
        PERFORM helpdesk.http_error(404, 'No business calendar is configured');
    END IF;
    RETURN cal;
END
$$;

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

-- The holiday JSON of the API; `on_date` replaces the stored date (a recurring holiday shown in
-- another year).
CREATE FUNCTION helpdesk.holiday_json(h helpdesk.holidays, on_date date DEFAULT NULL)
RETURNS jsonb
LANGUAGE sql STABLE
AS $$
    SELECT jsonb_build_object(
        'id', h.id, 'name', h.name, 'date', pg_catalog.to_char(coalesce(on_date, h.date), 'YYYY-MM-DD'),
        'isRecurring', h.is_recurring, 'description', h.description,
        'createdAt', helpdesk.iso(h.created_at), 'updatedAt', helpdesk.iso(h.updated_at))
$$;

-- The holidays in effect in `year`: one-off holidays of that year and every recurring holiday on
-- its date of that year (a recurring Feb 29 only in leap years), date order.
CREATE FUNCTION helpdesk.holidays_of_year(cal int, year int)
RETURNS TABLE (holiday helpdesk.holidays, on_date date)
LANGUAGE sql STABLE
AS $$
    SELECT h, d
    FROM helpdesk.holidays h
    CROSS JOIN LATERAL (
        SELECT CASE
            WHEN NOT h.is_recurring THEN h.date
            WHEN pg_catalog.to_char(h.date, 'MM-DD') = '02-29'
                 AND NOT (year % 4 = 0 AND (year % 100 <> 0 OR year % 400 = 0)) THEN NULL
            ELSE pg_catalog.make_date(year, extract(month FROM h.date)::int, extract(day FROM h.date)::int)
        END AS d) AS x
    WHERE h.calendar_id = cal AND x.d IS NOT NULL AND extract(year FROM x.d) = year
    ORDER BY x.d, h.id
$$;

-- GET /business-hours/holidays?year: the holidays in effect in that year (default: this year in
-- the calendar's time zone), recurring ones on their date of that year.
CREATE FUNCTION helpdesk_api.business_hours_holidays(req jsonb)
RETURNS jsonb
LANGUAGE plpgsql STABLE
AS $$
DECLARE
    cal  int;
    year int;
BEGIN
    PERFORM helpdesk.current_actor();
    cal := helpdesk.calendar_require_default();
    year := helpdesk.query_int(req, 'year',
        extract(year FROM now() AT TIME ZONE (SELECT time_zone FROM helpdesk.calendars WHERE id = cal))::int,
        1, 9999);
    RETURN coalesce((SELECT jsonb_agg(helpdesk.holiday_json(y.holiday, y.on_date) ORDER BY y.on_date, (y.holiday).id)
                     FROM helpdesk.holidays_of_year(cal, year) y), '[]');
END
$$;

-- GET /business-hours/check-working-day?date: {date: <as given>, isWorkingDay}.
CREATE FUNCTION helpdesk_api.business_hours_check_working_day(req jsonb)
RETURNS jsonb
LANGUAGE plpgsql STABLE
AS $$
DECLARE
    cal int;
    s   text := helpdesk.query_text(req, 'date');
    d   date;
BEGIN
    PERFORM helpdesk.current_actor();
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
    cal int;
    a   timestamptz;
    b   timestamptz;
BEGIN
    PERFORM helpdesk.current_actor();
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

-- The weekly schedule of a calendar as the API shows it.
CREATE FUNCTION helpdesk.calendar_schedule_json(cal int)
RETURNS jsonb
LANGUAGE sql STABLE
AS $$
    SELECT jsonb_build_object(
        'id', c.id, 'name', c.name, 'timeZone', c.time_zone, 'isDefault', c.is_default,
        'weeklyHours', (SELECT coalesce(sum(extract(epoch FROM b.end_time - b.start_time)), 0) / 3600
                        FROM helpdesk.business_hours b WHERE b.calendar_id = c.id)::float8,
        'days', (SELECT jsonb_agg(jsonb_build_object(
                     'dayOfWeek', d, 'dayName', (ARRAY['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday',
                                                       'Friday', 'Saturday'])[d + 1],
                     'isWorkingDay', w.windows IS NOT NULL,
                     'hours', coalesce(w.hours, 0)::float8,
                     'windows', coalesce(w.windows, '[]')) ORDER BY d)
                 FROM generate_series(0, 6) AS d
                 LEFT JOIN LATERAL (
                     SELECT jsonb_agg(jsonb_build_object('startTime', pg_catalog.to_char(b.start_time, 'HH24:MI:SS'),
                                                         'endTime', pg_catalog.to_char(b.end_time, 'HH24:MI:SS'))
                                      ORDER BY b.start_time) AS windows,
                            sum(extract(epoch FROM b.end_time - b.start_time)) / 3600 AS hours
                     FROM helpdesk.business_hours b
                     WHERE b.calendar_id = c.id AND b.day_of_week = d) AS w ON true),
        'updatedAt', helpdesk.iso(c.updated_at))
    FROM helpdesk.calendars c
    WHERE c.id = cal
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
    actor   helpdesk.users := helpdesk.current_actor();
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
    cal     int;
    list    jsonb;
    prev_end time;
BEGIN
    PERFORM helpdesk.require_role(actor, 'Admin');
    b := helpdesk.body(req, 'timeZone', 'days');
    tz := helpdesk.field_text(b, 'timeZone', false, 1, 100);
    IF tz IS NOT NULL AND NOT helpdesk.is_time_zone(tz) THEN
        PERFORM helpdesk.validation_error('timeZone must be a valid IANA time zone');
    END IF;
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

    LOCK TABLE helpdesk.calendars IN SHARE ROW EXCLUSIVE MODE;
    cal := helpdesk.default_calendar_id();
    IF cal IS NULL THEN
        INSERT INTO helpdesk.calendars (name, time_zone, is_default)
        VALUES ('Default', coalesce(tz, 'Asia/Ho_Chi_Minh'), true)
        ON CONFLICT (name) DO UPDATE SET is_default = true
        RETURNING id INTO cal;
    END IF;
    IF tz IS NOT NULL THEN
        UPDATE helpdesk.calendars SET time_zone = tz WHERE id = cal;
    END IF;
    FOR dow IN SELECT k::int FROM jsonb_object_keys(wins) AS k LOOP
        DELETE FROM helpdesk.business_hours WHERE calendar_id = cal AND day_of_week = dow;
        INSERT INTO helpdesk.business_hours (calendar_id, day_of_week, start_time, end_time)
        SELECT cal, dow, (w ->> 0)::time, (w ->> 1)::time FROM jsonb_array_elements(wins -> dow::text) AS w;
    END LOOP;
    IF NOT EXISTS (SELECT FROM helpdesk.business_hours WHERE calendar_id = cal) THEN
        PERFORM helpdesk.validation_error('The schedule needs at least one working window');
    END IF;
    UPDATE helpdesk.calendars SET updated_at = now() WHERE id = cal;
    PERFORM helpdesk.audit('business_hours.update', 'calendar', cal, b);
    RETURN helpdesk.calendar_schedule_json(cal);
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

-- 409 when the calendar already has a holiday on `d` (other than `except_id`).
CREATE FUNCTION helpdesk.holiday_check_free(cal int, d date, except_id int DEFAULT NULL)
RETURNS void
LANGUAGE plpgsql STABLE
AS $$
BEGIN
    IF EXISTS (SELECT FROM helpdesk.holidays h
               WHERE h.calendar_id = cal AND h.date = d AND h.id IS DISTINCT FROM except_id) THEN
        PERFORM helpdesk.http_error(409, format('Holiday on %s already exists', to_char(d, 'YYYY-MM-DD')));
    END IF;
END
$$;

CREATE FUNCTION helpdesk.holiday_insert(cal int, b jsonb)
RETURNS helpdesk.holidays
LANGUAGE plpgsql
AS $$
DECLARE
    f   record;
    row helpdesk.holidays;
BEGIN
    f := helpdesk.holiday_fields(helpdesk.body(jsonb_build_object('body', b), 'name', 'date', 'isRecurring', 'description'),
                                 true, cal);
    PERFORM helpdesk.holiday_check_free(cal, f.f_date);
    INSERT INTO helpdesk.holidays (calendar_id, name, date, is_recurring, description)
    VALUES (cal, f.f_name, f.f_date, coalesce(f.f_recurring, false), f.f_description)
    RETURNING * INTO row;
    PERFORM helpdesk.audit('holiday.create', 'holiday', row.id,
                           jsonb_build_object('name', row.name, 'date', row.date, 'isRecurring', row.is_recurring));
    RETURN row;
END
$$;

-- POST /holidays (Admin)
CREATE FUNCTION helpdesk_api.holidays_create(req jsonb)
RETURNS jsonb
LANGUAGE plpgsql
AS $$
DECLARE
    actor helpdesk.users := helpdesk.current_actor();
    cal   int;
BEGIN
    PERFORM helpdesk.require_role(actor, 'Admin');
    cal := helpdesk.calendar_require_default();
    RETURN helpdesk.holiday_json(helpdesk.holiday_insert(cal, req -> 'body'));
END
$$;

-- POST /holidays/bulk (Admin): a JSON array of holidays, all created or none.
CREATE FUNCTION helpdesk_api.holidays_bulk_create(req jsonb)
RETURNS jsonb
LANGUAGE plpgsql
AS $$
DECLARE
    actor  helpdesk.users := helpdesk.current_actor();
    cal    int;
    items  jsonb := req -> 'body';
    result jsonb := '[]';
    item   jsonb;
BEGIN
    PERFORM helpdesk.require_role(actor, 'Admin');
    cal := helpdesk.calendar_require_default();
    IF items IS NULL OR jsonb_typeof(items) <> 'array' THEN
        PERFORM helpdesk.validation_error('Request body must be an array of holidays');
    END IF;
    IF jsonb_array_length(items) = 0 OR jsonb_array_length(items) > 1000 THEN
        PERFORM helpdesk.validation_error('Request body must contain between 1 and 1000 holidays');
    END IF;
    FOR item IN SELECT value FROM jsonb_array_elements(items) LOOP
        result := result || helpdesk.holiday_json(helpdesk.holiday_insert(cal, item));
    END LOOP;
    RETURN result;
END
$$;

-- GET /holidays?year: the default calendar's holiday rows (of that year when given), date order.
CREATE FUNCTION helpdesk_api.holidays_list(req jsonb)
RETURNS jsonb
LANGUAGE plpgsql STABLE
AS $$
DECLARE
    cal  int;
    year int;
BEGIN
    PERFORM helpdesk.current_actor();
    cal := helpdesk.calendar_require_default();
    year := helpdesk.query_int(req, 'year', NULL, 1, 9999);
    RETURN coalesce((SELECT jsonb_agg(helpdesk.holiday_json(h) ORDER BY h.date, h.id)
                     FROM helpdesk.holidays h
                     WHERE h.calendar_id = cal AND (year IS NULL OR extract(year FROM h.date) = year)), '[]');
END
$$;

-- GET /holidays/years: the years that have holiday rows, newest first.
CREATE FUNCTION helpdesk_api.holidays_years(req jsonb)
RETURNS jsonb
LANGUAGE plpgsql STABLE
AS $$
DECLARE
    cal int;
BEGIN
    PERFORM helpdesk.current_actor();
    cal := helpdesk.calendar_require_default();
    RETURN coalesce((SELECT jsonb_agg(y ORDER BY y DESC)
                     FROM (SELECT DISTINCT extract(year FROM h.date)::int AS y
                           FROM helpdesk.holidays h WHERE h.calendar_id = cal) AS t), '[]');
END
$$;

CREATE FUNCTION helpdesk.holiday_find(id int)
RETURNS helpdesk.holidays
LANGUAGE plpgsql STABLE
AS $$
DECLARE
    row helpdesk.holidays;
BEGIN
    SELECT * INTO row FROM helpdesk.holidays h WHERE h.id = holiday_find.id;
    IF NOT FOUND THEN
        PERFORM helpdesk.http_error(404, format('Holiday with ID %s not found', id));
    END IF;
    RETURN row;
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
    b     jsonb;
    old   helpdesk.holidays;
    f     record;
    row   helpdesk.holidays;
BEGIN
    PERFORM helpdesk.require_role(actor, 'Admin');
    old := helpdesk.holiday_find(helpdesk.path_int(req));
    b := helpdesk.body(req, 'name', 'date', 'isRecurring', 'description');
    f := helpdesk.holiday_fields(b, false, old.calendar_id);
    IF f.f_date IS NOT NULL THEN
        PERFORM helpdesk.holiday_check_free(old.calendar_id, f.f_date, old.id);
    END IF;
    UPDATE helpdesk.holidays h SET
        name = coalesce(f.f_name, h.name),
        date = coalesce(f.f_date, h.date),
        is_recurring = coalesce(f.f_recurring, h.is_recurring),
        description = CASE WHEN b ? 'description' THEN f.f_description ELSE h.description END
    WHERE h.id = old.id
    RETURNING * INTO row;
    PERFORM helpdesk.audit('holiday.update', 'holiday', row.id, b);
    RETURN helpdesk.holiday_json(row);
END
$$;

-- DELETE /holidays/:id (Admin): no data.
CREATE FUNCTION helpdesk_api.holidays_delete(req jsonb)
RETURNS jsonb
LANGUAGE plpgsql
AS $$
DECLARE
    actor helpdesk.users := helpdesk.current_actor();
    old   helpdesk.holidays;
BEGIN
    PERFORM helpdesk.require_role(actor, 'Admin');
    old := helpdesk.holiday_find(helpdesk.path_int(req));
    DELETE FROM helpdesk.holidays WHERE id = old.id;
    PERFORM helpdesk.audit('holiday.delete', 'holiday', old.id,
                           jsonb_build_object('name', old.name, 'date', old.date));
    RETURN NULL;
END
$$;
