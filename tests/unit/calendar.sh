#!/usr/bin/env bash
# Builds and runs the unit test of the business-calendar core (extension/calendar_math.c),
# standalone, without PostgreSQL. Last line: "calendar unit: N passed, M failed"; the program
# writes "N M" to $HD_RESULT_FILE for tests/run.sh.
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
out=$(mktemp -d /tmp/helpdesk-calendar-unit.XXXXXX)
trap 'rm -rf "$out"' EXIT
${CC:-cc} -std=gnu11 -O2 -g -Wall -Wextra -Werror -fsanitize=address,undefined -fno-sanitize-recover=all \
    -I "$repo/extension" -o "$out/calendar_test" \
    "$repo/tests/unit/calendar_test.c" "$repo/extension/calendar_math.c"
"$out/calendar_test"
