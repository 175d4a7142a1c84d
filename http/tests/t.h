/* t.h: minimal unit-test macros. Each program prints "N passed, N failed", writes "N N" to the
 * file named by HD_RESULT_FILE when it is set (the harness reads that, not the text), and exits
 * non-zero on failure. */
#ifndef HD_T_H
#define HD_T_H
#include <stdio.h>
#include <stdlib.h>
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
static void t_write_result(void)
{
    const char *path = getenv("HD_RESULT_FILE");
    FILE *f;
    if (path != NULL && path[0] != '\0' && (f = fopen(path, "w")) != NULL) {
        fprintf(f, "%d %d\n", t_passed, t_failed);
        fclose(f);
    }
}
#define T_DONE()                                                                                                                   \
    do {                                                                                                                           \
        printf("%d passed, %d failed\n", t_passed, t_failed);                                                                      \
        t_write_result();                                                                                                          \
        return t_failed ? 1 : 0;                                                                                                   \
    } while (0)
#endif
