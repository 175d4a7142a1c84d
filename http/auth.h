/* auth.h: JWT HS256 verification and signing (libjwt 1.10), and the token step of a request. */
#ifndef HD_AUTH_H
#define HD_AUTH_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "routes.h"

#define HD_JWT_MAX_LEN 4096
/* Clock skew allowed on iat and nbf (seconds): servers behind one balancer disagree a little. */
#define HD_JWT_LEEWAY 60
/* The longest lifetime (exp - iat) a token may claim: the longest JWT_EXPIRES_IN (config.c). */
#define HD_JWT_MAX_LIFETIME 315360000LL

typedef struct hd_claims {
    long long sub;
    long long iat; /* issued at: required, so always > 0 in a verified token */
    long long exp; /* expiry (a stream ends then, http/sse.c) */
} hd_claims_t;

/* Verify an HS256 token (not NUL-terminated). Returns 0 and fills *out when valid, -1 otherwise. */
int hd_jwt_verify(const char *token, size_t len, const unsigned char *key, size_t key_len, time_t now, hd_claims_t *out);

/* The same, with a per-thread cache of tokens already verified (same answers, including exp).
 * key must stay valid and unchanged for the life of the process (the server's secret). */
int hd_jwt_verify_cached(const char *token, size_t len, const unsigned char *key, size_t key_len, time_t now,
                         hd_claims_t *out);

/* Free the calling thread's cache (at the thread's end). */
void hd_auth_thread_free(void);

/* Sign {sub, email, role, iat, exp}. Returns a malloc'd token or NULL. */
char *hd_jwt_sign(long long sub, const char *email, const char *role, time_t now, int64_t expires_in, const unsigned char *key,
                  size_t key_len);

/* Response kind `tokens`: replace "accessClaims": {sub, email, role} in the JSON object `data`
 * with "accessToken": "<jwt>". Returns malloc'd JSON text, or NULL when the claims are missing/bad. */
char *hd_tokens_transform(const char *data, size_t len, time_t now, int64_t expires_in, const unsigned char *key, size_t key_len);

/* Extract the token from an Authorization header value ("Bearer <token>"); returns 0 or -1. */
int hd_bearer_token(const char *value, size_t len, const char **token, size_t *token_len);

typedef enum {
    HD_AUTH_ANONYMOUS, /* run with an empty actor */
    HD_AUTH_USER,      /* run as claims->sub */
    HD_AUTH_REFUSED,   /* 401 Invalid or expired token */
} hd_auth_outcome_t;

/* The token step of one request (routes.h: PUBLIC, TOKEN, OPTIONAL), decided from what the
 * client sent: the Authorization header's value (NULL: no header) and, for stream routes, the
 * ?access_token= value (NULL: no such parameter). Any Authorization header counts as a
 * credential, so a malformed or expired one is refused even where anonymity is allowed.
 * Nothing but the per-thread token cache is touched. */
hd_auth_outcome_t hd_authenticate(hd_auth_mode_t mode, const char *header, size_t header_len, const char *query_token,
                                  size_t query_token_len, const unsigned char *key, size_t key_len, time_t now,
                                  hd_claims_t *claims);

#endif
