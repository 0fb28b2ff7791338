/**
 * What `mail:detect` found that an admin should act on, as data first and English second.
 * The report carries both: `findings` (a kind and its facts) so that the web interface can say
 * it in the admin's language, and `notes` (the English sentences) for the command line, logs
 * and API clients that just print them.
 */
import type { DetectFinding } from '../domain/api-types.ts';
import type { PortProbe } from './port-probe.ts';

export const DETECT_NOTE_KINDS = [
  'port_failed',
  'port_unusable',
  'port_25_blocked',
  'host_not_found',
  'no_answer',
  'no_working_port',
  'no_tls',
  'certificate_self_signed',
  'certificate_issuer_untrusted',
  'certificate_expired',
  'certificate_not_yet_valid',
  'certificate_wrong_name',
  'certificate_untrusted',
  'ca_checked',
  'auth_unsupported',
  'no_auth',
  'failover_differs',
] as const;

export type DetectNoteKind = (typeof DETECT_NOTE_KINDS)[number];

/** The findings' shapes are the API's (domain/api-types.ts): the web interface words each kind. */
export type DetectNote = DetectFinding;

function securityName(secure: '' | 'ssl' | 'tls'): string {
  return secure === 'ssl' ? 'implicit TLS (ssl)' : secure === 'tls' ? 'STARTTLS (tls)' : 'no TLS';
}

/** What an untrusted certificate means for the admin, or nothing when it is trusted. */
export function certificateFinding(probe: PortProbe, host: string): DetectNote | undefined {
  const cert = probe.certificate;
  if (!cert || cert.valid) return undefined;
  const port = probe.port;
  if (cert.selfSigned) return { kind: 'certificate_self_signed', port };
  switch (cert.error) {
    case 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY':
    case 'UNABLE_TO_GET_ISSUER_CERT':
    case 'UNABLE_TO_VERIFY_LEAF_SIGNATURE':
      return { kind: 'certificate_issuer_untrusted', port, ...(cert.issuer ? { issuer: cert.issuer } : {}) };
    case 'CERT_HAS_EXPIRED':
      return { kind: 'certificate_expired', port, ...(cert.validTo ? { validTo: cert.validTo } : {}) };
    case 'CERT_NOT_YET_VALID':
      return { kind: 'certificate_not_yet_valid', port };
    case 'ERR_TLS_CERT_ALTNAME_INVALID':
      return { kind: 'certificate_wrong_name', port, host, names: cert.names };
    default:
      return { kind: 'certificate_untrusted', port, ...(cert.error ? { reason: cert.error } : {}) };
  }
}

/** Why no port answered at all: a name that does not resolve, or silence. */
export function unreachableFinding(probes: readonly PortProbe[], host: string): DetectNote {
  if (probes.every((probe) => probe.error?.code === 'not_found')) return { kind: 'host_not_found', host };
  return { kind: 'no_answer', ports: probes.map((probe) => probe.port) };
}

const quoted = (names: readonly string[]): string => names.map((name) => `"${name}"`).join(', ');

/** The English sentence of a finding, as the CLI prints it. */
export function detectNoteText(note: DetectNote): string {
  switch (note.kind) {
    case 'port_failed':
      return `Port ${note.port}: ${note.error.message}.`;
    case 'port_unusable':
      return `Port ${note.port} speaks SMTP but cannot be used: ${note.error.message}.`;
    case 'port_25_blocked':
      return 'Port 25: no answer in time; many networks and cloud providers block outgoing connections to port 25.';
    case 'host_not_found':
      return `"${note.host}" does not resolve: check the host name and this machine's DNS.`;
    case 'no_answer':
      return `No SMTP server answered on ${note.ports.length === 1 ? 'port' : 'ports'} ${note.ports.join(', ')}: check the host name and port, and that no firewall blocks outgoing connections from this machine.`;
    case 'no_working_port':
      return 'No port offers a working SMTP session, so no settings can be recommended.';
    case 'no_tls':
      return `No port offers TLS: with these settings mail${note.withPassword ? ' and the SMTP password' : ''} travel unencrypted and can be read on the way. Ask the mail server's administrator to enable STARTTLS (port 587) or implicit TLS (port 465).`;
    case 'certificate_self_signed':
      return `Port ${note.port}: the certificate is self-signed: put the CA's PEM file in mail_smtptls_ca (its absolute path; for a certificate without a CA, the certificate itself), then run mail:detect again with that CA to check that it is trusted.`;
    case 'certificate_issuer_untrusted':
      return `Port ${note.port}: the certificate is signed by a CA that is not trusted here (${note.issuer ?? 'unknown issuer'}): if it is your own CA, put the CA's PEM file in mail_smtptls_ca; if it is a public CA, the server does not send its intermediate certificate and its administrator must fix the certificate chain.`;
    case 'certificate_expired':
      return `Port ${note.port}: the certificate expired${note.validTo ? ` on ${note.validTo}` : ''}: the server's administrator must renew it; until then Mailroom cannot send over TLS to this server.`;
    case 'certificate_not_yet_valid':
      return `Port ${note.port}: the certificate is not valid yet: check that this machine's clock is right.`;
    case 'certificate_wrong_name':
      return note.names.length
        ? `Port ${note.port}: the certificate does not cover "${note.host}" but ${quoted(note.names)}: set mail_smtphost to one of those names (it must resolve to this server).`
        : `Port ${note.port}: the certificate does not cover "${note.host}": use the host name the certificate was issued for in mail_smtphost.`;
    case 'certificate_untrusted':
      return `Port ${note.port}: the certificate is not trusted (${note.reason ?? 'unknown reason'}): fix the server's certificate or put the CA's PEM file in mail_smtptls_ca.`;
    case 'ca_checked':
      return `The certificate was checked with the CA you gave as well as the system's CAs: if the server needs that CA, put the absolute path of its PEM file in mail_smtptls_ca.`;
    case 'auth_unsupported':
      return `Port ${note.port} offers only AUTH methods Mailroom does not support (${note.methods.join(', ')}): ask for PLAIN or LOGIN to be enabled.`;
    case 'failover_differs':
      return note.secure === note.listSecure
        ? `Server ${note.host} of the failover list answers on port ${note.port}, not on the port chosen for the list: write it as ${note.host}:${note.port} in mail_smtphost.`
        : `Server ${note.host} of the failover list works only with ${securityName(note.secure)} (port ${note.port}), not with ${securityName(note.listSecure)} chosen for the list: Mailroom uses one encryption for every server of the list, so mail to it fails until it offers the same; ask for the servers to be set up alike.`;
    case 'no_auth':
      return `Port ${note.port} offers no AUTH: the server accepts mail without logging in, usually only from trusted addresses or only for its own domains. If it refuses recipients, ask its administrator for a submission account.`;
  }
}
