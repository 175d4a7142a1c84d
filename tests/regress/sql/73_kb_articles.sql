-- Knowledge routes: roles, drafts, validation, the publish flow, votes, views, lists, stats,
-- synonyms. Timestamps are left out of the output (they come from now()).
\set SHOW_CONTEXT never

INSERT INTO helpdesk.users (username, email, password_hash, full_name, role) VALUES
    ('ka_admin', 'ka_admin@example.com', '$2a$04$regressregressregressre', 'KA Admin', 'Admin'),
    ('ka_staff', 'ka_staff@example.com', '$2a$04$regressregressregressre', 'KA Staff', 'IT_Staff'),
    ('ka_staff2', 'ka_staff2@example.com', '$2a$04$regressregressregressre', 'KA Staff Two', 'IT_Staff'),
    ('ka_emp', 'ka_emp@example.com', '$2a$04$regressregressregressre', 'KA Employee', 'Employee'),
    ('ka_gone', 'ka_gone@example.com', '$2a$04$regressregressregressre', 'KA Inactive', 'IT_Staff');
UPDATE helpdesk.users SET is_active = false WHERE username = 'ka_gone';
SELECT max(id) FILTER (WHERE username = 'ka_admin') AS admin, max(id) FILTER (WHERE username = 'ka_staff') AS staff,
       max(id) FILTER (WHERE username = 'ka_staff2') AS staff2, max(id) FILTER (WHERE username = 'ka_emp') AS emp,
       max(id) FILTER (WHERE username = 'ka_gone') AS gone
FROM helpdesk.users \gset
INSERT INTO helpdesk.categories (name) VALUES ('KA Guides'), ('KA Closed');
UPDATE helpdesk.categories SET is_active = false WHERE name = 'KA Closed';
SELECT id AS cat FROM helpdesk.categories WHERE name = 'KA Guides' \gset
SELECT id AS closed_cat FROM helpdesk.categories WHERE name = 'KA Closed' \gset

-- Calls a route as `actor` (NULL: anonymous) from client address `ip`; the value without its
-- timestamps, or the error's SQLSTATE, message and details.
CREATE FUNCTION pg_temp.call(fn text, actor int, req jsonb DEFAULT '{}', ip text DEFAULT '10.0.0.1') RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE st text; msg text; det text; result jsonb;
BEGIN
    PERFORM set_config('helpdesk.actor_id', coalesce(actor::text, ''), false);
    PERFORM set_config('helpdesk.client_ip', ip, false);
    EXECUTE format('SELECT helpdesk_api.%I($1)', fn) INTO result USING req;
    RETURN pg_temp.strip(result);
EXCEPTION WHEN OTHERS THEN
    GET STACKED DIAGNOSTICS st = RETURNED_SQLSTATE, msg = MESSAGE_TEXT, det = PG_EXCEPTION_DETAIL;
    RETURN jsonb_build_object('error', st, 'message', regexp_replace(msg, 'ID [0-9]+', 'ID <id>'))
           || CASE WHEN det <> '' THEN jsonb_build_object('details', det::jsonb) ELSE '{}' END;
END $$;
CREATE FUNCTION pg_temp.strip(j jsonb) RETURNS jsonb LANGUAGE sql AS $$
    SELECT CASE jsonb_typeof(j)
        WHEN 'object' THEN (SELECT coalesce(jsonb_object_agg(k, pg_temp.strip(v)), '{}') FROM jsonb_each(j) e(k, v)
                            WHERE k NOT IN ('createdAt', 'updatedAt', 'publishedAt', 'id', 'authorId', 'categoryId', 'author', 'category'))
        WHEN 'array' THEN (SELECT coalesce(jsonb_agg(pg_temp.strip(v) ORDER BY o), '[]') FROM jsonb_array_elements(j) WITH ORDINALITY a(v, o))
        ELSE j END
$$;
-- A new article by the API, its id.
CREATE FUNCTION pg_temp.new_article(actor int, body jsonb) RETURNS int LANGUAGE plpgsql AS $$
BEGIN
    PERFORM set_config('helpdesk.actor_id', actor::text, false);
    RETURN (helpdesk_api.knowledge_create(jsonb_build_object('body', body)) ->> 'id')::int;
END $$;
CREATE FUNCTION pg_temp.path(id int, body jsonb DEFAULT NULL) RETURNS jsonb LANGUAGE sql AS $$
    SELECT jsonb_build_object('path', jsonb_build_object('id', id), 'body', body) $$;

-- create: staff and admins; tags as a list or as "a, b, c"; the category must exist and be active
SELECT pg_temp.call('knowledge_create', :staff, jsonb_build_object('body', jsonb_build_object(
    'title', 'KA printer guide', 'content', 'Press the **reset** button. <b>Then</b> print.', 'categoryId', :cat,
    'tags', jsonb_build_array(' printer ', 'Printer', 'toner'), 'summary', 'How to reset')));
SELECT pg_temp.call('knowledge_create', :staff, jsonb_build_object('body', jsonb_build_object(
    'title', 'KA draft about scanners', 'content', 'Scanners scan.', 'categoryId', (:cat)::text, 'tags', 'scan, ,paper , SCAN')));
SELECT pg_temp.call('knowledge_create', :emp, jsonb_build_object('body', jsonb_build_object('title', 'x', 'content', 'y', 'categoryId', :cat)));
SELECT pg_temp.call('knowledge_create', NULL, jsonb_build_object('body', jsonb_build_object('title', 'x', 'content', 'y', 'categoryId', :cat)));
SELECT pg_temp.call('knowledge_create', :gone, jsonb_build_object('body', jsonb_build_object('title', 'x', 'content', 'y', 'categoryId', :cat)));
-- bad input: each a 400 with the reference's wording, nothing written
SELECT left(b, 70) AS body, pg_temp.call('knowledge_create', :admin, jsonb_build_object('body', replace(b, 'CLOSED', :'closed_cat')::jsonb)) AS result FROM unnest(ARRAY[
    '{}',
    '{"title": "T", "content": "C"}',
    '{"title": "", "content": "C", "categoryId": 1}',
    '{"title": "' || repeat('t', 201) || '", "content": "C", "categoryId": 1}',
    '{"title": "T", "content": "   ", "categoryId": 1}',
    '{"title": "T", "content": "C", "categoryId": "one"}',
    '{"title": "T", "content": "C", "categoryId": 0}',
    '{"title": "T", "content": "C", "categoryId": 999999}',
    '{"title": "T", "content": "C", "categoryId": CLOSED}',
    '{"title": "T", "content": "C", "categoryId": 1, "tags": [1, 2]}',
    '{"title": "T", "content": "C", "categoryId": 1, "tags": {"a": 1}}',
    '{"title": "T", "content": "C", "categoryId": 1, "tags": ["' || repeat('x', 51) || '"]}',
    '{"title": "T", "content": "C", "categoryId": 1, "isPublished": "yes"}',
    '{"title": "T", "content": "C", "categoryId": 1, "summary": "' || repeat('s', 501) || '"}',
    '{"title": "T", "content": "C", "categoryId": 1, "embedding": "[0.1]"}',
    '{"title": 5, "content": "C", "categoryId": 1}'
]) AS b;
SELECT count(*) AS articles_named_t FROM helpdesk.kb_articles WHERE title = 'T';

SELECT id AS guide FROM helpdesk.kb_articles WHERE title = 'KA printer guide' \gset
SELECT id AS draft FROM helpdesk.kb_articles WHERE title = 'KA draft about scanners' \gset

-- drafts: staff see them, nobody else; anonymous calls see published articles only
SELECT pg_temp.call('knowledge_publish', :staff2, pg_temp.path(:guide)) ->> 'isPublished' AS published_by_other_staff;
SELECT who, pg_temp.call('knowledge_get', actor, pg_temp.path(:draft)) ->> 'title' AS draft_title,
       pg_temp.call('knowledge_get', actor, pg_temp.path(:draft)) ->> 'message' AS refused
FROM (VALUES ('anonymous', NULL::int), ('employee', :emp), ('staff', :staff), ('admin', :admin)) v(who, actor);
SELECT pg_temp.call('knowledge_get', :emp, pg_temp.path(2147483647));
SELECT who, (SELECT jsonb_agg(a ->> 'title' ORDER BY a ->> 'title') FROM jsonb_array_elements(
           pg_temp.call('knowledge_list', actor, jsonb_build_object('query', jsonb_build_object('categoryId', (:cat)::text))) -> 'articles') a) AS titles
FROM (VALUES ('anonymous', NULL::int), ('employee', :emp), ('staff', :staff)) v(who, actor);
-- isPublished filters for staff only; others get published articles whatever they ask
SELECT pg_temp.call('knowledge_list', :staff, jsonb_build_object('query', jsonb_build_object('categoryId', (:cat)::text, 'isPublished', 'false'))) -> 'total' AS staff_drafts,
       pg_temp.call('knowledge_list', :emp, jsonb_build_object('query', jsonb_build_object('categoryId', (:cat)::text, 'isPublished', 'false'))) -> 'total' AS employee_drafts;

-- publish flow: twice is a 400; unpublish a draft is a 400; employees may not
SELECT pg_temp.call('knowledge_publish', :staff, pg_temp.path(:guide));
SELECT pg_temp.call('knowledge_unpublish', :staff, pg_temp.path(:draft));
SELECT pg_temp.call('knowledge_publish', :emp, pg_temp.path(:draft));
SELECT pg_temp.call('knowledge_publish', :staff, pg_temp.path(2147483647));
SELECT pg_temp.call('knowledge_publish', :staff, pg_temp.path(:draft)) ->> 'isPublished' AS published;
SELECT is_published, published_at IS NOT NULL AS has_date FROM helpdesk.kb_articles WHERE id = :draft;
SELECT pg_temp.call('knowledge_unpublish', :admin, pg_temp.path(:draft)) ->> 'isPublished' AS unpublished;
SELECT is_published, published_at IS NULL AS date_cleared FROM helpdesk.kb_articles WHERE id = :draft;

-- update and delete: the author or an Admin; other staff and employees may not
SELECT pg_temp.call('knowledge_update', :staff2, pg_temp.path(:guide, '{"title": "KA hijacked"}'));
SELECT pg_temp.call('knowledge_update', :emp, pg_temp.path(:guide, '{"title": "KA hijacked"}'));
SELECT pg_temp.call('knowledge_update', :staff, pg_temp.path(:guide, '{"title": "KA printer guide v2", "tags": ["printer", "toner"]}')) - 'content';
SELECT pg_temp.call('knowledge_update', :admin, pg_temp.path(:guide, '{"summary": "Reset and print", "isPublished": true}')) ->> 'summary' AS admin_edit;
SELECT pg_temp.call('knowledge_update', :staff, pg_temp.path(:guide, '{"views": 100}'));
SELECT pg_temp.call('knowledge_update', :staff, pg_temp.path(:guide, '{"categoryId": 999999}'));
SELECT pg_temp.call('knowledge_delete', :staff2, pg_temp.path(:draft));
SELECT pg_temp.call('knowledge_delete', :emp, pg_temp.path(:draft));

-- votes: one per user per article, a new vote replaces the old one; both body spellings; only
-- published articles; any user with a token
SELECT pg_temp.call('knowledge_vote', :emp, pg_temp.path(:guide, '{"helpful": true}')) - 'content' - 'title' - 'summary' - 'tags';
SELECT pg_temp.call('knowledge_vote', :emp, pg_temp.path(:guide, '{"helpful": true}')) -> 'helpfulVotes' AS same_vote_again;
SELECT pg_temp.call('knowledge_rate', :emp, pg_temp.path(:guide, '{"isHelpful": false, "feedback": "did not work"}'))
       -> 'notHelpfulCount' AS changed_vote;
SELECT pg_temp.call('knowledge_rate', :staff, pg_temp.path(:guide, '{"isHelpful": true}')) -> 'helpfulCount' AS second_user;
SELECT helpful_votes, not_helpful_votes, (SELECT count(*) FROM helpdesk.kb_votes WHERE article_id = :guide) AS vote_rows
FROM helpdesk.kb_articles WHERE id = :guide;
SELECT pg_temp.call('knowledge_vote', :emp, pg_temp.path(:draft, '{"helpful": true}'));
SELECT pg_temp.call('knowledge_vote', :staff, pg_temp.path(:draft, '{"helpful": true}'));
SELECT pg_temp.call('knowledge_vote', NULL, pg_temp.path(:guide, '{"helpful": true}'));
SELECT pg_temp.call('knowledge_vote', :emp, pg_temp.path(:guide, '{"helpful": "yes"}'));
SELECT pg_temp.call('knowledge_rate', :emp, pg_temp.path(:guide, '{"helpful": true}'));
SELECT pg_temp.call('knowledge_get', :emp, pg_temp.path(:guide)) -> 'myVote' AS my_vote;

-- views: once per reader per day; a user by id, an anonymous reader by address
SELECT view_count AS views_before FROM helpdesk.kb_articles WHERE id = :guide \gset
SELECT pg_temp.call('knowledge_get', NULL, pg_temp.path(:guide), '10.0.0.7') IS NOT NULL,
       pg_temp.call('knowledge_get', NULL, pg_temp.path(:guide), '10.0.0.7') IS NOT NULL,
       pg_temp.call('knowledge_get', NULL, pg_temp.path(:guide), '10.0.0.8') IS NOT NULL,
       pg_temp.call('knowledge_get', :staff, pg_temp.path(:guide), '10.0.0.7') IS NOT NULL;
SELECT view_count - :views_before AS new_views FROM helpdesk.kb_articles WHERE id = :guide;
SELECT (helpdesk.kb_view(u, :guide, '2026-03-01 10:00+07')).view_count - :views_before AS day1,
       (helpdesk.kb_view(u, :guide, '2026-03-01 23:59+07')).view_count - :views_before AS same_day,
       (helpdesk.kb_view(u, :guide, '2026-03-02 00:01+07')).view_count - :views_before AS next_day
FROM helpdesk.users u WHERE u.id = :admin;
SELECT pg_temp.call('knowledge_get', NULL, '{"path": {"id": 2147483647}}');

-- lists: filters, pagination, sorting, search in relevance order
SELECT pg_temp.call('knowledge_list', NULL, '{"query": {"tags": "PRINTER,nothing", "limit": "5"}}') - 'articles' AS by_tag,
       (SELECT jsonb_agg(a ->> 'title') FROM jsonb_array_elements(pg_temp.call('knowledge_list', NULL,
           '{"query": {"tags": "PRINTER,nothing", "limit": "5"}}') -> 'articles') a) AS titles;
SELECT pg_temp.call('knowledge_list', NULL, '{"query": {"limit": "2", "page": "2", "sortBy": "viewCount", "sortOrder": "asc"}}') - 'articles' AS page2;
SELECT (SELECT jsonb_agg(a ->> 'title') FROM jsonb_array_elements(pg_temp.call('knowledge_list', NULL,
           '{"query": {"search": "paper jam", "limit": "3"}}') -> 'articles') a) AS search_in_list;
SELECT q AS bad_query, pg_temp.call('knowledge_list', NULL, jsonb_build_object('query', q::jsonb)) FROM unnest(ARRAY[
    '{"limit": "0"}', '{"limit": "1001"}', '{"page": "x"}', '{"sortBy": "password"}', '{"sortOrder": "up"}',
    '{"categoryId": "abc"}', '{"isPublished": "maybe"}'
]) AS q;

-- search and suggest: q required and at most 200 characters, limit 1..50 (suggest 1..10)
SELECT pg_temp.call('knowledge_search', NULL, '{"query": {"q": "printer reset"}}') -> 0 -> 'title' AS first,
       pg_temp.call('knowledge_search', NULL, '{"query": {"q": "printer reset"}}') -> 0 ->> 'snippet' AS snippet;
SELECT q AS bad_search, pg_temp.call('knowledge_search', NULL, jsonb_build_object('query', q::jsonb)) FROM unnest(ARRAY[
    '{}', '{"q": "   "}', '{"q": "' || repeat('a', 201) || '"}', '{"q": "x", "limit": "51"}', '{"q": "x", "limit": "-1"}'
]) AS q;
SELECT (SELECT jsonb_agg(a ->> 'title') FROM jsonb_array_elements(pg_temp.call('knowledge_search', NULL, '{"query": {"q": "scanners"}}')) a) AS public_search,
       (SELECT jsonb_agg(a ->> 'title') FROM jsonb_array_elements(pg_temp.call('knowledge_search', :staff, '{"query": {"q": "scanners"}}')) a) AS staff_search;
SELECT pg_temp.call('knowledge_suggest', NULL, '{"query": {"q": "KA prin"}}') AS suggest;
SELECT pg_temp.call('knowledge_suggest', NULL, '{"query": {"q": "x", "limit": "11"}}');

-- stats (staff), popular, recent, by category, categories and tags of published articles
SELECT pg_temp.call('knowledge_stats', :emp);
SELECT (pg_temp.call('knowledge_stats', :staff) ->> 'total')::int = (SELECT count(*) FROM helpdesk.kb_articles) AS stats_total_ok,
       (pg_temp.call('knowledge_stats', :staff) ->> 'draft')::int = (SELECT count(*) FROM helpdesk.kb_articles WHERE NOT is_published) AS stats_draft_ok;
SELECT jsonb_array_length(pg_temp.call('knowledge_popular', NULL, '{"query": {"limit": "3"}}')) AS popular,
       (SELECT bool_and((a ->> 'viewCount')::int >= (b ->> 'viewCount')::int)
        FROM jsonb_array_elements(pg_temp.call('knowledge_popular', NULL, '{"query": {"limit": "20"}}')) WITH ORDINALITY x(a, i)
        JOIN jsonb_array_elements(pg_temp.call('knowledge_popular', NULL, '{"query": {"limit": "20"}}')) WITH ORDINALITY y(b, j) ON j = i + 1) AS by_views;
SELECT jsonb_array_length(pg_temp.call('knowledge_recent', NULL, '{"query": {"limit": "4"}}')) AS recent;
SELECT (SELECT jsonb_agg(a ->> 'title') FROM jsonb_array_elements(pg_temp.call('knowledge_by_category', NULL,
           jsonb_build_object('path', jsonb_build_object('category', (:cat)::text)))) a) AS guides_category;
SELECT pg_temp.call('knowledge_by_category', NULL, '{"path": {"category": "abc"}}');
SELECT pg_temp.call('knowledge_categories', NULL) ? (:cat)::text AS has_category,
       pg_temp.call('knowledge_categories', NULL) ? (:closed_cat)::text AS has_empty_category;
SELECT pg_temp.call('knowledge_tags', NULL) @> '["printer"]' AS has_printer,
       pg_temp.call('knowledge_tags', NULL) @> '["scan"]' AS has_draft_tag;

-- synonyms: staff read them, an Admin replaces the admins' groups (the glossary stays)
SELECT pg_temp.call('knowledge_synonyms_get', :emp);
SELECT jsonb_array_length(pg_temp.call('knowledge_synonyms_get', :staff)) > 50 AS glossary_listed;
SELECT pg_temp.call('knowledge_synonyms_put', :staff, '{"body": {"synonyms": ["a = b"]}}');
SELECT pg_temp.call('knowledge_synonyms_put', :admin, '{"body": {"synonyms": [["toner", "mực in", "ink"], "ka-scan = scanner"]}}')
       @? '$[*] ? (@.text == "toner = mực in = ink" && @.builtin == false)' AS replaced;
SELECT b AS bad_synonyms, pg_temp.call('knowledge_synonyms_put', :admin, jsonb_build_object('body', b::jsonb)) FROM unnest(ARRAY[
    '{}', '{"synonyms": "a = b"}', '{"synonyms": [1]}', '{"synonyms": [["a", 2]]}', '{"synonyms": [["a=b", "c"]]}',
    '{"synonyms": ["only one"]}', '{"synonyms": ["wifi = Wi-Fi"]}', '{"synonyms": [], "extra": 1}'
]) AS b;
SELECT count(*) AS admin_groups_after_errors FROM helpdesk.kb_synonyms WHERE NOT builtin;
SELECT pg_temp.call('knowledge_search', NULL, '{"query": {"q": "mực in"}}') -> 0 ->> 'title' AS synonym_used;

-- delete by the author: votes and views go with it
SELECT pg_temp.call('knowledge_delete', :staff, pg_temp.path(:draft));
SELECT pg_temp.call('knowledge_delete', :admin, pg_temp.path(:guide));
SELECT count(*) AS left_over FROM helpdesk.kb_articles WHERE id IN (:guide, :draft);
SELECT (SELECT count(*) FROM helpdesk.kb_votes WHERE article_id = :guide) + (SELECT count(*) FROM helpdesk.kb_views WHERE article_id = :guide) AS orphans;
SELECT pg_temp.call('knowledge_delete', :admin, pg_temp.path(:guide));
SELECT action, count(*) FROM helpdesk.audit_logs WHERE action LIKE '%ARTICLE%' OR action LIKE 'UPDATE_KB%' GROUP BY action ORDER BY action;
