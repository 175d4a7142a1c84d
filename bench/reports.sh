#!/usr/bin/env bash
# Reports at scale, in one run on this machine, beside the baselines of the same run (pgbench
# calling helpdesk_api.health(), wrk GET /api/v1/health):
#   - BENCH_TICKETS tickets (default 1,000,000; bench/generate.sql, no comments: reports do not
#     read them) with SLA clocks (bench/reports_clocks.sql);
#   - GET /api/v1/reports/dashboard at BENCH_DASHBOARD_CONNECTIONS (32) connections, req/s;
#   - every report route at BENCH_REPORT_CONNECTIONS (8) connections: req/s and p99 latency, by
#     wrk and by h2load (whose per-request log gives percentiles that its rate can vouch for);
#   - the dashboard's figures against a plain recount (a reference query written here).
#
#   bench/reports.sh          BENCH_TICKETS=10000 bench/reports.sh
#   BENCH_DATA_DIR (/var/tmp/helpdesk-reports-<tickets>), BENCH_REBUILD=1, BENCH_BUILD_ONLY=1
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
. "$repo/tests/lib/cluster.sh"
[ -n "${HD_PGBIN_GIVEN:-}" ] || hd_pgroot_prepare "$repo"
HD_CLUSTER_FAST=1  # throwaway clusters: speed over durability (tests/lib/cluster.sh)

tickets=${BENCH_TICKETS:-1000000}
data_dir=${BENCH_DATA_DIR:-/var/tmp/helpdesk-reports-$tickets}
. "$repo/bench/lib.sh"
trap 'bench_cleanup; [ -n "${HD_PGROOT:-}" ] && rm -rf "$HD_PGROOT"' EXIT

# The data set is built once into BENCH_DATA_DIR (generation, then the summaries' rebuild, each
# marked done by a file) and reused: a 1M build takes most of an hour. A reused cluster gets
# ALTER EXTENSION helpdesk UPDATE and then this checkout's report files again (CREATE OR
# REPLACE: what is measured is the checkout's SQL). BENCH_REBUILD=1 builds it again;
# BENCH_BUILD_ONLY=1 stops once the data set is built, BENCH_GENERATE_ONLY=1 before its rebuild.
[ "${BENCH_REBUILD:-0}" = 1 ] && [ -d "$data_dir" ] && rm -rf "$data_dir"
bench_data_start "$data_dir"
if [ "$bench_data_reused" = 1 ]; then
    bench_reports_reload
    echo "data set: $tickets tickets, reused from $data_dir"
else
    start=$(date +%s)
    bench_data_generate "$tickets" 0
    echo "data generated in $(( $(date +%s) - start )) s into $data_dir"
fi
bench_machine
[ "${BENCH_GENERATE_ONLY:-0}" = 1 ] && exit 0
if [ ! -f "$data_dir/built" ]; then
    start=$(date +%s)
    bench_data_summaries
    echo "reports_rebuild(), reports_advance() and VACUUM ANALYZE in $(( $(date +%s) - start )) s"
fi
[ "${BENCH_BUILD_ONLY:-0}" = 1 ] && exit 0

admin=$(bench_psql -At -c "SELECT id FROM helpdesk.users WHERE email = 'agent10@bench.example'")
baseline=$(bench_baseline)
bench_server_start
token=$(bench_token "$admin")
base="http://127.0.0.1:$bench_http_port/api/v1"
http_health=$(bench_wrk "$base/health")

# The dashboard against a recount written without the report's functions.
bench_psql -At -c "
WITH d AS (SELECT helpdesk.report_dashboard((SELECT u FROM helpdesk.users u WHERE u.id = $admin), '-infinity', 'infinity', now()) AS j),
     r AS (SELECT count(*) AS total,
                  count(*) FILTER (WHERE status IN ('New', 'Assigned', 'In Progress', 'Pending')) AS open,
                  count(*) FILTER (WHERE status = 'Closed') AS closed,
                  count(*) FILTER (WHERE priority = 'High') AS high,
                  round(avg(extract(epoch FROM resolved_at - created_at)) / 3600, 1) AS avg_hours
           FROM helpdesk.tickets),
     b AS (SELECT count(*) FILTER (WHERE c.state = 'missed' OR (c.state = 'running' AND c.due_at < now())
                                    OR (c.state = 'paused' AND c.due_at < c.paused_since)) AS breached,
                  count(*) FILTER (WHERE c.state = 'met') AS met
           FROM helpdesk.sla_clocks c WHERE c.kind = 'resolution')
SELECT format('recount: total %s/%s open %s/%s closed %s/%s high %s/%s avg %s/%s breached %s/%s rate %s/%s -> %s',
              d.j->>'totalTickets', r.total, d.j->>'openTickets', r.open, d.j->'ticketsByStatus'->>'closed', r.closed,
              d.j->'ticketsByPriority'->>'high', r.high, d.j->>'avgResolutionTime', r.avg_hours,
              d.j->>'slaBreached', b.breached, d.j->>'slaComplianceRate', round(b.met * 100.0 / nullif(b.met + b.breached, 0), 1),
              CASE WHEN (d.j->>'totalTickets')::bigint = r.total AND (d.j->>'openTickets')::bigint = r.open
                        AND (d.j->'ticketsByStatus'->>'closed')::bigint = r.closed AND (d.j->'ticketsByPriority'->>'high')::bigint = r.high
                        AND (d.j->>'avgResolutionTime')::numeric = coalesce(r.avg_hours, 0) AND (d.j->>'slaBreached')::bigint = b.breached
                   THEN 'EQUAL' ELSE 'DIFFERENT' END)
FROM d, r, b"

# wrk with latency percentiles: "req/s p99"
wrk_p99() {
    local conns=$1 url=$2 out
    out=$(wrk -t "$bench_cores" -c "$conns" -d "${bench_seconds}s" --latency -H "Authorization: Bearer $token" "$url" 2>&1)
    echo "$out" >>"$bench_work/wrk.log"
    echo "$out" | grep -q 'Non-2xx' && echo "wrk $url: $(echo "$out" | grep 'Non-2xx')" >&2
    echo "$(echo "$out" | sed -n 's/^Requests\/sec: *\([0-9.]*\).*/\1/p') $(echo "$out" | awk '$1 == "99%" {print $2}')"
}

# h2load of the same URL: "req/s p50 p99 mean C/R failed" (percentiles from every request's time;
# C/R, connections / rate, is the mean a closed loop allows: see bench/lib.sh bench_h2load)
h2load_cols() {
    local rps p50 p90 p99 p999 max mean failed
    read -r rps p50 p90 p99 p999 max mean failed <<<"$(bench_h2load "$1" -H "Authorization: Bearer $token" "$2")"
    echo "$rps | $p50 | $p99 | $mean | $(awk -v c="$1" -v r="$rps" 'BEGIN { if (r > 0) printf "%.3f", 1000 * c / r }') | $failed"
}

printf '\n%s tickets (load %s)\n| what | wrk req/s | wrk p99 | vs /health | h2load req/s | p50 | p99 | mean | C/R | failed |\n|---|---|---|---|---|---|---|---|---|---|\n' \
    "$tickets" "$(cut -d' ' -f1-3 /proc/loadavg)"
printf '| pgbench helpdesk_api.health(), %s clients | %s | | | | | | | | |\n' "$bench_pg_clients" "$baseline"
printf '| GET /health, %s connections | %s | | 100%% | | | | | | |\n' "$bench_connections" "$http_health"
printf '| GET /health, %s connections | %s | | | %s |\n' "${BENCH_REPORT_CONNECTIONS:-8}" "$(bench_connections=${BENCH_REPORT_CONNECTIONS:-8} bench_wrk "$base/health")" \
    "$(h2load_cols "${BENCH_REPORT_CONNECTIONS:-8}" "$base/health")"
read -r rps p99 <<<"$(wrk_p99 "${BENCH_DASHBOARD_CONNECTIONS:-32}" "$base/reports/dashboard")"
printf '| dashboard, %s connections | %s | %s | %s | %s |\n' "${BENCH_DASHBOARD_CONNECTIONS:-32}" "$rps" "$p99" "$(bench_ratio "$rps" "$http_health")" \
    "$(h2load_cols "${BENCH_DASHBOARD_CONNECTIONS:-32}" "$base/reports/dashboard")"
for r in action-required dashboard tickets-by-status tickets-by-category tickets-by-priority sla-compliance \
         staff-performance "trends?period=week&limit=12" "dashboard?startDate=2026-10-01&endDate=2026-10-31"; do
    read -r rps p99 <<<"$(wrk_p99 "${BENCH_REPORT_CONNECTIONS:-8}" "$base/reports/$r")"
    printf '| %s, %s connections | %s | %s | %s | %s |\n' "$r" "${BENCH_REPORT_CONNECTIONS:-8}" "$rps" "$p99" "$(bench_ratio "$rps" "$http_health")" \
        "$(h2load_cols "${BENCH_REPORT_CONNECTIONS:-8}" "$base/reports/$r")"
done

# GET /tickets/export?format=csv of every ticket, once: rows/s, and the server's resident memory
# sampled every 100 ms meanwhile (its peak against its size before the export).
rss() { awk '/^VmRSS/ {print $2}' "/proc/$bench_server_pid/status"; }
rss_before=$(rss)
peak=$rss_before
curl -s -H "Authorization: Bearer $token" "$base/tickets/export?format=csv" -o "$bench_work/export.csv" &
curl_pid=$!
t0=$(date +%s.%N)
while kill -0 "$curl_pid" 2>/dev/null; do
    r=$(rss); [ "$r" -gt "$peak" ] && peak=$r
    sleep 0.1
done
wait "$curl_pid"
t1=$(date +%s.%N)
lines=$(wc -l <"$bench_work/export.csv")
bytes=$(stat -c %s "$bench_work/export.csv")
awk -v l="$lines" -v b="$bytes" -v t0="$t0" -v t1="$t1" -v r0="$rss_before" -v p="$peak" 'BEGIN {
    printf "| export of every ticket (CSV) | %d rows in %.1f s: %d rows/s, %.1f MB/s | server RSS %.1f MB before, peak %.1f MB during |\n",
           l - 1, t1 - t0, (l - 1) / (t1 - t0), b / 1e6 / (t1 - t0), r0 / 1024, p / 1024 }'
echo "export rows equal the tickets: $( [ "$((lines - 1))" = "$(bench_psql -At -c 'SELECT count(*) FROM helpdesk.tickets')" ] && echo EQUAL || echo DIFFERENT)"
