-- 40_calendar: business calendars (a time zone, weekly working windows, holidays), the
-- business-time arithmetic over them (C, extension/calendar.c), and who may change them (an
-- Admin; any signed-in user reads). The API works on the default calendar; without one, reads
-- and holiday writes answer 404 and PUT /business-hours/schedule creates it.
--
-- Business time is real elapsed time inside the weekly working windows of a calendar, read on
-- the wall clock of the calendar's time zone, outside its holidays (one-off dates, and recurring
-- ones on the same month and day every year: a recurring Feb 29 only in leap years).
-- Daylight saving time: an instant counts when the wall clock then reads a time inside a window,
-- so wall-clock times the clock skips count for nothing (a window boundary in the gap falls on the
-- jump: a window from 02:30 starts at 03:00 when 02:00-03:00 is skipped) and times it repeats
-- count twice (00:00-08:00 holds nine hours that night). See extension/calendar_math.h.
--
-- The calendar argument: a helpdesk.calendars id; NULL or omitted means the default calendar
-- (the one marked is_default, resolved inside the C functions, which keep a loaded calendar
-- between calls). No default calendar: 22023, with a hint to call calendar_ensure_default().

-- A business calendar: a time zone and its working windows; exactly one is the default.
CREATE TABLE helpdesk.calendars (
    id          serial PRIMARY KEY,
    name        varchar(100) NOT NULL UNIQUE,
    time_zone   text NOT NULL,
    is_default  boolean NOT NULL DEFAULT false,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);

CREATE UNIQUE INDEX calendars_one_default ON helpdesk.calendars (is_default) WHERE is_default;

CREATE TRIGGER calendars_touch BEFORE UPDATE ON helpdesk.calendars
    FOR EACH ROW EXECUTE FUNCTION helpdesk.touch_updated_at();

-- Weekly working windows in the calendar's local time; several per day allow split shifts.
-- A weekday without rows is not a working day. day_of_week: 0 = Sunday .. 6 = Saturday.
CREATE TABLE helpdesk.business_hours (
    id           serial PRIMARY KEY,
    calendar_id  int NOT NULL REFERENCES helpdesk.calendars (id) ON DELETE CASCADE,
    day_of_week  int NOT NULL CHECK (day_of_week BETWEEN 0 AND 6),
    start_time   time NOT NULL,
    end_time     time NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now(),
    CHECK (start_time < end_time)
);

CREATE INDEX business_hours_calendar_idx ON helpdesk.business_hours (calendar_id, day_of_week, start_time);

CREATE TRIGGER business_hours_touch BEFORE UPDATE ON helpdesk.business_hours
    FOR EACH ROW EXECUTE FUNCTION helpdesk.touch_updated_at();

-- Days off: one-off (a date) or recurring every year (same month and day).
CREATE TABLE helpdesk.holidays (
    id           serial PRIMARY KEY,
    calendar_id  int NOT NULL REFERENCES helpdesk.calendars (id) ON DELETE CASCADE,
    name         varchar(100) NOT NULL CHECK (length(btrim(name)) > 0),
    date         date NOT NULL,
    is_recurring boolean NOT NULL DEFAULT false,
    description  text,
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX holidays_date_idx ON helpdesk.holidays (calendar_id, date);

CREATE TRIGGER holidays_touch BEFORE UPDATE ON helpdesk.holidays
    FOR EACH ROW EXECUTE FUNCTION helpdesk.touch_updated_at();

SELECT pg_catalog.pg_extension_config_dump('helpdesk.calendars', '');

SELECT pg_catalog.pg_extension_config_dump('helpdesk.calendars_id_seq', '');

SELECT pg_catalog.pg_extension_config_dump('helpdesk.business_hours', '');

SELECT pg_catalog.pg_extension_config_dump('helpdesk.business_hours_id_seq', '');

SELECT pg_catalog.pg_extension_config_dump('helpdesk.holidays', '');

SELECT pg_catalog.pg_extension_config_dump('helpdesk.holidays_id_seq', '');

-- The calendar marked is_default, NULL when there is none.
CREATE FUNCTION helpdesk.default_calendar_id()
RETURNS int
LANGUAGE sql STABLE PARALLEL SAFE
AS $$ SELECT c.id FROM helpdesk.calendars c WHERE c.is_default $$;

-- The instant at which `duration` of business time has elapsed since `start` (exact to the
-- microsecond; the end of a window when the duration ends exactly there). Durations: months are
-- refused, a day counts as 24 hours, negative durations are refused, zero returns `start` (for
-- any calendar). Otherwise a calendar without working time raises 22023.
CREATE FUNCTION helpdesk.business_time_add(start timestamptz, duration interval,
                                           calendar int DEFAULT NULL)
RETURNS timestamptz
AS 'MODULE_PATHNAME', 'helpdesk_business_time_add'
LANGUAGE C STABLE PARALLEL SAFE;

-- Business time in [a, b) as an interval of hours (no days, no months); between(a, a) = 0 (for
-- any calendar) and between(a, b) = -between(b, a) when b < a.
CREATE FUNCTION helpdesk.business_time_between(a timestamptz, b timestamptz,
                                               calendar int DEFAULT NULL)
RETURNS interval
AS 'MODULE_PATHNAME', 'helpdesk_business_time_between'
LANGUAGE C STABLE PARALLEL SAFE;

-- A weekday with a working window that is not a holiday of the calendar.
CREATE FUNCTION helpdesk.is_working_day(d date, calendar int DEFAULT NULL)
RETURNS boolean
AS 'MODULE_PATHNAME', 'helpdesk_is_working_day'
LANGUAGE C STABLE PARALLEL SAFE;

-- Is `tz` a time-zone name PostgreSQL knows (IANA names such as Europe/Berlin, and UTC)?
CREATE FUNCTION helpdesk.is_time_zone(tz text)
RETURNS boolean
LANGUAGE sql STABLE PARALLEL SAFE
AS $$ SELECT EXISTS (SELECT FROM pg_catalog.pg_timezone_names n WHERE n.name = tz) $$;

-- Creates the seed's default calendar when no calendar is the default, and returns the default
-- calendar's id: Monday to Friday 08:00-17:30 in `time_zone`, with the seed's 2026 holidays
-- (New Year, Labour Day, Reunification Day and National Day recurring; Tet and the Hung Kings'
-- day, which follow the lunar calendar, as one-off 2026 dates). Not run by the extension script
-- (a dump would then restore the rows twice): demo/seed.sql and the tests call it.
CREATE FUNCTION helpdesk.calendar_ensure_default(time_zone text DEFAULT 'Asia/Ho_Chi_Minh')
RETURNS int
LANGUAGE plpgsql
AS $$
DECLARE
    cal int;
BEGIN
    LOCK TABLE helpdesk.calendars IN SHARE ROW EXCLUSIVE MODE;
    cal := helpdesk.default_calendar_id();
    IF cal IS NOT NULL THEN
        RETURN cal;
    END IF;
    IF NOT helpdesk.is_time_zone(time_zone) THEN
        RAISE EXCEPTION 'unknown time zone "%"', time_zone USING ERRCODE = 'invalid_parameter_value';
    END IF;
    INSERT INTO helpdesk.calendars AS c (name, time_zone, is_default)
    VALUES ('Default', calendar_ensure_default.time_zone, true)
    ON CONFLICT (name) DO UPDATE SET is_default = true, time_zone = excluded.time_zone
    RETURNING c.id INTO cal;
    IF NOT EXISTS (SELECT FROM helpdesk.business_hours WHERE calendar_id = cal) THEN
        INSERT INTO helpdesk.business_hours (calendar_id, day_of_week, start_time, end_time)
        SELECT cal, d, '08:00', '17:30' FROM generate_series(1, 5) AS d;
    END IF;
    IF NOT EXISTS (SELECT FROM helpdesk.holidays WHERE calendar_id = cal) THEN
        INSERT INTO helpdesk.holidays (calendar_id, name, date, is_recurring) VALUES
            (cal, 'Tết Dương lịch', '2026-01-01', true),
            (cal, 'Tết Nguyên Đán', '2026-02-17', false),
            (cal, 'Tết Nguyên Đán', '2026-02-18', false),
            (cal, 'Tết Nguyên Đán', '2026-02-19', false),
            (cal, 'Tết Nguyên Đán', '2026-02-20', false),
            (cal, 'Giỗ Tổ Hùng Vương', '2026-04-02', false),
            (cal, 'Giải phóng miền Nam', '2026-04-30', true),
            (cal, 'Quốc tế Lao động', '2026-05-01', true),
            (cal, 'Quốc khánh', '2026-09-02', true);
    END IF;
    RETURN cal;
END
$$;

-- Any change to a calendar's windows or holidays also writes its calendars row (updated_at), so
-- the row's version (xmin, ctid) identifies the whole definition: the C functions keep a loaded
-- calendar across statements and transactions and re-read it only when that version changes.
-- Rows loaded by COPY (a restore) are not changes: the calendars row restored with them keeps
-- its own updated_at.
CREATE FUNCTION helpdesk.calendar_children_changed()
RETURNS trigger
LANGUAGE plpgsql
AS $$
BEGIN
    IF helpdesk.copying_rows() THEN
        RETURN NULL;
    ELSIF TG_OP = 'TRUNCATE' THEN
        UPDATE helpdesk.calendars SET updated_at = now();
    ELSIF TG_OP = 'INSERT' THEN
        UPDATE helpdesk.calendars SET updated_at = now() WHERE id IN (SELECT calendar_id FROM new_rows);
    ELSIF TG_OP = 'DELETE' THEN
        UPDATE helpdesk.calendars SET updated_at = now() WHERE id IN (SELECT calendar_id FROM old_rows);
    ELSE
        UPDATE helpdesk.calendars SET updated_at = now()
        WHERE id IN (SELECT calendar_id FROM old_rows UNION SELECT calendar_id FROM new_rows);
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER business_hours_changed_ins AFTER INSERT ON helpdesk.business_hours
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION helpdesk.calendar_children_changed();

CREATE TRIGGER business_hours_changed_upd AFTER UPDATE ON helpdesk.business_hours
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION helpdesk.calendar_children_changed();

CREATE TRIGGER business_hours_changed_del AFTER DELETE ON helpdesk.business_hours
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION helpdesk.calendar_children_changed();

CREATE TRIGGER business_hours_changed_trunc AFTER TRUNCATE ON helpdesk.business_hours
    FOR EACH STATEMENT EXECUTE FUNCTION helpdesk.calendar_children_changed();

CREATE TRIGGER holidays_changed_ins AFTER INSERT ON helpdesk.holidays
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION helpdesk.calendar_children_changed();

CREATE TRIGGER holidays_changed_upd AFTER UPDATE ON helpdesk.holidays
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION helpdesk.calendar_children_changed();

CREATE TRIGGER holidays_changed_del AFTER DELETE ON helpdesk.holidays
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION helpdesk.calendar_children_changed();

CREATE TRIGGER holidays_changed_trunc AFTER TRUNCATE ON helpdesk.holidays
    FOR EACH STATEMENT EXECUTE FUNCTION helpdesk.calendar_children_changed();

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

-- The weekly schedule of a calendar as the API shows it. VOLATILE on purpose, so that
-- calendar_schedule_json(calendar_set_schedule(...)) reads the windows just written (a STABLE
-- function would read them with the snapshot taken before the call).
CREATE FUNCTION helpdesk.calendar_schedule_json(cal int)
RETURNS jsonb
LANGUAGE sql VOLATILE
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

-- Add a holiday to a calendar (Admin).
CREATE FUNCTION helpdesk.holiday_create(actor helpdesk.users, cal int, name text, date date,
                                        is_recurring boolean DEFAULT false, description text DEFAULT NULL)
RETURNS helpdesk.holidays
LANGUAGE plpgsql
AS $$
DECLARE
    row helpdesk.holidays;
BEGIN
    PERFORM helpdesk.require_role(actor, 'Admin');
    PERFORM helpdesk.holiday_check_free(cal, date);
    INSERT INTO helpdesk.holidays (calendar_id, name, date, is_recurring, description)
    VALUES (cal, name, date, coalesce(is_recurring, false), description)
    RETURNING * INTO row;
    PERFORM helpdesk.audit('holiday.create', 'holiday', row.id,
                           jsonb_build_object('name', row.name, 'date', row.date, 'isRecurring', row.is_recurring));
    RETURN row;
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

-- Change a holiday (Admin): NULL leaves a field as it is, except the description, which
-- `set_description` replaces (NULL clears it). `changes` is what the audit row records.
CREATE FUNCTION helpdesk.holiday_update(actor helpdesk.users, holiday_id int, new_name text DEFAULT NULL,
                                        new_date date DEFAULT NULL, new_recurring boolean DEFAULT NULL,
                                        set_description boolean DEFAULT false, new_description text DEFAULT NULL,
                                        changes jsonb DEFAULT '{}')
RETURNS helpdesk.holidays
LANGUAGE plpgsql
AS $$
DECLARE
    old helpdesk.holidays;
    row helpdesk.holidays;
BEGIN
    PERFORM helpdesk.require_role(actor, 'Admin');
    old := helpdesk.holiday_find(holiday_id);
    IF new_date IS NOT NULL THEN
        PERFORM helpdesk.holiday_check_free(old.calendar_id, new_date, old.id);
    END IF;
    UPDATE helpdesk.holidays h SET
        name = coalesce(new_name, h.name),
        date = coalesce(new_date, h.date),
        is_recurring = coalesce(new_recurring, h.is_recurring),
        description = CASE WHEN set_description THEN new_description ELSE h.description END
    WHERE h.id = old.id
    RETURNING * INTO row;
    PERFORM helpdesk.audit('holiday.update', 'holiday', row.id, changes);
    RETURN row;
END
$$;

-- Remove a holiday (Admin).
CREATE FUNCTION helpdesk.holiday_delete(actor helpdesk.users, holiday_id int)
RETURNS void
LANGUAGE plpgsql
AS $$
DECLARE
    old helpdesk.holidays;
BEGIN
    PERFORM helpdesk.require_role(actor, 'Admin');
    old := helpdesk.holiday_find(holiday_id);
    DELETE FROM helpdesk.holidays WHERE id = old.id;
    PERFORM helpdesk.audit('holiday.delete', 'holiday', old.id, jsonb_build_object('name', old.name, 'date', old.date));
END
$$;

-- A calendar's holiday rows (of `year` when given), date order.
CREATE FUNCTION helpdesk.holiday_list(cal int, year int DEFAULT NULL)
RETURNS jsonb
LANGUAGE sql STABLE
AS $$
    SELECT coalesce(jsonb_agg(helpdesk.holiday_json(h) ORDER BY h.date, h.id), '[]')
    FROM helpdesk.holidays h
    WHERE h.calendar_id = cal AND (year IS NULL OR extract(year FROM h.date) = year)
$$;

-- The years that have holiday rows, newest first.
CREATE FUNCTION helpdesk.holiday_years(cal int)
RETURNS jsonb
LANGUAGE sql STABLE
AS $$
    SELECT coalesce(jsonb_agg(y ORDER BY y DESC), '[]')
    FROM (SELECT DISTINCT extract(year FROM h.date)::int AS y FROM helpdesk.holidays h WHERE h.calendar_id = cal) t
$$;

-- The holidays in effect in `year` (default: this year in the calendar's time zone), recurring
-- ones on their date of that year.
CREATE FUNCTION helpdesk.holidays_in_effect(cal int, year int DEFAULT NULL)
RETURNS jsonb
LANGUAGE sql STABLE
AS $$
    SELECT coalesce(jsonb_agg(helpdesk.holiday_json(y.holiday, y.on_date) ORDER BY y.on_date, (y.holiday).id), '[]')
    FROM helpdesk.holidays_of_year(cal, coalesce(year,
             extract(year FROM now() AT TIME ZONE (SELECT c.time_zone FROM helpdesk.calendars c WHERE c.id = cal))::int)) y
$$;

-- Set the default calendar's time zone and weekly windows (Admin). `windows`: {"<day of week
-- 0-6>": [["HH:MM:SS", "HH:MM:SS"], ...]} for each weekday to replace (an empty list: not a
-- working day); weekdays not listed keep theirs. Creates the default calendar (without holidays)
-- when there is none. `changes` is what the audit row records.
CREATE FUNCTION helpdesk.calendar_set_schedule(actor helpdesk.users, time_zone text, windows jsonb,
                                               changes jsonb DEFAULT '{}')
RETURNS int
LANGUAGE plpgsql
AS $$
DECLARE
    cal int;
    dow int;
BEGIN
    PERFORM helpdesk.require_role(actor, 'Admin');
    IF time_zone IS NOT NULL AND NOT helpdesk.is_time_zone(time_zone) THEN
        PERFORM helpdesk.validation_error('timeZone must be a valid IANA time zone');
    END IF;
    LOCK TABLE helpdesk.calendars IN SHARE ROW EXCLUSIVE MODE;
    cal := helpdesk.default_calendar_id();
    IF cal IS NULL THEN
        INSERT INTO helpdesk.calendars (name, time_zone, is_default)
        VALUES ('Default', coalesce(time_zone, 'Asia/Ho_Chi_Minh'), true)
        ON CONFLICT (name) DO UPDATE SET is_default = true
        RETURNING id INTO cal;
    END IF;
    IF time_zone IS NOT NULL THEN
        UPDATE helpdesk.calendars c SET time_zone = calendar_set_schedule.time_zone WHERE c.id = cal;
    END IF;
    FOR dow IN SELECT k::int FROM jsonb_object_keys(coalesce(windows, '{}')) AS k LOOP
        DELETE FROM helpdesk.business_hours WHERE calendar_id = cal AND day_of_week = dow;
        INSERT INTO helpdesk.business_hours (calendar_id, day_of_week, start_time, end_time)
        SELECT cal, dow, (w ->> 0)::time, (w ->> 1)::time FROM jsonb_array_elements(windows -> dow::text) AS w;
    END LOOP;
    IF NOT EXISTS (SELECT FROM helpdesk.business_hours WHERE calendar_id = cal) THEN
        PERFORM helpdesk.validation_error('The schedule needs at least one working window');
    END IF;
    UPDATE helpdesk.calendars SET updated_at = now() WHERE id = cal;
    PERFORM helpdesk.audit('business_hours.update', 'calendar', cal, changes);
    RETURN cal;
END
$$;
