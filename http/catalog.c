/* catalog.c: the route table and the database agree, checked (catalog.h). The comparison is a
 * pure function of the route table and the catalog rows, so unit tests feed it broken tables;
 * hd_catalog_check is the one blocking libpq session that reads those rows. */
#include "catalog.h"

#include <libpq-fe.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "accesslog.h"
#include "request_context.h"

#define CONNECT_TIMEOUT_S "5" /* as db.c's connections */

static void problem(hd_buf_t *out, size_t *n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void problem(hd_buf_t *out, size_t *n, const char *fmt, ...)
{
    char line[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    hd_buf_str(out, line);
    hd_buf_lit(out, "\n");
    (*n)++;
}

static const char *volatility_name(char v)
{
    return v == 'v' ? "VOLATILE" : v == 's' ? "STABLE" : v == 'i' ? "IMMUTABLE" : "of unknown volatility";
}

/* What the server calls: (jsonb), or (jsonb, bytea) for a multipart route (the file's bytes);
 * and what it reads back: jsonb, helpdesk.file_download for a file route, a set of rows (any
 * row type: its columns are the CSV's) for an export route. */
static const char *expected_args(const hd_route_t *r)
{
    return r->body == HD_BODY_MULTIPART ? "jsonb, bytea" : "jsonb";
}

static const char *expected_result(const hd_route_t *r)
{
    return r->resp == HD_RESP_FILE ? "helpdesk.file_download" : r->resp == HD_RESP_EXPORT ? "a set of rows" : "jsonb";
}

static void compare_route(const hd_route_t *r, const hd_catalog_fn_t *fns, size_t nfns, hd_buf_t *out, size_t *n)
{
    const hd_catalog_fn_t *fn = NULL, *other = NULL;
    const char *args = expected_args(r), *result = expected_result(r);
    size_t i;
    for (i = 0; i < nfns; i++) {
        if (strcmp(fns[i].name, r->function) != 0)
            continue;
        if (strcmp(fns[i].args, args) == 0)
            fn = &fns[i];
        else if (other == NULL)
            other = &fns[i];
    }
    if (fn == NULL) {
        if (other != NULL)
            problem(out, n, "%s %s: helpdesk_api.%s takes (%s), the server calls helpdesk_api.%s(%s)", r->method, r->path,
                    r->function, other->args, r->function, args);
        else
            problem(out, n, "%s %s: function helpdesk_api.%s(%s) does not exist", r->method, r->path, r->function, args);
        return;
    }
    if (r->resp == HD_RESP_EXPORT ? !fn->retset : (fn->retset || strcmp(fn->result, result) != 0))
        problem(out, n, "%s %s: helpdesk_api.%s(%s) returns %s%s, expected %s", r->method, r->path, r->function, args,
                fn->retset ? "SETOF " : "", fn->result, result);
    if (!fn->executable)
        problem(out, n, "%s %s: helpdesk_api.%s(%s) may not be executed by the server's database user", r->method, r->path,
                r->function, args);
    if (r->read_only && fn->volatility != 's' && fn->volatility != 'i')
        problem(out, n, "%s %s: read-only route, but helpdesk_api.%s(%s) is %s (declare it STABLE, or mark the route RW)",
                r->method, r->path, r->function, args, volatility_name(fn->volatility));
}

static void compare_request_context(const hd_catalog_fn_t *fns, size_t nfns, hd_buf_t *out, size_t *n)
{
#define CTX_ARGUMENT(suffix, setting, argument) argument,
    static const char *const names[] = {HD_REQUEST_CONTEXT(CTX_ARGUMENT)};
#undef CTX_ARGUMENT
    const size_t count = sizeof(names) / sizeof(names[0]);
    char want_names[256] = "", want_args[256] = "";
    const hd_catalog_fn_t *fn = NULL;
    size_t i, found = 0, wn = 0, wa = 0;

    for (i = 0; i < count; i++) {
        wn += (size_t)snprintf(want_names + wn, sizeof(want_names) - wn, "%s%s", i ? "," : "", names[i]);
        wa += (size_t)snprintf(want_args + wa, sizeof(want_args) - wa, "%stext", i ? ", " : "");
    }
    for (i = 0; i < nfns; i++)
        if (strcmp(fns[i].name, "request_context") == 0) {
            fn = &fns[i];
            found++;
        }
    if (found == 0) {
        problem(out, n, "helpdesk_api.request_context(%s) does not exist (every route's statement calls it)", want_names);
        return;
    }
    if (found > 1) {
        problem(out, n, "helpdesk_api.request_context has %zu versions; the server calls one, with arguments (%s)", found,
                want_names);
        return;
    }
    if (strcmp(fn->argnames, want_names) != 0 || strcmp(fn->args, want_args) != 0)
        problem(out, n,
                "helpdesk_api.request_context takes (%s) of types (%s); the server sends (%s), all text, as "
                "extension/request_context.h lists them",
                fn->argnames, fn->args, want_names);
}

size_t hd_catalog_compare(const hd_route_t *routes, size_t nroutes, const hd_catalog_fn_t *fns, size_t nfns, hd_buf_t *out)
{
    size_t i, n = 0;
    for (i = 0; i < nroutes; i++)
        compare_route(&routes[i], fns, nfns, out, &n);
    compare_request_context(fns, nfns, out, &n);
    return n;
}

/* Every function of helpdesk_api, one row each (overloads too). */
static const char catalog_query[] =
    "SELECT p.proname::text, pg_catalog.oidvectortypes(p.proargtypes),"
    " coalesce(pg_catalog.array_to_string(p.proargnames, ',', ''), ''),"
    " pg_catalog.format_type(p.prorettype, NULL), p.proretset, p.provolatile,"
    " pg_catalog.has_function_privilege(p.oid, 'EXECUTE')"
    " FROM pg_catalog.pg_proc p JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace"
    " WHERE n.nspname = 'helpdesk_api' AND p.prokind = 'f'";

static void append_pq_error(hd_buf_t *out, const char *what, const char *msg)
{
    hd_buf_str(out, what);
    hd_buf_str(out, msg != NULL && msg[0] != '\0' ? msg : "unknown error\n");
}

int hd_catalog_check(const char *conninfo, hd_buf_t *out)
{
    static const char *const keys[] = {"dbname", "connect_timeout", NULL};
    const char *values[] = {conninfo, CONNECT_TIMEOUT_S, NULL};
    PGconn *pg = PQconnectdbParams(keys, values, 1); /* conninfo expanded, then the timeout */
    PGresult *res;
    hd_catalog_fn_t *fns;
    int i, nfns, rc;

    if (pg == NULL || PQstatus(pg) != CONNECTION_OK) {
        append_pq_error(out, "cannot connect to the database: ", pg != NULL ? PQerrorMessage(pg) : "out of memory\n");
        PQfinish(pg);
        return -1;
    }
    res = PQexec(pg, catalog_query);
    if (PQresultStatus(res) != PGRES_TUPLES_OK) {
        append_pq_error(out, "cannot read the catalog: ", PQresultErrorMessage(res));
        PQclear(res);
        PQfinish(pg);
        return -1;
    }
    nfns = PQntuples(res);
    fns = calloc((size_t)nfns + 1, sizeof(*fns));
    for (i = 0; i < nfns; i++) {
        fns[i].name = PQgetvalue(res, i, 0);
        fns[i].args = PQgetvalue(res, i, 1);
        fns[i].argnames = PQgetvalue(res, i, 2);
        fns[i].result = PQgetvalue(res, i, 3);
        fns[i].retset = PQgetvalue(res, i, 4)[0] == 't';
        fns[i].volatility = PQgetvalue(res, i, 5)[0];
        fns[i].executable = PQgetvalue(res, i, 6)[0] == 't';
    }
    rc = hd_catalog_compare(hd_routes, hd_route_count, fns, (size_t)nfns, out) == 0 ? 0 : 1;
    free(fns);
    PQclear(res);
    PQfinish(pg);
    return rc;
}

static atomic_int checked;

int hd_catalog_checked(void)
{
    return atomic_load_explicit(&checked, memory_order_acquire);
}

void hd_catalog_set_checked(void)
{
    atomic_store_explicit(&checked, 1, memory_order_release);
}

/* Problems one per log line. */
static void log_lines(const char *prefix, const char *text)
{
    while (text != NULL && *text != '\0') {
        size_t len = strcspn(text, "\n");
        hd_log_error("%s%.*s", prefix, (int)len, text);
        text += len + (text[len] == '\n');
    }
}

struct background {
    char *conninfo;
    int retry_ms;
    void (*on_mismatch)(void);
};

static void *background_check(void *arg)
{
    struct background *bg = arg;
    struct timespec pause = {bg->retry_ms / 1000, (long)(bg->retry_ms % 1000) * 1000000L};
    int rc;
    for (;;) {
        hd_buf_t out = {0};
        rc = hd_catalog_check(bg->conninfo, &out);
        if (rc == 0) {
            hd_catalog_set_checked();
            hd_log_error("catalog: the route table agrees with helpdesk_api (%zu routes); serving", hd_route_count);
        } else if (rc == 1) {
            log_lines("catalog: ", out.base);
            hd_log_error("catalog: the route table and the database disagree; stopping");
            bg->on_mismatch();
        }
        hd_buf_free(&out);
        if (rc != -1)
            break;
        nanosleep(&pause, NULL);
    }
    free(bg->conninfo);
    free(bg);
    return NULL;
}

int hd_catalog_check_in_background(const char *conninfo, int retry_ms, void (*on_mismatch)(void))
{
    struct background *bg = calloc(1, sizeof(*bg));
    pthread_t tid;
    pthread_attr_t attr;
    int rc;
    bg->conninfo = strdup(conninfo);
    bg->retry_ms = retry_ms;
    bg->on_mismatch = on_mismatch;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    rc = pthread_create(&tid, &attr, background_check, bg);
    pthread_attr_destroy(&attr);
    if (rc != 0) {
        free(bg->conninfo);
        free(bg);
        return -1;
    }
    return 0;
}
