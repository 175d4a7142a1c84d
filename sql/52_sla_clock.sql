-- 52_sla_clock: the SLA clocks of each ticket: starting, pausing, resuming, recomputing and
-- stopping them, recording warnings and breaches, and their event log.
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
-- the ticket's start, minus pauses, also when the new deadline is already past. A paused clock
-- keeps the deadline it had when it paused (due_at, warn_at), which says whether it was late
-- then; tickets.due_date shows none while it is paused.
--
-- Recalculation (sla_clock_recalculate on a priority change, sla_clock_recompute when the SLA
-- rules or the business calendar change, sql/54_sla_recompute.sql) makes a clock what the
-- current rules and calendar say about its history: the target of the ticket's priority, the
-- business time of its finished pauses (kept as wall-clock intervals in `pauses`) measured
-- again, both deadlines from the cycle's start. The result does not depend on when or how often
-- it runs, nor on the order of concurrent changes. A clock late before and after a
-- recalculation keeps its one recorded breach; one that the new deadline puts back in time is
-- no longer breached (sql/30_tickets.sql, sla_clock_breached), and breaches again, with a new
-- `breached` event, if that deadline passes too.
--
-- The clock rows (helpdesk.sla_clocks) and the one definition of "breached" and "at risk"
-- (sla_clock_breached, sla_clock_at_risk) are in sql/30_tickets.sql. Triggers on tickets and
-- comments drive the clocks (sql/54_sla_clock_triggers.sql); the watcher's scan fires what is due
-- (sql/58_sla_scan.sql). A ticket's clocks start at its created_at; later changes happen at
-- helpdesk.sla_time(): the transaction's clock, or, for tests and repairs by a superuser, the
-- setting helpdesk.sla_time. The computations take the instant as an argument.
--
-- tickets.due_date mirrors the resolution clock and tickets.response_due_at the response clock:
-- the running deadline, NULL while paused or without a rule, and the deadline that applied once
-- the clock stopped.

-- The event instant of SLA clock changes made by this transaction: now(), unless a superuser
-- set helpdesk.sla_time (SET LOCAL helpdesk.sla_time = '2030-01-07 09:00+00'; the setting is
-- PGC_SUSET and checked as a timestamp, extension/guc.c).
CREATE FUNCTION helpdesk.sla_time()
RETURNS timestamptz
LANGUAGE sql STABLE
AS $$ SELECT coalesce(nullif(pg_catalog.current_setting('helpdesk.sla_time'), '')::timestamptz, now()) $$;

-- Set the watcher's latch at commit when `deadline` is before its planned wake-up (C,
-- extension/sla_clock.c); does nothing when the library is not preloaded.
CREATE FUNCTION helpdesk.sla_wake(deadline timestamptz)
RETURNS void
AS 'MODULE_PATHNAME', 'helpdesk_sla_wake'
LANGUAGE C VOLATILE STRICT;

-- Business time through the default calendar; with no default calendar configured the desk
-- is a 24/7 service and business time is elapsed time. sla_between(a, b) is 0 when b <= a.
-- (C, extension/calendar.c: one read of the calendars per call, where PL/pgSQL made two and a
-- call of its own; a ticket creation makes four.)
CREATE FUNCTION helpdesk.sla_add(start timestamptz, duration interval)
RETURNS timestamptz
AS 'MODULE_PATHNAME', 'helpdesk_sla_add'
LANGUAGE C STABLE STRICT;

CREATE FUNCTION helpdesk.sla_between(a timestamptz, b timestamptz)
RETURNS interval
AS 'MODULE_PATHNAME', 'helpdesk_sla_between'
LANGUAGE C STABLE STRICT;

-- Share of the business-time window after which a clock is at risk (setting sla_at_risk_share).
CREATE FUNCTION helpdesk.sla_at_risk_share()
RETURNS numeric
LANGUAGE sql STABLE PARALLEL SAFE
AS $$ SELECT helpdesk.setting('sla_at_risk_share', '0.8')::numeric $$;

-- Append-only log of every clock change. `at` is the instant of the change (for warnings and
-- breaches the deadline itself), `used` the business time used at that instant.
CREATE TABLE helpdesk.sla_events (
    id          bigserial PRIMARY KEY,
    ticket_id   int NOT NULL REFERENCES helpdesk.tickets (id) ON DELETE CASCADE,
    -- (an array constant, not IN (...): a CHECK's expression is read back from its stored text at
    -- every statement that writes the table, and IN's list of casts was 3-4 times as long)
    clock       varchar(10) NOT NULL CHECK (clock::text = ANY ('{response,resolution}'::text[])),
    cycle       int NOT NULL,
    event       varchar(16) NOT NULL CHECK (event::text = ANY ('{
                    started, paused, resumed, warned, breached, met, stopped,
                    recalculated, not_applicable}'::text[])),
    at          timestamptz NOT NULL,
    due_before  timestamptz,
    due_after   timestamptz,
    used        interval,
    target      interval,
    detail      text,
    created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX sla_events_ticket_idx ON helpdesk.sla_events (ticket_id, id);

-- Exactly once, structurally: one warning per clock cycle, one breach per deadline of a cycle
-- (a deadline moved later by a recalculation and missed again is a new breach).
CREATE UNIQUE INDEX sla_events_warned_once ON helpdesk.sla_events (ticket_id, clock, cycle)
    WHERE event = 'warned';

CREATE UNIQUE INDEX sla_events_breached_once ON helpdesk.sla_events (ticket_id, clock, cycle, at)
    WHERE event = 'breached';

SELECT pg_catalog.pg_extension_config_dump('helpdesk.sla_events', '');

SELECT pg_catalog.pg_extension_config_dump('helpdesk.sla_events_id_seq', '');

-- Target of a clock kind for a priority: the active rule's hours, NULL when there is none.
-- PL/pgSQL so that its query is planned once per connection (as a SQL function with a FROM
-- clause it was planned on each of a ticket creation's four calls).
CREATE FUNCTION helpdesk.sla_target(kind text, priority helpdesk.ticket_priority)
RETURNS interval
LANGUAGE plpgsql STABLE
AS $$
DECLARE
    target interval;
BEGIN
    SELECT pg_catalog.make_interval(hours => CASE kind WHEN 'response' THEN r.response_time_hours
                                                       ELSE r.resolution_time_hours END) INTO target
    FROM helpdesk.sla_rules r
    WHERE r.priority = sla_target.priority AND r.is_active;
    RETURN target;
END
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

-- Whether the breach of a clock's current deadline has been recorded: breached_at is the latest
-- deadline whose breach was recorded (or that a recalculation carried the breach over to). A
-- clock paused under release 1.0 has no deadline: its recorded breach is the one.
CREATE FUNCTION helpdesk.sla_clock_breach_recorded(c helpdesk.sla_clocks)
RETURNS boolean
LANGUAGE sql IMMUTABLE
AS $$ SELECT coalesce(c.breached_at >= c.due_at, c.breached_at IS NOT NULL) $$;

-- The next instant the watcher must act on for a clock: a running clock's warning (once per
-- cycle), then its deadline, until the breach of that deadline is recorded.
CREATE FUNCTION helpdesk.sla_clock_next(c helpdesk.sla_clocks)
RETURNS timestamptz
LANGUAGE sql IMMUTABLE
AS $$
    SELECT CASE
        WHEN c.state <> 'running' OR helpdesk.sla_clock_breach_recorded(c) THEN NULL
        WHEN c.warned_at IS NULL THEN c.warn_at
        ELSE c.due_at
    END
$$;

-- The deadline a ticket shows for a clock (tickets.due_date, response_due_at, the API's
-- dueDate): none while paused or without a rule; a stopped clock's is the one that applied.
CREATE FUNCTION helpdesk.sla_clock_due_date(c helpdesk.sla_clocks)
RETURNS timestamptz
LANGUAGE sql IMMUTABLE
AS $$ SELECT CASE WHEN c.state = 'paused' THEN NULL ELSE c.due_at END $$;

-- Recompute due_at, warn_at and next_deadline of a clock from its cycle start, target and pauses.
CREATE FUNCTION helpdesk.sla_plan(c helpdesk.sla_clocks)
RETURNS helpdesk.sla_clocks
LANGUAGE plpgsql STABLE
AS $$
BEGIN
    IF c.state IN ('running', 'paused') THEN
        c.due_at := helpdesk.sla_add(c.cycle_start, c.target + c.paused_total);
        c.warn_at := helpdesk.sla_add(c.cycle_start, c.target * helpdesk.sla_at_risk_share() + c.paused_total);
    ELSIF c.state = 'not_applicable' THEN
        c.due_at := NULL;
        c.warn_at := NULL;
    END IF;
    -- stopped clocks keep the deadline that applied
    c.next_deadline := helpdesk.sla_clock_next(c);
    RETURN c;
END
$$;

-- The business time a clock's finished pauses take on the current calendar (what paused_total
-- holds once recomputed); a clock from release 1.0 kept no pauses: its paused_total as measured.
CREATE FUNCTION helpdesk.sla_paused_time(c helpdesk.sla_clocks)
RETURNS interval
LANGUAGE plpgsql STABLE
AS $$
BEGIN
    IF c.pauses IS NULL THEN
        RETURN c.paused_total;
    END IF;
    RETURN coalesce((SELECT sum(helpdesk.sla_between(lower(p), upper(p))) FROM unnest(c.pauses) AS p),
                    interval '0');
END
$$;

-- Append one event.
-- (PL/pgSQL, as the other functions the clocks call on every change: its plan is kept for the
-- session, where a LANGUAGE sql function called from PL/pgSQL is planned at each call.)
CREATE FUNCTION helpdesk.sla_log(c helpdesk.sla_clocks, event text, at timestamptz,
                                 due_before timestamptz, detail text DEFAULT NULL)
RETURNS void
LANGUAGE plpgsql VOLATILE
AS $$
BEGIN
    INSERT INTO helpdesk.sla_events (ticket_id, clock, cycle, event, at, due_before, due_after, used, target, detail)
    VALUES (c.ticket_id, c.kind, c.cycle, event, at, due_before, c.due_at, helpdesk.sla_used(c, at), c.target, detail);
END
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
        updated_at = EXCLUDED.updated_at, pauses = EXCLUDED.pauses;
    IF c.next_deadline IS NOT NULL THEN
        PERFORM helpdesk.sla_wake(c.next_deadline);
    END IF;
    RETURN c;
END
$$;

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

-- Record a warning or a breach of a clock, exactly once (a warning per clock cycle, a breach
-- per deadline: the unique indexes on sla_events decide), with its history row and
-- notifications. Returns whether it fired now.
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
    ON CONFLICT DO NOTHING;
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

-- A clock of a ticket of `priority` (Pending when `pending`) as the current SLA rules and
-- calendar make it at `at`: the target of the priority's active rule (none: not applicable; a
-- rule that now applies counts from the cycle's start), the finished pauses measured again, the
-- deadlines planned from the cycle's start. Stopped clocks keep their outcome. Computes only.
CREATE FUNCTION helpdesk.sla_clock_retarget(c helpdesk.sla_clocks, priority helpdesk.ticket_priority,
                                            at timestamptz, pending boolean)
RETURNS helpdesk.sla_clocks
LANGUAGE plpgsql STABLE
AS $$
DECLARE
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
    c.paused_total := helpdesk.sla_paused_time(c);
    RETURN helpdesk.sla_plan(c);
END
$$;

-- The breach bookkeeping of a clock recalculated at `at` from `old` to `c`: a clock late before
-- and after keeps its recorded breach for the new deadline (one lateness, one breach); a paused
-- clock the new deadline makes late records its breach now (the watcher does not watch paused
-- clocks; a running one is fired by the watcher, woken by sla_store). Then its next deadline.
CREATE FUNCTION helpdesk.sla_clock_settle(old helpdesk.sla_clocks, c helpdesk.sla_clocks, at timestamptz)
RETURNS helpdesk.sla_clocks
LANGUAGE plpgsql VOLATILE
AS $$
BEGIN
    IF helpdesk.sla_clock_breach_recorded(old) AND helpdesk.sla_clock_breached(old, at)
       AND helpdesk.sla_clock_breached(c, at) THEN
        c.breached_at := greatest(old.breached_at, c.due_at);
    ELSIF c.state = 'paused' AND helpdesk.sla_clock_breached(c, at) AND NOT helpdesk.sla_clock_breach_recorded(c) THEN
        PERFORM helpdesk.sla_fire(c, 'breached', c.due_at);
        c.breached_at := c.due_at;
    END IF;
    c.next_deadline := helpdesk.sla_clock_next(c);
    RETURN c;
END
$$;

-- The detail of a `recalculated` event: why, and whether a breach stopped being current.
CREATE FUNCTION helpdesk.sla_recalculated_detail(old helpdesk.sla_clocks, c helpdesk.sla_clocks, at timestamptz,
                                                 reason text)
RETURNS text
LANGUAGE plpgsql STABLE
AS $$
BEGIN
    IF helpdesk.sla_clock_breached(old, at) AND NOT helpdesk.sla_clock_breached(c, at) THEN
        RETURN reason || format('; no longer breached (the missed deadline was %s)', helpdesk.iso(old.due_at));
    END IF;
    RETURN reason;
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
    c.pauses := '{}';
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

-- Pause a running clock at `at`; it keeps its deadline. A clock already late whose breach the
-- watcher has not recorded yet records it now (a paused clock is not watched).
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
    IF helpdesk.sla_clock_breached(c, at) AND NOT helpdesk.sla_clock_breach_recorded(c) THEN
        PERFORM helpdesk.sla_fire(c, 'breached', c.due_at);
        c.breached_at := c.due_at;
    END IF;
    c.state := 'paused';
    c.paused_since := greatest(at, c.cycle_start);
    c := helpdesk.sla_plan(c);
    PERFORM helpdesk.sla_log(c, 'paused', at, before, 'ticket is Pending');
    RETURN helpdesk.sla_store(c);
END
$$;

-- Resume a paused clock at `at`: the business time spent paused is added back, and the pause
-- kept in `pauses`. A clock late when it paused is still late: its breach stands for the
-- deadline moved by the pause.
CREATE FUNCTION helpdesk.sla_clock_resume(c helpdesk.sla_clocks, at timestamptz)
RETURNS helpdesk.sla_clocks
LANGUAGE plpgsql VOLATILE
AS $$
DECLARE
    old helpdesk.sla_clocks := c;
BEGIN
    IF c.state <> 'paused' THEN
        RETURN c;
    END IF;
    IF at > c.paused_since THEN
        c.paused_total := c.paused_total + helpdesk.sla_between(c.paused_since, at);
        c.pauses := c.pauses + tstzmultirange(tstzrange(c.paused_since, at));
    END IF;
    c.state := 'running';
    c.paused_since := NULL;
    c := helpdesk.sla_clock_settle(old, helpdesk.sla_plan(c), at);
    PERFORM helpdesk.sla_log(c, 'resumed', at, NULL);
    RETURN helpdesk.sla_store(c);
END
$$;

-- Stop a running or paused clock at `at`: missed when it is breached then (its deadline passed
-- before `at`, or before the pause), recording the breach if the watcher has not yet; else
-- cancelled when `cancel` (a response clock whose ticket was closed without a staff response),
-- else met.
CREATE FUNCTION helpdesk.sla_clock_stop(c helpdesk.sla_clocks, at timestamptz, cancel boolean DEFAULT false)
RETURNS helpdesk.sla_clocks
LANGUAGE plpgsql VOLATILE
AS $$
DECLARE
    late boolean;
BEGIN
    IF c.state NOT IN ('running', 'paused') THEN
        RETURN c;
    END IF;
    IF c.due_at IS NULL THEN
        -- a clock paused under release 1.0, which kept no deadline while paused
        c.due_at := helpdesk.sla_add(c.cycle_start, c.target + c.paused_total);
    END IF;
    late := helpdesk.sla_clock_breached(c, at);
    IF late AND NOT helpdesk.sla_clock_breach_recorded(c) THEN
        -- late, and the watcher has not fired yet: the breach is recorded here, once
        PERFORM helpdesk.sla_fire(c, 'breached', c.due_at);
        c.breached_at := c.due_at;
    END IF;
    c.stopped_at := at;
    c.state := CASE WHEN late THEN 'missed' WHEN cancel THEN 'cancelled' ELSE 'met' END;
    c.paused_since := NULL;
    c := helpdesk.sla_plan(c);
    PERFORM helpdesk.sla_log(c, CASE c.state WHEN 'met' THEN 'met' ELSE 'stopped' END, at, c.due_at,
                             CASE c.state WHEN 'missed' THEN 'stopped after the deadline'
                                          WHEN 'cancelled' THEN 'ticket closed without a staff response' END);
    RETURN helpdesk.sla_store(c);
END
$$;

-- A priority change: the target follows the new priority's rule, counted from the cycle's start
-- minus pauses. Stopped clocks keep their outcome. Always an event.
CREATE FUNCTION helpdesk.sla_clock_recalculate(c helpdesk.sla_clocks, priority helpdesk.ticket_priority,
                                               at timestamptz, pending boolean)
RETURNS helpdesk.sla_clocks
LANGUAGE plpgsql VOLATILE
AS $$
DECLARE
    old helpdesk.sla_clocks := c;
BEGIN
    IF c.state IN ('met', 'missed', 'cancelled')
       OR (c.state = 'not_applicable' AND helpdesk.sla_target(c.kind, priority) IS NULL) THEN
        RETURN c;
    END IF;
    c := helpdesk.sla_clock_settle(old, helpdesk.sla_clock_retarget(c, priority, at, pending), at);
    PERFORM helpdesk.sla_log(c, 'recalculated', at, old.due_at,
                             helpdesk.sla_recalculated_detail(old, c, at, format('priority %s', priority)));
    RETURN helpdesk.sla_store(c);
END
$$;

-- The SLA rules or the business calendar changed (`reason`): the clock as they make it now. An
-- event and a write only when something changed. Returns the clock.
CREATE FUNCTION helpdesk.sla_clock_recompute(c helpdesk.sla_clocks, priority helpdesk.ticket_priority,
                                             at timestamptz, pending boolean, reason text)
RETURNS helpdesk.sla_clocks
LANGUAGE plpgsql VOLATILE
AS $$
DECLARE
    old helpdesk.sla_clocks := c;
BEGIN
    IF c.state IN ('met', 'missed', 'cancelled') THEN
        RETURN c;
    END IF;
    c := helpdesk.sla_clock_retarget(c, priority, at, pending);
    IF (c.state, c.target, c.due_at, c.warn_at, c.paused_total, c.paused_since)
       IS NOT DISTINCT FROM (old.state, old.target, old.due_at, old.warn_at, old.paused_total, old.paused_since) THEN
        RETURN old;
    END IF;
    c := helpdesk.sla_clock_settle(old, c, at);
    PERFORM helpdesk.sla_log(c, 'recalculated', at, old.due_at, helpdesk.sla_recalculated_detail(old, c, at, reason));
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
    old helpdesk.sla_clocks := c;
    before timestamptz := c.due_at;
BEGIN
    IF c.cycle <> 1 OR c.state NOT IN ('running', 'paused', 'not_applicable') OR c.cycle_start = start THEN
        RETURN c;
    END IF;
    c.cycle_start := start;
    IF c.state = 'paused' THEN
        c.paused_since := greatest(c.paused_since, start);
    END IF;
    c.pauses := c.pauses * tstzmultirange(tstzrange(start, NULL));
    c.paused_total := helpdesk.sla_paused_time(c);
    c := helpdesk.sla_clock_settle(old, helpdesk.sla_plan(c), at);
    PERFORM helpdesk.sla_log(c, 'recalculated', at, before, 'ticket start moved to ' || helpdesk.iso(start));
    RETURN helpdesk.sla_store(c);
END
$$;

-- The clock of a ticket, locked.
CREATE FUNCTION helpdesk.sla_clock(ticket_id int, kind text)
RETURNS helpdesk.sla_clocks
LANGUAGE plpgsql VOLATILE
AS $$
DECLARE
    c helpdesk.sla_clocks;
BEGIN
    SELECT * INTO c FROM helpdesk.sla_clocks s WHERE s.ticket_id = sla_clock.ticket_id AND s.kind = sla_clock.kind
    FOR UPDATE;
    RETURN c;
END
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
            ELSIF NOT helpdesk.ticket_is_open(t.status) THEN
                PERFORM helpdesk.sla_clock_stop(c, coalesce(t.resolved_at, t.closed_at, at), k = 'response');
            ELSIF t.status = 'Pending' THEN
                PERFORM helpdesk.sla_clock_pause(c, at);
            END IF;
        END IF;
    END LOOP;
END
$$;

-- The reference's format of a time remaining: "-Hh Mm (overdue)", "Dd Hh" above a day, else
-- "Hh Mm".
CREATE FUNCTION helpdesk.sla_format_remaining(remaining interval)
RETURNS text
LANGUAGE sql IMMUTABLE
AS $$
    SELECT CASE
        WHEN secs < 0 THEN format('-%sh %sm (overdue)', floor(-secs / 3600)::bigint, floor(mod(-secs, 3600) / 60)::bigint)
        WHEN secs > 86400 THEN format('%sd %sh', floor(secs / 86400)::bigint, floor(mod(secs, 86400) / 3600)::bigint)
        ELSE format('%sh %sm', floor(secs / 3600)::bigint, floor(mod(secs, 3600) / 60)::bigint)
    END
    FROM (SELECT extract(epoch FROM remaining) AS secs) s
$$;

CREATE FUNCTION helpdesk.sla_hours(i interval)
RETURNS numeric
LANGUAGE sql IMMUTABLE
AS $$ SELECT round(extract(epoch FROM i) / 3600, 2) $$;

-- The state of one clock at `at`, as the API shows it.
CREATE FUNCTION helpdesk.sla_clock_json(c helpdesk.sla_clocks, at timestamptz)
RETURNS jsonb
LANGUAGE plpgsql STABLE
AS $$
DECLARE
    used interval;
    breached boolean;
    at_risk boolean;
    status text;
BEGIN
    IF c.ticket_id IS NULL OR c.state = 'not_applicable' THEN
        RETURN jsonb_build_object('status', 'not_applicable', 'dueDate', NULL, 'timeRemaining', NULL,
                                  'percentageUsed', NULL, 'isBreached', false, 'isAtRisk', false,
                                  'isPaused', false, 'businessHoursUsed', NULL, 'businessHoursTarget', NULL);
    END IF;
    used := helpdesk.sla_used(c, at);
    breached := helpdesk.sla_clock_breached(c, at);
    at_risk := helpdesk.sla_clock_at_risk(c, at);
    status := CASE WHEN breached THEN 'breached' WHEN at_risk THEN 'at_risk'
                   WHEN c.state = 'cancelled' THEN 'not_applicable' ELSE 'met' END;
    RETURN jsonb_build_object(
        'status', status,
        'dueDate', helpdesk.iso(helpdesk.sla_clock_due_date(c)),
        'timeRemaining', CASE WHEN c.state IN ('running', 'paused')
                              THEN helpdesk.sla_format_remaining(c.target - used) END,
        'percentageUsed', least(100, round(extract(epoch FROM used) * 100 / extract(epoch FROM c.target)))::int,
        'isBreached', breached,
        'isAtRisk', at_risk,
        'isPaused', c.state = 'paused',
        'businessHoursUsed', helpdesk.sla_hours(used),
        'businessHoursTarget', helpdesk.sla_hours(c.target));
END
$$;

-- SLA status of a ticket at `at`: the resolution clock's fields at the top level (the
-- reference's shape) and the response clock under "response".
CREATE FUNCTION helpdesk.sla_status(t helpdesk.tickets, at timestamptz DEFAULT now())
RETURNS jsonb
LANGUAGE sql STABLE
AS $$
    SELECT jsonb_build_object('ticketId', t.id)
        || helpdesk.sla_clock_json(res, at)
        || jsonb_build_object('response',
               helpdesk.sla_clock_json(resp, at) || jsonb_build_object('respondedAt', helpdesk.iso(t.first_response_at)))
    FROM (SELECT (SELECT c FROM helpdesk.sla_clocks c WHERE c.ticket_id = t.id AND c.kind = 'resolution') AS res,
                 (SELECT c FROM helpdesk.sla_clocks c WHERE c.ticket_id = t.id AND c.kind = 'response') AS resp) s
$$;

-- The events of a ticket's clocks, oldest first.
CREATE FUNCTION helpdesk.sla_timeline(ticket_id int)
RETURNS jsonb
LANGUAGE sql STABLE
AS $$
    SELECT coalesce(jsonb_agg(jsonb_build_object(
               'id', e.id, 'ticketId', e.ticket_id, 'clock', e.clock, 'cycle', e.cycle, 'event', e.event,
               'at', helpdesk.iso(e.at), 'dueBefore', helpdesk.iso(e.due_before),
               'dueAfter', helpdesk.iso(e.due_after), 'businessHoursUsed', helpdesk.sla_hours(e.used),
               'businessHoursTarget', helpdesk.sla_hours(e.target), 'detail', e.detail,
               'createdAt', helpdesk.iso(e.created_at)) ORDER BY e.id), '[]')
    FROM helpdesk.sla_events e
    WHERE e.ticket_id = sla_timeline.ticket_id
$$;

-- The list item of the at-risk and breached routes.
CREATE FUNCTION helpdesk.sla_list_item(t helpdesk.tickets)
RETURNS jsonb
LANGUAGE sql STABLE
AS $$
    SELECT jsonb_build_object('id', t.id, 'ticketNumber', t.ticket_number, 'title', t.title,
                              'priority', t.priority, 'status', t.status, 'dueDate', helpdesk.iso(t.due_date),
                              'createdAt', helpdesk.iso(t.created_at), 'assigneeId', t.assignee_id)
$$;

-- The open tickets at risk at `at` (IT_Staff, Admin), soonest deadline first, with the share of
-- their window used.
CREATE FUNCTION helpdesk.sla_at_risk_list(actor helpdesk.users, at timestamptz DEFAULT now())
RETURNS jsonb
LANGUAGE plpgsql STABLE
AS $$
BEGIN
    PERFORM helpdesk.require_role(actor, 'IT_Staff', 'Admin');
    RETURN (SELECT coalesce(jsonb_agg(helpdesk.sla_list_item(t) || jsonb_build_object(
                       'percentageUsed', (helpdesk.sla_status(t, at) ->> 'percentageUsed')::int)
                       ORDER BY t.due_date, t.id), '[]')
            FROM helpdesk.tickets t
            WHERE t.id IN (SELECT helpdesk.sla_at_risk_ids(at)));
END
$$;

-- The open tickets breached at `at` (IT_Staff, Admin), oldest deadline first, with breachedBy:
-- whole hours since the deadline that was missed, as in the reference (for a paused ticket, up
-- to its pause).
CREATE FUNCTION helpdesk.sla_breached_list(actor helpdesk.users, at timestamptz DEFAULT now())
RETURNS jsonb
LANGUAGE plpgsql STABLE
AS $$
BEGIN
    PERFORM helpdesk.require_role(actor, 'IT_Staff', 'Admin');
    RETURN (SELECT coalesce(jsonb_agg(helpdesk.sla_list_item(t) || jsonb_build_object(
                       'breachedBy', floor(extract(epoch FROM CASE WHEN c.state = 'paused' THEN c.paused_since ELSE at END
                                                               - coalesce(c.due_at, c.breached_at)) / 3600)::int)
                       ORDER BY coalesce(c.due_at, c.breached_at), t.id), '[]')
            FROM helpdesk.sla_breached_ids(at) b
            JOIN helpdesk.tickets t ON t.id = b
            JOIN helpdesk.sla_clocks c ON c.ticket_id = t.id AND c.kind = 'resolution');
END
$$;
