import { createHash, createPrivateKey, sign, type KeyObject } from 'node:crypto';
import { domainToASCII } from 'node:url';

export interface DkimKey {
  domain: string;
  selector: string;
  privateKey: string;
}

/**
 * The header fields the signature covers, in the order `h=` names them. Those that occur are
 * signed; the over-signed ones are named once more than they occur (RFC 6376 5.4.2, 8.15), so a
 * field of that name added on the way (a second From, a Reply-To the mail had none of, another
 * List-Unsubscribe) makes the signature fail instead of riding on it.
 */
const SIGNED_FIELDS = ['from', 'sender', 'reply-to', 'to', 'cc', 'subject', 'date', 'message-id', 'in-reply-to', 'references', 'mime-version', 'content-type', 'content-transfer-encoding', 'auto-submitted', 'list-unsubscribe', 'list-unsubscribe-post'] as const;
const OVER_SIGNED: ReadonlySet<string> = new Set(['from', 'reply-to', 'to', 'subject', 'date', 'message-id', 'list-unsubscribe', 'list-unsubscribe-post']);

/**
 * The parsed key of the last PEM signed with. Reading a PEM costs ~500 µs of CPU, twice what the
 * RSA 2048 signature itself costs, and an instance signs every mail with the same key; a changed
 * setting is a different PEM, so it is parsed again. `undefined`: a PEM Node cannot read.
 */
let lastKey: { pem: string; key: KeyObject | undefined } | undefined;

function parsedKey(pem: string): KeyObject | undefined {
  if (lastKey?.pem !== pem) {
    let key: KeyObject | undefined;
    try {
      key = createPrivateKey(pem);
    } catch {
      key = undefined;
    }
    lastKey = { pem, key };
  }
  return lastKey.key;
}

interface HeaderField {
  /** The name in lower case. */
  name: string;
  /** The whole field as written, folds included, without its final CRLF. */
  text: string;
}

function headerFields(block: string): HeaderField[] {
  const fields: HeaderField[] = [];
  for (const line of block.split('\r\n')) {
    const last = fields[fields.length - 1];
    if ((line.startsWith(' ') || line.startsWith('\t')) && last) last.text += `\r\n${line}`;
    else
      fields.push({
        name: line
          .slice(0, Math.max(line.indexOf(':'), 0))
          .replace(/[ \t]+$/, '')
          .toLowerCase(),
        text: line,
      });
  }
  return fields;
}

/** Relaxed header canonicalization (RFC 6376 3.4.2). */
function relaxedHeader(name: string, text: string): string {
  const value = text
    .slice(text.indexOf(':') + 1)
    .replace(/\r\n/g, '')
    .replace(/[ \t]+/g, ' ')
    // Only SP and HTAB are whitespace here: trim() would also take a non-breaking space (0xA0 read as latin1).
    .replace(/^ | $/g, '');
  return `${name}:${value}`;
}

/** Relaxed body canonicalization (RFC 6376 3.4.4): spaces collapsed and trimmed per line, empty lines at the end dropped. */
function relaxedBody(body: string): string {
  const lines = body.split('\r\n').map((line) => line.replace(/[ \t]+/g, ' ').replace(/ $/, ''));
  while (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  return lines.length === 0 ? '' : `${lines.join('\r\n')}\r\n`;
}

/** `h=` folded at its colons so that no line of the signature header runs past 78 characters. */
function foldedFieldList(names: readonly string[]): string {
  const lines: string[] = [];
  let line = ' h=';
  for (const [index, name] of names.entries()) {
    const piece = `${name}${index < names.length - 1 ? ':' : ';'}`;
    if (line.length + piece.length > 76) {
      lines.push(line);
      line = '  ';
    }
    line += piece;
  }
  lines.push(line);
  return lines.join('\r\n');
}

/**
 * Signs a finished message with DKIM (rsa-sha256, relaxed/relaxed): the signature header goes on
 * top. nodemailer's signer names each field at most once and only when it occurs, so it cannot
 * over-sign; this one is small enough to keep here. A key Node cannot read leaves the mail
 * unsigned, as nodemailer's signer did (the setting is checked to look like a PEM when saved).
 */
export async function dkimSign(raw: Buffer, key: DkimKey): Promise<Buffer> {
  const privateKey = parsedKey(key.privateKey);
  if (privateKey === undefined) return raw;
  // Headers and 7bit or quoted-printable bodies are ASCII; latin1 keeps any other byte as it is.
  const message = raw.toString('latin1');
  const split = message.indexOf('\r\n\r\n');
  const headerBlock = split < 0 ? message.replace(/\r\n$/, '') : message.slice(0, split);
  const body = split < 0 ? '' : message.slice(split + 4);
  const fields = headerFields(headerBlock);

  const names: string[] = [];
  const canonical: string[] = [];
  for (const name of SIGNED_FIELDS) {
    // A verifier takes repeated fields from the bottom up; a name listed once more than it
    // occurs stands for a field that must not be there.
    const present = fields.filter((f) => f.name === name).reverse();
    const times = present.length + (OVER_SIGNED.has(name) ? 1 : 0);
    for (let i = 0; i < times; i++) {
      names.push(name);
      const field = present[i];
      if (field) canonical.push(`${relaxedHeader(name, field.text)}\r\n`);
    }
  }

  const bodyHash = createHash('sha256').update(relaxedBody(body), 'latin1').digest('base64');
  const domain = domainToASCII(key.domain) || key.domain;
  const unsigned = `DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed; d=${domain};\r\n s=${key.selector}; bh=${bodyHash};\r\n${foldedFieldList(names)}\r\n b=`;
  const signed = canonical.join('') + relaxedHeader('dkim-signature', unsigned);
  const signature = sign('sha256', Buffer.from(signed, 'latin1'), privateKey).toString('base64');
  const folded = signature.replace(/.{1,72}/g, (chunk, offset: number) => (offset === 0 ? chunk : `\r\n  ${chunk}`));
  return Buffer.concat([Buffer.from(`${unsigned}${folded}\r\n`, 'latin1'), raw]);
}
