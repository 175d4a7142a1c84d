/* response.c: the success/error envelopes of the reference (§1.2, §1.3), a database outcome
 * turned into one of them (SQL errors through the table of sqlstate.c), and the filter that
 * every response passes through. */
#define _GNU_SOURCE
#include "response.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

#include "accesslog.h"
#include "auth.h"
#include "buf.h"
#include "config.h"
#include "cors.h"
#include "metrics.h"
#include "reqinfo.h"
#include "request.h"
#include "sqlstate.h"

static h2o_generator_t generator = {NULL, NULL};

void hd_iso_now(char *buf)
{
    struct timeval tv;
    struct tm tm;
    size_t n;
    gettimeofday(&tv, NULL);
    gmtime_r(&tv.tv_sec, &tm);
    n = strftime(buf, 32, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(buf + n, 32 - n, ".%03dZ", (int)(tv.tv_usec / 1000));
}

const char *hd_exception_name(int status)
{
    switch (status) {
    case 400: return "BadRequestException";
    case 401: return "UnauthorizedException";
    case 403: return "ForbiddenException";
    case 404: return "NotFoundException";
    case 405: return "MethodNotAllowedException";
    case 406: return "NotAcceptableException";
    case 408: return "RequestTimeoutException";
    case 409: return "ConflictException";
    case 410: return "GoneException";
    case 413: return "PayloadTooLargeException";
    case 415: return "UnsupportedMediaTypeException";
    case 422: return "UnprocessableEntityException";
    case 429: return "TooManyRequestsException";
    case 500: return "InternalServerErrorException";
    case 501: return "NotImplementedException";
    case 502: return "BadGatewayException";
    case 503: return "ServiceUnavailableException";
    case 504: return "GatewayTimeoutException";
    default: return status >= 500 ? "InternalServerErrorException" : "HttpException";
    }
}

static const char *reason_phrase(int status)
{
    switch (status) {
    case 200: return "OK";
    case 201: return "Created";
    case 204: return "No Content";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 409: return "Conflict";
    case 413: return "Payload Too Large";
    case 415: return "Unsupported Media Type";
    case 422: return "Unprocessable Entity";
    case 429: return "Too Many Requests";
    case 500: return "Internal Server Error";
    case 503: return "Service Unavailable";
    case 504: return "Gateway Timeout";
    default: return status < 400 ? "OK" : "Error";
    }
}

/* The raw request URL as a JSON string; bytes that are not valid UTF-8 are escaped as \u00XX. */
static void json_path(hd_buf_t *b, h2o_req_t *req)
{
    const char *p = req->input.path.base;
    size_t len = req->input.path.len, i;
    if (hd_utf8_valid(p, len)) {
        hd_buf_json_str(b, p, len);
        return;
    }
    hd_buf_lit(b, "\"");
    for (i = 0; i < len; i++) {
        unsigned char c = (unsigned char)p[i];
        if (c >= 0x80 || c < 0x20 || c == '"' || c == '\\') {
            char esc[8];
            snprintf(esc, sizeof(esc), "\\u%04x", c);
            hd_buf_append(b, esc, 6);
        } else {
            hd_buf_append(b, (const char *)&c, 1);
        }
    }
    hd_buf_lit(b, "\"");
}

void hd_send_body(h2o_req_t *req, int status, const char *content_type, const char *body, size_t len)
{
    h2o_iovec_t buf = h2o_strdup(&req->pool, body, len);
    req->res.status = status;
    req->res.reason = reason_phrase(status);
    req->res.content_length = len;
    h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CONTENT_TYPE, NULL, content_type, strlen(content_type));
    h2o_start_response(req, &generator);
    if (h2o_memis(req->input.method.base, req->input.method.len, H2O_STRLIT("HEAD")))
        h2o_send(req, NULL, 0, H2O_SEND_STATE_FINAL);
    else
        h2o_send(req, &buf, 1, H2O_SEND_STATE_FINAL);
}

void hd_send_json(h2o_req_t *req, int status, const char *body, size_t len)
{
    hd_send_body(req, status, "application/json; charset=utf-8", body, len);
}

void hd_send_empty(h2o_req_t *req, int status)
{
    req->res.status = status;
    req->res.reason = reason_phrase(status);
    req->res.content_length = 0;
    h2o_start_response(req, &generator);
    h2o_send(req, NULL, 0, H2O_SEND_STATE_FINAL);
}

void hd_respond_success(h2o_req_t *req, const hd_route_t *route, const char *data, size_t len)
{
    hd_buf_t b = {0};
    char ts[32];
    int status = hd_route_status(route);
    if (status == 204) {
        hd_send_empty(req, 204);
        return;
    }
    hd_iso_now(ts);
    hd_buf_reserve(&b, len + 256 + req->input.path.len);
    hd_buf_lit(&b, "{\"success\":true,\"message\":");
    hd_buf_json_str(&b, hd_route_message(route), strlen(hd_route_message(route)));
    if (data != NULL) {
        hd_buf_lit(&b, ",\"data\":");
        hd_buf_append(&b, data, len);
    }
    hd_buf_lit(&b, ",\"timestamp\":\"");
    hd_buf_str(&b, ts);
    hd_buf_lit(&b, "\",\"path\":");
    json_path(&b, req);
    hd_buf_lit(&b, "}");
    hd_send_json(req, status, b.base, b.len);
    hd_buf_free(&b);
}

static void build_error(hd_buf_t *b, h2o_req_t *req, int status, const char *message, const char *details_json)
{
    char ts[32], num[16];
    const char *name = hd_exception_name(status);
    hd_iso_now(ts);
    hd_buf_lit(b, "{\"success\":false,\"message\":");
    if (!hd_utf8_valid(message, strlen(message)))
        message = "Error";
    hd_buf_json_str(b, message, strlen(message));
    hd_buf_lit(b, ",\"error\":");
    hd_buf_json_str(b, name, strlen(name));
    snprintf(num, sizeof(num), "%d", status);
    hd_buf_lit(b, ",\"statusCode\":");
    hd_buf_str(b, num);
    hd_buf_lit(b, ",\"timestamp\":\"");
    hd_buf_str(b, ts);
    hd_buf_lit(b, "\",\"path\":");
    json_path(b, req);
    if (details_json != NULL) {
        hd_buf_lit(b, ",\"details\":");
        hd_buf_str(b, details_json);
    }
    hd_buf_lit(b, "}");
}

void hd_respond_error(h2o_req_t *req, int status, const char *message, const char *details_json, int retry_after)
{
    hd_buf_t b = {0};
    if (retry_after > 0) {
        char ra[16];
        int n = snprintf(ra, sizeof(ra), "%d", retry_after);
        h2o_iovec_t v = h2o_strdup(&req->pool, ra, (size_t)n);
        h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_RETRY_AFTER, NULL, v.base, v.len);
    }
    build_error(&b, req, status, message, details_json);
    hd_send_json(req, status, b.base, b.len);
    hd_buf_free(&b);
}

/* DETAIL holding a JSON array of strings -> details (NULL otherwise). */
static int details_ok(const char *detail)
{
    json_t *v;
    size_t i;
    int ok = 1;
    if (detail == NULL || detail[0] != '[')
        return 0;
    if ((v = json_loads(detail, JSON_REJECT_DUPLICATES, NULL)) == NULL)
        return 0;
    if (!json_is_array(v))
        ok = 0;
    for (i = 0; ok && i < json_array_size(v); i++)
        if (!json_is_string(json_array_get(v, i)))
            ok = 0;
    json_decref(v);
    return ok;
}

int hd_parse_returned_error(const char *value, size_t len, hd_returned_error_t *out)
{
    json_t *doc, *e, *st, *msg, *ra, *det;
    size_t i;
    memset(out, 0, sizeof(*out));
    if (len < 12 || value[0] != '{' || memmem(value, len, "\"__error\"", 9) == NULL)
        return 0;
    if ((doc = json_loadb(value, len, 0, NULL)) == NULL)
        return 0;
    if (!json_is_object(doc) || !json_is_object(e = json_object_get(doc, "__error"))) {
        json_decref(doc);
        return 0;
    }
    st = json_object_get(e, "status");
    msg = json_object_get(e, "message");
    ra = json_object_get(e, "retryAfter");
    det = json_object_get(e, "details");
    out->status = json_is_integer(st) ? (int)json_integer_value(st) : 500;
    if (out->status < 400 || out->status > 599)
        out->status = 500;
    if (json_is_integer(ra) && json_integer_value(ra) > 0 && json_integer_value(ra) < 86400 * 7)
        out->retry_after = (int)json_integer_value(ra);
    else if (out->status == 429)
        out->retry_after = 60;
    if (out->status == 500)
        out->message = strdup("Internal server error");
    else if (json_is_string(msg) && json_string_length(msg) > 0)
        out->message = strdup(json_string_value(msg));
    else
        out->message = strdup(hd_exception_name(out->status));
    if (json_is_array(det)) {
        int ok = 1;
        for (i = 0; i < json_array_size(det); i++)
            ok &= json_is_string(json_array_get(det, i));
        if (ok)
            out->details = json_dumps(det, JSON_COMPACT);
    }
    json_decref(doc);
    return 1;
}

void hd_returned_error_free(hd_returned_error_t *e)
{
    free(e->message);
    free(e->details);
    e->message = e->details = NULL;
}

/* A function that must commit its bookkeeping returns {"__error": {...}} instead of raising. */
static int respond_returned_error(h2o_req_t *req, const hd_route_t *route, const char *value, size_t len)
{
    hd_returned_error_t e;
    if (!hd_parse_returned_error(value, len, &e))
        return 0;
    if (e.status == 500)
        hd_log_error("error: %s returned an __error with a status outside 400..599 or 500", route->function);
    hd_respond_error(req, e.status, e.message, e.details, e.retry_after);
    hd_returned_error_free(&e);
    return 1;
}

void hd_respond_db_result(h2o_req_t *req, const hd_route_t *route, const hd_db_result_t *res)
{
    switch (res->status) {
    case HD_DB_OK:
        if (!res->is_null && respond_returned_error(req, route, res->value, res->len))
            return;
        if (res->is_null) {
            hd_respond_success(req, route, NULL, 0);
        } else if (route->resp == HD_RESP_TOKENS) {
            char *out = hd_tokens_transform(res->value, res->len, time(NULL), hd_conf.jwt_expires_in,
                                            (const unsigned char *)hd_conf.jwt_secret, hd_conf.jwt_secret_len);
            if (out == NULL) {
                hd_log_error("error: %s %s: function %s returned no usable accessClaims", route->method, route->path,
                             route->function);
                hd_respond_error(req, 500, "Internal server error", NULL, 0);
                return;
            }
            hd_respond_success(req, route, out, strlen(out));
            free(out);
        } else {
            hd_respond_success(req, route, res->value, res->len);
        }
        return;
    case HD_DB_SQL_ERROR: {
        hd_sqlerr_map_t m;
        const char *msg;
        hd_map_sqlstate(res->sqlstate, res->hint, &m);
        if (m.log)
            hd_log_error("error: %s %.*s: SQLSTATE %s: %s%s%s", route->function, (int)req->input.path.len, req->input.path.base,
                         res->sqlstate ? res->sqlstate : "?", res->message ? res->message : "",
                         res->detail ? " DETAIL: " : "", res->detail ? res->detail : "");
        msg = m.message != NULL ? m.message : (res->message != NULL && res->message[0] ? res->message : hd_exception_name(m.status));
        hd_respond_error(req, m.status, msg, m.message == NULL && details_ok(res->detail) ? res->detail : NULL, m.retry_after);
        return;
    }
    case HD_DB_UNAVAILABLE:
        hd_respond_error(req, 503, "Database unavailable", NULL, 1);
        return;
    case HD_DB_QUEUE_FULL:
        hd_respond_error(req, 503, "Server busy, please retry", NULL, 1);
        return;
    case HD_DB_TIMEOUT:
        hd_log_error("error: %s %.*s: no database answer within REQUEST_TIMEOUT_MS", route->function, (int)req->input.path.len,
                     req->input.path.base);
        hd_respond_error(req, 504, "Request timed out", NULL, 0);
        return;
    }
    hd_respond_error(req, 500, "Internal server error", NULL, 0);
}

/* ---- the filter ---- */

typedef struct rewrite_ostream {
    h2o_ostream_t super;
    h2o_iovec_t body;
} rewrite_ostream_t;

static void rewrite_do_send(h2o_ostream_t *self, h2o_req_t *req, h2o_iovec_t *bufs, size_t bufcnt, h2o_send_state_t state)
{
    rewrite_ostream_t *r = (void *)self;
    (void)bufs;
    (void)bufcnt;
    if (h2o_send_state_is_in_progress(state)) {
        h2o_ostream_send_next(self, req, NULL, 0, state);
        return;
    }
    if (r->body.len == 0 || h2o_memis(req->input.method.base, req->input.method.len, H2O_STRLIT("HEAD")))
        h2o_ostream_send_next(self, req, NULL, 0, state);
    else
        h2o_ostream_send_next(self, req, &r->body, 1, state);
}

static void add_h(h2o_req_t *req, const char *lname, size_t llen, const char *name, const char *value, size_t vlen)
{
    h2o_add_header_by_str(&req->pool, &req->res.headers, lname, llen, 0, name, value, vlen);
}

#define ADD_H(lname, name, value) add_h(req, H2O_STRLIT(lname), name, H2O_STRLIT(value))

static void add_security_headers(h2o_req_t *req)
{
    ADD_H("content-security-policy", "Content-Security-Policy",
          "default-src 'self';base-uri 'self';font-src 'self' https: data:;form-action 'self';frame-ancestors 'self';"
          "img-src 'self' data:;object-src 'none';script-src 'self';script-src-attr 'none';style-src 'self' https: "
          "'unsafe-inline';upgrade-insecure-requests");
    ADD_H("cross-origin-opener-policy", "Cross-Origin-Opener-Policy", "same-origin");
    ADD_H("cross-origin-resource-policy", "Cross-Origin-Resource-Policy", "same-origin");
    ADD_H("origin-agent-cluster", "Origin-Agent-Cluster", "?1");
    ADD_H("referrer-policy", "Referrer-Policy", "no-referrer");
    ADD_H("strict-transport-security", "Strict-Transport-Security", "max-age=15552000; includeSubDomains");
    ADD_H("x-content-type-options", "X-Content-Type-Options", "nosniff");
    ADD_H("x-dns-prefetch-control", "X-DNS-Prefetch-Control", "off");
    ADD_H("x-download-options", "X-Download-Options", "noopen");
    ADD_H("x-frame-options", "X-Frame-Options", "SAMEORIGIN");
    ADD_H("x-permitted-cross-domain-policies", "X-Permitted-Cross-Domain-Policies", "none");
    ADD_H("x-xss-protection", "X-XSS-Protection", "0");
}

static int is_json_response(h2o_req_t *req)
{
    ssize_t i = h2o_find_header(&req->res.headers, H2O_TOKEN_CONTENT_TYPE, -1);
    return i >= 0 && req->res.headers.entries[i].value.len >= 16 &&
           memcmp(req->res.headers.entries[i].value.base, "application/json", 16) == 0;
}

static void on_setup_ostream(h2o_filter_t *self, h2o_req_t *req, h2o_ostream_t **slot)
{
    (void)self;
    if (req->res.status >= 400 && !is_json_response(req)) {
        /* an error produced by h2o itself (oversized or broken body...): same envelope as ours */
        rewrite_ostream_t *r;
        hd_buf_t b = {0};
        int status = req->res.status;
        const char *msg = status == 413 ? "Request body too large" : status == 400 ? "Bad request" : req->res.reason;
        build_error(&b, req, status, msg, NULL);
        memset(&req->res.headers, 0, sizeof(req->res.headers));
        h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CONTENT_TYPE, NULL, H2O_STRLIT("application/json; charset=utf-8"));
        r = (void *)h2o_add_ostream(req, sizeof(rewrite_ostream_t), slot);
        r->super.do_send = rewrite_do_send;
        r->body = h2o_strdup(&req->pool, b.base, b.len);
        req->res.content_length = b.len;
        hd_buf_free(&b);
        slot = &r->super.next;
    }
    add_security_headers(req);
    hd_cors_add_headers(req);
    {
        /* every response: its id back to the client, the metrics, the access log line */
        hd_reqinfo_t *info = hd_reqinfo(req);
        h2o_add_header_by_str(&req->pool, &req->res.headers, H2O_STRLIT("x-request-id"), 0, "X-Request-Id", info->id,
                              strlen(info->id));
        hd_metrics_observe(info->route, req->res.status, hd_request_seconds(req));
        hd_access_log(req, req->res.status, req->res.content_length == SIZE_MAX ? 0 : req->res.content_length);
    }
    h2o_setup_next_ostream(req, slot);
}

void hd_response_register_filter(h2o_pathconf_t *pathconf)
{
    h2o_filter_t *f = h2o_create_filter(pathconf, sizeof(h2o_filter_t));
    f->on_setup_ostream = on_setup_ostream;
}
