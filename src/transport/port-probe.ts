/**
 * What a probe of one port found, as data: the result of smtp-probe.ts, read by the findings
 * (detect-notes.ts), the recommendation and the doctor. Types only, so that its readers need
 * not import the probe itself (and the probe need not import them back).
 */
import type { CertificateCheck, ProbeErrorCode, ProbeSecurity } from '../domain/api-types.ts';

export type { ProbeErrorCode, ProbeSecurity };

/** The certificate of the port's TLS layer, judged as Mailroom's transport would. */
export type ProbeCertificate = CertificateCheck;

export interface PortProbe {
  port: number;
  /** True once the TCP connection was accepted, even if what answered was not SMTP. */
  reachable: boolean;
  error?: { code: ProbeErrorCode; message: string };
  /** Set only once an SMTP greeting (220) came over that layer. */
  security?: ProbeSecurity;
  banner?: string;
  /** EHLO keywords of the final session (after TLS where there was TLS), upper-case. */
  extensions: string[];
  /** AUTH methods of the final session, upper-case. */
  authMethods: string[];
  /** AUTH methods offered over the unencrypted connection: a password sent with them can be read on the way. */
  authBeforeTls: string[];
  certificate?: ProbeCertificate;
}
