-- 73_chatbot_api: the chatbot routes (seed-system §2.16, API.md): the three chat routes share one
-- engine (helpdesk.chatbot_reply); the conversation routes list the caller's own.

-- POST /chatbot/chat, /chatbot/chat/keyword, /chatbot/chat/simple
-- {message: non-empty, at most 1000 characters; conversationId?: continues that conversation}
CREATE FUNCTION helpdesk_api.chatbot_chat(req jsonb)
RETURNS jsonb
LANGUAGE plpgsql
AS $$
DECLARE
    actor helpdesk.users := helpdesk.current_actor();
    b jsonb := helpdesk.body(req, 'message', 'conversationId');
    message text := helpdesk.field_text(b, 'message', true, 1, 1000);
    conversation_id int := helpdesk.field_int(b, 'conversationId', false, 1);
BEGIN
    RETURN helpdesk.chatbot_reply(actor, message, conversation_id);
END
$$;

-- GET /chatbot/conversations?limit=
CREATE FUNCTION helpdesk_api.chatbot_conversations(req jsonb)
RETURNS jsonb
LANGUAGE plpgsql STABLE
AS $$
BEGIN
    RETURN helpdesk.chat_conversations(helpdesk.current_actor(), helpdesk.query_int(req, 'limit', 20, 1, 100));
END
$$;

-- GET /chatbot/conversations/:id
CREATE FUNCTION helpdesk_api.chatbot_conversation_get(req jsonb)
RETURNS jsonb
LANGUAGE plpgsql STABLE
AS $$
BEGIN
    RETURN helpdesk.chat_conversation_detail(helpdesk.current_actor(), helpdesk.path_int(req));
END
$$;
