-- 40_calendar, 1.0 to 1.1: the calendar-changed trigger leaves rows loaded by COPY (a restore) alone.

-- Any change to a calendar's windows or holidays also writes its calendars row (updated_at), so
-- the row's version (xmin, ctid) identifies the whole definition: the C functions keep a loaded
-- calendar across statements and transactions and re-read it only when that version changes.
-- Rows loaded by COPY (a restore) are not changes: the calendars row restored with them keeps
-- its own updated_at.
CREATE OR REPLACE FUNCTION helpdesk.calendar_children_changed()
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
