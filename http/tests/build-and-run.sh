#!/bin/sh
# Compile and run every http/tests/*.c against the server's sources (all but main.c).
# Usage: http/tests/build-and-run.sh [extra CFLAGS, e.g. -fsanitize=address,undefined]
set -u
here=$(cd "$(dirname "$0")" && pwd)
src=$(dirname "$here")
PG_CONFIG=${PG_CONFIG:-/usr/lib/postgresql/15/bin/pg_config}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
libsrc=$(ls "$src"/*.c | grep -v '/main\.c$')
passed=0
failed=0
for t in "$here"/*.c; do
    name=$(basename "$t" .c)
    if ! cc -std=gnu11 -O1 -g -Wall -Wextra -Werror -DH2O_USE_LIBUV=0 -I"$src/../extension" -I"$($PG_CONFIG --includedir)" "$@" \
        -o "$out/$name" "$t" $libsrc -lh2o-evloop -ljansson -ljwt -lpq -lssl -lcrypto -lz -lpthread; then
        echo "$name: build failed"
        failed=$((failed + 1))
        continue
    fi
    res=$("$out/$name" 2>&1)
    rc=$?
    line=$(printf '%s\n' "$res" | tail -n 1)
    printf '%s\n' "$res" | sed '$d'
    echo "$name: $line"
    p=$(echo "$line" | sed -n 's/^\([0-9]*\) passed, \([0-9]*\) failed$/\1/p')
    f=$(echo "$line" | sed -n 's/^\([0-9]*\) passed, \([0-9]*\) failed$/\2/p')
    passed=$((passed + ${p:-0}))
    failed=$((failed + ${f:-1}))
    [ "$rc" -ne 0 ] && [ "${f:-1}" -eq 0 ] && failed=$((failed + 1))
done
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
