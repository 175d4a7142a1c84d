/* main.c: startup, one h2o event loop per thread with its own SO_REUSEPORT listener, signals,
 * graceful shutdown (stop accepting, drain in-flight requests, close DB connections, exit 0). */
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#ifndef HELPDESK_VERSION
#error "HELPDESK_VERSION must be defined (the Makefile reads it from helpdesk.control)"
#endif

#include "accesslog.h"
#include "auth.h"
#include "catalog.h"
#include "config.h"
#include "conns.h"
#include "filetype.h"
#include "handler.h"
#include "mailer.h"
#include "metrics.h"
#include "openapi.h"
#include "ratelimit.h"
#include "readpool.h"
#include "response.h"
#include "routes.h"
#include "sse.h"
#include "upload.h"

static h2o_globalconf_t globalconf;

/* The route table and the database disagree (found after start-up): stop, exit 1. */
static volatile sig_atomic_t catalog_mismatch;

static void on_catalog_mismatch(void)
{
    catalog_mismatch = 1;
    kill(getpid(), SIGTERM); /* main's sigwait: the usual drain, then exit 1 */
}

/* --check-catalog: print what the check finds, exit 0 (the table and the catalog agree) or 1. */
static int check_catalog_and_exit(void)
{
    hd_buf_t out = {0};
    int rc = hd_catalog_check(hd_conf.conninfo, &out);
    if (out.len > 0)
        fputs(out.base, rc == -1 ? stderr : stdout);
    if (rc == 0)
        printf("catalog: the route table agrees with helpdesk_api (%zu routes)\n", hd_route_count);
    else if (rc == 1)
        printf("catalog: the route table and helpdesk_api disagree\n");
    hd_buf_free(&out);
    return rc == 0 ? 0 : 1;
}

/* At start-up: agree -> serve; disagree -> refuse to start; database unreachable -> serve 503
 * until a check in the background passes (or stop with exit 1 when it finds a mismatch). */
static int check_catalog_at_startup(void)
{
    hd_buf_t out = {0};
    int rc = hd_catalog_check(hd_conf.conninfo, &out);
    if (rc == 0) {
        hd_catalog_set_checked();
    } else if (rc == 1) {
        fputs(out.base, stderr);
        fprintf(stderr, "helpdesk-http: the route table and the database's helpdesk_api functions disagree; refusing to start\n");
    } else {
        out.base[strcspn(out.base, "\n")] = '\0';
        hd_log_error("catalog: %s", out.base);
        hd_log_error("catalog: the database is not reachable; answering 503 until the route table has been checked "
                     "against it (retry every %d ms)", hd_conf.catalog_retry_ms);
        if (hd_catalog_check_in_background(hd_conf.conninfo, hd_conf.catalog_retry_ms, on_catalog_mismatch) != 0) {
            fprintf(stderr, "helpdesk-http: cannot start the catalog check thread\n");
            rc = 1;
        } else {
            rc = 0;
        }
    }
    hd_buf_free(&out);
    return rc == 0 ? 0 : -1;
}

/* Request bodies: h2o reads a whole body before the handler sees it (libh2o 2.2 has no
 * streaming request API) under one limit for every route, so that limit is the larger of
 * MAX_BODY_SIZE and an upload's (the handler holds JSON routes to MAX_BODY_SIZE). A body that
 * grows past TEMP_BUFFER_THRESHOLD moves from the heap to a temporary file mapped in memory
 * (unlinked at once), so uploads waiting for the database are file-backed pages the kernel may
 * write out, not heap (bench/RESULTS.md, "Attachments"). */
static void upload_setup(h2o_globalconf_t *conf)
{
    hd_upload_limits_t lim = hd_upload_limits_conf();
    size_t upload_max = hd_upload_max_body(&lim);
    conf->max_request_entity_size = upload_max > hd_conf.max_body_size ? upload_max : hd_conf.max_body_size;
    h2o_socket_buffer_mmap_settings.threshold = hd_conf.temp_buffer_threshold;
    snprintf(h2o_socket_buffer_mmap_settings.fn_template, sizeof(h2o_socket_buffer_mmap_settings.fn_template),
             "%s/helpdesk-body.XXXXXX", hd_conf.temp_buffer_path);
}

static int create_listener(const char *host, int port)
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
        fprintf(stderr, "helpdesk-http: cannot resolve HOST '%s': %s\n", host, gai_strerror(rc));
        return -1;
    }
    for (ai = res; ai != NULL; ai = ai->ai_next) {
        if ((fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol)) < 0)
            continue;
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
        setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &on, sizeof(on));
        if (bind(fd, ai->ai_addr, ai->ai_addrlen) == 0 && listen(fd, 1024) == 0)
            break;
        fprintf(stderr, "helpdesk-http: cannot listen on %s:%d: %s\n", host, port, strerror(errno));
        close(fd);
        fd = -1;
    }
    freeaddrinfo(res);
    return fd;
}

static void on_shutdown_message(h2o_multithread_receiver_t *receiver, h2o_linklist_t *messages)
{
    hd_thread_t *t = H2O_STRUCT_FROM_MEMBER(hd_thread_t, shutdown_receiver, receiver);
    while (!h2o_linklist_is_empty(messages)) {
        h2o_multithread_message_t *msg = H2O_STRUCT_FROM_MEMBER(h2o_multithread_message_t, link, messages->next);
        h2o_linklist_unlink(&msg->link);
    }
    if (t->stopping)
        return;
    t->stopping = 1;
    t->stop_deadline = h2o_now(t->ctx.loop) + (uint64_t)hd_conf.drain_timeout_ms;
    t->ctx.shutdown_requested = 1;
    hd_conns_stop_listening();
    /* connections with no request being answered are not waited for */
    hd_conns_close_idle(&t->ctx);
    /* streams never end by themselves: they end now, their connections close once written */
    hd_sse_thread_stop(t->sse);
}

/* After the drain: the last responses written and their connections closed (bounded), then
 * everything the thread allocated freed, so that a leak checker sees nothing left at exit. A
 * client that does not read its response keeps its connection: the loop is then left as is. */
static void release_thread(hd_thread_t *t)
{
    h2o_evloop_t *loop = t->ctx.loop;
    uint64_t deadline = h2o_now(loop) + 1000;
    while (hd_conns_open() > 0 && h2o_now(loop) < deadline) {
        hd_conns_close_idle(&t->ctx);
        h2o_evloop_run(loop, 10);
    }
    if (hd_conns_open() > 0) {
        hd_log_error("thread %d: %zu connections still open at exit (responses not read); its loop is not freed", t->id,
                     hd_conns_open());
    } else {
        hd_db_pool_free(t->db);
        hd_db_pool_free(t->file_db);
        hd_readpool_free(t->reads);
        t->reads = NULL;
        hd_sse_thread_free(t->sse); /* after its streams' requests were disposed */
        t->sse = NULL;
        t->db = NULL;
        t->file_db = NULL;
        h2o_multithread_unregister_receiver(t->queue, &t->shutdown_receiver);
        h2o_multithread_destroy_queue(t->queue);
        h2o_context_dispose(&t->ctx); /* destroys the context's own queue */
#if H2O_VERSION_MAJOR == 2 && H2O_VERSION_MINOR < 3
        /* before 2.3, h2o_multithread_destroy_queue does not free the queue (fixed upstream in 6b0a76e) */
        free(t->queue);
        free(t->ctx.queue);
#endif
        h2o_evloop_destroy(loop);
    }
    hd_auth_thread_free();
    hd_filetype_thread_free();
    hd_conns_free_buffers();
}

static void *run_loop(void *arg)
{
    hd_thread_t *t = arg;
    h2o_evloop_t *loop = t->ctx.loop;
    uint64_t quiet_since = 0;

    t->db = hd_db_pool_create(t->id, loop, hd_conf.conninfo, hd_conf.db_pool_size, hd_conf.db_pipeline_depth,
                              hd_conf.db_queue_max, (uint64_t)hd_conf.request_timeout_ms,
                              (uint64_t)hd_conf.db_queue_timeout_ms, (uint64_t)hd_conf.db_stall_ms);
    t->file_db = hd_db_pool_create_for_files(t->id, loop, hd_conf.conninfo, hd_conf.file_db_pool_size, hd_conf.db_queue_max,
                                             (uint64_t)hd_conf.request_timeout_ms, hd_conf.temp_buffer_threshold);
    t->reads = hd_readpool_create(t->id, loop);
    t->sse = hd_sse_thread_start(loop, hd_conf.conninfo, (uint64_t)hd_conf.sse_keepalive_ms);
    hd_conns_listen(loop, t->listen_fd, &t->accept_ctx);

    for (;;) {
        h2o_evloop_run(loop, t->stopping ? 20 : INT32_MAX);
        if (t->stopping) {
            uint64_t now = h2o_now(loop);
            if (hd_db_pending(t->db) + hd_db_pending(t->file_db) + hd_readpool_pending(t->reads) == 0) {
                /* give the last responses a moment to be written */
                if (quiet_since == 0)
                    quiet_since = now;
                else if (now - quiet_since >= 100)
                    break;
            } else {
                quiet_since = 0;
            }
            if (now >= t->stop_deadline)
                break;
        }
    }
    hd_db_pool_close(t->db);
    hd_db_pool_close(t->file_db);
    hd_readpool_close(t->reads);
    release_thread(t);
    return NULL;
}

int main(int argc, char **argv)
{
    h2o_hostconf_t *hostconf;
    h2o_pathconf_t *pathconf;
    h2o_handler_t *handler;
    hd_thread_t *threads;
    sigset_t set;
    int i, sig, rc;

    if ((rc = hd_config_load(argc, argv)) != 0) {
        if (rc > 0 && hd_conf.show_version)
            printf("helpdesk-http %s\n", HELPDESK_VERSION); /* helpdesk.control's, as helpdesk.version() */
        return rc > 0 ? 0 : 1;
    }
    if ((hd_router = hd_router_build(hd_routes, hd_route_count)) == NULL)
        return 1;
    if (hd_conf.check_catalog)
        return check_catalog_and_exit();

    /* every thread (the catalog check's too) inherits this mask; only main waits for the signals */
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    signal(SIGPIPE, SIG_IGN);

    if (check_catalog_at_startup() != 0)
        return 1;
    if (hd_filetype_check_install() != 0)
        return 1;
    hd_filetype_thread_free(); /* the check's cookie: each loop thread opens its own */
    if ((hd_openapi_doc = hd_openapi_build(hd_routes, hd_route_count, &hd_openapi_doc_len)) == NULL) {
        hd_log_error("cannot build the OpenAPI document of the route table");
        return 1;
    }
    if ((hd_openapi_page = hd_openapi_html(hd_openapi_doc, hd_openapi_doc_len, &hd_openapi_page_len)) == NULL) {
        hd_log_error("cannot build the page of the OpenAPI document");
        return 1;
    }
    /* N servers sharing each client (RATE_LIMIT_SERVERS): this one allows its share */
    hd_ratelimit_init(hd_conf.rate_limit_window_ms,
                      (hd_conf.rate_limit_max + hd_conf.rate_limit_servers - 1) / hd_conf.rate_limit_servers);
    if (hd_readpool_start() != 0)
        return 1;
    hd_metrics_init();

    h2o_config_init(&globalconf);
    globalconf.server_name = h2o_iovec_init(H2O_STRLIT("")); /* no Server header */
    globalconf.max_request_entity_size = hd_conf.max_body_size;
    /* a request's headers and body arrive within this, an idle connection lives this long
     * (conns.c); HTTP/1.1 only: no h2c upgrade, whose streams this timeout would not bound */
    globalconf.http1.req_timeout = (uint64_t)hd_conf.http_read_timeout_ms;
    globalconf.http1.upgrade_to_http2 = 0;
    globalconf.http2.idle_timeout = (uint64_t)hd_conf.http_read_timeout_ms;
    hd_conns_init(hd_conf.max_connections, hd_conf.threads);
    upload_setup(&globalconf);
    hostconf = h2o_config_register_host(&globalconf, h2o_iovec_init(H2O_STRLIT("default")), 65535);
    pathconf = h2o_config_register_path(hostconf, "/", 0);
    handler = h2o_create_handler(pathconf, sizeof(*handler));
    handler->on_req = hd_on_req;
    hd_response_register_filter(pathconf);
    hd_response_register_filter(&hostconf->fallback_path);

    threads = calloc((size_t)hd_conf.threads, sizeof(hd_thread_t));
    for (i = 0; i < hd_conf.threads; i++) {
        hd_thread_t *t = &threads[i];
        t->id = i;
        if ((t->listen_fd = create_listener(hd_conf.host, hd_conf.port)) < 0)
            return 1;
        h2o_context_init(&t->ctx, h2o_evloop_create(), &globalconf);
        t->accept_ctx.ctx = &t->ctx;
        t->accept_ctx.hosts = globalconf.hosts;
        t->queue = h2o_multithread_create_queue(t->ctx.loop);
        h2o_multithread_register_receiver(t->queue, &t->shutdown_receiver, on_shutdown_message);
    }
    hd_log_error("helpdesk-http listening on %s:%d (%d threads, %d db connections each, pipeline depth %d)", hd_conf.host,
                 hd_conf.port, hd_conf.threads, hd_conf.db_pool_size, hd_conf.db_pipeline_depth);
    if (hd_conf.metrics_port != 0 &&
        hd_metrics_start(hd_conf.metrics_host, hd_conf.metrics_port, hd_conf.conninfo, HELPDESK_VERSION) != 0)
        return 1;
    if (hd_mailer_start(hd_conf.conninfo) != 0)
        return 1;
    for (i = 0; i < hd_conf.threads; i++)
        pthread_create(&threads[i].tid, NULL, run_loop, &threads[i]);

    for (;;) {
        if (sigwait(&set, &sig) != 0)
            continue;
        if (sig == SIGHUP)
            continue;
        break;
    }
    hd_log_error("received %s, draining (at most %lld ms)", sig == SIGTERM ? "SIGTERM" : "SIGINT",
                 (long long)hd_conf.drain_timeout_ms);
    for (i = 0; i < hd_conf.threads; i++)
        h2o_multithread_send_message(&threads[i].shutdown_receiver, &threads[i].shutdown_message);
    for (i = 0; i < hd_conf.threads; i++)
        pthread_join(threads[i].tid, NULL);
    hd_metrics_stop();
    hd_mailer_stop();
    hd_readpool_stop();
    hd_log_error("helpdesk-http stopped");
    free(threads); /* (each listening socket was closed by its loop) */
    h2o_config_dispose(&globalconf);
    free(hd_openapi_doc);
    hd_openapi_doc = NULL;
    free(hd_openapi_page);
    hd_openapi_page = NULL;
    hd_router_free(hd_router);
    hd_router = NULL;
    hd_config_free();
    return catalog_mismatch ? 1 : 0;
}
