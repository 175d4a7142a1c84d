/* openapi.c: OpenAPI 3.0 document generated from the route table once at startup.
 *
 * Per route: the path template with {param}s (ids typed integer 1..2147483647, as the server
 * enforces), the method, operationId = the SQL function (unique: see operation_id), a summary derived from the function
 * name, a tag from the first segment after /api/v1, bearer security (scheme `JWT-auth`, the
 * reference's name) for token routes (optional for OPTIONAL routes), the request body for json/multipart routes, the success
 * status with the envelope, and the error envelope for the errors the server itself produces. */
#include "openapi.h"

#include <ctype.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "buf.h"
#include "request.h"

char *hd_openapi_doc;
size_t hd_openapi_doc_len;
char *hd_openapi_page;
size_t hd_openapi_page_len;

void hd_openapi_summary(const char *function, char *out, size_t cap)
{
    size_t i;
    if (cap == 0)
        return;
    for (i = 0; function[i] != '\0' && i + 1 < cap; i++)
        out[i] = function[i] == '_' ? ' ' : function[i];
    out[i] = '\0';
    if (i > 0)
        out[0] = (char)toupper((unsigned char)out[0]);
}

void hd_openapi_path(const char *tmpl, char *out, size_t cap)
{
    size_t o = 0;
    const char *p = tmpl;
    if (cap == 0)
        return;
    while (*p != '\0' && o + 1 < cap) {
        if (*p == ':' && (p == tmpl || p[-1] == '/')) {
            size_t n = strcspn(p + 1, "/");
            if (o + n + 3 > cap)
                break;
            out[o++] = '{';
            memcpy(out + o, p + 1, n);
            o += n;
            out[o++] = '}';
            p += 1 + n;
        } else {
            out[o++] = *p++;
        }
    }
    out[o] = '\0';
}

static json_t *ref(const char *name)
{
    char buf[128];
    snprintf(buf, sizeof(buf), "#/components/schemas/%s", name);
    return json_pack("{s:s}", "$ref", buf);
}

static json_t *json_content(json_t *schema)
{
    return json_pack("{s:{s:o}}", "application/json", "schema", schema);
}

static json_t *error_response(const char *description)
{
    return json_pack("{s:s,s:o}", "description", description, "content", json_content(ref("ErrorEnvelope")));
}

static json_t *components(void)
{
    json_t *success = json_pack("{s:s,s:[s,s,s,s],s:{s:{s:s,s:[b]},s:{s:s},s:{},s:{s:s,s:s},s:{s:s}}}", "type", "object",
                                "required", "success", "message", "timestamp", "path", "properties", "success", "type",
                                "boolean", "enum", 1, "message", "type", "string", "data", "timestamp", "type", "string",
                                "format", "date-time", "path", "type", "string");
    json_t *error = json_pack("{s:s,s:[s,s,s,s,s,s],s:{s:{s:s,s:[b]},s:{s:s},s:{s:s},s:{s:s},s:{s:s,s:s},s:{s:s},"
                              "s:{s:s,s:{s:s}}}}",
                              "type", "object", "required", "success", "message", "error", "statusCode", "timestamp", "path",
                              "properties", "success", "type", "boolean", "enum", 0, "message", "type", "string", "error",
                              "type", "string", "statusCode", "type", "integer", "timestamp", "type", "string", "format",
                              "date-time", "path", "type", "string", "details", "type", "array", "items", "type", "string");
    return json_pack("{s:{s:{s:s,s:s,s:s}},s:{s:o,s:o}}", "securitySchemes", "JWT-auth", "type", "http", "scheme", "bearer",
                     "bearerFormat", "JWT", "schemas", "SuccessEnvelope", success, "ErrorEnvelope", error);
}

/* operationId: the function; OpenAPI wants it unique, so a function behind several routes gets
 * the method (and a number if needed) appended after its first route. */
static void operation_id(const hd_route_t *r, const char *method, json_t *seen, char *out, size_t cap)
{
    int n;
    snprintf(out, cap, "%s", r->function);
    if (json_object_get(seen, out) != NULL)
        snprintf(out, cap, "%s_%s", r->function, method);
    for (n = 2; json_object_get(seen, out) != NULL; n++)
        snprintf(out, cap, "%s_%s_%d", r->function, method, n);
    json_object_set_new(seen, out, json_true());
}

static json_t *operation(const hd_route_t *r, const char *opid)
{
    char summary[256], tag[64];
    const char *p = r->path, *seg;
    int status = hd_route_status(r), has_400 = 0;
    json_t *op = json_object(), *params = json_array(), *responses = json_object(), *ok;
    char code[8];

    hd_openapi_summary(r->function, summary, sizeof(summary));
    json_object_set_new(op, "operationId", json_string(opid));
    json_object_set_new(op, "summary", json_string(summary));

    /* tag: the first segment after /api/v1/ ("app" for the root) */
    seg = strncmp(p, "/api/v1/", 8) == 0 ? p + 8 : (p[0] == '/' ? p + 1 : p);
    snprintf(tag, sizeof(tag), "%.*s", (int)strcspn(seg, "/"), seg);
    json_object_set_new(op, "tags", json_pack("[s]", tag[0] != '\0' ? tag : "app"));

    /* path parameters */
    for (; *p != '\0'; p++) {
        if (*p == ':' && p[-1] == '/') {
            size_t n = strcspn(p + 1, "/");
            char name[128];
            json_t *schema;
            snprintf(name, sizeof(name), "%.*s", (int)n, p + 1);
            if (hd_is_id_param(name, strlen(name))) {
                schema = json_pack("{s:s,s:s,s:i,s:i}", "type", "integer", "format", "int32", "minimum", 1, "maximum",
                                   (json_int_t)2147483647);
                has_400 = 1;
            } else {
                schema = json_pack("{s:s}", "type", "string");
            }
            json_array_append_new(params, json_pack("{s:s,s:s,s:b,s:o}", "name", name, "in", "path", "required", 1, "schema", schema));
        }
    }
    if (r->auth != HD_AUTH_PUBLIC && r->resp == HD_RESP_STREAM)
        json_array_append_new(params, json_pack("{s:s,s:s,s:b,s:s,s:{s:s}}", "name", "access_token", "in", "query", "required", 0,
                                                "description", "the JWT, for clients that cannot send headers (EventSource)",
                                                "schema", "type", "string"));
    if (r->resp == HD_RESP_EXPORT)
        json_array_append_new(params, json_pack("{s:s,s:s,s:b,s:{s:s,s:[s]}}", "name", "format", "in", "query", "required", 0,
                                                "schema", "type", "string", "enum", "csv"));
    if (r->resp == HD_RESP_TABLE)
        json_array_append_new(params, json_pack("{s:s,s:s,s:b,s:s,s:{s:s,s:[s,s]}}", "name", "format", "in", "query", "required", 0,
                                                "description", "csv: the report as text/csv (also for Accept: text/csv)",
                                                "schema", "type", "string", "enum", "json", "csv"));
    if (json_array_size(params) > 0)
        json_object_set(op, "parameters", params);
    json_decref(params);

    if (r->body == HD_BODY_JSON) {
        json_object_set_new(op, "requestBody",
                            json_pack("{s:b,s:o}", "required", 0, "content", json_content(json_pack("{s:s}", "type", "object"))));
        has_400 = 1;
    } else if (r->body == HD_BODY_MULTIPART) {
        json_object_set_new(op, "requestBody",
                            json_pack("{s:b,s:{s:{s:{s:s,s:{s:{s:s,s:s}}}}}}", "required", 1, "content", "multipart/form-data",
                                      "schema", "type", "object", "properties", "file", "type", "string", "format", "binary"));
    }
    if (r->auth == HD_AUTH_TOKEN)
        json_object_set_new(op, "security", json_pack("[{s:[]}]", "JWT-auth"));
    else if (r->auth == HD_AUTH_OPTIONAL) /* {}: without a token too */
        json_object_set_new(op, "security", json_pack("[{},{s:[]}]", "JWT-auth"));

    /* success */
    snprintf(code, sizeof(code), "%d", status);
    if (status == 204) {
        ok = json_pack("{s:s}", "description", "No Content");
    } else if (r->resp == HD_RESP_FILE) {
        ok = json_pack("{s:s,s:{s:{s:{s:s,s:s}}}}", "description", "the file", "content", "application/octet-stream", "schema",
                       "type", "string", "format", "binary");
    } else if (r->resp == HD_RESP_STREAM) {
        ok = json_pack("{s:s,s:{s:{s:{s:s}}}}", "description", "Server-Sent Events", "content", "text/event-stream", "schema",
                       "type", "string");
    } else if (r->resp == HD_RESP_EXPORT) {
        ok = json_pack("{s:s,s:{s:{s:{s:s}}}}", "description", "the rows as CSV, streamed", "content", "text/csv", "schema",
                       "type", "string");
        has_400 = 1;
    } else if (r->resp == HD_RESP_TABLE) {
        ok = json_pack("{s:s,s:{s:{s:o},s:{s:{s:s}}}}", "description", hd_route_message(r), "content", "application/json", "schema",
                       ref("SuccessEnvelope"), "text/csv", "schema", "type", "string");
        has_400 = 1;
    } else {
        ok = json_pack("{s:s,s:o}", "description", hd_route_message(r), "content", json_content(ref("SuccessEnvelope")));
    }
    json_object_set_new(responses, code, ok);
    if (has_400)
        json_object_set_new(responses, "400", error_response("Bad Request"));
    if (r->auth != HD_AUTH_PUBLIC)
        json_object_set_new(responses, "401", error_response("Unauthorized"));
    json_object_set_new(responses, "default", error_response("Error"));
    json_object_set_new(op, "responses", responses);
    return op;
}

char *hd_openapi_build(const hd_route_t *routes, size_t n, size_t *len)
{
    json_t *doc, *paths = json_object(), *seen = json_object();
    char *out;
    size_t i;

    for (i = 0; i < n; i++) {
        const hd_route_t *r = &routes[i];
        char path[512], method[16], opid[320];
        json_t *item;
        size_t k;
        hd_openapi_path(r->path, path, sizeof(path));
        for (k = 0; r->method[k] != '\0' && k + 1 < sizeof(method); k++)
            method[k] = (char)tolower((unsigned char)r->method[k]);
        method[k] = '\0';
        if ((item = json_object_get(paths, path)) == NULL) {
            item = json_object();
            json_object_set_new(paths, path, item);
        }
        operation_id(r, method, seen, opid, sizeof(opid));
        json_object_set_new(item, method, operation(r, opid));
    }
    json_decref(seen);
    doc = json_pack("{s:s,s:{s:s,s:s,s:s},s:[{s:s}],s:o,s:o}", "openapi", "3.0.3", "info", "title", "helpdesk REST API", "version",
                    "1.0.0", "description",
                    "IT service desk. Every route is one SQL function call; success and error envelopes as described "
                    "in the components. Generated from the server's route table.",
                    "servers", "url", "/", "paths", paths, "components", components());
    if (doc == NULL)
        return NULL;
    out = json_dumps(doc, JSON_COMPACT);
    json_decref(doc);
    if (out != NULL && len != NULL)
        *len = strlen(out);
    return out;
}

/* ---- the page ---- */

static void html_text(hd_buf_t *b, const char *s)
{
    for (; s != NULL && *s != '\0'; s++) {
        switch (*s) {
        case '<': hd_buf_lit(b, "&lt;"); break;
        case '>': hd_buf_lit(b, "&gt;"); break;
        case '&': hd_buf_lit(b, "&amp;"); break;
        case '"': hd_buf_lit(b, "&quot;"); break;
        default: hd_buf_append(b, s, 1);
        }
    }
}

/* A schema in a few words: its type (and enum values), or the component it refers to. */
static void html_schema(hd_buf_t *b, json_t *schema)
{
    json_t *v;
    size_t i;
    if ((v = json_object_get(schema, "$ref")) != NULL) {
        const char *r = json_string_value(v), *slash = r != NULL ? strrchr(r, '/') : NULL;
        html_text(b, slash != NULL ? slash + 1 : r);
        return;
    }
    html_text(b, json_string_value(json_object_get(schema, "type")));
    if ((v = json_object_get(schema, "format")) != NULL) {
        hd_buf_lit(b, " (");
        html_text(b, json_string_value(v));
        hd_buf_lit(b, ")");
    }
    if (json_is_array(v = json_object_get(schema, "enum"))) {
        json_t *e;
        hd_buf_lit(b, ": ");
        json_array_foreach(v, i, e) {
            if (i > 0)
                hd_buf_lit(b, " | ");
            html_text(b, json_string_value(e));
        }
    }
}

char *hd_openapi_html(const char *text, size_t len, size_t *out_len)
{
    json_t *doc = json_loadb(text, len, 0, NULL), *item, *op, *v, *e;
    const char *path, *method;
    hd_buf_t b = {0};
    size_t i;
    if (doc == NULL)
        return NULL;
    hd_buf_lit(&b, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>");
    html_text(&b, json_string_value(json_object_get(json_object_get(doc, "info"), "title")));
    hd_buf_lit(&b, "</title><style>body{font:14px/1.4 sans-serif;margin:2em;max-width:70em}"
                   "h2{border-bottom:1px solid #ccc}.op{margin:.6em 0;padding:.4em .8em;border-left:4px solid #36c;background:#f6f8fa}"
                   ".m{font-weight:bold;display:inline-block;min-width:4.5em}code{font-size:13px}table{border-collapse:collapse}"
                   "td{padding:0 .8em 0 0;vertical-align:top}</style></head><body><h1>");
    html_text(&b, json_string_value(json_object_get(json_object_get(doc, "info"), "title")));
    hd_buf_lit(&b, "</h1><p>");
    html_text(&b, json_string_value(json_object_get(json_object_get(doc, "info"), "description")));
    hd_buf_lit(&b, " The machine-readable document: <a href=\"" HD_OPENAPI_PATH "\">" HD_OPENAPI_PATH "</a>.</p>\n");
    json_object_foreach(json_object_get(doc, "paths"), path, item) {
        json_object_foreach(item, method, op) {
            json_t *responses = json_object_get(op, "responses");
            const char *code;
            hd_buf_lit(&b, "<div class=\"op\" id=\"");
            html_text(&b, json_string_value(json_object_get(op, "operationId")));
            hd_buf_lit(&b, "\"><span class=\"m\">");
            for (i = 0; method[i] != '\0'; i++) {
                char c = (char)toupper((unsigned char)method[i]);
                hd_buf_append(&b, &c, 1);
            }
            hd_buf_lit(&b, "</span> <code>");
            html_text(&b, path);
            hd_buf_lit(&b, "</code> &mdash; ");
            html_text(&b, json_string_value(json_object_get(op, "summary")));
            hd_buf_str(&b, json_object_get(op, "security") != NULL ? " <small>(bearer token)</small>" : " <small>(public)</small>");
            hd_buf_lit(&b, "<table>");
            json_array_foreach(json_object_get(op, "parameters"), i, e) {
                hd_buf_lit(&b, "<tr><td>");
                html_text(&b, json_string_value(json_object_get(e, "in")));
                hd_buf_lit(&b, "</td><td><code>");
                html_text(&b, json_string_value(json_object_get(e, "name")));
                hd_buf_lit(&b, "</code></td><td>");
                html_schema(&b, json_object_get(e, "schema"));
                hd_buf_str(&b, json_is_true(json_object_get(e, "required")) ? ", required" : "");
                hd_buf_lit(&b, "</td></tr>");
            }
            if ((v = json_object_get(op, "requestBody")) != NULL) {
                const char *type;
                json_t *media;
                json_object_foreach(json_object_get(v, "content"), type, media) {
                    hd_buf_lit(&b, "<tr><td>body</td><td><code>");
                    html_text(&b, type);
                    hd_buf_lit(&b, "</code></td><td>");
                    html_schema(&b, json_object_get(media, "schema"));
                    hd_buf_lit(&b, "</td></tr>");
                }
            }
            json_object_foreach(responses, code, v) {
                const char *type;
                json_t *media;
                hd_buf_lit(&b, "<tr><td>");
                html_text(&b, code);
                hd_buf_lit(&b, "</td><td>");
                html_text(&b, json_string_value(json_object_get(v, "description")));
                hd_buf_lit(&b, "</td><td>");
                i = 0;
                json_object_foreach(json_object_get(v, "content"), type, media) {
                    if (i++ > 0)
                        hd_buf_lit(&b, "; ");
                    html_text(&b, type);
                    hd_buf_lit(&b, ": ");
                    html_schema(&b, json_object_get(media, "schema"));
                }
                hd_buf_lit(&b, "</td></tr>");
            }
            hd_buf_lit(&b, "</table></div>\n");
        }
    }
    hd_buf_lit(&b, "</body></html>\n");
    json_decref(doc);
    if (out_len != NULL)
        *out_len = b.len;
    return b.base;
}
