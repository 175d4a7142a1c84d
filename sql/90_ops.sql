-- 90_ops: what an operator watches: the version, the SLA watcher's heartbeat, the outbox
-- backlog, readiness, and the database's metrics for GET /metrics. (Routes: sql/91_core_api.sql.)

-- The version this module was built as: helpdesk.control's default_version, compiled in
-- (extension/version.c); `helpdesk-http --version` prints the same. pg_extension.extversion is
-- the installed SQL's version, the same but between a package upgrade and its ALTER EXTENSION.
CREATE FUNCTION helpdesk.version()
RETURNS text
AS 'MODULE_PATHNAME', 'helpdesk_version'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

-- The SLA watcher's heartbeat (extension/sla_worker.c, shared memory): whether the module is
-- preloaded (else no watcher exists and the rest is NULL), whether a watcher is attached now, the
-- database it serves, when it started and last finished a round and how, when it plans to wake,
-- and what its rounds fired since the cluster started.
CREATE TYPE helpdesk.sla_watcher_heartbeat AS (
    preloaded     boolean,
    running       boolean,
    database      text,
    started_at    timestamptz,
    last_round_at timestamptz,
    last_round_ok boolean,
    last_error    text,
    planned_wake  timestamptz,
    rounds        bigint,
    failed_rounds bigint,
    warnings      bigint,
    breaches      bigint,
    escalations   bigint
);

CREATE FUNCTION helpdesk.sla_watcher_status()
RETURNS helpdesk.sla_watcher_heartbeat
AS 'MODULE_PATHNAME', 'helpdesk_sla_watcher_status'
LANGUAGE C VOLATILE;

-- Why the watcher `h` is not doing its job at `at`, or NULL when it is. It must run in this
-- database and have finished a round within the window of its longest sleep
-- (helpdesk.worker_idle_seconds) plus a grace (setting ready_watcher_grace_seconds, default 60:
-- a round's own time, the 10 s before a crashed worker is restarted). Within that window after
-- its (or the cluster's, `cluster_started_at`) start it is starting, not late. A watcher switched
-- off (helpdesk.worker_enabled = off) is an operator's decision, not a fault.
CREATE FUNCTION helpdesk.sla_watcher_problem(h helpdesk.sla_watcher_heartbeat, at timestamptz,
                                             cluster_started_at timestamptz)
RETURNS text
LANGUAGE plpgsql STABLE
AS $$
DECLARE
    idle interval := pg_catalog.current_setting('helpdesk.worker_idle_seconds')::interval;
    grace interval := pg_catalog.make_interval(secs => helpdesk.setting('ready_watcher_grace_seconds', '60')::int);
BEGIN
    IF NOT h.preloaded THEN
        RETURN 'SLA watcher not running: helpdesk is not in shared_preload_libraries';
    ELSIF NOT pg_catalog.current_setting('helpdesk.worker_enabled')::boolean THEN
        RETURN NULL;
    ELSIF h.database IS DISTINCT FROM pg_catalog.current_database() THEN
        RETURN format('SLA watcher serves database %s, not this one (helpdesk.database_name)', h.database);
    ELSIF h.last_round_at IS NOT NULL AND at - h.last_round_at <= idle + grace THEN
        IF NOT h.last_round_ok THEN
            RETURN 'SLA watcher''s last round failed: ' || coalesce(h.last_error, 'unknown error');
        END IF;
        RETURN NULL;
    ELSIF at - greatest(h.started_at, cluster_started_at) <= idle + grace THEN
        RETURN NULL;  -- starting: its first round is under way, or its start (or restart) is due
    ELSIF NOT h.running THEN
        RETURN 'SLA watcher not running';
    ELSIF h.last_round_at IS NULL THEN
        RETURN 'SLA watcher has finished no round since it started';
    END IF;
    RETURN format('SLA watcher''s last round ended %s s ago (it rounds at least every %s s)',
                  round(extract(epoch FROM at - h.last_round_at)), extract(epoch FROM idle)::int);
END
$$;

-- Messages the sender has given up on are failed: a partial index keeps counting them cheap on
-- an outbox that keeps every sent message.
CREATE INDEX email_outbox_failed_idx ON helpdesk.email_outbox (id) WHERE status = 'failed';

-- The outbox's backlog: messages waiting to be sent, the oldest one's creation, and the dead
-- letters (given up after the sender's last attempt). Read through the partial indexes.
CREATE FUNCTION helpdesk.outbox_stats(OUT pending bigint, OUT oldest_pending_at timestamptz,
                                      OUT dead_letters bigint)
LANGUAGE sql STABLE
AS $$
    SELECT (SELECT count(*) FROM helpdesk.email_outbox WHERE status = 'pending'),
           (SELECT min(created_at) FROM helpdesk.email_outbox WHERE status = 'pending'),
           (SELECT count(*) FROM helpdesk.email_outbox WHERE status = 'failed')
$$;

-- Why the outbox backlog is unhealthy at `at`, or NULL: more messages waiting than
-- ready_outbox_max_pending (default 1000), or one waiting longer than
-- ready_outbox_max_age_minutes (default 60): mail is not going out. Readiness passes only the
-- messages a sender has tried (attempts > 0): with e-mail off (EMAIL_ENABLED=false, the
-- default) nothing is tried, the outbox is a record of what would have been sent, and a desk
-- without SMTP must not turn unready an hour after its first mail.
CREATE FUNCTION helpdesk.outbox_problem(pending bigint, oldest_pending_at timestamptz, at timestamptz)
RETURNS text
LANGUAGE plpgsql STABLE
AS $$
DECLARE
    max_pending bigint := helpdesk.setting('ready_outbox_max_pending', '1000')::bigint;
    max_age interval := pg_catalog.make_interval(mins => helpdesk.setting('ready_outbox_max_age_minutes', '60')::int);
BEGIN
    IF pending > max_pending THEN
        RETURN format('outbox backlog: %s messages waiting (more than %s)', pending, max_pending);
    ELSIF oldest_pending_at IS NOT NULL AND at - oldest_pending_at > max_age THEN
        RETURN format('outbox backlog: a message has waited %s min (more than %s)',
                      floor(extract(epoch FROM at - oldest_pending_at) / 60), extract(epoch FROM max_age)::int / 60);
    END IF;
    RETURN NULL;
END
$$;

-- Readiness at `at`: the database answers (reaching this is the check) and accepts writes, the
-- watcher has a recent heartbeat, the outbox is not backed up. `problems` lists what is wrong;
-- ready when it is empty.
CREATE FUNCTION helpdesk.readiness(at timestamptz)
RETURNS jsonb
LANGUAGE plpgsql STABLE
AS $$
DECLARE
    h helpdesk.sla_watcher_heartbeat := helpdesk.sla_watcher_status();
    o record;
    tried record;  -- (pending, oldest_pending_at) of the messages a sender has tried
    problems text[] := ARRAY[]::text[];
    p text;
BEGIN
    SELECT * INTO o FROM helpdesk.outbox_stats();
    IF pg_catalog.pg_is_in_recovery() THEN
        problems := problems || 'database is a standby (read-only)'::text;
    END IF;
    p := helpdesk.sla_watcher_problem(h, at, pg_catalog.pg_postmaster_start_time());
    IF p IS NOT NULL THEN
        problems := problems || p;
    END IF;
    SELECT count(*) AS pending, min(e.created_at) AS oldest_pending_at INTO tried FROM helpdesk.email_outbox e
    WHERE e.status = 'pending' AND e.attempts > 0;
    p := helpdesk.outbox_problem(tried.pending, tried.oldest_pending_at, at);
    IF p IS NOT NULL THEN
        problems := problems || p;
    END IF;
    RETURN jsonb_build_object(
        'ready', cardinality(problems) = 0,
        'problems', to_jsonb(problems),
        'database', jsonb_build_object('connected', true, 'readOnly', pg_catalog.pg_is_in_recovery()),
        'slaWatcher', jsonb_build_object(
            'enabled', pg_catalog.current_setting('helpdesk.worker_enabled')::boolean,
            'running', coalesce(h.running, false),
            'database', h.database,
            'lastRoundAt', helpdesk.iso(h.last_round_at),
            'lastRoundOk', h.last_round_ok),
        'outbox', jsonb_build_object(
            'pending', o.pending,
            'oldestPendingAt', helpdesk.iso(o.oldest_pending_at),
            'deadLetters', o.dead_letters),
        'timestamp', helpdesk.iso(at));
END
$$;

-- The database's metrics at `at`, as data for helpdesk-http's GET /metrics (http/metrics.c
-- renders them): an array of {name, type (counter | gauge), help, value}.
CREATE FUNCTION helpdesk.metrics(at timestamptz)
RETURNS jsonb
LANGUAGE plpgsql STABLE
AS $$
DECLARE
    h helpdesk.sla_watcher_heartbeat := helpdesk.sla_watcher_status();
    o record;
    ready boolean := (helpdesk.readiness(at) ->> 'ready')::boolean;
BEGIN
    SELECT * INTO o FROM helpdesk.outbox_stats();
    RETURN jsonb_build_array(
        jsonb_build_object('name', 'helpdesk_ready', 'type', 'gauge',
            'help', '1 when GET /api/v1/health/ready answers 200.', 'value', ready::int),
        jsonb_build_object('name', 'helpdesk_outbox_pending', 'type', 'gauge',
            'help', 'E-mails waiting in the outbox to be sent.', 'value', o.pending),
        jsonb_build_object('name', 'helpdesk_outbox_oldest_pending_age_seconds', 'type', 'gauge',
            'help', 'How long the oldest waiting e-mail has waited (0: none waits).',
            'value', coalesce(round(extract(epoch FROM at - o.oldest_pending_at), 3), 0)),
        jsonb_build_object('name', 'helpdesk_outbox_dead_letters', 'type', 'gauge',
            'help', 'E-mails the sender gave up on (failed).', 'value', o.dead_letters),
        jsonb_build_object('name', 'helpdesk_sla_watcher_up', 'type', 'gauge',
            'help', '1 when an SLA watcher process is attached.', 'value', coalesce(h.running, false)::int),
        jsonb_build_object('name', 'helpdesk_sla_watcher_last_round_timestamp_seconds', 'type', 'gauge',
            'help', 'When the SLA watcher last finished a round (unix time; 0: never since the cluster started).',
            'value', coalesce(round(extract(epoch FROM h.last_round_at), 3), 0)),
        jsonb_build_object('name', 'helpdesk_sla_watcher_rounds_total', 'type', 'counter',
            'help', 'Rounds of the SLA watcher since the cluster started.', 'value', coalesce(h.rounds, 0)),
        jsonb_build_object('name', 'helpdesk_sla_watcher_failed_rounds_total', 'type', 'counter',
            'help', 'Rounds of the SLA watcher that failed since the cluster started.', 'value', coalesce(h.failed_rounds, 0)),
        jsonb_build_object('name', 'helpdesk_sla_warnings_total', 'type', 'counter',
            'help', 'SLA warnings recorded by the watcher since the cluster started.', 'value', coalesce(h.warnings, 0)),
        jsonb_build_object('name', 'helpdesk_sla_breaches_total', 'type', 'counter',
            'help', 'SLA breaches recorded by the watcher since the cluster started.', 'value', coalesce(h.breaches, 0)),
        jsonb_build_object('name', 'helpdesk_sla_escalations_total', 'type', 'counter',
            'help', 'Escalations made by the watcher since the cluster started.', 'value', coalesce(h.escalations, 0)));
END
$$;
