/* metrics.h: counters of the server, and GET /metrics in the Prometheus text format on a listen
 * address of its own (METRICS_LISTEN), served by a thread of its own. */
#ifndef HD_METRICS_H
#define HD_METRICS_H

#ifndef H2O_USE_LIBUV
#define H2O_USE_LIBUV 0
#endif
#include <h2o.h>

#include "buf.h"
#include "routes.h"

/* Allocate the counters of the route table (before any request). */
void hd_metrics_init(void);

/* A response started: one request of `route` (NULL: matched none) with `status`, `seconds` after
 * it began. Called by the response filter for every response. */
void hd_metrics_observe(const hd_route_t *route, int status, double seconds);
/* A request refused by the per-address rate limit (429 before routing). */
void hd_metrics_rate_limited(void);
/* An SSE subscriber came (+1) or went (-1): the gauge helpdesk_http_sse_subscribers, and
 * helpdesk_http_sse_subscriptions_total counts the comings. */
void hd_metrics_sse_subscriber(int delta);
/* The e-mail sender's attempt at one message ended with `outcome` (an hd_mail_outcome_t of
 * mailformat.h: sent, retried, dead-lettered): helpdesk_http_email_sends_total{outcome}. */
void hd_metrics_email_outcome(int outcome);

/* The server's own metrics, in the text format (the database's are added by the scrape). */
void hd_metrics_render(hd_buf_t *out);
/* The database's metrics: `json` is what helpdesk_api.metrics returns, an array of
 * {"name", "type" (counter|gauge), "help", "value"}; anything else in it is skipped.
 * Returns the number of metrics written, -1 when json is not such an array. */
int hd_metrics_render_db(hd_buf_t *out, const char *json, size_t len);

/* Listen on host:port and serve GET /metrics from a thread of its own, with its own database
 * connection (conninfo) for the database's part. 0, or -1 (logged) when it cannot listen. */
int hd_metrics_start(const char *host, int port, const char *conninfo, const char *version);
/* Stop that thread (no-op when not started). */
void hd_metrics_stop(void);

#endif
