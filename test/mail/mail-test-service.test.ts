import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { simpleParser } from 'mailparser';
import { createSecretBox } from '../../src/config/secret-box.ts';
import { createSettingsService, type SettingsService } from '../../src/config/settings-service.ts';
import { createCapturedMailRepo } from '../../src/db/captured-mail-repo.ts';
import { openDatabase, type Database } from '../../src/db/database.ts';
import { createSettingsRepo } from '../../src/db/settings-repo.ts';
import { createMailTestService } from '../../src/mail/mail-test-service.ts';
import { createTestMailRepo } from '../../src/db/test-mail-repo.ts';
import { createTransportFactory } from '../../src/transport/create-transport.ts';
import { createHostHealth } from '../../src/transport/host-health.ts';
import { layoutHtml } from '../../src/templates/defaults/layout.ts';
import { createLiquidEngine } from '../../src/templates/liquid-engine.ts';
import { createMailRenderer } from '../../src/templates/render-mail.ts';
import { shippedParts } from '../../src/templates/shipped-templates.ts';

const clock = { now: () => new Date('2026-11-26T09:30:00Z') };

describe('the test mail in capture mode', () => {
  let dir: string;
  let database: Database;
  let settings: SettingsService;
  let service: ReturnType<typeof createMailTestService>;
  let adminEmail: string | null = null;
  const captured = () => createCapturedMailRepo(database.db, clock);

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'mailroom-mailtest-'));
    database = await openDatabase({ dataDir: dir });
    settings = createSettingsService({ store: createSettingsRepo(database.db, clock), secretBox: createSecretBox(Buffer.alloc(32, 3)), fileSettings: { mail_sendmail_path: '/nonexistent/sendmail' }, envSettings: {} });
    service = createMailTestService({
      settings,
      transports: createTransportFactory({ hostHealth: createHostHealth({ clock }), captureStore: captured(), clock }),
      adminContact: async () => ({ email: adminEmail, language: 'zh-CN' }),
      history: createTestMailRepo(database.db),
      renderer: createMailRenderer({ engine: createLiquidEngine({ layout: layoutHtml }), partsOf: async (name, lang) => shippedParts(name, lang), clock }),
      clock,
    });
  });
  after(async () => {
    await database.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('keeps the test mail in the database instead of sending it, as a fresh install does', async () => {
    await settings.update({ mail_domain: 'cloud.example.com', instance_name: 'Example Cloud' });
    const report = await service.sendTestMail({ to: 'admin@example.com', language: 'en' });
    assert.equal(report.ok, true);
    assert.equal(report.mode, 'capture');
    assert.equal(report.via, 'capture');
    const [mail] = await captured().list();
    assert.ok(mail);
    const parsed = await simpleParser(mail.raw);
    assert.equal(parsed.subject, 'Email setting test');
    assert.equal(parsed.from?.value[0]?.address, 'mailroom@cloud.example.com');
    assert.equal(parsed.from?.value[0]?.name, 'Example Cloud');
    assert.equal(parsed.text, 'If you received this email, the settings seem to be correct.\n\n--\nExample Cloud\n');
    assert.match(parsed.messageId ?? '', /@cloud\.example\.com>$/);
    assert.equal(parsed.headers.get('auto-submitted'), 'auto-generated');
    assert.equal(parsed.date?.toISOString(), '2026-11-26T09:30:00.000Z');
  });

  it("writes to the admin's own address in the admin's language when no address is given", async () => {
    await assert.rejects(service.sendTestMail({}), { code: 'no_recipient' });
    adminEmail = 'chef@example.com';
    const report = await service.sendTestMail({});
    assert.equal(report.to, 'chef@example.com');
    const [mail] = await captured().list();
    const parsed = await simpleParser(mail?.raw ?? '');
    assert.equal(parsed.subject, '邮件设置测试');
    assert.match(parsed.text ?? '', /^如果您收到了这封邮件，说明邮件设置是正确的。/);
  });

  it('refuses an invalid recipient before anything is sent', async () => {
    const before = (await captured().list()).length;
    await assert.rejects(service.sendTestMail({ to: 'a@b@c' }), { code: 'invalid_address' });
    await assert.rejects(service.sendTestMail({ to: 'x@example.com\r\nBcc: y@example.com' }), { code: 'invalid_address' });
    assert.equal((await captured().list()).length, before);
  });

  it('reports a failure with its code and the transcript when debug is on', async () => {
    // The program path comes from the config file only (setting_file_only).
    await settings.update({ mail_smtpmode: 'sendmail' });
    const report = await service.sendTestMail({ to: 'admin@example.com', debug: true });
    assert.equal(report.ok, false);
    assert.equal(report.error?.code, 'sendmail_not_found');
    assert.match(report.transcript ?? '', /running \/nonexistent\/sendmail -i -f mailroom@cloud\.example\.com -- admin@example\.com/);
    const quiet = await service.sendTestMail({ to: 'admin@example.com' });
    assert.equal(quiet.transcript, undefined);
  });
});
