import { createHash, randomUUID } from 'node:crypto';
import type { ActivityPurge, IngestInput, IngestOutcome, LinkLimitHit, LinkMailLimit, NewActivity, NewEvent, NewLinkMail } from '../domain/notifications.ts';
import type { NewOwedMail } from '../domain/outbox.ts';
import type { User } from '../domain/user.ts';
import { printable } from '../domain/address.ts';
import { MailroomError } from '../errors.ts';
import type { NotificationMailDeps } from './notification-mail-deps.ts';
import { owedMail, person } from '../outbox/owed-mail.ts';
import type { EventInput } from './event-input.ts';
import { effectivePreferences, type Preferences, type StoredPreferences } from '../domain/preferences.ts';

/** How many outside addresses one sharer may mail public links to: per hour, across all processes. */
export const LINK_MAIL_LIMIT: LinkMailLimit = { max: 100, windowMs: 3_600_000 };

/**
 * How many mails one request may owe. An owed mail is a small row, but each is a render for a
 * worker (a few ms of a render thread) and a row in the request's transaction: 10000 keeps the
 * longest request well under a second and a share to a very large group possible. Over it, the
 * request is refused whole (`too_many_mails`), so the host can split it.
 */
export const MAX_MAILS_PER_REQUEST = 10_000;

export interface EventStore {
  existingEventKeys(keys: readonly string[]): Promise<Set<string>>;
  ingest(input: IngestInput): Promise<IngestOutcome>;
  purgeBefore(before: number): Promise<ActivityPurge>;
  readPreferences(uids: readonly string[]): Promise<Map<string, StoredPreferences>>;
}

export interface EventServiceDeps extends Omit<NotificationMailDeps, 'renderer' | 'unsubscribe'> {
  store: EventStore;
  /** MAX_MAILS_PER_REQUEST unless given (tests use a small one). */
  maxMailsPerRequest?: number | undefined;
}

export interface IngestResult {
  /** One per event given, in order: its id (the caller's or a new one) and whether it was seen before. */
  events: Array<{ id: string; duplicate: boolean }>;
  activities: number;
  /** Share mails and public-link mails owed now: committed, and rendered and queued by a worker. */
  mails: number;
}

/** The display name of the sharer or actor as recipients see it. */
function actorName(event: EventInput, actor: User | undefined): string | null {
  return actor?.display_name ?? event.data?.actor_name ?? event.actor ?? null;
}

/**
 * Turns what happened in the cloud into activities for each affected user (the actor too, as
 * their own action) and, for `share.created`, the share mail owed to each recipient; for
 * `share.link.sent`, the public link owed to each outside address, within the sharer's hourly
 * limit. Everything is checked first (types, users, the mails a request may owe) and written in
 * one transaction, so a refused batch leaves nothing behind and an accepted one is complete. No
 * mail is rendered here: a worker renders the owed mails after the answer.
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
      const mails: Array<{ eventKey: string; owed: NewOwedMail }> = [];
      const linkMails: NewLinkMail[] = [];
      for (const [index, event] of events.entries()) {
        if (!fresh[index]) continue;
        const key = keys[index] as string;
        if (event.type === 'share.link.sent') linkMails.push(...linkShareMails(event, key, users.get(event.actor as string) as User));
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
          const user = users.get(uid) as User;
          if (user.disabled) continue;
          const prefs = prefsOf(uid);
          const own = uid === event.actor;
          const typePref = prefs.types[event.type];
          // With mails about shares turned off, a share reaches its recipients neither at once nor in a digest.
          const sharesMuted = event.type === 'share.created' && !own && !settings.shareapi_allow_mail_notification;
          const mailable = typePref.email && user.email !== null && (!own || prefs.own_actions) && !sharesMuted;
          // A share's recipients get the share mail now; their activity is for the stream only.
          const mailNow = event.type === 'share.created' && !own && mailable;
          // 'mailed' at once for a share's recipient: the share mail is owed in this very transaction.
          const mailState = mailNow ? 'mailed' : mailable ? 'pending' : 'none';
          if (mailNow) mails.push({ eventKey: key, owed: shareMail(event, key, user, actor) });
          if (!typePref.stream && mailState !== 'pending') continue;
          activities.push({
            eventKey: key,
            uid,
            type: event.type,
            actor: event.actor ?? null,
            own,
            object_type: event.object.type,
            object_name: event.object.name,
            link: event.link ?? null,
            stream: typePref.stream,
            mail_state: mailState,
            created_at: now,
          });
        }
      }
      const limit = deps.maxMailsPerRequest ?? MAX_MAILS_PER_REQUEST;
      if (mails.length + linkMails.length > limit) {
        throw new MailroomError('too_many_mails', `This request would owe ${mails.length + linkMails.length} mails; one request may owe at most ${limit}. Nothing was recorded: send the events in smaller batches`, { details: { mails: mails.length + linkMails.length, limit } });
      }
      const result = newEvents.length > 0 ? await deps.store.ingest({ events: newEvents, activities, mails, linkMails, linkLimit: LINK_MAIL_LIMIT, now }) : { inserted: new Set<string>(), owedIds: [] };
      if ('limited' in result) throw linkLimitError(result.limited, linkMails, now);
      if (result.owedIds.length > 0) deps.onQueued();
      return {
        events: keys.map((id, i) => ({ id, duplicate: !fresh[i] || !result.inserted.has(id) })),
        activities: activities.filter((a) => result.inserted.has(a.eventKey)).length,
        mails: result.owedIds.length,
      };
    },
  };

  function shareMail(event: EventInput, key: string, user: User, actor: User | undefined): NewOwedMail {
    // One mail per event and recipient, even if the same event were ever recorded twice.
    const idempotency = `share:${createHash('sha256').update(`${key}\n${user.uid}`).digest('hex').slice(0, 40)}`;
    return owedMail('share', idempotency, {
      type: 'share',
      recipient: person(user),
      sharerName: actorName(event, actor),
      sharerEmail: actor?.email ?? null,
      fileName: event.object.name,
      link: event.link ?? null,
      expiration: event.data?.expiration ?? null,
      note: event.data?.note ?? null,
    });
  }

  function linkShareMails(event: EventInput, key: string, sharer: User): NewLinkMail[] {
    return (event.data?.recipients ?? []).map((address) => {
      const idempotency = `link:${createHash('sha256').update(`${key}\n${address.toLowerCase()}`).digest('hex').slice(0, 40)}`;
      const owed = owedMail('link_share', idempotency, {
        type: 'link_share',
        address,
        sharer: person(sharer),
        language: event.data?.language ?? null,
        fileName: event.object.name,
        link: event.link as string,
        expiration: event.data?.expiration ?? null,
        note: event.data?.note ?? null,
      });
      return { eventKey: key, sharer: sharer.uid, address, owed };
    });
  }
}

/** The 429 of a sharer over the hourly limit: how many places are left, when more free up, and every address refused. */
function linkLimitError(hit: LinkLimitHit, linkMails: NewLinkMail[], now: number): MailroomError {
  const left = Math.max(0, LINK_MAIL_LIMIT.max - hit.used);
  const retryAfter = Math.max(1, Math.ceil((hit.freesAt - now) / 1000));
  const refused = linkMails.filter((m) => m.sharer === hit.sharer).map((m) => ({ address: m.address, reason: 'rate_limited' }));
  return new MailroomError('rate_limited', `"${hit.sharer}" may mail links to ${LINK_MAIL_LIMIT.max} outside addresses an hour and has ${left} left; this request has ${refused.length}, so nothing was sent. Try again in ${retryAfter} seconds`, {
    details: { retry_after: retryAfter, limit: LINK_MAIL_LIMIT.max, left, refused },
  });
}

export type EventService = ReturnType<typeof createEventService>;
