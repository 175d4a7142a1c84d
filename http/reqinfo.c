/* reqinfo.c: the request id and matched route of a request, kept with the request as an h2o
 * prefilter (the one per-request slot h2o offers), so the response filter can find them. */
#include "reqinfo.h"

#include <stdint.h>
#include <string.h>
#include <sys/random.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

static void on_setup_ostream(h2o_req_prefilter_t *self, h2o_req_t *req, h2o_ostream_t **slot)
{
    h2o_setup_next_prefilter(self, req, slot);
}

double hd_request_seconds(h2o_req_t *req)
{
    struct timeval now;
    if (req->timestamps.request_begin_at.tv_sec == 0)
        return 0;
    gettimeofday(&now, NULL);
    return (double)(now.tv_sec - req->timestamps.request_begin_at.tv_sec) +
           (double)(now.tv_usec - req->timestamps.request_begin_at.tv_usec) / 1e6;
}

int hd_request_id_valid(const char *s, size_t len)
{
    size_t i;
    if (len == 0 || len > HD_REQUEST_ID_MAX)
        return 0;
    for (i = 0; i < len; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
              c == ':' || c == '-'))
            return 0;
    }
    return 1;
}

/* splitmix64: a full-period generator; seeded per thread, so ids never repeat within a thread
 * and threads start at unrelated points. */
static __thread uint64_t id_state;
static __thread int id_seeded;

void hd_request_id_new(char *buf)
{
    static const char hex[] = "0123456789abcdef";
    uint64_t z;
    int i;
    if (!id_seeded) {
        if (getrandom(&id_state, sizeof(id_state), 0) != (ssize_t)sizeof(id_state))
            id_state = (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32) ^ (uint64_t)(uintptr_t)&id_state;
        id_seeded = 1;
    }
    z = (id_state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    z ^= z >> 31;
    for (i = 15; i >= 0; i--) {
        buf[i] = hex[z & 15];
        z >>= 4;
    }
    buf[16] = '\0';
}

hd_reqinfo_t *hd_reqinfo(h2o_req_t *req)
{
    h2o_req_prefilter_t *p;
    hd_reqinfo_t *info;
    ssize_t h;
    for (p = req->prefilters; p != NULL; p = p->next)
        if (p->on_setup_ostream == on_setup_ostream)
            return (hd_reqinfo_t *)p;
    info = (hd_reqinfo_t *)h2o_add_prefilter(req, sizeof(*info));
    info->super.on_setup_ostream = on_setup_ostream;
    info->route = NULL;
    h = h2o_find_header_by_str(&req->headers, H2O_STRLIT("x-request-id"), -1);
    if (h >= 0 && hd_request_id_valid(req->headers.entries[h].value.base, req->headers.entries[h].value.len)) {
        memcpy(info->id, req->headers.entries[h].value.base, req->headers.entries[h].value.len);
        info->id[req->headers.entries[h].value.len] = '\0';
    } else {
        hd_request_id_new(info->id);
    }
    return info;
}
