#!/usr/bin/env bash
# Ticket creation under concurrency: tickets created per second through the exact SQL round trip
# of POST /api/v1/tickets (pgbench, BENCH_PG_CLIENTS clients, 32 by default), beside pgbench
# `SELECT 1` in the same run as the baseline, with the two numberings interleaved in one run:
# `sequence` (a sequence per year, this version) and `counter` (release 1.0's counter row per
# year, held until commit; the library still has it for desks on 1.0's SQL, and the script binds
# helpdesk.next_ticket_number to it for its turn). The cluster keeps durable commits (fsync,
# synchronous_commit) unless BENCH_FAST=1: the counter row is held through the commit's flush,
# which is what serialises creators on a real desk (README, "Decisions worth knowing").
#
#   bench/numbering.sh          (uses a private copy of PostgreSQL with this build installed)
# Environment: BENCH_SECONDS (10), BENCH_PG_CLIENTS (32), BENCH_ROUNDS (2), BENCH_FAST (0),
# HD_PGBIN_GIVEN=1 with HD_PGBIN (to use an installed PostgreSQL).
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
. "$repo/tests/lib/cluster.sh"
[ -n "${HD_PGBIN_GIVEN:-}" ] || hd_pgroot_prepare "$repo"
HD_CLUSTER_FAST=${BENCH_FAST:-0}
export BENCH_PG_CLIENTS=${BENCH_PG_CLIENTS:-32}
. "$repo/bench/lib.sh"
trap 'bench_cleanup; [ -n "${HD_PGROOT:-}" ] && rm -rf "$HD_PGROOT"' EXIT

bench_cluster_start
bench_machine
employee=$(bench_psql -At -c "SELECT id FROM helpdesk.users WHERE role = 'Employee' ORDER BY id LIMIT 1")
category=$(bench_psql -At -c "SELECT id FROM helpdesk.categories ORDER BY id LIMIT 1")
body="{\"title\": \"Printer on floor 3 is jammed\", \"description\": \"It shows error E42.\", \"categoryId\": $category, \"priority\": \"High\"}"

# bind SYMBOL: helpdesk.next_ticket_number from that C function, both counts moved past every
# number handed out so far (the turns share one year).
bind() {
    bench_psql -q -c "SELECT helpdesk.next_ticket_number()" >/dev/null  # makes the year's sequence
    local year last
    year=$(date -u +%Y)
    last=$(bench_psql -At -c "SELECT coalesce(max(substring(ticket_number FROM '[0-9]+\$')::bigint), 0) + 1000
                              FROM helpdesk.tickets WHERE ticket_number LIKE 'TKT-$year-%'")
    bench_psql -q -c "SELECT setval('helpdesk.ticket_numbers_$year', $last)" \
        -c "INSERT INTO helpdesk.ticket_number_counters VALUES ($year, $last)
            ON CONFLICT (year) DO UPDATE SET last_value = EXCLUDED.last_value" >/dev/null
    bench_psql -q -c "CREATE OR REPLACE FUNCTION helpdesk.next_ticket_number(at timestamptz DEFAULT now(), time_zone text DEFAULT NULL)
                      RETURNS text LANGUAGE c VOLATILE AS '\$libdir/helpdesk', '$1'"
}
create_script=$(bench_route_script tickets_create "$employee" off "{\"path\": {}, \"query\": {}, \"body\": $body}")
pct() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f%%", 100 * a / b }'; }

printf '\n| round | pgbench SELECT 1 | created/s, counter (1.0) | vs SELECT 1 | created/s, sequence | vs SELECT 1 | sequence/counter |\n|---|---|---|---|---|---|---|\n'
for round in $(seq 1 "${BENCH_ROUNDS:-2}"); do
    select1=$(bench_pgbench "SELECT 1;")
    bind helpdesk_next_ticket_number
    counter=$(bench_pgbench "$create_script")
    bind helpdesk_next_ticket_number_seq
    sequence=$(bench_pgbench "$create_script")
    printf '| %s | %.0f | %.1f | %s | %.1f | %s | %.1fx |\n' "$round" "$select1" "$counter" "$(pct "$counter" "$select1")" \
        "$sequence" "$(pct "$sequence" "$select1")" "$(awk -v a="$sequence" -v b="$counter" 'BEGIN { print a / b }')"
done
dups=$(bench_psql -At -c "SELECT count(*) - count(DISTINCT ticket_number) FROM helpdesk.tickets")
made=$(bench_psql -At -c "SELECT count(*) FROM helpdesk.tickets")
failed=$(grep -c 'ERROR' "$bench_work/pgbench.err" || true)
printf '\n%s pgbench clients, %s s per measurement, durable commits: %s\n' "$bench_pg_clients" "$bench_seconds" "$([ "$HD_CLUSTER_FAST" = 1 ] && echo no || echo yes)"
printf 'tickets in the database: %s, duplicate numbers: %s, failed transactions: %s\n' "$made" "$dups" "$failed"
