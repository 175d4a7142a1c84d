/* reqinfo.h: what the server knows about one request beyond h2o's own fields: its id (sent back
 * as X-Request-Id, given to the database as application_name, written in the access log) and
 * the route it matched (for the metrics). */
#ifndef HD_REQINFO_H
#define HD_REQINFO_H

#ifndef H2O_USE_LIBUV
#define H2O_USE_LIBUV 0
#endif
#include <h2o.h>

#include "routes.h"

/* Longest request id: a client's X-Request-Id up to this length is kept, so "helpdesk-http/" +
 * the id fits PostgreSQL's application_name (63 bytes). */
#define HD_REQUEST_ID_MAX 48

typedef struct hd_reqinfo {
    h2o_req_prefilter_t super; /* h2o keeps it with the request; found again by its callback */
    const hd_route_t *route;   /* NULL until (unless) the request matches a route */
    char id[HD_REQUEST_ID_MAX + 1];
} hd_reqinfo_t;

/* The request's info, created on first use (in req->pool): its id is the client's X-Request-Id
 * when that is 1..HD_REQUEST_ID_MAX characters of [A-Za-z0-9._:-] (a proxy's id carries on),
 * otherwise 16 fresh hex digits. */
hd_reqinfo_t *hd_reqinfo(h2o_req_t *req);

/* Seconds since the request began (its first byte), 0 when h2o recorded no beginning. */
double hd_request_seconds(h2o_req_t *req);

/* 1 when s (len bytes) is acceptable as a request id as it stands. */
int hd_request_id_valid(const char *s, size_t len);
/* A fresh id: 16 lowercase hex digits + NUL (buf >= 17 bytes), unique per process and thread
 * (a per-thread generator seeded from getrandom). */
void hd_request_id_new(char *buf);

#endif
