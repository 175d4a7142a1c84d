/* multipart.h: a push parser for multipart/form-data request bodies (RFC 7578, RFC 2046).
 *
 * The caller feeds the body as it arrives, in chunks of any size, and gets callbacks:
 *
 *     hd_multipart_t *p;
 *     int rc = hd_multipart_create(&p, content_type, content_type_len, NULL, &callbacks, ctx);
 *     if (rc != HD_MP_OK) ... 400 with hd_multipart_message(rc)
 *     for each chunk: rc = hd_multipart_feed(p, chunk, len); stop on rc != HD_MP_OK
 *     rc = hd_multipart_finish(p);        // HD_MP_ERR_TRUNCATED when the closing boundary never came
 *     hd_multipart_free(p);
 *
 * Callbacks (any may be NULL; a non-zero return stops the parser with HD_MP_ERR_ABORTED, for
 * the caller's own limits such as the size of a file):
 *   on_part_begin(ctx, part)  the headers of a part were read; part->name is never empty.
 *                             The part and its strings are valid until the callback returns.
 *   on_part_data(ctx, d, n)   the next n bytes of the part's content. d points into the
 *                             caller's chunk wherever possible; bytes that were held back
 *                             because they might have begun a boundary at the end of a chunk
 *                             are passed from the parser's copy of the delimiter. The split
 *                             into calls depends on the chunking, the concatenation does not.
 *   on_part_end(ctx)          the part's content is complete (its closing delimiter was seen).
 *
 * Memory: one allocation at create, bounded by max_header_bytes (the header block of the
 * current part and its decoded values); the content itself is never copied.
 *
 * What is accepted:
 *   - Content-Type multipart/form-data (case-insensitive) with a boundary parameter, quoted or
 *     not, 1..70 characters of RFC 2046 bchars, not ending in a space.
 *   - Preamble before the first boundary and epilogue after the closing one are ignored. The
 *     first boundary may start the body or follow a CRLF.
 *   - The delimiter is CRLF "--" boundary. A boundary string that is not at the start of a line
 *     (preceded by CRLF) is data. A delimiter must be followed by "--" (the end), or by optional
 *     spaces/tabs and CRLF (another part); anything else is HD_MP_ERR_MALFORMED.
 *   - Line ends are CRLF only: a body with LF-only line ends is refused (HD_MP_ERR_MALFORMED),
 *     as every browser and HTTP client sends CRLF and a lenient reading of lone LFs is how
 *     two parsers come to disagree on where a part ends. CR and LF inside data are data.
 *   - Part headers: "Name: value" lines; folded lines and control characters are refused.
 *     Content-Disposition must be form-data with a non-empty name (else HD_MP_ERR_NO_NAME);
 *     parameter values are tokens or quoted-strings (backslash escapes, RFC 7230).
 *     filename*=UTF-8''percent-encoded (RFC 5987) wins over filename; other charsets are
 *     refused. Duplicate Content-Disposition headers or parameters are refused. name and
 *     filename must be valid UTF-8 without NUL. Other headers are ignored, except
 *     Content-Type, passed on as-is (trimmed).
 *   - A part with a filename parameter (even empty) is a file; any other part is a field,
 *     whose content is limited to max_field_bytes.
 */
#ifndef HD_MULTIPART_H
#define HD_MULTIPART_H

#include <stddef.h>

#define HD_MP_BOUNDARY_MAX 70

typedef enum hd_mp_status {
    HD_MP_OK = 0,
    HD_MP_ERR_CONTENT_TYPE,     /* Content-Type is not multipart/form-data */
    HD_MP_ERR_BOUNDARY,         /* boundary parameter missing or invalid */
    HD_MP_ERR_TRUNCATED,        /* the body ended before the closing boundary */
    HD_MP_ERR_MALFORMED,        /* bad syntax; hd_multipart_detail() says where */
    HD_MP_ERR_NO_NAME,          /* a part without Content-Disposition: form-data; name="..." */
    HD_MP_ERR_TOO_MANY_PARTS,   /* more than max_parts parts */
    HD_MP_ERR_HEADER_TOO_LARGE, /* headers of one part over max_header_bytes */
    HD_MP_ERR_FIELD_TOO_LARGE,  /* content of a non-file part over max_field_bytes */
    HD_MP_ERR_ABORTED,          /* a callback returned non-zero */
    HD_MP_ERR_NOMEM
} hd_mp_status_t;

/* Limits; a field left 0 takes its default. */
typedef struct hd_multipart_limits {
    size_t max_parts;        /* default 16 */
    size_t max_header_bytes; /* header block of one part, CRLFs included; default 8192 */
    size_t max_field_bytes;  /* content of one part without a filename; default 65536 */
} hd_multipart_limits_t;

#define HD_MP_DEFAULT_MAX_PARTS 16
#define HD_MP_DEFAULT_MAX_HEADER_BYTES 8192
#define HD_MP_DEFAULT_MAX_FIELD_BYTES 65536

typedef struct hd_multipart_part {
    size_t index;             /* 0-based position of the part in the body */
    const char *name;         /* NUL-terminated, valid UTF-8, not empty */
    size_t name_len;
    const char *filename;     /* NULL when the part is a field; NUL-terminated UTF-8 otherwise (may be "") */
    size_t filename_len;
    const char *content_type; /* the part's Content-Type value, NULL when absent */
    size_t content_type_len;
} hd_multipart_part_t;

typedef struct hd_multipart_callbacks {
    int (*on_part_begin)(void *ctx, const hd_multipart_part_t *part);
    int (*on_part_data)(void *ctx, const char *data, size_t len);
    int (*on_part_end)(void *ctx);
} hd_multipart_callbacks_t;

typedef struct hd_multipart hd_multipart_t;

/* Extract the boundary from a Content-Type value into out (HD_MP_BOUNDARY_MAX + 1 bytes,
 * NUL-terminated). Returns HD_MP_OK, HD_MP_ERR_CONTENT_TYPE or HD_MP_ERR_BOUNDARY. */
int hd_multipart_boundary(const char *content_type, size_t len, char *out, size_t *out_len);

/* A parser for one body. limits may be NULL (defaults). On error *out is NULL. */
int hd_multipart_create(hd_multipart_t **out, const char *content_type, size_t content_type_len,
                        const hd_multipart_limits_t *limits, const hd_multipart_callbacks_t *cb, void *ctx);

/* Feed the next len bytes. Returns HD_MP_OK or the error that stopped the parser; once
 * stopped, every later call returns the same error. Bytes after the closing boundary are
 * ignored. */
int hd_multipart_feed(hd_multipart_t *p, const char *buf, size_t len);

/* The body is complete: HD_MP_OK when the closing boundary was seen, else the error. */
int hd_multipart_finish(hd_multipart_t *p);

/* Number of parts begun so far. */
size_t hd_multipart_part_count(const hd_multipart_t *p);

void hd_multipart_free(hd_multipart_t *p);

/* Message for the 400 envelope of a status (static string). */
const char *hd_multipart_message(int status);

/* The parser's last error with what went wrong where it helps (static string), e.g.
 * "Malformed multipart body: line ends must be CRLF". */
const char *hd_multipart_detail(const hd_multipart_t *p);

#endif
