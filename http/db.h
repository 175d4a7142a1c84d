/* db.h: per-thread pool of non-blocking libpq connections in pipeline mode, driven by the h2o loop. */
#ifndef HD_DB_H
#define HD_DB_H

#ifndef H2O_USE_LIBUV
#define H2O_USE_LIBUV 0
#endif
#include <h2o.h>
#include "request_context.h" /* extension/: the server is built with -Iextension */
#include "routes.h"

typedef enum {
    HD_DB_OK,         /* the function returned: value/is_null */
    HD_DB_SQL_ERROR,  /* the statement failed: sqlstate/message/detail/hint */
    HD_DB_UNAVAILABLE, /* no connection could be had, or it broke */
    HD_DB_QUEUE_FULL, /* too many requests waiting, or one waited DB_QUEUE_TIMEOUT_MS */
    HD_DB_TIMEOUT,    /* REQUEST_TIMEOUT_MS elapsed */
} hd_db_status_t;

#define HD_DB_MAX_COLS 3

typedef struct hd_db_result {
    hd_db_status_t status;
    int is_null;
    const char *value; /* valid only during the callback, unless kept (hd_db_result_keep) */
    size_t len;
    const char *sqlstate, *message, *detail, *hint; /* may be NULL */
    /* every column of the one row (value/len/is_null are column 0): a file route's statement
     * answers the fields of its helpdesk.file_download, in binary */
    int ncols;
    const char *cols[HD_DB_MAX_COLS];
    size_t col_lens[HD_DB_MAX_COLS];
    int col_nulls[HD_DB_MAX_COLS];
    void *_owner; /* the PGresult's slot (db.c) */
} hd_db_result_t;

typedef void (*hd_db_cb)(h2o_req_t *req, const hd_db_result_t *res, void *data);

/* The request settings (helpdesk_api.request_context), indexed HD_CTX_ACTOR, HD_CTX_IAT, ...
 * in the order of extension/request_context.h (strings must live in req->pool).
 * statement_timeout is not one of them: it is fixed per connection (DB_STATEMENT_TIMEOUT_MS in
 * the conninfo options). */
#define HD_CTX_ENUM(suffix, setting, argument) HD_CTX_##suffix,
enum { HD_REQUEST_CONTEXT(HD_CTX_ENUM) HD_CTX_NPARAMS };
#undef HD_CTX_ENUM

typedef struct hd_db_pool hd_db_pool_t;

/* size connections, each carrying up to depth requests at once (1: one at a time); at most
 * queue_max requests wait for room, each at most queue_timeout_ms (then HD_DB_QUEUE_FULL); a
 * connection whose oldest request has run stall_ms takes no more (0: no such limit). */
hd_db_pool_t *hd_db_pool_create(int id, h2o_loop_t *loop, const char *conninfo, int size, int depth, int queue_max,
                                uint64_t request_timeout_ms, uint64_t queue_timeout_ms, uint64_t stall_ms);
/* Run route->function with the request document `doc` (NUL-terminated, in req->pool).
 * cb is called exactly once unless the request is freed first. */
void hd_db_submit(hd_db_pool_t *pool, h2o_req_t *req, const hd_route_t *route, const char *ctx_params[HD_CTX_NPARAMS],
                  const char *doc, hd_db_cb cb, void *data);
/* A pool for the routes that move files (body kind multipart, response kind file): one request
 * at a time per connection, so a connection's libpq buffers hold one file at most, and no
 * request waits behind a file on a pipelined connection; a connection that carried more than
 * recycle_bytes in one request is closed and opened again once it has been idle for 2 s, since
 * libpq never shrinks its buffers (docs/REQUEST-CONTRACT.md, "Uploads"). */
hd_db_pool_t *hd_db_pool_create_for_files(int id, h2o_loop_t *loop, const char *conninfo, int size, int queue_max,
                                          uint64_t request_timeout_ms, size_t recycle_bytes);
/* hd_db_submit with one more parameter: blob (blob_len bytes, binary format) as $7 (a bytea),
 * or SQL NULL when blob is NULL; for routes of body kind multipart. blob must stay valid until
 * cb is called or the request is freed (it is copied into libpq's buffer when sent). */
void hd_db_submit_blob(hd_db_pool_t *pool, h2o_req_t *req, const hd_route_t *route, const char *ctx_params[HD_CTX_NPARAMS],
                       const char *doc, const char *blob, size_t blob_len, hd_db_cb cb, void *data);
/* A pool on a read replica (http/readpool.c): as hd_db_pool_create, its connections named
 * t<thread>r<index>. */
hd_db_pool_t *hd_db_pool_create_replica(int id, h2o_loop_t *loop, const char *conninfo, int size, int depth, int queue_max,
                                        uint64_t request_timeout_ms, uint64_t queue_timeout_ms, uint64_t stall_ms);
/* Whether a connection of the pool is up (so a request submitted now does not fail at once). */
int hd_db_pool_usable(hd_db_pool_t *pool);
/* Keep res->value (an HD_DB_OK result) beyond the callback: a handle for hd_db_result_release. */
void *hd_db_result_keep(const hd_db_result_t *res);
void hd_db_result_release(void *handle);
/* Requests queued or in flight. */
size_t hd_db_pending(hd_db_pool_t *pool);
/* The pools of every thread, summed (any thread may ask; the metrics thread does). */
typedef struct hd_db_stats {
    int size;      /* connections configured: threads x DB_POOL_SIZE */
    int up;        /* connected */
    int in_use;    /* with at least one request in flight */
    int in_flight; /* requests sent, not yet answered */
    int waiting;   /* requests queued for a connection */
} hd_db_stats_t;
void hd_db_stats(hd_db_stats_t *out);
/* Close every connection (call from the loop thread, after draining). */
void hd_db_pool_close(hd_db_pool_t *pool);
/* Free a closed pool (its timeouts are disposed: call before the loop is destroyed). */
void hd_db_pool_free(hd_db_pool_t *pool);

#endif
