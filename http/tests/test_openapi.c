/* OpenAPI document generated from a route table. */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "../openapi.h"
#include "t.h"

static const hd_route_t table[] = {
    {"GET", "/api/v1/", "root", 200, HD_AUTH_PUBLIC, HD_BODY_NONE, HD_RESP_JSON, 1, NULL},
    {"GET", "/api/v1/tickets/:id/comments", "ticket_comments", 0, HD_AUTH_TOKEN, HD_BODY_NONE, HD_RESP_JSON, 1, NULL},
    {"POST", "/api/v1/tickets/:id/comments", "comments_create", 0, HD_AUTH_TOKEN, HD_BODY_JSON, HD_RESP_JSON, 0, NULL},
    {"DELETE", "/api/v1/sla/rules/:ruleId", "sla_rules_delete", 204, HD_AUTH_TOKEN, HD_BODY_NONE, HD_RESP_JSON, 0, NULL},
    {"POST", "/api/v1/auth/login", "auth_login", 200, HD_AUTH_PUBLIC, HD_BODY_JSON, HD_RESP_TOKENS, 0, NULL},
    {"POST", "/api/v1/attachments/:ticketId", "attachments_upload", 0, HD_AUTH_TOKEN, HD_BODY_MULTIPART, HD_RESP_JSON, 0, NULL},
    {"GET", "/api/v1/attachments/:id/download", "attachments_download", 0, HD_AUTH_TOKEN, HD_BODY_NONE, HD_RESP_FILE, 1, NULL},
    {"GET", "/api/v1/notifications/stream", "notifications_stream", 0, HD_AUTH_TOKEN, HD_BODY_NONE, HD_RESP_STREAM, 1, NULL},
    {"GET", "/api/v1/knowledge/slug/:slug", "knowledge_by_slug", 0, HD_AUTH_OPTIONAL, HD_BODY_NONE, HD_RESP_JSON, 1, NULL},
    /* one function behind several routes */
    {"PATCH", "/api/v1/users/:id/activate", "users_activate", 0, HD_AUTH_TOKEN, HD_BODY_NONE, HD_RESP_JSON, 0, NULL},
    {"POST", "/api/v1/users/:id/activate", "users_activate", 0, HD_AUTH_TOKEN, HD_BODY_NONE, HD_RESP_JSON, 0, NULL},
    {"POST", "/api/v1/users/:id/enable", "users_activate", 0, HD_AUTH_TOKEN, HD_BODY_NONE, HD_RESP_JSON, 0, NULL},
    {"POST", "/api/v1/users/:id/activate-again", "users_activate", 0, HD_AUTH_TOKEN, HD_BODY_NONE, HD_RESP_JSON, 0, NULL},
};

static json_t *op(json_t *doc, const char *path, const char *method)
{
    return json_object_get(json_object_get(json_object_get(doc, "paths"), path), method);
}

static const char *str(json_t *o, const char *key)
{
    return json_string_value(json_object_get(o, key));
}

int main(void)
{
    char buf[256];
    size_t len = 0;
    char *text;
    json_t *doc, *o, *p;
    json_error_t e;

    hd_openapi_summary("tickets_change_status", buf, sizeof(buf));
    CHECK(strcmp(buf, "Tickets change status") == 0);
    hd_openapi_summary("x", buf, sizeof(buf));
    CHECK(strcmp(buf, "X") == 0);
    hd_openapi_path("/api/v1/tickets/:id/comments/:commentId", buf, sizeof(buf));
    CHECK(strcmp(buf, "/api/v1/tickets/{id}/comments/{commentId}") == 0);
    hd_openapi_path("/api/v1/", buf, sizeof(buf));
    CHECK(strcmp(buf, "/api/v1/") == 0);
    hd_openapi_path("/a/:id", buf, 6); /* no room for the whole parameter: cut before it */
    CHECK(strcmp(buf, "/a/") == 0);

    text = hd_openapi_build(table, sizeof(table) / sizeof(table[0]), &len);
    CHECK(text != NULL && len == strlen(text));
    doc = json_loads(text, 0, &e);
    CHECK(doc != NULL);
    CHECK(strcmp(str(doc, "openapi"), "3.0.3") == 0);
    CHECK(json_object_size(json_object_get(doc, "paths")) == 11); /* methods share a path */
    CHECK(json_object_get(json_object_get(json_object_get(doc, "components"), "securitySchemes"), "JWT-auth") != NULL);

    o = op(doc, "/api/v1/", "get");
    CHECK(o != NULL && strcmp(str(o, "operationId"), "root") == 0 && json_object_get(o, "security") == NULL);
    CHECK(json_object_get(json_object_get(o, "responses"), "200") != NULL);
    CHECK(json_object_get(o, "parameters") == NULL && json_object_get(o, "requestBody") == NULL);

    o = op(doc, "/api/v1/tickets/{id}/comments", "get");
    CHECK(o != NULL && strcmp(str(o, "summary"), "Ticket comments") == 0);
    CHECK(strcmp(json_string_value(json_array_get(json_object_get(o, "tags"), 0)), "tickets") == 0);
    CHECK(json_object_get(json_array_get(json_object_get(o, "security"), 0), "JWT-auth") != NULL);
    p = json_array_get(json_object_get(o, "parameters"), 0);
    CHECK(p != NULL && strcmp(str(p, "name"), "id") == 0 && strcmp(str(p, "in"), "path") == 0);
    CHECK(json_is_true(json_object_get(p, "required")));
    CHECK(strcmp(str(json_object_get(p, "schema"), "type"), "integer") == 0);
    CHECK(json_object_get(json_object_get(o, "responses"), "401") != NULL);

    o = op(doc, "/api/v1/tickets/{id}/comments", "post");
    CHECK(o != NULL && json_object_get(json_object_get(o, "responses"), "201") != NULL);
    CHECK(json_object_get(json_object_get(json_object_get(o, "requestBody"), "content"), "application/json") != NULL);
    CHECK(strcmp(str(json_object_get(json_object_get(o, "responses"), "201"), "description"), "Resource created successfully") == 0);

    o = op(doc, "/api/v1/sla/rules/{ruleId}", "delete");
    CHECK(o != NULL && json_object_get(json_object_get(o, "responses"), "204") != NULL);
    CHECK(json_object_get(json_object_get(json_object_get(o, "responses"), "204"), "content") == NULL);
    p = json_array_get(json_object_get(o, "parameters"), 0);
    CHECK(strcmp(str(json_object_get(p, "schema"), "type"), "integer") == 0);

    o = op(doc, "/api/v1/auth/login", "post");
    CHECK(o != NULL && json_object_get(json_object_get(o, "responses"), "200") != NULL && json_object_get(o, "security") == NULL);

    o = op(doc, "/api/v1/attachments/{ticketId}", "post");
    CHECK(o != NULL && json_object_get(json_object_get(json_object_get(o, "requestBody"), "content"), "multipart/form-data") != NULL);

    o = op(doc, "/api/v1/attachments/{id}/download", "get");
    CHECK(o != NULL &&
          json_object_get(json_object_get(json_object_get(json_object_get(o, "responses"), "200"), "content"), "application/octet-stream"));

    o = op(doc, "/api/v1/notifications/stream", "get");
    p = json_array_get(json_object_get(o, "parameters"), 0);
    CHECK(p != NULL && strcmp(str(p, "name"), "access_token") == 0 && strcmp(str(p, "in"), "query") == 0);

    o = op(doc, "/api/v1/knowledge/slug/{slug}", "get");
    p = json_array_get(json_object_get(o, "parameters"), 0);
    CHECK(p != NULL && strcmp(str(json_object_get(p, "schema"), "type"), "string") == 0);
    /* OPTIONAL: with or without the bearer token; a bad token is a 401 */
    p = json_object_get(o, "security");
    CHECK(json_array_size(p) == 2 && json_object_size(json_array_get(p, 0)) == 0 &&
          json_object_get(json_array_get(p, 1), "JWT-auth") != NULL);
    CHECK(json_object_get(json_object_get(o, "responses"), "401") != NULL);

    /* the declarations (http/openapi/<module>.json) by function: comments_create has its body's
     * schema (required: it has required properties) and its data; ticket_comments has none */
    CHECK(json_object_get(json_object_get(json_object_get(doc, "components"), "schemas"), "Ticket") != NULL);
    o = op(doc, "/api/v1/tickets/{id}/comments", "post");
    p = json_object_get(o, "requestBody");
    CHECK(json_is_true(json_object_get(p, "required")));
    p = json_object_get(json_object_get(json_object_get(p, "content"), "application/json"), "schema");
    CHECK(json_object_get(json_object_get(p, "properties"), "content") != NULL);
    p = json_object_get(json_object_get(json_object_get(json_object_get(o, "responses"), "201"), "content"), "application/json");
    p = json_array_get(json_object_get(json_object_get(p, "schema"), "allOf"), 1);
    CHECK(strcmp(str(json_object_get(json_object_get(p, "properties"), "data"), "$ref"), "#/components/schemas/Comment") == 0);
    o = op(doc, "/api/v1/tickets/{id}/comments", "get");
    p = json_object_get(json_object_get(json_object_get(json_object_get(o, "responses"), "200"), "content"), "application/json");
    CHECK(strcmp(str(json_object_get(p, "schema"), "$ref"), "#/components/schemas/SuccessEnvelope") == 0);
    o = op(doc, "/api/v1/attachments/{ticketId}", "post");
    p = json_object_get(json_object_get(json_object_get(o, "requestBody"), "content"), "multipart/form-data");
    CHECK(json_object_get(json_object_get(json_object_get(p, "schema"), "properties"), "ticketId") != NULL);

    /* the page: the schemas' tables and links to them */
    {
        size_t page_len = 0;
        char *page = hd_openapi_html(text, len, &page_len);
        CHECK(page != NULL && page_len == strlen(page));
        CHECK(page != NULL && strstr(page, "id=\"schema-Ticket\"") != NULL);
        CHECK(page != NULL && strstr(page, "<a href=\"#schema-Comment\">Comment</a>") != NULL);
        CHECK(page != NULL && strstr(page, "<table class=\"props\">") != NULL);
        free(page);
    }

    /* declarations that do not parse, or name a schema or function twice, build no document */
    {
        const hd_openapi_decl_t broken[] = {{"a.json", "{\"schemas\": {\"X\": {}"}};
        const hd_openapi_decl_t twice[] = {{"a.json", "{\"schemas\": {\"X\": {\"type\": \"object\"}}}"},
                                           {"b.json", "{\"schemas\": {\"X\": {\"type\": \"string\"}}}"}};
        const hd_openapi_decl_t twice_op[] = {{"a.json", "{\"operations\": {\"root\": {}}}"},
                                              {"b.json", "{\"operations\": {\"root\": {}}}"}};
        const hd_openapi_decl_t stray[] = {{"a.json", "{\"operation\": {}}"}};
        const hd_openapi_decl_t fine[] = {{"a.json", "{\"$comment\": \"x\", \"operations\": {\"root\": {\"response\": {\"type\": \"string\"}}}}"}};
        char *t;
        CHECK(hd_openapi_build_from(table, 1, broken, 1, NULL) == NULL);
        CHECK(hd_openapi_build_from(table, 1, twice, 2, NULL) == NULL);
        CHECK(hd_openapi_build_from(table, 1, twice_op, 2, NULL) == NULL);
        CHECK(hd_openapi_build_from(table, 1, stray, 1, NULL) == NULL);
        t = hd_openapi_build_from(table, 1, fine, 1, NULL);
        CHECK(t != NULL && strstr(t, "\"data\":{\"type\":\"string\"}") != NULL);
        free(t);
    }

    /* operationIds are unique */
    CHECK(strcmp(str(op(doc, "/api/v1/users/{id}/activate", "patch"), "operationId"), "users_activate") == 0);
    CHECK(strcmp(str(op(doc, "/api/v1/users/{id}/activate", "post"), "operationId"), "users_activate_post") == 0);
    CHECK(strcmp(str(op(doc, "/api/v1/users/{id}/enable", "post"), "operationId"), "users_activate_post_2") == 0);
    CHECK(strcmp(str(op(doc, "/api/v1/users/{id}/activate-again", "post"), "operationId"), "users_activate_post_3") == 0);

    json_decref(doc);
    free(text);
    T_DONE();
}
