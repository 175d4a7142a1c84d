#!/usr/bin/env bash
# helpdesk-http's memory with many open idle connections (issue 13: < 64 MiB with 1,000): the
# server's RSS (VmRSS, /proc) idle, with BENCH_IDLE_CONNECTIONS (1000) TCP connections open and
# silent, then with each of them having made one request (GET /health, keep-alive) and left
# open. HTTP_READ_TIMEOUT_MS (the idle limit) is raised for the run so the server does not close them meanwhile.
#
#   bench/idle_conns.sh        (a private copy of PostgreSQL with this build)
# Environment: BENCH_IDLE_CONNECTIONS (1000), HD_PGBIN_GIVEN=1 with HD_PGBIN.
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
. "$repo/tests/lib/cluster.sh"
[ -n "${HD_PGBIN_GIVEN:-}" ] || hd_pgroot_prepare "$repo"
HD_CLUSTER_FAST=1
. "$repo/bench/lib.sh"
trap 'bench_cleanup; [ -n "${HD_PGROOT:-}" ] && rm -rf "$HD_PGROOT"' EXIT

bench_cluster_start
bench_machine
HTTP_READ_TIMEOUT_MS=600000 bench_server_start
rss() { awk '/^VmRSS/ { printf "%.1f", $2 / 1024 }' "/proc/$bench_server_pid/status"; }
before=$(rss)
/usr/bin/python3 - "$bench_http_port" "${BENCH_IDLE_CONNECTIONS:-1000}" "$bench_server_pid" "$before" <<'PY'
import resource, socket, sys, time
port, n, pid, before = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4]
soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, max(soft, n + 100)), hard))
def rss():
    for line in open("/proc/%s/status" % pid):
        if line.startswith("VmRSS"):
            return int(line.split()[1]) / 1024.0
conns = [socket.create_connection(("127.0.0.1", port)) for _ in range(n)]
time.sleep(1)
silent = rss()
for c in conns:
    c.sendall(b"GET /api/v1/health HTTP/1.1\r\nHost: bench\r\n\r\n")
ok = 0
for c in conns:
    c.settimeout(30)
    data = b""
    while b"\r\n\r\n" not in data:
        data += c.recv(65536)
    ok += data.startswith(b"HTTP/1.1 200")
time.sleep(1)
used = rss()
alive = 0
for c in conns:
    c.settimeout(0.01)
    try:
        alive += c.recv(1) != b""
    except socket.timeout:
        alive += 1
print("\n| helpdesk-http RSS | MiB |\n|---|---|")
print("| idle, no client connection | %s |" % before)
print("| %d connections open, silent | %.1f |" % (n, silent))
print("| the same after one GET /health each (%d answered 200), kept open | %.1f |" % (ok, used))
print("\nconnections still open at the end: %d of %d" % (alive, n))
PY
