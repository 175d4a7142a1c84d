/* upload.c: a multipart/form-data upload -> fields, one file, its type (see upload.h). */
#include "upload.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "multipart.h"

/* The parser's callbacks collect into this. */
typedef struct collect {
    hd_upload_t *up;
    const hd_upload_limits_t *lim;
    const char *body;
    size_t body_len;
    int in_file;          /* the current part is the file */
    int in_field;         /* the current part is a text field: its value is being collected */
    const char *value;    /* start of the current part's content in the body */
    size_t value_len;
    char field_name[256];
    char **names;         /* the text fields' names so far */
    size_t nfields;
    char file_claim[256]; /* the file part's Content-Type */
    int status;           /* why a callback stopped the parser (413, 400, 500) */
    const char *message;
} collect_t;

hd_upload_limits_t hd_upload_limits_conf(void)
{
    hd_upload_limits_t lim = {hd_conf.max_file_size, hd_conf.multipart_max_parts, hd_conf.multipart_max_header_bytes,
                              hd_conf.multipart_max_field_bytes};
    return lim;
}

size_t hd_upload_max_body(const hd_upload_limits_t *lim)
{
    /* per part: its headers, a delimiter (CRLF "--" and at most 70 characters) and a CRLF */
    size_t per_part = lim->max_header_bytes + 4 + 70 + 2;
    return lim->max_file_bytes + lim->max_parts * (per_part + lim->max_field_bytes) + 4 + 70 + 2;
}

static int stop(collect_t *c, int status, const char *message)
{
    c->status = status;
    c->message = message;
    return 1;
}

/* The part's bytes must be one range of the body: the parser passes them from the chunk it is
 * fed (the whole body, one chunk), so each piece continues the previous one. */
static int extend(collect_t *c, const char *d, size_t n)
{
    if (d < c->body || d > c->body + c->body_len || n > (size_t)(c->body + c->body_len - d))
        return -1;
    if (c->value == NULL)
        c->value = d;
    else if (d != c->value + c->value_len)
        return -1;
    c->value_len += n;
    return 0;
}

static int on_begin(void *ctx, const hd_multipart_part_t *part)
{
    collect_t *c = ctx;
    hd_upload_t *up = c->up;
    c->value = NULL;
    c->value_len = 0;
    c->in_file = c->in_field = 0;
    if (part->filename != NULL) {
        if (up->has_file)
            return stop(c, 400, "Only one file may be uploaded");
        if (part->name_len >= sizeof(up->file_field))
            return stop(c, 400, "Multipart part name too long");
        up->has_file = 1;
        memcpy(up->file_field, part->name, part->name_len + 1);
        up->file_name = strdup(part->filename);
        if (part->content_type != NULL)
            snprintf(c->file_claim, sizeof(c->file_claim), "%s", part->content_type);
        c->in_file = 1;
        return 0;
    }
    if (part->name_len >= sizeof(c->field_name))
        return stop(c, 400, "Multipart part name too long");
    memcpy(c->field_name, part->name, part->name_len + 1);
    c->in_field = 1;
    return 0;
}

static int on_data(void *ctx, const char *d, size_t n)
{
    collect_t *c = ctx;
    if (extend(c, d, n) != 0)
        return stop(c, 500, "Internal server error");
    if (c->in_file && c->value_len > c->lim->max_file_bytes)
        return stop(c, 413, "File too large");
    return 0;
}

/* Whether a field of that name came before (names are few: at most max_parts). */
static int field_seen(collect_t *c, const char *name)
{
    size_t i;
    for (i = 0; i < c->nfields; i++)
        if (strcmp(c->names[i], name) == 0)
            return 1;
    return 0;
}

static int on_end(void *ctx)
{
    collect_t *c = ctx;
    hd_upload_t *up = c->up;
    if (c->in_file) {
        up->file = c->value != NULL ? c->value : c->body; /* an empty file: any pointer, length 0 */
        up->file_len = c->value_len;
        return 0;
    }
    if (!c->in_field)
        return 0;
    if (c->value_len > 0 && !hd_utf8_valid(c->value, c->value_len))
        return stop(c, 400, "Multipart field value is not valid UTF-8");
    if (field_seen(c, c->field_name))
        return stop(c, 400, "Duplicate multipart field");
    c->names = realloc(c->names, (c->nfields + 1) * sizeof(char *));
    if (c->names == NULL)
        abort();
    c->names[c->nfields] = strdup(c->field_name);
    hd_buf_append(&up->fields, c->nfields++ ? "," : "{", 1);
    hd_buf_json_str(&up->fields, c->field_name, strlen(c->field_name));
    hd_buf_lit(&up->fields, ":");
    hd_buf_json_str(&up->fields, c->value_len > 0 ? c->value : "", c->value_len);
    return 0;
}

static void collect_free(collect_t *c)
{
    size_t i;
    for (i = 0; i < c->nfields; i++)
        free(c->names[i]);
    free(c->names);
    c->names = NULL;
}

int hd_upload_parse(const char *content_type, size_t content_type_len, const char *body, size_t body_len,
                    const hd_upload_limits_t *lim, hd_upload_t *up, hd_reqerr_t *err)
{
    static __thread char verdict_message[sizeof(((hd_filetype_verdict_t *)0)->message)];
    hd_multipart_limits_t mlim = {lim->max_parts, lim->max_header_bytes, lim->max_field_bytes};
    hd_multipart_callbacks_t cb = {on_begin, on_data, on_end};
    hd_multipart_t *p = NULL;
    collect_t c;
    int rc;

    memset(up, 0, sizeof(*up));
    memset(&c, 0, sizeof(c));
    c.up = up;
    c.lim = lim;
    c.body = body != NULL ? body : "";
    c.body_len = body != NULL ? body_len : 0;
    err->status = 400;
    if (content_type == NULL) {
        err->status = 415;
        err->message = "Content-Type must be multipart/form-data";
        return -1;
    }
    if (body_len > hd_upload_max_body(lim)) {
        err->status = 413;
        err->message = "Request body too large";
        return -1;
    }
    rc = hd_multipart_create(&p, content_type, content_type_len, &mlim, &cb, &c);
    if (rc == HD_MP_OK) {
        /* one chunk: the body is in memory already (h2o), and the file stays one range of it */
        if ((rc = hd_multipart_feed(p, c.body, c.body_len)) == HD_MP_OK)
            rc = hd_multipart_finish(p);
    }
    collect_free(&c);
    if (rc != HD_MP_OK) {
        if (rc == HD_MP_ERR_ABORTED) {
            err->status = c.status;
            err->message = c.message;
        } else {
            err->status = rc == HD_MP_ERR_CONTENT_TYPE ? 415 : rc == HD_MP_ERR_NOMEM ? 500 : 400;
            err->message = p != NULL ? hd_multipart_detail(p) : hd_multipart_message(rc);
        }
        hd_multipart_free(p);
        return -1;
    }
    hd_multipart_free(p);
    if (c.nfields == 0)
        hd_buf_lit(&up->fields, "{");
    hd_buf_lit(&up->fields, "}");

    /* a form sent without choosing a file: an empty part with an empty file name */
    if (up->has_file && up->file_len == 0 && up->file_name[0] == '\0') {
        up->has_file = 0;
        up->file = NULL;
    }
    if (up->has_file) {
        hd_filetype_verdict_t v;
        hd_filetype_judge(up->file, up->file_len, up->file_name, c.file_claim[0] ? c.file_claim : NULL,
                          strlen(c.file_claim), &v);
        if (v.status != 0) {
            memcpy(verdict_message, v.message, sizeof(verdict_message));
            err->status = v.status;
            err->message = verdict_message;
            return -1;
        }
        memcpy(up->file_type, v.mime, sizeof(up->file_type));
    }
    return 0;
}

void hd_upload_file_json(const hd_upload_t *up, hd_buf_t *out)
{
    char num[32];
    if (!up->has_file) {
        hd_buf_lit(out, "null");
        return;
    }
    hd_buf_lit(out, "{\"field\":");
    hd_buf_json_str(out, up->file_field, strlen(up->file_field));
    hd_buf_lit(out, ",\"originalName\":");
    hd_buf_json_str(out, up->file_name, strlen(up->file_name));
    hd_buf_lit(out, ",\"mimeType\":");
    hd_buf_json_str(out, up->file_type, strlen(up->file_type));
    snprintf(num, sizeof(num), ",\"size\":%zu}", up->file_len);
    hd_buf_str(out, num);
}

void hd_upload_free(hd_upload_t *up)
{
    hd_buf_free(&up->fields);
    free(up->file_name);
    up->file_name = NULL;
}

int hd_upload_request_doc(const char *content_type, size_t content_type_len, const char *body, size_t body_len,
                          const hd_match_t *m, const char *query, size_t query_len, const char *args,
                          const hd_upload_limits_t *lim, hd_buf_t *doc, const char **blob, size_t *blob_len,
                          hd_reqerr_t *err)
{
    hd_upload_t up;
    int rc = -1;
    *blob = NULL;
    *blob_len = 0;
    if (hd_upload_parse(content_type, content_type_len, body, body_len, lim, &up, err) == 0 &&
        hd_build_request_doc(m, query, query_len, up.fields.base, up.fields.len, 1, up.fields.len + 1, args, doc, err) == 0) {
        /* the document ends with '}': the file's description goes before it */
        doc->len--;
        hd_buf_lit(doc, ",\"file\":");
        hd_upload_file_json(&up, doc);
        hd_buf_lit(doc, "}");
        if (up.has_file) {
            *blob = up.file;
            *blob_len = up.file_len;
        }
        rc = 0;
    }
    hd_upload_free(&up);
    return rc;
}
