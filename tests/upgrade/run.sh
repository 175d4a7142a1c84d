#!/usr/bin/env bash
# The upgrade suite (tests/run.sh upgrade): the path from the last release to this version, and
# pg_dump/pg_restore of a live desk.
#
# 1. Upgrade. Database `upgraded`: CREATE EXTENSION helpdesk VERSION '<last release>' (its frozen
#    install script, sql/release/), filled by tests/upgrade/fill-<release>.sql, dumped (data
#    only), then ALTER EXTENSION helpdesk UPDATE. Database `fresh`: CREATE EXTENSION helpdesk
#    (this version's install script), then that data dump loaded. The two must have the same
#    schema (pg_dump --schema-only --binary-upgrade, which lists every member object of the
#    extension, normalised by normalize_dump.py; plus the extension's configuration tables by
#    name) and the same rows (pg_dump --data-only, rows sorted), and the upgrade must not have
#    changed a row. So an upgrade is what a dump of the old desk restored into a new install
#    gives, which is also what pg_dump/pg_restore across versions does (pg_dump does not record
#    the extension's version): an object missed by sql/upgrade/<version>/ fails here.
# 2. Dump and restore. Database `live` (this version, the same fill plus the demo's escalation
#    rules), pg_dump -Fc, restored into a new database `restored` by pg_restore: the same rows,
#    sequences and settings, and the restored desk works: a login, a ticket created through its
#    route (numbers and ids continue), and the SLA watcher, which runs in `restored`, records a
#    breach on its own.
#
# Environment: HD_PGBIN (tests/lib/cluster.sh), HD_RESULT_FILE ("PASSED FAILED"), HD_WORK (where
# the clusters live; tests/run.sh stops every $HD_WORK/cluster-* at exit).
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
. "$repo/tests/lib/cluster.sh"

work=${HD_WORK:-}
own_work=
if [ -z "$work" ]; then
    work=$(mktemp -d /tmp/helpdesk-upgrade.XXXXXX); own_work=1
fi
chmod 755 "$work"
out="$work/upgrade"
mkdir -p "$out"

passed=0
failed=0
# check NAME CONDITION...: one result line per check
check() {
    local name=$1; shift
    if "$@"; then passed=$((passed + 1)); echo "ok - $name"; else failed=$((failed + 1)); echo "not ok - $name"; fi
}
finish() {
    [ -n "${HD_RESULT_FILE:-}" ] && echo "$passed $failed" >"$HD_RESULT_FILE"
    echo "upgrade: $passed passed, $failed failed"
    if [ -n "$own_work" ]; then
        for d in "$work"/cluster-*; do [ -d "$d" ] && hd_cluster_stop "$d"; done
        rm -rf "$work"
    fi
}
trap finish EXIT

# same A B WHAT: the two files are equal, else the start of their difference
same() {
    if cmp -s "$1" "$2"; then return 0; fi
    echo "---- $3: $(basename "$1") vs $(basename "$2") (first lines of the difference)"
    diff -u "$1" "$2" | head -80
    return 1
}

version=$(sed -n "s/^default_version *= *'\(.*\)'/\1/p" "$repo/helpdesk.control")
release=$(ls "$repo/sql/release" | sed -n 's/^helpdesk--\([^-]*\)\.sql$/\1/p' | sort -V | tail -1)
fill="$here/fill-$release.sql"
echo "upgrade from $release (sql/release/helpdesk--$release.sql, $(basename "$fill")) to $version"

# ---- 1. upgrade ---------------------------------------------------------------------------
dir="$work/cluster-upgrade"
port=$(hd_free_port)
hd_cluster_start "$dir" "$port" "helpdesk.worker_enabled = off" "helpdesk.bcrypt_cost = 4" || exit 1
psql_() { hd_psql "$dir" "$port" "$@"; }
dump() { hd_as_postgres "$HD_PGBIN/pg_dump" -h "$dir" -p "$port" -U postgres "$@"; }
norm() { /usr/bin/python3 "$here/normalize_dump.py" "$@"; }
# the extension's configuration tables (what pg_dump keeps the rows of), by name
extconfig() {
    psql_ "$1" -At -c "SELECT c::regclass::text || ' ' || coalesce(w, '') FROM pg_extension e,
                       unnest(e.extconfig, e.extcondition) AS x(c, w) WHERE e.extname = 'helpdesk' ORDER BY 1"
}

for db in upgraded fresh; do psql_ postgres -c "CREATE DATABASE $db" >/dev/null || exit 1; done
check "CREATE EXTENSION helpdesk VERSION '$release' (frozen script) and its fill" \
    eval "psql_ upgraded -c \"SET client_min_messages = warning\" -c \"CREATE EXTENSION helpdesk VERSION '$release' CASCADE\" >/dev/null \
          && psql_ upgraded <'$fill' >'$out/fill.log' 2>&1 || { cat '$out/fill.log'; false; }"
dump --data-only upgraded >"$out/data-$release.sql"
check "ALTER EXTENSION helpdesk UPDATE brings $release to $version" \
    eval "psql_ upgraded -c 'ALTER EXTENSION helpdesk UPDATE' >'$out/update.log' 2>&1 || { cat '$out/update.log'; false; }; \
          [ \"\$(psql_ upgraded -At -c \"SELECT extversion FROM pg_extension WHERE extname = 'helpdesk'\")\" = '$version' ]"
psql_ fresh -c "SET client_min_messages = warning" -c "CREATE EXTENSION helpdesk CASCADE" >/dev/null
check "a fresh install of $version loads the $release data" \
    eval "psql_ fresh <'$out/data-$release.sql' >'$out/load.log' 2>&1 || { cat '$out/load.log'; false; }"

for db in upgraded fresh; do
    dump --schema-only --binary-upgrade "$db" | norm schema >"$out/schema-$db.sql"
    extconfig "$db" >"$out/extconfig-$db.txt"
    dump --data-only "$db" | norm data >"$out/data-$db.sql"
done
# the release's rows (its tables and columns) and sequences, read back from the upgraded desk
old_rows() { /usr/bin/python3 "$here/old_rows.py" "$@"; }
old_rows rows <"$out/data-$release.sql" >"$out/rows-$release.txt"
old_rows query <"$out/data-$release.sql" | psql_ upgraded | old_rows rows >"$out/rows-upgraded.txt"
check "the upgraded schema is a fresh install's (every object, column order, body, grant)" \
    same "$out/schema-upgraded.sql" "$out/schema-fresh.sql" schema
check "the upgraded extension keeps the rows of the same tables as a fresh install" \
    same "$out/extconfig-upgraded.txt" "$out/extconfig-fresh.txt" "configuration tables"
check "the upgrade changes no row and no sequence of $release" \
    eval "[ -s '$out/rows-$release.txt' ] && same '$out/rows-$release.txt' '$out/rows-upgraded.txt' rows"
check "the upgraded desk holds what a fresh install loaded with the same data holds" \
    same "$out/data-upgraded.sql" "$out/data-fresh.sql" data

# The notifications 1.0 wrote (one row per reader) read the same through 1.1's inbox, which the
# routes and the streams read: every row, its reader and read state, nothing more.
old_notifications_read() {
    local n
    n=$(psql_ upgraded -At -c "SELECT count(*) FROM helpdesk.notifications") || return 1
    [ "$n" -gt 0 ] || { echo "the fill wrote no notification"; return 1; }
    [ "$(psql_ upgraded -At -c "
        SELECT count(*) FROM (
            (SELECT user_id, id, is_read, read_at FROM helpdesk.notifications
             EXCEPT SELECT u.id, i.id, i.is_read, i.read_at FROM helpdesk.users u CROSS JOIN LATERAL helpdesk.inbox(u.id) i)
            UNION ALL
            (SELECT u.id, i.id, i.is_read, i.read_at FROM helpdesk.users u CROSS JOIN LATERAL helpdesk.inbox(u.id) i
             EXCEPT SELECT user_id, id, is_read, read_at FROM helpdesk.notifications)) d")" = 0 ]
}
check "the notifications $release wrote read the same through $version's inbox (routes, streams)" old_notifications_read

# The upgraded desk works: a login, a ticket through its route, the watcher's scan.
works() {
    local db=$1 user
    user=$(psql_ "$db" -At -c "SELECT (helpdesk_api.auth_login('{\"body\": {\"email\": \"emp@example.com\", \"password\": \"password123\"}}') -> 'user' ->> 'id')") || return 1
    [ -n "$user" ] || { echo "no user from auth_login"; return 1; }
    psql_ "$db" -At >"$out/works-$db.log" 2>&1 <<SQL || { cat "$out/works-$db.log"; return 1; }
BEGIN;
SET LOCAL helpdesk.actor_id = '$user';
SELECT helpdesk_api.tickets_create('{"body": {"title": "After the upgrade", "description": "Created on the new version", "categoryId": 1, "priority": "High"}}') ->> 'ticketNumber';
COMMIT;
SELECT count(*) FROM helpdesk.sla_clocks c JOIN helpdesk.tickets t ON t.id = c.ticket_id WHERE t.title = 'After the upgrade';
SELECT * FROM helpdesk.sla_scan(now());
SQL
    grep -qx 2 "$out/works-$db.log"
}
check "the upgraded desk works (login, a ticket with its SLA clocks, the scan)" works upgraded

# ---- 2. dump and restore --------------------------------------------------------------------
dir="$work/cluster-restore"
port=$(hd_free_port)
# The watcher stays off until the rows are compared: the fill's deadlines pass in real time, and a
# breach it recorded in `restored` first would be a difference that is not the restore's.
hd_cluster_start "$dir" "$port" "helpdesk.database_name = 'restored'" "helpdesk.bcrypt_cost = 4" \
    "helpdesk.worker_enabled = off" || exit 1
psql_ postgres -c "CREATE DATABASE live" >/dev/null
psql_ live -c "SET client_min_messages = warning" -c "CREATE EXTENSION helpdesk CASCADE" >/dev/null
check "a live desk of $version (the fill, run on this version)" \
    eval "psql_ live <'$fill' >'$out/live.log' 2>&1 || { cat '$out/live.log'; false; }"
dump -Fc live >"$out/live.dump"
psql_ postgres -c "CREATE DATABASE restored" >/dev/null
check "pg_restore of its pg_dump -Fc into a new database" \
    eval "hd_as_postgres '$HD_PGBIN/pg_restore' -h '$dir' -p '$port' -U postgres -d restored --exit-on-error \
          <'$out/live.dump' >'$out/restore.log' 2>&1 || { cat '$out/restore.log'; false; }"
for db in live restored; do
    dump --data-only "$db" | norm data >"$out/data-$db.sql"
    # (pg_sequence_last_value is NULL for a sequence never used)
    psql_ "$db" -At -c "SELECT c.relname, pg_sequence_last_value(c.oid) FROM pg_class c
                        JOIN pg_namespace n ON n.oid = c.relnamespace
                        WHERE n.nspname = 'helpdesk' AND c.relkind = 'S' ORDER BY 1" >"$out/sequences-$db.txt"
    psql_ "$db" -At -c "SELECT setting_key, setting_value FROM helpdesk.settings ORDER BY 1" >"$out/settings-$db.txt"
    psql_ "$db" -At -c "SELECT count(*) FROM helpdesk.ticket_transitions" >"$out/transitions-$db.txt"
done
check "the restored desk has every row of the live one" same "$out/data-live.sql" "$out/data-restored.sql" data
check "... every sequence at the same value" same "$out/sequences-live.txt" "$out/sequences-restored.txt" sequences
check "... every setting" eval "[ -s '$out/settings-live.txt' ] && same '$out/settings-live.txt' '$out/settings-restored.txt' settings"
check "... and the extension's constants (ticket_transitions, not dumped) from CREATE EXTENSION" \
    eval "[ \"\$(cat '$out/transitions-live.txt')\" -gt 0 ] && same '$out/transitions-live.txt' '$out/transitions-restored.txt' transitions"
check "the restored desk works (login, a ticket with its SLA clocks, the scan)" works restored
check "... numbers and ids continue after the restored ones" \
    eval "[ \"\$(psql_ restored -At -c \"SELECT count(*) = count(DISTINCT ticket_number) AND max(id) = (SELECT last_value FROM helpdesk.tickets_id_seq) FROM helpdesk.tickets\")\" = t ]"

# The watcher runs in `restored` (helpdesk.database_name): a response deadline 2 s ahead is
# breached without anyone calling the scan. It waits for the breach at most 60 s (the watcher
# starts within 10 s of the database's creation) and asserts nothing about time.
watched() {
    psql_ restored -At >"$out/watch.log" 2>&1 <<'SQL' || { cat "$out/watch.log"; return 1; }
-- The restored desk's business hours would move the deadline to the next working day whenever
-- the test runs outside them: the desk counts 24/7 for this check (no default calendar).
UPDATE helpdesk.calendars SET is_default = false;
INSERT INTO helpdesk.tickets (ticket_number, title, description, category_id, priority, submitter_id, created_at)
SELECT 'RESTORED-WATCH', 'Watched after the restore', 'The watcher must breach it', 1, 'High', u.id,
       clock_timestamp() - interval '1 hour' + interval '2 seconds'
FROM helpdesk.users u WHERE u.username = 'emp';
SQL
    local i
    for i in $(seq 1 300); do
        [ "$(psql_ restored -At -c "SELECT count(*) FROM helpdesk.sla_events e JOIN helpdesk.tickets t ON t.id = e.ticket_id
                                    WHERE t.ticket_number = 'RESTORED-WATCH' AND e.clock = 'response' AND e.event = 'breached'")" = 1 ] \
            && return 0
        sleep 0.2
    done
    echo "no breach recorded by the watcher in 60 s"; grep -i "helpdesk sla watcher" "$dir/server.log" | tail -5
    return 1
}
psql_ postgres -c "ALTER SYSTEM SET helpdesk.worker_enabled = on" -c "SELECT pg_reload_conf()" >/dev/null
check "the SLA watcher runs in the restored database and records a breach once" watched
