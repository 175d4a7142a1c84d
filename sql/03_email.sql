-- 03_email: what an e-mail says and how it enters the outbox.
--
-- Templates per type and language ('en', 'vi'), each a subject, a plain text and an HTML body
-- with {{name}} placeholders. helpdesk.email_compose renders one with its parameters (values
-- are HTML-escaped in the HTML body) and writes the message to helpdesk.email_outbox in the
-- caller's transaction, with a Message-ID chosen now, and signals the sender at commit
-- (NOTIFY helpdesk_email): a rollback sends nothing, a commit always sends (sql/92_email.sql).
-- Callers name the ticket by its number (TKT-YYYY-NNNN), never by its database id.
-- helpdesk.email_enqueue(user, template, params) (sql/10_users.sql) picks the user's language.

CREATE TABLE helpdesk.email_templates (
    template  varchar(50) NOT NULL,
    language  varchar(2) NOT NULL CHECK (language IN ('en', 'vi')),
    subject   text NOT NULL,
    body_text text NOT NULL,
    body_html text NOT NULL,
    PRIMARY KEY (template, language)
);

COMMENT ON TABLE helpdesk.email_templates IS 'constant: the e-mail templates, changed by an extension release';

INSERT INTO helpdesk.email_templates (template, language, subject, body_text, body_html) VALUES
('ticket_assigned', 'en', 'Ticket #{{ticketNumber}} Assigned to You',
$t$Hello {{name}},

Ticket #{{ticketNumber}}: {{title}} has been assigned to you by {{actor}}.

Priority: {{priority}}
Status: {{status}}
$t$,
$t$<p>Hello {{name}},</p>
<p>Ticket <b>#{{ticketNumber}}</b>: {{title}} has been assigned to you by {{actor}}.</p>
<p>Priority: {{priority}}<br>
Status: {{status}}</p>
$t$),
('ticket_assigned', 'vi', 'Phiếu #{{ticketNumber}} đã được giao cho bạn',
$t$Xin chào {{name}},

Phiếu #{{ticketNumber}}: {{title}} đã được {{actor}} giao cho bạn.

Mức ưu tiên: {{priority}}
Trạng thái: {{status}}
$t$,
$t$<p>Xin chào {{name}},</p>
<p>Phiếu <b>#{{ticketNumber}}</b>: {{title}} đã được {{actor}} giao cho bạn.</p>
<p>Mức ưu tiên: {{priority}}<br>
Trạng thái: {{status}}</p>
$t$),
('ticket_resolved', 'en', 'Ticket #{{ticketNumber}} Resolved',
$t$Hello {{name}},

Your ticket #{{ticketNumber}}: {{title}} has been resolved by {{actor}}.
$t$,
$t$<p>Hello {{name}},</p>
<p>Your ticket <b>#{{ticketNumber}}</b>: {{title}} has been resolved by {{actor}}.</p>
$t$),
('ticket_resolved', 'vi', 'Phiếu #{{ticketNumber}} đã được giải quyết',
$t$Xin chào {{name}},

Phiếu #{{ticketNumber}} của bạn: {{title}} đã được {{actor}} giải quyết.
$t$,
$t$<p>Xin chào {{name}},</p>
<p>Phiếu <b>#{{ticketNumber}}</b> của bạn: {{title}} đã được {{actor}} giải quyết.</p>
$t$),
('ticket_commented', 'en', 'New Comment on Ticket #{{ticketNumber}}',
$t$Hello {{name}},

{{author}} commented on Ticket #{{ticketNumber}}: {{title}}

{{comment}}
$t$,
$t$<p>Hello {{name}},</p>
<p>{{author}} commented on Ticket <b>#{{ticketNumber}}</b>: {{title}}</p>
<blockquote>{{comment}}</blockquote>
$t$),
('ticket_commented', 'vi', 'Bình luận mới trên phiếu #{{ticketNumber}}',
$t$Xin chào {{name}},

{{author}} đã bình luận trên phiếu #{{ticketNumber}}: {{title}}

{{comment}}
$t$,
$t$<p>Xin chào {{name}},</p>
<p>{{author}} đã bình luận trên phiếu <b>#{{ticketNumber}}</b>: {{title}}</p>
<blockquote>{{comment}}</blockquote>
$t$),
('password_reset_otp', 'en', 'Password Reset OTP - NexusFlow Ticket System',
$t$Hello {{name}},

Your password reset code is {{code}}.
It is valid for {{minutes}} minutes and can be used once.

If you did not ask to reset your password, ignore this e-mail.
$t$,
$t$<p>Hello {{name}},</p>
<p>Your password reset code is <b>{{code}}</b>.<br>
It is valid for {{minutes}} minutes and can be used once.</p>
<p>If you did not ask to reset your password, ignore this e-mail.</p>
$t$),
('password_reset_otp', 'vi', 'Mã OTP đặt lại mật khẩu - NexusFlow Ticket System',
$t$Xin chào {{name}},

Mã đặt lại mật khẩu của bạn là {{code}}.
Mã có hiệu lực trong {{minutes}} phút và chỉ dùng được một lần.

Nếu bạn không yêu cầu đặt lại mật khẩu, hãy bỏ qua e-mail này.
$t$,
$t$<p>Xin chào {{name}},</p>
<p>Mã đặt lại mật khẩu của bạn là <b>{{code}}</b>.<br>
Mã có hiệu lực trong {{minutes}} phút và chỉ dùng được một lần.</p>
<p>Nếu bạn không yêu cầu đặt lại mật khẩu, hãy bỏ qua e-mail này.</p>
$t$),
('password_reset_success', 'en', 'Password Reset Successful - NexusFlow Ticket System',
$t$Hello {{name}},

Your password has been reset. Every session was signed out.

If you did not do this, contact the IT service desk at once.
$t$,
$t$<p>Hello {{name}},</p>
<p>Your password has been reset. Every session was signed out.</p>
<p>If you did not do this, contact the IT service desk at once.</p>
$t$),
('password_reset_success', 'vi', 'Đặt lại mật khẩu thành công - NexusFlow Ticket System',
$t$Xin chào {{name}},

Mật khẩu của bạn đã được đặt lại. Mọi phiên đăng nhập đã bị đăng xuất.

Nếu không phải bạn thực hiện, hãy liên hệ ngay với bộ phận hỗ trợ IT.
$t$,
$t$<p>Xin chào {{name}},</p>
<p>Mật khẩu của bạn đã được đặt lại. Mọi phiên đăng nhập đã bị đăng xuất.</p>
<p>Nếu không phải bạn thực hiện, hãy liên hệ ngay với bộ phận hỗ trợ IT.</p>
$t$),
('test_email', 'en', 'Test Email - NexusFlow Ticket System',
$t$Hello {{name}},

This is a test e-mail from the NexusFlow Ticket System. If you can read it, e-mail works.
$t$,
$t$<p>Hello {{name}},</p>
<p>This is a test e-mail from the NexusFlow Ticket System. If you can read it, e-mail works.</p>
$t$),
('test_email', 'vi', 'Email thử nghiệm - NexusFlow Ticket System',
$t$Xin chào {{name}},

Đây là e-mail thử nghiệm từ NexusFlow Ticket System. Nếu bạn đọc được, e-mail đã hoạt động.
$t$,
$t$<p>Xin chào {{name}},</p>
<p>Đây là e-mail thử nghiệm từ NexusFlow Ticket System. Nếu bạn đọc được, e-mail đã hoạt động.</p>
$t$);

-- Text for an HTML body: & < > " ' escaped, line breaks kept as <br>.
CREATE FUNCTION helpdesk.html_escape(s text)
RETURNS text
LANGUAGE sql IMMUTABLE STRICT
AS $$
    SELECT replace(replace(replace(replace(replace(replace(s, '&', '&amp;'), '<', '&lt;'), '>', '&gt;'),
                                           '"', '&quot;'), '''', '&#39;'), E'\n', E'<br>\n')
$$;

-- A template's text with its {{placeholders}} replaced by params' values (escaped when `html`),
-- in one pass: a value that contains "{{x}}" is never expanded again.
CREATE FUNCTION helpdesk.email_render(tpl text, params jsonb, html boolean)
RETURNS text
LANGUAGE sql IMMUTABLE
AS $$
    SELECT coalesce(string_agg(CASE WHEN p.n % 2 = 1 THEN p.part
                                    WHEN html THEN helpdesk.html_escape(coalesce(params ->> p.part, ''))
                                    ELSE coalesce(params ->> p.part, '') END, '' ORDER BY p.n), '')
    FROM regexp_split_to_table(tpl, '\{\{|\}\}') WITH ORDINALITY AS p(part, n)
$$;

-- Write one message to the outbox in the caller's transaction: `template` in `language` ('en'
-- or 'vi'; anything else: 'en') rendered with `params` (every placeholder must be given), a new
-- Message-ID, and a wake-up of the sender at commit. Returns the outbox id.
CREATE FUNCTION helpdesk.email_compose(user_id int, recipient text, language text, template text, params jsonb,
                                       ticket_id int DEFAULT NULL)
RETURNS bigint
LANGUAGE plpgsql
AS $$
DECLARE
    lang    text := CASE WHEN language IN ('en', 'vi') THEN language ELSE 'en' END;
    t       helpdesk.email_templates;
    missing text;
    new_id  bigint;
BEGIN
    SELECT * INTO t FROM helpdesk.email_templates x WHERE x.template = email_compose.template AND x.language = lang;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'no e-mail template "%" in language "%"', template, lang USING ERRCODE = 'undefined_object';
    END IF;
    SELECT string_agg(DISTINCT m[1], ', ') INTO missing
    FROM regexp_matches(t.subject || t.body_text || t.body_html, '\{\{(\w+)\}\}', 'g') m
    WHERE NOT coalesce(params ? m[1], false);
    IF missing IS NOT NULL THEN
        RAISE EXCEPTION 'e-mail template "%" needs the parameters %', template, missing USING ERRCODE = 'invalid_parameter_value';
    END IF;
    INSERT INTO helpdesk.email_outbox (user_id, recipient, subject, body_text, body_html, template, ticket_id,
                                       message_id, language)
    VALUES (user_id, recipient, left(helpdesk.email_render(t.subject, params, false), 255),
            helpdesk.email_render(t.body_text, params, false), helpdesk.email_render(t.body_html, params, true),
            template, ticket_id,
            '<' || gen_random_uuid() || '@' || helpdesk.setting('email_message_id_domain', 'helpdesk.local') || '>', lang)
    RETURNING id INTO new_id;
    PERFORM pg_catalog.pg_notify('helpdesk_email', '');
    RETURN new_id;
END
$$;
