-- 70_kb: the knowledge base: articles, their search index, votes, views, synonyms, and the one
-- search function, helpdesk.kb_search, behind GET /knowledge/search, the list's search=,
-- /knowledge/suggest and the chatbot.
--
-- Rules (reference §3.7 with its INTENT, issue 10):
-- - Drafts are visible to staff (IT_Staff, Admin) and to nobody else.
-- - Any staff member publishes and unpublishes; doing it twice is a 400. Only the author or an
--   Admin edits or deletes an article.
-- - Tags are a real list (text[]).
-- - One vote per user per article (a new vote replaces the old one), on published articles only.
-- - A view counts once per reader per day (a user by id, an anonymous reader by client address),
--   the day taken in the default calendar's time zone.
--
-- Search, how it works:
-- - Words: extension/kb_text.c splits text into words (a hyphen between letters joins, so
--   "Wi-Fi" is "wifi"), folds them (lower case, no diacritics: "mật khẩu" -> "mat khau"), and
--   kb_terms.c stems English words with Snowball (the dictionary helpdesk.kb_stem below).
-- - Index: helpdesk.kb_postings holds one row per (term, article) with the term's BM25F impact
--   (title > tags > body, length-normalised) and its positions. Its index on (term, impact DESC)
--   hands out the best articles of each term first, so a search reads a bounded number of rows
--   per term whatever the corpus size (setting 'kb_search_candidates_per_term', default 100).
--   A GIN index on a tsvector cannot do that: it returns every match, unordered.
-- - Query: helpdesk.kb_plan turns the text into slots (what was asked) with alternatives (the
--   words, a typo's corrections from the vocabulary, synonyms), drops stop phrases in either
--   language (tsearch_data/helpdesk_kb.stop), and weighs each term by its idf.
-- - Ranking: helpdesk.kb_rank_top (extension/kb_rank.c) reads each term's best postings from the
--   index and adds up idf x impact per slot, rewarding consecutive query words found consecutive
--   in the article (phrases: Vietnamese words of several syllables, English compounds); the
--   aggregate helpdesk.kb_rank is the same score over postings in SQL. Helpfulness and views multiply the text
--   score by at most 1.05, an article in the query's language by 1.05: they only break near-ties.
-- - Snippets: helpdesk.kb_snippet_at (extension/kb_snippet.c) picks the passage with the most
--   query terms, from the positions the ranking read (and those of terms it did not read for
--   the article), escapes the source's HTML and marks the hits with <mark>.
-- - No query text ever becomes SQL or a tsquery: words are matched as values.

-- The English Snowball stemmer without stop words: stop phrases are the query's business
-- (helpdesk_kb.stop), an article keeps every word.
CREATE TEXT SEARCH DICTIONARY helpdesk.kb_stem (TEMPLATE = pg_catalog.snowball, Language = english);

CREATE TABLE helpdesk.kb_articles (
    id                serial PRIMARY KEY,
    title             varchar(200) NOT NULL CHECK (length(btrim(title)) > 0),
    summary           varchar(500),
    content           text NOT NULL CHECK (length(btrim(content)) > 0),
    category_id       int NOT NULL REFERENCES helpdesk.categories (id) ON DELETE RESTRICT,
    author_id         int NOT NULL REFERENCES helpdesk.users (id) ON DELETE RESTRICT,
    tags              text[] NOT NULL DEFAULT '{}',
    is_published      boolean NOT NULL DEFAULT false,
    published_at      timestamptz,
    view_count        int NOT NULL DEFAULT 0 CHECK (view_count >= 0),
    helpful_votes     int NOT NULL DEFAULT 0 CHECK (helpful_votes >= 0),
    not_helpful_votes int NOT NULL DEFAULT 0 CHECK (not_helpful_votes >= 0),
    language          text CHECK (language IN ('vi', 'en')),   -- set by a trigger from the text
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now(),
    CHECK (is_published = (published_at IS NOT NULL)),
    CHECK (array_position(tags, NULL) IS NULL)
);
CREATE INDEX kb_articles_published_idx ON helpdesk.kb_articles (published_at DESC, id) WHERE is_published;
CREATE INDEX kb_articles_popular_idx ON helpdesk.kb_articles (view_count DESC, id) WHERE is_published;
CREATE INDEX kb_articles_category_idx ON helpdesk.kb_articles (category_id, view_count DESC);
CREATE INDEX kb_articles_author_idx ON helpdesk.kb_articles (author_id);
CREATE INDEX kb_articles_created_idx ON helpdesk.kb_articles (created_at, id);
CREATE INDEX kb_articles_tags_idx ON helpdesk.kb_articles USING gin (tags);
CREATE TRIGGER kb_articles_touch BEFORE UPDATE ON helpdesk.kb_articles
    FOR EACH ROW EXECUTE FUNCTION helpdesk.touch_updated_at();

-- One vote per user and article; a new vote replaces the old one. The article's counters
-- follow the votes through a trigger, whoever writes them.
CREATE TABLE helpdesk.kb_votes (
    article_id int NOT NULL REFERENCES helpdesk.kb_articles (id) ON DELETE CASCADE,
    user_id    int NOT NULL REFERENCES helpdesk.users (id) ON DELETE CASCADE,
    helpful    boolean NOT NULL,
    feedback   varchar(500),
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (article_id, user_id)
);
CREATE INDEX kb_votes_user_idx ON helpdesk.kb_votes (user_id);

-- Who read what on which day: a view counts once per reader (user:<id> or ip:<address>) per day.
CREATE TABLE helpdesk.kb_views (
    article_id int NOT NULL REFERENCES helpdesk.kb_articles (id) ON DELETE CASCADE,
    day        date NOT NULL,
    reader     text NOT NULL,
    PRIMARY KEY (article_id, day, reader)
);
CREATE INDEX kb_views_day_idx ON helpdesk.kb_views (day);

-- The search index: one row per distinct term of an article (see the top of this file).
CREATE TABLE helpdesk.kb_postings (
    term       text NOT NULL,
    article_id int NOT NULL REFERENCES helpdesk.kb_articles (id) ON DELETE CASCADE,
    published  boolean NOT NULL,
    impact     real NOT NULL CHECK (impact > 0 AND impact < 1),
    hits       smallint[] NOT NULL,   -- WordEntryPos: field weight << 14 | position
    PRIMARY KEY (article_id, term)
);
CREATE INDEX kb_postings_term_idx ON helpdesk.kb_postings (term, impact DESC) INCLUDE (article_id, published, hits);

-- The corpus's vocabulary: in how many articles each term occurs (idf, typo correction,
-- suggest's prefixes: a range scan of the text_pattern_ops index).
CREATE TABLE helpdesk.kb_vocab (
    term text PRIMARY KEY,
    df   int NOT NULL CHECK (df >= 0)
);
CREATE INDEX kb_vocab_prefix_idx ON helpdesk.kb_vocab (term text_pattern_ops);
CREATE INDEX kb_vocab_trgm_idx ON helpdesk.kb_vocab USING gin (term public.gin_trgm_ops);

-- One row: the corpus size (for idf); version, bumped by every change that can change a search
-- answer (articles, publication, synonyms: the connections' answer caches, extension/kb_cache.c);
-- synonyms_version, bumped by every change of the synonyms (the connections' copies of them,
-- extension/kb_plan.c).
CREATE TABLE helpdesk.kb_stats (
    id               boolean PRIMARY KEY DEFAULT true CHECK (id),
    n_articles       int NOT NULL CHECK (n_articles >= 0),
    version          bigint NOT NULL DEFAULT 0,
    synonyms_version bigint NOT NULL DEFAULT 0
);
INSERT INTO helpdesk.kb_stats (id, n_articles) VALUES (true, 0);

-- Synonym groups ("wifi = wlan = wireless", "mật khẩu = password"), edited by admins and used by
-- the next search. kb_synonym_terms holds each member folded and stemmed ("mat khau").
-- builtin: the bilingual glossary the extension ships (below); admins replace the other groups.
CREATE TABLE helpdesk.kb_synonyms (
    id         serial PRIMARY KEY,
    terms      text[] NOT NULL CHECK (cardinality(terms) >= 2 AND array_position(terms, NULL) IS NULL),
    builtin    boolean NOT NULL DEFAULT false,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE helpdesk.kb_synonym_terms (
    synonym_id int NOT NULL REFERENCES helpdesk.kb_synonyms (id) ON DELETE CASCADE,
    seq        text NOT NULL,
    nwords     int NOT NULL CHECK (nwords BETWEEN 1 AND 8),
    PRIMARY KEY (synonym_id, seq)
);
CREATE INDEX kb_synonym_terms_seq_idx ON helpdesk.kb_synonym_terms (seq);

-- The index tables (postings, vocabulary, corpus size, normalised synonyms) are derived data: a
-- dump leaves them out ('WHERE false') and the triggers below rebuild them while pg_restore
-- loads the articles and synonyms. The glossary comes with CREATE EXTENSION, not with the dump.
SELECT pg_catalog.pg_extension_config_dump('helpdesk.kb_articles', '');
SELECT pg_catalog.pg_extension_config_dump('helpdesk.kb_articles_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('helpdesk.kb_votes', '');
SELECT pg_catalog.pg_extension_config_dump('helpdesk.kb_views', '');
SELECT pg_catalog.pg_extension_config_dump('helpdesk.kb_postings', 'WHERE false');
SELECT pg_catalog.pg_extension_config_dump('helpdesk.kb_vocab', 'WHERE false');
SELECT pg_catalog.pg_extension_config_dump('helpdesk.kb_stats', 'WHERE false');
SELECT pg_catalog.pg_extension_config_dump('helpdesk.kb_synonyms', 'WHERE NOT builtin');
SELECT pg_catalog.pg_extension_config_dump('helpdesk.kb_synonyms_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('helpdesk.kb_synonym_terms', 'WHERE false');

-- ==== words (extension/kb_terms.c, kb_snippet.c, kb_rank.c) ====

CREATE FUNCTION helpdesk.kb_terms(title text, tags text[], body text,
                                  OUT term text, OUT impact real, OUT hits smallint[])
RETURNS SETOF record
LANGUAGE c IMMUTABLE PARALLEL SAFE
AS 'MODULE_PATHNAME', 'helpdesk_kb_terms';

CREATE FUNCTION helpdesk.kb_query_words(q text,
                                        OUT pos int, OUT term text, OUT fold text, OUT nchars int,
                                        OUT accented boolean, OUT stop boolean)
RETURNS SETOF record
LANGUAGE c STABLE STRICT PARALLEL SAFE
AS 'MODULE_PATHNAME', 'helpdesk_kb_query_words';

CREATE FUNCTION helpdesk.kb_edit_distance(a text, b text, max int)
RETURNS int
LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE
AS 'MODULE_PATHNAME', 'helpdesk_kb_edit_distance';

-- COST: the planner computes snippets after ORDER BY ... LIMIT, for the rows shown only.
CREATE FUNCTION helpdesk.kb_snippet(body text, terms text[], max_words int DEFAULT 30, html boolean DEFAULT true)
RETURNS text
LANGUAGE c STABLE PARALLEL SAFE COST 1000
AS 'MODULE_PATHNAME', 'helpdesk_kb_snippet';

-- The same passage from where the index says the query's terms are (matches: term number << 16
-- | body position, from kb_postings.hits): nothing stemmed, the body read only as far as needed.
CREATE FUNCTION helpdesk.kb_snippet_at(title text, tags text[], body text, matches int[],
                                       max_words int DEFAULT 30, html boolean DEFAULT true)
RETURNS text
LANGUAGE c STABLE PARALLEL SAFE COST 1000
AS 'MODULE_PATHNAME', 'helpdesk_kb_snippet_at';

CREATE FUNCTION helpdesk.kb_rank_step(internal, int, real, smallint[], real[], int[], int[], int)
RETURNS internal
LANGUAGE c IMMUTABLE PARALLEL SAFE
AS 'MODULE_PATHNAME', 'helpdesk_kb_rank_step';
CREATE FUNCTION helpdesk.kb_rank_final(internal)
RETURNS real
LANGUAGE c IMMUTABLE PARALLEL SAFE
AS 'MODULE_PATHNAME', 'helpdesk_kb_rank_final';
-- kb_rank(term number, impact, hits, idf[], plan[], pairs[], mode): see extension/kb_rank.c.
-- SSPACE: a state is a few hundred bytes (per term: an impact and the hits of phrase terms).
-- Without it the planner assumes 8 kB per internal state, and the hash aggregate of a search
-- with 1,000+ candidates spilled to temporary files at work_mem = 4MB (bench/RESULTS.md).
CREATE AGGREGATE helpdesk.kb_rank(int, real, smallint[], real[], int[], int[], int) (
    SFUNC = helpdesk.kb_rank_step, STYPE = internal, SSPACE = 512, FINALFUNC = helpdesk.kb_rank_final);

-- The n best articles for a plan and those tied with the n-th (all with a score above 0 when n is
-- NULL), best first, ties by id: kb_rank's scores over the best per_term postings of each term,
-- computed in one C call that reads the term index itself (extension/kb_rank.c;
-- bench/kb_c_vs_sql.sh against the aggregate). matches: the body positions of the terms read
-- for the article, for kb_snippet_at (term number - 1 << 16 | position); unread: the numbers of
-- the terms whose best per_term postings did not include the article, which it may still have.
CREATE FUNCTION helpdesk.kb_rank_top(terms text[], idf real[], plan int[], pairs int[], mode int,
                                     per_term int, include_drafts boolean, n int)
RETURNS TABLE (article_id int, text_score real, matches int[], unread int[])
LANGUAGE c STABLE PARALLEL SAFE ROWS 30
AS 'MODULE_PATHNAME', 'helpdesk_kb_rank_top';

-- The body positions of the terms kb_rank_top did not read for an article (unread), as
-- kb_snippet_at takes them: a probe of the postings' primary key per term, in C (the same array
-- as a nested loop of unnest, the index scan and unnest(hits) per shown article: 0.41 against
-- ~0.60 M instructions per search at 100,000 articles, bench/RESULTS.md).
CREATE FUNCTION helpdesk.kb_unread_positions(article_id int, unread int[], terms text[])
RETURNS int[]
LANGUAGE c STABLE STRICT PARALLEL SAFE
AS 'MODULE_PATHNAME', 'helpdesk_kb_unread_positions';

CREATE FUNCTION helpdesk.kb_rank_max(idf real[], plan int[], pairs int[])
RETURNS real
LANGUAGE c IMMUTABLE PARALLEL SAFE
AS 'MODULE_PATHNAME', 'helpdesk_kb_rank_max';

-- A text as the index sees it: its stems joined by spaces ('Mật khẩu' -> 'mat khau').
CREATE FUNCTION helpdesk.kb_normalize(t text)
RETURNS text
LANGUAGE sql STABLE STRICT PARALLEL SAFE
AS $$ SELECT pg_catalog.string_agg(w.term, ' ' ORDER BY w.pos) FROM helpdesk.kb_query_words(t) w $$;

-- The language of a text: 'vi' when a fifth of its first words have diacritics, 'en' when its
-- words have none and English function words are among them, else NULL (a query typed without
-- diacritics may be Vietnamese: no language is assumed). The words: kb_query_words' of the first
-- 2,000 characters. In C (kb_terms.c): every search calls it, and the PL/pgSQL aggregate over
-- kb_query_words it replaces cost 20-24 us a call against 0.9 (~2% of a search; regress 71
-- compares the two).
CREATE FUNCTION helpdesk.kb_language(t text)
RETURNS text
LANGUAGE c STABLE STRICT PARALLEL SAFE
AS 'MODULE_PATHNAME', 'helpdesk_kb_language';

-- ==== the index, kept by triggers whoever writes the articles ====

-- Applies vocabulary changes: +1 for each term an article gained, -1 for each it lost; terms
-- that no article has any more leave. Rows are locked in term order (the upsert takes them in
-- the order of its input), so concurrent writers wait for each other but never deadlock.
CREATE FUNCTION helpdesk.kb_vocab_apply(gained text[], lost text[])
RETURNS void
LANGUAGE plpgsql
AS $$
BEGIN
    WITH delta AS (
        SELECT d.term, sum(d.n)::int AS n
        FROM (SELECT g AS term, 1 AS n FROM unnest(gained) g
              UNION ALL SELECT l, -1 FROM unnest(lost) l) d
        GROUP BY d.term HAVING sum(d.n) <> 0
    )
    INSERT INTO helpdesk.kb_vocab AS v (term, df)
    SELECT delta.term, greatest(delta.n, 0) FROM delta ORDER BY delta.term
    ON CONFLICT (term) DO UPDATE
        SET df = greatest(v.df + (SELECT d.n FROM delta d WHERE d.term = excluded.term), 0);
    IF lost IS NOT NULL THEN
        DELETE FROM helpdesk.kb_vocab v WHERE v.term = ANY (lost) AND v.df = 0;
    END IF;
END
$$;

-- (Re)indexes one article: its postings from its title, tags and body, and the vocabulary.
CREATE FUNCTION helpdesk.kb_index_article(a helpdesk.kb_articles)
RETURNS void
LANGUAGE plpgsql
AS $$
DECLARE
    lost   text[];
    gained text[];
BEGIN
    WITH gone AS (DELETE FROM helpdesk.kb_postings p WHERE p.article_id = a.id RETURNING p.term)
    SELECT array_agg(gone.term) INTO lost FROM gone;
    WITH added AS (
        INSERT INTO helpdesk.kb_postings (term, article_id, published, impact, hits)
        SELECT t.term, a.id, a.is_published, t.impact, t.hits
        FROM helpdesk.kb_terms(a.title, a.tags, a.content) t
        RETURNING term
    )
    SELECT array_agg(added.term) INTO gained FROM added;
    PERFORM helpdesk.kb_vocab_apply(gained, lost);
END
$$;

CREATE FUNCTION helpdesk.kb_articles_after_write()
RETURNS trigger
LANGUAGE plpgsql
AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        PERFORM helpdesk.kb_index_article(NEW);
        UPDATE helpdesk.kb_stats SET n_articles = n_articles + 1, version = version + 1;
        RETURN NULL;
    END IF;
    IF (NEW.title, NEW.tags, NEW.content) IS DISTINCT FROM (OLD.title, OLD.tags, OLD.content) THEN
        PERFORM helpdesk.kb_index_article(NEW);
    ELSIF NEW.is_published IS DISTINCT FROM OLD.is_published THEN
        UPDATE helpdesk.kb_postings SET published = NEW.is_published WHERE article_id = NEW.id;
    END IF;
    -- counters (views, votes) do not change a search's answer beyond its cache's time to live
    IF (NEW.title, NEW.tags, NEW.content, NEW.summary, NEW.is_published, NEW.category_id, NEW.author_id)
       IS DISTINCT FROM (OLD.title, OLD.tags, OLD.content, OLD.summary, OLD.is_published, OLD.category_id, OLD.author_id) THEN
        UPDATE helpdesk.kb_stats SET version = version + 1;
    END IF;
    RETURN NULL;
END
$$;

-- Before the postings go with the article (ON DELETE CASCADE), the vocabulary forgets its terms.
CREATE FUNCTION helpdesk.kb_articles_before_delete()
RETURNS trigger
LANGUAGE plpgsql
AS $$
BEGIN
    PERFORM helpdesk.kb_vocab_apply(NULL,
        (SELECT array_agg(p.term) FROM helpdesk.kb_postings p WHERE p.article_id = OLD.id));
    UPDATE helpdesk.kb_stats SET n_articles = greatest(n_articles - 1, 0), version = version + 1;
    RETURN OLD;
END
$$;

CREATE FUNCTION helpdesk.kb_articles_language()
RETURNS trigger
LANGUAGE plpgsql
AS $$
BEGIN
    NEW.language := coalesce(helpdesk.kb_language(NEW.title || ' ' || left(NEW.content, 1000)), 'en');
    RETURN NEW;
END
$$;
CREATE TRIGGER kb_articles_language BEFORE INSERT OR UPDATE OF title, content ON helpdesk.kb_articles
    FOR EACH ROW EXECUTE FUNCTION helpdesk.kb_articles_language();

-- Every path indexes, COPY included: a dump does not carry the index (see above), pg_restore
-- rebuilds it as the articles arrive.
CREATE TRIGGER kb_articles_index AFTER INSERT OR UPDATE ON helpdesk.kb_articles
    FOR EACH ROW EXECUTE FUNCTION helpdesk.kb_articles_after_write();
CREATE TRIGGER kb_articles_unindex BEFORE DELETE ON helpdesk.kb_articles
    FOR EACH ROW EXECUTE FUNCTION helpdesk.kb_articles_before_delete();

-- Rebuilds the whole index from the articles (after a bulk load with triggers disabled, or a
-- change of the stemming rules or stop phrases). Returns the number of articles indexed.
CREATE FUNCTION helpdesk.kb_reindex()
RETURNS int
LANGUAGE plpgsql
AS $$
DECLARE
    n int;
BEGIN
    LOCK TABLE helpdesk.kb_articles IN SHARE MODE;
    TRUNCATE helpdesk.kb_postings, helpdesk.kb_vocab;
    -- one sorted build of the term index instead of millions of scattered inserts into it; the
    -- primary key is filled in article order, appending
    DROP INDEX helpdesk.kb_postings_term_idx;
    INSERT INTO helpdesk.kb_postings (term, article_id, published, impact, hits)
    SELECT t.term, a.id, a.is_published, t.impact, t.hits
    FROM helpdesk.kb_articles a, helpdesk.kb_terms(a.title, a.tags, a.content) t
    ORDER BY a.id;
    CREATE INDEX kb_postings_term_idx ON helpdesk.kb_postings (term, impact DESC) INCLUDE (article_id, published, hits);
    INSERT INTO helpdesk.kb_vocab (term, df)
    SELECT p.term, count(*) FROM helpdesk.kb_postings p GROUP BY p.term;
    SELECT count(*) INTO n FROM helpdesk.kb_articles;
    UPDATE helpdesk.kb_stats SET n_articles = n, version = version + 1;
    RETURN n;
END
$$;

-- Vote counters follow kb_votes.
CREATE FUNCTION helpdesk.kb_votes_count()
RETURNS trigger
LANGUAGE plpgsql
AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        UPDATE helpdesk.kb_articles SET
            helpful_votes = helpful_votes - CASE WHEN OLD.helpful THEN 1 ELSE 0 END,
            not_helpful_votes = not_helpful_votes - CASE WHEN OLD.helpful THEN 0 ELSE 1 END
        WHERE id = OLD.article_id;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        UPDATE helpdesk.kb_articles SET
            helpful_votes = helpful_votes + CASE WHEN NEW.helpful THEN 1 ELSE 0 END,
            not_helpful_votes = not_helpful_votes + CASE WHEN NEW.helpful THEN 0 ELSE 1 END
        WHERE id = NEW.article_id;
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER kb_votes_count AFTER INSERT OR UPDATE OF helpful, article_id OR DELETE ON helpdesk.kb_votes
    FOR EACH ROW WHEN (NOT helpdesk.copying_rows()) EXECUTE FUNCTION helpdesk.kb_votes_count();

-- Synonym members, folded and stemmed, follow kb_synonyms.
CREATE FUNCTION helpdesk.kb_synonyms_normalize()
RETURNS trigger
LANGUAGE plpgsql
AS $$
BEGIN
    DELETE FROM helpdesk.kb_synonym_terms WHERE synonym_id = NEW.id;
    INSERT INTO helpdesk.kb_synonym_terms (synonym_id, seq, nwords)
    SELECT DISTINCT NEW.id, n.seq, array_length(string_to_array(n.seq, ' '), 1)
    FROM unnest(NEW.terms) t, LATERAL (SELECT helpdesk.kb_normalize(t) AS seq) n
    WHERE n.seq IS NOT NULL AND array_length(string_to_array(n.seq, ' '), 1) <= 8;
    RETURN NULL;
END
$$;
CREATE TRIGGER kb_synonyms_normalize AFTER INSERT OR UPDATE OF terms ON helpdesk.kb_synonyms
    FOR EACH ROW EXECUTE FUNCTION helpdesk.kb_synonyms_normalize();

CREATE FUNCTION helpdesk.kb_synonyms_changed()
RETURNS trigger
LANGUAGE plpgsql
AS $$
BEGIN
    UPDATE helpdesk.kb_stats SET synonyms_version = synonyms_version + 1, version = version + 1;
    RETURN NULL;
END
$$;
CREATE TRIGGER kb_synonym_terms_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON helpdesk.kb_synonym_terms
    FOR EACH STATEMENT EXECUTE FUNCTION helpdesk.kb_synonyms_changed();

-- The built-in glossary: English variants and the Vietnamese words of an IT service desk, so a
-- question asked in one language finds an article written in the other, and "log in" finds
-- "sign in". Members are phrases as users type them; each is folded and stemmed like any text.
INSERT INTO helpdesk.kb_synonyms (terms, builtin)
SELECT string_to_array(g, ' = '), true
FROM unnest(ARRAY[
    'wifi = wlan = wireless network = mạng không dây',
    'password = passcode = mật khẩu',
    'log in = login = sign in = signin = đăng nhập',
    'log out = logout = sign out = đăng xuất',
    'email = e-mail = mail = thư điện tử',
    'mailbox = inbox = hộp thư',
    'attachment = tệp đính kèm',
    'signature = chữ ký',
    'printer = máy in',
    'photocopier = copier = máy photocopy',
    'paper jam = kẹt giấy',
    'print = in ấn',
    'scanner = máy quét',
    'computer = pc = desktop = máy tính',
    'laptop = notebook = máy tính xách tay',
    'screen = monitor = display = màn hình',
    'blue screen = bsod = màn hình xanh',
    'keyboard = bàn phím',
    'mouse = chuột',
    'battery = pin',
    'charger = sạc',
    'headset = headphones = tai nghe',
    'microphone = mic = micro',
    'sound = audio = âm thanh',
    'phone = mobile = smartphone = điện thoại',
    'network = mạng',
    'internet = mạng internet',
    'account = tài khoản',
    'username = user name = tên đăng nhập',
    'locked = locked out = lockout = bị khóa',
    'unlock = mở khóa',
    'backup = back up = sao lưu',
    'restore = recover = khôi phục',
    'install = cài đặt',
    'uninstall = gỡ cài đặt',
    'set up = setup = configure = thiết lập = cấu hình',
    'update = cập nhật',
    'software = application = app = phần mềm',
    'licence = license = bản quyền',
    'error = lỗi',
    'slow = sluggish = chậm',
    'freeze = frozen = hang = bị treo',
    'crash = sập',
    'broken = hỏng',
    'delete = remove = xóa',
    'file = tệp = tập tin',
    'folder = directory = thư mục',
    'shared drive = network drive = shared folder = ổ đĩa chung = ổ mạng',
    'permission = access rights = quyền truy cập',
    'virus = malware = mã độc',
    'phishing = scam = lừa đảo',
    'report = báo cáo',
    'meeting room = conference room = phòng họp',
    'meeting = cuộc họp',
    'calendar = lịch',
    'projector = máy chiếu',
    'mfa = 2fa = multi-factor authentication = two-factor authentication = xác thực hai lớp',
    'authenticator = ứng dụng xác thực',
    'otp = one-time code = mã otp',
    'vpn = mạng riêng ảo',
    'remote work = work from home = làm việc từ xa = làm việc tại nhà',
    'new starter = new employee = new hire = nhân viên mới',
    'onboarding = tiếp nhận nhân viên',
    'security = bảo mật',
    'policy = chính sách',
    'personal data = dữ liệu cá nhân',
    'data = dữ liệu',
    'sync = synchronise = synchronize = đồng bộ',
    'browser = trình duyệt',
    'cache = bộ nhớ đệm',
    'slow computer = máy chạy chậm',
    'share = sharing = chia sẻ',
    'connect = connection = kết nối',
    'disconnect = drop = ngắt kết nối',
    'reset = đặt lại',
    'change = đổi',
    'forgot = forget = forgotten = quên',
    'download = tải về',
    'upload = tải lên',
    'send = gửi',
    'receive = nhận',
    'open = mở',
    'colleague = coworker = đồng nghiệp',
    'home = nhà',
    'office = văn phòng',
    'floor = tầng',
    'guest = visitor = khách'
]) AS g;

-- ==== the query ====

-- What kb_rank needs to score a query (extension/kb_rank.c): the distinct terms with their idf,
-- the slots' alternatives (slot, weight in thousandths, n, n term numbers), the pairs of
-- consecutive query words in different slots, the best possible score, and the slot count.
CREATE TYPE helpdesk.kb_query_plan AS (
    terms     text[],
    idf       real[],
    plan      int[],
    pairs     int[],
    max_score real,
    slots     int
);

-- Corrections of a word the corpus does not have: vocabulary terms at most two edits away
-- (transpositions count one), the closest first, then the most common. pg_trgm's index finds
-- candidates; its threshold is lowered here because a typo in a short word breaks most of its
-- trigrams ("emial" shares 2 of 6 with "email"). PL/pgSQL: a SQL function with a SET clause is
-- never inlined and was planned again at every typo of every search.
CREATE FUNCTION helpdesk.kb_corrections(word text, max_results int DEFAULT 2)
RETURNS TABLE (term text, distance int)
LANGUAGE plpgsql STABLE
SET pg_trgm.similarity_threshold = 0.2
AS $$
BEGIN
    RETURN QUERY
    SELECT v.term, d.distance
    FROM helpdesk.kb_vocab v,
         LATERAL (SELECT helpdesk.kb_edit_distance(v.term, word, 2) AS distance) d
    WHERE v.term OPERATOR(public.%) word AND d.distance <= 2 AND length(v.term) >= 3
    ORDER BY d.distance, v.df DESC, v.term
    LIMIT max_results;
END
$$;

-- The plan of q (extension/kb_plan.c has the rules): slots of alternatives (the words, their
-- synonyms, a typo's corrections), the pairs of consecutive words, idf per term. prefix: the
-- last word is being typed (suggest). NULL terms when q asks for nothing.
CREATE FUNCTION helpdesk.kb_plan(q text, prefix boolean DEFAULT false)
RETURNS helpdesk.kb_query_plan
LANGUAGE c STABLE PARALLEL SAFE
AS 'MODULE_PATHNAME', 'helpdesk_kb_plan';

-- The time zone a reader's day is counted in: the default calendar's, else UTC.
CREATE FUNCTION helpdesk.kb_time_zone()
RETURNS text
LANGUAGE sql STABLE
AS $$ SELECT coalesce((SELECT c.time_zone FROM helpdesk.calendars c WHERE c.is_default LIMIT 1), 'UTC') $$;

-- The cache of search answers (extension/kb_cache.c): an answer stored under the knowledge
-- base's version, served while that version holds and for at most 'kb_search_cache_ms' (default
-- 60000; 0 turns the cache off). Shared by all connections (helpdesk.kb_cache_size of shared
-- memory, default 16 MB); without it, each connection's own, at most 'kb_search_cache_entries'
-- answers (default 1000).
CREATE FUNCTION helpdesk.kb_cache_get(key text, version bigint, ttl_ms int)
RETURNS jsonb
LANGUAGE c VOLATILE
AS 'MODULE_PATHNAME', 'helpdesk_kb_cache_get';
-- version_xmin: the kb_stats row's xmin: a transaction that changed the version itself does not
-- store (a rollback would give its number to the next change).
CREATE FUNCTION helpdesk.kb_cache_put(key text, version bigint, value jsonb, capacity int, version_xmin xid)
RETURNS void
LANGUAGE c VOLATILE
AS 'MODULE_PATHNAME', 'helpdesk_kb_cache_put';

-- The cached answer for key, or NULL (then compute it and kb_cached_store it).
CREATE FUNCTION helpdesk.kb_cached(key text)
RETURNS jsonb
LANGUAGE plpgsql STABLE
AS $$
BEGIN
    RETURN (SELECT helpdesk.kb_cache_get(key, s.version, helpdesk.setting('kb_search_cache_ms', '60000')::int)
            FROM helpdesk.kb_stats s);
END
$$;

-- Stores value as the answer for key; returns it.
CREATE FUNCTION helpdesk.kb_cached_store(key text, value jsonb)
RETURNS jsonb
LANGUAGE plpgsql STABLE
AS $$
BEGIN
    PERFORM helpdesk.kb_cache_put(key, s.version, value, helpdesk.setting('kb_search_cache_entries', '1000')::int, s.xmin)
    FROM helpdesk.kb_stats s
    WHERE helpdesk.setting('kb_search_cache_ms', '60000')::int > 0;
    RETURN value;
END
$$;

-- THE search: articles for q, best first, at most lim. include_drafts: staff searching; prefix:
-- suggest (the last word is being typed; only titles count). Each row: the article's id, its
-- score (text relevance x at most 1.05 for helpfulness and views, x 1.05 when the article is in
-- the query's language: Vietnamese for a query with diacritics, English for one with English
-- function words, none assumed otherwise), the confidence (text
-- relevance / the best possible for this query, 0..1), and the passage showing the query's
-- words (html: escaped, hits in <mark>; else plain text, for the chatbot). Results scoring under
-- a fifth of the best one are left out: they matched a minor part of the query only.
CREATE FUNCTION helpdesk.kb_search(q text, lim int DEFAULT 10, include_drafts boolean DEFAULT false,
                                   category_id int DEFAULT NULL, prefix boolean DEFAULT false,
                                   snippet_words int DEFAULT 30, html boolean DEFAULT true)
RETURNS TABLE (article_id int, score real, confidence real, snippet text)
LANGUAGE plpgsql STABLE ROWS 10
-- One plan for every query: the planner's choice of custom plans cost 0.6-1.2 ms of planning
-- per search (about what the search itself costs) and planned the same thing each time (the
-- labelled queries' answers are identical either way at 100,000 articles; bench/RESULTS.md).
SET plan_cache_mode = force_generic_plan
AS $$
DECLARE
    p helpdesk.kb_query_plan := helpdesk.kb_plan(q, prefix);
    per_term int := greatest(helpdesk.setting('kb_search_candidates_per_term', '100')::int, 10);
    lang text := helpdesk.kb_language(q);
    mode int := CASE WHEN prefix THEN 1 ELSE 0 END;
BEGIN
    IF p.terms IS NULL OR lim < 1 THEN
        RETURN;
    END IF;
    RETURN QUERY
    WITH best AS (
        -- the tie-breakers move scores by at most 10%: they only have to look at the best few
        -- candidates (all of them when a category filters them)
        SELECT a.id, r.text_score, r.matches, r.unread,
               (r.text_score * (1.0 + 0.05 * (0.5 * (a.helpful_votes + 1.0) / (a.helpful_votes + a.not_helpful_votes + 2.0)
                                              + 0.5 * least(1.0, ln(1.0 + a.view_count::float8) / ln(1000.0::float8))))
                             * CASE WHEN a.language = lang THEN 1.05 ELSE 1.0 END)::real AS final
        FROM helpdesk.kb_rank_top(p.terms, p.idf, p.plan, p.pairs, mode, per_term, include_drafts,
                                  CASE WHEN kb_search.category_id IS NULL THEN greatest(3 * lim, 30) END) r
        JOIN helpdesk.kb_articles a ON a.id = r.article_id
        WHERE kb_search.category_id IS NULL OR a.category_id = kb_search.category_id
        ORDER BY final DESC, a.id
        LIMIT lim
    )
    -- the floor: a fifth of the best text score (the first row's, within 5%)
    -- bodies only for the articles shown (a sort of every candidate's body would copy them all)
    SELECT b.id, b.final, least(1.0, b.text_score / nullif(p.max_score, 0))::real,
           helpdesk.kb_snippet_at(a.title, a.tags, a.content,
               -- the positions the ranking read, and those of the terms it did not read for this
               -- article (their lists were cut): every query term the article has is marked
               b.matches || helpdesk.kb_unread_positions(b.id, b.unread, p.terms),
               snippet_words, html)
    FROM (SELECT best.*, max(best.text_score) OVER () AS top FROM best) b
    JOIN helpdesk.kb_articles a ON a.id = b.id
    WHERE b.text_score >= 0.2 * b.top
    ORDER BY b.final DESC, b.id;
END
$$;

-- ==== articles ====

-- Whether actor (NULL: anonymous) sees drafts: staff only.
CREATE FUNCTION helpdesk.kb_sees_drafts(actor helpdesk.users)
RETURNS boolean
LANGUAGE sql STABLE
AS $$ SELECT coalesce(actor.id IS NOT NULL AND helpdesk.is_staff(actor), false) $$;

-- The article JSON of the API: the reference's fields (tags as an array, no embedding), the
-- client's names for the vote counters beside the reference's, the author and the category.
-- detail adds the author's e-mail, as the reference's detail route does; search results leave
-- the body out (with_content false: content is null). No subquery, so a list query inlines it.
CREATE FUNCTION helpdesk.kb_article_json_of(a helpdesk.kb_articles, author helpdesk.users,
                                            c helpdesk.categories, detail boolean,
                                            with_content boolean DEFAULT true)
RETURNS jsonb
LANGUAGE sql STABLE
AS $$
    SELECT jsonb_build_object(
        'id', a.id, 'title', a.title, 'summary', a.summary,
        'content', CASE WHEN with_content THEN a.content END,
        'isPublished', a.is_published, 'authorId', a.author_id, 'categoryId', a.category_id,
        'tags', to_jsonb(a.tags), 'viewCount', a.view_count,
        'helpfulCount', a.helpful_votes, 'notHelpfulCount', a.not_helpful_votes,
        'helpfulVotes', a.helpful_votes, 'notHelpfulVotes', a.not_helpful_votes,
        'publishedAt', helpdesk.iso(a.published_at), 'createdAt', helpdesk.iso(a.created_at),
        'updatedAt', helpdesk.iso(a.updated_at),
        'author', CASE WHEN author.id IS NULL THEN NULL
                       WHEN detail THEN jsonb_build_object('id', author.id, 'username', author.username,
                                                          'fullName', author.full_name, 'email', author.email,
                                                          'avatarUrl', author.avatar_url)
                       ELSE jsonb_build_object('id', author.id, 'username', author.username,
                                               'fullName', author.full_name, 'avatarUrl', author.avatar_url)
                  END,
        'category', CASE WHEN c.id IS NOT NULL THEN jsonb_build_object('id', c.id, 'name', c.name) END)
$$;

CREATE FUNCTION helpdesk.kb_article_json(a helpdesk.kb_articles, detail boolean DEFAULT true)
RETURNS jsonb
LANGUAGE sql STABLE
AS $$
    SELECT helpdesk.kb_article_json_of(a, u, c, detail)
    FROM (SELECT) one
    LEFT JOIN helpdesk.users u ON u.id = a.author_id
    LEFT JOIN helpdesk.categories c ON c.id = a.category_id
$$;

-- The article `actor` may read: 404 when missing, 403 when a draft and actor is not staff.
CREATE FUNCTION helpdesk.kb_article_get(actor helpdesk.users, article_id int, for_update boolean DEFAULT false)
RETURNS helpdesk.kb_articles
LANGUAGE plpgsql
AS $$
DECLARE
    a helpdesk.kb_articles;
BEGIN
    IF for_update THEN
        SELECT * INTO a FROM helpdesk.kb_articles WHERE id = article_id FOR UPDATE;
    ELSE
        SELECT * INTO a FROM helpdesk.kb_articles WHERE id = article_id;
    END IF;
    IF NOT FOUND THEN
        PERFORM helpdesk.http_error(404, format('Article with ID %s not found', article_id));
    END IF;
    IF NOT a.is_published AND NOT helpdesk.kb_sees_drafts(actor) THEN
        PERFORM helpdesk.http_error(403, 'This article is not published');
    END IF;
    RETURN a;
END
$$;

-- Tags as stored: trimmed, empty ones dropped, duplicates (whatever their case) kept once, in
-- the order given; at most 20 of at most 50 characters (400 otherwise).
CREATE FUNCTION helpdesk.kb_clean_tags(tags text[])
RETURNS text[]
LANGUAGE plpgsql IMMUTABLE
AS $$
DECLARE
    result text[] := '{}';
    t text;
BEGIN
    FOREACH t IN ARRAY coalesce(tags, '{}') LOOP
        t := btrim(regexp_replace(t, '\s+', ' ', 'g'));
        IF t = '' OR lower(t) = ANY (SELECT lower(r) FROM unnest(result) r) THEN
            CONTINUE;
        END IF;
        IF length(t) > 50 THEN
            PERFORM helpdesk.validation_error('each value in tags must be shorter than or equal to 50 characters');
        END IF;
        result := result || t;
    END LOOP;
    IF cardinality(result) > 20 THEN
        PERFORM helpdesk.validation_error('tags must contain no more than 20 elements');
    END IF;
    RETURN result;
END
$$;

-- A new article by staff, filed under an existing active category (400 otherwise).
CREATE FUNCTION helpdesk.kb_article_create(actor helpdesk.users, title text, content text, category_id int,
                                           tags text[] DEFAULT '{}', summary text DEFAULT NULL,
                                           is_published boolean DEFAULT false, at timestamptz DEFAULT now())
RETURNS helpdesk.kb_articles
LANGUAGE plpgsql
AS $$
DECLARE
    a helpdesk.kb_articles;
BEGIN
    PERFORM helpdesk.require_role(actor, 'IT_Staff', 'Admin');
    PERFORM helpdesk.category_usable(category_id);
    INSERT INTO helpdesk.kb_articles (title, summary, content, category_id, author_id, tags,
                                      is_published, published_at, created_at, updated_at)
    VALUES (title, summary, content, category_id, actor.id, helpdesk.kb_clean_tags(tags),
            coalesce(is_published, false), CASE WHEN is_published THEN at END, at, at)
    RETURNING * INTO a;
    PERFORM helpdesk.audit('CREATE_ARTICLE', 'knowledge_article', a.id, jsonb_build_object('title', a.title));
    RETURN a;
END
$$;

-- PATCH: the given fields (NULL = unchanged); only the author or an Admin. isPublished may be
-- sent as it is (the client sends whole forms); a change publishes or unpublishes.
CREATE FUNCTION helpdesk.kb_article_update(actor helpdesk.users, article_id int,
                                           new_title text DEFAULT NULL, new_content text DEFAULT NULL,
                                           new_category_id int DEFAULT NULL, new_tags text[] DEFAULT NULL,
                                           new_summary text DEFAULT NULL, new_is_published boolean DEFAULT NULL,
                                           at timestamptz DEFAULT now())
RETURNS helpdesk.kb_articles
LANGUAGE plpgsql
AS $$
DECLARE
    a helpdesk.kb_articles;
BEGIN
    PERFORM helpdesk.require_role(actor, 'IT_Staff', 'Admin');
    a := helpdesk.kb_article_get(actor, article_id, true);
    IF a.author_id <> actor.id AND actor.role <> 'Admin' THEN
        PERFORM helpdesk.http_error(403, 'You can only update your own articles');
    END IF;
    IF new_category_id IS NOT NULL AND new_category_id <> a.category_id THEN
        PERFORM helpdesk.category_usable(new_category_id);
    END IF;
    UPDATE helpdesk.kb_articles SET
        title = coalesce(new_title, title),
        content = coalesce(new_content, content),
        category_id = coalesce(new_category_id, category_id),
        tags = coalesce(helpdesk.kb_clean_tags(new_tags), tags),
        summary = coalesce(new_summary, summary),
        is_published = coalesce(new_is_published, is_published),
        published_at = CASE WHEN new_is_published IS NULL OR new_is_published = is_published THEN published_at
                            WHEN new_is_published THEN at END,
        updated_at = at
    WHERE id = a.id
    RETURNING * INTO a;
    PERFORM helpdesk.audit('UPDATE_ARTICLE', 'knowledge_article', a.id, jsonb_build_object('fields', to_jsonb(ARRAY(
        SELECT f FROM unnest(ARRAY['categoryId', 'content', 'isPublished', 'summary', 'tags', 'title'],
                             ARRAY[new_category_id IS NOT NULL, new_content IS NOT NULL, new_is_published IS NOT NULL,
                                   new_summary IS NOT NULL, new_tags IS NOT NULL, new_title IS NOT NULL]) AS g(f, given)
        WHERE given))));
    RETURN a;
END
$$;

-- Only the author or an Admin; votes and views go with the article.
CREATE FUNCTION helpdesk.kb_article_delete(actor helpdesk.users, article_id int)
RETURNS void
LANGUAGE plpgsql
AS $$
DECLARE
    a helpdesk.kb_articles;
BEGIN
    PERFORM helpdesk.require_role(actor, 'IT_Staff', 'Admin');
    a := helpdesk.kb_article_get(actor, article_id, true);
    IF a.author_id <> actor.id AND actor.role <> 'Admin' THEN
        PERFORM helpdesk.http_error(403, 'You can only delete your own articles');
    END IF;
    DELETE FROM helpdesk.kb_articles WHERE id = a.id;
    PERFORM helpdesk.audit('DELETE_ARTICLE', 'knowledge_article', a.id);
END
$$;

-- Publish / unpublish: any staff member; the same move twice is a 400.
CREATE FUNCTION helpdesk.kb_article_publish(actor helpdesk.users, article_id int, publish boolean DEFAULT true,
                                            at timestamptz DEFAULT now())
RETURNS helpdesk.kb_articles
LANGUAGE plpgsql
AS $$
DECLARE
    a helpdesk.kb_articles;
BEGIN
    PERFORM helpdesk.require_role(actor, 'IT_Staff', 'Admin');
    a := helpdesk.kb_article_get(actor, article_id, true);
    IF publish AND a.is_published THEN
        PERFORM helpdesk.http_error(400, 'Article is already published');
    ELSIF NOT publish AND NOT a.is_published THEN
        PERFORM helpdesk.http_error(400, 'Article is not published');
    END IF;
    UPDATE helpdesk.kb_articles SET is_published = publish, published_at = CASE WHEN publish THEN at END,
                                    updated_at = at
    WHERE id = a.id
    RETURNING * INTO a;
    PERFORM helpdesk.audit(CASE WHEN publish THEN 'PUBLISH_ARTICLE' ELSE 'UNPUBLISH_ARTICLE' END, 'knowledge_article', a.id);
    RETURN a;
END
$$;

-- A user's vote on a published article; a new vote replaces the old one.
CREATE FUNCTION helpdesk.kb_vote(actor helpdesk.users, article_id int, helpful boolean,
                                 feedback text DEFAULT NULL, at timestamptz DEFAULT now())
RETURNS helpdesk.kb_articles
LANGUAGE plpgsql
AS $$
DECLARE
    a helpdesk.kb_articles;
BEGIN
    IF actor.id IS NULL THEN
        PERFORM helpdesk.http_error(401, 'Invalid token or user not found');
    END IF;
    a := helpdesk.kb_article_get(actor, article_id);
    IF NOT a.is_published THEN
        PERFORM helpdesk.http_error(403, 'Cannot rate unpublished articles');
    END IF;
    INSERT INTO helpdesk.kb_votes AS v (article_id, user_id, helpful, feedback, created_at, updated_at)
    VALUES (a.id, actor.id, helpful, feedback, at, at)
    ON CONFLICT ON CONSTRAINT kb_votes_pkey DO UPDATE
        SET helpful = excluded.helpful, feedback = excluded.feedback, updated_at = excluded.updated_at;
    SELECT * INTO a FROM helpdesk.kb_articles WHERE id = a.id;
    RETURN a;
END
$$;

-- Reading an article: the visibility rule, then the view is counted once per reader per day
-- (actor NULL: the client address; neither: the database user, for psql).
CREATE FUNCTION helpdesk.kb_view(actor helpdesk.users, article_id int, at timestamptz DEFAULT now())
RETURNS helpdesk.kb_articles
LANGUAGE plpgsql
AS $$
DECLARE
    a helpdesk.kb_articles := helpdesk.kb_article_get(actor, article_id);
    reader text := CASE WHEN actor.id IS NOT NULL THEN 'user:' || actor.id
                        WHEN helpdesk.client_ip() IS NOT NULL THEN 'ip:' || helpdesk.client_ip()
                        ELSE 'db:' || current_user END;
BEGIN
    INSERT INTO helpdesk.kb_views (article_id, day, reader)
    VALUES (a.id, (at AT TIME ZONE helpdesk.kb_time_zone())::date, reader)
    ON CONFLICT DO NOTHING;
    IF FOUND THEN
        UPDATE helpdesk.kb_articles SET view_count = view_count + 1 WHERE id = a.id RETURNING * INTO a;
    END IF;
    RETURN a;
END
$$;

-- The list's sortBy names and their columns.
CREATE FUNCTION helpdesk.kb_sort_column(sort_by text)
RETURNS text
LANGUAGE plpgsql IMMUTABLE
AS $$
BEGIN
    RETURN CASE sort_by
        WHEN 'createdAt' THEN 'created_at' WHEN 'updatedAt' THEN 'updated_at'
        WHEN 'publishedAt' THEN 'published_at' WHEN 'title' THEN 'title' WHEN 'id' THEN 'id'
        WHEN 'viewCount' THEN 'view_count'
        WHEN 'helpfulCount' THEN 'helpful_votes' WHEN 'helpfulVotes' THEN 'helpful_votes'
        WHEN 'notHelpfulCount' THEN 'not_helpful_votes' WHEN 'notHelpfulVotes' THEN 'not_helpful_votes'
    END;
END
$$;

-- GET /knowledge: {articles, total, page, totalPages}. Staff see drafts too (is_published
-- filters them, for staff only); everyone else sees published articles whatever they send.
-- search: the articles kb_search finds (at most 'kb_search_max_results', default 1000), in
-- relevance order unless sort_by is given. tags: any of them, whatever the case.
CREATE FUNCTION helpdesk.kb_list(actor helpdesk.users, category_id int DEFAULT NULL, tags text[] DEFAULT NULL,
                                 is_published boolean DEFAULT NULL, search text DEFAULT NULL,
                                 author_id int DEFAULT NULL, page int DEFAULT 1, page_size int DEFAULT 10,
                                 sort_by text DEFAULT NULL, sort_order text DEFAULT 'DESC')
RETURNS jsonb
LANGUAGE plpgsql STABLE
AS $$
DECLARE
    drafts boolean := helpdesk.kb_sees_drafts(actor);
    conds text[] := '{}';
    found_ids int[];
    order_sql text;
    where_sql text;
    total bigint;
    items jsonb;
    dir text := CASE WHEN upper(sort_order) = 'ASC' THEN 'ASC' ELSE 'DESC' END;
    col text := helpdesk.kb_sort_column(coalesce(sort_by, 'createdAt'));
BEGIN
    IF col IS NULL THEN
        PERFORM helpdesk.validation_error(
            'sortBy must be one of the following values: createdAt, updatedAt, publishedAt, title, id, viewCount, '
            || 'helpfulCount, helpfulVotes, notHelpfulCount, notHelpfulVotes');
    END IF;
    IF NOT drafts THEN
        conds := conds || 'a.is_published'::text;
    ELSIF is_published IS NOT NULL THEN
        conds := conds || 'a.is_published = $5'::text;
    END IF;
    IF category_id IS NOT NULL THEN
        conds := conds || 'a.category_id = $1'::text;
    END IF;
    IF tags IS NOT NULL AND cardinality(tags) > 0 THEN
        tags := ARRAY(SELECT lower(btrim(t)) FROM unnest(tags) t WHERE btrim(t) <> '');
        conds := conds || 'EXISTS (SELECT FROM unnest(a.tags) t WHERE lower(t) = ANY ($2))'::text;
    END IF;
    IF author_id IS NOT NULL THEN
        conds := conds || 'a.author_id = $3'::text;
    END IF;
    IF search IS NOT NULL THEN
        found_ids := ARRAY(SELECT s.article_id
                           FROM helpdesk.kb_search(search, greatest(helpdesk.setting('kb_search_max_results', '1000')::int, 1),
                                                   drafts, category_id) s);
        conds := conds || 'a.id = ANY ($4)'::text;
    END IF;
    where_sql := CASE WHEN cardinality(conds) > 0 THEN ' WHERE ' || array_to_string(conds, ' AND ') ELSE '' END;
    order_sql := CASE WHEN search IS NOT NULL AND sort_by IS NULL THEN 'array_position($4, a.id)'
                      ELSE format('a.%I %s NULLS LAST, a.id %s', col, dir, dir) END;

    EXECUTE 'SELECT count(*) FROM helpdesk.kb_articles a' || where_sql INTO total
        USING category_id, tags, author_id, found_ids, is_published;
    EXECUTE format(
        'SELECT jsonb_agg(helpdesk.kb_article_json_of(a, u, c, false) ORDER BY o.ord)
         FROM (SELECT a.id, row_number() OVER (ORDER BY %s) AS ord
               FROM helpdesk.kb_articles a%s ORDER BY %s LIMIT $6 OFFSET $7) o
         JOIN helpdesk.kb_articles a ON a.id = o.id
         LEFT JOIN helpdesk.users u ON u.id = a.author_id
         LEFT JOIN helpdesk.categories c ON c.id = a.category_id', order_sql, where_sql, order_sql)
        INTO items
        USING category_id, tags, author_id, found_ids, is_published, page_size, (page - 1)::bigint * page_size;
    RETURN helpdesk.paginated('articles', items, total, page, page_size);
END
$$;

-- {total, published, draft, totalViews} (staff).
CREATE FUNCTION helpdesk.kb_stats(actor helpdesk.users)
RETURNS jsonb
LANGUAGE plpgsql STABLE
AS $$
BEGIN
    PERFORM helpdesk.require_role(actor, 'IT_Staff', 'Admin');
    RETURN (SELECT jsonb_build_object('total', count(*), 'published', count(*) FILTER (WHERE a.is_published),
                                      'draft', count(*) FILTER (WHERE NOT a.is_published),
                                      'totalViews', coalesce(sum(a.view_count), 0))
            FROM helpdesk.kb_articles a);
END
$$;

-- Published articles in one order, at most lim, with the list's author include: popular
-- (views), recent (publication), or one category's (views).
CREATE FUNCTION helpdesk.kb_top(how text, lim int, only_category int DEFAULT NULL)
RETURNS jsonb
LANGUAGE plpgsql STABLE
AS $$
DECLARE
    ids int[];
BEGIN
    IF how = 'recent' THEN
        ids := ARRAY(SELECT a.id FROM helpdesk.kb_articles a WHERE a.is_published
                     ORDER BY a.published_at DESC, a.id DESC LIMIT lim);
    ELSIF how = 'category' THEN
        ids := ARRAY(SELECT a.id FROM helpdesk.kb_articles a WHERE a.is_published AND a.category_id = only_category
                     ORDER BY a.view_count DESC, a.id DESC LIMIT lim);
    ELSE
        ids := ARRAY(SELECT a.id FROM helpdesk.kb_articles a WHERE a.is_published
                     ORDER BY a.view_count DESC, a.id DESC LIMIT lim);
    END IF;
    RETURN coalesce((
        SELECT jsonb_agg(helpdesk.kb_article_json_of(a, u, c, false) ORDER BY x.ord)
        FROM unnest(ids) WITH ORDINALITY AS x(id, ord)
        JOIN helpdesk.kb_articles a ON a.id = x.id
        LEFT JOIN helpdesk.users u ON u.id = a.author_id
        LEFT JOIN helpdesk.categories c ON c.id = a.category_id), '[]');
END
$$;

-- Synonym groups as written: the admins' first, then the built-in glossary.
CREATE FUNCTION helpdesk.kb_synonyms_json()
RETURNS jsonb
LANGUAGE sql STABLE
AS $$
    SELECT coalesce(jsonb_agg(jsonb_build_object('id', s.id, 'terms', to_jsonb(s.terms),
                                                 'text', array_to_string(s.terms, ' = '),
                                                 'builtin', s.builtin)
                              ORDER BY s.builtin, s.id), '[]')
    FROM helpdesk.kb_synonyms s
$$;

-- The synonym groups as staff see them (IT_Staff, Admin).
CREATE FUNCTION helpdesk.kb_synonyms_view(actor helpdesk.users)
RETURNS jsonb
LANGUAGE plpgsql STABLE
AS $$
BEGIN
    PERFORM helpdesk.require_role(actor, 'IT_Staff', 'Admin');
    RETURN helpdesk.kb_synonyms_json();
END
$$;

-- Replaces the admins' synonym groups (Admin; the built-in glossary stays). A group is written "wifi = wlan = wireless": at
-- least two members that differ once folded and stemmed, each of 1..8 words and at most 100
-- characters; at most 1000 groups (400 otherwise). Searches use them at once.
CREATE FUNCTION helpdesk.kb_synonyms_replace(actor helpdesk.users, groups text[])
RETURNS void
LANGUAGE plpgsql
AS $$
DECLARE
    g text;
    members text[];
    m text;
    seqs text[];
    ord int := 0;
BEGIN
    PERFORM helpdesk.require_role(actor, 'Admin');
    IF cardinality(groups) > 1000 THEN
        PERFORM helpdesk.validation_error('synonyms must contain no more than 1000 elements');
    END IF;
    -- one replace at a time: the last one wins whole; the built-in glossary stays
    LOCK TABLE helpdesk.kb_synonyms IN SHARE ROW EXCLUSIVE MODE;
    DELETE FROM helpdesk.kb_synonyms WHERE NOT builtin;
    FOREACH g IN ARRAY coalesce(groups, '{}') LOOP
        ord := ord + 1;
        members := ARRAY(SELECT btrim(x) FROM unnest(string_to_array(g, '=')) x WHERE btrim(x) <> '');
        seqs := '{}';
        FOREACH m IN ARRAY members LOOP
            IF length(m) > 100 THEN
                PERFORM helpdesk.validation_error(format('synonym group %s: each member must be shorter than or equal to 100 characters', ord));
            END IF;
            IF coalesce(array_length(string_to_array(helpdesk.kb_normalize(m), ' '), 1), 0) NOT BETWEEN 1 AND 8 THEN
                PERFORM helpdesk.validation_error(format('synonym group %s: each member must have 1 to 8 words', ord));
            END IF;
            seqs := seqs || helpdesk.kb_normalize(m);
        END LOOP;
        IF (SELECT count(DISTINCT x) FROM unnest(seqs) x) < 2 THEN
            PERFORM helpdesk.validation_error(format('synonym group %s: at least two different members are needed', ord));
        END IF;
        INSERT INTO helpdesk.kb_synonyms (terms) VALUES (members);
    END LOOP;
    PERFORM helpdesk.audit('UPDATE_KB_SYNONYMS', 'knowledge_synonyms', NULL, jsonb_build_object('groups', cardinality(groups)));
END
$$;
