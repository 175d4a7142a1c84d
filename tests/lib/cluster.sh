# Shell helpers for throwaway PostgreSQL clusters, sourced by tests/run.sh, scripts/demo.sh and
# bench/run.sh. PostgreSQL refuses to run as root, so servers run as the `postgres` user.
#
# HD_PGBIN selects the PostgreSQL binaries (default: the system's PostgreSQL 15).
#
# A cluster keeps PostgreSQL's durable defaults (fsync, synchronous_commit, full_page_writes):
# `make demo` answers 201 only for what a crash keeps (docs/RELIABILITY.md). Throwaway clusters
# of the tests and benchmarks opt out with HD_CLUSTER_FAST=1, trading durability for speed.

HD_PG_CONFIG=${PG_CONFIG:-/usr/lib/postgresql/15/bin/pg_config}
HD_PGBIN=${HD_PGBIN:-$("$HD_PG_CONFIG" --bindir)}
HD_PGUSER=postgres

hd_as_postgres() {
    if [ "$(id -un)" = "$HD_PGUSER" ]; then "$@"; else runuser -u "$HD_PGUSER" -- "$@"; fi
}

# A port nobody listens on, from a range the tests own.
hd_free_port() {
    local port
    for _ in $(seq 1 200); do
        port=$(( 20000 + RANDOM % 20000 ))
        if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
            echo "$port"; return 0
        fi
    done
    echo "no free port found" >&2; return 1
}

# A private, relocated copy of PostgreSQL 15 with this build of the extension installed in it.
# PostgreSQL finds its share and lib directories relative to its binaries, so tests never touch
# the system's extension directory and several checkouts can test at once.
# Sets HD_PGROOT and HD_PGBIN.
hd_pgroot_prepare() {
    local repo=$1 bindir sharedir
    bindir=$("$HD_PG_CONFIG" --bindir)
    sharedir=$("$HD_PG_CONFIG" --sharedir)
    HD_PGROOT=$(mktemp -d /tmp/helpdesk-pgroot.XXXXXX)
    chmod 755 "$HD_PGROOT"
    mkdir -p "$HD_PGROOT$(dirname "${bindir%/bin}")" "$HD_PGROOT$(dirname "$sharedir")"
    cp -a "${bindir%/bin}" "$HD_PGROOT${bindir%/bin}"
    cp -a "$sharedir" "$HD_PGROOT$sharedir"
    make -C "$repo" --no-print-directory -s install DESTDIR="$HD_PGROOT" >/dev/null
    HD_PGBIN=$HD_PGROOT$bindir
}

# hd_cluster_start DIR PORT [postgresql.conf lines...]: initdb + start; logs in DIR/server.log.
# Durable unless HD_CLUSTER_FAST=1.
hd_cluster_start() {
    local dir=$1 port=$2; shift 2
    mkdir -p "$dir"
    chown "$HD_PGUSER" "$dir"
    chmod 700 "$dir"
    hd_as_postgres "$HD_PGBIN/initdb" -D "$dir/data" -U postgres -A trust -E UTF8 \
        --locale=C.UTF-8 --no-sync >"$dir/initdb.log" 2>&1 \
        || { cat "$dir/initdb.log" >&2; return 1; }
    {
        echo "port = $port"
        echo "listen_addresses = '127.0.0.1'"
        echo "unix_socket_directories = '$dir'"
        if [ "${HD_CLUSTER_FAST:-0}" = 1 ]; then
            echo "fsync = off"
            echo "synchronous_commit = off"
            echo "full_page_writes = off"
        fi
        echo "shared_preload_libraries = 'helpdesk'"
        echo "max_connections = 200"
        echo "log_min_messages = warning"
        echo "log_line_prefix = '%m [%p] %b %a '"
        for line in "$@"; do echo "$line"; done
    } >>"$dir/data/postgresql.conf"
    hd_cluster_ctl "$dir" start
}

# hd_cluster_ctl DIR start|stop|restart
hd_cluster_ctl() {
    local dir=$1 action=$2
    case "$action" in
        start|restart)
            hd_as_postgres "$HD_PGBIN/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 "$action" >/dev/null ;;
        stop)
            hd_as_postgres "$HD_PGBIN/pg_ctl" -D "$dir/data" -m fast -w -t 60 stop >/dev/null ;;
    esac
}

hd_cluster_stop() {
    local dir=$1
    [ -f "$dir/data/postmaster.pid" ] && hd_cluster_ctl "$dir" stop 2>/dev/null
    return 0
}

# hd_psql DIR PORT DB [psql args...]
hd_psql() {
    local dir=$1 port=$2 db=$3; shift 3
    hd_as_postgres "$HD_PGBIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$dir" -p "$port" -U postgres -d "$db" "$@"
}

# hd_psql_file DIR PORT DB FILE: runs a SQL file read by the caller, so the postgres user needs
# no access to the checkout (a clone under /root is not readable by postgres).
hd_psql_file() {
    local dir=$1 port=$2 db=$3 file=$4
    hd_psql "$dir" "$port" "$db" <"$file"
}

# hd_database_create DIR PORT DB: a database with the extension and the role helpdesk-http logs in as.
hd_database_create() {
    local dir=$1 port=$2 db=$3
    hd_psql "$dir" "$port" postgres -c "CREATE DATABASE $db"
    hd_psql "$dir" "$port" "$db" <<'SQL'
CREATE EXTENSION helpdesk CASCADE;
DO $$ BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'helpdesk_http') THEN
        CREATE ROLE helpdesk_http LOGIN IN ROLE helpdesk_web;
    END IF;
END $$;
SQL
}
