import { createHash, randomUUID } from 'node:crypto';
import type { ActivityPurge, IngestInput, IngestOutcome, LinkLimitHit, LinkMailLimit, NewActivity, NewEvent, NewLinkMail } from '../db/notification-repo.ts';
import type { NewOutboxRow } from '../db/outbox-repo.ts';
import type { UserRow } from '../db/user-repo.ts';
import { printable } from '../domain/address.ts';
import { MailroomError } from '../errors.ts';
import type { NotificationMailDeps } from './notification-mail-deps.ts';
import { toOutboxRow } from '../outbox/outbox-service.ts';
import type { Settings } from '../config/settings-schema.ts';
import { renderLinkShareMail, renderShareMail } from './share-mail.ts';
import type { MailRenderer } from '../templates/render-mail.ts';
import type { EventInput } from './event-input.ts';
import { effectivePreferences, type Preferences, type StoredPreferences } from '../domain/preferences.ts';

/** How many outside addresses one sharer may mail public links to: per hour, across all processes. */
export const LINK_MAIL_LIMIT: LinkMailLimit = { max: 100, windowMs: 3_600_000 };

export interface EventStore {
  existingEventKeys(keys: readonly string[]): Promise<Set<string>>;
  ingest(input: IngestInput): Promise<IngestOutcome>;
  purgeBefore(before: number): Promise<ActivityPurge>;
  readPreferences(uids: readonly string[]): Promise<Map<string, StoredPreferences>>;
}

export interface EventServiceDeps extends NotificationMailDeps {
  store: EventStore;
}

export interface IngestResult {
  /** One per event given, in order: its id (the caller's or a new one) and whether it was seen before. */
  events: Array<{ id: string; duplicate: boolean }>;
  activities: number;
  /** Share mails and public-link mails queued now. */
  mails: number;
}

/** The display name of the sharer or actor as recipients see it. */
function actorName(event: EventInput, actor: UserRow | undefined): string | null {
  return actor?.display_name ?? event.data?.actor_name ?? event.actor ?? null;
}

/**
 * Turns what happened in the cloud into activities for each affected user (the actor too, as
 * their own action) and, for `share.created`, the share mail to each recipient; for
 * `share.link.sent`, the public link to each outside address, within the sharer's hourly limit. Everything is
 * checked first (types, users) and written in one transaction, so a refused batch leaves nothing
 * behind and an accepted one is complete.
 */
export function createEventService(deps: EventServiceDeps) {
  return {
    /**
     * Forgets activities, digests and events older than `days` (what still waits for a digest
     * stays). An event id older than that is then new again to the idempotency check.
     */
    purge: (days: number): Promise<ActivityPurge> => deps.store.purgeBefore(deps.clock.now().getTime() - days * 86_400_000),

    async ingest(events: EventInput[]): Promise<IngestResult> {
      const now = deps.clock.now().getTime();
      const keys = events.map((e) => e.id ?? `auto:${randomUUID()}`);
      const seenBefore = await deps.store.existingEventKeys(events.filter((e) => e.id !== undefined).map((e) => e.id as string));
      const firstIndex = new Map<string, number>();
      const fresh = events.map((_, i) => {
        const key = keys[i] as string;
        if (seenBefore.has(key) || firstIndex.has(key)) return false;
        firstIndex.set(key, i);
        return true;
      });

      const uids = new Set<string>();
      for (const e of events) {
        for (const u of e.affected) uids.add(u);
        if (e.actor !== undefined) uids.add(e.actor);
      }
      const settings = await deps.settings.get();
      // Settings and each template's parts are read once for the whole batch, not per mail.
      const renderer = deps.renderer.batch();
      if (!settings.shareapi_allow_public_notification && events.some((e) => e.type === 'share.link.sent')) {
        throw new MailroomError('share_notification_disabled', 'Mailing public links to outside addresses is turned off on this instance (shareapi_allow_public_notification); nothing was sent');
      }
      const users = new Map((await deps.findUsers([...uids])).map((u) => [u.uid, u]));
      for (const [index, e] of events.entries()) {
        const where = events.length > 1 ? `event ${index + 1}: ` : '';
        const missing = e.affected.find((u) => !users.has(u));
        if (missing !== undefined) {
          throw new MailroomError('unknown_user', `${where}affected user "${printable(missing)}" is not a Mailroom user; add it first (mailroom user:add, POST /api/v1/users)`, { details: { index, uid: missing } });
        }
        if (e.type === 'share.link.sent' && !users.has(e.actor as string)) {
          throw new MailroomError('unknown_user', `${where}sharer "${printable(e.actor as string)}" is not a Mailroom user; only users may send links`, { details: { index, uid: e.actor } });
        }
      }
      const stored = await deps.store.readPreferences([...uids, '*']);
      const prefsCache = new Map<string, Preferences>();
      const prefsOf = (uid: string) => {
        let p = prefsCache.get(uid);
        if (!p) prefsCache.set(uid, (p = effectivePreferences(stored.get('*'), stored.get(uid))));
        return p;
      };

      const newEvents: NewEvent[] = [];
      const activities: NewActivity[] = [];
      const mails: Array<{ eventKey: string; row: NewOutboxRow }> = [];
      const linkMails: NewLinkMail[] = [];
      for (const [index, event] of events.entries()) {
        if (!fresh[index]) continue;
        const key = keys[index] as string;
        if (event.type === 'share.link.sent') linkMails.push(...(await linkShareMails(renderer, event, key, users.get(event.actor as string) as UserRow, settings)));
        newEvents.push({
          event_key: key,
          type: event.type,
          actor: event.actor ?? null,
          object_type: event.object.type,
          object_id: event.object.id,
          object_name: event.object.name,
          object_path: event.object.path ?? null,
          link: event.link ?? null,
          data: event.data === undefined ? null : JSON.stringify(event.data),
          created_at: now,
        });
        const actor = event.actor !== undefined ? users.get(event.actor) : undefined;
        const recipients = new Set(event.affected);
        if (actor) recipients.add(actor.uid);
        for (const uid of recipients) {
          const user = users.get(uid) as UserRow;
          if (user.disabled === 1) continue;
          const prefs = prefsOf(uid);
          const own = uid === event.actor;
          const typePref = prefs.types[event.type];
          // With mails about shares turned off, a share reaches its recipients neither at once nor in a digest.
          const sharesMuted = event.type === 'share.created' && !own && !settings.shareapi_allow_mail_notification;
          const mailable = typePref.email && user.email !== null && (!own || prefs.own_actions) && !sharesMuted;
          // A share's recipients get the share mail now; their activity is for the stream only.
          const mailNow = event.type === 'share.created' && !own && mailable;
          // 'mailed' at once for a share's recipient: the share mail went with this very transaction.
          const mailState = mailNow ? 'mailed' : mailable ? 'pending' : 'none';
          if (mailNow) mails.push({ eventKey: key, row: await shareMail(renderer, event, key, user, actor, settings) });
          if (!typePref.stream && mailState !== 'pending') continue;
          activities.push({
            eventKey: key,
            uid,
            type: event.type,
            actor: event.actor ?? null,
            own: own ? 1 : 0,
            object_type: event.object.type,
            object_name: event.object.name,
            link: event.link ?? null,
            stream: typePref.stream ? 1 : 0,
            mail_state: mailState,
            created_at: now,
          });
        }
      }
      const result = newEvents.length > 0 ? await deps.store.ingest({ events: newEvents, activities, mails, linkMails, linkLimit: LINK_MAIL_LIMIT, now }) : { inserted: new Set<string>(), mailIds: [] };
      if ('limited' in result) throw linkLimitError(result.limited, linkMails, now);
      if (result.mailIds.length > 0) deps.onQueued();
      return {
        events: keys.map((id, i) => ({ id, duplicate: !fresh[i] || !result.inserted.has(id) })),
        activities: activities.filter((a) => result.inserted.has(a.eventKey)).length,
        mails: result.mailIds.length,
      };
    },
  };

  async function shareMail(renderer: MailRenderer, event: EventInput, key: string, user: UserRow, actor: UserRow | undefined, settings: Settings): Promise<NewOutboxRow> {
    const message = await renderShareMail(
      { renderer, unsubscribe: deps.unsubscribe },
      { recipient: user, sharerName: actorName(event, actor) ?? undefined, sharerEmail: actor?.email, fileName: event.object.name, link: event.link, expiration: event.data?.expiration, note: event.data?.note },
      settings,
    );
    // One mail per event and recipient, even if the same event were ever recorded twice.
    const idempotency = `share:${createHash('sha256').update(`${key}\n${user.uid}`).digest('hex').slice(0, 40)}`;
    return toOutboxRow(message, 'share', idempotency);
  }

  async function linkShareMails(renderer: MailRenderer, event: EventInput, key: string, sharer: UserRow, settings: Settings): Promise<NewLinkMail[]> {
    const out: NewLinkMail[] = [];
    for (const address of event.data?.recipients ?? []) {
      const message = await renderLinkShareMail(
        { renderer },
        { address, sharer, language: event.data?.language, fileName: event.object.name, link: event.link as string, expiration: event.data?.expiration, note: event.data?.note },
        settings,
      );
      const idempotency = `link:${createHash('sha256').update(`${key}\n${address.toLowerCase()}`).digest('hex').slice(0, 40)}`;
      out.push({ eventKey: key, sharer: sharer.uid, address, row: toOutboxRow(message, 'link_share', idempotency) });
    }
    return out;
  }
}

/** The 429 of a sharer over the hourly limit: how many places are left, when more free up, and every address refused. */
function linkLimitError(hit: LinkLimitHit, linkMails: NewLinkMail[], now: number): MailroomError {
  const left = Math.max(0, LINK_MAIL_LIMIT.max - hit.used);
  const retryAfter = Math.max(1, Math.ceil((hit.freesAt - now) / 1000));
  const refused = linkMails.filter((m) => m.sharer === hit.sharer).map((m) => ({ address: m.address, reason: 'rate_limited' }));
  return new MailroomError(
    'rate_limited',
    `"${hit.sharer}" may mail links to ${LINK_MAIL_LIMIT.max} outside addresses an hour and has ${left} left; this request has ${refused.length}, so nothing was sent. Try again in ${retryAfter} seconds`,
    { details: { retry_after: retryAfter, limit: LINK_MAIL_LIMIT.max, left, refused } },
  );
}

export type EventService = ReturnType<typeof createEventService>;
