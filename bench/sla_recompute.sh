#!/usr/bin/env bash
# Recomputing every open ticket's SLA clocks when the rules or the calendar change
# (sql/54_sla_recompute.sql): where to do it, measured in one run on this machine.
#
#   (a) in the editing transaction: an edit of the business hours (every open clock's deadline
#       moves) and helpdesk.sla_recompute_all(now()) in one transaction, rolled back; and the
#       same pass when nothing changes (a holiday in 2099: every clock computed, none written);
#   (b) queued, with the watcher on: the edit commits, the watcher does the pass in batches of
#       sla_recompute_batch tickets; the time from the commit until the queue is empty, and the
#       latency of single ticket writes (a priority change, one transaction each) made meanwhile
#       against the same writes with no pass running (the baseline, measured in the same run).
#
#   bench/sla_recompute.sh     (needs a built tree: make; installs into a private PostgreSQL root)
# Environment: BENCH_TICKETS (1000000), BENCH_BATCH (the setting sla_recompute_batch, 200),
# BENCH_PASS_SECONDS (stop measuring the queued pass after this long and report its rate;
# default: until it is through),
# BENCH_PROBES (single writes measured with no pass running, 200; during the pass they go on
# until it is through).
#
# Data as bench/sla.sh: bench/generate.sql (comments=0), every ticket made open (In Progress,
# answered) with its clocks written by one set-based INSERT (resolution running, started in the
# last hour; response met), on a Monday-Friday 08:00-17:30 UTC calendar.
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
. "$repo/tests/lib/cluster.sh"

tickets=${BENCH_TICKETS:-1000000}
batch=${BENCH_BATCH:-200}
probes=${BENCH_PROBES:-200}
pass_seconds=${BENCH_PASS_SECONDS:-0}

work=$(mktemp -d /tmp/hd-recompute-bench.XXXXXX)
chmod 755 "$work"
cleanup() {
    hd_cluster_stop "$work/cluster"
    rm -rf "$work" "${HD_PGROOT:-/nonexistent}"
}
trap cleanup EXIT

# A private PostgreSQL root under a name of its own (as bench/sla.sh), so that test runs
# cleaning up /tmp/helpdesk-pgroot.* never pull it from under a long run.
bindir=$("$HD_PG_CONFIG" --bindir); sharedir=$("$HD_PG_CONFIG" --sharedir)
HD_PGROOT=$(mktemp -d /tmp/hd-recompute-bench-root.XXXXXX)
chmod 755 "$HD_PGROOT"
mkdir -p "$HD_PGROOT$(dirname "${bindir%/bin}")" "$HD_PGROOT$(dirname "$sharedir")"
cp -a "${bindir%/bin}" "$HD_PGROOT${bindir%/bin}"
cp -a "$sharedir" "$HD_PGROOT$sharedir"
make -C "$repo" --no-print-directory -s install DESTDIR="$HD_PGROOT" >/dev/null
HD_PGBIN=$HD_PGROOT$bindir
port=$(hd_free_port)
hd_cluster_start "$work/cluster" "$port" "helpdesk.database_name = 'bench'" "shared_buffers = 2GB" \
    "max_wal_size = 8GB" "checkpoint_timeout = 30min" "log_min_messages = log" "max_connections = 100" "jit = off" \
    "helpdesk.worker_enabled = off"
hd_database_create "$work/cluster" "$port" bench >/dev/null
q() { hd_psql "$work/cluster" "$port" bench "$@"; }
q -f "$repo/demo/seed.sql" >/dev/null
q -c "UPDATE helpdesk.calendars SET time_zone = 'UTC' WHERE is_default" >/dev/null

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(free -g | awk '/Mem:/ {print $2}') GiB, $(date -u +%Y-%m-%dT%H:%MZ), load $(cut -d' ' -f1-3 /proc/loadavg)"
t0=$(date +%s)
q -v tickets="$tickets" -v comments=0 <"$repo/bench/generate.sql" >/dev/null
q <<'SQL' >/dev/null
SET session_replication_role = replica;
UPDATE helpdesk.tickets
SET status = 'In Progress', resolved_at = NULL, closed_at = NULL, first_response_at = created_at,
    assignee_id = coalesce(assignee_id, (SELECT min(id) FROM helpdesk.users WHERE role = 'IT_Staff'));
CREATE TEMP TABLE starts AS
SELECT t.id, t.priority, now() - random() * interval '1 hour' AS s,
       make_interval(hours => r.response_time_hours) AS resp, make_interval(hours => r.resolution_time_hours) AS res
FROM helpdesk.tickets t JOIN helpdesk.sla_rules r ON r.priority = t.priority;
INSERT INTO helpdesk.sla_clocks (ticket_id, kind, state, cycle, target, cycle_start, due_at, warn_at, stopped_at, next_deadline, pauses)
SELECT id, 'response', 'met', 1, resp, s, helpdesk.business_time_add(s, resp), NULL, s, NULL, '{}' FROM starts;
INSERT INTO helpdesk.sla_clocks (ticket_id, kind, state, cycle, target, cycle_start, due_at, warn_at, next_deadline, pauses)
SELECT id, 'resolution', 'running', 1, res, s, d, w, w, '{}'
FROM (SELECT id, res, s, helpdesk.business_time_add(s, res) AS d, helpdesk.business_time_add(s, res * 0.8) AS w
      FROM starts) x;
UPDATE helpdesk.tickets t SET due_date = c.due_at, response_due_at = r.due_at
FROM helpdesk.sla_clocks c, helpdesk.sla_clocks r
WHERE c.ticket_id = t.id AND c.kind = 'resolution' AND r.ticket_id = t.id AND r.kind = 'response';
DELETE FROM helpdesk.sla_recompute_requests;
VACUUM ANALYZE helpdesk.tickets;
VACUUM ANALYZE helpdesk.sla_clocks;
SQL
q -c "INSERT INTO helpdesk.settings (setting_key, setting_value, setting_type) VALUES ('sla_recompute_batch', '$batch', 'number')" >/dev/null
echo "loaded $tickets open tickets with their clocks in $(( $(date +%s) - t0 )) s"

# ms SQL...: wall-clock milliseconds of one psql run
ms() {
    local s e
    s=$(date +%s%N); q "$@" >/dev/null; e=$(date +%s%N)
    echo $(( (e - s) / 1000000 ))
}

echo
echo "(a) in the editing transaction ($tickets open tickets), rolled back:"
t=$(ms <<'SQL'
BEGIN;
UPDATE helpdesk.business_hours SET end_time = '17:00' WHERE calendar_id = (SELECT id FROM helpdesk.calendars WHERE is_default);
SELECT helpdesk.sla_recompute_all(now());
ROLLBACK;
SQL
)
echo "    business hours edited, every open clock moved:      $t ms ($(( t * 1000 / tickets )) us per ticket)"
t=$(ms <<'SQL'
BEGIN;
INSERT INTO helpdesk.holidays (calendar_id, name, date) SELECT id, 'Far away', '2099-01-05' FROM helpdesk.calendars WHERE is_default;
SELECT helpdesk.sla_recompute_all(now());
ROLLBACK;
SQL
)
echo "    a holiday in 2099, every clock computed, none moved: $t ms ($(( t * 1000 / tickets )) us per ticket)"

# probe FILE [STOPFILE]: single ticket writes (a priority change, one transaction each), their
# latencies (ms) in FILE: $probes of them, or until STOPFILE exists
max_id=$(q -At -c "SELECT max(id) FROM helpdesk.tickets")
staff=$(q -At -c "SELECT min(id) FROM helpdesk.users WHERE role = 'IT_Staff'")
probe() {
    local i=0 id s e
    : >"$1"
    while if [ -n "${2:-}" ]; then [ ! -e "$2" ]; else [ $i -lt "$probes" ]; fi; do
        i=$((i + 1))
        id=$(( (RANDOM * 32768 + RANDOM) % max_id + 1 ))
        s=$(date +%s%N)
        q -c "BEGIN" -c "SELECT set_config('helpdesk.actor_id', '$staff', true)" \
          -c "UPDATE helpdesk.tickets SET priority = CASE priority WHEN 'High' THEN 'Medium' ELSE 'High' END::helpdesk.ticket_priority WHERE id = $id" \
          -c "COMMIT" >/dev/null
        e=$(date +%s%N)
        echo $(( (e - s) / 1000000 )) >>"$1"
    done
}
stats() { sort -n "$1" | awk '{a[NR]=$1} END {printf "median %d ms, p95 %d ms, max %d ms (%d writes)", a[int(NR/2)+1], a[int(NR*0.95)], a[NR], NR}'; }

echo
echo "(b) queued, done by the watcher in batches of $batch:"
probe "$work/probe-idle.txt"
echo "    single ticket writes, no pass running:  $(stats "$work/probe-idle.txt")"
q -c "ALTER SYSTEM SET helpdesk.worker_enabled = on" -c "SELECT pg_reload_conf()" >/dev/null
sleep 2
s=$(date +%s%N)
q -c "UPDATE helpdesk.business_hours SET end_time = '17:00' WHERE calendar_id = (SELECT id FROM helpdesk.calendars WHERE is_default)" >/dev/null
e=$(date +%s%N)
echo "    the edit commits in                     $(( (e - s) / 1000000 )) ms"
probe "$work/probe-pass.txt" "$work/pass-done" &
probe_pid=$!
while [ "$(q -At -c "SELECT count(*) FROM helpdesk.sla_recompute_requests")" != 0 ]; do
    [ "$pass_seconds" -gt 0 ] && [ $(( ($(date +%s%N) - s) / 1000000000 )) -ge "$pass_seconds" ] && break
    sleep 0.5
done
e=$(date +%s%N)
pass_ms=$(( (e - s) / 1000000 ))
touch "$work/pass-done"
wait "$probe_pid"
done_upto=$(q -At -c "SELECT coalesce(max(done_upto), $max_id) FROM helpdesk.sla_recompute_requests")
done_tickets=$(q -At -c "SELECT count(*) FROM helpdesk.tickets WHERE id <= $done_upto")
if [ "$done_tickets" -eq 0 ]; then
    echo "    pass stopped after                      $pass_ms ms: no round through yet"
elif [ "$done_tickets" -lt "$tickets" ]; then
    echo "    pass stopped after                      $pass_ms ms: $done_tickets tickets done ($(( pass_ms * 1000 / done_tickets )) us per ticket; all $tickets: ~$(( pass_ms * tickets / done_tickets / 1000 )) s)"
else
    echo "    pass through after                      $pass_ms ms ($(( pass_ms * 1000 / tickets )) us per ticket)"
fi
echo "    single ticket writes during the pass:   $(stats "$work/probe-pass.txt")"
echo "    first/last rounds in the server log:"
grep "tickets recomputed" "$work/cluster/server.log" | sed -n '1p;$p' | sed 's/^/      /'
echo "    recalculated events (the pass and the writes): $(q -At -c "SELECT count(*) FROM helpdesk.sla_events WHERE event = 'recalculated'")"
