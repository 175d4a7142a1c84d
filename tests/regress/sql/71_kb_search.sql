-- Knowledge-base search on the labelled corpus (70_kb_corpus): ranking order, folding, phrases,
-- typos, synonyms, stop phrases, snippets, prefixes, drafts, filters and the index's upkeep.
\set SHOW_CONTEXT never
SELECT kb_eval.load() AS articles_loaded;
SELECT id AS author FROM helpdesk.users WHERE username = 'kb_author' \gset
SELECT id AS hardware FROM helpdesk.categories WHERE lower(name) = 'hardware' \gset
SELECT id AS network FROM helpdesk.categories WHERE lower(name) = 'network' \gset

-- The first n results of a search, by corpus key (or title for the articles made here).
CREATE FUNCTION pg_temp.top(q text, n int DEFAULT 3, drafts boolean DEFAULT false, category int DEFAULT NULL,
                            prefix boolean DEFAULT false) RETURNS text LANGUAGE sql AS $$
    SELECT coalesce(string_agg(coalesce(e.key, a.title), ', ' ORDER BY s.ord), '(none)')
    FROM helpdesk.kb_search(q, n, drafts, category, prefix) WITH ORDINALITY AS s(article_id, score, confidence, snippet, ord)
    JOIN helpdesk.kb_articles a ON a.id = s.article_id
    LEFT JOIN kb_eval.articles e ON e.article_id = a.id
$$;
-- The words of q as the plan sees them: slots with their alternatives (weight: terms).
CREATE FUNCTION pg_temp.plan(q text, prefix boolean DEFAULT false) RETURNS text LANGUAGE plpgsql AS $$
DECLARE p helpdesk.kb_query_plan := helpdesk.kb_plan(q, prefix); out text := ''; i int := 1; n int; k int; slot int := 0;
BEGIN
    IF p.terms IS NULL THEN RETURN '(nothing asked)'; END IF;
    WHILE i <= cardinality(p.plan) LOOP
        IF p.plan[i] <> slot THEN out := out || CASE WHEN slot > 0 THEN ' | ' ELSE '' END || p.plan[i] || ':'; slot := p.plan[i];
        ELSE out := out || ' /'; END IF;
        n := p.plan[i + 2];
        out := out || ' ' || p.plan[i + 1] || '(';
        FOR k IN 1 .. n LOOP out := out || CASE WHEN k > 1 THEN ' ' ELSE '' END || p.terms[p.plan[i + 2 + k]]; END LOOP;
        out := out || ')';
        i := i + 3 + n;
    END LOOP;
    RETURN out || CASE WHEN cardinality(p.pairs) > 0 THEN ' pairs ' || cardinality(p.pairs) / 2 ELSE '' END;
END $$;

-- words: folded, stemmed, stop phrases marked
SELECT pos, term, fold, accented, stop FROM helpdesk.kb_query_words('Làm sao để đổi mật khẩu Wi-Fi? How do I reset my passwords');

-- ranking on the fixed corpus
SELECT q, pg_temp.top(q) FROM unnest(ARRAY[
    'kết nối Wi-Fi văn phòng',
    'paper jam',
    'máy in',
    'ERP',
    'reset password',
    'Outlook',
    'VPN',
    'blue screen crash'
]) AS q;

-- folding: with and without diacritics, the same articles
SELECT q, pg_temp.top(q) FROM unnest(ARRAY[
    'đổi mật khẩu', 'doi mat khau', 'DOI MAT KHAU',
    'máy tính chạy chậm', 'may tinh chay cham',
    'xác thực hai lớp', 'xac thuc hai lop'
]) AS q;

-- phrases: the syllables of one Vietnamese word together beat the same syllables apart
INSERT INTO helpdesk.kb_articles (title, content, category_id, author_id, is_published, published_at) VALUES
    ('Quy định bảo mật khi nhập khẩu thiết bị', 'Thiết bị nhập khẩu phải qua kiểm tra bảo mật. Bộ phận mua hàng giữ chứng từ nhập khẩu.',
     :hardware, :author, true, '2026-02-01'),
    ('Ghi chú về khẩu trang và mật độ', 'Phòng máy có mật độ thiết bị cao, nên đeo khẩu trang khi vệ sinh.',
     :hardware, :author, true, '2026-02-01');
SELECT pg_temp.plan('mat khau');
SELECT pg_temp.top('mật khẩu', 6);
-- the two made-up articles rank under every article that has "mật khẩu" as one word
WITH r AS (SELECT a.title, a.content, row_number() OVER (ORDER BY s.score DESC, s.article_id) AS rank
           FROM helpdesk.kb_search('mat khau', 100) s JOIN helpdesk.kb_articles a ON a.id = s.article_id)
SELECT (SELECT count(*) FROM r WHERE r.title || ' ' || r.content ILIKE '%mật khẩu%') AS articles_with_the_word,
       (SELECT max(rank) FROM r WHERE r.title || ' ' || r.content ILIKE '%mật khẩu%')
       < (SELECT min(rank) FROM r WHERE r.title IN ('Quy định bảo mật khi nhập khẩu thiết bị', 'Ghi chú về khẩu trang và mật độ'))
       AS syllables_apart_rank_lower;

-- typos: words of 5 letters or more that the corpus does not know get corrections within two
-- edits (a transposition is one); known words and short words are left alone
SELECT q, pg_temp.plan(q) FROM unnest(ARRAY[
    'pasword', 'passwrod', 'pazzword', 'password', 'printr', 'wfi', 'vpn', 'xyzzyqw', 'keybord'
]) AS q;
SELECT q, pg_temp.top(q) FROM unnest(ARRAY['pasword reset', 'outlok calender', 'keybord mouse', 'xyzzyqw']) AS q;

-- stop phrases: question words in either language change nothing
SELECT q, pg_temp.plan(q), pg_temp.top(q) FROM unnest(ARRAY[
    'reset password', 'How do I reset my password?',
    'đặt lại mật khẩu', 'Làm sao để đặt lại mật khẩu?', 'lam sao de dat lai mat khau',
    'how do i', 'làm sao', '...'
]) AS q;
-- "sao lưu" (backup) is content: "sao" is a stop word only inside question phrases
SELECT pg_temp.plan('sao lưu dữ liệu'), pg_temp.top('sao lưu dữ liệu', 1);

-- synonyms: the built-in glossary crosses languages; admins add groups, used at once
SELECT pg_temp.plan('laptop battery');
SELECT pg_temp.top('How do I book a meeting room?', 1);
SELECT pg_temp.top('hotspot', 2) AS before_synonym;
INSERT INTO helpdesk.users (username, email, password_hash, full_name, role)
VALUES ('kbs_admin', 'kbs_admin@example.com', '$2a$04$regressregressregressre', 'KB Search Admin', 'Admin');
SELECT helpdesk.kb_synonyms_replace(u, ARRAY['hotspot = wifi = điểm phát sóng'])
FROM helpdesk.users u WHERE u.username = 'kbs_admin';
SELECT pg_temp.plan('hotspot');
SELECT pg_temp.top('hotspot', 2) AS after_synonym;
SELECT jsonb_path_query_array(helpdesk.kb_synonyms_json(), '$[*] ? (@.builtin == false).text') AS admin_groups;

-- snippets: the passage with the query's words, the source's HTML escaped, hits in <mark>,
-- Markdown's markup dropped; plain text for the chatbot
SELECT helpdesk.kb_snippet('Intro line. **Bước 1**: mở [trang cài đặt](https://x.vn/a?b=1) và <script>alert("x")</script> chọn máy in & driver. Xong.',
                           ARRAY['may', 'in', 'driver'], 30, true);
SELECT helpdesk.kb_snippet('Intro line. **Bước 1**: mở [trang cài đặt](https://x.vn/a?b=1) và chọn máy in & driver. Xong.',
                           ARRAY['may', 'in', 'driver'], 30, false);
SELECT helpdesk.kb_snippet(repeat('Nothing here at all. ', 30) || 'The VPN client needs the gateway vpn.28h.vn to connect. ' || repeat('More filler text. ', 30),
                           ARRAY['vpn', 'gateway'], 20, true);
SELECT snippet FROM helpdesk.kb_search('paper jam tray', 1);

-- suggest: the last word is a prefix unless followed by a space; titles only
SELECT q, pg_temp.plan(q, true), pg_temp.top(q, 3, false, NULL, true) FROM unnest(ARRAY['prin', 'printer ja', 'mailbox ', 'zzz']) AS q;

-- drafts: found by staff searches only, and by everyone once published
INSERT INTO helpdesk.kb_articles (title, content, category_id, author_id, is_published)
VALUES ('Quarantined laptops procedure', 'Laptops in quarantine stay offline until the security team clears them.', :hardware, :author, false);
SELECT pg_temp.top('quarantine', 3) AS public, pg_temp.top('quarantine', 3, true) AS staff;
UPDATE helpdesk.kb_articles SET is_published = true, published_at = '2026-02-02' WHERE title = 'Quarantined laptops procedure';
SELECT pg_temp.top('quarantine', 3) AS public_after_publish;

-- category filter
SELECT pg_temp.top('wifi', 5, false, :network) AS network_only, pg_temp.top('wifi', 5, false, :hardware) AS hardware_only;

-- edits reindex: the old words go, the new ones come
UPDATE helpdesk.kb_articles SET content = 'Isolated devices stay offline until cleared.' WHERE title = 'Quarantined laptops procedure';
SELECT pg_temp.top('quarantine', 3) AS quarantine_title_only, pg_temp.top('isolated devices', 1) AS new_words;

-- the index is what a rebuild would make: vocabulary counts = postings, corpus size = articles
SELECT (SELECT count(*) FROM helpdesk.kb_vocab v
        WHERE v.df <> (SELECT count(*) FROM helpdesk.kb_postings p WHERE p.term = v.term)) AS df_mismatches,
       (SELECT count(*) FROM (SELECT DISTINCT term FROM helpdesk.kb_postings) t
        WHERE NOT EXISTS (SELECT FROM helpdesk.kb_vocab v WHERE v.term = t.term)) AS missing_terms,
       (SELECT n_articles FROM helpdesk.kb_stats) = (SELECT count(*) FROM helpdesk.kb_articles) AS size_ok;
CREATE TEMP TABLE before_rebuild AS SELECT term, article_id, published, impact, hits FROM helpdesk.kb_postings;
SELECT helpdesk.kb_reindex() = (SELECT count(*) FROM helpdesk.kb_articles) AS reindexed;
SELECT count(*) AS postings_differing
FROM (SELECT * FROM before_rebuild EXCEPT SELECT term, article_id, published, impact, hits FROM helpdesk.kb_postings) d;
DELETE FROM helpdesk.kb_articles WHERE title IN ('Quy định bảo mật khi nhập khẩu thiết bị', 'Ghi chú về khẩu trang và mật độ',
                                                 'Quarantined laptops procedure');
SELECT (SELECT count(*) FROM helpdesk.kb_vocab v
        WHERE v.df <> (SELECT count(*) FROM helpdesk.kb_postings p WHERE p.term = v.term)) AS df_mismatches_after_delete,
       (SELECT count(*) FROM helpdesk.kb_vocab WHERE term IN ('quarantin', 'isol', 'khau')) AS terms_left;

-- malformed plans are errors, never crashes
SELECT helpdesk.kb_rank_max('{1}', '{1,1000,1,2}', '{}');
SELECT helpdesk.kb_rank_max('{1}', '{1,1000}', '{}');
SELECT helpdesk.kb_rank_max('{1}', '{1,1000,1,1}', '{1}');
SELECT helpdesk.kb_rank_max('{NaN}', '{1,1000,1,1}', '{}');

-- the search answers' cache is shared by the connections: what one stored, the next one serves
SELECT helpdesk.kb_cached_store(E'test\x1fshared', '{"answer": 1}') IS NOT NULL AS stored;
\c
SELECT helpdesk.kb_cached(E'test\x1fshared') AS from_another_connection;
-- a transaction that changed the version itself stores nothing: after its rollback, the next
-- change takes the same number and must not find what that transaction saw
BEGIN;
UPDATE helpdesk.kb_stats SET version = version + 1;
SELECT helpdesk.kb_cached_store(E'test\x1frolled back', '{"answer": 2}') IS NOT NULL AS computed;
ROLLBACK;
BEGIN;
UPDATE helpdesk.kb_stats SET version = version + 1;
SELECT helpdesk.kb_cached(E'test\x1frolled back') AS not_stored;
ROLLBACK;

-- the planner knows the ranking state's size (its 8 kB guess for an internal state spilled the
-- hash aggregate of 1,000+ candidates to disk), and the search is planned once, not per call
SELECT a.aggtransspace > 0 AND a.aggtransspace < 8192 AS rank_state_size_declared
FROM pg_aggregate a WHERE a.aggfnoid = 'helpdesk.kb_rank(int, real, smallint[], real[], int[], int[], int)'::regprocedure;
SELECT 'plan_cache_mode=force_generic_plan' = ANY (p.proconfig) AS planned_once FROM pg_proc p WHERE p.oid = 'helpdesk.kb_search'::regproc;

-- kb_rank_top (the C that reads the term index) scores every query as the postings' nested loop
-- and the kb_rank aggregate do: same articles, same scores, same order (ties by id), also with
-- lists cut at 10 postings per term
CREATE TEMP TABLE rank_plans AS
SELECT q.id, p.* FROM kb_eval.queries q, helpdesk.kb_plan(q.q) p WHERE p.terms IS NOT NULL;
SELECT cut, count(*) AS queries,
       count(*) FILTER (WHERE c.top IS NOT DISTINCT FROM s.top) AS same_ranking
FROM rank_plans p, (VALUES (100), (10)) AS cuts(cut),
     LATERAL (SELECT array_agg(array[r.article_id::real, r.text_score] ORDER BY r.text_score DESC, r.article_id) AS top
              FROM helpdesk.kb_rank_top(p.terms, p.idf, p.plan, p.pairs, 0, cut, false, NULL) r) c,
     LATERAL (SELECT array_agg(array[g.article_id::real, g.text_score] ORDER BY g.text_score DESC, g.article_id) AS top
              FROM (SELECT x.article_id, helpdesk.kb_rank(x.n::int, x.impact, x.hits, p.idf, p.plan, p.pairs, 0) AS text_score
                    FROM unnest(p.terms) WITH ORDINALITY AS t(term, n)
                    CROSS JOIN LATERAL (SELECT t.n, k.article_id, k.impact, k.hits FROM helpdesk.kb_postings k
                                        WHERE k.term = t.term AND k.published
                                        ORDER BY k.impact DESC LIMIT cut) x
                    GROUP BY x.article_id) g
              WHERE g.text_score > 0) s
GROUP BY cut ORDER BY cut DESC;
-- n best, and the articles tied with the n-th come too (the tie-breakers choose among them)
SELECT count(*) FILTER (WHERE (SELECT count(*) FROM helpdesk.kb_rank_top(p.terms, p.idf, p.plan, p.pairs, 1, 100, false, 1)) > 1)
           AS queries_with_ties_at_first,
       count(*) FILTER (WHERE (SELECT count(*) FROM helpdesk.kb_rank_top(p.terms, p.idf, p.plan, p.pairs, 1, 100, false, 1)
                               WHERE text_score <> (SELECT max(text_score) FROM helpdesk.kb_rank_top(p.terms, p.idf, p.plan, p.pairs, 1, 100, false, 1))) > 0)
           AS untied_rows_after_the_first
FROM rank_plans p;
-- the n best come from a selection, not a sort of every candidate: the same rows, in the same
-- order, as the whole ranking (n NULL) cut after the last article tied with the n-th, for both
-- modes, with lists of 100 and 10 postings, n from 1 to more than the candidates
CREATE TEMP TABLE rank_plans_title AS
SELECT q.id, p.* FROM kb_eval.queries q, helpdesk.kb_plan(q.q, true) p WHERE p.terms IS NOT NULL;
SELECT mode, cut, n, count(*) AS queries,
       count(*) FILTER (WHERE (SELECT array_agg(row(r.article_id, r.text_score, r.matches, r.unread)::text)
                               FROM helpdesk.kb_rank_top(p.terms, p.idf, p.plan, p.pairs, mode, cut, false, n) r)
                              IS NOT DISTINCT FROM
                              (SELECT array_agg(row(a.article_id, a.text_score, a.matches, a.unread)::text ORDER BY a.o)
                               FROM (SELECT r.*, row_number() OVER () AS o
                                     FROM helpdesk.kb_rank_top(p.terms, p.idf, p.plan, p.pairs, mode, cut, false, NULL) r) a
                               WHERE a.o <= n OR a.text_score = (SELECT r.text_score
                                                                  FROM helpdesk.kb_rank_top(p.terms, p.idf, p.plan, p.pairs, mode, cut, false, NULL) r
                                                                  OFFSET n - 1 LIMIT 1))) AS same_rows
FROM (SELECT 0 AS mode, * FROM rank_plans UNION ALL SELECT 1, * FROM rank_plans_title) p,
     (VALUES (100), (10)) AS cuts(cut), (VALUES (1), (3), (10), (30), (1000)) AS ns(n)
GROUP BY mode, cut, n ORDER BY mode, cut DESC, n;
-- an article whose bound (the most its terms read can give) is below the n-th best score so far
-- is not scored at all: here fewer are scored than there are candidates, and the rows are those
-- of the whole ranking all the same (above, for every query)
SET client_min_messages = debug1;
SELECT p.id, count(*) AS rows FROM rank_plans p, LATERAL helpdesk.kb_rank_top(p.terms, p.idf, p.plan, p.pairs, 0, 100, false, 3) r
WHERE p.id IN (1, 50) GROUP BY p.id ORDER BY p.id;
RESET client_min_messages;
-- the snippet's positions: those the ranking read (matches), plus the terms whose lists were cut
-- before the article (unread); together every body position of every query term the article
-- has, as a lookup of all of them gives, also when each list is cut at 10 postings
SELECT cut, count(*) AS articles,
       count(*) FILTER (WHERE cardinality(r.unread) > 0) AS with_unread_terms,
       count(*) FILTER (WHERE (SELECT array_agg(m ORDER BY m) FROM unnest(r.matches || ARRAY(
                                   SELECT ((u.n - 1) << 16) | (h::int & 16383)
                                   FROM unnest(r.unread) AS u(n)
                                   JOIN helpdesk.kb_postings k ON k.article_id = r.article_id AND k.term = p.terms[u.n]
                                   CROSS JOIN LATERAL unnest(k.hits) AS h WHERE (h::int >> 14) & 3 = 1)) m)
                              IS NOT DISTINCT FROM
                              (SELECT array_agg(a.m ORDER BY a.m)
                               FROM (SELECT ((t.n::int - 1) << 16) | (h::int & 16383) AS m
                                     FROM unnest(p.terms) WITH ORDINALITY AS t(term, n)
                                     JOIN helpdesk.kb_postings k ON k.article_id = r.article_id AND k.term = t.term
                                     CROSS JOIN LATERAL unnest(k.hits) AS h WHERE (h::int >> 14) & 3 = 1) a)) AS same_positions
FROM rank_plans p, (VALUES (100), (10)) AS cuts(cut),
     LATERAL helpdesk.kb_rank_top(p.terms, p.idf, p.plan, p.pairs, 0, cut, false, 10) r
GROUP BY cut ORDER BY cut DESC;
-- kb_unread_positions (C: a probe of the primary key per unread term) gives the positions the
-- SQL lookup gives, for every article of the lists cut at 10 and 100 postings, also for terms the
-- article does not have and for no unread term at all
SELECT cut, count(*) AS articles,
       count(*) FILTER (WHERE cardinality(helpdesk.kb_unread_positions(r.article_id, r.unread, p.terms)) > 0) AS with_positions,
       count(*) FILTER (WHERE (SELECT array_agg(m ORDER BY m) FROM unnest(helpdesk.kb_unread_positions(r.article_id, r.unread, p.terms)) m)
                              IS NOT DISTINCT FROM
                              (SELECT array_agg(((u.n - 1) << 16) | (h::int & 16383) ORDER BY ((u.n - 1) << 16) | (h::int & 16383))
                               FROM unnest(r.unread) AS u(n)
                               JOIN helpdesk.kb_postings k ON k.article_id = r.article_id AND k.term = p.terms[u.n]
                               CROSS JOIN LATERAL unnest(k.hits) AS h WHERE (h::int >> 14) & 3 = 1)) AS same_positions
FROM rank_plans p, (VALUES (100), (10)) AS cuts(cut),
     LATERAL helpdesk.kb_rank_top(p.terms, p.idf, p.plan, p.pairs, 0, cut, false, 30) r
GROUP BY cut ORDER BY cut DESC;
SELECT helpdesk.kb_unread_positions(1, '{}', '{a}') AS none_unread,
       helpdesk.kb_unread_positions(-1, '{1}', '{a}') AS no_such_article;
-- kb_language (C) decides as the aggregate over kb_query_words it replaced, for every query, every
-- article's title and beginning (as the language trigger passes them), and edge cases
SELECT count(*) AS texts, count(*) FILTER (WHERE helpdesk.kb_language(x.t) IS NOT DISTINCT FROM (
           SELECT CASE WHEN count(*) = 0 THEN NULL
                       WHEN count(*) FILTER (WHERE w.accented) >= 0.2 * count(*) THEN 'vi'
                       WHEN count(*) FILTER (WHERE w.accented) = 0
                            AND bool_or(w.fold = ANY (ARRAY['the', 'a', 'an', 'is', 'are', 'my', 'your', 'how', 'what',
                                                            'why', 'when', 'where', 'to', 'of', 'and', 'do', 'does',
                                                            'can', 'i', 'it', 'with', 'for', 'on', 'in'])) THEN 'en'
                  END
           FROM helpdesk.kb_query_words(left(x.t, 2000)) w)) AS same_language,
       count(*) FILTER (WHERE helpdesk.kb_language(x.t) = 'vi') AS vi,
       count(*) FILTER (WHERE helpdesk.kb_language(x.t) = 'en') AS en
FROM (SELECT q AS t FROM kb_eval.queries
      UNION ALL SELECT a.title || ' ' || left(a.content, 1000) FROM helpdesk.kb_articles a
      UNION ALL SELECT a.content FROM helpdesk.kb_articles a
      UNION ALL SELECT * FROM unnest(ARRAY['', '   ', '?!', 'vpn', 'the vpn', 'mật khẩu the', 'mat khau',
                                           'a b c d mật', 'a b c d e mật', repeat('đ ', 3000)])) x;
SELECT helpdesk.kb_language(NULL) AS null_text;
-- malformed input is an error, never a crash
SELECT helpdesk.kb_unread_positions(1, '{2}', '{a}');
SELECT * FROM helpdesk.kb_rank_top('{a,b}', '{1}', '{1,1000,1,1}', '{}', 0, 100, false, 10);
SELECT * FROM helpdesk.kb_rank_top('{a}', '{1}', '{1,1000,1,2}', '{}', 0, 100, false, 10);
SELECT * FROM helpdesk.kb_rank_top('{a}', '{1}', '{1,1000,1,1}', '{}', NULL, 100, false, 10);
