/* handler.c: one request, from h2o to the database call (see README: how a request flows). */
#include "handler.h"

#include <string.h>
#include <time.h>

#include "accesslog.h"
#include "auth.h"
#include "buf.h"
#include "catalog.h"
#include "config.h"
#include "cors.h"
#include "csv.h"
#include "export.h"
#include "download.h"
#include "openapi.h"
#include "metrics.h"
#include "ratelimit.h"
#include "readpool.h"
#include "reqinfo.h"
#include "request.h"
#include "response.h"
#include "sse.h"
#include "upload.h"

hd_router_t *hd_router;

#define UA_MAX 512

/* Copy into the pool, cut to max bytes at a character boundary, invalid UTF-8 bytes -> '?'. */
static const char *pool_text(h2o_mem_pool_t *pool, const char *s, size_t len, size_t max)
{
    char *out;
    size_t i, o = 0;
    if (len > max)
        len = max;
    out = h2o_mem_alloc_pool(pool, len + 1);
    for (i = 0; i < len;) {
        size_t n = 1;
        unsigned char c = (unsigned char)s[i];
        if (c >= 0xF0)
            n = 4;
        else if (c >= 0xE0)
            n = 3;
        else if (c >= 0xC0)
            n = 2;
        if (i + n > len)
            break;
        if (hd_utf8_valid(s + i, n)) {
            memcpy(out + o, s + i, n);
            o += n;
            i += n;
        } else {
            out[o++] = '?';
            i++;
        }
    }
    out[o] = '\0';
    return out;
}

/* What the answer of a request needs besides its route: whether a table route answers CSV. */
typedef struct hd_answer {
    const hd_route_t *route;
    int csv;
} hd_answer_t;

static void on_db_done(h2o_req_t *req, const hd_db_result_t *res, void *data)
{
    const hd_answer_t *a = data;
    const hd_route_t *route = a->route;
    if (route->resp == HD_RESP_FILE && res->status == HD_DB_OK)
        hd_download_respond(req, route, res); /* the bytes, no envelope */
    else if (a->csv && res->status == HD_DB_OK && !res->is_null &&
             !(res->len > 10 && memcmp(res->value, "{\"__error\"", 10) == 0))
        hd_csv_respond(req, route, res);
    else
        hd_respond_db_result(req, route, res);
}

/* The largest body a route accepts: an upload route's is the file's limit plus its form. */
static size_t body_limit(const hd_route_t *route)
{
    if (route->body == HD_BODY_MULTIPART) {
        hd_upload_limits_t lim = hd_upload_limits_conf();
        return hd_upload_max_body(&lim);
    }
    return hd_conf.max_body_size;
}

static void not_found(h2o_req_t *req)
{
    hd_buf_t b = {0};
    hd_buf_lit(&b, "Cannot ");
    hd_buf_append(&b, req->input.method.base, req->input.method.len);
    hd_buf_lit(&b, " ");
    hd_buf_append(&b, req->input.path.base, req->input.path.len);
    hd_respond_error(req, 404, hd_utf8_valid(b.base, b.len) ? b.base : "Not found", NULL, 0);
    hd_buf_free(&b);
}

/* The token step (auth.c decides): the Authorization header, or ?access_token= on stream routes
 * (EventSource cannot set headers). */
static hd_auth_outcome_t authenticate(h2o_req_t *req, const hd_route_t *route, const char *query, size_t query_len,
                                      hd_claims_t *claims)
{
    ssize_t i;
    const char *header = NULL, *qtok = NULL;
    size_t header_len = 0, qlen = 0;
    char buf[HD_JWT_MAX_LEN + 1];

    if ((i = h2o_find_header(&req->headers, H2O_TOKEN_AUTHORIZATION, -1)) >= 0) {
        header = req->headers.entries[i].value.base;
        header_len = req->headers.entries[i].value.len;
    } else if (route->resp == HD_RESP_STREAM && query != NULL) {
        long n = hd_query_get(query, query_len, "access_token", buf, HD_JWT_MAX_LEN);
        if (n != -1) {
            /* present; unusable (-2: too long, bad escape) is sent as an empty token, refused */
            qtok = buf;
            qlen = n > 0 ? (size_t)n : 0;
        }
    }
    return hd_authenticate(route->auth, header, header_len, qtok, qlen, (const unsigned char *)hd_conf.jwt_secret,
                           hd_conf.jwt_secret_len, time(NULL), claims);
}

int hd_on_req(h2o_handler_t *self, h2o_req_t *req)
{
    hd_thread_t *thread = H2O_STRUCT_FROM_MEMBER(hd_thread_t, ctx, req->conn->ctx);
    const char *path = req->input.path.base, *query = NULL;
    size_t path_len = req->input.path.len, query_len = 0;
    hd_match_t m;
    hd_claims_t claims = {0, -1, 0};
    hd_reqerr_t err = {0, NULL};
    hd_buf_t doc = {0};
    const char *params[HD_CTX_NPARAMS], *blob = NULL;
    size_t blob_len = 0;
    char ip[64], num[32];
    int st, retry;
    hd_auth_outcome_t auth;
    hd_answer_t *answer;
    (void)self;

    if (req->input.query_at != SIZE_MAX) {
        query = path + req->input.query_at + 1;
        query_len = path_len - req->input.query_at - 1;
        path_len = req->input.query_at;
    }
    hd_client_ip(req, ip, sizeof(ip));

    if (!hd_ratelimit_hit(ip, h2o_now(req->conn->ctx->loop), &retry)) {
        hd_metrics_rate_limited();
        hd_respond_error(req, 429, "Too many requests, please try again later", NULL, retry);
        return 0;
    }
    if (h2o_memis(req->input.method.base, req->input.method.len, H2O_STRLIT("OPTIONS")) && path_len >= 4 &&
        memcmp(path, "/api", 4) == 0 && (path_len == 4 || path[4] == '/')) {
        if (hd_cors_preflight(req) == 204)
            hd_send_empty(req, 204);
        else
            hd_respond_error(req, 403, "Not allowed by CORS", NULL, 0);
        return 0;
    }
    if (h2o_memis(path, path_len, H2O_STRLIT(HD_OPENAPI_PATH)) &&
        h2o_memis(req->input.method.base, req->input.method.len, H2O_STRLIT("GET")) && hd_openapi_doc != NULL) {
        /* the server's own route table: public, no database call */
        hd_send_json(req, 200, hd_openapi_doc, hd_openapi_doc_len);
        return 0;
    }
    if (h2o_memis(path, path_len, H2O_STRLIT(HD_OPENAPI_PAGE_PATH)) &&
        h2o_memis(req->input.method.base, req->input.method.len, H2O_STRLIT("GET")) && hd_openapi_page != NULL) {
        /* the same document as a page, readable without anything from the internet */
        hd_send_body(req, 200, "text/html; charset=utf-8", hd_openapi_page, hd_openapi_page_len);
        return 0;
    }
    st = hd_router_match(hd_router, req->input.method.base, req->input.method.len, path, path_len, &m);
    if (st == 200)
        hd_reqinfo(req)->route = m.route; /* for the metrics and the access log */
    /* the body's size first, whatever the path: h2o's own limit is an upload's (main.c), every
     * other request is held to MAX_BODY_SIZE */
    if (req->entity.base != NULL && req->entity.len > (st == 200 ? body_limit(m.route) : hd_conf.max_body_size)) {
        hd_respond_error(req, 413, "Request body too large", NULL, 0);
        return 0;
    }
    if (st == 404) {
        not_found(req);
        return 0;
    }
    if (st == 405) {
        h2o_iovec_t allow = h2o_strdup(&req->pool, m.allow, strlen(m.allow));
        h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_ALLOW, NULL, allow.base, allow.len);
        hd_respond_error(req, 405, "Method Not Allowed", NULL, 0);
        return 0;
    }
    if (!hd_catalog_checked()) {
        /* the route table has not been checked against the database yet (http/README.md) */
        hd_respond_error(req, 503, "Database unavailable", NULL, 1);
        return 0;
    }
    /* the token before any work on the request's content: an anonymous client cannot make the
     * server parse what only a user may send */
    if ((auth = authenticate(req, m.route, query, query_len, &claims)) == HD_AUTH_REFUSED) {
        hd_respond_error(req, 401, "Invalid or expired token", NULL, 0);
        return 0;
    }
    if (m.route->resp == HD_RESP_STREAM) {
        /* a notification stream: held by the thread's stream state (sse.c), not one DB call */
        hd_sse_subscribe(thread->sse, req, claims.sub, claims.iat, claims.exp);
        return 0;
    }
    answer = h2o_mem_alloc_pool(&req->pool, sizeof(*answer));
    answer->route = m.route;
    answer->csv = 0;
    if (m.route->resp == HD_RESP_TABLE) {
        /* CSV for ?format=csv, or for Accept: text/csv, which the function learns as format=csv */
        ssize_t acc = h2o_find_header(&req->headers, H2O_TOKEN_ACCEPT, -1);
        answer->csv = hd_csv_wanted(query, query_len, acc >= 0 ? req->headers.entries[acc].value.base : NULL,
                                    acc >= 0 ? req->headers.entries[acc].value.len : 0);
        if (answer->csv && (query == NULL || hd_query_get(query, query_len, "format", num, sizeof(num)) == -1)) {
            char *q = h2o_mem_alloc_pool(&req->pool, query_len + sizeof("&format=csv"));
            if (query_len > 0)
                memcpy(q, query, query_len);
            memcpy(q + query_len, query_len > 0 ? "&format=csv" : "format=csv", query_len > 0 ? 12 : 11);
            query = q;
            query_len += query_len > 0 ? 11 : 10;
        }
    }
    if (m.route->body == HD_BODY_JSON) {
        ssize_t ct = h2o_find_header(&req->headers, H2O_TOKEN_CONTENT_TYPE, -1);
        if (hd_check_body_media_type(ct >= 0 ? req->headers.entries[ct].value.base : NULL,
                                     ct >= 0 ? req->headers.entries[ct].value.len : 0,
                                     req->entity.base != NULL ? req->entity.len : 0, &err) != 0) {
            hd_respond_error(req, err.status, err.message, NULL, 0);
            return 0;
        }
    }
    if (m.route->body == HD_BODY_MULTIPART) {
        /* the form's fields and its one file (upload.c): the bytes stay in the request body */
        ssize_t ct = h2o_find_header(&req->headers, H2O_TOKEN_CONTENT_TYPE, -1);
        hd_upload_limits_t lim = hd_upload_limits_conf();
        if (hd_upload_request_doc(ct >= 0 ? req->headers.entries[ct].value.base : NULL,
                                  ct >= 0 ? req->headers.entries[ct].value.len : 0, req->entity.base, req->entity.len, &m,
                                  query, query_len, m.route->args, &lim, &doc, &blob, &blob_len, &err) != 0) {
            hd_buf_free(&doc);
            hd_respond_error(req, err.status, err.message, NULL, 0);
            return 0;
        }
    } else if (hd_build_request_doc(&m, query, query_len, req->entity.base, req->entity.len, m.route->body == HD_BODY_JSON,
                                    hd_conf.max_body_size, m.route->args, &doc, &err) != 0) {
        hd_buf_free(&doc);
        hd_respond_error(req, err.status, err.message, NULL, 0);
        return 0;
    }

    if (auth == HD_AUTH_USER) {
        snprintf(num, sizeof(num), "%lld", claims.sub);
        params[HD_CTX_ACTOR] = h2o_strdup(&req->pool, num, strlen(num)).base;
        if (claims.iat > 0) {
            snprintf(num, sizeof(num), "%lld", claims.iat);
            params[HD_CTX_IAT] = h2o_strdup(&req->pool, num, strlen(num)).base;
        } else {
            params[HD_CTX_IAT] = "";
        }
    } else {
        params[HD_CTX_ACTOR] = "";
        params[HD_CTX_IAT] = "";
    }
    params[HD_CTX_IP] = h2o_strdup(&req->pool, ip, strlen(ip)).base;
    {
        ssize_t ua = h2o_find_header(&req->headers, H2O_TOKEN_USER_AGENT, -1);
        params[HD_CTX_UA] = ua >= 0 ? pool_text(&req->pool, req->headers.entries[ua].value.base, req->headers.entries[ua].value.len, UA_MAX)
                                    : "";
    }
    params[HD_CTX_RO] = m.route->read_only ? "on" : "off";
    {
        /* the request id in pg_stat_activity and in log lines with %a, for this transaction */
        char app[16 + HD_REQUEST_ID_MAX];
        int n = snprintf(app, sizeof(app), "helpdesk-http/%s", hd_reqinfo(req)->id);
        params[HD_CTX_APPNAME] = h2o_strdup(&req->pool, app, (size_t)n).base;
    }

    {
        const char *d = h2o_strdup(&req->pool, doc.base, doc.len).base;
        hd_buf_free(&doc);
        /* files travel on connections of their own, one at a time (db.h) */
        if (m.route->resp == HD_RESP_EXPORT) {
            /* streamed on a connection of its own (export.c); named after the exported collection */
            const char *end = strrchr(m.route->path, '/'), *start = end;
            while (start > m.route->path && start[-1] != '/')
                start--;
            hd_export_start(req, m.route, params, d, h2o_strdup(&req->pool, start, (size_t)(end - start)).base);
            return 0;
        }
        if (m.route->body == HD_BODY_MULTIPART || m.route->resp == HD_RESP_FILE)
            hd_db_submit_blob(thread->file_db, req, m.route, params, d, blob, blob_len, on_db_done, answer);
        else /* read-only routes may go to a replica (readpool.c) */
            hd_readpool_submit(thread->reads, thread->db, req, m.route, params, d, auth == HD_AUTH_USER ? claims.sub : 0,
                               auth == HD_AUTH_USER ? claims.iat : 0, on_db_done, answer);
    }
    return 0;
}
