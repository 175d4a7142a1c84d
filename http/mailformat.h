/* mailformat.h: an outbox message as an RFC 5322 / MIME message, and what an SMTP failure
 * means for it (pure functions, unit-tested in http/tests/test_mailformat.c). */
#ifndef HD_MAILFORMAT_H
#define HD_MAILFORMAT_H

#include <time.h>

#include "buf.h"

typedef struct hd_mail {
    const char *from;       /* EMAIL_FROM: "a@b" or "Name <a@b>" */
    const char *to;         /* one address */
    const char *subject;    /* UTF-8 */
    const char *message_id; /* "<...@...>", kept across attempts */
    const char *text;       /* UTF-8 plain text body */
    const char *html;       /* UTF-8 HTML body, or NULL */
    time_t date;
} hd_mail_t;

/* The whole message, CRLF line ends: Date, From, To, Subject (RFC 2047 when not ASCII),
 * Message-ID, MIME-Version, and the text (and HTML, multipart/alternative) as base64 parts.
 * Returns 0, or -1 when an address or the Message-ID holds a line break or is empty (the
 * message is not sendable: nothing in it may become a header of its own). */
int hd_mail_format(hd_buf_t *out, const hd_mail_t *m);

/* The address of EMAIL_FROM, for MAIL FROM: "<a@b>" (what is between < and >, or the whole). */
void hd_mail_envelope_address(hd_buf_t *out, const char *addr);

/* What an attempt's failure means: an SMTP reply 5xx (not an authentication failure, which is
 * the sender's configuration, not the message) is permanent; anything else (4xx, no
 * connection, a timeout) is worth retrying. */
typedef enum { HD_MAIL_SENT, HD_MAIL_RETRY, HD_MAIL_DEAD } hd_mail_outcome_t;
hd_mail_outcome_t hd_mail_classify(int curl_ok, long smtp_code, int login_denied);

#endif
