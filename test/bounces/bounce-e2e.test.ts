/**
 * The whole story with a real Postfix: a share mail to an address Postfix does not know goes out
 * with a VERP envelope sender, Postfix accepts it, bounces it with a real DSN to that sender, and
 * delivers the DSN through pipe(8) to `mailroom bounce:receive` (as nobody, reaching the same
 * PostgreSQL database). The mail shows the bounce, the address is scored; past the threshold
 * the next share mail is not queued while the activity is still in the stream; a password reset
 * still goes out; clearing the score, or changing the address, restores mail.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { simpleParser } from 'mailparser';
import type { AppContext } from '../../src/context.ts';
import { startTestMailroom, type TestMailroom } from '../support/test-mailroom.ts';
import { deliverQueued, cloudSendingThrough } from '../support/mail-fixtures.ts';
import { mailroomBin } from '../support/run-mailroom.ts';
import { startPostfix, startPostgres, waitForMail, type PostfixServer, type PostgresServer } from '../support/servers.ts';
import { closeAll } from '../support/close-all.ts';

type Bounce = { address: string; kind: string; status: string | null; diagnostic: string | null; reportingMta: string | null };

describe('bounces end to end: Postfix, its DSN, pipe(8) and bounce:receive', () => {
  const key = randomBytes(32);
  let postgres: PostgresServer;
  let postfix: PostfixServer;
  let mailroom: TestMailroom;
  let ctx: AppContext;
  let app: TestMailroom['app'];
  let token: string;

  before(async () => {
    postgres = await startPostgres();
    const databaseUrl = await postgres.createDatabase();
    // pipe(8) passes no environment: the command line carries what bounce:receive needs.
    const argv = [
      '/usr/bin/env',
      `MAILROOM_DATABASE_URL=${databaseUrl}`,
      `MAILROOM_SECRET_KEY=${key.toString('base64')}`,
      'MAILROOM_DATA_DIR=/nonexistent/mailroom',
      'MAILROOM_CONFIG=/nonexistent/mailroom.json',
      'MAILROOM_LOG_FORMAT=json',
      process.execPath,
      mailroomBin,
      'bounce:receive',
      '--recipient',
      '${original_recipient}',
    ].join(' ');
    postfix = await startPostfix({ knownRecipients: ['admin@example.org', 'ghost.new@example.org'], bouncePipe: { domain: 'bounces.cloud.example.com', argv } });
    mailroom = await startTestMailroom({
      prefix: 'mailroom-bounce-e2e-',
      env: { MAILROOM_DATABASE_URL: databaseUrl, MAILROOM_SECRET_KEY: key.toString('base64') },
      settings: {
        ...cloudSendingThrough(postfix),
        base_url: 'https://cloud.example.com',
        mail_bounce_verp: true,
        mail_bounce_domain: 'bounces.cloud.example.com',
        // One hard bounce (2) reaches it.
        mail_bounce_threshold: 2,
      },
      http: 'inject',
    });
    ({ ctx, app } = mailroom);
    token = await ctx.tokens.create('tests');
    await ctx.users.add({ uid: 'ghost', display_name: 'Ghost', email: 'ghost@example.org', invite: false });
  });
  after(() => closeAll(mailroom, postfix, postgres));

  async function api<T>(method: 'GET' | 'POST' | 'DELETE', url: string, body?: unknown): Promise<{ status: number; body: T }> {
    const res = await app.inject({ method, url, headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) }, ...(body ? { payload: JSON.stringify(body) } : {}) });
    return { status: res.statusCode, body: JSON.parse(res.body) as T };
  }
  async function deliver(): Promise<void> {
    await deliverQueued(ctx);
  }
  let shares = 0;
  /** A share with ghost, rendered and sent; resolves with the ids of the mails it queued. */
  async function shareWithGhost(): Promise<number[]> {
    const before = ((await ctx.outbox.list({ limit: 1 })) as Array<{ id: number }>)[0]?.id ?? 0;
    shares++;
    const reply = await api('POST', '/api/v1/events', { events: [{ id: `e2e-share-${shares}`, type: 'share.created', actor: 'admin', affected: ['ghost'], object: { type: 'file', id: String(shares), name: `Plan ${shares}.pdf` } }] });
    assert.equal(reply.status, 202);
    await deliver();
    const rows = (await ctx.outbox.list({ limit: 20 })) as Array<{ id: number; recipients: string[] }>;
    return rows.filter((r) => r.id > before && r.recipients.some((a) => a.startsWith('ghost'))).map((r) => r.id);
  }
  async function bouncesOf(id: number): Promise<Bounce[]> {
    const deadline = Date.now() + 30_000;
    for (;;) {
      const bounces = (await api<{ bounces: Bounce[] }>('GET', `/api/v1/outbox/${id}`)).body.bounces;
      if (bounces.length > 0) return bounces;
      if (Date.now() > deadline) throw new Error(`no bounce recorded for mail #${id} in 30 s`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  const scoreOf = async (address: string) => (await api<{ addresses: Array<{ address: string; score: number; suppressed: boolean }> }>('GET', '/api/v1/bounces')).body.addresses.find((a) => a.address === address);

  it('a share mail to an unknown mailbox comes back as a real DSN through the pipe: the mail shows the bounce, the address is scored', async () => {
    const [id, ...more] = await shareWithGhost();
    assert.ok(id !== undefined && more.length === 0);
    const [bounce] = await bouncesOf(id);
    assert.equal(bounce?.address, 'ghost@example.org');
    assert.equal(bounce?.kind, 'hard');
    assert.equal(bounce?.status, '5.1.1');
    assert.equal(bounce?.reportingMta, 'localhost');
    assert.match(bounce?.diagnostic ?? '', /unknown user: "ghost@example\.org"/);
    const score = await scoreOf('ghost@example.org');
    assert.deepEqual([score?.score, score?.suppressed], [2, true]);
  });

  it('past the threshold the next share mail is not queued, and the activity is still in the stream', async () => {
    assert.deepEqual(await shareWithGhost(), []);
    const stream = await ctx.preferences.stream('ghost', { limit: 10 });
    assert.ok(
      stream.some((a) => JSON.stringify(a).includes('Plan 2.pdf')),
      JSON.stringify(stream),
    );
  });

  it('a password reset still goes out (and bouncing again the same day, it does not count twice)', async () => {
    const before = ((await ctx.outbox.list({ limit: 1 })) as Array<{ id: number }>)[0]?.id ?? 0;
    const reply = await api('POST', '/api/v1/users/ghost/password-reset');
    assert.equal(reply.status < 300, true, JSON.stringify(reply.body));
    await deliver();
    const [reset] = ((await ctx.outbox.list({ limit: 5 })) as Array<{ id: number; kind: string; state: string; recipients: string[] }>).filter((r) => r.id > before);
    assert.deepEqual([reset?.kind, reset?.state, reset?.recipients], ['lost_password', 'sent', ['ghost@example.org']]);
    await bouncesOf(reset?.id as number);
    assert.equal((await scoreOf('ghost@example.org'))?.score, 2);
  });

  it('clearing the score restores mail', async () => {
    const cleared = await api<{ address: string; cleared: boolean }>('DELETE', '/api/v1/bounces/ghost@example.org');
    assert.deepEqual(cleared, { status: 200, body: { address: 'ghost@example.org', cleared: true } });
    const invalid = await api<{ error: { code: string } }>('DELETE', '/api/v1/bounces/not-an-address');
    assert.deepEqual([invalid.status, invalid.body.error.code], [400, 'invalid_address']);
    const ids = await shareWithGhost();
    assert.equal(ids.length, 1);
    await bouncesOf(ids[0] as number);
    assert.equal((await scoreOf('ghost@example.org'))?.suppressed, true, 'and it bounced again');
  });

  it('a changed address clears the score, and the next share mail reaches the new one', async () => {
    await ctx.users.modify('ghost', { email: 'ghost.new@example.org' });
    assert.equal(await scoreOf('ghost@example.org'), undefined);
    assert.equal((await shareWithGhost()).length, 1);
    const delivered = await waitForMail(postfix.maildir, (m) => m.deliveredTo === 'ghost.new@example.org');
    assert.match((await simpleParser(delivered.raw)).subject ?? '', /Plan 4\.pdf/);
  });
});
