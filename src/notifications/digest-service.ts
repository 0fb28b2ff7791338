import { randomUUID } from 'node:crypto';
import type { Settings } from '../config/settings-schema.ts';
import type { ActivityRecord } from '../domain/notifications.ts';
import type { NewOutboxRow } from '../domain/outbox.ts';
import type { User } from '../domain/user.ts';
import type { Logger } from '../log/logger.ts';
import type { NotificationMailDeps } from './notification-mail-deps.ts';
import { toOutboxRow } from '../outbox/outbox-service.ts';
import { mailLanguage } from '../templates/render-mail.ts';
import type { TemplateLanguage, TemplateParts } from '../templates/template-catalog.ts';
import { activitySubject, activitySummary } from './activity-text.ts';
import { ASAP_WINDOW_MS, currentPeriod } from './digest-periods.ts';
import type { EventType, Frequency } from '../domain/event-types.ts';
import { effectivePreferences, type StoredPreferences } from '../domain/preferences.ts';

/** A digest lists this many activities, then "… and N more". */
export const DIGEST_MAX_ITEMS = 50;
/** Users read, claimed, rendered and queued together: one page of the pending users. */
export const DIGEST_BATCH = 200;
/** Renders of a batch in flight at once: enough to keep the render threads busy. */
const RENDERS_IN_FLIGHT = 8;
/**
 * How long a claimed digest stays its builder's. A batch takes seconds; a worker that died after
 * claiming leaves its digests to the next pass of any worker once this has passed.
 */
export const DIGEST_CLAIM_MS = 5 * 60_000;

export interface DigestStore {
  /** One page of the users with pending activities, in uid order after `after`. */
  pendingUsers(input: { after: string; limit: number }): Promise<Array<{ uid: string; oldest: number }>>;
  /** The pending activities of these users, oldest first. */
  pendingOf(uids: readonly string[]): Promise<Map<string, ActivityRecord[]>>;
  /** Claims (uid, period) digests for `owner` until `expiresAt`; the ids of those won, by uid. */
  claimDigests(input: { claims: Array<{ uid: string; periodKey: string; frequency: Frequency }>; owner: string; now: number; expiresAt: number }): Promise<Map<string, number>>;
  /** Marks the activities and queues the mails of built digests, in one transaction; outbox ids by digest id. */
  completeDigests(input: { digests: Array<{ digestId: number; activityIds: number[]; mail: NewOutboxRow }>; owner: string; now: number }): Promise<Map<number, number>>;
  /** Gives up claims that will not be queued by this worker. */
  releaseDigests(input: { digestIds: number[]; owner: string }): Promise<void>;
  readPreferences(uids: readonly string[]): Promise<Map<string, StoredPreferences>>;
  /** Activities that will never be mailed (the type was turned off, the address removed). */
  markNotMailed(ids: number[]): Promise<void>;
}

export interface DigestServiceDeps extends NotificationMailDeps {
  store: DigestStore;
  log: Logger;
  /** Names this worker's claims; a random id by default. */
  owner?: string;
  /** Users per batch (DIGEST_BATCH). */
  batchSize?: number;
}

export interface DigestRunReport {
  /** Digests queued by this run. */
  digests: number;
  activities: number;
  /** Users whose digest another worker took first. */
  skipped: number;
}

/**
 * Where a digest line leads: the event's link, else the file itself by its id, as ownCloud and
 * Nextcloud address a file (`/f/{id}`); the home page only for an activity recorded without either.
 */
export function objectLink(activity: Pick<ActivityRecord, 'link' | 'objectId'>, base: string): string {
  if (activity.link !== null) return activity.link;
  return activity.objectId !== null ? `${base}/f/${encodeURIComponent(activity.objectId)}` : base;
}

/** A digest that is due and wanted, before it is claimed. */
interface DueDigest {
  user: User;
  periodKey: string;
  frequency: Frequency;
  activities: ActivityRecord[];
}

/**
 * Sends each user the digest that is due for them: `asap` once the first waiting activity is
 * ASAP_WINDOW_MS old, `hourly`/`daily`/`weekly` for everything before the start of the current
 * period in the user's time zone. The pending users are taken in pages of DIGEST_BATCH (keyset on
 * uid), and each page costs a handful of statements: its users, preferences and activities are
 * read at once, its digests claimed in one statement before anything is rendered, rendered with
 * the settings read once, and queued with their activities in one transaction. Safe to run on
 * several workers at once: a digest is claimed per user and period, so only one worker builds
 * it, and a claim whose worker died runs out after DIGEST_CLAIM_MS.
 */
export function createDigestService(deps: DigestServiceDeps) {
  const owner = deps.owner ?? randomUUID();
  const batchSize = deps.batchSize ?? DIGEST_BATCH;

  /** What is due for one user now, or undefined; activities no longer wanted go to `dropped`. */
  function dueFor(user: User, prefs: ReturnType<typeof effectivePreferences>, oldest: number, waiting: ActivityRecord[], now: number, all: boolean, dropped: number[], periodOf: (frequency: Exclude<Frequency, 'asap'>, zone: string) => ReturnType<typeof currentPeriod>): DueDigest | undefined {
    let cutoff: number;
    let periodKey: string;
    if (all || prefs.frequency === 'asap') {
      if (!all && oldest > now - ASAP_WINDOW_MS) return undefined;
      cutoff = now + 1;
      periodKey = '';
    } else {
      const period = periodOf(prefs.frequency, user.timezone);
      if (oldest >= period.cutoff) return undefined;
      cutoff = period.cutoff;
      periodKey = period.key;
    }
    const before = waiting.filter((a) => a.createdAt < cutoff);
    if (before.length === 0) return undefined;
    // Choices may have changed since the activities arrived: what is no longer wanted is dropped.
    const wanted: ActivityRecord[] = [];
    for (const a of before) {
      if (user.email !== null && !user.disabled && prefs.types[a.type].email && (!a.own || prefs.own_actions)) wanted.push(a);
      else dropped.push(a.id);
    }
    if (wanted.length === 0) return undefined;
    // asap and forced digests have no calendar period: the first activity names it, the same on every worker.
    if (periodKey === '') periodKey = `${all ? 'now' : 'asap'}:${(wanted[0] as ActivityRecord).id}`;
    return { user, periodKey, frequency: prefs.frequency, activities: wanted };
  }

  async function render(due: DueDigest, settings: Settings, base: string, partsOf: (language: TemplateLanguage) => Promise<TemplateParts>) {
    const { user, activities } = due;
    const language = mailLanguage(user.language, settings.mail_default_language);
    const parts = await partsOf(language);
    const types = [...new Set(activities.map((a) => a.type))] as EventType[];
    const unsubscribeUrl = deps.unsubscribe.url(settings.base_url, deps.unsubscribe.token(user.uid, types));
    return deps.renderer.render(
      {
        template: 'activity',
        to: { address: user.email as string, displayName: user.display_name, uid: user.uid, language: user.language, timeZone: user.timezone },
        data: {
          activities: activities.slice(0, DIGEST_MAX_ITEMS).map((a) => ({
            summary: activitySummary({ type: a.type, own: a.own, actorName: a.actorName ?? a.actor, objectType: a.objectType, objectName: a.objectName }, language),
            subject: activitySubject({ type: a.type, own: a.own, actorName: a.actorName ?? a.actor, objectType: a.objectType }, language),
            file_name: a.objectName,
            link: objectLink(a, base),
            time: new Date(a.createdAt),
          })),
          more: Math.max(0, activities.length - DIGEST_MAX_ITEMS),
          settings_link: `${base}/personal#notifications`,
          unsubscribe_link: unsubscribeUrl,
        },
        unsubscribeUrl,
        parts,
      },
      settings,
    );
  }

  /** Claims, renders and queues one page's due digests, and counts them in `report`. */
  async function buildBatch(due: DueDigest[], now: number, report: DigestRunReport): Promise<void> {
    const claimed = await deps.store.claimDigests({
      claims: due.map((d) => ({ uid: d.user.uid, periodKey: d.periodKey, frequency: d.frequency })),
      owner,
      now,
      expiresAt: now + DIGEST_CLAIM_MS,
    });
    report.skipped += due.length - claimed.size;
    const mine = due.filter((d) => claimed.has(d.user.uid));
    if (mine.length === 0) return;
    const built: Array<{ digestId: number; activityIds: number[]; mail: NewOutboxRow; due: DueDigest }> = [];
    try {
      const settings = await deps.settings.get();
      const base = settings.base_url.replace(/\/+$/, '');
      // The template is read once per batch and language, not once per mail.
      const batch = deps.renderer.batch();
      const partsOf = (language: TemplateLanguage) => batch.partsOf('activity', language);
      let next = 0;
      let failed = false;
      const lane = async () => {
        while (next < mine.length && !failed) {
          const d = mine[next++] as DueDigest;
          const message = await render(d, settings, base, partsOf).catch((error: unknown) => {
            // The other lanes stop at their next digest: this batch will not be queued.
            failed = true;
            throw error;
          });
          built.push({ digestId: claimed.get(d.user.uid) as number, activityIds: d.activities.map((a) => a.id), mail: toOutboxRow(message, 'activity', `digest:${d.user.uid}:${d.periodKey}`.slice(0, 200)), due: d });
        }
      };
      await Promise.all(Array.from({ length: Math.min(RENDERS_IN_FLIGHT, mine.length) }, lane));
    } catch (error) {
      // Leave nothing claimed that this worker will not queue: the next pass builds it again at once.
      await deps.store.releaseDigests({ digestIds: [...claimed.values()], owner }).catch(() => undefined);
      throw error;
    }
    const queued = await deps.store.completeDigests({ digests: built.map(({ due: _, ...b }) => b), owner, now });
    for (const b of built) {
      const outboxId = queued.get(b.digestId);
      if (outboxId === undefined) {
        report.skipped++;
        continue;
      }
      report.digests++;
      report.activities += b.activityIds.length;
      deps.log.info({ event: 'digest_queued', uid: b.due.user.uid, period: b.due.periodKey, activities: b.activityIds.length, outboxId }, 'digest queued');
    }
    if (queued.size > 0) deps.onQueued();
  }

  return {
    /** Queues every digest that is due now; `all` sends everything waiting, due or not. */
    async runDue(options: { all?: boolean } = {}): Promise<DigestRunReport> {
      const now = deps.clock.now().getTime();
      const all = options.all ?? false;
      const report: DigestRunReport = { digests: 0, activities: 0, skipped: 0 };
      const defaults = (await deps.store.readPreferences(['*'])).get('*');
      // The period depends only on the frequency and the time zone: worked out once per pair.
      const periods = new Map<string, ReturnType<typeof currentPeriod>>();
      const periodOf = (frequency: Exclude<Frequency, 'asap'>, zone: string) => {
        const key = `${frequency} ${zone}`;
        let p = periods.get(key);
        if (!p) periods.set(key, (p = currentPeriod(frequency, now, zone)));
        return p;
      };
      for (let after = ''; ; ) {
        const page = await deps.store.pendingUsers({ after, limit: batchSize });
        if (page.length === 0) break;
        after = (page.at(-1) as { uid: string }).uid;
        const uids = page.map((p) => p.uid);
        const users = new Map((await deps.findUsers(uids)).map((u) => [u.uid, u]));
        const stored = await deps.store.readPreferences(uids);
        // Only the activities of users with something due are read.
        const candidates: Array<{ user: User; prefs: ReturnType<typeof effectivePreferences>; oldest: number }> = [];
        for (const { uid, oldest } of page) {
          const user = users.get(uid);
          if (!user) continue;
          const prefs = effectivePreferences(defaults, stored.get(uid));
          if (!all && prefs.frequency !== 'asap' && oldest >= periodOf(prefs.frequency, user.timezone).cutoff) continue;
          if (!all && prefs.frequency === 'asap' && oldest > now - ASAP_WINDOW_MS) continue;
          candidates.push({ user, prefs, oldest });
        }
        if (candidates.length === 0) continue;
        const waiting = await deps.store.pendingOf(candidates.map((c) => c.user.uid));
        const dropped: number[] = [];
        const due: DueDigest[] = [];
        for (const c of candidates) {
          const d = dueFor(c.user, c.prefs, c.oldest, waiting.get(c.user.uid) ?? [], now, all, dropped, periodOf);
          if (d) due.push(d);
        }
        if (dropped.length > 0) await deps.store.markNotMailed(dropped);
        if (due.length > 0) await buildBatch(due, now, report);
        if (page.length < batchSize) break;
      }
      return report;
    },
  };
}

export type DigestService = ReturnType<typeof createDigestService>;
