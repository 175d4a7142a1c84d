#!/usr/bin/env bash
# The notification stream's SQL call (helpdesk.notification_stream_state) for every active staff
# user with nothing new, the incremental way a stream asks (count, countUpto, after and, since
# issue 11's late commits, the snapshot of its last answer), before and after a change: the
# "before" function is taken from git (BENCH_BEFORE_REF, default land's 26c86ed) and installed
# beside the current one. Timed inside one session (clock_timestamp around each call, median and
# max of BENCH_CALLS), with SELECT 1 timed the same way as the baseline of the same run.
#   bench/stream_query.sh
# Environment: BENCH_TICKETS (20,000), BENCH_CALLS (20), BENCH_BEFORE_REF (26c86ed).
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
. "$repo/tests/lib/cluster.sh"
HD_CLUSTER_FAST=1  # throwaway clusters: speed over durability (tests/lib/cluster.sh)
. "$repo/bench/lib.sh"
make -C "$repo" --no-print-directory -s >/dev/null
hd_pgroot_prepare "$repo"
trap 'bench_cleanup; rm -rf "$HD_PGROOT"' EXIT

tickets=${BENCH_TICKETS:-20000}
calls=${BENCH_CALLS:-20}
before_ref=${BENCH_BEFORE_REF:-26c86ed}
bench_cluster_start
bench_machine
bench_psql -v tickets="$tickets" -v comments=2 <"$repo/bench/generate.sql" | tail -1
git -C "$repo" show "$before_ref:sql/38_notifications.sql" |
    awk '/^CREATE FUNCTION helpdesk.notification_stream_state\(/ {on=1} on {print} on && /^\$\$;/ {exit}' |
    sed 's/helpdesk.notification_stream_state(/helpdesk.notification_stream_state_before(/' | bench_psql -q
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
PGOPTIONS="-c bench.calls=$calls" bench_psql <<'SQL'
\set QUIET on
-- what each staff user's stream has after a full answer: its count, lastId and snapshot
CREATE TEMP TABLE subs AS
SELECT jsonb_agg(jsonb_build_object('userId', u.id, 'iat', 2000000000, 'after', (s.v->>'lastId')::bigint,
                                    'count', (s.v->>'unreadCount')::bigint, 'countUpto', (s.v->>'lastId')::bigint,
                                    'snapshot', a.answer->>'snapshot')) AS subs
FROM (SELECT helpdesk_api.notifications_stream(jsonb_build_object('subscribers',
          (SELECT jsonb_agg(jsonb_build_object('userId', id, 'iat', 2000000000, 'after', -1))
           FROM helpdesk.users WHERE is_active AND role IN ('IT_Staff', 'Admin')))) AS answer) a,
     jsonb_each(a.answer->'users') s(k, v) JOIN helpdesk.users u ON u.id = s.k::int;
SELECT jsonb_array_length(subs) AS users FROM subs;
CREATE TEMP TABLE timings (what text, ms float8);
DO $$
DECLARE t timestamptz; s jsonb := (SELECT subs FROM subs); i int; r jsonb;
BEGIN
    FOR i IN 1 .. current_setting('bench.calls')::int + 2 LOOP
        t := clock_timestamp(); PERFORM 1;
        IF i > 2 THEN INSERT INTO timings VALUES ('baseline SELECT 1', 1000 * extract(epoch FROM clock_timestamp() - t)); END IF;
        t := clock_timestamp(); r := helpdesk.notification_stream_state_before(s);
        IF i > 2 THEN INSERT INTO timings VALUES ('before', 1000 * extract(epoch FROM clock_timestamp() - t)); END IF;
        t := clock_timestamp(); r := helpdesk.notification_stream_state(s);
        IF i > 2 THEN INSERT INTO timings VALUES ('after', 1000 * extract(epoch FROM clock_timestamp() - t)); END IF;
    END LOOP;
END $$;
\set QUIET off
SELECT what, round(percentile_cont(0.5) WITHIN GROUP (ORDER BY ms)::numeric, 3) AS median_ms,
       round(max(ms)::numeric, 3) AS max_ms, count(*) AS calls
FROM timings GROUP BY what ORDER BY what;
SELECT round((percentile_cont(0.5) WITHIN GROUP (ORDER BY ms) FILTER (WHERE what = 'after')
            / percentile_cont(0.5) WITHIN GROUP (ORDER BY ms) FILTER (WHERE what = 'before'))::numeric, 2) AS after_over_before
FROM timings;
EXPLAIN (ANALYZE, BUFFERS, COSTS OFF, TIMING OFF, SUMMARY ON) SELECT helpdesk.notification_stream_state((SELECT subs FROM subs));
SQL
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
