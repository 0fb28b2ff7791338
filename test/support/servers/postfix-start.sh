#!/usr/bin/env bash
# A real SMTP server for the tests: a private Postfix instance in DIR, loopback only, no systemd.
#   127.0.0.1:SMTP_PORT   plain, offers STARTTLS; AUTH is offered only after STARTTLS
#   127.0.0.1:SMTPS_PORT  implicit TLS
#   AUTH PLAIN/LOGIN required to send (Cyrus SASL, sasldb inside smtpd): SMTP_USER / SMTP_PASS.
#     No AUTH -> 554 5.7.1 at RCPT; wrong password -> 535 5.7.8.
#   Self-signed EC cert for localhost/127.0.0.1: DIR/cert.pem (also DIR/etc/cert.pem).
#   Every recipient of any domain lands in the one Maildir DIR/mail/inbox/new/, one file per
#   recipient, with "Delivered-To: <recipient>" on top. Nothing is ever relayed (no smtp client
#   service; the default transport is error:).
#   DIR/bin/sendmail: Postfix's sendmail bound to this instance (root only: Postfix accepts an
#   alternate MAIL_CONFIG from root without listing it in the system main.cf).
#   Log: DIR/maillog.
# Packages come from test/support/install-deps.sh. Restarting in the same DIR wipes its mail.
#   With KNOWN_RECIPIENTS (addresses separated by spaces) only those land in the Maildir: any
#   other recipient is accepted and then bounced by virtual(8) ("unknown user", 5.1.1), so
#   Postfix writes a real DSN to the envelope sender.
#   With KNOWN_RECIPIENTS and BOUNCE_MAILBOX_DOMAIN, mail to any address of that domain lands in
#   the Maildir DIR/mail/bounces/ (a mailbox that dovecot-start.sh can serve over POP3).
#   With BOUNCE_DOMAIN and BOUNCE_PIPE, mail to that domain goes to pipe(8), running
#   BOUNCE_PIPE (its argv=, ${original_recipient} and the like expanded) as BOUNCE_PIPE_USER
#   (nobody); the other domains are delivered as above.
# usage: postfix-start.sh DIR [SMTP_PORT [SMTPS_PORT]]
# env:   SMTP_DIR SMTP_PORT SMTPS_PORT (instead of the arguments), SMTP_USER (testuser),
#        SMTP_PASS (testpass), KNOWN_RECIPIENTS, BOUNCE_MAILBOX_DOMAIN, BOUNCE_DOMAIN, BOUNCE_PIPE,
#        BOUNCE_PIPE_USER
# Exit 75 when a port is taken.
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib.sh"
D=$(instance_dir "${1:-${SMTP_DIR:-}}")
SMTP_PORT=${2:-${SMTP_PORT:-2525}}; SMTPS_PORT=${3:-${SMTPS_PORT:-2465}}
SMTP_USER=${SMTP_USER:-testuser}; SMTP_PASS=${SMTP_PASS:-testpass}
need_bin /usr/sbin/postfix /usr/sbin/saslpasswd2 /usr/sbin/sendmail
[ -e "/usr/lib/$(uname -m)-linux-gnu/sasl2/libplain.so" ] ||
  die "Cyrus SASL's PLAIN/LOGIN modules (libsasl2-modules) are missing: run 'bash test/support/install-deps.sh' first"

"$HERE/postfix-stop.sh" "$D" >/dev/null 2>&1 || true
refuse_busy_port "$SMTP_PORT"; refuse_busy_port "$SMTPS_PORT"
rm -rf "$D/etc" "$D/mail" "$D/spool" "$D/data" "$D/bin" "$D/maillog" "$D/cert.pem"
mkdir -p "$D/etc/sasl" "$D/mail/inbox/new" "$D/mail/inbox/cur" "$D/mail/inbox/tmp" "$D/spool" "$D/bin"

make_cert "$D/etc"
cp "$D/etc/cert.pem" "$D/cert.pem"

echo -n "$SMTP_PASS" | saslpasswd2 -p -c -f "$D/etc/sasldb2" -u localhost "$SMTP_USER"
chown root:postfix "$D/etc/sasldb2"; chmod 640 "$D/etc/sasldb2"
printf 'pwcheck_method: auxprop\nauxprop_plugin: sasldb\nsasldb_path: %s\nmech_list: PLAIN LOGIN\n' \
  "$D/etc/sasldb2" > "$D/etc/sasl/smtpd.conf"

# virtual(8) delivers as nobody; created here so the Maildir exists before the first message
chown -R nobody:nogroup "$D/mail"
# virtual(8) refuses $1 substitution in mailbox paths, hence one Maildir for every recipient.
cat > "$D/etc/main.cf" <<EOF
compatibility_level = 3.6
queue_directory = $D/spool
data_directory = $D/data
maillog_file = $D/maillog
maillog_file_prefixes = $D
myhostname = localhost
mydestination =
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
alias_maps =
alias_database =
virtual_mailbox_domains = static:all
virtual_mailbox_base = $D/mail
virtual_mailbox_maps = static:inbox/
virtual_uid_maps = static:$(id -u nobody)
virtual_gid_maps = static:$(id -g nobody)
default_transport = error:this test server never relays
relay_transport = error:this test server never relays
smtpd_relay_restrictions = permit_sasl_authenticated, reject
smtpd_sasl_auth_enable = yes
smtpd_sasl_type = cyrus
smtpd_sasl_path = smtpd
cyrus_sasl_config_path = $D/etc/sasl
smtpd_sasl_local_domain = localhost
smtpd_tls_cert_file = $D/etc/cert.pem
smtpd_tls_key_file = $D/etc/key.pem
smtpd_tls_security_level = may
smtpd_tls_auth_only = yes
EOF
if [ -n "${KNOWN_RECIPIENTS:-}" ]; then
  for address in $KNOWN_RECIPIENTS; do printf '%s inbox/\n' "$address"; done > "$D/etc/mailboxes"
  if [ -n "${BOUNCE_MAILBOX_DOMAIN:-}" ]; then
    printf '@%s bounces/\n' "$BOUNCE_MAILBOX_DOMAIN" >> "$D/etc/mailboxes"
    mkdir -p "$D/mail/bounces/new" "$D/mail/bounces/cur" "$D/mail/bounces/tmp"
    chown -R nobody:nogroup "$D/mail/bounces"
  fi
  cat >> "$D/etc/main.cf" <<EOF
virtual_mailbox_maps = texthash:$D/etc/mailboxes
smtpd_reject_unlisted_recipient = no
EOF
fi
if [ -n "${BOUNCE_DOMAIN:-}" ] && [ -n "${BOUNCE_PIPE:-}" ]; then
  printf '%s mailroom-bounces:\n' "$BOUNCE_DOMAIN" > "$D/etc/transport"
  echo "transport_maps = texthash:$D/etc/transport" >> "$D/etc/main.cf"
fi
cat > "$D/etc/master.cf" <<EOF
127.0.0.1:$SMTP_PORT  inet n - n - - smtpd
127.0.0.1:$SMTPS_PORT inet n - n - - smtpd -o smtpd_tls_wrappermode=yes
pickup    unix  n - n 60   1 pickup
cleanup   unix  n - n -    0 cleanup
qmgr      unix  n - n 300  1 qmgr
tlsmgr    unix  - - n 1000? 1 tlsmgr
rewrite   unix  - - n -    - trivial-rewrite
bounce    unix  - - n -    0 bounce
defer     unix  - - n -    0 bounce
trace     unix  - - n -    0 bounce
verify    unix  - - n -    1 verify
flush     unix  n - n 1000? 0 flush
proxymap  unix  - - n -    - proxymap
showq     unix  n - n -    - showq
error     unix  - - n -    - error
retry     unix  - - n -    - error
discard   unix  - - n -    - discard
virtual   unix  - n n -    - virtual
anvil     unix  - - n -    1 anvil
scache    unix  - - n -    1 scache
postlog   unix-dgram n - n - 1 postlogd
EOF
if [ -n "${BOUNCE_DOMAIN:-}" ] && [ -n "${BOUNCE_PIPE:-}" ]; then
  printf 'mailroom-bounces unix - n n - - pipe\n  flags=q user=%s argv=%s\n' "${BOUNCE_PIPE_USER:-nobody}" "$BOUNCE_PIPE" >> "$D/etc/master.cf"
fi

# The product's sendmail transport is given a path, not an environment, hence a wrapper.
cat > "$D/bin/sendmail" <<EOF
#!/bin/sh
MAIL_CONFIG=$D/etc exec /usr/sbin/sendmail "\$@"
EOF
chmod 755 "$D/bin/sendmail"

# Postfix waits ("cools down") until a config file younger than 2 s has aged: +2.4 s per start.
touch -d '1 minute ago' "$D"/etc/*.cf
# postfix -c needs the queue directory to exist but creates the data directory itself.
postfix -c "$D/etc" start >&2
wait_port "$SMTP_PORT"; wait_port "$SMTPS_PORT"
echo "postfix up on 127.0.0.1:$SMTP_PORT (STARTTLS) and :$SMTPS_PORT (TLS), user $SMTP_USER, mail in $D/mail/inbox/new"
