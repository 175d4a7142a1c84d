/* router.h: (method, path) -> route, compiled once at startup into a segment trie. */
#ifndef HD_ROUTER_H
#define HD_ROUTER_H

#include <stddef.h>
#include "routes.h"

#define HD_MAX_PARAMS 8

typedef struct hd_param {
    const char *name;
    size_t name_len;
    const char *value; /* raw (still percent-encoded) slice of the request path */
    size_t value_len;
} hd_param_t;

typedef struct hd_match {
    const hd_route_t *route;
    size_t nparams;
    hd_param_t params[HD_MAX_PARAMS];
    char allow[96]; /* for 405: "GET, POST" */
} hd_match_t;

typedef struct hd_router hd_router_t;

/* Build from a table; returns NULL (and prints why) on a duplicate or malformed template, a
 * parameter named differently at the same position, a function name that is not a plain SQL
 * identifier, or args that are not a JSON object. */
hd_router_t *hd_router_build(const hd_route_t *routes, size_t n);
void hd_router_free(hd_router_t *r);

/* path: without the query string. Returns 200 (matched), 404 (no such path) or 405 (path known, method not). */
int hd_router_match(const hd_router_t *r, const char *method, size_t method_len, const char *path, size_t path_len, hd_match_t *m);

#endif
