/**
 * The bounce tables on both dialects: a bounce is kept beside its mail, the score of an address
 * is read and written in one transaction (a soft and a hard bounce of one address recorded at
 * the same moment end at the hard one's weight, whichever commits first), suppression reads the
 * threshold and the decay, and a clear forgets the score but not the bounces.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createBounceRepo } from '../../src/db/bounce-repo.ts';
import { createOutboxRepo } from '../../src/db/outbox-repo.ts';
import { dialects } from '../support/dialects.ts';

const DAY = 24 * 3600_000;
const now = Date.parse('2026-12-07T10:00:00Z');

for (const dialect of dialects()) {
  describe(`bounce repository (${dialect.name})`, () => {
    async function setUp() {
      const database = await dialect.open();
      const outbox = createOutboxRepo(database.db, database.dialect);
      const [queued] = await outbox.enqueue([{ messageId: '<m1@cloud.example.com>', kind: 'share', envelopeFrom: 'mailroom@cloud.example.com', recipients: ['Lin@Example.org'], subject: 'Plan', raw: Buffer.from('Subject: Plan\r\n\r\nHello\r\n'), idempotencyKey: null }], now);
      return { repo: createBounceRepo(database.db, database.dialect), mailId: queued?.id as number };
    }
    const bounce = (mailId: number, address: string, kind: 'hard' | 'soft' | 'policy', receivedAt = now) => ({
      mailId,
      address,
      kind,
      format: 'dsn',
      action: kind === 'soft' ? 'delayed' : 'failed',
      status: kind === 'soft' ? '4.4.1' : kind === 'hard' ? '5.1.1' : '5.7.26',
      diagnostic: 'said',
      reportingMta: 'mx.example.org',
      receivedAt,
    });

    it('reads the mail a VERP address names', async () => {
      const { repo, mailId } = await setUp();
      assert.deepEqual(await repo.mail(mailId), { id: mailId, kind: 'share', recipients: ['Lin@Example.org'], raw: 'Subject: Plan\r\n\r\nHello\r\n' });
      assert.equal(await repo.mail(mailId + 1000), undefined);
    });

    it('keeps each bounce beside its mail, and counts a soft and a hard bounce recorded at once as the hard one', async () => {
      const { repo, mailId } = await setUp();
      const addresses = Array.from({ length: 8 }, (_, i) => `user${i}@example.org`);
      await Promise.all(addresses.flatMap((a) => [repo.record(bounce(mailId, a, 'soft'), 1), repo.record(bounce(mailId, a, 'hard'), 2)]));
      const scores = await repo.scores(now);
      assert.deepEqual(
        scores.map((s) => [s.address, s.score]),
        addresses.map((a) => [a, 2]),
      );
      assert.equal((await repo.forMail(mailId)).length, 16);
      assert.deepEqual(await repo.countsByKind(), { soft: 8, hard: 8 });
    });

    it('a policy bounce is kept and warned about, never scored', async () => {
      const { repo, mailId } = await setUp();
      const { score } = await repo.record(bounce(mailId, 'lin@example.org', 'policy'), 0);
      assert.equal(score, null);
      assert.deepEqual(await repo.scores(now), []);
      assert.deepEqual(
        (await repo.recentOfKind('policy', now - DAY, 10)).map((b) => [b.address, b.status, b.reportingMta]),
        [['lin@example.org', '5.7.26', 'mx.example.org']],
      );
      assert.deepEqual(await repo.recentOfKind('policy', now + 1, 10), []);
    });

    it('suppresses at the threshold until the score decays, 30 days after the last bounce, or is cleared', async () => {
      const { repo, mailId } = await setUp();
      await repo.record(bounce(mailId, 'lin@example.org', 'hard'), 2);
      await repo.record(bounce(mailId, 'lin@example.org', 'hard', now + DAY), 2);
      const at = now + DAY;
      assert.deepEqual([...(await repo.atOrAbove(['lin@example.org', 'other@example.org'], 4, at))], ['lin@example.org']);
      assert.deepEqual([...(await repo.atOrAbove(['lin@example.org'], 5, at))], []);
      assert.deepEqual([...(await repo.atOrAbove(['lin@example.org'], 4, at + 30 * DAY))], [], 'decayed');
      assert.equal(await repo.clear('lin@example.org'), true);
      assert.equal(await repo.clear('lin@example.org'), false);
      assert.deepEqual([...(await repo.atOrAbove(['lin@example.org'], 1, at))], []);
      assert.equal((await repo.forMail(mailId)).length, 2, 'the bounces stay with the mail');
    });
  });
}
