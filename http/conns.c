/* conns.c: accepting client connections, with a cap.
 *
 * Each thread accepts on its own SO_REUSEPORT listener and counts its open connections (h2o
 * calls the socket's on_close when a connection ends, on the same thread). At its share of
 * MAX_CONNECTIONS it stops reading the listener: new connections wait in the kernel's backlog
 * until one of its connections closes, as h2o's own server does. So the memory a crowd of
 * clients can pin is bounded by the cap times what one connection holds, whatever they do.
 *
 * What bounds them in time is h2o's request timeout (HTTP_READ_TIMEOUT_MS, set in main.c): in
 * h2o 2.2 it starts when the server begins to read a request and is not renewed by the bytes
 * that arrive, so a request's headers and body must all arrive within it (slowloris, a body
 * that never ends) and an idle keep-alive connection is closed after it. At shutdown the same
 * timeout is expired at once, closing every connection that has no request being answered. */
#include "conns.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "accesslog.h"

static size_t per_thread_max = 1;

struct thread_conns {
    h2o_socket_t *listener;
    h2o_accept_ctx_t *accept_ctx;
    int paused; /* at the cap: the listener is not read */
    size_t open, peak;
};

static __thread struct thread_conns tc;

void hd_conns_init(int max_connections, int threads)
{
    struct rlimit rl;
    /* each connection is a descriptor; the database connections and the loop's own need a few more */
    rlim_t want = (rlim_t)max_connections + 256;

    per_thread_max = (size_t)(max_connections + threads - 1) / (size_t)(threads > 0 ? threads : 1);
    if (per_thread_max == 0)
        per_thread_max = 1;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
        return;
    if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < want) {
        rl.rlim_cur = rl.rlim_max == RLIM_INFINITY || rl.rlim_max >= want ? want : rl.rlim_max;
        if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
            hd_log_error("cannot raise the open file limit to %llu: %s", (unsigned long long)rl.rlim_cur, strerror(errno));
        if (rl.rlim_cur < want)
            hd_log_error("the open file limit (%llu) is below MAX_CONNECTIONS (%d): accepting fails with EMFILE first",
                         (unsigned long long)rl.rlim_cur, max_connections);
    }
}

static void on_accept(h2o_socket_t *listener, const char *err);

static void update_listener(void)
{
    if (tc.listener == NULL)
        return;
    if (tc.open >= per_thread_max && !tc.paused) {
        h2o_socket_read_stop(tc.listener);
        tc.paused = 1;
    } else if (tc.open < per_thread_max && tc.paused) {
        h2o_socket_read_start(tc.listener, on_accept);
        tc.paused = 0;
    }
}

static void on_close(void *data)
{
    (void)data;
    tc.open--;
    update_listener();
}

static void on_accept(h2o_socket_t *listener, const char *err)
{
    h2o_socket_t *sock;
    if (err != NULL)
        return;
    /* accept what is waiting, up to the cap (a few per wake-up, so the loop stays fair) */
    for (int i = 0; i < 16 && tc.open < per_thread_max; i++) {
        if ((sock = h2o_evloop_socket_accept(listener)) == NULL)
            break;
        tc.open++;
        if (tc.open > tc.peak)
            tc.peak = tc.open;
        sock->on_close.cb = on_close;
        sock->on_close.data = NULL;
        h2o_accept(tc.accept_ctx, sock);
    }
    update_listener();
}

void hd_conns_listen(h2o_loop_t *loop, int fd, h2o_accept_ctx_t *accept_ctx)
{
    tc.accept_ctx = accept_ctx;
    tc.listener = h2o_evloop_socket_create(loop, fd, H2O_SOCKET_FLAG_DONT_READ);
    tc.paused = 0;
    h2o_socket_read_start(tc.listener, on_accept);
}

void hd_conns_stop_listening(void)
{
    if (tc.listener == NULL)
        return;
    if (!tc.paused)
        h2o_socket_read_stop(tc.listener);
    h2o_socket_close(tc.listener);
    tc.listener = NULL;
}

void hd_conns_close_idle(h2o_context_t *ctx)
{
    /* every connection reading a request (or waiting for the next one) has its entry in the
     * request timeout; running that timeout as if forever had passed closes them, as their
     * expiry would. A connection whose request is being answered has none. */
    h2o_timeout_run(ctx->loop, &ctx->http1.req_timeout, UINT64_MAX);
    h2o_timeout_run(ctx->loop, &ctx->http2.idle_timeout, UINT64_MAX);
}

/* h2o 2.2 keeps freed socket buffers and memory-pool chunks in per-thread lists for reuse, and
 * has no call that empties them. The socket buffers' list is public (the prototype's allocator):
 * take each one and free it. The pool chunks' list is private to h2o's memory.c, but a pool's
 * first allocation takes its chunk from that list (or mallocs one once it is empty), so taking a
 * chunk that way and freeing it, as many times as the list can hold, empties it. */
void hd_conns_free_buffers(void)
{
#if H2O_VERSION_MAJOR == 2 && H2O_VERSION_MINOR == 2
    h2o_mem_recycle_t *buffers = &h2o_socket_buffer_prototype.allocator;
    int i;
    while (buffers->cnt != 0)
        free(h2o_mem_alloc_recycle(buffers, 0));
    for (i = 0; i < 16; i++) { /* the list's capacity in h2o 2.2 (memory.c: mempool_allocator) */
        h2o_mem_pool_t pool;
        h2o_mem_init_pool(&pool);
        h2o_mem_alloc_pool(&pool, 1);
        free(pool.chunks);
    }
#endif
}

size_t hd_conns_open(void)
{
    return tc.open;
}

size_t hd_conns_peak(void)
{
    return tc.peak;
}
