#!/usr/bin/env bash
# Stop the Dovecot instance that dovecot-start.sh started in DIR; mail and log stay there.
# usage: dovecot-stop.sh DIR   env: POP3_DIR (instead of the argument)
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib.sh"
[ -n "${1:-${POP3_DIR:-}}" ] || die "usage: dovecot-stop.sh DIR"
D=$(realpath -m "${1:-${POP3_DIR:-}}")
[ -s "$D/run/master.pid" ] || exit 0
pid=$(tr -d ' \n' < "$D/run/master.pid")
# only if that PID is still Dovecot's master (not a recycled PID)
if [ "$(ps -o comm= -p "$pid" 2>/dev/null)" = dovecot ]; then
  kill "$pid" 2>/dev/null || true
  wait_gone "$pid"
fi
rm -f "$D/run/master.pid"
echo "dovecot stopped ($D)"
