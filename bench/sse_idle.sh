#!/usr/bin/env bash
# Idle Server-Sent Events streams and the server's memory over time (issue 11, a diagnosis):
# BENCH_SUBSCRIBERS (1,000) streams of the active staff users held open and idle for
# BENCH_IDLE_SECONDS (40), the server's VmRSS and anonymous memory and the notifications written
# so far, read every second from the moment every stream has its first event. BENCH_TICKETS
# (20,000) tickets, as bench/notif.sh. BENCH_ESCALATIONS=1: the seed's escalation rules stay on
# (the watcher's first round then sends the streams ~26,000 notifications). BENCH_MALLOC_STATS=1:
# glibc's live bytes / arena bytes every 5 s, and malloc_trim(0) at the end (through gdb: it stops
# the server a moment). BENCH_WRAP: a command the server runs under (e.g. "heaptrack -o FILE");
# BENCH_KILL=1: the server is killed with its streams open. BENCH_WRK=1 first loads GET /health.
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
. "$repo/tests/lib/cluster.sh"
HD_CLUSTER_FAST=1
. "$repo/bench/lib.sh"
make -C "$repo" --no-print-directory -s >/dev/null
hd_pgroot_prepare "$repo"
trap 'bench_cleanup; rm -rf "$HD_PGROOT"' EXIT

tickets=${BENCH_TICKETS:-20000}
subscribers=${BENCH_SUBSCRIBERS:-1000}
idle=${BENCH_IDLE_SECONDS:-40}
bench_cluster_start
bench_psql -v tickets="$tickets" -v comments=2 <"$repo/bench/generate.sql" | tail -1
# BENCH_ESCALATIONS=1 keeps the seed's escalation rules on, as bench/notif.sh did before: the SLA
# watcher's first round then escalates the generated tickets and writes ~26,000 notifications
# to the staff users while the streams are "idle" (their events: the memory of a burst)
if [ "${BENCH_ESCALATIONS:-0}" != 1 ]; then
    bench_psql -c "DELETE FROM helpdesk.sla_recompute_requests" -c "UPDATE helpdesk.escalation_rules SET is_active = false" >/dev/null
fi

bench_http_port=$(hd_free_port)
bench_secret=$(head -c 48 /dev/urandom | base64 | tr -d '\n/+=' | head -c 48)
PORT=$bench_http_port DB_HOST=$bench_work/cluster DB_PORT=$bench_pg_port DB_USER=helpdesk_http \
    DB_NAME=bench JWT_SECRET=$bench_secret RATE_LIMIT_MAX_REQUESTS=0 ACCESS_LOG=off \
    HTTP_THREADS=${HTTP_THREADS:-$bench_cores} ${BENCH_WRAP:-} "$repo/http/helpdesk-http" >"$bench_work/http.log" 2>&1 &
wrap_pid=$!
for _ in $(seq 1 300); do (exec 3<>"/dev/tcp/127.0.0.1/$bench_http_port") 2>/dev/null && break; sleep 0.1; done
bench_server_pid=$(pgrep -n -f "^$repo/http/helpdesk-http$" || true)
[ -n "$bench_server_pid" ] || bench_server_pid=$wrap_pid
echo "server pid $bench_server_pid (wrapper $wrap_pid)"
base="http://127.0.0.1:$bench_http_port/api/v1"
[ "${BENCH_WRK:-0}" = 1 ] && echo "wrk /health: $(bench_wrk "$base/health")"

tokens=()
for id in $(bench_psql -At -c "SELECT id FROM helpdesk.users WHERE is_active AND role IN ('IT_Staff', 'Admin') ORDER BY id"); do
    tokens+=("$(bench_token "$id")")
done
mem() { echo "$(awk '/^VmRSS/ {print $2}' /proc/$bench_server_pid/status) $(awk '/^Anonymous:/ {print $2}' /proc/$bench_server_pid/smaps_rollup)"; }
# what the streams were sent meanwhile: the notifications written (the SLA watcher's rounds write some)
notes() { bench_psql -At -F' ' -c "SELECT count(*), count(*) FILTER (WHERE user_id IS NULL), max(id) FROM helpdesk.notifications"; }
# BENCH_MALLOC_STATS=1: glibc's arenas (live bytes) through gdb, which stops the server a moment
malloc_live() {
    [ "${BENCH_MALLOC_STATS:-0}" = 1 ] || return 0
    timeout 30 gdb -p "$bench_server_pid" -batch -ex 'p (long) mallinfo2().uordblks' -ex 'p (long) mallinfo2().arena + (long) mallinfo2().hblkhd' 2>/dev/null | grep '^\$' | tr '\n' ' '
}
echo "no stream: VmRSS/anon KiB $(mem) notifications (all, broadcasts, max id) $(notes) malloc $(malloc_live) load $(cut -d' ' -f1-3 /proc/loadavg)"
psql_cmd="runuser -u postgres -- $HD_PGBIN/psql -h $bench_work/cluster -p $bench_pg_port -U postgres -d bench"
t0=$(date +%s.%N)
coproc LOAD { /usr/bin/python3 "$repo/bench/sse_load.py" "http://127.0.0.1:$bench_http_port" "$subscribers" 0 "$psql_cmd" "${tokens[@]}"; }
read -r ready connected <&"${LOAD[0]}"
echo "$connected streams ready after $(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN {printf "%.1f", b - a}') s"
for i in $(seq 0 "$idle"); do
    echo "t+$i s: VmRSS/anon KiB $(mem) notifications $(notes) $( [ $((i % 5)) = 0 ] && malloc_live) load $(cut -d' ' -f1 /proc/loadavg)"
    sleep 1
done
# BENCH_MALLOC_STATS=1: then glibc's malloc_trim(0) (freed pages inside the arenas given back)
if [ "${BENCH_MALLOC_STATS:-0}" = 1 ]; then
    timeout 30 gdb -p "$bench_server_pid" -batch -ex 'call (int) malloc_trim(0)' >/dev/null 2>&1 || true
    echo "after malloc_trim(0): VmRSS/anon KiB $(mem) malloc $(malloc_live)"
fi
# BENCH_KILL=1: the server is killed with its streams open (under heaptrack: every allocation
# of theirs stays "leaked", where it was made)
[ "${BENCH_KILL:-0}" = 1 ] && kill -KILL "$bench_server_pid"
echo go >&"${LOAD[1]}"
read -r _ <&"${LOAD[0]}" || true
wait "$LOAD_PID" 2>/dev/null || true
kill -INT "$wrap_pid" 2>/dev/null; kill "$bench_server_pid" 2>/dev/null || true
wait "$wrap_pid" 2>/dev/null || true
sleep 2
bench_server_pid=
