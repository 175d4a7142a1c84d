#!/usr/bin/env bash
# `make demo`: a throwaway PostgreSQL cluster with the extension and demo data, and
# helpdesk-http on localhost. Ctrl-C (or SIGTERM) stops both and removes the cluster.
#
# Environment: PORT (default 3000) and every other helpdesk-http variable (see
# `http/helpdesk-http --help`); HD_DEMO_PG_PORT for the cluster (default: a free port).
# E-mail: unless SMTP_HOST is given, every mail goes to a local SMTP sink (python3-aiosmtpd)
# that keeps it in the maildir $dir/mail; scripts/mail-read.py prints it.
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
. "$repo/tests/lib/cluster.sh"

port=${PORT:-3000}
if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
    echo "port $port is already in use; run e.g. PORT=3100 make demo" >&2
    exit 1
fi
pg_port=${HD_DEMO_PG_PORT:-$(hd_free_port)}
dir=$(mktemp -d /tmp/helpdesk-demo.XXXXXX)
chmod 755 "$dir"
server_pid=
sink_pid=

cleanup() {
    trap - EXIT INT TERM
    if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then
        kill -TERM "$server_pid" 2>/dev/null || true
        wait "$server_pid" 2>/dev/null || true
    fi
    if [ -n "$sink_pid" ] && kill -0 "$sink_pid" 2>/dev/null; then
        kill -TERM "$sink_pid" 2>/dev/null || true
        wait "$sink_pid" 2>/dev/null || true
    fi
    hd_cluster_stop "$dir/cluster"
    rm -rf "$dir"
    echo "demo stopped; nothing left running"
}
trap cleanup EXIT
trap 'exit 0' INT TERM

echo "starting PostgreSQL on port $pg_port (data in $dir)"
hd_cluster_start "$dir/cluster" "$pg_port" "helpdesk.database_name = 'helpdesk'"
hd_database_create "$dir/cluster" "$pg_port" helpdesk
hd_psql_file "$dir/cluster" "$pg_port" helpdesk "$repo/demo/seed.sql" >/dev/null

export PORT=$port
export HOST=${HOST:-127.0.0.1}
export DB_HOST=$dir/cluster DB_PORT=$pg_port DB_USER=helpdesk_http DB_NAME=helpdesk
# A fresh secret per demo run: tokens die with the demo.
export JWT_SECRET=${JWT_SECRET:-$(head -c 48 /dev/urandom | base64 | tr -d '\n')}

# E-mail: to the SMTP server given, or to a local sink keeping every mail in a maildir
mail_note="  Mail: sent through SMTP_HOST=${SMTP_HOST:-}"
if [ -z "${SMTP_HOST:-}" ]; then
    smtp_port=$(hd_free_port)
    /usr/bin/python3 -m aiosmtpd -n -c aiosmtpd.handlers.Mailbox "$dir/mail" -l "127.0.0.1:$smtp_port" &
    sink_pid=$!
    export EMAIL_ENABLED=true SMTP_HOST=127.0.0.1 SMTP_PORT=$smtp_port SMTP_SECURE=false
    export EMAIL_FROM=${EMAIL_FROM:-"Helpdesk demo <helpdesk@demo.invalid>"}
    mail_note="  Mail: every e-mail goes to a local sink (SMTP 127.0.0.1:$smtp_port), kept in $dir/mail;
        watch it:  $repo/scripts/mail-read.py $dir/mail --follow
        (e.g. after POST /api/v1/notifications/test-email, a comment, or forgot-password)"
fi
export EMAIL_RETRY_BASE_MS=${EMAIL_RETRY_BASE_MS:-2000}

"$repo/http/helpdesk-http" &
server_pid=$!
for _ in $(seq 1 100); do
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
    kill -0 "$server_pid" 2>/dev/null || { echo "helpdesk-http did not start" >&2; exit 1; }
    sleep 0.1
done

cat <<EOF

  helpdesk is running: http://$HOST:$port/api/v1/   (health: http://$HOST:$port/api/v1/health)

  Demo logins (password: password123)
    admin@28h.com      Admin
    itstaff@28h.com    IT_Staff
    employee@28h.com   Employee

  Try:  curl -s http://$HOST:$port/api/v1/auth/login -H 'Content-Type: application/json' \\
          -d '{"email":"admin@28h.com","password":"password123"}'
        curl -s 'http://$HOST:$port/api/v1/knowledge/search?q=quen%20mat%20khau'   (no login needed)
  SQL:  psql -h $dir/cluster -p $pg_port -U postgres helpdesk   (as the postgres user)
$mail_note

  Ctrl-C stops the server and removes the cluster.
EOF
wait "$server_pid"
