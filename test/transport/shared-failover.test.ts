/**
 * The failover cool-down holds across processes: two Mailroom instances (each with its own
 * context, as a serve and a worker have) on one database, SQLite and PostgreSQL, with a
 * `mail_smtphost` list whose first server is dead and whose second is the real Postfix. The
 * instance that finds the dead server spares the other its timeout, for the minute of the cool-down.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { AppContext } from '../../src/context.ts';
import { buildContext } from '../../src/main.ts';
import { postfixSettings } from '../support/mail-fixtures.ts';
import { freePort, startPostfix, waitForMail, type PostfixServer } from '../support/servers.ts';
import { sharedDatabase, type SharedDatabase } from '../support/shared-database.ts';

for (const dialect of ['sqlite', 'postgres'] as const) {
  describe(`the failover cool-down shared by two processes (${dialect})`, () => {
    let dir: string;
    let postfix: PostfixServer;
    let database: SharedDatabase;
    let deadPort: number;
    const contexts: AppContext[] = [];
    // One clock for both processes, so that the minute of cool-down can pass at once.
    let now = Date.now();
    const clock = { now: () => new Date(now) };

    before(async () => {
      dir = await mkdtemp(join(tmpdir(), `mailroom-shared-failover-${dialect}-`));
      [postfix, deadPort, database] = await Promise.all([startPostfix(), freePort(), sharedDatabase(dialect, dir)]);
      const { env } = database;
      for (let i = 0; i < 2; i++) contexts.push(await buildContext({ env, clock, logLevel: 'silent' }));
      const settings = postfixSettings(postfix);
      await contexts[0]?.settings.update({ ...settings, mail_smtphost: `127.0.0.1:${deadPort};127.0.0.1:${postfix.smtpPort}`, mail_smtptimeout: 5, mail_domain: 'example.com' });
    });

    after(async () => {
      await Promise.all(contexts.map((c) => c.close()));
      await Promise.all([postfix?.stop(), database?.stop()]);
      await rm(dir, { recursive: true, force: true });
    });

    const testMail = (instance: number, to: string) => (contexts[instance] as AppContext).mailTest.sendTestMail({ to });
    const dead = () => `127.0.0.1:${deadPort}`;
    const live = () => `127.0.0.1:${postfix.smtpPort}`;

    it('skips in the second process the server the first one found dead, and tries it again after the cool-down', async () => {
      const first = await testMail(0, 'first@example.org');
      assert.equal(first.ok, true, JSON.stringify(first.error));
      assert.deepEqual(
        first.attempts.map((a) => [a.host, a.error?.code ?? a.skipped ?? 'took it']),
        [
          [dead(), 'smtp_connection_refused'],
          [live(), 'took it'],
        ],
      );

      // The other process has never tried the dead server, and skips it: it learned from the database.
      const second = await testMail(1, 'second@example.org');
      assert.equal(second.ok, true, JSON.stringify(second.error));
      assert.deepEqual(
        second.attempts.map((a) => [a.host, a.error?.code ?? a.skipped ?? 'took it']),
        [
          [dead(), 'cooling_down'],
          [live(), 'took it'],
        ],
      );
      await waitForMail(postfix.maildir, (m) => m.deliveredTo === 'second@example.org');

      // After the minute of cool-down the second process tries the server again itself.
      now += 61_000;
      const later = await testMail(1, 'later@example.org');
      assert.equal(later.ok, true, JSON.stringify(later.error));
      assert.deepEqual(
        later.attempts.map((a) => [a.host, a.error?.code ?? a.skipped ?? 'took it']),
        [
          [dead(), 'smtp_connection_refused'],
          [live(), 'took it'],
        ],
      );
    });
  });
}
