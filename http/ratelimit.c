/* ratelimit.c: a set-associative table of (address, window start, count): 4096 sets of 8
 * entries (bounded memory; when a set is full the entry with the oldest window is reused),
 * one mutex per 64 sets. */
#include "ratelimit.h"

#include <pthread.h>
#include <string.h>

#define NSETS 4096
#define WAYS 8
#define NLOCKS 64
#define ADDR_MAX 48

typedef struct entry {
    char addr[ADDR_MAX];
    uint64_t window_start;
    int64_t count;
} entry_t;

static entry_t table[NSETS][WAYS];
static pthread_mutex_t locks[NLOCKS];
static int64_t window_ms = 60000, max_requests = 0;

void hd_ratelimit_init(int64_t w, int64_t max)
{
    int i;
    window_ms = w > 0 ? w : 60000;
    max_requests = max;
    for (i = 0; i < NLOCKS; i++)
        pthread_mutex_init(&locks[i], NULL);
    memset(table, 0, sizeof(table));
}

static uint32_t hash(const char *s)
{
    uint32_t h = 2166136261u;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 16777619u;
    return h;
}

int hd_ratelimit_hit(const char *addr, uint64_t now_ms, int *retry_after_s)
{
    uint32_t set = hash(addr) % NSETS;
    pthread_mutex_t *lock = &locks[set % NLOCKS];
    entry_t *e = NULL, *victim = NULL;
    int i, allowed;
    if (max_requests <= 0)
        return 1;
    pthread_mutex_lock(lock);
    for (i = 0; i < WAYS; i++) {
        entry_t *c = &table[set][i];
        if (c->addr[0] != '\0' && strncmp(c->addr, addr, ADDR_MAX - 1) == 0) {
            e = c;
            break;
        }
        if (victim == NULL || c->addr[0] == '\0' || (victim->addr[0] != '\0' && c->window_start < victim->window_start))
            if (victim == NULL || victim->addr[0] != '\0')
                victim = c;
    }
    if (e == NULL) {
        e = victim;
        strncpy(e->addr, addr, ADDR_MAX - 1);
        e->addr[ADDR_MAX - 1] = '\0';
        e->window_start = now_ms;
        e->count = 0;
    }
    if (now_ms >= e->window_start + (uint64_t)window_ms) {
        e->window_start = now_ms;
        e->count = 0;
    }
    e->count++;
    allowed = e->count <= max_requests;
    if (!allowed) {
        uint64_t left = e->window_start + (uint64_t)window_ms - now_ms;
        *retry_after_s = (int)((left + 999) / 1000);
        if (*retry_after_s < 1)
            *retry_after_s = 1;
    }
    pthread_mutex_unlock(lock);
    return allowed;
}
