import { createPrivateKey } from 'node:crypto';
import { z } from 'zod';
import { LANGUAGE_CODES } from '../domain/languages.ts';
import { isValidDomain, isValidLocalPart } from '../domain/address.ts';

/** An RSA private key (RFC 8301: at least 1024 bits) that Node can read; nothing of it is kept. */
function isRsaSigningKey(pem: string): boolean {
  try {
    const key = createPrivateKey(pem);
    return key.asymmetricKeyType === 'rsa' && (key.asymmetricKeyDetails?.modulusLength ?? 0) >= 1024;
  } catch {
    return false;
  }
}
/**
 * Every setting Mailroom knows, with the ownCloud key names. This table is the single source
 * for validation, defaults, secrecy, the settings API and the generated config reference.
 */

const noLineBreak = (s: string) => !/[\r\n]/.test(s);
const text = (max = 500) => z.string().max(max).refine(noLineBreak, 'must not contain a line break');

export const SEND_MODES = ['smtp', 'sendmail', 'qmail', 'php', 'capture'] as const;
export const SECURE_MODES = ['', 'ssl', 'tls'] as const;
export const AUTH_TYPES = ['LOGIN', 'PLAIN', 'NTLM', 'CRAM-MD5', 'XOAUTH2'] as const;
export const OAUTH_GRANTS = ['refresh_token', 'client_credentials'] as const;

export type SendMode = (typeof SEND_MODES)[number];
export type SecureMode = (typeof SECURE_MODES)[number];
export type OAuthGrant = (typeof OAUTH_GRANTS)[number];
export type AuthType = (typeof AUTH_TYPES)[number];

/** Whether a URL's host is this machine (localhost, 127.0.0.0/8, ::1). */
export function isLoopbackHost(hostname: string): boolean {
  return hostname === 'localhost' || hostname === '[::1]' || /^127(\.\d{1,3}){3}$/.test(hostname);
}

/**
 * Whether the XOAUTH2 client secret and refresh token may be sent to `url`: only over https,
 * since anyone on the path of a plain http request reads them and can then mail as the mailbox.
 * http is allowed to this machine alone (a local token endpoint, the tests' stand-in).
 */
export function isSecureTokenUrl(url: string): boolean {
  try {
    const parsed = new URL(url);
    return parsed.protocol === 'https:' || (parsed.protocol === 'http:' && isLoopbackHost(parsed.hostname));
  } catch {
    return false;
  }
}

/** One `host[:port]` entry of `mail_smtphost`. */
export interface SmtpHostEntry {
  readonly host: string;
  readonly port: number | undefined;
}

const hostPattern = /^(\[[0-9A-Fa-f:.]+\]|[^\s:;[\]]+)(?::(\d+))?$/;

/** Splits a `;`-separated host list; returns the entries or the first problem found. */
export function parseHostList(value: string): { entries: SmtpHostEntry[] } | { problem: string } {
  const parts = value.split(';').map((p) => p.trim());
  const entries: SmtpHostEntry[] = [];
  for (const [index, part] of parts.entries()) {
    if (part === '') {
      return { problem: `entry ${index + 1} of the ';'-separated list is empty (write host1;host2:port)` };
    }
    const match = hostPattern.exec(part);
    if (!match) return { problem: `"${part}" is not host or host:port` };
    const host = match[1] as string;
    const bareHost = host.startsWith('[') ? host.slice(1, -1) : host;
    if (!host.startsWith('[') && !isValidDomain(bareHost) && !/^(\d{1,3}\.){3}\d{1,3}$/.test(bareHost)) {
      return { problem: `"${host}" is not a valid host name or IP address` };
    }
    let port: number | undefined;
    if (match[2] !== undefined) {
      port = Number(match[2]);
      if (!Number.isInteger(port) || port < 1 || port > 65535) return { problem: `port ${match[2]} of "${part}" is not between 1 and 65535` };
    }
    entries.push({ host: bareHost, port });
  }
  return { entries };
}

export interface SettingDefinition<T extends z.ZodType = z.ZodType> {
  readonly schema: T;
  readonly default: z.output<T>;
  /** Write-only: stored encrypted, never shown, logged or returned. */
  readonly secret: boolean;
  /** Send modes the key matters for; empty = all. */
  readonly modes: readonly SendMode[];
  /** Feeds a mail header: a line break is a header injection, not just a bad value. */
  readonly header?: boolean;
  /**
   * Names a program Mailroom runs. Whoever sets it can run anything on the host as Mailroom's
   * user, so only the config file and the environment (the host's admin) may; the database
   * layer (the web page, the API, config:set) never sets it and a saved value is ignored.
   */
  readonly fileOnly?: boolean;
  readonly description: string;
}

function define<T extends z.ZodType>(d: SettingDefinition<T>): SettingDefinition<T> {
  return d;
}

const port = z.number().int().min(1, 'must be between 1 and 65535').max(65535, 'must be between 1 and 65535');

export const settingDefinitions = {
  mail_smtpmode: define({
    schema: z.enum(SEND_MODES),
    default: 'capture',
    secret: false,
    modes: [],
    description: 'How mail leaves Mailroom: smtp (a mail server), sendmail or qmail (the local binary), php (as PHP mail() would), capture (kept in Mailroom, shown in the UI, not sent).',
  }),
  mail_smtphost: define({
    schema: text(2000).superRefine((value, ctx) => {
      const parsed = parseHostList(value);
      if ('problem' in parsed) ctx.addIssue({ code: 'custom', message: parsed.problem });
    }),
    default: '127.0.0.1',
    secret: false,
    modes: ['smtp'],
    description: "The SMTP server, or several separated by ';' tried in order (host or host:port each). A host that fails is skipped for a minute.",
  }),
  mail_smtpport: define({ schema: port, default: 25, secret: false, modes: ['smtp'], description: 'Port used for a host that names none.' }),
  mail_smtptimeout: define({
    schema: z.number().int().min(1, 'must be at least 1 second').max(3600, 'must be at most 3600 seconds'),
    default: 10,
    secret: false,
    modes: ['smtp'],
    description: 'Seconds to wait for the connection, the greeting and each reply. At least 30 when the server scans for malware or spam.',
  }),
  mail_smtpsecure: define({
    schema: z.enum(SECURE_MODES),
    default: '',
    secret: false,
    modes: ['smtp'],
    description: "'' = no encryption (STARTTLS is still used when offered), ssl = implicit TLS (usually port 465), tls = STARTTLS required (usually 587 or 25).",
  }),
  mail_smtpauth: define({ schema: z.boolean(), default: false, secret: false, modes: ['smtp'], description: 'Whether the server requires authentication.' }),
  mail_smtpauthtype: define({
    schema: z.enum(AUTH_TYPES),
    default: 'LOGIN',
    secret: false,
    modes: ['smtp'],
    description: 'Authentication method: LOGIN, PLAIN, NTLM, CRAM-MD5 or XOAUTH2 (Microsoft 365, Gmail).',
  }),
  mail_smtpname: define({ schema: text(320), default: '', secret: false, modes: ['smtp'], description: 'User name for authentication.' }),
  mail_smtppassword: define({ schema: text(1000), default: '', secret: true, modes: ['smtp'], description: 'Password for authentication (write-only).' }),
  mail_smtpdebug: define({
    schema: z.boolean(),
    default: false,
    secret: false,
    modes: ['smtp'],
    description: 'Show the SMTP conversation (credentials replaced by ***) with the test mail and in failure reports.',
  }),
  mail_from_address: define({
    schema: text(64).refine((v) => v === '' || isValidLocalPart(v), 'must be the part before the @ only (letters, digits, . _ - + …); the domain goes in mail_domain'),
    default: 'mailroom',
    secret: false,
    modes: [],
    header: true,
    description: 'The part before the @ of the sender address (the sender is mail_from_address@mail_domain). Empty: a no-reply address per kind of mail, as ownCloud does (sharing-noreply@ for share mails, activity-noreply@ for digests, noreply@ for the others).',
  }),
  mail_domain: define({
    schema: text(253).refine((v) => isValidDomain(v), 'must be a domain name such as example.com'),
    default: 'localhost',
    secret: false,
    modes: [],
    header: true,
    description: 'The domain of the sender address; also used in Message-IDs.',
  }),
  mail_sendmail_path: define({
    schema: text(1000).refine((v) => v.startsWith('/'), 'must be an absolute path'),
    default: '/usr/sbin/sendmail',
    secret: false,
    modes: ['sendmail'],
    fileOnly: true,
    description: 'The sendmail binary for mode sendmail. Config file or environment only: it names a program Mailroom runs.',
  }),
  mail_qmail_path: define({
    schema: text(1000).refine((v) => v.startsWith('/'), 'must be an absolute path'),
    default: '/var/qmail/bin/sendmail',
    secret: false,
    modes: ['qmail'],
    fileOnly: true,
    description: "qmail's sendmail binary for mode qmail. Config file or environment only: it names a program Mailroom runs.",
  }),
  mail_smtptls_ca: define({
    schema: text(1000).refine((v) => v === '' || v.startsWith('/'), 'must be empty or the absolute path of a PEM file'),
    default: '',
    secret: false,
    modes: ['smtp'],
    description: 'A PEM file of CA certificates to trust besides the system ones (for a private CA or a self-signed server).',
  }),
  mail_smtptls_verify: define({
    schema: z.boolean(),
    default: true,
    secret: false,
    modes: ['smtp'],
    description: "Verify the server's certificate. Leave it on; trust a private CA with mail_smtptls_ca instead.",
  }),
  mail_smtpoauth_token_url: define({
    schema: text(2000)
      .refine((v) => v === '' || /^https?:\/\/[^\s]+$/.test(v), 'must be an http(s) URL')
      .refine((v) => v === '' || !/^https?:\/\/[^\s]+$/.test(v) || isSecureTokenUrl(v), 'must be an https:// URL: the client secret and the refresh token are sent to it (http:// only to this machine, such as http://127.0.0.1)'),
    default: '',
    secret: false,
    modes: ['smtp'],
    description: 'XOAUTH2: the token endpoint, https:// only (e.g. https://login.microsoftonline.com/TENANT/oauth2/v2.0/token); http:// is refused but to this machine (127.0.0.1, ::1, localhost), since the client secret and the refresh token are sent to it.',
  }),
  mail_smtpoauth_client_id: define({ schema: text(500), default: '', secret: false, modes: ['smtp'], description: 'XOAUTH2: the application (client) id.' }),
  mail_smtpoauth_client_secret: define({ schema: text(2000), default: '', secret: true, modes: ['smtp'], description: 'XOAUTH2: the client secret (write-only).' }),
  mail_smtpoauth_grant: define({
    schema: z.enum(OAUTH_GRANTS),
    default: 'refresh_token',
    secret: false,
    modes: ['smtp'],
    description: "XOAUTH2: how Mailroom gets access tokens. refresh_token: with a refresh token a mailbox user gave once (Gmail, Microsoft 365). client_credentials: with the app's own permission and its client secret, no user sign-in (Microsoft 365 with SMTP.SendAsApp).",
  }),
  mail_smtpoauth_scope: define({
    schema: text(1000).refine((v) => !/[\r\n]/.test(v), 'must be one line'),
    default: '',
    secret: false,
    modes: ['smtp'],
    description: 'XOAUTH2: the scope to ask for, sent when set; client_credentials needs it (Microsoft 365: https://outlook.office365.com/.default).',
  }),
  mail_smtpoauth_refresh_token: define({ schema: text(8000), default: '', secret: true, modes: ['smtp'], description: 'XOAUTH2 with the refresh_token grant: the refresh token (write-only).' }),
  mail_smtp_connections: define({
    schema: z.number().int().min(1, 'must be between 1 and 64').max(64, 'must be between 1 and 64'),
    default: 8,
    secret: false,
    modes: ['smtp'],
    description: 'Connections the outbox keeps open to the mail server; more send faster until the server or the CPU is the limit.',
  }),
  mail_smtp_helo_name: define({
    schema: text(253).refine((v) => v === '' || isValidDomain(v), 'must be empty or a host name such as mail.example.com'),
    default: '',
    secret: false,
    modes: ['smtp'],
    description: "The name Mailroom gives in EHLO. Empty: this machine's full name (its host name when it has a dot, else the name /etc/hosts or DNS gives it), else mail_domain. Servers and spam filters check that it names a real host.",
  }),
  mail_ratelimit: define({
    schema: z.number().int().min(0, 'must be 0 (no limit) or more').max(1_000_000, 'must be at most 1000000'),
    default: 0,
    secret: false,
    modes: [],
    description: 'At most this many mails a minute (for providers that throttle); 0 = no limit.',
  }),
  mail_retry_min_seconds: define({
    schema: z.number().int().min(1, 'must be at least 1 second').max(86_400, 'must be at most 86400'),
    default: 60,
    secret: false,
    modes: [],
    description: 'Wait before the first retry of a mail the server deferred (4xx) or could not take; each later retry waits twice as long.',
  }),
  mail_retry_max_seconds: define({
    schema: z.number().int().min(1, 'must be at least 1 second').max(604_800, 'must be at most 604800'),
    default: 21_600,
    secret: false,
    modes: [],
    description: 'The longest wait between two retries (6 hours by default).',
  }),
  mail_retry_give_up_hours: define({
    schema: z.number().int().min(1, 'must be at least 1 hour').max(2_160, 'must be at most 2160 (90 days)'),
    default: 72,
    secret: false,
    modes: [],
    description: 'A mail still not sent this long after it was queued is marked failed.',
  }),
  mail_bounce_verp: define({
    schema: z.boolean(),
    default: false,
    secret: false,
    modes: ['smtp', 'sendmail', 'qmail'],
    description:
      'Send every mail with an envelope sender that names it (VERP: bounces+<mail id>-<tag>@mail_bounce_domain), so that a bounce is matched to its mail and recipient (mailroom bounce:receive). Off by default: the envelope sender then differs from the From address, and relays that let you send only as your own address (Microsoft 365, Gmail and other smarthosts with sender restrictions) refuse it. Not in mode php, which sets no envelope sender.',
  }),
  mail_bounce_domain: define({
    schema: text(253).refine((v) => v === '' || isValidDomain(v), 'must be empty or a domain name such as bounces.example.com'),
    default: '',
    secret: false,
    modes: ['smtp', 'sendmail', 'qmail'],
    description: 'The domain of the VERP envelope senders (mail_bounce_verp), whose mail server passes bounces to mailroom bounce:receive. Empty: mail_domain.',
  }),
  mail_bounce_threshold: define({
    schema: z.number().int().min(1, 'must be between 1 and 1000').max(1000, 'must be between 1 and 1000'),
    default: 4,
    secret: false,
    modes: [],
    description: 'An address whose bounce score reaches this gets no more notifications (share mails, digests) until its score is cleared, decays (30 days after its last bounce) or the user changes the address. Password resets and address changes are always sent: they are how a user repairs it.',
  }),
  mail_bounce_hard_score: define({
    schema: z.number().int().min(0, 'must be between 0 and 100').max(100, 'must be between 0 and 100'),
    default: 2,
    secret: false,
    modes: [],
    description: "What a hard bounce (the mailbox does not exist, 5.x.x) adds to the address's bounce score; an address counts at most once a day.",
  }),
  mail_bounce_soft_score: define({
    schema: z.number().int().min(0, 'must be between 0 and 100').max(100, 'must be between 0 and 100'),
    default: 1,
    secret: false,
    modes: [],
    description: "What a soft bounce (a delay, a full mailbox, 4.x.x) adds to the address's bounce score; an address counts at most once a day.",
  }),
  mail_bounce_pop3_host: define({
    schema: text(253).refine((v) => v === '' || isValidDomain(v) || /^\d{1,3}(\.\d{1,3}){3}$/.test(v), 'must be empty or a host name such as mail.example.com'),
    default: '',
    secret: false,
    modes: [],
    description:
      'The POP3 server of a mailbox that receives the bounces (the mailbox of mail_bounce_domain, or of the sender address), fetched by the worker every mail_bounce_pop3_interval seconds and by mailroom bounce:fetch; each message is read as by mailroom bounce:receive and deleted once it is recorded. Empty: no mailbox is fetched.',
  }),
  mail_bounce_pop3_port: define({ schema: port, default: 995, secret: false, modes: [], description: 'The port of mail_bounce_pop3_host: 995 for mail_bounce_pop3_tls ssl, 110 for starttls.' }),
  mail_bounce_pop3_tls: define({
    schema: z.enum(['ssl', 'starttls']),
    default: 'ssl',
    secret: false,
    modes: [],
    description: 'How the POP3 connection is encrypted: ssl (TLS from the first byte, port 995) or starttls (STLS on port 110). The password is never sent unencrypted, and the certificate is always checked (mail_bounce_pop3_tls_ca for a private CA).',
  }),
  mail_bounce_pop3_tls_ca: define({
    schema: text(1000).refine((v) => v === '' || v.startsWith('/'), 'must be empty or the absolute path of a PEM file'),
    default: '',
    secret: false,
    modes: [],
    description: 'A PEM file of CA certificates to trust for the POP3 server besides the system ones (for a private CA or a self-signed server).',
  }),
  mail_bounce_pop3_user: define({ schema: text(320), default: '', secret: false, modes: [], description: 'The user name of the bounce mailbox.' }),
  mail_bounce_pop3_password: define({ schema: text(1000), default: '', secret: true, modes: [], description: 'The password of the bounce mailbox (write-only).' }),
  mail_bounce_pop3_interval: define({
    schema: z.number().int().min(30, 'must be between 30 and 86400 (seconds)').max(86400, 'must be between 30 and 86400 (seconds)'),
    default: 300,
    secret: false,
    modes: [],
    description: 'How often, in seconds, each worker fetches the bounce mailbox (mail_bounce_pop3_host).',
  }),
  mail_logo_url: define({
    schema: text(2000).refine((v) => v === '' || /^https?:\/\/[^\s]+$/.test(v), 'must be empty or an http(s) URL of a PNG or JPEG'),
    default: '',
    secret: false,
    modes: [],
    description: 'The logo at the top of HTML mails (PNG or JPEG; SVG is not shown by many mail programs). Empty: the instance name instead.',
  }),
  mail_logo_dark_url: define({
    schema: text(2000).refine((v) => v === '' || /^https?:\/\/[^\s]+$/.test(v), 'must be empty or an http(s) URL of a PNG or JPEG'),
    default: '',
    secret: false,
    modes: [],
    description: 'The logo shown instead of mail_logo_url by mail programs in dark mode (Apple Mail, Outlook for Mac and iOS, Outlook.com, Thunderbird); the same size. Empty: mail_logo_url in dark mode too. Used only with mail_logo_url.',
  }),
  mail_logo_width: define({
    schema: z.number().int().min(16, 'must be between 16 and 400 (pixels)').max(400, 'must be between 16 and 400 (pixels)'),
    default: 160,
    secret: false,
    modes: [],
    description:
      "The logo's width in mails, in CSS pixels. Every mail program draws the logo at mail_logo_width × mail_logo_height (Outlook for Windows knows an image's size only from these numbers): give the logo's own proportions, e.g. 160 × 40 for an image of 320 × 80 pixels (twice the size, sharp on high-resolution screens).",
  }),
  mail_logo_height: define({
    schema: z.number().int().min(16, 'must be between 16 and 200 (pixels)').max(200, 'must be between 16 and 200 (pixels)'),
    default: 40,
    secret: false,
    modes: [],
    description: "The logo's height in mails, in CSS pixels (see mail_logo_width).",
  }),
  mail_accent_color: define({
    schema: text(7).refine((v) => /^#[0-9a-fA-F]{6}$/.test(v), 'must be a colour such as #0082c9'),
    default: '#0082c9',
    secret: false,
    modes: [],
    description: 'The colour of buttons and the header line in HTML mails.',
  }),
  mail_footer: define({
    schema: text(500),
    default: '',
    secret: false,
    modes: [],
    description: 'A line at the bottom of every mail (e.g. the organisation and its address). Empty: the instance name and address.',
  }),
  mail_default_language: define({
    schema: z.enum(LANGUAGE_CODES),
    default: 'en',
    secret: false,
    modes: [],
    description: `The language of mails to people who chose none, and of people whose language Mailroom does not write: ${LANGUAGE_CODES.join(', ')}.`,
  }),
  mail_dkim_domain: define({
    schema: text(253).refine((v) => v === '' || isValidDomain(v), 'must be empty or a domain name such as example.com'),
    default: '',
    secret: false,
    modes: [],
    description: 'DKIM: the signing domain (d=); mails are signed when this, the selector and the private key are set.',
  }),
  mail_dkim_selector: define({
    schema: text(63).refine((v) => v === '' || /^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(v), 'must be empty or a DNS label such as mail2026'),
    default: '',
    secret: false,
    modes: [],
    description: 'DKIM: the selector (s=); the public key is published at SELECTOR._domainkey.DOMAIN.',
  }),
  mail_dkim_private_key: define({
    // A PEM key spans several lines, the one setting that may.
    schema: z
      .string()
      .max(16_000)
      .refine((v) => v === '' || /-----BEGIN (RSA |EC )?PRIVATE KEY-----[\s\S]+-----END (RSA |EC )?PRIVATE KEY-----/.test(v), 'must be empty or a PEM private key (-----BEGIN PRIVATE KEY----- …)')
      // Mails are signed rsa-sha256: another kind of key (EC, Ed25519) would give signatures no
      // receiver can verify, so it is refused here rather than found out from DMARC reports.
      .refine((v) => v === '' || !/-----BEGIN/.test(v) || isRsaSigningKey(v), 'must be an RSA private key of at least 1024 bits (2048 recommended): Mailroom signs with rsa-sha256'),
    default: '',
    secret: true,
    modes: [],
    description: 'DKIM: the private key in PEM (write-only; set it with `mailroom config:set mail_dkim_private_key - < key.pem`).',
  }),
  mail_send_plaintext_only: define({ schema: z.boolean(), default: false, secret: false, modes: [], description: 'Send text parts only, no HTML.' }),
  password_reset_expiry_minutes: define({
    schema: z.number().int().min(5, 'must be between 5 and 1440 minutes').max(1440, 'must be between 5 and 1440 minutes'),
    default: 60,
    secret: false,
    modes: [],
    description: 'How long a password-reset link works, in minutes (5–1440).',
  }),
  invitation_expiry_days: define({
    schema: z.number().int().min(1, 'must be between 1 and 30 days').max(30, 'must be between 1 and 30 days'),
    default: 7,
    secret: false,
    modes: [],
    description: 'How long the set-password link of a welcome mail works, in days (1–30).',
  }),
  shareapi_allow_mail_notification: define({
    schema: z.boolean(),
    default: true,
    secret: false,
    modes: [],
    description: 'Mail users when something is shared with them (share.created events and POST /api/v1/shares/notify).',
  }),
  shareapi_allow_public_notification: define({
    schema: z.boolean(),
    default: false,
    secret: false,
    modes: [],
    description: "Let users mail a public link to outside addresses (share.link.sent events, the link_share mail). Off by default, as in ownCloud: it lets any user send mail signed with the instance's domain to strangers who cannot unsubscribe.",
  }),
  mail_share_reply_to: define({
    schema: z.enum(['sharer', 'none']),
    default: 'sharer',
    secret: false,
    modes: [],
    description:
      "Reply-To of share mails: sharer (the sharer's own address, as ownCloud does, so a reply reaches them) or none (replies go to the sender address). A sharer at a free mail provider (Gmail, QQ, 163 …) makes SpamAssassin add FREEMAIL_FORGED_REPLYTO (1.2 points, 2.1–2.5 with network tests); none avoids that.",
  }),
  instance_name: define({ schema: text(100).refine((v) => v.trim() !== '', 'must not be empty'), default: 'Mailroom', secret: false, modes: [], header: true, description: 'The name shown in mails and the UI, and the sender display name.' }),
  base_url: define({
    schema: text(2000).refine((v) => /^https?:\/\/[^\s/]+(\/[^\s]*)?$/.test(v), 'must be an http(s) URL such as https://cloud.example.com'),
    default: 'http://127.0.0.1:8080',
    secret: false,
    modes: [],
    description: 'The address users reach Mailroom at; links in mails start with it. Not set: the address mailroom serve last listened on (MAILROOM_HOST and MAILROOM_PORT, 0.0.0.0 as the machine name), which suits no install behind a reverse proxy.',
  }),
} as const;

export type SettingKey = keyof typeof settingDefinitions;
export type Settings = { -readonly [K in SettingKey]: z.output<(typeof settingDefinitions)[K]['schema']> };

export const settingKeys = Object.keys(settingDefinitions) as SettingKey[];

export function isSettingKey(key: string): key is SettingKey {
  return Object.hasOwn(settingDefinitions, key);
}

export function defaultSettings(): Settings {
  const out: Record<string, unknown> = {};
  for (const key of settingKeys) out[key] = settingDefinitions[key].default;
  return out as Settings;
}

export const secretKeys: readonly SettingKey[] = settingKeys.filter((k) => settingDefinitions[k].secret);
