/* accesslog.c: one line per request to stderr, written with a single write(2), as text or as a
 * JSON object (LOG_FORMAT=json), with the request id of X-Request-Id; error lines the same way. */
#define _GNU_SOURCE
#include "accesslog.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <string.h>
#include <stdio.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "reqinfo.h"
#include "request.h"

const char *hd_client_ip(h2o_req_t *req, char *buf, size_t cap)
{
    struct sockaddr_storage ss;
    socklen_t len = req->conn->callbacks->get_peername(req->conn, (struct sockaddr *)&ss);
    buf[0] = '\0';
    if (len == 0)
        return buf;
    if (ss.ss_family == AF_INET) {
        inet_ntop(AF_INET, &((struct sockaddr_in *)&ss)->sin_addr, buf, (socklen_t)cap);
    } else if (ss.ss_family == AF_INET6) {
        struct in6_addr *a = &((struct sockaddr_in6 *)&ss)->sin6_addr;
        if (IN6_IS_ADDR_V4MAPPED(a))
            inet_ntop(AF_INET, &a->s6_addr[12], buf, (socklen_t)cap);
        else
            inet_ntop(AF_INET6, a, buf, (socklen_t)cap);
    }
    return buf;
}

static size_t now_str(char *buf, size_t cap)
{
    struct timeval tv;
    struct tm tm;
    size_t n;
    gettimeofday(&tv, NULL);
    gmtime_r(&tv.tv_sec, &tm);
    n = strftime(buf, cap, "%Y-%m-%dT%H:%M:%S", &tm);
    n += (size_t)snprintf(buf + n, cap - n, ".%03dZ", (int)(tv.tv_usec / 1000));
    return n;
}

static void put_safe(char *dst, size_t *off, size_t cap, const char *s, size_t len)
{
    size_t i;
    for (i = 0; i < len && *off + 4 < cap; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c < 0x20 || c == 0x7f || c == '"' || c == '\\') {
            *off += (size_t)snprintf(dst + *off, cap - *off, "\\x%02x", c);
        } else {
            dst[(*off)++] = (char)c;
        }
    }
}

/* JSON string contents: control bytes, quotes and backslashes escaped; bytes of invalid UTF-8
 * as \u00XX (a log line stays valid JSON whatever the client sent). */
static void put_json(char *dst, size_t *off, size_t cap, const char *s, size_t len)
{
    size_t i;
    for (i = 0; i < len && *off + 8 < cap;) {
        unsigned char c = (unsigned char)s[i];
        size_t n = c < 0x80 ? 1 : c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 0;
        if (c == '"' || c == '\\') {
            dst[(*off)++] = '\\';
            dst[(*off)++] = (char)c;
            i++;
        } else if (c < 0x20 || c == 0x7f) {
            *off += (size_t)snprintf(dst + *off, cap - *off, "\\u%04x", c);
            i++;
        } else if (n == 1) {
            dst[(*off)++] = (char)c;
            i++;
        } else if (n > 1 && i + n <= len && hd_utf8_valid(s + i, n) && *off + n < cap) {
            memcpy(dst + *off, s + i, n);
            *off += n;
            i += n;
        } else {
            *off += (size_t)snprintf(dst + *off, cap - *off, "\\u%04x", c);
            i++;
        }
    }
}

/* The request's path as logged: the value of an access_token query parameter (EventSource's
 * way of sending a token) is never written. */
static void put_path(char *dst, size_t *off, size_t cap, h2o_req_t *req, int json)
{
    const char *p = req->input.path.base, *end = p + req->input.path.len, *t;
    void (*put)(char *, size_t *, size_t, const char *, size_t) = json ? put_json : put_safe;
    while (req->input.query_at != SIZE_MAX && (t = memmem(p, (size_t)(end - p), "access_token=", 13)) != NULL) {
        if (t > req->input.path.base + req->input.query_at && (t[-1] == '?' || t[-1] == '&')) {
            const char *v = t + 13, *ve = memchr(v, '&', (size_t)(end - v));
            put(dst, off, cap, p, (size_t)(v - p));
            put(dst, off, cap, "REDACTED", 8);
            p = ve != NULL ? ve : end;
        } else {
            put(dst, off, cap, p, (size_t)(t + 13 - p));
            p = t + 13;
        }
    }
    put(dst, off, cap, p, (size_t)(end - p));
}

void hd_access_log(h2o_req_t *req, int status, size_t bytes)
{
    char line[2400], ip[64];
    size_t off;
    double ms;
    hd_reqinfo_t *info;
    if (!hd_conf.access_log)
        return;
    info = hd_reqinfo(req);
    ms = hd_request_seconds(req) * 1000.0;
    if (hd_conf.log_json) {
        ssize_t ua = h2o_find_header(&req->headers, H2O_TOKEN_USER_AGENT, -1);
        off = (size_t)snprintf(line, sizeof(line), "{\"time\":\"");
        off += now_str(line + off, sizeof(line) - off);
        off += (size_t)snprintf(line + off, sizeof(line) - off,
                                "\",\"level\":\"info\",\"msg\":\"request\",\"requestId\":\"%s\",\"client\":\"%s\",\"method\":\"",
                                info->id, hd_client_ip(req, ip, sizeof(ip)));
        put_json(line, &off, sizeof(line) - 900, req->input.method.base, req->input.method.len);
        off += (size_t)snprintf(line + off, sizeof(line) - off, "\",\"path\":\"");
        put_path(line, &off, sizeof(line) - 800, req, 1);
        off += (size_t)snprintf(line + off, sizeof(line) - off, "\",\"route\":");
        if (info->route != NULL) {
            line[off++] = '"';
            put_json(line, &off, sizeof(line) - 700, info->route->path, strlen(info->route->path));
            line[off++] = '"';
        } else {
            off += (size_t)snprintf(line + off, sizeof(line) - off, "null");
        }
        off += (size_t)snprintf(line + off, sizeof(line) - off, ",\"status\":%d,\"bytes\":%zu,\"durationMs\":%.3f,\"userAgent\":",
                                status, bytes, ms);
        if (ua >= 0) {
            line[off++] = '"';
            put_json(line, &off, sizeof(line) - 8, req->headers.entries[ua].value.base,
                     req->headers.entries[ua].value.len > 512 ? 512 : req->headers.entries[ua].value.len);
            line[off++] = '"';
        } else {
            off += (size_t)snprintf(line + off, sizeof(line) - off, "null");
        }
        off += (size_t)snprintf(line + off, sizeof(line) - off, "}\n");
    } else {
        off = now_str(line, sizeof(line));
        off += (size_t)snprintf(line + off, sizeof(line) - off, " %s \"", hd_client_ip(req, ip, sizeof(ip)));
        put_safe(line, &off, sizeof(line) - 200, req->input.method.base, req->input.method.len);
        line[off++] = ' ';
        put_path(line, &off, sizeof(line) - 100, req, 0);
        off += (size_t)snprintf(line + off, sizeof(line) - off, "\" %d %zu %.3fms %s\n", status, bytes, ms, info->id);
    }
    if (off >= sizeof(line))
        off = sizeof(line) - 1;
    if (write(2, line, off) < 0) {
        /* nothing to do */
    }
}

void hd_log_error(const char *fmt, ...)
{
    char line[2048], msg[1600];
    size_t off;
    va_list ap;
    int n;
    va_start(ap, fmt);
    n = vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    if (n < 0)
        n = 0;
    if ((size_t)n >= sizeof(msg))
        n = (int)sizeof(msg) - 1;
    if (hd_conf.log_json) {
        off = (size_t)snprintf(line, sizeof(line), "{\"time\":\"");
        off += now_str(line + off, sizeof(line) - off);
        off += (size_t)snprintf(line + off, sizeof(line) - off, "\",\"level\":\"error\",\"msg\":\"");
        put_json(line, &off, sizeof(line) - 4, msg, (size_t)n);
        line[off++] = '"';
        line[off++] = '}';
    } else {
        off = now_str(line, sizeof(line));
        line[off++] = ' ';
        memcpy(line + off, msg, (size_t)n);
        off += (size_t)n;
    }
    line[off++] = '\n';
    if (write(2, line, off) < 0) {
        /* nothing to do */
    }
}
