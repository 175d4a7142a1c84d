/* readpool.c: read-only routes on streaming replicas (readpool.h; docs/SCALING.md).
 *
 * Lag. One monitor thread per replica, with a blocking connection to the primary and one to
 * the replica, every DB_READ_CHECK_MS: (1) note the time t, then ask the primary for its WAL
 * insert position: every commit that completed before t is below it; (2) ask the replica
 * whether it is in recovery and how far it has replayed. The newest sample the replay position
 * has passed says the replica holds every commit that completed before that sample's time: its
 * `fresh_at`. At request time a replica is used when now - fresh_at <= DB_READ_MAX_LAG_MS. So
 * the bound holds whatever the primary's activity (an idle primary: its position does not move,
 * the replica has it, fresh_at follows the samples) and a monitor that stalls (a replica
 * unreachable) makes its replica look stale, never fresh. No writes, no heartbeat table.
 *
 * Read your writes. A user's write noted when it completes (after its commit) sends that
 * user's reads to the primary for DB_READ_AFTER_WRITE_MS; a replica used after that holds every
 * commit older than DB_READ_MAX_LAG_MS, so the window must be at least the lag bound (config.c
 * refuses less). Writes that issue a token (login, registration, refresh) are known by the
 * token's iat instead, which every server can read.
 *
 * Failures. A read-only route's transaction writes nothing (transaction_read_only), so a read
 * the replica could not answer (connection lost or refused, shut down, recovery conflict,
 * pool full) is run again on the primary: a replica that stops costs no failed request. */
#include "readpool.h"

#include <ctype.h>
#include <libpq-fe.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "accesslog.h"
#include "config.h"

/* ---- pure pieces ---- */

int hd_parse_lsn(const char *s, uint64_t *out)
{
    unsigned long long hi, lo;
    int used = 0;
    if (s == NULL || sscanf(s, "%llX/%llX%n", &hi, &lo, &used) != 2 || s[used] != '\0' || hi > 0xFFFFFFFFull ||
        lo > 0xFFFFFFFFull)
        return -1;
    *out = (uint64_t)hi << 32 | lo;
    return 0;
}

uint64_t hd_read_fresh_at(const hd_lsn_sample_t *samples, int n, uint64_t replay_lsn)
{
    int i;
    for (i = n - 1; i >= 0; i--)
        if (samples[i].lsn <= replay_lsn)
            return samples[i].at_ms;
    return 0;
}

static uint64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* The writers' table: sets of WAYS entries (user, until); one mutex per WLOCKS-th of the sets. */
#define WSETS 4096
#define WAYS 8
#define WLOCKS 64
typedef struct writer {
    long long user;
    uint64_t until;
} writer_t;
static writer_t writers[WSETS][WAYS];
static uint64_t set_full_until[WSETS]; /* a set had no room for a writer: all its users to the primary */
static pthread_mutex_t writer_locks[WLOCKS];
static uint64_t write_window_ms;

void hd_read_writes_init(uint64_t window_ms)
{
    int i;
    write_window_ms = window_ms;
    for (i = 0; i < WLOCKS; i++)
        pthread_mutex_init(&writer_locks[i], NULL);
    memset(writers, 0, sizeof(writers));
    memset(set_full_until, 0, sizeof(set_full_until));
}

static unsigned writer_set(long long user)
{
    uint64_t h = (uint64_t)user * 0x9E3779B97F4A7C15ull;
    return (unsigned)(h >> 40) % WSETS;
}

void hd_read_note_write(long long user, uint64_t now)
{
    unsigned set = writer_set(user);
    writer_t *free_slot = NULL;
    int i;
    pthread_mutex_lock(&writer_locks[set % WLOCKS]);
    for (i = 0; i < WAYS; i++) {
        writer_t *w = &writers[set][i];
        if (w->until > now && w->user == user) {
            free_slot = w;
            break;
        }
        if (free_slot == NULL && w->until <= now)
            free_slot = w;
    }
    if (free_slot != NULL) {
        free_slot->user = user;
        free_slot->until = now + write_window_ms;
    } else if (set_full_until[set] < now + write_window_ms) {
        set_full_until[set] = now + write_window_ms;
    }
    pthread_mutex_unlock(&writer_locks[set % WLOCKS]);
}

int hd_read_wrote_recently(long long user, uint64_t now)
{
    unsigned set = writer_set(user);
    int i, found = 0;
    pthread_mutex_lock(&writer_locks[set % WLOCKS]);
    if (set_full_until[set] > now)
        found = 1;
    for (i = 0; i < WAYS && !found; i++)
        found = writers[set][i].until > now && writers[set][i].user == user;
    pthread_mutex_unlock(&writer_locks[set % WLOCKS]);
    return found;
}

/* ---- the replicas and their monitors ---- */

#define NSAMPLES 64

typedef struct replica {
    hd_read_target_t target;
    char conninfo[2560];      /* the request pools' */
    char monitor_info[2560];  /* the monitor's: connect timeout, keepalives */
    _Atomic uint64_t fresh_at; /* now_ms() of the newest primary sample it has replayed; 0: none */
    _Atomic int up;            /* reachable and in recovery at the last check */
    pthread_t tid;
    int started;
} replica_t;

static replica_t *replicas;
static int nreplicas;
static char primary_monitor_info[2560];
static _Atomic int stopping;
static pthread_mutex_t stop_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t stop_cond = PTHREAD_COND_INITIALIZER;
static _Atomic uint64_t reads_replica, reads_primary, reads_retried;

static void append_kv(char *buf, size_t cap, const char *k, const char *v)
{
    size_t l = strlen(buf);
    const char *p;
    if (l + strlen(k) + 4 >= cap)
        return;
    l += (size_t)snprintf(buf + l, cap - l, " %s='", k);
    for (p = v; *p && l + 3 < cap; p++) {
        if (*p == '\'' || *p == '\\')
            buf[l++] = '\\';
        buf[l++] = *p;
    }
    buf[l++] = '\'';
    buf[l] = '\0';
}

/* The primary's conninfo with host and port replaced (a keyword given twice: the last wins). */
static void target_conninfo(char *buf, size_t cap, const hd_read_target_t *t)
{
    char port[16];
    snprintf(buf, cap, "%s", hd_conf.conninfo);
    if (t != NULL) {
        snprintf(port, sizeof(port), "%d", t->port);
        append_kv(buf, cap, "host", t->host);
        append_kv(buf, cap, "port", port);
        /* a socket directory never takes SSL; a host name may */
        append_kv(buf, cap, "sslmode", hd_conf.db_ssl ? "require" : (t->host[0] == '/' ? "disable" : "prefer"));
    }
}

static void monitor_info(char *buf, size_t cap, const hd_read_target_t *t)
{
    target_conninfo(buf, cap, t);
    append_kv(buf, cap, "connect_timeout", "2");
    append_kv(buf, cap, "keepalives_idle", "5");
    append_kv(buf, cap, "keepalives_interval", "2");
    append_kv(buf, cap, "keepalives_count", "2");
    append_kv(buf, cap, "application_name", "helpdesk-http/replica-monitor");
}

/* One row of one or two text columns from a blocking connection (opened as needed; dropped
 * on failure). Returns 0 and copies the values, or -1. */
static int ask(PGconn **conn, const char *info, const char *sql, char *v1, size_t c1, char *v2, size_t c2)
{
    PGresult *res;
    int ok;
    if (*conn == NULL || PQstatus(*conn) != CONNECTION_OK) {
        if (*conn != NULL)
            PQfinish(*conn);
        *conn = PQconnectdb(info);
        if (PQstatus(*conn) != CONNECTION_OK) {
            PQfinish(*conn);
            *conn = NULL;
            return -1;
        }
    }
    res = PQexec(*conn, sql);
    ok = PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1 && !PQgetisnull(res, 0, 0) &&
         (v2 == NULL || (PQnfields(res) == 2 && !PQgetisnull(res, 0, 1)));
    if (ok) {
        snprintf(v1, c1, "%s", PQgetvalue(res, 0, 0));
        if (v2 != NULL)
            snprintf(v2, c2, "%s", PQgetvalue(res, 0, 1));
    }
    PQclear(res);
    if (!ok) {
        PQfinish(*conn);
        *conn = NULL;
    }
    return ok ? 0 : -1;
}

static void *monitor(void *arg)
{
    replica_t *r = arg;
    PGconn *primary = NULL, *standby = NULL;
    hd_lsn_sample_t samples[NSAMPLES];
    int n = 0, state = -1; /* last logged: 0 unreachable, 1 usable, 2 not in recovery */
    char v1[64], v2[64];
    while (!stopping) {
        uint64_t t = now_ms(), lsn, replay;
        struct timespec until;
        int st;
        if (ask(&primary, primary_monitor_info, "SELECT pg_current_wal_insert_lsn()::text", v1, sizeof(v1), NULL, 0) == 0 &&
            hd_parse_lsn(v1, &lsn) == 0) {
            if (n == NSAMPLES)
                memmove(samples, samples + 1, sizeof(samples[0]) * (NSAMPLES - 1)), n--;
            samples[n].at_ms = t;
            samples[n++].lsn = lsn;
        }
        if (ask(&standby, r->monitor_info, "SELECT pg_is_in_recovery()::text, pg_last_wal_replay_lsn()::text", v1, sizeof(v1), v2,
                sizeof(v2)) != 0) {
            st = 0;
        } else if (strcmp(v1, "true") != 0 || hd_parse_lsn(v2, &replay) != 0) {
            st = 2;
        } else {
            uint64_t f = hd_read_fresh_at(samples, n, replay);
            if (f > r->fresh_at)
                r->fresh_at = f;
            st = 1;
        }
        r->up = st == 1;
        if (st != state)
            hd_log_error("readpool: replica %s:%d %s", r->target.host, r->target.port,
                         st == 1 ? "reachable, in recovery" : st == 0 ? "unreachable: reads go elsewhere"
                                                                       : "not in recovery (promoted?): reads go elsewhere");
        state = st;
        pthread_mutex_lock(&stop_lock);
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_nsec += (long)(hd_conf.db_read_check_ms % 1000) * 1000000L;
        until.tv_sec += (time_t)(hd_conf.db_read_check_ms / 1000) + until.tv_nsec / 1000000000L;
        until.tv_nsec %= 1000000000L;
        if (!stopping)
            pthread_cond_timedwait(&stop_cond, &stop_lock, &until);
        pthread_mutex_unlock(&stop_lock);
    }
    if (primary != NULL)
        PQfinish(primary);
    if (standby != NULL)
        PQfinish(standby);
    return NULL;
}

int hd_readpool_enabled(void)
{
    return nreplicas > 0;
}

int hd_readpool_start(void)
{
    hd_read_target_t targets[HD_READ_MAX_TARGETS];
    char err[256];
    int n, i;
    n = hd_read_targets_parse(hd_conf.db_read_host, hd_conf.db_read_port, hd_conf.db_port, targets, HD_READ_MAX_TARGETS, err,
                              sizeof(err));
    if (n < 0) {
        hd_log_error("%s", err);
        return -1;
    }
    if (n == 0)
        return 0;
    hd_read_writes_init((uint64_t)hd_conf.db_read_after_write_ms);
    monitor_info(primary_monitor_info, sizeof(primary_monitor_info), NULL);
    replicas = calloc((size_t)n, sizeof(replica_t));
    stopping = 0;
    for (i = 0; i < n; i++) {
        replica_t *r = &replicas[i];
        r->target = targets[i];
        target_conninfo(r->conninfo, sizeof(r->conninfo), &r->target);
        monitor_info(r->monitor_info, sizeof(r->monitor_info), &r->target);
        if (pthread_create(&r->tid, NULL, monitor, r) != 0) {
            hd_log_error("readpool: cannot start the monitor of %s:%d", r->target.host, r->target.port);
            nreplicas = i;
            hd_readpool_stop();
            return -1;
        }
        r->started = 1;
    }
    nreplicas = n;
    hd_log_error("readpool: %d replica%s for read-only routes (lag bound %lld ms, checked every %lld ms; a user's reads "
                 "on the primary for %lld ms after a write)",
                 n, n > 1 ? "s" : "", (long long)hd_conf.db_read_max_lag_ms, (long long)hd_conf.db_read_check_ms,
                 (long long)hd_conf.db_read_after_write_ms);
    return 0;
}

void hd_readpool_stop(void)
{
    int i;
    if (replicas == NULL)
        return;
    pthread_mutex_lock(&stop_lock);
    stopping = 1;
    pthread_cond_broadcast(&stop_cond);
    pthread_mutex_unlock(&stop_lock);
    for (i = 0; i < nreplicas; i++)
        if (replicas[i].started)
            pthread_join(replicas[i].tid, NULL);
    free(replicas);
    replicas = NULL;
    nreplicas = 0;
}

void hd_read_stats(hd_read_stats_t *out)
{
    out->replica = reads_replica;
    out->primary = reads_primary;
    out->retried = reads_retried;
}

/* ---- per thread ---- */

struct hd_readpool {
    int n;
    hd_db_pool_t *pools[HD_READ_MAX_TARGETS];
    unsigned next; /* round robin among equally loaded replicas */
};

hd_readpool_t *hd_readpool_create(int thread_id, h2o_loop_t *loop)
{
    hd_readpool_t *rp;
    int i, size = hd_conf.db_read_pool_size > 0 ? hd_conf.db_read_pool_size : hd_conf.db_pool_size;
    if (nreplicas == 0)
        return NULL;
    rp = calloc(1, sizeof(*rp));
    rp->n = nreplicas;
    for (i = 0; i < nreplicas; i++)
        rp->pools[i] = hd_db_pool_create_replica(thread_id, loop, replicas[i].conninfo, size, hd_conf.db_pipeline_depth,
                                                 hd_conf.db_queue_max, (uint64_t)hd_conf.request_timeout_ms,
                                                 (uint64_t)hd_conf.db_queue_timeout_ms, (uint64_t)hd_conf.db_stall_ms);
    return rp;
}

size_t hd_readpool_pending(hd_readpool_t *rp)
{
    size_t n = 0;
    int i;
    for (i = 0; rp != NULL && i < rp->n; i++)
        n += hd_db_pending(rp->pools[i]);
    return n;
}

void hd_readpool_close(hd_readpool_t *rp)
{
    int i;
    for (i = 0; rp != NULL && i < rp->n; i++)
        hd_db_pool_close(rp->pools[i]);
}

void hd_readpool_free(hd_readpool_t *rp)
{
    int i;
    for (i = 0; rp != NULL && i < rp->n; i++)
        hd_db_pool_free(rp->pools[i]);
    free(rp);
}

/* The least loaded replica within the lag bound whose pool has a connection up, or NULL. */
static hd_db_pool_t *choose(hd_readpool_t *rp, uint64_t now)
{
    hd_db_pool_t *best = NULL;
    size_t best_load = 0;
    int i;
    for (i = 0; i < rp->n; i++) {
        int j = (int)((rp->next + (unsigned)i) % (unsigned)rp->n);
        uint64_t fresh = replicas[j].fresh_at;
        size_t load;
        if (!replicas[j].up || fresh == 0 || (now > fresh && now - fresh > (uint64_t)hd_conf.db_read_max_lag_ms) ||
            !hd_db_pool_usable(rp->pools[j]))
            continue;
        load = hd_db_pending(rp->pools[j]);
        if (best == NULL || load < best_load) {
            best = rp->pools[j];
            best_load = load;
        }
    }
    rp->next++;
    return best;
}

/* Whether a read must see the primary: health and readiness (they describe the primary: a
 * balancer's probe must fail with it), files and streams, and a user who wrote within
 * DB_READ_AFTER_WRITE_MS; a token issued within it counts as a write (login, registration,
 * refresh: known to every server; iat in whole seconds, rounded so as to cover the window). */
static int needs_primary(const hd_route_t *route, long long user, long long iat, uint64_t now)
{
    if (route->resp != HD_RESP_JSON || strncmp(route->function, "health", 6) == 0)
        return 1;
    if (user <= 0)
        return 0;
    if (iat > 0 && (long long)time(NULL) - iat <= (hd_conf.db_read_after_write_ms + 999) / 1000)
        return 1;
    return hd_read_wrote_recently(user, now);
}

typedef struct read_call {
    hd_db_pool_t *primary;
    const hd_route_t *route;
    const char *params[HD_CTX_NPARAMS];
    const char *doc;
    long long user;
    hd_db_cb cb;
    void *data;
} read_call_t;

/* What a replica failed that the primary may answer: no connection, a full pool, the replica
 * shutting down or refusing (class 57, 08, 53), a recovery conflict (40001). */
static int run_elsewhere(const hd_db_result_t *res)
{
    const char *s = res->sqlstate;
    if (res->status == HD_DB_UNAVAILABLE || res->status == HD_DB_QUEUE_FULL)
        return 1;
    if (res->status != HD_DB_SQL_ERROR || s == NULL)
        return 0;
    return strncmp(s, "57", 2) == 0 || strncmp(s, "08", 2) == 0 || strncmp(s, "53", 2) == 0 || strcmp(s, "40001") == 0;
}

static void on_replica_done(h2o_req_t *req, const hd_db_result_t *res, void *data)
{
    read_call_t *c = data;
    if (run_elsewhere(res)) {
        reads_retried++;
        hd_db_submit(c->primary, req, c->route, c->params, c->doc, c->cb, c->data);
        return;
    }
    c->cb(req, res, c->data);
}

static void on_write_done(h2o_req_t *req, const hd_db_result_t *res, void *data)
{
    read_call_t *c = data;
    /* any outcome: a statement that timed out (504) may still have committed */
    hd_read_note_write(c->user, now_ms());
    c->cb(req, res, c->data);
}

void hd_readpool_submit(hd_readpool_t *rp, hd_db_pool_t *primary, h2o_req_t *req, const hd_route_t *route,
                        const char *ctx_params[HD_CTX_NPARAMS], const char *doc, long long user, long long token_iat,
                        hd_db_cb cb, void *data)
{
    read_call_t *c;
    hd_db_pool_t *pool = NULL;
    uint64_t now;
    if (rp == NULL) {
        hd_db_submit(primary, req, route, ctx_params, doc, cb, data);
        return;
    }
    if (!route->read_only) {
        if (user <= 0) {
            hd_db_submit(primary, req, route, ctx_params, doc, cb, data);
            return;
        }
        c = h2o_mem_alloc_pool(&req->pool, sizeof(*c));
        c->user = user;
        c->cb = cb;
        c->data = data;
        hd_db_submit(primary, req, route, ctx_params, doc, on_write_done, c);
        return;
    }
    now = now_ms();
    if (!needs_primary(route, user, token_iat, now))
        pool = choose(rp, now);
    if (pool == NULL) {
        reads_primary++;
        hd_db_submit(primary, req, route, ctx_params, doc, cb, data);
        return;
    }
    c = h2o_mem_alloc_pool(&req->pool, sizeof(*c));
    c->primary = primary;
    c->route = route;
    memcpy(c->params, ctx_params, sizeof(c->params));
    c->doc = doc;
    c->user = user;
    c->cb = cb;
    c->data = data;
    reads_replica++;
    hd_db_submit(pool, req, route, c->params, doc, on_replica_done, c);
}
