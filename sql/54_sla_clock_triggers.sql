-- 54_sla_clock_triggers: the triggers on tickets and comments that drive the SLA clocks of
-- sql/52_sla_clock.sql, so every path (API, bulk, raw SQL) is covered. Rows loaded by COPY are
-- skipped (a restore is not a change); helpdesk.sla_clocks_ensure() gives them clocks.

-- The ticket's clocks after a change from `old` to `new` at `at`, made by `staff` (or not).
-- Returns the new row with due_date, response_due_at and first_response_at set.
CREATE FUNCTION helpdesk.sla_ticket_changed(old helpdesk.tickets, new helpdesk.tickets, at timestamptz,
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

-- Whether a user counts as staff for the response clock: IT_Staff, Admin, or no acting user
-- (the database user, e.g. a DBA).
-- (PL/pgSQL: planned once per connection; as SQL with a sub-select it was planned again on every
-- ticket change, 0.085 ms)
CREATE FUNCTION helpdesk.sla_is_staff(user_id int)
RETURNS boolean
LANGUAGE plpgsql STABLE
AS $$
BEGIN
    RETURN user_id IS NULL
        OR EXISTS (SELECT FROM helpdesk.users u WHERE u.id = user_id AND u.role IN ('IT_Staff', 'Admin'));
END
$$;

-- Trigger: before a ticket is inserted, its due dates; after, its clocks. Both clocks start at
-- the ticket's created_at (now() unless the writer set it).
CREATE FUNCTION helpdesk.sla_tickets_before_insert()
RETURNS trigger
LANGUAGE plpgsql
AS $$
DECLARE
    at timestamptz := NEW.created_at;
    resp_target interval;
    res_target interval;
BEGIN
    IF helpdesk.ticket_is_open(NEW.status) AND NEW.status <> 'Pending' THEN
        -- (both targets in one read of the rules: sla_target's definition)
        SELECT pg_catalog.make_interval(hours => r.response_time_hours),
               pg_catalog.make_interval(hours => r.resolution_time_hours) INTO resp_target, res_target
        FROM helpdesk.sla_rules r
        WHERE r.priority = NEW.priority AND r.is_active;
        NEW.response_due_at := CASE WHEN resp_target IS NOT NULL THEN helpdesk.sla_add(at, resp_target) END;
        NEW.due_date := CASE WHEN res_target IS NOT NULL THEN helpdesk.sla_add(at, res_target) END;
    ELSE
        NEW.response_due_at := NULL;
        NEW.due_date := NULL;
    END IF;
    RETURN NEW;
END
$$;

-- Both clocks of a ticket created open, not Pending and without a response: running from its
-- created_at. Their deadlines are the due dates the BEFORE trigger has just computed from the
-- same rule, calendar and instant (computed once, not again per clock); the clocks are stored in
-- one statement and their 'started' events in another. The clocks, events and wake-up are what
-- sla_clock_start gives (regress 55_sla_clock compares the two).
CREATE FUNCTION helpdesk.sla_clocks_start_running(t helpdesk.tickets)
RETURNS void
LANGUAGE plpgsql VOLATILE
AS $$
DECLARE
    at timestamptz := t.created_at;
    resp_target interval;
    res_target interval;
    resp_due timestamptz;
    res_due timestamptz;
    resp_warn timestamptz;
    res_warn timestamptz;
    share numeric := helpdesk.sla_at_risk_share();
BEGIN
    SELECT pg_catalog.make_interval(hours => r.response_time_hours),
           pg_catalog.make_interval(hours => r.resolution_time_hours) INTO resp_target, res_target
    FROM helpdesk.sla_rules r
    WHERE r.priority = t.priority AND r.is_active;
    IF resp_target IS NOT NULL THEN
        resp_due := coalesce(t.response_due_at, helpdesk.sla_add(at, resp_target));
        resp_warn := helpdesk.sla_add(at, resp_target * share + interval '0');
    END IF;
    IF res_target IS NOT NULL THEN
        res_due := coalesce(t.due_date, helpdesk.sla_add(at, res_target));
        res_warn := helpdesk.sla_add(at, res_target * share + interval '0');
    END IF;
    -- (next_deadline: a running clock's warning comes first, sla_clock_next)
    INSERT INTO helpdesk.sla_clocks (ticket_id, kind, state, cycle, target, cycle_start, paused_total, due_at,
                                     warn_at, next_deadline, updated_at, pauses)
    VALUES (t.id, 'response', CASE WHEN resp_target IS NULL THEN 'not_applicable' ELSE 'running' END, 1,
            resp_target, at, interval '0', resp_due, resp_warn, resp_warn, now(), '{}'),
           (t.id, 'resolution', CASE WHEN res_target IS NULL THEN 'not_applicable' ELSE 'running' END, 1,
            res_target, at, interval '0', res_due, res_warn, res_warn, now(), '{}');
    INSERT INTO helpdesk.sla_events (ticket_id, clock, cycle, event, at, due_before, due_after, used, target, detail)
    VALUES (t.id, 'response', 1, CASE WHEN resp_target IS NULL THEN 'not_applicable' ELSE 'started' END, at, NULL,
            resp_due, CASE WHEN resp_target IS NOT NULL THEN interval '0' END, resp_target,
            CASE WHEN resp_target IS NULL THEN format('no active SLA rule for priority %s', t.priority)
                 ELSE format('%s priority', t.priority) END),
           (t.id, 'resolution', 1, CASE WHEN res_target IS NULL THEN 'not_applicable' ELSE 'started' END, at, NULL,
            res_due, CASE WHEN res_target IS NOT NULL THEN interval '0' END, res_target,
            CASE WHEN res_target IS NULL THEN format('no active SLA rule for priority %s', t.priority)
                 ELSE format('%s priority', t.priority) END);
    IF resp_warn IS NOT NULL OR res_warn IS NOT NULL THEN
        PERFORM helpdesk.sla_wake(least(resp_warn, res_warn));
    END IF;
END
$$;

CREATE FUNCTION helpdesk.sla_tickets_after_insert()
RETURNS trigger
LANGUAGE plpgsql
AS $$
DECLARE
    at timestamptz := NEW.created_at;
    c helpdesk.sla_clocks;
BEGIN
    -- (nearly every creation: both clocks simply start)
    IF helpdesk.ticket_is_open(NEW.status) AND NEW.status <> 'Pending' AND NEW.first_response_at IS NULL THEN
        PERFORM helpdesk.sla_clocks_start_running(NEW);
        RETURN NULL;
    END IF;
    c := helpdesk.sla_clock_start(NEW.id, 'response', NEW.priority, at, 1, NEW.status = 'Pending');
    IF NEW.first_response_at IS NOT NULL THEN
        PERFORM helpdesk.sla_clock_stop(c, at);
    ELSIF NOT helpdesk.ticket_is_open(NEW.status) THEN
        PERFORM helpdesk.sla_clock_stop(c, at, true);
    END IF;
    c := helpdesk.sla_clock_start(NEW.id, 'resolution', NEW.priority, at, 1, NEW.status = 'Pending');
    IF NOT helpdesk.ticket_is_open(NEW.status) THEN
        PERFORM helpdesk.sla_clock_stop(c, at);
    END IF;
    RETURN NULL;
END
$$;

CREATE FUNCTION helpdesk.sla_tickets_before_update()
RETURNS trigger
LANGUAGE plpgsql
AS $$
BEGIN
    IF NEW.status IS DISTINCT FROM OLD.status OR NEW.priority IS DISTINCT FROM OLD.priority
       OR NEW.first_response_at IS DISTINCT FROM OLD.first_response_at
       OR NEW.created_at IS DISTINCT FROM OLD.created_at THEN
        -- A move between two statuses in which the clocks run (open, not Pending), after the
        -- first response, with priority, start and due dates untouched, changes no clock
        -- (sla_ticket_changed would only read them back): only their presence is checked.
        IF OLD.first_response_at IS NOT NULL AND NEW.first_response_at = OLD.first_response_at
           AND NEW.priority = OLD.priority AND NEW.created_at = OLD.created_at
           AND NEW.due_date IS NOT DISTINCT FROM OLD.due_date
           AND NEW.response_due_at IS NOT DISTINCT FROM OLD.response_due_at
           AND helpdesk.ticket_is_open(OLD.status) AND OLD.status <> 'Pending'
           AND helpdesk.ticket_is_open(NEW.status) AND NEW.status <> 'Pending'
           AND (SELECT count(*) FROM helpdesk.sla_clocks c WHERE c.ticket_id = NEW.id) = 2 THEN
            RETURN NEW;
        END IF;
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

-- Rows loaded by COPY (pg_restore of a dump, which brings the clocks and their events along)
-- are not changes: the triggers skip them. An import by COPY gets its clocks with
-- helpdesk.sla_clocks_ensure(ticket, now()) (or lazily, at the ticket's next change).
CREATE TRIGGER tickets_10_sla_due BEFORE INSERT ON helpdesk.tickets
    FOR EACH ROW WHEN (NOT helpdesk.copying_rows()) EXECUTE FUNCTION helpdesk.sla_tickets_before_insert();

CREATE TRIGGER tickets_40_sla_start AFTER INSERT ON helpdesk.tickets
    FOR EACH ROW WHEN (NOT helpdesk.copying_rows()) EXECUTE FUNCTION helpdesk.sla_tickets_after_insert();

CREATE TRIGGER tickets_10_sla_clocks BEFORE UPDATE ON helpdesk.tickets
    FOR EACH ROW EXECUTE FUNCTION helpdesk.sla_tickets_before_update();

-- Trigger: the first public comment by staff is the ticket's first response.
CREATE FUNCTION helpdesk.sla_comments_after_insert()
RETURNS trigger
LANGUAGE plpgsql
AS $$
BEGIN
    IF NEW.type = 'public' AND NEW.deleted_at IS NULL
       AND EXISTS (SELECT FROM helpdesk.users u WHERE u.id = NEW.user_id AND u.role IN ('IT_Staff', 'Admin')) THEN
        UPDATE helpdesk.tickets SET first_response_at = helpdesk.sla_time()
        WHERE id = NEW.ticket_id AND first_response_at IS NULL;
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER comments_40_sla_response AFTER INSERT ON helpdesk.comments
    FOR EACH ROW WHEN (NOT helpdesk.copying_rows()) EXECUTE FUNCTION helpdesk.sla_comments_after_insert();
