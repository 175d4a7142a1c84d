/* sqlstate.c: the SQLSTATE -> HTTP table (docs/REQUEST-CONTRACT.md, "Errors"). Standard codes
 * are mapped as PostgREST maps them; the extension's own errors carry their status in the code
 * (HDnnn, raised by helpdesk.http_error). */
#include "sqlstate.h"

#include <stdlib.h>
#include <string.h>

#define INTERNAL "Internal server error"
#define BAD_INPUT "Invalid input"
#define BUSY "Service busy, please retry"
#define DB_DOWN "Database unavailable"

const hd_sqlstate_rule_t hd_sqlstate_rules[] = {
    /* code    status  message                                                      retry log */
    {"23505", 409, "Resource already exists", 0, 0},                                   /* unique_violation */
    {"23503", 409, "Resource is referenced by or refers to a missing resource", 0, 0}, /* foreign_key_violation */
    {"22P02", 400, BAD_INPUT, 0, 0},                                                   /* invalid_text_representation */
    {"22007", 400, BAD_INPUT, 0, 0},                                                   /* invalid_datetime_format */
    {"22008", 400, BAD_INPUT, 0, 0},                                                   /* datetime_field_overflow */
    {"22003", 400, BAD_INPUT, 0, 0},                                                   /* numeric_value_out_of_range */
    {"23514", 400, BAD_INPUT, 0, 0},                                                   /* check_violation */
    {"23502", 400, BAD_INPUT, 0, 0},                                                   /* not_null_violation */
    {"22P05", 400, BAD_INPUT, 0, 0},                                                   /* untranslatable_character */
    {"22023", 400, BAD_INPUT, 0, 0},                                                   /* invalid_parameter_value */
    {"42501", 403, "Forbidden resource", 0, 0},                                        /* insufficient_privilege */
    {"57014", 504, "Request timed out", 0, 0},                                         /* query_canceled (statement_timeout) */
    {"40001", 503, BUSY, 1, 0},                                                        /* serialization_failure */
    {"40P01", 503, BUSY, 1, 0},                                                        /* deadlock_detected */
    {"55P03", 503, BUSY, 1, 0},                                                        /* lock_not_available */
    {"57P01", 503, DB_DOWN, 0, 1},                                                     /* admin_shutdown */
    {"57P02", 503, DB_DOWN, 0, 1},                                                     /* crash_shutdown */
    {"57P03", 503, DB_DOWN, 0, 1},                                                     /* cannot_connect_now */
    {"08", 503, DB_DOWN, 0, 1},                                                        /* class: connection exception */
    /* Everything else, 25006 (a write in a read-only route: a bug in the route table or the
     * function) included, is a 500 whose real error only the log sees. */
};
const size_t hd_sqlstate_rule_count = sizeof(hd_sqlstate_rules) / sizeof(hd_sqlstate_rules[0]);

static void set(hd_sqlerr_map_t *out, int status, const char *message, int retry_after, int log)
{
    out->status = status;
    out->message = message;
    out->retry_after = retry_after;
    out->log = log;
}

static int is_digit(char c)
{
    return c >= '0' && c <= '9';
}

void hd_map_sqlstate(const char *s, const char *hint, hd_sqlerr_map_t *out)
{
    const hd_sqlstate_rule_t *class_rule = NULL;
    size_t i;

    if (s == NULL || strlen(s) != 5) {
        set(out, 500, INTERNAL, 0, 1);
        return;
    }
    /* HDnnn: the status is in the code (helpdesk.http_error), the message is the SQL one */
    if (s[0] == 'H' && s[1] == 'D' && (s[2] == '4' || s[2] == '5') && is_digit(s[3]) && is_digit(s[4])) {
        int status = (s[2] - '0') * 100 + (s[3] - '0') * 10 + (s[4] - '0');
        if (status == 500) {
            set(out, 500, INTERNAL, 0, 1);
        } else if (status == 429) {
            long ra = hint != NULL ? strtol(hint, NULL, 10) : 0;
            set(out, 429, NULL, ra > 0 && ra < 86400 * 7 ? (int)ra : 60, 0);
        } else {
            set(out, status, NULL, 0, status >= 500);
        }
        return;
    }
    for (i = 0; i < hd_sqlstate_rule_count; i++) {
        const hd_sqlstate_rule_t *r = &hd_sqlstate_rules[i];
        if (r->code[2] == '\0') {
            if (class_rule == NULL && memcmp(r->code, s, 2) == 0)
                class_rule = r;
        } else if (memcmp(r->code, s, 5) == 0) {
            set(out, r->status, r->message, r->retry_after, r->log);
            return;
        }
    }
    if (class_rule != NULL)
        set(out, class_rule->status, class_rule->message, class_rule->retry_after, class_rule->log);
    else
        set(out, 500, INTERNAL, 0, 1);
}
