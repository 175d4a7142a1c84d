-- 72_chatbot: the offline self-service chatbot (seed-system §2.16, §3.8, issue 10): one engine
-- in the database behind the three chat routes, conversations, and deflection records.
--
-- The engine (helpdesk.chatbot_reply) needs nothing outside the database:
-- - Intents, from the message folded like search folds it (so "cam on" is "cảm ơn"), in
--   Vietnamese and English: greeting, thanks (and "it worked": the problem is solved), help,
--   the status of a ticket by its number (an Employee only sees their own tickets), "my
--   tickets", "create a ticket", "it did not help", and questions.
-- - Questions go to helpdesk.kb_search (published articles only). Its confidence (0..1: the
--   share of the query the best article matches, weighted by how telling each word is) decides
--   the answer: at or above 'chatbot_answer_confidence' (default 0.45) the bot answers with the
--   most relevant passage of the best article (not its whole body) and the top three articles;
--   at or above 'chatbot_low_confidence' (default 0.25) it offers the same passage more
--   tentatively and names the other articles (a weak answer, counted as low confidence); below,
--   it says it has nothing good. The articles found for a message are kept in the search
--   answers' cache (helpdesk.kb_cached, versioned like search's), so a question asked again
--   costs no search.
-- - A ticket is offered when the user asks for one, says an answer did not help, or the bot's
--   confidence was low twice in a row in the conversation. The proposal (title: the user's
--   first question; description: what the user wrote, and the articles shown; category: the
--   best article's, else "Other") waits in the conversation; a confirming message creates the
--   ticket through helpdesk.ticket_create, the domain function behind POST /tickets, and the
--   answer gives its number. Anything else leaves the proposal open.
-- - Replies are in the language of the message (diacritics or Vietnamese words: Vietnamese).
--
-- Deflection, for the reports module: helpdesk.chatbot_deflections has one row per conversation
-- in which the bot showed articles: which (articles_shown), whether the user then said the
-- problem was solved (solved, solved_at), and whether a ticket was created from the
-- conversation anyway (ticket_id, ticket_created_at). Deflected = shown and no ticket.

CREATE TYPE helpdesk.chat_sender AS ENUM ('user', 'bot');
CREATE TYPE helpdesk.chat_intent AS ENUM (
    'greeting', 'thanks', 'help', 'ticket_status', 'my_tickets', 'create_ticket', 'confirm',
    'decline', 'not_solved', 'question');

CREATE TABLE helpdesk.chatbot_conversations (
    id                   serial PRIMARY KEY,
    user_id              int NOT NULL REFERENCES helpdesk.users (id) ON DELETE CASCADE,
    language             text NOT NULL DEFAULT 'vi' CHECK (language IN ('vi', 'en')),
    low_confidence_count int NOT NULL DEFAULT 0 CHECK (low_confidence_count >= 0),
    pending_ticket       jsonb,      -- a proposed ticket waiting for confirmation
    ticket_id            int REFERENCES helpdesk.tickets (id) ON DELETE SET NULL,
    started_at           timestamptz NOT NULL DEFAULT now(),
    last_message_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX chatbot_conversations_user_idx ON helpdesk.chatbot_conversations (user_id, last_message_at DESC, id DESC);

CREATE TABLE helpdesk.chatbot_messages (
    id              bigserial PRIMARY KEY,
    conversation_id int NOT NULL REFERENCES helpdesk.chatbot_conversations (id) ON DELETE CASCADE,
    sender          helpdesk.chat_sender NOT NULL,
    message         text NOT NULL,
    intent          helpdesk.chat_intent,
    reply_type      varchar(30),
    confidence      real CHECK (confidence BETWEEN 0 AND 1),
    articles        int[] NOT NULL DEFAULT '{}',
    created_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX chatbot_messages_conversation_idx ON helpdesk.chatbot_messages (conversation_id, id);

CREATE TABLE helpdesk.chatbot_deflections (
    conversation_id   int PRIMARY KEY REFERENCES helpdesk.chatbot_conversations (id) ON DELETE CASCADE,
    user_id           int NOT NULL REFERENCES helpdesk.users (id) ON DELETE CASCADE,
    articles_shown    int[] NOT NULL CHECK (cardinality(articles_shown) > 0),
    first_shown_at    timestamptz NOT NULL,
    solved            boolean NOT NULL DEFAULT false,
    solved_at         timestamptz,
    ticket_id         int REFERENCES helpdesk.tickets (id) ON DELETE SET NULL,
    ticket_created_at timestamptz,
    CHECK (solved = (solved_at IS NOT NULL))
);
CREATE INDEX chatbot_deflections_shown_idx ON helpdesk.chatbot_deflections (first_shown_at);
COMMENT ON TABLE helpdesk.chatbot_deflections IS
    'One row per chatbot conversation that showed knowledge articles: deflected when no ticket followed';
COMMENT ON COLUMN helpdesk.chatbot_deflections.articles_shown IS 'knowledge article ids shown, in the order first shown';
COMMENT ON COLUMN helpdesk.chatbot_deflections.first_shown_at IS 'when the first article was shown';
COMMENT ON COLUMN helpdesk.chatbot_deflections.solved IS 'the user said afterwards that the problem was solved';
COMMENT ON COLUMN helpdesk.chatbot_deflections.ticket_id IS 'the ticket created from this conversation after articles were shown, if any';

SELECT pg_catalog.pg_extension_config_dump('helpdesk.chatbot_conversations', '');
SELECT pg_catalog.pg_extension_config_dump('helpdesk.chatbot_conversations_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('helpdesk.chatbot_messages', '');
SELECT pg_catalog.pg_extension_config_dump('helpdesk.chatbot_messages_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('helpdesk.chatbot_deflections', '');

-- ==== language ====

-- The message as intents read it: its words folded, padded with spaces (' xin chao ban ').
CREATE FUNCTION helpdesk.chat_fold(t text)
RETURNS text
LANGUAGE sql STABLE
AS $$
    SELECT ' ' || coalesce(pg_catalog.string_agg(w.fold, ' ' ORDER BY w.pos), '') || ' '
    FROM helpdesk.kb_query_words(t) w
$$;

-- 'vi' when the message has diacritics, or more common Vietnamese words typed without them than
-- English ones; else 'en'.
CREATE FUNCTION helpdesk.chat_language(t text)
RETURNS text
LANGUAGE sql STABLE
AS $$
    SELECT CASE WHEN bool_or(w.accented) THEN 'vi'
                WHEN count(*) FILTER (WHERE w.fold = ANY (ARRAY[
                         'khong', 'duoc', 'toi', 'minh', 'cua', 'lam', 'giup', 'chao', 'nhe', 'loi', 'tao', 'cach',
                         'hoi', 'nhu', 'roi', 'oi', 'voi', 'nhung', 'nay', 'sao', 'cam', 'xin', 'ban', 'em', 'anh',
                         'ket', 'noi', 'mat', 'khau', 'may', 'tinh', 'bao', 'nhieu', 'gi', 'dau', 'nao', 'vui', 'long']))
                   > count(*) FILTER (WHERE w.fold = ANY (ARRAY[
                         'the', 'is', 'my', 'how', 'what', 'can', 'not', 'i', 'to', 'please', 'hello', 'thanks', 'thank',
                         'you', 'it', 'a', 'do', 'does', 'why', 'where', 'when', 'help', 'with', 'and', 'of', 'in', 'on']))
                THEN 'vi' ELSE 'en' END
    FROM helpdesk.kb_query_words(t) w
$$;

-- The bot's sentences, in one place. %s: filled by format() where a sentence has them.
CREATE FUNCTION helpdesk.chat_text(key text, lang text)
RETURNS text
LANGUAGE sql IMMUTABLE
AS $$
    SELECT CASE lang || ':' || key
        WHEN 'vi:greeting' THEN 'Xin chào %s! Tôi là trợ lý IT. Bạn cần hỗ trợ gì? Hãy mô tả vấn đề, tôi sẽ tìm hướng dẫn phù hợp.'
        WHEN 'en:greeting' THEN 'Hello %s! I am the IT assistant. What can I help you with? Describe the problem and I will look for a guide.'
        WHEN 'vi:help' THEN 'Tôi có thể: tìm hướng dẫn trong kho kiến thức, xem trạng thái ticket (ví dụ: TKT-2026-0001), và tạo ticket hỗ trợ cho bạn.'
        WHEN 'en:help' THEN 'I can search the knowledge base for a guide, tell you the status of a ticket (for example TKT-2026-0001), and create a support ticket for you.'
        WHEN 'vi:thanks' THEN 'Rất vui vì đã giúp được bạn! Nếu cần gì thêm, cứ nhắn cho tôi.'
        WHEN 'en:thanks' THEN 'Glad I could help! Message me any time you need something else.'
        WHEN 'vi:answer' THEN 'Theo bài viết "%s":' || chr(10) || chr(10) || '%s'
        WHEN 'en:answer' THEN 'From the article "%s":' || chr(10) || chr(10) || '%s'
        WHEN 'vi:suggestions' THEN 'Có thể bài viết "%s" giúp được bạn:' || chr(10) || chr(10) || '%s'
        WHEN 'en:suggestions' THEN 'The article "%s" may help:' || chr(10) || chr(10) || '%s'
        WHEN 'vi:more_articles' THEN 'Các bài viết liên quan khác:'
        WHEN 'en:more_articles' THEN 'Other related articles:'
        WHEN 'vi:no_results' THEN 'Xin lỗi, tôi chưa tìm thấy hướng dẫn phù hợp. Bạn có thể mô tả rõ hơn không?'
        WHEN 'en:no_results' THEN 'Sorry, I could not find a matching guide. Could you describe the problem in more detail?'
        WHEN 'vi:proposal' THEN 'Tôi sẽ tạo ticket "%s" (danh mục %s) với nội dung cuộc trò chuyện. Bạn có muốn tạo không? Trả lời "có" để tạo hoặc "không" để hủy.'
        WHEN 'en:proposal' THEN 'I can create the ticket "%s" (category %s) from our conversation. Shall I? Reply "yes" to create it or "no" to cancel.'
        WHEN 'vi:ticket_created' THEN 'Đã tạo ticket %s. Bộ phận IT sẽ liên hệ với bạn sớm.'
        WHEN 'en:ticket_created' THEN 'Ticket %s has been created. IT will get back to you soon.'
        WHEN 'vi:ticket_cancelled' THEN 'Đã hủy, tôi không tạo ticket. Tôi có thể giúp gì khác?'
        WHEN 'en:ticket_cancelled' THEN 'Cancelled, no ticket was created. Anything else I can do?'
        WHEN 'vi:ticket_status' THEN 'Ticket %s "%s": trạng thái %s, độ ưu tiên %s, người xử lý: %s.'
        WHEN 'en:ticket_status' THEN 'Ticket %s "%s": status %s, priority %s, assignee: %s.'
        WHEN 'vi:ticket_not_found' THEN 'Tôi không tìm thấy ticket %s trong các ticket bạn được xem.'
        WHEN 'en:ticket_not_found' THEN 'I cannot find ticket %s among the tickets you may see.'
        WHEN 'vi:my_tickets' THEN 'Các ticket gần đây của bạn:'
        WHEN 'en:my_tickets' THEN 'Your recent tickets:'
        WHEN 'vi:no_tickets' THEN 'Bạn chưa có ticket nào.'
        WHEN 'en:no_tickets' THEN 'You have no tickets yet.'
        WHEN 'vi:unassigned' THEN 'chưa phân công'
        WHEN 'en:unassigned' THEN 'not assigned yet'
        WHEN 'vi:default_title' THEN 'Yêu cầu hỗ trợ từ chatbot'
        WHEN 'en:default_title' THEN 'Support request from the chatbot'
        WHEN 'vi:description' THEN 'Yêu cầu tạo từ cuộc trò chuyện với chatbot:'
        WHEN 'en:description' THEN 'Request created from a chatbot conversation:'
        WHEN 'vi:articles_seen' THEN 'Bài viết đã xem:'
        WHEN 'en:articles_seen' THEN 'Articles shown:'
    END
$$;

-- Suggested replies shown as buttons, per reply type.
CREATE FUNCTION helpdesk.chat_suggestions(reply_type text, lang text)
RETURNS jsonb
LANGUAGE sql IMMUTABLE
AS $$
    SELECT CASE lang || ':' || reply_type
        WHEN 'vi:greeting' THEN '["Quên mật khẩu", "Không kết nối được VPN", "Máy in bị kẹt giấy", "Tạo ticket"]'
        WHEN 'en:greeting' THEN '["I forgot my password", "VPN does not connect", "Printer paper jam", "Create a ticket"]'
        WHEN 'vi:answer' THEN '["Đã giải quyết được", "Vẫn không được", "Tạo ticket"]'
        WHEN 'en:answer' THEN '["That solved it", "It did not help", "Create a ticket"]'
        WHEN 'vi:suggestions' THEN '["Đã giải quyết được", "Vẫn không được", "Tạo ticket"]'
        WHEN 'en:suggestions' THEN '["That solved it", "It did not help", "Create a ticket"]'
        WHEN 'vi:no_results' THEN '["Tạo ticket hỗ trợ", "Thử tìm kiếm khác", "Liên hệ IT"]'
        WHEN 'en:no_results' THEN '["Create a support ticket", "Try another search", "Contact IT"]'
        WHEN 'vi:ticket_proposal' THEN '["Có", "Không"]'
        WHEN 'en:ticket_proposal' THEN '["Yes", "No"]'
        WHEN 'vi:help' THEN '["Quên mật khẩu", "Trạng thái ticket của tôi", "Tạo ticket"]'
        WHEN 'en:help' THEN '["I forgot my password", "Status of my tickets", "Create a ticket"]'
        ELSE '[]'
    END::jsonb
$$;

-- The intent of a message, from its folded words (chat_fold) and its raw text. pending: a
-- ticket proposal waits; shown: this conversation has shown articles.
CREATE FUNCTION helpdesk.chat_intent_of(raw text, folded text, pending boolean, shown boolean)
RETURNS helpdesk.chat_intent
LANGUAGE plpgsql IMMUTABLE
AS $$
DECLARE
    nwords int := coalesce(array_length(regexp_split_to_array(btrim(folded), ' '), 1), 0);
BEGIN
    IF btrim(folded) = '' THEN
        nwords := 0;
    END IF;
    IF pending AND nwords <= 4 AND folded ~ '^ (yes|y|yeah|yep|ok|okay|sure|confirm|please do|go ahead|create it|do it|co|dong y|xac nhan|tao di|tao|tao ticket|tao giup|u|vang|duoc|ok tao|lam di)( |$)' THEN
        RETURN 'confirm';
    END IF;
    IF pending AND nwords <= 4 AND folded ~ '^ (no|nope|cancel|dont|do not|khong|thoi|huy|khong can|khong tao|bo qua)( |$)' THEN
        RETURN 'decline';
    END IF;
    IF raw ~* 'TKT-[0-9]{4}-[0-9]+' THEN
        RETURN 'ticket_status';
    END IF;
    IF folded ~ ' (tao|mo|gui|lap) (mot |1 )?(ticket|yeu cau|phieu)| (create|open|raise|log|submit|file|new) (a |an |one )?(support )?(ticket|request) | talk to (a |an )?(human|person|agent|someone|technician) | (gap|noi chuyen voi) (nhan vien|nguoi|ky thuat)| lien he (it|ky thuat) | contact it ' THEN
        RETURN 'create_ticket';
    END IF;
    IF nwords <= 8 AND folded ~ ' (ticket|tickets|yeu cau|phieu) ' AND folded ~ ' (cua toi|cua minh|my|status|trang thai|tinh trang) ' THEN
        RETURN 'my_tickets';
    END IF;
    IF shown AND nwords <= 8 AND folded ~ ' (van khong|van chua|chua duoc|khong duoc|khong giup|khong hieu qua|not work|didnt work|doesnt work|did not work|does not work|not working|still not|still doesnt|still broken|not solved|not helpful|no luck|did not help|didnt help) ' THEN
        RETURN 'not_solved';
    END IF;
    IF nwords <= 8 AND folded ~ ' (cam on|cam on ban|thanks|thank you|thank|thx|tks|it worked|that worked|works now|solved|fixed|da duoc|duoc roi|on roi|xong roi|ok roi|giai quyet duoc|da giai quyet|het loi|that solved it) ' THEN
        RETURN 'thanks';
    END IF;
    IF nwords <= 6 AND folded ~ '^ (xin chao|chao|hello|hi|hey|good morning|good afternoon|good evening|alo)( |$)' THEN
        RETURN 'greeting';
    END IF;
    IF nwords <= 5 AND folded ~ ' (help|tro giup|ho tro|giup do|what can you do|ban lam duoc gi|huong dan su dung|menu) ' THEN
        RETURN 'help';
    END IF;
    RETURN 'question';
END
$$;

-- ==== conversations ====

-- The conversation `actor` continues (404 for a missing one or somebody else's), or a new one.
CREATE FUNCTION helpdesk.chat_conversation(actor helpdesk.users, conversation_id int, lang text,
                                           at timestamptz DEFAULT now())
RETURNS helpdesk.chatbot_conversations
LANGUAGE plpgsql
AS $$
DECLARE
    c helpdesk.chatbot_conversations;
BEGIN
    IF conversation_id IS NULL THEN
        INSERT INTO helpdesk.chatbot_conversations (user_id, language, started_at, last_message_at)
        VALUES (actor.id, lang, at, at)
        RETURNING * INTO c;
        RETURN c;
    END IF;
    SELECT * INTO c FROM helpdesk.chatbot_conversations
    WHERE id = conversation_id AND user_id = actor.id FOR UPDATE;
    IF NOT FOUND THEN
        PERFORM helpdesk.http_error(404, format('Conversation with ID %s not found', conversation_id));
    END IF;
    RETURN c;
END
$$;

-- The ticket the conversation leads to: title from the user's first question, description from
-- what the user wrote and the articles shown, category of the best article (else "Other", else
-- the first active category), priority Medium. Meets POST /tickets' rules (title 5..255,
-- description 10 and more).
CREATE FUNCTION helpdesk.chat_ticket_proposal(conv helpdesk.chatbot_conversations, lang text)
RETURNS jsonb
LANGUAGE plpgsql
AS $$
DECLARE
    questions text[];
    title text;
    description text;
    category helpdesk.categories;
    shown text;
BEGIN
    questions := ARRAY(SELECT btrim(regexp_replace(m.message, '\s+', ' ', 'g'))
                       FROM helpdesk.chatbot_messages m
                       WHERE m.conversation_id = conv.id AND m.sender = 'user'
                         AND m.intent IN ('question', 'not_solved', 'create_ticket')
                       ORDER BY m.id);
    title := (SELECT q FROM unnest(ARRAY(SELECT btrim(regexp_replace(m.message, '\s+', ' ', 'g'))
                                         FROM helpdesk.chatbot_messages m
                                         WHERE m.conversation_id = conv.id AND m.sender = 'user'
                                           AND m.intent = 'question' ORDER BY m.id)) q
              WHERE length(q) >= 5 LIMIT 1);
    IF title IS NULL THEN
        title := helpdesk.chat_text('default_title', lang);
    ELSIF length(title) > 100 THEN
        title := rtrim(substring(title FROM '^(.{1,97})(\s|$)')) || '…';
        IF length(title) < 5 THEN
            title := left(btrim(regexp_replace(questions[1], '\s+', ' ', 'g')), 97) || '…';
        END IF;
    END IF;
    shown := (SELECT string_agg(a.title, ', ' ORDER BY u.ord)
              FROM helpdesk.chatbot_deflections d, unnest(d.articles_shown) WITH ORDINALITY AS u(id, ord)
              JOIN helpdesk.kb_articles a ON a.id = u.id
              WHERE d.conversation_id = conv.id);
    description := helpdesk.chat_text('description', lang) || chr(10)
                   || coalesce((SELECT string_agg('- ' || q, chr(10)) FROM unnest(questions) q), '- ' || title)
                   || CASE WHEN shown IS NOT NULL THEN chr(10) || helpdesk.chat_text('articles_seen', lang) || ' ' || shown ELSE '' END;
    -- the category of an article that answers the questions well enough to say what they are about
    SELECT c.* INTO category
    FROM helpdesk.kb_search(array_to_string(questions, ' '), 1) s
    JOIN helpdesk.kb_articles a ON a.id = s.article_id
    JOIN helpdesk.categories c ON c.id = a.category_id AND c.is_active
    WHERE s.confidence >= helpdesk.setting('chatbot_low_confidence', '0.25')::real;
    IF NOT FOUND THEN
        SELECT * INTO category FROM helpdesk.categories c WHERE c.is_active
        ORDER BY lower(c.name) <> 'other', c.display_order, c.id LIMIT 1;
    END IF;
    IF category.id IS NULL THEN
        RETURN NULL;    -- no active category: no ticket can be created
    END IF;
    RETURN jsonb_build_object('title', left(title, 255), 'description', description,
                              'categoryId', category.id, 'categoryName', category.name, 'priority', 'Medium');
END
$$;

-- Records articles shown in a conversation (deflection).
CREATE FUNCTION helpdesk.chat_record_shown(conv helpdesk.chatbot_conversations, articles int[], at timestamptz)
RETURNS void
LANGUAGE plpgsql
AS $$
BEGIN
    IF cardinality(articles) = 0 THEN
        RETURN;
    END IF;
    INSERT INTO helpdesk.chatbot_deflections AS d (conversation_id, user_id, articles_shown, first_shown_at)
    VALUES (conv.id, conv.user_id, articles, at)
    ON CONFLICT (conversation_id) DO UPDATE
        SET articles_shown = d.articles_shown
                             || ARRAY(SELECT x FROM unnest(excluded.articles_shown) WITH ORDINALITY AS u(x, o)
                                      WHERE NOT x = ANY (d.articles_shown) ORDER BY o);
END
$$;

-- THE engine: the bot's answer to `message` from `actor` in conversation `conversation_id`
-- (NULL: a new one), as the chat routes return it: {type, message, suggestions, options,
-- articles [{id, title, snippet, score, confidence}], confidence, conversationId, intent} plus
-- `proposal` (a ticket offered) or `ticket` (a ticket created) or `tickets` (my tickets).
CREATE FUNCTION helpdesk.chatbot_reply(actor helpdesk.users, message text, conversation_id int DEFAULT NULL,
                                       at timestamptz DEFAULT now())
RETURNS jsonb
LANGUAGE plpgsql
AS $$
DECLARE
    lang text := helpdesk.chat_language(message);
    conv helpdesk.chatbot_conversations;
    folded text := helpdesk.chat_fold(message);
    shown boolean;
    intent helpdesk.chat_intent;
    reply_type text;
    text_out text;
    confidence real := NULL;
    articles jsonb := '[]';
    article_ids int[] := '{}';
    extra jsonb := '{}';
    options jsonb := '[]';
    low int;
    pending jsonb;
    t helpdesk.tickets;
    hit record;
    found_articles jsonb;
    answer_at real := helpdesk.setting('chatbot_answer_confidence', '0.45')::real;
    low_at real := helpdesk.setting('chatbot_low_confidence', '0.25')::real;
BEGIN
    IF actor.id IS NULL THEN
        PERFORM helpdesk.http_error(401, 'Invalid token or user not found');
    END IF;
    conv := helpdesk.chat_conversation(actor, conversation_id, lang, at);
    shown := EXISTS (SELECT FROM helpdesk.chatbot_deflections d WHERE d.conversation_id = conv.id);
    intent := helpdesk.chat_intent_of(message, folded, conv.pending_ticket IS NOT NULL, shown);
    INSERT INTO helpdesk.chatbot_messages (conversation_id, sender, message, intent, created_at)
    VALUES (conv.id, 'user', message, intent, at);
    low := conv.low_confidence_count;
    pending := conv.pending_ticket;

    IF intent = 'confirm' THEN
        -- the proposal is checked again: its category may have been deactivated since
        IF NOT EXISTS (SELECT FROM helpdesk.categories c WHERE c.id = (pending ->> 'categoryId')::int AND c.is_active) THEN
            pending := helpdesk.chat_ticket_proposal(conv, lang);
        END IF;
        t := helpdesk.ticket_create(actor, pending ->> 'title', pending ->> 'description',
                                    (pending ->> 'categoryId')::int, (pending ->> 'priority')::helpdesk.ticket_priority, at);
        reply_type := 'ticket_created';
        text_out := format(helpdesk.chat_text('ticket_created', lang), t.ticket_number);
        extra := jsonb_build_object('ticket', jsonb_build_object('id', t.id, 'ticketNumber', t.ticket_number,
                                                                 'title', t.title, 'status', t.status));
        UPDATE helpdesk.chatbot_deflections SET ticket_id = t.id, ticket_created_at = at
        WHERE chatbot_deflections.conversation_id = conv.id;
        conv.ticket_id := t.id;
        pending := NULL;
        low := 0;
    ELSIF intent = 'decline' THEN
        reply_type := 'ticket_cancelled';
        text_out := helpdesk.chat_text('ticket_cancelled', lang);
        pending := NULL;
        low := 0;
    ELSIF intent = 'greeting' THEN
        reply_type := 'greeting';
        text_out := format(helpdesk.chat_text('greeting', lang), actor.full_name);
        confidence := 1;
    ELSIF intent = 'thanks' THEN
        reply_type := 'thanks';
        text_out := helpdesk.chat_text('thanks', lang);
        UPDATE helpdesk.chatbot_deflections SET solved = true, solved_at = at
        WHERE chatbot_deflections.conversation_id = conv.id AND NOT solved;
        low := 0;
        pending := NULL;
    ELSIF intent = 'help' THEN
        reply_type := 'help';
        text_out := helpdesk.chat_text('help', lang);
        options := jsonb_build_array(
            jsonb_build_object('text', CASE lang WHEN 'vi' THEN 'Tìm hướng dẫn' ELSE 'Search the knowledge base' END, 'action', 'search'),
            jsonb_build_object('text', CASE lang WHEN 'vi' THEN 'Tạo ticket' ELSE 'Create a ticket' END, 'action', 'create_ticket'),
            jsonb_build_object('text', CASE lang WHEN 'vi' THEN 'Xem ticket của tôi' ELSE 'Check my tickets' END, 'action', 'check_tickets'));
    ELSIF intent = 'ticket_status' THEN
        reply_type := 'ticket_status';
        SELECT * INTO t FROM helpdesk.tickets tk WHERE tk.ticket_number = upper(substring(message FROM '(?i)TKT-[0-9]{4}-[0-9]+'));
        IF t.id IS NULL OR (actor.role = 'Employee' AND t.submitter_id <> actor.id) THEN
            -- an Employee is told nothing about other people's tickets, not even that they exist
            text_out := format(helpdesk.chat_text('ticket_not_found', lang), upper(substring(message FROM '(?i)TKT-[0-9]{4}-[0-9]+')));
        ELSE
            text_out := format(helpdesk.chat_text('ticket_status', lang), t.ticket_number, t.title, t.status, t.priority,
                               coalesce((SELECT u.full_name::text FROM helpdesk.users u WHERE u.id = t.assignee_id),
                                        helpdesk.chat_text('unassigned', lang)));
            extra := jsonb_build_object('ticket', jsonb_build_object(
                'id', t.id, 'ticketNumber', t.ticket_number, 'title', t.title, 'status', t.status,
                'priority', t.priority, 'dueDate', helpdesk.iso(t.due_date), 'updatedAt', helpdesk.iso(t.updated_at)));
            confidence := 1;
        END IF;
    ELSIF intent = 'my_tickets' THEN
        reply_type := 'my_tickets';
        extra := jsonb_build_object('tickets', coalesce((
            SELECT jsonb_agg(jsonb_build_object('id', x.id, 'ticketNumber', x.ticket_number, 'title', x.title,
                                                'status', x.status, 'priority', x.priority,
                                                'updatedAt', helpdesk.iso(x.updated_at)) ORDER BY x.created_at DESC, x.id DESC)
            FROM (SELECT * FROM helpdesk.tickets tk WHERE tk.submitter_id = actor.id
                  ORDER BY tk.created_at DESC, tk.id DESC LIMIT 5) x), '[]'));
        text_out := helpdesk.chat_text(CASE WHEN extra -> 'tickets' = '[]' THEN 'no_tickets' ELSE 'my_tickets' END, lang)
                    || coalesce((SELECT string_agg(chr(10) || '- ' || (e ->> 'ticketNumber') || ': ' || (e ->> 'title')
                                                   || ' (' || (e ->> 'status') || ')', '')
                                 FROM jsonb_array_elements(extra -> 'tickets') e), '');
        confidence := 1;
    ELSIF intent = 'question' THEN
        -- the articles for this question, from the search answers' cache when asked before
        found_articles := helpdesk.kb_cached(concat_ws(E'\x1f', 'chat', message));
        IF found_articles IS NULL THEN
            found_articles := helpdesk.kb_cached_store(concat_ws(E'\x1f', 'chat', message), coalesce((
                SELECT jsonb_agg(jsonb_build_object('article_id', s.article_id, 'score', s.score,
                                                    'confidence', s.confidence, 'snippet', s.snippet,
                                                    'title', a.title) ORDER BY s.ord)
                FROM helpdesk.kb_search(message, 3, false, NULL, false, 45, false)
                     WITH ORDINALITY AS s(article_id, score, confidence, snippet, ord)
                JOIN helpdesk.kb_articles a ON a.id = s.article_id), '[]'));
        END IF;
        FOR hit IN
            SELECT * FROM jsonb_to_recordset(found_articles)
                AS x(article_id int, score real, confidence real, snippet text, title text)
        LOOP
            IF confidence IS NULL THEN
                -- the best article's passage, worded by how sure the bot is
                confidence := hit.confidence;
                text_out := format(helpdesk.chat_text(CASE WHEN confidence >= answer_at THEN 'answer' ELSE 'suggestions' END, lang),
                                   hit.title, hit.snippet);
            END IF;
            articles := articles || jsonb_build_object('id', hit.article_id, 'title', hit.title, 'snippet', hit.snippet,
                                                       'score', round(hit.score::numeric, 4),
                                                       'confidence', round(hit.confidence::numeric, 4));
            article_ids := article_ids || hit.article_id;
        END LOOP;
        confidence := coalesce(confidence, 0);
        IF confidence >= answer_at THEN
            reply_type := 'answer';
            low := 0;
        ELSIF confidence >= low_at THEN
            reply_type := 'suggestions';
            text_out := text_out || coalesce(chr(10) || chr(10) || helpdesk.chat_text('more_articles', lang)
                        || (SELECT string_agg(chr(10) || '- ' || (e ->> 'title'), '' ORDER BY o)
                            FROM jsonb_array_elements(articles) WITH ORDINALITY AS x(e, o) WHERE o > 1), '');
            low := low + 1;
        ELSE
            reply_type := 'no_results';
            text_out := helpdesk.chat_text('no_results', lang);
            articles := '[]';
            article_ids := '{}';
            low := low + 1;
        END IF;
    END IF;

    -- a ticket is offered when asked for, when an answer did not help, or after two weak answers
    IF intent IN ('create_ticket', 'not_solved') OR (intent = 'question' AND low >= 2) THEN
        pending := helpdesk.chat_ticket_proposal(conv, lang);
        IF pending IS NOT NULL THEN
            reply_type := 'ticket_proposal';
            text_out := CASE WHEN intent = 'question' THEN coalesce(text_out || chr(10) || chr(10), '') ELSE '' END
                        || format(helpdesk.chat_text('proposal', lang), pending ->> 'title', pending ->> 'categoryName');
            extra := extra || jsonb_build_object('proposal', pending);
            options := jsonb_build_array(
                jsonb_build_object('text', CASE lang WHEN 'vi' THEN 'Tạo ticket' ELSE 'Create the ticket' END, 'action', 'confirm_ticket'),
                jsonb_build_object('text', CASE lang WHEN 'vi' THEN 'Hủy' ELSE 'Cancel' END, 'action', 'cancel'));
        ELSE
            reply_type := coalesce(reply_type, 'no_results');
            text_out := coalesce(text_out, helpdesk.chat_text('no_results', lang));
        END IF;
    END IF;

    PERFORM helpdesk.chat_record_shown(conv, article_ids, at);
    INSERT INTO helpdesk.chatbot_messages (conversation_id, sender, message, intent, reply_type, confidence,
                                           articles, created_at)
    VALUES (conv.id, 'bot', text_out, intent, reply_type, least(greatest(confidence, 0), 1), article_ids, at);
    UPDATE helpdesk.chatbot_conversations c
    SET low_confidence_count = low, pending_ticket = pending, ticket_id = conv.ticket_id,
        last_message_at = at, language = lang
    WHERE c.id = conv.id;

    RETURN jsonb_build_object('type', reply_type, 'message', text_out, 'intent', intent,
                              'suggestions', helpdesk.chat_suggestions(reply_type, lang),
                              'options', options, 'articles', articles, 'confidence', round(coalesce(confidence, 0)::numeric, 4),
                              'conversationId', conv.id)
           || extra;
END
$$;

-- A conversation's summary for lists.
CREATE FUNCTION helpdesk.chat_conversation_json(c helpdesk.chatbot_conversations)
RETURNS jsonb
LANGUAGE sql STABLE
AS $$
    SELECT jsonb_build_object(
        'id', c.id, 'language', c.language, 'ticketId', c.ticket_id,
        'startedAt', helpdesk.iso(c.started_at), 'lastMessageAt', helpdesk.iso(c.last_message_at),
        'title', (SELECT left(m.message, 100) FROM helpdesk.chatbot_messages m
                  WHERE m.conversation_id = c.id AND m.sender = 'user' ORDER BY m.id LIMIT 1),
        'lastMessage', (SELECT left(m.message, 200) FROM helpdesk.chatbot_messages m
                        WHERE m.conversation_id = c.id ORDER BY m.id DESC LIMIT 1),
        'messageCount', (SELECT count(*) FROM helpdesk.chatbot_messages m WHERE m.conversation_id = c.id),
        'pendingTicket', c.pending_ticket)
$$;

-- The caller's conversations, the most recent first.
CREATE FUNCTION helpdesk.chat_conversations(actor helpdesk.users, lim int DEFAULT 20)
RETURNS jsonb
LANGUAGE plpgsql STABLE
AS $$
BEGIN
    RETURN coalesce((SELECT jsonb_agg(helpdesk.chat_conversation_json(c) ORDER BY c.last_message_at DESC, c.id DESC)
                     FROM (SELECT * FROM helpdesk.chatbot_conversations x WHERE x.user_id = actor.id
                           ORDER BY x.last_message_at DESC, x.id DESC LIMIT lim) c), '[]');
END
$$;

-- One of the caller's conversations with its messages (404 for a missing one or somebody else's).
CREATE FUNCTION helpdesk.chat_conversation_detail(actor helpdesk.users, conversation_id int)
RETURNS jsonb
LANGUAGE plpgsql STABLE
AS $$
DECLARE
    c helpdesk.chatbot_conversations;
BEGIN
    SELECT * INTO c FROM helpdesk.chatbot_conversations x WHERE x.id = conversation_id AND x.user_id = actor.id;
    IF NOT FOUND THEN
        PERFORM helpdesk.http_error(404, format('Conversation with ID %s not found', conversation_id));
    END IF;
    RETURN helpdesk.chat_conversation_json(c) || jsonb_build_object('messages', coalesce((
        SELECT jsonb_agg(jsonb_build_object('id', m.id, 'sender', m.sender, 'message', m.message,
                                            'intent', m.intent, 'type', m.reply_type, 'confidence', m.confidence,
                                            'articles', to_jsonb(m.articles), 'createdAt', helpdesk.iso(m.created_at))
                         ORDER BY m.id)
        FROM helpdesk.chatbot_messages m WHERE m.conversation_id = c.id), '[]'));
END
$$;
