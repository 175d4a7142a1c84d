#!/usr/bin/env bash
# The notification stream's SQL call (helpdesk.notification_stream_state) for every active staff
# user with nothing new, the incremental way a stream asks (count, countUpto, after and, since
# issue 11's late commits, the snapshot of its last answer), before and after a change: the
# "before" function is taken from git (BENCH_BEFORE_REF, default land's 26c86ed) and installed
# beside the current one. EXPLAIN (ANALYZE, BUFFERS) of the call, then each version as pgbench
# statements (one client, planning included), with SELECT 1 over pgbench as the baseline.
#   bench/stream_query.sh
# Environment: BENCH_TICKETS (20,000), BENCH_BEFORE_REF (26c86ed), BENCH_SECONDS
# (10: each pgbench run of the per-statement comparison at the end).
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
. "$repo/tests/lib/cluster.sh"
HD_CLUSTER_FAST=1  # throwaway clusters: speed over durability (tests/lib/cluster.sh)
. "$repo/bench/lib.sh"
make -C "$repo" --no-print-directory -s >/dev/null
hd_pgroot_prepare "$repo"
trap 'bench_cleanup; rm -rf "$HD_PGROOT"' EXIT

tickets=${BENCH_TICKETS:-20000}
before_ref=${BENCH_BEFORE_REF:-26c86ed}
bench_cluster_start
bench_machine
bench_psql -v tickets="$tickets" -v comments=2 <"$repo/bench/generate.sql" | tail -1
# the notifications bench/notif.sh's creation phase leaves (generate.sql writes none): each staff
# user's own rows of ~2,000 tickets (1.0's row per staff member) and ~3,200 broadcasts (1.1's),
# written without the triggers' signals; their txids all old, as in a stream's steady state
bench_psql -q <<'SQL'
SET session_replication_role = replica;
INSERT INTO helpdesk.notifications (user_id, type, title, message, ticket_id)
SELECT u.id, 'ticket_created', 'New ticket', 'A new ticket was created', t.id
FROM (SELECT id FROM helpdesk.tickets ORDER BY id DESC LIMIT 2000) t,
     helpdesk.users u WHERE u.is_active AND u.role IN ('IT_Staff', 'Admin');
INSERT INTO helpdesk.notifications (user_id, type, title, message, ticket_id)
SELECT NULL, 'ticket_created', 'New ticket', 'A new ticket was created', t.id
FROM (SELECT id FROM helpdesk.tickets ORDER BY id DESC LIMIT 3200) t;
RESET session_replication_role;
VACUUM ANALYZE helpdesk.notifications;
SQL
git -C "$repo" show "$before_ref:sql/38_notifications.sql" |
    awk '/^CREATE FUNCTION helpdesk.notification_stream_state\(/ {on=1} on {print} on && /^\$\$;/ {exit}' |
    sed 's/helpdesk.notification_stream_state(/helpdesk.notification_stream_state_before(/' | bench_psql -q
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
bench_psql <<'SQL'
\set QUIET on
-- what each staff user's stream has after a full answer: its count, lastId and snapshot (OFFSET 0:
-- one call, not one per reference to its answer)
CREATE TEMP TABLE subs AS
SELECT jsonb_agg(jsonb_build_object('userId', u.id, 'iat', 2000000000, 'after', (s.v->>'lastId')::bigint,
                                    'count', (s.v->>'unreadCount')::bigint, 'countUpto', (s.v->>'lastId')::bigint,
                                    'snapshot', a.answer->>'snapshot')) AS subs
FROM (SELECT helpdesk_api.notifications_stream(jsonb_build_object('subscribers',
          (SELECT jsonb_agg(jsonb_build_object('userId', id, 'iat', 2000000000, 'after', -1))
           FROM helpdesk.users WHERE is_active AND role IN ('IT_Staff', 'Admin')))) AS answer OFFSET 0) a,
     jsonb_each(a.answer->'users') s(k, v) JOIN helpdesk.users u ON u.id = s.k::int;
SELECT jsonb_array_length(subs) AS users FROM subs;
EXPLAIN (ANALYZE, BUFFERS, COSTS OFF, TIMING OFF, SUMMARY ON) SELECT helpdesk.notification_stream_state((SELECT subs FROM subs));
SQL
# The loop above runs in one transaction, where a SQL function is planned once; a stream's call is
# a statement of its own, planned each time (helpdesk_api.notifications_stream, PL/pgSQL, calls it
# as a simple expression). So each version also as pgbench statements, one client, with the
# baseline SELECT 1 of the same run: calls per second, planning included.
# the same subscribers as the temporary table above, kept in a table (pgbench would read the
# snapshot's colons as its variables)
bench_psql -q <<'SQL'
CREATE TABLE bench_subs AS
SELECT jsonb_agg(jsonb_build_object('userId', u.id, 'iat', 2000000000, 'after', (s.v->>'lastId')::bigint,
                                    'count', (s.v->>'unreadCount')::bigint, 'countUpto', (s.v->>'lastId')::bigint,
                                    'snapshot', a.answer->>'snapshot')) AS subs
FROM (SELECT helpdesk_api.notifications_stream(jsonb_build_object('subscribers',
          (SELECT jsonb_agg(jsonb_build_object('userId', id, 'iat', 2000000000, 'after', -1))
           FROM helpdesk.users WHERE is_active AND role IN ('IT_Staff', 'Admin')))) AS answer OFFSET 0) a,
     jsonb_each(a.answer->'users') s(k, v) JOIN helpdesk.users u ON u.id = s.k::int;
SQL
pg_calls() {
    local f
    f=$(mktemp "$bench_work/call.XXXXXX.sql")
    printf '%s\n' "$1" >"$f"
    chmod 644 "$f"
    hd_as_postgres "$HD_PGBIN/pgbench" -n -M prepared -c 1 -j 1 -T "$bench_seconds" -h "$bench_work/cluster" \
        -p "$bench_pg_port" -U postgres -f "$f" bench 2>>"$bench_work/pgbench.err" | sed -n 's/^tps = \([0-9.]*\).*/\1/p'
}
one=$(pg_calls "SELECT 1;")
before_calls=$(pg_calls "SELECT length(helpdesk.notification_stream_state_before((SELECT subs FROM bench_subs))::text);")
after_calls=$(pg_calls "SELECT length(helpdesk.notification_stream_state((SELECT subs FROM bench_subs))::text);")
printf '\nper statement (pgbench, 1 client, %s s each; load %s): SELECT 1 %s/s; before %s/s (%s ms a call); after %s/s (%s ms a call); after/before time x%s\n' \
    "$bench_seconds" "$(cut -d' ' -f1 /proc/loadavg)" "$one" "$before_calls" "$(awk -v a="$before_calls" 'BEGIN {printf "%.2f", 1000 / a}')" \
    "$after_calls" "$(awk -v a="$after_calls" 'BEGIN {printf "%.2f", 1000 / a}')" "$(awk -v a="$after_calls" -v b="$before_calls" 'BEGIN {printf "%.2f", b / a}')"
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
