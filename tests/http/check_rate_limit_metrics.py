#!/usr/bin/python3
"""GET /metrics counts what the rate limit refused: against a server started with
RATE_LIMIT_MAX_REQUESTS small, sends requests until one is refused (429, at most 20), then
checks that helpdesk_http_rate_limited_total is the number of 429s seen. Used by tests/run.sh.

    check_rate_limit_metrics.py BASE_URL METRICS_URL"""
import sys
import urllib.error
import urllib.request

base, metrics = sys.argv[1], sys.argv[2]
refused = 0
for _ in range(20):
    try:
        urllib.request.urlopen(base + "/api/v1/health", timeout=60).read()
    except urllib.error.HTTPError as e:
        if e.code == 429:
            refused += 1
            break
text = urllib.request.urlopen(metrics + "/metrics", timeout=60).read().decode()
line = "helpdesk_http_rate_limited_total %d" % refused
print("refused %d; %s" % (refused, "found %r" % line if line in text.splitlines() else "no line %r" % line))
sys.exit(0 if refused == 1 and line in text.splitlines() else 1)
