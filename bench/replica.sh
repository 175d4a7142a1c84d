#!/usr/bin/env bash
# Read replicas (http/readpool.c, docs/SCALING.md): the same read routes over HTTP with reads on
# the primary, then with a streaming replica (pg_basebackup -R) configured, in one run, beside
# the /health baseline. On one machine the replica shares the cores with the primary, the server
# and wrk: this measures what the read path costs and that reads move, not added capacity.
#
#   bash bench/replica.sh     (a private PostgreSQL root with this build; nothing is installed)
# Environment: BENCH_SECONDS (10), BENCH_CONNECTIONS (64), HTTP_THREADS (cores).
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
. "$repo/tests/lib/cluster.sh"
HD_CLUSTER_FAST=1
. "$repo/bench/lib.sh"
hd_pgroot_prepare "$repo"
trap 'bench_cleanup; hd_cluster_stop "$bench_work/standby"; rm -rf "$HD_PGROOT"' EXIT

bench_cluster_start
bench_machine
standby=$bench_work/standby
standby_port=$(hd_free_port)
mkdir -p "$standby" && chown "$HD_PGUSER" "$standby" && chmod 700 "$standby"
hd_as_postgres "$HD_PGBIN/pg_basebackup" -h "$bench_work/cluster" -p "$bench_pg_port" -U postgres -D "$standby/data" \
    -R -X stream -c fast --no-sync
printf "port = %s\nunix_socket_directories = '%s'\nhelpdesk.worker_enabled = off\n" "$standby_port" "$standby" \
    >>"$standby/data/postgresql.conf"
hd_cluster_ctl "$standby" start

standby_commits() {
    hd_as_postgres "$HD_PGBIN/psql" -X -At -h "$standby" -p "$standby_port" -U postgres -d bench \
        -c "SELECT xact_commit FROM pg_stat_database WHERE datname = 'bench'"
}

# run LABEL: the three routes against the server running now
run() {
    local me list health before after
    sleep 3 # the token's iat leaves DB_READ_AFTER_WRITE_MS (a fresh token counts as a write)
    before=$(standby_commits)
    health=$(bench_wrk "http://127.0.0.1:$bench_http_port/api/v1/health")
    me=$(bench_wrk "http://127.0.0.1:$bench_http_port/api/v1/auth/me" -H "Authorization: Bearer $token")
    list=$(bench_wrk "http://127.0.0.1:$bench_http_port/api/v1/tickets?limit=20" -H "Authorization: Bearer $token")
    sleep 1.5 # the replica's statistics are flushed within a second
    after=$(standby_commits)
    printf '| %s | %s | %s (%s) | %s (%s) | %s |\n' "$1" "$health" "$me" "$(bench_ratio "$me" "$health")" \
        "$list" "$(bench_ratio "$list" "$health")" "$((after - before))"
}

printf '\n| reads on | GET /health | GET /auth/me (share of /health) | GET /tickets limit 20 | transactions on the replica |\n|---|---|---|---|---|\n'
bench_server_start
token=$(bench_token 1)
run "primary (no DB_READ_HOST)"
kill "$bench_server_pid"; wait "$bench_server_pid" || true
DB_READ_HOST=$standby DB_READ_PORT=$standby_port bench_server_start
token=$(bench_token 1)
run "replica (DB_READ_HOST, same machine)"
kill "$bench_server_pid"; wait "$bench_server_pid" || true
bench_server_pid=
