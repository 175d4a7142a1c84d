/* request.c: everything checked before the database is called, and the request document. */
#include "request.h"

#include <jansson.h>
#include <string.h>
#include <strings.h>

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

long hd_pct_decode(const char *s, size_t len, int plus_space, char *out)
{
    size_t i, o = 0;
    for (i = 0; i < len; i++) {
        char c = s[i];
        if (c == '%') {
            int h, l;
            if (i + 2 >= len)
                return -1;
            if ((h = hexval(s[i + 1])) < 0 || (l = hexval(s[i + 2])) < 0)
                return -1;
            out[o++] = (char)(h * 16 + l);
            i += 2;
        } else if (c == '+' && plus_space) {
            out[o++] = ' ';
        } else {
            out[o++] = c;
        }
    }
    return (long)o;
}

int hd_utf8_valid(const char *str, size_t len)
{
    const unsigned char *s = (const unsigned char *)str;
    size_t i = 0;
    while (i < len) {
        unsigned char c = s[i];
        if (c == 0)
            return 0;
        if (c < 0x80) {
            i++;
        } else if (c >= 0xC2 && c <= 0xDF) {
            if (i + 1 >= len || (s[i + 1] & 0xC0) != 0x80)
                return 0;
            i += 2;
        } else if (c >= 0xE0 && c <= 0xEF) {
            if (i + 2 >= len || (s[i + 1] & 0xC0) != 0x80 || (s[i + 2] & 0xC0) != 0x80)
                return 0;
            if (c == 0xE0 && s[i + 1] < 0xA0)
                return 0; /* overlong */
            if (c == 0xED && s[i + 1] >= 0xA0)
                return 0; /* surrogates */
            i += 3;
        } else if (c >= 0xF0 && c <= 0xF4) {
            if (i + 3 >= len || (s[i + 1] & 0xC0) != 0x80 || (s[i + 2] & 0xC0) != 0x80 || (s[i + 3] & 0xC0) != 0x80)
                return 0;
            if (c == 0xF0 && s[i + 1] < 0x90)
                return 0;
            if (c == 0xF4 && s[i + 1] >= 0x90)
                return 0;
            i += 4;
        } else {
            return 0;
        }
    }
    return 1;
}

typedef struct kv {
    const char *k, *v;
    size_t klen, vlen;
} kv_t;

int hd_query_to_json(const char *q, size_t len, hd_buf_t *b, hd_reqerr_t *err)
{
    kv_t kvs[HD_MAX_QUERY_PARAMS];
    size_t n = 0, i, j, off = 0, used = 0;
    char stackbuf[1024], *dec;
    int first = 1;

    /* decode every pair first (all must be valid, even those a later one overrides): the
     * decoded keys and values together are never longer than the query */
    dec = len <= sizeof(stackbuf) ? stackbuf : malloc(len);
    if (dec == NULL)
        abort();
    while (off < len) {
        size_t e = off, eq;
        long kl, vl;
        while (e < len && q[e] != '&')
            e++;
        if (e > off) {
            if (n == HD_MAX_QUERY_PARAMS) {
                if (dec != stackbuf)
                    free(dec);
                err->status = 400;
                err->message = "Too many query parameters";
                return -1;
            }
            for (eq = off; eq < e && q[eq] != '='; eq++)
                ;
            if ((kl = hd_pct_decode(q + off, eq - off, 1, dec + used)) < 0 || !hd_utf8_valid(dec + used, (size_t)kl))
                goto Bad;
            kvs[n].k = dec + used;
            kvs[n].klen = (size_t)kl;
            used += (size_t)kl;
            vl = eq < e ? hd_pct_decode(q + eq + 1, e - eq - 1, 1, dec + used) : 0;
            if (vl < 0 || !hd_utf8_valid(dec + used, (size_t)vl))
                goto Bad;
            kvs[n].v = dec + used;
            kvs[n].vlen = (size_t)vl;
            used += (size_t)vl;
            n++;
        }
        off = e + 1;
    }
    hd_buf_lit(b, "{");
    for (i = 0; i < n; i++) {
        if (kvs[i].klen == 0)
            continue;
        /* a later occurrence of the same decoded key wins (a%62 and ab are one key) */
        for (j = i + 1; j < n; j++)
            if (kvs[j].klen == kvs[i].klen && memcmp(kvs[j].k, kvs[i].k, kvs[i].klen) == 0)
                break;
        if (j < n)
            continue;
        if (!first)
            hd_buf_lit(b, ",");
        first = 0;
        hd_buf_json_str(b, kvs[i].k, kvs[i].klen);
        hd_buf_lit(b, ":");
        hd_buf_json_str(b, kvs[i].v, kvs[i].vlen);
    }
    hd_buf_lit(b, "}");
    if (dec != stackbuf)
        free(dec);
    return 0;
Bad:
    if (dec != stackbuf)
        free(dec);
    err->status = 400;
    err->message = "Invalid query string (bad percent-encoding or invalid UTF-8)";
    return -1;
}

long hd_query_get(const char *q, size_t len, const char *name, char *out, size_t outcap)
{
    size_t off = 0, nl = strlen(name);
    long found = -1;
    while (off < len) {
        size_t e = off, eq;
        while (e < len && q[e] != '&')
            e++;
        for (eq = off; eq < e && q[eq] != '='; eq++)
            ;
        if (eq - off == nl && memcmp(q + off, name, nl) == 0) {
            if (eq == e)
                found = 0; /* "name" alone: present, empty */
            else if (e - eq - 1 > outcap || (found = hd_pct_decode(q + eq + 1, e - eq - 1, 1, out)) < 0)
                found = -2;
        }
        off = e + 1;
    }
    return found;
}

/* RFC 9110 token characters (media type and subtype names). */
static int is_tchar(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || (c != 0 && strchr("!#$%&'*+-.^_`|~", c));
}

int hd_content_type_is_json(const char *v, size_t len)
{
    size_t i = 0, sub;
    while (i < len && (v[i] == ' ' || v[i] == '\t'))
        i++;
    if (len - i < 12 || strncasecmp(v + i, "application/", 12) != 0)
        return 0;
    i += 12;
    sub = i;
    while (i < len && is_tchar((unsigned char)v[i]))
        i++;
    /* json, or a structured suffix: application/problem+json, application/vnd.x+json */
    if (!((i - sub == 4 && strncasecmp(v + sub, "json", 4) == 0) ||
          (i - sub > 5 && strncasecmp(v + i - 5, "+json", 5) == 0)))
        return 0;
    while (i < len && (v[i] == ' ' || v[i] == '\t'))
        i++;
    return i == len || v[i] == ';'; /* parameters (charset=...) are not judged */
}

int hd_check_body_media_type(const char *content_type, size_t ct_len, size_t body_len, hd_reqerr_t *err)
{
    if (body_len == 0 || (content_type != NULL && hd_content_type_is_json(content_type, ct_len)))
        return 0;
    err->status = 415;
    err->message = "Unsupported media type: send the body as application/json";
    return -1;
}

int hd_is_id_param(const char *name, size_t len)
{
    return (len == 2 && memcmp(name, "id", 2) == 0) || (len > 2 && memcmp(name + len - 2, "Id", 2) == 0);
}

int hd_params_to_json(const hd_match_t *m, hd_buf_t *b, hd_reqerr_t *err)
{
    size_t i;
    hd_buf_lit(b, "{");
    for (i = 0; i < m->nparams; i++) {
        const hd_param_t *p = &m->params[i];
        if (i)
            hd_buf_lit(b, ",");
        hd_buf_json_str(b, p->name, p->name_len);
        hd_buf_lit(b, ":");
        if (hd_is_id_param(p->name, p->name_len)) {
            size_t k;
            long long v = 0;
            char num[24];
            int nl;
            if (p->value_len == 0 || p->value_len > 12)
                goto BadId;
            for (k = 0; k < p->value_len; k++) {
                if (p->value[k] < '0' || p->value[k] > '9')
                    goto BadId;
                v = v * 10 + (p->value[k] - '0');
            }
            if (v < 1 || v > 2147483647LL)
                goto BadId;
            nl = snprintf(num, sizeof(num), "%lld", v);
            hd_buf_append(b, num, (size_t)nl);
        } else {
            char stackbuf[256], *dec = p->value_len <= sizeof(stackbuf) ? stackbuf : malloc(p->value_len);
            long dl = hd_pct_decode(p->value, p->value_len, 0, dec);
            if (dl < 0 || !hd_utf8_valid(dec, (size_t)dl)) {
                if (dec != stackbuf)
                    free(dec);
                err->status = 400;
                err->message = "Invalid path parameter (bad percent-encoding or invalid UTF-8)";
                return -1;
            }
            hd_buf_json_str(b, dec, (size_t)dl);
            if (dec != stackbuf)
                free(dec);
        }
    }
    hd_buf_lit(b, "}");
    return 0;
BadId:
    err->status = 400;
    err->message = "Validation failed (numeric string is expected)";
    return -1;
}

/* Nesting depth of JSON text, strings skipped. */
static int json_depth_ok(const char *s, size_t len, int max)
{
    size_t i;
    int depth = 0, in_str = 0;
    for (i = 0; i < len; i++) {
        char c = s[i];
        if (in_str) {
            if (c == '\\')
                i++;
            else if (c == '"')
                in_str = 0;
        } else if (c == '"') {
            in_str = 1;
        } else if (c == '{' || c == '[') {
            if (++depth > max)
                return 0;
        } else if (c == '}' || c == ']') {
            depth--;
        }
    }
    return 1;
}

int hd_body_validate(const char *body, size_t len, size_t max_size, hd_reqerr_t *err)
{
    json_error_t jerr;
    json_t *v;
    if (len > max_size) {
        err->status = 413;
        err->message = "Request body too large";
        return -1;
    }
    /* JSON text never holds a NUL byte, but jansson stops reading a number at one and accepts
     * "2<NUL>"; the body is spliced into the request document, which libpq sends as a C
     * string, so a NUL would cut the document short (found by tests/fuzz/fuzz_request). */
    if (memchr(body, '\0', len) != NULL) {
        err->status = 400;
        err->message = "Invalid JSON body";
        return -1;
    }
    if (!json_depth_ok(body, len, HD_MAX_JSON_DEPTH)) {
        err->status = 400;
        err->message = "Invalid JSON body: nesting deeper than 64 levels";
        return -1;
    }
    v = json_loadb(body, len, JSON_REJECT_DUPLICATES | JSON_DECODE_INT_AS_REAL | JSON_DECODE_ANY, &jerr);
    if (v == NULL) {
        err->status = 400;
        err->message = json_error_code(&jerr) == json_error_duplicate_key ? "Invalid JSON body: duplicate key"
                                                                          : "Invalid JSON body";
        return -1;
    }
    json_decref(v);
    return 0;
}

static int body_is_blank(const char *s, size_t len)
{
    size_t i;
    for (i = 0; i < len; i++)
        if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r' && s[i] != '\n')
            return 0;
    return 1;
}

int hd_build_request_doc(const hd_match_t *m, const char *query, size_t query_len, const char *body, size_t body_len,
                         int body_json, size_t max_body, const char *args, hd_buf_t *out, hd_reqerr_t *err)
{
    hd_buf_lit(out, "{\"path\":");
    if (hd_params_to_json(m, out, err) != 0)
        return -1;
    hd_buf_lit(out, ",\"query\":");
    if (query != NULL) {
        if (hd_query_to_json(query, query_len, out, err) != 0)
            return -1;
    } else {
        hd_buf_lit(out, "{}");
    }
    hd_buf_lit(out, ",\"body\":");
    if (body_json && body != NULL && !body_is_blank(body, body_len)) {
        if (hd_body_validate(body, body_len, max_body, err) != 0)
            return -1;
        hd_buf_append(out, body, body_len);
    } else {
        hd_buf_lit(out, "null");
    }
    hd_buf_lit(out, ",\"args\":");
    if (args != NULL)
        hd_buf_str(out, args); /* a JSON object, checked when the router was built */
    else
        hd_buf_lit(out, "null");
    hd_buf_lit(out, "}");
    return 0;
}
