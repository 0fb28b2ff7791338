import type { ImportReport } from './config/config-import.ts';
import type { RuntimeOptions } from './config/runtime-options.ts';
import type { SettingsService } from './config/settings-service.ts';
import type { Logger } from './log/logger.ts';
import type { DetectService } from './mail/detect-service.ts';
import type { SettingFilesService } from './mail/setting-files-service.ts';
import type { DoctorService } from './mail/doctor-service.ts';
import type { MailTestService } from './mail/mail-test-service.ts';
import type { OutboxService } from './outbox/outbox-service.ts';
import type { CapturedMailService } from './outbox/captured-mail-service.ts';
import type { OutboxWorker } from './outbox/outbox-worker.ts';
import type { MetricsDelta } from './outbox/outbox-metrics.ts';
import type { TemplateService } from './templates/template-service.ts';
import type { TokenService } from './users/token-service.ts';
import type { AuthService } from './users/auth-service.ts';
import type { PasswordResetService } from './users/password-reset-service.ts';
import type { AccountMailService } from './users/account-mail-service.ts';
import type { SessionService } from './users/session-service.ts';
import type { UserService } from './users/user-service.ts';
import type { DigestScheduler } from './notifications/digest-scheduler.ts';
import type { DigestService } from './notifications/digest-service.ts';
import type { EventService } from './notifications/event-service.ts';
import type { PreferenceService } from './notifications/preference-service.ts';
import type { ShareService } from './notifications/share-service.ts';
import type { CopyReport } from './db/database-copy.ts';
import type { BackupOptions, BackupReport } from './db/database-backup.ts';
import type { MigrationStep, SchemaStatus } from './db/schema-migrations.ts';
import type { AttemptLimiter } from './users/attempt-limiter.ts';
import type { BounceService } from './bounces/bounce-service.ts';
import type { BounceMailbox, BounceMailboxPoller } from './bounces/bounce-mailbox.ts';

export interface WorkerLink {
  /** Calls `listener` whenever this process queued mail (it listens to the one "mail queued" hook, outbox/mail-queued.ts); returns the way to stop. */
  onQueued(listener: () => void): () => void;
  /** Wakes this process's workers (a mail was queued in the process that started this one). */
  wakeWorkers(): void;
  /** This process's delivery counters since the last call. */
  takeMetrics(): MetricsDelta;
  /** Adds another process's delivery counters to this one's. */
  addMetrics(delta: MetricsDelta): void;
}

export interface Clock {
  now(): Date;
}

/** Everything the HTTP API and the CLI may call: services only, never the database or a transport. */
export interface AppContext {
  readonly runtime: RuntimeOptions;
  readonly log: Logger;
  readonly clock: Clock;
  readonly settings: SettingsService;
  /** The settings as the Email server page shows them, with whether the files they name can be used. */
  readonly settingFiles: SettingFilesService;
  readonly mailTest: MailTestService;
  readonly detect: DetectService;
  readonly doctor: DoctorService;
  readonly tokens: TokenService;
  /** The directory of people: add, change, disable, delete. */
  readonly users: UserService;
  readonly sessions: SessionService;
  /** Who a request acts for: bearer tokens and session cookies. */
  readonly auth: AuthService;
  readonly passwordReset: PasswordResetService;
  /**
   * The pages of mailed links ask whom a token is for; limited per client address, so that no
   * one can use them to try tokens (256 random bits each) at any speed.
   */
  readonly linkCheckLimit: AttemptLimiter;
  /** Welcome invitations, "password changed", and address changes confirmed by mail. */
  readonly accountMails: AccountMailService;
  /** What happened in the cloud: activities, and the share mails it owes (rendered by a worker). */
  readonly events: EventService;
  readonly preferences: PreferenceService;
  /** "Notify by email" for an existing share: each recipient once. */
  readonly shares: ShareService;
  readonly digests: DigestService;
  /** The digest pass of a worker process; start() it next to createWorker(). */
  createDigestScheduler(): DigestScheduler;
  readonly outbox: OutboxService;
  /** Bounces and complaints that came back (bounce:receive), the bounce score of each address, the reputation warning. */
  readonly bounces: BounceService;
  /** The bounce mailbox over POP3 (mail_bounce_pop3_*): fetch() it once (bounce:fetch). */
  readonly bounceMailbox: BounceMailbox;
  /** A worker's fetch of the bounce mailbox every mail_bounce_pop3_interval; start() it next to createWorker(). */
  createBounceMailboxPoller(): BounceMailboxPoller;
  /** Mails kept instead of sent while mail_smtpmode is `capture`: list, show. */
  readonly captured: CapturedMailService;
  /** The editable mail templates: list, get, set (validated, versioned), reset, preview. */
  readonly templates: TemplateService;
  /** A worker of this process: renders owed mails and delivers the outbox; start() it, stop() it before close(). */
  createWorker(): OutboxWorker;
  /**
   * What ties `serve` to the worker process it starts: `serve` wakes the worker when mail is
   * queued here and adds the worker's counters to its own /metrics.
   */
  readonly workerLink: WorkerLink;
  /**
   * Notes the address `serve` now listens on (0.0.0.0 and :: become this machine's name): links
   * in mails start with it while base_url is not set, in every process that reads the database.
   */
  recordServeAddress(host: string, port: number): Promise<void>;
  /** Prometheus text for GET /metrics. */
  metrics(): Promise<string>;
  importOwncloudConfig(source: string, fileName: string): Promise<ImportReport>;
  /** db:copy: this (SQLite) database into an empty PostgreSQL one at `url`. */
  copyDatabaseTo(url: string, onTable?: (table: string, rows: number) => void): Promise<CopyReport>;
  /** db:backup: a consistent copy of this (SQLite) database in `file`, while others write. */
  backupDatabase(file: string, options?: BackupOptions): Promise<BackupReport>;
  /** db:status: the migrations applied, pending, and unknown to this version. */
  databaseStatus(): Promise<SchemaStatus>;
  /** db:migrate: the pending migrations, one at a time. */
  migrateDatabase(onStep?: (step: MigrationStep, index: number, total: number) => void): Promise<MigrationStep[]>;
  /** Ready for requests: the database answers. */
  health(): Promise<{ database: string }>;
  close(): Promise<void>;
}
