/* upload.h: a multipart/form-data upload turned into what the route function receives
 * (docs/REQUEST-CONTRACT.md, "Uploads"): its text fields become the request document's `body`
 * (an object of strings), its one file is described by `file` ({field, originalName, mimeType,
 * size}) and its bytes become the statement's bytea parameter.
 *
 * The body is the one h2o has buffered (libh2o 2.2 has no streaming request API; bench/
 * explains what that means for memory). It is read once by the push parser (multipart.c),
 * whose only buffer is the header block of one part; the file's bytes are never copied here:
 * they are a range of the request body, handed to libpq as the parameter's value. */
#ifndef HD_UPLOAD_H
#define HD_UPLOAD_H

#include <stddef.h>

#include "buf.h"
#include "filetype.h"
#include "request.h"

typedef struct hd_upload_limits {
    size_t max_file_bytes;   /* MAX_FILE_SIZE: more is 413 */
    size_t max_parts;        /* MULTIPART_MAX_PARTS */
    size_t max_header_bytes; /* MULTIPART_MAX_HEADER_BYTES: the header block of one part */
    size_t max_field_bytes;  /* MULTIPART_MAX_FIELD_BYTES: the value of one text field */
} hd_upload_limits_t;

/* The limits of the server's configuration (MAX_FILE_SIZE, MULTIPART_*). */
hd_upload_limits_t hd_upload_limits_conf(void);

/* The largest body an upload route accepts: the file, plus every part's headers and fields at
 * their limits, plus the boundaries. */
size_t hd_upload_max_body(const hd_upload_limits_t *lim);

typedef struct hd_upload {
    hd_buf_t fields;           /* JSON object of the text fields: {"ticketId":"12"} */
    int has_file;
    const char *file;          /* the file's bytes: a range of the request body */
    size_t file_len;
    char file_field[256];      /* the part's name, file name and declared type (UTF-8) */
    char *file_name;           /* malloc'd */
    char file_type[HD_MIME_MAX]; /* judged from the content (filetype.c) */
} hd_upload_t;

/* Parse the body of an upload route and judge its file. Returns 0, or -1 with err: 415 (not
 * multipart/form-data), 413 (the file is over max_file_bytes: "File too large", or the body
 * over hd_upload_max_body), 400 (malformed, a limit, a duplicate field, more than one file, a
 * field that is not UTF-8, an empty file, a type not allowed or not what the file claims).
 * err->message is static or points into up (valid until hd_upload_free). */
int hd_upload_parse(const char *content_type, size_t content_type_len, const char *body, size_t body_len,
                    const hd_upload_limits_t *lim, hd_upload_t *up, hd_reqerr_t *err);

/* The `file` member of the request document: {"field":..,"originalName":..,"mimeType":..,"size":..}
 * or null. */
void hd_upload_file_json(const hd_upload_t *up, hd_buf_t *out);

void hd_upload_free(hd_upload_t *up);

/* An upload route's request: the request document {path, query, body: the fields, args, file}
 * into doc, and the file's bytes (*blob, NULL when no file came). content_type: the request's
 * header (NULL when absent). Returns 0, or -1 with err (as hd_upload_parse, and 400 for the path
 * or query). */
int hd_upload_request_doc(const char *content_type, size_t content_type_len, const char *body, size_t body_len,
                          const hd_match_t *m, const char *query, size_t query_len, const char *args,
                          const hd_upload_limits_t *lim, hd_buf_t *doc, const char **blob, size_t *blob_len,
                          hd_reqerr_t *err);

#endif
