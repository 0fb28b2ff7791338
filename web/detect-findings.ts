import type { DetectFinding, ProbeErrorCode } from '../src/domain/api-types.ts';
import type { MessageKey, Translate, UiLanguage } from './i18n.ts';
import { PSEUDO_LOCALE } from './pseudo-locale.ts';

/**
 * The findings of "Detect settings" in the page's language. The server sends each finding as a
 * kind and its facts beside the English sentence the CLI prints; every other language words the
 * facts with its catalog's detect.* messages. Where a finding carries the probe's own message
 * (what the socket or the server said), that stays verbatim after the summary, as with error
 * codes. test/web/detect-findings.test.ts checks that every kind the server makes is worded here.
 */

type Security = '' | 'ssl' | 'tls';

/** The findings as the API sends them: the server's own type, so a new kind fails this file's type check until it is worded. */
export type { DetectFinding };

type Wording = { [K in DetectFinding['kind']]: (finding: Extract<DetectFinding, { kind: K }>, t: Translate, list: (items: readonly string[]) => string) => string };

const PROBE_PROBLEMS: readonly ProbeErrorCode[] = ['refused', 'not_found', 'unreachable', 'timeout', 'closed', 'not_smtp', 'greeting_refused', 'hello_refused', 'tls_failed'];

function problem(error: { code: ProbeErrorCode; message: string }, t: Translate): string {
  return t(PROBE_PROBLEMS.includes(error.code) ? (`detect.problem.${error.code}` as MessageKey) : 'detect.problem.other');
}

function security(secure: Security, t: Translate): string {
  return t(secure === 'ssl' ? 'detect.security.ssl' : secure === 'tls' ? 'detect.security.tls' : 'detect.security.none');
}

export const DETECT_WORDINGS: Wording = {
  port_failed: (f, t) => t('detect.port_failed', { port: f.port, problem: problem(f.error, t), message: f.error.message }),
  port_unusable: (f, t) => t('detect.port_unusable', { port: f.port, problem: problem(f.error, t), message: f.error.message }),
  port_25_blocked: (_, t) => t('detect.port_25_blocked'),
  host_not_found: (f, t) => t('detect.host_not_found', { host: f.host }),
  no_answer: (f, t, list) => t('detect.no_answer', { ports: list(f.ports.map(String)), count: f.ports.length }),
  no_working_port: (_, t) => t('detect.no_working_port'),
  no_tls: (f, t) => t('detect.no_tls', { withPassword: f.withPassword ? 'yes' : 'no' }),
  certificate_self_signed: (f, t) => t('detect.certificate_self_signed', { port: f.port }),
  certificate_issuer_untrusted: (f, t) => t('detect.certificate_issuer_untrusted', { port: f.port, issuer: f.issuer ?? t('detect.issuer_unknown') }),
  certificate_expired: (f, t) => (f.validTo ? t('detect.certificate_expired_on', { port: f.port, date: f.validTo }) : t('detect.certificate_expired', { port: f.port })),
  certificate_not_yet_valid: (f, t) => t('detect.certificate_not_yet_valid', { port: f.port }),
  certificate_wrong_name: (f, t, list) => (f.names.length ? t('detect.certificate_wrong_name', { port: f.port, host: f.host, names: list(f.names.map((name) => t('quote', { text: name }))) }) : t('detect.certificate_wrong_name_none', { port: f.port, host: f.host })),
  certificate_untrusted: (f, t) => t('detect.certificate_untrusted', { port: f.port, reason: f.reason ?? t('detect.reason_unknown') }),
  ca_checked: (_, t) => t('detect.ca_checked'),
  auth_unsupported: (f, t, list) => t('detect.auth_unsupported', { port: f.port, methods: list(f.methods) }),
  no_auth: (f, t) => t('detect.no_auth', { port: f.port }),
  failover_differs: (f, t) => (f.secure === f.listSecure ? t('detect.failover_differs_port', { host: f.host, port: f.port }) : t('detect.failover_differs_security', { host: f.host, port: f.port, security: security(f.secure, t), listSecurity: security(f.listSecure, t) })),
};

/**
 * A finding in the language: English is the server's own sentence (what `mailroom mail:detect`
 * prints), as is a kind this bundle does not know yet.
 */
export function wordFinding(finding: DetectFinding | { kind: string }, english: string, language: UiLanguage, t: Translate): string {
  const word = (DETECT_WORDINGS as Record<string, ((f: never, t: Translate, list: (items: readonly string[]) => string) => string) | undefined>)[finding.kind];
  if (language === 'en' || word === undefined) return english;
  const format = new Intl.ListFormat(language === PSEUDO_LOCALE ? 'en' : language, { type: 'conjunction' });
  return word(finding as never, t, (items) => format.format(items));
}
