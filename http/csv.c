/* csv.c: the `table` response kind (see csv.h). */
#include "csv.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "accesslog.h"
#include "download.h"
#include "request.h"
#include "response.h"

void hd_csv_cell(hd_buf_t *out, const char *s, size_t len, int is_text)
{
    /* OWASP's CSV injection list: a formula, or a tab / CR a spreadsheet strips before one */
    int neutralise = is_text && len > 0 && strchr("=+-@\t\r", s[0]) != NULL;
    int quote = neutralise || memchr(s, ',', len) || memchr(s, '"', len) || memchr(s, '\r', len) || memchr(s, '\n', len);
    size_t i, from = 0;
    if (!quote) {
        hd_buf_append(out, s, len);
        return;
    }
    hd_buf_lit(out, "\"");
    if (neutralise)
        hd_buf_lit(out, "'");
    for (i = 0; i < len; i++) {
        if (s[i] == '"') {
            hd_buf_append(out, s + from, i + 1 - from); /* the quote, then its double */
            hd_buf_lit(out, "\"");
            from = i + 1;
        }
    }
    hd_buf_append(out, s + from, len - from);
    hd_buf_lit(out, "\"");
}

static void value_cell(hd_buf_t *out, json_t *v)
{
    char *num;
    if (json_is_string(v)) {
        hd_csv_cell(out, json_string_value(v), json_string_length(v), 1);
    } else if (json_is_true(v)) {
        hd_buf_lit(out, "true");
    } else if (json_is_false(v)) {
        hd_buf_lit(out, "false");
    } else if (json_is_number(v) && (num = json_dumps(v, JSON_ENCODE_ANY)) != NULL) {
        hd_buf_str(out, num);
        free(num);
    } /* null (and anything else): an empty cell */
}

int hd_csv_of_table(const char *json, size_t len, hd_buf_t *out, char **filename)
{
    json_t *doc = json_loadb(json, len, 0, NULL), *columns, *rows, *row, *v;
    size_t i, j;
    int rc = -1;
    *filename = NULL;
    if (doc == NULL)
        return -1;
    columns = json_object_get(doc, "columns");
    rows = json_object_get(doc, "rows");
    if (!json_is_array(columns) || !json_is_array(rows) || json_array_size(columns) == 0)
        goto done;
    json_array_foreach(columns, i, v) {
        if (!json_is_string(v))
            goto done;
        if (i > 0)
            hd_buf_lit(out, ",");
        hd_csv_cell(out, json_string_value(v), json_string_length(v), 1);
    }
    hd_buf_lit(out, "\r\n");
    json_array_foreach(rows, i, row) {
        if (!json_is_array(row) || json_array_size(row) != json_array_size(columns))
            goto done;
        json_array_foreach(row, j, v) {
            if (j > 0)
                hd_buf_lit(out, ",");
            value_cell(out, v);
        }
        hd_buf_lit(out, "\r\n");
    }
    v = json_object_get(doc, "filename");
    *filename = strdup(json_is_string(v) ? json_string_value(v) : "report.csv");
    rc = *filename != NULL ? 0 : -1;
done:
    json_decref(doc);
    return rc;
}

int hd_csv_wanted(const char *query, size_t query_len, const char *accept, size_t accept_len)
{
    char buf[16];
    long n = query != NULL ? hd_query_get(query, query_len, "format", buf, sizeof(buf) - 1) : -1;
    size_t i;
    if (n >= 0) {
        buf[n] = '\0';
        return strcmp(buf, "csv") == 0;
    }
    if (n == -2 || accept == NULL)
        return 0;
    for (i = 0; i + 8 <= accept_len; i++)
        if (strncasecmp(accept + i, "text/csv", 8) == 0)
            return 1;
    return 0;
}

void hd_csv_respond(h2o_req_t *req, const hd_route_t *route, const hd_db_result_t *res)
{
    static h2o_generator_t generator = {NULL, NULL};
    hd_buf_t csv = {0}, disposition = {0};
    char *filename = NULL;
    h2o_iovec_t body, v;

    if (res->is_null || hd_csv_of_table(res->value, res->len, &csv, &filename) != 0) {
        hd_buf_free(&csv);
        free(filename);
        hd_log_error("error: %s %s: function %s did not return a {filename, columns, rows} table for format=csv", route->method,
                     route->path, route->function);
        hd_respond_error(req, 500, "Internal server error", NULL, 0);
        return;
    }
    body = h2o_strdup(&req->pool, csv.base != NULL ? csv.base : "", csv.len);
    hd_buf_free(&csv);
    req->res.status = 200;
    req->res.reason = "OK";
    req->res.content_length = body.len;
    h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CONTENT_TYPE, NULL, H2O_STRLIT("text/csv; charset=utf-8"));
    hd_content_disposition(filename, strlen(filename), &disposition);
    free(filename);
    v = h2o_strdup(&req->pool, disposition.base, disposition.len);
    hd_buf_free(&disposition);
    h2o_add_header_by_str(&req->pool, &req->res.headers, H2O_STRLIT("content-disposition"), 0, "Content-Disposition", v.base, v.len);
    h2o_start_response(req, &generator);
    if (h2o_memis(req->input.method.base, req->input.method.len, H2O_STRLIT("HEAD")))
        h2o_send(req, NULL, 0, H2O_SEND_STATE_FINAL);
    else
        h2o_send(req, &body, 1, H2O_SEND_STATE_FINAL);
}
