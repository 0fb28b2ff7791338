#!/usr/bin/env bash
# Stop the private PostgreSQL that postgres-start.sh started in DIR (fast shutdown: sessions are
# cut, open transactions roll back). The data stays for the next, warm, start.
# usage: postgres-stop.sh DIR   env: PG_DIR (instead of the argument), PG_BIN
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib.sh"
[ -n "${1:-${PG_DIR:-}}" ] || die "usage: postgres-stop.sh DIR"
D=$(realpath -m "${1:-${PG_DIR:-}}")
[ -s "$D/data/postmaster.pid" ] || exit 0
pid=$(head -n 1 "$D/data/postmaster.pid")
if [ "$(ps -o comm= -p "$pid" 2>/dev/null)" != postgres ]; then  # stale file, not running
  echo "postgres not running (stale $D/data/postmaster.pid)"; exit 0
fi
BIN=$(pg_bin_dir)
if [ "$(id -u)" = 0 ]; then as=(runuser -u postgres --); else as=(); fi
cd /
"${as[@]}" "$BIN/pg_ctl" -D "$D/data" -m fast -w -t 10 stop >/dev/null || kill -INT "$pid" 2>/dev/null || true
wait_gone "$pid" 100
echo "postgres stopped ($D)"
