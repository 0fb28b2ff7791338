#!/usr/bin/env bash
# A real POP3 server for the tests: a private Dovecot instance in DIR, loopback only, no systemd.
#   127.0.0.1:POP3_PORT   plain, offers STLS; login only after STLS
#   127.0.0.1:POP3S_PORT  implicit TLS
#   One user, POP3_USER / POP3_PASS (passwd-file), whose mailbox is the Maildir MAILDIR
#   (default DIR/Maildir), read and written as nobody: a Postfix instance of postfix-start.sh
#   delivers as nobody too, so its Maildir can be this one.
#   Self-signed EC cert for localhost/127.0.0.1: DIR/cert.pem. Log: DIR/dovecot.log.
# Packages come from test/support/install-deps.sh (dovecot-pop3d).
# usage: dovecot-start.sh DIR [POP3_PORT [POP3S_PORT]]
# env:   POP3_DIR POP3_PORT POP3S_PORT (instead of the arguments), POP3_USER (bounces),
#        POP3_PASS (bouncepass), MAILDIR
# Exit 75 when a port is taken.
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib.sh"
D=$(instance_dir "${1:-${POP3_DIR:-}}")
POP3_PORT=${2:-${POP3_PORT:-2110}}; POP3S_PORT=${3:-${POP3S_PORT:-2995}}
POP3_USER=${POP3_USER:-bounces}; POP3_PASS=${POP3_PASS:-bouncepass}
MAILDIR=${MAILDIR:-$D/Maildir}
need_bin /usr/sbin/dovecot /usr/bin/doveadm

"$HERE/dovecot-stop.sh" "$D" >/dev/null 2>&1 || true
refuse_busy_port "$POP3_PORT"; refuse_busy_port "$POP3S_PORT"
rm -rf "$D/etc" "$D/run" "$D/state" "$D/home" "$D/dovecot.log" "$D/cert.pem"
mkdir -p "$D/etc" "$D/run" "$D/state" "$D/home" "$MAILDIR/new" "$MAILDIR/cur" "$MAILDIR/tmp"
chown -R nobody:nogroup "$MAILDIR" "$D/home"
make_cert "$D/etc"
cp "$D/etc/cert.pem" "$D/cert.pem"
printf '%s:{PLAIN}%s:%s:%s::%s\n' "$POP3_USER" "$POP3_PASS" "$(id -u nobody)" "$(id -g nobody)" "$D/home" > "$D/etc/passwd"
chown root:dovecot "$D/etc/passwd"; chmod 640 "$D/etc/passwd"

cat > "$D/etc/dovecot.conf" <<EOF
protocols = pop3
listen = 127.0.0.1
base_dir = $D/run
state_dir = $D/state
log_path = $D/dovecot.log
ssl = required
ssl_cert = <$D/etc/cert.pem
ssl_key = <$D/etc/key.pem
disable_plaintext_auth = yes
auth_mechanisms = plain
first_valid_uid = 1
passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%u $D/etc/passwd
}
userdb {
  driver = passwd-file
  args = username_format=%u $D/etc/passwd
}
mail_location = maildir:$MAILDIR
pop3_uidl_format = %08Xu%08Xv
service pop3-login {
  inet_listener pop3 {
    port = $POP3_PORT
  }
  inet_listener pop3s {
    port = $POP3S_PORT
    ssl = yes
  }
}
service imap-login {
  inet_listener imap {
    port = 0
  }
  inet_listener imaps {
    port = 0
  }
}
service stats {
  unix_listener stats-reader {
    mode = 0666
  }
  unix_listener stats-writer {
    mode = 0666
  }
}
EOF
# Its output goes to a file: the daemon keeps the descriptors it was given, and a caller that
# waits for the end of this script's output (runScript in servers.ts) waited 60 s for them.
dovecot -c "$D/etc/dovecot.conf" >"$D/dovecot-start.log" 2>&1 </dev/null || { cat "$D/dovecot-start.log" >&2; die "dovecot did not start"; }
wait_port "$POP3_PORT"; wait_port "$POP3S_PORT"
echo "dovecot up on 127.0.0.1:$POP3_PORT (STLS) and :$POP3S_PORT (TLS), user $POP3_USER, mail in $MAILDIR"
