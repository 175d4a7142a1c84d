# Shared by the benchmark scripts: a throwaway cluster + helpdesk-http, pgbench and wrk helpers.
# Sourced after tests/lib/cluster.sh. Uses the system's PostgreSQL (make bench installs there).

bench_seconds=${BENCH_SECONDS:-10}
bench_connections=${BENCH_CONNECTIONS:-64}
bench_pg_clients=${BENCH_PG_CLIENTS:-8}
bench_cores=$(nproc)

command -v wrk >/dev/null || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null
# h2load (nghttp2-client) for latency percentiles: its per-request log gives every request's
# time; wrk's percentiles have come out above what its own request rate allows for a closed loop
# (mean latency > connections / rate), see bench/RESULTS.md "Latency tails: wrk against h2load"
command -v h2load >/dev/null || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nghttp2-client >/dev/null

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

# The one way to start a bench cluster on a data set kept between runs (bench/api.sh, reports.sh,
# action_required.sh, route_profile.sh): bench_data_start DATA_DIR [SERVER_OPTION...]
# A data set already there (DATA_DIR/generated: bench_data_reused=1) is started on a free port
# with the options given (pg_ctl -o, e.g. "-c pg_stat_statements.track=all": for this run only,
# its postgresql.conf stays as built; the socket is DATA_DIR's own, so a `cp -a` copy works)
# and gets ALTER EXTENSION helpdesk UPDATE. Otherwise (bench_data_reused=0) a new cluster is made
# there with the bench settings and the options given, database "bench" and the demo seed; the
# caller generates its rows and then runs bench_data_generated. $bench_work/cluster points at
# DATA_DIR (bench_psql, bench_cleanup's stop).
bench_data_start() {
    local dir=$1 opts=; shift
    [ $# -gt 0 ] && opts=$(printf ' %s' "$@")
    bench_pg_port=$(hd_free_port)
    ln -sfn "$dir" "$bench_work/cluster"
    if [ -f "$dir/generated" ] || [ -f "$dir/built" ]; then  # (built: a set of api.sh before the two marks)
        bench_data_reused=1
        hd_as_postgres "$HD_PGBIN/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 300 start \
            -o "-p $bench_pg_port -k $dir$opts" >/dev/null
        bench_psql -q -c "ALTER EXTENSION helpdesk UPDATE" >/dev/null
        if [ "$(cat "$dir/extension.md5" 2>/dev/null)" != "$(md5sum <"$repo/helpdesk--1.1.sql")" ]; then
            echo "note: $dir was built with another helpdesk--1.1.sql than this checkout's" \
                 "(SQL changed since: BENCH_REBUILD=1 measures this checkout's)" >&2
        fi
    else
        bench_data_reused=0
        rm -rf "$dir"
        hd_cluster_start "$dir" "$bench_pg_port" "helpdesk.database_name = 'bench'" "helpdesk.bcrypt_cost = 4" \
            "max_connections = 300" "shared_buffers = 1GB" "maintenance_work_mem = 512MB" "max_wal_size = 8GB" \
            "checkpoint_timeout = 30min"
        [ -z "$opts" ] || hd_cluster_ctl "$dir" stop
        [ -z "$opts" ] || hd_as_postgres "$HD_PGBIN/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 start -o "$opts" >/dev/null
        hd_database_create "$dir" "$bench_pg_port" bench >/dev/null 2>&1
        hd_psql_file "$dir" "$bench_pg_port" bench "$repo/demo/seed.sql" >/dev/null
        # The seed's SLA rules queued a recomputation of the open tickets for the watcher: on the
        # generated rows it would run during the measures (and deadlock with a clocks load).
        bench_psql -c "DELETE FROM helpdesk.sla_recompute_requests" >/dev/null
        # ... and its escalation rules match tens of thousands of the generated open tickets: the
        # watcher's next round would escalate them all at once, from the generation's commit on
        # (bench/reports_clocks.sql switches them off too, but later). Not what is measured.
        bench_psql -c "UPDATE helpdesk.escalation_rules SET is_active = false" >/dev/null
    fi
}

# bench_data_generate TICKETS COMMENTS_PER_TICKET: a new data set's rows (bench/generate.sql with
# triggers off, then the SLA clocks those triggers would have started: bench/reports_clocks.sql),
# marked generated. Then bench_data_summaries.
bench_data_generate() {
    bench_psql -v tickets="$1" -v comments="$2" <"$repo/bench/generate.sql" | tail -3
    bench_psql <"$repo/bench/reports_clocks.sql" >/dev/null
    bench_data_generated
}

# bench_data_summaries: the reports' summary tables filled from the generated rows (written with
# triggers off), the past deadlines summed (reports_advance, as the periodic job keeps them),
# VACUUM ANALYZE; once per data set (DATA_DIR/built).
bench_data_summaries() {
    local dir
    dir=$(readlink "$bench_work/cluster")
    [ -f "$dir/built" ] && return 0
    bench_psql -At -c "SELECT helpdesk.reports_rebuild()" >/dev/null
    bench_psql -At -c "SELECT helpdesk.reports_advance()" >/dev/null
    bench_psql -At -c "VACUUM ANALYZE" >/dev/null
    touch "$dir/built"
}

# bench_reports_reload: this checkout's report functions (sql/80-81) into a kept data set, whose
# extension script may be older (CREATE OR REPLACE: what is measured is the checkout's SQL; the
# report tables hold the built data, so a changed table or return type needs BENCH_REBUILD=1),
# their types when missing, then the privileges and search paths of sql/99_finalize.sql again,
# which CREATE OR REPLACE resets.
bench_reports_reload() {
    local f
    for f in "$repo"/sql/8[0-1]_reports*.sql; do
        awk '/^CREATE TYPE/ { on = 2; print "DO $type$ BEGIN" }
             /^CREATE FUNCTION/ { on = 1; sub(/^CREATE FUNCTION/, "CREATE OR REPLACE FUNCTION") }
             on { print }
             on == 2 && /\);[[:space:]]*$/ { print "EXCEPTION WHEN duplicate_object THEN NULL; END $type$;" }
             (on == 1 && /\$\$;[[:space:]]*$/) || (on == 2 && /\);[[:space:]]*$/) { on = 0 }' "$f"
    done | cat - "$repo/sql/99_finalize.sql" | bench_psql -q >/dev/null
}

# bench_data_generated: marks the data set in $bench_work/cluster complete (reused from then on).
bench_data_generated() {
    local dir
    dir=$(readlink "$bench_work/cluster")
    md5sum <"$repo/helpdesk--1.1.sql" >"$dir/extension.md5"
    touch "$dir/generated"
}

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
    # A client that fails a statement stops and pgbench exits 2 with the others' figure: the
    # figure is kept and the first errors shown (a failing route must not end the suite).
    local err=$bench_work/pgbench.err.last
    { hd_as_postgres "$HD_PGBIN/pgbench" -n -M prepared -c "$bench_pg_clients" -j "$bench_cores" \
        -T "$bench_seconds" -h "$bench_work/cluster" -p "$bench_pg_port" -U helpdesk_http -f "$f" bench \
        2>"$err" || echo "pgbench failed (exit $?): $(grep -m3 -i 'error\|abort' "$err" | tr '\n' ' ')" >&2; } \
        | sed -n 's/^tps = \([0-9.]*\).*/\1/p'
    cat "$err" >>"$bench_work/pgbench.err"
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

# Memory, KiB. bench_server_rss: helpdesk-http's resident set. bench_pg_pss: PostgreSQL's, the
# proportional set size summed over the postmaster and its children (a shared page counted once
# in all, not once per backend as summed RSS would: shared_buffers touched by 40 backends).
# bench_latency_stats: "req/s p50 p90 p99 p99.9 max mean" from latencies in ms on stdin, one per
# request of a bench_seconds run (h2load's and pgbench's per-request logs); nearest-rank percentiles
bench_latency_stats() {
    sort -n | awk -v s="$bench_seconds" 'function at(p) { return v[int(p * n - 1e-9) + 1] }
        { v[NR] = $1; sum += $1 }
        END { n = NR; if (n == 0) { print "0 - - - - - -"; exit }
              printf "%.0f %.2f %.2f %.2f %.2f %.2f %.3f\n", n / s, at(.5), at(.9), at(.99), at(.999), v[n], sum / n }'
}

# bench_h2load CONNECTIONS H2LOAD_ARGS...: "req/s p50 p90 p99 p99.9 max mean failed" over HTTP/1.1
# for bench_seconds (latencies in ms, to the end of each response; failed: non-2xx, errors,
# timeouts). The arguments end with the URL, or give `-i FILE` (absolute URLs, taken in turn).
bench_h2load() {
    local c=$1 log out; shift
    log=$(mktemp "$bench_work/h2load.XXXXXX.log")
    out=$(h2load --h1 -t "$bench_cores" -c "$c" -D "$bench_seconds" --log-file="$log" "$@" 2>&1)
    echo "$out" >>"$bench_work/h2load.out"
    echo "$(awk '{ print $3 / 1000 }' "$log" | bench_latency_stats) $(echo "$out" | awk '$1 == "requests:" { print $10 + $12 + $14 }')"
    rm -f "$log"
}

# bench_pgbench_latency CLIENTS SCRIPT_TEXT: "tx/s p50 p90 p99 p99.9 max mean" of a pgbench
# script as helpdesk_http over bench_seconds, from pgbench's log of every transaction (ms)
bench_pgbench_latency() {
    local f logdir
    f=$(mktemp "$bench_work/pgbench.XXXXXX.sql"); printf '%s\n' "$2" >"$f"; chmod 644 "$f"
    logdir=$(mktemp -d "$bench_work/pglog.XXXXXX"); chmod 777 "$logdir"
    (cd "$logdir" && hd_as_postgres "$HD_PGBIN/pgbench" -n -M prepared -c "$1" -j "$bench_cores" -T "$bench_seconds" \
        -l --log-prefix="$logdir/tx" -h "$bench_work/cluster" -p "$bench_pg_port" -U helpdesk_http -f "$f" bench \
        >/dev/null 2>>"$bench_work/pgbench.err")
    cat "$logdir"/tx* 2>/dev/null | awk '{ print $3 / 1000 }' | bench_latency_stats
    rm -rf "$f" "$logdir"
}

bench_server_rss() { awk '/^VmRSS/ { print $2 }' "/proc/$bench_server_pid/status" 2>/dev/null || echo 0; }
bench_pg_pss() {
    local pm p
    pm=$(head -1 "$bench_work/cluster/data/postmaster.pid")
    # (one awk over every file: a process per backend took seconds at a load of 20)
    for p in $pm $(pgrep -P "$pm"); do echo "/proc/$p/smaps_rollup"; done \
        | xargs awk '/^Pss:/ { s += $2 } END { print s + 0 }' 2>/dev/null || true
}
# bench_mem_sampler FILE: "server_kib pg_kib" appended to FILE every 0.5 s until killed.
bench_mem_sampler() {
    while :; do echo "$(bench_server_rss) $(bench_pg_pss)" >>"$1"; sleep 0.5; done
}
# bench_mem_peak FILE: "server_MiB pg_MiB", the peaks sampled in FILE
bench_mem_peak() { [ -s "$1" ] || { echo "? ?"; return; }; awk '$1 > s { s = $1 } $2 > p { p = $2 } END { printf "%.1f %.0f", s / 1024, p / 1024 }' "$1"; }

bench_ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.0f%%", 100 * a / b; else print "n/a" }'; }

# The foundation's baseline: pgbench calling helpdesk_api.health(), prepared.
bench_baseline() {
    bench_pgbench "SELECT helpdesk_api.health('{\"path\": {}, \"query\": {}, \"body\": null}'::jsonb)::text;"
}
