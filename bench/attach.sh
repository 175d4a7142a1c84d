#!/usr/bin/env bash
# Attachments, measured in one run on this machine (bench/RESULTS.md, "Attachments"):
#   baseline  the database's own cost of moving the same 10 MiB file: bench/blob_baseline.c
#             inserts it into a bytea (binary parameter, sha256 computed) and reads it back
#             (binary result) over libpq, one transaction each;
#   upload    POST /api/v1/attachments/upload of that file (multipart, curl), 1 and 4 clients;
#   download  GET /api/v1/attachments/:id/download, 1 and 4 clients;
# rounds alternate baseline / HTTP so the machine's load hits both alike; medians in MiB/s and
# their ratio to the baseline. Then helpdesk-http's memory while 16 clients upload a 10 MiB file
# each at once: peak RSS (VmHWM) and the peaks of its anonymous and file-backed parts sampled
# every 20 ms, with bodies spilled to temporary files past TEMP_BUFFER_THRESHOLD (the default,
# 1 MiB) and without (threshold 1 GiB), and with one file connection per thread instead of two,
# against the idle server.
#
#   bash bench/attach.sh
# Environment: BENCH_ROUNDS (3), BENCH_FILES (6 per client and round), HTTP_THREADS (2).
# Nothing is installed: a private PostgreSQL copy as in tests/run.sh.
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
. "$repo/tests/lib/cluster.sh"
rounds=${BENCH_ROUNDS:-3}
files=${BENCH_FILES:-6}
threads=${HTTP_THREADS:-2}
size=$((10 * 1024 * 1024))

work=$(mktemp -d /tmp/helpdesk-bench-attach.XXXXXX)
chmod 755 "$work"
server_pid=
cleanup() {
    [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null
    hd_cluster_stop "$work/cluster"
    [ -n "${HD_PGROOT:-}" ] && rm -rf "$HD_PGROOT"
    rm -rf "$work"
}
trap cleanup EXIT

make -C "$repo" --no-print-directory -s http/helpdesk-http
declare -A med
cc -O2 -I"$("$HD_PG_CONFIG" --includedir)" -o "$work/blob_baseline" "$repo/bench/blob_baseline.c" -lpq
hd_pgroot_prepare "$repo"
pg_port=$(hd_free_port)
hd_cluster_start "$work/cluster" "$pg_port" "helpdesk.database_name = 'bench'" "helpdesk.bcrypt_cost = 4" \
    "max_connections = 300" "shared_buffers = 256MB"
hd_database_create "$work/cluster" "$pg_port" bench >/dev/null
hd_psql "$work/cluster" "$pg_port" bench <"$repo/demo/seed.sql" >/dev/null
bpsql() { hd_psql "$work/cluster" "$pg_port" bench -At "$@"; }
ticket=$(bpsql -c "INSERT INTO helpdesk.tickets (ticket_number, title, description, category_id, submitter_id)
                   VALUES ('BENCH-1', 'Uploads', 'Bench ticket', 1, 3) RETURNING id" | head -1)
bpsql -c "CREATE TABLE bench_blob (id serial PRIMARY KEY, content bytea, sha256 bytea);
          ALTER TABLE bench_blob ALTER COLUMN content SET STORAGE EXTERNAL;
          GRANT ALL ON bench_blob, bench_blob_id_seq TO helpdesk_http" >/dev/null

# the file: a stored zip of random bytes, exactly MAX_FILE_SIZE (libmagic: application/zip)
/usr/bin/python3 - "$work/file.zip" "$size" <<'PY'
import io, os, sys, zipfile
z = io.BytesIO()
with zipfile.ZipFile(z, "w", zipfile.ZIP_STORED) as zf:
    zf.writestr("data.bin", os.urandom(int(sys.argv[2]) - 200))
data = z.getvalue()
open(sys.argv[1], "wb").write(data + b"\0" * (int(sys.argv[2]) - len(data)))
PY
chmod 644 "$work/file.zip"

secret=$(head -c 48 /dev/urandom | base64 | tr -d '\n/+=' | head -c 48)
token=$(cd "$repo/tests/http" && HD_JWT_SECRET=$secret /usr/bin/python3 -c \
    'from hdlib import make_jwt, claims; print(make_jwt(claims(sub=3, exp_in=36000)))')
http_port=$(hd_free_port)
base="http://127.0.0.1:$http_port/api/v1"

server_start() {
    [ -n "$server_pid" ] && { kill "$server_pid"; wait "$server_pid" || true; }
    env PORT=$http_port DB_HOST=$work/cluster DB_PORT=$pg_port DB_USER=helpdesk_http DB_NAME=bench \
        JWT_SECRET=$secret RATE_LIMIT_MAX_REQUESTS=0 ACCESS_LOG=off HTTP_THREADS=$threads "$@" \
        "$repo/http/helpdesk-http" >>"$work/http.log" 2>&1 &
    server_pid=$!
    for _ in $(seq 1 100); do (exec 3<>"/dev/tcp/127.0.0.1/$http_port") 2>/dev/null && break; sleep 0.1; done
    sleep 0.5
}

now() { date +%s.%N; }
mibs() { awk -v n="$1" -v s="$size" -v t="$2" 'BEGIN { printf "%.1f", n * s / 1048576 / t }'; }
median() { tr ' ' '\n' | grep . | sort -g | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }

# upload_one: one upload with curl (no Expect: 100-continue, as browsers send); prints the status
upload_one() {
    curl -s -o /dev/null -w '%{http_code}\n' -H 'Expect:' -H "Authorization: Bearer $token" \
        -F "ticketId=$ticket" -F "file=@$work/file.zip;type=application/zip" "$base/attachments/upload"
}
download_one() {
    curl -s -o /dev/null -w '%{http_code}\n' -H "Authorization: Bearer $token" "$base/attachments/$1/download"
}
export -f upload_one download_one
export work token ticket base

# run CLIENTS KIND: CLIENTS x $files requests of KIND (upload|download) at once; MiB/s
run() {
    local clients=$1 kind=$2 t0 t1 n=$(($1 * files)) codes
    t0=$(now)
    if [ "$kind" = upload ]; then
        codes=$(seq 1 "$n" | xargs -P "$clients" -I{} bash -c upload_one)
    else
        codes=$(seq 1 "$n" | xargs -P "$clients" -I{} bash -c "download_one $download_id")
    fi
    t1=$(now)
    [ "$(echo "$codes" | grep -cv '^20[01]$')" -eq 0 ] || { echo "failed requests: $(echo "$codes" | sort | uniq -c)" >&2; exit 1; }
    mibs "$n" "$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }')"
}

server_start
download_id=$(curl -s -H 'Expect:' -H "Authorization: Bearer $token" -F "ticketId=$ticket" -F "file=@$work/file.zip" \
    "$base/attachments/upload" | sed -n 's/.*"id": \([0-9]*\).*/\1/p')
[ -n "$download_id" ] || { echo "the first upload failed" >&2; tail "$work/http.log" >&2; exit 1; }

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(date -u +%Y-%m-%dT%H:%MZ)"
echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)"
# baseline CLIENTS MODE: CLIENTS processes, $files files each, at once; MiB/s over the whole
baseline() {
    local clients=$1 mode=$2 t0 t1 c
    t0=$(now)
    for c in $(seq 1 "$clients"); do
        "$work/blob_baseline" "host=$work/cluster port=$pg_port dbname=bench user=helpdesk_http" "$work/file.zip" \
            "$files" "$mode" $(((c - 1) * files + 1)) >/dev/null &
    done
    wait
    t1=$(now)
    mibs $((clients * files)) "$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }')"
}

declare -A fig
for r in $(seq 1 "$rounds"); do
    for c in 1 4; do
        bpsql -c "TRUNCATE bench_blob RESTART IDENTITY" >/dev/null
        fig[bi$c]+="$(baseline $c insert) "
        fig[bs$c]+="$(baseline $c select) "
        fig[up$c]+="$(run $c upload) "
        fig[down$c]+="$(run $c download) "
        bpsql -c "DELETE FROM helpdesk.attachments WHERE ticket_id = $ticket AND id <> $download_id" >/dev/null
    done
    last() { echo "${fig[$1]}" | awk '{ print $NF }'; }
    echo "round $r, MiB/s, 1/4 clients: baseline insert $(last bi1)/$(last bi4), select $(last bs1)/$(last bs4);" \
         "upload $(last up1)/$(last up4), download $(last down1)/$(last down4); load $(cut -d' ' -f1 /proc/loadavg)"
done
for k in bi1 bi4 bs1 bs4 up1 up4 down1 down4; do med[$k]=$(echo "${fig[$k]}" | median); done

# memory: 16 uploads at once, sampled every 20 ms
memory() {
    local label=$1 pid idle peak_rss=0 peak_anon=0 peak_file=0 hwm codes sampler
    shift
    server_start "$@"
    pid=$server_pid
    idle=$(awk '/^VmRSS/ { print $2 }' "/proc/$pid/status")
    (
        while kill -0 "$pid" 2>/dev/null; do
            awk '/^VmRSS|^RssAnon|^RssFile|^RssShmem/ { printf "%s ", $2 } END { print "" }' "/proc/$pid/status"
            sleep 0.02
        done
    ) >"$work/samples.$label" 2>/dev/null &
    sampler=$!
    codes=$(seq 1 16 | xargs -P 16 -I{} bash -c upload_one)
    hwm=$(awk '/^VmHWM/ { print $2 }' "/proc/$pid/status")
    kill "$sampler" 2>/dev/null; wait "$sampler" 2>/dev/null || true
    [ "$(echo "$codes" | grep -c '^201$')" -eq 16 ] || { echo "memory run $label: $(echo "$codes" | sort | uniq -c)" >&2; exit 1; }
    read -r peak_rss peak_anon peak_file < <(awk '{ if ($1 > r) r = $1; if ($2 > a) a = $2; if ($3 + $4 > f) f = $3 + $4 }
                                                 END { print r + 0, a + 0, f + 0 }' "$work/samples.$label")
    bpsql -c "DELETE FROM helpdesk.attachments WHERE ticket_id = $ticket AND id <> $download_id" >/dev/null
    printf '| %s | %d | %d | %d | %d | %d |\n' "$label" $((idle / 1024)) $((hwm / 1024)) $((peak_rss / 1024)) \
        $((peak_anon / 1024)) $((peak_file / 1024))
}

echo "load after the throughput rounds: $(cut -d' ' -f1-3 /proc/loadavg)"
echo
echo "| 10 MiB files, MiB/s (median of $rounds rounds, $files files per client each) | 1 client | 4 clients |"
echo "|---|---|---|"
printf '| baseline insert: libpq INSERT, binary bytea + sha256, a connection per client | %s | %s |\n' "${med[bi1]}" "${med[bi4]}"
printf '| upload: POST /attachments/upload (multipart, libmagic, sha256, history row) | %s (%s) | %s (%s) |\n' \
    "${med[up1]}" "$(ratio "${med[up1]}" "${med[bi1]}")" "${med[up4]}" "$(ratio "${med[up4]}" "${med[bi4]}")"
printf '| baseline select: libpq SELECT, binary, a connection per client | %s | %s |\n' "${med[bs1]}" "${med[bs4]}"
printf '| download: GET /attachments/:id/download | %s (%s) | %s (%s) |\n' \
    "${med[down1]}" "$(ratio "${med[down1]}" "${med[bs1]}")" "${med[down4]}" "$(ratio "${med[down4]}" "${med[bs4]}")"
echo "(in parentheses: the ratio to the baseline of the same row pair)"
echo
echo "| helpdesk-http, 16 uploads of 10 MiB at once, $threads threads | idle RSS MiB | VmHWM MiB | peak RSS MiB (sampled) | peak anonymous MiB | peak file-backed + shmem MiB |"
echo "|---|---|---|---|---|---|"
memory "bodies spilled past 1 MiB (default)"
memory "no spill (TEMP_BUFFER_THRESHOLD=1 GiB)" TEMP_BUFFER_THRESHOLD=1073741824
memory "spilled, FILE_DB_POOL_SIZE=1 (default 2)" FILE_DB_POOL_SIZE=1
echo "load at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
