-- SQL versions of what the knowledge base does in C, for bench/kb_c_vs_sql.sh (not part of the
-- extension): each is what one would write without the C, doing the same job.
SET search_path = helpdesk, public;
\set ON_ERROR_STOP 1
\ir kb_plan_plpgsql.sql

-- Words through a text search configuration: unaccent + English Snowball (what kb_terms' C
-- tokenizer replaces; it has no "Wi-Fi" = "wifi" and loses the diacritics stop phrases need).
CREATE TEXT SEARCH DICTIONARY public.kb_twin_unaccent (TEMPLATE = unaccent, RULES = 'unaccent');
CREATE TEXT SEARCH CONFIGURATION public.kb_twin (COPY = pg_catalog.simple);
ALTER TEXT SEARCH CONFIGURATION public.kb_twin
    ALTER MAPPING FOR asciiword, word, numword, asciihword, hword, numhword, hword_asciipart, hword_part, hword_numpart
    WITH public.kb_twin_unaccent, helpdesk.kb_stem;

-- An article's terms with BM25F impacts and positions, as kb_terms returns them.
CREATE FUNCTION public.kb_terms_sql(title text, tags text[], body text)
RETURNS TABLE (term text, impact real, hits smallint[])
LANGUAGE sql STABLE AS $$
    WITH doc AS (
        SELECT setweight(to_tsvector('public.kb_twin', coalesce(title, '')), 'A')
               || setweight(to_tsvector('public.kb_twin', coalesce(array_to_string(tags, ' , '), '')), 'B')
               || setweight(to_tsvector('public.kb_twin', coalesce(body, '')), 'C') AS v
    ), lens AS (
        SELECT count(*) FILTER (WHERE w = 'A') AS la, count(*) FILTER (WHERE w = 'B') AS lb, count(*) FILTER (WHERE w = 'C') AS lc
        FROM doc, unnest(doc.v) u, unnest(u.weights) w
    )
    SELECT u.lexeme,
           (f / (1.2 + f))::real,
           u.positions::smallint[]
    FROM doc, lens, unnest(doc.v) u,
         LATERAL (SELECT 4.0 * count(*) FILTER (WHERE w = 'A') / (0.5 + 0.5 * lens.la / 8.0)
                       + 2.5 * count(*) FILTER (WHERE w = 'B') / (0.5 + 0.5 * lens.lb / 5.0)
                       + 1.0 * count(*) FILTER (WHERE w = 'C') / (0.25 + 0.75 * lens.lc / 250.0) AS f
                  FROM unnest(u.weights) w) x
$$;

-- ts_headline over the same configuration, HTML escaped first, hits in <mark>.
CREATE FUNCTION public.kb_snippet_sql(body text, terms text[], max_words int)
RETURNS text
LANGUAGE sql STABLE AS $$
    SELECT ts_headline('public.kb_twin',
                       replace(replace(replace(replace(replace(body, '&', '&amp;'), '<', '&lt;'), '>', '&gt;'), '"', '&quot;'), '''', '&#39;'),
                       (SELECT string_agg(quote_literal(t), ' | ')::tsquery FROM unnest(terms) t),
                       format('StartSel=<mark>, StopSel=</mark>, MaxWords=%s, MinWords=%s, ShortWord=1, MaxFragments=1',
                              max_words, max_words / 2))
$$;

-- The bounded edit distance of kb_text.c (optimal string alignment) in PL/pgSQL.
CREATE FUNCTION public.kb_edit_distance_sql(a text, b text, max int)
RETURNS int
LANGUAGE plpgsql IMMUTABLE STRICT AS $$
DECLARE
    la int := length(a);
    lb int := length(b);
    prev2 int[];
    prev int[];
    cur int[];
    i int;
    j int;
    cost int;
    d int;
    row_min int;
BEGIN
    IF abs(la - lb) > max THEN RETURN max + 1; END IF;
    prev := array_fill(0, ARRAY[lb + 1], ARRAY[0]);
    FOR j IN 0 .. lb LOOP
        prev[j] := j;
    END LOOP;
    prev2 := prev;
    FOR i IN 1 .. la LOOP
        cur := array_fill(0, ARRAY[lb + 1], ARRAY[0]);
        cur[0] := i;
        row_min := i;
        FOR j IN 1 .. lb LOOP
            cost := CASE WHEN substr(a, i, 1) = substr(b, j, 1) THEN 0 ELSE 1 END;
            d := least(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost);
            IF i > 1 AND j > 1 AND substr(a, i, 1) = substr(b, j - 1, 1) AND substr(a, i - 1, 1) = substr(b, j, 1) THEN
                d := least(d, prev2[j - 2] + 1);
            END IF;
            cur[j] := d;
            row_min := least(row_min, d);
        END LOOP;
        IF row_min > max THEN RETURN max + 1; END IF;
        prev2 := prev;
        prev := cur;
    END LOOP;
    RETURN CASE WHEN prev[lb] > max THEN max + 1 ELSE prev[lb] END;
END $$;

-- The ranking as kb_search ran it before kb_rank_top: the best per_term postings of each term
-- through a nested loop, the kb_rank aggregate per article, the n best (the same scores; the C
-- adds the articles tied with the n-th and the snippet's positions).
CREATE FUNCTION public.kb_rank_top_sql(terms text[], idf real[], plan int[], pairs int[], mode int,
                                       per_term int, include_drafts boolean, n int)
RETURNS TABLE (article_id int, text_score real)
LANGUAGE plpgsql STABLE
SET plan_cache_mode = force_generic_plan
AS $$
BEGIN
    RETURN QUERY
    SELECT r.article_id, r.text_score
    FROM (SELECT c.article_id, helpdesk.kb_rank(c.n, c.impact, c.hits, idf, plan, pairs, mode) AS text_score
          FROM (SELECT t.n::int AS n, x.article_id, x.impact, x.hits
                FROM unnest(terms) WITH ORDINALITY AS t(term, n)
                CROSS JOIN LATERAL (
                    SELECT k.article_id, k.impact, k.hits
                    FROM helpdesk.kb_postings k
                    WHERE k.term = t.term AND (k.published OR include_drafts)
                    ORDER BY k.impact DESC
                    LIMIT per_term) x) c
          GROUP BY c.article_id) r
    WHERE r.text_score > 0
    ORDER BY r.text_score DESC, r.article_id
    LIMIT n;
END
$$;
