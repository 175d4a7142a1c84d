/* openapi.c: OpenAPI 3.0 document generated from the route table once at startup.
 *
 * Per route: the path template with {param}s (ids typed integer 1..2147483647, as the server
 * enforces), the method, operationId = the SQL function (unique: see operation_id), a summary derived from the function
 * name, a tag from the first segment after /api/v1, bearer security (scheme `JWT-auth`, the
 * reference's name) for token routes (optional for OPTIONAL routes), the request body for json/multipart routes, the success
 * status with the envelope, and the error envelope for the errors the server itself produces.
 *
 * What the table cannot say (query parameters, the request body's schema, the shape of the
 * envelope's `data`, the function's own error answers) comes from the schema declarations http/openapi/<module>.json, one file per
 * module as routes.c has one block per module, keyed by the route's SQL function: the table row
 * names the function, the declaration of the function sits in the module's file next to the
 * module's object schemas (components), and adding a route's schema is one entry there. They are
 * embedded at build time (http/openapi/embed.sh), checked here at startup (a file that does not
 * parse, or a schema or function declared twice, stops the server) and against the real answers
 * by tests/http/test_openapi_schemas.py. */
#include "openapi.h"

#include <ctype.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "accesslog.h"
#include "request.h"

#include "openapi/decls.inc"

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

/* The declarations of every module: their schemas (components) and operations (by function)
 * merged into two objects. 0, or -1 (logged) on a file that does not parse or a name given twice. */
static int load_decls(const hd_openapi_decl_t *decls, size_t ndecls, json_t *schemas, json_t *ops)
{
    size_t i;
    for (i = 0; i < ndecls; i++) {
        json_error_t err;
        json_t *file = json_loads(decls[i].text, 0, &err), *part, *v;
        const char *key, *section;
        int bad = 0;
        if (!json_is_object(file)) {
            hd_log_error("http/openapi/%s:%d:%d: %s", decls[i].name, err.line, err.column,
                         file == NULL ? err.text : "not an object");
            json_decref(file);
            return -1;
        }
        json_object_foreach(file, section, part) {
            json_t *into = strcmp(section, "schemas") == 0 ? schemas : strcmp(section, "operations") == 0 ? ops : NULL;
            if (into == NULL || !json_is_object(part)) {
                if (section[0] == '$' || strcmp(section, "description") == 0)
                    continue; /* a comment for the reader */
                hd_log_error("http/openapi/%s: \"%s\": want \"schemas\" or \"operations\" objects", decls[i].name,
                             section);
                bad = 1;
                break;
            }
            json_object_foreach(part, key, v) {
                if (json_object_get(into, key) != NULL) {
                    hd_log_error("http/openapi/%s: %s \"%s\" is declared twice", decls[i].name, section, key);
                    bad = 1;
                    break;
                }
                json_object_set(into, key, v);
            }
            if (bad)
                break;
        }
        json_decref(file);
        if (bad)
            return -1;
    }
    return 0;
}

static json_t *components(json_t *declared)
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
    json_t *schemas = json_pack("{s:o,s:o}", "SuccessEnvelope", success, "ErrorEnvelope", error);
    json_object_update_missing(schemas, declared);
    return json_pack("{s:{s:{s:s,s:s,s:s}},s:o}", "securitySchemes", "JWT-auth", "type", "http", "scheme", "bearer",
                     "bearerFormat", "JWT", "schemas", schemas);
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

static int in_list(json_t *names, const char *name)
{
    size_t i;
    json_t *e;
    json_array_foreach(names, i, e) {
        if (json_is_string(e) && strcmp(json_string_value(e), name) == 0)
            return 1;
    }
    return 0;
}

static int has_query_param(json_t *params, const char *name)
{
    size_t i;
    json_t *e;
    json_array_foreach(params, i, e) {
        if (strcmp(json_string_value(json_object_get(e, "in")), "query") == 0 &&
            strcmp(json_string_value(json_object_get(e, "name")), name) == 0)
            return 1;
    }
    return 0;
}

/* The success envelope whose data is `data` (the declared schema), or the bare envelope. */
static json_t *envelope(json_t *data)
{
    if (data == NULL)
        return ref("SuccessEnvelope");
    return json_pack("{s:[o,{s:s,s:{s:O}}]}", "allOf", ref("SuccessEnvelope"), "type", "object", "properties", "data", data);
}

/* The component a {"$ref": "#/components/schemas/<Name>"} names, or the schema itself. */
static json_t *resolve(json_t *schemas, json_t *schema)
{
    const char *r = json_string_value(json_object_get(schema, "$ref")), *prefix = "#/components/schemas/";
    if (r != NULL && strncmp(r, prefix, strlen(prefix)) == 0 && json_object_get(schemas, r + strlen(prefix)) != NULL)
        return json_object_get(schemas, r + strlen(prefix));
    return schema;
}

/* decl: the declaration of the route's function ({query, request, response, description}), or
 * NULL; schemas: the declared components (a query may be one shared by several routes) */
static json_t *operation(const hd_route_t *r, const char *opid, json_t *decl, json_t *schemas)
{
    json_t *query = resolve(schemas, json_object_get(decl, "query")), *request = json_object_get(decl, "request"),
           *data = json_object_get(decl, "response"), *qv;
    const char *qname;
    char summary[256], tag[64];
    const char *p = r->path, *seg;
    int status = hd_route_status(r), has_400 = 0, has_id = 0, c;
    json_t *op = json_object(), *params = json_array(), *responses = json_object(), *errors = json_object(), *ok;
    char code[16];

    hd_openapi_summary(r->function, summary, sizeof(summary));
    json_object_set_new(op, "operationId", json_string(opid));
    json_object_set_new(op, "summary", json_string(summary));
    if (json_is_string(json_object_get(decl, "description")))
        json_object_set(op, "description", json_object_get(decl, "description"));

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
                has_400 = has_id = 1;
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
    /* declared query parameters: an object schema, one parameter per property (but those the
     * table already gave, format and access_token) */
    json_object_foreach(json_object_get(query, "properties"), qname, qv) {
        json_t *p, *schema;
        if (has_query_param(params, qname))
            continue;
        schema = json_deep_copy(qv);
        p = json_pack("{s:s,s:s,s:b}", "name", qname, "in", "query", "required", in_list(json_object_get(query, "required"), qname));
        if (json_is_string(json_object_get(schema, "description"))) { /* the parameter's, in OpenAPI */
            json_object_set(p, "description", json_object_get(schema, "description"));
            json_object_del(schema, "description");
        }
        json_object_set_new(p, "schema", schema);
        json_array_append_new(params, p);
        has_400 = 1;
    }
    if (json_array_size(params) > 0)
        json_object_set(op, "parameters", params);
    json_decref(params);

    if (r->body == HD_BODY_JSON) {
        /* required when the declared body has required properties (or is an array): the routes
         * whose body may be left out declare an object without them */
        const char *type = json_string_value(json_object_get(request, "type"));
        int body_required = json_array_size(json_object_get(request, "required")) > 0 || (type != NULL && strcmp(type, "array") == 0);
        json_object_set_new(op, "requestBody",
                            json_pack("{s:b,s:o}", "required", body_required, "content",
                                      json_content(request != NULL ? json_deep_copy(request) : json_pack("{s:s}", "type", "object"))));
        has_400 = 1;
    } else if (r->body == HD_BODY_MULTIPART) {
        json_object_set_new(op, "requestBody",
                            json_pack("{s:b,s:{s:{s:o}}}", "required", 1, "content", "multipart/form-data", "schema",
                                      request != NULL ? json_deep_copy(request)
                                                      : json_pack("{s:s,s:{s:{s:s,s:s}}}", "type", "object", "properties", "file",
                                                                  "type", "string", "format", "binary")));
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
                       envelope(data), "text/csv", "schema", "type", "string");
        has_400 = 1;
    } else {
        ok = json_pack("{s:s,s:o}", "description", hd_route_message(r), "content", json_content(envelope(data)));
    }
    json_object_set_new(responses, code, ok);
    /* the errors: those the server itself gives, then the declared ones (the function's: roles,
     * conflicts...; a declared description wins), in the order of their codes */
    if (has_400)
        json_object_set_new(errors, "400", json_string("Bad Request"));
    if (r->auth != HD_AUTH_PUBLIC)
        json_object_set_new(errors, "401", json_string("Unauthorized"));
    if (has_id)
        json_object_set_new(errors, "404", json_string("Not Found"));
    if (r->body != HD_BODY_NONE)
        json_object_set_new(errors, "413", json_string("Payload Too Large"));
    json_object_update(errors, json_object_get(decl, "errors"));
    for (c = 400; c < 600; c++) {
        json_t *text;
        snprintf(code, sizeof(code), "%d", c);
        if ((text = json_object_get(errors, code)) != NULL)
            json_object_set_new(responses, code, error_response(json_is_string(text) ? json_string_value(text) : "Error"));
    }
    json_decref(errors);
    json_object_set_new(responses, "default", error_response("Error"));
    json_object_set_new(op, "responses", responses);
    return op;
}

char *hd_openapi_build(const hd_route_t *routes, size_t n, size_t *len)
{
    return hd_openapi_build_from(routes, n, hd_openapi_decls, sizeof(hd_openapi_decls) / sizeof(hd_openapi_decls[0]), len);
}

char *hd_openapi_build_from(const hd_route_t *routes, size_t n, const hd_openapi_decl_t *decls, size_t ndecls, size_t *len)
{
    json_t *doc, *paths, *seen, *schemas = json_object(), *ops = json_object();
    char *out;
    size_t i;

    if (load_decls(decls, ndecls, schemas, ops) != 0) {
        json_decref(schemas);
        json_decref(ops);
        return NULL;
    }
    paths = json_object();
    seen = json_object();
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
        json_object_set_new(item, method, operation(r, opid, json_object_get(ops, r->function), schemas));
    }
    json_decref(seen);
    json_decref(ops);
    doc = json_pack("{s:s,s:{s:s,s:s,s:s},s:[{s:s}],s:o,s:o}", "openapi", "3.0.3", "info", "title", "helpdesk REST API", "version",
                    "1.0.0", "description",
                    "IT service desk. Every route is one SQL function call; success and error envelopes as described "
                    "in the components. Generated from the server's route table.",
                    "servers", "url", "/", "paths", paths, "components", components(schemas));
    json_decref(schemas);
    if (doc == NULL)
        return NULL;
    out = json_dumps(doc, JSON_COMPACT);
    json_decref(doc);
    if (out != NULL && len != NULL)
        *len = strlen(out);
    return out;
}
