#!/usr/bin/env bash
# Where one route's SQL round trip spends its time: pg_stat_statements (track = all, planning
# tracked) over a short pgbench run of the route's exact statement, on a data set that
# bench/api.sh built (reused, never built here). Prints the top statements by total time, with
# calls, mean execution and mean planning milliseconds per call of the route.
#
#   BENCH_DATA_DIR=/var/tmp/hd-perf-10000 bench/route_profile.sh get
#   routes: get (GET /tickets/:id), list (default list), filtered, search, number, create
# Also the backend CPU microseconds per call (one client, PROFILE_CPU_CALLS calls): unlike
# calls/s, it holds on a machine loaded by others.
# Environment: BENCH_DATA_DIR (required: a data set built by bench/api.sh), PROFILE_SECONDS (5),
# PROFILE_CLIENTS (2), PROFILE_SQL (a file of SQL run before the profile), PROFILE_PERF=1 (also `perf record` every backend for the run and print
# the top symbols; needs perf).
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
. "$repo/tests/lib/cluster.sh"
route=${1:?route: get list filtered search number create}
data_dir=${BENCH_DATA_DIR:?BENCH_DATA_DIR: a data set built by bench/api.sh}
[ -f "$data_dir/built" ] || { echo "no data set in $data_dir (run bench/api.sh first)" >&2; exit 1; }
seconds=${PROFILE_SECONDS:-5}
clients=${PROFILE_CLIENTS:-2}
hd_pgroot_prepare "$repo"
port=$(hd_free_port)
perf_pid=
cleanup() {
    [ -n "$perf_pid" ] && kill -INT "$perf_pid" 2>/dev/null && wait "$perf_pid" 2>/dev/null
    hd_as_postgres "$HD_PGBIN/pg_ctl" -D "$data_dir/data" -m fast -w stop >/dev/null 2>&1 || true
    rm -rf "$HD_PGROOT"
}
trap cleanup EXIT
hd_as_postgres "$HD_PGBIN/pg_ctl" -D "$data_dir/data" -l "$data_dir/server.log" -w -t 60 start -o "-p $port \
    -c shared_preload_libraries=helpdesk,pg_stat_statements -c pg_stat_statements.track=all \
    -c pg_stat_statements.track_planning=on -c autovacuum=off" >/dev/null
q() { hd_psql "$data_dir" "$port" bench -At -c "$1"; }
q "ALTER EXTENSION helpdesk UPDATE" >/dev/null
q "CREATE EXTENSION IF NOT EXISTS pg_stat_statements" >/dev/null
# PROFILE_SQL: a file of SQL run first (an A/B of function definitions on one data set)
if [ -n "${PROFILE_SQL:-}" ]; then
    hd_psql_file "$data_dir" "$port" bench "$PROFILE_SQL" >/dev/null
fi
admin=$(q "SELECT id FROM helpdesk.users WHERE email = 'agent10@bench.example'")
employee=$(q "SELECT id FROM helpdesk.users WHERE email = 'emp1@bench.example'")
min_id=$(q "SELECT min(id) FROM helpdesk.tickets")
max_id=$(q "SELECT max(id) FROM helpdesk.tickets")
number=$(q "SELECT ticket_number FROM helpdesk.tickets WHERE id = $min_id")
ctx() { echo "helpdesk_api.request_context(actor_id => '$1', token_iat => '', client_ip => '127.0.0.1', user_agent => 'pgbench', read_only => '$2', application_name => 'pgbench')"; }
list() { echo "SELECT helpdesk_api.tickets_list(jsonb_build_object('path', '{}'::jsonb, 'query', '$1'::jsonb, 'body', 'null'::jsonb))::text FROM $(ctx "$admin" on);"; }
case "$route" in
    get) script="\\set id random($min_id, $max_id)
SELECT helpdesk_api.tickets_get(jsonb_build_object('path', jsonb_build_object('ticketId', :id::text, 'id', :id::text), 'query', '{}'::jsonb, 'body', 'null'::jsonb))::text FROM $(ctx "$admin" on);" ;;
    list) script=$(list '{"page": "1", "limit": "20"}') ;;
    filtered) script=$(list '{"page": "1", "limit": "20", "status": "In Progress", "priority": "High"}') ;;
    search) script=$(list '{"page": "1", "limit": "20", "search": "printer"}') ;;
    number) script=$(list "{\"page\": \"1\", \"limit\": \"20\", \"search\": \"$number\"}") ;;
    create) script="SELECT helpdesk_api.tickets_create(jsonb_build_object('path', '{}'::jsonb, 'query', '{}'::jsonb, 'body', '{\"title\": \"Printer on floor 3 is jammed\", \"description\": \"It shows error E42 after every page.\", \"categoryId\": 1, \"priority\": \"High\"}'::jsonb))::text FROM $(ctx "$employee" off);" ;;
    *) echo "unknown route $route" >&2; exit 2 ;;
esac
f=$(mktemp /tmp/route-profile.XXXXXX.sql); chmod 644 "$f"; printf '%s\n' "$script" >"$f"
# warm every connection's caches first, then count from zero
hd_as_postgres "$HD_PGBIN/pgbench" -n -M prepared -c "$clients" -T 1 -h "$data_dir" -p "$port" -U helpdesk_http -f "$f" bench >/dev/null 2>&1
q "SELECT pg_stat_statements_reset()" >/dev/null
if [ "${PROFILE_PERF:-0}" = 1 ]; then
    # the run's own backends only (other clusters share the machine), once they are connected
    ( sleep 1; pids=$(pgrep -d, -P "$(head -1 "$data_dir/data/postmaster.pid")" -f "postgres: helpdesk_http bench" || true)
      [ -n "$pids" ] && exec perf record -q -g -o /tmp/route-profile.perf.data -p "$pids" -- sleep $(( seconds > 2 ? seconds - 2 : 1 )) ) >/dev/null 2>&1 &
    perf_pid=$!
fi
echo "$route: $(hd_as_postgres "$HD_PGBIN/pgbench" -n -M prepared -c "$clients" -T "$seconds" -h "$data_dir" -p "$port" -U helpdesk_http -f "$f" bench 2>/dev/null | sed -n 's/^tps = \([0-9.]*\).*/\1/p') calls/s ($clients clients, load $(cut -d' ' -f1-3 /proc/loadavg))"
# CPU per call, robust to the machine's load: one client, a fixed number of calls, its backend's
# CPU time read from the postmaster's reaped-children times (autovacuum is off for the run).
postmaster=$(head -1 "$data_dir/data/postmaster.pid")
child_ticks() { awk '{ print $16 + $17 }' "/proc/$postmaster/stat"; }
calls=${PROFILE_CPU_CALLS:-2000}
before=$(child_ticks)
hd_as_postgres "$HD_PGBIN/pgbench" -n -M prepared -c 1 -t "$calls" -h "$data_dir" -p "$port" -U helpdesk_http -f "$f" bench >/dev/null 2>&1
sleep 0.3
after=$(child_ticks)
echo "$route: $(awk -v t=$((after - before)) -v hz="$(getconf CLK_TCK)" -v n="$calls" 'BEGIN { printf "%.1f", 1e6 * t / hz / n }') us of backend CPU per call ($calls calls, one client)"
rm -f "$f"
route_calls=$(q "SELECT max(calls) FROM pg_stat_statements WHERE query LIKE '%helpdesk_api.%' AND toplevel")
hd_psql "$data_dir" "$port" bench -c "
SELECT round((total_exec_time / $route_calls)::numeric, 4) AS exec_ms_per_route,
       round((total_plan_time / $route_calls)::numeric, 4) AS plan_ms_per_route,
       round(calls::numeric / $route_calls, 2) AS calls_per_route,
       shared_blks_hit / $route_calls AS hits_per_route,
       left(regexp_replace(query, '\\s+', ' ', 'g'), 110) AS statement
FROM pg_stat_statements
ORDER BY total_exec_time + total_plan_time DESC LIMIT ${PROFILE_TOP:-15}"
if [ -n "$perf_pid" ]; then
    wait "$perf_pid" 2>/dev/null || true; perf_pid=
    perf report -i /tmp/route-profile.perf.data --no-children --sort symbol --stdio -g none 2>/dev/null \
        | grep -v '^#' | grep '%' | head -${PROFILE_PERF_TOP:-30}
fi
