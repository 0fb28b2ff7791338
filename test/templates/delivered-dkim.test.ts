/**
 * Every mail is DKIM-signed when the three DKIM settings are set, whichever way it was made: a
 * mail queued through `POST /api/v1/messages` (the path of `mail:send` and the library's
 * `enqueue()` too) and a template mail, each delivered by a real Postfix and verified with the
 * published key as a receiving server would.
 */
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { dkimVerify } from 'mailauth/lib/dkim/verify.js';
import { simpleParser } from 'mailparser';
import { postfixSettings } from '../support/mail-fixtures.ts';
import { startInstance, type TestInstance } from '../support/instance.ts';
import { startPostfix, waitForMail, type PostfixServer } from '../support/servers.ts';

describe('DKIM on every mail, as delivered by a real Postfix', () => {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const publicB64 = publicKey.export({ type: 'spki', format: 'der' }).toString('base64');
  const resolver = async (name: string, rr: string) => {
    if (name === 'mail2026._domainkey.cloud.example.com' && rr === 'TXT') return [[`v=DKIM1; k=rsa; p=${publicB64}`]];
    throw Object.assign(new Error(`no ${rr} record for ${name}`), { code: 'ENOTFOUND' });
  };
  let postfix: PostfixServer;
  let instance: TestInstance;

  before(async () => {
    postfix = await startPostfix();
    instance = await startInstance({ prefix: 'mailroom-dkim-' });
    await instance.ctx.settings.update({
      ...postfixSettings(postfix),
      mail_smtptimeout: 5,
      mail_domain: 'cloud.example.com',
      mail_dkim_domain: 'cloud.example.com',
      mail_dkim_selector: 'mail2026',
      mail_dkim_private_key: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    });
  });
  after(async () => {
    await instance?.close();
    await postfix?.stop();
  });

  async function verified(raw: string) {
    const result = await dkimVerify(Buffer.from(raw, 'utf8'), { resolver });
    const first = result.results[0];
    assert.equal(first?.status.result, 'pass', JSON.stringify(first?.status));
    assert.equal(first?.signingDomain, 'cloud.example.com');
  }

  it('signs a mail queued through POST /api/v1/messages', async () => {
    const reply = await instance.api('POST', '/api/v1/messages', { to: 'api@example.org', subject: 'Bericht für März', text: 'Hallo\n.\nEnde', html: '<p>Hallo <b>Welt</b></p>' });
    assert.equal(reply.status, 202, reply.text);
    const worker = instance.ctx.createWorker();
    try {
      while ((await worker.runOnce()) > 0);
    } finally {
      await worker.stop();
    }
    const delivered = await waitForMail(postfix.maildir, (m) => m.deliveredTo === 'api@example.org');
    await verified(delivered.raw);
    const mail = await simpleParser(delivered.raw);
    assert.equal(mail.subject, 'Bericht für März');
    assert.equal(mail.headers.get('auto-submitted'), 'auto-generated');
  });

  it('signs a template mail (the test mail)', async () => {
    const report = await instance.ctx.mailTest.sendTemplateTest('share', { to: 'template@example.org', language: 'en' });
    assert.equal(report.ok, true, JSON.stringify(report.error));
    const delivered = await waitForMail(postfix.maildir, (m) => m.deliveredTo === 'template@example.org');
    await verified(delivered.raw);
  });
});
