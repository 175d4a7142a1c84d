/* cors.c: origin check and CORS headers (the reference's cors() options). It decides and adds
 * headers; it never sends a response (the handler and the response filter do), so the
 * dependency between cors.c and response.c goes one way: response.c uses cors.h. */
#include "cors.h"

#include <string.h>

#include "config.h"

int hd_cors_origin_allowed(const char *origin, size_t len)
{
    size_t i;
    while (len > 1 && origin[len - 1] == '/')
        len--;
    if (hd_conf.cors_any)
        return 1;
    for (i = 0; i < hd_conf.cors_origin_count; i++) {
        const char *o = hd_conf.cors_origins[i];
        if (strlen(o) == len && memcmp(o, origin, len) == 0)
            return 1;
    }
    return 0;
}

static ssize_t find_origin(h2o_req_t *req)
{
    return h2o_find_header_by_str(&req->headers, H2O_STRLIT("origin"), -1);
}

int hd_cors_add_headers(h2o_req_t *req)
{
    ssize_t i = find_origin(req);
    h2o_iovec_t o;
    if (i < 0)
        return 0;
    o = req->headers.entries[i].value;
    h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_VARY, NULL, H2O_STRLIT("Origin"));
    if (!hd_cors_origin_allowed(o.base, o.len))
        return -1;
    if (hd_conf.cors_any && !hd_conf.cors_credentials)
        h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_ACCESS_CONTROL_ALLOW_ORIGIN, NULL, H2O_STRLIT("*"));
    else
        h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_ACCESS_CONTROL_ALLOW_ORIGIN, NULL, o.base, o.len);
    if (hd_conf.cors_credentials)
        h2o_add_header_by_str(&req->pool, &req->res.headers, H2O_STRLIT("access-control-allow-credentials"), 0,
                              "Access-Control-Allow-Credentials", H2O_STRLIT("true"));
    return 0;
}

int hd_cors_preflight(h2o_req_t *req)
{
    ssize_t i = find_origin(req);
    if (i >= 0 && !hd_cors_origin_allowed(req->headers.entries[i].value.base, req->headers.entries[i].value.len))
        return 403;
    h2o_add_header_by_str(&req->pool, &req->res.headers, H2O_STRLIT("access-control-allow-methods"), 0,
                          "Access-Control-Allow-Methods", H2O_STRLIT("GET, POST, PUT, PATCH, DELETE, OPTIONS"));
    h2o_add_header_by_str(&req->pool, &req->res.headers, H2O_STRLIT("access-control-allow-headers"), 0,
                          "Access-Control-Allow-Headers", H2O_STRLIT("Content-Type, Authorization, Accept"));
    h2o_add_header_by_str(&req->pool, &req->res.headers, H2O_STRLIT("access-control-max-age"), 0, "Access-Control-Max-Age",
                          H2O_STRLIT("86400"));
    return 204;
}
