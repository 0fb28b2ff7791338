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

// C0 controls but TAB, and DEL. CR and LF would start a new header; the others reach the
// server raw in an ASCII subject (encoded words are only used for non-ASCII text), where NUL
// ends a C string in some MTAs and ESC drives the terminal of whoever reads the log or queue.
const HEADER_CONTROL = /[\x00-\x08\x0a-\x1f\x7f]/;

/** The first control character a header cannot hold (CR, LF, NUL, ESC, DEL …), or undefined. */
export function headerControlCharacter(value: string): string | undefined {
  return HEADER_CONTROL.exec(value)?.[0];
}

/** `\x1b` → `U+001B`, how a refused character is named in an error. */
export function codePoint(char: string): string {
  return `U+${(char.codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, '0')}`;
}

/** Refuses a value meant for a header if it holds CR, LF or another control character (header injection). */
export function assertHeaderSafe(value: string, field: string): string {
  const char = headerControlCharacter(value);
  if (char === undefined) return value;
  if (/[\r\n]/.test(value)) {
    throw new MailroomError('header_injection', `${field} must not contain a line break (CR or LF)`, { details: { field } });
  }
  throw new MailroomError('header_injection', `${field} must not contain the control character ${codePoint(char)}`, { details: { field, character: codePoint(char) } });
}

/** Makes a user-given string safe to quote in one line of an error message (no control character reaches a terminal). */
export function printable(value: string, max = 80): string {
  const oneLine = value
    .replace(/\r/g, '\\r')
    .replace(/\n/g, '\\n')
    .replace(/[\x00-\x1f\x7f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
  return oneLine.length > max ? `${oneLine.slice(0, max)}…` : oneLine;
}
