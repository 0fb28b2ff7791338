/**
 * Reads a stored message back into what the admin pages show: its headers and its parts.
 *
 * Not a general MIME parser: enough for the messages Mailroom composes (compose-message.ts: one
 * part, or multipart/alternative of 7bit or quoted-printable parts) and
 * for the usual shapes of anything else (nested multiparts, base64, LF line ends). It never
 * throws: a malformed message gives what could be read.
 */
import type { MessageHeader, MessagePart } from '../domain/api-types.ts';

/** The headers and parts as the admin pages show them (the API's shapes: domain/api-types.ts). */
export type { MessageHeader, MessagePart };

export interface ParsedMessage {
  headers: MessageHeader[];
  parts: MessagePart[];
}

const MAX_DEPTH = 8;
const MAX_PARTS = 100;

/** The headers and the leaf parts of a message, from its bytes. */
export function parseMessage(raw: Uint8Array): ParsedMessage {
  // latin1 maps each byte to one char and back: the split works on bytes, decoding comes last.
  const source = Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength).toString('latin1');
  const top = splitEntity(source);
  const parts: MessagePart[] = [];
  collectParts(top, parts, 0);
  return {
    headers: top.headers.map(({ name, value }) => {
      const text = fromBytes(value, 'utf-8');
      const decoded = decodeEncodedWords(text);
      return decoded === text ? { name: fromBytes(name, 'utf-8'), value: text } : { name: fromBytes(name, 'utf-8'), value: text, decoded };
    }),
    parts,
  };
}

interface Entity {
  headers: Array<{ name: string; value: string }>;
  body: string;
}

/** Headers up to the first empty line, the body after it. */
function splitEntity(source: string): Entity {
  const lead = /^\r?\n/.exec(source);
  if (lead) return { headers: [], body: source.slice(lead[0].length) };
  const blank = /\r?\n\r?\n/.exec(source);
  if (!blank) return { headers: parseHeaderBlock(source), body: '' };
  return { headers: parseHeaderBlock(source.slice(0, blank.index)), body: source.slice(blank.index + blank[0].length) };
}

/** One entry per header field; a line starting with white space continues the one before (unfolding). */
function parseHeaderBlock(block: string): Array<{ name: string; value: string }> {
  const headers: Array<{ name: string; value: string }> = [];
  for (const line of block.split(/\r?\n/)) {
    const last = headers[headers.length - 1];
    if (/^[ \t]/.test(line)) {
      if (last) last.value += line;
      continue;
    }
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    headers.push({ name: line.slice(0, colon).trim(), value: line.slice(colon + 1) });
  }
  for (const h of headers) h.value = h.value.trim();
  return headers;
}

function headerValue(headers: Entity['headers'], name: string): string | undefined {
  return headers.find((h) => h.name.toLowerCase() === name)?.value;
}

/** `text/html; charset="utf-8"` → the type in lower case and the parameters (names in lower case). */
export function parseContentType(value: string | undefined): { type: string; params: Record<string, string> } {
  if (value === undefined || value.trim() === '') return { type: 'text/plain', params: {} };
  const semi = value.indexOf(';');
  const type = (semi < 0 ? value : value.slice(0, semi)).trim().toLowerCase() || 'text/plain';
  const params: Record<string, string> = {};
  if (semi >= 0) {
    for (const m of value.slice(semi).matchAll(/;\s*([^\s=;]+)\s*=\s*("(?:[^"\\]|\\.)*"|[^;]*)/g)) {
      const raw = (m[2] as string).trim();
      params[(m[1] as string).toLowerCase()] = raw.startsWith('"') ? raw.slice(1, -1).replace(/\\(.)/g, '$1') : raw;
    }
  }
  return { type, params };
}

function collectParts(entity: Entity, out: MessagePart[], depth: number): void {
  if (out.length >= MAX_PARTS) return;
  const { type, params } = parseContentType(headerValue(entity.headers, 'content-type'));
  const boundary = params['boundary'];
  if (type.startsWith('multipart/') && boundary && depth < MAX_DEPTH) {
    const children = splitMultipart(entity.body, boundary);
    if (children.length > 0) {
      for (const child of children) collectParts(splitEntity(child), out, depth + 1);
      return;
    }
  }
  const transferEncoding = (headerValue(entity.headers, 'content-transfer-encoding') ?? '7bit').trim().toLowerCase() || '7bit';
  const bytes = decodeTransfer(entity.body, transferEncoding);
  const charset = params['charset'] ?? null;
  const part: MessagePart = { contentType: type, charset, transferEncoding, size: bytes.length };
  if (type === 'text/html') part.html = decodeText(bytes, charset);
  else if (type.startsWith('text/')) part.text = decodeText(bytes, charset);
  out.push(part);
}

/** The bodies between the boundary lines; the line break before a boundary line belongs to it (RFC 2046). */
export function splitMultipart(body: string, boundary: string): string[] {
  const escaped = boundary.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&');
  const delimiter = new RegExp(`(?:^|\\r?\\n)--${escaped}(--)?[ \\t]*(?=\\r?\\n|$)`, 'g');
  const parts: string[] = [];
  let start = -1;
  for (const m of body.matchAll(delimiter)) {
    if (start >= 0) parts.push(body.slice(start, m.index));
    if (m[1]) return parts;
    let end = (m.index as number) + m[0].length;
    if (body.startsWith('\r\n', end)) end += 2;
    else if (body[end] === '\n') end += 1;
    start = end;
  }
  // No closing boundary: what follows the last one is still a part.
  if (start >= 0) parts.push(body.slice(start));
  return parts;
}

function decodeTransfer(body: string, encoding: string): Buffer {
  if (encoding === 'quoted-printable') return decodeQuotedPrintable(body);
  if (encoding === 'base64') return Buffer.from(body.replace(/[^A-Za-z0-9+/=]/g, ''), 'base64');
  return Buffer.from(body, 'latin1');
}

/** Soft line breaks (`=` at a line end) removed, `=XX` turned into its byte. */
export function decodeQuotedPrintable(body: string): Buffer {
  const joined = body.replace(/=\r?\n/g, '').replace(/=([0-9A-Fa-f]{2})/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));
  return Buffer.from(joined, 'latin1');
}

/** The text of a part in its charset (UTF-8 when it names none or one this Node does not know), with LF line ends. */
function decodeText(bytes: Uint8Array, charset: string | null): string {
  const decoder = (() => {
    try {
      return new TextDecoder(charset ?? 'utf-8');
    } catch {
      return new TextDecoder('utf-8');
    }
  })();
  return decoder.decode(bytes).replace(/\r\n/g, '\n');
}

function fromBytes(latin1: string, charset: string): string {
  return decodeText(Buffer.from(latin1, 'latin1'), charset);
}

const ENCODED_WORD = /=\?([^?\s]+)\?([QqBb])\?([^?\s]*)\?=/g;

/** RFC 2047: `=?utf-8?Q?Gr=C3=BC=C3=9Fe?=` → `Grüße`; white space between two encoded words goes. */
export function decodeEncodedWords(value: string): string {
  const joined = value.replace(/(=\?[^?\s]+\?[QqBb]\?[^?\s]*\?=)\s+(?==\?[^?\s]+\?[QqBb]\?[^?\s]*\?=)/g, '$1');
  // Adjacent words of one charset are decoded together: a character may be split across two of them.
  const words: Array<{ charset: string; bytes: Buffer }> = [];
  let out = '';
  let last = 0;
  const flush = () => {
    if (words.length === 0) return;
    out += decodeText(Buffer.concat(words.map((w) => w.bytes)), words[0]?.charset ?? 'utf-8');
    words.length = 0;
  };
  for (const m of joined.matchAll(ENCODED_WORD)) {
    const index = m.index as number;
    if (index > last) {
      flush();
      out += joined.slice(last, index);
    }
    const charset = (m[1] as string).replace(/\*.*$/, '').toLowerCase();
    const text = m[3] as string;
    const bytes =
      (m[2] as string).toUpperCase() === 'B'
        ? Buffer.from(text, 'base64')
        : Buffer.from(
            text.replace(/_/g, ' ').replace(/=([0-9A-Fa-f]{2})/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16))),
            'latin1',
          );
    if (words.length > 0 && words[0]?.charset !== charset) flush();
    words.push({ charset, bytes });
    last = index + m[0].length;
  }
  flush();
  return out + joined.slice(last);
}
