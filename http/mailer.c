/* mailer.c: the outbox's sender, one thread of helpdesk-http with its own database connection.
 *
 * Loop: claim a batch (helpdesk_api.email_claim: the attempt and a lease of EMAIL_LEASE_MS are
 * committed before anything is sent), send each message over SMTP with libcurl, record each
 * outcome (helpdesk_api.email_mark: sent; retry after a 4xx or no connection; dead after a
 * 5xx). The rules (backoff, dead letters, who may record) are SQL's, sql/92_email.sql. Between
 * batches it sleeps until a NOTIFY helpdesk_email (sent at the commit of a new message) or
 * EMAIL_POLL_MS, whichever comes first. A crash between sending and recording leaves the
 * message leased: it is sent again, with the same Message-ID, once the lease has passed (at
 * least once). Several servers may run it at once: claims skip each other's rows. */
#include "mailer.h"

#include <curl/curl.h>
#include <errno.h>
#include <jansson.h>
#include <libpq-fe.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "accesslog.h"
#include "buf.h"
#include "config.h"
#include "mailformat.h"
#include "metrics.h"

static pthread_t thread;
static int running;
static int stop_pipe[2] = {-1, -1};
static char *conninfo_copy;

/* Wait up to ms for the stop pipe or (when fd >= 0) the connection's socket. 1: stop asked. */
static int wait_for(int fd, int64_t ms)
{
    struct pollfd p[2] = {{stop_pipe[0], POLLIN, 0}, {fd, POLLIN, 0}};
    int n = poll(p, fd >= 0 ? 2 : 1, ms > 0x7fffffff ? 0x7fffffff : (int)ms);
    return n > 0 && (p[0].revents & POLLIN);
}

typedef struct upload {
    const char *data;
    size_t len, off;
} upload_t;

static size_t read_cb(char *buf, size_t size, size_t nmemb, void *arg)
{
    upload_t *u = arg;
    size_t n = size * nmemb;
    if (n > u->len - u->off)
        n = u->len - u->off;
    memcpy(buf, u->data + u->off, n);
    u->off += n;
    return n;
}

/* One message over SMTP. Returns its outcome; `error` says why when it is not sent. */
static hd_mail_outcome_t smtp_send(CURL *c, const hd_mail_t *m, char *error, size_t errlen)
{
    hd_buf_t msg = {0}, url = {0}, from = {0}, rcpt = {0};
    struct curl_slist *rcpts = NULL;
    char curl_err[CURL_ERROR_SIZE] = "";
    upload_t up;
    CURLcode rc;
    long code = 0;
    hd_mail_outcome_t out;

    if (hd_mail_format(&msg, m) != 0 || strpbrk(m->to, "<>") != NULL) {
        snprintf(error, errlen, "not sendable: an address or the Message-ID is empty or holds a line break");
        hd_buf_free(&msg);
        return HD_MAIL_DEAD;
    }
    hd_buf_str(&url, hd_conf.smtp_secure ? "smtps://" : "smtp://");
    if (strchr(hd_conf.smtp_host, ':') != NULL) { /* an IPv6 address */
        hd_buf_lit(&url, "[");
        hd_buf_str(&url, hd_conf.smtp_host);
        hd_buf_lit(&url, "]");
    } else {
        hd_buf_str(&url, hd_conf.smtp_host);
    }
    {
        char port[16];
        snprintf(port, sizeof(port), ":%d", hd_conf.smtp_port);
        hd_buf_str(&url, port);
    }
    hd_mail_envelope_address(&from, hd_conf.email_from);
    hd_mail_envelope_address(&rcpt, m->to);
    rcpts = curl_slist_append(NULL, rcpt.base);
    up.data = msg.base;
    up.len = msg.len;
    up.off = 0;

    curl_easy_reset(c);
    curl_easy_setopt(c, CURLOPT_URL, url.base);
    curl_easy_setopt(c, CURLOPT_USE_SSL, (long)(hd_conf.smtp_secure ? CURLUSESSL_ALL : CURLUSESSL_TRY));
    if (hd_conf.smtp_user[0] != '\0') {
        curl_easy_setopt(c, CURLOPT_USERNAME, hd_conf.smtp_user);
        curl_easy_setopt(c, CURLOPT_PASSWORD, hd_conf.smtp_pass);
    }
    curl_easy_setopt(c, CURLOPT_MAIL_FROM, from.base);
    curl_easy_setopt(c, CURLOPT_MAIL_RCPT, rcpts);
    curl_easy_setopt(c, CURLOPT_READFUNCTION, read_cb);
    curl_easy_setopt(c, CURLOPT_READDATA, &up);
    curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(c, CURLOPT_INFILESIZE_LARGE, (curl_off_t)msg.len);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)hd_conf.smtp_timeout_ms);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, (long)hd_conf.smtp_timeout_ms);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, curl_err);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "smtp,smtps");

    rc = curl_easy_perform(c);
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
    out = hd_mail_classify(rc == CURLE_OK, code, rc == CURLE_LOGIN_DENIED);
    if (out != HD_MAIL_SENT)
    {
        if (code != 0)
            snprintf(error, errlen, "SMTP %ld: %s", code, curl_err[0] ? curl_err : curl_easy_strerror(rc));
        else
            snprintf(error, errlen, "%s", curl_err[0] ? curl_err : curl_easy_strerror(rc));
    }
    curl_slist_free_all(rcpts);
    hd_buf_free(&msg);
    hd_buf_free(&url);
    hd_buf_free(&from);
    hd_buf_free(&rcpt);
    return out;
}

/* SELECT helpdesk_api.<fn>($1) with a JSON argument; the text answer (to free) or NULL with
 * *broken set when the connection is gone. */
static char *call(PGconn *pg, const char *sql, const char *arg, int *broken)
{
    const char *params[1] = {arg};
    PGresult *r = PQexecParams(pg, sql, 1, NULL, params, NULL, NULL, 0);
    char *answer = NULL;
    if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1) {
        answer = strdup(PQgetvalue(r, 0, 0));
    } else {
        *broken = PQstatus(pg) != CONNECTION_OK;
        hd_log_error("mailer: %s", PQerrorMessage(pg));
    }
    PQclear(r);
    return answer;
}

static void record(PGconn *pg, json_t *msg, hd_mail_outcome_t outcome, const char *error, int *broken)
{
    json_t *req = json_pack("{s:O, s:O, s:s, s:s, s:i, s:I, s:I}", "id", json_object_get(msg, "id"), "attempt",
                            json_object_get(msg, "attempt"), "outcome",
                            outcome == HD_MAIL_SENT ? "sent" : outcome == HD_MAIL_RETRY ? "retry" : "dead", "error",
                            error, "maxAttempts", hd_conf.email_max_attempts, "retryBaseMs",
                            (json_int_t)hd_conf.email_retry_base_ms, "retryMaxMs", (json_int_t)hd_conf.email_retry_max_ms);
    char *arg = req ? json_dumps(req, JSON_COMPACT) : NULL;
    if (arg != NULL)
        free(call(pg, "SELECT helpdesk_api.email_mark($1::jsonb)::text", arg, broken));
    free(arg);
    json_decref(req);
}

/* Claim and send one batch. Returns the number of messages claimed, -1 when the database
 * connection broke. */
static int one_batch(PGconn *pg, CURL *c, const char *claim_arg)
{
    int broken = 0;
    char *answer = call(pg, "SELECT helpdesk_api.email_claim($1::jsonb)::text", claim_arg, &broken);
    json_t *batch;
    size_t i, n;
    if (answer == NULL)
        return broken ? -1 : 0;
    batch = json_loads(answer, 0, NULL);
    free(answer);
    n = json_is_array(batch) ? json_array_size(batch) : 0;
    for (i = 0; i < n && !broken; i++) {
        json_t *msg = json_array_get(batch, i);
        const char *html = json_string_value(json_object_get(msg, "bodyHtml"));
        hd_mail_t m = {hd_conf.email_from, json_string_value(json_object_get(msg, "recipient")),
                       json_string_value(json_object_get(msg, "subject")),
                       json_string_value(json_object_get(msg, "messageId")),
                       json_string_value(json_object_get(msg, "bodyText")), html, time(NULL)};
        char error[512] = "";
        hd_mail_outcome_t out;
        if (m.to == NULL || m.message_id == NULL || m.text == NULL) {
            out = HD_MAIL_DEAD;
            snprintf(error, sizeof(error), "not sendable: no recipient, Message-ID or text");
        } else {
            out = smtp_send(c, &m, error, sizeof(error));
        }
        hd_metrics_email_outcome(out);
        if (out != HD_MAIL_SENT)
            hd_log_error("mailer: message %lld (attempt %lld) to %s: %s (%s)",
                         (long long)json_integer_value(json_object_get(msg, "id")),
                         (long long)json_integer_value(json_object_get(msg, "attempt")), m.to ? m.to : "?", error,
                         out == HD_MAIL_DEAD ? "dead letter" : "will retry");
        record(pg, msg, out, error, &broken);
        /* stop asked: the rest of the batch keeps its lease and is sent after it (at least once) */
        if (wait_for(-1, 0))
            break;
    }
    json_decref(batch);
    return broken ? -1 : (int)n;
}

static void *run(void *arg)
{
    CURL *c = curl_easy_init();
    PGconn *pg = NULL;
    hd_buf_t claim = {0};
    int64_t backoff = 100;
    int down_logged = 0;
    (void)arg;
    {
        char tmp[160];
        snprintf(tmp, sizeof(tmp), "{\"batch\":%d,\"leaseMs\":%lld,\"maxAttempts\":%d}", hd_conf.email_batch,
                 (long long)hd_conf.email_lease_ms, hd_conf.email_max_attempts);
        hd_buf_str(&claim, tmp);
    }
    while (!wait_for(-1, 0)) {
        int n;
        if (pg == NULL) {
            PGresult *r;
            pg = PQconnectdb(conninfo_copy);
            if (PQstatus(pg) != CONNECTION_OK) {
                if (!down_logged)
                    hd_log_error("mailer: cannot connect to the database: %s", PQerrorMessage(pg));
                down_logged = 1;
                PQfinish(pg);
                pg = NULL;
                if (wait_for(-1, backoff))
                    break;
                backoff = backoff * 2 > hd_conf.email_poll_ms ? hd_conf.email_poll_ms : backoff * 2;
                continue;
            }
            r = PQexec(pg, "LISTEN helpdesk_email");
            PQclear(r);
            if (down_logged)
                hd_log_error("mailer: connected to the database again");
            down_logged = 0;
            backoff = 100;
        }
        n = one_batch(pg, c, claim.base);
        if (n < 0) {
            PQfinish(pg);
            pg = NULL;
            continue;
        }
        if (n >= hd_conf.email_batch) /* maybe more due at once */
            continue;
        {
            /* a NOTIFY that arrived during the batch is already read from the socket: claim again */
            int noted = 0;
            PQconsumeInput(pg);
            for (PGnotify *note; (note = PQnotifies(pg)) != NULL; noted = 1)
                PQfreemem(note);
            if (noted)
                continue;
        }
        if (wait_for(PQsocket(pg), hd_conf.email_poll_ms))
            break;
        /* woken (a NOTIFY) or the poll interval: forget the notifications, claim again */
        if (PQconsumeInput(pg) == 0) {
            PQfinish(pg);
            pg = NULL;
            continue;
        }
        for (PGnotify *note; (note = PQnotifies(pg)) != NULL;)
            PQfreemem(note);
    }
    PQfinish(pg);
    curl_easy_cleanup(c);
    hd_buf_free(&claim);
    return NULL;
}

int hd_mailer_start(const char *conninfo)
{
    if (!hd_conf.email_enabled) {
        hd_log_error("e-mail: EMAIL_ENABLED is false; messages wait in the outbox (helpdesk.email_outbox)");
        return 0;
    }
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        hd_log_error("e-mail: libcurl does not initialise");
        return -1;
    }
    if (pipe(stop_pipe) != 0) {
        hd_log_error("e-mail: pipe: %s", strerror(errno));
        curl_global_cleanup();
        return -1;
    }
    {
        size_t l = strlen(conninfo) + 64;
        conninfo_copy = malloc(l);
        /* a database that does not answer must not hold the sender forever */
        snprintf(conninfo_copy, l, "%s connect_timeout=5", conninfo);
    }
    if (pthread_create(&thread, NULL, run, NULL) != 0) {
        hd_log_error("e-mail: cannot start the sender thread");
        hd_mailer_stop();
        return -1;
    }
    running = 1;
    hd_log_error("e-mail: sending the outbox through %s://%s:%d as %s", hd_conf.smtp_secure ? "smtps" : "smtp",
                 hd_conf.smtp_host, hd_conf.smtp_port, hd_conf.email_from);
    return 0;
}

void hd_mailer_stop(void)
{
    if (stop_pipe[1] < 0)
        return;
    if (running) {
        ssize_t w = write(stop_pipe[1], "x", 1);
        (void)w;
        pthread_join(thread, NULL);
        running = 0;
    }
    close(stop_pipe[0]);
    close(stop_pipe[1]);
    stop_pipe[0] = stop_pipe[1] = -1;
    free(conninfo_copy);
    conninfo_copy = NULL;
    curl_global_cleanup();
}
