import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { sql } from 'kysely';
import { createSecretBox } from '../../src/config/secret-box.ts';
import { createSettingsService } from '../../src/config/settings-service.ts';
import { createApiTokenRepo } from '../../src/db/api-token-repo.ts';
import { createCapturedMailRepo } from '../../src/db/captured-mail-repo.ts';
import { createHostCooldownRepo } from '../../src/db/host-cooldown-repo.ts';
import { createHostHealth } from '../../src/transport/host-health.ts';
import { openDatabase } from '../../src/db/database.ts';
import { createServeAddressRepo } from '../../src/db/serve-address-repo.ts';
import { createSettingsRepo } from '../../src/db/settings-repo.ts';
import { createUserRepo } from '../../src/db/user-repo.ts';
import { ensureFirstAdmin } from '../../src/users/admin-bootstrap.ts';
import { verifyPassword } from '../../src/users/password-hash.ts';
import { createTokenService } from '../../src/users/token-service.ts';
import { dialects } from '../support/dialects.ts';

const clock = { now: () => new Date('2026-11-26T10:00:00Z') };

for (const dialect of dialects()) {
  describe(`repositories on ${dialect.name}`, () => {
    it('saves settings, keeps secrets encrypted at rest, and removes them on unset', async () => {
      const database = await dialect.open();
      const settings = createSettingsService({ store: createSettingsRepo(database.db, clock), secretBox: createSecretBox(randomBytes(32)), fileSettings: {}, envSettings: {} });
      await settings.update({ mail_smtpport: '587', mail_smtppassword: 'very-secret-pw', mail_smtpauth: 'true' });
      const effective = await settings.get();
      assert.equal(effective.mail_smtpport, 587);
      assert.equal(effective.mail_smtpauth, true);
      assert.equal(effective.mail_smtppassword, 'very-secret-pw');
      const rows = await database.db.selectFrom('settings').selectAll().execute();
      const stored = rows.find((r) => r.key === 'mail_smtppassword')?.value ?? '';
      assert.ok(stored.startsWith('"v1:'), 'the password is sealed');
      assert.ok(!stored.includes('very-secret-pw'));
      await settings.unset(['mail_smtpport']);
      assert.equal((await settings.get()).mail_smtpport, 25);
    });

    it('keeps one address serve listened on, the last, as base_url while no one set it', async () => {
      const database = await dialect.open();
      const served = createServeAddressRepo(database.db, clock);
      assert.equal(await served.read(), undefined);
      const settings = createSettingsService({
        store: createSettingsRepo(database.db, clock),
        secretBox: createSecretBox(randomBytes(32)),
        fileSettings: {},
        envSettings: {},
        derivedBaseUrl: async () => (await served.read()) ?? 'http://127.0.0.1:8080',
      });
      await served.write('http://127.0.0.1:18100');
      await served.write('http://mail-host:18200');
      assert.equal(await served.read(), 'http://mail-host:18200');
      assert.equal((await database.db.selectFrom('serve_address').selectAll().execute()).length, 1);
      assert.equal((await settings.get()).base_url, 'http://mail-host:18200');
      await settings.update({ base_url: 'https://cloud.example.com' });
      assert.equal((await settings.get()).base_url, 'https://cloud.example.com');
    });

    it('saves nothing when one of several changes is invalid', async () => {
      const database = await dialect.open();
      const settings = createSettingsService({ store: createSettingsRepo(database.db, clock), secretBox: createSecretBox(randomBytes(32)), fileSettings: {}, envSettings: {} });
      await assert.rejects(settings.update({ mail_smtpport: 2525, mail_smtpmode: 'smtps' }), { code: 'config_invalid_value' });
      assert.equal((await settings.get()).mail_smtpport, 25);
      assert.equal((await database.db.selectFrom('settings').selectAll().execute()).length, 0);
    });

    it('overwrites a saved setting in place', async () => {
      const database = await dialect.open();
      const repo = createSettingsRepo(database.db, clock);
      await repo.write({ mail_smtphost: '"a.example.com"' });
      await repo.write({ mail_smtphost: '"b.example.com"' });
      assert.deepEqual(await repo.readAll(), { mail_smtphost: '"b.example.com"' });
    });

    it('keeps only a hash of API tokens and finds them by the token', async () => {
      const database = await dialect.open();
      const tokens = createTokenService({ store: createApiTokenRepo(database.db), clock, userExists: async () => false });
      const token = await tokens.create('host-app');
      assert.match(token, /^mr_/);
      assert.deepEqual(await tokens.verify(token), { name: 'host-app', scope: 'admin', uid: null });
      assert.equal(await tokens.verify(`${token}x`), undefined);
      const stored = await database.db.selectFrom('api_tokens').selectAll().execute();
      assert.ok(!JSON.stringify(stored).includes(token));
      await assert.rejects(tokens.create('host-app'), { code: 'token_exists' });
      await tokens.revoke('host-app');
      assert.equal(await tokens.verify(token), undefined);
      await assert.rejects(tokens.revoke('host-app'), { code: 'not_found' });
    });

    it("writes a token's last use at most once a minute, not once a request", async () => {
      const database = await dialect.open();
      let now = new Date('2026-11-26T10:00:00Z');
      const tokens = createTokenService({ store: createApiTokenRepo(database.db), clock: { now: () => now }, userExists: async () => false });
      const token = await tokens.create('poller');
      const lastUsed = async () => (await tokens.list()).find((t) => t.name === 'poller')?.lastUsedAt;
      assert.equal(await lastUsed(), null);
      await tokens.verify(token);
      assert.equal(await lastUsed(), '2026-11-26T10:00:00.000Z');
      now = new Date('2026-11-26T10:00:59Z');
      await tokens.verify(token);
      assert.equal(await lastUsed(), '2026-11-26T10:00:00.000Z', 'within the minute: not written again');
      now = new Date('2026-11-26T10:01:00Z');
      await tokens.verify(token);
      assert.equal(await lastUsed(), '2026-11-26T10:01:00.000Z');
    });

    it('stores captured mail and lists the newest first', async () => {
      const database = await dialect.open();
      const captured = createCapturedMailRepo(database.db, clock);
      const first = await captured.save({ messageId: '<1@x>', envelopeFrom: 'a@x.test', envelopeTo: ['b@x.test'], subject: 'one', raw: 'Subject: one\r\n\r\nhi' });
      const second = await captured.save({ messageId: '<2@x>', envelopeFrom: 'a@x.test', envelopeTo: ['c@x.test', 'd@x.test'], subject: '二', raw: 'Subject: two\r\n\r\nhi' });
      assert.ok(second > first);
      const list = await captured.list();
      assert.deepEqual(
        list.map((m) => [m.subject, m.envelopeTo]),
        [
          ['二', ['c@x.test', 'd@x.test']],
          ['one', ['b@x.test']],
        ],
      );
    });

    it('shares failover cool-downs between processes: one finds a server dead, the other skips it, a recovery clears it for both', async () => {
      const database = await dialect.open();
      let now = Date.parse('2026-11-26T10:00:00Z');
      const fakeClock = { now: () => new Date(now) };
      const errors: unknown[] = [];
      const process = () => createHostHealth({ clock: fakeClock, store: createHostCooldownRepo(database.db), refreshMs: 1000, onStoreError: (error) => errors.push(error) });
      const [a, b] = [process(), process()];
      const list = ['smtp-1.example.com:25', 'smtp-2.example.com:25'];
      assert.deepEqual([...(await b.coolingDown(list))], []);

      void a.markFailed('smtp-1.example.com:25');
      void a.markFailed('smtp-1.example.com:25');
      await a.flush();
      assert.deepEqual([...(await a.coolingDown(list))], ['smtp-1.example.com:25']);
      assert.deepEqual([...(await b.coolingDown(list))], [], 'b looked less than a second ago');
      now += 1000;
      assert.deepEqual([...(await b.coolingDown(list))], ['smtp-1.example.com:25'], 'b learns it from the database');
      assert.deepEqual([...(await b.coolingDown(['smtp-1.example.com:25']))], ['smtp-1.example.com:25']);

      // A server that works again is cleared for everyone.
      b.markHealthy('smtp-1.example.com:25');
      await b.flush();
      now += 1000;
      assert.deepEqual([...(await a.coolingDown(list))], []);
      assert.equal((await database.db.selectFrom('smtp_host_cooldowns').selectAll().execute()).length, 0);

      // The cool-down ends by itself after a minute.
      void a.markFailed('smtp-2.example.com:25');
      await a.flush();
      now += 59_000;
      assert.deepEqual([...(await b.coolingDown(list))], ['smtp-2.example.com:25']);
      now += 1000;
      assert.deepEqual([...(await b.coolingDown(list))], []);
      assert.deepEqual(errors, []);
    });

    it('creates the first admin once, with a hashed password', async () => {
      const database = await dialect.open();
      const users = createUserRepo(database.db);
      const created = await ensureFirstAdmin({ store: users, clock, password: undefined });
      assert.ok(created.generatedPassword && created.generatedPassword.length >= 12);
      const admin = await users.find('admin');
      assert.ok(admin?.password_hash && !admin.password_hash.includes(created.generatedPassword));
      assert.equal(await verifyPassword(created.generatedPassword, admin.password_hash), true);
      assert.equal(await verifyPassword('wrong', admin.password_hash), false);
      assert.deepEqual(await ensureFirstAdmin({ store: users, clock, password: undefined }), { created: false });
      assert.equal((await users.firstAdmin())?.uid, 'admin');
    });

    it('migrates an already migrated database without change', async () => {
      const database = await dialect.open();
      const rows = await sql<{ name: string }>`select name from mailroom_migrations order by name`.execute(database.db);
      assert.deepEqual(
        rows.rows.map((r) => r.name),
        [
          '0001-initial',
          '0002-outbox',
          '0003-templates',
          '0004-people',
          '0005-share-notifications',
          '0006-link-shares',
          '0007-attempts',
          '0008-host-cooldowns',
          '0009-attempt-windows',
          '0010-owed-mails',
          '0011-digest-claims',
          '0012-serve-address',
          '0013-test-mails',
          '0014-migration-versions',
          '0015-bounces',
          '0016-outbox-bodies',
        ],
      );
    });
  });
}

describe('opening a database', () => {
  it('refuses an unreachable PostgreSQL with database_unavailable and no password in the message', async () => {
    await assert.rejects(openDatabase({ url: 'postgres://mailroom:hunter22@127.0.0.1:1/mailroom', dataDir: '/nonexistent' }), (error: Error & { code?: string }) => {
      assert.equal(error.code, 'database_unavailable');
      assert.ok(!error.message.includes('hunter22'));
      return true;
    });
  });
});
