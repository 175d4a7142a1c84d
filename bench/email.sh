#!/usr/bin/env bash
# E-mail benchmarks, in one run on this machine, each beside its baseline:
#   (a) the cost of queueing a mail in the caller's transaction: pgbench of
#       helpdesk.email_enqueue (template rendered, outbox row, NOTIFY at commit), against
#       pgbench SELECT 1 in the same run;
#   (b) the sender's throughput: BENCH_MAILS messages queued, helpdesk-http started with
#       EMAIL_ENABLED against a local SMTP sink (python3-aiosmtpd, discarding), time until every
#       one is marked sent; against the same sink fed by one Python smtplib client over one
#       connection (no database, no outbox: the sink's own ceiling).
#
#   bench/email.sh     (needs a built tree: make; installs into a private PostgreSQL root)
# Environment: BENCH_SECONDS (10), BENCH_MAILS (2000), EMAIL_BATCH (20).
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
. "$repo/tests/lib/cluster.sh"
HD_CLUSTER_FAST=1
seconds=${BENCH_SECONDS:-10}
mails=${BENCH_MAILS:-2000}
batch=${EMAIL_BATCH:-20}

work=$(mktemp -d /tmp/hd-email-bench.XXXXXX)
chmod 755 "$work"
server_pid=; sink_pid=
cleanup() {
    [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null
    [ -n "$sink_pid" ] && kill "$sink_pid" 2>/dev/null && wait "$sink_pid" 2>/dev/null
    hd_cluster_stop "$work/cluster"
    rm -rf "$work" "${HD_PGROOT:-/nonexistent}"
}
trap cleanup EXIT

bindir=$("$HD_PG_CONFIG" --bindir); sharedir=$("$HD_PG_CONFIG" --sharedir)
HD_PGROOT=$(mktemp -d /tmp/hd-email-bench-root.XXXXXX)
chmod 755 "$HD_PGROOT"
mkdir -p "$HD_PGROOT$(dirname "${bindir%/bin}")" "$HD_PGROOT$(dirname "$sharedir")"
cp -a "${bindir%/bin}" "$HD_PGROOT${bindir%/bin}"
cp -a "$sharedir" "$HD_PGROOT$sharedir"
make -C "$repo" --no-print-directory -s install DESTDIR="$HD_PGROOT" >/dev/null
HD_PGBIN=$HD_PGROOT$bindir
port=$(hd_free_port)
hd_cluster_start "$work/cluster" "$port" "helpdesk.database_name = 'bench'" "helpdesk.worker_enabled = off"
hd_database_create "$work/cluster" "$port" bench >/dev/null
q() { hd_psql "$work/cluster" "$port" bench "$@"; }
q -f "$repo/demo/seed.sql" >/dev/null

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(date -u +%Y-%m-%dT%H:%MZ)"
pgb() {
    printf '%s\n' "$1" >"$work/script.sql"
    chmod 644 "$work/script.sql"
    hd_as_postgres "$HD_PGBIN/pgbench" -n -M prepared -c 2 -j 2 -T "$seconds" -h "$work/cluster" -p "$port" -U postgres \
        -f "$work/script.sql" bench 2>/dev/null | sed -n 's/^tps = \([0-9.]*\).*/\1/p'
}
select1=$(pgb "SELECT 1;")
enqueue=$(pgb "SELECT helpdesk.email_enqueue(u, 'ticket_assigned', '{\"ticketNumber\": \"TKT-2026-0001\", \"title\": \"Printer <jams>\", \"actor\": \"Staff\", \"priority\": \"High\", \"status\": \"Assigned\"}') FROM helpdesk.users u WHERE u.id = 2;")
q -c "DELETE FROM helpdesk.email_outbox" >/dev/null

# (b) the sink: accepts and discards (aiosmtpd's Sink handler)
smtp_port=$(hd_free_port)
/usr/bin/python3 -m aiosmtpd -n -c aiosmtpd.handlers.Sink -l "127.0.0.1:$smtp_port" &
sink_pid=$!
for _ in $(seq 1 100); do (exec 3<>"/dev/tcp/127.0.0.1/$smtp_port") 2>/dev/null && break; sleep 0.1; done
direct=$(/usr/bin/python3 - "$smtp_port" "$mails" <<'PY'
import smtplib, sys, time
port, n = int(sys.argv[1]), int(sys.argv[2])
msg = "Subject: x\r\nMessage-ID: <%d@b>\r\n\r\n" + "body line\r\n" * 20
s = smtplib.SMTP("127.0.0.1", port)
t = time.monotonic()
for i in range(n):
    s.sendmail("a@example.com", ["b@example.com"], msg % i)
print("%.0f" % (n / (time.monotonic() - t)))
s.quit()
PY
)
q -c "SELECT count(helpdesk.email_enqueue(u, 'test_email', '{}')) FROM helpdesk.users u, generate_series(1, $mails) WHERE u.id = 2" >/dev/null
http_port=$(hd_free_port)
start=$(date +%s.%N)
PORT=$http_port DB_HOST=$work/cluster DB_PORT=$port DB_USER=helpdesk_http DB_NAME=bench ACCESS_LOG=off \
    JWT_SECRET=$(head -c 48 /dev/urandom | base64 | tr -d '\n') EMAIL_ENABLED=true SMTP_HOST=127.0.0.1 \
    SMTP_PORT=$smtp_port EMAIL_BATCH=$batch EMAIL_POLL_MS=100 "$repo/http/helpdesk-http" >"$work/http.log" 2>&1 &
server_pid=$!
while [ "$(q -At -c "SELECT count(*) FROM helpdesk.email_outbox WHERE status = 'pending'")" != 0 ]; do sleep 0.2; done
end=$(date +%s.%N)
sent=$(q -At -c "SELECT count(*) FROM helpdesk.email_outbox WHERE status = 'sent'")
sender=$(awk -v n="$sent" -v a="$start" -v b="$end" 'BEGIN { printf "%.0f", n / (b - a) }')

printf '\n| measure | per second | baseline (same run) | ratio |\n|---|---|---|---|\n'
printf '| (a) queue one mail (email_enqueue, 2 clients) | %.0f | pgbench SELECT 1: %.0f | %.2f |\n' "$enqueue" "$select1" \
    "$(awk -v a="$enqueue" -v b="$select1" 'BEGIN { print a / b }')"
printf '| (b) sender: %s mails to a local sink (EMAIL_BATCH=%s) | %s | one smtplib client, one connection: %s | %.2f |\n' \
    "$sent" "$batch" "$sender" "$direct" "$(awk -v a="$sender" -v b="$direct" 'BEGIN { print a / b }')"
