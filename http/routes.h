/* routes.h: the route table (one row per REST route). */
#ifndef HD_ROUTES_H
#define HD_ROUTES_H

#include <stddef.h>

typedef enum { HD_BODY_NONE, HD_BODY_JSON, HD_BODY_MULTIPART } hd_body_kind_t;
typedef enum { HD_RESP_JSON, HD_RESP_FILE, HD_RESP_STREAM, HD_RESP_TOKENS } hd_resp_kind_t;

/* The auth column: a token is not read (public), required, or optional (no Authorization
 * header: anonymous; a valid token: the actor is set; an invalid one: 401). */
#define HD_AUTH_PUBLIC 0
#define HD_AUTH_TOKEN 1
#define HD_AUTH_OPTIONAL 2

typedef struct hd_route {
    const char *method;     /* "GET", "POST", ... */
    const char *path;       /* template under the server root, e.g. "/api/v1/tickets/:id/comments" */
    const char *function;   /* SQL function in schema helpdesk_api */
    int status;             /* success status (0: 200 for all but POST, which is 201) */
    int auth;               /* HD_AUTH_PUBLIC, HD_AUTH_TOKEN or HD_AUTH_OPTIONAL */
    hd_body_kind_t body;
    hd_resp_kind_t resp;
    int read_only;          /* 1: transaction_read_only = on */
    const char *message;    /* envelope message override, NULL: default per method */
} hd_route_t;

extern const hd_route_t hd_routes[];
extern const size_t hd_route_count;

/* Success status and message of a route (defaults per method as in the reference). */
int hd_route_status(const hd_route_t *r);
const char *hd_route_message(const hd_route_t *r);

#endif
