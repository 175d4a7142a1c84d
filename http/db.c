/* db.c: per-thread libpq pool inside the h2o event loop.
 *
 * Each connection is non-blocking (PQconnectStart/PQconnectPoll, PQsetnonblocking) and in
 * pipeline mode. A request is one round trip: [Parse hd_ctx] [Parse fn] Execute hd_ctx,
 * Execute fn, Sync. A dup() of the libpq socket is registered with the loop with
 * H2O_SOCKET_FLAG_DONT_READ so that libpq does the reading. Requests wait in a bounded FIFO
 * when all connections are busy. Broken connections answer their request 503 and are
 * replaced with backoff; while no connection can be had, requests fail at once. */
#include "db.h"

#include <libpq-fe.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "accesslog.h"

#define CONNECT_TIMEOUT_MS 5000
static const uint64_t backoff_ms[] = {50, 100, 200, 350, 500};
#define NBACKOFF (sizeof(backoff_ms) / sizeof(backoff_ms[0]))

enum conn_state { CONN_DOWN, CONN_CONNECTING, CONN_IDLE, CONN_BUSY };
enum step { STEP_PREP_CTX, STEP_PREP_FN, STEP_EXEC_CTX, STEP_EXEC_FN };
enum qstate { Q_QUEUED, Q_INFLIGHT };

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
    hd_db_cb cb;
    void *data;
    enum qstate state;
    h2o_linklist_t link;
    h2o_timeout_entry_t timeout;
};

struct hd_db_conn {
    hd_db_pool_t *pool;
    int index;
    PGconn *pg;
    h2o_socket_t *sock;
    char name[16]; /* "t<thread>c<index>" for the log */
    enum conn_state state;
    int writing;
    unsigned char *prepared; /* [0]: hd_ctx, [1 + route index]: route function */
    hd_db_query_t *q;
    enum step steps[4];
    int nsteps, step_i;
    PGresult *fn_res, *err_res;
    int prep_pending[2]; /* which prepared flags to set on success: 0 ctx, 1 fn */
    h2o_timeout_entry_t timer; /* connect timeout or reconnect backoff */
    int backoff;
};

struct hd_db_pool {
    int id;
    h2o_loop_t *loop;
    char *conninfo;
    hd_db_conn_t *conns;
    int size;
    int queue_max;
    int queued;
    int inflight;
    int db_down; /* the last connection attempt failed, or a connection broke and none is up */
    int closing;
    h2o_linklist_t queue;
    h2o_timeout_t req_timeout;
    h2o_timeout_t connect_timeout;
    h2o_timeout_t backoff[NBACKOFF];
};

static void conn_start(hd_db_conn_t *c);
static void conn_broken(hd_db_conn_t *c, const char *why);
static void dispatch(hd_db_pool_t *pool);
static void on_conn_readable(h2o_socket_t *sock, const char *err);

static const char ctx_sql[] = "SELECT set_config('helpdesk.actor_id', $1, true), set_config('helpdesk.token_iat', $2, true), "
                              "set_config('helpdesk.client_ip', $3, true), set_config('helpdesk.user_agent', $4, true), "
                              "set_config('transaction_read_only', $5, true), set_config('statement_timeout', $6, true)";

/* Routes sharing a function share its prepared statement: slot = index of the first such route. */
static int *fn_slot;
static pthread_once_t fn_slot_once = PTHREAD_ONCE_INIT;

static void init_fn_slots(void)
{
    size_t i, j;
    fn_slot = calloc(hd_route_count, sizeof(int));
    for (i = 0; i < hd_route_count; i++) {
        for (j = 0; j < i && strcmp(hd_routes[j].function, hd_routes[i].function) != 0; j++)
            ;
        fn_slot[i] = (int)j;
    }
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
    if (req != NULL)
        q->cb(req, res, q->data);
}

static void answer_status(hd_db_query_t *q, hd_db_status_t st)
{
    hd_db_result_t r;
    memset(&r, 0, sizeof(r));
    r.status = st;
    answer(q, &r);
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
        h2o_linklist_unlink(&q->link);
        q->pool->queued--;
        free(q);
    }
    /* in flight: the connection frees it when the results arrive */
}

static void on_query_timeout(h2o_timeout_entry_t *entry)
{
    hd_db_query_t *q = H2O_STRUCT_FROM_MEMBER(hd_db_query_t, timeout, entry);
    hd_db_pool_t *pool = q->pool;
    if (q->state == Q_QUEUED) {
        h2o_linklist_unlink(&q->link);
        pool->queued--;
        answer_status(q, HD_DB_TIMEOUT);
        free(q);
    } else {
        /* answered now; the connection discards the results when they come */
        answer_status(q, HD_DB_TIMEOUT);
    }
}

static void fail_queue(hd_db_pool_t *pool, hd_db_status_t st)
{
    while (!h2o_linklist_is_empty(&pool->queue)) {
        hd_db_query_t *q = H2O_STRUCT_FROM_MEMBER(hd_db_query_t, link, pool->queue.next);
        h2o_linklist_unlink(&q->link);
        pool->queued--;
        answer_status(q, st);
        free(q);
    }
}

static int alive_count(hd_db_pool_t *pool)
{
    int i, n = 0;
    for (i = 0; i < pool->size; i++)
        if (pool->conns[i].state == CONN_IDLE || pool->conns[i].state == CONN_BUSY)
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
    detach_socket(c);
    if (c->pg != NULL) {
        PQfinish(c->pg);
        c->pg = NULL;
    }
    if (c->fn_res) {
        PQclear(c->fn_res);
        c->fn_res = NULL;
    }
    if (c->err_res) {
        PQclear(c->err_res);
        c->err_res = NULL;
    }
    memset(c->prepared, 0, 1 + hd_route_count);
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
    c->state = CONN_IDLE;
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

/* ---- running a query ---- */

static void on_conn_writable(h2o_socket_t *sock, const char *err);

static void flush(hd_db_conn_t *c)
{
    int r;
    if (c->writing)
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

static void conn_broken(hd_db_conn_t *c, const char *why)
{
    hd_db_pool_t *pool = c->pool;
    char msg[512];
    snprintf(msg, sizeof(msg), "%s", why != NULL && *why ? why : "connection lost");
    msg[strcspn(msg, "\n")] = '\0';
    hd_log_error("db: connection %s broken: %s", c->name, msg);
    if (c->q != NULL) {
        hd_db_query_t *q = c->q;
        c->q = NULL;
        pool->inflight--;
        answer_status(q, HD_DB_UNAVAILABLE);
        free(q);
    }
    close_pg(c);
    c->state = CONN_DOWN;
    c->backoff = 0;
    if (alive_count(pool) == 0) {
        pool->db_down = 1;
        fail_queue(pool, HD_DB_UNAVAILABLE);
    }
    schedule_reconnect(c);
}

static void send_query(hd_db_conn_t *c, hd_db_query_t *q)
{
    int ri = fn_slot[q->route - hd_routes];
    hd_db_pool_t *pool = c->pool;

    c->q = q;
    q->state = Q_INFLIGHT;
    c->state = CONN_BUSY;
    c->nsteps = 0;
    c->step_i = 0;
    pool->inflight++;

    if (!c->prepared[0]) {
        if (!PQsendPrepare(c->pg, "hd_ctx", ctx_sql, 6, NULL))
            goto Broken;
        c->steps[c->nsteps++] = STEP_PREP_CTX;
    }
    if (!c->prepared[1 + ri]) {
        char sql[256];
        snprintf(sql, sizeof(sql), "SELECT helpdesk_api.%s($1::jsonb)::text", q->route->function);
        if (!PQsendPrepare(c->pg, q->route->function, sql, 1, NULL))
            goto Broken;
        c->steps[c->nsteps++] = STEP_PREP_FN;
    }
    if (!PQsendQueryPrepared(c->pg, "hd_ctx", 6, q->params, NULL, NULL, 0))
        goto Broken;
    c->steps[c->nsteps++] = STEP_EXEC_CTX;
    if (!PQsendQueryPrepared(c->pg, q->route->function, 1, &q->doc, NULL, NULL, 0))
        goto Broken;
    c->steps[c->nsteps++] = STEP_EXEC_FN;
    if (!PQpipelineSync(c->pg))
        goto Broken;
    flush(c);
    return;
Broken:
    conn_broken(c, PQerrorMessage(c->pg));
}

static void finish(hd_db_conn_t *c)
{
    hd_db_pool_t *pool = c->pool;
    hd_db_query_t *q = c->q;
    hd_db_result_t r;

    memset(&r, 0, sizeof(r));
    c->q = NULL;
    c->state = CONN_IDLE;
    pool->inflight--;
    if (c->err_res != NULL) {
        r.status = HD_DB_SQL_ERROR;
        r.sqlstate = PQresultErrorField(c->err_res, PG_DIAG_SQLSTATE);
        r.message = PQresultErrorField(c->err_res, PG_DIAG_MESSAGE_PRIMARY);
        r.detail = PQresultErrorField(c->err_res, PG_DIAG_MESSAGE_DETAIL);
        r.hint = PQresultErrorField(c->err_res, PG_DIAG_MESSAGE_HINT);
        if (r.sqlstate == NULL)
            r.sqlstate = "XX000";
    } else if (c->fn_res != NULL && PQntuples(c->fn_res) == 1 && PQnfields(c->fn_res) == 1) {
        r.status = HD_DB_OK;
        r.is_null = PQgetisnull(c->fn_res, 0, 0);
        r.value = PQgetvalue(c->fn_res, 0, 0);
        r.len = (size_t)PQgetlength(c->fn_res, 0, 0);
    } else {
        r.status = HD_DB_SQL_ERROR;
        r.sqlstate = "XX000";
        r.message = "unexpected result shape";
    }
    if (q != NULL) {
        answer(q, &r);
        free(q);
    }
    if (c->fn_res) {
        PQclear(c->fn_res);
        c->fn_res = NULL;
    }
    if (c->err_res) {
        PQclear(c->err_res);
        c->err_res = NULL;
    }
    if (PQstatus(c->pg) == CONNECTION_BAD) {
        conn_broken(c, PQerrorMessage(c->pg));
        return;
    }
}

static void process_results(hd_db_conn_t *c)
{
    int ri = c->q != NULL ? fn_slot[c->q->route - hd_routes] : -1, nulls = 0;
    while (c->state == CONN_BUSY) {
        PGresult *res;
        ExecStatusType st;
        if (PQisBusy(c->pg))
            return;
        if ((res = PQgetResult(c->pg)) == NULL) {
            /* end of one statement's results; more NULLs than statements means nothing is pending */
            if (++nulls > c->nsteps + 2)
                return;
            continue;
        }
        nulls = 0;
        st = PQresultStatus(res);
        if (st == PGRES_PIPELINE_SYNC) {
            PQclear(res);
            finish(c);
            return;
        }
        if (c->step_i < c->nsteps) {
            enum step s = c->steps[c->step_i++];
            if (st == PGRES_FATAL_ERROR) {
                if (c->err_res == NULL) {
                    c->err_res = res;
                    res = NULL;
                }
            } else if (st == PGRES_COMMAND_OK && s == STEP_PREP_CTX) {
                c->prepared[0] = 1;
            } else if (st == PGRES_COMMAND_OK && s == STEP_PREP_FN && ri >= 0) {
                c->prepared[1 + ri] = 1;
            } else if (st == PGRES_TUPLES_OK && s == STEP_EXEC_FN) {
                c->fn_res = res;
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
    PGnotify *n;
    (void)err;
    if (c == NULL)
        return;
    if (!PQconsumeInput(c->pg)) {
        conn_broken(c, PQerrorMessage(c->pg));
        return;
    }
    while ((n = PQnotifies(c->pg)) != NULL)
        PQfreemem(n);
    if (c->state == CONN_BUSY) {
        process_results(c);
        if (c->state == CONN_IDLE)
            dispatch(c->pool);
    } else if (PQstatus(c->pg) == CONNECTION_BAD) {
        conn_broken(c, PQerrorMessage(c->pg));
    }
    if (c->state == CONN_BUSY && c->pg != NULL && !c->writing && PQflush(c->pg) == 1) {
        c->writing = 1;
        h2o_socket_notify_write(c->sock, on_conn_writable);
    }
}

static void dispatch(hd_db_pool_t *pool)
{
    int i;
    for (i = 0; i < pool->size && !h2o_linklist_is_empty(&pool->queue); i++) {
        hd_db_conn_t *c = &pool->conns[i];
        if (c->state == CONN_IDLE) {
            hd_db_query_t *q = H2O_STRUCT_FROM_MEMBER(hd_db_query_t, link, pool->queue.next);
            h2o_linklist_unlink(&q->link);
            pool->queued--;
            send_query(c, q);
        }
    }
}

/* ---- public ---- */

hd_db_pool_t *hd_db_pool_create(int id, h2o_loop_t *loop, const char *conninfo, int size, int queue_max,
                                uint64_t request_timeout_ms)
{
    hd_db_pool_t *pool = calloc(1, sizeof(*pool));
    int i;
    pthread_once(&fn_slot_once, init_fn_slots);
    size_t b;
    pool->id = id;
    pool->loop = loop;
    pool->conninfo = strdup(conninfo);
    pool->size = size;
    pool->queue_max = queue_max;
    h2o_linklist_init_anchor(&pool->queue);
    h2o_timeout_init(loop, &pool->req_timeout, request_timeout_ms);
    h2o_timeout_init(loop, &pool->connect_timeout, CONNECT_TIMEOUT_MS);
    for (b = 0; b < NBACKOFF; b++)
        h2o_timeout_init(loop, &pool->backoff[b], backoff_ms[b]);
    pool->conns = calloc((size_t)size, sizeof(hd_db_conn_t));
    for (i = 0; i < size; i++) {
        hd_db_conn_t *c = &pool->conns[i];
        c->pool = pool;
        c->index = i;
        snprintf(c->name, sizeof(c->name), "t%dc%d", id, i);
        c->prepared = calloc(1 + hd_route_count, 1);
        conn_start(c);
    }
    return pool;
}

void hd_db_submit(hd_db_pool_t *pool, h2o_req_t *req, const hd_route_t *route, const char *ctx_params[HD_CTX_NPARAMS],
                  const char *doc, hd_db_cb cb, void *data)
{
    hd_db_query_t *q;
    int i, idle = -1;
    hd_db_result_t r;

    memset(&r, 0, sizeof(r));
    for (i = 0; i < pool->size; i++) {
        if (pool->conns[i].state == CONN_IDLE) {
            idle = i;
            break;
        }
    }
    if (idle < 0) {
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
    q->cb = cb;
    q->data = data;
    q->guard = h2o_mem_alloc_shared(&req->pool, sizeof(struct guard), guard_dispose);
    q->guard->q = q;
    q->timeout.cb = on_query_timeout;
    h2o_timeout_link(pool->loop, &pool->req_timeout, &q->timeout);
    if (idle >= 0) {
        send_query(&pool->conns[idle], q);
    } else {
        q->state = Q_QUEUED;
        h2o_linklist_insert(&pool->queue, &q->link);
        pool->queued++;
    }
}

size_t hd_db_pending(hd_db_pool_t *pool)
{
    return (size_t)(pool->queued + pool->inflight);
}

void hd_db_pool_close(hd_db_pool_t *pool)
{
    int i;
    pool->closing = 1;
    fail_queue(pool, HD_DB_UNAVAILABLE);
    for (i = 0; i < pool->size; i++) {
        hd_db_conn_t *c = &pool->conns[i];
        if (h2o_timeout_is_linked(&c->timer))
            h2o_timeout_unlink(&c->timer);
        if (c->q != NULL) {
            hd_db_query_t *q = c->q;
            c->q = NULL;
            pool->inflight--;
            answer_status(q, HD_DB_UNAVAILABLE);
            free(q);
        }
        close_pg(c);
        c->state = CONN_DOWN;
    }
}
