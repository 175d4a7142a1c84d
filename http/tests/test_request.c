/* Request parsing: percent-decoding, UTF-8, query document, path ids, JSON body checks. */
#include "../request.h"
#include "t.h"

static char *qjson(const char *q, int *rc)
{
    static hd_buf_t b;
    hd_reqerr_t err;
    hd_buf_free(&b);
    *rc = hd_query_to_json(q, strlen(q), &b, &err);
    return b.base;
}

static int body(const char *s, hd_reqerr_t *err)
{
    return hd_body_validate(s, strlen(s), 1024, err);
}

/* Bodies with a NUL byte: jansson accepts a number followed by NUL. */
static int body_n(const char *s, size_t len)
{
    hd_reqerr_t err;
    return hd_body_validate(s, len, 1024, &err) == 0 ? 0 : err.status;
}

int main(void)
{
    char out[64];
    int rc;
    hd_reqerr_t err;

    CHECK(hd_pct_decode("a%20b+c", 7, 1, out) == 5 && memcmp(out, "a b c", 5) == 0);
    CHECK(hd_pct_decode("a%20b+c", 7, 0, out) == 5 && memcmp(out, "a b+c", 5) == 0);
    CHECK(hd_pct_decode("%zz", 3, 1, out) == -1);
    CHECK(hd_pct_decode("%4", 2, 1, out) == -1);
    CHECK(hd_pct_decode("%", 1, 1, out) == -1);
    CHECK(hd_pct_decode("%C3%A9", 6, 1, out) == 2);

    CHECK(body_n("2\0", 2) == 400);
    CHECK(body_n("-1.5e3\0", 7) == 400);
    CHECK(body_n("{\"a\":1}\0", 8) == 400);
    CHECK(body_n("2", 1) == 0);

    CHECK(hd_utf8_valid("\xc3\xa9", 2));
    CHECK(!hd_utf8_valid("\xff", 1));
    CHECK(!hd_utf8_valid("\xc0\xaf", 2));         /* overlong */
    CHECK(!hd_utf8_valid("\xed\xa0\x80", 3));     /* surrogate */
    CHECK(!hd_utf8_valid("a\0b", 3));             /* NUL */
    CHECK(hd_utf8_valid("\xf0\x9f\x98\x80", 4));  /* emoji */
    CHECK(!hd_utf8_valid("\xe2\x82", 2));         /* truncated */

    CHECK_STR(qjson("status=New&page=2", &rc), "{\"status\":\"New\",\"page\":\"2\"}");
    CHECK(rc == 0);
    CHECK_STR(qjson("a=1&a=2", &rc), "{\"a\":\"2\"}");
    CHECK_STR(qjson("q=hello+world%21&x", &rc), "{\"q\":\"hello world!\",\"x\":\"\"}");
    CHECK_STR(qjson("q=%22%5C%0A", &rc), "{\"q\":\"\\\"\\\\\\n\"}");
    CHECK_STR(qjson("&&a=1&", &rc), "{\"a\":\"1\"}");
    CHECK_STR(qjson("a%62=1&ab=2", &rc), "{\"ab\":\"2\"}");
    {
        /* the same key, raw once and once percent-encoded past 512 bytes: still one key */
        hd_buf_t q = {0};
        int k;
        for (k = 0; k < 200; k++)
            hd_buf_lit(&q, "a");
        hd_buf_lit(&q, "=1&");
        for (k = 0; k < 200; k++)
            hd_buf_lit(&q, "%61");
        hd_buf_lit(&q, "=2&b=3");
        qjson(q.base, &rc);
        CHECK(rc == 0 && strstr(qjson(q.base, &rc), ":\"1\"") == NULL && strstr(qjson(q.base, &rc), "aa\":\"2\",\"b\":\"3\"}") != NULL);
        hd_buf_free(&q);
    }
    CHECK_STR(qjson("", &rc), "{}");
    qjson("q=%ff", &rc);
    CHECK(rc == -1);
    qjson("q=%zz", &rc);
    CHECK(rc == -1);
    qjson("%C3=1", &rc);
    CHECK(rc == -1);

    {
        char v[32];
        CHECK(hd_query_get("a=1&access_token=abc%2Ed&b=2", 28, "access_token", v, sizeof(v)) == 5 && memcmp(v, "abc.d", 5) == 0);
        CHECK(hd_query_get("a=1", 3, "access_token", v, sizeof(v)) == -1);
        CHECK(hd_query_get("access_token=&a=1", 17, "access_token", v, sizeof(v)) == 0);
        CHECK(hd_query_get("a=1&access_token", 16, "access_token", v, sizeof(v)) == 0);
        CHECK(hd_query_get("access_token=%zz", 16, "access_token", v, sizeof(v)) == -2); /* present, unusable */
        CHECK(hd_query_get("access_token=0123456789", 23, "access_token", v, 4) == -2);  /* longer than the room */
        CHECK(hd_query_get("access_token=x&access_token=yz", 30, "access_token", v, sizeof(v)) == 2 && memcmp(v, "yz", 2) == 0);
    }

    /* Content-Type of a JSON body */
    {
        static const char *const json[] = {"application/json", "application/json; charset=utf-8", "Application/JSON",
                                           "application/json;charset=UTF-8", " application/json ", "application/problem+json",
                                           "application/vnd.api+json; charset=utf-8", "application/json\t;x=y"};
        static const char *const other[] = {"text/plain", "text/plain; charset=utf-8", "application/x-www-form-urlencoded",
                                            "multipart/form-data; boundary=x", "application/jsonx", "application/json5",
                                            "application/+json", "text/json", "application/json garbage", "application/",
                                            "", "application", "application/xml", "json"};
        size_t i;
        for (i = 0; i < sizeof(json) / sizeof(json[0]); i++) {
            if (!hd_content_type_is_json(json[i], strlen(json[i])))
                fprintf(stderr, "not JSON: %s\n", json[i]);
            CHECK(hd_content_type_is_json(json[i], strlen(json[i])));
        }
        for (i = 0; i < sizeof(other) / sizeof(other[0]); i++) {
            if (hd_content_type_is_json(other[i], strlen(other[i])))
                fprintf(stderr, "JSON: %s\n", other[i]);
            CHECK(!hd_content_type_is_json(other[i], strlen(other[i])));
        }
        CHECK(hd_content_type_is_json("application/json", 11) == 0); /* only len bytes count */
        err.status = 0;
        CHECK(hd_check_body_media_type("application/json", 16, 10, &err) == 0);
        CHECK(hd_check_body_media_type(NULL, 0, 0, &err) == 0);        /* no body, no type: fine */
        CHECK(hd_check_body_media_type("text/plain", 10, 0, &err) == 0); /* an empty body has nothing to judge */
        CHECK(err.status == 0);
        CHECK(hd_check_body_media_type(NULL, 0, 2, &err) == -1 && err.status == 415);
        err.status = 0;
        CHECK(hd_check_body_media_type("text/plain", 10, 2, &err) == -1 && err.status == 415);
        err.status = 0;
        CHECK(hd_check_body_media_type("application/x-www-form-urlencoded", 33, 3, &err) == -1 && err.status == 415);
    }

    /* path parameters */
    {
        hd_match_t m;
        hd_buf_t b = {0};
        memset(&m, 0, sizeof(m));
        m.nparams = 2;
        m.params[0] = (hd_param_t){"id", 2, "0042", 4};
        m.params[1] = (hd_param_t){"slug", 4, "a%20b", 5};
        CHECK(hd_params_to_json(&m, &b, &err) == 0);
        CHECK_STR(b.base, "{\"id\":42,\"slug\":\"a b\"}");
        hd_buf_free(&b);
        m.params[0] = (hd_param_t){"ticketId", 8, "abc", 3};
        CHECK(hd_params_to_json(&m, &b, &err) == -1 && err.status == 400);
        CHECK_STR(err.message, "Validation failed (numeric string is expected)");
        hd_buf_free(&b);
        m.params[0] = (hd_param_t){"id", 2, "2147483648", 10};
        CHECK(hd_params_to_json(&m, &b, &err) == -1);
        hd_buf_free(&b);
        m.params[0] = (hd_param_t){"id", 2, "0", 1};
        CHECK(hd_params_to_json(&m, &b, &err) == -1);
        hd_buf_free(&b);
        m.params[0] = (hd_param_t){"id", 2, "-1", 2};
        CHECK(hd_params_to_json(&m, &b, &err) == -1);
        hd_buf_free(&b);
        m.params[0] = (hd_param_t){"id", 2, "2147483647", 10};
        CHECK(hd_params_to_json(&m, &b, &err) == 0);
        hd_buf_free(&b);
        m.params[0] = (hd_param_t){"valid", 5, "1", 1}; /* ends in "id", not "Id": a string */
        CHECK(hd_params_to_json(&m, &b, &err) == 0 && strstr(b.base, "\"valid\":\"1\"") != NULL);
        hd_buf_free(&b);
    }

    /* bodies */
    CHECK(body("{\"a\":1,\"b\":[1,2,{\"c\":null}]}", &err) == 0);
    CHECK(body("{\"a\":1,", &err) == -1 && err.status == 400 && strcmp(err.message, "Invalid JSON body") == 0);
    CHECK(body("{\"a\":1,\"a\":2}", &err) == -1 && err.status == 400 && strstr(err.message, "duplicate") != NULL);
    CHECK(body("{\"a\":\"\xff\"}", &err) == -1 && err.status == 400);
    CHECK(body("{\"a\":\"\\u0000\"}", &err) == -1 && err.status == 400);
    CHECK(body("{\"big\":123456789012345678901234567890}", &err) == 0);
    {
        char deep[200];
        int i;
        for (i = 0; i < 64; i++)
            deep[i] = '[';
        for (i = 0; i < 64; i++)
            deep[64 + i] = ']';
        deep[128] = '\0';
        CHECK(body(deep, &err) == 0);
        memmove(deep + 1, deep, 129);
        deep[0] = '[';
        strcat(deep, "]");
        CHECK(body(deep, &err) == -1 && err.status == 400);
        CHECK(body("{\"s\":\"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[\"}", &err) == 0);
    }
    {
        char big[1100];
        memset(big, ' ', sizeof(big));
        big[0] = '{';
        big[sizeof(big) - 2] = '}';
        big[sizeof(big) - 1] = '\0';
        CHECK(body(big, &err) == -1 && err.status == 413);
    }

    /* the whole document */
    {
        hd_match_t m;
        hd_buf_t b = {0};
        memset(&m, 0, sizeof(m));
        m.nparams = 1;
        m.params[0] = (hd_param_t){"id", 2, "12", 2};
        CHECK(hd_build_request_doc(&m, "status=New", 10, "{\"x\":1}", 7, 1, 1024, NULL, &b, &err) == 0);
        CHECK_STR(b.base, "{\"path\":{\"id\":12},\"query\":{\"status\":\"New\"},\"body\":{\"x\":1},\"args\":null}");
        hd_buf_free(&b);
        CHECK(hd_build_request_doc(&m, NULL, 0, "{bad", 4, 0, 1024, NULL, &b, &err) == 0); /* ignored: body kind none */
        CHECK_STR(b.base, "{\"path\":{\"id\":12},\"query\":{},\"body\":null,\"args\":null}");
        hd_buf_free(&b);
        CHECK(hd_build_request_doc(&m, NULL, 0, NULL, 0, 0, 1024, "{\"active\":false}", &b, &err) == 0);
        CHECK_STR(b.base, "{\"path\":{\"id\":12},\"query\":{},\"body\":null,\"args\":{\"active\":false}}");
        hd_buf_free(&b);
        CHECK(hd_build_request_doc(&m, NULL, 0, " \n", 2, 1, 1024, NULL, &b, &err) == 0);
        CHECK(strstr(b.base, "\"body\":null") != NULL);
        hd_buf_free(&b);
    }
    T_DONE();
}
