-- 30_tickets: tickets, their numbering, their lifecycle (the state machine and the ticket
-- operations), the state of their SLA clocks, and the ticket list.
--
-- Who may do what on a ticket is decided here, once: visible_ticket() is the visibility rule
-- every module applies to a ticket and what belongs to it; each operation checks the actor's
-- role and relation to the ticket (submitter, assignee) itself.
--
-- The SLA clock state (table sla_clocks) is defined here, with the ticket, because the ticket's
-- own answers depend on it: "breached" and "at risk" are decided by sla_clock_breached() and
-- sla_clock_at_risk() below and nowhere else; the ticket JSON, the list filters, the SLA routes,
-- the scan, escalation and reports all call them. The SLA module (sql/5x) computes the clocks.

-- Ticket numbers TKT-YYYY-NNNN come from one sequence per year, helpdesk.ticket_numbers_<year>,
-- made by the year's first number (extension/numbering.c), never from counting rows, so they
-- never collide after deletes or under concurrency; gaps are allowed. This table is where
-- release 1.0 counted (one row per year, row-locked by each creator until its commit, which
-- serialised creation); a year's new sequence starts after its row here, so an upgraded or
-- restored desk carries on after the numbers it had. Nothing writes it any more.
CREATE TABLE helpdesk.ticket_number_counters (
    year       int PRIMARY KEY CHECK (year BETWEEN 1970 AND 9999),
    last_value int NOT NULL CHECK (last_value >= 0)
);

CREATE TABLE helpdesk.tickets (
    id                   serial PRIMARY KEY,
    ticket_number        varchar(32) NOT NULL UNIQUE,
    title                varchar(255) NOT NULL CHECK (length(btrim(title)) > 0),
    description          text NOT NULL,
    category_id          int NOT NULL REFERENCES helpdesk.categories (id) ON DELETE RESTRICT,
    priority             helpdesk.ticket_priority NOT NULL DEFAULT 'Medium',
    status               helpdesk.ticket_status NOT NULL DEFAULT 'New',
    submitter_id         int NOT NULL REFERENCES helpdesk.users (id) ON DELETE RESTRICT,
    assignee_id          int REFERENCES helpdesk.users (id) ON DELETE SET NULL,
    due_date             timestamptz,
    response_due_at      timestamptz,
    first_response_at    timestamptz,
    resolved_at          timestamptz,
    closed_at            timestamptz,
    satisfaction_rating  int CHECK (satisfaction_rating BETWEEN 1 AND 5),
    satisfaction_comment text,
    resolution_notes     text,
    created_at           timestamptz NOT NULL DEFAULT now(),
    updated_at           timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX tickets_status_created_idx ON helpdesk.tickets (status, created_at);

CREATE INDEX tickets_submitter_idx ON helpdesk.tickets (submitter_id, created_at);

CREATE INDEX tickets_assignee_idx ON helpdesk.tickets (assignee_id, created_at);

CREATE INDEX tickets_category_idx ON helpdesk.tickets (category_id);

CREATE TRIGGER tickets_90_touch BEFORE UPDATE ON helpdesk.tickets
    FOR EACH ROW EXECUTE FUNCTION helpdesk.touch_updated_at();

SELECT pg_catalog.pg_extension_config_dump('helpdesk.ticket_number_counters', '');

SELECT pg_catalog.pg_extension_config_dump('helpdesk.tickets', '');

SELECT pg_catalog.pg_extension_config_dump('helpdesk.tickets_id_seq', '');

CREATE TABLE helpdesk.sla_clocks (
    ticket_id     int NOT NULL REFERENCES helpdesk.tickets (id) ON DELETE CASCADE,
    -- (an array constant, not IN (...): a CHECK's expression is read back from its stored text at
    -- every statement that writes the table, and IN's list of casts was 3-4 times as long)
    kind          varchar(10) NOT NULL CHECK (kind::text = ANY ('{response,resolution}'::text[])),
    -- running: counting; paused: ticket Pending; met: stopped in time; missed: stopped after
    -- its breach; cancelled: stopped without a response (ticket closed first);

    -- not_applicable: no active SLA rule for the priority.
    state         varchar(16) NOT NULL
                  CHECK (state::text = ANY ('{running,paused,met,missed,cancelled,not_applicable}'::text[])),
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
    -- The cycle's finished pauses (wall-clock instants), so that paused_total can be measured
    -- again on a changed calendar; NULL for clocks written by release 1.0, which did not keep
    -- them (their paused_total is kept as it was measured). Last column: added by 1.1.
    pauses        tstzmultirange,
    PRIMARY KEY (ticket_id, kind),
    CHECK ((state = 'paused') = (paused_since IS NOT NULL)),
    CHECK (state = 'not_applicable' OR target IS NOT NULL)
);
-- The watcher's wake-up and the scan read only this.
CREATE INDEX sla_clocks_next_deadline_idx ON helpdesk.sla_clocks (next_deadline)
    WHERE next_deadline IS NOT NULL;

-- At-risk and breached lists: running resolution clocks by their deadline then their warning
-- instant (breached: due_at < at; at risk: due_at >= at AND warn_at <= at, the warning checked in
-- the index, so only the at-risk clocks are fetched), and the paused ones that were late when they
-- paused (the paused arm of sla_clock_breached()). One index for both: with a second one on
-- warn_at alone, generic plans (no value for `at`) costed the two alike and could pick warn_at,
-- which reads every running clock past its warning, past due ones included.
CREATE INDEX sla_clocks_running_deadlines_idx ON helpdesk.sla_clocks (due_at, warn_at)
    WHERE kind = 'resolution' AND state = 'running';

CREATE INDEX sla_clocks_breached_idx ON helpdesk.sla_clocks (ticket_id)
    WHERE kind = 'resolution' AND state = 'paused' AND coalesce(due_at < paused_since, breached_at IS NOT NULL);

SELECT pg_catalog.pg_extension_config_dump('helpdesk.sla_clocks', '');

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
CREATE FUNCTION helpdesk.sla_clock_breached(c helpdesk.sla_clocks, at timestamptz)
RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
    SELECT coalesce(c.state = 'missed'
                    OR (c.state = 'running' AND c.due_at < at)
                    OR (c.state = 'paused' AND coalesce(c.due_at < c.paused_since, c.breached_at IS NOT NULL)), false)
$$;

-- At risk at `at`: a running clock that has used at least the configured share of its
-- business-time window (warn_at <= at, the share is in warn_at) and is not breached.
CREATE FUNCTION helpdesk.sla_clock_at_risk(c helpdesk.sla_clocks, at timestamptz)
RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
    SELECT coalesce(c.state = 'running' AND c.warn_at <= at, false)
           AND NOT helpdesk.sla_clock_breached(c, at)
$$;

-- A ticket is breached / at risk when its resolution clock is.
CREATE FUNCTION helpdesk.sla_breached(t helpdesk.tickets, at timestamptz DEFAULT now())
RETURNS boolean
LANGUAGE sql STABLE
AS $$
    SELECT coalesce((SELECT helpdesk.sla_clock_breached(c, at) FROM helpdesk.sla_clocks c
                     WHERE c.ticket_id = t.id AND c.kind = 'resolution'), false)
$$;

CREATE FUNCTION helpdesk.sla_at_risk(t helpdesk.tickets, at timestamptz DEFAULT now())
RETURNS boolean
LANGUAGE sql STABLE
AS $$
    SELECT coalesce((SELECT helpdesk.sla_clock_at_risk(c, at) FROM helpdesk.sla_clocks c
                     WHERE c.ticket_id = t.id AND c.kind = 'resolution'), false)
$$;

-- The same sets for lists: open tickets whose resolution clock is breached / at risk at `at`.
-- Each arm adds a condition that the definition implies (a running clock is breached when past
-- its deadline, at risk when past its warning and not past its deadline: a running clock always
-- has both, sla_plan; a paused one was late when it paused) so that an index serves it; the
-- definition itself is the function.
CREATE FUNCTION helpdesk.sla_breached_ids(at timestamptz DEFAULT now())
RETURNS SETOF int
LANGUAGE sql STABLE
AS $$
    SELECT c.ticket_id FROM helpdesk.sla_clocks c
    WHERE c.kind = 'resolution' AND c.state = 'running' AND c.due_at < at
      AND helpdesk.sla_clock_breached(c, at)
    UNION ALL
    SELECT c.ticket_id FROM helpdesk.sla_clocks c
    WHERE c.kind = 'resolution' AND c.state = 'paused' AND coalesce(c.due_at < c.paused_since, c.breached_at IS NOT NULL)
      AND helpdesk.sla_clock_breached(c, at)
$$;

-- (an index range scan on the running clocks not yet due, their warning checked in the index)
CREATE FUNCTION helpdesk.sla_at_risk_ids(at timestamptz DEFAULT now())
RETURNS SETOF int
LANGUAGE sql STABLE
AS $$
    SELECT c.ticket_id FROM helpdesk.sla_clocks c
    WHERE c.kind = 'resolution' AND c.state = 'running' AND c.due_at >= at AND c.warn_at <= at
      AND helpdesk.sla_clock_at_risk(c, at)
$$;

-- The one visibility rule of tickets: IT_Staff and Admin see every ticket, an Employee only the
-- tickets they submitted. SQL, so that a query using it inlines it (ticket_detail_json).
CREATE FUNCTION helpdesk.ticket_visible_to(actor helpdesk.users, submitter_id int)
RETURNS boolean
LANGUAGE sql IMMUTABLE
AS $$ SELECT NOT coalesce(actor.role = 'Employee'::helpdesk.user_role AND submitter_id <> actor.id, false) $$;

-- The ticket `ticket_id` if `actor` may see it (ticket_visible_to), else raises 404 (missing) /
-- 403 (not visible).
-- Everything that belongs to a ticket (comments, attachments, history, SLA status, escalations)
-- goes through this function.
CREATE FUNCTION helpdesk.visible_ticket(actor helpdesk.users, ticket_id int,
                                        for_update boolean DEFAULT false)
RETURNS helpdesk.tickets
LANGUAGE plpgsql
AS $$
DECLARE
    t helpdesk.tickets;
BEGIN
    IF for_update THEN
        SELECT * INTO t FROM helpdesk.tickets WHERE id = ticket_id FOR UPDATE;
    ELSE
        SELECT * INTO t FROM helpdesk.tickets WHERE id = ticket_id;
    END IF;
    IF NOT FOUND THEN
        PERFORM helpdesk.http_error(404, format('Ticket with ID %s not found', ticket_id));
    END IF;
    IF NOT helpdesk.ticket_visible_to(actor, t.submitter_id) THEN
        PERFORM helpdesk.http_error(403, 'You do not have permission to view this ticket');
    END IF;
    RETURN t;
END
$$;

-- ==== ticket numbers, SLA seams, the state machine and the ticket operations ====

-- Next ticket number TKT-YYYY-NNNN for a ticket created at `at`: nextval of the year's sequence,
-- made on first use (extension/numbering.c). The year is taken in `time_zone` when given, else in the session's TimeZone; ticket_create passes
-- the setting 'ticket_number_time_zone' (unset: the session's zone, UTC on the demo cluster).
CREATE FUNCTION helpdesk.next_ticket_number(at timestamptz DEFAULT now(), time_zone text DEFAULT NULL)
RETURNS text
LANGUAGE c VOLATILE
AS 'MODULE_PATHNAME', 'helpdesk_next_ticket_number_seq';

-- The text the list's `search` parameter matches, one trigram index over it. The separator
-- cannot come from the outside in practice; queries recheck each field exactly anyway.
CREATE FUNCTION helpdesk.ticket_search_text(title text, description text, ticket_number text)
RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$ SELECT title || E'\x1f' || description || E'\x1f' || ticket_number $$;

-- title ILIKE p OR description ILIKE p OR ticket_number ILIKE p, for p = like_pattern(search),
-- with the same answer and without lower()'s wide characters for ASCII text (extension/list_plans.c).
-- What the list tests each row with (the trigram index finds the candidates).
CREATE FUNCTION helpdesk.ticket_search_matches(title text, description text, ticket_number text, pattern text)
RETURNS boolean
LANGUAGE c IMMUTABLE PARALLEL SAFE
AS 'MODULE_PATHNAME', 'helpdesk_ticket_search_matches';

CREATE INDEX tickets_search_trgm_idx ON helpdesk.tickets
    USING gin (helpdesk.ticket_search_text(title, description, ticket_number) public.gin_trgm_ops);

-- The planner's estimate of the share of tickets whose search text matches `pattern` (a
-- like_pattern), read from the statistics of `index`'s expression (ticket_search_text) as the
-- planner's ILIKE estimate reads them, without planning a statement (extension/list_plans.c).
-- NULL without such statistics (fewer than 100 histogram entries): ask the planner then.
CREATE FUNCTION helpdesk.ticket_search_share(index regclass, pattern text)
RETURNS float8
LANGUAGE c STABLE PARALLEL SAFE
AS 'MODULE_PATHNAME', 'helpdesk_ticket_search_share';

-- The default list order (createdAt DESC, id DESC as tie-breaker) walks this index, so a deep
-- OFFSET costs an index walk, never a sort of the whole table.
CREATE INDEX tickets_created_id_idx ON helpdesk.tickets (created_at, id);

CREATE INDEX tickets_priority_idx ON helpdesk.tickets (priority, created_at);

-- sortBy=dueDate (the reference's client sorts by it) walks this one.
CREATE INDEX tickets_due_id_idx ON helpdesk.tickets (due_date, id);

-- The web client's usual filter (status and priority), counted and paged from one index.
CREATE INDEX tickets_status_priority_idx ON helpdesk.tickets (status, priority, created_at, id);

-- Whether a ticket is open (its SLA clock can still run).
CREATE FUNCTION helpdesk.ticket_is_open(status helpdesk.ticket_status)
RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$ SELECT status NOT IN ('Resolved'::helpdesk.ticket_status, 'Closed'::helpdesk.ticket_status) $$;

-- The reference's change-status table (seed-system §3.1): the moves every path may make. A
-- constant of the extension (created by the install script, not user data, so not dumped).
CREATE TABLE helpdesk.ticket_transitions (
    from_status helpdesk.ticket_status NOT NULL,
    to_status   helpdesk.ticket_status NOT NULL,
    PRIMARY KEY (from_status, to_status),
    CHECK (from_status <> to_status)
);
INSERT INTO helpdesk.ticket_transitions (from_status, to_status) VALUES
    ('New', 'Assigned'), ('New', 'In Progress'), ('New', 'Closed'),
    ('Assigned', 'New'), ('Assigned', 'In Progress'), ('Assigned', 'Pending'), ('Assigned', 'Closed'),
    ('In Progress', 'Assigned'), ('In Progress', 'Pending'), ('In Progress', 'Resolved'), ('In Progress', 'Closed'),
    ('Pending', 'In Progress'), ('Pending', 'Resolved'), ('Pending', 'Closed'),
    ('Resolved', 'In Progress'), ('Resolved', 'Pending'), ('Resolved', 'Closed'),
    ('Closed', 'New'), ('Closed', 'Assigned');
COMMENT ON TABLE helpdesk.ticket_transitions IS 'constant: the status moves every path may make (seed-system 3.1)';

-- (PL/pgSQL: its query is planned once per connection; as SQL with a sub-select it was never
-- inlined and was planned again on every status change, 0.1 ms)
CREATE FUNCTION helpdesk.ticket_transition_allowed(from_status helpdesk.ticket_status,
                                                   to_status helpdesk.ticket_status)
RETURNS boolean
LANGUAGE plpgsql STABLE PARALLEL SAFE
AS $$
BEGIN
    RETURN EXISTS (SELECT FROM helpdesk.ticket_transitions m
                   WHERE m.from_status = ticket_transition_allowed.from_status
                     AND m.to_status = ticket_transition_allowed.to_status);
END
$$;
-- The ticket `actor` may act on, locked; a 403 from visible_ticket becomes `denied` (the
-- reference words the refusal per action).
CREATE FUNCTION helpdesk.ticket_for_action(actor helpdesk.users, ticket_id int, denied text)
RETURNS helpdesk.tickets
LANGUAGE plpgsql
AS $$
BEGIN
    RETURN helpdesk.visible_ticket(actor, ticket_id, true);
EXCEPTION WHEN SQLSTATE 'HD403' THEN
    PERFORM helpdesk.http_error(403, denied);
    RETURN NULL;
END
$$;

-- THE status change: every path that changes a ticket's status comes here (PATCH, change-status,
-- the action routes, bulk-status). Locks the ticket, applies visibility, refuses moves outside
-- the table (400 "Cannot transition from X to Y", same status included) and keeps the lifecycle
-- timestamps consistent:
--   resolved_at: set on entering Resolved, kept into Closed, cleared on any move to an open status;
--   closed_at:   set on entering Closed, cleared on leaving it;
--   resolution_notes: cleared when a finished ticket goes back to New or Assigned (a reopen).
-- `reopen` admits the one move outside the table, the reopen action's Resolved -> New.
-- `notes` (resolve) and `new_assignee_id` (assign) are set in the same update, so every action
-- is one row change (one history entry per action for the history triggers).
CREATE FUNCTION helpdesk.ticket_transition(ticket_id int, new_status helpdesk.ticket_status,
                                           actor helpdesk.users, at timestamptz DEFAULT now(),
                                           reopen boolean DEFAULT false, notes text DEFAULT NULL,
                                           new_assignee_id int DEFAULT NULL)
RETURNS helpdesk.tickets
LANGUAGE plpgsql
AS $$
DECLARE
    t helpdesk.tickets := helpdesk.visible_ticket(actor, ticket_id, true);
BEGIN
    IF NOT (helpdesk.ticket_transition_allowed(t.status, new_status)
            OR (reopen AND t.status = 'Resolved' AND new_status = 'New')) THEN
        PERFORM helpdesk.http_error(400, format('Cannot transition from %s to %s', t.status, new_status));
    END IF;
    UPDATE helpdesk.tickets SET
        status = new_status,
        assignee_id = coalesce(new_assignee_id, assignee_id),
        resolved_at = CASE WHEN new_status = 'Resolved' THEN at
                           WHEN new_status = 'Closed' THEN resolved_at END,
        closed_at = CASE WHEN new_status = 'Closed' THEN at END,
        resolution_notes = CASE WHEN notes IS NOT NULL THEN notes
                                WHEN new_status IN ('New', 'Assigned') AND NOT helpdesk.ticket_is_open(t.status)
                                THEN NULL ELSE resolution_notes END
    WHERE id = t.id
    RETURNING * INTO t;
    RETURN t;
END
$$;

-- A user tickets may be assigned to: exists, active, IT_Staff or Admin.
CREATE FUNCTION helpdesk.assignable_user(user_id int, role_message text DEFAULT 'Assignee must be IT Staff or Admin')
RETURNS helpdesk.users
LANGUAGE plpgsql
AS $$
DECLARE
    u helpdesk.users;
BEGIN
    SELECT * INTO u FROM helpdesk.users WHERE id = user_id FOR KEY SHARE;
    IF NOT FOUND THEN
        PERFORM helpdesk.http_error(400, 'Assignee not found');
    END IF;
    IF u.role NOT IN ('IT_Staff', 'Admin') THEN
        PERFORM helpdesk.http_error(400, role_message);
    END IF;
    IF NOT u.is_active THEN
        PERFORM helpdesk.http_error(400, 'Assignee is not active');
    END IF;
    RETURN u;
END
$$;

-- A new ticket, status New, submitted by `submitter`, due per the SLA rule of its priority.
CREATE FUNCTION helpdesk.ticket_create(submitter helpdesk.users, title text, description text,
                                       category_id int, priority helpdesk.ticket_priority DEFAULT 'Medium',
                                       at timestamptz DEFAULT now())
RETURNS helpdesk.tickets
LANGUAGE plpgsql
AS $$
DECLARE
    t helpdesk.tickets;
BEGIN
    PERFORM helpdesk.category_usable(category_id);
    priority := coalesce(priority, 'Medium');
    -- due_date and response_due_at come from the SLA clocks (sql/55_sla_clock.sql)
    INSERT INTO helpdesk.tickets (ticket_number, title, description, category_id, priority, status,
                                  submitter_id, created_at, updated_at)
    VALUES (helpdesk.next_ticket_number(at, helpdesk.setting('ticket_number_time_zone', NULL)),
            title, description, category_id, priority, 'New', submitter.id, at, at)
    RETURNING * INTO t;
    RETURN t;
END
$$;

-- PATCH: the given fields (NULL = unchanged). Staff may change anything; an Employee only their
-- own ticket while New or Assigned, and never its status, priority or assignee (403 when the
-- value would change; an unchanged value is let through, the reference's client always sends
-- priority). A status change goes through ticket_transition; a priority change recomputes
-- the due date.
CREATE FUNCTION helpdesk.ticket_update(ticket_id int, actor helpdesk.users,
                                       new_title text DEFAULT NULL, new_description text DEFAULT NULL,
                                       new_category_id int DEFAULT NULL,
                                       new_priority helpdesk.ticket_priority DEFAULT NULL,
                                       new_status helpdesk.ticket_status DEFAULT NULL,
                                       new_assignee_id int DEFAULT NULL,
                                       at timestamptz DEFAULT now())
RETURNS helpdesk.tickets
LANGUAGE plpgsql
AS $$
DECLARE
    t helpdesk.tickets := helpdesk.ticket_for_action(actor, ticket_id, 'You do not have permission to update this ticket');
BEGIN
    IF actor.role = 'Employee' THEN
        IF t.status NOT IN ('New', 'Assigned') THEN
            PERFORM helpdesk.http_error(403, 'You can only update your tickets while they are New or Assigned');
        END IF;
        IF new_status IS DISTINCT FROM t.status AND new_status IS NOT NULL THEN
            PERFORM helpdesk.http_error(403, 'You do not have permission to change the status of this ticket');
        END IF;
        IF new_priority IS DISTINCT FROM t.priority AND new_priority IS NOT NULL THEN
            PERFORM helpdesk.http_error(403, 'You do not have permission to change the priority of this ticket');
        END IF;
        IF new_assignee_id IS DISTINCT FROM t.assignee_id AND new_assignee_id IS NOT NULL THEN
            PERFORM helpdesk.http_error(403, 'You do not have permission to assign this ticket');
        END IF;
    END IF;
    IF new_category_id IS NOT NULL AND new_category_id <> t.category_id THEN
        PERFORM helpdesk.category_usable(new_category_id);
    END IF;
    IF new_assignee_id IS NOT NULL AND new_assignee_id IS DISTINCT FROM t.assignee_id THEN
        PERFORM helpdesk.assignable_user(new_assignee_id);
    END IF;
    UPDATE helpdesk.tickets SET
        title = coalesce(new_title, title),
        description = coalesce(new_description, description),
        category_id = coalesce(new_category_id, category_id),
        priority = coalesce(new_priority, priority),
        assignee_id = coalesce(new_assignee_id, assignee_id)
    WHERE id = t.id
    RETURNING * INTO t;
    IF new_status IS NOT NULL AND new_status <> t.status THEN
        t := helpdesk.ticket_transition(t.id, new_status, actor, at);
    END IF;
    RETURN t;
END
$$;

-- Assign: staff only, to an active IT_Staff or Admin, while New, Assigned or In Progress; the
-- ticket becomes Assigned.
CREATE FUNCTION helpdesk.ticket_assign(ticket_id int, assignee_id int, actor helpdesk.users,
                                       at timestamptz DEFAULT now(),
                                       role_message text DEFAULT 'Assignee must be IT Staff or Admin')
RETURNS helpdesk.tickets
LANGUAGE plpgsql
AS $$
DECLARE
    t helpdesk.tickets;
BEGIN
    PERFORM helpdesk.require_role(actor, 'IT_Staff', 'Admin');
    t := helpdesk.visible_ticket(actor, ticket_id, true);
    PERFORM helpdesk.assignable_user(assignee_id, role_message);
    IF t.status NOT IN ('New', 'Assigned', 'In Progress') THEN
        PERFORM helpdesk.http_error(400, format('Cannot assign a ticket with status %s', t.status));
    END IF;
    IF t.status = 'Assigned' THEN
        UPDATE helpdesk.tickets SET assignee_id = ticket_assign.assignee_id WHERE id = t.id RETURNING * INTO t;
        RETURN t;
    END IF;
    RETURN helpdesk.ticket_transition(t.id, 'Assigned', actor, at, new_assignee_id => ticket_assign.assignee_id);
END
$$;

-- Start progress: only the assignee, only from Assigned.
CREATE FUNCTION helpdesk.ticket_start_progress(ticket_id int, actor helpdesk.users, at timestamptz DEFAULT now())
RETURNS helpdesk.tickets
LANGUAGE plpgsql
AS $$
DECLARE
    t helpdesk.tickets;
BEGIN
    PERFORM helpdesk.require_role(actor, 'IT_Staff', 'Admin');
    t := helpdesk.visible_ticket(actor, ticket_id, true);
    IF t.assignee_id IS DISTINCT FROM actor.id THEN
        PERFORM helpdesk.http_error(403, 'Only the assigned user can start progress on this ticket');
    END IF;
    IF t.status <> 'Assigned' THEN
        PERFORM helpdesk.http_error(400, format('Cannot start progress on a ticket with status %s', t.status));
    END IF;
    RETURN helpdesk.ticket_transition(t.id, 'In Progress', actor, at);
END
$$;

-- Resolve: only the assignee, from In Progress or Pending, with resolution notes.
CREATE FUNCTION helpdesk.ticket_resolve(ticket_id int, resolution_notes text, actor helpdesk.users,
                                        at timestamptz DEFAULT now())
RETURNS helpdesk.tickets
LANGUAGE plpgsql
AS $$
DECLARE
    t helpdesk.tickets;
BEGIN
    PERFORM helpdesk.require_role(actor, 'IT_Staff', 'Admin');
    t := helpdesk.visible_ticket(actor, ticket_id, true);
    IF t.assignee_id IS DISTINCT FROM actor.id THEN
        PERFORM helpdesk.http_error(403, 'Only the assigned user can resolve this ticket');
    END IF;
    IF t.status NOT IN ('In Progress', 'Pending') THEN
        PERFORM helpdesk.http_error(400, format('Cannot resolve a ticket with status %s', t.status));
    END IF;
    RETURN helpdesk.ticket_transition(t.id, 'Resolved', actor, at, notes => resolution_notes);
END
$$;

-- Close: an Admin from Resolved, In Progress or Pending; anyone else (IT_Staff included) only
-- as the submitter, from Resolved.
CREATE FUNCTION helpdesk.ticket_close(ticket_id int, actor helpdesk.users, at timestamptz DEFAULT now())
RETURNS helpdesk.tickets
LANGUAGE plpgsql
AS $$
DECLARE
    t helpdesk.tickets := helpdesk.ticket_for_action(actor, ticket_id, 'You do not have permission to close this ticket');
BEGIN
    IF actor.role = 'Admin' THEN
        IF t.status NOT IN ('Resolved', 'In Progress', 'Pending') THEN
            PERFORM helpdesk.http_error(400, format('Cannot close a ticket with status %s', t.status));
        END IF;
    ELSE
        IF t.submitter_id <> actor.id THEN
            PERFORM helpdesk.http_error(403, 'You do not have permission to close this ticket');
        END IF;
        IF t.status <> 'Resolved' THEN
            PERFORM helpdesk.http_error(400, 'Only resolved tickets can be closed');
        END IF;
    END IF;
    RETURN helpdesk.ticket_transition(t.id, 'Closed', actor, at);
END
$$;

-- Reopen: a Resolved or Closed ticket goes back to New, without its resolution; assignee and
-- due date stay.
CREATE FUNCTION helpdesk.ticket_reopen(ticket_id int, actor helpdesk.users, at timestamptz DEFAULT now())
RETURNS helpdesk.tickets
LANGUAGE plpgsql
AS $$
DECLARE
    t helpdesk.tickets := helpdesk.ticket_for_action(actor, ticket_id, 'You do not have permission to reopen this ticket');
BEGIN
    IF helpdesk.ticket_is_open(t.status) THEN
        PERFORM helpdesk.http_error(400, 'Only resolved or closed tickets can be reopened');
    END IF;
    t := helpdesk.ticket_transition(t.id, 'New', actor, at, reopen => true);
    -- ticket_transition clears the resolution on the way back to New
    RETURN t;
END
$$;

-- Rate: the submitter, once, when the ticket is Resolved or Closed.
CREATE FUNCTION helpdesk.ticket_rate(ticket_id int, rating int, feedback text, actor helpdesk.users)
RETURNS helpdesk.tickets
LANGUAGE plpgsql
AS $$
DECLARE
    t helpdesk.tickets := helpdesk.ticket_for_action(actor, ticket_id, 'You do not have permission to rate this ticket');
BEGIN
    IF t.submitter_id <> actor.id THEN
        PERFORM helpdesk.http_error(403, 'You do not have permission to rate this ticket');
    END IF;
    IF helpdesk.ticket_is_open(t.status) THEN
        PERFORM helpdesk.http_error(400, 'Only resolved or closed tickets can be rated');
    END IF;
    IF t.satisfaction_rating IS NOT NULL THEN
        PERFORM helpdesk.http_error(409, 'Ticket has already been rated');
    END IF;
    IF rating IS NULL OR rating NOT BETWEEN 1 AND 5 THEN
        PERFORM helpdesk.validation_error('rating must not be less than 1', 'rating must not be greater than 5');
    END IF;
    UPDATE helpdesk.tickets SET satisfaction_rating = rating, satisfaction_comment = feedback
    WHERE id = t.id RETURNING * INTO t;
    RETURN t;
END
$$;

-- Hard delete (Admin); comments, attachments, history, notifications go with it.
CREATE FUNCTION helpdesk.ticket_delete(ticket_id int, actor helpdesk.users)
RETURNS void
LANGUAGE plpgsql
AS $$
DECLARE
    t helpdesk.tickets;
BEGIN
    PERFORM helpdesk.require_role(actor, 'Admin');
    t := helpdesk.visible_ticket(actor, ticket_id, true);
    DELETE FROM helpdesk.tickets WHERE id = t.id;
    PERFORM helpdesk.audit('DELETE_TICKET', 'ticket', t.id);
END
$$;

-- The ticket JSON of the API: the reference's columns, satisfactionFeedback (= satisfactionComment),
-- slaBreached (the caller's sla_clock_breached of the resolution clock: the rule stays there),
-- and the includes of the list shape (detail = false: submitter and assignee {id, username,
-- fullName, email}, category {id, name, icon, color}) or the detail shape (+ department,
-- + description). Written in C in one pass (extension/ticket_json.c): the one definition of
-- the ticket object. As SQL (to_jsonb of a row type) each field's type was categorised and its
-- output looked up per row, two thirds of a list page's cost.
CREATE FUNCTION helpdesk.ticket_json_of(t helpdesk.tickets, submitter helpdesk.users, assignee helpdesk.users,
                                        c helpdesk.categories, sla_breached boolean, detail boolean)
RETURNS jsonb
LANGUAGE c STABLE PARALLEL SAFE
AS 'MODULE_PATHNAME', 'helpdesk_ticket_json_of';

-- The same objects as one array, in the aggregate's order (a list's page): jsonb_agg of
-- ticket_json_of took each object apart and sorted its keys again.
CREATE FUNCTION helpdesk.ticket_json_agg_step(internal, helpdesk.tickets, helpdesk.users, helpdesk.users,
                                              helpdesk.categories, boolean, boolean)
RETURNS internal
LANGUAGE c STABLE PARALLEL SAFE
AS 'MODULE_PATHNAME', 'helpdesk_ticket_json_agg_step';
CREATE FUNCTION helpdesk.ticket_json_agg_final(internal)
RETURNS jsonb
LANGUAGE c STABLE PARALLEL SAFE
AS 'MODULE_PATHNAME', 'helpdesk_ticket_json_agg_final';
CREATE AGGREGATE helpdesk.ticket_json_agg(helpdesk.tickets, helpdesk.users, helpdesk.users,
                                          helpdesk.categories, boolean, boolean) (
    SFUNC = helpdesk.ticket_json_agg_step, STYPE = internal, FINALFUNC = helpdesk.ticket_json_agg_final);

-- The ticket JSON of one ticket (detail responses). VOLATILE on purpose: a route answers
-- ticket_json(ticket_transition(...)) in one expression, and a STABLE function would read the
-- ticket's clocks with the snapshot taken before the transition's triggers moved them.
-- PL/pgSQL so that its query is planned once per connection: as a SQL function (never inlined,
-- it has a FROM clause) it was parsed and planned on every call, ~1 ms, five times its run.
CREATE FUNCTION helpdesk.ticket_json(t helpdesk.tickets, detail boolean DEFAULT true, at timestamptz DEFAULT now())
RETURNS jsonb
LANGUAGE plpgsql VOLATILE
AS $$
DECLARE
    j jsonb;
BEGIN
    SELECT helpdesk.ticket_json_of(t, s, a, c, helpdesk.sla_clock_breached(r, at), detail) INTO j
    FROM (SELECT) one
    LEFT JOIN helpdesk.users s ON s.id = t.submitter_id
    LEFT JOIN helpdesk.users a ON a.id = t.assignee_id
    LEFT JOIN helpdesk.categories c ON c.id = t.category_id
    LEFT JOIN helpdesk.sla_clocks r ON r.ticket_id = t.id AND r.kind = 'resolution';
    RETURN j;
END
$$;

-- The detail JSON of ticket `ticket_id` as `actor` may see it (GET /tickets/:id): the ticket,
-- its includes and the visibility rule in one query planned once per connection. Through
-- visible_ticket and ticket_json it was two more PL/pgSQL calls (each saving and restoring its
-- pinned search_path) and two more statements. Missing or not visible: visible_ticket raises
-- the error, so the 404/403 stay there.
CREATE FUNCTION helpdesk.ticket_detail_json(actor helpdesk.users, ticket_id int, at timestamptz DEFAULT now())
RETURNS jsonb
LANGUAGE plpgsql STABLE
AS $$
DECLARE
    j jsonb;
BEGIN
    SELECT helpdesk.ticket_json_of(t, s, a, c, helpdesk.sla_clock_breached(r, at), true) INTO j
    FROM helpdesk.tickets t
    -- one row each, looked up by key: as plain joins the generic plan merge-joined the whole
    -- (small) users table and sorted, ~25% more per call than these nested loops
    LEFT JOIN LATERAL (SELECT * FROM helpdesk.users u WHERE u.id = t.submitter_id OFFSET 0) s ON true
    LEFT JOIN LATERAL (SELECT * FROM helpdesk.users u WHERE u.id = t.assignee_id OFFSET 0) a ON true
    LEFT JOIN LATERAL (SELECT * FROM helpdesk.categories k WHERE k.id = t.category_id OFFSET 0) c ON true
    LEFT JOIN helpdesk.sla_clocks r ON r.ticket_id = t.id AND r.kind = 'resolution'
    WHERE t.id = ticket_detail_json.ticket_id AND helpdesk.ticket_visible_to(actor, t.submitter_id);
    IF j IS NULL THEN
        PERFORM helpdesk.visible_ticket(actor, ticket_id);
    END IF;
    RETURN j;
END
$$;

-- Sortable fields of the ticket list: camelCase name -> column. Anything else is a 400.
CREATE FUNCTION helpdesk.ticket_sort_column(sort_by text)
RETURNS text
LANGUAGE plpgsql IMMUTABLE
AS $$
DECLARE
    fields constant text[] := ARRAY['id', 'ticketNumber', 'title', 'description', 'categoryId',
        'priority', 'status', 'submitterId', 'assigneeId', 'dueDate', 'resolvedAt', 'closedAt',
        'satisfactionRating', 'satisfactionComment', 'resolutionNotes', 'createdAt', 'updatedAt'];
    columns constant text[] := ARRAY['id', 'ticket_number', 'title', 'description', 'category_id',
        'priority', 'status', 'submitter_id', 'assignee_id', 'due_date', 'resolved_at', 'closed_at',
        'satisfaction_rating', 'satisfaction_comment', 'resolution_notes', 'created_at', 'updated_at'];
    i int := array_position(fields, coalesce(sort_by, 'createdAt'));
BEGIN
    IF sort_by = 'satisfactionFeedback' THEN
        RETURN 'satisfaction_comment';
    END IF;
    IF i IS NULL THEN
        PERFORM helpdesk.validation_error(
            'sortBy must be one of the following values: ' || array_to_string(fields, ', '));
    END IF;
    RETURN columns[i];
END
$$;

-- EXPLAIN (COSTS OFF) of a ticket_list statement with its parameters, one text per line.
CREATE FUNCTION helpdesk.explain_lines(query text, p1 int, p2 int, p3 helpdesk.ticket_status,
                                       p4 helpdesk.ticket_priority, p5 int, p6 int, p7 text, p9 timestamptz)
RETURNS jsonb
LANGUAGE plpgsql VOLATILE  -- EXPLAIN is refused in non-volatile functions
AS $$
DECLARE
    line text;
    lines text[] := '{}';
BEGIN
    FOR line IN EXECUTE 'EXPLAIN (COSTS OFF) ' || query USING p1, p2, p3, p4, p5, p6, p7, NULL::int, p9 LOOP
        lines := array_append(lines, line);
    END LOOP;
    RETURN to_jsonb(lines);
END
$$;

-- The planner's estimate of the rows a ticket_list statement returns.
CREATE FUNCTION helpdesk.estimate_rows(query text, p1 int, p2 int, p3 helpdesk.ticket_status,
                                       p4 helpdesk.ticket_priority, p5 int, p6 int, p7 text, p9 timestamptz)
RETURNS bigint
LANGUAGE plpgsql VOLATILE  -- EXPLAIN is refused in non-volatile functions
AS $$
DECLARE
    plan json;
BEGIN
    EXECUTE 'EXPLAIN (FORMAT JSON) ' || query INTO plan USING p1, p2, p3, p4, p5, p6, p7, NULL::int, p9;
    RETURN round((plan -> 0 -> 'Plan' ->> 'Plan Rows')::numeric)::bigint;
END
$$;

-- The list's filters, the one definition of what each of them means (the ticket list and the
-- CSV export use it): the conditions on `helpdesk.tickets t` of the filters given, as SQL
-- fragments whose values are parameters ($1 actor id, $2 submitterId, $3 status, $4 priority,
-- $5 categoryId, $6 assigneeId, $7 the search's LIKE pattern, $9 the clock instant). Fixed text
-- only, so each combination of filters is one statement shape, planned once: the text depends
-- only on the actor's role and which filters are given (NULL or not, true or not), which is
-- what helpdesk.ticket_list (C) keys its statements by.
-- Visibility: an Employee sees only the tickets they submitted; a submitterId filter can only
-- narrow it. slaAtRisk overrides slaBreached and status; slaBreached overrides status (the
-- reference); assigneeId=null (unassigned) means no assignee.
CREATE FUNCTION helpdesk.ticket_filter_conds(actor helpdesk.users, status helpdesk.ticket_status,
                                             priority helpdesk.ticket_priority, category_id int,
                                             submitter_id int, assignee_id int, unassigned boolean,
                                             sla_breached boolean, sla_at_risk boolean)
RETURNS text[]
LANGUAGE plpgsql IMMUTABLE
AS $$
DECLARE
    conds text[] := '{}';
BEGIN
    IF actor.role = 'Employee' THEN
        conds := array_append(conds, 't.submitter_id = $1');
    END IF;
    IF submitter_id IS NOT NULL THEN
        conds := array_append(conds, 't.submitter_id = $2');
    END IF;
    IF sla_at_risk THEN
        conds := array_append(conds, 't.id IN (SELECT helpdesk.sla_at_risk_ids($9))');
    ELSIF sla_breached THEN
        conds := array_append(conds, 't.id IN (SELECT helpdesk.sla_breached_ids($9))');
    ELSIF status IS NOT NULL THEN
        conds := array_append(conds, 't.status = $3');
    END IF;
    IF priority IS NOT NULL THEN
        conds := array_append(conds, 't.priority = $4');
    END IF;
    IF category_id IS NOT NULL THEN
        conds := array_append(conds, 't.category_id = $5');
    END IF;
    IF unassigned THEN
        conds := array_append(conds, 't.assignee_id IS NULL');
    ELSIF assignee_id IS NOT NULL THEN
        conds := array_append(conds, 't.assignee_id = $6');
    END IF;
    RETURN conds;
END
$$;

-- search= is a case-insensitive substring of the title, the description or the ticket number
-- (the reference's ILIKE; $7 is helpdesk.like_pattern(search), wildcards taken literally). Two
-- forms of the one test: 'fields' tests the three columns (helpdesk.ticket_search_matches, with
-- ILIKE's answer); 'indexed' tests the trigram-indexed
-- expression that contains them (implied by 'fields', and what an index or an estimate can use).
-- A match is both.
CREATE FUNCTION helpdesk.ticket_search_cond(form text)
RETURNS text
LANGUAGE sql IMMUTABLE
AS $$
    SELECT CASE form
        WHEN 'fields' THEN 'helpdesk.ticket_search_matches(t.title, t.description, t.ticket_number, $7)'
        WHEN 'indexed' THEN 'helpdesk.ticket_search_text(t.title, t.description, t.ticket_number) ILIKE $7'
    END
$$;

-- ' WHERE a AND b' of the conditions, or '' when there are none. STABLE as array_to_string is:
-- declared IMMUTABLE it was never inlined, and each call parsed and planned its body again
-- (three per search, ~0.1 ms of a 2.5 ms search at 1M tickets, bench/RESULTS.md).
CREATE FUNCTION helpdesk.ticket_where_sql(conds text[])
RETURNS text
LANGUAGE sql STABLE
AS $$
    SELECT CASE WHEN cardinality(conds) = 0 THEN '' ELSE ' WHERE ' || array_to_string(conds, ' AND ') END
$$;

-- The ticket list: filters, visibility, order, page. Returns the reference's paginated shape
-- plus totalIsEstimate.
--
-- Visibility: an Employee's list is always limited to the tickets they submitted; a submitterId
-- filter can only narrow it (another user's id gives an empty list).
--
-- Planned once per shape. The statements depend on the filters present, the sort column and
-- direction and the page size: their text is made of fixed fragments (ticket_filter_conds,
-- ticket_sort_column; integers formatted in: the bound and the page size) and every value of
-- the request is a parameter. Each text is prepared once per connection with a generic plan
-- and kept (extension/list_plans.c). Dynamic SQL (EXECUTE) planned them on every call, ~1 ms
-- each, more than running them.
-- - Without search (helpdesk.ticket_list, C): two kept statements per call, the bound with the
--   count up to it, then the page joined to its includes (users, category, the resolution
--   clock for slaBreached), written by ticket_json.c's writer from the rows. Through PL/pgSQL
--   it was two more PL/pgSQL frames, five statements and per-call planning of SQL helpers
--   (bench/RESULTS.md, "The default list in C").
-- - A search (helpdesk.ticket_list_search, below): the ways described under "search".
--
-- Paging: the reference's contract is page/limit, so keyset paging is not possible. Every sort
-- column is indexed or cheap to sort; the default order (createdAt DESC, id DESC) walks
-- tickets_created_id_idx.
--
-- total: an exact count with the same filters as long as at most 'ticket_list_exact_count'
-- (setting, default 1,000) tickets match; beyond, the planner's estimate of the matching rows
-- (at least the bound + 1) and totalIsEstimate: true. An exact count of tens of thousands of
-- matches (a common word: each match rechecked) cost up to 100x the page; nobody pages to the
-- end of a list that long, and the flag says the number is an estimate. "Many" is decided by
-- that bounded count, never by the planner's statistics alone: those can be stale (thousands of
-- tickets deleted since the last ANALYZE made a list of a few tickets an "estimate" in one CI
-- run, d269c7b). The page is walked only when the count leaves rows for it, so a page past an
-- exact end is answered without walking anything.
--
-- search: case-insensitive substring of title, description or ticket number (the reference's
-- ILIKE), with LIKE wildcards taken literally, in the list's order (the reference's). Its total
-- has its own, smaller bound, 'ticket_list_search_exact_count' (setting, default 150): an exact
-- count of a common word rechecks every match. Few matches (a ticket number, a rare word) are
-- found through the trigram index over ticket_search_text, counted and sorted; many (a common
-- word) are found by walking the sort order's index and testing each row, which reaches a page
-- of a word in 5% of the tickets after ~20 x 20 rows instead of fetching all its matches. The
-- walk also gives the total: the share of matching rows among those it read ((matches - 1) /
-- (rows - 1), unbiased when sampling until a number of matches) times the rows in scope of the
-- other filters, which the planner knows well (no pattern in them). The planner's estimate of
-- the pattern itself only picks the way (it was 9,529 for 2 rows); a walk that finds too few
-- matches for what it expected gives up for the index, and a total near the bound is counted.
-- The estimate assumes the word is as frequent among the rows walked (the first in the list's
-- order) as in the rest: measured in bench/RESULTS.md ("The search's total"). The HTTP layer's
-- statement_timeout bounds the worst case (a search term shorter than three characters, which
-- no trigram index can serve, on a huge table).

-- helpdesk.ticket_list_search: the list with a search (and the plans of any list, explain), the
-- same arguments as helpdesk.ticket_list, which calls it.
CREATE FUNCTION helpdesk.ticket_list_search(actor helpdesk.users,
                                     status helpdesk.ticket_status DEFAULT NULL,
                                     priority helpdesk.ticket_priority DEFAULT NULL,
                                     category_id int DEFAULT NULL,
                                     submitter_id int DEFAULT NULL,
                                     assignee_id int DEFAULT NULL,
                                     unassigned boolean DEFAULT false,
                                     search text DEFAULT NULL,
                                     sla_breached boolean DEFAULT false,
                                     sla_at_risk boolean DEFAULT false,
                                     page int DEFAULT 1, page_size int DEFAULT 10,
                                     sort_by text DEFAULT 'createdAt', sort_order text DEFAULT 'DESC',
                                     at timestamptz DEFAULT now(), explain boolean DEFAULT false)
RETURNS jsonb
LANGUAGE plpgsql STABLE
-- Its static statements with generic plans: the page's JSON statement (unnest of the page's ids)
-- was planned again on every call, custom plans looking cheaper for the one id of a ticket-number
-- search (1.2 ms of a 2.9 ms search at 1M tickets, pg_stat_statements: 19 plans in 24 calls).
-- Its dynamic statements (ticket_list_run, the walks, EXPLAIN's estimates) plan as they did.
SET plan_cache_mode = force_generic_plan
AS $$
DECLARE
    conds text[] := '{}';
    where_sql text;
    est_where_sql text;
    order_sql text;
    total bigint;
    estimated boolean := false;
    ids int[];
    items jsonb;
    pattern text;
    est bigint;
    share float8;
    found jsonb;
    walk jsonb;
    sample jsonb;
    walk_sql text;
    scope_where_sql text;
    scope bigint;
    want bigint;
    sample_size bigint;
    counted bigint;
    cap constant bigint := greatest(helpdesk.setting('ticket_list_exact_count', '1000')::bigint, 0);
    search_cap bigint;
    dir text := CASE WHEN upper(sort_order) = 'ASC' THEN 'ASC' ELSE 'DESC' END;
    page_offset bigint := (page - 1)::bigint * page_size;
BEGIN
    conds := helpdesk.ticket_filter_conds(actor, status, priority, category_id, submitter_id, assignee_id,
                                          unassigned, sla_breached, sla_at_risk);
    where_sql := helpdesk.ticket_where_sql(conds);
    scope_where_sql := where_sql;
    IF search IS NOT NULL THEN
        pattern := helpdesk.like_pattern(search);
        search_cap := greatest(helpdesk.setting('ticket_list_search_exact_count', '150')::bigint, 0);
        -- the estimate tests the indexed expression only: the fields' test is implied by it,
        -- and the planner, multiplying the two as if independent, put a common word ~10x
        -- too low (and estimated four patterns instead of one)
        est_where_sql := helpdesk.ticket_where_sql(conds || helpdesk.ticket_search_cond('indexed'));
        where_sql := helpdesk.ticket_where_sql(conds || helpdesk.ticket_search_cond('indexed')
                                               || helpdesk.ticket_search_cond('fields'));
        -- the walk of a search: every row in scope in the list's order, and whether it matches
        walk_sql := format('SELECT t.id, %s FROM helpdesk.tickets t%s ORDER BY t.%I %s, t.id %s',
                           helpdesk.ticket_search_cond('fields'), scope_where_sql,
                           helpdesk.ticket_sort_column(sort_by), dir, dir);
    END IF;
    order_sql := format(' ORDER BY t.%I %s, t.id %s LIMIT %s', helpdesk.ticket_sort_column(sort_by), dir, dir, page_size);

    IF explain THEN
        -- the plans of the two statements, for a DBA (and the regression tests)
        RETURN jsonb_build_object(
            'count', helpdesk.explain_lines(format('SELECT count(*) FROM (SELECT FROM helpdesk.tickets t%s LIMIT %s) c',
                                                   where_sql, coalesce(search_cap, cap) + 1),
                                            actor.id, submitter_id, status, priority, category_id, assignee_id, pattern, at),
            'page', helpdesk.explain_lines('SELECT t.id FROM helpdesk.tickets t' || where_sql || order_sql
                                           || format(' OFFSET %s', page_offset),
                                           actor.id, submitter_id, status, priority, category_id, assignee_id, pattern, at));
    END IF;

    IF search IS NOT NULL THEN
        -- A search (see above). The planner's estimate of the matches (from the statistics of
        -- the indexed text: good enough to tell a common word from a rare one, not for a
        -- total) picks the first way: a word it expects past twice the bound is walked in the
        -- list's order; the rest go through the trigram index, exact up to the bound.
        -- The share comes from the index expression's statistics in C (EXPLAIN planned a
        -- statement for it on every search: ~0.7 ms of 4 at 1M tickets), times the rows in scope
        -- (the planner multiplies the two alike); EXPLAIN only where those statistics are thin.
        share := helpdesk.ticket_search_share('helpdesk.tickets_search_trgm_idx', pattern);
        IF share IS NULL THEN
            est := helpdesk.estimate_rows('SELECT FROM helpdesk.tickets t' || est_where_sql,
                                          actor.id, submitter_id, status, priority, category_id, assignee_id, pattern, at);
        ELSE
            scope := CASE WHEN scope_where_sql = '' THEN helpdesk.ticket_list_estimate('SELECT FROM helpdesk.tickets t')
                          ELSE helpdesk.estimate_rows('SELECT FROM helpdesk.tickets t' || scope_where_sql, actor.id,
                                                      submitter_id, status, priority, category_id, assignee_id, pattern, at) END;
            est := greatest(round(share * scope), 1);
        END IF;
        -- A walk goes on past the page until `sample` matches, the estimate's sample: its
        -- relative error is ~1/sqrt(sample) (50: 14%; the page's 20 alone: 22%, and +56% was
        -- seen at 1M tickets).
        sample_size := greatest(helpdesk.setting('ticket_list_search_sample', '50')::bigint, 2);
        want := greatest(page_offset + page_size, sample_size);
        IF est > 2 * search_cap THEN
            -- the rows in scope of the other filters: the unfiltered list's from its kept plan
            IF scope IS NULL THEN
                scope := CASE WHEN scope_where_sql = '' THEN helpdesk.ticket_list_estimate('SELECT FROM helpdesk.tickets t')
                              ELSE helpdesk.estimate_rows('SELECT FROM helpdesk.tickets t' || scope_where_sql, actor.id,
                                                          submitter_id, status, priority, category_id, assignee_id, pattern, at) END;
            END IF;
            -- give up on the walk (the planner was wrong: a rare string) after the rows that
            -- four times the expected matches would need
            walk := helpdesk.ticket_list_walk(walk_sql, actor.id, submitter_id, status, priority, category_id,
                                              assignee_id, pattern, at, page_offset, page_size, want,
                                              greatest(4 * want * (scope + 1) / est, 200));
            IF (walk ->> 'matches')::bigint < want AND NOT (walk -> 'end')::boolean THEN
                walk := NULL;
            END IF;
        END IF;
        IF walk IS NULL THEN
            -- One statement collects up to search_cap + 1 matches through the trigram index and pages
            -- them: exact, the page is among them; past the bound, the walk below.
            found := helpdesk.ticket_list_run(format(
                'WITH m AS MATERIALIZED (SELECT t.id, t.%I AS k FROM helpdesk.tickets t%s LIMIT %s) '
                'SELECT jsonb_build_object(''n'', (SELECT count(*) FROM m), ''ids'', (SELECT to_jsonb(array_agg(s.id)) '
                'FROM (SELECT m.id FROM m ORDER BY m.k %s, m.id %s LIMIT %s OFFSET $10) s))',
                helpdesk.ticket_sort_column(sort_by), where_sql, search_cap + 1, dir, dir, page_size),
                actor.id, submitter_id, status, priority, category_id, assignee_id, pattern, at, page_offset);
            counted := (found ->> 'n')::bigint;
            IF counted <= search_cap THEN
                total := counted;
                ids := ARRAY(SELECT x::int FROM jsonb_array_elements_text(nullif(found -> 'ids', 'null')) x);
            ELSE
                walk := helpdesk.ticket_list_walk(walk_sql, actor.id, submitter_id, status, priority, category_id,
                                                  assignee_id, pattern, at, page_offset, page_size, want, 0);
            END IF;
        END IF;
        IF walk IS NOT NULL THEN
            ids := ARRAY(SELECT x::int FROM jsonb_array_elements_text(walk -> 'ids') x);
            IF (walk -> 'end')::boolean THEN
                -- every row in scope was tested: exact
                total := (walk ->> 'matches')::bigint;
            ELSE
                -- The walk stopped at its want-th match after `walked` rows: (matches - 1) /
                -- (walked - 1) estimates the share of matching rows without bias (sampling
                -- until a number of successes), times the rows in scope of the other filters.
                -- Rows in another order than creation's can gather the word (sorted by title,
                -- "Printer ..." titles come together: 2.3x too high in the regression test), so
                -- the share is then read from a walk of the newest rows.
                IF helpdesk.ticket_sort_column(sort_by) <> 'created_at' THEN
                    sample := helpdesk.ticket_list_walk(format('SELECT t.id, %s FROM helpdesk.tickets t%s ORDER BY t.created_at DESC, t.id DESC',
                                                               helpdesk.ticket_search_cond('fields'), scope_where_sql),
                                                        actor.id, submitter_id, status, priority, category_id, assignee_id, pattern, at,
                                                        0, 0, sample_size, 0);
                ELSE
                    sample := walk;
                END IF;
                IF scope IS NULL THEN
                    scope := CASE WHEN scope_where_sql = '' THEN helpdesk.ticket_list_estimate('SELECT FROM helpdesk.tickets t')
                                  ELSE helpdesk.estimate_rows('SELECT FROM helpdesk.tickets t' || scope_where_sql, actor.id,
                                                              submitter_id, status, priority, category_id, assignee_id, pattern, at) END;
                END IF;
                total := greatest(round(((sample ->> 'matches')::numeric - 1) / greatest((sample ->> 'walked')::bigint - 1, 1)
                                        * greatest(scope, (sample ->> 'walked')::bigint))::bigint,
                                  (walk ->> 'matches')::bigint + 1);
                IF counted IS NULL AND total <= 2 * search_cap THEN
                    -- near the bound: count exactly (at most search_cap + 1 matches through the index)
                    counted := helpdesk.ticket_list_run(format('SELECT to_jsonb(count(*)) FROM (SELECT FROM helpdesk.tickets t%s LIMIT %s) c',
                                                               where_sql, search_cap + 1),
                                                        actor.id, submitter_id, status, priority, category_id, assignee_id, pattern, at,
                                                        page_offset)::bigint;
                END IF;
                IF counted <= search_cap THEN
                    total := counted;
                ELSE
                    estimated := true;
                    total := greatest(total, search_cap + 1);
                END IF;
            END IF;
        END IF;
    ELSE
        -- the list without a search is helpdesk.ticket_list's own (C)
        RAISE EXCEPTION 'ticket_list_search needs a search' USING ERRCODE = 'XX000';
    END IF;
    IF cardinality(ids) > 0 THEN
        -- the page's rows in the page's order
        SELECT helpdesk.ticket_json_agg(t, su, au, c, helpdesk.sla_clock_breached(r, at), false ORDER BY p.ord) INTO items
        FROM unnest(ids) WITH ORDINALITY p(id, ord)
        JOIN helpdesk.tickets t ON t.id = p.id
        LEFT JOIN helpdesk.users su ON su.id = t.submitter_id
        LEFT JOIN helpdesk.users au ON au.id = t.assignee_id
        LEFT JOIN helpdesk.categories c ON c.id = t.category_id
        LEFT JOIN helpdesk.sla_clocks r ON r.ticket_id = t.id AND r.kind = 'resolution';
    END IF;
    RETURN helpdesk.paginated('tickets', items, total, page, page_size, estimated);
END
$$;

-- Runs one ticket_list statement (built by ticket_list from fixed fragments only; the request's
-- values are its parameters $1..$10, $8 unused) through a generic plan kept by this connection
-- for that statement's text, so each shape is parsed and planned once (extension/list_plans.c).
-- Returns the statement's one jsonb value.
CREATE FUNCTION helpdesk.ticket_list_run(query text, p1 int, p2 int, p3 helpdesk.ticket_status,
                                         p4 helpdesk.ticket_priority, p5 int, p6 int, p7 text,
                                         p9 timestamptz, p10 bigint)
RETURNS jsonb
LANGUAGE c STABLE
AS 'MODULE_PATHNAME', 'helpdesk_ticket_list_run';

-- Walks one ticket_list statement returning (id, matched) in the list's order through the plan
-- this connection keeps for it, until `want` rows matched, the rows ran out or `budget` rows
-- were read (0: none): {"ids": matches skip+1 .. skip+take, "walked", "matches", "end"}
-- (extension/list_plans.c). What a search's page and its estimated total come from.
CREATE FUNCTION helpdesk.ticket_list_walk(query text, p1 int, p2 int, p3 helpdesk.ticket_status,
                                          p4 helpdesk.ticket_priority, p5 int, p6 int, p7 text,
                                          p9 timestamptz, skip bigint, take int, want bigint, budget bigint)
RETURNS jsonb
LANGUAGE c STABLE
AS 'MODULE_PATHNAME', 'helpdesk_ticket_list_walk';

-- The planner's estimate of the rows of a ticket_list statement without parameters, from the
-- generic plan this connection keeps for it (extension/list_plans.c): no planning per call.
CREATE FUNCTION helpdesk.ticket_list_estimate(query text)
RETURNS bigint
LANGUAGE c STABLE
AS 'MODULE_PATHNAME', 'helpdesk_ticket_list_estimate';

-- The ticket list (see "The ticket list" above): without a search, one statement per call
-- through the plan this connection keeps for its shape, the page written in C
-- (extension/list_plans.c); a search, or explain, goes to helpdesk.ticket_list_search.
CREATE FUNCTION helpdesk.ticket_list(actor helpdesk.users,
                                     status helpdesk.ticket_status DEFAULT NULL,
                                     priority helpdesk.ticket_priority DEFAULT NULL,
                                     category_id int DEFAULT NULL,
                                     submitter_id int DEFAULT NULL,
                                     assignee_id int DEFAULT NULL,
                                     unassigned boolean DEFAULT false,
                                     search text DEFAULT NULL,
                                     sla_breached boolean DEFAULT false,
                                     sla_at_risk boolean DEFAULT false,
                                     page int DEFAULT 1, page_size int DEFAULT 10,
                                     sort_by text DEFAULT 'createdAt', sort_order text DEFAULT 'DESC',
                                     at timestamptz DEFAULT now(), explain boolean DEFAULT false)
RETURNS jsonb
LANGUAGE c STABLE
AS 'MODULE_PATHNAME', 'helpdesk_ticket_list';

-- Runs one operation on each ticket of a bulk request, each one all or nothing in its own
-- subtransaction, and reports {success, failed, errors}. Expected refusals (the HDnnn errors,
-- constraint violations) are reported per item as "Ticket <id>: <reason>"; anything else aborts
-- the whole request. Each item goes through the same domain function as the single route, so
-- the same rules hold.
CREATE FUNCTION helpdesk.ticket_bulk(actor helpdesk.users, ticket_ids int[], op text,
                                     assignee_id int DEFAULT NULL, new_status helpdesk.ticket_status DEFAULT NULL)
RETURNS jsonb
LANGUAGE plpgsql
AS $$
DECLARE
    tid int;
    ok int := 0;
    errors text[] := '{}';
    st text;
    msg text;
BEGIN
    FOR tid IN SELECT i FROM unnest(ticket_ids) WITH ORDINALITY u(i, n) GROUP BY i ORDER BY min(n) LOOP
        BEGIN
            CASE op
                WHEN 'assign' THEN
                    PERFORM helpdesk.ticket_assign(tid, assignee_id, actor,
                                                   role_message => 'Can only assign to IT Staff or Admin');
                WHEN 'status' THEN
                    PERFORM helpdesk.ticket_transition(tid, new_status, actor);
                WHEN 'delete' THEN
                    PERFORM helpdesk.ticket_delete(tid, actor);
            END CASE;
            ok := ok + 1;
        EXCEPTION
            WHEN SQLSTATE 'HD400' OR SQLSTATE 'HD403' OR SQLSTATE 'HD404' OR SQLSTATE 'HD409'
                 OR SQLSTATE 'HD422' OR integrity_constraint_violation THEN
                GET STACKED DIAGNOSTICS st = RETURNED_SQLSTATE, msg = MESSAGE_TEXT;
                errors := errors || format('Ticket %s: %s', tid,
                    CASE WHEN st = 'HD404' THEN 'Not found'
                         WHEN st LIKE 'HD%' THEN msg
                         ELSE 'Conflicts with another change' END);
        END;
    END LOOP;
    RETURN jsonb_build_object('success', ok, 'failed', cardinality(errors), 'errors', to_jsonb(errors));
END
$$;

-- Bulk assign (IT_Staff, Admin): the assign rules per item.
CREATE FUNCTION helpdesk.ticket_bulk_assign(actor helpdesk.users, ticket_ids int[], assignee_id int)
RETURNS jsonb
LANGUAGE plpgsql
AS $$
BEGIN
    PERFORM helpdesk.require_role(actor, 'IT_Staff', 'Admin');
    PERFORM helpdesk.assignable_user(assignee_id, 'Can only assign to IT Staff or Admin');
    RETURN helpdesk.ticket_bulk(actor, ticket_ids, 'assign', assignee_id => assignee_id);
END
$$;

-- Bulk status (anyone): the change-status rules per item.
CREATE FUNCTION helpdesk.ticket_bulk_status(actor helpdesk.users, ticket_ids int[], new_status helpdesk.ticket_status)
RETURNS jsonb
LANGUAGE sql
AS $$ SELECT helpdesk.ticket_bulk(actor, ticket_ids, 'status', new_status => new_status) $$;

-- Bulk delete (Admin), audited as one action besides each ticket's own row.
CREATE FUNCTION helpdesk.ticket_bulk_delete(actor helpdesk.users, ticket_ids int[])
RETURNS jsonb
LANGUAGE plpgsql
AS $$
DECLARE
    result jsonb;
BEGIN
    PERFORM helpdesk.require_role(actor, 'Admin');
    result := helpdesk.ticket_bulk(actor, ticket_ids, 'delete');
    PERFORM helpdesk.audit('BULK_DELETE_TICKETS', 'ticket', NULL,
                           jsonb_build_object('ticketIds', to_jsonb(ticket_ids), 'result', result));
    RETURN result;
END
$$;

-- Ticket counts by status: an Employee's submitted tickets, an IT_Staff's assigned tickets, all
-- tickets for an Admin. byStatus has one key per status (camelCase of its label).
CREATE FUNCTION helpdesk.ticket_stats(actor helpdesk.users)
RETURNS jsonb
LANGUAGE plpgsql STABLE
AS $$
DECLARE
    n jsonb;
BEGIN
    -- one branch per role (one-time filters), each a GROUP BY over an index on its column
    SELECT coalesce(jsonb_object_agg(c.status, c.n), '{}') INTO n FROM (
        SELECT t.status, count(*) AS n FROM helpdesk.tickets t
        WHERE actor.role = 'Employee' AND t.submitter_id = actor.id GROUP BY t.status
        UNION ALL
        SELECT t.status, count(*) FROM helpdesk.tickets t
        WHERE actor.role = 'IT_Staff' AND t.assignee_id = actor.id GROUP BY t.status
        UNION ALL
        SELECT t.status, count(*) FROM helpdesk.tickets t
        WHERE actor.role = 'Admin' GROUP BY t.status) c;
    RETURN jsonb_build_object(
        'total', (SELECT coalesce(sum(v::bigint), 0) FROM jsonb_each_text(n) e(k, v)),
        'byStatus', (SELECT jsonb_object_agg(helpdesk.camel_case(s::text), coalesce(n -> s::text, '0'))
                     FROM unnest(pg_catalog.enum_range(NULL::helpdesk.ticket_status)) s));
END
$$;

-- The tickets assigned to the actor (IT_Staff, Admin), newest first.
CREATE FUNCTION helpdesk.ticket_list_assigned(actor helpdesk.users, status helpdesk.ticket_status DEFAULT NULL,
                                              page int DEFAULT 1, page_size int DEFAULT 10)
RETURNS jsonb
LANGUAGE plpgsql STABLE
AS $$
BEGIN
    PERFORM helpdesk.require_role(actor, 'IT_Staff', 'Admin');
    RETURN helpdesk.ticket_list(actor, status => status, assignee_id => actor.id, page => page, page_size => page_size);
END
$$;

-- A category's ticket count (GET /categories/:id/stats): whether it can be deleted.
CREATE FUNCTION helpdesk.category_stats(category_id int)
RETURNS jsonb
LANGUAGE sql STABLE
AS $$
    SELECT jsonb_build_object('id', c.id, 'name', c.name, 'ticketCount', n, 'isActive', c.is_active,
                              'canBeDeleted', n = 0)
    FROM helpdesk.category_get(category_id) c,
         LATERAL (SELECT count(*) AS n FROM helpdesk.tickets t WHERE t.category_id = c.id) k
$$;

