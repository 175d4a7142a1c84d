#!/usr/bin/env bash
# Search quality on the labelled set (tests/regress/sql/70_kb_corpus.sql: 48 articles in
# Vietnamese and English, 123 queries of six kinds): hit@1, hit@3 and MRR@10 per kind and overall,
# as a Markdown table for bench/RESULTS.md, then the queries whose article is not first.
# BENCH_KB_DISTRACTORS=N adds N generated articles (bench/kb_generate.sql) around the set.
#
#   make && bench/kb_relevance.sh     (runs on a private copy of PostgreSQL, like the tests)
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
. "$repo/tests/lib/cluster.sh"
hd_pgroot_prepare "$repo"
. "$repo/bench/lib.sh"
trap 'bench_cleanup; rm -rf "$HD_PGROOT"' EXIT

bench_cluster_start
bench_machine
bench_psql -qc "DELETE FROM helpdesk.kb_articles" >/dev/null   # the demo's articles: the set alone
if [ "${BENCH_KB_DISTRACTORS:-0}" -gt 0 ]; then
    bench_psql -q -v articles="$BENCH_KB_DISTRACTORS" -f "$repo/bench/kb_generate.sql" >/dev/null   # loads the set too
    echo "with $BENCH_KB_DISTRACTORS generated distractor articles"
else
    bench_psql -q -f "$repo/tests/regress/sql/70_kb_corpus.sql" >/dev/null
    bench_psql -qAt -c "SELECT kb_eval.load()" >/dev/null
fi
echo
echo "| kind | queries | hit@1 | hit@3 | MRR@10 |"
echo "|---|---|---|---|---|"
bench_psql -qAt -c "SELECT format('| %s | %s | %s%% | %s%% | %s%% |', kind, queries, hit_at_1, hit_at_3, mrr_at_10)
                    FROM kb_eval.metrics()"
echo
echo "Not first:"
bench_psql -qAt -F ' | ' -c "SELECT kind, q, 'expected ' || expected, 'rank ' || coalesce(rank::text, '>10'), 'first: ' || top
                             FROM kb_eval.ranks() WHERE rank IS DISTINCT FROM 1 ORDER BY id" | sed 's/^/- /'
