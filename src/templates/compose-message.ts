import { randomUUID } from 'node:crypto';
import MailComposer from 'nodemailer/lib/mail-composer';
import { assertHeaderSafe } from '../domain/address.ts';

export interface ComposeInput {
  from: { name: string; address: string };
  to: string;
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

/**
 * Turns the parts of a mail into the finished RFC 5322 bytes through nodemailer's composer:
 * UTF-8 subjects and names encoded, text and HTML as multipart/alternative, and a Message-ID
 * fixed here so every retry sends the same mail.
 */
export async function composeMessage(input: ComposeInput, newId: () => string = randomUUID): Promise<ComposedMessage> {
  assertHeaderSafe(input.subject, 'subject');
  assertHeaderSafe(input.from.name, 'sender name');
  for (const [name, value] of Object.entries(input.headers ?? {})) {
    assertHeaderSafe(name, 'header name');
    assertHeaderSafe(value, `header ${name}`);
  }
  const messageId = `<${newId()}@${input.domain}>`;
  const composer = new MailComposer({
    from: { name: input.from.name, address: input.from.address },
    to: input.to,
    subject: input.subject,
    ...(input.text !== undefined ? { text: input.text } : {}),
    ...(input.html !== undefined ? { html: input.html } : {}),
    ...(input.replyTo ? { replyTo: input.replyTo } : {}),
    messageId,
    date: input.date,
    headers: { 'Auto-Submitted': 'auto-generated', ...(input.headers ?? {}) },
  });
  const raw = await composer.compile().build();
  return { raw, messageId, envelope: { from: input.from.address, to: [input.to] }, subject: input.subject };
}
