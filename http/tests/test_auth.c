/* JWT: verify (HS256 only, exp, sub, length cap) and sign, and the `tokens` response transform. */
#include <jansson.h>
#include <jwt.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdlib.h>
#include <string.h>

#include "../auth.h"
#include "t.h"

static const unsigned char KEY[] = "0123456789abcdef0123456789abcdef-unit";
#define KLEN (sizeof(KEY) - 1)

static char *make(jwt_alg_t alg, const unsigned char *key, size_t klen, const char *grants)
{
    jwt_t *j;
    char *s;
    jwt_new(&j);
    if (grants)
        jwt_add_grants_json(j, grants);
    jwt_set_alg(j, alg, alg == JWT_ALG_NONE ? NULL : key, alg == JWT_ALG_NONE ? 0 : (int)klen);
    s = jwt_encode_str(j);
    jwt_free(j);
    return s;
}

/* A token put together by hand: base64url(header) "." base64url(payload), HMAC-SHA256 with KEY. */
static void b64url(char *out, const unsigned char *in, size_t len)
{
    char *p;
    EVP_EncodeBlock((unsigned char *)out, in, (int)len);
    for (p = out; *p; p++)
        *p = *p == '+' ? '-' : *p == '/' ? '_' : *p;
    if ((p = strchr(out, '=')) != NULL)
        *p = '\0';
}

static char *hand_signed(const char *header, const char *payload)
{
    char *t = malloc(1024);
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int mac_len;
    b64url(t, (const unsigned char *)header, strlen(header));
    strcat(t, ".");
    b64url(t + strlen(t), (const unsigned char *)payload, strlen(payload));
    HMAC(EVP_sha256(), KEY, (int)KLEN, (const unsigned char *)t, strlen(t), mac, &mac_len);
    strcat(t, ".");
    b64url(t + strlen(t), mac, mac_len);
    return t;
}

static int verify(const char *t, time_t now, hd_claims_t *c)
{
    return hd_jwt_verify(t, strlen(t), KEY, KLEN, now, c);
}

static hd_auth_outcome_t authenticate(hd_auth_mode_t mode, const char *header, const char *query_token, time_t now,
                                      hd_claims_t *c)
{
    return hd_authenticate(mode, header, header != NULL ? strlen(header) : 0, query_token,
                           query_token != NULL ? strlen(query_token) : 0, KEY, KLEN, now, c);
}

int main(void)
{
    hd_claims_t c;
    time_t now = 1800000000;
    char *t;

    t = make(JWT_ALG_HS256, KEY, KLEN, "{\"sub\":7,\"iat\":1799999000,\"exp\":1800003600,\"role\":\"Admin\"}");
    CHECK(verify(t, now, &c) == 0 && c.sub == 7 && c.iat == 1799999000);
    CHECK(verify(t, 1800003600, &c) == -1); /* exp reached */
    CHECK(hd_jwt_verify(t, strlen(t), (const unsigned char *)"another-secret-another-secret-xx", 32, now, &c) == -1);
    CHECK(hd_jwt_verify(t, strlen(t), KEY, 0, now, &c) == -1);
    CHECK(hd_jwt_verify(t, strlen(t) - 3, KEY, KLEN, now, &c) == -1); /* truncated */
    free(t);

    t = make(JWT_ALG_HS512, KEY, KLEN, "{\"sub\":7,\"iat\":1799999000,\"exp\":1800003600}");
    CHECK(verify(t, now, &c) == -1);
    free(t);
    t = make(JWT_ALG_HS384, KEY, KLEN, "{\"sub\":7,\"iat\":1799999000,\"exp\":1800003600}");
    CHECK(verify(t, now, &c) == -1);
    free(t);
    t = make(JWT_ALG_NONE, NULL, 0, "{\"sub\":7,\"iat\":1799999000,\"exp\":1800003600}");
    CHECK(verify(t, now, &c) == -1);
    free(t);

    /* alg is case-sensitive (RFC 7515): libjwt reads "hs256" as HS256, the server must not */
    t = hand_signed("{\"alg\":\"HS256\",\"typ\":\"JWT\"}", "{\"sub\":7,\"iat\":1799999000,\"exp\":1800003600}");
    CHECK(verify(t, now, &c) == 0 && c.sub == 7);
    free(t);
    t = hand_signed("{\"alg\":\"hs256\",\"typ\":\"JWT\"}", "{\"sub\":7,\"iat\":1799999000,\"exp\":1800003600}");
    CHECK(verify(t, now, &c) == -1);
    free(t);
    t = hand_signed("{\"alg\":\"Hs256\"}", "{\"sub\":7,\"iat\":1799999000,\"exp\":1800003600}");
    CHECK(verify(t, now, &c) == -1);
    free(t);

    t = make(JWT_ALG_HS256, KEY, KLEN, "{\"sub\":7,\"iat\":1799999000}"); /* no exp */
    CHECK(verify(t, now, &c) == -1);
    free(t);
    t = make(JWT_ALG_HS256, KEY, KLEN, "{\"sub\":\"7\",\"iat\":1799999000,\"exp\":1800003600}"); /* string sub */
    CHECK(verify(t, now, &c) == -1);
    free(t);
    t = make(JWT_ALG_HS256, KEY, KLEN, "{\"sub\":0,\"iat\":1799999000,\"exp\":1800003600}");
    CHECK(verify(t, now, &c) == -1);
    free(t);
    t = make(JWT_ALG_HS256, KEY, KLEN, "{\"sub\":7,\"iat\":1799999000,\"exp\":\"1800003600\"}"); /* string exp */
    CHECK(verify(t, now, &c) == -1);
    free(t);
    /* iat: required, an integer, not in the future beyond HD_JWT_LEEWAY, before exp, and a
     * lifetime the server could have issued; nbf honoured when present */
    {
        static const struct {
            const char *claims;
            int ok;
        } cases[] = {
            {"{\"sub\":7,\"exp\":1800003600}", 0},                                   /* no iat */
            {"{\"sub\":7,\"iat\":\"1799999000\",\"exp\":1800003600}", 0},            /* string iat */
            {"{\"sub\":7,\"iat\":1799999000.5,\"exp\":1800003600}", 0},              /* real iat */
            {"{\"sub\":7,\"iat\":0,\"exp\":1800003600}", 0},
            {"{\"sub\":7,\"iat\":-5,\"exp\":1800003600}", 0},
            {"{\"sub\":7,\"iat\":1800000060,\"exp\":1800003600}", 1},                /* skew: at the leeway */
            {"{\"sub\":7,\"iat\":1800000061,\"exp\":1800003600}", 0},                /* issued in the future */
            {"{\"sub\":7,\"iat\":99999999999999,\"exp\":99999999999999}", 0},
            {"{\"sub\":7,\"iat\":1800003600,\"exp\":1800003600}", 0},                /* exp not after iat */
            {"{\"sub\":7,\"iat\":1799999000,\"exp\":2115358999}", 1},                /* 10 years less a second */
            {"{\"sub\":7,\"iat\":1799999000,\"exp\":2115359001}", 0},                /* over 10 years */
            {"{\"sub\":7,\"iat\":1799999000,\"exp\":9223372036854775807}", 0},
            {"{\"sub\":7,\"iat\":1799999000,\"exp\":1800003600,\"nbf\":1799999999}", 1},
            {"{\"sub\":7,\"iat\":1799999000,\"exp\":1800003600,\"nbf\":1800000060}", 1},
            {"{\"sub\":7,\"iat\":1799999000,\"exp\":1800003600,\"nbf\":1800000061}", 0}, /* not yet valid */
            {"{\"sub\":7,\"iat\":1799999000,\"exp\":1800003600,\"nbf\":\"0\"}", 0},    /* string nbf */
            {"{\"sub\":7,\"iat\":1799999000,\"exp\":1800003600,\"nbf\":null}", 0},
        };
        size_t i;
        for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
            hd_claims_t c2;
            t = make(JWT_ALG_HS256, KEY, KLEN, cases[i].claims);
            if ((verify(t, now, &c) == 0) != cases[i].ok)
                printf("not ok - %s: %s\n", cases[i].claims, cases[i].ok ? "refused" : "accepted");
            CHECK((verify(t, now, &c) == 0) == cases[i].ok);
            CHECK((hd_jwt_verify_cached(t, strlen(t), KEY, KLEN, now, &c2) == 0) == cases[i].ok);
            free(t);
        }
    }

    CHECK(verify("", now, &c) == -1);
    CHECK(verify("garbage", now, &c) == -1);
    CHECK(verify("a.b.c", now, &c) == -1);
    CHECK(verify("a.b.c.d", now, &c) == -1);
    {
        char big[HD_JWT_MAX_LEN + 10];
        memset(big, 'a', sizeof(big) - 1);
        big[sizeof(big) - 1] = '\0';
        big[10] = '.';
        big[20] = '.';
        CHECK(verify(big, now, &c) == -1);
    }

    /* sign -> verify round trip */
    t = hd_jwt_sign(42, "a@b.c", "Employee", now, 3600, KEY, KLEN);
    CHECK(t != NULL);
    CHECK(verify(t, now, &c) == 0 && c.sub == 42 && c.iat == now);
    CHECK(verify(t, now + 3600, &c) == -1);
    {
        jwt_t *j = NULL;
        CHECK(jwt_decode(&j, t, KEY, (int)KLEN) == 0);
        CHECK_STR(jwt_get_grant(j, "email"), "a@b.c");
        CHECK_STR(jwt_get_grant(j, "role"), "Employee");
        CHECK(jwt_get_grant_int(j, "exp") == now + 3600);
        CHECK(jwt_get_alg(j) == JWT_ALG_HS256);
        jwt_free(j);
    }
    free(t);
    CHECK(hd_jwt_sign(0, "a", "b", now, 10, KEY, KLEN) == NULL);

    /* tokens transform */
    {
        const char *data = "{\"user\":{\"id\":42,\"email\":\"a@b.c\"},\"refreshToken\":\"opaque\","
                           "\"accessClaims\":{\"sub\":42,\"email\":\"a@b.c\",\"role\":\"Admin\"}}";
        char *out = hd_tokens_transform(data, strlen(data), now, 600, KEY, KLEN);
        json_t *o;
        CHECK(out != NULL);
        o = out ? json_loads(out, 0, NULL) : NULL;
        CHECK(o != NULL && json_object_get(o, "accessClaims") == NULL);
        CHECK(o != NULL && json_is_string(json_object_get(o, "accessToken")));
        CHECK(o != NULL && json_is_string(json_object_get(o, "refreshToken")));
        CHECK(o != NULL && json_integer_value(json_object_get(json_object_get(o, "user"), "id")) == 42);
        if (o != NULL) {
            const char *tok = json_string_value(json_object_get(o, "accessToken"));
            CHECK(verify(tok, now, &c) == 0 && c.sub == 42);
        }
        json_decref(o);
        free(out);
        CHECK(hd_tokens_transform("{\"user\":{}}", 11, now, 600, KEY, KLEN) == NULL);
        CHECK(hd_tokens_transform("{\"accessClaims\":{\"sub\":\"x\"}}", 28, now, 600, KEY, KLEN) == NULL);
        CHECK(hd_tokens_transform("[1]", 3, now, 600, KEY, KLEN) == NULL);
    }

    /* Authorization header */
    {
        const char *tok;
        size_t len;
        CHECK(hd_bearer_token("Bearer abc", 10, &tok, &len) == 0 && len == 3 && memcmp(tok, "abc", 3) == 0);
        CHECK(hd_bearer_token("bearer  abc ", 12, &tok, &len) == 0 && len == 3);
        CHECK(hd_bearer_token("abc", 3, &tok, &len) == -1);
        CHECK(hd_bearer_token("Basic abc", 9, &tok, &len) == -1);
        CHECK(hd_bearer_token("Bearer ", 7, &tok, &len) == -1);
    }
    /* the per-thread cache of verified tokens answers exactly as hd_jwt_verify */
    {
        static const unsigned char other[] = "another-secret-another-secret-xx";
        hd_claims_t c2 = {0, 0, 0};
        char *t2;
        size_t n;
        t = make(JWT_ALG_HS256, KEY, KLEN, "{\"sub\":9,\"iat\":1799999000,\"exp\":1800003600}");
        n = strlen(t);
        CHECK(hd_jwt_verify_cached(t, n, KEY, KLEN, now, &c) == 0 && c.sub == 9 && c.iat == 1799999000);
        CHECK(hd_jwt_verify_cached(t, n, KEY, KLEN, now + 10, &c2) == 0 && c2.sub == 9 && c2.iat == 1799999000); /* hit */
        CHECK(hd_jwt_verify_cached(t, n, KEY, KLEN, 1800003600, &c) == -1);  /* exp reached, cached or not */
        CHECK(hd_jwt_verify_cached(t, n, other, sizeof(other) - 1, now, &c) == -1); /* another key */
        CHECK(hd_jwt_verify_cached(t, n - 1, KEY, KLEN, now, &c) == -1);      /* a prefix of a cached token */
        t2 = strdup(t);
        t2[n - 2] = t2[n - 2] == 'A' ? 'B' : 'A'; /* same length, other signature */
        CHECK(hd_jwt_verify_cached(t2, n, KEY, KLEN, now, &c) == -1);
        CHECK(hd_jwt_verify_cached(t, n, KEY, KLEN, now, &c) == 0 && c.sub == 9);
        free(t2);
        free(t);
        t = make(JWT_ALG_HS512, KEY, KLEN, "{\"sub\":7,\"iat\":1799999000,\"exp\":1800003600}");
        CHECK(hd_jwt_verify_cached(t, strlen(t), KEY, KLEN, now, &c) == -1);
        free(t);
    }
    /* the token step per auth mode: header absent, valid, invalid (and ?access_token=) */
    {
        char *good = make(JWT_ALG_HS256, KEY, KLEN, "{\"sub\":11,\"iat\":1799999000,\"exp\":1800003600}");
        char *expired = make(JWT_ALG_HS256, KEY, KLEN, "{\"sub\":11,\"iat\":1799999000,\"exp\":1799999999}");
        char hgood[1024], hexpired[1024];
        const char *garbage = "Bearer not.a.token", *basic = "Basic dXNlcjpwYXNz";
        hd_auth_mode_t modes[] = {HD_AUTH_PUBLIC, HD_AUTH_TOKEN, HD_AUTH_OPTIONAL};
        size_t i;
#define AUTH(mode, h, q) authenticate((mode), (h), (q), now, &c)
        snprintf(hgood, sizeof(hgood), "Bearer %s", good);
        snprintf(hexpired, sizeof(hexpired), "Bearer %s", expired);

        /* PUBLIC: never looks at a token, whatever is sent */
        CHECK(AUTH(HD_AUTH_PUBLIC, NULL, NULL) == HD_AUTH_ANONYMOUS);
        CHECK(AUTH(HD_AUTH_PUBLIC, hgood, NULL) == HD_AUTH_ANONYMOUS);
        CHECK(AUTH(HD_AUTH_PUBLIC, garbage, NULL) == HD_AUTH_ANONYMOUS);
        /* TOKEN: only a valid token passes */
        CHECK(AUTH(HD_AUTH_TOKEN, NULL, NULL) == HD_AUTH_REFUSED);
        c.sub = 0;
        CHECK(AUTH(HD_AUTH_TOKEN, hgood, NULL) == HD_AUTH_USER && c.sub == 11 && c.iat == 1799999000);
        CHECK(AUTH(HD_AUTH_TOKEN, hexpired, NULL) == HD_AUTH_REFUSED);
        CHECK(AUTH(HD_AUTH_TOKEN, garbage, NULL) == HD_AUTH_REFUSED);
        CHECK(AUTH(HD_AUTH_TOKEN, basic, NULL) == HD_AUTH_REFUSED);
        CHECK(AUTH(HD_AUTH_TOKEN, "", NULL) == HD_AUTH_REFUSED);
        /* OPTIONAL: anonymous without a header, the user with a valid token, never anonymous
         * with a bad one */
        CHECK(AUTH(HD_AUTH_OPTIONAL, NULL, NULL) == HD_AUTH_ANONYMOUS);
        c.sub = 0;
        CHECK(AUTH(HD_AUTH_OPTIONAL, hgood, NULL) == HD_AUTH_USER && c.sub == 11);
        CHECK(AUTH(HD_AUTH_OPTIONAL, hexpired, NULL) == HD_AUTH_REFUSED);
        CHECK(AUTH(HD_AUTH_OPTIONAL, garbage, NULL) == HD_AUTH_REFUSED);
        CHECK(AUTH(HD_AUTH_OPTIONAL, basic, NULL) == HD_AUTH_REFUSED);
        CHECK(AUTH(HD_AUTH_OPTIONAL, "", NULL) == HD_AUTH_REFUSED);
        /* ?access_token= (stream routes): a credential like the header; the header wins */
        CHECK(AUTH(HD_AUTH_TOKEN, NULL, good) == HD_AUTH_USER && c.sub == 11);
        CHECK(AUTH(HD_AUTH_TOKEN, NULL, expired) == HD_AUTH_REFUSED);
        CHECK(AUTH(HD_AUTH_TOKEN, NULL, "") == HD_AUTH_REFUSED);
        CHECK(AUTH(HD_AUTH_OPTIONAL, NULL, "") == HD_AUTH_REFUSED);
        CHECK(AUTH(HD_AUTH_OPTIONAL, NULL, expired) == HD_AUTH_REFUSED);
        CHECK(AUTH(HD_AUTH_OPTIONAL, NULL, good) == HD_AUTH_USER);
        CHECK(AUTH(HD_AUTH_TOKEN, garbage, good) == HD_AUTH_REFUSED);
        CHECK(AUTH(HD_AUTH_TOKEN, hgood, "junk") == HD_AUTH_USER);
        /* the same answers a second time (from the cache) */
        for (i = 0; i < sizeof(modes) / sizeof(modes[0]); i++)
            CHECK(AUTH(modes[i], hexpired, NULL) == (modes[i] == HD_AUTH_PUBLIC ? HD_AUTH_ANONYMOUS : HD_AUTH_REFUSED));
#undef AUTH
        free(good);
        free(expired);
    }
    T_DONE();
}
