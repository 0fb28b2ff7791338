/**
 * Every mail is DKIM-signed when the three DKIM settings are set, whichever way it was made: a
 * mail queued through `POST /api/v1/messages` (the path of `mail:send` and the library's
 * `enqueue()` too) and a template mail, each delivered by a real Postfix and verified with the
 * published key as a receiving server would.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { dkimVerify } from 'mailauth/lib/dkim/verify.js';
import { simpleParser } from 'mailparser';
import { deliverQueued } from '../support/mail-fixtures.ts';
import type { TestInstance } from '../support/instance.ts';
import { waitForMail, type PostfixServer } from '../support/servers.ts';
import { testDkimKey } from '../support/dkim-key.ts';
import { closeAll } from '../support/close-all.ts';
import { startInstanceWithPostfix } from '../support/postfix-mailroom.ts';

describe('DKIM on every mail, as delivered by a real Postfix', () => {
  const { settings: dkim, resolver } = testDkimKey('cloud.example.com', 'mail2026');
  let postfix: PostfixServer;
  let instance: TestInstance;

  before(async () => {
    ({ postfix, instance } = await startInstanceWithPostfix({ prefix: 'mailroom-dkim-', settings: dkim }));
  });
  after(() => closeAll(instance, postfix));

  async function verdict(raw: string) {
    return (await dkimVerify(Buffer.from(raw, 'utf8'), { resolver })).results[0];
  }
  async function verified(raw: string) {
    const first = await verdict(raw);
    assert.equal(first?.status.result, 'pass', JSON.stringify(first?.status));
    assert.equal(first?.signingDomain, 'cloud.example.com');
  }
  /** The delivered copy with a header field added on top, as a relay after Postfix could. */
  const withField = (raw: string, field: string) => `${field}\r\n${raw}`;

  it('signs a mail queued through POST /api/v1/messages', async () => {
    const reply = await instance.api('POST', '/api/v1/messages', { to: 'api@example.org', subject: 'Bericht für März', text: 'Hallo\n.\nEnde', html: '<p>Hallo <b>Welt</b></p>' });
    assert.equal(reply.status, 202, reply.text);
    await deliverQueued(instance.ctx);
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

  it('over-signs the fields a forger would add: a second From, a Reply-To or a List-Unsubscribe on the delivered copy fails', async () => {
    await instance.ctx.users.add({ uid: 'dora', display_name: 'Dora Diaz', email: 'dora@example.org', invite: false });
    const reply = await instance.api('POST', '/api/v1/events', { events: [{ id: 'dkim-share', type: 'share.created', actor: 'admin', affected: ['dora'], object: { type: 'file', id: '7', name: 'Plan.pdf' } }] });
    assert.equal(reply.status, 202, reply.text);
    await deliverQueued(instance.ctx);
    const delivered = await waitForMail(postfix.maildir, (m) => m.deliveredTo === 'dora@example.org');
    await verified(delivered.raw);
    const signature = (delivered.headers.get('dkim-signature') ?? '').replace(/\s+/g, '');
    const h = (/(?:^|;)h=([^;]+)/.exec(signature)?.[1] ?? '').split(':');
    const count = (name: string) => h.filter((n) => n === name).length;
    for (const name of ['from', 'to', 'subject', 'date', 'message-id', 'reply-to', 'list-unsubscribe', 'list-unsubscribe-post']) {
      assert.equal(count(name), (delivered.raw.match(new RegExp(`^${name}:`, 'gim')) ?? []).length + 1, `${name} in h=${h.join(':')}`);
    }
    assert.equal(count('auto-submitted'), 1);

    const line = delivered.raw.includes('\r\n') ? (s: string) => s : (s: string) => s.replace(/\r\n/g, '\n');
    assert.equal((await verdict(line(withField(delivered.raw, 'From: Bank <ceo@bank.example>'))))?.status.result, 'fail', 'a second From');
    assert.equal((await verdict(line(withField(delivered.raw, 'Reply-To: thief@evil.example'))))?.status.result, 'fail', 'another Reply-To');
    assert.equal((await verdict(line(withField(delivered.raw, 'List-Unsubscribe: <https://evil.example/u>'))))?.status.result, 'fail', 'another List-Unsubscribe');
    assert.equal((await verdict(line(withField(delivered.raw, 'X-Relay: seen'))))?.status.result, 'pass', 'a field the signature does not cover');
  });
});
