/* cors.h: CORS from CORS_ORIGIN / CORS_CREDENTIALS. */
#ifndef HD_CORS_H
#define HD_CORS_H

#ifndef H2O_USE_LIBUV
#define H2O_USE_LIBUV 0
#endif
#include <h2o.h>

/* 1 when the origin is allowed by the configuration. */
int hd_cors_origin_allowed(const char *origin, size_t len);
/* Adds Access-Control-Allow-Origin (+Credentials) and Vary: Origin to any response whose
 * request carries an allowed Origin. Returns -1 when an Origin is present but not allowed, else 0. */
int hd_cors_add_headers(h2o_req_t *req);
/* A preflight OPTIONS request: returns 403 for a refused origin, else adds the preflight headers
 * (methods, headers, max age) to the response and returns 204. The caller sends the answer. */
int hd_cors_preflight(h2o_req_t *req);

#endif
