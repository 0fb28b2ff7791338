import type { AppContext, Clock } from '../context.ts';
import { createBounceRepo } from '../db/bounce-repo.ts';
import { createNotificationRepo } from '../db/notification-repo.ts';
import type { Logger } from '../log/logger.ts';
import { createBounceMailbox, createBounceMailboxPoller } from '../bounces/bounce-mailbox.ts';
import { createBounceService } from '../bounces/bounce-service.ts';
import { openPop3 } from '../bounces/pop3-client.ts';
import { createVerpAddresses } from '../bounces/verp-address.ts';
import { createDigestScheduler } from '../notifications/digest-scheduler.ts';
import { createDigestService } from '../notifications/digest-service.ts';
import { createEventService } from '../notifications/event-service.ts';
import { createPreferenceService } from '../notifications/preference-service.ts';
import { createShareService } from '../notifications/share-service.ts';
import { createUnsubscribeLinks } from '../notifications/unsubscribe-links.ts';
import { readCaFile } from '../transport/ca-file.ts';
import type { Mail } from './mail.ts';
import type { Storage } from './storage.ts';

export interface NotificationsInput {
  clock: Clock;
  log: Logger;
  storage: Storage;
  mail: Mail;
  /** How many mails one request may owe; MAX_MAILS_PER_REQUEST unless given. */
  maxMailsPerRequest: number | undefined;
}

/**
 * Mail about people's files (events, share notices, digests, the preferences and unsubscribe
 * links that govern them) and what comes back from it: bounces, which unsubscribe a complainer
 * and take an address past the threshold out of the notifications.
 */
export function wireNotifications(input: NotificationsInput) {
  const { clock, log } = input;
  const { database, secretKey, settings, users } = input.storage;
  const { renderer, mailQueued } = input.mail;
  const notificationRepo = createNotificationRepo(database.db, database.dialect);
  const unsubscribe = createUnsubscribeLinks(secretKey);
  const preferences = createPreferenceService({ store: notificationRepo, userExists: async (uid) => (await users.find(uid)) !== undefined, unsubscribe, clock });
  const verp = createVerpAddresses(secretKey);
  const bounces = createBounceService({ store: createBounceRepo(database.db, database.dialect), verp, settings, clock, log: log.child({ module: 'bounces' }), unsubscribe: (token) => preferences.unsubscribe(token) });
  const bounceMailbox = createBounceMailbox({ settings, receive: (raw, options) => bounces.receive(raw, options), open: openPop3, readCa: (path) => readCaFile(path, 'mail_bounce_pop3_tls_ca'), log: log.child({ module: 'bounces' }) });
  // An address past the bounce threshold is, to the notification services, no address: its
  // activities stay in the stream, and no share mail or digest is queued for it.
  const findMailableUsers = async (uids: readonly string[]) => {
    const found = await users.findMany(uids);
    const suppressed = await bounces.suppressed(found.flatMap((u) => (u.email ? [u.email] : [])));
    return suppressed.size === 0 ? found : found.map((u) => (u.email && suppressed.has(u.email.toLowerCase()) ? { ...u, email: null } : u));
  };
  const mailDeps = { findUsers: findMailableUsers, settings, renderer, unsubscribe, clock, onQueued: () => mailQueued.notify() };
  const events = createEventService({ ...mailDeps, store: notificationRepo, maxMailsPerRequest: input.maxMailsPerRequest });
  const digests = createDigestService({ ...mailDeps, store: notificationRepo, log: log.child({ module: 'digests' }) });
  const context: Pick<AppContext, 'events' | 'preferences' | 'bounces' | 'bounceMailbox' | 'createBounceMailboxPoller' | 'digests' | 'shares' | 'createDigestScheduler'> = {
    events,
    preferences,
    bounces,
    bounceMailbox,
    createBounceMailboxPoller: () => createBounceMailboxPoller({ mailbox: bounceMailbox, settings, log: log.child({ module: 'bounces' }) }),
    digests,
    shares: createShareService({ ...mailDeps, store: notificationRepo }),
    createDigestScheduler: () => createDigestScheduler({ digests, log: log.child({ module: 'digests' }) }),
  };
  return { unsubscribe, verp, bounces, context };
}

export type Notifications = ReturnType<typeof wireNotifications>;
