/* routes.h: the route table (one row per REST route). */
#ifndef HD_ROUTES_H
#define HD_ROUTES_H

#include <stddef.h>

/* HD_BODY_MULTIPART: multipart/form-data, one file (http/upload.c; the function takes (jsonb,
 * bytea)). HD_RESP_FILE: the bytes of a helpdesk.file_download, no envelope (http/download.c).
 * HD_RESP_STREAM (notifications over Server-Sent Events) is for the notification routes of
 * issue 11; the OpenAPI document and the ?access_token= of stream routes already follow it. */
typedef enum { HD_BODY_NONE, HD_BODY_JSON, HD_BODY_MULTIPART } hd_body_kind_t;
/* HD_RESP_TABLE: JSON, or CSV when asked (?format=csv, Accept: text/csv; http/csv.h). */
/* HD_RESP_EXPORT: the rows of a set-returning function streamed as CSV (http/export.h). */
typedef enum { HD_RESP_JSON, HD_RESP_FILE, HD_RESP_STREAM, HD_RESP_TOKENS, HD_RESP_TABLE, HD_RESP_EXPORT } hd_resp_kind_t;

/* Who may call a route (the database still decides what each user may do):
 *   PUBLIC    no token looked at, the request runs with an empty actor;
 *   TOKEN     a valid token is required (401 otherwise);
 *   OPTIONAL  no Authorization header: empty actor; a valid token: that user; a header with an
 *             invalid or expired token: 401 (never silently anonymous). */
typedef enum { HD_AUTH_PUBLIC, HD_AUTH_TOKEN, HD_AUTH_OPTIONAL } hd_auth_mode_t;

typedef struct hd_route {
    const char *method;     /* "GET", "POST", ... */
    const char *path;       /* template under the server root, e.g. "/api/v1/tickets/:id/comments" */
    const char *function;   /* SQL function in schema helpdesk_api */
    int status;             /* success status (0: 200 for all but POST, which is 201) */
    hd_auth_mode_t auth;
    hd_body_kind_t body;
    hd_resp_kind_t resp;
    int read_only;          /* 1: transaction_read_only = on, and the function must not be VOLATILE */
    const char *args;       /* JSON object sent as the request document's "args" (NULL: null), so
                             * that several rows can name one function with fixed arguments */
} hd_route_t;

extern const hd_route_t hd_routes[];
extern const size_t hd_route_count;

/* Success status and envelope message of a route (per method, as in the reference). */
int hd_route_status(const hd_route_t *r);
const char *hd_route_message(const hd_route_t *r);

#endif
