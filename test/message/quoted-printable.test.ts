/**
 * The quoted-printable encoder of composed mails: what a mail program decodes is the text that
 * was written (read back by mailparser, an independent decoder), every line of the message is at
 * most 76 characters, and no whitespace is left at a line's end for a transport to strip.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { simpleParser } from 'mailparser';
import { composeMessage } from '../../src/message/compose-message.ts';
import { encodeQuotedPrintable, isSevenBit } from '../../src/message/quoted-printable.ts';

async function roundTrip(text: string): Promise<{ decoded: string; body: string }> {
  const message = await composeMessage({ from: { name: '', address: 'a@example.com' }, to: 'b@example.com', subject: 's', html: text, domain: 'example.com', date: new Date(0) });
  const parsed = await simpleParser(message.raw);
  const raw = message.raw.toString('latin1');
  // mailparser gives line ends as LF, and the part's own last line end with it.
  return { decoded: String(parsed.html).replace(/\n$/, ''), body: raw.slice(raw.indexOf('\r\n\r\n') + 4) };
}

function assertWellFormed(encoded: string): void {
  for (const line of encoded.split('\r\n')) {
    assert.ok(line.length <= 76, `a line of ${line.length}: ${JSON.stringify(line)}`);
    assert.doesNotMatch(line, /[ \t]$/, 'no whitespace at the end of a line');
    // eslint-disable-next-line no-control-regex
    assert.doesNotMatch(line, /[^\x20-\x7e\t]/, 'nothing but printable ASCII');
    // An escape is never split by a soft break: "=" is followed by two hex digits or ends the line.
    assert.doesNotMatch(line, /=(?![0-9A-F]{2}|$)/);
  }
}

const cases: Array<[string, string]> = [
  ['inline styles: long lines full of "="', `<td style="padding:0;margin:0;border:0;font-family:Arial,sans-serif;color:#333333;line-height=1.5">${'<a href="https://cloud.example.com/s/abc?x=1&y=2">x</a>'.repeat(20)}</td>`],
  ['whitespace before line ends and at the end', 'a line with a trailing space \r\nand a tab\t\r\nlast  '],
  ['Chinese, long, no spaces', '王美与您共享了文件'.repeat(40)],
  ['emoji and accents across soft breaks', `${'é'.repeat(37)}😀${'ü'.repeat(50)}`],
  ['a line of exactly 76 and of 77 characters', `${'x'.repeat(76)}\r\n${'y'.repeat(77)}\r\nend`],
  ['escapes at every column near the break', Array.from({ length: 12 }, (_, n) => `${'z'.repeat(70 + n)}=`).join('\r\n')],
  ['dots at line starts', `.one\r\n..two\r\n${'w'.repeat(75)}.three`],
  ['a lone CR and LF are data, not line breaks', 'a\rb\nc'],
];

describe('quoted-printable', () => {
  for (const [name, text] of cases) {
    it(`${name}: decoded as written, lines of at most 76`, async () => {
      const encoded = encodeQuotedPrintable(text);
      assertWellFormed(encoded);
      const { decoded } = await roundTrip(text);
      assert.equal(decoded, text.replace(/\r\n|\r|\n/g, '\n').replace(/\n$/, ''));
    });
  }

  it('decodes back to random texts of every kind of character', async () => {
    let seed = 7;
    const random = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
    const alphabet = ['a', 'Z', ' ', '\t', '=', '.', '\r\n', '王', 'é', '😀', '~', '"', '\u007f'];
    for (let round = 0; round < 40; round++) {
      const text = Array.from({ length: Math.floor(random() * 400) }, () => alphabet[Math.floor(random() * alphabet.length)]).join('');
      const encoded = encodeQuotedPrintable(text);
      assertWellFormed(encoded);
      const { decoded, body } = await roundTrip(text);
      assert.equal(decoded, text.replace(/\r\n/g, '\n').replace(/\n$/, ''), `round ${round}`);
      assert.ok(body.length > 0);
    }
  });

  it('sends 7bit only what needs no encoding', () => {
    assert.equal(isSevenBit('plain\r\ntext\twith tab'), true);
    assert.equal(isSevenBit('x'.repeat(76)), true);
    assert.equal(isSevenBit('x'.repeat(77)), false);
    assert.equal(isSevenBit('Grüße'), false);
    assert.equal(isSevenBit('bare\nLF'), false);
    assert.equal(isSevenBit('bell\u0007'), false);
  });
});
