/**
 * The one-time links Mailroom mails (users/one-time-links.ts: `{base_url}/{path}/{token}`), found
 * in a stored message so that the admin pages can show the mail without a link that still works.
 */

/** The paths whose last segment is a one-time token: reset, invitation, address change and its undo. */
export const TOKEN_LINK_PATHS: readonly string[] = ['reset', 'set-password', 'confirm-email', 'undo-email'];

// A quoted-printable soft line break (`=` at the end of a line) may fall anywhere in a link, inside
// the token too; the token's own characters (base64url) are never encoded, so they stand as they are.
const SOFT_BREAK = '(?:=\\r?\\n)?';
const pathPattern = (path: string) => [...`/${path}/`].map((c) => `${c.replace(/[-/]/g, '\\$&')}${SOFT_BREAK}`).join('');
const TOKEN_IN_MESSAGE = new RegExp(`(${TOKEN_LINK_PATHS.map(pathPattern).join('|')})((?:[A-Za-z0-9_-]|=\\r?\\n){20,})`, 'g');

/**
 * The message with every one-time token in it replaced by `*`, one for one, its soft line breaks
 * kept: the message keeps its length and its lines, and still parses, but no link in it works.
 * Works on the raw message (7bit or quoted-printable parts, as message/compose-message.ts makes them).
 */
export function maskLinkTokens(raw: string): string {
  return raw.replace(TOKEN_IN_MESSAGE, (_match, path: string, token: string) => path + token.replace(/[A-Za-z0-9_-]/g, '*'));
}
