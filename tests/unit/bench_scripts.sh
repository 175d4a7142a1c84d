#!/usr/bin/env bash
# The benchmark scripts (bench/): each parses (bash -n), and the scripts that run on a data set
# kept between runs start its cluster one way, bench_data_start in bench/lib.sh (the port, the
# socket, the run's server options and the extension update in one place), not by pg_ctl,
# hd_cluster_start or an appended postgresql.conf of their own; the percentiles of bench/lib.sh.
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
# bench_latency_stats (bench/lib.sh): rate, nearest-rank percentiles, max and mean of 1..1000 ms
# given in any order over a 10 s run
eval "$(sed -n '/^bench_latency_stats()/,/^}/p' "$repo/bench/lib.sh")"
stats=$(seq 1000 | shuf | bench_seconds=10 bench_latency_stats)
if [ "$stats" = "100 500.00 900.00 990.00 999.00 1000.00 500.500" ]; then ok; else ko "bench_latency_stats of 1..1000: $stats"; fi
stats=$(printf '3\n' | bench_seconds=1 bench_latency_stats)
if [ "$stats" = "1 3.00 3.00 3.00 3.00 3.00 3.000" ]; then ok; else ko "bench_latency_stats of one value: $stats"; fi
echo "bench scripts: $passed passed, $failed failed"
[ -n "${HD_RESULT_FILE:-}" ] && echo "$passed $failed" >"$HD_RESULT_FILE"
[ "$failed" = 0 ]
