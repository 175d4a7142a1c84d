# Shared by http/bench/ab.sh and http/bench/callgrind.sh: two builds of helpdesk-http, A from a
# git revision and B from the working tree, and a throwaway cluster with the demo data.
#
#   ab_setup REV   sets work (a temporary directory, removed at exit, with the binaries
#                  $work/A and $work/B), pg_port, http_port, secret, token (a JWT of user 1),
#                  server_pid (the server to stop at exit, if any)
# Needs repo set and tests/lib/cluster.sh sourced. Nothing is installed in the system.

ab_cleanup() {
    [ -n "${server_pid:-}" ] && kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null
    hd_cluster_stop "$work/cluster" 2>/dev/null || true
    [ -n "${HD_PGROOT:-}" ] && rm -rf "$HD_PGROOT"
    rm -rf "$work"
}

ab_setup() {
    local rev=$1 cflags libs version
    work=$(mktemp -d /tmp/helpdesk-ab.XXXXXX)
    chmod 755 "$work"
    server_pid=
    trap ab_cleanup EXIT

    # the two binaries (A's headers come from its own revision: extension/request_context.h)
    mkdir -p "$work/a"
    git -C "$repo" archive "$rev" http extension | tar -x -C "$work/a"
    make -C "$repo" --no-print-directory -s http/helpdesk-http
    # A's version, as the Makefile passes it (revisions that do not use it ignore it)
    version=$(git -C "$repo" show "$rev:helpdesk.control" | sed -n "s/^default_version *= *'\(.*\)'/\1/p")
    cflags="-std=gnu11 -O2 -g -DH2O_USE_LIBUV=0 -DHELPDESK_VERSION=\"$version\" -I$work/a/extension -I$("$HD_PG_CONFIG" --includedir)"
    libs="-lh2o-evloop -ljansson -ljwt -lpq -lssl -lcrypto -lz -lpthread"
    grep -qs '<magic.h>' "$work"/a/http/*.c && libs="$libs -lmagic" # revisions with uploads (http/filetype.c)
    # shellcheck disable=SC2086
    cc $cflags -o "$work/A" "$work"/a/http/*.c $libs
    cp "$repo/http/helpdesk-http" "$work/B"

    hd_pgroot_prepare "$repo"
    pg_port=$(hd_free_port)
    http_port=$(hd_free_port)
    hd_cluster_start "$work/cluster" "$pg_port" "helpdesk.database_name = 'bench'" "helpdesk.bcrypt_cost = 4" \
        "max_connections = 300"
    hd_database_create "$work/cluster" "$pg_port" bench >/dev/null
    hd_psql "$work/cluster" "$pg_port" bench -f "$repo/demo/seed.sql" >/dev/null 2>&1

    secret=$(head -c 48 /dev/urandom | base64 | tr -d '\n/+=' | head -c 48)
    token=$(cd "$repo/tests/http" && HD_JWT_SECRET=$secret /usr/bin/python3 -c \
        'from hdlib import make_jwt, claims; print(make_jwt(claims(sub=1, exp_in=36000)))')
}
