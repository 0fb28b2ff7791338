import assert from 'node:assert/strict';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { dkimVerify } from 'mailauth/lib/dkim/verify.js';
import { SMTPServer } from 'smtp-server';
import { createMailroom, type Mailroom } from '../../src/index.ts';
import { createOutboxRepo } from '../../src/db/outbox-repo.ts';
import { openDatabase, type Database } from '../../src/db/database.ts';
import { createRateLimiter } from '../../src/outbox/rate-limiter.ts';
import { OutboxWorker } from '../../src/outbox/outbox-worker.ts';
import { createOutboxMetrics } from '../../src/outbox/outbox-metrics.ts';
import { createTransportFactory } from '../../src/transport/create-transport.ts';
import { createHostHealth } from '../../src/transport/host-health.ts';
import { createLogger } from '../../src/log/logger.ts';
import { settingsWith } from '../support/mail-fixtures.ts';
import { createSecretBox } from '../../src/config/secret-box.ts';

describe('the rate limit', () => {
  it('lets mails out evenly at mail_ratelimit a minute, after a first second of burst', async () => {
    let now = 0;
    const slept: number[] = [];
    const limiter = createRateLimiter({
      perMinute: () => 120,
      clock: { now: () => new Date(now) },
      sleep: async (ms) => {
        slept.push(ms);
        now += ms;
      },
    });
    const times: number[] = [];
    for (let i = 0; i < 6; i++) {
      await limiter.take();
      times.push(now);
    }
    // 120 a minute is 2 a second: two at once, then one every 500 ms.
    assert.deepEqual(times, [0, 0, 500, 1000, 1500, 2000]);
  });

  it('does not wait at all without a limit', async () => {
    let slept = false;
    const limiter = createRateLimiter({ perMinute: () => 0, clock: { now: () => new Date(0) }, sleep: async () => void (slept = true) });
    for (let i = 0; i < 100; i++) await limiter.take();
    assert.equal(slept, false);
  });
});

describe('a mail to several recipients', () => {
  let server: SMTPServer;
  let port: number;
  let dir: string;
  let database: Database;

  before(async () => {
    server = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS'],
      onRcptTo(address, _session, callback) {
        if (address.address.startsWith('nobody')) callback(Object.assign(new Error('5.1.1 No such user'), { responseCode: 550 }));
        else callback();
      },
      onData(stream, _session, callback) {
        stream.resume();
        stream.on('end', () => callback());
      },
    });
    server.on('error', () => undefined);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.server.address() as { port: number }).port;
    dir = await mkdtemp(join(tmpdir(), 'mailroom-rcpt-'));
    database = await openDatabase({ dataDir: dir });
  });
  after(async () => {
    await database.close();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await rm(dir, { recursive: true, force: true });
  });

  it('is sent, with the refused recipient and its reply kept', async () => {
    const repo = createOutboxRepo(database.db, 'sqlite');
    const [row] = await repo.enqueue([{ messageId: '<multi@example.com>', kind: 'message', envelopeFrom: 'cloud@example.com', recipients: ['alice@example.com', 'nobody@example.com'], subject: 'to two', raw: Buffer.from('Subject: to two\r\n\r\nhi\r\n'), idempotencyKey: null }], Date.now());
    const settings = settingsWith({ mail_smtpmode: 'smtp', mail_smtphost: `127.0.0.1:${port}`, mail_smtptimeout: 5 });
    const clock = { now: () => new Date() };
    const worker = new OutboxWorker({
      store: repo,
      settings: { get: async () => settings },
      createTransport: (s) => createTransportFactory({ hostHealth: createHostHealth({ clock }), captureStore: { save: async () => 0 }, clock }).create(s),
      clock,
      random: () => 0.5,
      sleep: (ms, signal) =>
        new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, ms);
          signal?.addEventListener('abort', () => (clearTimeout(timer), resolve()), { once: true });
        }),
      log: createLogger({ level: 'silent' }),
      metrics: createOutboxMetrics(),
      secretBox: createSecretBox(randomBytes(32)),
      workerId: 'test',
      options: { batchSize: 10, lanes: 1, leaseMs: 60_000, idleMs: 10 },
    });
    assert.equal(await worker.runOnce(), 1);
    await worker.stop();
    const mail = await repo.get(row?.id as number);
    assert.equal(mail?.state, 'sent');
    assert.deepEqual(mail?.recipientResults, [
      { address: 'alice@example.com', status: 'accepted' },
      { address: 'nobody@example.com', status: 'rejected', reply: '550 5.1.1 No such user' },
    ]);
  });
});

describe('the library', () => {
  let dir: string;
  let mailroom: Mailroom;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'mailroom-lib-'));
    mailroom = await createMailroom({ env: { MAILROOM_DATA_DIR: dir, MAILROOM_CONFIG: join(dir, 'none.json') }, logLevel: 'silent' });
  });
  after(async () => {
    await mailroom.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('queues mails, refuses a bad one with its code, and delivers in capture mode until a server is set', async () => {
    const [first, again] = [await mailroom.enqueue([{ to: 'alice@example.com', subject: 'Hi', text: 'Hello', key: 'hi-1' }]), await mailroom.enqueue([{ to: 'alice@example.com', subject: 'Hi', text: 'Hello', key: 'hi-1' }])];
    assert.equal(again[0]?.id, first[0]?.id);
    assert.equal(again[0]?.duplicate, true);
    await assert.rejects(mailroom.enqueue([{ to: 'x@', subject: 'Hi', text: 'x' }]), { code: 'invalid_address' });
    const worker = mailroom.startWorker();
    for (let i = 0; i < 200 && (await mailroom.context.outbox.pending()) > 0; i++) await new Promise((r) => setTimeout(r, 20));
    await worker.stop();
    assert.deepEqual(await mailroom.context.outbox.counts(), { queued: 0, sending: 0, sent: 1, failed: 0, cancelled: 0 });
  });

  it('DKIM-signs what enqueue() queues once DKIM is set up', async () => {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const publicB64 = publicKey.export({ type: 'spki', format: 'der' }).toString('base64');
    const resolver = async (name: string, rr: string) => {
      if (name === 'lib._domainkey.example.com' && rr === 'TXT') return [[`v=DKIM1; k=rsa; p=${publicB64}`]];
      throw Object.assign(new Error(`no ${rr} record for ${name}`), { code: 'ENOTFOUND' });
    };
    await mailroom.context.settings.update({ mail_dkim_domain: 'example.com', mail_dkim_selector: 'lib', mail_dkim_private_key: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString() });
    try {
      const [queued] = await mailroom.enqueue([{ to: 'carol@example.com', subject: 'Signed', html: '<p>Hello Carol</p>' }]);
      const { raw } = await mailroom.context.outbox.show(queued?.id as number);
      const result = await dkimVerify(Buffer.from(raw, 'latin1'), { resolver });
      assert.equal(result.results[0]?.status.result, 'pass', JSON.stringify(result.results[0]?.status));
    } finally {
      await mailroom.context.settings.update({ mail_dkim_domain: '', mail_dkim_selector: '', mail_dkim_private_key: '' });
    }
  });

  it('records events: a share mails the recipient once, a repeated id is a duplicate, a bad event is refused with its code', async () => {
    await mailroom.context.users.add({ uid: 'lib-alice', email: 'lib-alice@example.com', display_name: 'Alice', invite: false });
    await mailroom.context.users.add({ uid: 'lib-bob', email: 'lib-bob@example.com', invite: false });
    const share = { id: 'lib-share-1', type: 'share.created' as const, actor: 'lib-alice', affected: ['lib-bob'], object: { type: 'file' as const, id: '7', name: 'Plan.odt' } };
    const first = await mailroom.emit([share]);
    const again = await mailroom.emit([share]);
    assert.deepEqual(first.events, [{ id: 'lib-share-1', duplicate: false }]);
    assert.equal(first.mails, 1);
    assert.deepEqual(again, { events: [{ id: 'lib-share-1', duplicate: true }], activities: 0, mails: 0 });
    // The mail is owed: a worker renders it into the outbox.
    const worker = mailroom.startWorker();
    for (let i = 0; i < 200 && (await mailroom.context.outbox.pending()) > 0; i++) await new Promise((r) => setTimeout(r, 20));
    await worker.stop();
    const shares = (await mailroom.context.outbox.list({})) as Array<{ kind: string; recipients: string[]; subject: string }>;
    assert.deepEqual(
      shares.filter((m) => m.kind === 'share').map((m) => [m.recipients, m.subject]),
      [[['lib-bob@example.com'], 'Alice shared »Plan.odt« with you']],
    );
    // The library takes unchecked input, like the API: an unknown type is refused by name.
    await assert.rejects(mailroom.emit([{ ...share, id: 'lib-x', type: 'file.moved' } as unknown as typeof share]), { code: 'event_type_unknown' });
  });
});
