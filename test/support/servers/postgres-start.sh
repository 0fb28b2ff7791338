#!/usr/bin/env bash
# A real PostgreSQL for the tests: a private cluster in DIR, loopback only, no systemd, invisible
# to Debian's pg_lsclusters (the package's own system cluster is never touched).
#   127.0.0.1:PG_PORT, TCP only from 127.0.0.1, password (scram-sha-256) required:
#   PG_USER / PG_PASSWORD (mailroom/mailroom, with CREATEDB: tests create databases of their
#   own), owning the database PG_DB (mailroom).
#   Superuser: postgres, without password, only over the Unix socket in DIR/run, e.g. as root
#   psql -h DIR/run -p PG_PORT -U postgres
#   Data in DIR/data, server log in DIR/postgresql.log, all owned by the OS user postgres (the
#   server refuses to run as root). fsync is off: the data is for tests only.
# The first start in DIR copies a template cluster (cold, ~0.5 s; the template itself is
# initdb'd once into PG_TEMPLATE, /tmp/mailroom-test-pg-template-<major>); later starts restart
# the kept cluster (warm, ~0.15 s); PG_FRESH=1 wipes it first. DIR's parents must be
# searchable by postgres: use /tmp.
# Last line: the connection URL.
# usage: postgres-start.sh DIR [PG_PORT]
# env:   PG_DIR PG_PORT (instead of the arguments), PG_USER PG_PASSWORD PG_DB (URL-safe
#        characters only), PG_FRESH (0), PG_BIN (the server binaries' folder), PG_TEMPLATE,
#        PG_CONF (lines added to the cluster's configuration after the ones above: the bench
#        turns durability back on with them)
# Exit 75 when the port is taken.
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib.sh"
[ -n "${1:-${PG_DIR:-}}" ] || die "usage: postgres-start.sh DIR [PORT]"
D=$(realpath -m "${1:-${PG_DIR:-}}")
PG_PORT=${2:-${PG_PORT:-55432}}
PG_USER=${PG_USER:-mailroom}; PG_PASSWORD=${PG_PASSWORD:-mailroom}; PG_DB=${PG_DB:-mailroom}
BIN=$(pg_bin_dir)
need_bin "$BIN/initdb" "$BIN/pg_ctl" "$BIN/postgres" "$BIN/psql"

# postgres must own the data directory; as another (non-root) user, run everything as that user.
if [ "$(id -u)" = 0 ]; then
  getent passwd postgres >/dev/null || die "the OS user postgres is missing (it comes with postgresql-common)"
  as=(runuser -u postgres --); owner=postgres
else
  as=(); owner=$(id -un)
fi
cd /  # postgres cannot enter root's working directory (psql warns, initdb may fail)

"$HERE/postgres-stop.sh" "$D" >/dev/null 2>&1 || true
refuse_busy_port "$PG_PORT"

# initdb costs ~1 s here, a copy of a cluster it made once ~0.3 s: every test process that needs
# a fresh cluster copies this template.
TEMPLATE=${PG_TEMPLATE:-/tmp/mailroom-test-pg-template-$(basename "$(dirname "$BIN")")}
make_template() {
  [ -s "$TEMPLATE/data/PG_VERSION" ] && return 0
  local tmp
  tmp=$(mktemp -d "$TEMPLATE.XXXXXX"); chown "$owner:" "$tmp"
  if ! "${as[@]}" test -w "$tmp"; then
    rm -rf "$tmp"
    die "$owner cannot write $tmp: its parent directories must be searchable (use /tmp)"
  fi
  # --no-sync: initdb skips its fsyncs; C.UTF-8 whatever the caller's locale; 1 MB WAL segments
  # instead of 16 make the template (and each copy) 28 MB instead of 39.
  "${as[@]}" "$BIN/initdb" -D "$tmp/data" -U postgres --auth=trust --encoding=UTF8 \
    --locale=C.UTF-8 --no-sync --wal-segsize=1 > "$tmp/initdb.log" 2>&1 || { cat "$tmp/initdb.log" >&2; rm -rf "$tmp"; exit 1; }
  cat > "$tmp/data/pg_hba.conf" <<EOF
# TYPE  DATABASE  USER  ADDRESS       METHOD
local   all       all                 trust
host    all       all   127.0.0.1/32  scram-sha-256
EOF
  cat >> "$tmp/data/postgresql.conf" <<EOF

# test/support/servers/postgres-start.sh: tests only, durability off; addresses in test.conf
fsync = off
synchronous_commit = off
full_page_writes = off
include 'test.conf'
EOF
  # a concurrent start may have won the race: then its template is as good as ours
  mv -T "$tmp" "$TEMPLATE" 2>/dev/null || rm -rf "$tmp"
  [ -s "$TEMPLATE/data/PG_VERSION" ] || die "$TEMPLATE is not a cluster template: remove it"
}

t0=$(date +%s.%N)
fresh=0
if [ "${PG_FRESH:-0}" = 1 ] || [ ! -s "$D/data/PG_VERSION" ]; then
  fresh=1
  make_template
  rm -rf "$D"; mkdir -p "$D/run"
  cp -a "$TEMPLATE/data" "$D/data"
  chown -R "$owner:" "$D"; chmod 700 "$D"
  if ! "${as[@]}" test -w "$D"; then
    die "$owner cannot write $D: its parent directories must be searchable (put it under /tmp)"
  fi
fi
# rewritten on every start, so a warm start follows PG_PORT
cat > "$D/data/test.conf" <<EOF
listen_addresses = '127.0.0.1'
port = $PG_PORT
unix_socket_directories = '$D/run'
${PG_CONF:-}
EOF
chown "$owner:" "$D/data/test.conf"

if ! "${as[@]}" "$BIN/pg_ctl" -D "$D/data" -l "$D/postgresql.log" -w -t 30 start >/dev/null; then
  tail -n 20 "$D/postgresql.log" >&2; exit 1
fi
if [ "$fresh" = 1 ]; then
  "${as[@]}" "$BIN/psql" -X -q -h "$D/run" -p "$PG_PORT" -U postgres -d postgres -v ON_ERROR_STOP=1 \
    -v user="$PG_USER" -v pass="$PG_PASSWORD" -v db="$PG_DB" >&2 <<'SQL'
CREATE ROLE :"user" LOGIN CREATEDB PASSWORD :'pass';
CREATE DATABASE :"db" OWNER :"user";
SQL
fi
secs=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN {printf "%.2f", b - a}')
printf 'postgres %s up on 127.0.0.1:%s in %s s (%s), data in %s\n' \
  "$("$BIN/postgres" --version | awk '{print $3}')" "$PG_PORT" "$secs" \
  "$([ "$fresh" = 1 ] && echo 'cold: new cluster + start' || echo 'warm: existing cluster')" "$D"
# No IPv6 listener: 127.0.0.1, never localhost, which may resolve to ::1 first.
echo "postgres://$PG_USER:$PG_PASSWORD@127.0.0.1:$PG_PORT/$PG_DB"
