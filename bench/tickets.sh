#!/usr/bin/env bash
# Tickets at scale, in one run on this machine, as ratios to the foundation's baseline (pgbench
# calling helpdesk_api.health(), see bench/run.sh):
#   - realistic data: BENCH_TICKETS tickets (default 1,000,000) over 3 years, 50 agents,
#     5,000 employees, 10 comments per ticket on average (bench/generate.sql);
#   - tickets created per second through SQL (the route's exact round trip, from pgbench) and
#     through HTTP (wrk POST /api/v1/tickets);
#   - GET /api/v1/tickets?page=1&limit=20 with a filter and with search=, through SQL and HTTP.
#
#   make install && bench/tickets.sh
# Environment: BENCH_TICKETS, BENCH_SECONDS (10), BENCH_CONNECTIONS (64), BENCH_PG_CLIENTS (8).
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
. "$repo/tests/lib/cluster.sh"
HD_CLUSTER_FAST=1  # throwaway clusters: speed over durability (tests/lib/cluster.sh)
. "$repo/bench/lib.sh"

tickets=${BENCH_TICKETS:-1000000}
bench_cluster_start "maintenance_work_mem = 512MB" "max_wal_size = 8GB" "checkpoint_timeout = 30min"
bench_machine
start=$(date +%s)
bench_psql -v tickets="$tickets" <"$repo/bench/generate.sql" | tail -3
echo "data generated in $(( $(date +%s) - start )) s"

admin=$(bench_psql -At -c "SELECT id FROM helpdesk.users WHERE email = 'agent10@bench.example'")
employee=$(bench_psql -At -c "SELECT id FROM helpdesk.users WHERE email = 'emp1@bench.example'")
create_body='{"title": "Printer on floor 3 is jammed", "description": "It shows error E42 after every second page.", "categoryId": 1, "priority": "High"}'
filter_query='{"page": "1", "limit": "20", "status": "In Progress", "priority": "High"}'
search_query='{"page": "1", "limit": "20", "search": "printer"}'

baseline=$(bench_baseline)
sql_create=$(bench_pgbench "$(bench_route_script tickets_create "$employee" off "{\"path\": {}, \"query\": {}, \"body\": $create_body}")")
sql_filter=$(bench_pgbench "$(bench_route_script tickets_list "$admin" on "{\"path\": {}, \"query\": $filter_query, \"body\": null}")")
sql_search=$(bench_pgbench "$(bench_route_script tickets_list "$admin" on "{\"path\": {}, \"query\": $search_query, \"body\": null}")")

bench_server_start
admin_token=$(bench_token "$admin")
employee_token=$(bench_token "$employee")
cat >"$bench_work/create.lua" <<LUA
wrk.method = "POST"
wrk.body = '$create_body'
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer $employee_token"
LUA
base="http://127.0.0.1:$bench_http_port/api/v1"
http_create=$(bench_wrk "$base/tickets" -s "$bench_work/create.lua")
http_filter=$(bench_wrk "$base/tickets?page=1&limit=20&status=In%20Progress&priority=High" -H "Authorization: Bearer $admin_token")
http_search=$(bench_wrk "$base/tickets?page=1&limit=20&search=printer" -H "Authorization: Bearer $admin_token")

r() { bench_ratio "$1" "$baseline"; }
printf '\n%s tickets; baseline (pgbench helpdesk_api.health(), prepared): %s/s\n\n' "$tickets" "$baseline"
printf '| what | SQL (pgbench, route round trip) | vs baseline | HTTP (wrk) | vs baseline | HTTP/SQL |\n|---|---|---|---|---|---|\n'
printf '| create a ticket | %s | %s | %s | %s | %s |\n' "$sql_create" "$(r "$sql_create")" "$http_create" "$(r "$http_create")" "$(bench_ratio "$http_create" "$sql_create")"
printf '| list page 1, limit 20, status + priority filter | %s | %s | %s | %s | %s |\n' "$sql_filter" "$(r "$sql_filter")" "$http_filter" "$(r "$http_filter")" "$(bench_ratio "$http_filter" "$sql_filter")"
printf '| list page 1, limit 20, search=printer | %s | %s | %s | %s | %s |\n' "$sql_search" "$(r "$sql_search")" "$http_search" "$(r "$http_search")" "$(bench_ratio "$http_search" "$sql_search")"
