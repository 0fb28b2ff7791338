import { randomBytes, randomUUID } from 'node:crypto';
import { encodeWord, encodeWords, foldLines, isPlainText, quoteString } from 'nodemailer/lib/mime-funcs';
import { assertHeaderSafe } from '../domain/address.ts';
import { encodeQuotedPrintable, isSevenBit } from './quoted-printable.ts';

export interface ComposeInput {
  from: { name: string; address: string };
  to: string;
  /** The recipient's display name, shown in To as mail programs show it ("Bob Berg <bob@…>"). */
  toName?: string;
  subject: string;
  text?: string;
  html?: string;
  /** The domain of the Message-ID (the instance's mail domain). */
  domain: string;
  date: Date;
  replyTo?: string;
  headers?: Record<string, string>;
}

export interface ComposedMessage {
  raw: Buffer;
  messageId: string;
  envelope: { from: string; to: string[] };
  subject: string;
}

// atext of RFC 5322 plus space: a display name of only these needs no quotes.
const PLAIN_NAME = /^[A-Za-z0-9!#$%&'*+\-/=?^_`{|}~ ]*$/;

function displayAddress(name: string, address: string): string {
  if (name === '') return address;
  const shown = PLAIN_NAME.test(name) ? name : isPlainText(name) && !name.includes('=?') ? quoteString(name) : encodeWord(name, 'Q', 52);
  return `${shown} <${address}>`;
}

function header(name: string, value: string): string {
  return foldLines(`${name}: ${value}`, 76);
}

/**
 * A text part: 7bit when it can be, else quoted-printable; CRLF line ends either way. A bare CR
 * counts as a line end too: left alone it would reach the server, where `<CR>.<CR><LF>` is read
 * as the end of the data by some (SMTP smuggling).
 */
function part(type: 'plain' | 'html', body: string): string {
  const crlf = body.replace(/\r\n|\r|\n/g, '\r\n');
  const sevenBit = isSevenBit(crlf);
  const encoded = sevenBit ? crlf : encodeQuotedPrintable(crlf);
  return `Content-Type: text/${type}; charset=utf-8\r\nContent-Transfer-Encoding: ${sevenBit ? '7bit' : 'quoted-printable'}\r\n\r\n${encoded}`;
}

/**
 * Turns the parts of a mail into its finished RFC 5322 bytes: UTF-8 subjects and names as
 * encoded words, text and HTML as multipart/alternative, and a Message-ID fixed here so every
 * retry sends the same mail. Encoded words and folding are nodemailer's, quoted-printable our own;
 * the structure is assembled here because nodemailer's MailComposer builds each message through
 * a chain of streams that costs ~10 times more CPU than the rest of a send (docs/architecture.md).
 */
export async function composeMessage(input: ComposeInput, newId: () => string = randomUUID): Promise<ComposedMessage> {
  assertHeaderSafe(input.subject, 'subject');
  assertHeaderSafe(input.from.name, 'sender name');
  assertHeaderSafe(input.from.address, 'sender address');
  assertHeaderSafe(input.to, 'recipient');
  if (input.toName !== undefined) assertHeaderSafe(input.toName, 'recipient name');
  if (input.replyTo !== undefined) assertHeaderSafe(input.replyTo, 'reply-to');
  for (const [name, value] of Object.entries(input.headers ?? {})) {
    if (!/^[A-Za-z0-9-]+$/.test(name)) assertHeaderSafe('\n', `header name "${name}"`);
    assertHeaderSafe(value, `header ${name}`);
  }
  const messageId = `<${newId()}@${input.domain}>`;
  const lines = [
    header('From', displayAddress(input.from.name, input.from.address)),
    header('To', displayAddress(input.toName ?? '', input.to)),
    ...(input.replyTo ? [header('Reply-To', input.replyTo)] : []),
    // A literal "=?" in the text would be decoded by the reader as an encoded word: encode it all.
    header('Subject', input.subject.includes('=?') ? encodeWord(input.subject, 'Q', 52) : encodeWords(input.subject, 'Q', 52)),
    `Message-ID: ${messageId}`,
    `Date: ${input.date.toUTCString().replace(/GMT/, '+0000')}`,
    'MIME-Version: 1.0',
    'Auto-Submitted: auto-generated',
    ...Object.entries(input.headers ?? {}).map(([name, value]) => header(name, encodeWords(value, 'Q', 52))),
  ];
  let body: string;
  if (input.html !== undefined && input.text !== undefined) {
    const boundary = `--_mailroom_${randomBytes(12).toString('hex')}`;
    lines.push(`Content-Type: multipart/alternative;\r\n boundary="${boundary}"`);
    body = `\r\n--${boundary}\r\n${part('plain', input.text)}\r\n--${boundary}\r\n${part('html', input.html)}\r\n--${boundary}--\r\n`;
  } else {
    const single = part(input.html !== undefined ? 'html' : 'plain', input.html ?? input.text ?? '');
    const split = single.indexOf('\r\n\r\n');
    lines.push(single.slice(0, split));
    body = `${single.slice(split + 2)}`;
  }
  const raw = Buffer.from(`${lines.join('\r\n')}\r\n${body}${body.endsWith('\r\n') ? '' : '\r\n'}`, 'utf8');
  return { raw, messageId, envelope: { from: input.from.address, to: [input.to] }, subject: input.subject };
}
