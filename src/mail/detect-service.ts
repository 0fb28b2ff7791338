import type { DetectListReport as ApiDetectListReport, DetectReport as ApiDetectReport } from '../domain/api-types.ts';
import { MailroomError } from '../errors.ts';
import { parseHostList } from '../config/settings-schema.ts';
import type { SettingsReader } from '../config/settings-service.ts';
import { readCaFile } from '../transport/ca-file.ts';
import { certificateFinding, detectNoteText, unreachableFinding, type DetectNote } from '../transport/detect-notes.ts';
import { processEhloName } from '../transport/ehlo-name.ts';
import { probeSmtpPort, type PortProbe, type ProbeCertificate, type ProbeSecurity } from '../transport/smtp-probe.ts';

export type SmtpAuthType = 'LOGIN' | 'PLAIN' | 'CRAM-MD5' | 'NTLM' | 'XOAUTH2';

export interface RecommendedSmtpSettings {
  mail_smtphost: string;
  mail_smtpport: number;
  mail_smtpsecure: '' | 'ssl' | 'tls';
  mail_smtpauth: boolean;
  mail_smtpauthtype?: SmtpAuthType;
}

/** The API's shape (domain/api-types.ts), with the settings this server recommends. */
export type DetectReport = ApiDetectReport<RecommendedSmtpSettings>;

export interface DetectSmtpSettingsOptions {
  host: string;
  port?: number;
  timeoutMs: number;
  ca?: string;
  clientName?: string;
}

/** The ports a mail client may use, in the order of preference when no port is given. */
export const DEFAULT_PROBE_PORTS: readonly number[] = [587, 465, 25, 2525];

/** Mailroom's choice among the server's AUTH methods: the simplest that is safe over TLS comes first. */
const AUTH_TYPE_PREFERENCE: readonly SmtpAuthType[] = ['PLAIN', 'LOGIN', 'CRAM-MD5', 'NTLM', 'XOAUTH2'];

/**
 * What `mail:detect` and "Detect settings" answer. For one server, its report; for a failover
 * list (`host1;host2:port`), the first server's report with every server's own in `hosts`, and
 * settings that keep the list as it was given: the port, encryption and AUTH come from the first
 * server that can be used, and the list is never narrowed to that server.
 */
export type DetectListReport = ApiDetectListReport<RecommendedSmtpSettings>;

/** At most this many servers are probed at once (each on up to four ports). */
const MAX_HOSTS = 8;

/** `mail:detect`: what a server offers and which settings would work with it. */
export function createDetectService(deps: { settings: SettingsReader }) {
  return {
    /** The report as the command line prints it: one block per server and port, then the settings to set. */
    format(report: DetectListReport): string {
      const blocks = report.hosts.length > 0 ? report.hosts.flatMap(formatProbes) : formatProbes(report);
      return `${[...blocks, ...formatRecommendation(report)].join('\n')}\n`;
    },
    async detect(target: string, options: { timeoutMs?: number } = {}): Promise<DetectListReport> {
      const text = target.trim();
      const parsed = parseHostList(text);
      if ('problem' in parsed) {
        throw new MailroomError('invalid_request', `"${target}" is not HOST, HOST:PORT or a failover list of them separated by ";": ${parsed.problem}`);
      }
      if (parsed.entries.length > MAX_HOSTS) throw new MailroomError('invalid_request', `"${target}" names ${parsed.entries.length} servers; detect at most ${MAX_HOSTS} at once`);
      const settings = await deps.settings.get();
      const ca = settings.mail_smtptls_ca ? await readCaFile(settings.mail_smtptls_ca) : undefined;
      const clientName = await processEhloName(settings);
      const timeoutMs = options.timeoutMs ?? Math.min(settings.mail_smtptimeout, 10) * 1000;
      const hosts = await Promise.all(parsed.entries.map((entry) => detectSmtpSettings({ host: entry.host, ...(entry.port ? { port: entry.port } : {}), timeoutMs, ...(ca ? { ca } : {}), clientName })));
      const first = hosts[0] as DetectReport;
      if (hosts.length === 1) return { ...first, hosts };
      const usable = hosts.find((report) => report.recommended !== undefined);
      const chosen = usable?.recommended;
      // One port and encryption serve the whole list: say which server would not work with them.
      const differing: DetectNote[] = chosen
        ? hosts.flatMap((report, i) => {
            const own = report.recommended;
            if (!own || report === usable) return [];
            const port = parsed.entries[i]?.port ?? chosen.mail_smtpport;
            return own.mail_smtpsecure !== chosen.mail_smtpsecure || own.mail_smtpport !== port ? [{ kind: 'failover_differs' as const, host: report.host, port: own.mail_smtpport, secure: own.mail_smtpsecure, listSecure: chosen.mail_smtpsecure }] : [];
          })
        : [];
      const base = usable ?? first;
      return {
        ...base,
        findings: [...base.findings, ...differing],
        notes: [...base.notes, ...differing.map(detectNoteText)],
        host: text,
        // The list as given: which servers to try, and in which order, is the admin's choice.
        ...(usable?.recommended ? { recommended: { ...usable.recommended, mail_smtphost: text } } : {}),
        hosts,
      };
    },
  };
}

export type DetectService = ReturnType<typeof createDetectService>;

/** Probes the given port, or every usual submission port at once, and recommends Mailroom settings. */
export async function detectSmtpSettings(options: DetectSmtpSettingsOptions): Promise<DetectReport> {
  const ports = options.port === undefined ? DEFAULT_PROBE_PORTS : [options.port];
  const probes = await Promise.all(
    ports.map((port) =>
      probeSmtpPort({
        host: options.host,
        port,
        timeoutMs: options.timeoutMs,
        ...(options.ca !== undefined ? { ca: options.ca } : {}),
        ...(options.clientName !== undefined ? { clientName: options.clientName } : {}),
      }),
    ),
  );
  return { host: options.host, probes, ...recommendSmtpSettings(options.host, probes, { caGiven: options.ca !== undefined }) };
}

function usable(probe: PortProbe): boolean {
  return probe.security !== undefined && probe.error === undefined;
}

function portRank(probe: PortProbe): number {
  // 587 with STARTTLS and 465 with implicit TLS are the standard submission ports (RFC 8314).
  if (probe.port === 587 && probe.security === 'starttls') return 0;
  if (probe.port === 465 && probe.security === 'implicit_tls') return 1;
  return 2;
}

function chooseAuthType(methods: readonly string[]): SmtpAuthType | undefined {
  return AUTH_TYPE_PREFERENCE.find((type) => methods.includes(type));
}

/** Chooses the settings from the probes of one host; pure, so that the rule can be tested without servers. */
export function recommendSmtpSettings(host: string, probes: readonly PortProbe[], context: { caGiven: boolean } = { caGiven: false }): Pick<DetectReport, 'recommended' | 'notes' | 'findings'> {
  const findings: DetectNote[] = [];
  const finish = (recommended?: RecommendedSmtpSettings): Pick<DetectReport, 'recommended' | 'notes' | 'findings'> => ({
    ...(recommended ? { recommended } : {}),
    findings,
    notes: findings.map(detectNoteText),
  });
  for (const probe of probes) {
    if (probe.error && probe.security === undefined && probe.reachable) findings.push({ kind: 'port_failed', port: probe.port, error: probe.error });
    else if (probe.error && probe.security !== undefined) findings.push({ kind: 'port_unusable', port: probe.port, error: probe.error });
    else if (probe.error?.code === 'timeout' && probe.port === 25) findings.push({ kind: 'port_25_blocked', port: 25 });
  }

  const candidates = probes.filter(usable);
  const secure = candidates.filter((probe) => probe.security !== 'plain').sort((a, b) => Number(b.certificate?.valid === true) - Number(a.certificate?.valid === true) || portRank(a) - portRank(b) || probes.indexOf(a) - probes.indexOf(b));
  const best = secure[0] ?? candidates[0];
  if (!best) {
    findings.push(candidates.length === 0 && probes.every((probe) => !probe.reachable) ? unreachableFinding(probes, host) : { kind: 'no_working_port' });
    return finish();
  }

  const recommended: RecommendedSmtpSettings = {
    mail_smtphost: host,
    mail_smtpport: best.port,
    mail_smtpsecure: best.security === 'implicit_tls' ? 'ssl' : best.security === 'starttls' ? 'tls' : '',
    mail_smtpauth: best.authMethods.length > 0,
  };
  const authType = chooseAuthType(best.authMethods);
  if (authType) recommended.mail_smtpauthtype = authType;

  if (best.security === 'plain') findings.push({ kind: 'no_tls', withPassword: recommended.mail_smtpauth });
  const certFinding = certificateFinding(best, host);
  if (certFinding) findings.push(certFinding);
  else if (context.caGiven && best.certificate?.valid) findings.push({ kind: 'ca_checked' });
  if (best.authMethods.length > 0 && !authType) findings.push({ kind: 'auth_unsupported', port: best.port, methods: best.authMethods });
  if (best.authMethods.length === 0) findings.push({ kind: 'no_auth', port: best.port });
  return finish(recommended);
}

function describeCertificate(cert: ProbeCertificate): string {
  const state = cert.valid ? 'trusted' : `NOT trusted (${cert.selfSigned ? 'self-signed, ' : ''}${cert.error ?? 'unknown reason'})`;
  const details = [cert.subject && `subject ${cert.subject}`, cert.issuer && `issuer ${cert.issuer}`, cert.validTo && `valid until ${cert.validTo}`, cert.fingerprint256 && `SHA-256 ${cert.fingerprint256}`].filter(Boolean);
  return details.length ? `${state}; ${details.join('; ')}` : state;
}

const SECURITY_LABELS: Record<ProbeSecurity, string> = {
  plain: 'plain SMTP, no TLS',
  starttls: 'STARTTLS',
  implicit_tls: 'implicit TLS (ssl)',
};

function shellWord(value: string): string {
  return /^[\w.:@%+=,/-]+$/.test(value) ? value : `'${value.replace(/'/g, `'\\''`)}'`;
}

/** The report as the CLI prints it: one block per port, then the settings as commands to copy. */
export function formatDetectReport(report: DetectReport): string {
  return `${[...formatProbes(report), ...formatRecommendation(report)].join('\n')}\n`;
}

/** One server's block: a paragraph per port. */
export function formatProbes(report: Pick<DetectReport, 'host' | 'probes'>): string[] {
  const out: string[] = [`SMTP server ${report.host}`, ''];
  for (const probe of report.probes) {
    if (!probe.reachable) {
      out.push(`Port ${probe.port}: not reachable: ${probe.error?.message ?? 'unknown reason'}`, '');
      continue;
    }
    out.push(`Port ${probe.port}: ${probe.security ? SECURITY_LABELS[probe.security] : 'no usable SMTP'}`);
    const line = (label: string, value: string): void => {
      out.push(`  ${`${label}:`.padEnd(15)}${value}`);
    };
    if (probe.banner !== undefined) line('Banner', probe.banner);
    if (probe.security !== undefined) {
      line('AUTH', probe.authMethods.length ? probe.authMethods.join(' ') : 'none offered');
      if (probe.security === 'starttls' && probe.authBeforeTls.length) line('AUTH in clear', `${probe.authBeforeTls.join(' ')} (offered before STARTTLS)`);
      if (probe.extensions.length) line('Extensions', probe.extensions.join(' '));
    }
    if (probe.certificate) line('Certificate', describeCertificate(probe.certificate));
    if (probe.error) line('Problem', `${probe.error.message} [${probe.error.code}]`);
    out.push('');
  }
  return out;
}

/** The settings to set as commands to copy, then the notes. */
export function formatRecommendation(report: Pick<DetectReport, 'recommended' | 'notes'>): string[] {
  const out: string[] = [];
  if (report.recommended) {
    const settings = report.recommended;
    out.push('Recommended settings:');
    const pairs: [string, string][] = [
      ['mail_smtphost', settings.mail_smtphost],
      ['mail_smtpport', String(settings.mail_smtpport)],
      ['mail_smtpsecure', settings.mail_smtpsecure],
      ['mail_smtpauth', String(settings.mail_smtpauth)],
    ];
    if (settings.mail_smtpauthtype) pairs.push(['mail_smtpauthtype', settings.mail_smtpauthtype]);
    for (const [key, value] of pairs) out.push(`  mailroom config:set ${key} ${shellWord(value)}`);
  } else {
    out.push('No settings can be recommended.');
  }
  if (report.notes.length) {
    out.push('', 'Notes:');
    for (const note of report.notes) out.push(`  - ${note}`);
  }
  return out;
}
