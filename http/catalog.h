/* catalog.h: the route table checked against the database's catalog (pg_catalog): every
 * route's function exists as helpdesk_api.<fn>(jsonb) RETURNS jsonb (a multipart route's takes
 * (jsonb, bytea), a file route's returns helpdesk.file_download), may be executed by the
 * server's database user, and is not VOLATILE when the route is read-only; and
 * helpdesk_api.request_context takes the arguments extension/request_context.h lists. */
#ifndef HD_CATALOG_H
#define HD_CATALOG_H

#include <stddef.h>

#include "buf.h"
#include "routes.h"

/* One function of schema helpdesk_api, as the catalog describes it. */
typedef struct hd_catalog_fn {
    const char *name;     /* proname */
    const char *args;     /* argument types as pg_catalog.oidvectortypes prints them: "jsonb", "text, text" */
    const char *argnames; /* argument names joined by ",", "" when unnamed */
    const char *result;   /* pg_catalog.format_type of the result type */
    int retset;           /* RETURNS SETOF */
    char volatility;      /* provolatile: 'i', 's', 'v' */
    int executable;       /* EXECUTE privilege of the user that asked */
} hd_catalog_fn_t;

/* The comparison, pure: appends one line per problem to out, each naming the route ("GET
 * /api/v1/health: ...") or helpdesk_api.request_context, and returns how many there are. */
size_t hd_catalog_compare(const hd_route_t *routes, size_t nroutes, const hd_catalog_fn_t *fns, size_t nfns, hd_buf_t *out);

/* Connect (blocking, at most 5 s), read helpdesk_api's functions, compare them with
 * hd_routes. Returns 0 when they agree, 1 when they do not (the problems in out), -1 when the
 * database could not be reached or read (why, in out). */
int hd_catalog_check(const char *conninfo, hd_buf_t *out);

/* The gate of the handler: 1 once a check has passed in this process. */
int hd_catalog_checked(void);
void hd_catalog_set_checked(void);

/* When the database is not reachable at start-up: check again every retry_ms in a thread of its
 * own until a check can be made; a pass opens the gate, a mismatch calls on_mismatch() (after
 * logging the problems). Returns 0, or -1 when the thread cannot be started. */
int hd_catalog_check_in_background(const char *conninfo, int retry_ms, void (*on_mismatch)(void));

#endif
