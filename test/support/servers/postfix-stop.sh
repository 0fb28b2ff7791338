#!/usr/bin/env bash
# Stop the Postfix instance that postfix-start.sh started in DIR; mail and log stay there.
# usage: postfix-stop.sh DIR   env: SMTP_DIR (instead of the argument)
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib.sh"
[ -n "${1:-${SMTP_DIR:-}}" ] || die "usage: postfix-stop.sh DIR"
D=$(realpath -m "${1:-${SMTP_DIR:-}}")
[ -s "$D/spool/pid/master.pid" ] || exit 0
pid=$(tr -d ' \n' < "$D/spool/pid/master.pid")
# only if that PID is still Postfix's master (not a recycled PID)
if [ "$(ps -o comm= -p "$pid" 2>/dev/null)" = master ]; then
  postfix -c "$D/etc" stop >&2 || kill "$pid" 2>/dev/null || true
  wait_gone "$pid"
fi
rm -f "$D/spool/pid/master.pid"
echo "postfix stopped ($D)"
