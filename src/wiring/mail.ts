import type { AppContext, Clock } from '../context.ts';
import { createCapturedMailRepo } from '../db/captured-mail-repo.ts';
import { createHostCooldownRepo } from '../db/host-cooldown-repo.ts';
import { createOutboxRepo } from '../db/outbox-repo.ts';
import { createOwedMailRepo } from '../db/owed-mail-repo.ts';
import { signalQueued } from '../db/queue-signal.ts';
import { createTemplateRepo } from '../db/template-repo.ts';
import { createTestMailRepo } from '../db/test-mail-repo.ts';
import type { Logger } from '../log/logger.ts';
import { createDetectService } from '../mail/detect-service.ts';
import { createMailTestService } from '../mail/mail-test-service.ts';
import { createSettingFilesService } from '../mail/setting-files-service.ts';
import { createCapturedMailService } from '../outbox/captured-mail-service.ts';
import { createMailQueued } from '../outbox/mail-queued.ts';
import { createOutboxMetrics } from '../outbox/outbox-metrics.ts';
import { createOutboxService } from '../outbox/outbox-service.ts';
import { sealRaw } from '../outbox/sealed-raw.ts';
import { layoutHtml } from '../templates/defaults/layout.ts';
import { createLazyEngine } from '../templates/lazy-engine.ts';
import { createMailRenderer } from '../templates/render-mail.ts';
import { createTemplateService } from '../templates/template-service.ts';
import { createTransportFactory } from '../transport/create-transport.ts';
import { createHostHealth } from '../transport/host-health.ts';
import type { Storage } from './storage.ts';

export interface MailInput {
  env: NodeJS.ProcessEnv;
  clock: Clock;
  log: Logger;
  storage: Storage;
}

/**
 * Mail itself: the transports, the templates and their renderer, the outbox with the one hook
 * told of every mail queued in this process, captured mails, and the test mail.
 */
export function wireMail(input: MailInput) {
  const { env, clock, log } = input;
  const { database, secretBox, settings, users } = input.storage;
  const capturedMail = createCapturedMailRepo(database.db, clock);
  const hostHealth = createHostHealth({
    clock,
    store: createHostCooldownRepo(database.db),
    onStoreError: (error) => log.warn({ event: 'host_cooldown_store_failed', err: error }, 'the failover cool-downs could not be shared through the database; this process goes on with its own'),
  });
  const transports = createTransportFactory({
    hostHealth,
    // In mode capture the captured mail is the delivered copy: one with a live link stays sealed.
    captureStore: { save: ({ holdsLiveLink, ...mail }) => capturedMail.save(holdsLiveLink ? { ...mail, raw: sealRaw(secretBox, mail.raw) } : mail) },
    clock,
    env,
    async saveRefreshToken(refreshToken) {
      const key = 'mail_smtpoauth_refresh_token';
      // The token in use is already the new one; failing to keep it must not fail the send.
      try {
        if (settings.lockOf(key)) {
          log.warn({ event: 'oauth_refresh_token_rotated', saved: false }, `the OAuth endpoint sent a new refresh token, but ${key} is fixed by the config file or the environment, so the new one is kept only until Mailroom restarts: remove it there and set it with config:set, so that Mailroom can store the new ones`);
          return;
        }
        await settings.update({ [key]: refreshToken });
        log.info({ event: 'oauth_refresh_token_rotated', saved: true }, 'the OAuth endpoint sent a new refresh token; saved');
      } catch (error) {
        log.error({ event: 'oauth_refresh_token_rotated', saved: false, err: error }, 'the OAuth endpoint sent a new refresh token that could not be saved');
      }
    },
  });
  // Workers of other processes and machines hear of mail queued here through PostgreSQL's
  // NOTIFY; on SQLite every worker shares this machine and polls.
  const mailQueued = createMailQueued({
    tellOtherProcesses: database.dialect === 'postgres' ? () => signalQueued(database.db) : undefined,
    log,
  });
  const outboxRepo = createOutboxRepo(database.db, database.dialect, { claimDb: database.claimDb });
  const owedRepo = createOwedMailRepo(database.db, database.dialect);
  const metrics = createOutboxMetrics();
  const outbox = createOutboxService({ store: outboxRepo, owed: owedRepo, settings, clock, secretBox, onQueued: (options) => mailQueued.notify(options) });
  // Renders run in worker threads: a runaway template ends a worker, never the server's thread.
  const engine = createLazyEngine(async () => (await import('../templates/render-pool.ts')).createRenderPool({ layout: layoutHtml }));
  const templates = createTemplateService({
    store: createTemplateRepo(database.db),
    engine,
    clock,
    appearance: async () => {
      const s = await settings.get();
      return {
        logoUrl: s.mail_logo_url,
        logoDarkUrl: s.mail_logo_dark_url,
        logoWidth: s.mail_logo_width,
        logoHeight: s.mail_logo_height,
        accentColor: s.mail_accent_color,
        footer: s.mail_footer,
        instanceName: s.instance_name,
        baseUrl: s.base_url,
      };
    },
  });
  // The renderer reads a template's parts through the template service (the admin's edited
  // version, else the shipped one); the service itself renders with the engine alone.
  const renderer = createMailRenderer({ engine, partsOf: (name, lang) => templates.partsOf(name, lang), clock });
  const mailTest = createMailTestService({
    settings,
    history: createTestMailRepo(database.db),
    transports,
    renderer,
    clock,
    adminContact: async () => {
      const admin = await users.firstAdmin();
      return admin && { email: admin.email, language: admin.language, displayName: admin.display_name, uid: admin.uid };
    },
  });
  const context: Pick<AppContext, 'mailTest' | 'settingFiles' | 'detect' | 'outbox' | 'captured' | 'templates'> = {
    mailTest,
    settingFiles: createSettingFilesService({ settings }),
    detect: createDetectService({ settings }),
    outbox,
    captured: createCapturedMailService({ store: capturedMail, secretBox }),
    templates,
  };
  return {
    transports,
    mailQueued,
    outboxRepo,
    owedRepo,
    metrics,
    renderer,
    /** The outbox counters for /metrics (the bounce counters are added beside them). */
    outboxMetrics: async () => metrics.render(await outboxRepo.counts(), await owedRepo.counts()),
    async close() {
      await hostHealth.flush();
      await engine.close?.();
    },
    context,
  };
}

export type Mail = ReturnType<typeof wireMail>;
