#!/usr/bin/env bash
# Builds the libFuzzer targets of tests/fuzz and runs each for a bounded time.
#
#   tests/fuzz/run.sh [--seconds N] [--dir DIR] [target...]
#
#   --seconds N   time per target (default: $FUZZ_SECONDS, else 10)
#   --dir DIR     scratch directory: binaries, the grown corpus (DIR/corpus/<target>, new
#                 inputs only: the checked-in corpus is read, never written), crash
#                 artifacts and logs (default: a temporary directory, removed afterwards)
#   target        router request jwt multipart upload (default: all)
#
# Environment: CLANG (default clang), FUZZ_MAX_LEN (largest input, default 4096),
# FUZZ_TIMEOUT (seconds one input may take, default 10), FUZZ_RSS_MB (default 2048).
# Prints "ok - fuzz_<target>: ..." or "not ok - ..." per target with its executions and speed,
# then "N passed, N failed" (and writes "N M" to $HD_RESULT_FILE when set, for tests/run.sh).
# A crash leaves its input in DIR/artifacts and its log is printed.
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
seconds=${FUZZ_SECONDS:-10}
dir=
targets=()
while [ $# -gt 0 ]; do
    case "$1" in
        --seconds) seconds=$2; shift 2 ;;
        --seconds=*) seconds=${1#*=}; shift ;;
        --dir) dir=$2; shift 2 ;;
        --dir=*) dir=${1#*=}; shift ;;
        -h|--help) sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        -*) echo "unknown option $1" >&2; exit 2 ;;
        *) targets+=("$1"); shift ;;
    esac
done
[ ${#targets[@]} -gt 0 ] || targets=(router request jwt multipart upload)
case "$seconds" in ''|*[!0-9]*|0) echo "--seconds wants a positive integer" >&2; exit 2 ;; esac

clang=${CLANG:-clang}
if ! command -v "$clang" >/dev/null; then
    echo "not ok - fuzz: $clang is missing (make deps installs clang and libclang-rt-14-dev)"
    echo "0 passed, 1 failed"
    [ -z "${HD_RESULT_FILE:-}" ] || echo "0 1" >"$HD_RESULT_FILE"
    exit 1
fi
tmp=
if [ -z "$dir" ]; then
    tmp=$(mktemp -d /tmp/helpdesk-fuzz.XXXXXX)
    dir=$tmp
    trap 'rm -rf "$tmp"' EXIT
fi
mkdir -p "$dir/bin" "$dir/artifacts" "$dir/logs"
dir=$(cd "$dir" && pwd) # the targets run from inside it

# Sources of each target: the harness and the server files it exercises.
sources() {
    case "$1" in
        router) echo "http/router.c http/routes.c http/request.c" ;;
        request) echo "http/request.c" ;;
        jwt) echo "http/auth.c" ;;
        multipart) echo "http/multipart.c http/request.c" ;;
        upload) echo "http/upload.c http/multipart.c http/request.c http/filetype.c http/config.c" ;;
        *) return 1 ;;
    esac
}
libs() {
    case "$1" in
        jwt) echo "-ljwt -ljansson -lcrypto" ;;
        upload) echo "-ljansson -lmagic" ;;
        *) echo "-ljansson" ;;
    esac
}

flags=(-std=gnu11 -g -O1 -fno-omit-frame-pointer -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all
       -Wall -Wextra -Werror -DH2O_USE_LIBUV=0)

for t in "${targets[@]}"; do
    sources "$t" >/dev/null || { echo "unknown target $t (router request jwt multipart upload)" >&2; exit 2; }
done

# Build every target at once (they are independent), then run them one after the other.
pids=()
for t in "${targets[@]}"; do
    src=$(sources "$t")
    (cd "$repo" && "$clang" "${flags[@]}" -o "$dir/bin/fuzz_$t" "tests/fuzz/fuzz_$t.c" $src $(libs "$t")) \
        >"$dir/logs/build-$t.log" 2>&1 &
    pids+=($!)
done
build_rc=()
for i in "${!pids[@]}"; do
    wait "${pids[$i]}"
    build_rc[$i]=$?
done

passed=0
failed=0
for i in "${!targets[@]}"; do
    t=${targets[$i]}
    name=fuzz_$t
    if [ "${build_rc[$i]}" -ne 0 ]; then
        echo "not ok - $name: build failed"
        cat "$dir/logs/build-$t.log"
        failed=$((failed + 1))
        continue
    fi
    mkdir -p "$dir/corpus/$t"
    dict=()
    [ -f "$here/$t.dict" ] && dict=(-dict="$here/$t.dict")
    log=$dir/logs/$t.log
    before=$(ls "$dir/corpus/$t" | wc -l)
    # new inputs go to the first directory (scratch); the checked-in one is only read
    (cd "$dir" && UBSAN_OPTIONS=print_stacktrace=1 "$dir/bin/$name" -max_total_time="$seconds" \
        -max_len="${FUZZ_MAX_LEN:-4096}" -timeout="${FUZZ_TIMEOUT:-10}" -rss_limit_mb="${FUZZ_RSS_MB:-2048}" \
        -print_final_stats=1 -artifact_prefix="$dir/artifacts/$t-" "${dict[@]}" \
        "$dir/corpus/$t" "$here/corpus/$t") >"$log" 2>&1
    rc=$?
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    speed=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
    seeds=$(ls "$here/corpus/$t" | wc -l)
    grown=$(( $(ls "$dir/corpus/$t" | wc -l) - before ))
    if [ $rc -eq 0 ] && [ -n "$runs" ]; then
        echo "ok - $name: ${runs} runs in ${seconds} s (${speed}/s), ${seeds} checked-in inputs, ${grown} new"
        passed=$((passed + 1))
    else
        echo "not ok - $name: exit $rc after ${runs:-?} runs"
        grep -E 'invariant failed|ERROR:|runtime error|SUMMARY|Test unit written' "$log" | head -20
        echo "---- $log (tail) ----"
        tail -40 "$log"
        failed=$((failed + 1))
    fi
done
if [ -n "$tmp" ] && [ "$failed" -gt 0 ]; then
    # keep what reproduces the failure
    keep=/tmp/helpdesk-fuzz-failed.$$
    cp -a "$dir" "$keep" && echo "crash inputs and logs kept in $keep/artifacts and $keep/logs"
fi
echo "$passed passed, $failed failed"
[ -z "${HD_RESULT_FILE:-}" ] || echo "$passed $failed" >"$HD_RESULT_FILE"
[ "$failed" -eq 0 ]
