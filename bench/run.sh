#!/usr/bin/env bash
# Benchmarks of the server core, measured in one run on this machine:
#   (a) pgbench calling helpdesk_api.health() over prepared statements: the baseline, the
#       database doing the route's work with no HTTP in front;
#   (b) wrk against GET /api/v1/health (routing, envelope, the pipelined round trip);
#   (c) pgbench making the exact round trip of GET /api/v1/auth/me (settings + call, one statement);
#   (d) wrk against GET /api/v1/auth/me with a token (JWT verification and the user lookup);
# and prints the figures and their ratios to the baseline.
#
#   make bench        (builds and installs, then runs this)
# Environment: BENCH_SECONDS (10), BENCH_CONNECTIONS (64), BENCH_PG_CLIENTS (8), HTTP_THREADS (cores).
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
. "$repo/tests/lib/cluster.sh"
HD_CLUSTER_FAST=1  # throwaway clusters: speed over durability (tests/lib/cluster.sh)
. "$repo/bench/lib.sh"

bench_cluster_start
bench_machine
pg_health=$(bench_baseline)
pg_me=$(bench_pgbench "$(bench_route_script auth_me 1 on '{"path": {}, "query": {}, "body": null}')")

bench_server_start
token=$(bench_token 1)
http_health=$(bench_wrk "http://127.0.0.1:$bench_http_port/api/v1/health")
http_me=$(bench_wrk "http://127.0.0.1:$bench_http_port/api/v1/auth/me" -H "Authorization: Bearer $token")

printf '\n| what | req/s | vs baseline |\n|---|---|---|\n'
printf '| (a) pgbench helpdesk_api.health(), prepared, %s clients | %s | 100%% |\n' "$bench_pg_clients" "$pg_health"
printf '| (b) wrk GET /api/v1/health, %s connections | %s | %s |\n' "$bench_connections" "$http_health" "$(bench_ratio "$http_health" "$pg_health")"
printf '| (c) pgbench the /auth/me round trip (settings + auth_me(), one statement) | %s | %s |\n' "$pg_me" "$(bench_ratio "$pg_me" "$pg_health")"
printf '| (d) wrk GET /api/v1/auth/me (JWT + user lookup) | %s | %s (%s of c) |\n' "$http_me" "$(bench_ratio "$http_me" "$pg_health")" "$(bench_ratio "$http_me" "$pg_me")"
