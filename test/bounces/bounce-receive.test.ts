/**
 * Messages that come back to the VERP address, read by the bounce service as `bounce:receive`
 * hands them over: a fixture in the style of each server's reports, each classified as it should
 * be or ignored with a log line, and nothing else changed. The log is read as JSON lines.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { Writable } from 'node:stream';
import { after, before, beforeEach, describe, it } from 'node:test';
import type { AppContext } from '../../src/context.ts';
import { startTestMailroom, type TestMailroom } from '../support/test-mailroom.ts';
import { buildApp } from '../../src/http/build-app.ts';
import { createVerpAddresses } from '../../src/bounces/verp-address.ts';

const fixtures = new URL('../fixtures/bounces/', import.meta.url);

describe('bounce:receive reads what comes back', () => {
  let mailroom: TestMailroom;
  let ctx: AppContext;
  let logLines: Array<Record<string, unknown>> = [];
  let now = Date.parse('2026-12-07T10:00:00Z');
  const clock = { now: () => new Date(now) };
  let verp: ReturnType<typeof createVerpAddresses>;

  before(async () => {
    const key = Buffer.alloc(32, 7);
    verp = createVerpAddresses(key);
    const logDestination = new Writable({
      write(chunk: Buffer, _enc, done) {
        for (const line of chunk.toString('utf8').split('\n')) if (line.trim()) logLines.push(JSON.parse(line) as Record<string, unknown>);
        done();
      },
    });
    mailroom = await startTestMailroom({
      prefix: 'mailroom-bounce-',
      env: { MAILROOM_SECRET_KEY: key.toString('base64') },
      clock,
      logLevel: 'info',
      logDestination,
      settings: { mail_domain: 'cloud.example.com' },
    });
    ctx = mailroom.ctx;
  });
  after(async () => {
    await mailroom?.close();
  });
  beforeEach(() => {
    logLines = [];
  });

  async function queueTo(address: string): Promise<number> {
    const [result] = await ctx.outbox.send([{ to: address, subject: 'Alice shared "Plan.pdf" with you', text: 'Alice shared Plan.pdf with you.' }]);
    return result?.id as number;
  }
  async function fixture(name: string, mailId: number, tag?: string): Promise<Buffer> {
    let address = verp.address(mailId, 'cloud.example.com');
    if (tag !== undefined) address = address.replace(/-[0-9a-f]+@/, `-${tag}@`);
    return Buffer.from((await readFile(new URL(name, fixtures), 'latin1')).replaceAll('%VERP%', address), 'latin1');
  }
  const events = () => logLines.filter((l) => typeof l['event'] === 'string' && String(l['event']).startsWith('bounce_')).map((l) => ({ event: l['event'], reason: l['reason'], kinds: l['kinds'] }));

  const cases: Array<{ file: string; to: string; kind: string; status: string | null; mta: string; diagnostic: RegExp; format: string }> = [
    { file: 'postfix-user-unknown.eml', to: 'lin@example.org', kind: 'hard', status: '5.1.1', mta: 'mx.example.org', diagnostic: /^550 5\.1\.1 <lin@example\.org>: Recipient address rejected: User unknown in local recipient table$/, format: 'dsn' },
    { file: 'postfix-delayed.eml', to: 'mei@slow.example.net', kind: 'soft', status: '4.4.1', mta: 'relay.example.net', diagnostic: /Connection timed out$/, format: 'dsn' },
    { file: 'exim-failed.eml', to: 'jonas@example.de', kind: 'hard', status: '5.1.1', mta: 'mx.example.de', diagnostic: /^550 5\.1\.1 <jonas@example\.de>: Recipient address rejected: User unknown$/, format: 'exim' },
    { file: 'microsoft365-recipient-not-found.eml', to: 'wang@contoso.com', kind: 'hard', status: '5.1.10', mta: 'AM0PR01MB1234.eurprd01.prod.exchangelabs.com', diagnostic: /RESOLVER\.ADR\.RecipientNotFound/, format: 'dsn' },
    { file: 'gmail-no-such-user.eml', to: 'zhang.wei@gmail.com', kind: 'hard', status: '5.1.1', mta: 'googlemail.com', diagnostic: /does not exist/, format: 'dsn' },
    { file: 'gmail-unauthenticated.eml', to: 'li.na@gmail.com', kind: 'policy', status: '5.7.26', mta: 'googlemail.com', diagnostic: /unauthenticated/, format: 'dsn' },
    { file: 'qmail-qsbmf.eml', to: 'olga@example.net', kind: 'hard', status: '5.1.1', mta: 'mail.example.net', diagnostic: /^Sorry, no mailbox here by that name\. \(#5\.1\.1\)$/, format: 'qmail' },
  ];

  for (const c of cases) {
    it(`${c.file}: a ${c.kind} bounce of the mail to ${c.to}, kept with its status, diagnostic and reporting server`, async () => {
      const id = await queueTo(c.to);
      const outcome = await ctx.bounces.receive(await fixture(c.file, id));
      assert.equal(outcome.outcome, 'recorded', JSON.stringify(outcome));
      const [bounce, ...more] = await ctx.bounces.forMail(id);
      assert.equal(more.length, 0);
      assert.equal(bounce?.address, c.to);
      assert.equal(bounce?.kind, c.kind);
      assert.equal(bounce?.status, c.status);
      assert.equal(bounce?.reportingMta, c.mta);
      assert.equal(bounce?.format, c.format);
      assert.match(bounce?.diagnostic ?? '', c.diagnostic);
      assert.deepEqual(events(), [{ event: 'bounce_recorded', reason: undefined, kinds: [c.kind] }]);
      const listed = (await ctx.bounces.list()).find((a) => a.address === c.to);
      if (c.kind === 'policy') assert.equal(listed, undefined, 'a policy rejection does not score the address');
      else assert.equal(listed?.score, c.kind === 'hard' ? 2 : 1);
    });
  }

  it('a policy rejection raises the reputation warning in mailroom doctor and GET /api/v1/bounces', async () => {
    const checks = await ctx.doctor.run();
    const reputation = checks.find((c) => c.name === 'reputation');
    assert.equal(reputation?.status, 'warn');
    assert.match(reputation?.message ?? '', /refused in the last 7 days for the instance's reputation or content.*googlemail\.com: 550-5\.7\.26 .*SPF/);
    const app = buildApp(ctx);
    try {
      const token = await ctx.tokens.create('reputation');
      const res = await app.inject({ method: 'GET', url: '/api/v1/bounces', headers: { authorization: `Bearer ${token}` } });
      assert.equal(res.statusCode, 200);
      const body = JSON.parse(res.body) as { reputation: { count: number; last: { status: string; reportingMta: string } } | null };
      assert.deepEqual([body.reputation?.count, body.reputation?.last.status, body.reputation?.last.reportingMta], [1, '5.7.26', 'googlemail.com']);
      now += 8 * 24 * 3600_000;
      const later = JSON.parse((await app.inject({ method: 'GET', url: '/api/v1/bounces', headers: { authorization: `Bearer ${token}` } })).body) as { reputation: unknown };
      assert.equal(later.reputation, null, 'a week later the warning is gone');
    } finally {
      now -= 8 * 24 * 3600_000;
      await app.close();
    }
  });

  for (const [file, reason] of [
    ['out-of-office.eml', 'auto_reply'],
    ['not-a-bounce.eml', 'not_a_bounce'],
  ] as const) {
    it(`${file}: ignored (${reason}) with a log line, nothing recorded`, async () => {
      const id = await queueTo('lin@example.org');
      const before = await ctx.bounces.list();
      const outcome = await ctx.bounces.receive(await fixture(file, id));
      assert.deepEqual(outcome, { outcome: 'ignored', reason, mailId: id });
      assert.deepEqual(await ctx.bounces.forMail(id), []);
      assert.deepEqual(await ctx.bounces.list(), before);
      assert.deepEqual(events(), [{ event: 'bounce_ignored', reason, kinds: undefined }]);
    });
  }

  it('a bounce whose VERP tag was not made by this instance is ignored, and the mail it names is untouched', async () => {
    const id = await queueTo('forged@example.org');
    const raw = (await fixture('postfix-user-unknown.eml', id, '0123456789ab')).toString('latin1').replaceAll('lin@example.org', 'forged@example.org');
    const outcome = await ctx.bounces.receive(Buffer.from(raw, 'latin1'));
    assert.deepEqual(outcome, { outcome: 'ignored', reason: 'forged_verp_address' });
    assert.deepEqual(await ctx.bounces.forMail(id), []);
    assert.equal(
      (await ctx.bounces.list()).find((a) => a.address === 'forged@example.org'),
      undefined,
    );
    assert.deepEqual(events(), [{ event: 'bounce_ignored', reason: 'forged_verp_address', kinds: undefined }]);
  });

  it('an ARF complaint turns off, for its user, the kind of mail reported, and scores nothing', async () => {
    await ctx.users.add({ uid: 'sara', display_name: 'Sara', email: 'sara@mail.example.com', invite: false });
    await ctx.events.ingest([{ id: 'arf-share', type: 'share.created', actor: 'admin', affected: ['sara'], object: { type: 'file', id: '9', name: 'Plan.pdf' } }]);
    const worker = ctx.createWorker();
    await worker.renderOwed();
    await worker.stop();
    const [newest] = (await ctx.outbox.list({ limit: 1 })) as Array<{ id: number; recipients: string[] }>;
    assert.deepEqual(newest?.recipients, ['sara@mail.example.com'], 'the share mail was queued');
    const id = newest?.id as number;
    assert.equal((await ctx.preferences.get('sara')).types['share.created'].email, true);
    const outcome = await ctx.bounces.receive(await fixture('arf-complaint.eml', id));
    assert.equal(outcome.outcome, 'recorded');
    assert.equal((await ctx.bounces.forMail(id))[0]?.kind, 'complaint');
    assert.equal((await ctx.preferences.get('sara')).types['share.created'].email, false);
    assert.equal(
      (await ctx.bounces.list()).find((a) => a.address === 'sara@mail.example.com'),
      undefined,
    );
  });

  it('counts an address at most once a day, the heaviest bounce of the day, and forgets it 30 days after the last', async () => {
    const first = await queueTo('twice@example.org');
    const second = await queueTo('twice@example.org');
    const raw = async (id: number, file: string) => Buffer.from((await fixture(file, id)).toString('latin1').replaceAll('mei@slow.example.net', 'twice@example.org').replaceAll('lin@example.org', 'twice@example.org'), 'latin1');
    await ctx.bounces.receive(await raw(first, 'postfix-delayed.eml'));
    await ctx.bounces.receive(await raw(second, 'postfix-delayed.eml'));
    const score = async () => (await ctx.bounces.list()).find((a) => a.address === 'twice@example.org')?.score;
    assert.equal(await score(), 1, 'two soft bounces on one day count once');
    await ctx.bounces.receive(await raw(second, 'postfix-user-unknown.eml'));
    assert.equal(await score(), 2, 'a hard bounce the same day raises the day to its weight');
    now += 24 * 3600_000;
    await ctx.bounces.receive(await raw(first, 'postfix-user-unknown.eml'));
    assert.equal(await score(), 4);
    now += 30 * 24 * 3600_000;
    assert.equal(await score(), undefined, 'decayed after 30 days');
    now -= 31 * 24 * 3600_000;
  });

  it('mailroom metrics count bounces by kind', async () => {
    const text = await ctx.metrics();
    assert.match(text, /^mailroom_bounces_total\{kind="hard"\} [1-9]\d*$/m);
    assert.match(text, /^mailroom_bounces_total\{kind="policy"\} 1$/m);
    assert.match(text, /^mailroom_bounces_total\{kind="complaint"\} 1$/m);
  });
});
