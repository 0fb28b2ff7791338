#!/usr/bin/env bash
# Stop the exim that exim-start.sh started in DIR (its daemon, by the PID in its own pid file);
# mail and logs stay there.
# usage: exim-stop.sh DIR   env: EXIM_DIR (instead of the argument)
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib.sh"
[ -n "${1:-${EXIM_DIR:-}}" ] || die "usage: exim-stop.sh DIR"
D=$(realpath -m "${1:-${EXIM_DIR:-}}")
[ -s "$D/exim.pid" ] || exit 0
pid=$(tr -d ' \n' < "$D/exim.pid")
# only if that PID is still this instance's daemon (not a recycled PID)
if [[ "$(ps -o args= -p "$pid" 2>/dev/null)" == *exim*"$D/etc/exim.conf"*-bd* ]]; then
  kill "$pid" 2>/dev/null || true
  wait_gone "$pid"
fi
rm -f "$D/exim.pid"
echo "exim stopped ($D)"
