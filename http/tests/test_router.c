/* Router: literal beats parameter, 404 vs 405 with Allow, trailing slash, parameters captured. */
#include "../router.h"
#include "t.h"

static const hd_route_t routes[] = {
    {"GET", "/api/v1/", "root", 0, HD_AUTH_PUBLIC, HD_BODY_NONE, HD_RESP_JSON, 1, NULL},
    {"GET", "/api/v1/users", "users_list", 0, HD_AUTH_TOKEN, HD_BODY_NONE, HD_RESP_JSON, 1, NULL},
    {"POST", "/api/v1/users", "users_create", 0, HD_AUTH_TOKEN, HD_BODY_JSON, HD_RESP_JSON, 0, NULL},
    {"GET", "/api/v1/users/stats", "users_stats", 0, HD_AUTH_TOKEN, HD_BODY_NONE, HD_RESP_JSON, 1, NULL},
    {"GET", "/api/v1/users/:id", "users_get", 0, HD_AUTH_TOKEN, HD_BODY_NONE, HD_RESP_JSON, 1, NULL},
    {"DELETE", "/api/v1/users/:id", "users_delete", 0, HD_AUTH_TOKEN, HD_BODY_NONE, HD_RESP_JSON, 0, NULL},
    {"GET", "/api/v1/tickets/:id/comments/:commentId", "comment_get", 0, HD_AUTH_TOKEN, HD_BODY_NONE, HD_RESP_JSON, 1, NULL},
    {"PATCH", "/api/v1/tickets/:id/comments/:commentId", "comment_update", 0, HD_AUTH_TOKEN, HD_BODY_JSON, HD_RESP_JSON, 0, NULL},
};

static int match(hd_router_t *r, const char *m, const char *p, hd_match_t *out)
{
    return hd_router_match(r, m, strlen(m), p, strlen(p), out);
}

int main(void)
{
    hd_router_t *r = hd_router_build(routes, sizeof(routes) / sizeof(routes[0]));
    hd_match_t m;
    CHECK(r != NULL);

    CHECK(match(r, "GET", "/api/v1/", &m) == 200 && strcmp(m.route->function, "root") == 0);
    CHECK(match(r, "GET", "/api/v1", &m) == 200 && strcmp(m.route->function, "root") == 0);
    CHECK(match(r, "GET", "/api/v1/users", &m) == 200 && strcmp(m.route->function, "users_list") == 0);
    CHECK(match(r, "GET", "/api/v1/users/", &m) == 200 && strcmp(m.route->function, "users_list") == 0);
    CHECK(match(r, "POST", "/api/v1/users", &m) == 200 && strcmp(m.route->function, "users_create") == 0);

    /* literal beats parameter */
    CHECK(match(r, "GET", "/api/v1/users/stats", &m) == 200 && strcmp(m.route->function, "users_stats") == 0 && m.nparams == 0);
    CHECK(match(r, "GET", "/api/v1/users/12", &m) == 200 && strcmp(m.route->function, "users_get") == 0);
    CHECK(m.nparams == 1 && m.params[0].name_len == 2 && memcmp(m.params[0].value, "12", 2) == 0);
    /* a literal without the method falls back to the parameter route that has it */
    CHECK(match(r, "DELETE", "/api/v1/users/stats", &m) == 200 && strcmp(m.route->function, "users_delete") == 0);

    /* two parameters */
    CHECK(match(r, "PATCH", "/api/v1/tickets/5/comments/9", &m) == 200 && m.nparams == 2);
    CHECK(m.params[1].name_len == 9 && memcmp(m.params[1].name, "commentId", 9) == 0 && m.params[1].value_len == 1);

    /* 404 */
    CHECK(match(r, "GET", "/api/v1/xyz", &m) == 404);
    CHECK(match(r, "GET", "/api/v1/users/1/extra", &m) == 404);
    CHECK(match(r, "GET", "/api/v1/tickets/5/comments", &m) == 404);
    CHECK(match(r, "GET", "/api/v1//users", &m) == 404);
    CHECK(match(r, "GET", "", &m) == 404);
    CHECK(match(r, "GET", "/", &m) == 404);

    /* 405 with Allow */
    CHECK(match(r, "PUT", "/api/v1/users", &m) == 405);
    CHECK_STR(m.allow, "GET, POST, OPTIONS");
    CHECK(match(r, "POST", "/api/v1/users/7", &m) == 405);
    CHECK_STR(m.allow, "GET, DELETE, OPTIONS");
    CHECK(match(r, "BREW", "/api/v1/users/stats", &m) == 405);

    /* bad tables are refused */
    {
        static const hd_route_t dup[] = {{"GET", "/a/:id", "x", 0, HD_AUTH_PUBLIC, HD_BODY_NONE, HD_RESP_JSON, 1, NULL},
                                         {"GET", "/a/:id", "y", 0, HD_AUTH_PUBLIC, HD_BODY_NONE, HD_RESP_JSON, 1, NULL}};
        static const hd_route_t names[] = {{"GET", "/a/:id", "x", 0, HD_AUTH_PUBLIC, HD_BODY_NONE, HD_RESP_JSON, 1, NULL},
                                           {"POST", "/a/:userId", "y", 0, HD_AUTH_PUBLIC, HD_BODY_NONE, HD_RESP_JSON, 1, NULL}};
        static const hd_route_t fn[] = {{"GET", "/a", "x; DROP TABLE t", 0, HD_AUTH_PUBLIC, HD_BODY_NONE, HD_RESP_JSON, 1, NULL}};
        static const hd_route_t fn_upper[] = {{"GET", "/a", "Users_get", 0, HD_AUTH_PUBLIC, HD_BODY_NONE, HD_RESP_JSON, 1, NULL}};
        static const hd_route_t fn_empty[] = {{"GET", "/a", "", 0, HD_AUTH_PUBLIC, HD_BODY_NONE, HD_RESP_JSON, 1, NULL}};
        static const hd_route_t fn_long[] = {
            {"GET", "/a", "a234567890123456789012345678901234567890123456789012345678901234", 0, HD_AUTH_PUBLIC, HD_BODY_NONE,
             HD_RESP_JSON, 1, NULL}};
        static const hd_route_t args_array[] = {{"GET", "/a", "x", 0, HD_AUTH_PUBLIC, HD_BODY_NONE, HD_RESP_JSON, 1, "[true]"}};
        static const hd_route_t args_bad[] = {{"GET", "/a", "x", 0, HD_AUTH_PUBLIC, HD_BODY_NONE, HD_RESP_JSON, 1, "{\"active\":"}};
        static const hd_route_t args_dup[] = {
            {"GET", "/a", "x", 0, HD_AUTH_PUBLIC, HD_BODY_NONE, HD_RESP_JSON, 1, "{\"a\":1,\"a\":2}"}};
        static const hd_route_t args_ok[] = {
            {"GET", "/a", "x_2", 0, HD_AUTH_PUBLIC, HD_BODY_NONE, HD_RESP_JSON, 1, "{\"active\":true}"},
            {"POST", "/a", "x_2", 0, HD_AUTH_PUBLIC, HD_BODY_NONE, HD_RESP_JSON, 0, "{}"}};
        hd_router_t *ok;
        CHECK(hd_router_build(dup, 2) == NULL);
        CHECK(hd_router_build(names, 2) == NULL);
        CHECK(hd_router_build(fn, 1) == NULL);
        CHECK(hd_router_build(fn_upper, 1) == NULL);
        CHECK(hd_router_build(fn_empty, 1) == NULL);
        CHECK(hd_router_build(fn_long, 1) == NULL);
        CHECK(hd_router_build(args_array, 1) == NULL);
        CHECK(hd_router_build(args_bad, 1) == NULL);
        CHECK(hd_router_build(args_dup, 1) == NULL);
        CHECK((ok = hd_router_build(args_ok, 2)) != NULL);
        hd_router_free(ok);
    }

    /* the real table builds */
    {
        hd_router_t *real = hd_router_build(hd_routes, hd_route_count);
        CHECK(real != NULL);
        CHECK(match(real, "GET", "/api/v1/health", &m) == 200);
        CHECK(match(real, "GET", "/api/v1/auth/me", &m) == 200 && m.route->auth == HD_AUTH_TOKEN);
        CHECK(match(real, "POST", "/api/v1/users/3/deactivate", &m) == 200 && strcmp(m.route->function, "users_set_active") == 0 &&
              strcmp(m.route->args, "{\"active\":false}") == 0);
        CHECK(match(real, "POST", "/api/v1/health", &m) == 405);
        hd_router_free(real);
    }
    hd_router_free(r);
    T_DONE();
}
