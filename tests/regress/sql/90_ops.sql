-- What an operator watches (sql/90_ops.sql): the version, the SLA watcher's heartbeat, the
-- outbox backlog, readiness and the database's metrics. Clocks are passed in; the live
-- watcher's figures are only compared, never printed.
SET TimeZone = 'UTC';
\set VERBOSITY terse

-- One version: the module's (helpdesk.control, compiled in) is the installed SQL's.
SELECT helpdesk.version() = (SELECT extversion FROM pg_extension WHERE extname = 'helpdesk') AS same_version,
       helpdesk.version() ~ '^[0-9]+\.[0-9]+' AS looks_like_a_version;

-- The live heartbeat: 59_sla_worker had the watcher breach a ticket in this database.
SELECT preloaded, running, database = current_database() AS here, last_round_ok,
       rounds >= 1 AS rounded, breaches >= 1 AS breached, warnings >= 0 AS warned,
       last_round_at <= clock_timestamp() AS round_in_the_past, started_at <= last_round_at AS started_first
FROM helpdesk.sla_watcher_status();

-- The watcher's problems, from made-up heartbeats at a fixed instant, the cluster up since 08:00
-- (helpdesk.worker_idle_seconds is 60 here, the grace 60 s by default).
CREATE TEMP TABLE beats (label text, h helpdesk.sla_watcher_heartbeat);
INSERT INTO beats VALUES
  ('healthy',      ROW(true, true, current_database(), '2030-01-07 08:00+00', '2030-01-07 09:59+00', true, NULL, NULL, 10, 0, 1, 2, 0)),
  ('not preloaded', ROW(false, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL)),
  ('other database', ROW(true, true, 'elsewhere', '2030-01-07 08:00+00', '2030-01-07 09:59+00', true, NULL, NULL, 10, 0, 0, 0, 0)),
  ('restarting',   ROW(true, false, current_database(), '2030-01-07 08:00+00', '2030-01-07 09:59+00', true, NULL, NULL, 10, 0, 0, 0, 0)),
  ('not running',  ROW(true, false, current_database(), '2030-01-07 08:00+00', '2030-01-07 09:30+00', true, NULL, NULL, 10, 0, 0, 0, 0)),
  ('never started', ROW(true, false, current_database(), NULL, NULL, NULL, NULL, NULL, 0, 0, 0, 0, 0)),
  ('starting',     ROW(true, true, current_database(), '2030-01-07 09:59:30+00', NULL, NULL, NULL, NULL, 0, 0, 0, 0, 0)),
  ('never rounded', ROW(true, true, current_database(), '2030-01-07 09:00+00', NULL, NULL, NULL, NULL, 0, 0, 0, 0, 0)),
  ('at the limit', ROW(true, true, current_database(), '2030-01-07 08:00+00', '2030-01-07 09:58+00', true, NULL, NULL, 10, 0, 0, 0, 0)),
  ('stale',        ROW(true, true, current_database(), '2030-01-07 08:00+00', '2030-01-07 09:56:40+00', true, NULL, NULL, 10, 0, 0, 0, 0)),
  ('failing',      ROW(true, true, current_database(), '2030-01-07 08:00+00', '2030-01-07 09:59+00', false, 'deadlock detected', NULL, 10, 3, 0, 0, 0));
SELECT label, helpdesk.sla_watcher_problem(h, '2030-01-07 10:00+00', '2030-01-07 08:00+00') AS problem FROM beats;
-- a cluster that started a minute ago: the watcher not started yet is waiting for its start
SELECT label, helpdesk.sla_watcher_problem(h, '2030-01-07 10:00+00', '2030-01-07 09:59+00') AS problem
FROM beats WHERE label = 'never started';
-- a longer grace (settings) forgives the stale one
INSERT INTO helpdesk.settings (setting_key, setting_value) VALUES ('ready_watcher_grace_seconds', '300');
SELECT label, helpdesk.sla_watcher_problem(h, '2030-01-07 10:00+00', '2030-01-07 08:00+00') AS problem
FROM beats WHERE label = 'stale';
DELETE FROM helpdesk.settings WHERE setting_key = 'ready_watcher_grace_seconds';

-- The outbox backlog: counted by status; the oldest waiting message's age. (The mail earlier
-- suites queued is set aside first: this database is shared by every suite.)
DELETE FROM helpdesk.email_outbox;
INSERT INTO helpdesk.email_outbox (recipient, subject, body_text, template, status, created_at, attempts) VALUES
  ('a@example.com', 's', 'b', 'test', 'pending', '2030-01-07 09:00+00', 1),
  ('b@example.com', 's', 'b', 'test', 'pending', '2030-01-07 09:30+00', 1),
  ('c@example.com', 's', 'b', 'test', 'failed', '2030-01-07 08:00+00', 8),
  ('d@example.com', 's', 'b', 'test', 'sent', '2030-01-07 08:00+00', 1);
SELECT * FROM helpdesk.outbox_stats();
SELECT helpdesk.outbox_problem(2, '2030-01-07 09:00+00', '2030-01-07 09:59:59+00') AS within_an_hour,
       helpdesk.outbox_problem(2, '2030-01-07 09:00+00', '2030-01-07 10:00:01+00') AS over_an_hour,
       helpdesk.outbox_problem(1001, '2030-01-07 09:00+00', '2030-01-07 09:10+00') AS too_many,
       helpdesk.outbox_problem(1000, '2030-01-07 09:00+00', '2030-01-07 09:10+00') AS at_the_limit,
       helpdesk.outbox_problem(0, NULL, '2030-01-07 09:10+00') AS empty;
INSERT INTO helpdesk.settings (setting_key, setting_value) VALUES ('ready_outbox_max_pending', '1'),
                                                                  ('ready_outbox_max_age_minutes', '120');
SELECT helpdesk.outbox_problem(2, '2030-01-07 09:00+00', '2030-01-07 10:30+00') AS two_over_one,
       helpdesk.outbox_problem(1, '2030-01-07 09:00+00', '2030-01-07 10:30+00') AS aged_but_allowed;
DELETE FROM helpdesk.settings WHERE setting_key IN ('ready_outbox_max_pending', 'ready_outbox_max_age_minutes');

-- The database's metrics at a fixed instant: the outbox's values (the live watcher is stale by
-- 2030, so not ready).
SELECT m ->> 'name' AS name, m -> 'value' AS value
FROM jsonb_array_elements(helpdesk.metrics('2030-01-07 09:30+00')) m
WHERE m ->> 'name' LIKE 'helpdesk_outbox%' OR m ->> 'name' IN ('helpdesk_ready', 'helpdesk_sla_watcher_up');

-- Readiness gathers the three: now, the live watcher is healthy and the outbox's messages
-- (dated 2030) have not waited at all...
SELECT r -> 'ready' AS ready, r -> 'problems' AS problems, r -> 'outbox' AS outbox, r -> 'database' AS database,
       r #> '{slaWatcher,running}' AS watcher_running, r #> '{slaWatcher,lastRoundOk}' AS last_round_ok
FROM helpdesk.readiness(clock_timestamp()) r;
-- ... years later the watcher is stale and the outbox backed up: two problems, each named
SELECT r -> 'ready' AS ready, jsonb_array_length(r -> 'problems') AS problems,
       r #>> '{problems,0}' LIKE 'SLA watcher''s last round ended % s ago (it rounds at least every 60 s)' AS watcher_named,
       r #>> '{problems,1}' AS outbox_problem
FROM helpdesk.readiness('2040-01-01 00:00+00') r;
-- ... unless no sender has tried them: e-mail off (EMAIL_ENABLED=false), the outbox is a record
UPDATE helpdesk.email_outbox SET attempts = 0 WHERE status = 'pending';
SELECT jsonb_array_length(r -> 'problems') AS problems_with_mail_off, r #> '{outbox,pending}' AS still_counted
FROM helpdesk.readiness('2040-01-01 00:00+00') r;
UPDATE helpdesk.email_outbox SET attempts = 1 WHERE status = 'pending';

-- The route: 200 with the checks now (the test rows are recent enough), 503 naming each
-- problem when the backlog is over the limit.
UPDATE helpdesk.email_outbox SET created_at = clock_timestamp() WHERE status = 'pending';
SELECT (helpdesk_api.health_ready('{}') -> 'ready') AS ready;
INSERT INTO helpdesk.settings (setting_key, setting_value) VALUES ('ready_outbox_max_pending', '1');
SELECT helpdesk_api.health_ready('{}');
DELETE FROM helpdesk.settings WHERE setting_key = 'ready_outbox_max_pending';

-- The database's metrics for GET /metrics: names, types, help, numbers.
SELECT m ->> 'name' AS name, m ->> 'type' AS type, length(m ->> 'help') > 10 AS has_help,
       jsonb_typeof(m -> 'value') AS value_type
FROM jsonb_array_elements(helpdesk_api.metrics('{}')) m;
SELECT (m -> 'value')::numeric >= 1 AS breaches_counted
FROM jsonb_array_elements(helpdesk.metrics(clock_timestamp())) m WHERE m ->> 'name' = 'helpdesk_sla_breaches_total';

-- 503 is an error status routes may raise.
SELECT helpdesk.http_error(503, 'Down for maintenance');
DELETE FROM helpdesk.email_outbox WHERE template = 'test';
