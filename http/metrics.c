/* metrics.c: the server's counters (lock-free, shared by the event loop threads) and the
 * GET /metrics endpoint in the Prometheus text format (version 0.0.4).
 *
 * /metrics is served on its own address (METRICS_LISTEN) by a thread with its own h2o loop and
 * its own database connection, never by the public listeners: a scrape cannot be reached from
 * the public port, takes no connection from the request pool and shows in none of the request
 * counters. The database's part (outbox, SLA watcher) is one call of helpdesk_api.metrics per
 * scrape, which returns the metrics as data ({name, type, help, value}); this file only renders
 * them, so what the database reports is decided in SQL (sql/90_ops.sql). */
#include "metrics.h"

#include <errno.h>
#include <jansson.h>
#include <libpq-fe.h>
#include <netdb.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "accesslog.h"
#include "conns.h"
#include "db.h"
#include "mailformat.h"
#include "readpool.h"

/* Latency buckets (seconds), the usual spread from a cached read to a stuck statement. */
static const double bucket_le[] = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
#define NBUCKETS (sizeof(bucket_le) / sizeof(bucket_le[0]))
#define STATUS_MIN 100
#define NSTATUS 500 /* 100..599 */

typedef struct route_stats {
    uint64_t by_status[NSTATUS];
    uint64_t bucket[NBUCKETS + 1]; /* per bucket, not cumulative; the last one is +Inf */
    uint64_t sum_us;
} route_stats_t;

/* hd_route_count + 1 entries: one per row of the route table, the last for requests that
 * matched none (404, 405, CORS preflights, the OpenAPI document, 429 before routing). */
static route_stats_t *stats;
static uint64_t rate_limited;
static int64_t sse_subscribers;
static uint64_t sse_subscriptions;
/* the sender's attempts, by hd_mail_outcome_t */
static uint64_t email_outcomes[3];
static const char *const email_outcome_names[3] = {"sent", "retried", "dead_lettered"};
static double start_time;
static char server_version[64] = "";

#define ADD(p, v) __atomic_fetch_add((p), (v), __ATOMIC_RELAXED)
#define LOAD(p) __atomic_load_n((p), __ATOMIC_RELAXED)

void hd_metrics_init(void)
{
    struct timeval tv;
    if (stats == NULL)
        stats = calloc(hd_route_count + 1, sizeof(route_stats_t));
    gettimeofday(&tv, NULL);
    start_time = (double)tv.tv_sec + (double)tv.tv_usec / 1e6;
}

void hd_metrics_observe(const hd_route_t *route, int status, double seconds)
{
    route_stats_t *s;
    size_t b;
    if (stats == NULL)
        return;
    s = &stats[route != NULL ? (size_t)(route - hd_routes) : hd_route_count];
    if (status >= STATUS_MIN && status < STATUS_MIN + NSTATUS)
        ADD(&s->by_status[status - STATUS_MIN], 1);
    for (b = 0; b < NBUCKETS && seconds > bucket_le[b]; b++)
        ;
    ADD(&s->bucket[b], 1);
    ADD(&s->sum_us, (uint64_t)(seconds > 0 ? seconds * 1e6 : 0));
}

void hd_metrics_rate_limited(void)
{
    ADD(&rate_limited, 1);
}

void hd_metrics_email_outcome(int outcome)
{
    if (outcome >= HD_MAIL_SENT && outcome <= HD_MAIL_DEAD)
        ADD(&email_outcomes[outcome], 1);
}

void hd_metrics_sse_subscriber(int delta)
{
    ADD(&sse_subscribers, delta);
    if (delta > 0)
        ADD(&sse_subscriptions, (uint64_t)delta);
}

/* ---- rendering ---- */

static void family(hd_buf_t *out, const char *name, const char *type, const char *help)
{
    hd_buf_lit(out, "# HELP ");
    hd_buf_str(out, name);
    hd_buf_lit(out, " ");
    hd_buf_str(out, help);
    hd_buf_lit(out, "\n# TYPE ");
    hd_buf_str(out, name);
    hd_buf_lit(out, " ");
    hd_buf_str(out, type);
    hd_buf_lit(out, "\n");
}

static void label_value(hd_buf_t *out, const char *s)
{
    for (; *s; s++) {
        if (*s == '\\' || *s == '"')
            hd_buf_lit(out, "\\");
        if (*s == '\n')
            hd_buf_lit(out, "\\n");
        else
            hd_buf_append(out, s, 1);
    }
}

static void route_labels(hd_buf_t *out, size_t i)
{
    hd_buf_lit(out, "method=\"");
    label_value(out, i < hd_route_count ? hd_routes[i].method : "");
    hd_buf_lit(out, "\",route=\"");
    label_value(out, i < hd_route_count ? hd_routes[i].path : "(none)");
    hd_buf_lit(out, "\"");
}

static void number(hd_buf_t *out, const char *fmt, double v)
{
    char num[64];
    snprintf(num, sizeof(num), fmt, v);
    hd_buf_str(out, num);
}

static void sample_u(hd_buf_t *out, const char *name, uint64_t v)
{
    char num[32];
    hd_buf_str(out, name);
    snprintf(num, sizeof(num), " %llu\n", (unsigned long long)v);
    hd_buf_str(out, num);
}

void hd_metrics_render(hd_buf_t *out)
{
    size_t i, b;
    int st;
    char num[64];
    hd_db_stats_t db;
    hd_read_stats_t reads;

    family(out, "helpdesk_http_info", "gauge", "The server's version (helpdesk.control), always 1.");
    hd_buf_lit(out, "helpdesk_http_info{version=\"");
    label_value(out, server_version);
    hd_buf_lit(out, "\"} 1\n");
    family(out, "helpdesk_http_start_time_seconds", "gauge", "When the server started (unix time).");
    hd_buf_lit(out, "helpdesk_http_start_time_seconds ");
    number(out, "%.3f\n", start_time);
    if (stats == NULL)
        return;

    family(out, "helpdesk_http_requests_total", "counter",
           "Requests answered, by route (template of the route table; (none): matched no route) and status.");
    for (i = 0; i <= hd_route_count; i++) {
        for (st = 0; st < NSTATUS; st++) {
            uint64_t v = LOAD(&stats[i].by_status[st]);
            if (v == 0)
                continue;
            hd_buf_lit(out, "helpdesk_http_requests_total{");
            route_labels(out, i);
            snprintf(num, sizeof(num), ",status=\"%d\"} %llu\n", st + STATUS_MIN, (unsigned long long)v);
            hd_buf_str(out, num);
        }
    }

    family(out, "helpdesk_http_request_duration_seconds", "histogram",
           "Time from a request's arrival to the start of its response, by route.");
    for (i = 0; i <= hd_route_count; i++) {
        uint64_t counts[NBUCKETS + 1], cum = 0;
        for (b = 0; b <= NBUCKETS; b++)
            cum += counts[b] = LOAD(&stats[i].bucket[b]);
        if (cum == 0)
            continue;
        cum = 0;
        for (b = 0; b <= NBUCKETS; b++) {
            cum += counts[b];
            hd_buf_lit(out, "helpdesk_http_request_duration_seconds_bucket{");
            route_labels(out, i);
            if (b < NBUCKETS)
                number(out, ",le=\"%g\"}", bucket_le[b]);
            else
                hd_buf_lit(out, ",le=\"+Inf\"}");
            snprintf(num, sizeof(num), " %llu\n", (unsigned long long)cum);
            hd_buf_str(out, num);
        }
        hd_buf_lit(out, "helpdesk_http_request_duration_seconds_sum{");
        route_labels(out, i);
        number(out, "} %.6f\n", (double)LOAD(&stats[i].sum_us) / 1e6);
        hd_buf_lit(out, "helpdesk_http_request_duration_seconds_count{");
        route_labels(out, i);
        snprintf(num, sizeof(num), "} %llu\n", (unsigned long long)cum);
        hd_buf_str(out, num);
    }

    family(out, "helpdesk_http_rate_limited_total", "counter",
           "Requests refused by the per-address rate limit (RATE_LIMIT_MAX_REQUESTS), 429.");
    sample_u(out, "helpdesk_http_rate_limited_total", LOAD(&rate_limited));
    family(out, "helpdesk_http_sse_subscribers", "gauge", "Server-Sent Events streams open now.");
    snprintf(num, sizeof(num), "helpdesk_http_sse_subscribers %lld\n", (long long)LOAD(&sse_subscribers));
    hd_buf_str(out, num);
    family(out, "helpdesk_http_sse_subscriptions_total", "counter", "Server-Sent Events streams opened.");
    sample_u(out, "helpdesk_http_sse_subscriptions_total", LOAD(&sse_subscriptions));
    family(out, "helpdesk_http_email_sends_total", "counter",
           "Messages the e-mail sender of this process tried over SMTP, by outcome: sent, retried (a 4xx or no "
           "connection), dead_lettered (a 5xx, or not sendable).");
    for (i = 0; i < 3; i++) {
        hd_buf_lit(out, "helpdesk_http_email_sends_total{outcome=\"");
        hd_buf_str(out, email_outcome_names[i]);
        snprintf(num, sizeof(num), "\"} %llu\n", (unsigned long long)LOAD(&email_outcomes[i]));
        hd_buf_str(out, num);
    }

    hd_db_stats(&db);
    family(out, "helpdesk_http_db_pool_size", "gauge", "Database connections configured (threads x DB_POOL_SIZE).");
    sample_u(out, "helpdesk_http_db_pool_size", (uint64_t)db.size);
    family(out, "helpdesk_http_db_pool_connections_up", "gauge", "Database connections established.");
    sample_u(out, "helpdesk_http_db_pool_connections_up", (uint64_t)db.up);
    family(out, "helpdesk_http_db_pool_in_use", "gauge", "Database connections with at least one request in flight.");
    sample_u(out, "helpdesk_http_db_pool_in_use", (uint64_t)db.in_use);
    family(out, "helpdesk_http_db_requests_in_flight", "gauge", "Requests sent to the database, not yet answered.");
    sample_u(out, "helpdesk_http_db_requests_in_flight", (uint64_t)db.in_flight);
    family(out, "helpdesk_http_db_pool_waiting", "gauge", "Requests waiting for a database connection (DB_QUEUE_MAX).");
    sample_u(out, "helpdesk_http_db_pool_waiting", (uint64_t)db.waiting);

    /* read replicas (DB_READ_HOST): where read-only routes were served, and the fallbacks */
    hd_read_stats(&reads);
    family(out, "helpdesk_http_reads_total", "counter",
           "Read-only requests by where they were served while replicas are configured "
           "(primary: none fresh or up, or the user wrote recently).");
    snprintf(num, sizeof(num), "helpdesk_http_reads_total{served_by=\"replica\"} %llu\n",
             (unsigned long long)reads.replica);
    hd_buf_str(out, num);
    snprintf(num, sizeof(num), "helpdesk_http_reads_total{served_by=\"primary\"} %llu\n",
             (unsigned long long)reads.primary);
    hd_buf_str(out, num);
    family(out, "helpdesk_http_read_fallbacks_total", "counter",
           "Reads a replica failed (connection lost, recovery conflict) that the primary then answered.");
    sample_u(out, "helpdesk_http_read_fallbacks_total", reads.retried);
}

static int metric_name_ok(const char *s)
{
    size_t i;
    if (s == NULL || *s == '\0' || strlen(s) > 200)
        return 0;
    for (i = 0; s[i]; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':' || (i > 0 && c >= '0' && c <= '9')))
            return 0;
    }
    return 1;
}

int hd_metrics_render_db(hd_buf_t *out, const char *json, size_t len)
{
    json_t *doc, *m;
    size_t i;
    int n = 0;
    if ((doc = json_loadb(json, len, 0, NULL)) == NULL)
        return -1;
    if (!json_is_array(doc)) {
        json_decref(doc);
        return -1;
    }
    json_array_foreach(doc, i, m) {
        const char *name = json_string_value(json_object_get(m, "name"));
        const char *type = json_string_value(json_object_get(m, "type"));
        const char *help = json_string_value(json_object_get(m, "help"));
        json_t *value = json_object_get(m, "value");
        char h[512];
        size_t k, o = 0;
        if (!metric_name_ok(name) || type == NULL || (strcmp(type, "counter") != 0 && strcmp(type, "gauge") != 0) ||
            !json_is_number(value))
            continue;
        /* HELP text: one line, backslashes escaped */
        for (k = 0; help != NULL && help[k] && o + 3 < sizeof(h); k++) {
            if (help[k] == '\\')
                h[o++] = '\\';
            h[o++] = help[k] == '\n' ? ' ' : help[k];
        }
        h[o] = '\0';
        family(out, name, type, h);
        hd_buf_str(out, name);
        number(out, " %.17g\n", json_number_value(value));
        n++;
    }
    json_decref(doc);
    return n;
}

/* ---- the metrics thread ---- */

static pthread_t metrics_tid;
static int metrics_running;
static int metrics_stop;
static int metrics_fd = -1;
static h2o_globalconf_t metrics_conf;
static h2o_context_t metrics_ctx;
static h2o_accept_ctx_t metrics_accept;
static char *metrics_conninfo;
static PGconn *metrics_pg; /* used by the metrics thread only */
static int metrics_db_logged; /* the last failure was logged; log again only after a success */

/* The database's part: `helpdesk_db_up` and what helpdesk_api.metrics returns. Blocking, on the
 * metrics thread only (scrapes are rare and this thread serves nothing else). */
static void render_db(hd_buf_t *out)
{
    PGresult *res = NULL;
    const char *why = NULL;
    int up = 0;
    if (metrics_pg == NULL || PQstatus(metrics_pg) != CONNECTION_OK) {
        if (metrics_pg != NULL)
            PQfinish(metrics_pg);
        metrics_pg = PQconnectdb(metrics_conninfo);
    }
    if (PQstatus(metrics_pg) != CONNECTION_OK) {
        why = PQerrorMessage(metrics_pg);
    } else {
        res = PQexec(metrics_pg, "SELECT helpdesk_api.metrics('{}'::jsonb)::text");
        if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 1 || PQgetisnull(res, 0, 0))
            why = PQresultErrorMessage(res)[0] ? PQresultErrorMessage(res) : "helpdesk_api.metrics returned no row";
        else
            up = 1;
    }
    family(out, "helpdesk_db_up", "gauge", "1 when this scrape could read the database's metrics.");
    hd_buf_str(out, up ? "helpdesk_db_up 1\n" : "helpdesk_db_up 0\n");
    if (up && hd_metrics_render_db(out, PQgetvalue(res, 0, 0), (size_t)PQgetlength(res, 0, 0)) < 0) {
        why = "helpdesk_api.metrics did not return an array of metrics";
        up = 0;
    }
    if (!up && !metrics_db_logged) {
        char msg[512];
        snprintf(msg, sizeof(msg), "%s", why != NULL ? why : "unknown error");
        msg[strcspn(msg, "\n")] = '\0';
        hd_log_error("metrics: cannot read the database's metrics: %s", msg);
    }
    metrics_db_logged = !up;
    if (res != NULL)
        PQclear(res);
}

static h2o_generator_t metrics_generator = {NULL, NULL};

static void send_text(h2o_req_t *req, int status, const char *reason, const char *type, const char *body, size_t len)
{
    h2o_iovec_t buf = h2o_strdup(&req->pool, body, len);
    req->res.status = status;
    req->res.reason = reason;
    req->res.content_length = len;
    h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CONTENT_TYPE, NULL, type, strlen(type));
    h2o_start_response(req, &metrics_generator);
    h2o_send(req, &buf, h2o_memis(req->input.method.base, req->input.method.len, H2O_STRLIT("HEAD")) ? 0 : 1,
             H2O_SEND_STATE_FINAL);
}

static int on_metrics_req(h2o_handler_t *self, h2o_req_t *req)
{
    hd_buf_t out = {0};
    (void)self;
    if (!h2o_memis(req->path_normalized.base, req->path_normalized.len, H2O_STRLIT("/metrics"))) {
        send_text(req, 404, "Not Found", "text/plain; charset=utf-8", H2O_STRLIT("not found: GET /metrics\n"));
        return 0;
    }
    if (!h2o_memis(req->method.base, req->method.len, H2O_STRLIT("GET")) &&
        !h2o_memis(req->method.base, req->method.len, H2O_STRLIT("HEAD"))) {
        h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_ALLOW, NULL, H2O_STRLIT("GET, HEAD"));
        send_text(req, 405, "Method Not Allowed", "text/plain; charset=utf-8", H2O_STRLIT("GET /metrics\n"));
        return 0;
    }
    hd_metrics_render(&out);
    render_db(&out);
    send_text(req, 200, "OK", "text/plain; version=0.0.4; charset=utf-8", out.base, out.len);
    hd_buf_free(&out);
    return 0;
}

static void on_metrics_accept(h2o_socket_t *listener, const char *err)
{
    h2o_socket_t *sock;
    if (err != NULL || (sock = h2o_evloop_socket_accept(listener)) == NULL)
        return;
    h2o_accept(&metrics_accept, sock);
}

static void *metrics_loop(void *arg)
{
    h2o_socket_t *listener = h2o_evloop_socket_create(metrics_ctx.loop, metrics_fd, H2O_SOCKET_FLAG_DONT_READ);
    (void)arg;
    h2o_socket_read_start(listener, on_metrics_accept);
    while (!__atomic_load_n(&metrics_stop, __ATOMIC_ACQUIRE))
        h2o_evloop_run(metrics_ctx.loop, 100);
    h2o_socket_read_stop(listener);
    h2o_socket_close(listener);
    h2o_evloop_run(metrics_ctx.loop, 0);
    if (metrics_pg != NULL)
        PQfinish(metrics_pg);
    metrics_pg = NULL;
    hd_conns_free_buffers(); /* h2o's buffer lists of this thread (conns.c) */
    return NULL;
}

static int listen_on(const char *host, int port)
{
    struct addrinfo hints, *res = NULL, *ai;
    char portstr[16];
    int fd = -1, on = 1, rc;
    memset(&hints, 0, sizeof(hints));
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
    snprintf(portstr, sizeof(portstr), "%d", port);
    if ((rc = getaddrinfo(host, portstr, &hints, &res)) != 0) {
        hd_log_error("metrics: cannot resolve METRICS_LISTEN host '%s': %s", host, gai_strerror(rc));
        return -1;
    }
    for (ai = res; ai != NULL; ai = ai->ai_next) {
        if ((fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol)) < 0)
            continue;
        /* no SO_REUSEPORT: a metrics address already in use (the public port included) is an error */
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
        if (bind(fd, ai->ai_addr, ai->ai_addrlen) == 0 && listen(fd, 64) == 0)
            break;
        hd_log_error("metrics: cannot listen on %s:%d: %s", host, port, strerror(errno));
        close(fd);
        fd = -1;
    }
    freeaddrinfo(res);
    return fd;
}

int hd_metrics_start(const char *host, int port, const char *conninfo, const char *version)
{
    h2o_hostconf_t *hostconf;
    h2o_handler_t *handler;
    size_t len;
    snprintf(server_version, sizeof(server_version), "%s", version);
    if ((metrics_fd = listen_on(host, port)) < 0)
        return -1;
    /* the scrape's own connection, named so that pg_stat_activity tells it from the pool's */
    len = strlen(conninfo) + 64;
    metrics_conninfo = malloc(len);
    snprintf(metrics_conninfo, len, "%s application_name='helpdesk-http metrics' connect_timeout='5'", conninfo);
    h2o_config_init(&metrics_conf);
    metrics_conf.server_name = h2o_iovec_init(H2O_STRLIT(""));
    metrics_conf.max_request_entity_size = 4096; /* a scrape sends no body */
    hostconf = h2o_config_register_host(&metrics_conf, h2o_iovec_init(H2O_STRLIT("default")), 65535);
    handler = h2o_create_handler(h2o_config_register_path(hostconf, "/", 0), sizeof(*handler));
    handler->on_req = on_metrics_req;
    h2o_context_init(&metrics_ctx, h2o_evloop_create(), &metrics_conf);
    metrics_accept.ctx = &metrics_ctx;
    metrics_accept.hosts = metrics_conf.hosts;
    if (pthread_create(&metrics_tid, NULL, metrics_loop, NULL) != 0) {
        hd_log_error("metrics: cannot start the metrics thread");
        return -1;
    }
    metrics_running = 1;
    hd_log_error("metrics: GET /metrics on %s:%d", host, port);
    return 0;
}

void hd_metrics_stop(void)
{
    if (!metrics_running)
        return;
    __atomic_store_n(&metrics_stop, 1, __ATOMIC_RELEASE);
    pthread_join(metrics_tid, NULL);
    metrics_running = 0;
    free(metrics_conninfo);
    metrics_conninfo = NULL;
}
