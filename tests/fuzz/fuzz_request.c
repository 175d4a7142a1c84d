/* fuzz_request.c: the checks made before the database is called and the request document
 * (http/request.c): query strings, JSON bodies, hd_query_get.
 *
 * Input: byte 0 holds flags (bit 0: the route takes a JSON body; bit 1: a body limit of 64
 * bytes instead of 1 MiB); then the query string up to the first '#' (none without '#': a
 * request without '?'), then the body (none without '#').
 *
 * Invariants: a document that is built is valid JSON per jansson with no duplicate key and
 * no NUL byte (it goes to libpq as a C string), exactly {path, query, body}; its query is the
 * one a reference decoder written here gives (%XX, '+' is a space, the last value of a key
 * wins, empty keys dropped, invalid UTF-8 or NUL or a bad escape refused); its body is the
 * body's own JSON value, present exactly when the body is not blank, no longer than the limit
 * (else 413), valid JSON without duplicate keys and nested at most 64 deep (else 400). */
#include <jansson.h>

#include "../../http/request.h"
#include "fuzz.h"

static int hex(char c)
{
    return c >= '0' && c <= '9' ? c - '0' : (c >= 'a' && c <= 'f') ? c - 'a' + 10 : (c >= 'A' && c <= 'F') ? c - 'A' + 10 : -1;
}

/* Decoded text of s[0..len) with '+' as a space; NULL when an escape is bad, a byte is NUL or
 * the text is not UTF-8. */
static char *ref_decode(const char *s, size_t len, size_t *out_len)
{
    char *out = malloc(len + 1);
    size_t i, o = 0;
    for (i = 0; i < len; i++) {
        if (s[i] == '%') {
            if (i + 2 >= len || hex(s[i + 1]) < 0 || hex(s[i + 2]) < 0) {
                free(out);
                return NULL;
            }
            out[o++] = (char)(hex(s[i + 1]) * 16 + hex(s[i + 2]));
            i += 2;
        } else {
            out[o++] = s[i] == '+' ? ' ' : s[i];
        }
    }
    out[o] = '\0';
    if (memchr(out, '\0', o) != NULL) {
        free(out);
        return NULL;
    }
    *out_len = o;
    return out;
}

static int utf8_ok(const char *s, size_t len)
{
    json_t *t = json_stringn(s, len);
    json_decref(t);
    return t != NULL;
}

/* Reference query object, or NULL when the server must refuse the query (400). */
static json_t *ref_query(const char *q, size_t len)
{
    json_t *obj = json_object();
    size_t off = 0, pairs = 0;
    while (off <= len) {
        const char *amp = memchr(q + off, '&', len - off);
        size_t end = amp != NULL ? (size_t)(amp - q) : len, eq;
        if (end > off) {
            char *k, *v;
            size_t kl, vl;
            json_t *vs;
            if (++pairs > HD_MAX_QUERY_PARAMS)
                goto Bad;
            for (eq = off; eq < end && q[eq] != '='; eq++)
                ;
            k = ref_decode(q + off, eq - off, &kl);
            v = eq < end ? ref_decode(q + eq + 1, end - eq - 1, &vl) : ref_decode("", 0, &vl);
            vs = v != NULL ? json_stringn(v, vl) : NULL;
            if (k == NULL || vs == NULL || !utf8_ok(k, kl)) {
                json_decref(vs);
                free(k);
                free(v);
                goto Bad;
            }
            if (kl > 0)
                json_object_set_new(obj, k, vs); /* last value wins */
            else
                json_decref(vs);
            free(k);
            free(v);
        }
        off = end + 1;
    }
    return obj;
Bad:
    json_decref(obj);
    return NULL;
}

static int depth_of(const json_t *v)
{
    int d = 0, c;
    size_t i;
    const char *k;
    json_t *x;
    if (json_is_array(v)) {
        json_array_foreach(v, i, x) if ((c = depth_of(x)) > d) d = c;
        return d + 1;
    }
    if (json_is_object(v)) {
        json_object_foreach((json_t *)v, k, x) if ((c = depth_of(x)) > d) d = c;
        return d + 1;
    }
    return 0;
}

static int blank(const char *s, size_t len)
{
    size_t i;
    for (i = 0; i < len; i++)
        if (!strchr(" \t\r\n", s[i]) || s[i] == '\0')
            return 0;
    return 1;
}

/* hd_query_get("access_token") against the same rules written out: the last occurrence of the
 * name decides; the name alone (no '=') is present and empty (0); a value longer than the
 * output buffer or with a bad %-escape is present but unusable (-2); absent is -1. */
static void check_query_get(const char *q, size_t len)
{
    char out[64], ref[64];
    long got = hd_query_get(q, len, "access_token", out, sizeof(out)), want = -1;
    size_t off = 0;
    while (off < len) {
        const char *amp = memchr(q + off, '&', len - off);
        size_t end = amp != NULL ? (size_t)(amp - q) : len;
        const char *eq = memchr(q + off, '=', end - off);
        size_t name_len = eq != NULL ? (size_t)(eq - (q + off)) : end - off;
        if (name_len == 12 && memcmp(q + off, "access_token", 12) == 0) {
            if (eq == NULL) {
                want = 0;
            } else if (end - (size_t)(eq + 1 - q) > sizeof(ref)) {
                want = -2;
            } else {
                size_t i, o = 0;
                want = 0;
                for (i = (size_t)(eq + 1 - q); i < end; i++) {
                    if (q[i] == '%') {
                        if (i + 2 >= end || hex(q[i + 1]) < 0 || hex(q[i + 2]) < 0) {
                            want = -2;
                            break;
                        }
                        ref[o++] = (char)(hex(q[i + 1]) * 16 + hex(q[i + 2]));
                        i += 2;
                    } else {
                        ref[o++] = q[i] == '+' ? ' ' : q[i];
                    }
                }
                if (want == 0)
                    want = (long)o;
            }
        }
        off = end + 1;
    }
    FUZZ_ASSERT(got == want);
    FUZZ_ASSERT(got <= 0 || memcmp(out, ref, (size_t)got) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *hash;
    char *query = NULL, *body = NULL;
    size_t query_len = 0, body_len = 0, max_body;
    int body_json, rc;
    hd_match_t m;
    hd_buf_t doc = {0};
    hd_reqerr_t err = {0, NULL};
    json_t *want_query = NULL, *want_body = NULL, *got;
    json_error_t jerr;
    int want_status = 0;

    if (size < 1)
        return 0;
    body_json = data[0] & 1;
    max_body = (data[0] & 2) ? 64 : 1024 * 1024;
    hash = memchr(data + 1, '#', size - 1);
    if (hash != NULL) {
        query_len = (size_t)(hash - (data + 1));
        query = fuzz_dup(data + 1, query_len);
        body_len = size - 1 - query_len - 1;
        body = fuzz_dup(hash + 1, body_len);
    }
    memset(&m, 0, sizeof(m));

    /* what the server must answer */
    if (query != NULL && (want_query = ref_query(query, query_len)) == NULL)
        want_status = 400;
    if (want_status == 0 && body_json && body != NULL && !blank(body, body_len)) {
        if (body_len > max_body) {
            want_status = 413;
        } else {
            /* JSON text has no NUL byte (jansson would accept one after a number) */
            if (memchr(body, '\0', body_len) == NULL)
                want_body = json_loadb(body, body_len, JSON_REJECT_DUPLICATES | JSON_DECODE_INT_AS_REAL | JSON_DECODE_ANY, &jerr);
            if (want_body == NULL || depth_of(want_body) > HD_MAX_JSON_DEPTH)
                want_status = 400;
        }
    }

    rc = hd_build_request_doc(&m, query, query_len, body, body_len, body_json, max_body, NULL, &doc, &err);
    if (want_status != 0) {
        FUZZ_ASSERT(rc == -1 && err.status == want_status && err.message != NULL);
    } else {
        FUZZ_ASSERT(rc == 0);
        FUZZ_ASSERT(doc.base != NULL && strlen(doc.base) == doc.len);
        got = json_loadb(doc.base, doc.len, JSON_REJECT_DUPLICATES | JSON_DECODE_INT_AS_REAL, &jerr);
        FUZZ_ASSERT(got != NULL && json_is_object(got) && json_object_size(got) == 4);
        FUZZ_ASSERT(json_is_object(json_object_get(got, "path")) && json_object_size(json_object_get(got, "path")) == 0);
        FUZZ_ASSERT(json_is_null(json_object_get(got, "args")));
        if (want_query != NULL)
            FUZZ_ASSERT(json_equal(json_object_get(got, "query"), want_query));
        else
            FUZZ_ASSERT(json_object_size(json_object_get(got, "query")) == 0);
        if (want_body != NULL)
            FUZZ_ASSERT(json_equal(json_object_get(got, "body"), want_body));
        else
            FUZZ_ASSERT(json_is_null(json_object_get(got, "body")));
        json_decref(got);
    }
    if (query != NULL)
        check_query_get(query, query_len);
    json_decref(want_query);
    json_decref(want_body);
    hd_buf_free(&doc);
    free(query);
    free(body);
    return 0;
}
