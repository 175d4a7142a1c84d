/* sqlstate.h: what an SQL error means over HTTP (docs/REQUEST-CONTRACT.md, "Errors"). No
 * dependencies: one table and one lookup, unit-tested in http/tests/test_sqlstate.c. */
#ifndef HD_SQLSTATE_H
#define HD_SQLSTATE_H

#include <stddef.h>

/* One row of the table: a 5-character SQLSTATE, or a 2-character class ("08": every code of
 * that class). An exact code wins over its class. */
typedef struct hd_sqlstate_rule {
    const char *code;
    int status;
    const char *message; /* the envelope message; the SQL text is never echoed for these */
    int retry_after;     /* seconds for Retry-After, 0: none */
    int log;             /* 1: the real error goes to the server log */
} hd_sqlstate_rule_t;

extern const hd_sqlstate_rule_t hd_sqlstate_rules[];
extern const size_t hd_sqlstate_rule_count;

typedef struct hd_sqlerr_map {
    int status;
    int retry_after;
    const char *message; /* NULL: the SQL error's own message (HDxxx codes) */
    int log;
} hd_sqlerr_map_t;

/* The answer for an error with this SQLSTATE (may be NULL) and HINT (may be NULL):
 *   HD400..HD599 -> that status with the SQL message (HD429: Retry-After from the HINT, else 60;
 *                   HD500: "Internal server error", logged; other 5xx logged too);
 *   a row of the table (exact code, then class);
 *   anything else (unknown, NULL, not 5 characters) -> 500 "Internal server error", logged. */
void hd_map_sqlstate(const char *sqlstate, const char *hint, hd_sqlerr_map_t *out);

#endif
