import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createOutboxRepo } from '../../src/db/outbox-repo.ts';
import type { NewOutboxRow } from '../../src/domain/outbox.ts';
import { dialects } from '../support/dialects.ts';

const mail = (i: number, key: string | null = null): NewOutboxRow => ({
  messageId: `<${i}@example.test>`,
  kind: 'message',
  envelopeFrom: 'sender@example.test',
  recipients: [`r${i}@example.test`],
  subject: `mail ${i}`,
  raw: Buffer.from(`Subject: mail ${i}\r\n\r\nbody ${i}\r\n`),
  idempotencyKey: key,
});

for (const dialect of dialects()) {
  describe(`outbox repository on ${dialect.name}`, () => {
    it('enqueues a batch and gives one mail per idempotency key', async () => {
      const repo = createOutboxRepo((await dialect.open()).db, dialect.name);
      const first = await repo.enqueue([mail(1, 'k1'), mail(2), mail(3, 'k1'), mail(4, 'k4')], 1000);
      assert.equal(first.length, 4);
      assert.equal(first[2]?.id, first[0]?.id);
      assert.deepEqual(
        first.map((r) => r.duplicate),
        [false, false, true, false],
      );
      const again = await repo.enqueue([mail(5, 'k4')], 2000);
      assert.deepEqual(again, [{ id: first[3]?.id, duplicate: true }]);
      assert.deepEqual(await repo.counts(), { queued: 3, sending: 0, sent: 0, failed: 0, cancelled: 0 });
    });

    it('claims due mails once, settles them under the lease, and reaps an expired lease', async () => {
      const repo = createOutboxRepo((await dialect.open()).db, dialect.name);
      await repo.enqueue([mail(1), mail(2), mail(3), { ...mail(4), notBefore: 50_000 }], 1000);
      const a = await repo.claim({ owner: 'w1', now: 2000, leaseExpiresAt: 12_000, limit: 2 });
      const b = await repo.claim({ owner: 'w2', now: 2000, leaseExpiresAt: 12_000, limit: 10 });
      assert.deepEqual(
        a.map((m) => m.subject),
        ['mail 1', 'mail 2'],
      );
      assert.deepEqual(
        b.map((m) => m.subject),
        ['mail 3'],
        'not yet due mail 4 stays',
      );
      assert.equal(a[0]?.attempts, 1);
      const settled = await repo.settle({
        owner: 'w1',
        now: 3000,
        sent: [{ id: a[0]?.id as number, host: '127.0.0.1:25', reply: '250 2.0.0 Ok: queued as ABC', recipientResults: null }],
        failed: [{ id: a[1]?.id as number, attempt: 1, state: 'queued', nextAttemptAt: 63_000, host: '127.0.0.1:25', code: 'smtp_recipient_rejected', message: 'refused', reply: '450 4.2.0 try later' }],
      });
      assert.equal(settled, 2);
      // w2 cannot settle w1's mails
      assert.equal(await repo.settle({ owner: 'w2', now: 3000, sent: [{ id: a[0]?.id as number, host: 'x', reply: 'y', recipientResults: null }], failed: [] }), 0);
      const sent = await repo.get(a[0]?.id as number);
      assert.equal(sent?.state, 'sent');
      assert.equal(sent?.lastReply, '250 2.0.0 Ok: queued as ABC');
      assert.equal(sent?.acceptedBy, '127.0.0.1:25');
      const deferred = await repo.get(a[1]?.id as number);
      assert.equal(deferred?.state, 'queued');
      assert.equal(deferred?.nextAttemptAt, 63_000);
      assert.deepEqual(
        deferred?.history.map((h) => [h.outcome, h.reply]),
        [['deferred', '450 4.2.0 try later']],
      );
      // w2 died: its lease runs out and the mail returns to the queue
      assert.equal(await repo.reapExpired(11_000), 0);
      assert.equal(await repo.reapExpired(13_000), 1);
      const again = await repo.claim({ owner: 'w3', now: 14_000, leaseExpiresAt: 24_000, limit: 10 });
      assert.deepEqual(
        again.map((m) => [m.subject, m.attempts]),
        [['mail 3', 2]],
      );
    });

    it('lists by state, retries failed mails and purges old finished ones', async () => {
      const repo = createOutboxRepo((await dialect.open()).db, dialect.name);
      const [one, two] = await repo.enqueue([mail(1), mail(2)], 1000);
      await repo.claim({ owner: 'w', now: 1000, leaseExpiresAt: 9000, limit: 10 });
      await repo.settle({
        owner: 'w',
        now: 2000,
        sent: [{ id: one?.id as number, host: 'h', reply: '250 ok', recipientResults: null }],
        failed: [{ id: two?.id as number, attempt: 1, state: 'failed', nextAttemptAt: null, host: 'h', code: 'smtp_recipient_rejected', message: 'no such user', reply: '550 5.1.1 unknown' }],
      });
      assert.deepEqual(
        (await repo.list({ state: 'failed', limit: 10 })).map((r) => r.lastReply),
        ['550 5.1.1 unknown'],
      );
      assert.equal(await repo.requeue({ allFailed: true, now: 3000 }), 1);
      assert.deepEqual(await repo.counts(), { queued: 1, sending: 0, sent: 1, failed: 0, cancelled: 0 });
      assert.equal(await repo.purge(2500), 1);
      assert.equal(await repo.get(one?.id as number), undefined);
    });

    it('searches recipients and subjects in any case, takes % and _ literally, and pages the matches', async () => {
      const repo = createOutboxRepo((await dialect.open()).db, dialect.name);
      await repo.enqueue(
        [
          { ...mail(1), recipients: ['Alice.Invoice@Example.test'], subject: 'Welcome' },
          { ...mail(2), recipients: ['bob@example.test'], subject: 'Your INVOICE 17' },
          { ...mail(3), recipients: ['carol@example.test'], subject: '100% done' },
          { ...mail(4), recipients: ['dave@example.test'], subject: '1000 done' },
          { ...mail(5), recipients: ['e_f@example.test'], subject: 'underscore' },
          { ...mail(6), recipients: ['exf@example.test'], subject: 'no underscore' },
          { ...mail(7), recipients: ['back\\slash@example.test'], subject: 'C:\\Temp\\report' },
        ],
        1000,
      );
      const subjects = async (search: string, more: { state?: string; limit?: number; beforeId?: number } = {}) => (await repo.page({ limit: 10, ...more, search })).mails.map((m) => m.subject);
      assert.deepEqual(await subjects('invoice'), ['Your INVOICE 17', 'Welcome'], 'subject and recipient, any case, newest first');
      assert.deepEqual(await subjects('0%'), ['100% done'], '% is a percent sign, not a wildcard');
      assert.deepEqual(await subjects('e_f'), ['underscore'], '_ is an underscore, not any character');
      assert.deepEqual(await subjects('k\\s'), ['C:\\Temp\\report'], 'a backslash in an address');
      assert.deepEqual(await subjects('c:\\temp'), ['C:\\Temp\\report'], 'a backslash in a subject');
      assert.deepEqual(await subjects('nobody'), []);
      assert.deepEqual(await subjects('invoice', { state: 'failed' }), [], 'with the state filter');
      const first = await repo.page({ limit: 1, search: 'invoice' });
      assert.deepEqual(
        first.mails.map((m) => m.subject),
        ['Your INVOICE 17'],
      );
      assert.equal(first.next, first.mails[0]?.id, 'a full page pages on');
      const second = await repo.page({ limit: 1, search: 'invoice', beforeId: first.next as number });
      assert.deepEqual(
        second.mails.map((m) => m.subject),
        ['Welcome'],
      );
      const third = await repo.page({ limit: 1, search: 'invoice', beforeId: second.next as number });
      assert.deepEqual(third, { mails: [], next: null }, 'the end of the outbox');
    });

    it('looks through a window of mails a search page, and says where the search goes on below it', async () => {
      const repo = createOutboxRepo((await dialect.open()).db, dialect.name, { searchWindow: 3 });
      const ids = (
        await repo.enqueue(
          [1, 2, 3, 4, 5, 6, 7].map((i) => ({ ...mail(i), subject: i === 2 || i === 7 ? `match ${i}` : `other ${i}` })),
          1000,
        )
      ).map((r) => r.id);
      // Mails 7, 6, 5 are looked at: one match, and the search goes on below mail 5.
      const first = await repo.page({ limit: 10, search: 'match' });
      assert.deepEqual(
        first.mails.map((m) => m.subject),
        ['match 7'],
      );
      assert.equal(first.next, ids[4]);
      // Mails 4, 3, 2: the other match; below mail 2 there is still mail 1.
      const second = await repo.page({ limit: 10, search: 'match', beforeId: first.next as number });
      assert.deepEqual(
        second.mails.map((m) => m.subject),
        ['match 2'],
      );
      assert.equal(second.next, ids[1]);
      assert.deepEqual(await repo.page({ limit: 10, search: 'match', beforeId: second.next as number }), { mails: [], next: null }, 'mail 1 alone: the end');
    });

    it('makes a queued mail due now, and answers which mails were retried, cancelled or exist', async () => {
      const repo = createOutboxRepo((await dialect.open()).db, dialect.name);
      const [a, b, c] = await repo.enqueue([{ ...mail(1), notBefore: 90_000 }, mail(2), mail(3)], 1000);
      const ids = [a?.id, b?.id, c?.id] as number[];
      const claimed = await repo.claim({ owner: 'w', now: 2000, leaseExpiresAt: 9000, limit: 10 });
      assert.deepEqual(
        claimed.map((m) => m.id),
        [ids[1], ids[2]],
        'mail 1 waits for 90 s',
      );
      await repo.settle({ owner: 'w', now: 3000, sent: [{ id: ids[1] as number, host: 'h', reply: '250 ok', recipientResults: null }], failed: [{ id: ids[2] as number, attempt: 1, state: 'failed', nextAttemptAt: null, host: 'h', code: 'smtp_recipient_rejected', message: 'no', reply: '550 no' }] });
      assert.deepEqual(await repo.sendNow({ ids, now: 4000 }), [ids[0]], 'only the queued one');
      assert.equal((await repo.get(ids[0] as number))?.nextAttemptAt, 4000);
      assert.deepEqual(
        (await repo.claim({ owner: 'w', now: 4000, leaseExpiresAt: 9000, limit: 10 })).map((m) => m.id),
        [ids[0]],
        'due now',
      );
      assert.deepEqual(await repo.requeueIds({ ids, now: 5000 }), [ids[2]], 'only the failed one');
      assert.deepEqual(await repo.cancel({ ids, now: 6000 }), [ids[2]]);
      assert.deepEqual(await repo.requeueIds({ ids: [ids[2] as number], now: 7000 }), [ids[2]], 'a cancelled one is retried too');
      assert.deepEqual(
        [...(await repo.states([...ids, 999_999])).entries()].sort(),
        [
          [ids[0], 'sending'],
          [ids[1], 'sent'],
          [ids[2], 'queued'],
        ].sort(),
      );
    });

    it('releases claimed mails untouched when a worker stops', async () => {
      const repo = createOutboxRepo((await dialect.open()).db, dialect.name);
      await repo.enqueue([mail(1)], 1000);
      const [claimed] = await repo.claim({ owner: 'w', now: 1000, leaseExpiresAt: 9000, limit: 10 });
      await repo.release([claimed?.id as number], 'w', 1500);
      const row = await repo.get(claimed?.id as number);
      assert.deepEqual([row?.state, row?.attempts, row?.leaseOwner], ['queued', 0, null]);
    });
  });
}
