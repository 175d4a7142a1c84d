/* fuzz.h: what the libFuzzer targets share. */
#ifndef HD_FUZZ_H
#define HD_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* An invariant that does not hold is a bug: abort, so libFuzzer saves the input. */
#define FUZZ_ASSERT(cond)                                                                                                          \
    do {                                                                                                                           \
        if (!(cond)) {                                                                                                             \
            fprintf(stderr, "invariant failed at %s:%d: %s\n", __FILE__, __LINE__, #cond);                                        \
            abort();                                                                                                               \
        }                                                                                                                          \
    } while (0)

/* A copy of data in an allocation of exactly len bytes, so AddressSanitizer sees any read past it. */
static inline char *fuzz_dup(const uint8_t *data, size_t len)
{
    char *p = malloc(len ? len : 1);
    FUZZ_ASSERT(p != NULL);
    if (len)
        memcpy(p, data, len);
    return p;
}

/* Deterministic pseudo-random numbers seeded from the input (the same input always runs the same way). */
static inline uint64_t fuzz_seed(const uint8_t *data, size_t len)
{
    uint64_t h = 0xcbf29ce484222325ULL;
    size_t i;
    for (i = 0; i < len; i++)
        h = (h ^ data[i]) * 0x100000001b3ULL;
    return h | 1;
}

static inline uint64_t fuzz_next(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

#endif
