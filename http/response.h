/* response.h: envelopes, headers, status/exception names, database outcomes -> responses. */
#ifndef HD_RESPONSE_H
#define HD_RESPONSE_H

#ifndef H2O_USE_LIBUV
#define H2O_USE_LIBUV 0
#endif
#include <h2o.h>
#include "db.h"
#include "routes.h"

/* ISO-8601 UTC with milliseconds; buf >= 32 bytes. */
void hd_iso_now(char *buf);
/* Exception class name for a status ("NotFoundException"). */
const char *hd_exception_name(int status);

/* JSON body with Content-Length, Content-Type application/json. body is copied. */
void hd_send_json(h2o_req_t *req, int status, const char *body, size_t len);
/* Any body with Content-Length and the given Content-Type. body is copied. */
void hd_send_body(h2o_req_t *req, int status, const char *content_type, const char *body, size_t len);
void hd_send_empty(h2o_req_t *req, int status);
/* Success envelope; data == NULL: no data key; status 204: empty body. */
void hd_respond_success(h2o_req_t *req, const hd_route_t *route, const char *data, size_t len);
/* Error envelope. details_json: a JSON array (raw text) or NULL. retry_after > 0 adds Retry-After. */
void hd_respond_error(h2o_req_t *req, int status, const char *message, const char *details_json, int retry_after);
/* Database outcome -> success or error envelope (the real error of a 500 goes to the log). */
void hd_respond_db_result(h2o_req_t *req, const hd_route_t *route, const hd_db_result_t *res);

/* {"__error": {status, message, retryAfter?, details?}} returned by a function (contract: errors
 * that must still commit). Returns 1 and fills *out (free with hd_returned_error_free), else 0. */
typedef struct hd_returned_error {
    int status;
    int retry_after;
    char *message;
    char *details; /* JSON array text or NULL */
} hd_returned_error_t;
int hd_parse_returned_error(const char *value, size_t len, hd_returned_error_t *out);
void hd_returned_error_free(hd_returned_error_t *e);

/* Filter on every response: security headers, CORS headers, access log, and h2o's own
 * plain-text errors (413, 400...) rewritten into the error envelope. */
void hd_response_register_filter(h2o_pathconf_t *pathconf);

#endif
