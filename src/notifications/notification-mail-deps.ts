import type { SettingsReader } from '../config/settings-service.ts';
import type { User } from '../domain/user.ts';
import type { MailRenderer } from '../templates/render-mail.ts';
import type { UnsubscribeLinks } from './unsubscribe-links.ts';

/** What the services that mail people about their files (events, digests, share notices) share. */
export interface NotificationMailDeps {
  findUsers(uids: readonly string[]): Promise<User[]>;
  settings: SettingsReader;
  renderer: MailRenderer;
  // Only making links: checking them is the preference service's.
  unsubscribe: Pick<UnsubscribeLinks, 'url' | 'token'>;
  clock: { now(): Date };
  /** Called when mails were queued, so a worker of this process starts at once. */
  onQueued(): void;
}
