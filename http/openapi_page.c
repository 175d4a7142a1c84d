/* openapi_page.c: GET /api/docs, the OpenAPI document (openapi.c) as one self-contained HTML
 * page: no script, nothing loaded from elsewhere. Per operation its method, path, summary,
 * security, parameters, request body and responses; a schema reads as its type, a link to its
 * component, or (inline objects) a table of its properties; the components follow, each a
 * table of its properties. */
#include "openapi.h"

#include <ctype.h>
#include <jansson.h>
#include <string.h>

#include "buf.h"

#define MAX_DEPTH 6 /* inline objects nested deeper read as "object" */

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

static void html_scalar(hd_buf_t *b, json_t *v)
{
    char num[32];
    if (json_is_string(v)) {
        html_text(b, json_string_value(v));
    } else if (json_is_integer(v)) {
        snprintf(num, sizeof(num), "%" JSON_INTEGER_FORMAT, json_integer_value(v));
        hd_buf_str(b, num);
    } else {
        hd_buf_str(b, json_is_null(v) ? "null" : json_is_true(v) ? "true" : json_is_false(v) ? "false" : "?");
    }
}

static void html_props(hd_buf_t *b, json_t *schema, int depth);

/* A schema in a few words: the component it refers to (a link), its type with format, enum
 * values and bounds, "array of" its items, its alternatives, or an inline object's table. */
static void html_schema(hd_buf_t *b, json_t *schema, int depth)
{
    json_t *v, *e;
    size_t i;
    const char *type = json_string_value(json_object_get(schema, "type"));
    if ((v = json_object_get(schema, "$ref")) != NULL) {
        const char *r = json_string_value(v), *name = r != NULL && strrchr(r, '/') != NULL ? strrchr(r, '/') + 1 : r;
        hd_buf_lit(b, "<a href=\"#schema-");
        html_text(b, name);
        hd_buf_lit(b, "\">");
        html_text(b, name);
        hd_buf_lit(b, "</a>");
        return;
    }
    if (json_is_array(v = json_object_get(schema, "allOf")) || json_is_array(v = json_object_get(schema, "oneOf"))) {
        int all = json_object_get(schema, "allOf") != NULL;
        json_array_foreach(v, i, e) {
            if (i > 0)
                hd_buf_str(b, all ? " + " : " | ");
            html_schema(b, e, depth);
        }
    } else if (type != NULL && strcmp(type, "array") == 0) {
        hd_buf_lit(b, "array of ");
        html_schema(b, json_object_get(schema, "items"), depth);
    } else if (json_object_size(json_object_get(schema, "properties")) > 0 && depth < MAX_DEPTH) {
        hd_buf_lit(b, "<details><summary>object</summary>");
        html_props(b, schema, depth + 1);
        hd_buf_lit(b, "</details>");
    } else {
        html_text(b, type != NULL ? type : "any");
        if ((v = json_object_get(schema, "format")) != NULL) {
            hd_buf_lit(b, " (");
            html_text(b, json_string_value(v));
            hd_buf_lit(b, ")");
        }
    }
    if (json_is_array(v = json_object_get(schema, "enum"))) {
        hd_buf_lit(b, ": ");
        json_array_foreach(v, i, e) {
            if (i > 0)
                hd_buf_lit(b, " | ");
            html_scalar(b, e);
        }
    }
    if ((v = json_object_get(schema, "minimum")) != NULL || (v = json_object_get(schema, "minLength")) != NULL) {
        hd_buf_lit(b, ", min ");
        html_scalar(b, v);
    }
    if ((v = json_object_get(schema, "maximum")) != NULL || (v = json_object_get(schema, "maxLength")) != NULL) {
        hd_buf_lit(b, ", max ");
        html_scalar(b, v);
    }
    if (json_is_true(json_object_get(schema, "nullable")))
        hd_buf_lit(b, ", or null");
}

static int is_required(json_t *schema, const char *name)
{
    size_t i;
    json_t *e;
    json_array_foreach(json_object_get(schema, "required"), i, e) {
        if (strcmp(json_string_value(e), name) == 0)
            return 1;
    }
    return 0;
}

/* An object schema's properties, one row each: name (bold when required), schema, description. */
static void html_props(hd_buf_t *b, json_t *schema, int depth)
{
    const char *name;
    json_t *p;
    hd_buf_lit(b, "<table class=\"props\">");
    json_object_foreach(json_object_get(schema, "properties"), name, p) {
        int req = is_required(schema, name);
        hd_buf_lit(b, "<tr><td><code>");
        hd_buf_str(b, req ? "<b>" : "");
        html_text(b, name);
        hd_buf_str(b, req ? "</b>" : "");
        hd_buf_lit(b, "</code></td><td>");
        html_schema(b, p, depth);
        hd_buf_lit(b, "</td><td>");
        html_text(b, json_string_value(json_object_get(p, "description")));
        hd_buf_lit(b, "</td></tr>");
    }
    hd_buf_lit(b, "</table>");
}

/* A request or response schema: an inline object as its table at once, anything else in words. */
static void html_body(hd_buf_t *b, json_t *schema)
{
    if (json_object_size(json_object_get(schema, "properties")) > 0 && json_object_get(schema, "$ref") == NULL)
        html_props(b, schema, 1);
    else
        html_schema(b, schema, 0);
}

static void html_operation(hd_buf_t *b, const char *path, const char *method, json_t *op)
{
    json_t *responses = json_object_get(op, "responses"), *v, *e, *media;
    const char *code, *type;
    size_t i;
    hd_buf_lit(b, "<div class=\"op\" id=\"");
    html_text(b, json_string_value(json_object_get(op, "operationId")));
    hd_buf_lit(b, "\"><span class=\"m\">");
    for (i = 0; method[i] != '\0'; i++) {
        char c = (char)toupper((unsigned char)method[i]);
        hd_buf_append(b, &c, 1);
    }
    hd_buf_lit(b, "</span> <code>");
    html_text(b, path);
    hd_buf_lit(b, "</code> &mdash; ");
    html_text(b, json_string_value(json_object_get(op, "summary")));
    hd_buf_str(b, json_object_get(op, "security") != NULL ? " <small>(bearer token)</small>" : " <small>(public)</small>");
    if ((v = json_object_get(op, "description")) != NULL) {
        hd_buf_lit(b, "<p>");
        html_text(b, json_string_value(v));
        hd_buf_lit(b, "</p>");
    }
    hd_buf_lit(b, "<table>");
    json_array_foreach(json_object_get(op, "parameters"), i, e) {
        hd_buf_lit(b, "<tr><td>");
        html_text(b, json_string_value(json_object_get(e, "in")));
        hd_buf_lit(b, "</td><td><code>");
        html_text(b, json_string_value(json_object_get(e, "name")));
        hd_buf_lit(b, "</code></td><td>");
        html_schema(b, json_object_get(e, "schema"), 0);
        hd_buf_str(b, json_is_true(json_object_get(e, "required")) ? ", required" : "");
        if ((v = json_object_get(e, "description")) != NULL) {
            hd_buf_lit(b, " &mdash; ");
            html_text(b, json_string_value(v));
        }
        hd_buf_lit(b, "</td></tr>");
    }
    if ((v = json_object_get(op, "requestBody")) != NULL) {
        json_object_foreach(json_object_get(v, "content"), type, media) {
            hd_buf_lit(b, "<tr><td>body</td><td><code>");
            html_text(b, type);
            hd_buf_lit(b, "</code>");
            hd_buf_str(b, json_is_true(json_object_get(v, "required")) ? ", required" : "");
            hd_buf_lit(b, "</td><td>");
            html_body(b, json_object_get(media, "schema"));
            hd_buf_lit(b, "</td></tr>");
        }
    }
    json_object_foreach(responses, code, v) {
        hd_buf_lit(b, "<tr><td>");
        html_text(b, code);
        hd_buf_lit(b, "</td><td>");
        html_text(b, json_string_value(json_object_get(v, "description")));
        hd_buf_lit(b, "</td><td>");
        i = 0;
        json_object_foreach(json_object_get(v, "content"), type, media) {
            json_t *schema = json_object_get(media, "schema"), *parts = json_object_get(schema, "allOf");
            json_t *data = json_object_get(json_object_get(json_array_get(parts, 1), "properties"), "data");
            if (i++ > 0)
                hd_buf_lit(b, "<br>");
            html_text(b, type);
            hd_buf_lit(b, ": ");
            if (data != NULL) { /* the success envelope with its data: the data is what differs */
                html_schema(b, json_array_get(parts, 0), 0);
                hd_buf_lit(b, " with <code>data</code>: ");
                html_body(b, data);
            } else {
                html_schema(b, schema, 0);
            }
        }
        hd_buf_lit(b, "</td></tr>");
    }
    hd_buf_lit(b, "</table></div>\n");
}

char *hd_openapi_html(const char *text, size_t len, size_t *out_len)
{
    json_t *doc = json_loadb(text, len, 0, NULL), *item, *op, *schema;
    const char *path, *method, *name;
    hd_buf_t b = {0};
    if (doc == NULL)
        return NULL;
    hd_buf_lit(&b, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>");
    html_text(&b, json_string_value(json_object_get(json_object_get(doc, "info"), "title")));
    hd_buf_lit(&b, "</title><style>body{font:14px/1.4 sans-serif;margin:2em;max-width:70em}"
                   "h2{border-bottom:1px solid #ccc}.op{margin:.6em 0;padding:.4em .8em;border-left:4px solid #36c;background:#f6f8fa}"
                   ".m{font-weight:bold;display:inline-block;min-width:4.5em}code{font-size:13px}table{border-collapse:collapse}"
                   "td{padding:0 .8em 0 0;vertical-align:top}.props td{border-top:1px solid #e3e6ea}"
                   "summary{cursor:pointer;color:#36c}.schema{margin:.6em 0;padding:.4em .8em;border-left:4px solid #999}"
                   "</style></head><body><h1>");
    html_text(&b, json_string_value(json_object_get(json_object_get(doc, "info"), "title")));
    hd_buf_lit(&b, "</h1><p>");
    html_text(&b, json_string_value(json_object_get(json_object_get(doc, "info"), "description")));
    hd_buf_lit(&b, " The machine-readable document: <a href=\"" HD_OPENAPI_PATH "\">" HD_OPENAPI_PATH "</a>. "
                   "Required properties are in bold; <a href=\"#schemas\">the schemas</a> follow the operations.</p>\n");
    json_object_foreach(json_object_get(doc, "paths"), path, item) {
        json_object_foreach(item, method, op) html_operation(&b, path, method, op);
    }
    hd_buf_lit(&b, "<h2 id=\"schemas\">Schemas</h2>\n");
    json_object_foreach(json_object_get(json_object_get(doc, "components"), "schemas"), name, schema) {
        hd_buf_lit(&b, "<div class=\"schema\" id=\"schema-");
        html_text(&b, name);
        hd_buf_lit(&b, "\"><b>");
        html_text(&b, name);
        hd_buf_lit(&b, "</b> ");
        html_text(&b, json_string_value(json_object_get(schema, "description")));
        if (json_object_get(schema, "properties") != NULL) {
            html_props(&b, schema, 1);
        } else {
            hd_buf_lit(&b, ": ");
            html_schema(&b, schema, 0);
            if (json_is_array(json_object_get(schema, "allOf"))) {
                size_t i;
                json_t *part;
                json_array_foreach(json_object_get(schema, "allOf"), i, part) {
                    if (json_object_get(part, "properties") != NULL)
                        html_props(&b, part, 1);
                }
            }
        }
        hd_buf_lit(&b, "</div>\n");
    }
    hd_buf_lit(&b, "</body></html>\n");
    json_decref(doc);
    if (out_len != NULL)
        *out_len = b.len;
    return b.base;
}
