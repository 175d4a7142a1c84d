/* handler.h: the h2o handler: rate limit, CORS preflight, routing, body size, token, content type,
 * request document, DB call (http/README.md, "How a request flows"). */
#ifndef HD_HANDLER_H
#define HD_HANDLER_H

#ifndef H2O_USE_LIBUV
#define H2O_USE_LIBUV 0
#endif
#include <h2o.h>
#include "db.h"
#include "router.h"

/* Per-thread state reachable from a request (the h2o context is embedded). */
typedef struct hd_thread {
    int id;
    pthread_t tid;
    h2o_context_t ctx;
    h2o_accept_ctx_t accept_ctx;
    int listen_fd; /* its listening socket, accepted on by conns.c */
    hd_db_pool_t *db;
    hd_db_pool_t *file_db; /* uploads and downloads (db.h: hd_db_pool_create_for_files) */
    struct hd_readpool *reads; /* read replicas (readpool.h), NULL when none is configured */
    struct hd_sse_thread *sse; /* the notification streams and their LISTEN connection (sse.h) */
    h2o_multithread_queue_t *queue;
    h2o_multithread_receiver_t shutdown_receiver;
    h2o_multithread_message_t shutdown_message;
    int stopping;
    uint64_t stop_deadline;
} hd_thread_t;

extern hd_router_t *hd_router;

int hd_on_req(h2o_handler_t *self, h2o_req_t *req);

#endif
