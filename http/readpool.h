/* readpool.h: read-only routes sent to streaming replicas (DB_READ_HOST), with the primary as
 * the fallback: a replica that is down, not in recovery, or further behind than
 * DB_READ_MAX_LAG_MS is skipped, a request it fails is run again on the primary, and a user's
 * reads go to the primary for DB_READ_AFTER_WRITE_MS after that user's write (read your
 * writes). docs/SCALING.md says why and what it costs. */
#ifndef HD_READPOOL_H
#define HD_READPOOL_H

#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "db.h"

/* the targets: hd_read_targets_parse (config.c, config.h) */

/* ---- pure pieces (unit-tested, http/tests/test_readpool.c) ---- */

/* A replica's freshness from the primary's WAL positions sampled over time: the time of the
 * newest sample the replica has replayed (every commit that completed before that time is on
 * the replica), or 0 when it has replayed none of them. Samples oldest first. */
typedef struct hd_lsn_sample {
    uint64_t at_ms; /* taken before the primary was asked: conservative */
    uint64_t lsn;
} hd_lsn_sample_t;
uint64_t hd_read_fresh_at(const hd_lsn_sample_t *samples, int n, uint64_t replay_lsn);
/* "16/B374D848" -> 0x16B374D848; -1 when malformed. */
int hd_parse_lsn(const char *s, uint64_t *out);

/* Read your writes, per server: the users who wrote in the last window_ms (a process-wide table
 * of bounded size; a full slot set sends every user of that set to the primary until its
 * entries expire, never forgets a write early). */
void hd_read_writes_init(uint64_t window_ms);
void hd_read_note_write(long long user, uint64_t now_ms);
int hd_read_wrote_recently(long long user, uint64_t now_ms);

/* ---- the server ---- */

/* Process-wide: the targets from hd_conf, one monitor thread per replica measuring its lag
 * against the primary every DB_READ_CHECK_MS. 0 (nothing configured is fine), -1 on error. */
int hd_readpool_start(void);
void hd_readpool_stop(void);
/* Whether replicas are configured. */
int hd_readpool_enabled(void);

typedef struct hd_readpool hd_readpool_t;
/* Per loop thread: a pool per replica (NULL when none is configured). */
hd_readpool_t *hd_readpool_create(int thread_id, h2o_loop_t *loop);
size_t hd_readpool_pending(hd_readpool_t *rp);
void hd_readpool_close(hd_readpool_t *rp);
void hd_readpool_free(hd_readpool_t *rp);

/* Run one request: a read-only JSON route on a usable replica (or the primary), anything else
 * on `primary`, noting the user's write. user: the token's sub (0: anonymous); token_iat: its
 * iat (a token issued in the window marks a write: login, registration, refresh). Same contract
 * as hd_db_submit. rp may be NULL (no replicas). */
void hd_readpool_submit(hd_readpool_t *rp, hd_db_pool_t *primary, h2o_req_t *req, const hd_route_t *route,
                        const char *ctx_params[HD_CTX_NPARAMS], const char *doc, long long user, long long token_iat,
                        hd_db_cb cb, void *data);

/* For /metrics: reads sent to replicas, reads that went to the primary while replicas are
 * configured, and reads a replica failed that the primary answered. */
typedef struct hd_read_stats {
    uint64_t replica, primary, retried;
} hd_read_stats_t;
void hd_read_stats(hd_read_stats_t *out);

#endif
