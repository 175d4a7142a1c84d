#!/usr/bin/env bash
# A/B of two builds of the extension in one run: the exact SQL round trip of a few routes
# (bench/lib.sh's bench_route_script), pgbench against two clusters loaded with the same data,
# alternating A/B/A/B so the noise of a shared machine falls on both. Prints tps per round and
# the ratio of the medians (B/A).
#
#   bench/ab_sql.sh [REV]      A: the extension at git revision REV (default HEAD~1);
#                              B: the working tree.
# Environment: ROUNDS (3), BENCH_SECONDS (8), BENCH_PG_CLIENTS (8), BENCH_TICKETS (10000).
# Both clusters live in private relocated PostgreSQL copies; nothing is installed in the system.
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
. "$repo/tests/lib/cluster.sh"
. "$repo/bench/lib.sh"
rev=${1:-HEAD~1}
rounds=${ROUNDS:-3}
tickets=${BENCH_TICKETS:-10000}

src_a=$bench_work/src-a
git -C "$repo" worktree add -q --detach "$src_a" "$rev"
make -C "$src_a" -s all >/dev/null
make -C "$repo" -s all >/dev/null
cleanup_ab() {
    for s in a b; do [ -d "$bench_work/cluster-$s" ] && hd_cluster_stop "$bench_work/cluster-$s"; done
    git -C "$repo" worktree remove --force "$src_a" 2>/dev/null || true
    rm -rf "${root_a:-/nonexistent}" "${root_b:-/nonexistent}"
    bench_cleanup
}
trap cleanup_ab EXIT

hd_pgroot_prepare "$src_a"; root_a=$HD_PGROOT; bin_a=$HD_PGBIN
hd_pgroot_prepare "$repo"; root_b=$HD_PGROOT; bin_b=$HD_PGBIN

declare -A port bin
bin[a]=$bin_a; bin[b]=$bin_b
bench_machine
echo "A = extension at $(git -C "$repo" rev-parse --short "$rev"), B = working tree; $tickets tickets"
for s in a b; do
    HD_PGBIN=${bin[$s]}
    port[$s]=$(hd_free_port)
    hd_cluster_start "$bench_work/cluster-$s" "${port[$s]}" "helpdesk.database_name = 'bench'" \
        "helpdesk.bcrypt_cost = 4" "max_connections = 300" "shared_buffers = 512MB"
    hd_database_create "$bench_work/cluster-$s" "${port[$s]}" bench >/dev/null 2>&1
    hd_psql_file "$bench_work/cluster-$s" "${port[$s]}" bench "$repo/demo/seed.sql" >/dev/null
    hd_psql "$bench_work/cluster-$s" "${port[$s]}" bench -v tickets="$tickets" <"$repo/bench/generate.sql" >/dev/null
    hd_psql "$bench_work/cluster-$s" "${port[$s]}" bench -c "VACUUM ANALYZE" >/dev/null
done

admin=$(HD_PGBIN=$bin_b hd_psql "$bench_work/cluster-b" "${port[b]}" bench -At -c "SELECT id FROM helpdesk.users WHERE email = 'agent10@bench.example'")
employee=$(HD_PGBIN=$bin_b hd_psql "$bench_work/cluster-b" "${port[b]}" bench -At -c "SELECT id FROM helpdesk.users WHERE email = 'emp1@bench.example'")
create_body='{"title": "Printer on floor 3 is jammed", "description": "It shows error E42 after every second page.", "categoryId": 1, "priority": "High"}'
declare -A script
script[health]=$(bench_route_script health "" on '{"path": {}, "query": {}, "body": null}')
script[auth_me]=$(bench_route_script auth_me "$admin" on '{"path": {}, "query": {}, "body": null}')
script[tickets_create]=$(bench_route_script tickets_create "$employee" off "{\"path\": {}, \"query\": {}, \"body\": $create_body}")
script[tickets_list]=$(bench_route_script tickets_list "$admin" on '{"path": {}, "query": {"page": "1", "limit": "20"}, "body": null}')

# pgbench_on SIDE SCRIPT: tps of SCRIPT against cluster SIDE.
pgbench_on() {
    local f
    f=$(mktemp "$bench_work/pgbench.XXXXXX.sql"); printf '%s\n' "$2" >"$f"; chmod 644 "$f"
    hd_as_postgres "${bin[$1]}/pgbench" -n -M prepared -c "$bench_pg_clients" -j "$bench_cores" \
        -T "$bench_seconds" -h "$bench_work/cluster-$1" -p "${port[$1]}" -U helpdesk_http -f "$f" bench \
        2>>"$bench_work/pgbench.err" | sed -n 's/^tps = \([0-9.]*\).*/\1/p'
}
median() { tr ' ' '\n' | grep -v '^$' | sort -g | awk '{v[NR]=$1} END {print (NR % 2) ? v[(NR+1)/2] : (v[NR/2] + v[NR/2+1]) / 2}'; }

printf '%-16s %-34s %-34s %s\n' route "A tps per round" "B tps per round" "B/A (medians)"
for r in health auth_me tickets_create tickets_list; do
    as=() bs=()
    for _ in $(seq 1 "$rounds"); do
        as+=("$(pgbench_on a "${script[$r]}")")
        bs+=("$(pgbench_on b "${script[$r]}")")
    done
    ma=$(echo "${as[*]}" | median); mb=$(echo "${bs[*]}" | median)
    printf '%-16s %-34s %-34s %s\n' "$r" "${as[*]}" "${bs[*]}" "$(awk -v a="$ma" -v b="$mb" 'BEGIN { printf "%.2f", b / a }')"
done
echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
