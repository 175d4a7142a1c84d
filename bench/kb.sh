#!/usr/bin/env bash
# Knowledge-base search, suggest and the chatbot at scale, over HTTP, in one run on this machine,
# against GET /api/v1/health measured in the same run:
#   1. BENCH_KB_SMALL articles (default 1,000): search and suggest throughput at 32 connections;
#   2. BENCH_KB_LARGE articles (default 100,000): search, suggest and chatbot latency (p50, p99)
#      and throughput at 8 connections.
# Articles come from bench/kb_generate.sql (both languages, realistic lengths) plus the labelled
# set; requests cycle through the labelled set's 123 queries (suggest: their first words, the
# last one cut as if being typed; chatbot: the queries as messages). Search, suggest and the
# chatbot are measured with the answer cache (60 s, the default; after a warm-up pass that
# fills it, as a server that has run for a while has it) and without it ('kb_search_cache_ms' = 0).
#
#   make && bench/kb.sh       (a private copy of PostgreSQL, like the tests; ~15 minutes)
#   BENCH_DATA_DIR=/var/tmp/hd-kb-100000 bench/kb.sh   (the large corpus is built there once,
#       ~25 minutes, and reused by later runs: only the figures, ~3 minutes; BENCH_REBUILD=1
#       builds it again; that cluster runs with fsync off, HD_CLUSTER_FAST. A reused cluster
#       runs this build's library and this tree's functions (bench/sql_functions.py); other
#       SQL changes since the build (tables, indexes) must be applied by BENCH_KB_REFRESH, a SQL
#       file run after them)
# The large part also measures each route's exact SQL round trip without HTTP (pgbench, 8 clients,
# the answer cache off, the same queries), beside pgbench SELECT 1 of the same run: a p99 that
# HTTP has and the SQL has not is the server's or the machine's, not the search's.
# Environment: BENCH_SECONDS (10), BENCH_KB_SMALL, BENCH_KB_LARGE, HTTP_THREADS (cores),
# BENCH_KB_PARTS ("small large": which of the two parts to run), BENCH_DATA_DIR, BENCH_REBUILD,
# BENCH_KB_REFRESH.
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
. "$repo/tests/lib/cluster.sh"
hd_pgroot_prepare "$repo"
. "$repo/bench/lib.sh"
trap 'bench_cleanup; rm -rf "$HD_PGROOT"' EXIT

small=${BENCH_KB_SMALL:-1000}
large=${BENCH_KB_LARGE:-100000}
parts=${BENCH_KB_PARTS:-small large}
data_dir=${BENCH_DATA_DIR:-}

bench_machine
echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)"

generate() {
    local n=$1 start
    start=$(date +%s)
    bench_psql -q -v articles="$n" -f "$repo/bench/kb_generate.sql" | tail -3
    # a separate VACUUM, after every snapshot of the load is gone: index-only scans of the postings
    bench_psql -qc "VACUUM ANALYZE helpdesk.kb_postings" -c "VACUUM ANALYZE helpdesk.kb_articles"
    echo "generated $n articles in $(( $(date +%s) - start )) s"
}

cache() { bench_psql -qc "DELETE FROM helpdesk.settings WHERE setting_key = 'kb_search_cache_ms'" \
                      -c "INSERT INTO helpdesk.settings (setting_key, setting_value) VALUES ('kb_search_cache_ms', '$1')"; }

# The request lists: one path (or chat body) per line, from the labelled queries.
write_requests() {
    bench_psql -qAt -c "SELECT q FROM kb_eval.queries ORDER BY id" | /usr/bin/python3 -c '
import json, sys, urllib.parse
qs = [l.rstrip("\n") for l in sys.stdin if l.strip()]
d = sys.argv[1]
with open(d + "/search.txt", "w") as f:
    for q in qs: f.write("/api/v1/knowledge/search?q=" + urllib.parse.quote(q) + "\n")
with open(d + "/suggest.txt", "w") as f:
    for q in qs:
        w = q.split()
        typed = " ".join(w[:3])
        typed = typed[:max(3, len(typed) - 2)]
        f.write("/api/v1/knowledge/suggest?q=" + urllib.parse.quote(typed) + "\n")
with open(d + "/chat.txt", "w") as f:
    for q in qs: f.write(json.dumps({"message": q}) + "\n")
' "$bench_work"
    cat >"$bench_work/get.lua" <<LUA
local paths = {}
for line in io.lines("$bench_work/" .. os.getenv("KB_LIST")) do paths[#paths + 1] = line end
local i = math.random(#paths)
request = function()
    i = i % #paths + 1
    return wrk.format("GET", paths[i])
end
LUA
    cat >"$bench_work/chat.lua" <<LUA
local bodies = {}
for line in io.lines("$bench_work/chat.txt") do bodies[#bodies + 1] = line end
local i = math.random(#bodies)
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer $employee_token"
request = function()
    i = i % #bodies + 1
    return wrk.format(nil, nil, nil, bodies[i])
end
LUA
}

# run CONNECTIONS URL [wrk args]: "req/s p50 p99" (latencies in ms); non-2xx answers are reported.
# req/s from wrk; p50 and p99 from h2load's per-request log (bench_h2load: wrk's percentiles are
# not reliable at high rates) over the same requests: the list KB_LIST in turn (-i), or for the
# chatbot (chat.lua) one question (h2load posts one body), or the URL.
run() {
    local c=$1 url=$2 out rps h; shift 2
    out=$(wrk -t "$bench_cores" -c "$c" -d "${bench_seconds}s" --latency "$@" "$url" 2>&1)
    echo "$out" >>"$bench_work/wrk.log"
    if echo "$out" | grep -q 'Non-2xx'; then echo "wrk $url: $(echo "$out" | grep 'Non-2xx')" >&2; fi
    rps=$(echo "$out" | sed -n 's/^Requests\/sec: *\([0-9.]*\).*/\1/p')
    case "$*" in
        *get.lua*)
            sed "s|^|${url%/api/v1/*}|" "$bench_work/$KB_LIST" >"$bench_work/urls.txt"
            h=$(bench_h2load "$c" -i "$bench_work/urls.txt") ;;
        *chat.lua*)
            head -1 "$bench_work/chat.txt" >"$bench_work/chat1.json"
            h=$(bench_h2load "$c" -d "$bench_work/chat1.json" -H "Content-Type: application/json" \
                -H "Authorization: Bearer $employee_token" "$url") ;;
        *) h=$(bench_h2load "$c" "$url") ;;
    esac
    read -r _ p50 _ p99 _ _ _ failed <<<"$h"
    [ "${failed:-0}" = 0 ] || echo "h2load $url: $failed requests failed" >&2
    echo "${rps:-?} $p50 $p99"
}

# warm CONNECTIONS: every connection of the server sees every request of the lists once (not
# measured), so the cache figures are those of a server that has been answering for a while.
warm() {
    local saved=$bench_seconds
    bench_seconds=6
    KB_LIST=search.txt run "$1" "$base/health" -s "$bench_work/get.lua" >/dev/null
    KB_LIST=suggest.txt run "$1" "$base/health" -s "$bench_work/get.lua" >/dev/null
    bench_seconds=$saved
}

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.0f%%", 100 * a / b; else print "n/a" }'; }

# sql_run CLIENTS SCRIPT: "tx/s p50 p99" (ms) of a pgbench script as helpdesk_http, from pgbench's
# log of every transaction.
sql_run() {
    local tps p50 p99
    read -r tps p50 _ p99 _ <<<"$(bench_pgbench_latency "$1" "$2")"
    echo "$tps $p50 $p99"
}
# The routes' requests as helpdesk-http sends them (the same queries as the wrk lists), for pgbench.
write_sql_requests() {
    bench_psql -q <<'SQL'
DROP TABLE IF EXISTS public.kb_bench_requests;
CREATE TABLE public.kb_bench_requests AS
SELECT row_number() OVER (ORDER BY q.id)::int AS i,
       jsonb_build_object('path', '{}'::jsonb, 'query', jsonb_build_object('q', q.q), 'body', NULL) AS search,
       jsonb_build_object('path', '{}'::jsonb, 'query', jsonb_build_object('q', left(w.typed, greatest(3, length(w.typed) - 2))),
                          'body', NULL) AS suggest,
       jsonb_build_object('path', '{}'::jsonb, 'query', '{}'::jsonb, 'body', jsonb_build_object('message', q.q)) AS chat
FROM kb_eval.queries q,
     LATERAL (SELECT array_to_string((regexp_split_to_array(btrim(q.q), '\s+'))[1:3], ' ') AS typed) w;
GRANT SELECT ON public.kb_bench_requests TO helpdesk_http;
SQL
}
sql_route() {  # sql_route FUNCTION COLUMN ACTOR_ID READ_ONLY: the route's round trip over the requests
    printf '%s\n' '\set i random(1, 123)' \
        "SELECT helpdesk_api.$1(r.$2)::text FROM public.kb_bench_requests r, helpdesk_api.request_context(actor_id => '$3', token_iat => '', client_ip => '127.0.0.1', user_agent => 'pgbench', read_only => '$4', application_name => 'pgbench') WHERE r.i = :i;"
}

if [[ " $parts " == *" small "* ]]; then
# ---- 1. small corpus, 32 connections ----
bench_cluster_start "maintenance_work_mem = 512MB" "max_wal_size = 8GB" "checkpoint_timeout = 30min"
bench_psql -qc "DELETE FROM helpdesk.kb_articles"   # the demo's eleven: the generated corpus only
generate "$small"
bench_server_start
employee_token=$(bench_token "$(bench_psql -At -c "SELECT id FROM helpdesk.users WHERE email = 'employee@28h.com'")")
write_requests
base="http://127.0.0.1:$bench_http_port/api/v1"
read -r h_rps h_50 h_99 < <(run 32 "$base/health")
cache 60000
warm 32
read -r s_rps s_50 s_99 < <(KB_LIST=search.txt run 32 "$base/health" -s "$bench_work/get.lua")
read -r g_rps g_50 g_99 < <(KB_LIST=suggest.txt run 32 "$base/health" -s "$bench_work/get.lua")
cache 0
read -r su_rps su_50 su_99 < <(KB_LIST=search.txt run 32 "$base/health" -s "$bench_work/get.lua")
read -r gu_rps gu_50 gu_99 < <(KB_LIST=suggest.txt run 32 "$base/health" -s "$bench_work/get.lua")
cache 60000
articles=$(bench_psql -At -c "SELECT count(*) FROM helpdesk.kb_articles")
printf '\n%s articles, 32 connections, %s s per figure, load %s\n\n' "$articles" "$bench_seconds" "$(cut -d' ' -f1-3 /proc/loadavg)"
printf '| what | req/s | vs /health | p50 ms | p99 ms |\n|---|---|---|---|---|\n'
printf '| GET /health (baseline) | %s | 100%% | %s | %s |\n' "$h_rps" "$h_50" "$h_99"
printf '| search, answer cache on | %s | %s | %s | %s |\n' "$s_rps" "$(ratio "$s_rps" "$h_rps")" "$s_50" "$s_99"
printf '| search, cache off | %s | %s | %s | %s |\n' "$su_rps" "$(ratio "$su_rps" "$h_rps")" "$su_50" "$su_99"
printf '| suggest, answer cache on | %s | %s | %s | %s |\n' "$g_rps" "$(ratio "$g_rps" "$h_rps")" "$g_50" "$g_99"
printf '| suggest, cache off | %s | %s | %s | %s |\n' "$gu_rps" "$(ratio "$gu_rps" "$h_rps")" "$gu_50" "$gu_99"

kill "$bench_server_pid"; wait "$bench_server_pid" 2>/dev/null || true; bench_server_pid=
fi

[[ " $parts " == *" large "* ]] || exit 0
# ---- 2. large corpus, 8 connections ----
if [ -n "$data_dir" ]; then
    # its own cluster in BENCH_DATA_DIR, built once (the small part's cluster, if any, stopped)
    hd_cluster_stop "$bench_work/cluster"; rm -rf "$bench_work/cluster"
    [ "${BENCH_REBUILD:-0}" = 1 ] && [ -d "$data_dir" ] && rm -rf "$data_dir"
    bench_pg_port=$(hd_free_port)
    [ -f "$data_dir/built" ] || rm -rf "$data_dir"
    mkdir -p "$data_dir"
    ln -s "$data_dir" "$bench_work/cluster"
    if [ -f "$data_dir/built" ]; then
        printf "port = %s\nunix_socket_directories = '%s'\n" "$bench_pg_port" "$data_dir" >>"$data_dir/data/postgresql.conf"
        hd_cluster_ctl "$data_dir" start
        # this tree's functions replace the builder's (tables stay as built; a function whose
        # types the cluster lacks keeps the old body: reported, not fatal)
        # (then 99_finalize again: CREATE OR REPLACE drops the search_path it sets)
        { python3 "$repo/bench/sql_functions.py" "$repo"/sql/[0-9]*.sql; cat "$repo/sql/99_finalize.sql"; } >"$bench_work/functions.sql"
        bench_psql -v ON_ERROR_STOP=0 -q <"$bench_work/functions.sql" 2>&1 | grep ERROR | sed 's/^/functions not replaced: /' || true
        if [ -n "${BENCH_KB_REFRESH:-}" ]; then bench_psql -q <"$BENCH_KB_REFRESH"; fi
        echo "large corpus reused from $data_dir"
    else
        HD_CLUSTER_FAST=1 bench_cluster_start "maintenance_work_mem = 512MB" "max_wal_size = 8GB" "checkpoint_timeout = 30min"
        bench_psql -qc "DELETE FROM helpdesk.kb_articles"
        generate "$large"
        touch "$data_dir/built"
    fi
else
    if [[ " $parts " == *" small "* ]]; then
        generate "$(( large - small ))"
    else
        bench_cluster_start "maintenance_work_mem = 512MB" "max_wal_size = 8GB" "checkpoint_timeout = 30min"
        bench_psql -qc "DELETE FROM helpdesk.kb_articles"
        generate "$large"
    fi
fi
bench_server_start
employee_token=$(bench_token "$(bench_psql -At -c "SELECT id FROM helpdesk.users WHERE email = 'employee@28h.com'")")
write_requests
base="http://127.0.0.1:$bench_http_port/api/v1"
read -r h_rps h_50 h_99 < <(run 8 "$base/health")
cache 60000
warm 8
read -r s_rps s_50 s_99 < <(KB_LIST=search.txt run 8 "$base/health" -s "$bench_work/get.lua")
read -r g_rps g_50 g_99 < <(KB_LIST=suggest.txt run 8 "$base/health" -s "$bench_work/get.lua")
cache 0
read -r su_rps su_50 su_99 < <(KB_LIST=search.txt run 8 "$base/health" -s "$bench_work/get.lua")
read -r gu_rps gu_50 gu_99 < <(KB_LIST=suggest.txt run 8 "$base/health" -s "$bench_work/get.lua")
read -r c_rps c_50 c_99 < <(run 8 "$base/chatbot/chat" -s "$bench_work/chat.lua")
# the same without HTTP: the routes' SQL over pgbench, 8 clients, cache off; SELECT 1 the baseline
write_sql_requests
employee_id=$(bench_psql -At -c "SELECT id FROM helpdesk.users WHERE email = 'employee@28h.com'")
read -r q1_tps q1_50 q1_99 < <(sql_run 8 'SELECT 1;')
read -r qs_tps qs_50 qs_99 < <(sql_run 8 "$(sql_route knowledge_search search '' on)")
read -r qg_tps qg_50 qg_99 < <(sql_run 8 "$(sql_route knowledge_suggest suggest '' on)")
read -r qc_tps qc_50 qc_99 < <(sql_run 8 "$(sql_route chatbot_chat chat "$employee_id" off)")
cache 60000
# the chatbot with the answer cache: a question asked before costs no search (first pass not measured)
saved_seconds=$bench_seconds; bench_seconds=3
run 8 "$base/chatbot/chat" -s "$bench_work/chat.lua" >/dev/null
bench_seconds=$saved_seconds
read -r cc_rps cc_50 cc_99 < <(run 8 "$base/chatbot/chat" -s "$bench_work/chat.lua")
articles=$(bench_psql -At -c "SELECT count(*) FROM helpdesk.kb_articles")
size=$(bench_psql -At -c "SELECT pg_size_pretty(pg_total_relation_size('helpdesk.kb_postings'))")
printf '\n%s articles (postings %s), 8 connections, %s s per figure, load %s\n\n' "$articles" "$size" "$bench_seconds" "$(cut -d' ' -f1-3 /proc/loadavg)"
printf '| what | req/s | vs /health | p50 ms | p99 ms |\n|---|---|---|---|---|\n'
printf '| GET /health (baseline) | %s | 100%% | %s | %s |\n' "$h_rps" "$h_50" "$h_99"
printf '| search, answer cache on | %s | %s | %s | %s |\n' "$s_rps" "$(ratio "$s_rps" "$h_rps")" "$s_50" "$s_99"
printf '| search, cache off | %s | %s | %s | %s |\n' "$su_rps" "$(ratio "$su_rps" "$h_rps")" "$su_50" "$su_99"
printf '| suggest, answer cache on | %s | %s | %s | %s |\n' "$g_rps" "$(ratio "$g_rps" "$h_rps")" "$g_50" "$g_99"
printf '| suggest, cache off | %s | %s | %s | %s |\n' "$gu_rps" "$(ratio "$gu_rps" "$h_rps")" "$gu_50" "$gu_99"
printf '| chatbot answer (POST /chatbot/chat), cache off | %s | %s | %s | %s |\n' "$c_rps" "$(ratio "$c_rps" "$h_rps")" "$c_50" "$c_99"
printf '| chatbot answer, answer cache on | %s | %s | %s | %s |\n' "$cc_rps" "$(ratio "$cc_rps" "$h_rps")" "$cc_50" "$cc_99"
printf '\nThe same routes'"'"' SQL without HTTP (pgbench, 8 clients, answer cache off), load %s\n\n' "$(cut -d' ' -f1-3 /proc/loadavg)"
printf '| what | tx/s | vs SELECT 1 | p50 ms | p99 ms |\n|---|---|---|---|---|\n'
printf '| pgbench SELECT 1 (baseline) | %s | 100%% | %s | %s |\n' "$q1_tps" "$q1_50" "$q1_99"
printf '| search SQL, cache off | %s | %s | %s | %s |\n' "$qs_tps" "$(ratio "$qs_tps" "$q1_tps")" "$qs_50" "$qs_99"
printf '| suggest SQL, cache off | %s | %s | %s | %s |\n' "$qg_tps" "$(ratio "$qg_tps" "$q1_tps")" "$qg_50" "$qg_99"
printf '| chatbot SQL, cache off | %s | %s | %s | %s |\n' "$qc_tps" "$(ratio "$qc_tps" "$q1_tps")" "$qc_50" "$qc_99"
