/**
 * Just enough MIME to read a bounce: header fields (unfolded, RFC 2047 words left as they are),
 * the parts of a multipart body, and a part's text after its transfer encoding and charset.
 * Bounces are machine-made and small; anything this does not understand is read as text, so a
 * strange bounce is classified from what can be read of it rather than refused.
 */
export interface MimeEntity {
  /** Lower-cased name → every value in order (a field may repeat: Received). */
  readonly headers: ReadonlyMap<string, readonly string[]>;
  /** Lower-cased `type/subtype`; `text/plain` when absent or unreadable. */
  readonly contentType: string;
  readonly params: ReadonlyMap<string, string>;
  /** The body as bytes-in-a-string (latin1), before the transfer encoding is undone. */
  readonly rawBody: string;
  /** The parts, when this is a multipart. */
  readonly parts: readonly MimeEntity[];
}

/** Nested multiparts deeper than this are read as text: a bounce has two or three levels. */
const MAX_DEPTH = 8;

export function header(entity: Pick<MimeEntity, 'headers'>, name: string): string | undefined {
  return entity.headers.get(name.toLowerCase())?.[0];
}

/** Splits head and body at the first empty line; a message without one is all head. */
function splitHead(raw: string): { head: string; body: string } {
  const end = /\r?\n\r?\n/.exec(raw);
  if (end === null) return { head: raw, body: '' };
  return { head: raw.slice(0, end.index), body: raw.slice(end.index + end[0].length) };
}

/** Header fields as `name: value` blocks (also the per-recipient blocks of a delivery-status part). */
export function parseFields(head: string): Map<string, string[]> {
  const fields = new Map<string, string[]>();
  let last: { name: string; value: string } | undefined;
  const flush = () => {
    if (!last) return;
    const list = fields.get(last.name) ?? [];
    list.push(last.value.replace(/\s+/g, ' ').trim());
    fields.set(last.name, list);
  };
  for (const line of head.split(/\r?\n/)) {
    if (/^[ \t]/.test(line) && last) {
      last.value += ` ${line.trim()}`;
      continue;
    }
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    flush();
    last = { name: line.slice(0, colon).trim().toLowerCase(), value: line.slice(colon + 1) };
  }
  flush();
  return fields;
}

/** `type/subtype; a=b; c="d"` → the type and its parameters (names lower-cased). */
function parseContentType(value: string | undefined): { type: string; params: Map<string, string> } {
  const params = new Map<string, string>();
  if (!value) return { type: 'text/plain', params };
  const [type = '', ...rest] = value.split(';');
  for (const param of rest.join(';').matchAll(/([A-Za-z0-9_*-]+)\s*=\s*("(?:[^"\\]|\\.)*"|[^;\s]+)/g)) {
    const raw = param[2] as string;
    params.set((param[1] as string).toLowerCase(), raw.startsWith('"') ? raw.slice(1, -1).replace(/\\(.)/g, '$1') : raw);
  }
  const clean = type.trim().toLowerCase();
  return { type: /^[a-z0-9.+-]+\/[a-z0-9.+-]+$/.test(clean) ? clean : 'text/plain', params };
}

export function parseMime(raw: string, depth = 0): MimeEntity {
  const { head, body } = splitHead(raw);
  const headers = parseFields(head);
  const { type, params } = parseContentType(headers.get('content-type')?.[0]);
  const boundary = params.get('boundary');
  let parts: MimeEntity[] = [];
  if (type.startsWith('multipart/') && boundary && depth < MAX_DEPTH) parts = splitMultipart(body, boundary).map((p) => parseMime(p, depth + 1));
  return { headers, contentType: type, params, rawBody: body, parts };
}

function splitMultipart(body: string, boundary: string): string[] {
  const delimiter = `--${boundary}`;
  const parts: string[] = [];
  let current: string[] | undefined;
  for (const line of body.split(/\r?\n/)) {
    if (line.startsWith(delimiter)) {
      if (current) parts.push(current.join('\n'));
      if (line.slice(delimiter.length).startsWith('--')) return parts;
      current = [];
      continue;
    }
    current?.push(line);
  }
  // No closing delimiter (a truncated bounce): keep what came.
  if (current) parts.push(current.join('\n'));
  return parts;
}

/** The part's body as text: transfer encoding undone, then decoded from its charset (UTF-8 when unknown). */
export function textOf(entity: MimeEntity): string {
  const encoding = (header(entity, 'content-transfer-encoding') ?? '').trim().toLowerCase();
  let bytes: Buffer;
  if (encoding === 'base64') bytes = Buffer.from(entity.rawBody.replace(/[^A-Za-z0-9+/=]/g, ''), 'base64');
  else if (encoding === 'quoted-printable') bytes = decodeQuotedPrintable(entity.rawBody);
  else bytes = Buffer.from(entity.rawBody, 'latin1');
  const charset = entity.params.get('charset') ?? 'utf-8';
  try {
    return new TextDecoder(charset).decode(bytes);
  } catch {
    return new TextDecoder('utf-8').decode(bytes);
  }
}

function decodeQuotedPrintable(text: string): Buffer {
  const joined = text.replace(/=\r?\n/g, '');
  const out: number[] = [];
  for (let i = 0; i < joined.length; i++) {
    const c = joined.charCodeAt(i);
    if (c === 0x3d && /^[0-9A-Fa-f]{2}$/.test(joined.slice(i + 1, i + 3))) {
      out.push(parseInt(joined.slice(i + 1, i + 3), 16));
      i += 2;
    } else out.push(c & 0xff);
  }
  return Buffer.from(out);
}

/** Every entity of the tree, depth first, the root included. */
export function allParts(entity: MimeEntity): MimeEntity[] {
  return [entity, ...entity.parts.flatMap(allParts)];
}
