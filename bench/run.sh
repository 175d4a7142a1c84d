#!/usr/bin/env bash
# Benchmarks of the server core, measured in one run on this machine:
#   (a) pgbench calling helpdesk_api.health() over prepared statements (the baseline: the
#       database doing the same work with no HTTP in front), and
#   (b) wrk against GET /api/v1/health (helpdesk-http: routing, envelope, pipeline round trip),
#   (c) pgbench making the exact round trip of GET /api/v1/auth/me (settings + call, pipelined),
#   (d) wrk against GET /api/v1/auth/me with a token (adds JWT verification and the user lookup),
# then prints the figures and their ratios to the baseline.
#
#   bench/run.sh            (make bench builds and installs first)
# Environment: BENCH_SECONDS (default 10), BENCH_CONNECTIONS (default 64), BENCH_PG_CLIENTS (8),
#              HTTP_THREADS (default: cores).
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
. "$repo/tests/lib/cluster.sh"

seconds=${BENCH_SECONDS:-10}
connections=${BENCH_CONNECTIONS:-64}
pg_clients=${BENCH_PG_CLIENTS:-8}
cores=$(nproc)

command -v wrk >/dev/null || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null

work=$(mktemp -d /tmp/helpdesk-bench.XXXXXX)
chmod 755 "$work"
server_pid=
cleanup() {
    [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null
    hd_cluster_stop "$work/cluster"
    rm -rf "$work"
}
trap cleanup EXIT

pg_port=$(hd_free_port)
http_port=$(hd_free_port)
hd_cluster_start "$work/cluster" "$pg_port" "helpdesk.database_name = 'bench'" "helpdesk.bcrypt_cost = 4" \
    "max_connections = 300"
hd_database_create "$work/cluster" "$pg_port" bench >/dev/null
hd_psql_file "$work/cluster" "$pg_port" bench "$repo/demo/seed.sql" >/dev/null

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(date -u +%Y-%m-%d)"
echo "load generators share the machine with the servers; figures are requests per second"

# (a) the baseline: the same function call as the route, prepared, from pgbench.
cat >"$work/health.sql" <<'SQL'
SELECT helpdesk_api.health('{"path": {}, "query": {}, "body": null}'::jsonb)::text;
SQL
chown -R postgres "$work"
pgbench_tps() {
    hd_as_postgres "$HD_PGBIN/pgbench" -n -M prepared -c "$pg_clients" -j "$cores" -T "$seconds" \
        -h "$work/cluster" -p "$pg_port" -U helpdesk_http -f "$1" bench 2>"$work/pgbench.err" \
        | sed -n 's/^tps = \([0-9.]*\).*/\1/p'
}
pg_health=$(pgbench_tps "$work/health.sql") || { cat "$work/pgbench.err" >&2; exit 1; }
# The exact round trip helpdesk-http makes for GET /auth/me: settings + call in one pipeline.
cat >"$work/me.sql" <<'SQL'
\startpipeline
SELECT set_config('helpdesk.actor_id', '1', true), set_config('helpdesk.token_iat', '', true), set_config('helpdesk.client_ip', '127.0.0.1', true), set_config('helpdesk.user_agent', 'wrk', true), set_config('transaction_read_only', 'on', true), set_config('statement_timeout', '10000', true);
SELECT helpdesk_api.auth_me('{"path": {}, "query": {}, "body": null}'::jsonb)::text;
\endpipeline
SQL
chmod 644 "$work/me.sql"
pg_me=$(pgbench_tps "$work/me.sql") || { cat "$work/pgbench.err" >&2; exit 1; }

# (b), (c): helpdesk-http.
secret=$(head -c 48 /dev/urandom | base64 | tr -d '\n/+=' | head -c 48)
PORT=$http_port DB_HOST=$work/cluster DB_PORT=$pg_port DB_USER=helpdesk_http DB_NAME=bench \
    JWT_SECRET=$secret RATE_LIMIT_MAX_REQUESTS=0 ACCESS_LOG=off HTTP_THREADS=${HTTP_THREADS:-$cores} \
    "$repo/http/helpdesk-http" >"$work/http.log" 2>&1 &
server_pid=$!
for _ in $(seq 1 100); do (exec 3<>"/dev/tcp/127.0.0.1/$http_port") 2>/dev/null && break; sleep 0.1; done

wrk_rps() {
    wrk -t "$cores" -c "$connections" -d "${seconds}s" "$@" 2>/dev/null | tee -a "$work/wrk.log" | sed -n 's/^Requests\/sec: *\([0-9.]*\).*/\1/p'
}
token=$(/usr/bin/python3 - "$secret" <<'PY'
import base64, hashlib, hmac, json, sys, time
def b64(b): return base64.urlsafe_b64encode(b).rstrip(b"=").decode()
now = int(time.time())
head = b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
body = b64(json.dumps({"sub": 1, "email": "admin@28h.com", "role": "Admin", "iat": now, "exp": now + 3600}).encode())
sig = b64(hmac.new(sys.argv[1].encode(), f"{head}.{body}".encode(), hashlib.sha256).digest())
print(f"{head}.{body}.{sig}")
PY
)
http_health=$(wrk_rps "http://127.0.0.1:$http_port/api/v1/health")
http_me=$(wrk_rps -H "Authorization: Bearer $token" "http://127.0.0.1:$http_port/api/v1/auth/me")

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.0f%%", 100 * a / b; else print "n/a" }'; }
printf '\n| what | req/s | vs baseline |\n|---|---|---|\n'
printf '| (a) pgbench helpdesk_api.health(), prepared, %s clients | %s | 100%% |\n' "$pg_clients" "$pg_health"
printf '| (b) wrk GET /api/v1/health, %s connections | %s | %s |\n' "$connections" "$http_health" "$(ratio "$http_health" "$pg_health")"
printf '| (c) pgbench the /auth/me round trip (settings + auth_me(), one pipeline) | %s | %s |\n' "$pg_me" "$(ratio "$pg_me" "$pg_health")"
printf '| (d) wrk GET /api/v1/auth/me (JWT + user lookup) | %s | %s (%s of c) |\n' "$http_me" "$(ratio "$http_me" "$pg_health")" "$(ratio "$http_me" "$pg_me")"
