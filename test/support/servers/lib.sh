# Helpers shared by the test server scripts and install-deps.sh (sourced, not run).
set -euo pipefail

# The exim .deb is unpacked here, not installed: exim4 and postfix are both Debian's
# mail-transport-agent, so installing exim would remove postfix.
MAILROOM_TEST_CACHE=${MAILROOM_TEST_CACHE:-/var/cache/mailroom-test}
EXIM_PKG_DIR=$MAILROOM_TEST_CACHE/exim
EXIM_BIN=${EXIM_BIN:-$EXIM_PKG_DIR/root/usr/sbin/exim4}

# Exit status of a start script whose port is taken, so servers.ts can retry with other ports.
EXIT_PORT_BUSY=75

die() { echo "$*" >&2; exit 1; }

# need_bin PATH... - fail with a clear message instead of a cryptic one later on.
need_bin() {
  local b
  for b in "$@"; do
    [ -x "$b" ] || die "$b is missing: run 'bash test/support/install-deps.sh' first (as root)"
  done
}

# pg_bin_dir - Debian keeps initdb/pg_ctl/postgres off PATH, in a folder per major version.
pg_bin_dir() {
  if [ -n "${PG_BIN:-}" ]; then echo "$PG_BIN"; return; fi
  local d
  d=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
  [ -n "$d" ] || die "PostgreSQL server binaries are missing: run 'bash test/support/install-deps.sh' first (as root)"
  echo "$d"
}

port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# refuse_busy_port PORT - a daemon binding with SO_REUSEPORT could silently share a taken port.
refuse_busy_port() {
  if port_busy "$1"; then
    echo "127.0.0.1:$1 is already in use" >&2; exit "$EXIT_PORT_BUSY"
  fi
}

# wait_port PORT - wait up to 10 s until something accepts on 127.0.0.1:PORT.
wait_port() {
  local _
  for _ in $(seq 200); do port_busy "$1" && return 0; sleep 0.05; done
  echo "nothing listening on 127.0.0.1:$1 after 10 s" >&2; return 1
}

# wait_gone PID [TENTHS] - until it has exited; a zombie counts as gone because PID 1 here
# reaps orphans late. After TENTHS/10 s (default 5 s) it gets SIGKILL.
wait_gone() {
  local _
  for _ in $(seq "${2:-50}"); do
    [[ "$(ps -o stat= -p "$1" 2>/dev/null)" =~ ^Z|^$ ]] && return 0; sleep 0.1
  done
  kill -9 "$1" 2>/dev/null || true
}

# make_cert DIR - self-signed EC certificate for localhost/127.0.0.1: DIR/cert.pem, DIR/key.pem.
make_cert() {
  need_bin /usr/bin/openssl
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 3650 \
    -subj /CN=localhost -addext subjectAltName=DNS:localhost,IP:127.0.0.1 \
    -keyout "$1/key.pem" -out "$1/cert.pem" 2>/dev/null
}

# instance_dir PATH - absolute, created, and traversable by the unprivileged users the daemons
# deliver as (nobody, Debian-exim): mkdtemp makes folders mode 0700.
instance_dir() {
  [ -n "$1" ] || die "no instance directory given"
  local d
  d=$(realpath -m "$1")
  [ "$d" != / ] || die "refusing / as the instance directory"
  mkdir -p "$d"; chmod 755 "$d"
  echo "$d"
}
