import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { describe, it } from 'node:test';
import { dkimVerify } from 'mailauth/lib/dkim/verify.js';
import { composeMessage } from '../../src/message/compose-message.ts';
import { dkimSign } from '../../src/message/dkim-sign.ts';

describe('DKIM signing', () => {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  const publicB64 = publicKey.export({ type: 'spki', format: 'der' }).toString('base64');
  const resolver = async (name: string, rr: string) => {
    if (name === 'mail2026._domainkey.example.com' && rr === 'TXT') return [[`v=DKIM1; k=rsa; p=${publicB64}`]];
    throw Object.assign(new Error(`no ${rr} record for ${name}`), { code: 'ENOTFOUND' });
  };
  const message = () =>
    composeMessage({
      from: { name: '邮件室', address: 'cloud@example.com' },
      to: 'alice@example.org',
      subject: 'Alice 与您共享了 »报告.pdf«',
      text: 'Hello\n.dot\n',
      html: '<p>Hello</p>',
      domain: 'example.com',
      date: new Date('2026-11-26T10:00:00Z'),
      headers: { 'List-Unsubscribe': '<https://example.com/unsubscribe/x>', 'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click' },
    });
  const verdict = async (raw: Buffer) => (await dkimVerify(raw, { resolver })).results[0]?.status.result;
  /** The signed message with a header field added just below the signature, as a relay could. */
  const withField = (signed: Buffer, field: string) => {
    const text = signed.toString('latin1');
    const end = text.search(/\r\n(?![ \t])/);
    return Buffer.from(`${text.slice(0, end)}\r\n${field}${text.slice(end)}`, 'latin1');
  };

  it('signs so that a verifier with the published key says pass', async () => {
    const signed = await dkimSign((await message()).raw, { domain: 'example.com', selector: 'mail2026', privateKey: pem });
    assert.match(signed.toString('latin1'), /^DKIM-Signature: v=1; a=rsa-sha256; c=relaxed\/relaxed; d=example\.com;/);
    const result = await dkimVerify(signed, { resolver });
    assert.equal(result.results[0]?.status.result, 'pass', JSON.stringify(result.results[0]?.status));
  });

  it('fails verification when the body is changed after signing', async () => {
    const signed = await dkimSign((await message()).raw, { domain: 'example.com', selector: 'mail2026', privateKey: pem });
    const tampered = Buffer.from(signed.toString('latin1').replace('Hello', 'Hullo'), 'latin1');
    const result = await dkimVerify(tampered, { resolver });
    assert.notEqual(result.results[0]?.status.result, 'pass');
  });

  it('covers Auto-Submitted and List-Unsubscribe, and names each over-signed field once more than it occurs', async () => {
    const signed = await dkimSign((await message()).raw, { domain: 'example.com', selector: 'mail2026', privateKey: pem });
    const header = /^DKIM-Signature:[\s\S]*?\r\n(?![ \t])/.exec(signed.toString('latin1'))?.[0] ?? '';
    const h = (/\bh=([^;]+);/.exec(header.replace(/\r\n[ \t]+/g, ''))?.[1] ?? '').split(':');
    const count = (name: string) => h.filter((n) => n === name).length;
    for (const name of ['from', 'to', 'subject', 'date', 'message-id', 'list-unsubscribe', 'list-unsubscribe-post']) assert.equal(count(name), 2, `${name} in h=${h.join(':')}`);
    assert.equal(count('reply-to'), 1, 'a Reply-To the mail has none of is named once, so none can be added');
    assert.equal(count('auto-submitted'), 1);
    assert.equal(count('mime-version'), 1);
    assert.ok(
      header.split('\r\n').every((line) => line.length <= 78),
      header,
    );
  });

  it('fails when a second From, a Reply-To or another List-Unsubscribe is added on the way, not when a relay adds its own fields', async () => {
    const signed = await dkimSign((await message()).raw, { domain: 'example.com', selector: 'mail2026', privateKey: pem });
    assert.equal(await verdict(signed), 'pass');
    assert.equal(await verdict(withField(signed, 'From: Bank <ceo@bank.example>')), 'fail');
    assert.equal(await verdict(withField(signed, 'Reply-To: thief@evil.example')), 'fail');
    assert.equal(await verdict(withField(signed, 'List-Unsubscribe: <https://evil.example/u>')), 'fail');
    assert.equal(await verdict(withField(signed, 'Received: from relay.example.net by mx.example.org')), 'pass');
  });

  it('over-signs a Reply-To the mail has', async () => {
    const composed = await composeMessage({ from: { name: 'Cloud', address: 'cloud@example.com' }, to: 'bob@example.org', replyTo: 'alice@example.org', subject: 'S', text: 'T', domain: 'example.com', date: new Date('2026-11-26T10:00:00Z') });
    const signed = await dkimSign(composed.raw, { domain: 'example.com', selector: 'mail2026', privateKey: pem });
    assert.equal(await verdict(signed), 'pass');
    assert.equal(await verdict(withField(signed, 'Reply-To: thief@evil.example')), 'fail');
  });
});
