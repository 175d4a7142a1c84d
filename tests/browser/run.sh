#!/usr/bin/env bash
# `make test-browser`: the reference's web client, unchanged, driven in headless Chromium
# against a throwaway demo stack (tests/browser/README.md).
#
#   WEBCLIENT_DIR=<built apps/frontend> make test-browser
#
# Without WEBCLIENT_DIR the check is skipped (exit 0) with a message saying why.
# HD_BROWSER_CACHE: where playwright-core is installed from npm (default ~/.cache/helpdesk-browser).
# HD_BROWSER_PENDING: comma-separated API path prefixes whose failures are reported as "pending
# other branch" instead of failing (default none: every failure counts).
# HD_KEEP_TEST_DIR=1 keeps the work directory (server, client and browser logs).
set -uo pipefail

repo=$(cd "$(dirname "$0")/../.." && pwd)

if [ -z "${WEBCLIENT_DIR:-}" ]; then
    echo "browser check SKIPPED: WEBCLIENT_DIR is not set. Build the reference's web client"
    echo "(tests/browser/README.md) and run: WEBCLIENT_DIR=<its apps/frontend> make test-browser"
    exit 0
fi
client=$(cd "$WEBCLIENT_DIR" 2>/dev/null && pwd) || { echo "WEBCLIENT_DIR=$WEBCLIENT_DIR: no such directory" >&2; exit 1; }
[ -f "$client/.next/BUILD_ID" ] || { echo "$client has no .next/BUILD_ID: build it first (next build, README)" >&2; exit 1; }
[ -x "$client/node_modules/.bin/next" ] || { echo "$client/node_modules/.bin/next missing: npm install there first" >&2; exit 1; }
chromium=${HD_CHROMIUM:-/usr/bin/chromium}
[ -x "$chromium" ] || { echo "$chromium missing: bash scripts/deps.sh browser (installs Debian's chromium)" >&2; exit 1; }
command -v node >/dev/null && command -v npm >/dev/null || { echo "node and npm missing: bash scripts/deps.sh browser" >&2; exit 1; }

# The driver, from npm, into a cache outside the checkout. Pinned: a version that speaks the
# DevTools protocol of Debian 12's Chromium.
PLAYWRIGHT_VERSION=1.65.1
cache=${HD_BROWSER_CACHE:-$HOME/.cache/helpdesk-browser}
if [ ! -f "$cache/node_modules/playwright-core/package.json" ] \
   || [ "$(node -p "require('$cache/node_modules/playwright-core/package.json').version")" != "$PLAYWRIGHT_VERSION" ]; then
    mkdir -p "$cache"
    echo "installing playwright-core@$PLAYWRIGHT_VERSION into $cache"
    npm install --prefix "$cache" --no-save --no-audit --no-fund "playwright-core@$PLAYWRIGHT_VERSION" >/dev/null \
        || { echo "npm install playwright-core failed" >&2; exit 1; }
fi

. "$repo/tests/lib/cluster.sh"
export HD_CLUSTER_FAST=1

work=$(mktemp -d /tmp/helpdesk-browser.XXXXXX)
chmod 755 "$work"
server_pid= next_pid=
cleanup() {
    [ -n "$next_pid" ] && kill "$next_pid" 2>/dev/null && wait "$next_pid" 2>/dev/null
    [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null
    hd_cluster_stop "$work/cluster"
    [ -n "${HD_KEEP_TEST_DIR:-}" ] && echo "kept $work" || rm -rf "$work" "${HD_PGROOT:-/nonexistent}"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

wait_port() { for _ in $(seq 1 300); do (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0; kill -0 "$2" 2>/dev/null || return 1; sleep 0.2; done; return 1; }

# The demo stack of `make demo` (scripts/demo.sh) on free ports, with the extension installed
# into a private copy of PostgreSQL as the test suites do.
make -C "$repo" --no-print-directory -s all >/dev/null || { echo "make failed" >&2; exit 1; }
hd_pgroot_prepare "$repo"
pg_port=$(hd_free_port); api_port=$(hd_free_port); web_port=$(hd_free_port)
hd_cluster_start "$work/cluster" "$pg_port" "helpdesk.database_name = 'helpdesk'" "helpdesk.bcrypt_cost = 4" || exit 1
hd_database_create "$work/cluster" "$pg_port" helpdesk >/dev/null || exit 1
hd_psql_file "$work/cluster" "$pg_port" helpdesk "$repo/demo/seed.sql" >/dev/null || exit 1

origin=http://127.0.0.1:$web_port
env PORT=$api_port HOST=127.0.0.1 DB_HOST="$work/cluster" DB_PORT=$pg_port DB_USER=helpdesk_http DB_NAME=helpdesk \
    JWT_SECRET="$(head -c 48 /dev/urandom | base64 | tr -d '\n/+=')" CORS_ORIGIN=$origin RATE_LIMIT_MAX_REQUESTS=0 \
    "$repo/http/helpdesk-http" >"$work/http.log" 2>&1 &
server_pid=$!
wait_port "$api_port" "$server_pid" || { echo "helpdesk-http did not start" >&2; cat "$work/http.log" >&2; exit 1; }

# The client inlines its API address at build time; a copy of the build points at this server
# (node_modules and the sources are linked, not copied).
api=http://127.0.0.1:$api_port/api/v1
built_api=$(grep -rhoE 'https?://[A-Za-z0-9.:-]+/api/v1' "$client/.next/static" | sort | uniq -c | sort -rn | awk 'NR==1 {print $2}')
[ -n "$built_api" ] || { echo "no inlined API address (…/api/v1) found in $client/.next/static" >&2; exit 1; }
mkdir -p "$work/client"
for f in "$client"/* "$client"/.[!.]*; do
    case "${f##*/}" in .next) ;; *) ln -s "$f" "$work/client/${f##*/}" ;; esac
done
mkdir "$work/client/.next"
for f in "$client"/.next/*; do
    case "${f##*/}" in cache) ;; *) cp -a "$f" "$work/client/.next/" ;; esac
done
grep -rlF "$built_api" "$work/client/.next" | xargs -r sed -i "s#$built_api#$api#g"
(cd "$work/client" && NEXT_TELEMETRY_DISABLED=1 exec node_modules/.bin/next start -p "$web_port" -H 127.0.0.1) >"$work/next.log" 2>&1 &
next_pid=$!
wait_port "$web_port" "$next_pid" || { echo "next start did not start" >&2; cat "$work/next.log" >&2; exit 1; }
echo "demo stack: API $api, web client $origin (built for $built_api)"

NODE_PATH=$cache/node_modules HD_WEB_URL=$origin HD_API_URL=$api HD_CHROMIUM=$chromium HD_WORK=$work \
    HD_BROWSER_PENDING=${HD_BROWSER_PENDING-} \
    node "$repo/tests/browser/check.js"
rc=$?
if [ $rc -ne 0 ]; then
    echo "---- helpdesk-http log (tail) ----"; tail -30 "$work/http.log"
fi
exit $rc
