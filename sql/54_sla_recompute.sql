-- 54_sla_recompute: when the SLA rules or the business calendar change, the clocks of every open
-- ticket follow (sla_clock_recompute, sql/52_sla_clock.sql: target, pauses and deadlines as the
-- current rules and calendar make them, a `recalculated` event naming the change on every clock
-- that moved).
--
-- Queued, done by the SLA watcher: triggers on sla_rules, business_hours, holidays and calendars
-- add a request (any path: the routes, a DBA's UPDATE) and wake the watcher at commit; each of
-- its rounds (helpdesk.sla_scan) recomputes the next batch of open tickets, in ticket id order,
-- until the pass is through, and goes on at once while there is work. Measured with 1,000,000
-- open tickets (bench/sla_recompute.sh, bench/RESULTS.md): the recomputation is linear in the
-- open tickets, so in the editing transaction it would hold the admin's request and lock every
-- open ticket for minutes; queued, the edit commits at once, a desk of a few thousand open
-- tickets is through within a second, and a ticket write waits at most for one batch. A ticket
-- changed meanwhile is computed with the new rules by its own trigger; the pass finds it
-- unchanged. helpdesk.sla_recompute_all(at) does the whole pass in the caller's transaction
-- (DBAs, tests).
--
-- A request that arrives during a pass restarts it from the first ticket (tickets already done
-- may need the newer change too); a recomputation that finds a clock unchanged writes nothing.
-- Rows loaded by COPY (a restore) are not changes. The batch size is the setting
-- sla_recompute_batch (default 200 tickets per round: at a few milliseconds per ticket whose clocks
-- move, a round, during which the watcher fires nothing else and the round's tickets wait for it,
-- stays under a second).

CREATE TABLE helpdesk.sla_recompute_requests (
    id           bigserial PRIMARY KEY,
    requested_at timestamptz NOT NULL DEFAULT now(),
    reason       text NOT NULL,
    -- the pass serving this request and those before it has done every open ticket up to this
    -- id (only the newest request's value is used: a newer request starts a new pass)
    done_upto    int NOT NULL DEFAULT 0
);

SELECT pg_catalog.pg_extension_config_dump('helpdesk.sla_recompute_requests', '');

SELECT pg_catalog.pg_extension_config_dump('helpdesk.sla_recompute_requests_id_seq', '');

-- Ask for a recomputation of every open ticket's clocks because of `reason`; the watcher starts
-- at this transaction's commit.
CREATE FUNCTION helpdesk.sla_recompute_request(reason text)
RETURNS void
LANGUAGE plpgsql VOLATILE
AS $$
BEGIN
    INSERT INTO helpdesk.sla_recompute_requests (reason) VALUES (reason);
    PERFORM helpdesk.sla_wake('-infinity');
END
$$;

-- Recompute the clocks of one ticket at `at` because of `reason`, and the due dates the ticket
-- shows. Locks the ticket, then its clocks: the order of every ticket update (whose triggers lock
-- the clocks). With `nowait` a lock held by someone else raises lock_not_available at once
-- instead of waiting (the watcher's pass, which holds the tickets it did before: never waiting,
-- it can never be part of a deadlock). Closed tickets keep their outcome. Returns the number of
-- clocks that changed.
CREATE FUNCTION helpdesk.sla_ticket_recompute(ticket_id int, at timestamptz, reason text, nowait boolean DEFAULT false)
RETURNS int
LANGUAGE plpgsql VOLATILE
AS $$
DECLARE
    t       helpdesk.tickets;
    c       helpdesk.sla_clocks;
    n       helpdesk.sla_clocks;
    k       text;
    changed int := 0;
    resp_due timestamptz;
    res_due  timestamptz;
BEGIN
    IF nowait THEN
        SELECT * INTO t FROM helpdesk.tickets tk WHERE tk.id = sla_ticket_recompute.ticket_id FOR NO KEY UPDATE NOWAIT;
        PERFORM FROM helpdesk.sla_clocks s WHERE s.ticket_id = t.id FOR UPDATE NOWAIT;
    ELSE
        SELECT * INTO t FROM helpdesk.tickets tk WHERE tk.id = sla_ticket_recompute.ticket_id FOR NO KEY UPDATE;
    END IF;
    IF t.id IS NULL OR NOT helpdesk.ticket_is_open(t.status) THEN
        RETURN 0;
    END IF;
    FOREACH k IN ARRAY ARRAY['response', 'resolution'] LOOP
        c := helpdesk.sla_clock(t.id, k);
        IF c.ticket_id IS NULL THEN
            -- a ticket loaded without its clocks
            PERFORM helpdesk.sla_clocks_ensure(t, at);
            c := helpdesk.sla_clock(t.id, k);
        END IF;
        n := helpdesk.sla_clock_recompute(c, t.priority, at, t.status = 'Pending', reason);
        IF n.updated_at IS DISTINCT FROM c.updated_at THEN
            changed := changed + 1;
        END IF;
        IF k = 'response' THEN
            resp_due := helpdesk.sla_clock_due_date(n);
        ELSE
            res_due := helpdesk.sla_clock_due_date(n);
        END IF;
    END LOOP;
    IF (t.response_due_at, t.due_date) IS DISTINCT FROM (resp_due, res_due) THEN
        UPDATE helpdesk.tickets tk SET response_due_at = resp_due, due_date = res_due WHERE tk.id = t.id;
    END IF;
    RETURN changed;
END
$$;

-- The reasons of the pending requests up to `upto`, oldest first, each once (cut at 500
-- characters: a bulk change of holidays asks once per row).
CREATE FUNCTION helpdesk.sla_recompute_reasons(upto bigint)
RETURNS text
LANGUAGE sql STABLE
AS $$
    SELECT CASE WHEN length(r) > 500 THEN left(r, 497) || '...' ELSE r END
    FROM (SELECT string_agg(reason, '; ' ORDER BY first_id) AS r
          FROM (SELECT q.reason, min(q.id) AS first_id FROM helpdesk.sla_recompute_requests q
                WHERE q.id <= upto GROUP BY q.reason) AS x) AS y
$$;

-- One round of the pending recomputation at `at` (the watcher's, from helpdesk.sla_scan): the
-- next `batch` open tickets after the pass's progress, each in its own subtransaction (one that
-- fails is logged and skipped; its clocks follow at its next change). A ticket locked by a write
-- in progress ends the round there: the next round starts from it (the writer's own trigger may
-- have read the rules before they changed). Returns the number of tickets done, 0 when nothing is
-- pending, another session is running a round, or the next ticket is locked.
CREATE FUNCTION helpdesk.sla_recompute_pending(at timestamptz, batch int DEFAULT NULL)
RETURNS int
LANGUAGE plpgsql VOLATILE
AS $$
DECLARE
    newest helpdesk.sla_recompute_requests;
    why    text;
    tid    int;
    done   int := 0;
    upto   int;
    locked boolean := false;
BEGIN
    batch := coalesce(batch, helpdesk.setting('sla_recompute_batch', '200')::int);
    IF NOT pg_try_advisory_xact_lock(hashtext('helpdesk.sla_recompute_requests')) THEN
        RETURN 0;
    END IF;
    SELECT * INTO newest FROM helpdesk.sla_recompute_requests ORDER BY id DESC LIMIT 1;
    IF NOT FOUND THEN
        RETURN 0;
    END IF;
    why := helpdesk.sla_recompute_reasons(newest.id);
    upto := newest.done_upto;
    FOR tid IN
        SELECT t.id FROM helpdesk.tickets t
        WHERE helpdesk.ticket_is_open(t.status) AND t.id > newest.done_upto
        ORDER BY t.id LIMIT batch
    LOOP
        BEGIN
            PERFORM helpdesk.sla_ticket_recompute(tid, at, why, nowait => true);
        EXCEPTION
            WHEN lock_not_available THEN
                locked := true;
                EXIT;
            WHEN OTHERS THEN
                RAISE WARNING 'helpdesk sla recompute: ticket %: %', tid, SQLERRM;
        END;
        done := done + 1;
        upto := tid;
    END LOOP;
    IF done < batch AND NOT locked THEN
        DELETE FROM helpdesk.sla_recompute_requests WHERE id <= newest.id;
    ELSE
        UPDATE helpdesk.sla_recompute_requests SET done_upto = upto WHERE id = newest.id;
    END IF;
    RETURN done;
END
$$;

-- The whole recomputation at `at` in the caller's transaction (a DBA's repair, tests): every open
-- ticket, and the pending requests it serves are done. `reason` defaults to theirs. Returns the
-- number of clocks that changed.
CREATE FUNCTION helpdesk.sla_recompute_all(at timestamptz, reason text DEFAULT NULL)
RETURNS int
LANGUAGE plpgsql VOLATILE
AS $$
DECLARE
    upto bigint;
    tid  int;
    n    int := 0;
BEGIN
    PERFORM pg_advisory_xact_lock(hashtext('helpdesk.sla_recompute_requests'));
    SELECT max(id) INTO upto FROM helpdesk.sla_recompute_requests;
    reason := coalesce(reason, helpdesk.sla_recompute_reasons(upto), 'recomputed on request');
    FOR tid IN SELECT t.id FROM helpdesk.tickets t WHERE helpdesk.ticket_is_open(t.status) ORDER BY t.id LOOP
        n := n + helpdesk.sla_ticket_recompute(tid, at, reason);
    END LOOP;
    DELETE FROM helpdesk.sla_recompute_requests WHERE id <= upto;
    RETURN n;
END
$$;

-- How the reasons name a rule and a holiday.
CREATE FUNCTION helpdesk.sla_rule_text(r helpdesk.sla_rules)
RETURNS text
LANGUAGE sql IMMUTABLE
AS $$
    SELECT format('%s (response %s h, resolution %s h%s)', r.priority, r.response_time_hours,
                  r.resolution_time_hours, CASE WHEN r.is_active THEN '' ELSE ', inactive' END)
$$;

CREATE FUNCTION helpdesk.holiday_text(h helpdesk.holidays)
RETURNS text
LANGUAGE sql IMMUTABLE
AS $$
    SELECT format('%s %s%s', pg_catalog.to_char(h.date, 'YYYY-MM-DD'), h.name,
                  CASE WHEN h.is_recurring THEN ' (every year)' ELSE '' END)
$$;

-- Trigger: a change of what the clocks are computed from asks for a recomputation, with a reason
-- a reader of the timeline understands. Statement triggers (transition tables new_rows,
-- old_rows) on sla_rules, business_hours and holidays; row triggers on calendars (the default
-- calendar, its time zone). Changes to a calendar other than the default do not count.
CREATE FUNCTION helpdesk.sla_inputs_changed()
RETURNS trigger
LANGUAGE plpgsql
AS $$
DECLARE
    what text;
    cal  int := helpdesk.default_calendar_id();
BEGIN
    IF helpdesk.copying_rows() THEN
        RETURN NULL;
    END IF;
    IF TG_TABLE_NAME = 'sla_rules' THEN
        IF TG_OP = 'TRUNCATE' THEN
            what := 'SLA rules removed';
        ELSIF TG_OP = 'INSERT' THEN
            SELECT 'SLA rule added: ' || string_agg(helpdesk.sla_rule_text(n), ', ' ORDER BY n.priority)
            INTO what FROM new_rows n;
        ELSIF TG_OP = 'DELETE' THEN
            SELECT 'SLA rule removed: ' || string_agg(o.priority::text, ', ' ORDER BY o.priority)
            INTO what FROM old_rows o;
        ELSE
            SELECT 'SLA rule changed: ' || string_agg(helpdesk.sla_rule_text(n), ', ' ORDER BY n.priority)
            INTO what
            FROM old_rows o JOIN new_rows n ON n.id = o.id
            WHERE (o.priority, o.response_time_hours, o.resolution_time_hours, o.is_active)
                  IS DISTINCT FROM (n.priority, n.response_time_hours, n.resolution_time_hours, n.is_active);
        END IF;
    ELSIF TG_TABLE_NAME = 'business_hours' THEN
        -- (each transition table is read only in the branch of the events that have it)
        IF TG_OP = 'TRUNCATE' THEN
            what := 'business hours changed';
        ELSIF TG_OP = 'INSERT' THEN
            IF EXISTS (SELECT FROM new_rows n WHERE n.calendar_id = cal) THEN
                what := 'business hours changed';
            END IF;
        ELSIF TG_OP = 'DELETE' THEN
            IF EXISTS (SELECT FROM old_rows o WHERE o.calendar_id = cal) THEN
                what := 'business hours changed';
            END IF;
        ELSIF EXISTS (SELECT FROM old_rows o JOIN new_rows n ON n.id = o.id
                      WHERE (n.calendar_id = cal OR o.calendar_id = cal)
                        AND (o.calendar_id, o.day_of_week, o.start_time, o.end_time)
                            IS DISTINCT FROM (n.calendar_id, n.day_of_week, n.start_time, n.end_time)) THEN
            what := 'business hours changed';
        END IF;
    ELSIF TG_TABLE_NAME = 'holidays' THEN
        IF TG_OP = 'TRUNCATE' THEN
            what := 'holidays removed';
        ELSIF TG_OP = 'INSERT' THEN
            SELECT 'holiday added: ' || string_agg(helpdesk.holiday_text(n), ', ' ORDER BY n.date, n.id)
            INTO what FROM new_rows n WHERE n.calendar_id = cal;
        ELSIF TG_OP = 'DELETE' THEN
            SELECT 'holiday removed: ' || string_agg(helpdesk.holiday_text(o), ', ' ORDER BY o.date, o.id)
            INTO what FROM old_rows o WHERE o.calendar_id = cal;
        ELSE
            SELECT 'holiday changed: ' || string_agg(helpdesk.holiday_text(n), ', ' ORDER BY n.date, n.id)
            INTO what
            FROM old_rows o JOIN new_rows n ON n.id = o.id
            WHERE (n.calendar_id = cal OR o.calendar_id = cal)
              AND (o.calendar_id, o.date, o.is_recurring) IS DISTINCT FROM (n.calendar_id, n.date, n.is_recurring);
        END IF;
    ELSIF TG_OP = 'TRUNCATE' THEN
        what := 'business calendars removed';
    ELSIF TG_OP = 'UPDATE' AND NEW.is_default AND OLD.is_default THEN
        what := format('business calendar time zone changed to %s', NEW.time_zone);
    ELSE
        what := 'default business calendar changed';
    END IF;
    IF what IS NOT NULL THEN
        PERFORM helpdesk.sla_recompute_request(what);
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER sla_rules_recompute_ins AFTER INSERT ON helpdesk.sla_rules
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION helpdesk.sla_inputs_changed();

CREATE TRIGGER sla_rules_recompute_upd AFTER UPDATE ON helpdesk.sla_rules
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION helpdesk.sla_inputs_changed();

CREATE TRIGGER sla_rules_recompute_del AFTER DELETE ON helpdesk.sla_rules
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION helpdesk.sla_inputs_changed();

CREATE TRIGGER sla_rules_recompute_trunc AFTER TRUNCATE ON helpdesk.sla_rules
    FOR EACH STATEMENT EXECUTE FUNCTION helpdesk.sla_inputs_changed();

CREATE TRIGGER business_hours_recompute_ins AFTER INSERT ON helpdesk.business_hours
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION helpdesk.sla_inputs_changed();

CREATE TRIGGER business_hours_recompute_upd AFTER UPDATE ON helpdesk.business_hours
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION helpdesk.sla_inputs_changed();

CREATE TRIGGER business_hours_recompute_del AFTER DELETE ON helpdesk.business_hours
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION helpdesk.sla_inputs_changed();

CREATE TRIGGER business_hours_recompute_trunc AFTER TRUNCATE ON helpdesk.business_hours
    FOR EACH STATEMENT EXECUTE FUNCTION helpdesk.sla_inputs_changed();

CREATE TRIGGER holidays_recompute_ins AFTER INSERT ON helpdesk.holidays
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION helpdesk.sla_inputs_changed();

CREATE TRIGGER holidays_recompute_upd AFTER UPDATE ON helpdesk.holidays
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION helpdesk.sla_inputs_changed();

CREATE TRIGGER holidays_recompute_del AFTER DELETE ON helpdesk.holidays
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION helpdesk.sla_inputs_changed();

CREATE TRIGGER holidays_recompute_trunc AFTER TRUNCATE ON helpdesk.holidays
    FOR EACH STATEMENT EXECUTE FUNCTION helpdesk.sla_inputs_changed();

-- the default calendar: another one becomes the default, or its time zone changes
CREATE TRIGGER calendars_recompute_ins AFTER INSERT ON helpdesk.calendars
    FOR EACH ROW WHEN (NEW.is_default) EXECUTE FUNCTION helpdesk.sla_inputs_changed();

CREATE TRIGGER calendars_recompute_upd AFTER UPDATE ON helpdesk.calendars
    FOR EACH ROW WHEN (OLD.is_default IS DISTINCT FROM NEW.is_default
                       OR (NEW.is_default AND OLD.time_zone IS DISTINCT FROM NEW.time_zone))
    EXECUTE FUNCTION helpdesk.sla_inputs_changed();

CREATE TRIGGER calendars_recompute_del AFTER DELETE ON helpdesk.calendars
    FOR EACH ROW WHEN (OLD.is_default) EXECUTE FUNCTION helpdesk.sla_inputs_changed();

CREATE TRIGGER calendars_recompute_trunc AFTER TRUNCATE ON helpdesk.calendars
    FOR EACH STATEMENT EXECUTE FUNCTION helpdesk.sla_inputs_changed();
