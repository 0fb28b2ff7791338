/**
 * A Mailroom process that queues mails one at a time, for as long as it runs, and prints the
 * outbox id of each as soon as its transaction has committed: what a busy `serve` does to the
 * database while an admin takes a backup. Run with `node --import tsx`, the install's
 * environment, and argv[2] as a tag put into each subject. Stops at SIGTERM after the mail it
 * is queueing.
 */
import { buildContext } from '../../src/main.ts';

const tag = process.argv[2] ?? 'writer';
const ctx = await buildContext({ logLevel: 'silent' });
let stopping = false;
process.once('SIGTERM', () => {
  stopping = true;
});
// Big enough that every mail writes pages of its own, as real mails do.
const body = 'A line of the mail queued while the backup runs.\n'.repeat(40);
// At most a minute, should the test that started it be gone.
const until = Date.now() + 60_000;
for (let n = 1; !stopping && Date.now() < until; n++) {
  // A pause between mails: better-sqlite3 answers without waiting on I/O, so without one the
  // SIGTERM handler would never run (and the database would grow by megabytes a second).
  await new Promise((resolve) => setTimeout(resolve, 1));
  const [queued] = await ctx.outbox.send([{ to: `backup-${n}@example.org`, subject: `${tag} ${n}`, text: body }]);
  process.stdout.write(`${queued?.id}\n`);
}
await ctx.close();
