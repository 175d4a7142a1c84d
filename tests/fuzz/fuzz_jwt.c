/* fuzz_jwt.c: JWT handling of helpdesk-http (http/auth.c): the Authorization header, token
 * verification (hd_jwt_verify and its per-thread cache), and the `tokens` response transform.
 *
 * Input: byte 0 picks the mode (its low 2 bits), the rest is the mode's material:
 *   0  raw: an Authorization header value ("Bearer <token>"), verified as the server does;
 *      the seed corpus holds tokens signed with the fuzz secret so mutations start valid.
 *   1  signed raw: the bytes are a JWT header and payload (split at a length taken from the
 *      first byte), base64url-encoded and signed with HMAC-SHA256 here (with a wrong secret
 *      when the high 4 bits of byte 0 are set), so the fuzzer reaches libjwt's JSON handling
 *      and our claim checks behind the signature.
 *   2  structured: header and claims built from choices (alg, typ, sub, exp, iat of every JSON
 *      type and edge value), signed with the right or a wrong secret, maybe tampered with.
 *   3  tokens transform: the bytes are the JSON `data` of a login response.
 *
 * Invariants: a verified token has an HS256 header, a signature that HMAC-SHA256 with the
 * secret gives, an integer sub in 1..2147483647 equal to the claims returned, an integer exp
 * after now, an integer iat in 1..now + HD_JWT_LEEWAY equal to the claims' and before exp, a
 * lifetime exp - iat of at most HD_JWT_MAX_LIFETIME, no nbf or an integer one at most
 * now + HD_JWT_LEEWAY; the cached verification answers as the uncached one; a well-formed token
 * (structured mode) is accepted exactly when alg is HS256, the secret is right, it was not
 * tampered with, sub, exp, iat and nbf are as above and it is at most HD_JWT_MAX_LEN long; the transform's output is a JSON object
 * whose accessToken verifies with the claims' sub, without accessClaims, other members kept. */
#include <jansson.h>
#include <limits.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <strings.h>

#include "../../http/auth.h"
#include "../../http/buf.h"
#include "fuzz.h"

static const unsigned char secret[] = "helpdesk-fuzz-secret-0123456789abcdef";
static const unsigned char wrong_secret[] = "helpdesk-fuzz-secret-0123456789abcdeF";
#define SECRET_LEN (sizeof(secret) - 1)
#define NOW ((time_t)1750000000)

static const char b64url[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

static void b64url_encode(hd_buf_t *b, const unsigned char *s, size_t len)
{
    size_t i;
    for (i = 0; i + 2 < len; i += 3) {
        char q[4] = {b64url[s[i] >> 2], b64url[((s[i] & 3) << 4) | (s[i + 1] >> 4)], b64url[((s[i + 1] & 15) << 2) | (s[i + 2] >> 6)],
                     b64url[s[i + 2] & 63]};
        hd_buf_append(b, q, 4);
    }
    if (len - i == 1) {
        char q[2] = {b64url[s[i] >> 2], b64url[(s[i] & 3) << 4]};
        hd_buf_append(b, q, 2);
    } else if (len - i == 2) {
        char q[3] = {b64url[s[i] >> 2], b64url[((s[i] & 3) << 4) | (s[i + 1] >> 4)], b64url[(s[i + 1] & 15) << 2]};
        hd_buf_append(b, q, 3);
    }
}

/* Decoded bytes of unpadded base64url (NUL-terminated copy in out), or -1. */
static long b64url_decode(const char *s, size_t len, hd_buf_t *out)
{
    size_t i;
    unsigned int acc = 0, bits = 0;
    if (len % 4 == 1)
        return -1;
    for (i = 0; i < len; i++) {
        const char *p = memchr(b64url, s[i], 64);
        if (p == NULL || s[i] == '\0')
            return -1;
        acc = (acc << 6) | (unsigned int)(p - b64url);
        bits += 6;
        if (bits >= 8) {
            char c = (char)((acc >> (bits - 8)) & 0xFF);
            bits -= 8;
            hd_buf_append(out, &c, 1);
        }
    }
    hd_buf_lit(out, "");
    return (long)out->len;
}

static void sign(hd_buf_t *tok, const unsigned char *key, size_t key_len)
{
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int mac_len = 0;
    FUZZ_ASSERT(HMAC(EVP_sha256(), key, (int)key_len, (const unsigned char *)tok->base, tok->len, mac, &mac_len) != NULL);
    hd_buf_lit(tok, ".");
    b64url_encode(tok, mac, mac_len);
}

/* The token was verified: check it from first principles; returns its exp. */
static long long check_verified(const char *tok, size_t len, const hd_claims_t *c)
{
    const char *d1 = memchr(tok, '.', len), *d2;
    hd_buf_t head = {0}, body = {0}, resigned = {0};
    json_t *h, *p, *v;
    long long exp;

    FUZZ_ASSERT(d1 != NULL && (d2 = memchr(d1 + 1, '.', len - (size_t)(d1 + 1 - tok))) != NULL);
    /* the signature is HMAC-SHA256 with our secret of the first two parts */
    hd_buf_append(&resigned, tok, (size_t)(d2 - tok));
    sign(&resigned, secret, SECRET_LEN);
    FUZZ_ASSERT(resigned.len == len && memcmp(resigned.base, tok, len) == 0);
    /* libjwt reads the decoded parts as C strings */
    FUZZ_ASSERT(b64url_decode(tok, (size_t)(d1 - tok), &head) >= 0);
    FUZZ_ASSERT(b64url_decode(d1 + 1, (size_t)(d2 - d1 - 1), &body) >= 0);
    h = json_loads(head.base, 0, NULL);
    p = json_loads(body.base, 0, NULL);
    FUZZ_ASSERT(h != NULL && json_is_string(json_object_get(h, "alg")) && strcmp(json_string_value(json_object_get(h, "alg")), "HS256") == 0);
    FUZZ_ASSERT(p != NULL && json_is_object(p));
    v = json_object_get(p, "sub");
    FUZZ_ASSERT(json_is_integer(v) && json_integer_value(v) >= 1 && json_integer_value(v) <= INT_MAX && json_integer_value(v) == c->sub);
    v = json_object_get(p, "exp");
    FUZZ_ASSERT(json_is_integer(v) && json_integer_value(v) > (json_int_t)NOW);
    exp = json_integer_value(v);
    v = json_object_get(p, "iat");
    FUZZ_ASSERT(json_is_integer(v) && json_integer_value(v) >= 1 && json_integer_value(v) <= (json_int_t)NOW + HD_JWT_LEEWAY &&
                c->iat == json_integer_value(v));
    FUZZ_ASSERT(exp > c->iat && exp - c->iat <= HD_JWT_MAX_LIFETIME);
    v = json_object_get(p, "nbf");
    FUZZ_ASSERT(v == NULL || (json_is_integer(v) && json_integer_value(v) <= (json_int_t)NOW + HD_JWT_LEEWAY));
    json_decref(h);
    json_decref(p);
    hd_buf_free(&head);
    hd_buf_free(&body);
    hd_buf_free(&resigned);
    return exp;
}

/* Verify as the server does; returns 1 when accepted (all checks made). */
static int verify(const char *tok, size_t len)
{
    hd_claims_t a = {0}, b = {0}, c = {0};
    char *copy = fuzz_dup((const uint8_t *)tok, len);
    int ra = hd_jwt_verify(copy, len, secret, SECRET_LEN, NOW, &a);
    int rb = hd_jwt_verify_cached(copy, len, secret, SECRET_LEN, NOW, &b);
    int rc = hd_jwt_verify_cached(copy, len, secret, SECRET_LEN, NOW, &c); /* a cache hit when stored */
    FUZZ_ASSERT(ra == rb && rb == rc);
    if (ra == 0) {
        FUZZ_ASSERT(a.sub == b.sub && a.iat == b.iat && b.sub == c.sub && b.iat == c.iat);
        long long exp = check_verified(copy, len, &a);
        /* at exp it has expired, cached or not */
        if (exp <= (long long)LONG_MAX) {
            FUZZ_ASSERT(hd_jwt_verify(copy, len, secret, SECRET_LEN, (time_t)exp, &a) != 0);
            FUZZ_ASSERT(hd_jwt_verify_cached(copy, len, secret, SECRET_LEN, (time_t)exp, &b) != 0);
        }
    }
    free(copy);
    return ra == 0;
}

static void mode_raw(const uint8_t *data, size_t size)
{
    char *value = fuzz_dup(data, size);
    const char *tok = NULL;
    size_t tok_len = 0;
    if (hd_bearer_token(value, size, &tok, &tok_len) == 0) {
        FUZZ_ASSERT(tok >= value + 7 && tok_len > 0 && tok + tok_len <= value + size);
        FUZZ_ASSERT(tok[0] != ' ' && tok[tok_len - 1] != ' ' && tok[tok_len - 1] != '\t');
        verify(tok, tok_len);
    } else {
        /* refused: not "Bearer " + something other than blanks */
        size_t i = 7;
        if (size > 7 && strncasecmp(value, "Bearer ", 7) == 0) {
            while (i < size && (value[i] == ' ' || value[i] == '\t'))
                i++;
            FUZZ_ASSERT(i == size || value[7] == '\t');
        }
    }
    free(value);
}

static void mode_signed_raw(const uint8_t *data, size_t size, int wrong)
{
    hd_buf_t tok = {0};
    size_t hlen;
    if (size < 1)
        return;
    hlen = data[0] % size; /* then header bytes, then payload bytes */
    data++;
    size--;
    b64url_encode(&tok, data, hlen);
    hd_buf_lit(&tok, ".");
    b64url_encode(&tok, data + hlen, size - hlen);
    sign(&tok, wrong ? wrong_secret : secret, SECRET_LEN);
    if (verify(tok.base, tok.len))
        FUZZ_ASSERT(!wrong);
    hd_buf_free(&tok);
}

typedef struct reader {
    const uint8_t *p;
    size_t n;
} reader_t;

static unsigned take(reader_t *r)
{
    if (r->n == 0)
        return 0;
    r->n--;
    return *r->p++;
}

static long long take_int(reader_t *r)
{
    unsigned long long x = 0;
    int i;
    for (i = 0; i < 8; i++)
        x = (x << 8) | take(r);
    return (long long)x;
}

/* A claim value of every JSON type and edge value; *good = 1 when it is an integer in [lo, hi]. */
static json_t *claim(reader_t *r, long long base, long long lo, long long hi, int *good)
{
    long long v;
    json_t *j;
    switch (take(r) % 12) {
    case 0: v = base; break;
    case 1:
        v = (int16_t)(take(r) << 8);
        v = base + (int16_t)(v | take(r));
        break;
    case 2: v = lo - 1; break;
    case 3: v = lo; break;
    case 4: v = hi; break;
    case 5: v = hi < LLONG_MAX ? hi + 1 : LLONG_MIN; break;
    case 6: v = take_int(r); break;
    case 7: *good = 0; return json_string("1800000000");
    case 8: *good = 0; return json_real((double)base + 0.5);
    case 9: *good = 0; return json_null();
    case 10: *good = 0; return json_true();
    default: *good = 0; return NULL; /* absent */
    }
    j = json_integer(v);
    *good = v >= lo && v <= hi;
    return j;
}

static void mode_structured(const uint8_t *data, size_t size)
{
    static const char *const algs[] = {"HS256", "none", "NONE", "HS384", "HS512", "RS256", "hs256", "HS256 ", "", NULL};
    static const char *const typs[] = {NULL, "JWT", "jwt", "JWS", ""};
    reader_t r = {data, size};
    json_t *head = json_object(), *body = json_object(), *v;
    const char *alg = algs[take(&r) % 10], *typ = typs[take(&r) % 5];
    unsigned flags = take(&r);
    int sub_ok = 0, exp_ok = 0, iat_ok = 0, nbf_ok = 0, wrong = (flags & 7) == 0, tamper = (flags & 0x38) == 0, accepted;
    long long exp = 0, iat = 0;
    char *hs, *bs, *email;
    hd_buf_t tok = {0};
    size_t elen;

    if (alg != NULL)
        json_object_set_new(head, "alg", json_string(alg));
    if (typ != NULL)
        json_object_set_new(head, "typ", json_string(typ));
    if ((v = claim(&r, 42, 1, INT_MAX, &sub_ok)) != NULL)
        json_object_set_new(body, "sub", v);
    if ((v = claim(&r, (long long)NOW + 3600, (long long)NOW + 1, LLONG_MAX, &exp_ok)) != NULL) {
        exp = json_is_integer(v) ? json_integer_value(v) : 0;
        json_object_set_new(body, "exp", v);
    }
    if ((v = claim(&r, (long long)NOW - 60, 1, (long long)NOW + HD_JWT_LEEWAY, &iat_ok)) != NULL) {
        iat = json_is_integer(v) ? json_integer_value(v) : 0;
        json_object_set_new(body, "iat", v);
    }
    /* a lifetime the server could have issued */
    if (exp_ok && iat_ok && (exp <= iat || exp - iat > HD_JWT_MAX_LIFETIME))
        exp_ok = 0;
    /* nbf: absent, or an integer not after now (with the leeway) */
    if ((v = claim(&r, (long long)NOW - 60, LLONG_MIN + 1, (long long)NOW + HD_JWT_LEEWAY, &nbf_ok)) != NULL) {
        nbf_ok = json_is_integer(v) && json_integer_value(v) <= (json_int_t)NOW + HD_JWT_LEEWAY; /* any past one too */
        json_object_set_new(body, "nbf", v);
    } else {
        nbf_ok = 1;
    }
    /* the rest: an e-mail claim (skipped when not UTF-8 or holding a NUL, which JSON text
     * can only escape and libjwt's parser refuses) */
    elen = r.n;
    email = fuzz_dup(r.p, elen);
    if (memchr(email, '\0', elen) == NULL && (v = json_stringn(email, elen)) != NULL)
        json_object_set_new(body, "email", v);
    free(email);

    hs = json_dumps(head, JSON_COMPACT);
    bs = json_dumps(body, JSON_COMPACT);
    b64url_encode(&tok, (const unsigned char *)hs, strlen(hs));
    hd_buf_lit(&tok, ".");
    b64url_encode(&tok, (const unsigned char *)bs, strlen(bs));
    sign(&tok, wrong ? wrong_secret : secret, SECRET_LEN);
    if (tamper) {
        /* one character of the payload changed: the signature no longer matches */
        size_t dot = (size_t)((char *)memchr(tok.base, '.', tok.len) - tok.base), mid = dot + 1 + strlen(bs) / 3;
        tok.base[mid] = tok.base[mid] == 'A' ? 'B' : 'A';
    }
    accepted = verify(tok.base, tok.len);
    if (alg == NULL || strcmp(alg, "HS256") != 0 || wrong || tamper || !sub_ok || !exp_ok || !iat_ok || !nbf_ok ||
        tok.len > HD_JWT_MAX_LEN)
        FUZZ_ASSERT(!accepted);
    else if (typ == NULL || strcmp(typ, "JWT") == 0)
        FUZZ_ASSERT(accepted);
    free(hs);
    free(bs);
    json_decref(head);
    json_decref(body);
    hd_buf_free(&tok);
}

/* Numbers are written back with 15 significant digits: compare reals to that precision. */
static int near_equal(json_t *a, json_t *b)
{
    const char *k;
    json_t *x;
    size_t i;
    if (json_is_real(a) && json_is_real(b)) {
        double u = json_real_value(a), w = json_real_value(b), d = u > w ? u - w : w - u, m = u < 0 ? -u : u;
        return d <= m * 1e-14;
    }
    if (json_typeof(a) != json_typeof(b))
        return 0;
    if (json_is_object(a)) {
        if (json_object_size(a) != json_object_size(b))
            return 0;
        json_object_foreach(a, k, x) if (!near_equal(x, json_object_get(b, k))) return 0;
        return 1;
    }
    if (json_is_array(a)) {
        if (json_array_size(a) != json_array_size(b))
            return 0;
        json_array_foreach(a, i, x) if (!near_equal(x, json_array_get(b, i))) return 0;
        return 1;
    }
    return json_equal(a, b);
}

static void mode_tokens(const uint8_t *data, size_t size)
{
    char *in = fuzz_dup(data, size), *out = hd_tokens_transform(in, size, NOW, 3600, secret, SECRET_LEN);
    json_t *src = json_loadb(in, size, JSON_DECODE_ANY, NULL), *claims, *sub, *email, *role;
    int valid = 0;

    if (json_is_object(src) && json_is_object(claims = json_object_get(src, "accessClaims"))) {
        sub = json_object_get(claims, "sub");
        email = json_object_get(claims, "email");
        role = json_object_get(claims, "role");
        valid = json_is_integer(sub) && json_integer_value(sub) >= 1 && json_integer_value(sub) <= INT_MAX &&
                (email == NULL || json_is_string(email) || json_is_null(email)) && (role == NULL || json_is_string(role) || json_is_null(role));
    }
    if (out != NULL) {
        json_t *res = json_loads(out, 0, NULL), *tokv;
        hd_claims_t c = {0};
        FUZZ_ASSERT(valid && res != NULL && json_is_object(res) && json_object_get(res, "accessClaims") == NULL);
        tokv = json_object_get(res, "accessToken");
        FUZZ_ASSERT(json_is_string(tokv));
        FUZZ_ASSERT(hd_jwt_verify(json_string_value(tokv), json_string_length(tokv), secret, SECRET_LEN, NOW, &c) == 0);
        FUZZ_ASSERT(c.sub == json_integer_value(json_object_get(json_object_get(src, "accessClaims"), "sub")) && c.iat == (long long)NOW);
        FUZZ_ASSERT(hd_jwt_verify(json_string_value(tokv), json_string_length(tokv), secret, SECRET_LEN, NOW + 3600, &c) != 0);
        check_verified(json_string_value(tokv), json_string_length(tokv), &c);
        /* every other member is kept */
        json_object_del(src, "accessClaims");
        json_object_del(src, "accessToken");
        json_object_del(res, "accessToken");
        FUZZ_ASSERT(near_equal(src, res));
        json_decref(res);
    } else if (valid) {
        /* only libjwt's refusal of a claim value (e.g. an empty string) may stop a valid one */
        claims = json_object_get(src, "accessClaims");
        email = json_object_get(claims, "email");
        role = json_object_get(claims, "role");
        FUZZ_ASSERT((json_is_string(email) && json_string_length(email) == 0) || (json_is_string(role) && json_string_length(role) == 0));
    }
    json_decref(src);
    free(out);
    free(in);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1 || size > 8192)
        return 0;
    switch (data[0] & 3) {
    case 0: mode_raw(data + 1, size - 1); break;
    case 1: mode_signed_raw(data + 1, size - 1, (data[0] & 0xF0) == 0xF0); break;
    case 2: mode_structured(data + 1, size - 1); break;
    default: mode_tokens(data + 1, size - 1); break;
    }
    return 0;
}
