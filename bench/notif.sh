#!/usr/bin/env bash
# Notifications (issue 11), in one run on this machine:
#   1. creating a ticket before and after "one row per event" (the 1.0 trigger wrote one
#      notification per active staff member; 1.1 writes one row whatever their number): pgbench
#      making the route's exact round trip and wrk POST /api/v1/tickets, as ratios to the
#      baselines of the same run (pgbench helpdesk_api.health(), wrk GET /api/v1/health);
#   2. BENCH_SUBSCRIBERS (1,000) Server-Sent Events streams held open (bench/sse_load.py): the
#      server's memory per idle stream (VmRSS before and after), GET /health throughput with
#      them connected and without, and the time from a broadcast's COMMIT to its event at every
#      stream (p50/p99 over BENCH_ROUNDS commits x every stream).
#
#   bench/notif.sh   (builds, and installs into a private PostgreSQL root: nothing system-wide)
# Environment: BENCH_TICKETS (20,000), BENCH_SUBSCRIBERS (1,000), BENCH_ROUNDS (20),
# BENCH_SECONDS (10), BENCH_CONNECTIONS (64), BENCH_PG_CLIENTS (8); SSE_LOAD_PROCESSES (1): the
# client's reader processes (bench/sse_load.py); BENCH_RSS_READINGS (7) readings of the server's
# memory BENCH_RSS_EVERY (5) seconds apart once the streams are connected (the settled figure is
# the median of the last three: one reading right after the connections was 10.8 or 25.7 KiB a
# stream from run to run); BENCH_MALLOC_STATS=1: glibc's malloc_stats() of the server with no stream,
# at the first reading and at the last (through gdb: it stops the server a moment; a diagnosis, not a figure).
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
. "$repo/tests/lib/cluster.sh"
HD_CLUSTER_FAST=1  # throwaway clusters: speed over durability (tests/lib/cluster.sh)
. "$repo/bench/lib.sh"
make -C "$repo" --no-print-directory -s >/dev/null
hd_pgroot_prepare "$repo"
trap 'bench_cleanup; rm -rf "$HD_PGROOT"' EXIT

tickets=${BENCH_TICKETS:-20000}
subscribers=${BENCH_SUBSCRIBERS:-1000}
rounds=${BENCH_ROUNDS:-20}
bench_cluster_start
bench_machine
bench_psql -v tickets="$tickets" -v comments=2 <"$repo/bench/generate.sql" | tail -1
# The seed's escalation rules match thousands of the generated open tickets: the SLA watcher's
# first round would escalate them while the streams are measured idle, writing ~26,000
# notifications to the staff users (their events, and the heap that sending them leaves, were the
# 25-35 KiB "per idle stream" of some runs: bench/sse_idle.sh). Off, as bench_data_start does.
bench_psql -c "DELETE FROM helpdesk.sla_recompute_requests" -c "UPDATE helpdesk.escalation_rules SET is_active = false" >/dev/null
staff=$(bench_psql -At -c "SELECT count(*) FROM helpdesk.users WHERE is_active AND role IN ('IT_Staff', 'Admin')")
employee=$(bench_psql -At -c "SELECT id FROM helpdesk.users WHERE email = 'emp1@bench.example'")
create_body='{"title": "Printer on floor 3 is jammed", "description": "It shows error E42 after every second page.", "categoryId": 1, "priority": "High"}'
create_script=$(bench_route_script tickets_create "$employee" off "{\"path\": {}, \"query\": {}, \"body\": $create_body}")

# the trigger function of each version: 1.0's from its frozen script, 1.1's from sql/
trigger_of() {
    awk '/^CREATE (OR REPLACE )?FUNCTION helpdesk.tickets_notify\(\)/ {on=1} on {print} on && /^\$\$;/ {exit}' "$1" |
        sed 's/^CREATE FUNCTION/CREATE OR REPLACE FUNCTION/'
}
trigger_of "$repo/sql/release/helpdesk--1.0.sql" >"$bench_work/notify-1.0.sql"
trigger_of "$repo/sql/38_notifications.sql" >"$bench_work/notify-1.1.sql"
# wait until no statement of the server runs (a timed-out request's statement may still commit)
quiesce() {
    for _ in $(seq 1 600); do
        [ "$(bench_psql -At -c "SELECT count(*) FROM pg_stat_activity WHERE usename = 'helpdesk_http' AND state = 'active'")" = 0 ] && return
        sleep 0.1
    done
}
rows_per_ticket() {
    local n0 t0
    quiesce
    n0=$(bench_psql -At -c "SELECT count(*) FROM helpdesk.notifications")
    t0=$(bench_psql -At -c "SELECT count(*) FROM helpdesk.tickets")
    bench_psql -c "SET helpdesk.actor_id = '$employee'; INSERT INTO helpdesk.tickets (ticket_number, title, description, category_id, submitter_id) VALUES ('TKT-2099-' || lpad((SELECT count(*) FROM helpdesk.tickets)::text, 6, '0'), 'Rows', 'Rows', 1, $employee)" >/dev/null
    echo $(( $(bench_psql -At -c "SELECT count(*) FROM helpdesk.notifications") - n0 ))
}

bench_server_start
base="http://127.0.0.1:$bench_http_port/api/v1"
employee_token=$(bench_token "$employee")
cat >"$bench_work/create.lua" <<LUA
wrk.method = "POST"
wrk.body = '$create_body'
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer $employee_token"
LUA
baseline=$(bench_baseline)
health=$(bench_wrk "$base/health")
bench_psql -f "$bench_work/notify-1.0.sql" >/dev/null
rows_before=$(rows_per_ticket)
# creations serialise on the year's number until commit: 8 connections, like pgbench's 8 clients
sql_before=$(bench_pgbench "$create_script")
http_before=$(bench_connections=8 bench_wrk "$base/tickets" -s "$bench_work/create.lua")
quiesce
bench_psql -f "$bench_work/notify-1.1.sql" >/dev/null
rows_after=$(rows_per_ticket)
sql_after=$(bench_pgbench "$create_script")
http_after=$(bench_connections=8 bench_wrk "$base/tickets" -s "$bench_work/create.lua")

r() { bench_ratio "$1" "$2"; }
round() { awk -v a="$1" 'BEGIN {printf "%.1f", a}'; }
for v in baseline health sql_before http_before sql_after http_after; do printf -v "$v" '%s' "$(round "${!v}")"; done
printf '\n%s tickets, %s active staff; baselines: pgbench helpdesk_api.health() %s/s, wrk GET /health %s/s\n\n' \
    "$tickets" "$staff" "$baseline" "$health"
printf '| create a ticket | rows in notifications | SQL (pgbench) | vs pgbench health | HTTP (wrk) | vs wrk /health |\n|---|---|---|---|---|---|\n'
printf '| before (1.0: a row per staff member) | %s | %s | %s | %s | %s |\n' "$rows_before" "$sql_before" "$(r "$sql_before" "$baseline")" "$http_before" "$(r "$http_before" "$health")"
printf '| after (1.1: one row per event) | %s | %s | %s | %s | %s |\n' "$rows_after" "$sql_after" "$(r "$sql_after" "$baseline")" "$http_after" "$(r "$http_after" "$health")"
printf '| after / before | | x%s | | x%s | |\n' "$(awk -v a="$sql_after" -v b="$sql_before" 'BEGIN {printf "%.2f", a / b}')" \
    "$(awk -v a="$http_after" -v b="$http_before" 'BEGIN {printf "%.2f", a / b}')"

# ---- streams ----
rss_kib() { awk '/^VmRSS/ {print $2}' "/proc/$bench_server_pid/status"; }
# the server's anonymous memory (heap, thread arenas, stacks) apart from its mapped files
anon_kib() { awk '/^Anonymous:/ {print $2}' "/proc/$bench_server_pid/smaps_rollup"; }
malloc_stats() {
    [ "${BENCH_MALLOC_STATS:-0}" = 1 ] || return 0
    local before
    # it prints on the server's stderr (http.log, written at the server's own offset)
    before=$(stat -c %s "$bench_work/http.log")
    timeout 30 gdb -p "$bench_server_pid" -batch -ex 'call (void) malloc_stats()' >/dev/null 2>&1 || true
    { echo "== malloc_stats: $1"; tail -c +"$(( before + 1 ))" "$bench_work/http.log"; } >>"$bench_work/malloc_stats.txt"
}
rss_readings=${BENCH_RSS_READINGS:-7}
rss_every=${BENCH_RSS_EVERY:-5}
tokens=()
for id in $(bench_psql -At -c "SELECT id FROM helpdesk.users WHERE is_active AND role IN ('IT_Staff', 'Admin') ORDER BY id"); do
    tokens+=("$(bench_token "$id")")
done
health_without=$(bench_wrk "$base/health")
rss0=$(rss_kib)
anon0=$(anon_kib)
malloc_stats "no stream"
psql_cmd="runuser -u postgres -- $HD_PGBIN/psql -h $bench_work/cluster -p $bench_pg_port -U postgres -d bench"
coproc LOAD { /usr/bin/python3 "$repo/bench/sse_load.py" "http://127.0.0.1:$bench_http_port" "$subscribers" "$rounds" "$psql_cmd" "${tokens[@]}"; }
read -r ready connected <&"${LOAD[0]}"
sleep 1
# several readings while the streams are idle: the heap grown by their first answers may or may
# not be handed back, and one reading cannot tell a stream's memory from that
malloc_stats "first reading (1 s after the streams connected)"
rss_series=
rss_settled=()
for i in $(seq 1 "$rss_readings"); do
    [ "$i" -gt 1 ] && sleep "$rss_every"
    reading=$(rss_kib)
    rss_series+="${rss_series:+, }$reading"
    rss_settled+=("$reading")
    anon1=$(anon_kib)
done
malloc_stats "last reading ($(( 1 + (rss_readings - 1) * rss_every )) s after)"
rss1=$(printf '%s\n' "${rss_settled[@]: -3}" | sort -n | sed -n "$(( (${#rss_settled[@]} < 3 ? ${#rss_settled[@]} : 3) / 2 + 1 ))p")
health_with=$(bench_wrk "$base/health")
load_start=$(cut -d' ' -f1 /proc/loadavg)
echo go >&"${LOAD[1]}"
read -r latency <&"${LOAD[0]}"
load_end=$(cut -d' ' -f1 /proc/loadavg)
wait "$LOAD_PID" 2>/dev/null || true

printf '\n%s streams connected (%s tokens of staff users, each commit a broadcast every stream receives)\n\n' "$connected" "${#tokens[@]}"
printf '| what | figure |\n|---|---|\n'
printf '| server VmRSS, no stream / %s idle streams (settled: median of the last 3 readings) | %s KiB / %s KiB |\n' "$connected" "$rss0" "$rss1"
printf '| VmRSS readings %s s apart from 1 s after the streams connected | %s KiB |\n' "$rss_every" "$rss_series"
printf '| anonymous memory (smaps_rollup), no stream / at the last reading | %s KiB / %s KiB |\n' "$anon0" "$anon1"
printf '| memory per idle stream (settled) | %s KiB |\n' "$(awk -v a="$rss1" -v b="$rss0" -v n="$connected" 'BEGIN {printf "%.1f", (a - b) / n}')"
printf '| wrk GET /health without streams / with them | %s / %s (%s) |\n' "$health_without" "$health_with" "$(r "$health_with" "$health_without")"
printf '| commit -> event at every stream (%s commits) | %s |\n' "$rounds" "$latency"
printf '| load average (1 min) when the commits start / end | %s / %s |\n' "$load_start" "$load_end"
if [ "${BENCH_MALLOC_STATS:-0}" = 1 ]; then
    printf '\nmalloc_stats() of the server (glibc, per arena: system bytes = taken from the kernel, in use = live allocations)\n\n'
    grep -E '^(==|Arena|system bytes|in use bytes|Total|max mmap)' "$bench_work/malloc_stats.txt"
fi
