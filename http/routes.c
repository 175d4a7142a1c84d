/* routes.c: THE route table. Adding a route = one row here + one function in sql/. */
#include "routes.h"

#include <string.h>

#define PUBLIC 0
#define TOKEN 1
#define RO 1
#define RW 0

const hd_route_t hd_routes[] = {
    /* method  path                  function   status auth    body          response      ro  message */
    {"GET", "/api/v1/", "root", 200, PUBLIC, HD_BODY_NONE, HD_RESP_JSON, RO, NULL},
    {"GET", "/api/v1/health", "health", 200, PUBLIC, HD_BODY_NONE, HD_RESP_JSON, RO, NULL},
    {"GET", "/api/v1/docs", "docs", 200, PUBLIC, HD_BODY_NONE, HD_RESP_JSON, RO, NULL},
    {"GET", "/api/v1/auth/me", "auth_me", 200, TOKEN, HD_BODY_NONE, HD_RESP_JSON, RO, NULL},

    /* ---- comments (sql/36_comments_api.sql); :ticketId as the ticket routes name it ---- */
    {"POST", "/api/v1/tickets/:ticketId/comments", "comments_create", 0, TOKEN, HD_BODY_JSON, HD_RESP_JSON, RW, NULL},
    {"GET", "/api/v1/tickets/:ticketId/comments", "comments_list", 0, TOKEN, HD_BODY_NONE, HD_RESP_JSON, RO, NULL},
    {"GET", "/api/v1/tickets/:ticketId/comments/stats", "comments_stats", 0, TOKEN, HD_BODY_NONE, HD_RESP_JSON, RO, NULL},
    {"GET", "/api/v1/comments/my-comments", "comments_my", 0, TOKEN, HD_BODY_NONE, HD_RESP_JSON, RO, NULL},
    {"GET", "/api/v1/comments/:id", "comments_get", 0, TOKEN, HD_BODY_NONE, HD_RESP_JSON, RO, NULL},
    {"PATCH", "/api/v1/comments/:id", "comments_update", 0, TOKEN, HD_BODY_JSON, HD_RESP_JSON, RW, NULL},
    {"DELETE", "/api/v1/comments/:id", "comments_delete", 0, TOKEN, HD_BODY_NONE, HD_RESP_JSON, RW, NULL},

    /* ---- ticket history (sql/35_history.sql) ---- */
    {"GET", "/api/v1/ticket-history/ticket/:ticketId", "ticket_history_by_ticket", 0, TOKEN, HD_BODY_NONE, HD_RESP_JSON, RO, NULL},
    {"GET", "/api/v1/ticket-history", "ticket_history_list", 0, TOKEN, HD_BODY_NONE, HD_RESP_JSON, RO, NULL},
};
const size_t hd_route_count = sizeof(hd_routes) / sizeof(hd_routes[0]);

int hd_route_status(const hd_route_t *r)
{
    if (r->status != 0)
        return r->status;
    return strcmp(r->method, "POST") == 0 ? 201 : 200;
}

const char *hd_route_message(const hd_route_t *r)
{
    if (r->message != NULL)
        return r->message;
    if (strcmp(r->method, "GET") == 0)
        return "Data retrieved successfully";
    if (strcmp(r->method, "POST") == 0)
        return "Resource created successfully";
    if (strcmp(r->method, "PUT") == 0 || strcmp(r->method, "PATCH") == 0)
        return "Resource updated successfully";
    if (strcmp(r->method, "DELETE") == 0)
        return "Resource deleted successfully";
    return "Operation completed successfully";
}
