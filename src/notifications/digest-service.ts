import type { ActivityRecord } from '../db/notification-repo.ts';
import type { NewOutboxRow } from '../db/outbox-repo.ts';
import type { UserRow } from '../db/user-repo.ts';
import type { Logger } from '../log/logger.ts';
import type { NotificationMailDeps } from './notification-mail-deps.ts';
import { toOutboxRow } from '../outbox/outbox-service.ts';
import { mailLanguage } from '../templates/render-mail.ts';
import { activitySubject } from './activity-text.ts';
import { ASAP_WINDOW_MS, currentPeriod } from './digest-periods.ts';
import type { EventType, Frequency } from '../domain/event-types.ts';
import { effectivePreferences, type StoredPreferences } from '../domain/preferences.ts';

/** A digest lists this many activities, then "… and N more". */
export const DIGEST_MAX_ITEMS = 50;

export interface DigestStore {
  pendingUsers(): Promise<Array<{ uid: string; oldest: number }>>;
  pendingFor(uid: string, cutoff: number): Promise<ActivityRecord[]>;
  claimDigest(input: { uid: string; periodKey: string; frequency: Frequency; activityIds: number[]; mail: NewOutboxRow; now: number }): Promise<{ digestId: number; outboxId: number } | undefined>;
  readPreferences(uids: readonly string[]): Promise<Map<string, StoredPreferences>>;
  /** Activities that will never be mailed (the type was turned off, the address removed). */
  markNotMailed(ids: number[]): Promise<void>;
}

export interface DigestServiceDeps extends NotificationMailDeps {
  store: DigestStore;
  log: Logger;
}

export interface DigestRunReport {
  /** Digests queued by this run. */
  digests: number;
  activities: number;
  /** Users whose digest another worker took first. */
  skipped: number;
}

/**
 * Sends each user the digest that is due for them: `asap` once the first waiting activity is
 * ASAP_WINDOW_MS old, `hourly`/`daily`/`weekly` for everything before the start of the current
 * period in the user's time zone. Safe to run on several workers at once: a digest is claimed per
 * user and period in the database, together with its activities and its mail.
 */
export function createDigestService(deps: DigestServiceDeps) {
  async function digestFor(user: UserRow, prefs: ReturnType<typeof effectivePreferences>, oldest: number, now: number, all: boolean): Promise<number | 'lost' | 'none'> {
    let cutoff: number;
    let periodKey: string;
    if (all || prefs.frequency === 'asap') {
      if (!all && oldest > now - ASAP_WINDOW_MS) return 'none';
      cutoff = now + 1;
      periodKey = '';
    } else {
      const period = currentPeriod(prefs.frequency, now, user.timezone);
      if (oldest >= period.cutoff) return 'none';
      cutoff = period.cutoff;
      periodKey = period.key;
    }
    const waiting = await deps.store.pendingFor(user.uid, cutoff);
    if (waiting.length === 0) return 'none';
    // Choices may have changed since the activities arrived: what is no longer wanted is dropped.
    const wanted = waiting.filter((a) => user.email !== null && user.disabled === 0 && prefs.types[a.type].email && (!a.own || prefs.own_actions));
    const dropped = waiting.filter((a) => !wanted.includes(a)).map((a) => a.id);
    if (dropped.length > 0) await deps.store.markNotMailed(dropped);
    if (wanted.length === 0) return 'none';
    // asap and forced digests have no calendar period: the first activity names it, the same on every worker.
    if (periodKey === '') periodKey = `${all ? 'now' : 'asap'}:${(wanted[0] as ActivityRecord).id}`;

    const settings = await deps.settings.get();
    const language = mailLanguage(user.language, settings.mail_default_language);
    const base = settings.base_url.replace(/\/+$/, '');
    const types = [...new Set(wanted.map((a) => a.type))] as EventType[];
    const unsubscribeUrl = deps.unsubscribe.url(settings.base_url, deps.unsubscribe.token(user.uid, types));
    const message = await deps.renderer.render(
      {
        template: 'activity',
        to: { address: user.email as string, displayName: user.display_name, uid: user.uid, language: user.language, timeZone: user.timezone },
        data: {
          activities: wanted.slice(0, DIGEST_MAX_ITEMS).map((a) => ({
            subject: activitySubject({ type: a.type, own: a.own, actorName: a.actorName ?? a.actor, objectType: a.objectType }, language),
            file_name: a.objectName,
            link: a.link ?? base,
            time: new Date(a.createdAt),
          })),
          more: Math.max(0, wanted.length - DIGEST_MAX_ITEMS),
          settings_link: `${base}/personal#notifications`,
          unsubscribe_link: unsubscribeUrl,
        },
        unsubscribeUrl,
      },
      settings,
    );
    const claimed = await deps.store.claimDigest({
      uid: user.uid,
      periodKey,
      frequency: prefs.frequency,
      activityIds: wanted.map((a) => a.id),
      mail: toOutboxRow(message, 'activity', `digest:${user.uid}:${periodKey}`.slice(0, 200)),
      now,
    });
    if (!claimed) return 'lost';
    deps.log.info({ event: 'digest_queued', uid: user.uid, period: periodKey, activities: wanted.length, outboxId: claimed.outboxId }, 'digest queued');
    return wanted.length;
  }

  return {
    /** Queues every digest that is due now; `all` sends everything waiting, due or not. */
    async runDue(options: { all?: boolean } = {}): Promise<DigestRunReport> {
      const now = deps.clock.now().getTime();
      const pending = await deps.store.pendingUsers();
      const report: DigestRunReport = { digests: 0, activities: 0, skipped: 0 };
      if (pending.length === 0) return report;
      const uids = pending.map((p) => p.uid);
      const users = new Map((await deps.findUsers(uids)).map((u) => [u.uid, u]));
      const stored = await deps.store.readPreferences([...uids, '*']);
      for (const { uid, oldest } of pending) {
        const user = users.get(uid);
        if (!user) continue;
        const prefs = effectivePreferences(stored.get('*'), stored.get(uid));
        const outcome = await digestFor(user, prefs, oldest, now, options.all ?? false);
        if (outcome === 'lost') report.skipped++;
        if (typeof outcome === 'number') {
          report.digests++;
          report.activities += outcome;
        }
      }
      if (report.digests > 0) deps.onQueued();
      return report;
    },
  };
}

export type DigestService = ReturnType<typeof createDigestService>;
