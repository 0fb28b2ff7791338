import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { simpleParser } from 'mailparser';
import MailComposer from 'nodemailer/lib/mail-composer';
import { composeMessage, type ComposeInput } from '../../src/message/compose-message.ts';

const base: ComposeInput = {
  from: { name: 'Mailroom', address: 'mailroom@example.com' },
  to: 'alice@example.com',
  subject: 'Hello',
  text: 'Hello Alice\n',
  domain: 'example.com',
  date: new Date('2026-11-26T10:00:00Z'),
};

const cases: Array<[string, Partial<ComposeInput>]> = [
  ['plain ASCII text', {}],
  ['a Chinese subject and sender name', { subject: 'Alice 与您共享了 »报告.pdf«', from: { name: '邮件室 云', address: 'noreply@example.com' } }],
  ['a name with quotes and commas', { from: { name: 'O\'Brien, Pat "the admin"', address: 'pat@example.com' } }],
  ['a very long subject', { subject: `A subject ${'that goes on '.repeat(30)}and ends` }],
  ['long lines, dots and CRLF in the text', { text: `.leading dot\r\n..two dots\nline ${'x'.repeat(200)}\nend` }],
  ['text and HTML with emoji', { text: 'Smile 😀\n', html: '<p>Smile <b>😀</b></p>' }],
  ['HTML only', { text: undefined, html: '<html><body><a href="https://example.com/s/abc?x=1&y=2">link</a></body></html>' }],
  ['a subject that looks like an encoded word', { subject: '=?UTF-8?B?Zm9v?= is not encoded' }],
  ['a recipient with a name', { toName: 'Berg, Bob' }],
  ['a recipient with a Chinese name', { toName: '王美' }],
  ['a reply-to and extra headers', { replyTo: 'alice@example.org', headers: { 'List-Unsubscribe': '<https://example.com/u/1>', 'X-Mailroom-Kind': 'share' } }],
];

async function nodemailerReference(input: ComposeInput, messageId: string): Promise<Buffer> {
  return new MailComposer({
    from: input.from,
    to: input.toName !== undefined ? { name: input.toName, address: input.to } : input.to,
    subject: input.subject,
    ...(input.text !== undefined ? { text: input.text } : {}),
    ...(input.html !== undefined ? { html: input.html } : {}),
    ...(input.replyTo ? { replyTo: input.replyTo } : {}),
    messageId,
    date: input.date,
    headers: { 'Auto-Submitted': 'auto-generated', ...(input.headers ?? {}) },
  })
    .compile()
    .build();
}

describe('composing a message', () => {
  for (const [name, change] of cases) {
    it(`reads back like nodemailer's own composition: ${name}`, async () => {
      const input = { ...base, ...change } as ComposeInput;
      const ours = await composeMessage(input, () => 'fixed-id');
      assert.equal(ours.messageId, '<fixed-id@example.com>');
      const [mine, theirs] = await Promise.all([simpleParser(ours.raw), simpleParser(await nodemailerReference(input, ours.messageId))]);
      assert.equal(mine.subject, input.subject);
      // nodemailer leaves a literal encoded word in a subject as it is, so readers decode it;
      // Mailroom encodes such a subject whole and shows what was written.
      if (!input.subject.includes('=?')) assert.equal(mine.subject, theirs.subject);
      assert.deepEqual(mine.from?.value, theirs.from?.value);
      assert.deepEqual(mine.to, theirs.to);
      assert.equal(mine.text, theirs.text);
      assert.equal(mine.html, theirs.html);
      assert.equal(mine.messageId, theirs.messageId);
      assert.equal(mine.date?.toISOString(), theirs.date?.toISOString());
      for (const h of ['auto-submitted', 'reply-to', 'list-unsubscribe', 'x-mailroom-kind', 'mime-version']) {
        assert.deepEqual(mine.headers.get(h), theirs.headers.get(h), h);
      }
      const text = ours.raw.toString('latin1');
      assert.ok(!/(^|[^\r])\n/.test(text), 'every line ends with CRLF');
      assert.ok(
        text.split('\r\n').every((line) => line.length <= 998),
        'no line is longer than SMTP allows',
      );
      assert.ok(/^[\x00-\x7f]*$/.test(text), 'the message is 7-bit');
    });
  }

  it('refuses line breaks in the subject, names and headers', async () => {
    await assert.rejects(composeMessage({ ...base, subject: 'Hi\r\nBcc: x@example.com' }), { code: 'header_injection' });
    await assert.rejects(composeMessage({ ...base, from: { name: 'A\nB', address: 'a@example.com' } }), { code: 'header_injection' });
    await assert.rejects(composeMessage({ ...base, toName: 'Bob\r\nBcc: x@example.com' }), { code: 'header_injection' });
    await assert.rejects(composeMessage({ ...base, headers: { 'X-Note': 'a\rb' } }), { code: 'header_injection' });
    await assert.rejects(composeMessage({ ...base, headers: { 'X-Bad Name': 'a' } }), { code: 'header_injection' });
  });
});
