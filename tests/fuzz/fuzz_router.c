/* fuzz_router.c: hd_router_match against the real route table, then the path parameters of
 * the request document (hd_build_request_doc).
 *
 * Input: byte 0 picks the method (GET, POST, PUT, PATCH, DELETE, OPTIONS, HEAD, or the bytes
 * up to the first space); the rest is the request target, split at the first '?' as the
 * server does.
 *
 * Invariants, checked against a reference matcher written here from the rules (not from the
 * trie): the status (200/404/405) is the one the rules give; a match is the route whose
 * segments are literal earliest (literal beats parameter, left to right); its parameters are
 * the template's names and the path's segments; 405 lists exactly the methods of that path;
 * the request document is valid JSON without duplicate keys or NUL bytes, with id parameters
 * as integers in 1..2147483647 and others as their percent-decoded text, and it is refused
 * (400) exactly when a parameter is not. */
#include <jansson.h>

#include "../../http/request.h"
#include "../../http/router.h"
#include "../../http/routes.h"
#include "fuzz.h"

static hd_router_t *router;
static const char *const methods[] = {"GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "HEAD"};

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    router = hd_router_build(hd_routes, hd_route_count);
    FUZZ_ASSERT(router != NULL);
    return 0;
}

#define MAX_SEGS 64

typedef struct seg {
    const char *s;
    size_t len;
} seg_t;

/* Segments of a path or template after the rules of the router: one trailing '/' ignored,
 * "/" is no segment. Returns the count, or -1 for a path that cannot match anything (not
 * starting with '/', an empty segment, too many segments). */
static int split(const char *p, size_t len, seg_t *segs)
{
    int n = 0;
    size_t i, start;
    if (len == 0 || p[0] != '/')
        return -1;
    if (len > 1 && p[len - 1] == '/')
        len--;
    if (len == 1)
        return 0;
    start = 1;
    for (i = 1; i <= len; i++) {
        if (i == len || p[i] == '/') {
            if (i == start || n == MAX_SEGS)
                return -1;
            segs[n].s = p + start;
            segs[n].len = i - start;
            n++;
            start = i + 1;
        }
    }
    return n;
}

/* Does template t match the path segments? Fills key[k] = 0 (literal) / 1 (parameter). */
static int template_matches(const char *t, const seg_t *ps, int np, char *key)
{
    seg_t ts[MAX_SEGS];
    int nt = split(t, strlen(t), ts), k;
    if (nt != np)
        return 0;
    for (k = 0; k < nt; k++) {
        if (ts[k].s[0] == ':') {
            key[k] = 1;
        } else {
            key[k] = 0;
            if (ts[k].len != ps[k].len || memcmp(ts[k].s, ps[k].s, ps[k].len) != 0)
                return 0;
        }
    }
    return 1;
}

/* Index of the matching route whose key is smallest (method == NULL: any method), or -1. */
static int best_route(const char *method, size_t method_len, const seg_t *ps, int np)
{
    char key[MAX_SEGS], best_key[MAX_SEGS];
    int best = -1;
    size_t i;
    for (i = 0; i < hd_route_count; i++) {
        if (method != NULL && (strlen(hd_routes[i].method) != method_len || memcmp(hd_routes[i].method, method, method_len) != 0))
            continue;
        if (!template_matches(hd_routes[i].path, ps, np, key))
            continue;
        if (best < 0 || memcmp(key, best_key, (size_t)np) < 0) {
            best = (int)i;
            memcpy(best_key, key, (size_t)np);
        }
    }
    return best;
}

static int same_shape(const char *a, const char *b)
{
    seg_t sa[MAX_SEGS], sb[MAX_SEGS];
    int na = split(a, strlen(a), sa), nb = split(b, strlen(b), sb), k;
    if (na != nb)
        return 0;
    for (k = 0; k < na; k++) {
        int pa = sa[k].s[0] == ':', pb = sb[k].s[0] == ':';
        if (pa != pb || (!pa && (sa[k].len != sb[k].len || memcmp(sa[k].s, sb[k].s, sa[k].len) != 0)))
            return 0;
    }
    return 1;
}

static int hex(char c)
{
    return c >= '0' && c <= '9' ? c - '0' : (c >= 'a' && c <= 'f') ? c - 'a' + 10 : (c >= 'A' && c <= 'F') ? c - 'A' + 10 : -1;
}

/* Reference decoding of a non-id parameter: %XX escapes, '+' kept; NULL when invalid. */
static json_t *expected_param_string(const char *v, size_t len)
{
    char *out = malloc(len + 1);
    size_t i, o = 0;
    json_t *s = NULL;
    for (i = 0; i < len; i++) {
        if (v[i] == '%') {
            if (i + 2 >= len || hex(v[i + 1]) < 0 || hex(v[i + 2]) < 0)
                goto Exit;
            out[o++] = (char)(hex(v[i + 1]) * 16 + hex(v[i + 2]));
            i += 2;
        } else {
            out[o++] = v[i];
        }
    }
    if (memchr(out, '\0', o) == NULL)
        s = json_stringn(out, o); /* NULL for invalid UTF-8 */
Exit:
    free(out);
    return s;
}

static long long expected_id(const char *v, size_t len)
{
    long long x = 0;
    size_t i;
    if (len == 0 || len > 12)
        return -1;
    for (i = 0; i < len; i++) {
        if (v[i] < '0' || v[i] > '9')
            return -1;
        x = x * 10 + (v[i] - '0');
    }
    return x >= 1 && x <= 2147483647LL ? x : -1;
}

static void check_doc(const hd_match_t *m, const char *query, size_t query_len)
{
    hd_buf_t doc = {0};
    hd_reqerr_t err = {0, NULL};
    json_t *expected_path = json_object(), *got;
    json_error_t jerr;
    int valid = 1, rc;
    size_t i;

    for (i = 0; i < m->nparams; i++) {
        const hd_param_t *p = &m->params[i];
        char name[64];
        json_t *v;
        FUZZ_ASSERT(p->name_len < sizeof(name));
        memcpy(name, p->name, p->name_len);
        name[p->name_len] = '\0';
        if (strcmp(name, "id") == 0 || (p->name_len > 2 && strcmp(name + p->name_len - 2, "Id") == 0)) {
            long long id = expected_id(p->value, p->value_len);
            v = id > 0 ? json_integer(id) : NULL;
        } else {
            v = expected_param_string(p->value, p->value_len);
        }
        if (v == NULL)
            valid = 0;
        else
            json_object_set_new(expected_path, name, v);
    }
    rc = hd_build_request_doc(m, query, query_len, NULL, 0, 0, 1024, m->route->args, &doc, &err);
    if (!valid) {
        /* a bad parameter is refused before the query is looked at */
        FUZZ_ASSERT(rc == -1 && err.status == 400);
    } else if (rc == 0) {
        FUZZ_ASSERT(doc.base != NULL && strlen(doc.base) == doc.len);
        got = json_loadb(doc.base, doc.len, JSON_REJECT_DUPLICATES, &jerr);
        FUZZ_ASSERT(got != NULL && json_is_object(got) && json_object_size(got) == 4);
        FUZZ_ASSERT(json_equal(json_object_get(got, "path"), expected_path));
        FUZZ_ASSERT(json_is_object(json_object_get(got, "query")) && json_is_null(json_object_get(got, "body")));
        {
            /* the route row's fixed arguments, as written in the table (null when none) */
            json_t *want_args = m->route->args != NULL ? json_loads(m->route->args, 0, NULL) : json_null();
            FUZZ_ASSERT(want_args != NULL && json_equal(json_object_get(got, "args"), want_args));
            json_decref(want_args);
        }
        json_decref(got);
    } else {
        FUZZ_ASSERT(err.status == 400 && query != NULL); /* only the query can be wrong now */
    }
    json_decref(expected_path);
    hd_buf_free(&doc);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *method;
    size_t method_len, off = 1, path_len, query_len = 0, i;
    char *target, *path, *query = NULL, *q;
    seg_t ps[MAX_SEGS];
    hd_match_t m;
    int np, st, best, best_any;

    if (size < 1)
        return 0;
    if ((data[0] & 7) < 7) {
        method = methods[data[0] & 7];
        method_len = strlen(method);
    } else {
        const uint8_t *sp = memchr(data + 1, ' ', size - 1);
        method = (const char *)data + 1;
        method_len = sp != NULL ? (size_t)(sp - (data + 1)) : size - 1;
        off = 1 + method_len + (sp != NULL);
    }
    target = fuzz_dup(data + off, size - off);
    path_len = size - off;
    q = memchr(target, '?', path_len);
    if (q != NULL) {
        query_len = path_len - (size_t)(q - target) - 1;
        path_len = (size_t)(q - target);
        query = fuzz_dup((const uint8_t *)q + 1, query_len);
    }
    path = fuzz_dup((const uint8_t *)target, path_len);

    st = hd_router_match(router, method, method_len, path, path_len, &m);
    np = split(path, path_len, ps);
    best = np < 0 ? -1 : best_route(method, method_len, ps, np);
    best_any = np < 0 ? -1 : best_route(NULL, 0, ps, np);
    if (best >= 0) {
        const hd_route_t *r = &hd_routes[best];
        seg_t ts[MAX_SEGS];
        int nt = split(r->path, strlen(r->path), ts), k;
        size_t pi = 0;
        FUZZ_ASSERT(st == 200 && m.route == r);
        for (k = 0; k < nt; k++) {
            if (ts[k].s[0] != ':')
                continue;
            FUZZ_ASSERT(pi < m.nparams);
            FUZZ_ASSERT(m.params[pi].name_len == ts[k].len - 1 && memcmp(m.params[pi].name, ts[k].s + 1, ts[k].len - 1) == 0);
            FUZZ_ASSERT(m.params[pi].value == ps[k].s && m.params[pi].value_len == ps[k].len);
            pi++;
        }
        FUZZ_ASSERT(pi == m.nparams);
        check_doc(&m, query, query_len);
    } else if (best_any >= 0) {
        char allow[128] = "";
        static const char *const order[] = {"GET", "POST", "PUT", "PATCH", "DELETE"};
        FUZZ_ASSERT(st == 405 && m.route == NULL);
        for (i = 0; i < 5; i++) {
            size_t r;
            for (r = 0; r < hd_route_count; r++) {
                if (strcmp(hd_routes[r].method, order[i]) == 0 && same_shape(hd_routes[r].path, hd_routes[best_any].path)) {
                    if (allow[0] != '\0')
                        strcat(allow, ", ");
                    strcat(allow, order[i]);
                    break;
                }
            }
        }
        strcat(allow, ", OPTIONS");
        FUZZ_ASSERT(strcmp(allow, m.allow) == 0);
    } else {
        FUZZ_ASSERT(st == 404 && m.route == NULL);
    }
    free(path);
    free(query);
    free(target);
    return 0;
}
