#!/usr/bin/env bash
# Runs every test suite and ends with one summary line: "total: N passed, N failed".
#
#   tests/run.sh [suite...]     suites: unit regress isolation worker upgrade http package fuzz asan
#                               faults replica (default: all)
#
# HD_HTTP_BIN: the helpdesk-http binary the http suite runs (default http/helpdesk-http; make
# test-asan passes the sanitizer build). HD_FUZZ_SECONDS: time per fuzz target (default 10).
# The suite asan runs the http suite against http/helpdesk-http-asan with leak checks; the
# suite faults breaks things under load (tests/faults, docs/RELIABILITY.md).
#
# Needs a built tree (make all). Installs the extension into a private relocated copy of
# PostgreSQL (tests/lib/cluster.sh), never into the system's directories.
#
# Counts come from each runner's own result, never from its printed text:
#   - the C unit test programs (http/tests/t.h, tests/unit/calendar_test.c), the scripts that run
#     them and tests/http/run.py write "PASSED FAILED" to the file named by HD_RESULT_FILE;
#   - pg_regress and pg_isolation_regress: per test, the result file it wrote (results/T.out)
#     compared with expected/T.out or an alternative expected/T_N.out, as pg_regress compares
#     them, plus its exit status;
#   - the worker suite and the http suite's own checks count in this script.
# A runner that crashes, writes no result or exits non-zero without a failure counts as failed.
set -uo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
. "$repo/tests/lib/cluster.sh"
export HD_CLUSTER_FAST=1  # throwaway clusters, the suites' own scripts too: speed over durability (tests/lib/cluster.sh)

suites=("$@")
[ ${#suites[@]} -gt 0 ] || suites=(unit regress isolation worker upgrade http package fuzz asan faults replica)

work=$(mktemp -d /tmp/helpdesk-test.XXXXXX)
chmod 755 "$work"
server_pid=
cleanup() {
    [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null
    for d in "$work"/cluster-* "$work"/package/cluster-* "$work"/faults/cluster-* "$work"/replica/cluster-*; do [ -d "$d" ] && hd_cluster_stop "$d"; done
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

# read_result FILE RC: sets P and F from a runner's result file ("PASSED FAILED"); no file, a
# garbled one, or a non-zero exit status without a failure counts one failure more.
read_result() {
    local file=$1 rc=$2 p f
    P=0; F=1
    if [ -f "$file" ] && read -r p f <"$file" && [[ "$p" =~ ^[0-9]+$ && "$f" =~ ^[0-9]+$ ]]; then
        P=$p; F=$f
    else
        echo "not ok - no result from the runner (${file##*/})"
    fi
    if [ "$rc" -ne 0 ] && [ "$F" -eq 0 ]; then F=1; fi
}

# Per test of a pg_regress run: passed when pg_regress wrote its result file and that file is
# the expected output or one of its alternatives (T_0.out .. T_9.out), compared byte for byte
# as pg_regress does on this platform (plain diff); a test without a result file crashed. A
# non-zero exit status of pg_regress with no failed test counts one failure.
count_pg_regress() {
    local suite=$1 dir=$2 rc=$3 t alt ok passed=0 failed=0; shift 3
    for t in "$@"; do
        ok=0
        if [ -f "$dir/output/results/$t.out" ]; then
            for alt in "$dir/input/expected/$t.out" "$dir/input/expected/${t}"_[0-9].out; do
                [ -f "$alt" ] && cmp -s "$alt" "$dir/output/results/$t.out" && { ok=1; break; }
            done
        fi
        if [ $ok -eq 1 ]; then passed=$((passed + 1)); else failed=$((failed + 1)); echo "not ok - $suite $t"; fi
    done
    if [ "$rc" -ne 0 ] && [ "$failed" -eq 0 ]; then failed=1; echo "not ok - $suite: pg_regress exited $rc"; fi
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
    count_pg_regress "$suite" "$dir" "$rc" "$@"
}

# Unit tests of C parsers and cores: http/tests/build-and-run.sh and every tests/unit/*.sh;
# each writes "PASSED FAILED" to $HD_RESULT_FILE.
suite_unit() {
    local script rc result passed=0 failed=0 n=0
    for script in "$repo"/http/tests/build-and-run.sh "$repo"/tests/unit/*.sh; do
        [ -f "$script" ] || continue
        n=$((n + 1)); result="$work/unit-$n.result"
        HD_RESULT_FILE=$result bash "$script" 2>&1; rc=$?
        read_result "$result" "$rc"
        passed=$((passed + P)); failed=$((failed + F))
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
    # A round that runs long (a catch-up over a large desk; here, blocked on a lock that another
    # session holds) is cancelled by SIGTERM and rolled back: the worker stops at once, not after
    # the round.
    hd_cluster_ctl "$dir" start
    hd_psql "$dir" "$port" desk -c "ALTER SYSTEM SET helpdesk.worker_enabled = on" -c "SELECT pg_reload_conf()" >/dev/null
    check "worker connects again after a restart" "wait_for 1"
    hd_psql "$dir" "$port" desk -c "BEGIN" -c "LOCK TABLE helpdesk.sla_clocks" -c "SELECT pg_sleep(300)" >/dev/null 2>&1 &
    local holder=$!
    worker_blocked() {
        [ "$(hd_psql "$dir" "$port" desk -At -c \
            "SELECT wait_event_type FROM pg_stat_activity WHERE backend_type = 'helpdesk sla watcher'")" = Lock ]
    }
    poll() { for _ in $(seq 1 100); do eval "$1" && return 0; sleep 0.2; done; return 1; }
    check "worker's round waits for the lock" "poll worker_blocked"
    hd_psql "$dir" "$port" desk -At -c \
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE backend_type = 'helpdesk sla watcher'" >/dev/null
    stopped_twice() { [ "$(grep -c 'helpdesk sla watcher stopping' "$dir/server.log")" = 2 ]; }
    check "SIGTERM cancels the waiting round and the worker stops" \
        "poll stopped_twice && grep -q 'round cancelled by shutdown' '$dir/server.log'"
    hd_psql "$dir" "$port" desk -c \
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query LIKE '%pg_sleep(300)%' AND pid <> pg_backend_pid()" >/dev/null
    wait "$holder" 2>/dev/null || true
    hd_cluster_ctl "$dir" stop
    # Before the database exists the worker exits 1 and is restarted (as pg_cron's does); once
    # started it must never crash or exit with an error.
    check "no worker crash once started" "! sed -n '/helpdesk sla watcher started/,\$p' '$dir/server.log' | grep -qE '\"helpdesk sla watcher\".*(exited with exit code [^0]|terminated by signal)'"
    record worker "$passed" "$failed"
}

# From the last release to this version, and pg_dump/pg_restore of a live desk (tests/upgrade/run.sh).
suite_upgrade() {
    local result="$work/upgrade.result" rc
    HD_RESULT_FILE=$result HD_WORK=$work HD_PGBIN=$HD_PGBIN bash "$repo/tests/upgrade/run.sh" 2>&1; rc=$?
    read_result "$result" "$rc"
    record upgrade "$P" "$F"
}

# GET url: prints the HTTP status, 000 when nothing answers.
http_status() {
    /usr/bin/python3 - "$1" <<'PY'
import sys, urllib.request, urllib.error
try:
    print(urllib.request.urlopen(sys.argv[1], timeout=10).status)
except urllib.error.HTTPError as e:
    print(e.code)
except Exception:
    print("000")
PY
}

# wait_status URL STATUS [tries]: polls every 0.2 s until URL answers STATUS.
wait_status() {
    local i
    for i in $(seq 1 "${3:-100}"); do [ "$(http_status "$1")" = "$2" ] && return 0; sleep 0.2; done
    return 1
}

# wait_exit PID [tries]: waits (0.2 s steps) for a process of ours to end; sets EXIT_RC.
wait_exit() {
    local i
    for i in $(seq 1 "${2:-150}"); do
        if ! kill -0 "$1" 2>/dev/null; then wait "$1"; EXIT_RC=$?; return 0; fi
        sleep 0.2
    done
    return 1
}

# suite_http [NAME]: NAME (default http) names the suite in the summary (asan runs it too)
suite_http() {
    local dir="$work/cluster-${1:-http}" port http_port metrics_port secret rc p f result bin=${HD_HTTP_BIN:-$repo/http/helpdesk-http} log
    local passed=0 failed=0
    if [ ! -f "$repo/tests/http/run.py" ] || [ ! -x "$bin" ]; then
        record http 0 1; echo "http suite: tests/http/run.py or http/helpdesk-http missing"; return
    fi
    check() { if eval "$2"; then passed=$((passed + 1)); echo "ok - $1"; else failed=$((failed + 1)); echo "not ok - $1"; fi; }
    port=$(hd_free_port); http_port=$(hd_free_port); metrics_port=$(hd_free_port)
    hd_cluster_start "$dir" "$port" "helpdesk.database_name = 'desk'" "helpdesk.bcrypt_cost = 4"
    hd_database_create "$dir" "$port" desk >/dev/null
    hd_psql_file "$dir" "$port" desk "$repo/demo/seed.sql" >/dev/null
    secret=$(head -c 48 /dev/urandom | base64 | tr -d '\n/+=' | head -c 48)
    # the settings of every run of the server below (a simple command, so that $! is the
    # server itself and a kill reaches it)
    local srv=(env PORT=$http_port HOST=127.0.0.1 DB_HOST=$dir DB_PORT=$port DB_USER=helpdesk_http
               JWT_SECRET=$secret CORS_ORIGIN=http://localhost:5173 RATE_LIMIT_MAX_REQUESTS=0
               SSE_KEEPALIVE_MS=1000)  # tests/http/test_notifications.py waits for one

    # the route table agrees with the installed extension (make test's catalog check)
    log="$dir/check-catalog.log"
    "${srv[@]}" DB_NAME=desk "$bin" --check-catalog >"$log" 2>&1; rc=$?
    cat "$log"
    check "helpdesk-http --check-catalog: the route table agrees with helpdesk_api" \
        "[ $rc -eq 0 ] && grep -q 'agrees' '$log'"

    result="$work/http.result"
    check "helpdesk-http --version and SELECT helpdesk.version() agree" \
        "[ \"\$('$bin' --version)\" = \"helpdesk-http \$(hd_psql '$dir' $port desk -At -c 'SELECT helpdesk.version()')\" ]"
    # the main run: JSON log lines and /metrics on an address of its own (tests/http/test_observe.py)
    "${srv[@]}" DB_NAME=desk LOG_FORMAT=json METRICS_LISTEN=127.0.0.1:$metrics_port "$bin" >"$dir/http.log" 2>&1 &
    server_pid=$!
    for _ in $(seq 1 100); do (exec 3<>"/dev/tcp/127.0.0.1/$http_port") 2>/dev/null && break; sleep 0.1; done
    HD_RESULT_FILE=$result HD_BASE_URL="http://127.0.0.1:$http_port" HD_JWT_SECRET=$secret \
        HD_METRICS_URL="http://127.0.0.1:$metrics_port" HD_SERVER_LOG="$dir/http.log" HD_DB_LOG="$dir/server.log" \
        HD_DB_STOP_CMD="runuser -u postgres -- $HD_PGBIN/pg_ctl -D $dir/data -m fast -w stop" \
        HD_DB_START_CMD="runuser -u postgres -- $HD_PGBIN/pg_ctl -D $dir/data -l $dir/server.log -w start" \
        HD_PSQL="runuser -u postgres -- $HD_PGBIN/psql -X -q -h $dir -p $port -U postgres -d desk" \
        HD_HTTP_BIN="$bin" HD_SERVER_DB="DB_HOST=$dir DB_PORT=$port DB_USER=helpdesk_http DB_NAME=desk" \
        /usr/bin/python3 "$repo/tests/http/run.py" 2>&1; rc=$?
    read_result "$result" "$rc"
    passed=$((passed + P)); failed=$((failed + F))
    kill "$server_pid" 2>/dev/null; wait "$server_pid"; local server_rc=$?; server_pid=
    check "helpdesk-http exited 0 on SIGTERM" "[ $server_rc -eq 0 ]"
    check "no sanitizer report in the server's log" "! grep -qE 'ERROR: (Address|Leak)Sanitizer|runtime error:' '$dir/http.log'"
    [ "$failed" -eq 0 ] || { echo "---- helpdesk-http log (tail) ----"; tail -50 "$dir/http.log"; }

    # the rate limit's counter: requests until one is refused, which /metrics counts
    "${srv[@]}" DB_NAME=desk RATE_LIMIT_MAX_REQUESTS=2 METRICS_LISTEN=127.0.0.1:$metrics_port "$bin" >"$dir/http-limited.log" 2>&1 &
    server_pid=$!
    for _ in $(seq 1 100); do (exec 3<>"/dev/tcp/127.0.0.1/$http_port") 2>/dev/null && break; sleep 0.1; done
    check "GET /metrics counts the requests the rate limit refused" \
        "/usr/bin/python3 '$repo/tests/http/check_rate_limit_metrics.py' http://127.0.0.1:$http_port http://127.0.0.1:$metrics_port"
    kill "$server_pid"; wait "$server_pid"; server_pid=

    # a database whose helpdesk_api disagrees with the route table: a read-only route's
    # function made VOLATILE, another's renamed away
    hd_database_create "$dir" "$port" drifted >/dev/null
    hd_psql "$dir" "$port" drifted -c "ALTER FUNCTION helpdesk_api.health(jsonb) VOLATILE" \
        -c "ALTER FUNCTION helpdesk_api.docs(jsonb) RENAME TO docs_gone" >/dev/null
    log="$dir/check-drifted.log"
    "${srv[@]}" DB_NAME=drifted "$bin" --check-catalog >"$log" 2>&1; rc=$?
    cat "$log"
    check "--check-catalog refuses a drifted catalog (exit 1), naming each route" \
        "[ $rc -eq 1 ] && grep -q '^GET /api/v1/health: read-only route, but helpdesk_api.health(jsonb) is VOLATILE' '$log' \
         && grep -q '^GET /api/v1/docs: function helpdesk_api.docs(jsonb) does not exist' '$log'"
    # until_exit: waits for the server to stop by itself (killed after 30 s); sets EXIT_RC
    until_exit() { EXIT_RC=; wait_exit "$server_pid" || { kill "$server_pid"; wait "$server_pid"; }; server_pid=; }
    log="$dir/http-drifted.log"
    "${srv[@]}" DB_NAME=drifted "$bin" >"$log" 2>&1 &
    server_pid=$!
    until_exit
    check "helpdesk-http refuses to start on a drifted catalog (exit 1), naming each route" \
        "[ '$EXIT_RC' = 1 ] && grep -q 'refusing to start' '$log' && grep -q '^GET /api/v1/docs: ' '$log'"

    # the database down at start-up: 503 until the check can be made; then it serves (catalog
    # agrees) or stops with exit 1 (catalog drifted).
    # start_late DB LOG: the database stopped, the server started on DB, its 503 checked, the
    # database started again
    start_late() {
        hd_cluster_ctl "$dir" stop
        "${srv[@]}" DB_NAME=$1 CATALOG_RETRY_MS=200 "$bin" >"$2" 2>&1 &
        server_pid=$!
        check "database $1 down at start-up: the server listens and answers 503" \
            "wait_status http://127.0.0.1:$http_port/api/v1/health 503"
        hd_cluster_ctl "$dir" start
    }
    log="$dir/http-late.log"
    start_late desk "$log"
    check "... and serves once the database is up and the route table checked" \
        "wait_status http://127.0.0.1:$http_port/api/v1/health 200 && grep -q 'agrees with helpdesk_api' '$log'"
    kill "$server_pid"; wait "$server_pid"; server_pid=
    log="$dir/http-late-drifted.log"
    start_late drifted "$log"
    until_exit
    check "... and stops with exit 1 once the database is up, naming the routes" \
        "[ '$EXIT_RC' = 1 ] && grep -q 'GET /api/v1/health: read-only route' '$log'"
    record "${1:-http}" "$passed" "$failed"
}

# The http suite once more against the server built with ASan + UBSan (make builds it beside
# the ordinary one): any report aborts the server; at exit LeakSanitizer checks that it freed
# everything (exit status 23 otherwise, which the suite counts as a failure).
suite_asan() {
    local bin=$repo/http/helpdesk-http-asan
    [ -x "$bin" ] || { record asan 0 1; echo "asan suite: $bin missing (make http/helpdesk-http-asan)"; return; }
    HD_HTTP_BIN=$bin ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 UBSAN_OPTIONS=print_stacktrace=1 suite_http asan
}

# Faults under load (tests/faults/run.py): the database restarted and crashed, the server and
# the SLA watcher killed, every connection held by slow statements, slow and idle clients.
# Past one machine (tests/replica/run.py, docs/SCALING.md): a primary and a streaming replica
# (pg_basebackup -R) with helpdesk-http reading from it (DB_READ_HOST), and two servers against
# one database (tokens, revocation, the shared rate limit).
suite_replica() {
    local dir="$work/replica" result="$work/replica.result" rc
    mkdir -p "$dir" && chmod 755 "$dir"
    HD_RESULT_FILE=$result HD_PGBIN=$HD_PGBIN HD_FAULT_DIR=$dir HD_HTTP_BIN=$repo/http/helpdesk-http \
        /usr/bin/python3 "$repo/tests/replica/run.py" 2>&1; rc=$?
    read_result "$result" "$rc"
    record replica "$P" "$F"
}

suite_faults() {
    local dir="$work/faults" result="$work/faults.result" rc
    mkdir -p "$dir" && chmod 755 "$dir"
    HD_RESULT_FILE=$result HD_PGBIN=$HD_PGBIN HD_FAULT_DIR=$dir HD_HTTP_BIN=$repo/http/helpdesk-http \
        /usr/bin/python3 "$repo/tests/faults/run.py" 2>&1; rc=$?
    read_result "$result" "$rc"
    record faults "$P" "$F"
}

# libFuzzer targets of the server's parsers (tests/fuzz/run.sh), a bounded time each; one
# result per target. A crash's input and log are kept (the script prints where).
suite_fuzz() {
    local result="$work/fuzz.result" rc
    HD_RESULT_FILE=$result bash "$repo/tests/fuzz/run.sh" --seconds "${HD_FUZZ_SECONDS:-10}" 2>&1; rc=$?
    read_result "$result" "$rc"
    record fuzz "$P" "$F"
}

# The Debian packages built, installed with dpkg into a private PostgreSQL root, the server
# started from the unit's ExecStart (tests/package/test.sh; about 2 minutes, mostly the build).
suite_package() {
    local result="$work/package.result" rc
    mkdir -p "$work/package"
    HD_RESULT_FILE=$result bash "$repo/tests/package/test.sh" "$work/package" 2>&1; rc=$?
    read_result "$result" "$rc"
    record package "$P" "$F"
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
