#!/usr/bin/env bash
# The business-time core of this tree (extension/calendar_math.c) against the core of a git
# revision, in one run: bench/calendar_core.c is built against each (-O2, no sanitizers) and the
# two binaries run in turn, BENCH_ROUNDS times; each figure is the best of those rounds (the
# machine may be shared). Prints nanoseconds per call, the ratio this tree / REV (below 1: faster
# now), and whether both give the same results (they would differ where the definition changed).
# With valgrind installed, also the instructions each version executes per call (callgrind, on
# fewer calls, less the program's start), a figure the machine's load does not move.
#
#   bench/calendar_core.sh [REV]     REV: default HEAD. Environment: BENCH_CALLS (default 200000),
#                                    BENCH_ROUNDS (default 5)
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
rev=${1:-HEAD}
calls=${BENCH_CALLS:-200000}
rounds=${BENCH_ROUNDS:-5}
work=$(mktemp -d /tmp/helpdesk-bench-calendar-core.XXXXXX)
trap 'rm -rf "$work"' EXIT

mkdir -p "$work/base" "$work/tree"
git -C "$repo" show "$rev:extension/calendar_math.c" >"$work/base/calendar_math.c"
git -C "$repo" show "$rev:extension/calendar_math.h" >"$work/base/calendar_math.h"
cp "$repo/extension/calendar_math.c" "$repo/extension/calendar_math.h" "$work/tree/"
for v in base tree; do
    ${CC:-cc} -std=gnu11 -O2 -Wall -Wextra -Werror -I "$work/$v" -o "$work/$v/core" \
        "$repo/bench/calendar_core.c" "$work/$v/calendar_math.c"
done

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "base: $(git -C "$repo" rev-parse --short "$rev"), tree: working tree; $calls calls per workload"
for round in $(seq 1 "$rounds"); do
    "$work/base/core" "$calls" >"$work/base.$round"
    "$work/tree/core" "$calls" >"$work/tree.$round"
done
# best (lowest) ns per workload over the rounds, and the checksums of round 1
awk '
    FNR == 1 { v = (FILENAME ~ /base\./) ? "base" : "tree" }
    { key = v SUBSEP $1; if (!(key in best) || $2 < best[key]) best[key] = $2;
      if (FILENAME ~ /\.1$/) sum[key] = $3; if (!($1 in seen)) { seen[$1] = 1; order[n++] = $1 } }
    END {
        printf "%-22s %12s %12s %8s  %s\n", "workload", "base ns", "tree ns", "ratio", "same results"
        for (i = 0; i < n; i++) {
            w = order[i]; b = best["base" SUBSEP w]; t = best["tree" SUBSEP w]
            printf "%-22s %12d %12d %8.2f  %s\n", w, b, t, t / b, (sum["base" SUBSEP w] == sum["tree" SUBSEP w]) ? "yes" : "no"
        }
    }' "$work"/base.* "$work"/tree.*

command -v valgrind >/dev/null || { echo "(valgrind not installed: no instruction counts)"; exit 0; }
# instructions per call of one workload, less those of the program's start (workload "none")
per_call() {  # per_call VERSION CALLS WORKLOAD
    local total start made
    total=$(valgrind --tool=callgrind --callgrind-out-file=/dev/null "$work/$1/core" "$2" "$3" \
        2>&1 >"$work/out" | sed -n 's/.*Collected : \([0-9]*\).*/\1/p')
    start=$(valgrind --tool=callgrind --callgrind-out-file=/dev/null "$work/$1/core" "$2" none \
        2>&1 >/dev/null | sed -n 's/.*Collected : \([0-9]*\).*/\1/p')
    made=$(awk '{ print $4 }' "$work/out")
    echo $(( (total - start) / made ))
}
icalls=$(( calls / 20 ))
printf '%-22s %12s %12s %8s\n' "workload" "base instr" "tree instr" "ratio"
for w in $(awk '{ print $1 }' "$work/tree.1"); do
    b=$(per_call base "$icalls" "$w")
    t=$(per_call tree "$icalls" "$w")
    awk -v w="$w" -v b="$b" -v t="$t" 'BEGIN { printf "%-22s %12d %12d %8.2f\n", w, b, t, t / b }'
done
