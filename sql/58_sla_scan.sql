-- 58_sla_scan: the SLA watcher's work, a plain SQL-callable function: sla_scan(at) fires every
-- warning, breach and escalation due at `at`, each exactly once, and sla_next_deadline() says
-- when the watcher must wake next (extension/sla_worker.c calls both).

-- A batch of the pending recomputation of the clocks (sql/54_sla_recompute.sql; `recomputed`:
-- tickets done, and the watcher runs again at once while it is not 0), then every warning and
-- breach due at `at`, then the escalations due at `at`. Each item runs in a subtransaction: one
-- that fails is logged and retried by the next scan, the others go on. Locks each due clock, so a
-- concurrent ticket update and the scan serialize on the clock row.
CREATE FUNCTION helpdesk.sla_scan(at timestamptz, OUT warnings int, OUT breaches int, OUT escalations int,
                                  OUT recomputed int)
LANGUAGE plpgsql VOLATILE
AS $$
DECLARE
    c helpdesk.sla_clocks;
BEGIN
    recomputed := helpdesk.sla_recompute_pending(at);
    warnings := 0;
    breaches := 0;
    FOR c IN
        SELECT * FROM helpdesk.sla_clocks
        WHERE next_deadline <= at
        ORDER BY next_deadline
        FOR UPDATE
    LOOP
        BEGIN
            IF c.state = 'running' AND helpdesk.sla_clock_breached(c, at) AND NOT helpdesk.sla_clock_breach_recorded(c) THEN
                -- a warning overtaken by its breach is not sent
                IF helpdesk.sla_fire(c, 'breached', c.due_at) THEN
                    breaches := breaches + 1;
                END IF;
                c.breached_at := c.due_at;
            ELSIF c.warned_at IS NULL AND helpdesk.sla_clock_at_risk(c, at) THEN
                IF helpdesk.sla_fire(c, 'warned', c.warn_at) THEN
                    warnings := warnings + 1;
                END IF;
                c.warned_at := c.warn_at;
            END IF;
            c.next_deadline := helpdesk.sla_clock_next(c);
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

-- The earliest instant the watcher must act on: a clock's next deadline (the partial index), a
-- time-based escalation rule's threshold, a pending recomputation (due since its request).
CREATE FUNCTION helpdesk.sla_next_deadline()
RETURNS timestamptz
LANGUAGE sql STABLE
AS $$
    SELECT least((SELECT min(c.next_deadline) FROM helpdesk.sla_clocks c WHERE c.next_deadline IS NOT NULL),
                 helpdesk.escalation_next_deadline(),
                 (SELECT min(q.requested_at) FROM helpdesk.sla_recompute_requests q))
$$;

-- Run the scan now, on demand (Admin): POST /escalation/check-now. Returns the escalations made.
CREATE FUNCTION helpdesk.sla_scan_now(actor helpdesk.users)
RETURNS int
LANGUAGE plpgsql
AS $$
BEGIN
    PERFORM helpdesk.require_role(actor, 'Admin');
    RETURN (SELECT s.escalations FROM helpdesk.sla_scan(now()) s);
END
$$;
