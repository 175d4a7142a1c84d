-- 30_tickets, 1.0 to 1.1: "breached" follows the current deadline (sla_clock_breached, the list
-- and its index); clocks keep their finished pauses (sla_clocks.pauses, last column; NULL on the
-- rows release 1.0 wrote, which is how 1.1 tells them apart).

ALTER TABLE helpdesk.sla_clocks ADD COLUMN pauses tstzmultirange;

DROP INDEX helpdesk.sla_clocks_breached_idx;

CREATE INDEX sla_clocks_breached_idx ON helpdesk.sla_clocks (ticket_id)
    WHERE kind = 'resolution' AND state = 'paused' AND coalesce(due_at < paused_since, breached_at IS NOT NULL);

-- ---- "breached" and "at risk": the one definition of each --------------------------------
--
-- The boundary: work done at or before a deadline is in time. A clock is breached at `at` once
-- `at` is strictly past its due instant (due_at < at); at the instant itself it is not. This is
-- the same boundary as a stop after the deadline (sla_clock_stop: missed) and as a scan at time
-- `at` recording the breach.
--
-- Breached follows the CURRENT deadline: a running clock is breached when its deadline has
-- passed, a paused one when its deadline had passed when it paused (a paused clock keeps the
-- deadline it had, due_at; clocks paused under release 1.0 kept none, and their recorded breach
-- decides), a stopped one when it stopped after its deadline (missed, for good). When a priority
-- change or a recomputation of the rules or the calendar moves the deadline later, a ticket that
-- was breached is no longer breached unless the new deadline has passed too; the breach that
-- happened stays where it was recorded: its `breached` event (sla_events, the timeline) and its
-- `sla_breached` history row. breached_at is only the watcher's bookkeeping (the latest deadline
-- whose breach was recorded), never read here.
--
-- Reports: a clock's outcome is decided once, when it stops, against the deadline then in force:
-- `met` or `missed` (sla_clock_breached(c, at) of a stopped clock). SLA compliance counts those
-- outcomes, so a ticket breached under High, lowered to Low and resolved within the Low deadline
-- counts as met; "breaches recorded" (escalations, notifications sent) counts the `breached`
-- events instead, where that earlier breach stays. (docs/ARCHITECTURE.md says the same.)
CREATE OR REPLACE FUNCTION helpdesk.sla_clock_breached(c helpdesk.sla_clocks, at timestamptz)
RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
    SELECT coalesce(c.state = 'missed'
                    OR (c.state = 'running' AND c.due_at < at)
                    OR (c.state = 'paused' AND coalesce(c.due_at < c.paused_since, c.breached_at IS NOT NULL)), false)
$$;

-- The same sets for lists: open tickets whose resolution clock is breached / at risk at `at`.
-- Each arm adds a condition that the definition implies (a running clock past its deadline is
-- past its warning, warn_at <= due_at; a paused one was late when it paused) so that an index
-- serves it; the definition itself is the function.
CREATE OR REPLACE FUNCTION helpdesk.sla_breached_ids(at timestamptz DEFAULT now())
RETURNS SETOF int
LANGUAGE sql STABLE
AS $$
    SELECT c.ticket_id FROM helpdesk.sla_clocks c
    WHERE c.kind = 'resolution' AND c.state = 'running' AND c.warn_at <= at
      AND helpdesk.sla_clock_breached(c, at)
    UNION ALL
    SELECT c.ticket_id FROM helpdesk.sla_clocks c
    WHERE c.kind = 'resolution' AND c.state = 'paused' AND coalesce(c.due_at < c.paused_since, c.breached_at IS NOT NULL)
      AND helpdesk.sla_clock_breached(c, at)
$$;

-- Ticket numbers come from a sequence per year (extension/numbering.c), no longer from the row
-- helpdesk.ticket_number_counters, which every creator held locked until its commit. The
-- counters are carried over by the new C function itself: a year's sequence, made by the year's
-- first number, starts after that year's counter row and after its highest existing ticket
-- number, so an upgraded desk continues after the numbers 1.0 handed out. (The symbol 1.0 binds,
-- helpdesk_next_ticket_number, keeps counting in the rows until this update.)
CREATE OR REPLACE FUNCTION helpdesk.next_ticket_number(at timestamptz DEFAULT now(), time_zone text DEFAULT NULL)
RETURNS text
LANGUAGE c VOLATILE
AS 'MODULE_PATHNAME', 'helpdesk_next_ticket_number_seq';
