/* blob_baseline.c: the database's own cost of moving a file, the baseline of bench/attach.sh.
 * MODE insert: inserts a file N times into a bytea column (binary parameter, as helpdesk-http
 * sends an upload, sha256 computed as attachments do); MODE select: reads the rows with ids
 * FIRST..FIRST+N-1 back (binary result, as a download); each its own transaction, over one
 * libpq connection. Prints MiB/s.
 *
 *   blob_baseline CONNINFO FILE N insert|select [FIRST]
 * The table: bench_blob(id serial primary key, content bytea STORAGE EXTERNAL, sha256 bytea). */
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void die(PGconn *pg, const char *what)
{
    fprintf(stderr, "blob_baseline: %s: %s", what, PQerrorMessage(pg));
    exit(1);
}

int main(int argc, char **argv)
{
    PGconn *pg;
    PGresult *r;
    FILE *f;
    char *data;
    long size;
    int n, i, fmt = 1, len, first = 1, insert;
    double t0, elapsed;

    if (argc < 5 || (n = atoi(argv[3])) <= 0 || (strcmp(argv[4], "insert") != 0 && strcmp(argv[4], "select") != 0)) {
        fprintf(stderr, "usage: blob_baseline CONNINFO FILE N insert|select [FIRST]\n");
        return 2;
    }
    insert = strcmp(argv[4], "insert") == 0;
    if (argc > 5)
        first = atoi(argv[5]);
    if ((f = fopen(argv[2], "rb")) == NULL || fseek(f, 0, SEEK_END) != 0 || (size = ftell(f)) <= 0) {
        perror(argv[2]);
        return 1;
    }
    rewind(f);
    data = malloc((size_t)size);
    if (data == NULL || fread(data, 1, (size_t)size, f) != (size_t)size) {
        perror(argv[2]);
        return 1;
    }
    fclose(f);
    len = (int)size;
    if (PQstatus(pg = PQconnectdb(argv[1])) != CONNECTION_OK)
        die(pg, "connect");
    r = PQprepare(pg, "ins", "INSERT INTO bench_blob (content, sha256) VALUES ($1, sha256($1)) RETURNING id", 1, NULL);
    if (PQresultStatus(r) != PGRES_COMMAND_OK)
        die(pg, "prepare");
    PQclear(r);
    r = PQprepare(pg, "sel", "SELECT content FROM bench_blob WHERE id = $1::int", 1, NULL);
    if (PQresultStatus(r) != PGRES_COMMAND_OK)
        die(pg, "prepare");
    PQclear(r);

    t0 = now_s();
    for (i = 0; i < n; i++) {
        if (insert) {
            const char *values[1] = {data};
            r = PQexecPrepared(pg, "ins", 1, values, &len, &fmt, 0);
        } else {
            char id[16];
            const char *values[1] = {id};
            snprintf(id, sizeof(id), "%d", first + i);
            r = PQexecPrepared(pg, "sel", 1, values, NULL, NULL, 1);
            if (PQresultStatus(r) == PGRES_TUPLES_OK && (PQntuples(r) != 1 || PQgetlength(r, 0, 0) != len))
                die(pg, "select: no such row");
        }
        if (PQresultStatus(r) != PGRES_TUPLES_OK)
            die(pg, insert ? "insert" : "select");
        PQclear(r);
    }
    elapsed = now_s() - t0;
    printf("%.1f\n", n * (size / 1048576.0) / elapsed);
    PQfinish(pg);
    free(data);
    return 0;
}
