#!/usr/bin/env bash
# A real SMTP server that offers AUTH NTLM (Microsoft SPA) and CRAM-MD5 besides PLAIN and LOGIN:
# a private exim4 instance in DIR, loopback only, beside any Postfix instance (own dir and port).
#   127.0.0.1:EXIM_PORT  plain, offers STARTTLS (EXIM_TLS=0: no STARTTLS). No implicit-TLS port.
#   AUTH NTLM, CRAM-MD5, PLAIN, LOGIN required to send, all four offered before and after
#   STARTTLS: SMTP_USER / SMTP_PASS, kept in DIR/etc/passwd. No AUTH -> 550 5.7.1 at RCPT.
#   NTLM is NTLMv1 only (exim's spa server); the client's domain and workstation are ignored,
#   so the user name must not carry a DOMAIN\ prefix.
#   Self-signed EC cert for localhost/127.0.0.1: DIR/cert.pem (also DIR/etc/cert.pem).
#   Every recipient of any domain lands in the one Maildir DIR/mail/inbox/new/, one file (0644)
#   per recipient. exim appends, at the END of the header block, "Delivered-To: <recipient>" and
#   "X-Exim-Auth: <authenticator> <user> tls=<cipher|none>" (ntlm, cram_md5, plain or login), so
#   a test can tell which mechanism was really used. Nothing is ever relayed.
#   Log: DIR/log/mainlog.
# The binary is Debian's exim4-daemon-heavy unpacked by install-deps.sh (EXIM_BIN overrides it).
# Restarting in the same DIR wipes its mail.
#   EXIM_ROUTERS and EXIM_TRANSPORTS (configuration text) go before the maildir router and after
#   the maildir transport; mail to the domains of EXIM_OPEN_DOMAINS (a colon-separated list) is
#   taken without AUTH, as an MX takes it. Deliveries run as Debian-exim, so a pipe transport of
#   EXIM_TRANSPORTS needs user = Debian-exim.
# usage: exim-start.sh DIR [EXIM_PORT]
# env:   EXIM_DIR EXIM_PORT (instead of the arguments), EXIM_TLS (1), SMTP_USER (testuser),
#        SMTP_PASS (testpass), EXIM_BIN, EXIM_ROUTERS, EXIM_TRANSPORTS, EXIM_OPEN_DOMAINS
# Exit 75 when the port is taken.
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib.sh"
D=$(instance_dir "${1:-${EXIM_DIR:-}}")
EXIM_PORT=${2:-${EXIM_PORT:-2587}}; EXIM_TLS=${EXIM_TLS:-1}
SMTP_USER=${SMTP_USER:-testuser}; SMTP_PASS=${SMTP_PASS:-testpass}
need_bin "$EXIM_BIN"
getent passwd Debian-exim >/dev/null ||
  die "the system user Debian-exim is missing (exim refuses to run): run 'bash test/support/install-deps.sh' first"

"$HERE/exim-stop.sh" "$D" >/dev/null 2>&1 || true
refuse_busy_port "$EXIM_PORT"
rm -rf "$D/etc" "$D/spool" "$D/log" "$D/mail" "$D/exim.pid" "$D/cert.pem"
mkdir -p "$D/etc" "$D/spool" "$D/log" "$D"/mail/inbox/{tmp,new,cur}

make_cert "$D/etc"
cp "$D/etc/cert.pem" "$D/cert.pem"
chgrp Debian-exim "$D/etc/key.pem"; chmod 640 "$D/etc/key.pem"
q() { local s=${1//\\/\\\\}; printf '"%s"' "${s//\"/\\\"}"; }  # an lsearch quoted key
# lsearch takes the data part as is: quoting the password would make the quotes part of it.
echo "$(q "$SMTP_USER"): $SMTP_PASS" > "$D/etc/passwd"
chgrp Debian-exim "$D/etc/passwd"; chmod 640 "$D/etc/passwd"
chown -R Debian-exim:Debian-exim "$D/spool" "$D/log" "$D/mail"
tls=""; [ "$EXIM_TLS" = 0 ] || tls="*"
pw="\${lookup{\$auth1}lsearch{$D/etc/passwd}{\$value}fail}"  # a forced failure = wrong user

# exim_path: re-execs would otherwise run the compiled-in /usr/sbin/exim4, absent here.
# deliver_drop_privilege: deliver in the receiving process as Debian-exim. Without it exim
# re-execs itself to deliver, and as the config is not in /etc/exim4/trusted_configs it only
# logs "exim user lost privilege for using -C option".
# smtp_accept_queue_per_connection = 0: the default 10 only queues the 11th message of a
# connection on, and with no queue runner it would never arrive.
cat > "$D/etc/exim.conf" <<EOF
exim_path = $EXIM_BIN
primary_hostname = localhost
qualify_domain = localhost
local_interfaces = <; 127.0.0.1
daemon_smtp_ports = $EXIM_PORT
disable_ipv6 = true
spool_directory = $D/spool
log_file_path = $D/log/%slog
pid_file_path = $D/exim.pid
keep_environment =
host_lookup =
rfc1413_hosts =
smtp_accept_max = 100
smtp_accept_queue_per_connection = 0
message_size_limit = 10M
deliver_drop_privilege = true
log_selector = +smtp_connection +smtp_protocol_error +smtp_syntax_error +tls_cipher
tls_advertise_hosts = $tls
tls_certificate = $D/etc/cert.pem
tls_privatekey = $D/etc/key.pem
auth_advertise_hosts = *
acl_smtp_rcpt = acl_rcpt

begin acl
acl_rcpt:
  accept authenticated = *
${EXIM_OPEN_DOMAINS:+  accept domains = $EXIM_OPEN_DOMAINS}
  deny   message = 5.7.1 Authentication required

begin routers
${EXIM_ROUTERS:-}
maildir:
  driver = accept
  transport = maildir

begin transports
maildir:
  driver = appendfile
  maildir_format
  directory = $D/mail/inbox
  create_directory
  directory_mode = 0755
  mode = 0644
  user = Debian-exim
  group = Debian-exim
  return_path_add
  envelope_to_add
  delivery_date_add
  headers_add = Delivered-To: \$local_part@\$domain\n\\
    X-Exim-Auth: \$sender_host_authenticated \$authenticated_id \\
    tls=\${if def:tls_in_cipher{\$tls_in_cipher}{none}}
${EXIM_TRANSPORTS:-}

begin retry
*  *  F,1h,1m

begin authenticators
ntlm:
  driver = spa
  public_name = NTLM
  server_password = $pw
  server_set_id = \$auth1
cram_md5:
  driver = cram_md5
  public_name = CRAM-MD5
  server_secret = $pw
  server_set_id = \$auth1
plain:
  driver = plaintext
  public_name = PLAIN
  server_prompts = :
  server_condition = \${if eq{\$auth3}{\${lookup{\$auth2}lsearch{$D/etc/passwd}{\$value}fail}}}
  server_set_id = \$auth2
login:
  driver = plaintext
  public_name = LOGIN
  server_prompts = Username:: : Password::
  server_condition = \${if eq{\$auth2}{$pw}}
  server_set_id = \$auth1
EOF
chmod 644 "$D/etc/exim.conf"  # exim wants it owned by root and writable by no one else
"$EXIM_BIN" -C "$D/etc/exim.conf" -bV > "$D/log/version" 2>&1 ||  # also checks the config
  { cat "$D/log/version" >&2; exit 1; }
grep '^Authenticators:.* spa' "$D/log/version" >/dev/null ||
  die "$EXIM_BIN has no spa (NTLM) authenticator; exim4-daemon-heavy's has"

"$EXIM_BIN" -C "$D/etc/exim.conf" -bd >&2  # forks into the background, PID in $D/exim.pid
wait_port "$EXIM_PORT"
echo "exim up on 127.0.0.1:$EXIM_PORT ($([ -n "$tls" ] && echo STARTTLS || echo no TLS)," \
  "AUTH NTLM CRAM-MD5 PLAIN LOGIN), user $SMTP_USER, mail in $D/mail/inbox/new"
