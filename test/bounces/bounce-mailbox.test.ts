/**
 * The second way bounces come in, with real servers: a share mail to an address Postfix does not
 * know goes out with a VERP envelope sender; Postfix bounces it with a real DSN and delivers the
 * DSN into the Maildir of the bounce domain, which a private Dovecot serves over POP3 with TLS.
 * `mailroom bounce:fetch` (and a worker's poll) reads it through the same receive as
 * bounce:receive, records it, and deletes it from the mailbox.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { AppContext } from '../../src/context.ts';
import { createBounceMailbox } from '../../src/bounces/bounce-mailbox.ts';
import { openPop3 } from '../../src/bounces/pop3-client.ts';
import { startTestMailroom, type TestMailroom } from '../support/test-mailroom.ts';
import { createLogger } from '../../src/log/logger.ts';
import { deliverQueued, cloudSendingThrough } from '../support/mail-fixtures.ts';
import { runMailroom } from '../support/run-mailroom.ts';
import { startDovecot, startPostfix, type DovecotServer, type PostfixServer } from '../support/servers.ts';
import { closeAll } from '../support/close-all.ts';

type Bounce = { address: string; kind: string; status: string | null; diagnostic: string | null; reportingMta: string | null };

const BOUNCE_DOMAIN = 'bounces.cloud.example.com';

/** A message that is no bounce (ignored by receive, and still deleted). */
const notABounce = (n: number) => `From: someone@example.net\r\nTo: bounces@${BOUNCE_DOMAIN}\r\nSubject: hello ${n}\r\nMessage-ID: <hello-${n}@example.net>\r\n\r\nJust saying hello.\r\n`;

describe('bounces fetched from a POP3 mailbox (Postfix delivers the DSN, Dovecot serves it)', () => {
  const key = randomBytes(32).toString('base64');
  let postfix: PostfixServer;
  let dovecot: DovecotServer;
  let mailroom: TestMailroom;
  let dir: string;
  let env: Record<string, string>;
  let ctx: AppContext;
  let app: TestMailroom['app'];
  let token: string;

  before(async () => {
    postfix = await startPostfix({ knownRecipients: ['admin@example.org'], bounceMailbox: { domain: BOUNCE_DOMAIN } });
    dovecot = await startDovecot({ maildir: postfix.bounceMaildir, pass: 'pop-secret-7f3a' });
    mailroom = await startTestMailroom({
      prefix: 'mailroom-bounce-pop3-',
      env: { MAILROOM_SECRET_KEY: key },
      settings: {
        ...cloudSendingThrough(postfix),
        base_url: 'https://cloud.example.com',
        mail_bounce_verp: true,
        mail_bounce_domain: BOUNCE_DOMAIN,
        mail_bounce_threshold: 100,
        mail_bounce_pop3_host: '127.0.0.1',
        mail_bounce_pop3_port: dovecot.pop3sPort,
        mail_bounce_pop3_tls: 'ssl',
        mail_bounce_pop3_tls_ca: dovecot.certPath,
        mail_bounce_pop3_user: dovecot.user,
        mail_bounce_pop3_password: dovecot.pass,
      },
      http: 'inject',
    });
    ({ ctx, app, dir } = mailroom);
    // What the mailroom command run in that folder needs to find the same data.
    env = { MAILROOM_DATA_DIR: mailroom.dataDir, MAILROOM_CONFIG: join(dir, 'config.json'), MAILROOM_SECRET_KEY: key };
    token = await ctx.tokens.create('tests');
    await ctx.users.add({ uid: 'ghost', display_name: 'Ghost', email: 'ghost@example.org', invite: false });
  });
  after(() => closeAll(mailroom, dovecot, postfix));

  async function api<T>(method: 'GET' | 'POST', url: string, body?: unknown): Promise<{ status: number; body: T }> {
    const res = await app.inject({ method, url, headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) }, ...(body ? { payload: JSON.stringify(body) } : {}) });
    return { status: res.statusCode, body: JSON.parse(res.body) as T };
  }
  /** The messages in the mailbox, as Dovecot keeps them (new/ and cur/). */
  async function mailboxFiles(): Promise<string[]> {
    const names = await Promise.all(['new', 'cur'].map(async (sub) => (await readdir(join(dovecot.maildir, sub))).map((f) => join(dovecot.maildir, sub, f))));
    return names.flat();
  }
  async function waitForMailbox(count: number): Promise<string[]> {
    const deadline = Date.now() + 20_000;
    for (;;) {
      const files = await mailboxFiles();
      if (files.length >= count) return files;
      if (Date.now() > deadline) throw new Error(`the bounce mailbox holds ${files.length} message(s) after 20 s, not ${count}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  let shares = 0;
  /** A share with ghost, rendered and sent; resolves with the id of the mail it queued. */
  async function shareWithGhost(): Promise<number> {
    shares++;
    const reply = await api('POST', '/api/v1/events', { events: [{ id: `pop3-share-${shares}`, type: 'share.created', actor: 'admin', affected: ['ghost'], object: { type: 'file', id: String(shares), name: `Plan ${shares}.pdf` } }] });
    assert.equal(reply.status, 202);
    await deliverQueued(ctx);
    const [row] = (await ctx.outbox.list({ limit: 1 })) as Array<{ id: number; recipients: string[]; state: string }>;
    assert.deepEqual([row?.recipients, row?.state], [['ghost@example.org'], 'sent']);
    return row?.id as number;
  }
  const bouncesOf = async (id: number) => (await api<{ bounces: Bounce[] }>('GET', `/api/v1/outbox/${id}`)).body.bounces;

  it('mailroom bounce:fetch reads the real DSN from the mailbox, records it on its mail, and deletes it', async () => {
    const id = await shareWithGhost();
    const [dsn] = await waitForMailbox(1);
    assert.match(await readFile(dsn as string, 'latin1'), /report-type=delivery-status/);
    assert.deepEqual(await bouncesOf(id), []);

    const fetched = await runMailroom(['bounce:fetch'], { cwd: dir, env });
    assert.equal(fetched.code, 0, fetched.stderr);
    assert.equal(fetched.stdout.trim(), '1 message(s) fetched and deleted: 1 recorded, 0 ignored');

    const [bounce] = await bouncesOf(id);
    assert.deepEqual([bounce?.address, bounce?.kind, bounce?.status, bounce?.reportingMta], ['ghost@example.org', 'hard', '5.1.1', 'localhost']);
    assert.match(bounce?.diagnostic ?? '', /unknown user: "ghost@example\.org"/);
    assert.deepEqual(await mailboxFiles(), [], 'the bounce is gone from the mailbox');

    const again = await runMailroom(['bounce:fetch', '--json'], { cwd: dir, env });
    assert.deepEqual(JSON.parse(again.stdout), { fetched: 0, recorded: 0, ignored: 0, left: 0 });
  });

  it("a worker's poll fetches it too, at start and then every mail_bounce_pop3_interval", async () => {
    const id = await shareWithGhost();
    await waitForMailbox(1);
    const poller = ctx.createBounceMailboxPoller();
    poller.start();
    try {
      const deadline = Date.now() + 20_000;
      while ((await bouncesOf(id)).length === 0) {
        if (Date.now() > deadline) throw new Error(`the poll recorded no bounce for mail #${id} in 20 s`);
        await new Promise((r) => setTimeout(r, 100));
      }
    } finally {
      await poller.stop();
    }
    assert.equal((await bouncesOf(id))[0]?.kind, 'hard');
    assert.deepEqual(await mailboxFiles(), []);
    // Two hard bounces on two days would be 4; on the same day the address counts once.
    const scores = (await api<{ addresses: Array<{ address: string; score: number }> }>('GET', '/api/v1/bounces')).body.addresses;
    assert.deepEqual(
      scores.map((s) => [s.address, s.score]),
      [['ghost@example.org', 2]],
    );
  });

  it('STLS on the plain port works as well; a message that is no bounce is ignored and still deleted', async () => {
    await dovecot.save(notABounce(1));
    await ctx.settings.update({ mail_bounce_pop3_tls: 'starttls', mail_bounce_pop3_port: dovecot.pop3Port });
    try {
      assert.deepEqual(await ctx.bounceMailbox.fetch(), { fetched: 1, recorded: 0, ignored: 1, left: 0 });
    } finally {
      await ctx.settings.update({ mail_bounce_pop3_tls: 'ssl', mail_bounce_pop3_port: dovecot.pop3sPort });
    }
    assert.deepEqual(await mailboxFiles(), []);
  });

  it('a wrong password fails with bounce_mailbox_auth_failed and exit code 1, never shows the password, and leaves the mail', async () => {
    await dovecot.save(notABounce(2));
    await ctx.settings.update({ mail_bounce_pop3_password: 'wrong-pass-91c2' });
    try {
      const result = await runMailroom(['bounce:fetch'], { cwd: dir, env: { ...env, MAILROOM_LOG_LEVEL: 'debug' } });
      assert.equal(result.code, 1);
      assert.match(result.stderr, /bounce_mailbox_auth_failed/);
      assert.match(result.stderr, /refused the user name or password of the bounce mailbox \(mail_bounce_pop3_user "bounces", mail_bounce_pop3_password\)/);
      assert.doesNotMatch(result.stdout + result.stderr, /wrong-pass-91c2|pop-secret-7f3a/);
      const shown = await runMailroom(['config:get', 'mail_bounce_pop3_password'], { cwd: dir, env });
      assert.doesNotMatch(shown.stdout + shown.stderr, /wrong-pass-91c2/);
    } finally {
      await ctx.settings.update({ mail_bounce_pop3_password: dovecot.pass });
    }
    assert.equal((await mailboxFiles()).length, 1, 'the message waits for the next fetch');
    assert.deepEqual(await ctx.bounceMailbox.fetch(), { fetched: 1, recorded: 0, ignored: 1, left: 0 });
  });

  it('without a mailbox set, bounce:fetch says which settings are missing', async () => {
    const bare = await mkdtemp(join(tmpdir(), 'mailroom-bounce-pop3-bare-'));
    try {
      const result = await runMailroom(['bounce:fetch'], { cwd: bare, env: { MAILROOM_SECRET_KEY: key } });
      assert.equal(result.code, 1);
      assert.match(result.stderr, /bounce_mailbox_not_configured/);
      assert.match(result.stderr, /mail_bounce_pop3_host, mail_bounce_pop3_user and mail_bounce_pop3_password/);
    } finally {
      await rm(bare, { recursive: true, force: true });
    }
  });

  it('a message that cannot be recorded (the database away) stays in the mailbox, with the ones after it; those before are deleted', async () => {
    for (const n of [3, 4, 5]) await dovecot.save(notABounce(n));
    const seen: string[] = [];
    const mailbox = createBounceMailbox({
      settings: ctx.settings,
      open: openPop3,
      readCa: (path) => readFile(path, 'utf8'),
      log: createLogger({ level: 'silent' }),
      // The one part that cannot be real: a database that fails on the second message.
      receive: async (raw) => {
        const subject = /Subject: (.*)\r\n/.exec(raw.toString('latin1'))?.[1] ?? '';
        seen.push(subject);
        if (seen.length === 2) throw new Error('the database is away');
        return { outcome: 'ignored', reason: 'not_a_bounce' };
      },
    });
    await assert.rejects(mailbox.fetch(), /the database is away/);
    assert.deepEqual(seen, ['hello 3', 'hello 4']);
    const left = await Promise.all((await mailboxFiles()).map(async (f) => /Subject: (.*)\r?\n/.exec(await readFile(f, 'latin1'))?.[1]));
    assert.deepEqual(left.sort(), ['hello 4', 'hello 5']);
    assert.deepEqual(await ctx.bounceMailbox.fetch(), { fetched: 2, recorded: 0, ignored: 2, left: 0 });
  });

  it('a POP3 session that ends without QUIT deletes nothing', async () => {
    await dovecot.save(notABounce(6));
    const session = await openPop3({ host: '127.0.0.1', port: dovecot.pop3sPort, tls: 'ssl', user: dovecot.user, password: dovecot.pass, ca: await readFile(dovecot.certPath, 'utf8') });
    const [first] = await session.list();
    await session.delete(first?.number as number);
    session.close();
    await new Promise((r) => setTimeout(r, 300));
    assert.equal((await mailboxFiles()).length, 1);
    assert.deepEqual(await ctx.bounceMailbox.fetch(), { fetched: 1, recorded: 0, ignored: 1, left: 0 });
  });
});

describe('a POP3 server that never ends a line', () => {
  it('is dropped with bounce_mailbox_protocol_error once the line passes 1 MiB, not read into memory forever', async () => {
    const { createServer } = await import('node:net');
    let sent = 0;
    const server = createServer((socket) => {
      const chunk = Buffer.alloc(64 * 1024, 0x41);
      const pump = () => {
        // Far more than the limit, with no CRLF: a client without one would hold all of it.
        while (sent < 64 * 1024 * 1024 && socket.write(chunk)) sent += chunk.length;
        if (sent < 64 * 1024 * 1024) socket.once('drain', pump);
      };
      socket.on('error', () => undefined);
      pump();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as { port: number }).port;
    try {
      await assert.rejects(openPop3({ host: '127.0.0.1', port, tls: 'starttls', user: 'u', password: 'p', timeoutMs: 10_000 }), (error: Error & { code?: string }) => {
        assert.equal(error.code, 'bounce_mailbox_protocol_error');
        assert.match(error.message, /sent a line longer than 1 MiB/);
        return true;
      });
      assert.ok(sent < 16 * 1024 * 1024, `the client stopped reading after ${sent} bytes`);
    } finally {
      server.close();
    }
  });
});
