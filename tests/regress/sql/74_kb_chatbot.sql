-- The chatbot engine on the labelled corpus: intents in both languages, answers quoting a
-- passage, low confidence, ticket proposals and creation through ticket_create, ticket status by
-- number with visibility, conversations, deflection records, and the routes' bad input.
\set SHOW_CONTEXT never

INSERT INTO helpdesk.users (username, email, password_hash, full_name, role) VALUES
    ('cb_emp', 'cb_emp@example.com', '$2a$04$regressregressregressre', 'Chat Employee', 'Employee'),
    ('cb_emp2', 'cb_emp2@example.com', '$2a$04$regressregressregressre', 'Chat Other', 'Employee'),
    ('cb_staff', 'cb_staff@example.com', '$2a$04$regressregressregressre', 'Chat Staff', 'IT_Staff');
SELECT max(id) FILTER (WHERE username = 'cb_emp') AS emp, max(id) FILTER (WHERE username = 'cb_emp2') AS emp2,
       max(id) FILTER (WHERE username = 'cb_staff') AS staff
FROM helpdesk.users \gset

-- One message to the bot as user `who` at minute `m` of 2026-03-02 09:00 UTC, summarised: reply
-- type, intent, the start of the message, the articles' titles, a proposal's title and category.
CREATE FUNCTION pg_temp.chat(who int, msg text, conv int DEFAULT NULL, m int DEFAULT 0) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE r jsonb; st text; txt text;
BEGIN
    r := helpdesk.chatbot_reply((SELECT u FROM helpdesk.users u WHERE u.id = who), msg, conv,
                                timestamptz '2026-03-02 09:00+00' + m * interval '1 minute');
    RETURN jsonb_strip_nulls(jsonb_build_object(
        'type', r -> 'type', 'intent', r -> 'intent',
        'message', left(regexp_replace(r ->> 'message', 'TKT-[0-9]{4}-[0-9]+', 'TKT-<n>', 'g'), 90),
        'articles', (SELECT jsonb_agg(a -> 'title') FROM jsonb_array_elements(r -> 'articles') a),
        'proposal', CASE WHEN r ? 'proposal' THEN jsonb_build_object('title', r #> '{proposal,title}',
                                                                       'category', r #> '{proposal,categoryName}') END,
        'options', CASE WHEN jsonb_array_length(r -> 'options') > 0 THEN r -> 'options' END,
        'confident', CASE WHEN r ->> 'type' IN ('answer', 'suggestions', 'no_results') THEN (r ->> 'confidence')::real >= 0.45 END));
EXCEPTION WHEN OTHERS THEN
    GET STACKED DIAGNOSTICS st = RETURNED_SQLSTATE, txt = MESSAGE_TEXT;
    RETURN jsonb_build_object('error', st, 'message', regexp_replace(txt, 'ID [0-9]+', 'ID <id>'));
END $$;
-- The conversation a reply belongs to.
CREATE FUNCTION pg_temp.last_conv(who int) RETURNS int LANGUAGE sql AS $$
    SELECT max(id) FROM helpdesk.chatbot_conversations WHERE user_id = who $$;

-- intents, each in the user's language
SELECT m AS said, pg_temp.chat(:emp, m) AS reply FROM unnest(ARRAY[
    'Xin chào', 'hello there', 'help', 'trợ giúp', 'cam on ban'
]) AS m;

-- a question: the answer quotes the best article's passage (not its whole body), top three
SELECT pg_temp.chat(:emp, 'Máy in tầng 3 bị kẹt giấy, làm sao để lấy giấy ra?', NULL, 1);
SELECT pg_temp.last_conv(:emp) AS c1 \gset
SELECT length(m.message) < length(a.content) AS passage_not_body,
       m.message LIKE '%' || left(regexp_replace(helpdesk.kb_snippet(a.content, (helpdesk.kb_plan('kẹt giấy')).terms, 45, false), '…', '', 'g'), 20) || '%' AS quotes_passage
FROM helpdesk.chatbot_messages m, helpdesk.kb_articles a
WHERE m.conversation_id = :c1 AND m.sender = 'bot' AND a.title = 'Xử lý máy in bị kẹt giấy';
-- it worked: the deflection is recorded as solved
SELECT pg_temp.chat(:emp, 'Được rồi, cảm ơn bạn!', :c1, 2);
SELECT cardinality(articles_shown) AS shown, solved, ticket_id IS NULL AS no_ticket FROM helpdesk.chatbot_deflections WHERE conversation_id = :c1;

-- low confidence twice: the bot offers a ticket; "có" creates it through ticket_create
SELECT pg_temp.chat(:emp, 'Xin cấp thêm một chiếc ghế văn phòng mới cho phòng kế toán', NULL, 3);
SELECT pg_temp.last_conv(:emp) AS c2 \gset
SELECT pg_temp.chat(:emp, 'Ghế hiện tại bị gãy chân, ngồi rất nguy hiểm', :c2, 4);
SELECT pg_temp.chat(:emp, 'có', :c2, 5);
SELECT t.ticket_number ~ '^TKT-[0-9]{4}-[0-9]{4,}$' AS numbered, t.title, t.status, t.priority, c.name AS category,
       t.submitter_id = :emp AS submitted_by_user, t.description LIKE '%Ghế hiện tại bị gãy chân%' AS has_conversation,
       cv.ticket_id = t.id AS linked, cv.pending_ticket IS NULL AS proposal_closed
FROM helpdesk.chatbot_conversations cv JOIN helpdesk.tickets t ON t.id = cv.ticket_id JOIN helpdesk.categories c ON c.id = t.category_id
WHERE cv.id = :c2;
SELECT count(*) AS deflection_rows_without_articles FROM helpdesk.chatbot_deflections WHERE conversation_id = :c2;

-- an answer that did not help: a proposal; "không" cancels it; asking for a ticket offers it
-- again; "yes" creates it, and the deflection records the ticket created anyway
SELECT pg_temp.chat(:emp, 'VPN không kết nối được, FortiClient báo lỗi -7200', NULL, 6);
SELECT pg_temp.last_conv(:emp) AS c3 \gset
SELECT pg_temp.chat(:emp, 'vẫn không được', :c3, 7);
SELECT pg_temp.chat(:emp, 'không', :c3, 8);
SELECT pg_temp.chat(:emp, 'tạo ticket giúp tôi', :c3, 9);
SELECT pg_temp.chat(:emp, 'something else entirely about the weather', :c3, 10) ->> 'type' AS proposal_still_waits_reply,
       (SELECT pending_ticket IS NOT NULL FROM helpdesk.chatbot_conversations WHERE id = :c3) AS still_pending;
SELECT pg_temp.chat(:emp, 'yes', :c3, 11);
SELECT d.articles_shown IS NOT NULL AS shown, d.solved, d.ticket_id IS NOT NULL AS ticket_anyway,
       d.ticket_created_at = '2026-03-02 09:11+00' AS at_confirmation
FROM helpdesk.chatbot_deflections d WHERE d.conversation_id = :c3;

-- ticket status by number: an Employee learns about their own tickets only; staff about any
SELECT ticket_number AS own_ticket FROM helpdesk.tickets t JOIN helpdesk.chatbot_conversations c ON c.ticket_id = t.id WHERE c.id = :c2 \gset
SELECT pg_temp.chat(:emp, 'Trạng thái ticket ' || :'own_ticket' || ' thế nào?', NULL, 12) ->> 'type' AS own,
       pg_temp.chat(:emp2, 'status of ' || lower(:'own_ticket') || '?', NULL, 13) AS others,
       pg_temp.chat(:staff, 'what about ' || :'own_ticket', NULL, 14) ->> 'type' AS staff;
SELECT pg_temp.chat(:emp, 'trạng thái các ticket của tôi', NULL, 15);
SELECT pg_temp.chat(:emp2, 'my tickets', NULL, 16);

-- conversations: each user sees their own
SELECT jsonb_array_length(helpdesk.chat_conversations(u)) AS conversations,
       (helpdesk.chat_conversations(u) -> -1 ->> 'title') AS oldest_title
FROM helpdesk.users u WHERE u.id = :emp;
SELECT (d ->> 'messageCount')::int AS messages, d ->> 'ticketId' IS NOT NULL AS has_ticket,
       (SELECT jsonb_agg(jsonb_build_array(x ->> 'sender', x ->> 'intent', x ->> 'type')) FROM jsonb_array_elements(d -> 'messages') x) AS flow
FROM (SELECT helpdesk.chat_conversation_detail(u, :c3) AS d FROM helpdesk.users u WHERE u.id = :emp) x;
SELECT pg_temp.chat(:emp2, 'hello', :c3, 17);
CREATE FUNCTION pg_temp.api(fn text, actor int, req jsonb) RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE st text; msg text; det text; r jsonb;
BEGIN
    PERFORM set_config('helpdesk.actor_id', coalesce(actor::text, ''), false);
    EXECUTE format('SELECT helpdesk_api.%I($1)', fn) INTO r USING req;
    RETURN jsonb_build_object('type', r -> 'type', 'conversation', r ? 'conversationId', 'count', jsonb_array_length(CASE jsonb_typeof(r) WHEN 'array' THEN r END));
EXCEPTION WHEN OTHERS THEN
    GET STACKED DIAGNOSTICS st = RETURNED_SQLSTATE, msg = MESSAGE_TEXT, det = PG_EXCEPTION_DETAIL;
    RETURN jsonb_build_object('error', st, 'message', regexp_replace(msg, 'ID [0-9]+', 'ID <id>'));
END $$;
SELECT pg_temp.api('chatbot_conversation_get', :emp2, jsonb_build_object('path', jsonb_build_object('id', :c3)));
SELECT pg_temp.api('chatbot_conversations', :emp2, '{"query": {"limit": "1"}}');

-- the routes' input: message required, a non-empty string of at most 1000 characters
SELECT left(b, 60) AS body, pg_temp.api('chatbot_chat', :emp, jsonb_build_object('body', b::jsonb)) FROM unnest(ARRAY[
    '{}', '{"message": ""}', '{"message": "   "}', '{"message": 42}', '{"message": "' || repeat('x', 1001) || '"}',
    '{"message": "hi", "conversationId": "1"}', '{"message": "hi", "conversationId": 0}',
    '{"message": "hi", "conversationId": 2147483647}', '{"message": "hi", "mode": "llm"}',
    '{"message": "' || repeat('x', 1000) || '"}'
]) AS b;
SELECT pg_temp.api('chatbot_chat', NULL, '{"body": {"message": "hi"}}');

-- what the reports read
SELECT count(*) AS deflection_rows, count(*) FILTER (WHERE solved) AS solved,
       count(*) FILTER (WHERE ticket_id IS NOT NULL) AS ticket_anyway,
       count(*) FILTER (WHERE NOT solved AND ticket_id IS NULL) AS shown_no_outcome
FROM helpdesk.chatbot_deflections d JOIN helpdesk.users u ON u.id = d.user_id WHERE u.username LIKE 'cb_%';

-- a question asked again takes its articles from the search answers' cache (versioned like
-- search's answers): the same articles, no search
SELECT helpdesk.kb_cached(E'chat\x1fMy laptop will not connect to the office wifi') IS NULL AS not_cached_yet;
SELECT pg_temp.chat(:emp, 'My laptop will not connect to the office wifi') -> 'articles' AS first_time;
SELECT jsonb_array_length(helpdesk.kb_cached(E'chat\x1fMy laptop will not connect to the office wifi')) AS cached_articles;
SELECT pg_temp.chat(:emp, 'My laptop will not connect to the office wifi') -> 'articles' AS asked_again;
