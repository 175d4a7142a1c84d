-- 54_sla_clock_triggers, 1.0 to 1.1: a paused clock shows no due date on its ticket (it keeps its
-- deadline in the clock); a write of the due dates alone takes the clocks' (what a recomputation
-- writes) without recomputing them.

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

CREATE OR REPLACE FUNCTION helpdesk.sla_tickets_before_update()
RETURNS trigger
LANGUAGE plpgsql
AS $$
BEGIN
    IF NEW.status IS DISTINCT FROM OLD.status OR NEW.priority IS DISTINCT FROM OLD.priority
       OR NEW.first_response_at IS DISTINCT FROM OLD.first_response_at
       OR NEW.created_at IS DISTINCT FROM OLD.created_at THEN
        NEW := helpdesk.sla_ticket_changed(OLD, NEW, helpdesk.sla_time(), helpdesk.sla_is_staff(helpdesk.actor_id()));
    ELSIF NEW.due_date IS DISTINCT FROM OLD.due_date OR NEW.response_due_at IS DISTINCT FROM OLD.response_due_at THEN
        -- the clocks own the due dates: a direct write to them is replaced by theirs (which is
        -- what a recomputation writes); a ticket without clocks gets them
        IF NOT EXISTS (SELECT FROM helpdesk.sla_clocks c WHERE c.ticket_id = NEW.id) THEN
            NEW := helpdesk.sla_ticket_changed(OLD, NEW, helpdesk.sla_time(), helpdesk.sla_is_staff(helpdesk.actor_id()));
        ELSE
            SELECT max(helpdesk.sla_clock_due_date(c)) FILTER (WHERE c.kind = 'resolution'),
                   max(helpdesk.sla_clock_due_date(c)) FILTER (WHERE c.kind = 'response')
            INTO NEW.due_date, NEW.response_due_at
            FROM helpdesk.sla_clocks c WHERE c.ticket_id = NEW.id;
        END IF;
    END IF;
    RETURN NEW;
END
$$;

-- sla_is_staff in PL/pgSQL (planned once per connection, not at every ticket change).
CREATE OR REPLACE FUNCTION helpdesk.sla_is_staff(user_id int)
RETURNS boolean
LANGUAGE plpgsql STABLE
AS $$
BEGIN
    RETURN user_id IS NULL
        OR EXISTS (SELECT FROM helpdesk.users u WHERE u.id = user_id AND u.role IN ('IT_Staff', 'Admin'));
END
$$;
