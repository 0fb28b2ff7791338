import { MailroomError } from '../errors.ts';

/** An email address that has been checked once; everything downstream trusts it. */
export type EmailAddress = string & { readonly __brand: 'EmailAddress' };

// RFC 5322 dot-atom for the local part; a quoted local part is legal but so rare in practice
// (and so often an attack vector against sendmail argv) that Mailroom refuses it.
const localPart = /^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*$/;
const domainLabel = /^(?!-)[A-Za-z0-9-]{1,63}(?<!-)$/;
const unicodeLabel = /^(?!-)[\p{L}\p{N}-]{1,63}(?<!-)$/u;

/** Checks a domain name: dot-separated labels, letters (also non-ASCII), digits, hyphens. */
export function isValidDomain(domain: string): boolean {
  if (domain.length === 0 || domain.length > 253) return false;
  if (/^\[(\d{1,3}\.){3}\d{1,3}\]$/.test(domain)) return true;
  return domain.split('.').every((label) => domainLabel.test(label) || unicodeLabel.test(label));
}

export function isValidLocalPart(local: string): boolean {
  return local.length > 0 && local.length <= 64 && localPart.test(local);
}

/** Returns why `input` is not an address, or undefined when it is one. */
export function explainInvalidAddress(input: string): string | undefined {
  if (/[\r\n]/.test(input)) return 'it contains a line break';
  if (input.trim() !== input || input.length === 0) return input.length === 0 ? 'it is empty' : 'it has surrounding spaces';
  if (input.length > 254) return 'it is longer than 254 characters';
  const at = input.lastIndexOf('@');
  if (at < 0) return 'it has no @';
  if (input.indexOf('@') !== at) return 'it has more than one @';
  const local = input.slice(0, at);
  const domain = input.slice(at + 1);
  if (local.length === 0) return 'nothing stands before the @';
  if (domain.length === 0) return 'nothing stands after the @';
  if (!isValidLocalPart(local)) return `the part before the @ ("${local}") has characters that are not allowed`;
  if (!isValidDomain(domain)) return `the domain "${domain}" is not a valid domain name`;
  return undefined;
}

/** Parses an address or throws `invalid_address` saying what is wrong with it. */
export function parseEmailAddress(input: string, field = 'address'): EmailAddress {
  const problem = explainInvalidAddress(input);
  if (problem !== undefined) {
    throw new MailroomError('invalid_address', `${field} "${printable(input)}" is not a valid email address: ${problem}`, {
      details: { field },
    });
  }
  return input as EmailAddress;
}

/** Refuses a value meant for a header if it holds CR or LF (header injection). */
export function assertHeaderSafe(value: string, field: string): string {
  if (/[\r\n]/.test(value)) {
    throw new MailroomError('header_injection', `${field} must not contain a line break (CR or LF)`, { details: { field } });
  }
  return value;
}

/** Makes a user-given string safe to quote in one line of an error message. */
export function printable(value: string, max = 80): string {
  const oneLine = value.replace(/\r/g, '\\r').replace(/\n/g, '\\n');
  return oneLine.length > max ? `${oneLine.slice(0, max)}…` : oneLine;
}
