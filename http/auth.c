/* auth.c: JWT verification (HS256 only, signature, numeric exp in the future, integer sub > 0,
 * integer iat not in the future, a lifetime the server could have issued, nbf honoured),
 * signing for routes that issue tokens, and the token step of a request (PUBLIC, TOKEN,
 * OPTIONAL). */
#include "auth.h"

#include <errno.h>
#include <jansson.h>
#include <jwt.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static int b64url_ok(const char *s, size_t len)
{
    size_t i, dots = 0;
    for (i = 0; i < len; i++) {
        char c = s[i];
        if (c == '.')
            dots++;
        else if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_'))
            return 0;
    }
    return dots == 2;
}

/* A numeric claim: 1 with *out when it is a JSON integer, 0 when absent, -1 for anything else
 * (libjwt 1.10 reads a string, real or null as 0, which would pass for an integer). */
static int integer_claim(jwt_t *jwt, const char *name, long long *out)
{
    char *text = jwt_get_grants_json(jwt, name), *end;
    int rc = -1;
    if (text == NULL)
        return 0;
    errno = 0;
    *out = strtoll(text, &end, 10);
    if (errno == 0 && end != text && *end == '\0' && (text[0] == '-' || (text[0] >= '0' && text[0] <= '9')))
        rc = 1;
    free(text);
    return rc;
}

static int verify(const char *token, size_t len, const unsigned char *key, size_t key_len, time_t now, hd_claims_t *out,
                  long long *exp_out)
{
    char buf[HD_JWT_MAX_LEN + 1];
    jwt_t *jwt = NULL;
    const char *alg;
    long exp, sub;
    long long iat, nbf;
    int ret = -1, has_nbf;

    if (token == NULL || len == 0 || len > HD_JWT_MAX_LEN || key == NULL || key_len == 0 || !b64url_ok(token, len))
        return -1;
    memcpy(buf, token, len);
    buf[len] = '\0';
    if (jwt_decode(&jwt, buf, key, (int)key_len) != 0 || jwt == NULL)
        return -1;
    /* HS256 spelt exactly: alg is case-sensitive (RFC 7515), libjwt compares it ignoring case
     * (found by tests/fuzz/fuzz_jwt) */
    if (jwt_get_alg(jwt) != JWT_ALG_HS256 || (alg = jwt_get_header(jwt, "alg")) == NULL || strcmp(alg, "HS256") != 0)
        goto Exit;
    errno = 0;
    exp = jwt_get_grant_int(jwt, "exp");
    if (errno != 0 || exp <= 0 || (long long)exp <= (long long)now)
        goto Exit;
    errno = 0;
    sub = jwt_get_grant_int(jwt, "sub");
    if (errno != 0 || sub <= 0 || sub > 2147483647L)
        goto Exit;
    /* iat is required: the database refuses a token issued before the user's last password
     * change (helpdesk.current_actor), which needs to know when it was issued. Not in the future
     * (beyond clock skew), before exp, and no token lives longer than the server would issue. */
    if (integer_claim(jwt, "iat", &iat) != 1 || iat <= 0 || iat > (long long)now + HD_JWT_LEEWAY || exp <= iat ||
        (long long)exp - iat > HD_JWT_MAX_LIFETIME)
        goto Exit;
    /* nbf, when present, is honoured (RFC 7519 4.1.5) */
    if ((has_nbf = integer_claim(jwt, "nbf", &nbf)) == -1 || (has_nbf == 1 && nbf > (long long)now + HD_JWT_LEEWAY))
        goto Exit;
    out->sub = sub;
    out->iat = iat;
    out->exp = exp;
    *exp_out = exp;
    ret = 0;
Exit:
    jwt_free(jwt);
    return ret;
}

int hd_jwt_verify(const char *token, size_t len, const unsigned char *key, size_t key_len, time_t now, hd_claims_t *out)
{
    long long exp;
    return verify(token, len, key, key_len, now, out, &exp);
}

/* Per-thread cache of verified tokens: a client sends the same token on every request, and
 * verifying it (base64, two JSON parses, HMAC) is most of the server's own work per request.
 * Direct-mapped by a hash seeded per process; a hit needs the same key (pointer and length)
 * and the same token bytes (compared in constant time), and still checks exp against now.
 * Only tokens that passed verify() are stored, so a hit answers exactly as verify() would. */
#define CACHE_SLOTS 256
#define CACHE_TOKEN_MAX 1024

struct cache_entry {
    const unsigned char *key;
    size_t key_len;
    size_t len; /* 0: empty */
    long long exp;
    hd_claims_t claims;
    char token[CACHE_TOKEN_MAX];
};

static __thread struct cache_entry *cache;
static uint64_t cache_seed;
static pthread_once_t cache_seed_once = PTHREAD_ONCE_INIT;

static void init_seed(void)
{
    if (RAND_bytes((unsigned char *)&cache_seed, sizeof(cache_seed)) != 1)
        cache_seed = (uint64_t)time(NULL) * 0x9E3779B97F4A7C15ULL;
}

static size_t slot_of(const char *s, size_t len)
{
    uint64_t h = 0xcbf29ce484222325ULL ^ cache_seed;
    size_t i;
    for (i = 0; i < len; i++)
        h = (h ^ (unsigned char)s[i]) * 0x100000001b3ULL;
    h ^= h >> 29;
    return (size_t)(h % CACHE_SLOTS);
}

int hd_jwt_verify_cached(const char *token, size_t len, const unsigned char *key, size_t key_len, time_t now, hd_claims_t *out)
{
    struct cache_entry *e;
    hd_claims_t c;
    long long exp;

    if (len == 0 || len > CACHE_TOKEN_MAX)
        return hd_jwt_verify(token, len, key, key_len, now, out);
    pthread_once(&cache_seed_once, init_seed);
    if (cache == NULL && (cache = calloc(CACHE_SLOTS, sizeof(*cache))) == NULL)
        return hd_jwt_verify(token, len, key, key_len, now, out);
    e = &cache[slot_of(token, len)];
    if (e->len == len && e->key == key && e->key_len == key_len && CRYPTO_memcmp(e->token, token, len) == 0) {
        if (e->exp <= (long long)now)
            return -1;
        *out = e->claims;
        return 0;
    }
    if (verify(token, len, key, key_len, now, &c, &exp) != 0)
        return -1;
    e->key = key;
    e->key_len = key_len;
    e->len = len;
    e->exp = exp;
    e->claims = c;
    memcpy(e->token, token, len);
    *out = c;
    return 0;
}

void hd_auth_thread_free(void)
{
    free(cache);
    cache = NULL;
}

char *hd_jwt_sign(long long sub, const char *email, const char *role, time_t now, int64_t expires_in, const unsigned char *key,
                  size_t key_len)
{
    jwt_t *jwt = NULL;
    char *tok = NULL;
    if (sub <= 0 || key == NULL || key_len == 0 || jwt_new(&jwt) != 0)
        return NULL;
    if (jwt_add_grant_int(jwt, "sub", (long)sub) != 0 || (email != NULL && jwt_add_grant(jwt, "email", email) != 0) ||
        (role != NULL && jwt_add_grant(jwt, "role", role) != 0) || jwt_add_grant_int(jwt, "iat", (long)now) != 0 ||
        jwt_add_grant_int(jwt, "exp", (long)(now + expires_in)) != 0 || jwt_set_alg(jwt, JWT_ALG_HS256, key, (int)key_len) != 0)
        goto Exit;
    tok = jwt_encode_str(jwt);
Exit:
    jwt_free(jwt);
    return tok;
}

int hd_bearer_token(const char *v, size_t len, const char **token, size_t *token_len)
{
    size_t s;
    if (len < 7 || strncasecmp(v, "Bearer ", 7) != 0)
        return -1;
    s = 7;
    while (s < len && v[s] == ' ')
        s++;
    while (len > s && (v[len - 1] == ' ' || v[len - 1] == '\t'))
        len--;
    if (s == len)
        return -1;
    *token = v + s;
    *token_len = len - s;
    return 0;
}

hd_auth_outcome_t hd_authenticate(hd_auth_mode_t mode, const char *header, size_t header_len, const char *query_token,
                                  size_t query_token_len, const unsigned char *key, size_t key_len, time_t now,
                                  hd_claims_t *claims)
{
    const char *tok;
    size_t tlen;
    if (mode == HD_AUTH_PUBLIC)
        return HD_AUTH_ANONYMOUS; /* as the reference's @Public(): the token is not even parsed */
    if (header != NULL) {
        if (hd_bearer_token(header, header_len, &tok, &tlen) != 0)
            return HD_AUTH_REFUSED;
    } else if (query_token != NULL) {
        tok = query_token;
        tlen = query_token_len;
    } else {
        return mode == HD_AUTH_OPTIONAL ? HD_AUTH_ANONYMOUS : HD_AUTH_REFUSED;
    }
    return hd_jwt_verify_cached(tok, tlen, key, key_len, now, claims) == 0 ? HD_AUTH_USER : HD_AUTH_REFUSED;
}

char *hd_tokens_transform(const char *data, size_t len, time_t now, int64_t expires_in, const unsigned char *key, size_t key_len)
{
    json_t *obj, *claims, *sub, *email, *role;
    char *tok = NULL, *out = NULL;
    if ((obj = json_loadb(data, len, JSON_DECODE_ANY, NULL)) == NULL)
        return NULL;
    if (!json_is_object(obj) || !json_is_object(claims = json_object_get(obj, "accessClaims")))
        goto Exit;
    sub = json_object_get(claims, "sub");
    email = json_object_get(claims, "email");
    role = json_object_get(claims, "role");
    if (!json_is_integer(sub) || json_integer_value(sub) <= 0 || json_integer_value(sub) > 2147483647 ||
        (email != NULL && !json_is_string(email) && !json_is_null(email)) || (role != NULL && !json_is_string(role) && !json_is_null(role)))
        goto Exit;
    tok = hd_jwt_sign(json_integer_value(sub), json_is_string(email) ? json_string_value(email) : NULL,
                      json_is_string(role) ? json_string_value(role) : NULL, now, expires_in, key, key_len);
    if (tok == NULL)
        goto Exit;
    json_object_del(obj, "accessClaims");
    json_object_set_new(obj, "accessToken", json_string(tok));
    out = json_dumps(obj, JSON_COMPACT | JSON_REAL_PRECISION(15));
Exit:
    free(tok);
    json_decref(obj);
    return out;
}
