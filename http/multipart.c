/* multipart.c: push parser for multipart/form-data (see multipart.h for the API and the rules).
 *
 * The body is scanned for the delimiter D = CRLF "--" boundary. The stream is read as if it
 * began with CRLF, so a body that starts with "--boundary" needs no special case: the parser
 * starts in the preamble with the first two bytes of D already matched.
 *
 * Boundaries cannot contain CR or LF (RFC 2046 bchars), so CR occurs in D only at its start.
 * When a partial match of D fails, no proper suffix of the matched bytes can begin another
 * match; the matched bytes are data, and they equal D's first bytes, so the parser emits them
 * from its own copy of D. That is the only "buffer" the content needs: whatever a chunk
 * holds is passed on from the caller's memory, except at most |D| - 1 bytes held back at its end.
 */
#include "multipart.h"

#include <stdlib.h>
#include <string.h>

#include "request.h" /* hd_utf8_valid */

enum state {
    ST_PREAMBLE,   /* before the first delimiter: bytes are ignored */
    ST_DELIM,      /* a delimiter was just matched */
    ST_DELIM_DASH, /* delimiter + "-" */
    ST_DELIM_PAD,  /* delimiter + spaces/tabs (transport padding) */
    ST_DELIM_CR,   /* delimiter [+ padding] + CR */
    ST_HEADERS,    /* collecting the header block of a part */
    ST_DATA,       /* the content of a part */
    ST_EPILOGUE,   /* after the closing delimiter: bytes are ignored */
    ST_ERROR
};

struct hd_multipart {
    hd_multipart_limits_t lim;
    hd_multipart_callbacks_t cb;
    void *ctx;
    enum state state;
    int error;
    const char *detail;
    char delim[4 + HD_MP_BOUNDARY_MAX]; /* CRLF "--" boundary, not NUL-terminated */
    size_t delim_len;
    size_t matched;    /* bytes of delim matched and held back */
    size_t nparts;     /* parts begun */
    int in_file;       /* the current part has a filename */
    size_t part_bytes; /* content bytes of the current part so far */
    char *hbuf;        /* header block of the current part, max_header_bytes */
    size_t hlen;
    char *vbuf;        /* decoded values (name, filename, content type), NUL-terminated */
};

/* ---- small lexical helpers (RFC 7230) ---- */

static int is_tchar(unsigned char c)
{
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
        return 1;
    return c != 0 && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

static int is_ows(char c)
{
    return c == ' ' || c == '\t';
}

/* RFC 2046 bchars: DIGIT / ALPHA / "'" / "(" / ")" / "+" / "_" / "," / "-" / "." / "/" / ":" / "=" / "?" / " " */
static int is_bchar(unsigned char c)
{
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
        return 1;
    return c != 0 && strchr("'()+_,-./:=? ", c) != NULL;
}

static int ci_equal(const char *s, size_t len, const char *lit)
{
    size_t i;
    if (strlen(lit) != len)
        return 0;
    for (i = 0; i < len; i++) {
        char a = s[i], b = lit[i];
        if (a >= 'A' && a <= 'Z')
            a = (char)(a - 'A' + 'a');
        if (b >= 'A' && b <= 'Z')
            b = (char)(b - 'A' + 'a');
        if (a != b)
            return 0;
    }
    return 1;
}

static size_t skip_ows(const char *s, size_t len, size_t pos)
{
    while (pos < len && is_ows(s[pos]))
        pos++;
    return pos;
}

static size_t skip_token(const char *s, size_t len, size_t pos)
{
    while (pos < len && is_tchar((unsigned char)s[pos]))
        pos++;
    return pos;
}

/* A quoted-string starting at s[*pos] == '"': unescaped into out (at most cap bytes).
 * Returns the length, or -1 when unterminated, when it holds a control character or when it
 * does not fit. *pos ends after the closing quote. */
static long unquote(const char *s, size_t len, size_t *pos, char *out, size_t cap)
{
    size_t i = *pos + 1, o = 0;
    while (i < len && s[i] != '"') {
        unsigned char c = (unsigned char)s[i];
        if (c == '\\') {
            if (++i >= len)
                return -1;
            c = (unsigned char)s[i];
        }
        if ((c < 0x20 && c != '\t') || c == 0x7F || o == cap)
            return -1;
        out[o++] = (char)c;
        i++;
    }
    if (i >= len)
        return -1;
    *pos = i + 1;
    return (long)o;
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* ---- the Content-Type of the request ---- */

int hd_multipart_boundary(const char *ct, size_t len, char *out, size_t *out_len)
{
    size_t pos, start, i;
    long blen = -1;

    pos = skip_ows(ct, len, 0);
    start = pos;
    pos = skip_token(ct, len, pos);
    if (pos < len && ct[pos] == '/')
        pos = skip_token(ct, len, pos + 1);
    if (!ci_equal(ct + start, pos - start, "multipart/form-data"))
        return HD_MP_ERR_CONTENT_TYPE;
    for (;;) {
        size_t name, name_end;
        pos = skip_ows(ct, len, pos);
        if (pos == len)
            break;
        if (ct[pos] != ';')
            return HD_MP_ERR_BOUNDARY;
        pos = skip_ows(ct, len, pos + 1);
        if (pos == len)
            break;
        name = pos;
        name_end = pos = skip_token(ct, len, pos);
        if (name_end == name || pos == len || ct[pos] != '=')
            return HD_MP_ERR_BOUNDARY;
        pos++;
        if (ci_equal(ct + name, name_end - name, "boundary")) {
            if (blen >= 0)
                return HD_MP_ERR_BOUNDARY; /* two boundaries: which one would the sender mean? */
            if (pos < len && ct[pos] == '"') {
                blen = unquote(ct, len, &pos, out, HD_MP_BOUNDARY_MAX);
            } else {
                /* unquoted: read up to ';' or space, so "=" and "/" (bchars, not tchars) pass */
                start = pos;
                while (pos < len && ct[pos] != ';' && !is_ows(ct[pos]))
                    pos++;
                blen = pos - start <= HD_MP_BOUNDARY_MAX ? (long)(pos - start) : -1;
                if (blen > 0)
                    memcpy(out, ct + start, (size_t)blen);
            }
            if (blen <= 0)
                return HD_MP_ERR_BOUNDARY;
        } else if (pos < len && ct[pos] == '"') {
            size_t q = pos + 1;
            /* another parameter's quoted value: find its end without keeping it */
            while (q < len && ct[q] != '"')
                q += ct[q] == '\\' ? 2 : 1;
            if (q >= len)
                return HD_MP_ERR_BOUNDARY;
            pos = q + 1;
        } else {
            while (pos < len && ct[pos] != ';' && !is_ows(ct[pos]))
                pos++;
        }
    }
    if (blen <= 0)
        return HD_MP_ERR_BOUNDARY;
    for (i = 0; i < (size_t)blen; i++)
        if (!is_bchar((unsigned char)out[i]))
            return HD_MP_ERR_BOUNDARY;
    if (out[blen - 1] == ' ')
        return HD_MP_ERR_BOUNDARY;
    out[blen] = '\0';
    *out_len = (size_t)blen;
    return HD_MP_OK;
}

/* ---- parser life cycle ---- */

int hd_multipart_create(hd_multipart_t **out, const char *content_type, size_t content_type_len,
                        const hd_multipart_limits_t *limits, const hd_multipart_callbacks_t *cb, void *ctx)
{
    char boundary[HD_MP_BOUNDARY_MAX + 1];
    size_t blen, hmax;
    hd_multipart_t *p;
    int rc;

    *out = NULL;
    if ((rc = hd_multipart_boundary(content_type, content_type_len, boundary, &blen)) != HD_MP_OK)
        return rc;
    hmax = limits != NULL && limits->max_header_bytes != 0 ? limits->max_header_bytes : HD_MP_DEFAULT_MAX_HEADER_BYTES;
    /* the header block, then its decoded values: each kept value is shorter than the raw
     * parameter it came from ("name=" and the like), so its NUL fits too; 8 bytes of slack */
    p = calloc(1, sizeof(*p) + hmax + hmax + 8);
    if (p == NULL)
        return HD_MP_ERR_NOMEM;
    p->lim.max_parts = limits != NULL && limits->max_parts != 0 ? limits->max_parts : HD_MP_DEFAULT_MAX_PARTS;
    p->lim.max_header_bytes = hmax;
    p->lim.max_field_bytes = limits != NULL && limits->max_field_bytes != 0 ? limits->max_field_bytes : HD_MP_DEFAULT_MAX_FIELD_BYTES;
    if (cb != NULL)
        p->cb = *cb;
    p->ctx = ctx;
    p->hbuf = (char *)(p + 1);
    p->vbuf = p->hbuf + hmax;
    memcpy(p->delim, "\r\n--", 4);
    memcpy(p->delim + 4, boundary, blen);
    p->delim_len = 4 + blen;
    p->state = ST_PREAMBLE;
    p->matched = 2; /* the virtual CRLF before the body */
    *out = p;
    return HD_MP_OK;
}

void hd_multipart_free(hd_multipart_t *p)
{
    free(p);
}

size_t hd_multipart_part_count(const hd_multipart_t *p)
{
    return p->nparts;
}

static int fail(hd_multipart_t *p, int error, const char *detail)
{
    p->state = ST_ERROR;
    p->error = error;
    p->detail = detail;
    return error;
}

/* ---- part headers ---- */

/* Store a decoded value: it was written at vbuf + *voff (len bytes); NUL-terminate it. */
static const char *keep_value(hd_multipart_t *p, size_t *voff, size_t len)
{
    const char *v = p->vbuf + *voff;
    p->vbuf[*voff + len] = '\0';
    *voff += len + 1;
    return v;
}

/* RFC 5987 ext-value: charset "'" [language] "'" pct-encoded; decoded in place. */
static long decode_ext_value(hd_multipart_t *p, char *s, size_t len)
{
    size_t i, o = 0;
    char *q1 = memchr(s, '\'', len), *q2;
    if (q1 == NULL || (q2 = memchr(q1 + 1, '\'', len - (size_t)(q1 + 1 - s))) == NULL) {
        fail(p, HD_MP_ERR_MALFORMED, "Malformed multipart body: filename* is not charset'language'value");
        return -1;
    }
    if (!ci_equal(s, (size_t)(q1 - s), "utf-8")) {
        fail(p, HD_MP_ERR_MALFORMED, "Malformed multipart body: filename* charset must be UTF-8");
        return -1;
    }
    for (i = (size_t)(q2 + 1 - s); i < len; i++) {
        if (s[i] == '%') {
            int h, l;
            if (i + 2 >= len || (h = hexval(s[i + 1])) < 0 || (l = hexval(s[i + 2])) < 0) {
                fail(p, HD_MP_ERR_MALFORMED, "Malformed multipart body: bad percent-encoding in filename*");
                return -1;
            }
            s[o++] = (char)(h * 16 + l);
            i += 2;
        } else {
            s[o++] = s[i];
        }
    }
    return (long)o;
}

static int parse_disposition(hd_multipart_t *p, const char *v, size_t len, size_t *voff, hd_multipart_part_t *part,
                             int *has_name)
{
    size_t pos = skip_ows(v, len, 0), start = pos;
    int has_filename = 0, has_ext = 0;
    const char *plain = NULL;
    size_t plain_len = 0;

    pos = skip_token(v, len, pos);
    if (!ci_equal(v + start, pos - start, "form-data"))
        return fail(p, HD_MP_ERR_MALFORMED, "Malformed multipart body: Content-Disposition must be form-data");
    for (;;) {
        size_t name, name_end;
        char *dst = p->vbuf + *voff;
        long vlen;
        pos = skip_ows(v, len, pos);
        if (pos == len)
            break;
        if (v[pos] != ';')
            return fail(p, HD_MP_ERR_MALFORMED, "Malformed multipart body: bad Content-Disposition parameters");
        pos = skip_ows(v, len, pos + 1);
        if (pos == len)
            break;
        name = pos;
        name_end = pos = skip_token(v, len, pos);
        pos = skip_ows(v, len, pos);
        if (name_end == name || pos == len || v[pos] != '=')
            return fail(p, HD_MP_ERR_MALFORMED, "Malformed multipart body: bad Content-Disposition parameters");
        pos = skip_ows(v, len, pos + 1);
        if (pos < len && v[pos] == '"') {
            vlen = unquote(v, len, &pos, dst, len);
        } else {
            start = pos;
            pos = skip_token(v, len, pos);
            vlen = pos > start ? (long)(pos - start) : -1;
            if (vlen > 0)
                memcpy(dst, v + start, (size_t)vlen);
        }
        if (vlen < 0)
            return fail(p, HD_MP_ERR_MALFORMED, "Malformed multipart body: bad Content-Disposition parameter value");
        if (ci_equal(v + name, name_end - name, "name")) {
            if (*has_name)
                return fail(p, HD_MP_ERR_MALFORMED, "Malformed multipart body: duplicate name parameter");
            *has_name = 1;
            part->name_len = (size_t)vlen;
            part->name = keep_value(p, voff, (size_t)vlen);
        } else if (ci_equal(v + name, name_end - name, "filename")) {
            if (has_filename)
                return fail(p, HD_MP_ERR_MALFORMED, "Malformed multipart body: duplicate filename parameter");
            has_filename = 1;
            plain_len = (size_t)vlen;
            plain = keep_value(p, voff, (size_t)vlen);
        } else if (ci_equal(v + name, name_end - name, "filename*")) {
            if (has_ext)
                return fail(p, HD_MP_ERR_MALFORMED, "Malformed multipart body: duplicate filename* parameter");
            has_ext = 1;
            if ((vlen = decode_ext_value(p, dst, (size_t)vlen)) < 0)
                return p->error;
            part->filename_len = (size_t)vlen;
            part->filename = keep_value(p, voff, (size_t)vlen);
        }
        /* other parameters: read, not kept */
    }
    if (!has_ext && has_filename) { /* RFC 6266: filename* wins when both are present */
        part->filename = plain;
        part->filename_len = plain_len;
    }
    return HD_MP_OK;
}

/* The header block hbuf[0..hlen) ends with CRLF CRLF (or is a lone CRLF); every line ends with CRLF. */
static int parse_headers(hd_multipart_t *p, hd_multipart_part_t *part)
{
    size_t pos = 0, voff = 0;
    int has_disposition = 0, has_name = 0;

    while (pos + 2 < p->hlen) {
        const char *line = p->hbuf + pos;
        size_t line_len = (size_t)((char *)memchr(line, '\r', p->hlen - pos) - line), name_end, vs, ve, i;
        pos += line_len + 2;
        if (is_ows(line[0]))
            return fail(p, HD_MP_ERR_MALFORMED, "Malformed multipart body: folded part header lines are not supported");
        name_end = skip_token(line, line_len, 0);
        if (name_end == 0 || name_end == line_len || line[name_end] != ':')
            return fail(p, HD_MP_ERR_MALFORMED, "Malformed multipart body: invalid part header line");
        vs = skip_ows(line, line_len, name_end + 1);
        ve = line_len;
        while (ve > vs && is_ows(line[ve - 1]))
            ve--;
        for (i = vs; i < ve; i++) {
            unsigned char c = (unsigned char)line[i];
            if ((c < 0x20 && c != '\t') || c == 0x7F)
                return fail(p, HD_MP_ERR_MALFORMED, "Malformed multipart body: control character in a part header");
        }
        if (ci_equal(line, name_end, "content-disposition")) {
            if (has_disposition)
                return fail(p, HD_MP_ERR_MALFORMED, "Malformed multipart body: duplicate Content-Disposition");
            has_disposition = 1;
            if (parse_disposition(p, line + vs, ve - vs, &voff, part, &has_name) != HD_MP_OK)
                return p->error;
        } else if (ci_equal(line, name_end, "content-type")) {
            if (part->content_type != NULL)
                return fail(p, HD_MP_ERR_MALFORMED, "Malformed multipart body: duplicate Content-Type in a part");
            memcpy(p->vbuf + voff, line + vs, ve - vs);
            part->content_type_len = ve - vs;
            part->content_type = keep_value(p, &voff, ve - vs);
        }
    }
    if (!has_name || part->name_len == 0)
        return fail(p, HD_MP_ERR_NO_NAME, NULL);
    if (!hd_utf8_valid(part->name, part->name_len))
        return fail(p, HD_MP_ERR_MALFORMED, "Malformed multipart body: part name is not valid UTF-8");
    if (part->filename != NULL && !hd_utf8_valid(part->filename, part->filename_len))
        return fail(p, HD_MP_ERR_MALFORMED, "Malformed multipart body: filename is not valid UTF-8");
    return HD_MP_OK;
}

static int begin_data(hd_multipart_t *p)
{
    hd_multipart_part_t part;
    memset(&part, 0, sizeof(part));
    part.index = p->nparts - 1;
    if (parse_headers(p, &part) != HD_MP_OK)
        return p->error;
    p->state = ST_DATA;
    p->matched = 0;
    p->part_bytes = 0;
    p->in_file = part.filename != NULL;
    if (p->cb.on_part_begin != NULL && p->cb.on_part_begin(p->ctx, &part) != 0)
        return fail(p, HD_MP_ERR_ABORTED, NULL);
    return HD_MP_OK;
}

/* Collect header bytes up to the blank line. */
static int feed_headers(hd_multipart_t *p, const char *buf, size_t len, size_t *pos)
{
    size_t i = *pos;
    while (i < len) {
        char c = buf[i++], prev = p->hlen > 0 ? p->hbuf[p->hlen - 1] : '\0';
        if (prev == '\r' && c != '\n')
            return fail(p, HD_MP_ERR_MALFORMED, "Malformed multipart body: CR without LF in part headers");
        if (c == '\n' && prev != '\r')
            return fail(p, HD_MP_ERR_MALFORMED, "Malformed multipart body: line ends must be CRLF");
        if (p->hlen == p->lim.max_header_bytes)
            return fail(p, HD_MP_ERR_HEADER_TOO_LARGE, NULL);
        p->hbuf[p->hlen++] = c;
        /* end: a CRLF that starts the block, or CRLF CRLF (the checks above make "\n" at hlen-3 mean that) */
        if (c == '\n' && (p->hlen == 2 || (p->hlen >= 4 && p->hbuf[p->hlen - 3] == '\n'))) {
            *pos = i;
            return begin_data(p);
        }
    }
    *pos = i;
    return HD_MP_OK;
}

/* ---- content and preamble ---- */

static int emit(hd_multipart_t *p, const char *d, size_t n)
{
    if (n == 0 || p->state != ST_DATA)
        return HD_MP_OK; /* the preamble is dropped */
    if (!p->in_file && n > p->lim.max_field_bytes - p->part_bytes)
        return fail(p, HD_MP_ERR_FIELD_TOO_LARGE, NULL);
    p->part_bytes += n;
    if (p->cb.on_part_data != NULL && p->cb.on_part_data(p->ctx, d, n) != 0)
        return fail(p, HD_MP_ERR_ABORTED, NULL);
    return HD_MP_OK;
}

/* Scan for the delimiter from buf[*pos]; everything before it is content (or preamble). */
static int feed_content(hd_multipart_t *p, const char *buf, size_t len, size_t *pos)
{
    size_t i = *pos;
    while (i < len) {
        if (p->matched > 0) {
            if (buf[i] == p->delim[p->matched]) {
                i++;
                if (++p->matched < p->delim_len)
                    continue;
                p->matched = 0;
                *pos = i;
                if (p->state == ST_DATA && p->cb.on_part_end != NULL && p->cb.on_part_end(p->ctx) != 0)
                    return fail(p, HD_MP_ERR_ABORTED, NULL);
                p->state = ST_DELIM;
                return HD_MP_OK;
            } else {
                /* not a delimiter: the held-back bytes are content (still in the caller's
                 * chunk when the match began in it); buf[i] may start a new match */
                size_t held = p->matched;
                p->matched = 0;
                if (emit(p, i >= held ? buf + i - held : p->delim, held) != HD_MP_OK)
                    return p->error;
            }
        } else {
            const char *cr = memchr(buf + i, '\r', len - i);
            size_t end = cr != NULL ? (size_t)(cr - buf) : len;
            if (emit(p, buf + i, end - i) != HD_MP_OK)
                return p->error;
            i = end;
            if (cr != NULL) {
                p->matched = 1;
                i++;
            }
        }
    }
    *pos = i;
    return HD_MP_OK;
}

static int begin_part(hd_multipart_t *p)
{
    if (p->nparts == p->lim.max_parts)
        return fail(p, HD_MP_ERR_TOO_MANY_PARTS, NULL);
    p->nparts++;
    p->hlen = 0;
    p->state = ST_HEADERS;
    return HD_MP_OK;
}

int hd_multipart_feed(hd_multipart_t *p, const char *buf, size_t len)
{
    size_t i = 0;
    while (i < len) {
        char c;
        switch (p->state) {
        case ST_PREAMBLE:
        case ST_DATA:
            if (feed_content(p, buf, len, &i) != HD_MP_OK)
                return p->error;
            break;
        case ST_HEADERS:
            if (feed_headers(p, buf, len, &i) != HD_MP_OK)
                return p->error;
            break;
        case ST_DELIM:
        case ST_DELIM_PAD:
            c = buf[i++];
            if (c == '-' && p->state == ST_DELIM)
                p->state = ST_DELIM_DASH;
            else if (is_ows(c))
                p->state = ST_DELIM_PAD;
            else if (c == '\r')
                p->state = ST_DELIM_CR;
            else if (c == '\n')
                return fail(p, HD_MP_ERR_MALFORMED, "Malformed multipart body: line ends must be CRLF");
            else
                return fail(p, HD_MP_ERR_MALFORMED, "Malformed multipart body: boundary followed by other text");
            break;
        case ST_DELIM_DASH:
            if (buf[i++] != '-')
                return fail(p, HD_MP_ERR_MALFORMED, "Malformed multipart body: boundary followed by other text");
            p->state = ST_EPILOGUE;
            break;
        case ST_DELIM_CR:
            if (buf[i++] != '\n')
                return fail(p, HD_MP_ERR_MALFORMED, "Malformed multipart body: CR without LF after a boundary");
            if (begin_part(p) != HD_MP_OK)
                return p->error;
            break;
        case ST_EPILOGUE:
            return HD_MP_OK;
        case ST_ERROR:
            return p->error;
        }
    }
    return p->state == ST_ERROR ? p->error : HD_MP_OK;
}

int hd_multipart_finish(hd_multipart_t *p)
{
    if (p->state == ST_EPILOGUE || p->state == ST_ERROR)
        return p->state == ST_ERROR ? p->error : HD_MP_OK;
    return fail(p, HD_MP_ERR_TRUNCATED,
                p->state == ST_PREAMBLE ? "Multipart body is truncated: no boundary found" : NULL);
}

const char *hd_multipart_message(int status)
{
    switch (status) {
    case HD_MP_OK: return "OK";
    case HD_MP_ERR_CONTENT_TYPE: return "Content-Type must be multipart/form-data";
    case HD_MP_ERR_BOUNDARY: return "Missing or invalid multipart boundary";
    case HD_MP_ERR_TRUNCATED: return "Multipart body is truncated";
    case HD_MP_ERR_MALFORMED: return "Malformed multipart body";
    case HD_MP_ERR_NO_NAME: return "Multipart part without a name";
    case HD_MP_ERR_TOO_MANY_PARTS: return "Too many multipart parts";
    case HD_MP_ERR_HEADER_TOO_LARGE: return "Multipart part headers too large";
    case HD_MP_ERR_FIELD_TOO_LARGE: return "Multipart field too large";
    case HD_MP_ERR_ABORTED: return "Multipart upload refused";
    case HD_MP_ERR_NOMEM: return "Out of memory";
    }
    return "Invalid multipart body";
}

const char *hd_multipart_detail(const hd_multipart_t *p)
{
    if (p->state != ST_ERROR)
        return hd_multipart_message(HD_MP_OK);
    return p->detail != NULL ? p->detail : hd_multipart_message(p->error);
}
