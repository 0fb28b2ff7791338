/**
 * VERP: with mail_bounce_verp on, each mail leaves with an envelope sender naming it (the
 * receiving server writes it as Return-Path), over SMTP and through sendmail's -f, and the DKIM
 * signature still verifies (the envelope is not signed). Off, the envelope sender is the From.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { dkimVerify } from 'mailauth/lib/dkim/verify.js';
import { createVerpAddresses } from '../../src/bounces/verp-address.ts';
import { deliverQueued } from '../support/mail-fixtures.ts';
import { startInstance, type TestInstance } from '../support/instance.ts';
import { waitForMail, type PostfixServer } from '../support/servers.ts';
import { testDkimKey } from '../support/dkim-key.ts';
import { closeAll } from '../support/close-all.ts';
import { startInstanceWithPostfix } from '../support/postfix-mailroom.ts';

describe('VERP envelope senders', () => {
  const { settings: dkim, resolver } = testDkimKey('cloud.example.com', 'mail2026');
  let postfix: PostfixServer;
  let instance: TestInstance;

  before(async () => {
    ({ postfix, instance } = await startInstanceWithPostfix({ prefix: 'mailroom-verp-', settings: dkim }));
  });
  after(() => closeAll(instance, postfix));

  async function sendOne(to: string): Promise<number> {
    const reply = await instance.api<{ ids: number[] }>('POST', '/api/v1/messages', { to, subject: `VERP ${to}`, text: 'Hello' });
    assert.equal(reply.status, 202, reply.text);
    await deliverQueued(instance.ctx);
    const id = reply.body.ids[0];
    assert.equal(typeof id, 'number', reply.text);
    return id as number;
  }

  it('keeps the From address as envelope sender while mail_bounce_verp is off (the default)', async () => {
    await sendOne('plain@example.org');
    const delivered = await waitForMail(postfix.maildir, (m) => m.deliveredTo === 'plain@example.org');
    assert.equal(delivered.headers.get('return-path'), '<mailroom@cloud.example.com>');
  });

  it('sends each mail with bounces+<id>-<tag>@ the bounce domain, writes no Return-Path itself, and DKIM still verifies', async () => {
    await instance.ctx.settings.update({ mail_bounce_verp: true, mail_bounce_domain: 'bounces.cloud.example.com' });
    const id = await sendOne('verp@example.org');
    const delivered = await waitForMail(postfix.maildir, (m) => m.deliveredTo === 'verp@example.org');
    const returnPath = delivered.headers.get('return-path') ?? '';
    assert.match(returnPath, new RegExp(`^<bounces\\+${id}-[0-9a-f]{12}@bounces\\.cloud\\.example\\.com>$`));
    // Only the receiving server's one.
    assert.equal(delivered.raw.match(/^Return-Path:/gim)?.length, 1);
    assert.match(delivered.headers.get('from') ?? '', /<mailroom@cloud\.example\.com>/);
    const dkim = (await dkimVerify(Buffer.from(delivered.raw, 'utf8'), { resolver })).results[0];
    assert.equal(dkim?.status.result, 'pass', JSON.stringify(dkim?.status));
  });

  it('uses mail_domain when mail_bounce_domain is empty', async () => {
    await instance.ctx.settings.update({ mail_bounce_verp: true, mail_bounce_domain: '' });
    const id = await sendOne('verp-domain@example.org');
    const delivered = await waitForMail(postfix.maildir, (m) => m.deliveredTo === 'verp-domain@example.org');
    assert.match(delivered.headers.get('return-path') ?? '', new RegExp(`^<bounces\\+${id}-[0-9a-f]{12}@cloud\\.example\\.com>$`));
  });

  it('passes the VERP address to sendmail as -f', async () => {
    const viaSendmail = await startInstance({
      prefix: 'mailroom-verp-sendmail-',
      env: { MAILROOM_MAIL_SMTPMODE: 'sendmail', MAILROOM_MAIL_SENDMAIL_PATH: postfix.sendmailPath, MAILROOM_MAIL_BOUNCE_VERP: 'true', MAILROOM_MAIL_DOMAIN: 'cloud.example.com' },
    });
    try {
      const reply = await viaSendmail.api<{ ids: number[] }>('POST', '/api/v1/messages', { to: 'sendmail-verp@example.org', subject: 'VERP sendmail', text: 'Hello' });
      assert.equal(reply.status, 202, reply.text);
      await deliverQueued(viaSendmail.ctx);
      const id = reply.body.ids[0] as number;
      const delivered = await waitForMail(postfix.maildir, (m) => m.deliveredTo === 'sendmail-verp@example.org');
      assert.match(delivered.headers.get('return-path') ?? '', new RegExp(`^<bounces\\+${id}-[0-9a-f]{12}@cloud\\.example\\.com>$`));
    } finally {
      await viaSendmail.close();
    }
  });
});

describe('VERP addresses', () => {
  const key = randomBytes(32);
  const verp = createVerpAddresses(key);

  it('reads back the mail id of its own addresses, in any case', () => {
    const address = verp.address(42, 'cloud.example.com');
    assert.deepEqual(verp.read(address), { kind: 'mail', mailId: 42 });
    assert.deepEqual(verp.read(address.toUpperCase()), { kind: 'mail', mailId: 42 });
  });

  it('calls an address with a tag made by another key, or altered, forged', () => {
    const other = createVerpAddresses(randomBytes(32)).address(42, 'cloud.example.com');
    assert.deepEqual(verp.read(other), { kind: 'forged', mailId: 42 });
    const moved = verp.address(42, 'cloud.example.com').replace('+42-', '+43-');
    assert.deepEqual(verp.read(moved), { kind: 'forged', mailId: 43 });
  });

  it('says none for an address that is not VERP', () => {
    assert.deepEqual(verp.read('mailroom@cloud.example.com'), { kind: 'none' });
    assert.deepEqual(verp.read('bounces@cloud.example.com'), { kind: 'none' });
  });
});
