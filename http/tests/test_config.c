/* Config parsers: durations, integers, booleans; the loader's checks. */
#include <stdlib.h>
#include <string.h>

#include "../config.h"
#include "t.h"

int main(void)
{
    int64_t v;
    int b;
    char *argv_ok[] = {"x", "--port=4000", "--threads", "3", "--cors-origin", "http://a, http://b/", NULL};
    char *argv_bad[] = {"x", "--port=70000", NULL};
    char *argv_unknown[] = {"x", "--nope=1", NULL};

    CHECK(hd_parse_duration("3600", &v) == 0 && v == 3600);
    CHECK(hd_parse_duration("60s", &v) == 0 && v == 60);
    CHECK(hd_parse_duration("15m", &v) == 0 && v == 900);
    CHECK(hd_parse_duration("12h", &v) == 0 && v == 43200);
    CHECK(hd_parse_duration("7d", &v) == 0 && v == 604800);
    CHECK(hd_parse_duration("", &v) == -1);
    CHECK(hd_parse_duration("7w", &v) == -1);
    CHECK(hd_parse_duration("7dd", &v) == -1);
    CHECK(hd_parse_duration("-5", &v) == -1);
    CHECK(hd_parse_duration("0", &v) == -1);
    CHECK(hd_parse_duration("d", &v) == -1);
    CHECK(hd_parse_duration("99999999999999999999", &v) == -1);

    CHECK(hd_parse_int("42", 0, 100, &v) == 0 && v == 42);
    CHECK(hd_parse_int("101", 0, 100, &v) == -1);
    CHECK(hd_parse_int("4x", 0, 100, &v) == -1);
    CHECK(hd_parse_int(" 4", 0, 100, &v) == -1);
    CHECK(hd_parse_int("", 0, 100, &v) == -1);

    CHECK(hd_parse_bool("true", &b) == 0 && b == 1);
    CHECK(hd_parse_bool("OFF", &b) == 0 && b == 0);
    CHECK(hd_parse_bool("maybe", &b) == -1);

    unsetenv("JWT_SECRET");
    CHECK(hd_config_load(2, argv_ok) == -1); /* no secret */
    setenv("JWT_SECRET", "short", 1);
    CHECK(hd_config_load(2, argv_ok) == -1);
    setenv("JWT_SECRET", "0123456789abcdef0123456789abcdef", 1);
    setenv("JWT_EXPIRES_IN", "15m", 1);
    setenv("DB_SSL", "true", 1);
    CHECK(hd_config_load(6, argv_ok) == 0);
    CHECK(hd_conf.port == 4000 && hd_conf.threads == 3 && hd_conf.jwt_expires_in == 900);
    CHECK(hd_conf.cors_origin_count == 2 && strcmp(hd_conf.cors_origins[1], "http://b") == 0 && !hd_conf.cors_any);
    CHECK(hd_conf.max_body_size == 1048576 && hd_conf.db_pool_size == 4 && hd_conf.rate_limit_max == 1200);
    CHECK(strstr(hd_conf.conninfo, "sslmode='require'") != NULL);
    setenv("RATE_LIMIT_MAX_REQUESTS", "lots", 1);
    CHECK(hd_config_load(1, argv_ok) == -1);
    unsetenv("RATE_LIMIT_MAX_REQUESTS");
    CHECK(hd_config_load(2, argv_bad) == -1);
    CHECK(hd_config_load(2, argv_unknown) == -1);
    CHECK(hd_conf.catalog_retry_ms == 0); /* a failed load leaves nothing behind */

    /* --check-catalog: no secret needed; the retry interval of the start-up check */
    {
        char *argv_check[] = {"x", "--check-catalog", "--db-name", "desk", NULL};
        char *argv_retry[] = {"x", "--catalog-retry-ms=250", NULL};
        char *argv_retry_bad[] = {"x", "--catalog-retry-ms=10", NULL};
        unsetenv("JWT_SECRET");
        CHECK(hd_config_load(4, argv_check) == 0 && hd_conf.check_catalog == 1 && hd_conf.jwt_secret == NULL);
        CHECK(strstr(hd_conf.conninfo, "dbname='desk'") != NULL && hd_conf.catalog_retry_ms == 1000);
        CHECK(hd_config_load(2, argv_retry) == -1); /* serving needs the secret */
        setenv("JWT_SECRET", "0123456789abcdef0123456789abcdef", 1);
        CHECK(hd_config_load(2, argv_retry) == 0 && hd_conf.catalog_retry_ms == 250 && hd_conf.check_catalog == 0);
        CHECK(hd_config_load(2, argv_retry_bad) == -1);
    }
    /* the limits against slow clients and a saturated database: defaults, flags, ranges */
    {
        char *argv_limits[] = {"x", "--http-read-timeout-ms=2500", "--max-connections", "20000", "--db-queue-timeout-ms=50",
                               "--db-stall-ms=0", NULL};
        char *argv_read_bad[] = {"x", "--http-read-timeout-ms=99", NULL};
        char *argv_conns_bad[] = {"x", "--max-connections=0", NULL};
        setenv("JWT_SECRET", "0123456789abcdef0123456789abcdef", 1);
        CHECK(hd_config_load(1, argv_limits) == 0);
        CHECK(hd_conf.http_read_timeout_ms == 60000 && hd_conf.max_connections == 16384 &&
              hd_conf.db_queue_timeout_ms == 1000 && hd_conf.db_stall_ms == 100);
        CHECK(hd_config_load(6, argv_limits) == 0);
        CHECK(hd_conf.http_read_timeout_ms == 2500 && hd_conf.max_connections == 20000 && hd_conf.db_queue_timeout_ms == 50 &&
              hd_conf.db_stall_ms == 0);
        setenv("DB_QUEUE_TIMEOUT_MS", "700", 1);
        CHECK(hd_config_load(1, argv_limits) == 0 && hd_conf.db_queue_timeout_ms == 700);
        unsetenv("DB_QUEUE_TIMEOUT_MS");
        CHECK(hd_config_load(2, argv_read_bad) == -1);
        CHECK(hd_config_load(2, argv_conns_bad) == -1);
    }
    hd_config_free();
    T_DONE();
}
