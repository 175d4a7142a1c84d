#!/usr/bin/env bash
# Why GET /api/v1/reports/action-required has a long p99 at 8 clients (issue 12): its latency
# distribution over HTTP beside GET /health's of the same minutes (same connections, same wrk),
# per role (Admin, Employee), and the SQL round trip alone over pgbench (per-transaction log)
# beside SELECT 1, with pg_stat_statements (mean/max/stddev) for the route's statements.
# Each HTTP row is measured by two clients: wrk, and h2load (nghttp2-client) whose per-request
# log gives the percentiles. A closed loop of C connections at R requests/s has a mean latency
# of C/R (Little's law): the `C/R` column is that bound, so a client whose percentiles exceed
# what its own mean allows is caught in the table itself.
# Reuses a data set built by bench/reports.sh (never builds one).
#
#   BENCH_DATA_DIR=/var/tmp/hd-reports-1000000 bench/action_required.sh
#   ACTREQ_ROUNDS (3), BENCH_SECONDS (10), ACTREQ_CONNECTIONS (8)
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
. "$repo/tests/lib/cluster.sh"
data_dir=${BENCH_DATA_DIR:?BENCH_DATA_DIR: a data set built by bench/reports.sh}
[ -f "$data_dir/built" ] || { echo "no data set in $data_dir (run bench/reports.sh first)" >&2; exit 1; }
hd_pgroot_prepare "$repo"
. "$repo/bench/lib.sh"
rounds=${ACTREQ_ROUNDS:-3}
conns=${ACTREQ_CONNECTIONS:-8}
trap 'bench_cleanup; rm -rf "$HD_PGROOT"' EXIT
# pg_stat_statements for this run only (the data set's files unchanged), this checkout's report functions
bench_data_start "$data_dir" -c shared_preload_libraries=helpdesk,pg_stat_statements -c pg_stat_statements.track=all
bench_reports_reload
bench_psql -q -c "CREATE EXTENSION IF NOT EXISTS pg_stat_statements" >/dev/null
bench_machine
admin=$(bench_psql -At -c "SELECT id FROM helpdesk.users WHERE email = 'agent10@bench.example'")
employee=$(bench_psql -At -c "SELECT id FROM helpdesk.users WHERE email = 'emp1@bench.example'")
echo "actor roles: $(bench_psql -At -c "SELECT string_agg(email || '=' || role, ' ') FROM helpdesk.users WHERE id IN ($admin, $employee)")"
echo "report_open_counts rows: $(bench_psql -At -c "SELECT count(*) FROM helpdesk.report_open_counts")"
bench_server_start
admin_token=$(bench_token "$admin")
employee_token=$(bench_token "$employee")
base="http://127.0.0.1:$bench_http_port/api/v1"

lua=$bench_work/latency.lua
cat >"$lua" <<'LUA'
done = function(summary, latency, requests)
    io.write(string.format("RESULT %.0f %.2f %.2f %.2f %.2f %.2f %.2f %d\n",
        summary.requests / (summary.duration / 1e6), latency:percentile(50) / 1000, latency:percentile(90) / 1000,
        latency:percentile(99) / 1000, latency:percentile(99.9) / 1000, latency.max / 1000, latency.mean / 1000,
        summary.errors.status + summary.errors.connect + summary.errors.read + summary.errors.timeout))
end
LUA
# Time the server's tasks (helpdesk-http's threads and every backend of the cluster) spent
# runnable but waiting for a core, in ms (/proc/*/schedstat, field 2): waits of the machine.
runq_wait_ms() {
    local postmaster pids
    postmaster=$(head -1 "$data_dir/data/postmaster.pid")
    pids="$(pgrep -P "$postmaster" | tr '\n' ' ') $bench_server_pid"
    for p in $pids; do cat /proc/"$p"/task/*/schedstat 2>/dev/null; done | awk '{ s += $2 } END { printf "%.0f", s / 1e6 }'
}
# row LABEL CONNECTIONS "req/s p50 p90 p99 p99.9 max mean" ERRORS RUNQ: one table row, with the
# closed-loop mean C/R (connections / rate) beside the measured mean
row() {
    local rps p50 p90 p99 p999 max mean
    read -r rps p50 p90 p99 p999 max mean <<<"$3"
    printf '| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n' "$1" "$2" "$rps" "$p50" "$p90" "$p99" "$p999" "$max" \
        "$mean" "$(awk -v c="$2" -v r="$rps" 'BEGIN { if (r > 0) printf "%.3f", 1000 * c / r }')" "$4" \
        "$(cut -d' ' -f1 /proc/loadavg)" "$5"
}
# wrk_line LABEL THREADS CONNECTIONS TOKEN URL: one table row (latencies in ms; runq: the
# server's tasks' waits for a core in ms per second of the run, i.e. tasks waiting on average x1000)
wrk_line() {
    local out w0 w1
    w0=$(runq_wait_ms)
    out=$(wrk -t "$2" -c "$3" -d "${bench_seconds}s" -s "$lua" -H "Authorization: Bearer $4" "$5" 2>&1 | awk '$1 == "RESULT"')
    w1=$(runq_wait_ms)
    read -r rps p50 p90 p99 p999 max mean errors <<<"${out#RESULT }"
    row "$1" "$3" "$rps $p50 $p90 $p99 $p999 $max $mean" "$errors" "$(( (w1 - w0) / bench_seconds ))"
}
# h2load_line LABEL THREADS CONNECTIONS TOKEN URL: the same row measured by h2load (HTTP/1.1),
# percentiles from its per-request log (microseconds to the end of the response)
h2load_line() {
    local out w0 w1
    w0=$(runq_wait_ms)
    out=$(bench_h2load "$3" -H "Authorization: Bearer $4" "$5")
    w1=$(runq_wait_ms)
    row "$1" "$3" "${out% *}" "${out##* }" "$(( (w1 - w0) / bench_seconds ))"
}
# pgbench_line LABEL CLIENTS SCRIPT: the same row from pgbench's per-transaction log
pgbench_line() {
    row "$1" "$2" "$(bench_pgbench_latency "$2" "$3")" 0 ""
}
ctx() { echo "helpdesk_api.request_context(actor_id => '$1', token_iat => '', client_ip => '127.0.0.1', user_agent => 'pgbench', read_only => 'on', application_name => 'pgbench')"; }
actreq_sql() { echo "SELECT helpdesk_api.reports_action_required('{\"path\": {}, \"query\": {}, \"body\": null}'::jsonb)::text FROM $(ctx "$1");"; }

printf '\n| what | conns | req/s | p50 ms | p90 | p99 | p99.9 | max | mean | C/R | errors | load | runq ms/s |\n|---|---|---|---|---|---|---|---|---|---|---|---|---|\n'
# one connection first: the per-call cost without queueing
wrk_line "wrk GET /health, 1 thread" 1 1 "$admin_token" "$base/health"
wrk_line "wrk action-required (Admin), 1 thread" 1 1 "$admin_token" "$base/reports/action-required"
bench_psql -q -c "SELECT pg_stat_statements_reset()" >/dev/null
for round in $(seq 1 "$rounds"); do
    wrk_line "r$round wrk GET /health" "$bench_cores" "$conns" "$admin_token" "$base/health"
    wrk_line "r$round wrk action-required (Admin)" "$bench_cores" "$conns" "$admin_token" "$base/reports/action-required"
    h2load_line "r$round h2load GET /health" "$bench_cores" "$conns" "$admin_token" "$base/health"
    h2load_line "r$round h2load action-required (Admin)" "$bench_cores" "$conns" "$admin_token" "$base/reports/action-required"
    wrk_line "r$round wrk action-required (Employee)" "$bench_cores" "$conns" "$employee_token" "$base/reports/action-required"
    wrk_line "r$round wrk dashboard (Admin)" "$bench_cores" "$conns" "$admin_token" "$base/reports/dashboard"
    pgbench_line "r$round pgbench SELECT 1" "$conns" "SELECT 1;"
    pgbench_line "r$round pgbench action-required (Admin)" "$conns" "$(actreq_sql "$admin")"
done
echo
echo "pg_stat_statements over the rounds (ms):"
bench_psql -c "
SELECT calls, round(mean_exec_time::numeric, 3) AS mean, round(stddev_exec_time::numeric, 3) AS stddev,
       round(max_exec_time::numeric, 2) AS max, round(min_exec_time::numeric, 3) AS min,
       left(regexp_replace(query, '\\s+', ' ', 'g'), 90) AS statement
FROM pg_stat_statements
ORDER BY total_exec_time DESC LIMIT 12"
# the data set as it was found (its next users start it without the library)
bench_psql -q -c "DROP EXTENSION pg_stat_statements" >/dev/null
