-- 55_sla_clock: the SLA clocks of each ticket, their event log, and the scan that fires
-- warnings and breaches exactly once.
--
-- Each ticket has two clocks: `response` (stops at the first public reply by staff or the first
-- status change by staff) and `resolution` (stops at Resolved or Closed, restarts on reopen).
-- Both pause while the ticket is Pending. A clock's deadline is always computed forward from the
-- start of its cycle:
--
--     due_at  = business_time_add(cycle_start, target + paused_total)
--     warn_at = business_time_add(cycle_start, share * target + paused_total)
--
-- where paused_total is the business time the clock spent paused, so a resume gives
-- due = business_time_add(resume, remaining) and a priority change recomputes the targets from
-- the ticket's start, minus pauses, also when the new deadline is already past.
--
-- Triggers on tickets and comments drive the clocks, so every path (API, bulk, raw SQL) is
-- covered. A ticket's clocks start at its created_at; later changes happen at helpdesk.sla_time():
-- the transaction's clock, or, for tests and repairs by a superuser session, the setting
-- helpdesk_sla.time. The computations take the instant as an argument.
--
-- tickets.due_date mirrors the resolution clock and tickets.response_due_at the response clock:
-- the running deadline, NULL while paused or without a rule, and the deadline that applied once
-- the clock stopped. So "breached at t" for lists is
--     due_date <= t AND status IN ('New', 'Assigned', 'In Progress')
-- and "at risk at t" is helpdesk.sla_at_risk(ticket, t), or for lists
--     id IN (SELECT helpdesk.sla_at_risk_ids(t)).

-- The event instant of SLA clock changes made by this transaction: now(), unless a superuser
-- session set helpdesk_sla.time (SET LOCAL helpdesk_sla.time = '2030-01-07 09:00+00').
CREATE FUNCTION helpdesk.sla_time()
RETURNS timestamptz
LANGUAGE plpgsql STABLE
AS $$
DECLARE
    s text := nullif(pg_catalog.current_setting('helpdesk_sla.time', true), '');
BEGIN
    IF s IS NOT NULL AND (SELECT r.rolsuper FROM pg_catalog.pg_roles r WHERE r.rolname = session_user) THEN
        RETURN s::timestamptz;
    END IF;
    RETURN now();
END
$$;

-- Set the watcher's latch at commit when `deadline` is before its planned wake-up (C,
-- extension/sla_clock.c); does nothing when the library is not preloaded.
CREATE FUNCTION helpdesk.sla_wake(deadline timestamptz)
RETURNS void
AS 'MODULE_PATHNAME', 'helpdesk_sla_wake'
LANGUAGE C VOLATILE STRICT;

-- Business time through the default calendar; with no default calendar configured the desk
-- is a 24/7 service and business time is elapsed time.
CREATE FUNCTION helpdesk.sla_add(start timestamptz, duration interval)
RETURNS timestamptz
LANGUAGE plpgsql STABLE
AS $$
BEGIN
    IF NOT EXISTS (SELECT FROM helpdesk.calendars c WHERE c.is_default) THEN
        RETURN start + duration;
    END IF;
    RETURN helpdesk.business_time_add(start, duration);
END
$$;

CREATE FUNCTION helpdesk.sla_between(a timestamptz, b timestamptz)
RETURNS interval
LANGUAGE plpgsql STABLE
AS $$
BEGIN
    IF b <= a THEN
        RETURN interval '0';
    END IF;
    IF NOT EXISTS (SELECT FROM helpdesk.calendars c WHERE c.is_default) THEN
        RETURN b - a;
    END IF;
    RETURN helpdesk.business_time_between(a, b);
END
$$;

-- Share of the business-time window after which a clock is at risk (setting sla_at_risk_share).
CREATE FUNCTION helpdesk.sla_at_risk_share()
RETURNS numeric
LANGUAGE sql STABLE PARALLEL SAFE
AS $$ SELECT helpdesk.setting('sla_at_risk_share', '0.8')::numeric $$;

CREATE TABLE helpdesk.sla_clocks (
    ticket_id     int NOT NULL REFERENCES helpdesk.tickets (id) ON DELETE CASCADE,
    kind          varchar(10) NOT NULL CHECK (kind IN ('response', 'resolution')),
    -- running: counting; paused: ticket Pending; met: stopped in time; missed: stopped after
    -- its breach; cancelled: stopped without a response (ticket closed first);
    -- not_applicable: no active SLA rule for the priority.
    state         varchar(16) NOT NULL
                  CHECK (state IN ('running', 'paused', 'met', 'missed', 'cancelled', 'not_applicable')),
    cycle         int NOT NULL DEFAULT 1 CHECK (cycle >= 1),
    target        interval,
    cycle_start   timestamptz NOT NULL,
    paused_total  interval NOT NULL DEFAULT '0',
    paused_since  timestamptz,
    due_at        timestamptz,
    warn_at       timestamptz,
    warned_at     timestamptz,
    breached_at   timestamptz,
    stopped_at    timestamptz,
    -- The next instant the watcher must act on (warn_at, then due_at), NULL when none.
    next_deadline timestamptz,
    updated_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (ticket_id, kind),
    CHECK ((state = 'paused') = (paused_since IS NOT NULL)),
    CHECK (state = 'not_applicable' OR target IS NOT NULL)
);
-- The watcher's wake-up and the scan read only this.
CREATE INDEX sla_clocks_next_deadline_idx ON helpdesk.sla_clocks (next_deadline)
    WHERE next_deadline IS NOT NULL;
-- At-risk lists: running resolution clocks by their warning instant.
CREATE INDEX sla_clocks_at_risk_idx ON helpdesk.sla_clocks (warn_at)
    WHERE kind = 'resolution' AND state = 'running';

-- Append-only log of every clock change. `at` is the instant of the change (for warnings and
-- breaches the deadline itself), `used` the business time used at that instant.
CREATE TABLE helpdesk.sla_events (
    id          bigserial PRIMARY KEY,
    ticket_id   int NOT NULL REFERENCES helpdesk.tickets (id) ON DELETE CASCADE,
    clock       varchar(10) NOT NULL CHECK (clock IN ('response', 'resolution')),
    cycle       int NOT NULL,
    event       varchar(16) NOT NULL CHECK (event IN (
                    'started', 'paused', 'resumed', 'warned', 'breached', 'met', 'stopped',
                    'recalculated', 'not_applicable')),
    at          timestamptz NOT NULL,
    due_before  timestamptz,
    due_after   timestamptz,
    used        interval,
    target      interval,
    detail      text,
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX sla_events_ticket_idx ON helpdesk.sla_events (ticket_id, id);
-- Exactly once, structurally: one warning and one breach per clock cycle.
CREATE UNIQUE INDEX sla_events_once ON helpdesk.sla_events (ticket_id, clock, cycle, event)
    WHERE event IN ('warned', 'breached');

SELECT pg_catalog.pg_extension_config_dump('helpdesk.sla_clocks', '');
SELECT pg_catalog.pg_extension_config_dump('helpdesk.sla_events', '');
SELECT pg_catalog.pg_extension_config_dump('helpdesk.sla_events_id_seq', '');

-- Target of a clock kind for a priority: the active rule's hours, NULL when there is none.
CREATE FUNCTION helpdesk.sla_target(kind text, priority helpdesk.ticket_priority)
RETURNS interval
LANGUAGE sql STABLE
AS $$
    SELECT pg_catalog.make_interval(hours => CASE kind WHEN 'response' THEN r.response_time_hours
                                                       ELSE r.resolution_time_hours END)
    FROM helpdesk.sla_rules r
    WHERE r.priority = sla_target.priority AND r.is_active
$$;

-- Business time a clock has used at `at` (its cycle's time minus pauses).
CREATE FUNCTION helpdesk.sla_used(c helpdesk.sla_clocks, at timestamptz)
RETURNS interval
LANGUAGE plpgsql STABLE
AS $$
DECLARE
    upto timestamptz;
BEGIN
    IF c.state = 'not_applicable' THEN
        RETURN NULL;
    END IF;
    upto := CASE WHEN c.state = 'paused' THEN c.paused_since
                 WHEN c.state IN ('met', 'missed', 'cancelled') THEN c.stopped_at
                 ELSE at END;
    upto := least(upto, at);
    IF upto <= c.cycle_start THEN
        RETURN interval '0';
    END IF;
    RETURN greatest(helpdesk.sla_between(c.cycle_start, upto) - c.paused_total, interval '0');
END
$$;

-- Recompute due_at, warn_at and next_deadline of a clock from its cycle start, target and pauses.
CREATE FUNCTION helpdesk.sla_plan(c helpdesk.sla_clocks)
RETURNS helpdesk.sla_clocks
LANGUAGE plpgsql STABLE
AS $$
BEGIN
    IF c.state = 'running' THEN
        c.due_at := helpdesk.sla_add(c.cycle_start, c.target + c.paused_total);
        c.warn_at := helpdesk.sla_add(c.cycle_start, c.target * helpdesk.sla_at_risk_share() + c.paused_total);
    ELSIF c.state IN ('paused', 'not_applicable') THEN
        c.due_at := NULL;
        c.warn_at := NULL;
    END IF;
    -- stopped clocks keep the deadline that applied
    c.next_deadline := CASE
        WHEN c.state <> 'running' THEN NULL
        WHEN c.warned_at IS NULL AND c.breached_at IS NULL THEN c.warn_at
        WHEN c.breached_at IS NULL THEN c.due_at
    END;
    RETURN c;
END
$$;

-- Append one event.
CREATE FUNCTION helpdesk.sla_log(c helpdesk.sla_clocks, event text, at timestamptz,
                                 due_before timestamptz, detail text DEFAULT NULL)
RETURNS void
LANGUAGE sql VOLATILE
AS $$
    INSERT INTO helpdesk.sla_events (ticket_id, clock, cycle, event, at, due_before, due_after, used, target, detail)
    VALUES (c.ticket_id, c.kind, c.cycle, event, at, due_before, c.due_at, helpdesk.sla_used(c, at), c.target, detail)
$$;

-- Store a clock (insert or update) and wake the watcher when its next deadline may be earlier
-- than the watcher's planned wake-up (the wake itself happens at commit).
CREATE FUNCTION helpdesk.sla_store(c helpdesk.sla_clocks)
RETURNS helpdesk.sla_clocks
LANGUAGE plpgsql VOLATILE
AS $$
BEGIN
    c.updated_at := now();
    INSERT INTO helpdesk.sla_clocks VALUES (c.*)
    ON CONFLICT (ticket_id, kind) DO UPDATE
    SET state = EXCLUDED.state, cycle = EXCLUDED.cycle, target = EXCLUDED.target,
        cycle_start = EXCLUDED.cycle_start, paused_total = EXCLUDED.paused_total,
        paused_since = EXCLUDED.paused_since, due_at = EXCLUDED.due_at, warn_at = EXCLUDED.warn_at,
        warned_at = EXCLUDED.warned_at, breached_at = EXCLUDED.breached_at,
        stopped_at = EXCLUDED.stopped_at, next_deadline = EXCLUDED.next_deadline,
        updated_at = EXCLUDED.updated_at;
    IF c.next_deadline IS NOT NULL THEN
        PERFORM helpdesk.sla_wake(c.next_deadline);
    END IF;
    RETURN c;
END
$$;

-- A new clock (a ticket's creation, or a reopen for the resolution clock), started at `at`,
-- paused at once when the ticket is Pending.
CREATE FUNCTION helpdesk.sla_clock_start(ticket_id int, kind text, priority helpdesk.ticket_priority,
                                         at timestamptz, cycle int DEFAULT 1, pending boolean DEFAULT false)
RETURNS helpdesk.sla_clocks
LANGUAGE plpgsql VOLATILE
AS $$
DECLARE
    c helpdesk.sla_clocks;
BEGIN
    c.ticket_id := ticket_id;
    c.kind := kind;
    c.cycle := cycle;
    c.cycle_start := at;
    c.paused_total := interval '0';
    c.target := helpdesk.sla_target(kind, priority);
    c.state := CASE WHEN c.target IS NULL THEN 'not_applicable' WHEN pending THEN 'paused' ELSE 'running' END;
    IF pending AND c.target IS NOT NULL THEN
        c.paused_since := at;
    END IF;
    c := helpdesk.sla_plan(c);
    IF c.state = 'not_applicable' THEN
        PERFORM helpdesk.sla_log(c, 'not_applicable', at, NULL, format('no active SLA rule for priority %s', priority));
    ELSE
        PERFORM helpdesk.sla_log(c, 'started', at, NULL, format('%s priority', priority));
        IF pending THEN
            PERFORM helpdesk.sla_log(c, 'paused', at, NULL, 'ticket is Pending');
        END IF;
    END IF;
    RETURN helpdesk.sla_store(c);
END
$$;

-- Pause a running clock at `at`.
CREATE FUNCTION helpdesk.sla_clock_pause(c helpdesk.sla_clocks, at timestamptz)
RETURNS helpdesk.sla_clocks
LANGUAGE plpgsql VOLATILE
AS $$
DECLARE
    before timestamptz := c.due_at;
BEGIN
    IF c.state <> 'running' THEN
        RETURN c;
    END IF;
    c.state := 'paused';
    c.paused_since := greatest(at, c.cycle_start);
    c := helpdesk.sla_plan(c);
    PERFORM helpdesk.sla_log(c, 'paused', at, before, 'ticket is Pending');
    RETURN helpdesk.sla_store(c);
END
$$;

-- Resume a paused clock at `at`: the business time spent paused is added back.
CREATE FUNCTION helpdesk.sla_clock_resume(c helpdesk.sla_clocks, at timestamptz)
RETURNS helpdesk.sla_clocks
LANGUAGE plpgsql VOLATILE
AS $$
BEGIN
    IF c.state <> 'paused' THEN
        RETURN c;
    END IF;
    IF at > c.paused_since THEN
        c.paused_total := c.paused_total + helpdesk.sla_between(c.paused_since, at);
    END IF;
    c.state := 'running';
    c.paused_since := NULL;
    c := helpdesk.sla_plan(c);
    PERFORM helpdesk.sla_log(c, 'resumed', at, NULL);
    RETURN helpdesk.sla_store(c);
END
$$;

-- Stop a running or paused clock at `at`: met when in time, missed when after its deadline
-- (recording the breach if the watcher has not yet), cancelled when `cancel` (a response clock
-- whose ticket was closed without a staff response) and not yet late.
CREATE FUNCTION helpdesk.sla_clock_stop(c helpdesk.sla_clocks, at timestamptz, cancel boolean DEFAULT false)
RETURNS helpdesk.sla_clocks
LANGUAGE plpgsql VOLATILE
AS $$
DECLARE
    used interval;
BEGIN
    IF c.state NOT IN ('running', 'paused') THEN
        RETURN c;
    END IF;
    used := helpdesk.sla_used(c, at);
    IF c.state = 'paused' THEN
        -- no time passes while paused: the deadline is the one the clock would have had
        c.due_at := helpdesk.sla_add(c.cycle_start, c.target + c.paused_total);
    END IF;
    IF c.breached_at IS NULL AND used > c.target THEN
        -- late, and the watcher has not fired yet: the breach is recorded here, once
        PERFORM helpdesk.sla_fire(c, 'breached', c.due_at);
        c.breached_at := c.due_at;
    END IF;
    c.stopped_at := at;
    c.state := CASE WHEN c.breached_at IS NOT NULL THEN 'missed' WHEN cancel THEN 'cancelled' ELSE 'met' END;
    c.paused_since := NULL;
    c := helpdesk.sla_plan(c);
    PERFORM helpdesk.sla_log(c, CASE c.state WHEN 'met' THEN 'met' ELSE 'stopped' END, at, c.due_at,
                             CASE c.state WHEN 'missed' THEN 'stopped after the deadline'
                                          WHEN 'cancelled' THEN 'ticket closed without a staff response' END);
    RETURN helpdesk.sla_store(c);
END
$$;

-- A priority change: the target follows the new priority's rule, counted from the cycle's start
-- minus pauses. Stopped clocks keep their outcome.
CREATE FUNCTION helpdesk.sla_clock_recalculate(c helpdesk.sla_clocks, priority helpdesk.ticket_priority,
                                               at timestamptz, pending boolean)
RETURNS helpdesk.sla_clocks
LANGUAGE plpgsql VOLATILE
AS $$
DECLARE
    before timestamptz := c.due_at;
    new_target interval := helpdesk.sla_target(c.kind, priority);
BEGIN
    IF c.state IN ('met', 'missed', 'cancelled') THEN
        RETURN c;
    END IF;
    IF c.state = 'not_applicable' THEN
        IF new_target IS NULL THEN
            RETURN c;
        END IF;
        -- a rule now applies: the clock counts from the ticket's start
        c.state := CASE WHEN pending THEN 'paused' ELSE 'running' END;
        c.paused_since := CASE WHEN pending THEN at END;
    ELSIF new_target IS NULL THEN
        c.state := 'not_applicable';
        c.paused_since := NULL;
    END IF;
    c.target := new_target;
    c := helpdesk.sla_plan(c);
    PERFORM helpdesk.sla_log(c, 'recalculated', at, before, format('priority %s', priority));
    RETURN helpdesk.sla_store(c);
END
$$;

-- The ticket's start moved (a data repair writing created_at): a clock still in its first
-- cycle and not stopped counts from the new start.
CREATE FUNCTION helpdesk.sla_clock_rebase(c helpdesk.sla_clocks, start timestamptz, at timestamptz)
RETURNS helpdesk.sla_clocks
LANGUAGE plpgsql VOLATILE
AS $$
DECLARE
    before timestamptz := c.due_at;
BEGIN
    IF c.cycle <> 1 OR c.state NOT IN ('running', 'paused', 'not_applicable') OR c.cycle_start = start THEN
        RETURN c;
    END IF;
    c.cycle_start := start;
    IF c.state = 'paused' THEN
        c.paused_since := greatest(c.paused_since, start);
    END IF;
    c := helpdesk.sla_plan(c);
    PERFORM helpdesk.sla_log(c, 'recalculated', at, before, 'ticket start moved to ' || helpdesk.iso(start));
    RETURN helpdesk.sla_store(c);
END
$$;

-- The clock of a ticket, locked.
CREATE FUNCTION helpdesk.sla_clock(ticket_id int, kind text)
RETURNS helpdesk.sla_clocks
LANGUAGE sql VOLATILE
AS $$
    SELECT * FROM helpdesk.sla_clocks c WHERE c.ticket_id = sla_clock.ticket_id AND c.kind = sla_clock.kind
    FOR UPDATE
$$;

-- Clocks of a ticket created without them (bulk loads with triggers off): started at the
-- ticket's creation, then brought to its current state at `at`.
CREATE FUNCTION helpdesk.sla_clocks_ensure(t helpdesk.tickets, at timestamptz)
RETURNS void
LANGUAGE plpgsql VOLATILE
AS $$
DECLARE
    c helpdesk.sla_clocks;
    k text;
BEGIN
    FOREACH k IN ARRAY ARRAY['response', 'resolution'] LOOP
        IF NOT EXISTS (SELECT FROM helpdesk.sla_clocks s WHERE s.ticket_id = t.id AND s.kind = k) THEN
            c := helpdesk.sla_clock_start(t.id, k, t.priority, t.created_at);
            IF k = 'response' AND t.first_response_at IS NOT NULL THEN
                PERFORM helpdesk.sla_clock_stop(c, t.first_response_at);
            ELSIF t.status IN ('Resolved', 'Closed') THEN
                PERFORM helpdesk.sla_clock_stop(c, coalesce(t.resolved_at, t.closed_at, at), k = 'response');
            ELSIF t.status = 'Pending' THEN
                PERFORM helpdesk.sla_clock_pause(c, at);
            END IF;
        END IF;
    END LOOP;
END
$$;

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
    open_states helpdesk.ticket_status[] := ARRAY['New', 'Assigned', 'In Progress', 'Pending'];
    was_open boolean := old.status = ANY (open_states);
    is_open  boolean := new.status = ANY (open_states);
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

    new.response_due_at := resp.due_at;
    new.due_date := res.due_at;
    RETURN new;
END
$$;

-- Whether a user counts as staff for the response clock: IT_Staff, Admin, or no acting user
-- (the database user, e.g. a DBA).
CREATE FUNCTION helpdesk.sla_is_staff(user_id int)
RETURNS boolean
LANGUAGE sql STABLE
AS $$
    SELECT user_id IS NULL
        OR EXISTS (SELECT FROM helpdesk.users u WHERE u.id = user_id AND u.role IN ('IT_Staff', 'Admin'))
$$;

-- Trigger: before a ticket is inserted, its due dates; after, its clocks. Both clocks start at
-- the ticket's created_at (now() unless the writer set it).
CREATE FUNCTION helpdesk.sla_tickets_before_insert()
RETURNS trigger
LANGUAGE plpgsql
AS $$
DECLARE
    at timestamptz := NEW.created_at;
    t interval;
BEGIN
    IF NEW.status IN ('New', 'Assigned', 'In Progress') THEN
        t := helpdesk.sla_target('response', NEW.priority);
        NEW.response_due_at := CASE WHEN t IS NOT NULL THEN helpdesk.sla_add(at, t) END;
        t := helpdesk.sla_target('resolution', NEW.priority);
        NEW.due_date := CASE WHEN t IS NOT NULL THEN helpdesk.sla_add(at, t) END;
    ELSE
        NEW.response_due_at := NULL;
        NEW.due_date := NULL;
    END IF;
    RETURN NEW;
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
    c := helpdesk.sla_clock_start(NEW.id, 'response', NEW.priority, at, 1, NEW.status = 'Pending');
    IF NEW.first_response_at IS NOT NULL THEN
        PERFORM helpdesk.sla_clock_stop(c, at);
    ELSIF NEW.status IN ('Resolved', 'Closed') THEN
        PERFORM helpdesk.sla_clock_stop(c, at, true);
    END IF;
    c := helpdesk.sla_clock_start(NEW.id, 'resolution', NEW.priority, at, 1, NEW.status = 'Pending');
    IF NEW.status IN ('Resolved', 'Closed') THEN
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
       OR NEW.created_at IS DISTINCT FROM OLD.created_at
       OR NEW.due_date IS DISTINCT FROM OLD.due_date
       OR NEW.response_due_at IS DISTINCT FROM OLD.response_due_at THEN
        -- the clocks own the due dates: a direct write to them is recomputed away
        NEW := helpdesk.sla_ticket_changed(OLD, NEW, helpdesk.sla_time(), helpdesk.sla_is_staff(helpdesk.actor_id()));
    END IF;
    RETURN NEW;
END
$$;

-- Rows loaded by COPY (pg_restore of a dump, which brings the clocks and their events along)
-- are not changes: the triggers skip them. An import by COPY gets its clocks with
-- helpdesk.sla_clocks_ensure(ticket, now()) (or lazily, at the ticket's next change).
CREATE TRIGGER tickets_sla_before_insert BEFORE INSERT ON helpdesk.tickets
    FOR EACH ROW WHEN (NOT helpdesk.copying_rows()) EXECUTE FUNCTION helpdesk.sla_tickets_before_insert();
CREATE TRIGGER tickets_sla_after_insert AFTER INSERT ON helpdesk.tickets
    FOR EACH ROW WHEN (NOT helpdesk.copying_rows()) EXECUTE FUNCTION helpdesk.sla_tickets_after_insert();
CREATE TRIGGER tickets_sla_before_update BEFORE UPDATE ON helpdesk.tickets
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

CREATE TRIGGER comments_sla_after_insert AFTER INSERT ON helpdesk.comments
    FOR EACH ROW WHEN (NOT helpdesk.copying_rows()) EXECUTE FUNCTION helpdesk.sla_comments_after_insert();

-- ---- warnings and breaches -------------------------------------------------------------------

-- Who hears about a ticket's SLA: its assignee, or every active Admin when it has none; for
-- breaches the assignee and every active Admin.
CREATE FUNCTION helpdesk.sla_recipients(t helpdesk.tickets, event text)
RETURNS SETOF int
LANGUAGE sql STABLE
AS $$
    SELECT t.assignee_id WHERE t.assignee_id IS NOT NULL
    UNION
    SELECT u.id FROM helpdesk.users u
    WHERE u.role = 'Admin' AND u.is_active AND (event = 'breached' OR t.assignee_id IS NULL)
$$;

-- Record a warning or a breach of a clock, exactly once per clock cycle (the unique index on
-- sla_events decides), with its history row and notifications. Returns whether it fired now.
CREATE FUNCTION helpdesk.sla_fire(c helpdesk.sla_clocks, what_event text, deadline timestamptz)
RETURNS boolean
LANGUAGE plpgsql VOLATILE
AS $$
DECLARE
    t helpdesk.tickets;
    inserted int;
    what text := CASE c.kind WHEN 'response' THEN 'Response' ELSE 'Resolution' END;
BEGIN
    INSERT INTO helpdesk.sla_events (ticket_id, clock, cycle, event, at, due_before, due_after, used, target)
    VALUES (c.ticket_id, c.kind, c.cycle, what_event, deadline, c.due_at, c.due_at,
            CASE WHEN what_event = 'breached' THEN c.target ELSE c.target * helpdesk.sla_at_risk_share() END,
            c.target)
    ON CONFLICT (ticket_id, clock, cycle, event) WHERE event IN ('warned', 'breached') DO NOTHING;
    GET DIAGNOSTICS inserted = ROW_COUNT;
    IF inserted = 0 THEN
        RETURN false;
    END IF;
    SELECT * INTO t FROM helpdesk.tickets WHERE id = c.ticket_id;
    IF what_event = 'warned' THEN
        INSERT INTO helpdesk.ticket_history (ticket_id, user_id, action, field_name, new_value, description)
        VALUES (t.id, NULL, 'sla_warning', c.kind || '_due', helpdesk.iso(c.due_at),
                format('%s SLA at risk: %s%% of the %s window used, due %s', what,
                       round(helpdesk.sla_at_risk_share() * 100), c.kind, helpdesk.iso(c.due_at)));
        INSERT INTO helpdesk.notifications (user_id, type, title, message, ticket_id)
        SELECT r, 'sla_warning', 'SLA Warning',
               format('Ticket %s: %s is at risk of breaching its %s SLA (due %s)',
                      t.ticket_number, t.title, c.kind, helpdesk.iso(c.due_at)), t.id
        FROM helpdesk.sla_recipients(t, what_event) r;
    ELSE
        INSERT INTO helpdesk.ticket_history (ticket_id, user_id, action, field_name, new_value, description)
        VALUES (t.id, NULL, 'sla_breached', c.kind || '_due', helpdesk.iso(c.due_at),
                format('%s SLA breached: was due %s', what, helpdesk.iso(c.due_at)));
        INSERT INTO helpdesk.notifications (user_id, type, title, message, ticket_id)
        SELECT r, 'sla_breach', 'SLA Breach',
               format('Ticket %s: %s has breached its %s SLA (was due %s)',
                      t.ticket_number, t.title, c.kind, helpdesk.iso(c.due_at)), t.id
        FROM helpdesk.sla_recipients(t, what_event) r;
    END IF;
    RETURN true;
END
$$;

-- Fire every warning and breach due at `at`, then the escalations due at `at`. Each item runs
-- in a subtransaction: one that fails is logged and retried by the next scan, the others go on.
-- Locks each due clock, so a concurrent ticket update and the scan serialize on the clock row.
CREATE FUNCTION helpdesk.sla_scan(at timestamptz, OUT warnings int, OUT breaches int, OUT escalations int)
LANGUAGE plpgsql VOLATILE
AS $$
DECLARE
    c helpdesk.sla_clocks;
BEGIN
    warnings := 0;
    breaches := 0;
    FOR c IN
        SELECT * FROM helpdesk.sla_clocks
        WHERE next_deadline <= at
        ORDER BY next_deadline
        FOR UPDATE
    LOOP
        BEGIN
            IF c.state = 'running' AND c.breached_at IS NULL AND c.due_at <= at THEN
                -- a warning overtaken by its breach is not sent
                IF helpdesk.sla_fire(c, 'breached', c.due_at) THEN
                    breaches := breaches + 1;
                END IF;
                c.breached_at := c.due_at;
            ELSIF c.state = 'running' AND c.warned_at IS NULL AND c.breached_at IS NULL AND c.warn_at <= at THEN
                IF helpdesk.sla_fire(c, 'warned', c.warn_at) THEN
                    warnings := warnings + 1;
                END IF;
                c.warned_at := c.warn_at;
            END IF;
            c.next_deadline := CASE WHEN c.breached_at IS NOT NULL THEN NULL ELSE c.due_at END;
            UPDATE helpdesk.sla_clocks s
            SET warned_at = c.warned_at, breached_at = c.breached_at, next_deadline = c.next_deadline,
                updated_at = now()
            WHERE s.ticket_id = c.ticket_id AND s.kind = c.kind;
        EXCEPTION WHEN OTHERS THEN
            RAISE WARNING 'helpdesk sla_scan: ticket %, % clock: %', c.ticket_id, c.kind, SQLERRM;
        END;
    END LOOP;
    escalations := helpdesk.escalation_run(at, 'system');
END
$$;

-- The earliest instant the watcher must act on, read from the partial index.
CREATE FUNCTION helpdesk.sla_next_deadline()
RETURNS timestamptz
LANGUAGE sql STABLE
AS $$ SELECT min(next_deadline) FROM helpdesk.sla_clocks WHERE next_deadline IS NOT NULL $$;

-- ---- the one definition of "at risk" ---------------------------------------------------------

-- A ticket is at risk at `at` when its resolution clock runs, has used at least the configured
-- share of its business-time window (warn_at <= at), and is not breached (at < due_at).
CREATE FUNCTION helpdesk.sla_at_risk(t helpdesk.tickets, at timestamptz DEFAULT now())
RETURNS boolean
LANGUAGE sql STABLE
AS $$
    SELECT EXISTS (
        SELECT FROM helpdesk.sla_clocks c
        WHERE c.ticket_id = t.id AND c.kind = 'resolution' AND c.state = 'running'
          AND c.warn_at <= at AND at < c.due_at)
$$;

-- The same set, for lists (an index range scan on the running clocks' warning instants).
CREATE FUNCTION helpdesk.sla_at_risk_ids(at timestamptz DEFAULT now())
RETURNS SETOF int
LANGUAGE sql STABLE
AS $$
    SELECT c.ticket_id FROM helpdesk.sla_clocks c
    WHERE c.kind = 'resolution' AND c.state = 'running' AND c.warn_at <= at AND at < c.due_at
$$;

-- A ticket is breached at `at` (for lists) when its resolution clock runs past its deadline.
CREATE FUNCTION helpdesk.sla_breached(t helpdesk.tickets, at timestamptz DEFAULT now())
RETURNS boolean
LANGUAGE sql STABLE
AS $$
    SELECT t.status IN ('New', 'Assigned', 'In Progress') AND t.due_date <= at
$$;
