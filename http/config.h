/* config.h: server configuration from the environment and command-line flags. */
#ifndef HD_CONFIG_H
#define HD_CONFIG_H

#include <stddef.h>
#include <stdint.h>

typedef struct hd_config {
    int port;
    char *host;
    char *db_host;
    int db_port;
    char *db_user;
    char *db_pass;
    char *db_name;
    int db_ssl;
    char *jwt_secret;
    size_t jwt_secret_len;
    int64_t jwt_expires_in; /* seconds */
    char **cors_origins;    /* NULL-terminated */
    size_t cors_origin_count;
    int cors_any;           /* '*' present */
    int cors_credentials;
    int64_t rate_limit_window_ms;
    int64_t rate_limit_max;
    size_t max_body_size;
    int db_pool_size;
    int db_pipeline_depth;
    int db_queue_max;
    int64_t db_statement_timeout_ms;
    int64_t request_timeout_ms;
    int threads;
    int access_log;
    int64_t drain_timeout_ms;
    int catalog_retry_ms;
    int64_t http_read_timeout_ms; /* h2o's request timeout: headers + body, and keep-alive idle */
    int max_connections;          /* client connections at once, all threads together */
    int64_t db_queue_timeout_ms;  /* longest wait for a connection with room -> 503 */
    int64_t db_stall_ms;          /* no more requests on a connection whose oldest has run this long (0: off) */
    /* uploads and downloads (http/upload.c, http/download.c) */
    size_t max_file_size;
    char *allowed_file_types;
    size_t multipart_max_parts;
    size_t multipart_max_header_bytes;
    size_t multipart_max_field_bytes;
    int file_db_pool_size;
    size_t temp_buffer_threshold;
    char *temp_buffer_path;
    int64_t sse_keepalive_ms; /* a comment line on an idle stream after this long (http/sse.c) */
    int64_t export_max;        /* streamed exports at once (http/export.c) */
    int64_t export_timeout_ms; /* statement_timeout of an export's connection */
    int check_catalog;      /* --check-catalog: check the route table against the database, print, exit */
    int show_version;       /* --version given: print it and exit */
    int log_json;           /* LOG_FORMAT=json: log lines are JSON objects */
    char metrics_host[256]; /* METRICS_LISTEN: address of GET /metrics; port 0: off */
    int metrics_port;
    char conninfo[2048];
    /* read replicas and N servers (http/readpool.c, docs/SCALING.md) */
    char *db_read_host;             /* comma separated; empty: no replica */
    char *db_read_port;             /* comma separated, one for all or one per host; empty: DB_PORT */
    int64_t db_read_max_lag_ms;     /* a replica further behind is skipped */
    int64_t db_read_after_write_ms; /* a user's reads on the primary this long after a write */
    int64_t db_read_check_ms;       /* the lag monitor's interval */
    int db_read_pool_size;          /* connections per thread and replica (0: DB_POOL_SIZE) */
    int64_t rate_limit_servers;     /* RATE_LIMIT_MAX_REQUESTS is shared by this many servers */
    /* e-mail: the outbox's sender (http/mailer.c) */
    int email_enabled;
    char *smtp_host;
    int smtp_port;
    int smtp_secure;        /* smtps:// (TLS from the start); otherwise smtp:// with STARTTLS when offered */
    char *smtp_user;
    char *smtp_pass;
    char *email_from;
    int email_max_attempts;
    int64_t email_retry_base_ms;
    int64_t email_retry_max_ms;
    int email_batch;
    int64_t email_poll_ms;
    int64_t email_lease_ms;
    int64_t smtp_timeout_ms;
} hd_config_t;

extern hd_config_t hd_conf;

/* Parse environment then argv. Returns 0 on success, 1 when --help was printed or --version
 * asked for (show_version; exit 0),
 * -1 on error (message already printed to stderr). With --check-catalog, JWT_SECRET is not
 * required (the check signs and verifies nothing). */
int hd_config_load(int argc, char **argv);

/* Free what hd_config_load allocated (it also does so itself before loading again). */
void hd_config_free(void);

/* The e-mail settings agree with each other (called by hd_config_load). Returns 0 or -1 with a
 * message in err. */
int hd_config_check_email(char *err, size_t errlen);

/* Duration parser: "3600", "60s", "15m", "12h", "7d" -> seconds. Returns 0 or -1. */
int hd_parse_duration(const char *s, int64_t *out);
/* Strict integer parser with range check. Returns 0 or -1. */
int hd_parse_int(const char *s, int64_t min, int64_t max, int64_t *out);
/* Listen address: "PORT" (loopback), "HOST:PORT" or "[IPv6]:PORT" -> host (NUL-terminated,
 * without brackets) and port 1..65535. Returns 0 or -1. */
int hd_parse_listen(const char *s, char *host, size_t cap, int *port);
/* Boolean: true/false/1/0/on/off/yes/no. Returns 0 or -1. */
int hd_parse_bool(const char *s, int *out);

/* Read replicas (DB_READ_HOST, DB_READ_PORT; http/readpool.c). */
#define HD_READ_MAX_TARGETS 16

typedef struct hd_read_target {
    char host[256];
    int port;
} hd_read_target_t;

/* "h1,h2" and "p" (one port for all), "p1,p2" (one per host) or "" (default_port for all).
 * Returns the number of targets (0 for empty hosts), or -1 with a message in err. */
int hd_read_targets_parse(const char *hosts, const char *ports, int default_port, hd_read_target_t *out, int max, char *err,
                          size_t errlen);

#endif
