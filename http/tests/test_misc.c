/* Rate limiter, errors returned by functions, exception names. */
#include "../ratelimit.h"
#include "../response.h"
#include "t.h"

int main(void)
{
    int ra = 0, i, ok = 1;

    hd_ratelimit_init(60000, 3);
    for (i = 0; i < 3; i++)
        ok &= hd_ratelimit_hit("10.0.0.1", 1000, &ra);
    CHECK(ok);
    CHECK(hd_ratelimit_hit("10.0.0.1", 1000, &ra) == 0 && ra == 60);
    CHECK(hd_ratelimit_hit("10.0.0.1", 31000, &ra) == 0 && ra == 30);
    CHECK(hd_ratelimit_hit("10.0.0.2", 31000, &ra) == 1);
    CHECK(hd_ratelimit_hit("10.0.0.1", 61000, &ra) == 1); /* new window */
    /* memory stays bounded under many addresses */
    for (i = 0; i < 200000; i++) {
        char a[32];
        snprintf(a, sizeof(a), "10.%d.%d.%d", i >> 16, (i >> 8) & 255, i & 255);
        hd_ratelimit_hit(a, 62000, &ra);
    }
    CHECK(1);
    hd_ratelimit_init(60000, 0);
    for (i = 0; i < 10; i++)
        ok &= hd_ratelimit_hit("10.0.0.9", 1000, &ra);
    CHECK(ok); /* 0 disables */

    {
        hd_returned_error_t e;
        const char *a = "{\"__error\": {\"status\": 401, \"message\": \"Invalid email or password\", \"retryAfter\": 60}}";
        const char *b = "{\"a\": 1, \"__error\": {\"status\": 422, \"message\": \"Bad\", \"details\": [\"x\", \"y\"]}}";
        const char *c = "{\"__error\": {\"status\": 200, \"message\": \"nope\"}}";
        const char *d = "{\"user\": {\"name\": \"__error\"}}";
        CHECK(hd_parse_returned_error(a, strlen(a), &e) == 1 && e.status == 401 && e.retry_after == 60);
        CHECK_STR(e.message, "Invalid email or password");
        CHECK(e.details == NULL);
        hd_returned_error_free(&e);
        CHECK(hd_parse_returned_error(b, strlen(b), &e) == 1 && e.status == 422 && e.retry_after == 0);
        CHECK_STR(e.details, "[\"x\",\"y\"]");
        hd_returned_error_free(&e);
        CHECK(hd_parse_returned_error(c, strlen(c), &e) == 1 && e.status == 500);
        CHECK_STR(e.message, "Internal server error");
        hd_returned_error_free(&e);
        CHECK(hd_parse_returned_error(d, strlen(d), &e) == 0);
        CHECK(hd_parse_returned_error("[1,2,3,4,5,6,7]", 15, &e) == 0);
    }

    CHECK_STR(hd_exception_name(413), "PayloadTooLargeException");
    CHECK_STR(hd_exception_name(405), "MethodNotAllowedException");
    T_DONE();
}
