/* export.h: streamed CSV exports (route kind HD_RESP_EXPORT, GET /api/v1/tickets/export).
 *
 * The route's function returns a set of rows; they are read in libpq's single-row mode on a
 * connection of the export's own (one statement: the request's settings and the function, one
 * transaction) and written as RFC 4180 CSV (csv.h's cell rule: quoting and formula
 * neutralisation) in chunks: the next rows are read only once the previous chunk is sent, so a
 * slow reader holds the database's sending, not the server's memory (a chunk and libpq's input
 * buffer per export, whatever the row count). An error before the first row is the usual error
 * envelope; after it the response is cut (the client sees an incomplete body). At most
 * EXPORT_MAX at once (503 beyond), each with statement_timeout EXPORT_TIMEOUT_MS. */
#ifndef HD_EXPORT_H
#define HD_EXPORT_H

#ifndef H2O_USE_LIBUV
#define H2O_USE_LIBUV 0
#endif
#include <h2o.h>

#include "db.h"
#include "routes.h"

/* Start the export of route->function(doc) for the request (ctx: the request's settings). */
void hd_export_start(h2o_req_t *req, const hd_route_t *route, const char *ctx[HD_CTX_NPARAMS], const char *doc,
                     const char *filename_prefix);

/* Exports running in this process. */
long hd_export_count(void);

#endif
