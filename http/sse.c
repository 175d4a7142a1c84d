/* sse.c: the notification streams of one event-loop thread (GET /api/v1/notifications/stream).
 *
 * One database connection per thread, in LISTEN helpdesk_notifications, serves every stream of
 * the thread: the extension sends NOTIFY at commit ('n <user id>': a notification of
 * that user was written; 'u <user id>': what that user sees changed otherwise; 'staff': a
 * notification to every staff member was written), the thread marks the streams
 * concerned, and asks the database once for all of them (helpdesk_api.notifications_stream:
 * per user, the notifications after the last id each stream has, the unread count, whether the
 * user and token are still good). The answer is fanned out in the loop: `event: notification`
 * per new notification (id: its id), `event: unreadCount` when the count changed (id: the last
 * notification id), so Last-Event-ID resumes exactly after the last notification a client got.
 * One query is in flight at a time; the streams marked meanwhile go in the next one, so a burst
 * of NOTIFYs costs a few queries, not one per stream. When the connection breaks, every stream
 * is asked for again once it is back (nothing missed while it was down).
 * The unread count: a stream sends back the count it has and the lastId it came with, and the
 * database adds what is newer (a broadcast costs a few index entries per user, not a recount of
 * everything the user reads, for 'n <id>' and 'staff'); a new stream, a 'u <id>' signal (the user
 * read, deleted, changed role or password) or a failed query leave it out, and the count is taken
 * again in full.
 * Late commits: ids are taken at INSERT and rows seen at COMMIT, so a notification may commit
 * after a greater id was streamed. Each answer carries the snapshot it was read with; a stream
 * keeps it and sends it back, and the database adds the rows committed since with an id at or
 * below the stream's ("late", sent first, with the stream's position as their SSE id). A user's
 * streams are asked about together, so they send one snapshot.
 *
 * A stream ends when its token expires, when the database says the user is gone, inactive or
 * the token older than a password change (users' changes are signalled too), when the client
 * goes, or at shutdown. An idle stream gets a comment line every SSE_KEEPALIVE_MS. */
#include "sse.h"

#include <jansson.h>
#include <libpq-fe.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "accesslog.h"
#include "buf.h"
#include "metrics.h"
#include "response.h"

#define CHANNEL "helpdesk_notifications"
#define TICK_MS 1000
#define CONNECT_TIMEOUT_MS 5000
#define EVENTS_PER_QUERY 100 /* helpdesk.notification_stream_state's limit: more -> ask again */
static const uint64_t backoff_ms[] = {100, 250, 500, 1000, 2000};
#define NBACKOFF (sizeof(backoff_ms) / sizeof(backoff_ms[0]))

enum conn_state { PG_DOWN, PG_CONNECTING, PG_LISTEN_SENT, PG_UP };

typedef struct sub {
    h2o_generator_t gen; /* first: h2o calls back with it */
    h2o_linklist_t link; /* in st->subs while open */
    hd_sse_thread_t *st;
    h2o_req_t *req;
    long long user_id, iat, exp;
    long long last_id;    /* the last notification id sent; -1: none yet (starts at the newest) */
    long long last_count; /* the unread count last sent; -1: none yet */
    long long count_upto; /* the lastId that came with last_count */
    int recount;          /* the user's own state changed: the count is not added to but counted again */
    char *snapshot;       /* pg_current_snapshot() of the last answer applied (malloc); NULL: none yet */
    int staff;            /* the user reads staff broadcasts (from the last answer) */
    int started;          /* 200 and headers sent */
    int dirty, in_query;  /* to ask about / asked about in the query in flight */
    int sending, ending;  /* an h2o_send awaits proceed / end once it is done */
    uint64_t last_write;  /* loop time of the last bytes (keepalive) */
    hd_buf_t out;         /* bytes to send next */
    hd_buf_t flight;      /* bytes h2o is sending */
} sub_t;

struct hd_sse_thread {
    h2o_loop_t *loop;
    char *conninfo;
    uint64_t keepalive_ms;
    h2o_linklist_t subs;
    size_t nsubs;
    PGconn *pg;
    h2o_socket_t *sock;
    enum conn_state state;
    int query_in_flight, writing, stopping, backoff;
    h2o_timeout_t tick_timeout, connect_timeout, backoff_timeouts[NBACKOFF];
    h2o_timeout_entry_t tick, conn_timer;
};

/* ---- event text ---- */

void hd_sse_format_event(hd_buf_t *out, const char *name, long long id, const char *data, size_t len)
{
    char num[32];
    size_t i, start = 0;
    hd_buf_lit(out, "event: ");
    hd_buf_str(out, name);
    snprintf(num, sizeof(num), "\nid: %lld\n", id);
    hd_buf_str(out, num);
    /* a line break inside data would end the field: each line is a data: line of its own */
    for (i = 0; i <= len; i++) {
        if (i == len || data[i] == '\n' || data[i] == '\r') {
            hd_buf_lit(out, "data: ");
            hd_buf_append(out, data + start, i - start);
            hd_buf_lit(out, "\n");
            if (i + 1 < len && data[i] == '\r' && data[i + 1] == '\n')
                i++; /* CRLF is one line break */
            start = i + 1;
        }
    }
    hd_buf_lit(out, "\n");
}

long long hd_sse_parse_last_event_id(const char *s, size_t len)
{
    long long v = 0;
    size_t i;
    if (s == NULL || len == 0 || len > 18)
        return -1;
    for (i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    return v;
}

/* ---- writing to one stream ---- */

static void sub_flush(sub_t *s);

static void sub_finish(sub_t *s)
{
    /* the last bytes go, then the response ends; the request's disposal unlinks it */
    s->ending = 1;
    if (h2o_linklist_is_linked(&s->link)) {
        h2o_linklist_unlink(&s->link);
        s->st->nsubs--;
    }
    sub_flush(s);
}

static void sub_flush(sub_t *s)
{
    h2o_iovec_t iov;
    if (s->sending || s->req == NULL)
        return;
    if (s->out.len == 0 && !s->ending)
        return;
    /* what is pending goes out in one send; `out` collects the next */
    hd_buf_t t = s->flight;
    s->flight = s->out;
    s->out = t;
    s->out.len = 0;
    iov = h2o_iovec_init(s->flight.base, s->flight.len);
    s->sending = 1;
    s->last_write = h2o_now(s->st->loop);
    if (s->ending) {
        h2o_req_t *req = s->req;
        s->req = NULL; /* nothing more is sent on it */
        h2o_send(req, &iov, iov.len ? 1 : 0, H2O_SEND_STATE_FINAL);
    } else {
        h2o_send(s->req, &iov, 1, H2O_SEND_STATE_IN_PROGRESS);
    }
}

static void on_proceed(h2o_generator_t *gen, h2o_req_t *req)
{
    sub_t *s = (sub_t *)gen;
    (void)req;
    s->sending = 0;
    /* h2o is done with these bytes. Freed, not kept for the next send: a thousand idle streams
     * would each keep two buffers as large as the largest burst they were sent (sub_flush hands
     * this empty one to `out`, which allocates again when there is something to send) */
    hd_buf_free(&s->flight);
    sub_flush(s);
}

static void on_stop(h2o_generator_t *gen, h2o_req_t *req)
{
    sub_t *s = (sub_t *)gen;
    (void)req;
    s->req = NULL;
}

/* The request's memory goes (client gone, response done, shutdown): the stream is forgotten. */
static void on_dispose(void *p)
{
    sub_t *s = p;
    if (h2o_linklist_is_linked(&s->link)) {
        h2o_linklist_unlink(&s->link);
        s->st->nsubs--;
    }
    if (s->started)
        hd_metrics_sse_subscriber(-1);
    hd_buf_free(&s->out);
    hd_buf_free(&s->flight);
    free(s->snapshot);
    s->snapshot = NULL;
}

static void sub_start(sub_t *s)
{
    h2o_req_t *req = s->req;
    req->res.status = 200;
    req->res.reason = "OK";
    h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CONTENT_TYPE, NULL, H2O_STRLIT("text/event-stream; charset=utf-8"));
    h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CACHE_CONTROL, NULL, H2O_STRLIT("no-cache"));
    h2o_add_header_by_str(&req->pool, &req->res.headers, H2O_STRLIT("x-accel-buffering"), 0, "X-Accel-Buffering",
                          H2O_STRLIT("no"));
    s->gen.proceed = on_proceed;
    s->gen.stop = on_stop;
    h2o_start_response(req, &s->gen);
    s->started = 1;
    hd_metrics_sse_subscriber(1);
    /* the client's reconnection delay, then the events */
    hd_buf_lit(&s->out, "retry: 3000\n\n");
}

/* Refuse a stream that has not started (401/503 in the envelope), or end one that has. */
static void sub_refuse(sub_t *s, int status, const char *message)
{
    if (s->started) {
        sub_finish(s);
        return;
    }
    if (h2o_linklist_is_linked(&s->link)) {
        h2o_linklist_unlink(&s->link);
        s->st->nsubs--;
    }
    if (s->req != NULL) {
        h2o_req_t *req = s->req;
        s->req = NULL;
        hd_respond_error(req, status, message, NULL, status == 503 ? 1 : 0);
    }
}

/* ---- the stream connection ---- */

static void conn_start(hd_sse_thread_t *st);
static void pump(hd_sse_thread_t *st);

static void detach(hd_sse_thread_t *st)
{
    if (st->sock != NULL) {
        st->sock->data = NULL;
        h2o_socket_close(st->sock);
        st->sock = NULL;
    }
    st->writing = 0;
}

static int attach(hd_sse_thread_t *st)
{
    int fd;
    detach(st);
    if (PQsocket(st->pg) < 0 || (fd = dup(PQsocket(st->pg))) < 0)
        return -1;
    st->sock = h2o_evloop_socket_create(st->loop, fd, H2O_SOCKET_FLAG_DONT_READ);
    st->sock->data = st;
    return 0;
}

static void on_reconnect(h2o_timeout_entry_t *e)
{
    hd_sse_thread_t *st = H2O_STRUCT_FROM_MEMBER(hd_sse_thread_t, conn_timer, e);
    conn_start(st);
}

/* The connection is lost: streams not yet started are refused (503), the others wait for it
 * to come back and are all asked about then. */
static void conn_down(hd_sse_thread_t *st, const char *why)
{
    h2o_linklist_t *n, *next;
    if (st->state == PG_UP || st->backoff == 0)
        hd_log_error("sse: stream connection lost: %s", why != NULL ? why : "?");
    if (h2o_timeout_is_linked(&st->conn_timer))
        h2o_timeout_unlink(&st->conn_timer);
    detach(st);
    if (st->pg != NULL) {
        PQfinish(st->pg);
        st->pg = NULL;
    }
    st->state = PG_DOWN;
    st->query_in_flight = 0;
    for (n = st->subs.next; n != &st->subs; n = next) {
        sub_t *s = H2O_STRUCT_FROM_MEMBER(sub_t, link, n);
        next = n->next;
        s->in_query = 0;
        s->dirty = 1;
        if (!s->started)
            sub_refuse(s, 503, "Database unavailable");
    }
    if (st->stopping)
        return;
    st->conn_timer.cb = on_reconnect;
    h2o_timeout_link(st->loop, &st->backoff_timeouts[st->backoff], &st->conn_timer);
    if (st->backoff + 1 < (int)NBACKOFF)
        st->backoff++;
}

static void on_writable(h2o_socket_t *sock, const char *err);

static void pg_flush(hd_sse_thread_t *st)
{
    int r;
    if (st->writing || st->pg == NULL)
        return;
    r = PQflush(st->pg);
    if (r < 0) {
        conn_down(st, PQerrorMessage(st->pg));
    } else if (r == 1) {
        st->writing = 1;
        h2o_socket_notify_write(st->sock, on_writable);
    }
}

static void on_writable(h2o_socket_t *sock, const char *err)
{
    hd_sse_thread_t *st = sock->data;
    if (st == NULL)
        return;
    st->writing = 0;
    if (err != NULL) {
        conn_down(st, err);
        return;
    }
    pg_flush(st);
}

/* One user's part of the answer, applied to one of its streams; `snapshot`: the answer's. */
static void apply_state(sub_t *s, json_t *u, const char *snapshot)
{
    json_t *events, *ev;
    size_t i, n = 0;
    long long count, last_before = s->last_id;
    if (!json_is_object(u) || !json_is_true(json_object_get(u, "active"))) {
        sub_refuse(s, 401, "Invalid token or user not found");
        return;
    }
    s->staff = json_is_true(json_object_get(u, "staff"));
    s->count_upto = json_integer_value(json_object_get(u, "lastId"));
    if (!s->started)
        sub_start(s);
    if (s->last_id >= 0 && s->snapshot != NULL && json_is_array(events = json_object_get(u, "late"))) {
        /* committed after this stream moved past their ids: new to it (the snapshot it sent did
         * not see them), those up to its own last id; the ones after it are in "events" */
        json_array_foreach(events, i, ev)
        {
            long long id = json_integer_value(json_array_get(ev, 0));
            const char *text = json_string_value(json_array_get(ev, 1));
            if (id > last_before || text == NULL)
                continue;
            /* its SSE id is the stream's position, not its own smaller id: a reconnect with it
             * as Last-Event-ID must not send again what came after (the data carries the id) */
            hd_sse_format_event(&s->out, "notification", last_before, text, json_string_length(json_array_get(ev, 1)));
            n++;
        }
    }
    if (s->last_id < 0) {
        s->last_id = json_integer_value(json_object_get(u, "lastId"));
    } else if (json_is_array(events = json_object_get(u, "events"))) {
        json_array_foreach(events, i, ev)
        {
            /* [id, text] (on_answer turned each event into its text once for all the user's streams) */
            long long id = json_integer_value(json_array_get(ev, 0));
            const char *text = json_string_value(json_array_get(ev, 1));
            if (id <= s->last_id || text == NULL)
                continue; /* this stream had it: another of the user's streams asked from earlier */
            hd_sse_format_event(&s->out, "notification", id, text, json_string_length(json_array_get(ev, 1)));
            s->last_id = id;
            n++;
        }
        if (json_array_size(events) >= EVENTS_PER_QUERY)
            s->dirty = 1; /* more after these */
    }
    count = json_integer_value(json_object_get(u, "unreadCount"));
    if (count != s->last_count || n > 0) {
        char num[32];
        int len = snprintf(num, sizeof(num), "%lld", count);
        hd_sse_format_event(&s->out, "unreadCount", s->last_id, num, (size_t)len);
        s->last_count = count;
    }
    if (snapshot != NULL) {
        /* out of memory: the old one stays (its late rows come again), the count is taken in full */
        char *copy = strdup(snapshot);
        if (copy != NULL) {
            free(s->snapshot);
            s->snapshot = copy;
        } else {
            s->recount = 1;
        }
    }
    sub_flush(s);
}

static void on_answer(hd_sse_thread_t *st, PGresult *res)
{
    json_t *root = NULL;
    json_error_t jerr;
    json_t *users = NULL;
    const char *snapshot = NULL;
    h2o_linklist_t *n, *next;
    int ok = PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1;
    if (ok)
        root = json_loadb(PQgetvalue(res, 0, 0), (size_t)PQgetlength(res, 0, 0), 0, &jerr);
    else
        hd_log_error("sse: notifications_stream failed: %s", PQresultErrorMessage(res));
    if (root != NULL) {
        users = json_object_get(root, "users");
        snapshot = json_string_value(json_object_get(root, "snapshot"));
        if (!json_is_object(users)) {
            hd_log_error("sse: notifications_stream answered without users");
            json_decref(root);
            root = NULL;
        }
    }
    if (root != NULL) {
        /* each event's text once per user, not once per stream: [id, text] in place of the object */
        const char *key;
        json_t *u;
        json_object_foreach(users, key, u)
        {
            const char *lists[] = {"events", "late"};
            size_t l;
            for (l = 0; l < sizeof(lists) / sizeof(lists[0]); l++) {
                json_t *events = json_object_get(u, lists[l]), *ev;
                size_t i;
                json_array_foreach(events, i, ev)
                {
                    char *text = json_dumps(ev, JSON_COMPACT);
                    json_t *pair =
                        json_pack("[Is]", (json_int_t)json_integer_value(json_object_get(ev, "id")), text != NULL ? text : "");
                    free(text);
                    json_array_set_new(events, i, pair);
                }
            }
        }
    }
    for (n = st->subs.next; n != &st->subs; n = next) {
        sub_t *s = H2O_STRUCT_FROM_MEMBER(sub_t, link, n);
        char key[32];
        next = n->next;
        if (!s->in_query)
            continue;
        s->in_query = 0;
        if (root == NULL) {
            s->recount = 1;
            if (!s->started)
                sub_refuse(s, 503, "Database unavailable");
            continue; /* asked again with the next change */
        }
        snprintf(key, sizeof(key), "%lld", s->user_id);
        apply_state(s, json_object_get(users, key), snapshot);
    }
    json_decref(root);
}

static void on_readable(h2o_socket_t *sock, const char *err)
{
    hd_sse_thread_t *st = sock->data;
    PGnotify *nf;
    if (st == NULL)
        return;
    if (err != NULL || PQconsumeInput(st->pg) != 1) {
        conn_down(st, err != NULL ? err : PQerrorMessage(st->pg));
        return;
    }
    /* the results of the command in flight (LISTEN, or a query), up to its end (NULL) */
    while (st->query_in_flight && !PQisBusy(st->pg)) {
        PGresult *res = PQgetResult(st->pg);
        if (res == NULL) {
            st->query_in_flight = 0;
            if (st->state == PG_LISTEN_SENT) {
                st->state = PG_UP;
                st->backoff = 0;
            }
            break;
        }
        if (st->state == PG_LISTEN_SENT) {
            if (PQresultStatus(res) != PGRES_COMMAND_OK) {
                char msg[256];
                snprintf(msg, sizeof(msg), "LISTEN: %s", PQresultErrorMessage(res));
                PQclear(res);
                conn_down(st, msg);
                return;
            }
        } else {
            on_answer(st, res);
        }
        PQclear(res);
    }
    while ((nf = PQnotifies(st->pg)) != NULL) {
        h2o_linklist_t *n;
        int staff = strcmp(nf->extra, "staff") == 0;
        int added = strncmp(nf->extra, "n ", 2) == 0; /* a new notification: added to the count */
        long long uid = added || strncmp(nf->extra, "u ", 2) == 0 ? atoll(nf->extra + 2) : -1;
        for (n = st->subs.next; n != &st->subs; n = n->next) {
            sub_t *s = H2O_STRUCT_FROM_MEMBER(sub_t, link, n);
            if (s->user_id == uid) {
                s->dirty = 1;
                if (!added)
                    s->recount = 1;
            } else if (staff && s->staff) {
                s->dirty = 1; /* a new broadcast: added to the count the stream has */
            }
        }
        PQfreemem(nf);
    }
    pump(st);
}

static int compare_user_ids(const void *a, const void *b)
{
    long long x = *(const long long *)a, y = *(const long long *)b;
    return (x > y) - (x < y);
}

/* Marks every stream of a user one of whose streams is marked: the marked users' ids sorted,
 * then one search per stream (n log n: a thread holds thousands of streams). */
static void mark_users_streams(hd_sse_thread_t *st)
{
    h2o_linklist_t *n;
    size_t count = 0, i = 0;
    long long *users;
    for (n = st->subs.next; n != &st->subs; n = n->next)
        count += H2O_STRUCT_FROM_MEMBER(sub_t, link, n)->dirty != 0;
    if (count == 0)
        return;
    users = malloc(count * sizeof(*users));
    if (users == NULL) { /* out of memory: ask about every stream (correct, only dearer) */
        for (n = st->subs.next; n != &st->subs; n = n->next)
            H2O_STRUCT_FROM_MEMBER(sub_t, link, n)->dirty = 1;
        return;
    }
    for (n = st->subs.next; n != &st->subs; n = n->next) {
        sub_t *s = H2O_STRUCT_FROM_MEMBER(sub_t, link, n);
        if (s->dirty)
            users[i++] = s->user_id;
    }
    qsort(users, count, sizeof(*users), compare_user_ids);
    for (n = st->subs.next; n != &st->subs; n = n->next) {
        sub_t *s = H2O_STRUCT_FROM_MEMBER(sub_t, link, n);
        if (!s->dirty && bsearch(&s->user_id, users, count, sizeof(*users), compare_user_ids) != NULL)
            s->dirty = 1;
    }
    free(users);
}

/* Ask about every marked stream, in one query, when none is in flight. */
static void pump(hd_sse_thread_t *st)
{
    h2o_linklist_t *n;
    hd_buf_t doc = {0};
    const char *params[1];
    int any = 0;
    if (st->state != PG_UP || st->query_in_flight)
        return;
    /* a user's streams are asked about together, so they keep one snapshot (the late rows of
     * helpdesk.notification_stream_state are those of the snapshot they agree on) */
    mark_users_streams(st);
    hd_buf_lit(&doc, "{\"subscribers\":[");
    for (n = st->subs.next; n != &st->subs; n = n->next) {
        sub_t *s = H2O_STRUCT_FROM_MEMBER(sub_t, link, n);
        char item[192];
        if (!s->dirty)
            continue;
        snprintf(item, sizeof(item), "%s{\"userId\":%lld,\"iat\":%lld,\"after\":%lld", any ? "," : "", s->user_id, s->iat,
                 s->last_id);
        hd_buf_str(&doc, item);
        /* the count it has, to be added to (SQL counts everything again without it) */
        if (!s->recount && s->last_count >= 0) {
            snprintf(item, sizeof(item), ",\"count\":%lld,\"countUpto\":%lld", s->last_count, s->count_upto);
            hd_buf_str(&doc, item);
        }
        if (s->snapshot != NULL) { /* digits, colons and commas: nothing to escape */
            hd_buf_lit(&doc, ",\"snapshot\":\"");
            hd_buf_str(&doc, s->snapshot);
            hd_buf_lit(&doc, "\"");
        }
        hd_buf_lit(&doc, "}");
        s->dirty = 0;
        s->recount = 0;
        s->in_query = 1;
        any = 1;
    }
    hd_buf_lit(&doc, "]}");
    if (any) {
        params[0] = doc.base;
        if (!PQsendQueryParams(st->pg, "SELECT helpdesk_api.notifications_stream($1::jsonb)", 1, NULL, params, NULL, NULL,
                               0)) {
            hd_buf_free(&doc);
            conn_down(st, PQerrorMessage(st->pg));
            return;
        }
        st->query_in_flight = 1;
        pg_flush(st);
    }
    hd_buf_free(&doc);
}

static void connect_poll(hd_sse_thread_t *st);

static void on_connect_io(h2o_socket_t *sock, const char *err)
{
    hd_sse_thread_t *st = sock->data;
    (void)err;
    if (st == NULL)
        return;
    h2o_socket_read_stop(sock);
    st->writing = 0;
    connect_poll(st);
}

static void on_connect_timeout(h2o_timeout_entry_t *e)
{
    hd_sse_thread_t *st = H2O_STRUCT_FROM_MEMBER(hd_sse_thread_t, conn_timer, e);
    conn_down(st, "timeout while connecting");
}

static void connect_poll(hd_sse_thread_t *st)
{
    PostgresPollingStatusType r = PQconnectPoll(st->pg);
    if (r == PGRES_POLLING_FAILED) {
        conn_down(st, PQerrorMessage(st->pg));
        return;
    }
    if (r == PGRES_POLLING_OK) {
        h2o_linklist_t *n;
        if (h2o_timeout_is_linked(&st->conn_timer))
            h2o_timeout_unlink(&st->conn_timer);
        if (PQsetnonblocking(st->pg, 1) != 0 || attach(st) != 0 || !PQsendQuery(st->pg, "LISTEN " CHANNEL)) {
            conn_down(st, PQerrorMessage(st->pg));
            return;
        }
        st->state = PG_LISTEN_SENT;
        st->query_in_flight = 1;
        /* whatever happened while it was down: every stream is asked about once it listens */
        for (n = st->subs.next; n != &st->subs; n = n->next) {
            sub_t *s = H2O_STRUCT_FROM_MEMBER(sub_t, link, n);
            s->dirty = 1;
            s->recount = 1;
        }
        h2o_socket_read_start(st->sock, on_readable);
        pg_flush(st);
        return;
    }
    if (attach(st) != 0) {
        conn_down(st, "no socket");
        return;
    }
    if (r == PGRES_POLLING_READING) {
        h2o_socket_read_start(st->sock, on_connect_io);
    } else {
        st->writing = 1;
        h2o_socket_notify_write(st->sock, on_connect_io);
    }
}

static void conn_start(hd_sse_thread_t *st)
{
    if (st->stopping)
        return;
    st->pg = PQconnectStart(st->conninfo);
    if (st->pg == NULL || PQstatus(st->pg) == CONNECTION_BAD) {
        conn_down(st, st->pg != NULL ? PQerrorMessage(st->pg) : "out of memory");
        return;
    }
    st->state = PG_CONNECTING;
    st->conn_timer.cb = on_connect_timeout;
    h2o_timeout_link(st->loop, &st->connect_timeout, &st->conn_timer);
    if (attach(st) != 0) {
        conn_down(st, "no socket");
        return;
    }
    st->writing = 1;
    h2o_socket_notify_write(st->sock, on_connect_io);
}

/* ---- the thread's tick: token expiry and keepalive ---- */

static void on_tick(h2o_timeout_entry_t *e)
{
    hd_sse_thread_t *st = H2O_STRUCT_FROM_MEMBER(hd_sse_thread_t, tick, e);
    uint64_t now = h2o_now(st->loop);
    long long wall = (long long)time(NULL);
    h2o_linklist_t *n, *next;
    for (n = st->subs.next; n != &st->subs; n = next) {
        sub_t *s = H2O_STRUCT_FROM_MEMBER(sub_t, link, n);
        next = n->next;
        if (!s->started)
            continue;
        if (s->exp <= wall) {
            sub_finish(s);
            continue;
        }
        if (now - s->last_write >= st->keepalive_ms && !s->sending && s->out.len == 0) {
            hd_buf_lit(&s->out, ": keepalive\n\n");
            sub_flush(s);
        }
    }
    if (!st->stopping)
        h2o_timeout_link(st->loop, &st->tick_timeout, &st->tick);
}

/* ---- the API ---- */

hd_sse_thread_t *hd_sse_thread_start(h2o_loop_t *loop, const char *conninfo, uint64_t keepalive_ms)
{
    hd_sse_thread_t *st = calloc(1, sizeof(*st));
    size_t i;
    if (st == NULL)
        abort();
    st->loop = loop;
    st->conninfo = strdup(conninfo);
    st->keepalive_ms = keepalive_ms;
    h2o_linklist_init_anchor(&st->subs);
    h2o_timeout_init(loop, &st->tick_timeout, TICK_MS);
    h2o_timeout_init(loop, &st->connect_timeout, CONNECT_TIMEOUT_MS);
    for (i = 0; i < NBACKOFF; i++)
        h2o_timeout_init(loop, &st->backoff_timeouts[i], backoff_ms[i]);
    st->tick.cb = on_tick;
    h2o_timeout_link(loop, &st->tick_timeout, &st->tick);
    conn_start(st);
    return st;
}

void hd_sse_thread_stop(hd_sse_thread_t *st)
{
    if (st == NULL || st->stopping)
        return;
    st->stopping = 1;
    while (!h2o_linklist_is_empty(&st->subs)) {
        sub_t *s = H2O_STRUCT_FROM_MEMBER(sub_t, link, st->subs.next);
        if (s->started)
            sub_finish(s);
        else
            sub_refuse(s, 503, "Server is shutting down");
    }
    if (h2o_timeout_is_linked(&st->tick))
        h2o_timeout_unlink(&st->tick);
    if (h2o_timeout_is_linked(&st->conn_timer))
        h2o_timeout_unlink(&st->conn_timer);
    detach(st);
    if (st->pg != NULL) {
        PQfinish(st->pg);
        st->pg = NULL;
    }
    st->state = PG_DOWN;
}

void hd_sse_thread_free(hd_sse_thread_t *st)
{
    size_t i;
    if (st == NULL)
        return;
    hd_sse_thread_stop(st);
    h2o_timeout_dispose(st->loop, &st->tick_timeout);
    h2o_timeout_dispose(st->loop, &st->connect_timeout);
    for (i = 0; i < NBACKOFF; i++)
        h2o_timeout_dispose(st->loop, &st->backoff_timeouts[i]);
    free(st->conninfo);
    free(st);
}

size_t hd_sse_count(hd_sse_thread_t *st)
{
    return st != NULL ? st->nsubs : 0;
}

void hd_sse_subscribe(hd_sse_thread_t *st, h2o_req_t *req, long long user_id, long long iat, long long exp)
{
    sub_t *s;
    ssize_t h;
    if (st == NULL || st->stopping) {
        hd_respond_error(req, 503, "Server is shutting down", NULL, 1);
        return;
    }
    if (st->state != PG_UP) {
        hd_respond_error(req, 503, "Database unavailable", NULL, 1);
        return;
    }
    s = h2o_mem_alloc_shared(&req->pool, sizeof(*s), on_dispose);
    memset(s, 0, sizeof(*s));
    s->st = st;
    s->req = req;
    s->user_id = user_id;
    s->iat = iat;
    s->exp = exp;
    s->last_count = -1;
    s->last_id = -1;
    if ((h = h2o_find_header_by_str(&req->headers, H2O_STRLIT("last-event-id"), -1)) >= 0)
        s->last_id = hd_sse_parse_last_event_id(req->headers.entries[h].value.base, req->headers.entries[h].value.len);
    s->last_write = h2o_now(st->loop);
    s->dirty = 1;
    s->recount = 1;
    h2o_linklist_insert(&st->subs, &s->link);
    st->nsubs++;
    pump(st);
}
