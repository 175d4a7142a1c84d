#!/usr/bin/env bash
# The server's own instructions per request, build of a git revision (A) against the working
# tree (B), under callgrind: a figure the shared machine's noise does not move, to go with the
# req/s of http/bench/ab.sh.
#
#   http/bench/callgrind.sh [REV]       REV: the "before" build (default HEAD~1)
# Environment: SECONDS_EACH (20): wrk's run against each server.
#
# Each build runs twice under callgrind, one thread, 2 database connections: started and
# stopped without a request, then with wrk (1 thread, 16 connections) against GET
# /api/v1/health and GET /api/v1/auth/me; (instructions of the second - of the first) / requests.
# Uses a throwaway cluster in a private relocated PostgreSQL copy and stops what it started.
set -euo pipefail

repo=$(cd "$(dirname "$0")/../.." && pwd)
. "$repo/tests/lib/cluster.sh"
HD_CLUSTER_FAST=1  # throwaway clusters: speed over durability (tests/lib/cluster.sh)
rev=${1:-HEAD~1}
secs=${SECONDS_EACH:-20}
command -v wrk >/dev/null || { echo "wrk is needed (apt-get install wrk)" >&2; exit 1; }
command -v valgrind >/dev/null || { echo "valgrind is needed (apt-get install valgrind)" >&2; exit 1; }

. "$repo/http/bench/ab-lib.sh"
ab_setup "$rev"

# run_callgrind BIN SECONDS URL: prints "INSTRUCTIONS REQUESTS" (no wrk run for SECONDS = 0)
run_callgrind() {
    local bin=$1 s=$2 url=$3 n=0
    env PORT=$http_port DB_HOST=$work/cluster DB_PORT=$pg_port DB_USER=helpdesk_http DB_NAME=bench \
        JWT_SECRET=$secret RATE_LIMIT_MAX_REQUESTS=0 ACCESS_LOG=off HTTP_THREADS=1 DB_POOL_SIZE=2 \
        valgrind --tool=callgrind --callgrind-out-file="$work/callgrind.out" "$bin" >>"$work/http.log" 2>&1 &
    server_pid=$!
    for _ in $(seq 1 600); do (exec 3<>"/dev/tcp/127.0.0.1/$http_port") 2>/dev/null && break; sleep 0.1; done
    if [ "$s" -gt 0 ]; then
        n=$(wrk -t 1 -c 16 -d "${s}s" -H "Authorization: Bearer $token" "$url" 2>/dev/null |
            sed -n 's/^ *\([0-9]*\) requests in.*/\1/p')
    fi
    kill "$server_pid"; wait "$server_pid" || true; server_pid=
    echo "$(sed -n 's/^summary: //p' "$work/callgrind.out") $n"
    rm -f "$work/callgrind.out"
}

echo "A = $rev, B = working tree; ${secs}s of wrk per figure; $(nproc) cores, load $(cut -d' ' -f1 /proc/loadavg)"
for path in /api/v1/health /api/v1/auth/me; do
    for build in A B; do
        read -r idle _ < <(run_callgrind "$work/$build" 0 "http://127.0.0.1:$http_port$path")
        read -r busy n < <(run_callgrind "$work/$build" "$secs" "http://127.0.0.1:$http_port$path")
        awk -v b="$build" -v p="$path" -v i="$idle" -v t="$busy" -v n="$n" \
            'BEGIN { printf "%s %-16s %6d requests, %.1fk instructions per request\n", b, p, n, (t - i) / n / 1000 }'
    done
done
