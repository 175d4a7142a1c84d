-- 71_kb_api: the knowledge routes (seed-system §2.14 with API.md's client variants, issue 10).
--
-- Reads of published articles are public; routes marked OPTIONAL in the route table also take a
-- token, and staff with one see drafts (helpdesk.optional_actor). Writes need a token; who may
-- do what is decided by the domain functions of 70_kb.sql.

-- tags of a body: an array of strings, or the seed's stored form "a, b, c". NULL when absent.
CREATE FUNCTION helpdesk.kb_field_tags(b jsonb, key text DEFAULT 'tags')
RETURNS text[]
LANGUAGE plpgsql STABLE
AS $$
DECLARE
    v jsonb := b -> key;
BEGIN
    IF v IS NULL OR jsonb_typeof(v) = 'null' THEN
        RETURN NULL;
    ELSIF jsonb_typeof(v) = 'string' THEN
        RETURN string_to_array(v #>> '{}', ',');
    ELSIF jsonb_typeof(v) <> 'array' THEN
        PERFORM helpdesk.validation_error(key || ' must be an array');
    ELSIF EXISTS (SELECT FROM jsonb_array_elements(v) e WHERE jsonb_typeof(e) <> 'string') THEN
        PERFORM helpdesk.validation_error('each value in ' || key || ' must be a string');
    ELSIF jsonb_array_length(v) > 20 THEN
        PERFORM helpdesk.validation_error(key || ' must contain no more than 20 elements');
    END IF;
    RETURN ARRAY(SELECT e FROM jsonb_array_elements_text(v) e);
END
$$;

-- categoryId of a body: a JSON number or a numeric string (the reference converts it), >= 1.
CREATE FUNCTION helpdesk.kb_field_category(b jsonb, required boolean)
RETURNS int
LANGUAGE plpgsql STABLE
AS $$
DECLARE
    v jsonb := b -> 'categoryId';
BEGIN
    IF jsonb_typeof(v) = 'string' AND (v #>> '{}') ~ '^\s*[0-9]{1,10}\s*$' THEN
        b := jsonb_set(b, '{categoryId}', to_jsonb((v #>> '{}')::bigint));
    END IF;
    RETURN helpdesk.field_int(b, 'categoryId', required, 1, 2147483647);
END
$$;

-- The writable fields of POST/PATCH /knowledge.
CREATE FUNCTION helpdesk.kb_article_fields(b jsonb, creating boolean,
    OUT title text, OUT content text, OUT summary text, OUT tags text[], OUT category_id int,
    OUT is_published boolean)
LANGUAGE plpgsql STABLE
AS $$
BEGIN
    title := helpdesk.field_text(b, 'title', creating, NULL, 200);
    IF title IS NOT NULL AND btrim(title) = '' THEN
        PERFORM helpdesk.validation_error('title should not be empty');
    END IF;
    content := helpdesk.field_text(b, 'content', creating, NULL,
                                   helpdesk.setting('kb_content_max_length', '200000')::int);
    IF content IS NOT NULL AND btrim(content) = '' THEN
        PERFORM helpdesk.validation_error('content should not be empty');
    END IF;
    summary := helpdesk.field_text(b, 'summary', false, NULL, 500);
    tags := helpdesk.kb_field_tags(b);
    category_id := helpdesk.kb_field_category(b, creating);
    is_published := helpdesk.field_bool(b, 'isPublished');
END
$$;

-- q of search and suggest: required, at most 200 characters.
CREATE FUNCTION helpdesk.kb_query_q(req jsonb, key text DEFAULT 'q')
RETURNS text
LANGUAGE plpgsql IMMUTABLE
AS $$
DECLARE
    q text := btrim(req -> 'query' ->> key);
BEGIN
    IF q IS NULL OR q = '' THEN
        PERFORM helpdesk.validation_error(key || ' should not be empty');
    END IF;
    IF length(q) > 200 THEN
        PERFORM helpdesk.validation_error(key || ' must be shorter than or equal to 200 characters');
    END IF;
    RETURN q;
END
$$;

-- A search result: the article without its body, with the passage and the scores.
CREATE FUNCTION helpdesk.kb_result_json(a helpdesk.kb_articles, author helpdesk.users, c helpdesk.categories,
                                        snippet text, score real, confidence real)
RETURNS jsonb
LANGUAGE sql STABLE
AS $$
    SELECT jsonb_build_object(
        'id', a.id, 'title', a.title, 'summary', a.summary, 'snippet', snippet,
        'score', round(score::numeric, 4), 'confidence', round(confidence::numeric, 4),
        'isPublished', a.is_published, 'authorId', a.author_id, 'categoryId', a.category_id,
        'tags', to_jsonb(a.tags), 'viewCount', a.view_count,
        'helpfulCount', a.helpful_votes, 'notHelpfulCount', a.not_helpful_votes,
        'helpfulVotes', a.helpful_votes, 'notHelpfulVotes', a.not_helpful_votes,
        'publishedAt', helpdesk.iso(a.published_at), 'updatedAt', helpdesk.iso(a.updated_at),
        'author', CASE WHEN author.id IS NOT NULL THEN jsonb_build_object('id', author.id, 'username', author.username,
                                                                         'fullName', author.full_name) END,
        'category', CASE WHEN c.id IS NOT NULL THEN jsonb_build_object('id', c.id, 'name', c.name) END)
$$;

-- POST /knowledge (IT_Staff, Admin)
CREATE FUNCTION helpdesk_api.knowledge_create(req jsonb)
RETURNS jsonb
LANGUAGE plpgsql
AS $$
DECLARE
    actor helpdesk.users := helpdesk.current_actor();
    f record := helpdesk.kb_article_fields(
        helpdesk.body(req, 'title', 'content', 'summary', 'tags', 'categoryId', 'isPublished'), true);
    a helpdesk.kb_articles;
BEGIN
    a := helpdesk.kb_article_create(actor, f.title, f.content, f.category_id, coalesce(f.tags, '{}'),
                                    f.summary, f.is_published);
    RETURN helpdesk.kb_article_json(a);
END
$$;

-- GET /knowledge (public; staff with a token also see drafts)
CREATE FUNCTION helpdesk_api.knowledge_list(req jsonb)
RETURNS jsonb
LANGUAGE plpgsql STABLE
AS $$
DECLARE
    actor helpdesk.users := helpdesk.optional_actor();
    search text := nullif(btrim(req -> 'query' ->> 'search'), '');
BEGIN
    IF length(search) > 200 THEN
        PERFORM helpdesk.validation_error('search must be shorter than or equal to 200 characters');
    END IF;
    RETURN helpdesk.kb_list(
        actor,
        coalesce(helpdesk.query_int(req, 'categoryId', NULL, 1), helpdesk.query_int(req, 'category', NULL, 1)),
        string_to_array(helpdesk.query_text(req, 'tags'), ','),
        helpdesk.query_bool(req, 'isPublished'),
        search,
        helpdesk.query_int(req, 'authorId', NULL, 1),
        helpdesk.query_page(req), helpdesk.query_limit(req),
        helpdesk.query_text(req, 'sortBy'), helpdesk.query_sort_order(req));
END
$$;

-- GET /knowledge/stats (IT_Staff, Admin)
CREATE FUNCTION helpdesk_api.knowledge_stats(req jsonb)
RETURNS jsonb
LANGUAGE plpgsql STABLE
AS $$
BEGIN
    RETURN helpdesk.kb_stats(helpdesk.current_actor());
END
$$;

-- GET /knowledge/popular?limit= (public)
CREATE FUNCTION helpdesk_api.knowledge_popular(req jsonb)
RETURNS jsonb
LANGUAGE plpgsql STABLE
AS $$
BEGIN
    RETURN helpdesk.kb_top('popular', helpdesk.query_int(req, 'limit', 10, 1, 100));
END
$$;

-- GET /knowledge/recent?limit= (public)
CREATE FUNCTION helpdesk_api.knowledge_recent(req jsonb)
RETURNS jsonb
LANGUAGE plpgsql STABLE
AS $$
BEGIN
    RETURN helpdesk.kb_top('recent', helpdesk.query_int(req, 'limit', 10, 1, 100));
END
$$;

-- GET /knowledge/category/:category?limit= (public). The parameter is a category id.
CREATE FUNCTION helpdesk_api.knowledge_by_category(req jsonb)
RETURNS jsonb
LANGUAGE plpgsql STABLE
AS $$
DECLARE
    p text := req -> 'path' ->> 'category';
BEGIN
    IF p !~ '^[0-9]{1,10}$' OR p::bigint NOT BETWEEN 1 AND 2147483647 THEN
        PERFORM helpdesk.http_error(400, 'Validation failed (numeric string is expected)');
    END IF;
    RETURN helpdesk.kb_top('category', helpdesk.query_int(req, 'limit', 10, 1, 100), p::int);
END
$$;

-- GET /knowledge/categories (public): ids of the categories that have published articles, as
-- strings (the reference's shape).
CREATE FUNCTION helpdesk_api.knowledge_categories(req jsonb)
RETURNS jsonb
LANGUAGE plpgsql STABLE
AS $$
BEGIN
    RETURN coalesce((SELECT jsonb_agg(x.category_id::text ORDER BY x.category_id)
                     FROM (SELECT DISTINCT a.category_id FROM helpdesk.kb_articles a WHERE a.is_published) x), '[]');
END
$$;

-- GET /knowledge/tags (public): the tags of published articles, each once whatever its case.
CREATE FUNCTION helpdesk_api.knowledge_tags(req jsonb)
RETURNS jsonb
LANGUAGE plpgsql STABLE
AS $$
BEGIN
    RETURN coalesce((SELECT jsonb_agg(x.tag ORDER BY lower(x.tag), x.tag)
                     FROM (SELECT DISTINCT ON (lower(t)) t AS tag
                           FROM helpdesk.kb_articles a, unnest(a.tags) t
                           WHERE a.is_published ORDER BY lower(t), t) x), '[]');
END
$$;

-- GET /knowledge/search?q=&limit= (public; staff with a token also find drafts): ranked
-- results with a highlighted passage, no bodies.
CREATE FUNCTION helpdesk_api.knowledge_search(req jsonb)
RETURNS jsonb
LANGUAGE plpgsql STABLE
AS $$
DECLARE
    actor helpdesk.users := helpdesk.optional_actor();
    q text := helpdesk.kb_query_q(req);
    lim int := helpdesk.query_int(req, 'limit', 10, 1, 50);
    drafts boolean := helpdesk.kb_sees_drafts(actor);
    key text := concat_ws(E'\x1f', 'search', lim, drafts, q);
    answer jsonb := helpdesk.kb_cached(key);
BEGIN
    IF answer IS NOT NULL THEN
        RETURN answer;
    END IF;
    RETURN helpdesk.kb_cached_store(key, coalesce((
        SELECT jsonb_agg(helpdesk.kb_result_json(a, u, c, s.snippet, s.score, s.confidence) ORDER BY s.ord)
        FROM helpdesk.kb_search(q, lim, drafts) WITH ORDINALITY AS s(article_id, score, confidence, snippet, ord)
        JOIN helpdesk.kb_articles a ON a.id = s.article_id
        LEFT JOIN helpdesk.users u ON u.id = a.author_id
        LEFT JOIN helpdesk.categories c ON c.id = a.category_id), '[]'));
END
$$;

-- GET /knowledge/suggest?q=&limit= (public): published articles whose titles match what is being
-- typed (the last word as a prefix), for the ticket form: [{id, title, snippet}].
CREATE FUNCTION helpdesk_api.knowledge_suggest(req jsonb)
RETURNS jsonb
LANGUAGE plpgsql STABLE
AS $$
DECLARE
    lim int := helpdesk.query_int(req, 'limit', 5, 1, 10);
    -- the text as typed: a trailing space means the last word is finished, not a prefix
    q text := ltrim(req -> 'query' ->> 'q');
    key text;
    answer jsonb;
BEGIN
    PERFORM helpdesk.kb_query_q(req);
    key := concat_ws(E'\x1f', 'suggest', lim, q);
    answer := helpdesk.kb_cached(key);
    IF answer IS NOT NULL THEN
        RETURN answer;
    END IF;
    RETURN helpdesk.kb_cached_store(key, coalesce((
        SELECT jsonb_agg(jsonb_build_object('id', a.id, 'title', a.title, 'snippet', s.snippet) ORDER BY s.ord)
        FROM helpdesk.kb_search(q, lim, false, NULL, true, 20)
             WITH ORDINALITY AS s(article_id, score, confidence, snippet, ord)
        JOIN helpdesk.kb_articles a ON a.id = s.article_id), '[]'));
END
$$;

-- GET /knowledge/:id (public for published articles; staff with a token also read drafts).
-- Counts the view once per reader per day: a GET that writes (RW in the route table).
CREATE FUNCTION helpdesk_api.knowledge_get(req jsonb)
RETURNS jsonb
LANGUAGE plpgsql VOLATILE
AS $$
DECLARE
    actor helpdesk.users := helpdesk.optional_actor();
    a helpdesk.kb_articles := helpdesk.kb_view(actor, helpdesk.path_int(req));
    mine boolean;
BEGIN
    IF actor.id IS NOT NULL THEN
        SELECT v.helpful INTO mine FROM helpdesk.kb_votes v WHERE v.article_id = a.id AND v.user_id = actor.id;
    END IF;
    RETURN helpdesk.kb_article_json(a) || jsonb_build_object('myVote', mine);
END
$$;

-- PATCH /knowledge/:id (author or Admin)
CREATE FUNCTION helpdesk_api.knowledge_update(req jsonb)
RETURNS jsonb
LANGUAGE plpgsql
AS $$
DECLARE
    actor helpdesk.users := helpdesk.current_actor();
    b jsonb := helpdesk.body(req, 'title', 'content', 'summary', 'tags', 'categoryId', 'isPublished');
    f record := helpdesk.kb_article_fields(b, false);
    a helpdesk.kb_articles;
BEGIN
    a := helpdesk.kb_article_update(actor, helpdesk.path_int(req), f.title, f.content, f.category_id,
                                    f.tags, f.summary, f.is_published);
    RETURN helpdesk.kb_article_json(a);
END
$$;

-- DELETE /knowledge/:id (author or Admin)
CREATE FUNCTION helpdesk_api.knowledge_delete(req jsonb)
RETURNS jsonb
LANGUAGE plpgsql
AS $$
DECLARE
    actor helpdesk.users := helpdesk.current_actor();
    id int := helpdesk.path_int(req);
BEGIN
    PERFORM helpdesk.kb_article_delete(actor, id);
    RETURN jsonb_build_object('message', 'Article deleted successfully');
END
$$;

-- POST /knowledge/:id/publish (IT_Staff, Admin)
CREATE FUNCTION helpdesk_api.knowledge_publish(req jsonb)
RETURNS jsonb
LANGUAGE plpgsql
AS $$
DECLARE
    actor helpdesk.users := helpdesk.current_actor();
    a helpdesk.kb_articles;
BEGIN
    PERFORM helpdesk.body(req, VARIADIC '{}'::text[]);
    a := helpdesk.kb_article_publish(actor, helpdesk.path_int(req), true);
    RETURN helpdesk.kb_article_json(a);
END
$$;

-- POST /knowledge/:id/unpublish (IT_Staff, Admin)
CREATE FUNCTION helpdesk_api.knowledge_unpublish(req jsonb)
RETURNS jsonb
LANGUAGE plpgsql
AS $$
DECLARE
    actor helpdesk.users := helpdesk.current_actor();
    a helpdesk.kb_articles;
BEGIN
    PERFORM helpdesk.body(req, VARIADIC '{}'::text[]);
    a := helpdesk.kb_article_publish(actor, helpdesk.path_int(req), false);
    RETURN helpdesk.kb_article_json(a);
END
$$;

-- POST /knowledge/:id/rate {isHelpful, feedback?} (the reference) and
-- POST /knowledge/:id/vote {helpful, feedback?} (its web client): one vote per user.
CREATE FUNCTION helpdesk_api.knowledge_rate(req jsonb)
RETURNS jsonb
LANGUAGE plpgsql
AS $$
DECLARE
    actor helpdesk.users := helpdesk.current_actor();
    b jsonb := helpdesk.body(req, 'isHelpful', 'feedback');
BEGIN
    RETURN helpdesk.kb_article_json(helpdesk.kb_vote(actor, helpdesk.path_int(req),
                                                     helpdesk.field_bool(b, 'isHelpful', true),
                                                     helpdesk.field_text(b, 'feedback', false, NULL, 500)));
END
$$;

CREATE FUNCTION helpdesk_api.knowledge_vote(req jsonb)
RETURNS jsonb
LANGUAGE plpgsql
AS $$
DECLARE
    actor helpdesk.users := helpdesk.current_actor();
    b jsonb := helpdesk.body(req, 'helpful', 'feedback');
BEGIN
    RETURN helpdesk.kb_article_json(helpdesk.kb_vote(actor, helpdesk.path_int(req),
                                                     helpdesk.field_bool(b, 'helpful', true),
                                                     helpdesk.field_text(b, 'feedback', false, NULL, 500)));
END
$$;

-- GET /knowledge/synonyms (IT_Staff, Admin)
CREATE FUNCTION helpdesk_api.knowledge_synonyms_get(req jsonb)
RETURNS jsonb
LANGUAGE plpgsql STABLE
AS $$
DECLARE
    actor helpdesk.users := helpdesk.current_actor();
BEGIN
    RETURN helpdesk.kb_synonyms_view(actor);
END
$$;

-- PUT /knowledge/synonyms {synonyms: [["wifi", "wlan", "wireless"] | "mật khẩu = password", ...]}
-- (Admin): replaces every group.
CREATE FUNCTION helpdesk_api.knowledge_synonyms_put(req jsonb)
RETURNS jsonb
LANGUAGE plpgsql
AS $$
DECLARE
    actor helpdesk.users := helpdesk.current_actor();
    v jsonb := helpdesk.body(req, 'synonyms') -> 'synonyms';
    groups text[];
BEGIN
    IF v IS NULL OR jsonb_typeof(v) <> 'array' THEN
        PERFORM helpdesk.validation_error('synonyms must be an array');
    END IF;
    IF EXISTS (SELECT FROM jsonb_array_elements(v) e
               WHERE NOT (jsonb_typeof(e) = 'string'
                          OR (jsonb_typeof(e) = 'array'
                              AND NOT EXISTS (SELECT FROM jsonb_array_elements(e) x WHERE jsonb_typeof(x) <> 'string')))) THEN
        PERFORM helpdesk.validation_error('each value in synonyms must be a string or an array of strings');
    END IF;
    IF EXISTS (SELECT FROM jsonb_array_elements(v) e, jsonb_array_elements_text(
                   CASE WHEN jsonb_typeof(e) = 'array' THEN e ELSE '[]' END) x WHERE x LIKE '%=%') THEN
        PERFORM helpdesk.validation_error('a synonym must not contain "="');
    END IF;
    groups := ARRAY(SELECT CASE WHEN jsonb_typeof(e) = 'string' THEN e #>> '{}'
                                ELSE (SELECT string_agg(x, ' = ') FROM jsonb_array_elements_text(e) x) END
                    FROM jsonb_array_elements(v) WITH ORDINALITY AS t(e, ord) ORDER BY t.ord);
    PERFORM helpdesk.kb_synonyms_replace(actor, groups);
    RETURN helpdesk.kb_synonyms_json();
END
$$;
