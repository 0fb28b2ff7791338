import type { SettingsService } from '../config/settings-service.ts';
import type { UserRow } from '../db/user-repo.ts';
import type { MailRenderer } from '../templates/render-mail.ts';
import type { UnsubscribeLinks } from './unsubscribe-links.ts';

/** What the services that mail people about their files (events, digests, share notices) share. */
export interface NotificationMailDeps {
  findUsers(uids: readonly string[]): Promise<UserRow[]>;
  settings: SettingsService;
  renderer: MailRenderer;
  unsubscribe: UnsubscribeLinks;
  clock: { now(): Date };
  /** Called when mails were queued, so a worker of this process starts at once. */
  onQueued(): void;
}
