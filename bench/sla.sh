#!/usr/bin/env bash
# SLA watcher benchmarks, measured in one run on this machine:
#   (a) helpdesk.sla_scan(now()) with N open tickets (default 1,000,000) and nothing due, and
#       helpdesk.sla_next_deadline() (the watcher's wake-up read);
#   (b) helpdesk.sla_scan(now()) when 1,000 of them are due (breach event, history row,
#       notifications, and an escalation rule for High tickets), rolled back and repeated;
#   (c) breach latency under a write load: tickets whose response deadline falls a few seconds
#       ahead while pgbench changes priorities and adds comments; latency = the breach row's
#       timestamp (the watcher's transaction) minus the deadline.
#
#   bench/sla.sh     (needs a built tree: make; installs into a private PostgreSQL root)
# Environment: BENCH_TICKETS (1000000), BENCH_DUE (1000), BENCH_SECONDS (30), BENCH_PG_CLIENTS (8).
#
# Data: bench/generate.sql (comments=0: they do not matter here), then every ticket is made open
# (In Progress, assigned, answered) and given its clocks by one set-based INSERT computing the same
# columns the triggers write (running resolution clock started in the last hour, response clock
# met): per-ticket trigger work for a million rows would measure the loader, not the scan.
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
. "$repo/tests/lib/cluster.sh"
HD_CLUSTER_FAST=1  # throwaway clusters: speed over durability (tests/lib/cluster.sh)

tickets=${BENCH_TICKETS:-1000000}
due=${BENCH_DUE:-1000}
seconds=${BENCH_SECONDS:-30}
pg_clients=${BENCH_PG_CLIENTS:-8}

work=$(mktemp -d /tmp/hd-sla-bench.XXXXXX)
chmod 755 "$work"
cleanup() {
    [ -n "${load_pid:-}" ] && kill "$load_pid" 2>/dev/null
    [ -f "$work/cluster/server.log" ] && grep -E "FATAL|PANIC" "$work/cluster/server.log" | grep -v "database \"bench\" does not exist" | tail -5 >&2
    hd_cluster_stop "$work/cluster"
    rm -rf "$work" "${HD_PGROOT:-/nonexistent}"
}
trap cleanup EXIT

# A private PostgreSQL root like tests/lib/cluster.sh's hd_pgroot_prepare, under a name of its
# own so that test runs cleaning up /tmp/helpdesk-pgroot.* never pull it from under a long run.
bindir=$("$HD_PG_CONFIG" --bindir); sharedir=$("$HD_PG_CONFIG" --sharedir)
HD_PGROOT=$(mktemp -d /tmp/hd-sla-bench-root.XXXXXX)
chmod 755 "$HD_PGROOT"
mkdir -p "$HD_PGROOT$(dirname "${bindir%/bin}")" "$HD_PGROOT$(dirname "$sharedir")"
cp -a "${bindir%/bin}" "$HD_PGROOT${bindir%/bin}"
cp -a "$sharedir" "$HD_PGROOT$sharedir"
make -C "$repo" --no-print-directory -s install DESTDIR="$HD_PGROOT" >/dev/null
HD_PGBIN=$HD_PGROOT$bindir
port=$(hd_free_port)
hd_cluster_start "$work/cluster" "$port" "helpdesk.database_name = 'bench'" "shared_buffers = 2GB" \
    "max_wal_size = 8GB" "checkpoint_timeout = 30min" "log_min_messages = log" "max_connections = 100" "jit = off"
hd_database_create "$work/cluster" "$port" bench >/dev/null
q() { hd_psql "$work/cluster" "$port" bench "$@"; }
q -f "$repo/demo/seed.sql" >/dev/null
q -c "SELECT helpdesk.calendar_ensure_default('UTC')" >/dev/null

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(free -g | awk '/Mem:/ {print $2}') GiB, $(date -u +%Y-%m-%dT%H:%MZ)"
t0=$(date +%s)
# generate.sql pads ticket numbers with lpad(n, 4), which cuts numbers past 9999 and collides
# beyond 10,000 tickets a year: this run uses a copy padded to 6 digits.
sed "s/::text, 4, '0'),/::text, 6, '0'),/" "$repo/bench/generate.sql" >"$work/generate.sql"
grep -q "::text, 6, '0')," "$work/generate.sql" || { echo "bench/generate.sql changed: check the ticket number patch" >&2; exit 1; }
chown postgres "$work/generate.sql"
q -v tickets="$tickets" -v comments=0 -f "$work/generate.sql" >/dev/null
echo "loaded $tickets tickets in $(( $(date +%s) - t0 )) s"

# The watcher stays off while the scan is measured alone.
q -c "ALTER SYSTEM SET helpdesk.worker_enabled = off" -c "SELECT pg_reload_conf()" >/dev/null
t0=$(date +%s)
q <<'SQL' >/dev/null
SET session_replication_role = replica;
UPDATE helpdesk.tickets
SET status = 'In Progress', resolved_at = NULL, closed_at = NULL, first_response_at = created_at,
    assignee_id = coalesce(assignee_id, (SELECT min(id) FROM helpdesk.users WHERE role = 'IT_Staff'));
CREATE TEMP TABLE starts AS
SELECT t.id, t.priority, now() - random() * interval '1 hour' AS s,
       make_interval(hours => r.response_time_hours) AS resp, make_interval(hours => r.resolution_time_hours) AS res
FROM helpdesk.tickets t JOIN helpdesk.sla_rules r ON r.priority = t.priority;
INSERT INTO helpdesk.sla_clocks (ticket_id, kind, state, cycle, target, cycle_start, due_at, warn_at, stopped_at, next_deadline)
SELECT id, 'response', 'met', 1, resp, s, helpdesk.business_time_add(s, resp), NULL, s, NULL FROM starts;
INSERT INTO helpdesk.sla_clocks (ticket_id, kind, state, cycle, target, cycle_start, due_at, warn_at, next_deadline)
SELECT id, 'resolution', 'running', 1, res, s, d, w, w
FROM (SELECT id, res, s, helpdesk.business_time_add(s, res) AS d, helpdesk.business_time_add(s, res * 0.8) AS w
      FROM starts) x;
UPDATE helpdesk.tickets t SET due_date = c.due_at, response_due_at = r.due_at
FROM helpdesk.sla_clocks c, helpdesk.sla_clocks r
WHERE c.ticket_id = t.id AND c.kind = 'resolution' AND r.ticket_id = t.id AND r.kind = 'response';
-- the reference's seed escalation rules
INSERT INTO helpdesk.escalation_rules (name, priority, trigger_type, trigger_hours, escalation_level, target_type, target_role) VALUES
    ('High Priority SLA Breach', 'High', 'sla_breached', NULL, 2, 'role', 'Admin'),
    ('High Priority At Risk', 'High', 'sla_at_risk', NULL, 1, 'role', 'IT_Staff'),
    ('No Assignment After 2 Hours', NULL, 'no_assignment', 2, 1, 'role', 'Admin'),
    ('No Response After 4 Hours', NULL, 'no_response', 4, 1, 'role', 'Admin');
VACUUM ANALYZE helpdesk.tickets;
VACUUM ANALYZE helpdesk.sla_clocks;
SQL
echo "clocks for $tickets open tickets in $(( $(date +%s) - t0 )) s: $(q -At -c "SELECT count(*) FROM helpdesk.sla_clocks") clock rows"

chown -R postgres "$work"
pgbench_ms() {  # script, transactions -> average latency in ms
    hd_as_postgres "$HD_PGBIN/pgbench" -n -M prepared -c 1 -t "$2" -h "$work/cluster" -p "$port" -U postgres \
        -f "$1" bench 2>/dev/null | sed -n 's/^latency average = \([0-9.]*\) ms/\1/p'
}
echo "SELECT * FROM helpdesk.sla_scan(now());" >"$work/scan.sql"
echo "SELECT helpdesk.sla_next_deadline();" >"$work/next.sql"
echo
echo "(a) nothing due, $tickets open tickets, 4 escalation rules:"
echo "    sla_scan(now())          $(pgbench_ms "$work/scan.sql" 200) ms per call (average of 200)"
echo "    sla_next_deadline()      $(pgbench_ms "$work/next.sql" 2000) ms per call (average of 2000)"

# (b) $due clocks made due one minute ago (already warned, so each fires a breach), rolled back.
cat >"$work/due.sql" <<SQL
\\timing on
BEGIN;
SET session_replication_role = replica;
WITH d AS (SELECT ticket_id FROM helpdesk.sla_clocks WHERE kind = 'resolution' ORDER BY hashint4(ticket_id) LIMIT $due)
UPDATE helpdesk.sla_clocks c SET due_at = now() - interval '1 minute', warn_at = now() - interval '10 minutes',
       warned_at = now() - interval '10 minutes', next_deadline = now() - interval '1 minute'
FROM d WHERE c.ticket_id = d.ticket_id AND c.kind = 'resolution';
UPDATE helpdesk.tickets t SET due_date = c.due_at FROM helpdesk.sla_clocks c
WHERE c.ticket_id = t.id AND c.kind = 'resolution' AND c.next_deadline < now();
SET session_replication_role = origin;
SELECT * FROM helpdesk.sla_scan(now());
ROLLBACK;
SQL
echo
echo "(b) $due due (of $tickets open):"
for i in 1 2 3; do
    q -f "$work/due.sql" | awk '/warnings/ {getline; getline; counts=$0; want=1}
        /^Time:/ && want {t=$2; want=0}
        END {print "    sla_scan(now())          " t " ms  (warnings | breaches | escalations: " counts ")"}'
done

# (c) breach latency under load, with the watcher on. A 24/7 calendar for this part, so a
# deadline "in 2 s" is 2 s of elapsed time whatever the hour.
q -c "UPDATE helpdesk.calendars SET is_default = false" \
  -c "ALTER SYSTEM SET helpdesk.worker_enabled = on" -c "SELECT pg_reload_conf()" >/dev/null
max_id=$(q -At -c "SELECT max(id) FROM helpdesk.tickets")
staff=$(q -At -c "SELECT min(id) FROM helpdesk.users WHERE role = 'IT_Staff'")
cat >"$work/load.sql" <<SQL
\\set id random(1, $max_id)
\\set p random(1, 2)
BEGIN;
SELECT set_config('helpdesk.actor_id', '$staff', true);
UPDATE helpdesk.tickets SET priority = CASE WHEN :p = 1 THEN 'High' ELSE 'Medium' END::helpdesk.ticket_priority WHERE id = :id;
INSERT INTO helpdesk.comments (ticket_id, user_id, content, type) VALUES (:id, $staff, 'bench comment', 'internal');
COMMIT;
SQL
chown postgres "$work/load.sql"
hd_as_postgres "$HD_PGBIN/pgbench" -n -M prepared -c "$pg_clients" -j "$(nproc)" -T "$seconds" \
    -h "$work/cluster" -p "$port" -U postgres -f "$work/load.sql" bench >"$work/load.out" 2>&1 &
load_pid=$!
sleep 2
submitter=$(q -At -c "SELECT min(id) FROM helpdesk.users WHERE role = 'Employee'")
cat_id=$(q -At -c "SELECT min(id) FROM helpdesk.categories")
n=0
while [ $n -lt $(( seconds - 6 )) ]; do
    q -c "INSERT INTO helpdesk.tickets (ticket_number, title, description, category_id, priority, submitter_id, created_at)
          VALUES ('LAT-$n', 'latency $n', 'deadline in 2 s', $cat_id, 'High', $submitter,
                  clock_timestamp() - interval '1 hour' + interval '2 seconds')" >/dev/null
    n=$((n + 1))
    sleep 1
done
wait "$load_pid"; load_pid=
sleep 3
echo
echo "(c) breach latency under load ($(sed -n 's/^tps = \([0-9.]*\).*/\1/p' "$work/load.out" | head -1) write transactions/s from $pg_clients clients, $n deadlines):"
q -At -F ' ' <<'SQL' | awk '{print "    deadline -> breach row   min " $1 " ms, median " $2 " ms, p95 " $3 " ms, max " $4 " ms, " $5 " of " $6 " breached"}'
SELECT round(min(ms)), round(percentile_cont(0.5) WITHIN GROUP (ORDER BY ms)), round(percentile_cont(0.95) WITHIN GROUP (ORDER BY ms)),
       round(max(ms)), count(ms), (SELECT count(*) FROM helpdesk.tickets WHERE ticket_number LIKE 'LAT-%')
FROM (SELECT extract(epoch FROM e.created_at - e.at) * 1000 AS ms
      FROM helpdesk.sla_events e JOIN helpdesk.tickets t ON t.id = e.ticket_id
      WHERE t.ticket_number LIKE 'LAT-%' AND e.clock = 'response' AND e.event = 'breached') x;
SQL
