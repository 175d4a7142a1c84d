#!/bin/sh
# Compile and run every http/tests/*.c against the server's sources (all but main.c).
# Usage: http/tests/build-and-run.sh [extra CFLAGS, e.g. -fsanitize=address,undefined]
# Each program writes "PASSED FAILED" to its own result file (t.h, HD_RESULT_FILE); a program
# that fails to build, crashes or writes no result counts one failure. Prints the total as
# "N passed, N failed" and, when HD_RESULT_FILE is set, writes "N N" there.
set -u
here=$(cd "$(dirname "$0")" && pwd)
src=$(dirname "$here")
PG_CONFIG=${PG_CONFIG:-/usr/lib/postgresql/15/bin/pg_config}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
libsrc=$(ls "$src"/*.c | grep -v '/main\.c$')
# openapi.c includes the embedded schema declarations (as the Makefile makes them)
sh "$src/openapi/embed.sh" "$src/openapi/decls.inc" "$src"/openapi/*.json
passed=0
failed=0
for t in "$here"/*.c; do
    name=$(basename "$t" .c)
    if ! cc -std=gnu11 -O1 -g -Wall -Wextra -Werror -DH2O_USE_LIBUV=0 -I"$src/../extension" -I"$($PG_CONFIG --includedir)" "$@" \
        -o "$out/$name" "$t" $libsrc -lh2o-evloop -ljansson -ljwt -lpq -lmagic -lcurl -lssl -lcrypto -lz -lpthread; then
        echo "$name: build failed"
        failed=$((failed + 1))
        continue
    fi
    HD_RESULT_FILE="$out/$name.result" "$out/$name"
    rc=$?
    p=; f=
    [ -f "$out/$name.result" ] && read -r p f <"$out/$name.result"
    case "$p$f" in
        ''|*[!0-9]*) echo "$name: no result (exit status $rc)"; p=0; f=1 ;;
    esac
    [ "$rc" -ne 0 ] && [ "$f" -eq 0 ] && f=1
    echo "$name: $p passed, $f failed"
    passed=$((passed + p))
    failed=$((failed + f))
done
echo "$passed passed, $failed failed"
if [ -n "${HD_RESULT_FILE:-}" ]; then echo "$passed $failed" >"$HD_RESULT_FILE"; fi
[ "$failed" -eq 0 ]
