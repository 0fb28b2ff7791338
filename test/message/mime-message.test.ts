import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodeEncodedWords, decodeQuotedPrintable, parseContentType, parseMessage, splitMultipart } from '../../src/message/mime-message.ts';
import { composeMessage } from '../../src/message/compose-message.ts';

const from = { name: 'Example Cloud', address: 'cloud@example.com' };
const date = new Date('2026-11-26T12:00:00Z');

function header(parsed: ReturnType<typeof parseMessage>, name: string) {
  return parsed.headers.find((h) => h.name.toLowerCase() === name.toLowerCase());
}

describe('parseMessage on the messages Mailroom composes', () => {
  it('reads text and HTML of a multipart/alternative back exactly, in UTF-8, with LF line ends', async () => {
    const text = `Hallo Ärger,\n你好，王小明！\n${'a long line '.repeat(12)}\nend`;
    const html = `<p>你好，<b>王小明</b>！</p>\n<p>${'x'.repeat(200)}</p>`;
    const composed = await composeMessage({ from, to: 'wang@example.com', subject: '您的文件 »Plan.odt«', text, html, domain: 'example.com', date });
    const parsed = parseMessage(composed.raw);
    assert.equal(parsed.parts.length, 2);
    const [plain, rich] = parsed.parts;
    assert.deepEqual({ ...plain, text: undefined }, { contentType: 'text/plain', charset: 'utf-8', transferEncoding: 'quoted-printable', size: Buffer.byteLength(text.replace(/\n/g, '\r\n')), text: undefined });
    assert.equal(plain?.text, text);
    assert.equal(rich?.contentType, 'text/html');
    assert.equal(rich?.html, html);
    assert.equal(rich?.text, undefined);
    assert.equal(rich?.size, Buffer.byteLength(html.replace(/\n/g, '\r\n')));
  });

  it('gives every header unfolded, the encoded subject decoded, in the order of the message', async () => {
    const subject = '您的文件 »Plan.odt« 已经与您共享，这是一个很长的主题，需要折行才能放进一行里面';
    const composed = await composeMessage({ from: { name: '示例云盘', address: 'cloud@example.com' }, to: 'wang@example.com', subject, text: 'hi', html: '<p>hi</p>', domain: 'example.com', date, headers: { 'List-Unsubscribe': '<https://cloud.example.com/u/1>' } });
    const parsed = parseMessage(composed.raw);
    assert.deepEqual(
      parsed.headers.map((h) => h.name),
      ['From', 'To', 'Subject', 'Message-ID', 'Date', 'MIME-Version', 'Auto-Submitted', 'List-Unsubscribe', 'Content-Type'],
    );
    for (const h of parsed.headers) assert.ok(!/[\r\n]/.test(h.value), `${h.name} is unfolded`);
    const subjectHeader = header(parsed, 'subject');
    assert.match(subjectHeader?.value ?? '', /^=\?UTF-8\?Q\?/i, 'the value is as in the message');
    assert.equal(subjectHeader?.decoded, subject);
    assert.equal(header(parsed, 'from')?.decoded, '示例云盘 <cloud@example.com>');
    assert.equal(header(parsed, 'message-id')?.value, composed.messageId);
    assert.equal(header(parsed, 'message-id')?.decoded, undefined, 'no decoded when nothing is encoded');
    assert.match(header(parsed, 'content-type')?.value ?? '', /^multipart\/alternative; boundary="--_mailroom_[0-9a-f]+"$/);
  });

  it('reads a text-only and an HTML-only mail (one part, 7bit) from the top-level headers', async () => {
    const textOnly = parseMessage((await composeMessage({ from, to: 'a@example.com', subject: 'Hi', text: 'Hello Alice', domain: 'example.com', date })).raw);
    assert.equal(textOnly.parts.length, 1);
    assert.equal(textOnly.parts[0]?.contentType, 'text/plain');
    assert.equal(textOnly.parts[0]?.transferEncoding, '7bit');
    assert.equal(textOnly.parts[0]?.text?.trimEnd(), 'Hello Alice');
    const htmlOnly = parseMessage((await composeMessage({ from, to: 'a@example.com', subject: 'Hi', html: '<p>Hello</p>', domain: 'example.com', date })).raw);
    assert.deepEqual(
      htmlOnly.parts.map((p) => [p.contentType, p.html?.trimEnd()]),
      [['text/html', '<p>Hello</p>']],
    );
  });

  it('keeps a literal "=?" and "=" in the text as they were', async () => {
    const text = 'a=b =?utf-8?Q?x?= =3D';
    const parsed = parseMessage((await composeMessage({ from, to: 'a@example.com', subject: 'x =?utf-8?Q?y?=', text, html: '<p>=</p>', domain: 'example.com', date })).raw);
    assert.equal(parsed.parts[0]?.text, text);
    assert.equal(header(parsed, 'subject')?.decoded, 'x =?utf-8?Q?y?=');
  });
});

describe('parseMessage on other shapes', () => {
  it('walks nested multiparts, decodes base64 and reports a binary part by size only', () => {
    const raw = [
      'Subject: nested',
      'Content-Type: multipart/mixed; boundary=outer',
      '',
      'preamble, ignored',
      '--outer',
      'Content-Type: multipart/alternative; boundary="in ner"',
      '',
      '--in ner',
      'Content-Type: text/plain; charset=UTF-8',
      'Content-Transfer-Encoding: base64',
      '',
      Buffer.from('Grüße').toString('base64'),
      '--in ner',
      'Content-Type: text/html',
      '',
      '<p>hi</p>',
      '--in ner--',
      '--outer',
      'Content-Type: application/pdf; name="a.pdf"',
      'Content-Transfer-Encoding: base64',
      '',
      Buffer.from([1, 2, 3, 4, 5]).toString('base64'),
      '--outer--',
      'epilogue, ignored',
    ].join('\r\n');
    const parsed = parseMessage(Buffer.from(raw, 'utf8'));
    assert.deepEqual(parsed.parts, [
      { contentType: 'text/plain', charset: 'UTF-8', transferEncoding: 'base64', size: Buffer.byteLength('Grüße'), text: 'Grüße' },
      { contentType: 'text/html', charset: null, transferEncoding: '7bit', size: 9, html: '<p>hi</p>' },
      { contentType: 'application/pdf', charset: null, transferEncoding: 'base64', size: 5 },
    ]);
  });

  it('reads LF line ends, a charset other than UTF-8, and raw UTF-8 headers', () => {
    const raw = Buffer.concat([Buffer.from('Subject: Größe\nContent-Type: text/plain; charset=iso-8859-1\nContent-Transfer-Encoding: 8bit\n\n', 'utf8'), Buffer.from('Gr\xf6\xdfe\nzwei', 'latin1')]);
    const parsed = parseMessage(raw);
    assert.equal(header(parsed, 'subject')?.value, 'Größe');
    assert.deepEqual(parsed.parts, [{ contentType: 'text/plain', charset: 'iso-8859-1', transferEncoding: '8bit', size: 10, text: 'Größe\nzwei' }]);
  });

  it('never throws on malformed input: no headers, no body, no closing boundary, an unknown charset', () => {
    assert.deepEqual(parseMessage(Buffer.from('')), { headers: [], parts: [{ contentType: 'text/plain', charset: null, transferEncoding: '7bit', size: 0, text: '' }] });
    assert.deepEqual(parseMessage(Buffer.from('\r\njust a body')).parts[0]?.text, 'just a body');
    assert.deepEqual(parseMessage(Buffer.from('Subject: only headers\r\nnot a header line\r\n')).headers, [{ name: 'Subject', value: 'only headers' }]);
    const open = parseMessage(Buffer.from('Content-Type: multipart/alternative; boundary=b\r\n\r\n--b\r\n\r\none\r\n--b\r\nContent-Type: text/plain; charset=x-unknown\r\n\r\ntwo'));
    assert.deepEqual(
      open.parts.map((p) => p.text),
      ['one', 'two'],
    );
    const noParts = parseMessage(Buffer.from('Content-Type: multipart/mixed; boundary=b\r\n\r\nno boundary here'));
    assert.deepEqual(
      noParts.parts.map((p) => [p.contentType, p.size]),
      [['multipart/mixed', 16]],
    );
  });

  it('stops at a depth of 8 nested multiparts', () => {
    let body = 'deep';
    for (let i = 0; i < 20; i++) body = `Content-Type: multipart/mixed; boundary=b${i}\r\n\r\n--b${i}\r\n${body}\r\n--b${i}--`;
    const parsed = parseMessage(Buffer.from(body));
    assert.equal(parsed.parts.length, 1);
    assert.equal(parsed.parts[0]?.contentType, 'multipart/mixed');
  });
});

describe('the pieces', () => {
  it('parseContentType: lower-cases type and names, unquotes values, defaults to text/plain', () => {
    assert.deepEqual(parseContentType('Text/HTML; Charset="utf-8"; name="a \\"b\\".html"'), { type: 'text/html', params: { charset: 'utf-8', name: 'a "b".html' } });
    assert.deepEqual(parseContentType(undefined), { type: 'text/plain', params: {} });
    assert.deepEqual(parseContentType('multipart/alternative;boundary=--_x_1'), { type: 'multipart/alternative', params: { boundary: '--_x_1' } });
  });

  it('splitMultipart: the line break before a boundary belongs to it; a boundary must start its line', () => {
    assert.deepEqual(splitMultipart('--b\r\nA\r\n\r\n--b\r\nB --b\r\n--b--\r\n', 'b'), ['A\r\n', 'B --b']);
    assert.deepEqual(splitMultipart('--a.b+c\nX\n--a.b+c--', 'a.b+c'), ['X']);
  });

  it('decodeQuotedPrintable: soft line breaks and =XX bytes', () => {
    assert.equal(decodeQuotedPrintable('Gr=C3=BC=\r\n=C3=9Fe =3D').toString('utf8'), 'Grüße =');
  });

  it('decodeEncodedWords: Q and B, white space between words dropped, a character split across two words', () => {
    assert.equal(decodeEncodedWords('=?utf-8?Q?Gr=C3=BC=C3=9Fe_aus?= =?UTF-8?B?5YyX5Lqs?= end'), 'Grüße aus北京 end');
    const bytes = Buffer.from('北', 'utf8');
    assert.equal(decodeEncodedWords(`=?utf-8?B?${bytes.subarray(0, 2).toString('base64')}?=\r\n =?utf-8?B?${bytes.subarray(2).toString('base64')}?=`), '北');
    assert.equal(decodeEncodedWords('no words'), 'no words');
  });
});
