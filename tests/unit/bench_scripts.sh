#!/usr/bin/env bash
# The benchmark scripts (bench/): each parses (bash -n), and the scripts that run on a data set
# kept between runs start its cluster one way, bench_data_start in bench/lib.sh (the port, the
# socket, the run's server options and the extension update in one place), not by pg_ctl,
# hd_cluster_start or an appended postgresql.conf of their own.
repo=$(cd "$(dirname "$0")/../.." && pwd)
passed=0 failed=0
ok() { passed=$((passed + 1)); }
ko() { failed=$((failed + 1)); echo "FAIL: $*"; }
for f in "$repo"/bench/*.sh; do
    if err=$(bash -n "$f" 2>&1); then ok; else ko "$(basename "$f") does not parse: $err"; fi
done
for s in api reports action_required route_profile; do
    f=$repo/bench/$s.sh
    if grep -q '^[^#]*bench_data_start "\$data_dir"' "$f"; then ok; else ko "$s.sh does not start its data set with bench_data_start"; fi
    if grep -nE '^[^#]*(pg_ctl|hd_cluster_start|hd_cluster_ctl|postgresql\.conf)' "$f"; then
        ko "$s.sh starts or configures its cluster itself (above): bench_data_start does"
    else ok; fi
done
echo "bench scripts: $passed passed, $failed failed"
[ -n "${HD_RESULT_FILE:-}" ] && echo "$passed $failed" >"$HD_RESULT_FILE"
[ "$failed" = 0 ]
