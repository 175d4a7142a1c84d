/* db.c: per-thread libpq pool inside the h2o event loop.
 *
 * Each connection is non-blocking (PQconnectStart/PQconnectPoll, PQsetnonblocking) and in
 * pipeline mode. A request is one sync segment: [Parse fn] Execute fn, Sync, i.e. its own
 * implicit transaction; the statement sets the request's settings in its FROM clause. A connection carries up to
 * `depth` (DB_PIPELINE_DEPTH) segments at once; they are answered in order, one per
 * PGRES_PIPELINE_SYNC, from the connection's FIFO of in-flight queries. An error aborts the
 * rest of its own segment only (libpq: PGRES_PIPELINE_ABORTED until that segment's Sync).
 * A dup() of the libpq socket is registered with the loop with H2O_SOCKET_FLAG_DONT_READ so
 * that libpq does the reading. New requests go to the least-loaded connection; when every
 * connection is full they wait in a bounded FIFO. A broken connection answers all its
 * in-flight requests 503 and is replaced with backoff; while no connection can be had,
 * requests fail at once.
 *
 * Saturation (docs/RELIABILITY.md): a request waits for a connection with room at most
 * DB_QUEUE_TIMEOUT_MS, then gets 503 (as when the queue is full), so slow statements holding
 * every connection make other requests fail fast instead of hanging until REQUEST_TIMEOUT_MS.
 * And a connection whose oldest request has been running for DB_STALL_MS takes no more: what is
 * pipelined behind a slow statement waits for it, so new requests go elsewhere or wait in the
 * queue, where the queue timeout bounds them. */
#include "db.h"

#include <libpq-fe.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "accesslog.h"

#define CONNECT_TIMEOUT_MS 5000
/* A file connection that carried a large file is reopened after this long without a request:
 * not at once, since a new backend costs its start and its first calls' planning (measured:
 * x1.6 to x2 per 10 MB request under load), and a busy pool keeps its buffers anyway. */
#define FILE_CONN_IDLE_RECYCLE_MS 2000
static const uint64_t backoff_ms[] = {50, 100, 200, 350, 500};
#define NBACKOFF (sizeof(backoff_ms) / sizeof(backoff_ms[0]))

enum conn_state { CONN_DOWN, CONN_CONNECTING, CONN_UP };
enum step { STEP_PREP_FN, STEP_EXEC_FN };
enum qstate { Q_QUEUED, Q_INFLIGHT };
/* per connection and statement: not prepared, Parse sent by an in-flight request, prepared */
enum prep { PREP_NONE, PREP_SENT, PREP_READY };

typedef struct hd_db_query hd_db_query_t;
typedef struct hd_db_conn hd_db_conn_t;

struct guard {
    hd_db_query_t *q;
};

struct hd_db_query {
    hd_db_pool_t *pool;
    h2o_req_t *req; /* NULL once the request is gone or answered */
    struct guard *guard;
    const hd_route_t *route;
    const char *params[HD_CTX_NPARAMS];
    const char *doc;
    const char *blob; /* $8 of a multipart route, after the context and the document (NULL: SQL NULL) */
    size_t blob_len;
    hd_db_cb cb;
    void *data;
    enum qstate state;
    h2o_linklist_t link; /* in the pool's wait queue, or in its connection's in-flight FIFO */
    h2o_timeout_entry_t timeout;    /* REQUEST_TIMEOUT_MS, from arrival */
    h2o_timeout_entry_t queue_wait; /* DB_QUEUE_TIMEOUT_MS, while queued */
    uint64_t sent_at;               /* when its segment was sent (DB_STALL_MS) */
    /* in flight: the statements of this request's segment, in order */
    enum step steps[4];
    int nsteps, step_i;
    int borrowed; /* executes a statement whose Parse another in-flight request sent */
    int retried;
    PGresult *fn_res, *err_res;
};

struct hd_db_conn {
    hd_db_pool_t *pool;
    int index;
    PGconn *pg;
    h2o_socket_t *sock;
    char name[16]; /* "t<thread>c<index>" for the log */
    _Atomic enum conn_state state; /* atomic: also read by hd_db_stats from the metrics thread */
    int writing;
    unsigned char *prepared; /* enum prep, by fn_slot: the route function's statement */
    h2o_linklist_t inflight; /* FIFO of hd_db_query_t, in the order their segments were sent */
    _Atomic int n;           /* its length */
    h2o_timeout_entry_t timer; /* connect timeout or reconnect backoff */
    int backoff;
    int recycle; /* carried a large file: reopen once idle for a while (libpq keeps its buffers at their largest) */
};

struct hd_db_pool {
    int id;
    h2o_loop_t *loop;
    char *conninfo;
    hd_db_conn_t *conns;
    int size;
    int depth; /* requests in flight per connection */
    int queue_max;
    uint64_t stall_ms; /* 0: a connection takes requests whatever its oldest one's age */
    _Atomic int queued; /* the counts hd_db_stats reads from another thread are atomic */
    _Atomic int inflight;
    uint64_t served;  /* requests sent to the database */
    int max_depth;    /* most requests seen in flight on one connection */
    int db_down; /* the last connection attempt failed, or a connection broke and none is up */
    int closing;
    size_t recycle_bytes; /* 0, or: a connection whose request moved more is reopened (file pools) */
    char label;           /* 'c' (connection) or 'f' (file pool) in the connections' names */
    h2o_linklist_t queue;
    h2o_timeout_t req_timeout;
    h2o_timeout_t queue_timeout;
    h2o_timeout_t connect_timeout;
    h2o_timeout_t idle_recycle;
    h2o_timeout_t backoff[NBACKOFF];
    hd_db_pool_t *next_pool; /* every pool of the process, for hd_db_stats */
};

static hd_db_pool_t *all_pools;
static pthread_mutex_t all_pools_lock = PTHREAD_MUTEX_INITIALIZER;

static void conn_start(hd_db_conn_t *c);
static void conn_broken(hd_db_conn_t *c, const char *why);
static void dispatch(hd_db_pool_t *pool);
static void on_conn_readable(h2o_socket_t *sock, const char *err);
static void on_idle_recycle(h2o_timeout_entry_t *entry);

/* statement_timeout is fixed per connection (conninfo options), not set per request */

/* Routes sharing a function share its prepared statement: slot = index of the first such route. */
static int *fn_slot;
static pthread_once_t fn_slot_once = PTHREAD_ONCE_INIT;

/* "actor_id => $1, token_iat => $2, ...": named notation, from extension/request_context.h, so
 * a declaration that named its arguments otherwise fails at Parse instead of mixing them up. */
static char context_args[256];

static void init_fn_slots(void)
{
#define CTX_ARGUMENT(suffix, setting, argument) argument,
    static const char *const names[] = {HD_REQUEST_CONTEXT(CTX_ARGUMENT)};
#undef CTX_ARGUMENT
    size_t i, j, len = 0;
    fn_slot = calloc(hd_route_count, sizeof(int));
    for (i = 0; i < hd_route_count; i++) {
        for (j = 0; j < i && strcmp(hd_routes[j].function, hd_routes[i].function) != 0; j++)
            ;
        fn_slot[i] = (int)j;
    }
    for (i = 0; i < HD_CTX_NPARAMS; i++)
        len += (size_t)snprintf(context_args + len, sizeof(context_args) - len, "%s%s => $%zu", i ? ", " : "", names[i], i + 1);
}

/* ---- answering ---- */

static void answer(hd_db_query_t *q, const hd_db_result_t *res)
{
    h2o_req_t *req = q->req;
    if (q->guard != NULL) {
        q->guard->q = NULL;
        q->guard = NULL;
    }
    q->req = NULL;
    if (h2o_timeout_is_linked(&q->timeout))
        h2o_timeout_unlink(&q->timeout);
    if (h2o_timeout_is_linked(&q->queue_wait))
        h2o_timeout_unlink(&q->queue_wait);
    if (req != NULL)
        q->cb(req, res, q->data);
}

static void query_free(hd_db_query_t *q)
{
    if (q->fn_res != NULL)
        PQclear(q->fn_res);
    if (q->err_res != NULL)
        PQclear(q->err_res);
    free(q);
}

static void answer_status(hd_db_query_t *q, hd_db_status_t st)
{
    hd_db_result_t r;
    memset(&r, 0, sizeof(r));
    r.status = st;
    answer(q, &r);
}

/* Take a queued request out of the wait queue (it is sent, answered or gone). */
static void leave_queue(hd_db_query_t *q)
{
    h2o_linklist_unlink(&q->link);
    q->pool->queued--;
    if (h2o_timeout_is_linked(&q->queue_wait))
        h2o_timeout_unlink(&q->queue_wait);
}

static void enter_queue(hd_db_pool_t *pool, hd_db_query_t *q, int at_head)
{
    q->state = Q_QUEUED;
    h2o_linklist_insert(at_head ? pool->queue.next : &pool->queue, &q->link);
    pool->queued++;
    if (!h2o_timeout_is_linked(&q->queue_wait))
        h2o_timeout_link(pool->loop, &pool->queue_timeout, &q->queue_wait);
}

static void guard_dispose(void *p)
{
    struct guard *g = p;
    hd_db_query_t *q = g->q;
    if (q == NULL)
        return;
    q->req = NULL;
    q->guard = NULL;
    if (h2o_timeout_is_linked(&q->timeout))
        h2o_timeout_unlink(&q->timeout);
    if (q->state == Q_QUEUED) {
        leave_queue(q);
        query_free(q);
    }
    /* in flight: the connection frees it when the results arrive */
}

static void on_query_timeout(h2o_timeout_entry_t *entry)
{
    hd_db_query_t *q = H2O_STRUCT_FROM_MEMBER(hd_db_query_t, timeout, entry);
    if (q->state == Q_QUEUED) {
        leave_queue(q);
        answer_status(q, HD_DB_TIMEOUT);
        query_free(q);
    } else {
        /* answered now; the connection discards the results when they come */
        answer_status(q, HD_DB_TIMEOUT);
    }
}

/* Waited DB_QUEUE_TIMEOUT_MS without a connection with room: 503, as a full queue. */
static void on_queue_timeout(h2o_timeout_entry_t *entry)
{
    hd_db_query_t *q = H2O_STRUCT_FROM_MEMBER(hd_db_query_t, queue_wait, entry);
    if (q->state != Q_QUEUED)
        return;
    leave_queue(q);
    answer_status(q, HD_DB_QUEUE_FULL);
    query_free(q);
}

static void fail_queue(hd_db_pool_t *pool, hd_db_status_t st)
{
    while (!h2o_linklist_is_empty(&pool->queue)) {
        hd_db_query_t *q = H2O_STRUCT_FROM_MEMBER(hd_db_query_t, link, pool->queue.next);
        leave_queue(q);
        answer_status(q, st);
        query_free(q);
    }
}

static int alive_count(hd_db_pool_t *pool)
{
    int i, n = 0;
    for (i = 0; i < pool->size; i++)
        if (pool->conns[i].state == CONN_UP)
            n++;
    return n;
}

/* ---- socket plumbing ---- */

static void detach_socket(hd_db_conn_t *c)
{
    if (c->sock != NULL) {
        c->sock->data = NULL;
        h2o_socket_close(c->sock);
        c->sock = NULL;
    }
    c->writing = 0;
}

static int attach_socket(hd_db_conn_t *c)
{
    int fd;
    detach_socket(c);
    if (PQsocket(c->pg) < 0 || (fd = dup(PQsocket(c->pg))) < 0)
        return -1;
    c->sock = h2o_evloop_socket_create(c->pool->loop, fd, H2O_SOCKET_FLAG_DONT_READ);
    c->sock->data = c;
    return 0;
}

static void close_pg(hd_db_conn_t *c)
{
    c->recycle = 0; /* its buffers go with it */
    detach_socket(c);
    if (c->pg != NULL) {
        PQfinish(c->pg);
        c->pg = NULL;
    }
    memset(c->prepared, PREP_NONE, hd_route_count);
}

/* ---- connecting ---- */

static void on_reconnect_timer(h2o_timeout_entry_t *entry)
{
    hd_db_conn_t *c = H2O_STRUCT_FROM_MEMBER(hd_db_conn_t, timer, entry);
    if (c->pool->closing)
        return;
    conn_start(c);
}

static void schedule_reconnect(hd_db_conn_t *c)
{
    hd_db_pool_t *pool = c->pool;
    if (pool->closing)
        return;
    if (h2o_timeout_is_linked(&c->timer))
        h2o_timeout_unlink(&c->timer);
    c->timer.cb = on_reconnect_timer;
    h2o_timeout_link(pool->loop, &pool->backoff[c->backoff], &c->timer);
    if (c->backoff + 1 < (int)NBACKOFF)
        c->backoff++;
}

static void conn_connect_failed(hd_db_conn_t *c, const char *why)
{
    hd_db_pool_t *pool = c->pool;
    if (c->backoff == 0 || !pool->db_down)
        hd_log_error("db: connection %s failed: %s", c->name, why);
    if (h2o_timeout_is_linked(&c->timer))
        h2o_timeout_unlink(&c->timer);
    close_pg(c);
    c->state = CONN_DOWN;
    if (alive_count(pool) == 0) {
        pool->db_down = 1;
        fail_queue(pool, HD_DB_UNAVAILABLE);
    }
    schedule_reconnect(c);
}

static void connect_poll(hd_db_conn_t *c);

static void on_connect_io(h2o_socket_t *sock, const char *err)
{
    hd_db_conn_t *c = sock->data;
    (void)err;
    if (c == NULL)
        return;
    h2o_socket_read_stop(sock);
    c->writing = 0;
    connect_poll(c);
}

static void notice_processor(void *arg, const char *message)
{
    hd_db_conn_t *c = arg;
    char msg[512];
    snprintf(msg, sizeof(msg), "%s", message);
    msg[strcspn(msg, "\n")] = '\0';
    hd_log_error("db: connection %s: %s", c->name, msg);
}

static void conn_ready(hd_db_conn_t *c)
{
    hd_db_pool_t *pool = c->pool;
    if (h2o_timeout_is_linked(&c->timer))
        h2o_timeout_unlink(&c->timer);
    if (PQsetnonblocking(c->pg, 1) != 0 || PQenterPipelineMode(c->pg) != 1 || attach_socket(c) != 0) {
        conn_connect_failed(c, PQerrorMessage(c->pg));
        return;
    }
    if (pool->db_down)
        hd_log_error("db: connection %s established, database available", c->name);
    c->state = CONN_UP;
    c->backoff = 0;
    pool->db_down = 0;
    h2o_socket_read_start(c->sock, on_conn_readable);
    dispatch(pool);
}

static void connect_poll(hd_db_conn_t *c)
{
    PostgresPollingStatusType st = PQconnectPoll(c->pg);
    switch (st) {
    case PGRES_POLLING_OK:
        conn_ready(c);
        return;
    case PGRES_POLLING_FAILED: {
        char msg[512];
        snprintf(msg, sizeof(msg), "%s", PQerrorMessage(c->pg));
        msg[strcspn(msg, "\n")] = '\0';
        conn_connect_failed(c, msg);
        return;
    }
    default:
        break;
    }
    /* libpq may have switched sockets (another address, SSL retry): register the current one */
    if (attach_socket(c) != 0) {
        conn_connect_failed(c, "no socket");
        return;
    }
    if (st == PGRES_POLLING_READING) {
        h2o_socket_read_start(c->sock, on_connect_io);
    } else {
        c->writing = 1;
        h2o_socket_notify_write(c->sock, on_connect_io);
    }
}

static void on_connect_timeout(h2o_timeout_entry_t *entry)
{
    hd_db_conn_t *c = H2O_STRUCT_FROM_MEMBER(hd_db_conn_t, timer, entry);
    conn_connect_failed(c, "timeout while connecting");
}

static void conn_start(hd_db_conn_t *c)
{
    hd_db_pool_t *pool = c->pool;
    c->pg = PQconnectStart(pool->conninfo);
    if (c->pg == NULL) {
        conn_connect_failed(c, "out of memory");
        return;
    }
    if (PQstatus(c->pg) == CONNECTION_BAD) {
        char msg[512];
        snprintf(msg, sizeof(msg), "%s", PQerrorMessage(c->pg));
        msg[strcspn(msg, "\n")] = '\0';
        conn_connect_failed(c, msg);
        return;
    }
    PQsetNoticeProcessor(c->pg, notice_processor, c);
    c->state = CONN_CONNECTING;
    c->timer.cb = on_connect_timeout;
    h2o_timeout_link(pool->loop, &pool->connect_timeout, &c->timer);
    if (attach_socket(c) != 0) {
        conn_connect_failed(c, "no socket");
        return;
    }
    c->writing = 1;
    h2o_socket_notify_write(c->sock, on_connect_io);
}

/* ---- running queries ---- */

static void on_conn_writable(h2o_socket_t *sock, const char *err);

/* Send what libpq buffered; when the socket is full, wait for it to become writable (while
 * waiting, further segments just accumulate in libpq's buffer and go out with the rest). */
static void flush(hd_db_conn_t *c)
{
    int r;
    if (c->writing || c->pg == NULL)
        return;
    r = PQflush(c->pg);
    if (r < 0) {
        conn_broken(c, PQerrorMessage(c->pg));
    } else if (r == 1) {
        c->writing = 1;
        h2o_socket_notify_write(c->sock, on_conn_writable);
    }
}

static void on_conn_writable(h2o_socket_t *sock, const char *err)
{
    hd_db_conn_t *c = sock->data;
    (void)err;
    if (c == NULL)
        return;
    c->writing = 0;
    flush(c);
}

/* Answer every in-flight request of the connection with st (the connection is going away). */
static void fail_inflight(hd_db_conn_t *c, hd_db_status_t st)
{
    hd_db_pool_t *pool = c->pool;
    while (!h2o_linklist_is_empty(&c->inflight)) {
        hd_db_query_t *q = H2O_STRUCT_FROM_MEMBER(hd_db_query_t, link, c->inflight.next);
        h2o_linklist_unlink(&q->link);
        c->n--;
        pool->inflight--;
        answer_status(q, st);
        query_free(q);
    }
}

static void conn_broken(hd_db_conn_t *c, const char *why)
{
    hd_db_pool_t *pool = c->pool;
    char msg[512];
    snprintf(msg, sizeof(msg), "%s", why != NULL && *why ? why : "connection lost");
    msg[strcspn(msg, "\n")] = '\0';
    hd_log_error("db: connection %s broken (%d in flight): %s", c->name, c->n, msg);
    /* close first: answering may run callbacks, and nothing must use this connection again */
    close_pg(c);
    c->state = CONN_DOWN;
    c->backoff = 0;
    fail_inflight(c, HD_DB_UNAVAILABLE);
    if (alive_count(pool) == 0) {
        pool->db_down = 1;
        fail_queue(pool, HD_DB_UNAVAILABLE);
    }
    schedule_reconnect(c);
}

/* $1..$6 the request context (extension/request_context.h), $7 the document, $8 the file of a multipart route. */
static int nparams(const hd_route_t *route)
{
    return HD_CTX_NPARAMS + (route->body == HD_BODY_MULTIPART ? 2 : 1);
}

/* Append one request's segment to the connection's pipeline. Statements not yet prepared on
 * this connection are prepared inside the segment; a Parse already sent by an earlier in-flight
 * request is reused (that request's segment runs first). */
static void send_query(hd_db_conn_t *c, hd_db_query_t *q)
{
    int slot = fn_slot[q->route - hd_routes];
    hd_db_pool_t *pool = c->pool;

    if (h2o_timeout_is_linked(&c->timer)) /* the idle recycle: busy again */
        h2o_timeout_unlink(&c->timer);
    q->state = Q_INFLIGHT;
    q->sent_at = h2o_now(pool->loop);
    q->nsteps = 0;
    q->step_i = 0;
    q->borrowed = 0;
    h2o_linklist_insert(&c->inflight, &q->link);
    c->n++;
    pool->inflight++;
    pool->served++;
    if (c->n > pool->max_depth)
        pool->max_depth = c->n;

    if (c->prepared[slot] == PREP_NONE) {
        char sql[512];
        /* The request's settings come from the FROM clause, which runs before the call: one
         * statement per request (docs/REQUEST-CONTRACT.md). A multipart route's function takes
         * the file's bytes too; a file route's returns helpdesk.file_download, read in binary. */
        if (q->route->body == HD_BODY_MULTIPART)
            snprintf(sql, sizeof(sql),
                     "SELECT helpdesk_api.%s($%d::jsonb, $%d::bytea)::text FROM helpdesk_api.request_context(%s)",
                     q->route->function, HD_CTX_NPARAMS + 1, HD_CTX_NPARAMS + 2, context_args);
        else if (q->route->resp == HD_RESP_FILE)
            /* the record's fields as columns: sent whole, a record with a 10 MB field costs its
             * backend three times the time of the bytes alone (record_send; bench/RESULTS.md);
             * OFFSET 0 keeps the subquery, so the function runs once */
            snprintf(sql, sizeof(sql),
                     "SELECT (f).* FROM (SELECT helpdesk_api.%s($%d::jsonb) AS f FROM helpdesk_api.request_context(%s)"
                     " OFFSET 0) s",
                     q->route->function, HD_CTX_NPARAMS + 1, context_args);
        else
            snprintf(sql, sizeof(sql), "SELECT helpdesk_api.%s($%d::jsonb)::text FROM helpdesk_api.request_context(%s)",
                     q->route->function, HD_CTX_NPARAMS + 1, context_args);
        if (!PQsendPrepare(c->pg, q->route->function, sql, nparams(q->route), NULL))
            goto Broken;
        c->prepared[slot] = PREP_SENT;
        q->steps[q->nsteps++] = STEP_PREP_FN;
    } else if (c->prepared[slot] == PREP_SENT) {
        q->borrowed = 1;
    }
    {
        const char *values[HD_CTX_NPARAMS + 2];
        int lengths[HD_CTX_NPARAMS + 2] = {0}, formats[HD_CTX_NPARAMS + 2] = {0};
        memcpy(values, q->params, sizeof(q->params));
        values[HD_CTX_NPARAMS] = q->doc;
        values[HD_CTX_NPARAMS + 1] = q->blob; /* the bytes as they are: binary format */
        lengths[HD_CTX_NPARAMS + 1] = (int)q->blob_len;
        formats[HD_CTX_NPARAMS + 1] = 1;
        if (!PQsendQueryPrepared(c->pg, q->route->function, nparams(q->route), values, lengths, formats,
                                 q->route->resp == HD_RESP_FILE))
            goto Broken;
        if (c->pool->recycle_bytes > 0 && q->blob_len > c->pool->recycle_bytes)
            c->recycle = 1;
    }
    q->steps[q->nsteps++] = STEP_EXEC_FN;
    if (!PQpipelineSync(c->pg))
        goto Broken;
    flush(c);
    return;
Broken:
    conn_broken(c, PQerrorMessage(c->pg));
}

/* The head of the FIFO got its PGRES_PIPELINE_SYNC: answer it. */
static void finish(hd_db_conn_t *c, hd_db_query_t *q)
{
    hd_db_pool_t *pool = c->pool;
    hd_db_result_t r;

    h2o_linklist_unlink(&q->link);
    c->n--;
    pool->inflight--;
    memset(&r, 0, sizeof(r));
    if (q->err_res != NULL) {
        r.status = HD_DB_SQL_ERROR;
        r.sqlstate = PQresultErrorField(q->err_res, PG_DIAG_SQLSTATE);
        r.message = PQresultErrorField(q->err_res, PG_DIAG_MESSAGE_PRIMARY);
        r.detail = PQresultErrorField(q->err_res, PG_DIAG_MESSAGE_DETAIL);
        r.hint = PQresultErrorField(q->err_res, PG_DIAG_MESSAGE_HINT);
        if (r.sqlstate == NULL)
            r.sqlstate = "XX000";
        /* The Parse this request relied on failed in the other request's segment (which also
         * failed): its own transaction was rolled back, so it can be run again, once. */
        if (q->borrowed && !q->retried && q->req != NULL && strcmp(r.sqlstate, "26000") == 0) {
            PQclear(q->err_res);
            q->err_res = NULL;
            q->retried = 1;
            enter_queue(pool, q, 1);
            return;
        }
    } else if (q->fn_res != NULL && PQntuples(q->fn_res) == 1 && PQnfields(q->fn_res) >= 1 &&
               PQnfields(q->fn_res) <= (q->route->resp == HD_RESP_FILE ? HD_DB_MAX_COLS : 1)) {
        int i;
        size_t total = 0;
        r.status = HD_DB_OK;
        r.ncols = PQnfields(q->fn_res);
        for (i = 0; i < r.ncols; i++) {
            r.col_nulls[i] = PQgetisnull(q->fn_res, 0, i);
            r.cols[i] = PQgetvalue(q->fn_res, 0, i);
            r.col_lens[i] = (size_t)PQgetlength(q->fn_res, 0, i);
            total += r.col_lens[i];
        }
        r.is_null = r.col_nulls[0];
        r.value = r.cols[0];
        r.len = r.col_lens[0];
        r._owner = &q->fn_res;
        if (pool->recycle_bytes > 0 && total > pool->recycle_bytes)
            c->recycle = 1;
    } else {
        r.status = HD_DB_SQL_ERROR;
        r.sqlstate = "XX000";
        r.message = "unexpected result shape";
    }
    answer(q, &r);
    query_free(q);
}

/* Consume every result libpq has, attributing each to the head of the FIFO. Each statement
 * yields one result (its rows, COMMAND_OK for a Parse, FATAL_ERROR, or PIPELINE_ABORTED
 * for the statements after an error in the same segment); NULLs between statements are
 * skipped. Returns when libpq needs more input or nothing is in flight. */
static void process_results(hd_db_conn_t *c)
{
    int nulls = 0;
    while (c->pg != NULL && !h2o_linklist_is_empty(&c->inflight)) {
        hd_db_query_t *q = H2O_STRUCT_FROM_MEMBER(hd_db_query_t, link, c->inflight.next);
        PGresult *res;
        ExecStatusType st;
        if (PQisBusy(c->pg))
            return;
        if ((res = PQgetResult(c->pg)) == NULL) {
            /* end of a statement's results; repeated NULLs: libpq has nothing more now */
            if (++nulls > 3)
                return;
            continue;
        }
        nulls = 0;
        st = PQresultStatus(res);
        if (st == PGRES_PIPELINE_SYNC) {
            PQclear(res);
            finish(c, q);
            continue;
        }
        if (q->step_i < q->nsteps) {
            enum step s = q->steps[q->step_i++];
            if (s == STEP_PREP_FN) {
                int slot = fn_slot[q->route - hd_routes];
                c->prepared[slot] = st == PGRES_COMMAND_OK ? PREP_READY : PREP_NONE;
            }
            if (st == PGRES_FATAL_ERROR) {
                if (q->err_res == NULL) {
                    q->err_res = res;
                    res = NULL;
                }
            } else if (st == PGRES_TUPLES_OK && s == STEP_EXEC_FN) {
                q->fn_res = res;
                res = NULL;
            }
        }
        if (res != NULL)
            PQclear(res);
    }
}

static void on_conn_readable(h2o_socket_t *sock, const char *err)
{
    hd_db_conn_t *c = sock->data;
    hd_db_pool_t *pool;
    PGnotify *n;
    (void)err;
    if (c == NULL)
        return;
    pool = c->pool;
    if (!PQconsumeInput(c->pg)) {
        conn_broken(c, PQerrorMessage(c->pg));
        dispatch(pool);
        return;
    }
    while ((n = PQnotifies(c->pg)) != NULL)
        PQfreemem(n);
    process_results(c);
    if (c->pg != NULL && PQstatus(c->pg) == CONNECTION_BAD)
        conn_broken(c, PQerrorMessage(c->pg));
    else if (c->pg != NULL && c->recycle && c->n == 0 && !h2o_timeout_is_linked(&c->timer)) {
        c->timer.cb = on_idle_recycle;
        h2o_timeout_link(pool->loop, &pool->idle_recycle, &c->timer);
    }
    dispatch(pool);
    /* libpq: while a flush is pending, input must be consumed and the flush retried */
    if (c->pg != NULL && c->n > 0)
        flush(c);
}

/* Whether the oldest request in flight on c has been running for DB_STALL_MS. */
static int stalled(hd_db_conn_t *c, uint64_t now)
{
    hd_db_query_t *head;
    if (c->n == 0 || c->pool->stall_ms == 0)
        return 0;
    head = H2O_STRUCT_FROM_MEMBER(hd_db_query_t, link, c->inflight.next);
    return now - head->sent_at >= c->pool->stall_ms;
}

/* A connection that carried a large file holds libpq buffers as large as that file for as long
 * as it lives: once it has been idle for FILE_CONN_IDLE_RECYCLE_MS, close it and open a new one. */
static void conn_recycle(hd_db_conn_t *c)
{
    c->recycle = 0;
    close_pg(c);
    c->state = CONN_DOWN;
    c->backoff = 0;
    conn_start(c);
}

static void on_idle_recycle(h2o_timeout_entry_t *entry)
{
    hd_db_conn_t *c = H2O_STRUCT_FROM_MEMBER(hd_db_conn_t, timer, entry);
    if (c->state == CONN_UP && c->n == 0 && !c->pool->closing)
        conn_recycle(c);
}

/* The connection with the fewest requests in flight that has room and is not stalled, or NULL. */
static hd_db_conn_t *least_loaded(hd_db_pool_t *pool)
{
    hd_db_conn_t *best = NULL;
    uint64_t now = h2o_now(pool->loop);
    int i;
    for (i = 0; i < pool->size; i++) {
        hd_db_conn_t *c = &pool->conns[i];
        if (c->state != CONN_UP || c->n >= pool->depth || stalled(c, now))
            continue;
        if (best == NULL || c->n < best->n) {
            best = c;
            if (c->n == 0)
                break;
        }
    }
    return best;
}

static void dispatch(hd_db_pool_t *pool)
{
    hd_db_conn_t *c;
    if (pool->closing)
        return;
    while (!h2o_linklist_is_empty(&pool->queue) && (c = least_loaded(pool)) != NULL) {
        hd_db_query_t *q = H2O_STRUCT_FROM_MEMBER(hd_db_query_t, link, pool->queue.next);
        leave_queue(q);
        send_query(c, q);
    }
}

/* ---- public ---- */

static hd_db_pool_t *pool_create(int id, h2o_loop_t *loop, const char *conninfo, int size, int depth, int queue_max,
                                 uint64_t request_timeout_ms, uint64_t queue_timeout_ms, uint64_t stall_ms,
                                 size_t recycle_bytes, char label)
{
    hd_db_pool_t *pool = calloc(1, sizeof(*pool));
    size_t b;
    int i;
    pthread_once(&fn_slot_once, init_fn_slots);
    pool->id = id;
    pool->loop = loop;
    pool->conninfo = strdup(conninfo);
    pool->size = size;
    pool->depth = depth < 1 ? 1 : depth;
    pool->queue_max = queue_max;
    pool->stall_ms = stall_ms;
    pool->recycle_bytes = recycle_bytes;
    pool->label = label;
    h2o_linklist_init_anchor(&pool->queue);
    h2o_timeout_init(loop, &pool->req_timeout, request_timeout_ms);
    h2o_timeout_init(loop, &pool->queue_timeout, queue_timeout_ms);
    h2o_timeout_init(loop, &pool->connect_timeout, CONNECT_TIMEOUT_MS);
    h2o_timeout_init(loop, &pool->idle_recycle, FILE_CONN_IDLE_RECYCLE_MS);
    for (b = 0; b < NBACKOFF; b++)
        h2o_timeout_init(loop, &pool->backoff[b], backoff_ms[b]);
    pool->conns = calloc((size_t)size, sizeof(hd_db_conn_t));
    for (i = 0; i < size; i++) {
        hd_db_conn_t *c = &pool->conns[i];
        c->pool = pool;
        c->index = i;
        snprintf(c->name, sizeof(c->name), "t%d%c%d", id, label, i);
        c->prepared = calloc(hd_route_count, 1);
        h2o_linklist_init_anchor(&c->inflight);
        conn_start(c);
    }
    pthread_mutex_lock(&all_pools_lock);
    pool->next_pool = all_pools;
    all_pools = pool;
    pthread_mutex_unlock(&all_pools_lock);
    return pool;
}

hd_db_pool_t *hd_db_pool_create(int id, h2o_loop_t *loop, const char *conninfo, int size, int depth, int queue_max,
                                uint64_t request_timeout_ms, uint64_t queue_timeout_ms, uint64_t stall_ms)
{
    return pool_create(id, loop, conninfo, size, depth, queue_max, request_timeout_ms, queue_timeout_ms, stall_ms, 0, 'c');
}

hd_db_pool_t *hd_db_pool_create_for_files(int id, h2o_loop_t *loop, const char *conninfo, int size, int queue_max,
                                          uint64_t request_timeout_ms, size_t recycle_bytes)
{
    /* a file waits for a file connection as long as the request may last: one file connection
     * per request at a time, and an upload takes longer than DB_QUEUE_TIMEOUT_MS allows */
    return pool_create(id, loop, conninfo, size, 1, queue_max, request_timeout_ms, request_timeout_ms, 0, recycle_bytes, 'f');
}

hd_db_pool_t *hd_db_pool_create_replica(int id, h2o_loop_t *loop, const char *conninfo, int size, int depth, int queue_max,
                                        uint64_t request_timeout_ms, uint64_t queue_timeout_ms, uint64_t stall_ms)
{
    return pool_create(id, loop, conninfo, size, depth, queue_max, request_timeout_ms, queue_timeout_ms, stall_ms, 0, 'r');
}

int hd_db_pool_usable(hd_db_pool_t *pool)
{
    return !pool->closing && !pool->db_down && alive_count(pool) > 0;
}

void *hd_db_result_keep(const hd_db_result_t *res)
{
    PGresult **slot = res->_owner, *r;
    if (slot == NULL)
        return NULL;
    r = *slot;
    *slot = NULL; /* query_free no longer clears it */
    return r;
}

void hd_db_result_release(void *handle)
{
    if (handle != NULL)
        PQclear(handle);
}

void hd_db_stats(hd_db_stats_t *out)
{
    hd_db_pool_t *pool;
    int i;
    memset(out, 0, sizeof(*out));
    pthread_mutex_lock(&all_pools_lock);
    for (pool = all_pools; pool != NULL; pool = pool->next_pool) {
        out->size += pool->size;
        for (i = 0; i < pool->size; i++) {
            if (pool->conns[i].state == CONN_UP)
                out->up++;
            if (pool->conns[i].n > 0)
                out->in_use++;
        }
        out->in_flight += pool->inflight;
        out->waiting += pool->queued;
    }
    pthread_mutex_unlock(&all_pools_lock);
}

void hd_db_submit(hd_db_pool_t *pool, h2o_req_t *req, const hd_route_t *route, const char *ctx_params[HD_CTX_NPARAMS],
                  const char *doc, hd_db_cb cb, void *data)
{
    hd_db_submit_blob(pool, req, route, ctx_params, doc, NULL, 0, cb, data);
}

void hd_db_submit_blob(hd_db_pool_t *pool, h2o_req_t *req, const hd_route_t *route, const char *ctx_params[HD_CTX_NPARAMS],
                       const char *doc, const char *blob, size_t blob_len, hd_db_cb cb, void *data)
{
    hd_db_query_t *q;
    hd_db_conn_t *c = NULL;
    hd_db_result_t r;

    memset(&r, 0, sizeof(r));
    if (!pool->closing && h2o_linklist_is_empty(&pool->queue))
        c = least_loaded(pool);
    if (c == NULL) {
        if (pool->db_down || pool->closing) {
            r.status = HD_DB_UNAVAILABLE;
            cb(req, &r, data);
            return;
        }
        if (pool->queued >= pool->queue_max) {
            r.status = HD_DB_QUEUE_FULL;
            cb(req, &r, data);
            return;
        }
    }
    q = calloc(1, sizeof(*q));
    q->pool = pool;
    q->req = req;
    q->route = route;
    memcpy(q->params, ctx_params, sizeof(q->params));
    q->doc = doc;
    q->blob = blob;
    q->blob_len = blob_len;
    q->cb = cb;
    q->data = data;
    q->guard = h2o_mem_alloc_shared(&req->pool, sizeof(struct guard), guard_dispose);
    q->guard->q = q;
    q->timeout.cb = on_query_timeout;
    q->queue_wait.cb = on_queue_timeout;
    h2o_timeout_link(pool->loop, &pool->req_timeout, &q->timeout);
    if (c != NULL) {
        send_query(c, q);
    } else {
        enter_queue(pool, q, 0);
        dispatch(pool); /* FIFO: the queue's head goes first if a connection has room */
    }
}

size_t hd_db_pending(hd_db_pool_t *pool)
{
    return (size_t)(pool->queued + pool->inflight);
}

void hd_db_pool_close(hd_db_pool_t *pool)
{
    int i;
    hd_log_error("db: thread %d%s: %llu requests sent, at most %d in flight on one connection", pool->id,
                 pool->label == 'f' ? " (file pool)" : "", (unsigned long long)pool->served, pool->max_depth);
    pool->closing = 1;
    fail_queue(pool, HD_DB_UNAVAILABLE);
    for (i = 0; i < pool->size; i++) {
        hd_db_conn_t *c = &pool->conns[i];
        if (h2o_timeout_is_linked(&c->timer))
            h2o_timeout_unlink(&c->timer);
        close_pg(c);
        c->state = CONN_DOWN;
        fail_inflight(c, HD_DB_UNAVAILABLE);
    }
}

void hd_db_pool_free(hd_db_pool_t *pool)
{
    size_t b;
    int i;
    hd_db_pool_t **p;
    if (pool == NULL)
        return;
    /* out of hd_db_stats' sight first (the metrics thread may be reading) */
    pthread_mutex_lock(&all_pools_lock);
    for (p = &all_pools; *p != NULL; p = &(*p)->next_pool) {
        if (*p == pool) {
            *p = pool->next_pool;
            break;
        }
    }
    pthread_mutex_unlock(&all_pools_lock);
    /* closed: nothing is queued or in flight, no connection timer is linked */
    h2o_timeout_dispose(pool->loop, &pool->req_timeout);
    h2o_timeout_dispose(pool->loop, &pool->queue_timeout);
    h2o_timeout_dispose(pool->loop, &pool->connect_timeout);
    h2o_timeout_dispose(pool->loop, &pool->idle_recycle);
    for (b = 0; b < NBACKOFF; b++)
        h2o_timeout_dispose(pool->loop, &pool->backoff[b]);
    for (i = 0; i < pool->size; i++)
        free(pool->conns[i].prepared);
    free(pool->conns);
    free(pool->conninfo);
    free(pool);
}
