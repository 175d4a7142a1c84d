/* download.h: the `file` response kind (docs/REQUEST-CONTRACT.md, "Downloads"). The route's
 * function returns helpdesk.file_download (mime_type, file_name, content), whose fields the
 * statement answers as three columns in binary format; the bytes are sent from libpq's result as they are, with Content-Type,
 * Content-Length and Content-Disposition: attachment (RFC 6266: an ASCII filename and, for
 * other names, filename* in UTF-8), and no envelope. */
#ifndef HD_DOWNLOAD_H
#define HD_DOWNLOAD_H

#ifndef H2O_USE_LIBUV
#define H2O_USE_LIBUV 0
#endif
#include <h2o.h>

#include "buf.h"
#include "db.h"
#include "routes.h"

/* The fields of a helpdesk.file_download, pointers into the result. */
typedef struct hd_file_value {
    const char *mime, *name, *content;
    size_t mime_len, name_len, content_len;
} hd_file_value_t;

/* 0, or -1 when the result is not three non-null columns (mime type, name, content). */
int hd_file_value_of(const hd_db_result_t *res, hd_file_value_t *out);

/* Content-Disposition value for a file name (UTF-8; its control characters are dropped):
 * attachment; filename="<ASCII>"[; filename*=UTF-8''<percent-encoded>] -- filename* whenever
 * the ASCII form had to change anything. */
void hd_content_disposition(const char *name, size_t len, hd_buf_t *out);

/* 1 when s is a media type fit for a header (type/subtype of RFC 6838 characters). */
int hd_media_type_ok(const char *s, size_t len);

/* Answer a `file` route's successful result (res->status == HD_DB_OK). */
void hd_download_respond(h2o_req_t *req, const hd_route_t *route, const hd_db_result_t *res);

#endif
