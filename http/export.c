/* export.c: streamed CSV exports (see export.h). */
#include "export.h"

#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "accesslog.h"
#include "buf.h"
#include "config.h"
#include "csv.h"
#include "download.h"
#include "response.h"
#include "sqlstate.h"

#define CHUNK_BYTES 65536

/* PostgreSQL type oids written as numbers (never neutralised): int2, int4, int8, numeric, float4/8. */
static int numeric_oid(Oid t)
{
    return t == 20 || t == 21 || t == 23 || t == 1700 || t == 700 || t == 701;
}

static long running;

long hd_export_count(void)
{
    return __atomic_load_n(&running, __ATOMIC_RELAXED);
}

typedef struct export {
    h2o_generator_t gen; /* first: h2o calls back with it */
    h2o_req_t *req;      /* NULL once the response is over or the client gone */
    h2o_loop_t *loop;
    const hd_route_t *route;
    PGconn *pg;
    h2o_socket_t *sock;
    const char *params[HD_CTX_NPARAMS + 1];
    const char *prefix;
    int connected, writing, started, sending, done, failed, counted;
    hd_buf_t out, flight;
} export_t;

static void pump(export_t *e);

static void detach(export_t *e)
{
    if (e->sock != NULL) {
        e->sock->data = NULL;
        h2o_socket_close(e->sock);
        e->sock = NULL;
    }
    e->writing = 0;
}

static void release(export_t *e)
{
    detach(e);
    if (e->pg != NULL) {
        PQfinish(e->pg);
        e->pg = NULL;
    }
    if (e->counted) {
        e->counted = 0;
        __atomic_sub_fetch(&running, 1, __ATOMIC_RELAXED);
    }
}

static void on_dispose(void *p)
{
    export_t *e = p;
    release(e);
    hd_buf_free(&e->out);
    hd_buf_free(&e->flight);
}

static int attach(export_t *e)
{
    int fd;
    detach(e);
    if (PQsocket(e->pg) < 0 || (fd = dup(PQsocket(e->pg))) < 0)
        return -1;
    e->sock = h2o_evloop_socket_create(e->loop, fd, H2O_SOCKET_FLAG_DONT_READ);
    e->sock->data = e;
    return 0;
}

/* The export cannot go on: an envelope before the response started, else the body is cut. */
static void fail(export_t *e, int status, const char *message, const char *why)
{
    h2o_req_t *req = e->req;
    if (why != NULL)
        hd_log_error("export: %s %s: %s", e->route->method, e->route->path, why);
    release(e);
    e->done = 1;
    if (req == NULL)
        return;
    e->req = NULL;
    if (!e->started) {
        hd_respond_error(req, status, message, NULL, status == 503);
    } else if (!e->sending) {
        h2o_send(req, NULL, 0, H2O_SEND_STATE_ERROR);
    } else {
        e->req = req; /* on_proceed cuts it */
        e->failed = 1;
    }
}

static void flush_chunk(export_t *e)
{
    h2o_iovec_t iov;
    hd_buf_t t;
    if (e->sending || e->req == NULL || e->failed || (e->out.len == 0 && !e->done))
        return;
    t = e->flight;
    e->flight = e->out;
    e->out = t;
    e->out.len = 0;
    iov = h2o_iovec_init(e->flight.base, e->flight.len);
    e->sending = 1;
    if (e->done) {
        h2o_req_t *req = e->req;
        e->req = NULL;
        h2o_send(req, &iov, iov.len ? 1 : 0, H2O_SEND_STATE_FINAL);
    } else {
        h2o_send(e->req, &iov, 1, H2O_SEND_STATE_IN_PROGRESS);
    }
}

static void on_proceed(h2o_generator_t *gen, h2o_req_t *req)
{
    export_t *e = (export_t *)gen;
    (void)req;
    e->sending = 0;
    e->flight.len = 0;
    if (e->req == NULL)
        return;
    if (e->failed) {
        h2o_req_t *r = e->req;
        e->req = NULL;
        h2o_send(r, NULL, 0, H2O_SEND_STATE_ERROR);
        return;
    }
    if (e->done) {
        flush_chunk(e);
        return;
    }
    pump(e); /* the next rows: libpq may hold some already, the socket the rest */
}

static void on_stop(h2o_generator_t *gen, h2o_req_t *req)
{
    export_t *e = (export_t *)gen;
    (void)req;
    e->req = NULL;
    release(e);
}

/* 200, the CSV headers and the header row (the result's column names). */
static void start_response(export_t *e, const PGresult *res)
{
    h2o_req_t *req = e->req;
    hd_buf_t disposition = {0};
    char name[80], day[16];
    time_t now = time(NULL);
    struct tm tm;
    int i, n = PQnfields(res);
    h2o_iovec_t v;

    gmtime_r(&now, &tm);
    strftime(day, sizeof(day), "%Y-%m-%d", &tm);
    snprintf(name, sizeof(name), "%s-%s.csv", e->prefix, day);
    req->res.status = 200;
    req->res.reason = "OK";
    h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CONTENT_TYPE, NULL, H2O_STRLIT("text/csv; charset=utf-8"));
    h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CACHE_CONTROL, NULL, H2O_STRLIT("no-store"));
    hd_content_disposition(name, strlen(name), &disposition);
    v = h2o_strdup(&req->pool, disposition.base, disposition.len);
    hd_buf_free(&disposition);
    h2o_add_header_by_str(&req->pool, &req->res.headers, H2O_STRLIT("content-disposition"), 0, "Content-Disposition", v.base, v.len);
    e->gen.proceed = on_proceed;
    e->gen.stop = on_stop;
    e->started = 1;
    h2o_start_response(req, &e->gen);
    for (i = 0; i < n; i++) {
        if (i > 0)
            hd_buf_lit(&e->out, ",");
        hd_csv_cell(&e->out, PQfname(res, i), strlen(PQfname(res, i)), 1);
    }
    hd_buf_lit(&e->out, "\r\n");
}

static void append_row(export_t *e, const PGresult *res)
{
    int i, n = PQnfields(res);
    for (i = 0; i < n; i++) {
        if (i > 0)
            hd_buf_lit(&e->out, ",");
        if (!PQgetisnull(res, 0, i))
            hd_csv_cell(&e->out, PQgetvalue(res, 0, i), (size_t)PQgetlength(res, 0, i), !numeric_oid(PQftype(res, i)));
    }
    hd_buf_lit(&e->out, "\r\n");
}

static void on_readable(h2o_socket_t *sock, const char *err);

/* Rows from libpq into the next chunk until it is full, libpq needs more input, or the end. */
static void pump(export_t *e)
{
    PGresult *res;
    if (e->pg == NULL || e->done)
        return;
    while (!e->sending && e->out.len < CHUNK_BYTES) {
        if (PQisBusy(e->pg)) {
            h2o_socket_read_start(e->sock, on_readable);
            return;
        }
        res = PQgetResult(e->pg);
        if (res == NULL) { /* the statement is over */
            release(e);
            e->done = 1;
            flush_chunk(e);
            return;
        }
        switch (PQresultStatus(res)) {
        case PGRES_SINGLE_TUPLE:
            if (!e->started)
                start_response(e, res);
            append_row(e, res);
            break;
        case PGRES_TUPLES_OK: /* the end (zero rows: still the header row) */
            if (!e->started)
                start_response(e, res);
            break;
        default: {
            hd_sqlerr_map_t m;
            const char *state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
            hd_map_sqlstate(state, PQresultErrorField(res, PG_DIAG_MESSAGE_HINT), &m);
            if (!e->started && m.message == NULL) {
                const char *msg = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
                char *copy = h2o_mem_alloc_pool(&e->req->pool, strlen(msg != NULL ? msg : "") + 1);
                strcpy(copy, msg != NULL ? msg : "");
                PQclear(res);
                fail(e, m.status, copy, NULL);
                return;
            }
            {
                char why[512];
                snprintf(why, sizeof(why), "%s %s", state != NULL ? state : "?", PQresultErrorMessage(res));
                PQclear(res);
                fail(e, m.status, m.message != NULL ? m.message : "Internal server error", m.log || e->started ? why : NULL);
            }
            return;
        }
        }
        PQclear(res);
    }
    /* a full chunk (or one in flight): no more reading until it is sent */
    h2o_socket_read_stop(e->sock);
    flush_chunk(e);
}

static void on_readable(h2o_socket_t *sock, const char *err)
{
    export_t *e = sock->data;
    if (e == NULL)
        return;
    if (err != NULL || !PQconsumeInput(e->pg)) {
        fail(e, 503, "Database unavailable", PQerrorMessage(e->pg));
        return;
    }
    pump(e);
}

static void on_writable(h2o_socket_t *sock, const char *err)
{
    export_t *e = sock->data;
    int r;
    if (e == NULL)
        return;
    e->writing = 0;
    if (err != NULL || (r = PQflush(e->pg)) < 0) {
        fail(e, 503, "Database unavailable", PQerrorMessage(e->pg));
        return;
    }
    if (r == 1) {
        e->writing = 1;
        h2o_socket_notify_write(e->sock, on_writable);
    }
}

/* "SELECT (r).* FROM (SELECT helpdesk_api.fn($7::jsonb) AS r FROM helpdesk_api.request_context(...) OFFSET 0) s":
 * the settings first, the function once per row (OFFSET 0 keeps it from being expanded per column). */
static void send_query(export_t *e)
{
#define CTX_ARGUMENT(suffix, setting, argument) argument,
    static const char *const names[] = {HD_REQUEST_CONTEXT(CTX_ARGUMENT)};
#undef CTX_ARGUMENT
    char sql[1024];
    size_t i, len;
    int r;
    len = (size_t)snprintf(sql, sizeof(sql), "SELECT (s.r).* FROM (SELECT helpdesk_api.%s($%d::jsonb) AS r FROM helpdesk_api.request_context(",
                           e->route->function, HD_CTX_NPARAMS + 1);
    for (i = 0; i < HD_CTX_NPARAMS; i++)
        len += (size_t)snprintf(sql + len, sizeof(sql) - len, "%s%s => $%zu", i ? ", " : "", names[i], i + 1);
    snprintf(sql + len, sizeof(sql) - len, ") OFFSET 0) s");
    if (PQsetnonblocking(e->pg, 1) != 0 || !PQsendQueryParams(e->pg, sql, HD_CTX_NPARAMS + 1, NULL, e->params, NULL, NULL, 0)
        || !PQsetSingleRowMode(e->pg)) {
        fail(e, 503, "Database unavailable", PQerrorMessage(e->pg));
        return;
    }
    if ((r = PQflush(e->pg)) < 0) {
        fail(e, 503, "Database unavailable", PQerrorMessage(e->pg));
        return;
    }
    if (r == 1) {
        e->writing = 1;
        h2o_socket_notify_write(e->sock, on_writable);
    }
    h2o_socket_read_start(e->sock, on_readable);
}

static void connect_poll(export_t *e);

static void on_connect_io(h2o_socket_t *sock, const char *err)
{
    export_t *e = sock->data;
    (void)err;
    if (e == NULL)
        return;
    h2o_socket_read_stop(sock);
    e->writing = 0;
    connect_poll(e);
}

static void connect_poll(export_t *e)
{
    PostgresPollingStatusType r = PQconnectPoll(e->pg);
    if (r == PGRES_POLLING_FAILED) {
        fail(e, 503, "Database unavailable", PQerrorMessage(e->pg));
        return;
    }
    if (attach(e) != 0) {
        fail(e, 503, "Database unavailable", "no socket");
        return;
    }
    if (r == PGRES_POLLING_OK) {
        e->connected = 1;
        send_query(e);
    } else if (r == PGRES_POLLING_READING) {
        h2o_socket_read_start(e->sock, on_connect_io);
    } else {
        e->writing = 1;
        h2o_socket_notify_write(e->sock, on_connect_io);
    }
}

void hd_export_start(h2o_req_t *req, const hd_route_t *route, const char *ctx[HD_CTX_NPARAMS], const char *doc,
                     const char *filename_prefix)
{
    export_t *e;
    char timeout[64];
    const char *keys[] = {"dbname", "options", "application_name", NULL};
    const char *values[4];
    int i;

    if (__atomic_add_fetch(&running, 1, __ATOMIC_RELAXED) > hd_conf.export_max) {
        __atomic_sub_fetch(&running, 1, __ATOMIC_RELAXED);
        hd_respond_error(req, 503, "Too many exports at once", NULL, 5);
        return;
    }
    e = h2o_mem_alloc_shared(&req->pool, sizeof(*e), on_dispose);
    memset(e, 0, sizeof(*e));
    e->counted = 1;
    e->req = req;
    e->loop = req->conn->ctx->loop;
    e->route = route;
    e->prefix = filename_prefix;
    for (i = 0; i < HD_CTX_NPARAMS; i++)
        e->params[i] = ctx[i];
    e->params[HD_CTX_NPARAMS] = doc;
    /* the server's connection string, the export's own statement_timeout */
    snprintf(timeout, sizeof(timeout), "-c statement_timeout=%lld", (long long)hd_conf.export_timeout_ms);
    values[0] = hd_conf.conninfo;
    values[1] = timeout;
    values[2] = ctx[HD_CTX_APPNAME] != NULL && ctx[HD_CTX_APPNAME][0] != '\0' ? ctx[HD_CTX_APPNAME] : "helpdesk-http";
    values[3] = NULL;
    e->pg = PQconnectStartParams(keys, values, 1);
    if (e->pg == NULL || PQstatus(e->pg) == CONNECTION_BAD) {
        fail(e, 503, "Database unavailable", e->pg != NULL ? PQerrorMessage(e->pg) : "out of memory");
        return;
    }
    if (attach(e) != 0) {
        fail(e, 503, "Database unavailable", "no socket");
        return;
    }
    e->writing = 1;
    h2o_socket_notify_write(e->sock, on_connect_io);
}
