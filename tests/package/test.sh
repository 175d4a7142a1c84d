#!/usr/bin/env bash
# The Debian packages, as an operator installs them (README, "Install on a server"): `make deb`,
# dpkg -i of postgresql-15-helpdesk and helpdesk-http into a fresh copy of this machine's
# PostgreSQL 15 (a private root: dpkg --root with the machine's package database, maintainer
# scripts run with DPKG_ROOT, nothing lands in the system's directories), a cluster of that
# PostgreSQL with helpdesk preloaded, CREATE EXTENSION, the role and the first admin, then the
# unit's ExecStart run by hand with the unit's environment files, unprivileged, and a login.
#
#   tests/package/test.sh WORKDIR     (tests/run.sh's suite "package"; HD_RESULT_FILE: "N M")
set -uo pipefail

repo=$(cd "$(dirname "$0")/../.." && pwd)
work=${1:?usage: test.sh WORKDIR}
. "$repo/tests/lib/cluster.sh"
passed=0
failed=0
server_pid=
check() { if eval "$2"; then passed=$((passed + 1)); echo "ok - $1"; else failed=$((failed + 1)); echo "not ok - $1"; fi; }
finish() {
    [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null
    [ -d "$work/cluster-package/data" ] && hd_cluster_stop "$work/cluster-package"
    echo "package: $passed passed, $failed failed"
    [ -n "${HD_RESULT_FILE:-}" ] && echo "$passed $failed" >"$HD_RESULT_FILE"
    [ "$failed" -eq 0 ]
}
trap finish EXIT
version=$(sed -n "s/^default_version *= *'\(.*\)'/\1/p" "$repo/helpdesk.control")

# 1. build
debs="$work/deb"
start=$(date +%s)
if ! DEB_OUT="$debs" bash "$repo/scripts/deb.sh" >"$work/deb.log" 2>&1; then
    cat "$work/deb.log"
    check "make deb builds the packages" false
    exit 1
fi
ext_deb=$(ls "$debs"/postgresql-15-helpdesk_*.deb 2>/dev/null | head -1)
http_deb=$(ls "$debs"/helpdesk-http_*.deb 2>/dev/null | head -1)
check "make deb builds postgresql-15-helpdesk and helpdesk-http ($(( $(date +%s) - start )) s)" "[ -f '$ext_deb' ] && [ -f '$http_deb' ]"
check "both carry helpdesk.control's version $version" \
    "[ \"\$(dpkg-deb -f '$ext_deb' Version)\" = '$version' ] && [ \"\$(dpkg-deb -f '$http_deb' Version)\" = '$version' ]"

# 2. a fresh PostgreSQL 15 (this machine's, copied without any helpdesk file) and dpkg -i into it
root="$work/package-root"
bindir=$("$HD_PG_CONFIG" --bindir)
sharedir=$("$HD_PG_CONFIG" --sharedir)
pkglibdir=$("$HD_PG_CONFIG" --pkglibdir)
mkdir -p "$root$(dirname "${bindir%/bin}")" "$root$(dirname "$sharedir")" "$root/var/lib/dpkg/info" "$root/var/lib/dpkg/updates"
chmod 755 "$root"
cp -a "${bindir%/bin}" "$root${bindir%/bin}"
cp -a "$sharedir" "$root$sharedir"
rm -rf "$root$pkglibdir"/helpdesk.so "$root$pkglibdir"/bitcode/helpdesk* "$root$sharedir"/extension/helpdesk*
# the machine's package database: the packages' dependencies are checked against what is installed
cp /var/lib/dpkg/status "$root/var/lib/dpkg/status"
touch "$root/var/lib/dpkg/available"
dpkg_root() { dpkg --root="$root" --force-script-chrootless "$@"; }
dpkg_root -i "$ext_deb" "$http_deb" >"$work/dpkg.log" 2>&1; rc=$?
cat "$work/dpkg.log"
check "dpkg -i installs both (dependencies satisfied, maintainer scripts run)" \
    "[ $rc -eq 0 ] && dpkg --root='$root' -s postgresql-15-helpdesk helpdesk-http 2>/dev/null | grep -c '^Status: install ok installed' | grep -qx 2"
unit="$root/lib/systemd/system/helpdesk-http.service"
check "the unit: Restart=on-failure, DynamicUser, ProtectSystem=strict, NoNewPrivileges, /etc/helpdesk/ environment" \
    "grep -qx 'Restart=on-failure' '$unit' && grep -qx 'DynamicUser=yes' '$unit' && grep -qx 'ProtectSystem=strict' '$unit' \
     && grep -qx 'NoNewPrivileges=yes' '$unit' && grep -qx 'EnvironmentFile=/etc/helpdesk/helpdesk-http.env' '$unit'"
if command -v systemd-analyze >/dev/null; then
    # systemd's own reading of the unit (its ExecStart pointed at the installed binary), and its
    # exposure score of the sandboxing (0 = fully sandboxed, 10 = none; 2.0 and under is "OK")
    mkdir -p "$work/unit"
    sed "s|^ExecStart=|ExecStart=$root|" "$unit" >"$work/unit/helpdesk-http.service"
    check "systemd-analyze verify accepts the unit" "systemd-analyze verify '$work/unit/helpdesk-http.service'"
    check "systemd-analyze security: exposure 2.0 or less" \
        "systemd-analyze security --offline=yes --root='$root' --threshold=20 helpdesk-http.service >'$work/security.log' 2>&1 \
         || { cat '$work/security.log'; false; }"
else
    echo "skip - systemd-analyze is not installed: the unit is not checked by systemd"
fi
check "the unit is enabled for multi-user.target" "[ -L '$root/etc/systemd/system/multi-user.target.wants/helpdesk-http.service' ]"
secret="$root/etc/helpdesk/secret.env"
check "the postinst generated a root-only JWT secret of 32+ bytes" \
    "[ \"\$(stat -c %a '$secret')\" = 600 ] && [ \$(sed -n 's/^JWT_SECRET=//p' '$secret' | tr -d '\n' | wc -c) -ge 32 ]"

# 3. the cluster, the database, the extension, the role, the first admin (the README's steps)
dir="$work/cluster-package"
port=$(hd_free_port)
HD_PGBIN="$root$bindir"
hd_cluster_start "$dir" "$port" "helpdesk.database_name = 'helpdesk'" "helpdesk.bcrypt_cost = 4"
hd_psql "$dir" "$port" postgres -c "CREATE DATABASE helpdesk" >/dev/null
hd_psql "$dir" "$port" helpdesk >"$work/setup.log" 2>&1 <<'SQL'
CREATE EXTENSION helpdesk CASCADE;
CREATE ROLE helpdesk_http LOGIN IN ROLE helpdesk_web;
SELECT helpdesk.calendar_ensure_default('Asia/Ho_Chi_Minh');
SELECT id FROM helpdesk.user_insert('admin', 'admin@example.com', 'correct horse battery', 'First Admin', 'Admin');
SQL
rc=$?
cat "$work/setup.log"
check "CREATE EXTENSION helpdesk CASCADE, the role and the first admin" "[ $rc -eq 0 ]"
check "helpdesk-http --version and SELECT helpdesk.version() agree ($version)" \
    "[ \"\$('$root/usr/bin/helpdesk-http' --version)\" = 'helpdesk-http $version' ] \
     && [ \"\$(hd_psql '$dir' $port helpdesk -At -c 'SELECT helpdesk.version()')\" = '$version' ]"

# 4. the server, started as the unit starts it (its ExecStart, its environment files), as an
# unprivileged user with no new privileges; the operator's edit of the environment file: the
# test cluster's address and a free port
http_port=$(hd_free_port)
env_file="$root/etc/helpdesk/helpdesk-http.env"
sed -i -e "s|^DB_HOST=.*|DB_HOST=127.0.0.1|" -e "s|^DB_PORT=.*|DB_PORT=$port|" -e "s|^PORT=.*|PORT=$http_port|" "$env_file"
exec_start=$(sed -n 's/^ExecStart=//p' "$unit")
envs=$(sed -n 's/^EnvironmentFile=-\{0,1\}//p' "$unit")
(
    set -a
    for f in $envs; do [ -f "$root$f" ] && . "$root$f"; done
    set +a
    exec setpriv --reuid=nobody --regid=nogroup --clear-groups --no-new-privs $root$exec_start
) >"$work/http.log" 2>&1 &
server_pid=$!
for _ in $(seq 1 100); do (exec 3<>"/dev/tcp/127.0.0.1/$http_port") 2>/dev/null && break; sleep 0.1; done
/usr/bin/python3 - "http://127.0.0.1:$http_port" >"$work/login.log" 2>&1 <<'PY'
import json, sys, urllib.request
base = sys.argv[1]
def call(method, path, body=None, token=None):
    req = urllib.request.Request(base + path, method=method, data=json.dumps(body).encode() if body else None)
    if body:
        req.add_header("Content-Type", "application/json")
    if token:
        req.add_header("Authorization", "Bearer " + token)
    with urllib.request.urlopen(req, timeout=30) as r:
        return r.status, json.loads(r.read())
st, ready = call("GET", "/api/v1/health/ready")
assert st == 200 and ready["data"]["ready"] is True and ready["data"]["slaWatcher"]["enabled"] is True, ready
st, login = call("POST", "/api/v1/auth/login", {"email": "admin@example.com", "password": "correct horse battery"})
assert st == 200 and login["data"]["accessToken"], login
st, me = call("GET", "/api/v1/auth/me", token=login["data"]["accessToken"])
assert st == 200 and me["data"]["role"] == "Admin" and me["data"]["email"] == "admin@example.com", me
print("logged in as", me["data"]["email"])
PY
rc=$?
cat "$work/login.log"
check "the unit's ExecStart, run by hand as nobody: ready, the admin logs in" "[ $rc -eq 0 ]"
kill "$server_pid"; wait "$server_pid"; rc=$?; server_pid=
check "helpdesk-http exits 0 on SIGTERM" "[ $rc -eq 0 ]"
[ "$failed" -eq 0 ] || { echo "---- helpdesk-http log ----"; cat "$work/http.log"; }

# 5. purge: the packages' files and the generated secret go
hd_cluster_stop "$dir"
dpkg_root --purge helpdesk-http postgresql-15-helpdesk >"$work/purge.log" 2>&1; rc=$?
check "dpkg --purge removes both, the secret and the unit's link" \
    "[ $rc -eq 0 ] && [ ! -e '$secret' ] && [ ! -e '$root/usr/bin/helpdesk-http' ] && [ ! -e '$root$pkglibdir/helpdesk.so' ] \
     && [ ! -L '$root/etc/systemd/system/multi-user.target.wants/helpdesk-http.service' ]"
