import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { describe, it } from 'node:test';
import { dkimVerify } from 'mailauth/lib/dkim/verify.js';
import { composeMessage } from '../../src/templates/compose-message.ts';
import { dkimSign } from '../../src/templates/dkim-sign.ts';

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
    });

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
});
