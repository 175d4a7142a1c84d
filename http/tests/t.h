/* t.h: minimal unit-test macros. Each program prints "N passed, N failed" and exits non-zero on failure. */
#ifndef HD_T_H
#define HD_T_H
#include <stdio.h>
#include <string.h>

static int t_passed, t_failed;
#define CHECK(cond)                                                                                                                \
    do {                                                                                                                           \
        if (cond) {                                                                                                                \
            t_passed++;                                                                                                            \
        } else {                                                                                                                   \
            t_failed++;                                                                                                            \
            fprintf(stderr, "FAIL %s:%d: %s\n", __FILE__, __LINE__, #cond);                                                       \
        }                                                                                                                          \
    } while (0)
#define CHECK_STR(a, b) CHECK((a) != NULL && strcmp((a), (b)) == 0)
#define T_DONE()                                                                                                                   \
    do {                                                                                                                           \
        printf("%d passed, %d failed\n", t_passed, t_failed);                                                                      \
        return t_failed ? 1 : 0;                                                                                                   \
    } while (0)
#endif
