#!/usr/bin/env bash
# Installs what the real-server tests need, only what is missing (Debian, as root; CI runs as
# root). Re-runnable; when everything is present it only looks at a few files.
#   postfix (as "No configuration", so the system instance never starts), sasl2-bin,
#   libsasl2-modules, openssl, procps, chromium and fonts-noto-cjk (the web UI tests), postgresql (a system cluster the install starts is
#   stopped again), spamassassin (the spam score of the shipped templates; its rules in
#   /usr/share/spamassassin, run offline with -L), and exim4-daemon-heavy unpacked into
#   $MAILROOM_TEST_CACHE/exim. systemd (systemd-analyze), nginx and caddy: the service units and
#   reverse-proxy configs of docs/admin/operations.md are checked with their own tools (a web
#   server the install starts is stopped again and disabled). dovecot-pop3d: the bounce mailbox
#   (private instances; a system Dovecot the install starts is stopped again and disabled).
# apt's own output goes to $MAILROOM_TEST_CACHE/install.log; stderr gets short progress lines.
. "$(dirname "$0")/servers/lib.sh"

say() { echo "install-deps: $*" >&2; }
t0=$(date +%s.%N)
did=0
log=$MAILROOM_TEST_CACHE/install.log
arch=$(uname -m)-linux-gnu

need_root() {
  [ "$(id -u)" = 0 ] || die "install-deps: $1 is missing and only root can install it (sudo bash $0)"
  mkdir -p "$MAILROOM_TEST_CACHE"
}

# apt_run DESCRIPTION CMD... - quietly, with the log's tail shown when it fails.
apt_run() {
  local what=$1; shift
  say "$what"
  if ! DEBIAN_FRONTEND=noninteractive "$@" >>"$log" 2>&1; then
    tail -n 30 "$log" >&2
    die "install-deps: failed: $* (full log: $log)"
  fi
}

updated=0
apt_update_once() {
  [ "$updated" = 1 ] && return 0
  apt_run "apt-get update" apt-get update -q
  updated=1
}

# The servers of this list whose process runs now (their packages start them on ports 80, 110, 995).
running_services() {
  local name
  for name in nginx caddy dovecot; do
    pgrep -x "$name" >/dev/null && echo "$name"
  done
  return 0
}

online_clusters() {
  command -v pg_lsclusters >/dev/null || return 0
  pg_lsclusters -h 2>/dev/null | awk '$4 ~ /^online/ {print $1 "/" $2}'
}

# --- Debian packages, each checked by a file it ships --------------------------------------
missing=()
for want in \
  /usr/sbin/postfix:postfix \
  /usr/sbin/saslpasswd2:sasl2-bin \
  "/usr/lib/$arch/sasl2/libplain.so:libsasl2-modules" \
  "/usr/lib/$arch/sasl2/liblogin.so:libsasl2-modules" \
  "/usr/lib/$arch/sasl2/libsasldb.so:libsasl2-modules-db" \
  /usr/bin/openssl:openssl \
  /usr/bin/ps:procps \
  /usr/bin/chromium:chromium \
  /usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc:fonts-noto-cjk \
  /usr/bin/spamassassin:spamassassin \
  /usr/bin/systemd-analyze:systemd \
  /usr/sbin/nginx:nginx \
  /usr/bin/caddy:caddy \
  /usr/sbin/dovecot:dovecot-core \
  /usr/lib/dovecot/pop3:dovecot-pop3d; do
  [ -e "${want%%:*}" ] || missing+=("${want#*:}")
done
compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null || missing+=(postgresql)

if [ ${#missing[@]} -gt 0 ]; then
  mapfile -t missing < <(printf '%s\n' "${missing[@]}" | sort -u)
  need_root "${missing[*]}"
  # Without a main.cf the system's own Postfix cannot start; the tests run private instances.
  echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections
  before=$(online_clusters)
  servers_before=$(running_services)
  apt_update_once
  apt_run "apt-get install ${missing[*]}" apt-get install -y -q --no-install-recommends "${missing[@]}"
  # postgresql's postinst creates and (where init scripts may run) starts the cluster 15/main;
  # stop only what this install started, never a cluster that was already running.
  for c in $(online_clusters); do
    grep -qxF "$c" <<<"$before" && continue
    pg_ctlcluster "${c%/*}" "${c#*/}" stop >&2
    say "stopped the system cluster $c that installing postgresql started (left in place)"
  done
  # Likewise nginx, caddy and dovecot: the tests run private instances on their own ports.
  for name in $(running_services); do
    grep -qxF "$name" <<<"$servers_before" && continue
    if [ -d /run/systemd/system ]; then
      systemctl disable --now "$name" >>"$log" 2>&1 || true
    else
      invoke-rc.d "$name" stop >>"$log" 2>&1 || true
    fi
    say "stopped the $name service that installing $name started"
  done
  did=1
fi

# --- exim4-daemon-heavy, unpacked only (-light has no spa authenticator, i.e. no NTLM) --------
if [ ! -x "$EXIM_PKG_DIR/root/usr/sbin/exim4" ]; then
  need_root exim4-daemon-heavy
  apt_update_once
  tmp=$(mktemp -d "$MAILROOM_TEST_CACHE/exim.XXXXXX")
  # as root into a folder the _apt user cannot write, apt would warn about an unsandboxed download
  apt_run "apt-get download exim4-daemon-heavy" \
    bash -c 'cd "$1" && apt-get download -q -o APT::Sandbox::User=root exim4-daemon-heavy' _ "$tmp"
  dpkg-deb -x "$tmp"/exim4-daemon-heavy_*.deb "$tmp/root"
  chmod u-s "$tmp/root/usr/sbin/exim4"  # the private instances never need root after start
  rm -rf "$EXIM_PKG_DIR"; mv "$tmp" "$EXIM_PKG_DIR"  # a half-unpacked cache never looks complete
  say "exim4-daemon-heavy unpacked into $EXIM_PKG_DIR"
  did=1
fi

# Its shared libraries: the package's Depends less exim4-base, only those not installed, with
# --no-upgrade (naming installed ones would upgrade them and mark them manually installed).
# (grep without -q: an early exit would SIGPIPE ldd, and pipefail would turn that into "no")
if ldd "$EXIM_PKG_DIR/root/usr/sbin/exim4" | grep 'not found' >/dev/null; then
  need_root "a library of exim4"
  libs=()
  for p in $(dpkg-deb -f "$EXIM_PKG_DIR"/exim4-daemon-heavy_*.deb Depends | tr ',' '\n' |
      sed -E 's/\(.*\)//; s/\|.*//; s/ //g' | grep -vE '^(exim4-base|debconf)$'); do
    dpkg-query -W -f '${Status}\n' "$p" 2>/dev/null | grep ' installed$' >/dev/null || libs+=("$p")
  done
  if [ ${#libs[@]} -gt 0 ]; then
    apt_update_once
    apt_run "apt-get install ${libs[*]} (for exim)" \
      apt-get install -y -q --no-install-recommends --no-upgrade "${libs[@]}"
  fi
  if ldd "$EXIM_PKG_DIR/root/usr/sbin/exim4" | grep 'not found' >&2; then
    die "install-deps: exim4 still lacks the libraries above"
  fi
  did=1
fi

# The binary has Debian-exim compiled in and refuses to run at all without that user.
if ! getent passwd Debian-exim >/dev/null; then
  need_root "the system user Debian-exim"
  useradd --system --user-group --no-create-home --home-dir /nonexistent \
    --shell /usr/sbin/nologin Debian-exim
  say "created the system user Debian-exim"
  did=1
fi

if [ "$did" = 1 ]; then
  say "done in $(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN {printf "%.1f", b - a}') s"
else
  say "all present"
fi
