/* The SQLSTATE -> HTTP table (sqlstate.c): every row, the HDnnn rule, unknown and bad input. */
#include <stdlib.h>
#include <string.h>

#include "../sqlstate.h"
#include "t.h"

static int same(const hd_sqlerr_map_t *m, int status, const char *message, int retry_after, int log)
{
    if (m->status != status || m->retry_after != retry_after || m->log != log)
        return 0;
    if (message == NULL)
        return m->message == NULL;
    return m->message != NULL && strcmp(m->message, message) == 0;
}

#define INTERNAL "Internal server error"

int main(void)
{
    hd_sqlerr_map_t m;
    size_t i;
    char code[6];

    /* every row answers what it says, for its exact code or any code of its class */
    CHECK(hd_sqlstate_rule_count >= 19);
    for (i = 0; i < hd_sqlstate_rule_count; i++) {
        const hd_sqlstate_rule_t *r = &hd_sqlstate_rules[i];
        size_t len = strlen(r->code);
        CHECK(len == 5 || len == 2);
        CHECK(r->status >= 400 && r->status <= 599 && r->message != NULL && r->message[0] != '\0');
        snprintf(code, sizeof(code), "%s%s", r->code, len == 2 ? "Z99" : "");
        hd_map_sqlstate(code, "5", &m);
        if (!same(&m, r->status, r->message, r->retry_after, r->log))
            fprintf(stderr, "row %s: got %d %s\n", r->code, m.status, m.message ? m.message : "(null)");
        CHECK(same(&m, r->status, r->message, r->retry_after, r->log));
    }
    /* the contract's figures, spelled out */
    hd_map_sqlstate("23505", NULL, &m);
    CHECK(same(&m, 409, "Resource already exists", 0, 0));
    hd_map_sqlstate("23503", NULL, &m);
    CHECK(m.status == 409 && !m.log);
    hd_map_sqlstate("22P02", NULL, &m);
    CHECK(same(&m, 400, "Invalid input", 0, 0));
    hd_map_sqlstate("23514", NULL, &m);
    CHECK(m.status == 400);
    hd_map_sqlstate("42501", NULL, &m);
    CHECK(same(&m, 403, "Forbidden resource", 0, 0));
    hd_map_sqlstate("57014", NULL, &m);
    CHECK(same(&m, 504, "Request timed out", 0, 0));
    hd_map_sqlstate("40001", NULL, &m);
    CHECK(m.status == 503 && m.retry_after == 1 && !m.log);
    hd_map_sqlstate("40P01", NULL, &m);
    CHECK(m.status == 503 && m.retry_after == 1);
    hd_map_sqlstate("55P03", NULL, &m);
    CHECK(m.status == 503 && m.retry_after == 1);
    hd_map_sqlstate("57P01", NULL, &m);
    CHECK(same(&m, 503, "Database unavailable", 0, 1));
    /* the class row covers the whole class; other classes starting alike do not match */
    hd_map_sqlstate("08006", NULL, &m);
    CHECK(same(&m, 503, "Database unavailable", 0, 1));
    hd_map_sqlstate("08P01", NULL, &m);
    CHECK(m.status == 503);
    hd_map_sqlstate("57P04", NULL, &m); /* database_dropped: no row */
    CHECK(same(&m, 500, INTERNAL, 0, 1));
    hd_map_sqlstate("23001", NULL, &m); /* restrict_violation: class 23 has no class row */
    CHECK(same(&m, 500, INTERNAL, 0, 1));

    /* HDnnn: the status is in the code, the message is the SQL one */
    hd_map_sqlstate("HD404", NULL, &m);
    CHECK(same(&m, 404, NULL, 0, 0));
    hd_map_sqlstate("HD400", "ignored", &m);
    CHECK(same(&m, 400, NULL, 0, 0));
    hd_map_sqlstate("HD401", NULL, &m);
    CHECK(same(&m, 401, NULL, 0, 0));
    hd_map_sqlstate("HD403", NULL, &m);
    CHECK(same(&m, 403, NULL, 0, 0));
    hd_map_sqlstate("HD409", NULL, &m);
    CHECK(same(&m, 409, NULL, 0, 0));
    hd_map_sqlstate("HD422", NULL, &m);
    CHECK(same(&m, 422, NULL, 0, 0));
    hd_map_sqlstate("HD499", NULL, &m);
    CHECK(same(&m, 499, NULL, 0, 0));
    hd_map_sqlstate("HD429", "17", &m);
    CHECK(same(&m, 429, NULL, 17, 0));
    hd_map_sqlstate("HD429", NULL, &m);
    CHECK(same(&m, 429, NULL, 60, 0));
    hd_map_sqlstate("HD429", "soon", &m);
    CHECK(m.retry_after == 60);
    hd_map_sqlstate("HD429", "-5", &m);
    CHECK(m.retry_after == 60);
    hd_map_sqlstate("HD429", "99999999", &m); /* more than a week: the default */
    CHECK(m.retry_after == 60);
    hd_map_sqlstate("HD503", NULL, &m); /* a 5xx of the extension's own: its message, logged */
    CHECK(same(&m, 503, NULL, 0, 1));
    hd_map_sqlstate("HD599", NULL, &m);
    CHECK(same(&m, 599, NULL, 0, 1));
    hd_map_sqlstate("HD500", NULL, &m); /* never echoes the SQL text */
    CHECK(same(&m, 500, INTERNAL, 0, 1));

    /* HD codes outside 400..599, or not digits: unknown */
    hd_map_sqlstate("HD200", NULL, &m);
    CHECK(same(&m, 500, INTERNAL, 0, 1));
    hd_map_sqlstate("HD999", NULL, &m);
    CHECK(same(&m, 500, INTERNAL, 0, 1));
    hd_map_sqlstate("HD4X4", NULL, &m);
    CHECK(same(&m, 500, INTERNAL, 0, 1));
    hd_map_sqlstate("hd404", NULL, &m);
    CHECK(same(&m, 500, INTERNAL, 0, 1));

    /* unknown codes, NULL, short or long input */
    hd_map_sqlstate("42883", NULL, &m); /* undefined_function */
    CHECK(same(&m, 500, INTERNAL, 0, 1));
    hd_map_sqlstate("25006", NULL, &m); /* a write in a read-only route */
    CHECK(same(&m, 500, INTERNAL, 0, 1));
    hd_map_sqlstate("XX000", NULL, &m);
    CHECK(same(&m, 500, INTERNAL, 0, 1));
    hd_map_sqlstate(NULL, NULL, &m);
    CHECK(same(&m, 500, INTERNAL, 0, 1));
    hd_map_sqlstate("", NULL, &m);
    CHECK(same(&m, 500, INTERNAL, 0, 1));
    hd_map_sqlstate("08", NULL, &m); /* a class alone is not a code */
    CHECK(same(&m, 500, INTERNAL, 0, 1));
    hd_map_sqlstate("2350", NULL, &m);
    CHECK(same(&m, 500, INTERNAL, 0, 1));
    hd_map_sqlstate("235050", NULL, &m);
    CHECK(same(&m, 500, INTERNAL, 0, 1));
    hd_map_sqlstate("HD4", NULL, &m);
    CHECK(same(&m, 500, INTERNAL, 0, 1));
    T_DONE();
}
