/* auth.h: JWT HS256 verification and signing (libjwt 1.10). */
#ifndef HD_AUTH_H
#define HD_AUTH_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#define HD_JWT_MAX_LEN 4096

typedef struct hd_claims {
    long long sub;
    long long iat; /* -1 when absent */
} hd_claims_t;

/* Verify an HS256 token (not NUL-terminated). Returns 0 and fills *out when valid, -1 otherwise. */
int hd_jwt_verify(const char *token, size_t len, const unsigned char *key, size_t key_len, time_t now, hd_claims_t *out);

/* Sign {sub, email, role, iat, exp}. Returns a malloc'd token or NULL. */
char *hd_jwt_sign(long long sub, const char *email, const char *role, time_t now, int64_t expires_in, const unsigned char *key,
                  size_t key_len);

/* Response kind `tokens`: replace "accessClaims": {sub, email, role} in the JSON object `data`
 * with "accessToken": "<jwt>". Returns malloc'd JSON text, or NULL when the claims are missing/bad. */
char *hd_tokens_transform(const char *data, size_t len, time_t now, int64_t expires_in, const unsigned char *key, size_t key_len);

/* Extract the token from an Authorization header value ("Bearer <token>"); returns 0 or -1. */
int hd_bearer_token(const char *value, size_t len, const char **token, size_t *token_len);

#endif
