-- 54_sla_clock_triggers, 1.0 to 1.1: a paused clock shows no due date on its ticket (it keeps its
-- deadline in the clock).

-- The ticket's clocks after a change from `old` to `new` at `at`, made by `staff` (or not).
-- Returns the new row with due_date, response_due_at and first_response_at set.
CREATE OR REPLACE FUNCTION helpdesk.sla_ticket_changed(old helpdesk.tickets, new helpdesk.tickets, at timestamptz,
                                            staff boolean)
RETURNS helpdesk.tickets
LANGUAGE plpgsql VOLATILE
AS $$
DECLARE
    resp helpdesk.sla_clocks;
    res  helpdesk.sla_clocks;
    was_open boolean := helpdesk.ticket_is_open(old.status);
    is_open  boolean := helpdesk.ticket_is_open(new.status);
BEGIN
    PERFORM helpdesk.sla_clocks_ensure(old, at);
    resp := helpdesk.sla_clock(new.id, 'response');
    res := helpdesk.sla_clock(new.id, 'resolution');

    -- A status change by staff is a response.
    IF staff AND new.status IS DISTINCT FROM old.status AND new.first_response_at IS NULL THEN
        new.first_response_at := at;
    END IF;

    IF new.created_at IS DISTINCT FROM old.created_at THEN
        resp := helpdesk.sla_clock_rebase(resp, new.created_at, at);
        res := helpdesk.sla_clock_rebase(res, new.created_at, at);
    END IF;

    IF new.priority IS DISTINCT FROM old.priority THEN
        resp := helpdesk.sla_clock_recalculate(resp, new.priority, at, old.status = 'Pending');
        res := helpdesk.sla_clock_recalculate(res, new.priority, at, old.status = 'Pending');
    END IF;

    -- response clock
    IF old.first_response_at IS NULL AND new.first_response_at IS NOT NULL THEN
        resp := helpdesk.sla_clock_stop(resp, greatest(new.first_response_at, resp.cycle_start));
    ELSIF was_open AND NOT is_open THEN
        resp := helpdesk.sla_clock_stop(resp, at, true);
    END IF;

    -- resolution clock
    IF was_open AND NOT is_open THEN
        res := helpdesk.sla_clock_stop(res, at);
    ELSIF NOT was_open AND is_open THEN
        res := helpdesk.sla_clock_start(new.id, 'resolution', new.priority, at, res.cycle + 1,
                                        new.status = 'Pending');
    END IF;

    -- Pending pauses what runs, leaving it resumes
    IF new.status = 'Pending' AND old.status IS DISTINCT FROM 'Pending' THEN
        resp := helpdesk.sla_clock_pause(resp, at);
        res := helpdesk.sla_clock_pause(res, at);
    ELSIF old.status = 'Pending' AND new.status IS DISTINCT FROM 'Pending' THEN
        resp := helpdesk.sla_clock_resume(resp, at);
        res := helpdesk.sla_clock_resume(res, at);
    END IF;

    new.response_due_at := helpdesk.sla_clock_due_date(resp);
    new.due_date := helpdesk.sla_clock_due_date(res);
    RETURN new;
END
$$;
