/**
 * What a probe of one port found, as data: the result of smtp-probe.ts, read by the findings
 * (detect-notes.ts), the recommendation and the doctor. Types only, so that its readers need
 * not import the probe itself (and the probe need not import them back).
 */
import type { CertificateCheck, PortProbe, ProbeErrorCode, ProbeSecurity } from '../domain/api-types.ts';

export type { PortProbe, ProbeErrorCode, ProbeSecurity };

/** The certificate of the port's TLS layer, judged as Mailroom's transport would. */
export type ProbeCertificate = CertificateCheck;
