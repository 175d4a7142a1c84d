-- The query planner of knowledge-base search as PL/pgSQL, the first version of
-- extension/kb_plan.c, kept so bench/kb_c_vs_sql.sh can check that both build the same plans and
-- measure what the C version saves. Loaded into a bench database only (not part of the
-- extension): helpdesk.kb_plan_plpgsql(q, prefix).
SET search_path = helpdesk, public;
-- Adds one alternative (slot, weight in thousandths, its terms) to a plan under construction;
-- new terms are numbered after the ones already there.
CREATE FUNCTION helpdesk.kb_plan_add_plpgsql(terms text[], alts int[], slot int, weight int, alt_terms text[],
                                     OUT terms_out text[], OUT alts_out int[])
LANGUAGE plpgsql IMMUTABLE
AS $$
DECLARE
    t text;
BEGIN
    terms_out := terms;
    alts_out := alts || ARRAY[slot, weight, cardinality(alt_terms)];
    FOREACH t IN ARRAY alt_terms LOOP
        IF NOT t = ANY (terms_out) THEN
            terms_out := terms_out || t;
        END IF;
        alts_out := alts_out || array_position(terms_out, t);
    END LOOP;
END
$$;

-- The query plan of q (see helpdesk.kb_query_plan). prefix: the last word is being typed, so it
-- stands for every vocabulary term it begins (suggest). Returns NULL terms when q has no word
-- that is not a stop word.
--
--   words      kb_query_words: stems in order, stop phrases marked;
--   synonyms   a run of 1..3 consecutive words that is a synonym group's member becomes one slot
--              whose alternatives are the run itself (weight 1) and the other members (0.8);
--              longer runs first, then leftmost;
--   typos      a word of 5 letters or more that is not in the vocabulary is replaced by its
--              corrections (weight 0.9 at one edit, 0.75 at two);
--   idf        ln(1 + (N - df + 0.5) / (df + 0.5)), N articles, df from the vocabulary.
CREATE FUNCTION helpdesk.kb_plan_plpgsql(q text, prefix boolean DEFAULT false)
RETURNS helpdesk.kb_query_plan
LANGUAGE plpgsql STABLE
AS $$
DECLARE
    w record;
    words_pos int[];
    words_term text[];
    words_fold text[];
    words_len int[];
    words_stop boolean[];
    n int;
    covered int[];              -- per word: 0 free, else the slot that holds it
    span_syn int[];             -- per word starting a synonym run: the group, else NULL
    span_len int[];
    m record;
    terms text[] := '{}';
    alts int[] := '{}';
    pairs int[] := '{}';
    slot int := 0;
    primary_term text[];        -- per word: the term that stands for it in pairs
    i int;
    j int;
    k int;
    t text;
    alt_terms text[];
    c record;
    last_content int;
    n_docs double precision;
    result helpdesk.kb_query_plan;
BEGIN
    SELECT array_agg(x.pos ORDER BY x.pos), array_agg(x.term ORDER BY x.pos), array_agg(x.fold ORDER BY x.pos),
           array_agg(x.nchars ORDER BY x.pos), array_agg(x.stop ORDER BY x.pos)
    INTO words_pos, words_term, words_fold, words_len, words_stop
    FROM helpdesk.kb_query_words(q) x;
    n := coalesce(array_length(words_pos, 1), 0);
    IF n = 0 OR NOT false = ANY (words_stop) THEN
        RETURN result;
    END IF;
    covered := array_fill(0, ARRAY[n]);
    span_syn := array_fill(NULL::int, ARRAY[n]);
    span_len := array_fill(0, ARRAY[n]);
    primary_term := array_fill(NULL::text, ARRAY[n]);

    -- synonym runs: every run of 1..3 words (stop words included: "log in") that is a member
    FOR m IN
        WITH runs AS (
            SELECT s AS start, l AS len,
                   array_to_string(words_term[s:s + l - 1], ' ') AS seq
            FROM generate_series(1, n) s, generate_series(1, 3) l
            WHERE s + l - 1 <= n AND false = ANY (words_stop[s:s + l - 1])
        )
        SELECT DISTINCT ON (r.start, r.len) r.start, r.len, st.synonym_id
        FROM runs r JOIN helpdesk.kb_synonym_terms st ON st.seq = r.seq
        ORDER BY r.len DESC, r.start, st.synonym_id
    LOOP
        IF m.start + m.len - 1 <= n AND NOT EXISTS (
               SELECT FROM generate_series(m.start, m.start + m.len - 1) g WHERE covered[g] <> 0) THEN
            FOR i IN m.start .. m.start + m.len - 1 LOOP
                covered[i] := -1;
            END LOOP;
            span_syn[m.start] := m.synonym_id;
            span_len[m.start] := m.len;
        END IF;
    END LOOP;

    i := 1;
    last_content := NULL;
    FOR i IN 1 .. n LOOP
        IF span_syn[i] IS NOT NULL THEN
            -- one slot: the run as typed, then the group's other members
            slot := slot + 1;
            alt_terms := words_term[i:i + span_len[i] - 1];
            SELECT x.terms_out, x.alts_out INTO terms, alts FROM helpdesk.kb_plan_add_plpgsql(terms, alts, slot, 1000, alt_terms) x;
            FOR c IN SELECT st.seq FROM helpdesk.kb_synonym_terms st
                     WHERE st.synonym_id = span_syn[i] AND st.seq <> array_to_string(alt_terms, ' ')
                     ORDER BY st.seq LOOP
                SELECT x.terms_out, x.alts_out INTO terms, alts FROM helpdesk.kb_plan_add_plpgsql(terms, alts, slot, 800, string_to_array(c.seq, ' ')) x;
            END LOOP;
            FOR j IN i .. i + span_len[i] - 1 LOOP
                covered[j] := slot;
                primary_term[j] := words_term[j];
            END LOOP;
        ELSIF covered[i] = 0 AND NOT words_stop[i] THEN
            slot := slot + 1;
            covered[i] := slot;
            t := words_term[i];
            IF prefix AND i = n AND right(q, 1) !~ '\s' THEN
                -- the word being typed: every term it begins, and every term that begins it
                FOR c IN SELECT v.term FROM helpdesk.kb_vocab v
                         WHERE (v.term >= words_fold[i] AND v.term < words_fold[i] || chr(1114111))
                            OR v.term = ANY (ARRAY(SELECT left(words_fold[i], l)
                                                   FROM generate_series(3, length(words_fold[i])) l))
                            OR v.term = t
                         ORDER BY v.df DESC, v.term LIMIT 8 LOOP
                    SELECT x.terms_out, x.alts_out INTO terms, alts FROM helpdesk.kb_plan_add_plpgsql(terms, alts, slot, 1000, ARRAY[c.term]) x;
                    primary_term[i] := coalesce(primary_term[i], c.term);
                END LOOP;
                IF primary_term[i] IS NULL THEN
                    slot := slot - 1;   -- nothing begins so: the word asks for nothing
                    covered[i] := 0;
                    CONTINUE;
                END IF;
            ELSIF words_len[i] >= 5 AND NOT EXISTS (SELECT FROM helpdesk.kb_vocab v WHERE v.term = t)
                  AND EXISTS (SELECT FROM helpdesk.kb_corrections(t)) THEN
                FOR c IN SELECT * FROM helpdesk.kb_corrections(t) LOOP
                    SELECT x.terms_out, x.alts_out INTO terms, alts FROM helpdesk.kb_plan_add_plpgsql(terms, alts, slot,
                                                         CASE WHEN c.distance <= 1 THEN 900 ELSE 750 END,
                                                         ARRAY[c.term]) x;
                    primary_term[i] := coalesce(primary_term[i], c.term);
                END LOOP;
            ELSE
                SELECT x.terms_out, x.alts_out INTO terms, alts FROM helpdesk.kb_plan_add_plpgsql(terms, alts, slot, 1000, ARRAY[t]) x;
                primary_term[i] := t;
            END IF;
        END IF;
        -- consecutive words of different slots: reward them consecutive in the article
        IF covered[i] > 0 AND i > 1 AND covered[i - 1] > 0 AND covered[i - 1] <> covered[i]
           AND primary_term[i - 1] IS NOT NULL AND primary_term[i] IS NOT NULL THEN
            pairs := pairs || array_position(terms, primary_term[i - 1]) || array_position(terms, primary_term[i]);
        END IF;
    END LOOP;

    IF slot = 0 THEN
        RETURN result;
    END IF;
    n_docs := greatest((SELECT s.n_articles FROM helpdesk.kb_stats s), 1);
    result.terms := terms;
    result.idf := ARRAY(
        SELECT ln(1 + (n_docs - coalesce(v.df, 0) + 0.5) / (coalesce(v.df, 0) + 0.5))::real
        FROM unnest(terms) WITH ORDINALITY AS u(term, ord)
        LEFT JOIN helpdesk.kb_vocab v ON v.term = u.term
        ORDER BY u.ord);
    result.plan := alts;
    result.pairs := pairs;
    result.max_score := helpdesk.kb_rank_max(result.idf, alts, pairs);
    result.slots := slot;
    RETURN result;
END
$$;

