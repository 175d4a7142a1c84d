#!/usr/bin/env bash
# Release the version under development and open the next one (README, "Upgrades").
#
#   scripts/release.sh NEXT        e.g. scripts/release.sh 1.2 while helpdesk.control says 1.1
#
# 1. Freezes what this version ships into sql/release/: its install script (helpdesk--V.sql,
#    which lists the module files it was built from) and the upgrade script from the last
#    release (helpdesk--R--V.sql). Both are built by make from the current sources first.
# 2. Removes sql/upgrade/V/ (its deltas now live in the frozen upgrade script).
# 3. Starts tests/upgrade/fill-V.sql from fill-R.sql: the data the upgrade test writes with
#    release V, to be extended with what V added (it must only use what V has).
# 4. Sets default_version to NEXT.
# Review the result with git status / git diff, run make test, commit.
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"
next=${1:-}
[[ "$next" =~ ^[0-9]+\.[0-9]+$ ]] || { echo "usage: scripts/release.sh NEXT   (NEXT like 1.2)" >&2; exit 2; }
version=$(sed -n "s/^default_version *= *'\(.*\)'/\1/p" helpdesk.control)
release=$(ls sql/release | sed -n 's/^helpdesk--\([^-]*\)\.sql$/\1/p' | sort -V | tail -1)
[ "$(printf '%s\n%s\n' "$version" "$next" | sort -V | tail -1)" = "$next" ] && [ "$next" != "$version" ] \
    || { echo "NEXT ($next) must come after the version under development ($version)" >&2; exit 2; }
[ ! -e "sql/release/helpdesk--$version.sql" ] || { echo "$version is released already" >&2; exit 1; }
[ -z "$(git status --porcelain -- sql helpdesk.control tests/upgrade)" ] \
    || { echo "commit or stash the changes to sql/, helpdesk.control and tests/upgrade/ first" >&2; exit 1; }

make -s "helpdesk--$version.sql" "helpdesk--$release--$version.sql"
commit=$(git rev-parse --short HEAD)
{ echo "-- helpdesk $version: the install script as built from sql/*.sql at commit $commit, frozen. Never edit it; later versions change the schema through sql/upgrade/<version>/ (see README, \"Upgrades\")."
  tail -n +2 "helpdesk--$version.sql"; } >"sql/release/helpdesk--$version.sql"
{ echo "-- helpdesk $release to $version: the upgrade script as built at commit $commit, frozen. Never edit it."
  tail -n +3 "helpdesk--$release--$version.sql"; } >"sql/release/helpdesk--$release--$version.sql"
git rm -rq --ignore-unmatch "sql/upgrade/$version"
cp "tests/upgrade/fill-$release.sql" "tests/upgrade/fill-$version.sql"
sed -i "s/^default_version *= *'.*'/default_version = '$next'/" helpdesk.control
git add "sql/release/helpdesk--$version.sql" "sql/release/helpdesk--$release--$version.sql" \
    "tests/upgrade/fill-$version.sql" helpdesk.control
echo "released $version (frozen in sql/release/); $next is under development."
echo "Extend tests/upgrade/fill-$version.sql with what $version added, then make test and commit."
