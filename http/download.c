/* download.c: the `file` response kind (see download.h). */
#include "download.h"

#include <ctype.h>
#include <string.h>

#include "accesslog.h"
#include "request.h"
#include "response.h"

int hd_file_value_of(const hd_db_result_t *res, hd_file_value_t *out)
{
    if (res->status != HD_DB_OK || res->ncols != 3 || res->col_nulls[0] || res->col_nulls[1] || res->col_nulls[2])
        return -1;
    out->mime = res->cols[0];
    out->mime_len = res->col_lens[0];
    out->name = res->cols[1];
    out->name_len = res->col_lens[1];
    out->content = res->cols[2];
    out->content_len = res->col_lens[2];
    return 0;
}

int hd_media_type_ok(const char *s, size_t len)
{
    size_t i, slash = 0;
    if (len == 0 || len > 255)
        return 0;
    for (i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '/') {
            if (slash || i == 0)
                return 0;
            slash = i + 1;
        } else if (!isalnum(c) && strchr("!#$&^_.+-", c) == NULL) {
            return 0;
        }
    }
    return slash != 0 && slash < len;
}

/* RFC 5987 attr-char: sent as is in filename*; everything else is %XX. */
static int is_attr_char(unsigned char c)
{
    return isalnum(c) || strchr("!#$&+-.^_`|~", c) != NULL;
}

void hd_content_disposition(const char *name, size_t len, hd_buf_t *out)
{
    static const char hex[] = "0123456789ABCDEF";
    hd_buf_t ascii = {0};
    size_t i;
    int changed = 0;

    hd_buf_lit(out, "attachment; filename=\"");
    /* the ASCII form: printable ASCII but the quote and backslash; a non-ASCII character is
     * one '_' (UTF-8 lead byte), its continuation bytes are dropped */
    for (i = 0; i < len; i++) {
        unsigned char c = (unsigned char)name[i];
        if (c >= 0x20 && c < 0x7F && c != '"' && c != '\\') {
            hd_buf_append(&ascii, (const char *)&c, 1);
            changed |= c == '%'; /* some browsers percent-decode filename=: say it exactly in filename* */
        } else {
            changed = 1;
            if (c >= 0xC0 || c == '"' || c == '\\')
                hd_buf_lit(&ascii, "_");
        }
    }
    if (ascii.len == 0)
        hd_buf_lit(&ascii, "file");
    hd_buf_append(out, ascii.base, ascii.len);
    hd_buf_lit(out, "\"");
    hd_buf_free(&ascii);
    if (!changed)
        return;
    hd_buf_lit(out, "; filename*=UTF-8''");
    for (i = 0; i < len; i++) {
        unsigned char c = (unsigned char)name[i];
        if (c < 0x20 || c == 0x7F)
            continue; /* control characters never reach a header */
        if (is_attr_char(c)) {
            hd_buf_append(out, (const char *)&c, 1);
        } else {
            char esc[3] = {'%', hex[c >> 4], hex[c & 15]};
            hd_buf_append(out, esc, 3);
        }
    }
}

/* The PGresult that holds the bytes lives until the request's memory is released, i.e. until
 * h2o has written the last byte (or the client went away). */
static void release_result(void *p)
{
    hd_db_result_release(*(void **)p);
}

void hd_download_respond(h2o_req_t *req, const hd_route_t *route, const hd_db_result_t *res)
{
    static h2o_generator_t generator = {NULL, NULL};
    hd_file_value_t f;
    hd_buf_t disposition = {0};
    h2o_iovec_t body;
    void **owner;

    if (hd_file_value_of(res, &f) != 0 || !hd_utf8_valid(f.name, f.name_len)) {
        hd_log_error("error: %s %s: function %s did not return a helpdesk.file_download with a mime type, a UTF-8 name and "
                     "content", route->method, route->path, route->function);
        hd_respond_error(req, 500, "Internal server error", NULL, 0);
        return;
    }
    owner = h2o_mem_alloc_shared(&req->pool, sizeof(*owner), release_result);
    *owner = hd_db_result_keep(res);

    req->res.status = 200;
    req->res.reason = "OK";
    req->res.content_length = f.content_len;
    if (hd_media_type_ok(f.mime, f.mime_len))
        h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CONTENT_TYPE, NULL, f.mime, f.mime_len);
    else
        h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CONTENT_TYPE, NULL, H2O_STRLIT("application/octet-stream"));
    hd_content_disposition(f.name, f.name_len, &disposition);
    {
        h2o_iovec_t v = h2o_strdup(&req->pool, disposition.base, disposition.len);
        h2o_add_header_by_str(&req->pool, &req->res.headers, H2O_STRLIT("content-disposition"), 0, "Content-Disposition", v.base,
                              v.len);
    }
    hd_buf_free(&disposition);
    body = h2o_iovec_init(f.content, f.content_len);
    h2o_start_response(req, &generator);
    h2o_send(req, &body, 1, H2O_SEND_STATE_FINAL);
}
