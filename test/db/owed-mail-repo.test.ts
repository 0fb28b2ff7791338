import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createOutboxRepo } from '../../src/db/outbox-repo.ts';
import type { NewOutboxRow } from '../../src/domain/outbox.ts';
import { createOwedMailRepo } from '../../src/db/owed-mail-repo.ts';
import { dialects } from '../support/dialects.ts';

const row = (key: string): NewOutboxRow => ({ messageId: `<${key}@example.com>`, kind: 'share', envelopeFrom: 'mailroom@example.com', recipients: [`${key}@example.com`], subject: key, raw: Buffer.from('From: x\r\n\r\nbody'), idempotencyKey: key });

for (const dialect of dialects()) {
  describe(`owed mails on ${dialect.name}`, () => {
    it('owes a key once; a worker whose lease ran out settles nothing, and its mails are queued once by the worker that took them over', async () => {
      const database = await dialect.open();
      const owed = createOwedMailRepo(database.db, database.dialect);
      const outbox = createOutboxRepo(database.db, database.dialect);
      assert.equal(
        (
          await owed.owe(
            [
              { kind: 'share', key: 'k1', payload: '{}' },
              { kind: 'share', key: 'k2', payload: '{}' },
            ],
            1000,
          )
        ).length,
        2,
      );
      assert.equal((await owed.owe([{ kind: 'share', key: 'k1', payload: '{}' }], 1001)).length, 0, 'a key owed before adds nothing');

      const a = await owed.claim({ owner: 'a', now: 2000, leaseExpiresAt: 3000, limit: 10 });
      assert.deepEqual(
        a.map((m) => m.key),
        ['k1', 'k2'],
      );
      assert.equal((await owed.claim({ owner: 'b', now: 2500, leaseExpiresAt: 3500, limit: 10 })).length, 0, 'held by a');
      // a stalls past its lease; b takes both over and queues them.
      const b = await owed.claim({ owner: 'b', now: 3001, leaseExpiresAt: 4001, limit: 10 });
      assert.deepEqual(
        b.map((m) => [m.key, m.attempts]),
        [
          ['k1', 2],
          ['k2', 2],
        ],
      );
      const queued = await owed.settle({ owner: 'b', now: 3100, rendered: b.map((m) => ({ id: m.id, row: row(m.key) })), failed: [] });
      assert.equal(queued.queued.length, 2);
      assert.deepEqual(queued.leased, [], 'queued unclaimed without a lease');
      // a wakes up and settles what it rendered: nothing is queued twice.
      assert.deepEqual(await owed.settle({ owner: 'a', now: 3200, rendered: a.map((m) => ({ id: m.id, row: row(m.key) })), failed: [] }), { queued: [], leased: [] });
      assert.equal((await outbox.counts())['queued'], 2);
      assert.deepEqual(await owed.counts(), { owed: 0, failed: 0 });
    });

    it('queues rendered mails already claimed by the worker that hands them to its senders; a mail held for later is queued unclaimed', async () => {
      const database = await dialect.open();
      const owed = createOwedMailRepo(database.db, database.dialect);
      const outbox = createOutboxRepo(database.db, database.dialect);
      await owed.owe(
        [
          { kind: 'share', key: 'now1', payload: '{}' },
          { kind: 'share', key: 'now2', payload: '{}' },
          { kind: 'share', key: 'later', payload: '{}' },
        ],
        1000,
      );
      const mine = await owed.claim({ owner: 'w', now: 2000, leaseExpiresAt: 3000, limit: 10 });
      const rows = mine.map((m) => ({ id: m.id, row: m.key === 'later' ? { ...row(m.key), notBefore: 9000 } : row(m.key) }));
      const settled = await owed.settle({ owner: 'w', now: 2100, rendered: rows, failed: [], lease: { owner: 'w', expiresAt: 5000 } });
      assert.equal(settled.queued.length, 3);
      assert.deepEqual(
        settled.leased.map((m) => [m.subject, m.attempts, m.recipients]),
        [
          ['now1', 1, ['now1@example.com']],
          ['now2', 1, ['now2@example.com']],
        ],
      );
      assert.deepEqual(await outbox.counts(), { queued: 1, sending: 2, sent: 0, failed: 0, cancelled: 0 });
      assert.deepEqual(await outbox.claim({ owner: 'other', now: 9500, leaseExpiresAt: 9600, limit: 10 }).then((c) => c.map((m) => m.subject)), ['later'], 'another worker cannot take the handed mails while the lease holds');
      // The lease is the handing worker's: it can renew it until it runs out and is reaped.
      const ids = settled.leased.map((m) => m.id);
      assert.deepEqual((await outbox.extendLease(ids, 'other', 9999)).length, 0);
      assert.deepEqual((await outbox.extendLease(ids, 'w', 6000)).sort(), [...ids].sort());
      assert.equal(await outbox.reapExpired(6001), 2, 'a worker that died holding them gives them back');
      assert.deepEqual(await outbox.extendLease(ids, 'w', 9000), [], 'a reaped mail is no longer held');
    });

    it('keeps a mail that failed to render with its code until it is retried; a transient failure is owed again', async () => {
      const database = await dialect.open();
      const owed = createOwedMailRepo(database.db, database.dialect);
      await owed.owe(
        [
          { kind: 'share', key: 'bad', payload: '{}' },
          { kind: 'welcome', key: 'slow', payload: '{}' },
        ],
        1000,
      );
      const claimed = await owed.claim({ owner: 'a', now: 2000, leaseExpiresAt: 3000, limit: 10 });
      const [bad, slow] = claimed as [(typeof claimed)[number], (typeof claimed)[number]];
      await owed.settle({
        owner: 'a',
        now: 2100,
        rendered: [],
        failed: [
          { id: bad.id, code: 'template_render_budget', message: 'too much work' },
          { id: slow.id, code: 'template_render_timeout', message: 'stopped', again: true },
        ],
      });
      assert.deepEqual(await owed.counts(), { owed: 1, failed: 1 });
      assert.deepEqual(
        (await owed.failed(10)).map((f) => [f.kind, f.code, f.message]),
        [['share', 'template_render_budget', 'too much work']],
      );
      assert.deepEqual(
        (await owed.claim({ owner: 'b', now: 2200, leaseExpiresAt: 3200, limit: 10 })).map((m) => m.key),
        ['slow'],
        'the failed one is not claimed',
      );
      assert.equal(await owed.retryFailed(2300), 1);
      assert.deepEqual(
        (await owed.claim({ owner: 'c', now: 2400, leaseExpiresAt: 3400, limit: 10 })).map((m) => m.key),
        ['bad'],
      );
    });
    it('finds a mail by its key wherever it is: owed or being rendered, failed with its code, or queued with its outbox id', async () => {
      const database = await dialect.open();
      const owed = createOwedMailRepo(database.db, database.dialect);
      const outbox = createOutboxRepo(database.db, database.dialect);
      await owed.owe(
        [
          { kind: 'welcome', key: 'welcome:a', payload: '{}' },
          { kind: 'welcome', key: 'welcome:b', payload: '{}' },
        ],
        1000,
      );
      assert.deepEqual(await owed.byKey('welcome:a'), { state: 'owed' });
      const claimed = await owed.claim({ owner: 'w', now: 2000, leaseExpiresAt: 3000, limit: 10 });
      const [a, b] = claimed as [(typeof claimed)[number], (typeof claimed)[number]];
      assert.deepEqual(await owed.byKey('welcome:a'), { state: 'owed' }, 'being rendered is still owed');
      await owed.settle({ owner: 'w', now: 2100, rendered: [{ id: a.id, row: row(a.key) }], failed: [{ id: b.id, code: 'template_render_budget', message: 'too much work' }] });
      assert.equal(await owed.byKey('welcome:a'), undefined, 'rendered: no longer owed');
      const id = await outbox.idByKey('welcome:a');
      assert.ok(id !== undefined && (await outbox.get(id))?.subject === 'welcome:a', 'queued under the same key');
      assert.deepEqual(await owed.byKey('welcome:b'), { state: 'failed', code: 'template_render_budget', message: 'too much work' });
      assert.equal(await outbox.idByKey('welcome:b'), undefined);
      assert.equal(await owed.byKey('welcome:none'), undefined);
      assert.equal(await outbox.idByKey('welcome:none'), undefined);
    });
  });
}
