#!/usr/bin/env bash
# A/B comparison of two builds of helpdesk-http in one run, alternating A/B/A/B so that the
# noise of a shared machine falls on both: wrk against GET /api/v1/health and GET /api/v1/auth/me.
#
#   http/bench/ab.sh [REV] [ENV=VAL...]
#     REV: the git revision of the "before" build (default HEAD~1); the "after" build is the
#     working tree. ENV=VAL settings are given to the "after" server only (e.g.
#     DB_PIPELINE_DEPTH=1); prefix them with A: to give one to the "before" server only.
# Environment: ROUNDS (4), SECONDS_EACH (8), CONNECTIONS (64), HTTP_THREADS (cores).
# Uses a throwaway cluster in a private relocated PostgreSQL copy (nothing is installed in the
# system) and stops everything it started.
set -euo pipefail

repo=$(cd "$(dirname "$0")/../.." && pwd)
. "$repo/tests/lib/cluster.sh"
HD_CLUSTER_FAST=1  # throwaway clusters: speed over durability (tests/lib/cluster.sh)
rev=${1:-HEAD~1}
[ $# -gt 0 ] && shift
rounds=${ROUNDS:-4}
secs=${SECONDS_EACH:-8}
conns=${CONNECTIONS:-64}
cores=$(nproc)
a_env=() b_env=()
for kv in "$@"; do
    case "$kv" in A:*) a_env+=("${kv#A:}") ;; *) b_env+=("$kv") ;; esac
done

command -v wrk >/dev/null || { echo "wrk is needed (apt-get install wrk)" >&2; exit 1; }
. "$repo/http/bench/ab-lib.sh"
ab_setup "$rev"

wrk_rps() { wrk -t "$cores" -c "$conns" -d "${secs}s" "$@" 2>/dev/null | sed -n 's/^Requests\/sec: *\([0-9.]*\).*/\1/p'; }
run() { # run NAME BIN ENV...
    local name=$1 bin=$2; shift 2
    env PORT=$http_port DB_HOST=$work/cluster DB_PORT=$pg_port DB_USER=helpdesk_http DB_NAME=bench \
        JWT_SECRET=$secret RATE_LIMIT_MAX_REQUESTS=0 ACCESS_LOG=off HTTP_THREADS=${HTTP_THREADS:-$cores} "$@" \
        "$bin" >>"$work/http.log" 2>&1 &
    server_pid=$!
    for _ in $(seq 1 100); do (exec 3<>"/dev/tcp/127.0.0.1/$http_port") 2>/dev/null && break; sleep 0.1; done
    wrk -t 1 -c 8 -d 1s "http://127.0.0.1:$http_port/api/v1/health" >/dev/null 2>&1 # connections up, statements prepared
    h=$(wrk_rps "http://127.0.0.1:$http_port/api/v1/health")
    m=$(wrk_rps -H "Authorization: Bearer $token" "http://127.0.0.1:$http_port/api/v1/auth/me")
    kill "$server_pid"; wait "$server_pid" 2>/dev/null || true; server_pid=
    echo "$name $h $m" >>"$work/results"
    printf '%-6s round %d: health %8.0f req/s, auth/me %8.0f req/s (load %s)\n' "$name" "$r" "$h" "$m" "$(cut -d' ' -f1 /proc/loadavg)"
}
echo "A = $rev ${a_env[*]:-}, B = working tree ${b_env[*]:-}; $rounds rounds of ${secs}s, $conns connections, $cores cores"
for r in $(seq 1 "$rounds"); do
    run A "$work/A" "${a_env[@]}"
    run B "$work/B" "${b_env[@]}"
done
awk '{h[$1]+=$2; m[$1]+=$3; n[$1]++}
     END {printf "\nmean: A health %.0f, auth/me %.0f; B health %.0f, auth/me %.0f\nB/A: health %.2f, auth/me %.2f\n",
          h["A"]/n["A"], m["A"]/n["A"], h["B"]/n["B"], m["B"]/n["B"], h["B"]/h["A"], m["B"]/m["A"]}' "$work/results"
