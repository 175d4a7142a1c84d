/* The e-mail's wire form (http/mailformat.c) and the e-mail settings' checks (http/config.c). */
#include <stdlib.h>
#include <string.h>

#include "../config.h"
#include "../mailformat.h"
#include "t.h"

/* base64 decoding of the part after `marker`'s blank line, up to the next "--" or the end */
static char *part_body(const char *msg, const char *marker)
{
    static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    const char *p = strstr(msg, marker), *end;
    char *out, *o;
    unsigned v = 0;
    int bits = 0;
    if (p == NULL || (p = strstr(p, "\r\n\r\n")) == NULL)
        return NULL;
    p += 4;
    end = strstr(p, "\r\n--");
    if (end == NULL)
        end = p + strlen(p);
    out = o = calloc((size_t)(end - p) + 1, 1);
    for (; p < end; p++) {
        const char *k = strchr(b64, *p);
        if (*p == '=' || *p == '\r' || *p == '\n' || k == NULL)
            continue;
        v = v << 6 | (unsigned)(k - b64);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            *o++ = (char)(v >> bits & 0xff);
        }
    }
    return out;
}

int main(void)
{
    hd_buf_t out = {0};
    hd_mail_t m = {"Helpdesk <desk@example.com>", "user@example.com", "Phiếu #TKT-2026-0001 đã được giao cho bạn",
                   "<abc@helpdesk.local>", "Xin chào,\nline two", "<p>Xin ch&agrave;o</p>", 0};
    char *body;
    char err[256];

    /* headers; a non-ASCII subject as RFC 2047 encoded words; both bodies round-trip */
    CHECK(hd_mail_format(&out, &m) == 0);
    CHECK(strncmp(out.base, "Date: Thu, 01 Jan 1970 00:00:00 +0000\r\n", 39) == 0);
    CHECK(strstr(out.base, "\r\nFrom: Helpdesk <desk@example.com>\r\nTo: user@example.com\r\n") != NULL);
    CHECK(strstr(out.base, "\r\nSubject: =?UTF-8?B?") != NULL);
    CHECK(strstr(out.base, "\r\nMessage-ID: <abc@helpdesk.local>\r\n") != NULL);
    CHECK(strstr(out.base, "multipart/alternative") != NULL);
    CHECK(strstr(out.base, "\r\n--=_hd_alt--\r\n") != NULL);
    body = part_body(out.base, "text/plain");
    CHECK_STR(body, "Xin chào,\nline two");
    free(body);
    body = part_body(out.base, "text/html");
    CHECK_STR(body, "<p>Xin ch&agrave;o</p>");
    free(body);
    {
        /* no line of the message is longer than 78 characters + CRLF */
        const char *p = out.base, *nl;
        int longest = 0;
        for (; (nl = strstr(p, "\r\n")) != NULL; p = nl + 2)
            if (nl - p > longest)
                longest = (int)(nl - p);
        CHECK(longest <= 78);
    }
    hd_buf_free(&out);

    /* an ASCII subject stays as it is; no HTML: one text/plain part */
    m.subject = "Test Email - NexusFlow Ticket System";
    m.html = NULL;
    CHECK(hd_mail_format(&out, &m) == 0);
    CHECK(strstr(out.base, "\r\nSubject: Test Email - NexusFlow Ticket System\r\n") != NULL);
    CHECK(strstr(out.base, "multipart") == NULL);
    body = part_body(out.base, "text/plain");
    CHECK_STR(body, "Xin chào,\nline two");
    free(body);
    hd_buf_free(&out);

    /* nothing may become a header of its own: line breaks in an address or the Message-ID */
    m.to = "user@example.com\r\nBcc: x@evil.example";
    CHECK(hd_mail_format(&out, &m) == -1);
    hd_buf_free(&out);
    m.to = "user@example.com";
    m.message_id = "";
    CHECK(hd_mail_format(&out, &m) == -1);
    hd_buf_free(&out);
    m.message_id = "<a@b>";
    m.subject = "x\r\nBcc: y@evil.example";
    CHECK(hd_mail_format(&out, &m) == 0 && strstr(out.base, "Bcc:") == NULL);
    hd_buf_free(&out);

    /* the envelope address */
    hd_mail_envelope_address(&out, "Helpdesk <desk@example.com>");
    CHECK_STR(out.base, "<desk@example.com>");
    hd_buf_free(&out);
    hd_mail_envelope_address(&out, "desk@example.com");
    CHECK_STR(out.base, "<desk@example.com>");
    hd_buf_free(&out);

    /* outcomes: 5xx dead (not an authentication failure), 4xx and no answer retried */
    CHECK(hd_mail_classify(1, 250, 0) == HD_MAIL_SENT);
    CHECK(hd_mail_classify(0, 550, 0) == HD_MAIL_DEAD);
    CHECK(hd_mail_classify(0, 554, 0) == HD_MAIL_DEAD);
    CHECK(hd_mail_classify(0, 535, 1) == HD_MAIL_RETRY);
    CHECK(hd_mail_classify(0, 451, 0) == HD_MAIL_RETRY);
    CHECK(hd_mail_classify(0, 421, 0) == HD_MAIL_RETRY);
    CHECK(hd_mail_classify(0, 0, 0) == HD_MAIL_RETRY);

    /* the e-mail settings: defaults load; disagreeing ones are refused */
    {
        char *argv_ok[] = {"x", NULL};
        char *argv_on_no_host[] = {"x", "--email-enabled=true", NULL};
        char *argv_lease[] = {"x", "--email-lease-ms=1000", "--email-batch=10", "--smtp-timeout-ms=1000", NULL};
        char *argv_from[] = {"x", "--email-from=nobody", NULL};
        char *argv_retry[] = {"x", "--email-retry-base-ms=5000", "--email-retry-max-ms=10", NULL};
        char *argv_on[] = {"x", "--email-enabled=on", "--smtp-host=127.0.0.1", "--smtp-port=2525", NULL};
        setenv("JWT_SECRET", "0123456789abcdef0123456789abcdef", 1);
        CHECK(hd_config_load(1, argv_ok) == 0 && !hd_conf.email_enabled && hd_conf.email_max_attempts == 8 &&
              hd_conf.smtp_port == 587 && strcmp(hd_conf.email_from, "noreply@ticketsystem.com") == 0);
        CHECK(hd_config_check_email(err, sizeof(err)) == 0);
        CHECK(hd_config_load(2, argv_on_no_host) == -1);
        CHECK(hd_config_load(4, argv_lease) == -1);
        CHECK(hd_config_load(2, argv_from) == -1);
        CHECK(hd_config_load(3, argv_retry) == -1);
        CHECK(hd_config_load(4, argv_on) == 0 && hd_conf.email_enabled && hd_conf.smtp_port == 2525);
        hd_config_free();
    }
    T_DONE();
}
