-- 51_calendar: business-time arithmetic over the calendars of 50_sla (C, extension/calendar.c)
-- and the seed's default calendar.
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
CREATE FUNCTION helpdesk.calendar_children_changed()
RETURNS trigger
LANGUAGE plpgsql
AS $$
BEGIN
    IF TG_OP = 'TRUNCATE' THEN
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
