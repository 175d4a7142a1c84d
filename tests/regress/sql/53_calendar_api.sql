-- Routes of /business-hours and /holidays, called as helpdesk-http calls them.
\set SHOW_CONTEXT never
SET timezone = 'UTC';
SELECT helpdesk.calendar_ensure_default() > 0 AS has_default;

-- (earlier suites may have inserted users with explicit ids)
SELECT setval(pg_get_serial_sequence('helpdesk.users', 'id'), (SELECT coalesce(max(id), 0) + 1 FROM helpdesk.users), false) > 0 AS seq_ok;
INSERT INTO helpdesk.users (username, email, password_hash, full_name, role) VALUES
    ('cal_admin', 'cal-admin@example.com', helpdesk.hash_password('password123'), 'Cal Admin', 'Admin'),
    ('cal_staff', 'cal-staff@example.com', helpdesk.hash_password('password123'), 'Cal Staff', 'IT_Staff'),
    ('cal_employee', 'cal-employee@example.com', helpdesk.hash_password('password123'), 'Cal Employee', 'Employee');

-- call(function, user, request): the data, or "status message [details]"; timestamps and ids
-- of rows created here are left out so the output does not depend on the clock.
CREATE FUNCTION pg_temp.call(fn text, who text, req jsonb) RETURNS text LANGUAGE plpgsql AS $$
DECLARE st text; msg text; det text; result jsonb;
BEGIN
    PERFORM set_config('helpdesk.actor_id',
                       coalesce((SELECT id::text FROM helpdesk.users WHERE username = who), ''), true);
    EXECUTE format('SELECT helpdesk_api.%I($1)', fn) INTO result USING req;
    RETURN coalesce(pg_temp.strip(result)::text, '<no data>');
EXCEPTION WHEN OTHERS THEN
    GET STACKED DIAGNOSTICS st = RETURNED_SQLSTATE, msg = MESSAGE_TEXT, det = PG_EXCEPTION_DETAIL;
    RETURN format('%s %s%s', st, msg, ' ' || nullif(det, ''));
END $$;
CREATE FUNCTION pg_temp.strip(j jsonb) RETURNS jsonb LANGUAGE sql AS $$
    SELECT CASE jsonb_typeof(j)
        WHEN 'object' THEN (SELECT jsonb_object_agg(k, pg_temp.strip(v)) FROM jsonb_each(j) AS e(k, v)
                            WHERE k NOT IN ('createdAt', 'updatedAt', 'id'))
        WHEN 'array' THEN (SELECT coalesce(jsonb_agg(pg_temp.strip(v) ORDER BY n), '[]') FROM jsonb_array_elements(j) WITH ORDINALITY AS e(v, n))
        ELSE j END
$$;

-- Everything below is rolled back at the end, so the suites that follow see the seed calendar.
BEGIN;

-- GET /business-hours/holidays?year: the holidays in effect, recurring ones on that year's date.
SELECT pg_temp.call('business_hours_holidays', 'cal_employee', '{"query": {"year": "2026"}}');
SELECT pg_temp.call('business_hours_holidays', 'cal_employee', '{"query": {"year": "2028"}}');
SELECT pg_temp.call('business_hours_holidays', 'cal_employee', '{"query": {"year": "twenty"}}');
SELECT pg_temp.call('business_hours_holidays', NULL, '{"query": {"year": "2026"}}');

-- GET /business-hours/check-working-day?date
SELECT d, pg_temp.call('business_hours_check_working_day', 'cal_staff', jsonb_build_object('query', jsonb_build_object('date', d)))
FROM unnest(ARRAY['2026-01-05', '2026-01-10', '2026-09-02', '2027-09-02', '2026-01-05T20:00:00Z',
                  '2026-02-30', '05/01/2026', 'tomorrow', '']) AS d;

-- GET /business-hours/calculate?start&end
SELECT s, e, pg_temp.call('business_hours_calculate', 'cal_employee', jsonb_build_object('query', jsonb_build_object('start', s, 'end', e)))
FROM (VALUES ('2026-01-05T08:00:00+07:00', '2026-01-05T17:30:00+07:00'),
             ('2026-01-05T01:00:00.000Z', '2026-01-12T01:00:00.000Z'),
             ('2026-01-05T09:15', '2026-01-05T10:00'),
             ('2026-01-05', '2026-01-06'),
             ('2026-01-09T17:00:00+07:00', '2026-01-12T08:30:00+07:00'),
             ('2026-01-06T08:00:00Z', '2026-01-05T08:00:00Z'),
             ('2026-13-01', '2026-01-06'),
             ('2026-01-05', NULL)) AS t(s, e);

-- GET|PUT /business-hours/schedule
SELECT pg_temp.call('business_hours_schedule_get', 'cal_employee', '{}');
SELECT b::text AS body, pg_temp.call('business_hours_schedule_put', 'cal_admin', jsonb_build_object('body', b)) AS result
FROM unnest(ARRAY[
    '{"timeZone": "Mars/Base"}',
    '{"timeZone": 7}',
    '{"days": {"dayOfWeek": 1}}',
    '{"days": [{"dayOfWeek": 7, "windows": []}]}',
    '{"days": [{"dayOfWeek": 1}]}',
    '{"days": [{"dayOfWeek": 1, "windows": [], "open": true}]}',
    '{"days": [{"dayOfWeek": 1, "windows": []}, {"dayOfWeek": 1, "windows": []}]}',
    '{"days": [{"dayOfWeek": 1, "windows": [{"startTime": "9:00", "endTime": "12:00"}]}]}',
    '{"days": [{"dayOfWeek": 1, "windows": [{"startTime": "12:00", "endTime": "09:00"}]}]}',
    '{"days": [{"dayOfWeek": 1, "windows": [{"startTime": "08:00", "endTime": "12:00"}, {"startTime": "11:00", "endTime": "13:00"}]}]}',
    '{"days": [{"dayOfWeek": 1, "windows": [{"startTime": "08:00", "endTime": "25:00"}]}]}',
    '{"days": [{"dayOfWeek": 1, "windows": [{"startTime": "08:00"}]}]}',
    '{"days": [{"dayOfWeek": 1, "windows": [{"startTime": "08:00", "endTime": "09:00", "x": 1}]}]}',
    '{"days": [{"dayOfWeek": 0, "windows": []}, {"dayOfWeek": 1, "windows": []}, {"dayOfWeek": 2, "windows": []}, {"dayOfWeek": 3, "windows": []}, {"dayOfWeek": 4, "windows": []}, {"dayOfWeek": 5, "windows": []}, {"dayOfWeek": 6, "windows": []}]}',
    '{"color": "red"}'
]::jsonb[]) AS b;
SELECT pg_temp.call('business_hours_schedule_put', 'cal_staff', '{"body": {"timeZone": "UTC"}}') AS staff_put;
-- a split shift on Saturday mornings and a new zone; windows given in any order, touching allowed
SELECT pg_temp.call('business_hours_schedule_put', 'cal_admin',
    '{"body": {"timeZone": "Europe/Berlin", "days": [{"dayOfWeek": 6, "windows": [{"startTime": "10:30", "endTime": "12:00"}, {"startTime": "08:00:00", "endTime": "10:30"}]}]}}');
SELECT pg_temp.call('business_hours_calculate', 'cal_employee', '{"query": {"start": "2026-01-10T00:00", "end": "2026-01-11T00:00"}}') AS saturday_in_berlin;
-- back to the seed's schedule
SELECT pg_temp.call('business_hours_schedule_put', 'cal_admin',
    '{"body": {"timeZone": "Asia/Ho_Chi_Minh", "days": [{"dayOfWeek": 6, "windows": []}]}}')::jsonb -> 'weeklyHours' AS weekly_hours;

-- /holidays
SELECT pg_temp.call('holidays_years', 'cal_employee', '{}');
SELECT pg_temp.call('holidays_list', 'cal_employee', '{"query": {"year": "2026"}}');
SELECT b::text AS body, pg_temp.call('holidays_create', 'cal_admin', jsonb_build_object('body', b)) AS result
FROM unnest(ARRAY[
    '{"name": "Company day", "date": "2027-06-15", "description": "Founding"}',
    '{"name": "Christmas", "date": "2026-12-25", "isRecurring": true}',
    '{"name": "Again", "date": "2027-06-15"}',
    '{"name": "", "date": "2027-06-16"}',
    '{"date": "2027-06-16"}',
    '{"name": "No date"}',
    '{"name": "Bad date", "date": "2027-02-29"}',
    '{"name": "Bad type", "date": 20270616}',
    '{"name": "Bad flag", "date": "2027-06-16", "isRecurring": "yes"}',
    '{"name": "Extra", "date": "2027-06-16", "id": 5}',
    '{"name": "This name is far too long for the column, which holds at most one hundred characters, so it is refused", "date": "2027-06-16"}'
]::jsonb[]) AS b;
SELECT pg_temp.call('holidays_create', 'cal_staff', '{"body": {"name": "Staff day", "date": "2027-06-17"}}') AS staff_create;
SELECT pg_temp.call('holidays_create', 'cal_employee', '{"body": {"name": "My day", "date": "2027-06-17"}}') AS employee_create;
SELECT pg_temp.call('holidays_bulk_create', 'cal_admin',
    '{"body": [{"name": "Bridge 1", "date": "2027-06-18"}, {"name": "Bridge 2", "date": "2027-06-19", "isRecurring": false}]}') AS bulk;
SELECT pg_temp.call('holidays_bulk_create', 'cal_admin',
    '{"body": [{"name": "Fine", "date": "2027-07-01"}, {"name": "Clash", "date": "2027-06-18"}]}') AS bulk_clash;
SELECT pg_temp.call('holidays_bulk_create', 'cal_admin', '{"body": [{"name": "Fine", "date": "2027-07-01"}, {"date": "x"}]}') AS bulk_invalid;
SELECT pg_temp.call('holidays_bulk_create', 'cal_admin', '{"body": {"name": "Not an array", "date": "2027-07-01"}}') AS bulk_object;
SELECT pg_temp.call('holidays_bulk_create', 'cal_admin', '{"body": []}') AS bulk_empty;
SELECT pg_temp.call('holidays_bulk_create', 'cal_staff', '{"body": [{"name": "Fine", "date": "2027-07-01"}]}') AS bulk_staff;
SELECT count(*) AS july_first_rows FROM helpdesk.holidays WHERE date = '2027-07-01';
SELECT pg_temp.call('holidays_years', 'cal_employee', '{}');
SELECT pg_temp.call('holidays_list', 'cal_staff', '{"query": {"year": "2027"}}');
SELECT jsonb_array_length(pg_temp.call('holidays_list', 'cal_staff', '{}')::jsonb) AS all_rows;
-- recurring Christmas shows in 2030's effective list; Company day (one-off 2027) does not
SELECT pg_temp.call('business_hours_holidays', 'cal_employee', '{"query": {"year": "2030"}}');

-- one holiday: get, patch, delete
CREATE TEMP TABLE h AS SELECT id FROM helpdesk.holidays WHERE name = 'Company day';
SELECT pg_temp.call('holidays_get', 'cal_employee', jsonb_build_object('path', jsonb_build_object('id', id))) FROM h;
SELECT pg_temp.call('holidays_get', 'cal_employee', '{"path": {"id": 999999}}');
SELECT b::text AS body, pg_temp.call('holidays_update', 'cal_admin', jsonb_build_object('path', jsonb_build_object('id', h.id), 'body', b)) AS result
FROM h, unnest(ARRAY[
    '{"name": "Founders day"}',
    '{"date": "2027-06-20", "isRecurring": true, "description": null}',
    '{"date": "2027-06-18"}',
    '{"name": "  "}',
    '{"date": "June"}',
    '{"priority": 1}',
    '{}'
]::jsonb[]) AS b;
SELECT pg_temp.call('holidays_update', 'cal_staff', jsonb_build_object('path', jsonb_build_object('id', id), 'body', '{"name": "x"}'::jsonb)) FROM h;
SELECT pg_temp.call('holidays_update', 'cal_admin', '{"path": {"id": 999999}, "body": {"name": "x"}}');
SELECT pg_temp.call('holidays_delete', 'cal_staff', jsonb_build_object('path', jsonb_build_object('id', id))) FROM h;
SELECT pg_temp.call('holidays_delete', 'cal_admin', jsonb_build_object('path', jsonb_build_object('id', id))) FROM h;
SELECT pg_temp.call('holidays_delete', 'cal_admin', jsonb_build_object('path', jsonb_build_object('id', id)))
       = format('HD404 Holiday with ID %s not found', id) AS deleted_twice_is_404 FROM h;
SELECT action, count(*) FROM helpdesk.audit_logs WHERE action LIKE 'holiday.%' OR action LIKE 'business_hours.%'
GROUP BY 1 ORDER BY 1;

-- The holidays feed the arithmetic: 2027-06-18 (Fri) is now a holiday.
SELECT helpdesk.is_working_day('2027-06-18') AS bridge_day_working;

-- Without a default calendar: reads and holiday writes are 404, PUT schedule creates one.
SAVEPOINT no_default;
UPDATE helpdesk.calendars SET is_default = false, name = 'Old default' WHERE is_default;
SELECT pg_temp.call('business_hours_schedule_get', 'cal_admin', '{}') AS schedule,
       pg_temp.call('holidays_list', 'cal_admin', '{}') AS holidays,
       pg_temp.call('holidays_create', 'cal_admin', '{"body": {"name": "x", "date": "2027-01-02"}}') AS create_holiday;
SELECT pg_temp.call('business_hours_schedule_put', 'cal_admin',
    '{"body": {"timeZone": "UTC", "days": [{"dayOfWeek": 1, "windows": [{"startTime": "09:00", "endTime": "17:00"}]}]}}');
ROLLBACK TO no_default;
ROLLBACK;
