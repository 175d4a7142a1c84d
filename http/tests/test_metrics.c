/* Metrics rendering (observe, the text format, the database's part), the METRICS_LISTEN parser
 * and request ids. */
#include <stdlib.h>
#include <string.h>

#include "../buf.h"
#include "../config.h"
#include "../metrics.h"
#include "../reqinfo.h"
#include "t.h"

static int has(const hd_buf_t *b, const char *s)
{
    return b->base != NULL && strstr(b->base, s) != NULL;
}

int main(void)
{
    hd_buf_t out = {0};
    char host[64], a[17], b[17];
    int port, i;
    const hd_route_t *health = NULL;

    for (i = 0; i < (int)hd_route_count; i++)
        if (strcmp(hd_routes[i].path, "/api/v1/health") == 0)
            health = &hd_routes[i];
    CHECK(health != NULL);

    /* nothing observed: the families are there, no request series */
    hd_metrics_init();
    hd_metrics_render(&out);
    CHECK(has(&out, "# TYPE helpdesk_http_requests_total counter\n"));
    CHECK(has(&out, "# TYPE helpdesk_http_request_duration_seconds histogram\n"));
    CHECK(!has(&out, "helpdesk_http_requests_total{"));
    CHECK(has(&out, "helpdesk_http_rate_limited_total 0\n"));
    CHECK(has(&out, "helpdesk_http_sse_subscribers 0\n"));
    CHECK(has(&out, "helpdesk_http_db_pool_size 0\n")); /* no pool in this process */
    hd_buf_free(&out);

    /* three health requests (0.5 ms, 3 ms, 20 s), a 404 without a route, a refused one, SSE */
    hd_metrics_observe(health, 200, 0.0005);
    hd_metrics_observe(health, 200, 0.003);
    hd_metrics_observe(health, 503, 20);
    hd_metrics_observe(NULL, 404, 0.0001);
    hd_metrics_rate_limited();
    hd_metrics_sse_subscriber(1);
    hd_metrics_sse_subscriber(1);
    hd_metrics_sse_subscriber(-1);
    hd_metrics_render(&out);
    CHECK(has(&out, "helpdesk_http_requests_total{method=\"GET\",route=\"/api/v1/health\",status=\"200\"} 2\n"));
    CHECK(has(&out, "helpdesk_http_requests_total{method=\"GET\",route=\"/api/v1/health\",status=\"503\"} 1\n"));
    CHECK(has(&out, "helpdesk_http_requests_total{method=\"\",route=\"(none)\",status=\"404\"} 1\n"));
    CHECK(has(&out, "helpdesk_http_request_duration_seconds_bucket{method=\"GET\",route=\"/api/v1/health\",le=\"0.001\"} 1\n"));
    CHECK(has(&out, "helpdesk_http_request_duration_seconds_bucket{method=\"GET\",route=\"/api/v1/health\",le=\"0.0025\"} 1\n"));
    CHECK(has(&out, "helpdesk_http_request_duration_seconds_bucket{method=\"GET\",route=\"/api/v1/health\",le=\"0.005\"} 2\n"));
    CHECK(has(&out, "helpdesk_http_request_duration_seconds_bucket{method=\"GET\",route=\"/api/v1/health\",le=\"10\"} 2\n"));
    CHECK(has(&out, "helpdesk_http_request_duration_seconds_bucket{method=\"GET\",route=\"/api/v1/health\",le=\"+Inf\"} 3\n"));
    CHECK(has(&out, "helpdesk_http_request_duration_seconds_count{method=\"GET\",route=\"/api/v1/health\"} 3\n"));
    CHECK(has(&out, "helpdesk_http_request_duration_seconds_sum{method=\"GET\",route=\"/api/v1/health\"} 20.003500\n"));
    CHECK(has(&out, "helpdesk_http_rate_limited_total 1\n"));
    CHECK(has(&out, "helpdesk_http_sse_subscribers 1\n"));
    CHECK(has(&out, "helpdesk_http_sse_subscriptions_total 2\n"));
    CHECK(out.base[out.len - 1] == '\n');
    hd_buf_free(&out);

    /* the database's part: well-formed entries rendered, the rest skipped */
    {
        const char *json = "[{\"name\":\"helpdesk_outbox_pending\",\"type\":\"gauge\",\"help\":\"Waiting.\\nNow\",\"value\":3},"
                           "{\"name\":\"helpdesk_sla_breaches_total\",\"type\":\"counter\",\"help\":\"B\",\"value\":12},"
                           "{\"name\":\"bad name\",\"type\":\"gauge\",\"value\":1},"
                           "{\"name\":\"x\",\"type\":\"summary\",\"value\":1},"
                           "{\"name\":\"y\",\"type\":\"gauge\",\"value\":\"1\"},"
                           "{\"name\":\"z1\",\"type\":\"gauge\",\"value\":0.25}, 7]";
        CHECK(hd_metrics_render_db(&out, json, strlen(json)) == 3);
        CHECK(has(&out, "# HELP helpdesk_outbox_pending Waiting. Now\n# TYPE helpdesk_outbox_pending gauge\n"
                        "helpdesk_outbox_pending 3\n"));
        CHECK(has(&out, "# TYPE helpdesk_sla_breaches_total counter\nhelpdesk_sla_breaches_total 12\n"));
        CHECK(has(&out, "z1 0.25\n"));
        CHECK(!has(&out, "bad name") && !has(&out, "\nx ") && !has(&out, "\ny "));
        hd_buf_free(&out);
        CHECK(hd_metrics_render_db(&out, "{}", 2) == -1);
        CHECK(hd_metrics_render_db(&out, "[", 1) == -1);
        hd_buf_free(&out);
    }

    /* METRICS_LISTEN */
    CHECK(hd_parse_listen("9187", host, sizeof(host), &port) == 0 && strcmp(host, "127.0.0.1") == 0 && port == 9187);
    CHECK(hd_parse_listen("0.0.0.0:9187", host, sizeof(host), &port) == 0 && strcmp(host, "0.0.0.0") == 0 && port == 9187);
    CHECK(hd_parse_listen("[::1]:9000", host, sizeof(host), &port) == 0 && strcmp(host, "::1") == 0 && port == 9000);
    CHECK(hd_parse_listen("metrics.internal:80", host, sizeof(host), &port) == 0 && strcmp(host, "metrics.internal") == 0);
    CHECK(hd_parse_listen("::1:9000", host, sizeof(host), &port) == -1); /* IPv6 needs brackets */
    CHECK(hd_parse_listen(":9000", host, sizeof(host), &port) == -1);
    CHECK(hd_parse_listen("[]:9000", host, sizeof(host), &port) == -1);
    CHECK(hd_parse_listen("host:0", host, sizeof(host), &port) == -1);
    CHECK(hd_parse_listen("host:65536", host, sizeof(host), &port) == -1);
    CHECK(hd_parse_listen("host:", host, sizeof(host), &port) == -1);
    CHECK(hd_parse_listen("", host, sizeof(host), &port) == -1);
    CHECK(hd_parse_listen("[::1]9000", host, sizeof(host), &port) == -1);
    CHECK(hd_parse_listen("a-very-long-host-name-that-does-not-fit-in-the-buffer-given.example:1", host, 16, &port) == -1);
    {
        char *argv_same[] = {"x", "--port=4000", "--metrics-listen=4000", NULL};
        char *argv_ok[] = {"x", "--port=4000", "--metrics-listen=127.0.0.1:4001", "--log-format=json", NULL};
        char *argv_fmt[] = {"x", "--log-format=xml", NULL};
        char *argv_version[] = {"x", "--version", NULL};
        setenv("JWT_SECRET", "0123456789abcdef0123456789abcdef", 1);
        CHECK(hd_config_load(3, argv_same) == -1); /* never the public port */
        CHECK(hd_config_load(4, argv_ok) == 0 && hd_conf.metrics_port == 4001 && hd_conf.log_json == 1);
        CHECK(hd_config_load(2, argv_fmt) == -1);
        CHECK(hd_config_load(2, argv_version) == 1 && hd_conf.show_version == 1);
        hd_config_free();
    }

    /* request ids */
    hd_request_id_new(a);
    hd_request_id_new(b);
    CHECK(strlen(a) == 16 && strspn(a, "0123456789abcdef") == 16 && strcmp(a, b) != 0);
    CHECK(hd_request_id_valid("lb-1.2:3_x", 10));
    CHECK(!hd_request_id_valid("", 0));
    CHECK(!hd_request_id_valid("a b", 3));
    CHECK(!hd_request_id_valid("a\"b", 3));
    CHECK(hd_request_id_valid("xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", HD_REQUEST_ID_MAX));
    CHECK(!hd_request_id_valid("xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", HD_REQUEST_ID_MAX + 1));
    T_DONE();
}
