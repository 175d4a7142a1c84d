#!/usr/bin/env bash
# Runs every test suite and ends with one summary line: "total: N passed, N failed".
#
#   tests/run.sh [suite...]     suites: unit regress isolation worker http fuzz (default: all)
#
# HD_HTTP_BIN: the helpdesk-http binary the http suite runs (default http/helpdesk-http; make
# test-asan passes the sanitizer build). HD_FUZZ_SECONDS: time per fuzz target (default 10).
#
# Needs a built tree (make all). Installs the extension into a private relocated copy of
# PostgreSQL (tests/lib/cluster.sh), never into the system's directories.
set -uo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
. "$repo/tests/lib/cluster.sh"

suites=("$@")
[ ${#suites[@]} -gt 0 ] || suites=(unit regress isolation worker http fuzz)

work=$(mktemp -d /tmp/helpdesk-test.XXXXXX)
chmod 755 "$work"
server_pid=
cleanup() {
    [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null
    for d in "$work"/cluster-*; do [ -d "$d" ] && hd_cluster_stop "$d"; done
    [ -n "${HD_KEEP_TEST_DIR:-}" ] || rm -rf "$work" "${HD_PGROOT:-/nonexistent}"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

total_passed=0
total_failed=0
failed_suites=()

# record SUITE PASSED FAILED
record() {
    total_passed=$((total_passed + $2))
    total_failed=$((total_failed + $3))
    [ "$3" -eq 0 ] || failed_suites+=("$1")
    printf '== %s: %d passed, %d failed\n' "$1" "$2" "$3"
}

# Counts "ok"/"FAILED" lines of pg_regress output (both regress and isolation).
count_pg_regress() {
    local suite=$1 log=$2 rc=$3 passed failed
    passed=$(grep -cE '\.\.\. ok' "$log" || true)
    failed=$(grep -cE '\.\.\. (FAILED|failed)' "$log" || true)
    if [ "$rc" -ne 0 ] && [ "$failed" -eq 0 ]; then failed=1; fi
    record "$suite" "$passed" "$failed"
}

# pg_regress or pg_isolation_regress against a temporary instance, as the postgres user.
run_pg_regress() {
    local suite=$1 driver=$2 inputdir=$3; shift 3
    local dir="$work/$suite" log rc
    mkdir -p "$dir"
    cp -a "$repo/$inputdir/." "$dir/input/"
    cat >"$dir/temp.conf" <<EOF
shared_preload_libraries = 'helpdesk'
helpdesk.database_name = 'contrib_regression'
helpdesk.bcrypt_cost = 4
fsync = off
max_prepared_transactions = 10
EOF
    chown -R "$HD_PGUSER" "$dir"
    log="$dir/run.log"
    (cd "$dir" && hd_as_postgres "$driver" \
        --temp-instance="$dir/instance" --temp-config="$dir/temp.conf" \
        --bindir="$HD_PGBIN" --inputdir="$dir/input" --outputdir="$dir/output" \
        --dbname=contrib_regression \
        --load-extension=pgcrypto --load-extension=pg_trgm --load-extension=unaccent \
        --load-extension=helpdesk "$@") >"$log" 2>&1
    rc=$?
    cat "$log"
    if [ $rc -ne 0 ] && [ -f "$dir/output/regression.diffs" ]; then
        echo "---- $suite: regression.diffs ----"
        head -c 20000 "$dir/output/regression.diffs"
    fi
    count_pg_regress "$suite" "$log" "$rc"
}

# Unit tests of C parsers and cores: every tests/unit/*.sh and http/tests/build-and-run.sh;
# each prints a "N passed, N failed" line.
suite_unit() {
    local script out rc line p f passed=0 failed=0
    for script in "$repo"/http/tests/build-and-run.sh "$repo"/tests/unit/*.sh; do
        [ -f "$script" ] || continue
        out=$(bash "$script" 2>&1); rc=$?
        echo "$out"
        line=$(echo "$out" | grep -E '[0-9]+ passed, [0-9]+ failed' | tail -1)
        if [ -z "$line" ]; then
            p=0; f=1; echo "not ok - $script printed no summary"
        else
            p=$(echo "$line" | grep -oE '[0-9]+ passed' | grep -oE '[0-9]+')
            f=$(echo "$line" | grep -oE '[0-9]+ failed' | grep -oE '[0-9]+')
        fi
        [ $rc -eq 0 ] || [ "$f" -gt 0 ] || f=1
        passed=$((passed + p)); failed=$((failed + f))
    done
    record unit "$passed" "$failed"
}

suite_regress() {
    local tests
    tests=$(cd "$repo/tests/regress/sql" && ls *.sql 2>/dev/null | sed 's/\.sql$//' | sort)
    [ -n "$tests" ] || { record regress 0 0; return; }
    run_pg_regress regress "$HD_PGBIN/../lib/pgxs/src/test/regress/pg_regress" tests/regress $tests
}

suite_isolation() {
    local specs
    specs=$(cd "$repo/tests/isolation/specs" 2>/dev/null && ls *.spec 2>/dev/null | sed 's/\.spec$//' | sort)
    [ -n "$specs" ] || { record isolation 0 0; return; }
    run_pg_regress isolation "$HD_PGBIN/../lib/pgxs/src/test/isolation/pg_isolation_regress" tests/isolation $specs
}

# The background worker's life cycle: starts, reloads on SIGHUP, exits cleanly on shutdown.
suite_worker() {
    local dir="$work/cluster-worker" port passed=0 failed=0
    port=$(hd_free_port)
    check() { if eval "$2"; then passed=$((passed + 1)); echo "ok - $1"; else failed=$((failed + 1)); echo "not ok - $1"; fi; }
    hd_cluster_start "$dir" "$port" "helpdesk.database_name = 'desk'" "helpdesk.worker_idle_seconds = 1" \
        "log_min_messages = log"
    hd_database_create "$dir" "$port" desk >/dev/null
    worker_running() {
        hd_psql "$dir" "$port" desk -At -c \
            "SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'helpdesk sla watcher' AND datname = 'desk'" 2>/dev/null
    }
    wait_for() { for _ in $(seq 1 60); do [ "$(worker_running)" = "$1" ] && return 0; sleep 0.5; done; return 1; }
    check "worker connects to helpdesk.database_name" "wait_for 1"
    hd_psql "$dir" "$port" desk -c "ALTER SYSTEM SET helpdesk.worker_enabled = off" -c "SELECT pg_reload_conf()" >/dev/null
    sleep 2
    check "worker survives a configuration reload" "[ \"\$(worker_running)\" = 1 ]"
    check "worker reads the reloaded setting" \
        "grep -q 'parameter \"helpdesk.worker_enabled\" changed to \"off\"' '$dir/server.log'"
    hd_cluster_ctl "$dir" stop
    check "worker exits cleanly on SIGTERM" "grep -q 'helpdesk sla watcher stopping' '$dir/server.log'"
    # Before the database exists the worker exits 1 and is restarted (as pg_cron's does); once
    # started it must never crash or exit with an error.
    check "no worker crash once started" "! sed -n '/helpdesk sla watcher started/,\$p' '$dir/server.log' | grep -qE '\"helpdesk sla watcher\".*(exited with exit code [^0]|terminated by signal)'"
    record worker "$passed" "$failed"
}

suite_http() {
    local dir="$work/cluster-http" port http_port secret rc out p f line bin=${HD_HTTP_BIN:-$repo/http/helpdesk-http}
    if [ ! -f "$repo/tests/http/run.py" ] || [ ! -x "$bin" ]; then
        record http 0 1; echo "http suite: tests/http/run.py or http/helpdesk-http missing"; return
    fi
    port=$(hd_free_port); http_port=$(hd_free_port)
    hd_cluster_start "$dir" "$port" "helpdesk.database_name = 'desk'" "helpdesk.bcrypt_cost = 4"
    hd_database_create "$dir" "$port" desk >/dev/null
    hd_psql_file "$dir" "$port" desk "$repo/demo/seed.sql" >/dev/null
    secret=$(head -c 48 /dev/urandom | base64 | tr -d '\n/+=' | head -c 48)
    PORT=$http_port HOST=127.0.0.1 DB_HOST=$dir DB_PORT=$port DB_USER=helpdesk_http DB_NAME=desk \
        JWT_SECRET=$secret CORS_ORIGIN=http://localhost:5173 RATE_LIMIT_MAX_REQUESTS=0 \
        "$bin" >"$dir/http.log" 2>&1 &
    server_pid=$!
    for _ in $(seq 1 100); do (exec 3<>"/dev/tcp/127.0.0.1/$http_port") 2>/dev/null && break; sleep 0.1; done
    out=$(HD_BASE_URL="http://127.0.0.1:$http_port" HD_JWT_SECRET=$secret \
          HD_DB_STOP_CMD="runuser -u postgres -- $HD_PGBIN/pg_ctl -D $dir/data -m fast -w stop" \
          HD_DB_START_CMD="runuser -u postgres -- $HD_PGBIN/pg_ctl -D $dir/data -l $dir/server.log -w start" \
          HD_PSQL="runuser -u postgres -- $HD_PGBIN/psql -X -q -h $dir -p $port -U postgres -d desk" \
          /usr/bin/python3 "$repo/tests/http/run.py" 2>&1); rc=$?
    echo "$out"
    kill "$server_pid" 2>/dev/null; wait "$server_pid"; local server_rc=$?; server_pid=
    line=$(echo "$out" | grep -E '^http: [0-9]+ passed, [0-9]+ failed' | tail -1)
    p=$(echo "$line" | grep -oE '[0-9]+ passed' | grep -oE '[0-9]+'); f=$(echo "$line" | grep -oE '[0-9]+ failed' | grep -oE '[0-9]+')
    [ -n "$line" ] || { p=0; f=1; }
    [ $rc -eq 0 ] || [ "$f" -gt 0 ] || f=1
    if [ $server_rc -ne 0 ]; then
        echo "not ok - helpdesk-http exited $server_rc on SIGTERM"; f=$((f + 1))
    else
        echo "ok - helpdesk-http exited 0 on SIGTERM"; p=$((p + 1))
    fi
    if [ "$f" -gt 0 ]; then echo "---- helpdesk-http log (tail) ----"; tail -50 "$dir/http.log"; fi
    record http "$p" "$f"
}

# libFuzzer targets of the server's parsers (tests/fuzz/run.sh), a bounded time each; one
# result per target. A crash's input and log are kept (the script prints where).
suite_fuzz() {
    local out rc p f line
    out=$(bash "$repo/tests/fuzz/run.sh" --seconds "${HD_FUZZ_SECONDS:-10}" 2>&1); rc=$?
    echo "$out"
    line=$(echo "$out" | grep -E '^[0-9]+ passed, [0-9]+ failed$' | tail -1)
    p=$(echo "$line" | grep -oE '^[0-9]+'); f=$(echo "$line" | grep -oE '[0-9]+ failed' | grep -oE '[0-9]+')
    [ -n "$line" ] || { p=0; f=1; }
    [ $rc -eq 0 ] || [ "$f" -gt 0 ] || f=1
    record fuzz "$p" "$f"
}

echo "== preparing a private PostgreSQL root with this build installed"
hd_pgroot_prepare "$repo" || { echo "total: 0 passed, 1 failed"; exit 1; }

for s in "${suites[@]}"; do
    echo "== suite $s"
    "suite_$s"
done

echo
[ ${#failed_suites[@]} -eq 0 ] || echo "failed suites: ${failed_suites[*]}"
echo "total: $total_passed passed, $total_failed failed"
[ "$total_failed" -eq 0 ]
