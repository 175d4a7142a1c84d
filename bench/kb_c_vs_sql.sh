#!/usr/bin/env bash
# The knowledge base's C against the SQL one would write instead (bench/kb_sql_twins.sql), on the
# labelled set plus BENCH_KB_ARTICLES generated articles (default 1,000): backend CPU time per
# call (from /proc/self/schedstat, so the machine's other load counts little), each piece run in
# one session, C and SQL interleaved.
#   plan      kb_plan (C, kb_plan.c)           vs kb_plan_plpgsql, over the 123 queries;
#             also how many of the plans are identical
#   terms     kb_terms (C tokenizer + stems)   vs to_tsvector(unaccent, english_stem) + SQL, per article
#   snippet   kb_snippet                       vs ts_headline on the same text, per (query, article)
#   distance  kb_edit_distance                 vs PL/pgSQL, per pair of words
#   ranking   kb_rank_top (C, kb_rank.c)       vs the postings' nested loop + kb_rank aggregate,
#             per query (the 30 best of the 100 best postings per term); also how many of the
#             123 queries get the same articles and scores
#
#   make && bench/kb_c_vs_sql.sh       (a private copy of PostgreSQL, like the tests)
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
. "$repo/tests/lib/cluster.sh"
hd_pgroot_prepare "$repo"
. "$repo/bench/lib.sh"
trap 'bench_cleanup; rm -rf "$HD_PGROOT"' EXIT

bench_cluster_start
bench_machine
bench_psql -qc "DELETE FROM helpdesk.kb_articles"
bench_psql -q -v articles="${BENCH_KB_ARTICLES:-1000}" -f "$repo/bench/kb_generate.sql" >/dev/null
bench_psql -qc "VACUUM ANALYZE"
bench_psql -q -f "$repo/bench/kb_sql_twins.sql" >/dev/null

# cpu LABEL SQL_EXPRESSION_OVER_ROWS_OF(FROM_CLAUSE) REPEAT: microseconds per row
cpu() {
    local expr=$1 from=$2 rounds=$3
    bench_psql -qAt <<SQL
DO \$\$ DECLARE x text; BEGIN PERFORM ($expr)::text FROM $from; END \$\$;
SELECT split_part(pg_read_file('/proc/self/schedstat'), ' ', 1)::bigint AS a \gset
DO \$\$ DECLARE x text; r int; BEGIN FOR r IN 1 .. $rounds LOOP PERFORM ($expr)::text FROM $from; END LOOP; END \$\$;
SELECT round((split_part(pg_read_file('/proc/self/schedstat'), ' ', 1)::bigint - :a)
             / 1000.0 / ($rounds * (SELECT count(*) FROM $from)), 2);
SQL
}

queries="kb_eval.queries q"
articles="(SELECT * FROM helpdesk.kb_articles ORDER BY id LIMIT 200) a"
# the inputs, made once (the timed loops read them only)
bench_psql -qc "CREATE TABLE public.bench_pairs AS
                SELECT a.content, (helpdesk.kb_plan(q.q)).terms AS terms FROM kb_eval.queries q
                JOIN LATERAL (SELECT s.article_id FROM helpdesk.kb_search(q.q, 2) s) s ON true
                JOIN helpdesk.kb_articles a ON a.id = s.article_id WHERE q.id <= 100"
pairs="public.bench_pairs p"
words="(SELECT v.term FROM helpdesk.kb_vocab v ORDER BY v.term LIMIT 300) w"
bench_psql -qc "CREATE TABLE public.bench_plans AS SELECT q.id, (helpdesk.kb_plan(q.q)).* FROM kb_eval.queries q"
plans="(SELECT * FROM public.bench_plans WHERE terms IS NOT NULL) p"
rank_same=$(bench_psql -qAt -c "SELECT count(*) FILTER (WHERE c IS NOT DISTINCT FROM s) || ' of ' || count(*)
                                FROM $plans,
                                     LATERAL (SELECT array_agg(array[r.article_id, r.text_score] ORDER BY r.text_score DESC, r.article_id)
                                              FROM (SELECT * FROM helpdesk.kb_rank_top(p.terms, p.idf, p.plan, p.pairs, 0, 100, false, 30)
                                                    ORDER BY 2 DESC, 1 LIMIT 30) r) c(c),
                                     LATERAL (SELECT array_agg(array[r.article_id, r.text_score] ORDER BY r.text_score DESC, r.article_id)
                                              FROM public.kb_rank_top_sql(p.terms, p.idf, p.plan, p.pairs, 0, 100, false, 30) r) s(s)")

same=$(bench_psql -qAt -c "SELECT count(*) FILTER (WHERE (c.terms, c.plan, c.pairs) IS NOT DISTINCT FROM (s.terms, s.plan, s.pairs))
                               || ' of ' || count(*)
                           FROM kb_eval.queries q, helpdesk.kb_plan(q.q) c, helpdesk.kb_plan_plpgsql(q.q) s")
plan_c=$(cpu "helpdesk.kb_plan(q.q)" "$queries" 5)
plan_s=$(cpu "helpdesk.kb_plan_plpgsql(q.q)" "$queries" 5)
terms_c=$(cpu "(SELECT count(*) FROM helpdesk.kb_terms(a.title, a.tags, a.content))" "$articles" 3)
terms_s=$(cpu "(SELECT count(*) FROM public.kb_terms_sql(a.title, a.tags, a.content))" "$articles" 3)
snip_c=$(cpu "helpdesk.kb_snippet(p.content, p.terms, 30, true)" "$pairs" 3)
snip_s=$(cpu "public.kb_snippet_sql(p.content, p.terms, 30)" "$pairs" 3)
rank_c=$(cpu "(SELECT count(*) FROM helpdesk.kb_rank_top(p.terms, p.idf, p.plan, p.pairs, 0, 100, false, 30))" "$plans" 3)
rank_s=$(cpu "(SELECT count(*) FROM public.kb_rank_top_sql(p.terms, p.idf, p.plan, p.pairs, 0, 100, false, 30))" "$plans" 3)
dist_c=$(cpu "helpdesk.kb_edit_distance(w.term, 'pasword', 2)" "$words" 20)
dist_s=$(cpu "public.kb_edit_distance_sql(w.term, 'pasword', 2)" "$words" 20)
n=$(bench_psql -At -c "SELECT count(*) FROM helpdesk.kb_articles")

r() { awk -v a="$1" -v b="$2" 'BEGIN { if (a > 0) printf "x%.1f", b / a; else print "n/a" }'; }
printf '\n%s articles; backend CPU microseconds per call, load %s\n\n' "$n" "$(cut -d' ' -f1-3 /proc/loadavg)"
printf '| piece | C | SQL | SQL / C |\n|---|---|---|---|\n'
printf '| query plan (kb_plan vs PL/pgSQL; %s plans identical) | %s | %s | %s |\n' "$same" "$plan_c" "$plan_s" "$(r "$plan_c" "$plan_s")"
printf '| article terms (kb_terms vs to_tsvector + SQL) | %s | %s | %s |\n' "$terms_c" "$terms_s" "$(r "$terms_c" "$terms_s")"
printf '| snippet (kb_snippet vs ts_headline) | %s | %s | %s |\n' "$snip_c" "$snip_s" "$(r "$snip_c" "$snip_s")"
printf '| ranking (kb_rank_top vs postings + kb_rank aggregate; %s identical) | %s | %s | %s |\n' "$rank_same" "$rank_c" "$rank_s" "$(r "$rank_c" "$rank_s")"
printf '| edit distance (kb_edit_distance vs PL/pgSQL) | %s | %s | %s |\n' "$dist_c" "$dist_s" "$(r "$dist_c" "$dist_s")"
