/* sse.h: GET /api/v1/notifications/stream, the caller's notifications as Server-Sent Events
 * (route kind stream). One LISTEN connection per event-loop thread feeds every stream of the
 * thread (http/README.md, "Notification streams"). */
#ifndef HD_SSE_H
#define HD_SSE_H

#ifndef H2O_USE_LIBUV
#define H2O_USE_LIBUV 0
#endif
#include <h2o.h>

typedef struct hd_sse_thread hd_sse_thread_t;

/* The thread's stream state and its LISTEN connection (connected in the background). */
hd_sse_thread_t *hd_sse_thread_start(h2o_loop_t *loop, const char *conninfo, uint64_t keepalive_ms);
/* Shutdown: every stream of the thread ends, the connection is closed. */
void hd_sse_thread_stop(hd_sse_thread_t *st);
/* After the loop has ended (its streams are gone). */
void hd_sse_thread_free(hd_sse_thread_t *st);
/* Streams open now on this thread. */
size_t hd_sse_count(hd_sse_thread_t *st);

/* A verified caller (user_id, the token's iat and exp, seconds) asks for the stream; the
 * Last-Event-ID header, when present, resumes after that notification id. Answers the request:
 * 401 when the database says the user or token is no longer good, 503 when the stream connection
 * is down, else 200 text/event-stream until the token expires, the user is deactivated, the
 * client goes or the server stops. */
void hd_sse_subscribe(hd_sse_thread_t *st, h2o_req_t *req, long long user_id, long long iat, long long exp);

/* The events' text (pure, unit-tested): append to out an event with `name`, `id` and `data`
 * (data on one line or several `data:` lines). */
struct hd_buf;
void hd_sse_format_event(struct hd_buf *out, const char *name, long long id, const char *data, size_t len);
/* Parse a Last-Event-ID value: a decimal id >= 0; -1 when absent or not a number. */
long long hd_sse_parse_last_event_id(const char *s, size_t len);

#endif
