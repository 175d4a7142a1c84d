/* buf.h: a growable byte buffer and JSON string escaping (header-only helpers). */
#ifndef HD_BUF_H
#define HD_BUF_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct hd_buf {
    char *base;
    size_t len, cap;
} hd_buf_t;

static inline void hd_buf_reserve(hd_buf_t *b, size_t extra)
{
    if (b->len + extra + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->len + extra + 1)
            cap *= 2;
        b->base = realloc(b->base, cap);
        if (b->base == NULL)
            abort();
        b->cap = cap;
    }
}

static inline void hd_buf_append(hd_buf_t *b, const char *s, size_t len)
{
    hd_buf_reserve(b, len);
    memcpy(b->base + b->len, s, len);
    b->len += len;
    b->base[b->len] = '\0';
}

#define hd_buf_lit(b, s) hd_buf_append((b), (s), sizeof(s) - 1)

static inline void hd_buf_str(hd_buf_t *b, const char *s)
{
    hd_buf_append(b, s, strlen(s));
}

static inline void hd_buf_free(hd_buf_t *b)
{
    free(b->base);
    b->base = NULL;
    b->len = b->cap = 0;
}

/* Append s as a JSON string literal (quotes included). s must be valid UTF-8. */
static inline void hd_buf_json_str(hd_buf_t *b, const char *s, size_t len)
{
    static const char hex[] = "0123456789abcdef";
    size_t i;
    hd_buf_reserve(b, len + 2);
    b->base[b->len++] = '"';
    for (i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        hd_buf_reserve(b, 7);
        if (c == '"' || c == '\\') {
            b->base[b->len++] = '\\';
            b->base[b->len++] = (char)c;
        } else if (c < 0x20) {
            b->base[b->len++] = '\\';
            switch (c) {
            case '\n': b->base[b->len++] = 'n'; break;
            case '\r': b->base[b->len++] = 'r'; break;
            case '\t': b->base[b->len++] = 't'; break;
            case '\b': b->base[b->len++] = 'b'; break;
            case '\f': b->base[b->len++] = 'f'; break;
            default:
                memcpy(b->base + b->len, "u00", 3);
                b->len += 3;
                b->base[b->len++] = hex[c >> 4];
                b->base[b->len++] = hex[c & 15];
            }
        } else {
            b->base[b->len++] = (char)c;
        }
    }
    hd_buf_reserve(b, 1);
    b->base[b->len++] = '"';
    b->base[b->len] = '\0';
}

#endif
