/* The route table against the catalog (catalog.c): the real table agrees with a catalog made
 * to match it; deliberately broken tables and catalogs are refused, each problem naming its
 * route. */
#include <stdlib.h>
#include <string.h>

#include "../catalog.h"
#include "t.h"

#define MAX_FNS 256

static hd_catalog_fn_t fns[MAX_FNS];
static size_t nfns;

static const hd_catalog_fn_t context_ok = {"request_context", "text, text, text, text, text, text",
                                           "actor_id,token_iat,client_ip,user_agent,read_only,application_name", "void", 0,
                                           'v', 1};

static void add(hd_catalog_fn_t f)
{
    if (nfns < MAX_FNS)
        fns[nfns++] = f;
}

/* A catalog that matches a route table: one (jsonb) -> jsonb function per name ((jsonb, bytea)
 * for a multipart route, -> helpdesk.file_download for a file route, -> SETOF a row type for an
 * export route), STABLE where any route
 * naming it is read-only (a function serving RO and RW rows must be STABLE anyway). */
static void catalog_for(const hd_route_t *routes, size_t n)
{
    size_t i, j;
    nfns = 0;
    for (i = 0; i < n; i++) {
        for (j = 0; j < nfns && strcmp(fns[j].name, routes[i].function) != 0; j++)
            ;
        if (j == nfns)
            add((hd_catalog_fn_t){routes[i].function, routes[i].body == HD_BODY_MULTIPART ? "jsonb, bytea" : "jsonb", "req",
                                   routes[i].resp == HD_RESP_FILE     ? "helpdesk.file_download"
                                   : routes[i].resp == HD_RESP_EXPORT ? "helpdesk.ticket_export_row"
                                                                      : "jsonb",
                                   routes[i].resp == HD_RESP_EXPORT, 'v', 1});
        if (routes[i].read_only)
            fns[j].volatility = 's';
    }
    add(context_ok);
}

static hd_catalog_fn_t *fn(const char *name)
{
    size_t i;
    for (i = 0; i < nfns; i++)
        if (strcmp(fns[i].name, name) == 0)
            return &fns[i];
    return NULL;
}

static size_t compare(const hd_route_t *routes, size_t n, hd_buf_t *out)
{
    hd_buf_free(out);
    *out = (hd_buf_t){0};
    return hd_catalog_compare(routes, n, fns, nfns, out);
}

static int says(const hd_buf_t *out, const char *text)
{
    return out->base != NULL && strstr(out->base, text) != NULL;
}

static const hd_route_t table[] = {
    {"GET", "/api/v1/health", "health", 200, HD_AUTH_PUBLIC, HD_BODY_NONE, HD_RESP_JSON, 1, NULL},
    {"GET", "/api/v1/auth/me", "auth_me", 200, HD_AUTH_TOKEN, HD_BODY_NONE, HD_RESP_JSON, 1, NULL},
    {"GET", "/api/v1/users/profile", "auth_me", 200, HD_AUTH_TOKEN, HD_BODY_NONE, HD_RESP_JSON, 1, NULL},
    {"POST", "/api/v1/tickets", "tickets_create", 0, HD_AUTH_TOKEN, HD_BODY_JSON, HD_RESP_JSON, 0, NULL},
    {"PATCH", "/api/v1/users/:id/activate", "users_set_active", 200, HD_AUTH_TOKEN, HD_BODY_NONE, HD_RESP_JSON, 0,
     "{\"active\":true}"},
};
#define NTABLE (sizeof(table) / sizeof(table[0]))

int main(void)
{
    hd_buf_t out = {0};
    hd_catalog_fn_t *f;

    /* the server's own table against a catalog that matches it */
    catalog_for(hd_routes, hd_route_count);
    CHECK(compare(hd_routes, hd_route_count, &out) == 0 && out.len == 0);

    catalog_for(table, NTABLE);
    CHECK(compare(table, NTABLE, &out) == 0);

    /* a route whose function is missing */
    {
        static const hd_route_t broken[] = {
            {"GET", "/api/v1/health", "health", 200, HD_AUTH_PUBLIC, HD_BODY_NONE, HD_RESP_JSON, 1, NULL},
            {"GET", "/api/v1/reports/x", "reports_x", 0, HD_AUTH_TOKEN, HD_BODY_NONE, HD_RESP_JSON, 1, NULL},
            {"DELETE", "/api/v1/reports/x", "reports_x_delete", 0, HD_AUTH_TOKEN, HD_BODY_NONE, HD_RESP_JSON, 0, NULL},
        };
        catalog_for(table, NTABLE);
        CHECK(compare(broken, 3, &out) == 2);
        CHECK(says(&out, "GET /api/v1/reports/x: function helpdesk_api.reports_x(jsonb) does not exist\n"));
        CHECK(says(&out, "DELETE /api/v1/reports/x: function helpdesk_api.reports_x_delete(jsonb) does not exist\n"));
        CHECK(!says(&out, "/api/v1/health"));
    }

    /* the file routes: an upload's function takes the bytes, a download's returns the file */
    {
        static const hd_route_t files[] = {
            {"POST", "/api/v1/attachments/upload", "attachments_upload", 0, HD_AUTH_TOKEN, HD_BODY_MULTIPART, HD_RESP_JSON, 0, NULL},
            {"GET", "/api/v1/attachments/:id/download", "attachments_download", 0, HD_AUTH_TOKEN, HD_BODY_NONE, HD_RESP_FILE, 1,
             NULL},
        };
        catalog_for(files, 2);
        CHECK(compare(files, 2, &out) == 0);
        fn("attachments_upload")->args = "jsonb";
        fn("attachments_download")->result = "jsonb";
        CHECK(compare(files, 2, &out) == 2);
        CHECK(says(&out, "POST /api/v1/attachments/upload: helpdesk_api.attachments_upload takes (jsonb), the server calls "
                         "helpdesk_api.attachments_upload(jsonb, bytea)\n"));
        CHECK(says(&out, "GET /api/v1/attachments/:id/download: helpdesk_api.attachments_download(jsonb) returns jsonb, "
                         "expected helpdesk.file_download\n"));
    }

    /* wrong signatures: other arguments, other result, a set */
    catalog_for(table, NTABLE);
    fn("tickets_create")->args = "text";
    CHECK(compare(table, NTABLE, &out) == 1);
    CHECK(says(&out, "POST /api/v1/tickets: helpdesk_api.tickets_create takes (text), the server calls "
                     "helpdesk_api.tickets_create(jsonb)"));
    fn("tickets_create")->args = "jsonb, integer";
    CHECK(compare(table, NTABLE, &out) == 1 && says(&out, "takes (jsonb, integer)"));
    fn("tickets_create")->args = "";
    CHECK(compare(table, NTABLE, &out) == 1 && says(&out, "takes ()"));

    catalog_for(table, NTABLE);
    fn("health")->result = "json";
    CHECK(compare(table, NTABLE, &out) == 1);
    CHECK(says(&out, "GET /api/v1/health: helpdesk_api.health(jsonb) returns json, expected jsonb"));
    fn("health")->result = "jsonb";
    fn("health")->retset = 1;
    CHECK(compare(table, NTABLE, &out) == 1 && says(&out, "returns SETOF jsonb, expected jsonb"));

    /* an overload beside the (jsonb) one is no problem */
    catalog_for(table, NTABLE);
    add((hd_catalog_fn_t){"tickets_create", "text", "t", "jsonb", 0, 'v', 1});
    CHECK(compare(table, NTABLE, &out) == 0);

    /* not executable by the server's user */
    catalog_for(table, NTABLE);
    fn("tickets_create")->executable = 0;
    CHECK(compare(table, NTABLE, &out) == 1 && says(&out, "POST /api/v1/tickets: helpdesk_api.tickets_create(jsonb) may not be "
                                                         "executed by the server's database user"));

    /* VOLATILE behind a read-only route: each route named */
    catalog_for(table, NTABLE);
    fn("auth_me")->volatility = 'v';
    CHECK(compare(table, NTABLE, &out) == 2);
    CHECK(says(&out, "GET /api/v1/auth/me: read-only route, but helpdesk_api.auth_me(jsonb) is VOLATILE"));
    CHECK(says(&out, "GET /api/v1/users/profile: read-only route, but helpdesk_api.auth_me(jsonb) is VOLATILE"));
    fn("auth_me")->volatility = 'i'; /* IMMUTABLE is fine */
    CHECK(compare(table, NTABLE, &out) == 0);
    fn("auth_me")->volatility = 'x';
    CHECK(compare(table, NTABLE, &out) == 2);
    /* STABLE or VOLATILE behind a read-write route: either is fine */
    catalog_for(table, NTABLE);
    fn("tickets_create")->volatility = 's';
    CHECK(compare(table, NTABLE, &out) == 0);

    /* request_context: the arguments request_context.h lists, by name, in order, all text */
    catalog_for(table, NTABLE);
    f = fn("request_context");
    f->args = "text, text, text, text";
    f->argnames = "actor_id,token_iat,client_ip,user_agent";
    CHECK(compare(table, NTABLE, &out) == 1);
    CHECK(says(&out, "helpdesk_api.request_context takes (actor_id,token_iat,client_ip,user_agent) of types (text, text, "
                     "text, text); the server sends (actor_id,token_iat,client_ip,user_agent,read_only,application_name)"));
    f->args = "text, text, text, text, text, text";
    f->argnames = "token_iat,actor_id,client_ip,user_agent,read_only,application_name"; /* swapped */
    CHECK(compare(table, NTABLE, &out) == 1 && says(&out, "takes (token_iat,actor_id,"));
    f->argnames = "actor_id,token_iat,client_ip,user_agent,read_only,application_name";
    f->args = "integer, text, text, text, boolean, text";
    CHECK(compare(table, NTABLE, &out) == 1 && says(&out, "of types (integer, text, text, text, boolean, text)"));
    f->args = "text, text, text, text, text, text";
    f->argnames = ",,,,,";
    CHECK(compare(table, NTABLE, &out) == 1);
    f->argnames = "actor_id,token_iat,client_ip,user_agent,read_only,application_name,extra";
    f->args = "text, text, text, text, text, text, text";
    CHECK(compare(table, NTABLE, &out) == 1);
    f->name = "request_context_old"; /* gone */
    CHECK(compare(table, NTABLE, &out) == 1 && says(&out, "helpdesk_api.request_context(actor_id,token_iat,client_ip,"
                                                         "user_agent,read_only,application_name) does not exist"));
    catalog_for(table, NTABLE);
    add(context_ok);
    fns[nfns - 1].args = "text";
    CHECK(compare(table, NTABLE, &out) == 1 && says(&out, "request_context has 2 versions"));

    /* everything at once: one line per problem */
    nfns = 0;
    CHECK(compare(table, NTABLE, &out) == NTABLE + 1);

    hd_buf_free(&out);
    T_DONE();
}
