/* accesslog.h: access log lines and error log lines on stderr. */
#ifndef HD_ACCESSLOG_H
#define HD_ACCESSLOG_H

#ifndef H2O_USE_LIBUV
#define H2O_USE_LIBUV 0
#endif
#include <h2o.h>

/* Client address of a request as text (buf >= 64 bytes). */
const char *hd_client_ip(h2o_req_t *req, char *buf, size_t cap);
/* One line per request: time, client ip, method, path, status, bytes, duration ms. */
void hd_access_log(h2o_req_t *req, int status, size_t bytes);
/* Error log line with a timestamp (the real error behind a 500, db events). */
void hd_log_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
