/* accesslog.c: one line per request to stderr, written with a single write(2). */
#include "accesslog.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "config.h"

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

void hd_access_log(h2o_req_t *req, int status, size_t bytes)
{
    char line[1400], ip[64];
    size_t off;
    struct timeval now;
    double ms = 0;
    if (!hd_conf.access_log)
        return;
    gettimeofday(&now, NULL);
    if (req->timestamps.request_begin_at.tv_sec != 0)
        ms = (double)(now.tv_sec - req->timestamps.request_begin_at.tv_sec) * 1000.0 +
             (double)(now.tv_usec - req->timestamps.request_begin_at.tv_usec) / 1000.0;
    off = now_str(line, sizeof(line));
    off += (size_t)snprintf(line + off, sizeof(line) - off, " %s \"", hd_client_ip(req, ip, sizeof(ip)));
    put_safe(line, &off, sizeof(line) - 200, req->input.method.base, req->input.method.len);
    line[off++] = ' ';
    put_safe(line, &off, sizeof(line) - 100, req->input.path.base, req->input.path.len);
    off += (size_t)snprintf(line + off, sizeof(line) - off, "\" %d %zu %.3fms\n", status, bytes, ms);
    if (off >= sizeof(line))
        off = sizeof(line) - 1;
    if (write(2, line, off) < 0) {
        /* nothing to do */
    }
}

void hd_log_error(const char *fmt, ...)
{
    char line[2048];
    size_t off;
    va_list ap;
    int n;
    off = now_str(line, sizeof(line));
    line[off++] = ' ';
    va_start(ap, fmt);
    n = vsnprintf(line + off, sizeof(line) - off - 1, fmt, ap);
    va_end(ap);
    off += n < 0 ? 0 : ((size_t)n >= sizeof(line) - off - 1 ? sizeof(line) - off - 2 : (size_t)n);
    line[off++] = '\n';
    if (write(2, line, off) < 0) {
        /* nothing to do */
    }
}
