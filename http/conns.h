/* conns.h: the client connections of one event-loop thread: accepted, counted, capped, and
 * closed at shutdown (docs/RELIABILITY.md, "Slow clients"). Every function is called from the
 * thread's own loop; the state is the thread's own. */
#ifndef HD_CONNS_H
#define HD_CONNS_H

#ifndef H2O_USE_LIBUV
#define H2O_USE_LIBUV 0
#endif
#include <h2o.h>

/* Once, before the threads start: raise the open-file limit to what max_connections needs (as
 * far as the hard limit allows, logged otherwise) and share the cap out between the threads. */
void hd_conns_init(int max_connections, int threads);

/* Start accepting on the listening socket fd with this thread's accept context. */
void hd_conns_listen(h2o_loop_t *loop, int fd, h2o_accept_ctx_t *accept_ctx);

/* Stop accepting and close the listener (shutdown). */
void hd_conns_stop_listening(void);

/* Close the connections that have no request being answered: idle keep-alive connections, and
 * requests still arriving (their headers or body incomplete). A request being answered keeps its
 * connection until its response is written (h2o then closes it, shutdown being requested). */
void hd_conns_close_idle(h2o_context_t *ctx);

/* Free the buffers h2o keeps for reuse by this thread's connections (at the thread's end). */
void hd_conns_free_buffers(void);

/* Connections of this thread open now, and the most seen at once. */
size_t hd_conns_open(void);
size_t hd_conns_peak(void);

#endif
