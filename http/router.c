/* router.c: segment trie. Literal segments beat parameters; a path that exists for other
 * methods answers 405 with the Allow list. */
#include "router.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const methods[] = {"GET", "POST", "PUT", "PATCH", "DELETE"};
#define NMETHODS 5

typedef struct node node_t;
struct node {
    char *seg; /* literal segment, or parameter name without ':' */
    size_t seg_len;
    node_t **lits;
    size_t nlits;
    node_t *param;
    const hd_route_t *routes[NMETHODS];
    int has_routes;
};

struct hd_router {
    node_t root;
};

static int method_index(const char *m, size_t len)
{
    int i;
    for (i = 0; i < NMETHODS; i++)
        if (strlen(methods[i]) == len && memcmp(methods[i], m, len) == 0)
            return i;
    return -1;
}

static node_t *new_node(const char *s, size_t len)
{
    node_t *n = calloc(1, sizeof(*n));
    n->seg = malloc(len + 1);
    memcpy(n->seg, s, len);
    n->seg[len] = '\0';
    n->seg_len = len;
    return n;
}

/* Next segment of p[*off..len). Returns 1 and sets seg/seglen, 0 at the end. */
static int next_seg(const char *p, size_t len, size_t *off, const char **seg, size_t *seglen)
{
    size_t s, e;
    if (*off >= len)
        return 0;
    s = *off;
    if (p[s] == '/')
        s++;
    e = s;
    while (e < len && p[e] != '/')
        e++;
    *seg = p + s;
    *seglen = e - s;
    *off = e;
    return 1;
}

/* Strip one trailing '/' (so "/api/v1/" == "/api/v1"). */
static size_t norm_len(const char *p, size_t len)
{
    if (len > 1 && p[len - 1] == '/')
        len--;
    return len;
}

/* The function is spliced into the statement's text (db.c): a plain lower-case identifier only. */
static int function_name_ok(const char *f)
{
    size_t i;
    if (f == NULL || f[0] == '\0' || (f[0] >= '0' && f[0] <= '9'))
        return 0;
    for (i = 0; f[i] != '\0'; i++)
        if (!((f[i] >= 'a' && f[i] <= 'z') || (f[i] >= '0' && f[i] <= '9') || f[i] == '_') || i >= 63)
            return 0;
    return 1;
}

/* args is spliced into the request document as it is: NULL or the text of one JSON object. */
static int args_ok(const char *args)
{
    json_t *v;
    int ok;
    if (args == NULL)
        return 1;
    v = json_loads(args, JSON_REJECT_DUPLICATES, NULL);
    ok = json_is_object(v);
    json_decref(v);
    return ok;
}

hd_router_t *hd_router_build(const hd_route_t *routes, size_t n)
{
    hd_router_t *r = calloc(1, sizeof(*r));
    size_t i;
    for (i = 0; i < n; i++) {
        const char *p = routes[i].path, *seg;
        size_t len = norm_len(p, strlen(p)), off = 0, seglen;
        node_t *cur = &r->root;
        int mi = method_index(routes[i].method, strlen(routes[i].method)), nparams = 0;
        if (mi < 0 || p[0] != '/') {
            fprintf(stderr, "router: bad route %s %s\n", routes[i].method, p);
            goto Fail;
        }
        if (!function_name_ok(routes[i].function)) {
            fprintf(stderr, "router: %s %s: function name '%s' is not a lower-case SQL identifier\n", routes[i].method, p,
                    routes[i].function ? routes[i].function : "(null)");
            goto Fail;
        }
        if (!args_ok(routes[i].args)) {
            fprintf(stderr, "router: %s %s: args is not the text of a JSON object\n", routes[i].method, p);
            goto Fail;
        }
        if (len == 1)
            len = 0;
        while (next_seg(p, len, &off, &seg, &seglen)) {
            if (seglen == 0) {
                fprintf(stderr, "router: empty segment in %s\n", p);
                goto Fail;
            }
            if (seg[0] == ':') {
                if (seglen == 1 || ++nparams > HD_MAX_PARAMS) {
                    fprintf(stderr, "router: bad parameter in %s\n", p);
                    goto Fail;
                }
                if (cur->param == NULL)
                    cur->param = new_node(seg + 1, seglen - 1);
                else if (cur->param->seg_len != seglen - 1 || memcmp(cur->param->seg, seg + 1, seglen - 1) != 0) {
                    fprintf(stderr, "router: %s names a parameter differently from another route\n", p);
                    goto Fail;
                }
                cur = cur->param;
            } else {
                size_t k;
                node_t *child = NULL;
                for (k = 0; k < cur->nlits; k++)
                    if (cur->lits[k]->seg_len == seglen && memcmp(cur->lits[k]->seg, seg, seglen) == 0)
                        child = cur->lits[k];
                if (child == NULL) {
                    child = new_node(seg, seglen);
                    cur->lits = realloc(cur->lits, (cur->nlits + 1) * sizeof(node_t *));
                    cur->lits[cur->nlits++] = child;
                }
                cur = child;
            }
        }
        if (cur->routes[mi] != NULL) {
            fprintf(stderr, "router: duplicate route %s %s\n", routes[i].method, p);
            goto Fail;
        }
        cur->routes[mi] = &routes[i];
        cur->has_routes = 1;
    }
    return r;
Fail:
    hd_router_free(r);
    return NULL;
}

static void free_node(node_t *n, int self)
{
    size_t i;
    for (i = 0; i < n->nlits; i++)
        free_node(n->lits[i], 1);
    free(n->lits);
    if (n->param)
        free_node(n->param, 1);
    free(n->seg);
    if (self)
        free(n);
}

void hd_router_free(hd_router_t *r)
{
    if (r == NULL)
        return;
    free_node(&r->root, 0);
    free(r);
}

/* Depth-first search; mi < 0: any node with routes. Returns the node or NULL. */
static const node_t *search(const node_t *n, const char *p, size_t len, size_t off, int mi, hd_match_t *m)
{
    const char *seg;
    size_t seglen, k, next = off;
    if (!next_seg(p, len, &next, &seg, &seglen)) {
        if (mi >= 0 ? n->routes[mi] != NULL : n->has_routes)
            return n;
        return NULL;
    }
    if (seglen == 0)
        return NULL;
    for (k = 0; k < n->nlits; k++) {
        if (n->lits[k]->seg_len == seglen && memcmp(n->lits[k]->seg, seg, seglen) == 0) {
            const node_t *found = search(n->lits[k], p, len, next, mi, m);
            if (found != NULL)
                return found;
            break;
        }
    }
    if (n->param != NULL && m->nparams < HD_MAX_PARAMS) {
        size_t saved = m->nparams;
        const node_t *found;
        m->params[m->nparams].name = n->param->seg;
        m->params[m->nparams].name_len = n->param->seg_len;
        m->params[m->nparams].value = seg;
        m->params[m->nparams].value_len = seglen;
        m->nparams++;
        if ((found = search(n->param, p, len, next, mi, m)) != NULL)
            return found;
        m->nparams = saved;
    }
    return NULL;
}

int hd_router_match(const hd_router_t *r, const char *method, size_t method_len, const char *path, size_t path_len, hd_match_t *m)
{
    int mi = method_index(method, method_len), i;
    const node_t *n;
    size_t len = norm_len(path, path_len);
    m->route = NULL;
    m->nparams = 0;
    m->allow[0] = '\0';
    if (len == 0 || path[0] != '/')
        return 404;
    if (len == 1)
        len = 0;
    if (mi >= 0 && (n = search(&r->root, path, len, 0, mi, m)) != NULL) {
        m->route = n->routes[mi];
        return 200;
    }
    m->nparams = 0;
    if ((n = search(&r->root, path, len, 0, -1, m)) == NULL)
        return 404;
    m->nparams = 0;
    for (i = 0; i < NMETHODS; i++) {
        if (n->routes[i] != NULL) {
            if (m->allow[0] != '\0')
                strcat(m->allow, ", ");
            strcat(m->allow, methods[i]);
        }
    }
    strcat(m->allow, ", OPTIONS");
    return 405;
}
