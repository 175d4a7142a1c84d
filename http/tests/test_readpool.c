/* Read replicas (readpool.c): DB_READ_HOST/DB_READ_PORT parsing, a replica's freshness from the
 * primary's WAL samples, the read-your-writes table, and the configuration's checks. */
#include <stdlib.h>
#include <string.h>

#include "../config.h"
#include "../readpool.h"
#include "t.h"

int main(void)
{
    hd_read_target_t t[HD_READ_MAX_TARGETS];
    char err[256];
    uint64_t lsn;
    int i;

    /* targets */
    CHECK(hd_read_targets_parse("", "", 5432, t, HD_READ_MAX_TARGETS, err, sizeof(err)) == 0);
    CHECK(hd_read_targets_parse(NULL, NULL, 5432, t, HD_READ_MAX_TARGETS, err, sizeof(err)) == 0);
    CHECK(hd_read_targets_parse("r1", "", 5432, t, HD_READ_MAX_TARGETS, err, sizeof(err)) == 1 && strcmp(t[0].host, "r1") == 0 &&
          t[0].port == 5432);
    CHECK(hd_read_targets_parse("r1, /run/pg ", "6432", 5432, t, HD_READ_MAX_TARGETS, err, sizeof(err)) == 2 &&
          strcmp(t[1].host, "/run/pg") == 0 && t[0].port == 6432 && t[1].port == 6432);
    CHECK(hd_read_targets_parse("r1,r2", "1,2", 5432, t, HD_READ_MAX_TARGETS, err, sizeof(err)) == 2 && t[0].port == 1 &&
          t[1].port == 2);
    CHECK(hd_read_targets_parse("r1,r2,r3", "1,2", 5432, t, HD_READ_MAX_TARGETS, err, sizeof(err)) == -1 &&
          strstr(err, "2 ports for 3 hosts") != NULL);
    CHECK(hd_read_targets_parse("r1,,r2", "", 5432, t, HD_READ_MAX_TARGETS, err, sizeof(err)) == -1);
    CHECK(hd_read_targets_parse("r1", "70000", 5432, t, HD_READ_MAX_TARGETS, err, sizeof(err)) == -1);
    CHECK(hd_read_targets_parse("r1", "x", 5432, t, HD_READ_MAX_TARGETS, err, sizeof(err)) == -1);
    CHECK(hd_read_targets_parse("a,b,c", "", 5432, t, 2, err, sizeof(err)) == -1);

    /* LSNs as PostgreSQL prints them */
    CHECK(hd_parse_lsn("0/0", &lsn) == 0 && lsn == 0);
    CHECK(hd_parse_lsn("16/B374D848", &lsn) == 0 && lsn == 0x16B374D848ull);
    CHECK(hd_parse_lsn("FFFFFFFF/FFFFFFFF", &lsn) == 0 && lsn == UINT64_MAX);
    CHECK(hd_parse_lsn("16/B374D848x", &lsn) == -1);
    CHECK(hd_parse_lsn("16", &lsn) == -1);
    CHECK(hd_parse_lsn("", &lsn) == -1);
    CHECK(hd_parse_lsn(NULL, &lsn) == -1);

    /* freshness: the time of the newest sample the replica has replayed */
    {
        hd_lsn_sample_t s[] = {{1000, 100}, {1100, 100}, {1200, 250}, {1300, 400}};
        CHECK(hd_read_fresh_at(s, 4, 400) == 1300); /* caught up */
        CHECK(hd_read_fresh_at(s, 4, 1000) == 1300);
        CHECK(hd_read_fresh_at(s, 4, 399) == 1200); /* behind by what came after 1200 */
        CHECK(hd_read_fresh_at(s, 4, 100) == 1100); /* an idle primary: the latest equal sample */
        CHECK(hd_read_fresh_at(s, 4, 99) == 0);     /* older than the whole history: unknown, stale */
        CHECK(hd_read_fresh_at(s, 0, 400) == 0);
    }

    /* read your writes */
    hd_read_writes_init(2000);
    CHECK(!hd_read_wrote_recently(7, 10000));
    hd_read_note_write(7, 10000);
    CHECK(hd_read_wrote_recently(7, 10000) && hd_read_wrote_recently(7, 11999));
    CHECK(!hd_read_wrote_recently(7, 12000)); /* the window has passed */
    CHECK(!hd_read_wrote_recently(8, 10000)); /* another user */
    hd_read_note_write(7, 11000);             /* a later write extends it */
    CHECK(hd_read_wrote_recently(7, 12500));
    /* many writers at once: nobody is forgotten within the window (a full set sends its users
     * to the primary rather than evict one) */
    for (i = 1; i <= 100000; i++)
        hd_read_note_write(i, 50000);
    {
        int all = 1;
        for (i = 1; i <= 100000; i++)
            all &= hd_read_wrote_recently(i, 51999);
        CHECK(all);
    }
    CHECK(!hd_read_wrote_recently(5, 52000));

    /* configuration: the window must cover the lag bound; a bad target list is refused */
    {
        char *argv[] = {"x", NULL};
        setenv("JWT_SECRET", "0123456789abcdef0123456789abcdef", 1);
        CHECK(hd_config_load(1, argv) == 0 && hd_conf.rate_limit_servers == 1 && hd_conf.db_read_max_lag_ms == 1000 &&
              hd_conf.db_read_after_write_ms == 2000 && hd_conf.db_read_host[0] == '\0');
        setenv("DB_READ_HOST", "r1", 1);
        setenv("DB_READ_MAX_LAG_MS", "3000", 1);
        CHECK(hd_config_load(1, argv) == -1);
        setenv("DB_READ_AFTER_WRITE_MS", "3000", 1);
        CHECK(hd_config_load(1, argv) == 0 && strcmp(hd_conf.db_read_host, "r1") == 0);
        setenv("DB_READ_PORT", "1,2", 1);
        CHECK(hd_config_load(1, argv) == -1);
        unsetenv("DB_READ_HOST");
        unsetenv("DB_READ_PORT");
        unsetenv("DB_READ_MAX_LAG_MS");
        unsetenv("DB_READ_AFTER_WRITE_MS");
        hd_config_free();
    }
    T_DONE();
}
