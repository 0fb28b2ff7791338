import type { ImportReport } from './config/config-import.ts';
import type { RuntimeOptions } from './config/runtime-options.ts';
import type { SettingsService } from './config/settings-service.ts';
import type { Logger } from './log/logger.ts';
import type { DetectService } from './mail/detect-service.ts';
import type { DoctorService } from './mail/doctor-service.ts';
import type { MailTestService } from './mail/mail-test-service.ts';
import type { OutboxService } from './outbox/outbox-service.ts';
import type { OutboxWorker } from './outbox/outbox-worker.ts';
import type { TemplateService } from './templates/template-service.ts';
import type { TokenService } from './users/token-service.ts';

export interface Clock {
  now(): Date;
}

/** Everything the HTTP API and the CLI may call: services only, never the database or a transport. */
export interface AppContext {
  readonly runtime: RuntimeOptions;
  readonly log: Logger;
  readonly clock: Clock;
  readonly settings: SettingsService;
  readonly mailTest: MailTestService;
  readonly detect: DetectService;
  readonly doctor: DoctorService;
  readonly tokens: TokenService;
  readonly outbox: OutboxService;
  /** The editable mail templates: list, get, set (validated, versioned), reset, preview. */
  readonly templates: TemplateService;
  /** A worker of this process for the outbox; start() it, stop() it before close(). */
  createWorker(): OutboxWorker;
  /** Prometheus text for GET /metrics. */
  metrics(): Promise<string>;
  importOwncloudConfig(source: string, fileName: string): Promise<ImportReport>;
  /** Ready for requests: the database answers. */
  health(): Promise<{ database: string }>;
  close(): Promise<void>;
}
