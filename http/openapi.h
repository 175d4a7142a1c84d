/* openapi.h: the OpenAPI 3.0 document of the route table, served at GET /api/docs-json. */
#ifndef HD_OPENAPI_H
#define HD_OPENAPI_H

#include <stddef.h>
#include "routes.h"

#define HD_OPENAPI_PATH "/api/docs-json"
#define HD_OPENAPI_PAGE_PATH "/api/docs"

/* A schema declaration file (http/openapi/<name>): {"schemas": {...}, "operations": {fn: ...}}. */
typedef struct {
    const char *name, *text;
} hd_openapi_decl_t;

/* Build the document (compact JSON, malloc'ed, NUL-terminated) from n routes and the embedded
 * schema declarations; NULL on failure (logged: a declaration that does not parse, a name
 * declared twice). */
char *hd_openapi_build(const hd_route_t *routes, size_t n, size_t *len);
/* The same from the given declarations (tests). */
char *hd_openapi_build_from(const hd_route_t *routes, size_t n, const hd_openapi_decl_t *decls, size_t ndecls, size_t *len);
/* "tickets_change_status" -> "Tickets change status" into out (cap bytes). */
void hd_openapi_summary(const char *function, char *out, size_t cap);
/* "/api/v1/tickets/:id" -> "/api/v1/tickets/{id}" into out (cap bytes). */
void hd_openapi_path(const char *tmpl, char *out, size_t cap);

/* The document as one self-contained HTML page (no script, nothing loaded from elsewhere): per
 * operation its method, path, summary, security, parameters and responses. malloc'ed; NULL on
 * failure. */
char *hd_openapi_html(const char *doc, size_t len, size_t *out_len);

/* The document and its page, built at startup (main.c), served by handler.c without a database
 * call. */
extern char *hd_openapi_doc;
extern size_t hd_openapi_doc_len;
extern char *hd_openapi_page;
extern size_t hd_openapi_page_len;

#endif
