-- Search quality on the labelled set (70_kb_corpus): hit@1, hit@3 and MRR@10 in percent, per kind
-- of query and overall. bench/kb_relevance.sh prints the same table for bench/RESULTS.md; a
-- change to words, plans or ranking that moves any figure shows here.
SELECT * FROM kb_eval.metrics();
-- the queries whose article is not first, and what came first instead
SELECT kind, q, expected, rank, top FROM kb_eval.ranks() WHERE rank IS DISTINCT FROM 1 ORDER BY id;
