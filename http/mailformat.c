/* mailformat.c: see mailformat.h. */
#include "mailformat.h"

#include <string.h>

static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* base64 of s, in lines of at most 76 characters ending in CRLF when `wrap`. */
static void base64(hd_buf_t *out, const unsigned char *s, size_t n, int wrap)
{
    size_t i, col = 0;
    for (i = 0; i < n; i += 3) {
        unsigned v = (unsigned)s[i] << 16 | (i + 1 < n ? (unsigned)s[i + 1] << 8 : 0) | (i + 2 < n ? s[i + 2] : 0);
        char q[4] = {b64[v >> 18 & 63], b64[v >> 12 & 63], i + 1 < n ? b64[v >> 6 & 63] : '=', i + 2 < n ? b64[v & 63] : '='};
        hd_buf_append(out, q, 4);
        col += 4;
        if (wrap && col >= 76) {
            hd_buf_lit(out, "\r\n");
            col = 0;
        }
    }
    if (wrap && col > 0)
        hd_buf_lit(out, "\r\n");
}

static int has_break(const char *s)
{
    return s == NULL || *s == '\0' || strpbrk(s, "\r\n") != NULL;
}

/* A header value: as it is when printable ASCII, else RFC 2047 encoded words of whole UTF-8
 * characters (at most 39 bytes each: 52 base64 characters plus the 12 of the frame, so the
 * "Subject: " line stays within 78). */
static void header_text(hd_buf_t *out, const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t n = strlen(s), i, start;
    int ascii = 1;
    for (i = 0; i < n; i++)
        if (p[i] < 0x20 || p[i] > 0x7e)
            ascii = 0;
    if (ascii) {
        hd_buf_append(out, s, n);
        return;
    }
    for (start = 0; start < n;) {
        size_t end = start + 39 < n ? start + 39 : n;
        while (end < n && end > start && (p[end] & 0xC0) == 0x80) /* not inside a character */
            end--;
        if (start > 0)
            hd_buf_lit(out, "\r\n ");
        hd_buf_lit(out, "=?UTF-8?B?");
        base64(out, p + start, end - start, 0);
        hd_buf_lit(out, "?=");
        start = end;
    }
}

static void part(hd_buf_t *out, const char *boundary, const char *type, const char *body)
{
    hd_buf_lit(out, "--");
    hd_buf_str(out, boundary);
    hd_buf_lit(out, "\r\nContent-Type: ");
    hd_buf_str(out, type);
    hd_buf_lit(out, "; charset=UTF-8\r\nContent-Transfer-Encoding: base64\r\n\r\n");
    base64(out, (const unsigned char *)body, strlen(body), 1);
}

int hd_mail_format(hd_buf_t *out, const hd_mail_t *m)
{
    char date[64];
    struct tm tm;
    if (has_break(m->from) || has_break(m->to) || has_break(m->message_id) || m->text == NULL)
        return -1;
    gmtime_r(&m->date, &tm);
    strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S +0000", &tm);
    hd_buf_lit(out, "Date: ");
    hd_buf_str(out, date);
    hd_buf_lit(out, "\r\nFrom: ");
    hd_buf_str(out, m->from);
    hd_buf_lit(out, "\r\nTo: ");
    hd_buf_str(out, m->to);
    hd_buf_lit(out, "\r\nSubject: ");
    header_text(out, m->subject != NULL && !strpbrk(m->subject, "\r\n") ? m->subject : "");
    hd_buf_lit(out, "\r\nMessage-ID: ");
    hd_buf_str(out, m->message_id);
    hd_buf_lit(out, "\r\nMIME-Version: 1.0\r\n");
    if (m->html == NULL) {
        hd_buf_lit(out, "Content-Type: text/plain; charset=UTF-8\r\nContent-Transfer-Encoding: base64\r\n\r\n");
        base64(out, (const unsigned char *)m->text, strlen(m->text), 1);
        return 0;
    }
    /* base64 parts never contain "--=_hd": the boundary cannot occur in them */
    hd_buf_lit(out, "Content-Type: multipart/alternative; boundary=\"=_hd_alt\"\r\n\r\n");
    part(out, "=_hd_alt", "text/plain", m->text);
    part(out, "=_hd_alt", "text/html", m->html);
    hd_buf_lit(out, "--=_hd_alt--\r\n");
    return 0;
}

void hd_mail_envelope_address(hd_buf_t *out, const char *addr)
{
    const char *lt = strrchr(addr, '<'), *gt = lt ? strchr(lt, '>') : NULL;
    hd_buf_lit(out, "<");
    if (lt != NULL && gt != NULL)
        hd_buf_append(out, lt + 1, (size_t)(gt - lt - 1));
    else
        hd_buf_str(out, addr);
    hd_buf_lit(out, ">");
}

hd_mail_outcome_t hd_mail_classify(int curl_ok, long smtp_code, int login_denied)
{
    if (curl_ok)
        return HD_MAIL_SENT;
    if (smtp_code >= 500 && smtp_code <= 599 && !login_denied)
        return HD_MAIL_DEAD;
    return HD_MAIL_RETRY;
}
