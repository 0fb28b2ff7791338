/**
 * The attempt windows behind the sign-in and reset limits, on both dialects: a take is one
 * statement, so callers racing for the last places never get more than the limit between them.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createAttemptRepo } from '../../src/db/attempt-repo.ts';
import { dialects } from '../support/dialects.ts';

const WINDOW = 15 * 60_000;

for (const dialect of dialects()) {
  describe(`attempt windows (${dialect.name})`, () => {
    it('grants exactly the limit to 50 takes at once, each a different count', async () => {
      const repo = createAttemptRepo((await dialect.open()).db);
      const now = 1_000_000;
      const taken = await Promise.all(Array.from({ length: 50 }, () => repo.take('login_account', 'k', { now, windowMs: WINDOW, limit: 5 })));
      const granted = taken.filter((t) => t !== undefined);
      assert.deepEqual(granted.map((t) => t.tries).sort(), [1, 2, 3, 4, 5]);
      assert.deepEqual(await repo.peek('login_account', 'k'), { tries: 5, windowStart: now }, 'refusals are not counted');
    });

    it('opens a new window once the old one is over, and gives a place back only to the window it came from', async () => {
      const repo = createAttemptRepo((await dialect.open()).db);
      const limit = { windowMs: WINDOW, limit: 2 };
      const first = await repo.take('reset_client', 'k', { now: 0, ...limit });
      await repo.take('reset_client', 'k', { now: 1, ...limit });
      assert.equal(await repo.take('reset_client', 'k', { now: WINDOW - 1, ...limit }), undefined, 'full until the window ends');
      assert.deepEqual(await repo.take('reset_client', 'k', { now: WINDOW, ...limit }), { tries: 1, windowStart: WINDOW });
      await repo.release('reset_client', 'k', (first as { windowStart: number }).windowStart);
      assert.deepEqual(await repo.peek('reset_client', 'k'), { tries: 1, windowStart: WINDOW }, 'a place of the old window is not given to the new one');
      await repo.release('reset_client', 'k', WINDOW);
      assert.deepEqual(await repo.peek('reset_client', 'k'), { tries: 0, windowStart: WINDOW });
      assert.equal(await repo.peek('reset_account', 'k'), undefined, 'buckets are apart');
      await repo.prune(WINDOW);
      assert.equal(await repo.peek('reset_client', 'k'), undefined, 'pruned');
    });
  });
}
