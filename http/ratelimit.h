/* ratelimit.h: fixed-window request limit per client address, shared by all threads. */
#ifndef HD_RATELIMIT_H
#define HD_RATELIMIT_H

#include <stdint.h>

void hd_ratelimit_init(int64_t window_ms, int64_t max_requests);
/* Count one request of `addr`. Returns 1 when allowed; 0 when limited (*retry_after_s set). */
int hd_ratelimit_hit(const char *addr, uint64_t now_ms, int *retry_after_s);

#endif
