/* request.h: request parsing (query, path parameters, JSON body) and the request document. */
#ifndef HD_REQUEST_H
#define HD_REQUEST_H

#include <stddef.h>
#include "buf.h"
#include "router.h"

#define HD_MAX_QUERY_PARAMS 128
#define HD_MAX_JSON_DEPTH 64

typedef struct hd_reqerr {
    int status;          /* 400, 413, 415 */
    const char *message; /* static string */
} hd_reqerr_t;

/* Percent-decode (plus_space: '+' -> ' '). out must hold len bytes. Returns decoded length or -1 on a bad escape. */
long hd_pct_decode(const char *s, size_t len, int plus_space, char *out);
/* 1 when s is valid UTF-8 (no overlongs, no surrogates, no NUL). */
int hd_utf8_valid(const char *s, size_t len);

/* Append the JSON object of a query string (without '?') to b: {"k":"v",...}, last value wins. */
int hd_query_to_json(const char *q, size_t len, hd_buf_t *b, hd_reqerr_t *err);
/* 1 for path parameters that are integer ids: "id" or a name ending in "Id". */
int hd_is_id_param(const char *name, size_t len);
/* Append the JSON object of the matched path parameters. */
int hd_params_to_json(const hd_match_t *m, hd_buf_t *b, hd_reqerr_t *err);
/* Validate a JSON body (size, depth, syntax, duplicate keys, UTF-8). 0 when valid. */
int hd_body_validate(const char *body, size_t len, size_t max_size, hd_reqerr_t *err);

/* The whole document {"path":...,"query":...,"body":...,"args":...}; body==NULL -> null;
 * args: the route's JSON object text, or NULL -> null. query may be NULL (no query string).
 * Returns 0 or -1 with err set. */
int hd_build_request_doc(const hd_match_t *m, const char *query, size_t query_len, const char *body, size_t body_len,
                         int body_json, size_t max_body, const char *args, hd_buf_t *out, hd_reqerr_t *err);

/* 1 when a Content-Type value is JSON: application/json or application/<anything>+json, in any
 * case, with any parameters (charset...). */
int hd_content_type_is_json(const char *value, size_t len);
/* The body of a JSON route: an empty body is fine whatever its type; any other must come as
 * JSON (content_type NULL: no Content-Type header). 0, or -1 with err = 415. */
int hd_check_body_media_type(const char *content_type, size_t ct_len, size_t body_len, hd_reqerr_t *err);

/* Find the value of one query parameter (decoded into out, max outcap bytes). Returns its length
 * (0 for "name" or "name="), -1 when absent, -2 when present but unusable (longer than outcap,
 * bad percent-encoding). The last occurrence counts. */
long hd_query_get(const char *q, size_t len, const char *name, char *out, size_t outcap);

#endif
