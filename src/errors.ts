/**
 * The one registry of Mailroom's error codes. The HTTP API, the CLI and the library all speak
 * these codes; `http/` maps them to statuses and `cli/` to exit codes from this table alone.
 * Every code is documented in docs/errors.md (a test checks it).
 */

/** What an error code means to the outside: HTTP status, CLI exit code, a one-line summary. */
export interface ErrorCodeInfo {
  readonly status: number;
  /** 1 = the command failed, 2 = the command was used wrongly. */
  readonly exit: 1 | 2;
  readonly summary: string;
}

const codes = {
  // Requests and usage
  invalid_request: { status: 400, exit: 2, summary: 'The request or command line is malformed.' },
  unauthorized: { status: 401, exit: 1, summary: 'No valid credentials were given.' },
  forbidden: { status: 403, exit: 1, summary: 'The caller may not do this.' },
  not_found: { status: 404, exit: 1, summary: 'No such thing exists.' },
  payload_too_large: { status: 413, exit: 1, summary: 'The request body is larger than allowed.' },
  internal_error: { status: 500, exit: 1, summary: 'An unexpected failure inside Mailroom.' },

  // Configuration
  config_unknown_key: { status: 400, exit: 2, summary: 'The setting name is not a Mailroom setting.' },
  config_invalid_value: { status: 400, exit: 2, summary: 'The value is not allowed for this setting.' },
  setting_locked: { status: 409, exit: 1, summary: 'The setting is fixed by the config file or the environment.' },
  setting_file_only: { status: 403, exit: 1, summary: 'The setting names a program Mailroom runs, so only the config file or the environment may set it.' },
  config_env_invalid: { status: 400, exit: 1, summary: 'A MAILROOM_ environment variable is unknown or holds an invalid value.' },
  config_file_invalid: { status: 400, exit: 1, summary: 'The config file cannot be read or holds invalid settings.' },
  config_import_malformed: { status: 400, exit: 1, summary: 'The ownCloud/Nextcloud config.php cannot be parsed.' },
  file_unreadable: { status: 400, exit: 1, summary: 'A file named on the command line cannot be read.' },
  file_exists: { status: 409, exit: 1, summary: 'The file to write exists already; --force replaces it.' },
  token_exists: { status: 409, exit: 1, summary: 'An API token with this name exists already.' },
  secret_key_unreadable: { status: 500, exit: 1, summary: 'The key that encrypts stored secrets cannot be read.' },
  secret_undecryptable: { status: 500, exit: 1, summary: 'A stored secret cannot be decrypted with the data directory key.' },
  data_dir_insecure: { status: 500, exit: 1, summary: 'Other users can read the data directory or a file in it; Mailroom does not start.' },

  // Addresses and message fields
  invalid_address: { status: 400, exit: 2, summary: 'An email address is not valid.' },
  header_injection: { status: 400, exit: 2, summary: 'A header field holds a line break or another control character.' },
  no_recipient: { status: 400, exit: 2, summary: 'There is no address to send to.' },
  message_too_large: { status: 413, exit: 2, summary: 'A message or one of its parts is larger than allowed.' },

  // Templates
  template_syntax: { status: 400, exit: 2, summary: 'A template does not parse; the message gives line and column.' },
  template_unknown_variable: { status: 400, exit: 2, summary: 'A template names a variable that this template does not have.' },
  template_forbidden: { status: 400, exit: 2, summary: 'A template uses a tag that is not allowed (such as including a file).' },
  template_too_large: { status: 413, exit: 2, summary: 'A template is larger than allowed.' },
  template_render_failed: { status: 500, exit: 1, summary: 'A template could not be rendered with the given data.' },
  template_render_timeout: { status: 500, exit: 1, summary: 'A template took too long to render and was stopped.' },
  template_output_too_large: { status: 500, exit: 1, summary: 'A template rendered more text than allowed.' },
  template_render_budget: { status: 422, exit: 1, summary: 'A template does more work than a mail may cost (huge ranges or lists, loops inside loops) and was stopped.' },

  // People, sessions and one-use links
  user_exists: { status: 409, exit: 1, summary: 'A user with this uid exists already.' },
  last_admin: { status: 409, exit: 1, summary: 'The change would leave no active admin.' },
  // Exit 1 as for not_found: the command line was well-formed, the user it names does not exist.
  unknown_user: { status: 400, exit: 1, summary: 'A uid named in the request is not a Mailroom user.' },
  invalid_timezone: { status: 400, exit: 2, summary: 'The time zone is not an IANA time zone name.' },
  password_too_weak: { status: 400, exit: 2, summary: 'The new password is too short or too easy to guess.' },
  login_failed: { status: 401, exit: 1, summary: 'The user name or password is wrong, or the account is disabled.' },
  csrf_token_invalid: { status: 403, exit: 1, summary: 'A change through a browser session came without its CSRF token.' },
  rate_limited: { status: 429, exit: 1, summary: 'Too many requests of this kind; wait and try again.' },
  reset_token_invalid: { status: 400, exit: 1, summary: 'The password-reset link is not one Mailroom issued (mistyped or altered).' },
  reset_token_expired: { status: 400, exit: 1, summary: 'The password-reset link has expired.' },
  reset_token_used: { status: 400, exit: 1, summary: 'The password-reset link was used already, or a newer password or address replaced it.' },
  invitation_token_invalid: { status: 400, exit: 1, summary: 'The set-password link of an invitation is unknown, used already, or replaced by a newer invitation.' },
  invitation_token_expired: { status: 400, exit: 1, summary: 'The set-password link of an invitation has expired.' },
  user_disabled: { status: 409, exit: 1, summary: 'The account is disabled: no password-reset link is sent to it.' },
  invitation_not_pending: { status: 409, exit: 1, summary: 'The user has a password already or is disabled: there is no invitation to send.' },
  email_change_token_invalid: { status: 400, exit: 1, summary: 'The link that confirms a new email address is unknown, used already, or replaced.' },
  email_change_token_expired: { status: 400, exit: 1, summary: 'The link that confirms a new email address has expired.' },
  unsubscribe_token_invalid: { status: 400, exit: 1, summary: 'The unsubscribe link is not one Mailroom issued.' },

  // Events and notifications
  event_type_unknown: { status: 400, exit: 2, summary: 'The event type is not one Mailroom knows.' },
  share_notification_disabled: { status: 403, exit: 1, summary: 'Mails about shares are turned off (shareapi_allow_mail_notification; for links to outside addresses shareapi_allow_public_notification).' },
  too_many_recipients: { status: 400, exit: 2, summary: 'A public link is to be mailed to more outside addresses at once than allowed (20).' },
  batch_too_large: { status: 413, exit: 2, summary: 'More items in one request than allowed (1000).' },
  too_many_mails: { status: 413, exit: 2, summary: 'The request would owe more mails than one request may (10000); nothing was recorded.' },

  // The outbox
  outbox_not_queued: { status: 409, exit: 1, summary: 'Only a queued mail can be sent now; a failed or cancelled one is retried instead, and one being sent or sent is past it.' },
  outbox_not_retryable: { status: 409, exit: 1, summary: 'Only a failed or cancelled mail can be retried; this one is queued, being sent or sent.' },
  outbox_not_cancellable: { status: 409, exit: 1, summary: 'Only a queued or failed mail can be cancelled; this one is being sent, sent or cancelled already.' },

  // Database
  database_unavailable: { status: 503, exit: 1, summary: 'The database cannot be opened or reached.' },
  sqlite_module_mismatch: { status: 503, exit: 1, summary: 'better-sqlite3 was built for another Node.js version; npm rebuild it.' },
  database_not_empty: { status: 409, exit: 1, summary: 'db:copy was given a database that holds data already.' },
  database_busy: { status: 409, exit: 1, summary: 'db:copy found a worker sending from the database; stop Mailroom first.' },
  database_migrations_pending: { status: 503, exit: 1, summary: 'MAILROOM_AUTO_MIGRATE is false and the database needs migrations: run mailroom db:migrate once.' },
  database_newer: { status: 503, exit: 1, summary: 'A newer Mailroom has upgraded the database; install that version or later.' },

  // Sending: each names a cause an admin can fix
  smtp_connection_refused: { status: 502, exit: 1, summary: 'Nothing accepts connections at the server address and port.' },
  smtp_host_not_found: { status: 502, exit: 1, summary: 'The server name does not resolve.' },
  smtp_timeout: { status: 504, exit: 1, summary: 'The server did not answer in time.' },
  smtp_greeting_refused: { status: 502, exit: 1, summary: 'The server refused the connection with its greeting (4xx/5xx).' },
  smtp_tls_on_plain_port: { status: 502, exit: 1, summary: 'Implicit TLS (ssl) was used on a port that speaks plain SMTP/STARTTLS.' },
  smtp_plain_on_tls_port: { status: 502, exit: 1, summary: 'Plain SMTP or STARTTLS was used on a port that expects implicit TLS.' },
  smtp_starttls_unavailable: { status: 502, exit: 1, summary: 'STARTTLS is required but the server does not offer it.' },
  smtp_certificate_untrusted: { status: 502, exit: 1, summary: 'The server certificate is self-signed or from an untrusted CA.' },
  smtp_certificate_invalid: { status: 502, exit: 1, summary: 'The server certificate does not match the host name or has expired.' },
  smtp_tls_failed: { status: 502, exit: 1, summary: 'The TLS handshake failed.' },
  smtp_auth_required: { status: 502, exit: 1, summary: 'The server requires authentication, which is turned off.' },
  smtp_auth_failed: { status: 502, exit: 1, summary: 'The server refused the user name or password.' },
  smtp_auth_mechanism_unavailable: { status: 502, exit: 1, summary: 'The server does not offer the chosen authentication method.' },
  smtp_sender_rejected: { status: 502, exit: 1, summary: 'The server refused the sender address.' },
  smtp_recipient_rejected: { status: 502, exit: 1, summary: 'The server refused the recipient address.' },
  smtp_message_rejected: { status: 502, exit: 1, summary: 'The server refused the message content.' },
  smtp_connection_lost: { status: 502, exit: 1, summary: 'The server closed the connection unexpectedly.' },
  smtp_protocol_error: { status: 502, exit: 1, summary: 'The server answered something that is not SMTP.' },
  smtp_all_hosts_failed: { status: 502, exit: 1, summary: 'Every server of the failover list failed.' },
  bounce_mailbox_not_configured: { status: 400, exit: 1, summary: 'No bounce mailbox is set (mail_bounce_pop3_host, _user, _password).' },
  bounce_mailbox_unreachable: { status: 502, exit: 1, summary: 'The POP3 server of the bounce mailbox could not be reached or did not answer in time.' },
  bounce_mailbox_tls_failed: { status: 502, exit: 1, summary: 'The TLS connection to the POP3 server failed (certificate, STLS or the port).' },
  bounce_mailbox_auth_failed: { status: 502, exit: 1, summary: 'The POP3 server refused the bounce mailbox user name or password.' },
  bounce_mailbox_protocol_error: { status: 502, exit: 1, summary: 'The POP3 server answered something unexpected.' },
  oauth_not_configured: { status: 400, exit: 1, summary: 'XOAUTH2 is chosen but its token settings are missing.' },
  oauth_token_failed: { status: 502, exit: 1, summary: 'The OAuth token endpoint could not give an access token.' },
  oauth_refresh_token_revoked: { status: 502, exit: 1, summary: 'The OAuth refresh token was revoked or has expired.' },
  sendmail_not_found: { status: 502, exit: 1, summary: 'The sendmail/qmail binary does not exist or cannot be run.' },
  sendmail_failed: { status: 502, exit: 1, summary: 'The sendmail/qmail binary exited with an error.' },
} as const satisfies Record<string, ErrorCodeInfo>;

export type ErrorCode = keyof typeof codes;

/** Every registered code with its status, exit code and summary. */
export const errorCodes: Readonly<Record<ErrorCode, ErrorCodeInfo>> = codes;

export function isErrorCode(value: string): value is ErrorCode {
  return Object.hasOwn(codes, value);
}

/** The error every layer of Mailroom throws. `details` is safe to show: it never holds secrets. */
export class MailroomError extends Error {
  readonly code: ErrorCode;
  readonly details: Readonly<Record<string, unknown>> | undefined;

  constructor(code: ErrorCode, message: string, options: { cause?: unknown; details?: Record<string, unknown> } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'MailroomError';
    this.code = code;
    this.details = options.details;
  }
}

export function isMailroomError(error: unknown): error is MailroomError {
  return error instanceof MailroomError;
}
