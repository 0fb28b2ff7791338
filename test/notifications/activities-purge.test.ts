/**
 * `activities:purge`: old activities, digests and events are forgotten, what still waits for its
 * digest is kept, and an event id older than the purge is new again. Real SQLite, a fake clock
 * (the real one plus an offset), and the real command for its output and exit codes.
 */
import assert from 'node:assert/strict';
import { mkdtemp, realpath, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { AppContext } from '../../src/context.ts';
import { startTestMailroom, type TestMailroom } from '../support/test-mailroom.ts';
import { mailroomOk, runMailroom } from '../support/run-mailroom.ts';

const DAY = 86_400_000;

describe('activities:purge', () => {
  let mailroom: TestMailroom;
  let ctx: AppContext;
  let offsetMs = 0;
  const clock = { now: () => new Date(Date.now() + offsetMs) };

  before(async () => {
    mailroom = await startTestMailroom({ prefix: 'mailroom-activities-purge-', clock });
    ctx = mailroom.ctx;
    await ctx.users.add({ uid: 'alice', email: 'alice@example.org', invite: false });
    await ctx.users.add({ uid: 'bob', email: null });
  });
  after(async () => {
    await mailroom?.close();
  });

  const changed = (id: string) => ({ id, type: 'file.changed' as const, actor: 'bob', affected: ['alice'], object: { type: 'file' as const, id: '7', name: `${id}.txt` } });
  const streamOf = async (uid: string) => (await ctx.preferences.stream(uid, { limit: 50, language: 'en' })).map((a) => a.object.name);

  it('forgets what was mailed or never will be, keeps what waits for a digest, and lets an old event id be recorded again', async () => {
    await ctx.events.ingest([changed('old-mailed')]);
    assert.equal((await ctx.digests.runDue({ all: true })).digests, 1, "alice's digest takes the first activity");
    await ctx.events.ingest([{ ...changed('old-stream-only'), affected: ['bob'], actor: 'alice' }]);
    await ctx.events.ingest([changed('old-pending')]);
    offsetMs += 91 * DAY;
    await ctx.events.ingest([changed('recent')]);

    const removed = await ctx.events.purge(90);
    // Each old event left an activity for the affected user and one for the actor (their own
    // action): 6, of which only alice's from old-pending still waits for a digest.
    assert.deepEqual(removed, { activities: 5, digests: 1, events: 2, linkMails: 0 });
    assert.deepEqual((await streamOf('alice')).sort(), ['old-pending.txt', 'recent.txt']);
    assert.deepEqual(await streamOf('bob'), ['recent.txt'], "bob's own old actions are gone, his recent one stays");

    const again = await ctx.events.ingest([changed('old-mailed'), changed('old-pending')]);
    assert.deepEqual(
      again.events.map((e) => e.duplicate),
      [false, true],
      'a purged id is new again; one whose activity was kept is still known',
    );
    assert.deepEqual(await ctx.events.purge(90), { activities: 0, digests: 0, events: 0, linkMails: 0 }, 'nothing more to purge');
  });

  it('the command prints what it removed, and refuses an age that is not a whole number of days', async () => {
    const cwd = await realpath(await mkdtemp(join(tmpdir(), 'mailroom-activities-purge-cli-')));
    try {
      const ok = await mailroomOk(['activities:purge', '--older-than', '30'], { cwd });
      assert.equal(ok.stdout, '0 activities, 0 digest(s), 0 event(s) and 0 public-link record(s) removed\n');
      for (const bad of ['0', 'ten', '-3']) {
        const refused = await runMailroom(['activities:purge', '--older-than', bad], { cwd });
        assert.equal(refused.code, 2, refused.stderr);
        assert.match(refused.stderr, /--older-than must be a whole number of 1 or more/);
      }
    } finally {
      await rm(cwd, { recursive: true, force: true });
    }
  });
});
