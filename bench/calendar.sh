#!/usr/bin/env bash
# business_time_add in C (helpdesk.business_time_add) against the same walk in PL/pgSQL
# (bench/calendar_plpgsql.sql), on the seed's default calendar (Mon-Fri 08:00-17:30,
# Asia/Ho_Chi_Minh, 2026 holidays), in one run on this machine:
#   (a) many calls in one statement (the C version reads the calendar once per statement),
#   (b) pgbench, one call per transaction (the C version checks the calendar row's version, one
#       prepared query, then reuses the calendar it keeps), and the same transaction without the
#       call, to give each version's cost per call net of the transaction.
# Each figure is the best of three interleaved runs (the machine may be shared).
# Starts and durations are random (durations 1-72 hours, starts in 2026-2027), the same for both.
# First checks that both give the same answers on the sample. Needs a built tree (make).
#
#   bench/calendar.sh      Environment: BENCH_SECONDS (default 10, per pgbench figure),
#                          BENCH_CALLS (default 20000), BENCH_TIME_ZONE (default
#                          Asia/Ho_Chi_Minh; e.g. Europe/Berlin for a zone with DST, whose
#                          changes fall outside these windows, so both versions still agree)
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
. "$repo/tests/lib/cluster.sh"
HD_CLUSTER_FAST=1  # throwaway clusters: speed over durability (tests/lib/cluster.sh)
seconds=${BENCH_SECONDS:-10}
time_zone=${BENCH_TIME_ZONE:-Asia/Ho_Chi_Minh}
calls=${BENCH_CALLS:-20000}

work=$(mktemp -d /tmp/helpdesk-bench-calendar.XXXXXX)
chmod 755 "$work"
cleanup() {
    hd_cluster_stop "$work/cluster"
    rm -rf "$work" "${HD_PGROOT:-/nonexistent}"
}
trap cleanup EXIT

hd_pgroot_prepare "$repo"
port=$(hd_free_port)
hd_cluster_start "$work/cluster" "$port" "helpdesk.database_name = 'bench'" "helpdesk.worker_enabled = off"
hd_database_create "$work/cluster" "$port" bench >/dev/null 2>&1
q() { hd_psql "$work/cluster" "$port" bench -At "$@"; }
q -v tz="$time_zone" <<<"SELECT helpdesk.calendar_ensure_default(:'tz')" >/dev/null
q <"$repo/bench/calendar_plpgsql.sql" >/dev/null
q <<'SQL' >/dev/null
SELECT setseed(0.5);
CREATE TABLE bench.sample AS
SELECT timestamptz '2026-01-01 00:00+07' + random() * interval '730 days' AS start,
       make_interval(secs => 3600 + floor(random() * 71 * 3600)) AS duration
FROM generate_series(1, 100000);
SQL

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "calendar: Mon-Fri 08:00-17:30 in $time_zone"
mismatches=$(q -c "SELECT count(*) FROM (SELECT * FROM bench.sample LIMIT 2000) s
                   WHERE helpdesk.business_time_add(start, duration) <> bench.business_time_add(start, duration)")
echo "same answers on 2000 samples: $([ "$mismatches" = 0 ] && echo yes || echo "NO ($mismatches differ)")"

# (a) calls per second within one statement
per_second() {  # per_second FUNCTION N
    local ms
    ms=$(q <<SQL | tail -1
\timing on
SELECT count($1(start, duration)) FROM (SELECT * FROM bench.sample LIMIT $2) s;
SQL
)
    ms=$(echo "$ms" | sed -n 's/^Time: \([0-9.]*\) ms.*/\1/p')
    awk -v n="$2" -v ms="$ms" 'BEGIN { printf "%.0f", n / (ms / 1000) }'
}
# best of three, interleaved, so that a noisy neighbour hurts both alike
best() { printf '%s\n' "$@" | sort -n | tail -1; }
cb=(); pb=()
for _ in 1 2 3; do
    cb+=("$(per_second helpdesk.business_time_add "$calls")")
    pb+=("$(per_second bench.business_time_add $((calls / 10)))")
done
c_batch=$(best "${cb[@]}")
p_batch=$(best "${pb[@]}")

# (b) pgbench: one call per transaction, one client, a random sample row
q -c "ALTER TABLE bench.sample ADD COLUMN k serial PRIMARY KEY" >/dev/null
for f in helpdesk bench; do
    cat >"$work/$f.sql" <<SQL
\set k random(1, 100000)
SELECT $f.business_time_add(start, duration) FROM bench.sample WHERE k = :k;
SQL
done
cat >"$work/baseline.sql" <<SQL
\set k random(1, 100000)
SELECT start + duration FROM bench.sample WHERE k = :k;
SQL
chown -R postgres "$work"
tps() {
    hd_as_postgres "$HD_PGBIN/pgbench" -n -M prepared -c 1 -j 1 -T "$(( (seconds + 2) / 3 ))" -h "$work/cluster" -p "$port" \
        -U postgres -f "$work/$1.sql" bench 2>"$work/pgbench.err" | sed -n 's/^tps = \([0-9.]*\).*/\1/p' | cut -d. -f1
}
ct=(); pt=(); bt=()
for _ in 1 2 3; do
    ct+=("$(tps helpdesk)"); pt+=("$(tps bench)"); bt+=("$(tps baseline)")
done
c_tps=$(best "${ct[@]}")
p_tps=$(best "${pt[@]}")
base_tps=$(best "${bt[@]}")

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", a / b }'; }
printf '%-44s %12s %12s %8s\n' "" "C" "PL/pgSQL" "ratio"
printf '%-44s %12s %12s %8s\n' "calls/s, many calls in one statement" "$c_batch" "$p_batch" "$(ratio "$c_batch" "$p_batch")"
printf '%-44s %12s %12s %8s\n' "calls/s, pgbench, 1 client, 1 call per txn" "$c_tps" "$p_tps" "$(ratio "$c_tps" "$p_tps")"
# the same transaction without the call: what is left is the call's own cost
us() { awk -v a="$1" -v b="$base_tps" 'BEGIN { d = 1e6 / a - 1e6 / b; if (d > 0) printf "%.0f", d; else print "noise" }'; }
printf '%-44s %12s %12s %8s\n' "  (same txn without the call: $base_tps/s)" "" "" ""
printf '%-44s %12s %12s %8s\n' "microseconds per call, net of that" "$(us "$c_tps")" "$(us "$p_tps")" \
    "$(awk -v a="$(us "$p_tps")" -v b="$(us "$c_tps")" 'BEGIN { if (a + 0 > 0 && b + 0 > 0) printf "%.1f", a / b; else print "-" }')"
