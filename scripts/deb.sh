#!/usr/bin/env bash
# `make deb`: the Debian packages postgresql-<pg>-helpdesk (the extension, built with
# pg_buildext for each PostgreSQL version of debian/pgversions) and helpdesk-http (the server
# and its systemd unit), built with dpkg-buildpackage from a copy of this tree, into
# ${DEB_OUT:-build/deb}. The version is helpdesk.control's default_version: debian/changelog is
# written here from it, never kept in the tree.
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
out=${DEB_OUT:-$repo/build/deb}
version=$(sed -n "s/^default_version *= *'\(.*\)'/\1/p" "$repo/helpdesk.control")
[ -n "$version" ] || { echo "deb: no default_version in helpdesk.control" >&2; exit 1; }

# the tools: debhelper, pg_buildext (postgresql-server-dev-all), dpkg-buildpackage
missing=()
for p in debhelper postgresql-server-dev-all dpkg-dev; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q '^install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
    [ "$(id -u)" = 0 ] || { echo "deb: missing packages: ${missing[*]} (install them as root)" >&2; exit 1; }
    echo "deb: installing ${missing[*]}"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

stage=$(mktemp -d /tmp/helpdesk-deb.XXXXXX)
trap 'rm -rf "$stage"' EXIT
src="$stage/helpdesk-$version"
mkdir -p "$src"
# the source as it is in this tree, without build products
tar -C "$repo" --exclude=./.git --exclude=./build --exclude='*.o' --exclude='*.bc' --exclude='*.so' \
    --exclude='./helpdesk--*.sql' --exclude=./http/helpdesk-http --exclude='__pycache__' -cf - . | tar -C "$src" -xf -

revision=$(git -C "$repo" describe --always --dirty 2>/dev/null || echo "no git")
cat >"$src/debian/changelog" <<CHANGELOG
helpdesk ($version) unstable; urgency=medium

  * Built from helpdesk.control's default_version $version ($revision).

 -- helpdesk maintainers <helpdesk@localhost>  $(date -R)
CHANGELOG
(cd "$src" && pg_buildext updatecontrol >/dev/null)

echo "deb: building helpdesk $version"
if ! (cd "$src" && dpkg-buildpackage -us -uc -b >"$stage/build.log" 2>&1); then
    tail -60 "$stage/build.log" >&2
    echo "deb: dpkg-buildpackage failed (log above)" >&2
    exit 1
fi
mkdir -p "$out"
rm -f "$out"/*.deb
mv "$stage"/*.deb "$out/"
ls -1 "$out"/*.deb
