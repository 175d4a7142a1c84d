/* config.c: environment variables and matching --flags, validated once at startup. */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "filetype.h"

hd_config_t hd_conf;

enum opt_kind { OPT_INT, OPT_STR, OPT_BOOL, OPT_DURATION, OPT_SIZE, OPT_ORIGINS, OPT_SECRET };

typedef struct opt {
    const char *env;
    const char *flag;
    const char *def;
    enum opt_kind kind;
    int64_t min, max;
    const char *help;
} opt_t;

static const opt_t opts[] = {
    {"PORT", "port", "3000", OPT_INT, 1, 65535, "TCP port to listen on"},
    {"HOST", "host", "127.0.0.1", OPT_STR, 0, 0, "address to listen on"},
    {"DB_HOST", "db-host", "localhost", OPT_STR, 0, 0, "PostgreSQL host name, address or unix socket directory"},
    {"DB_PORT", "db-port", "5432", OPT_INT, 1, 65535, "PostgreSQL port"},
    {"DB_USER", "db-user", "postgres", OPT_STR, 0, 0, "PostgreSQL user"},
    {"DB_PASS", "db-pass", "", OPT_STR, 0, 0, "PostgreSQL password"},
    {"DB_NAME", "db-name", "helpdesk", OPT_STR, 0, 0, "PostgreSQL database"},
    {"DB_SSL", "db-ssl", "false", OPT_BOOL, 0, 0, "true: sslmode=require, false: sslmode=prefer"},
    {"JWT_SECRET", "jwt-secret", NULL, OPT_SECRET, 32, 4096, "HS256 signing secret (required, at least 32 bytes)"},
    {"JWT_EXPIRES_IN", "jwt-expires-in", "7d", OPT_DURATION, 1, 315360000, "access token lifetime: 3600, 60s, 15m, 12h, 7d"},
    {"CORS_ORIGIN", "cors-origin", "http://localhost:5173", OPT_ORIGINS, 0, 0, "allowed origins, comma separated, or *"},
    {"CORS_CREDENTIALS", "cors-credentials", "false", OPT_BOOL, 0, 0, "send Access-Control-Allow-Credentials: true"},
    {"RATE_LIMIT_WINDOW_MS", "rate-limit-window-ms", "60000", OPT_INT, 1000, 86400000, "rate limit window (ms)"},
    {"RATE_LIMIT_MAX_REQUESTS", "rate-limit-max-requests", "1200", OPT_INT, 0, 1000000000,
     "requests per client address per window (0 disables)"},
    {"MAX_BODY_SIZE", "max-body-size", "1048576", OPT_SIZE, 2, 1073741824, "largest JSON request body (bytes), larger: 413"},
    {"DB_POOL_SIZE", "db-pool-size", "4", OPT_INT, 1, 256, "database connections per thread"},
    {"DB_PIPELINE_DEPTH", "db-pipeline-depth", "8", OPT_INT, 1, 64,
     "requests in flight at once on one database connection (1: one at a time)"},
    {"DB_QUEUE_MAX", "db-queue-max", "256", OPT_INT, 0, 1000000, "requests waiting for a connection per thread (full: 503)"},
    {"DB_STATEMENT_TIMEOUT_MS", "db-statement-timeout-ms", "10000", OPT_INT, 1, 86400000,
     "statement_timeout of the database connections (ms), exceeded: 504"},
    {"REQUEST_TIMEOUT_MS", "request-timeout-ms", "15000", OPT_INT, 1, 86400000,
     "longest wait for the database per request, queue included (ms)"},
    {"HTTP_THREADS", "threads", "0", OPT_INT, 0, 256, "event loop threads (0: one per core)"},
    {"ACCESS_LOG", "access-log", "on", OPT_BOOL, 0, 0, "one line per request on stderr (on/off)"},
    {"DRAIN_TIMEOUT_MS", "drain-timeout-ms", "10000", OPT_INT, 0, 600000, "on SIGTERM, longest wait for in-flight requests (ms)"},
    {"CATALOG_RETRY_MS", "catalog-retry-ms", "1000", OPT_INT, 50, 600000,
     "database unreachable at start-up: interval of the route table check's retries (ms)"},
    /* limits against slow clients and a saturated database (docs/RELIABILITY.md) */
    {"HTTP_READ_TIMEOUT_MS", "http-read-timeout-ms", "60000", OPT_INT, 100, 3600000,
     "longest time to receive a request's headers and body (an upload too), and to keep an idle connection (ms)"},
    {"MAX_CONNECTIONS", "max-connections", "16384", OPT_INT, 1, 1000000,
     "client connections held open at once, shared by the threads; at the limit new ones wait in the backlog"},
    {"DB_QUEUE_TIMEOUT_MS", "db-queue-timeout-ms", "1000", OPT_INT, 1, 86400000,
     "longest wait for a database connection with room (ms), exceeded: 503"},
    {"DB_STALL_MS", "db-stall-ms", "100", OPT_INT, 0, 86400000,
     "a connection whose oldest request has run this long takes no more requests (ms; 0: no limit)"},
    {"LOG_FORMAT", "log-format", "text", OPT_STR, 0, 0, "access and error log lines on stderr: text or json"},
    {"METRICS_LISTEN", "metrics-listen", "", OPT_STR, 0, 0,
     "address of GET /metrics (Prometheus): PORT, HOST:PORT or [IPv6]:PORT; empty: off; never the public PORT"},
    /* uploads and downloads */
    {"MAX_FILE_SIZE", "max-file-size", "10485760", OPT_SIZE, 1, 536870912, "largest uploaded file (bytes), larger: 413"},
    {"ALLOWED_FILE_TYPES", "allowed-file-types", hd_filetype_default_allowed, OPT_STR, 0, 0,
     "file types an upload may have, judged from its content: media types or extensions (jpg, pdf...), comma separated"},
    {"MULTIPART_MAX_PARTS", "multipart-max-parts", "16", OPT_INT, 1, 1000, "parts of one multipart upload"},
    {"MULTIPART_MAX_HEADER_BYTES", "multipart-max-header-bytes", "8192", OPT_INT, 256, 1048576,
     "header block of one multipart part (bytes)"},
    {"MULTIPART_MAX_FIELD_BYTES", "multipart-max-field-bytes", "8192", OPT_INT, 1, 1048576,
     "value of one multipart text field (bytes)"},
    {"FILE_DB_POOL_SIZE", "file-db-pool-size", "2", OPT_INT, 1, 64,
     "database connections per thread for uploads and downloads (one file each at a time)"},
    {"TEMP_BUFFER_THRESHOLD", "temp-buffer-threshold", "1048576", OPT_SIZE, 65536, 1073741824,
     "a request body buffered past this size is kept in a temporary file (mmap) instead of memory"},
    {"TEMP_BUFFER_PATH", "temp-buffer-path", "/tmp", OPT_STR, 0, 0, "directory of those temporary files"},
    /* read replicas and N servers (http/readpool.c, docs/SCALING.md) */
    {"DB_READ_HOST", "db-read-host", "", OPT_STR, 0, 0,
     "streaming replicas for read-only routes: hosts or socket directories, comma separated; empty: none"},
    {"DB_READ_PORT", "db-read-port", "", OPT_STR, 0, 0, "their ports: one for all or one per host, comma separated; empty: DB_PORT"},
    {"DB_READ_MAX_LAG_MS", "db-read-max-lag-ms", "1000", OPT_INT, 1, 3600000,
     "a replica further behind the primary is skipped (ms)"},
    {"DB_READ_AFTER_WRITE_MS", "db-read-after-write-ms", "2000", OPT_INT, 1, 3600000,
     "a user's reads go to the primary this long after that user's write (ms; at least DB_READ_MAX_LAG_MS)"},
    {"DB_READ_CHECK_MS", "db-read-check-ms", "100", OPT_INT, 10, 60000, "interval of the replicas' lag checks (ms)"},
    {"DB_READ_POOL_SIZE", "db-read-pool-size", "0", OPT_INT, 0, 256, "connections per thread to each replica (0: DB_POOL_SIZE)"},
    {"RATE_LIMIT_SERVERS", "rate-limit-servers", "1", OPT_INT, 1, 1000,
     "servers a balancer spreads each client over: each allows RATE_LIMIT_MAX_REQUESTS divided by this (rounded up)"},
    /* notifications over Server-Sent Events (http/sse.c) */
    {"EXPORT_MAX", "export-max", "4", OPT_INT, 1, 1024,
     "streamed CSV exports at once per server (more: 503), each on a database connection of its own"},
    {"EXPORT_TIMEOUT_MS", "export-timeout-ms", "600000", OPT_INT, 1000, 86400000,
     "statement_timeout of an export's connection (ms): the whole stream, a slow reader included"},
    {"SSE_KEEPALIVE_MS", "sse-keepalive-ms", "15000", OPT_INT, 100, 3600000,
     "a stream with nothing to say gets a comment line after this long (ms), so proxies keep it open"},
    /* e-mail: the outbox's sender, a thread of this server (http/mailer.c) */
    {"EMAIL_ENABLED", "email-enabled", "false", OPT_BOOL, 0, 0,
     "send the outbox's e-mails over SMTP (false: they wait in the outbox)"},
    {"SMTP_HOST", "smtp-host", "", OPT_STR, 0, 0, "SMTP server (required when EMAIL_ENABLED)"},
    {"SMTP_PORT", "smtp-port", "587", OPT_INT, 1, 65535, "SMTP port"},
    {"SMTP_SECURE", "smtp-secure", "false", OPT_BOOL, 0, 0,
     "true: TLS from the start (smtps://, port 465); false: STARTTLS when the server offers it"},
    {"SMTP_USER", "smtp-user", "", OPT_STR, 0, 0, "SMTP AUTH user name (empty: no AUTH)"},
    {"SMTP_PASS", "smtp-pass", "", OPT_STR, 0, 0, "SMTP AUTH password"},
    {"EMAIL_FROM", "email-from", "noreply@ticketsystem.com", OPT_STR, 0, 0,
     "From of the e-mails: an address, or Name <address>"},
    {"EMAIL_MAX_ATTEMPTS", "email-max-attempts", "8", OPT_INT, 1, 1000,
     "attempts of a message before it becomes a dead letter (status failed)"},
    {"EMAIL_RETRY_BASE_MS", "email-retry-base-ms", "30000", OPT_INT, 1, 86400000,
     "delay before the second attempt (ms); doubled at each attempt, with jitter"},
    {"EMAIL_RETRY_MAX_MS", "email-retry-max-ms", "3600000", OPT_INT, 1, 604800000, "longest delay between attempts (ms)"},
    {"EMAIL_BATCH", "email-batch", "20", OPT_INT, 1, 1000, "messages claimed at once"},
    {"EMAIL_POLL_MS", "email-poll-ms", "5000", OPT_INT, 10, 3600000,
     "the outbox is looked at this often when no new message wakes the sender (ms)"},
    {"EMAIL_LEASE_MS", "email-lease-ms", "600000", OPT_INT, 1000, 86400000,
     "a claimed message is held this long (ms): after a crash it is sent again once this has passed; "
     "at least EMAIL_BATCH x SMTP_TIMEOUT_MS"},
    {"SMTP_TIMEOUT_MS", "smtp-timeout-ms", "20000", OPT_INT, 100, 600000, "longest time to send one message (ms)"},
};
#define NOPTS (sizeof(opts) / sizeof(opts[0]))

int hd_parse_int(const char *s, int64_t min, int64_t max, int64_t *out)
{
    char *end;
    long long v;
    if (s == NULL || *s == '\0' || isspace((unsigned char)*s))
        return -1;
    errno = 0;
    v = strtoll(s, &end, 10);
    if (errno != 0 || *end != '\0' || v < min || v > max)
        return -1;
    *out = v;
    return 0;
}

int hd_parse_duration(const char *s, int64_t *out)
{
    char *end;
    long long v, mul = 1;
    if (s == NULL || !isdigit((unsigned char)*s))
        return -1;
    errno = 0;
    v = strtoll(s, &end, 10);
    if (errno != 0)
        return -1;
    if (*end != '\0') {
        switch (*end) {
        case 's': mul = 1; break;
        case 'm': mul = 60; break;
        case 'h': mul = 3600; break;
        case 'd': mul = 86400; break;
        default: return -1;
        }
        if (end[1] != '\0')
            return -1;
    }
    if (v <= 0 || v > INT64_MAX / mul / 1000)
        return -1;
    *out = v * mul;
    return 0;
}

int hd_parse_listen(const char *s, char *host, size_t cap, int *port)
{
    const char *colon, *p = s;
    size_t hl;
    int64_t n;
    if (s == NULL || *s == '\0')
        return -1;
    if (*s == '[') {
        const char *end = strchr(s, ']');
        if (end == NULL || end[1] != ':')
            return -1;
        p = s + 1;
        hl = (size_t)(end - p);
        colon = end + 1;
    } else if ((colon = strrchr(s, ':')) != NULL) {
        if (memchr(s, ':', (size_t)(colon - s)) != NULL) /* an IPv6 address needs its brackets */
            return -1;
        hl = (size_t)(colon - s);
    } else {
        colon = s - 1; /* just a port: loopback */
        hl = 0;
    }
    if (hd_parse_int(colon + 1, 1, 65535, &n) != 0)
        return -1;
    if (hl == 0) {
        if (*s == '[' || colon >= s) /* "[]:9" or ":9": an empty host is not loopback by accident */
            return -1;
        p = "127.0.0.1";
        hl = strlen(p);
    }
    if (hl + 1 > cap)
        return -1;
    memcpy(host, p, hl);
    host[hl] = '\0';
    *port = (int)n;
    return 0;
}

int hd_parse_bool(const char *s, int *out)
{
    static const char *t[] = {"true", "1", "on", "yes"}, *f[] = {"false", "0", "off", "no", ""};
    size_t i;
    for (i = 0; i < sizeof(t) / sizeof(t[0]); i++)
        if (strcasecmp(s, t[i]) == 0)
            return *out = 1, 0;
    for (i = 0; i < sizeof(f) / sizeof(f[0]); i++)
        if (strcasecmp(s, f[i]) == 0)
            return *out = 0, 0;
    return -1;
}

static const char *next_item(const char *s, char *out, size_t cap, int *too_long)
{
    size_t n = strcspn(s, ","), b = 0, e = n;
    while (b < e && isspace((unsigned char)s[b]))
        b++;
    while (e > b && isspace((unsigned char)s[e - 1]))
        e--;
    *too_long = e - b + 1 > cap;
    if (!*too_long) {
        memcpy(out, s + b, e - b);
        out[e - b] = '\0';
    }
    return s[n] == ',' ? s + n + 1 : NULL;
}

int hd_read_targets_parse(const char *hosts, const char *ports, int default_port, hd_read_target_t *out, int max, char *err,
                          size_t errlen)
{
    const char *p;
    int n = 0, np = 0, too_long, i;
    int port_list[HD_READ_MAX_TARGETS];
    char item[256];
    if (hosts == NULL || hosts[strspn(hosts, " ")] == '\0')
        return 0;
    for (p = hosts; p != NULL;) {
        p = next_item(p, item, sizeof(item), &too_long);
        if (too_long || item[0] == '\0') {
            snprintf(err, errlen, "DB_READ_HOST: %s host in '%s'", too_long ? "a too long" : "an empty", hosts);
            return -1;
        }
        if (n == max) {
            snprintf(err, errlen, "DB_READ_HOST: more than %d hosts", max);
            return -1;
        }
        snprintf(out[n].host, sizeof(out[n].host), "%s", item);
        out[n++].port = default_port;
    }
    if (ports != NULL && ports[strspn(ports, " ")] != '\0') {
        for (p = ports; p != NULL;) {
            int64_t v;
            p = next_item(p, item, sizeof(item), &too_long);
            if (too_long || np == HD_READ_MAX_TARGETS || hd_parse_int(item, 1, 65535, &v) != 0) {
                snprintf(err, errlen, "DB_READ_PORT: '%s' is not a port or a list of ports", ports);
                return -1;
            }
            port_list[np++] = (int)v;
        }
        if (np != 1 && np != n) {
            snprintf(err, errlen, "DB_READ_PORT: %d ports for %d hosts (give one port for all, or one per host)", np, n);
            return -1;
        }
        for (i = 0; i < n; i++)
            out[i].port = port_list[np == 1 ? 0 : i];
    }
    return n;
}

static char *trim(char *s)
{
    char *e;
    while (isspace((unsigned char)*s))
        s++;
    e = s + strlen(s);
    while (e > s && isspace((unsigned char)e[-1]))
        *--e = '\0';
    return s;
}

static int set_origins(const char *v)
{
    char *copy = strdup(v), *save = NULL, *tok;
    size_t n = 0, cap = 4;
    hd_conf.cors_origins = calloc(cap + 1, sizeof(char *));
    hd_conf.cors_any = 0;
    for (tok = strtok_r(copy, ",", &save); tok != NULL; tok = strtok_r(NULL, ",", &save)) {
        char *o = trim(tok);
        size_t l = strlen(o);
        if (l == 0)
            continue;
        while (l > 1 && o[l - 1] == '/') /* "http://x/" and "http://x" are the same origin */
            o[--l] = '\0';
        if (strcmp(o, "*") == 0) {
            hd_conf.cors_any = 1;
            continue;
        }
        if (n == cap) {
            cap *= 2;
            hd_conf.cors_origins = realloc(hd_conf.cors_origins, (cap + 1) * sizeof(char *));
        }
        hd_conf.cors_origins[n++] = strdup(o);
    }
    hd_conf.cors_origins[n] = NULL;
    hd_conf.cors_origin_count = n;
    free(copy);
    return 0;
}

static int apply(const opt_t *o, const char *v, const char *source)
{
    int64_t n;
    int b;
    switch (o->kind) {
    case OPT_INT:
    case OPT_SIZE:
        if (hd_parse_int(v, o->min, o->max, &n) != 0) {
            fprintf(stderr, "helpdesk-http: invalid %s '%s': expected an integer in %lld..%lld\n", source, v, (long long)o->min,
                    (long long)o->max);
            return -1;
        }
        break;
    case OPT_BOOL:
        if (hd_parse_bool(v, &b) != 0) {
            fprintf(stderr, "helpdesk-http: invalid %s '%s': expected true or false\n", source, v);
            return -1;
        }
        n = b;
        break;
    case OPT_DURATION:
        if (hd_parse_duration(v, &n) != 0 || n < o->min || n > o->max) {
            fprintf(stderr, "helpdesk-http: invalid %s '%s': expected seconds or a duration like 60s, 15m, 12h, 7d\n", source, v);
            return -1;
        }
        break;
    default:
        n = 0;
        break;
    }
#define IS(name) (strcmp(o->env, name) == 0)
    if (IS("PORT")) hd_conf.port = (int)n;
    else if (IS("HOST")) hd_conf.host = strdup(v);
    else if (IS("DB_HOST")) hd_conf.db_host = strdup(v);
    else if (IS("DB_PORT")) hd_conf.db_port = (int)n;
    else if (IS("DB_USER")) hd_conf.db_user = strdup(v);
    else if (IS("DB_PASS")) hd_conf.db_pass = strdup(v);
    else if (IS("DB_NAME")) hd_conf.db_name = strdup(v);
    else if (IS("DB_SSL")) hd_conf.db_ssl = (int)n;
    else if (IS("JWT_SECRET")) { hd_conf.jwt_secret = strdup(v); hd_conf.jwt_secret_len = strlen(v); }
    else if (IS("JWT_EXPIRES_IN")) hd_conf.jwt_expires_in = n;
    else if (IS("CORS_ORIGIN")) set_origins(v);
    else if (IS("CORS_CREDENTIALS")) hd_conf.cors_credentials = (int)n;
    else if (IS("RATE_LIMIT_WINDOW_MS")) hd_conf.rate_limit_window_ms = n;
    else if (IS("RATE_LIMIT_MAX_REQUESTS")) hd_conf.rate_limit_max = n;
    else if (IS("MAX_BODY_SIZE")) hd_conf.max_body_size = (size_t)n;
    else if (IS("DB_POOL_SIZE")) hd_conf.db_pool_size = (int)n;
    else if (IS("DB_PIPELINE_DEPTH")) hd_conf.db_pipeline_depth = (int)n;
    else if (IS("DB_QUEUE_MAX")) hd_conf.db_queue_max = (int)n;
    else if (IS("DB_STATEMENT_TIMEOUT_MS")) hd_conf.db_statement_timeout_ms = n;
    else if (IS("REQUEST_TIMEOUT_MS")) hd_conf.request_timeout_ms = n;
    else if (IS("HTTP_THREADS")) hd_conf.threads = (int)n;
    else if (IS("ACCESS_LOG")) hd_conf.access_log = (int)n;
    else if (IS("DRAIN_TIMEOUT_MS")) hd_conf.drain_timeout_ms = n;
    else if (IS("CATALOG_RETRY_MS")) hd_conf.catalog_retry_ms = (int)n;
    else if (IS("HTTP_READ_TIMEOUT_MS")) hd_conf.http_read_timeout_ms = n;
    else if (IS("MAX_CONNECTIONS")) hd_conf.max_connections = (int)n;
    else if (IS("DB_QUEUE_TIMEOUT_MS")) hd_conf.db_queue_timeout_ms = n;
    else if (IS("DB_STALL_MS")) hd_conf.db_stall_ms = n;
    else if (IS("LOG_FORMAT")) {
        if (strcmp(v, "text") != 0 && strcmp(v, "json") != 0) {
            fprintf(stderr, "helpdesk-http: invalid %s '%s': expected text or json\n", source, v);
            return -1;
        }
        hd_conf.log_json = strcmp(v, "json") == 0;
    } else if (IS("METRICS_LISTEN")) {
        if (v[0] == '\0') {
            hd_conf.metrics_port = 0;
        } else if (hd_parse_listen(v, hd_conf.metrics_host, sizeof(hd_conf.metrics_host), &hd_conf.metrics_port) != 0) {
            fprintf(stderr, "helpdesk-http: invalid %s '%s': expected PORT, HOST:PORT or [IPv6]:PORT\n", source, v);
            return -1;
        }
    }
    else if (IS("MAX_FILE_SIZE")) hd_conf.max_file_size = (size_t)n;
    else if (IS("ALLOWED_FILE_TYPES")) hd_conf.allowed_file_types = v != NULL ? strdup(v) : NULL;
    else if (IS("MULTIPART_MAX_PARTS")) hd_conf.multipart_max_parts = (size_t)n;
    else if (IS("MULTIPART_MAX_HEADER_BYTES")) hd_conf.multipart_max_header_bytes = (size_t)n;
    else if (IS("MULTIPART_MAX_FIELD_BYTES")) hd_conf.multipart_max_field_bytes = (size_t)n;
    else if (IS("FILE_DB_POOL_SIZE")) hd_conf.file_db_pool_size = (int)n;
    else if (IS("TEMP_BUFFER_THRESHOLD")) hd_conf.temp_buffer_threshold = (size_t)n;
    else if (IS("TEMP_BUFFER_PATH")) hd_conf.temp_buffer_path = strdup(v);
    else if (IS("DB_READ_HOST")) hd_conf.db_read_host = strdup(v);
    else if (IS("DB_READ_PORT")) hd_conf.db_read_port = strdup(v);
    else if (IS("DB_READ_MAX_LAG_MS")) hd_conf.db_read_max_lag_ms = n;
    else if (IS("DB_READ_AFTER_WRITE_MS")) hd_conf.db_read_after_write_ms = n;
    else if (IS("DB_READ_CHECK_MS")) hd_conf.db_read_check_ms = n;
    else if (IS("DB_READ_POOL_SIZE")) hd_conf.db_read_pool_size = (int)n;
    else if (IS("RATE_LIMIT_SERVERS")) hd_conf.rate_limit_servers = n;
    else if (IS("SSE_KEEPALIVE_MS")) hd_conf.sse_keepalive_ms = n;
    else if (IS("EMAIL_ENABLED")) hd_conf.email_enabled = (int)n;
    else if (IS("SMTP_HOST")) hd_conf.smtp_host = strdup(v);
    else if (IS("SMTP_PORT")) hd_conf.smtp_port = (int)n;
    else if (IS("SMTP_SECURE")) hd_conf.smtp_secure = (int)n;
    else if (IS("SMTP_USER")) hd_conf.smtp_user = strdup(v);
    else if (IS("SMTP_PASS")) hd_conf.smtp_pass = strdup(v);
    else if (IS("EMAIL_FROM")) hd_conf.email_from = strdup(v);
    else if (IS("EMAIL_MAX_ATTEMPTS")) hd_conf.email_max_attempts = (int)n;
    else if (IS("EMAIL_RETRY_BASE_MS")) hd_conf.email_retry_base_ms = n;
    else if (IS("EMAIL_RETRY_MAX_MS")) hd_conf.email_retry_max_ms = n;
    else if (IS("EMAIL_BATCH")) hd_conf.email_batch = (int)n;
    else if (IS("EMAIL_POLL_MS")) hd_conf.email_poll_ms = n;
    else if (IS("EMAIL_LEASE_MS")) hd_conf.email_lease_ms = n;
    else if (IS("SMTP_TIMEOUT_MS")) hd_conf.smtp_timeout_ms = n;
    else if (IS("EXPORT_MAX")) hd_conf.export_max = n;
    else if (IS("EXPORT_TIMEOUT_MS")) hd_conf.export_timeout_ms = n;
#undef IS
    return 0;
}

int hd_config_check_email(char *err, size_t errlen)
{
    const char *f = hd_conf.email_from;
    if (f == NULL || strpbrk(f, "\r\n") != NULL || strchr(f, '@') == NULL) {
        snprintf(err, errlen, "EMAIL_FROM '%s' is not an address (name@domain or Name <name@domain>)", f ? f : "");
        return -1;
    }
    if (hd_conf.email_retry_max_ms < hd_conf.email_retry_base_ms) {
        snprintf(err, errlen, "EMAIL_RETRY_MAX_MS (%lld) must be at least EMAIL_RETRY_BASE_MS (%lld)",
                 (long long)hd_conf.email_retry_max_ms, (long long)hd_conf.email_retry_base_ms);
        return -1;
    }
    /* a batch is sent one message after the other, each within SMTP_TIMEOUT_MS: the lease must
     * outlast it, or another sender could take a message still being sent */
    if (hd_conf.email_lease_ms < (int64_t)hd_conf.email_batch * hd_conf.smtp_timeout_ms) {
        snprintf(err, errlen, "EMAIL_LEASE_MS (%lld) must be at least EMAIL_BATCH x SMTP_TIMEOUT_MS (%lld), or a message "
                 "could be taken by another sender while it is being sent",
                 (long long)hd_conf.email_lease_ms, (long long)hd_conf.email_batch * hd_conf.smtp_timeout_ms);
        return -1;
    }
    if (hd_conf.email_enabled && (hd_conf.smtp_host == NULL || hd_conf.smtp_host[0] == '\0')) {
        snprintf(err, errlen, "EMAIL_ENABLED is true but SMTP_HOST is empty");
        return -1;
    }
    if ((hd_conf.smtp_host && strpbrk(hd_conf.smtp_host, "/@ \r\n") != NULL)) {
        snprintf(err, errlen, "SMTP_HOST '%s' is not a host name or address", hd_conf.smtp_host);
        return -1;
    }
    return 0;
}

static void usage(FILE *fp)
{
    size_t i;
    fprintf(fp, "Usage: helpdesk-http [--flag=value | --flag value]...\n\n"
                "Every setting comes from the environment variable or the flag (the flag wins).\n\n");
    for (i = 0; i < NOPTS; i++) {
        char flag[64];
        snprintf(flag, sizeof(flag), "--%s", opts[i].flag);
        fprintf(fp, "  %-28s %-24s %s (default: %s)\n", flag, opts[i].env, opts[i].help,
                opts[i].def == NULL ? "none" : (opts[i].def[0] == '\0' ? "empty" : opts[i].def));
    }
    fprintf(fp, "  %-28s %-24s %s\n", "--check-catalog", "",
            "check the route table against the database's helpdesk_api functions, print, exit 0 (agree) or 1");
    fprintf(fp, "  %-28s %-24s %s\n", "--version", "", "print the version (helpdesk.control's, as helpdesk.version()) and exit");
    fprintf(fp, "  %-28s %-24s %s\n", "--help", "", "print this help and exit");
}

/* libpq conninfo value quoting: single quotes, backslash-escaped. */
static void append_kv(char *buf, size_t cap, const char *k, const char *v)
{
    size_t l = strlen(buf);
    const char *p;
    if (l + strlen(k) + 4 >= cap)
        return;
    l += snprintf(buf + l, cap - l, "%s%s='", l ? " " : "", k);
    for (p = v; *p && l + 3 < cap; p++) {
        if (*p == '\'' || *p == '\\')
            buf[l++] = '\\';
        buf[l++] = *p;
    }
    buf[l++] = '\'';
    buf[l] = '\0';
}

void hd_config_free(void)
{
    size_t i;
    free(hd_conf.host);
    free(hd_conf.db_host);
    free(hd_conf.db_user);
    free(hd_conf.db_pass);
    free(hd_conf.db_name);
    free(hd_conf.jwt_secret);
    free(hd_conf.allowed_file_types);
    free(hd_conf.temp_buffer_path);
    free(hd_conf.db_read_host);
    free(hd_conf.db_read_port);
    free(hd_conf.smtp_host);
    free(hd_conf.smtp_user);
    free(hd_conf.smtp_pass);
    free(hd_conf.email_from);
    for (i = 0; hd_conf.cors_origins != NULL && hd_conf.cors_origins[i] != NULL; i++)
        free(hd_conf.cors_origins[i]);
    free(hd_conf.cors_origins);
    memset(&hd_conf, 0, sizeof(hd_conf));
}

int hd_config_load(int argc, char **argv)
{
    size_t i;
    int a;
    const char *given[NOPTS];
    char err_email[256];

    hd_config_free();
    for (i = 0; i < NOPTS; i++)
        given[i] = getenv(opts[i].env);

    for (a = 1; a < argc; a++) {
        const char *arg = argv[a], *val = NULL;
        size_t nl;
        if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0) {
            usage(stdout);
            return 1;
        }
        if (strcmp(arg, "--version") == 0) {
            hd_conf.show_version = 1; /* main prints it: the version is compiled into main.c only */
            return 1;
        }
        if (strcmp(arg, "--check-catalog") == 0) {
            hd_conf.check_catalog = 1;
            continue;
        }
        if (strncmp(arg, "--", 2) != 0) {
            fprintf(stderr, "helpdesk-http: unexpected argument '%s' (see --help)\n", arg);
            return -1;
        }
        arg += 2;
        nl = strcspn(arg, "=");
        if (arg[nl] == '=')
            val = arg + nl + 1;
        for (i = 0; i < NOPTS; i++)
            if (strlen(opts[i].flag) == nl && strncmp(opts[i].flag, arg, nl) == 0)
                break;
        if (i == NOPTS) {
            fprintf(stderr, "helpdesk-http: unknown option '%s' (see --help)\n", argv[a]);
            return -1;
        }
        if (val == NULL) {
            if (a + 1 >= argc) {
                fprintf(stderr, "helpdesk-http: option '--%s' needs a value\n", opts[i].flag);
                return -1;
            }
            val = argv[++a];
        }
        given[i] = val;
    }

    for (i = 0; i < NOPTS; i++) {
        const char *v = given[i];
        char source[96];
        if (opts[i].kind == OPT_SECRET) {
            if (hd_conf.check_catalog && v == NULL)
                continue;
            if (v == NULL || strlen(v) < (size_t)opts[i].min) {
                fprintf(stderr,
                        "helpdesk-http: JWT_SECRET must be set and at least %lld bytes long (got %zu); refusing to start\n",
                        (long long)opts[i].min, v == NULL ? (size_t)0 : strlen(v));
                return -1;
            }
            if (strlen(v) > (size_t)opts[i].max) {
                fprintf(stderr, "helpdesk-http: JWT_SECRET is longer than %lld bytes; refusing to start\n", (long long)opts[i].max);
                return -1;
            }
        }
        if (v == NULL || (v[0] == '\0' && opts[i].kind != OPT_STR && opts[i].kind != OPT_ORIGINS))
            v = opts[i].def;
        snprintf(source, sizeof(source), "%s/--%s", opts[i].env, opts[i].flag);
        if (apply(&opts[i], v, source) != 0)
            return -1;
    }
    if (hd_conf.metrics_port != 0 && hd_conf.metrics_port == hd_conf.port) {
        fprintf(stderr, "helpdesk-http: METRICS_LISTEN must not use the public PORT %d (metrics are never served to the "
                        "public port)\n", hd_conf.port);
        return -1;
    }
    {
        char err[256];
        if (hd_filetype_set_allowed(hd_conf.allowed_file_types, err, sizeof(err)) != 0) {
            fprintf(stderr, "helpdesk-http: %s\n", err);
            return -1;
        }
    }
    if (access(hd_conf.temp_buffer_path, W_OK | X_OK) != 0) {
        fprintf(stderr, "helpdesk-http: TEMP_BUFFER_PATH '%s' is not a writable directory\n", hd_conf.temp_buffer_path);
        return -1;
    }
    {
        /* read replicas: the targets parse, and the read-your-writes window covers the lag bound
         * (a replica used after the window holds every commit older than the bound) */
        hd_read_target_t targets[HD_READ_MAX_TARGETS];
        char err[256];
        int n = hd_read_targets_parse(hd_conf.db_read_host, hd_conf.db_read_port, hd_conf.db_port, targets,
                                      HD_READ_MAX_TARGETS, err, sizeof(err));
        if (n < 0) {
            fprintf(stderr, "helpdesk-http: %s\n", err);
            return -1;
        }
        if (n > 0 && hd_conf.db_read_after_write_ms < hd_conf.db_read_max_lag_ms) {
            fprintf(stderr, "helpdesk-http: DB_READ_AFTER_WRITE_MS (%lld) must be at least DB_READ_MAX_LAG_MS (%lld), or a "
                            "user could read from a replica that has not replayed that user's write yet\n",
                    (long long)hd_conf.db_read_after_write_ms, (long long)hd_conf.db_read_max_lag_ms);
            return -1;
        }
    }
    if (hd_config_check_email(err_email, sizeof(err_email)) != 0) {
        fprintf(stderr, "helpdesk-http: %s\n", err_email);
        return -1;
    }
    if (hd_conf.threads == 0) {
        long n = sysconf(_SC_NPROCESSORS_ONLN);
        hd_conf.threads = n > 0 ? (int)(n > 64 ? 64 : n) : 1;
    }

    hd_conf.conninfo[0] = '\0';
    append_kv(hd_conf.conninfo, sizeof(hd_conf.conninfo), "host", hd_conf.db_host);
    {
        char port[16];
        snprintf(port, sizeof(port), "%d", hd_conf.db_port);
        append_kv(hd_conf.conninfo, sizeof(hd_conf.conninfo), "port", port);
    }
    append_kv(hd_conf.conninfo, sizeof(hd_conf.conninfo), "user", hd_conf.db_user);
    if (hd_conf.db_pass[0] != '\0')
        append_kv(hd_conf.conninfo, sizeof(hd_conf.conninfo), "password", hd_conf.db_pass);
    append_kv(hd_conf.conninfo, sizeof(hd_conf.conninfo), "dbname", hd_conf.db_name);
    append_kv(hd_conf.conninfo, sizeof(hd_conf.conninfo), "sslmode",
              hd_conf.db_ssl ? "require" : (hd_conf.db_host[0] == '/' ? "disable" : "prefer"));
    append_kv(hd_conf.conninfo, sizeof(hd_conf.conninfo), "application_name", "helpdesk-http");
    {
        /* fixed for every request: set once per connection instead of with each request's settings */
        char opt[64];
        snprintf(opt, sizeof(opt), "-c statement_timeout=%lld", (long long)hd_conf.db_statement_timeout_ms);
        append_kv(hd_conf.conninfo, sizeof(hd_conf.conninfo), "options", opt);
    }
    return 0;
}
