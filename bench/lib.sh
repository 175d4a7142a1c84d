# Shared by the benchmark scripts: a throwaway cluster + helpdesk-http, pgbench and wrk helpers.
# Sourced after tests/lib/cluster.sh. Uses the system's PostgreSQL (make bench installs there).

bench_seconds=${BENCH_SECONDS:-10}
bench_connections=${BENCH_CONNECTIONS:-64}
bench_pg_clients=${BENCH_PG_CLIENTS:-8}
bench_cores=$(nproc)

command -v wrk >/dev/null || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null

bench_work=$(mktemp -d /tmp/helpdesk-bench.XXXXXX)
chmod 755 "$bench_work"
bench_server_pid=
bench_cleanup() {
    [ -n "$bench_server_pid" ] && kill "$bench_server_pid" 2>/dev/null && wait "$bench_server_pid" 2>/dev/null
    hd_cluster_stop "$bench_work/cluster"
    rm -rf "$bench_work"
}
trap bench_cleanup EXIT

bench_machine() {
    echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(date -u +%Y-%m-%d)"
    echo "load generators share the machine with the servers; figures are requests per second"
}

# bench_cluster_start: cluster + database "bench" with the extension and the demo data.
bench_cluster_start() {
    bench_pg_port=$(hd_free_port)
    hd_cluster_start "$bench_work/cluster" "$bench_pg_port" "helpdesk.database_name = 'bench'" \
        "helpdesk.bcrypt_cost = 4" "max_connections = 300" "shared_buffers = 1GB" "$@"
    hd_database_create "$bench_work/cluster" "$bench_pg_port" bench >/dev/null 2>&1
    hd_psql_file "$bench_work/cluster" "$bench_pg_port" bench "$repo/demo/seed.sql" >/dev/null
}

bench_psql() { hd_psql "$bench_work/cluster" "$bench_pg_port" bench "$@"; }

bench_server_start() {
    bench_http_port=$(hd_free_port)
    bench_secret=$(head -c 48 /dev/urandom | base64 | tr -d '\n/+=' | head -c 48)
    PORT=$bench_http_port DB_HOST=$bench_work/cluster DB_PORT=$bench_pg_port DB_USER=helpdesk_http \
        DB_NAME=bench JWT_SECRET=$bench_secret RATE_LIMIT_MAX_REQUESTS=0 ACCESS_LOG=off \
        HTTP_THREADS=${HTTP_THREADS:-$bench_cores} "$repo/http/helpdesk-http" >"$bench_work/http.log" 2>&1 &
    bench_server_pid=$!
    for _ in $(seq 1 100); do (exec 3<>"/dev/tcp/127.0.0.1/$bench_http_port") 2>/dev/null && break; sleep 0.1; done
}

# bench_token USER_ID: an access token for that user.
bench_token() {
    /usr/bin/python3 - "$bench_secret" "$1" <<'PY'
import base64, hashlib, hmac, json, sys, time
def b64(b): return base64.urlsafe_b64encode(b).rstrip(b"=").decode()
now = int(time.time())
head = b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
body = b64(json.dumps({"sub": int(sys.argv[2]), "iat": now, "exp": now + 3600}).encode())
sig = b64(hmac.new(sys.argv[1].encode(), f"{head}.{body}".encode(), hashlib.sha256).digest())
print(f"{head}.{body}.{sig}")
PY
}

# bench_pgbench SCRIPT_TEXT: transactions per second of that pgbench script as helpdesk_http.
bench_pgbench() {
    local f
    f=$(mktemp "$bench_work/pgbench.XXXXXX.sql")
    printf '%s\n' "$1" >"$f"
    chmod 644 "$f"
    hd_as_postgres "$HD_PGBIN/pgbench" -n -M prepared -c "$bench_pg_clients" -j "$bench_cores" \
        -T "$bench_seconds" -h "$bench_work/cluster" -p "$bench_pg_port" -U helpdesk_http -f "$f" bench \
        2>>"$bench_work/pgbench.err" | sed -n 's/^tps = \([0-9.]*\).*/\1/p'
}

# The exact round trip of helpdesk-http for one route: one statement whose FROM clause sets the
# request's settings (docs/REQUEST-CONTRACT.md).
# bench_route_script FUNCTION ACTOR_ID READ_ONLY(on|off) REQUEST_JSON
bench_route_script() {
    printf '%s\n' \
        "SELECT helpdesk_api.$1('$4'::jsonb)::text FROM helpdesk_api.request_context(actor_id => '$2', token_iat => '', client_ip => '127.0.0.1', user_agent => 'pgbench', read_only => '$3', application_name => 'pgbench');"
}

# bench_wrk URL [wrk args...]: requests per second; non-2xx answers are counted as failures.
bench_wrk() {
    local url=$1 out; shift
    out=$(wrk -t "$bench_cores" -c "$bench_connections" -d "${bench_seconds}s" "$@" "$url" 2>&1)
    echo "$out" >>"$bench_work/wrk.log"
    if echo "$out" | grep -q 'Non-2xx'; then
        echo "wrk $url: $(echo "$out" | grep 'Non-2xx')" >&2
    fi
    echo "$out" | sed -n 's/^Requests\/sec: *\([0-9.]*\).*/\1/p'
}

bench_ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.0f%%", 100 * a / b; else print "n/a" }'; }

# The foundation's baseline: pgbench calling helpdesk_api.health(), prepared.
bench_baseline() {
    bench_pgbench "SELECT helpdesk_api.health('{\"path\": {}, \"query\": {}, \"body\": null}'::jsonb)::text;"
}
