#!/usr/bin/env bash
# The CSV export's statement before and after its filters became the list's fragments (stop 20):
# the static SQL function of EXPORT_BEFORE_REF (every filter a parameter, NULL when not given)
# against this checkout's PL/pgSQL one (ticket_filter_conds' fragments, RETURN QUERY EXECUTE),
# loaded alternately into one throwaway data set; each round COPYs the route function's rows
# (helpdesk_api.tickets_export, as helpdesk-http calls it) to /dev/null, unfiltered and filtered.
#   BENCH_TICKETS (200000), EXPORT_ROUNDS (3), EXPORT_BEFORE_REF (fb08b6c)
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
. "$repo/tests/lib/cluster.sh"
HD_CLUSTER_FAST=1  # throwaway cluster: speed over durability (tests/lib/cluster.sh)
. "$repo/bench/lib.sh"
make -C "$repo" --no-print-directory -s >/dev/null
hd_pgroot_prepare "$repo"
trap 'bench_cleanup; rm -rf "$HD_PGROOT"' EXIT

tickets=${BENCH_TICKETS:-200000}
rounds=${EXPORT_ROUNDS:-3}
ref=${EXPORT_BEFORE_REF:-fb08b6c}
bench_cluster_start
bench_machine
bench_psql -v tickets="$tickets" -v comments=0 <"$repo/bench/generate.sql" | tail -1
bench_psql <"$repo/bench/reports_clocks.sql" >/dev/null  # the SLA clocks (slaBreached)
bench_psql -q -c "VACUUM ANALYZE"

# the function's definition, as CREATE OR REPLACE, from a version of sql/82_export.sql
definition() { sed -n '/^CREATE FUNCTION helpdesk.ticket_export(/,/^\$\$;/p' | sed 's/^CREATE FUNCTION/CREATE OR REPLACE FUNCTION/'; }
git -C "$repo" show "$ref:sql/82_export.sql" | definition >"$bench_work/before.sql"
definition <"$repo/sql/82_export.sql" >"$bench_work/after.sql"
chmod 644 "$bench_work"/*.sql
admin=$(bench_psql -At -c "SELECT id FROM helpdesk.users WHERE role = 'Admin' AND is_active ORDER BY id LIMIT 1")
ctx="helpdesk_api.request_context(actor_id => '$admin', token_iat => '', client_ip => '127.0.0.1', user_agent => 'bench', read_only => 'on', application_name => 'bench')"

# ms for one export: export_ms VERSION QUERY_JSON
export_ms() {
    local t0 t1
    hd_psql_file "$bench_work/cluster" "$bench_pg_port" bench "$bench_work/$1.sql" >/dev/null
    t0=$(date +%s%N)
    bench_psql -q -c "COPY (SELECT e.* FROM $ctx, helpdesk_api.tickets_export('{\"path\": {}, \"query\": $2, \"body\": null}'::jsonb) e) TO '/dev/null'"
    t1=$(date +%s%N)
    echo $(( (t1 - t0) / 1000000 ))
}
rows() { bench_psql -At -c "SELECT count(*) FROM $ctx, helpdesk_api.tickets_export('{\"path\": {}, \"query\": $1, \"body\": null}'::jsonb) e"; }

echo
echo "$tickets tickets; $rounds rounds, before ($ref) and after alternately; ms per export (COPY to /dev/null)"
echo
echo "| export | rows | before ms | after ms | after / before | load |"
echo "|---|---|---|---|---|---|"
for q in '{}' '{"status": "New"}' '{"search": "printer"}' '{"priority": "High", "slaBreached": "true"}'; do
    b=(); a=()
    for _ in $(seq 1 "$rounds"); do
        b+=("$(export_ms before "$q")")
        a+=("$(export_ms after "$q")")
    done
    mb=$(printf '%s\n' "${b[@]}" | sort -n | sed -n "$(( (rounds + 1) / 2 ))p")
    ma=$(printf '%s\n' "${a[@]}" | sort -n | sed -n "$(( (rounds + 1) / 2 ))p")
    printf '| `%s` | %s | %s (%s) | %s (%s) | %s | %s |\n' "$q" "$(rows "$q")" "$mb" "${b[*]}" "$ma" "${a[*]}" \
        "$(awk -v a="$ma" -v b="$mb" 'BEGIN { printf "%.2f", a / b }')" "$(cut -d' ' -f1 /proc/loadavg)"
done
