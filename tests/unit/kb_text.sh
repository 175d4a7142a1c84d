#!/usr/bin/env bash
# Builds and runs the unit test of the knowledge base's word core (extension/kb_text.c),
# standalone, without PostgreSQL. Last line: "kb_text unit: N passed, M failed"; the program
# writes "N M" to $HD_RESULT_FILE for tests/run.sh.
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
out=$(mktemp -d /tmp/helpdesk-kb-text-unit.XXXXXX)
trap 'rm -rf "$out"' EXIT
${CC:-cc} -std=gnu11 -O2 -g -Wall -Wextra -Werror -fsanitize=address,undefined -fno-sanitize-recover=all \
    -I "$repo/extension" -o "$out/kb_text_test" \
    "$repo/tests/unit/kb_text_test.c" "$repo/extension/kb_text.c"
"$out/kb_text_test"
