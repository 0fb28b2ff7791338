import { sql, type Kysely, type Selectable } from 'kysely';
import type { SqlDialectName } from './database.ts';
import type { EventType, Frequency } from '../domain/event-types.ts';
import type { StoredPreferences } from '../domain/preferences.ts';
import type { ActivityPurge, ActivityRecord, IngestInput, IngestOutcome, LinkLimitHit, LinkMailLimit, NewLinkMail } from '../domain/notifications.ts';
import type { NewOutboxRow, NewOwedMail } from '../domain/outbox.ts';
import { enqueueWithin } from './outbox-repo.ts';
import { oweWithin } from './owed-mail-repo.ts';
import type { ActivityTable, DatabaseSchema } from './schema.ts';

const CHUNK = 400;

function chunks<T>(list: readonly T[], size = CHUNK): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < list.length; i += size) out.push(list.slice(i, i + size));
  return out;
}

/** Counts each sharer's window (serialised per sharer on PostgreSQL), then owes and records the link mails. */
async function recordLinkMails(trx: Kysely<DatabaseSchema>, dialect: SqlDialectName, mails: NewLinkMail[], limit: LinkMailLimit | undefined, now: number, refuse: (hit: LinkLimitHit) => never): Promise<number[]> {
  if (mails.length === 0) return [];
  const bySharer = new Map<string, number>();
  for (const m of mails) bySharer.set(m.sharer, (bySharer.get(m.sharer) ?? 0) + 1);
  if (limit) {
    for (const [sharer, count] of bySharer) {
      // Two requests of one sharer at once must not both fit into the last free places.
      if (dialect === 'postgres') await sql`select pg_advisory_xact_lock(hashtext(${`link_share:${sharer}`}))`.execute(trx);
      const since = now - limit.windowMs;
      const row = await trx
        .selectFrom('link_share_mails')
        .select((eb) => [eb.fn.countAll<number>().as('used'), eb.fn.min('created_at').as('oldest')])
        .where('sharer', '=', sharer)
        .where('created_at', '>', since)
        .executeTakeFirst();
      const used = Number(row?.used ?? 0);
      if (used + count > limit.max) refuse({ sharer, used, freesAt: Number(row?.oldest ?? now) + limit.windowMs });
    }
  }
  const owed = await oweWithin(
    trx,
    mails.map((m) => m.owed),
    now,
  );
  // outbox_id 0: the mail is owed, not queued yet; its outbox row will carry the owed key.
  await trx
    .insertInto('link_share_mails')
    .values(mails.map((m) => ({ event_key: m.eventKey, address: m.address, sharer: m.sharer, outbox_id: 0, created_at: now })))
    .execute();
  return owed;
}

/**
 * Events, activities, notification choices and digests. Whatever an event causes (its activities,
 * its share mails) is committed in the transaction that records the event; a digest is claimed,
 * its activities marked and its mail queued in one transaction too.
 */
export function createNotificationRepo(db: Kysely<DatabaseSchema>, dialect: SqlDialectName) {
  // Rows go in as one JSON array per statement, unpacked by the database (json_each in SQLite,
  // jsonb_array_elements in PostgreSQL): a batch of 1000 events is a few short statements
  // instead of thousands of bound values, which is what makes ingestion fast on both.
  const rowsOf = (json: string) => (dialect === 'postgres' ? sql`jsonb_array_elements(${json}::jsonb)` : sql`json_each(${json})`);
  const text = (name: string) => sql.raw(`v.value->>'${name}'`);
  const int = (name: string) => (dialect === 'postgres' ? sql.raw(`(v.value->>'${name}')::bigint`) : sql.raw(`v.value->>'${name}'`));
  return {
    async existingEventKeys(keys: readonly string[]): Promise<Set<string>> {
      const found = new Set<string>();
      for (const part of chunks(keys)) {
        for (const r of await db.selectFrom('events').select('event_key').where('event_key', 'in', part).execute()) found.add(r.event_key);
      }
      return found;
    },

    /**
     * Records new events with their activities and mails; an event key seen before adds nothing.
     * Links to outside addresses are counted against their sharer's window in the same
     * transaction: over the limit, nothing at all is written and the hit is returned.
     */
    async ingest(input: IngestInput): Promise<IngestOutcome> {
      const refused: { hit?: LinkLimitHit } = {};
      const rollback = new Error('link limit reached');
      try {
        return await db.transaction().execute(async (trx) => {
          const ids = new Map<string, number>();
          for (const part of chunks(input.events, 1000)) {
            // SQLite needs the WHERE so that ON CONFLICT is not read as part of the SELECT's join.
            const inserted = await sql<{ id: number; event_key: string }>`
              insert into events (event_key, type, actor, object_type, object_id, object_name, object_path, link, data, created_at)
              select ${text('event_key')}, ${text('type')}, ${text('actor')}, ${text('object_type')}, ${text('object_id')}, ${text('object_name')},
                     ${text('object_path')}, ${text('link')}, ${text('data')}, ${int('created_at')}
              from ${rowsOf(JSON.stringify(part))} as v where true
              on conflict (event_key) do nothing
              returning id, event_key`.execute(trx);
            for (const r of inserted.rows) ids.set(r.event_key, Number(r.id));
          }
          const activities = input.activities.filter((a) => ids.has(a.eventKey)).map(({ eventKey, own, stream, ...a }) => ({ ...a, own: own ? 1 : 0, stream: stream ? 1 : 0, event_id: ids.get(eventKey) as number }));
          for (const part of chunks(activities, 2000)) {
            await sql`
              insert into activities (uid, event_id, type, actor, own, object_type, object_name, link, stream, mail_state, digest_id, created_at)
              select ${text('uid')}, ${int('event_id')}, ${text('type')}, ${text('actor')}, ${int('own')}, ${text('object_type')}, ${text('object_name')},
                     ${text('link')}, ${int('stream')}, ${text('mail_state')}, null, ${int('created_at')}
              from ${rowsOf(JSON.stringify(part))} as v`.execute(trx);
          }
          const mails = input.mails.filter((m) => ids.has(m.eventKey)).map((m) => m.owed);
          const owed = mails.length > 0 ? await oweWithin(trx, mails, input.now) : [];
          const linkIds = await recordLinkMails(
            trx,
            dialect,
            (input.linkMails ?? []).filter((m) => ids.has(m.eventKey)),
            input.linkLimit,
            input.now,
            (hit) => {
              refused.hit = hit;
              throw rollback;
            },
          );
          return { inserted: new Set(ids.keys()), owedIds: [...owed, ...linkIds] };
        });
      } catch (error) {
        if (error === rollback && refused.hit) return { limited: refused.hit };
        throw error;
      }
    },

    /**
     * Forgets what happened before `before`: activities already mailed or never to be mailed
     * (one still waiting for its digest stays), the digests sent, the events no activity names
     * any more, and the public-link mails (which only count within the hour).
     */
    async purgeBefore(before: number): Promise<ActivityPurge> {
      return db.transaction().execute(async (trx) => {
        const activities = await trx.deleteFrom('activities').where('created_at', '<', before).where('mail_state', '!=', 'pending').executeTakeFirst();
        const digests = await trx.deleteFrom('digests').where('created_at', '<', before).executeTakeFirst();
        const events = await trx
          .deleteFrom('events')
          .where('created_at', '<', before)
          .where(({ not, exists, selectFrom }) => not(exists(selectFrom('activities').select('activities.id').whereRef('activities.event_id', '=', 'events.id'))))
          .executeTakeFirst();
        const linkMails = await trx.deleteFrom('link_share_mails').where('created_at', '<', before).executeTakeFirst();
        return {
          activities: Number(activities.numDeletedRows),
          digests: Number(digests.numDeletedRows),
          events: Number(events.numDeletedRows),
          linkMails: Number(linkMails.numDeletedRows),
        };
      });
    },

    /** Stored choices of these users (and of '*', the defaults, when asked). */
    async readPreferences(uids: readonly string[]): Promise<Map<string, StoredPreferences>> {
      const out = new Map<string, StoredPreferences>();
      for (const part of chunks(uids)) {
        const rows = await db.selectFrom('notification_settings').selectAll().where('uid', 'in', part).execute();
        for (const r of rows) {
          out.set(r.uid, { frequency: r.frequency as Frequency | null, own_actions: r.own_actions === null ? null : r.own_actions === 1, types: JSON.parse(r.types) as StoredPreferences['types'] });
        }
      }
      return out;
    },

    async writePreferences(uid: string, prefs: StoredPreferences, now: number): Promise<void> {
      const values = { frequency: prefs.frequency, own_actions: prefs.own_actions === null ? null : prefs.own_actions ? 1 : 0, types: JSON.stringify(prefs.types), updated_at: now };
      await db
        .insertInto('notification_settings')
        .values({ uid, ...values })
        .onConflict((oc) => oc.column('uid').doUpdateSet(values))
        .execute();
    },

    /**
     * Users with activities waiting for a digest, with the oldest one's time: one page in uid
     * order after `after` (keyset), read from the index of pending activities.
     */
    async pendingUsers(input: { after: string; limit: number }): Promise<Array<{ uid: string; oldest: number }>> {
      const rows = await db
        .selectFrom('activities')
        .select((eb) => ['uid', eb.fn.min('created_at').as('oldest')])
        .where('mail_state', '=', 'pending')
        .where('uid', '>', input.after)
        .groupBy('uid')
        .orderBy('uid')
        .limit(input.limit)
        .execute();
      return rows.map((r) => ({ uid: r.uid, oldest: Number(r.oldest) }));
    },

    /** The waiting activities of these users, oldest first, with the actors' names. */
    async pendingOf(uids: readonly string[]): Promise<Map<string, ActivityRecord[]>> {
      const out = new Map<string, ActivityRecord[]>();
      for (const part of chunks(uids)) {
        const rows = await db
          .selectFrom('activities')
          .leftJoin('users', 'users.uid', 'activities.actor')
          .leftJoin('events', 'events.id', 'activities.event_id')
          .selectAll('activities')
          .select(['users.display_name as actor_name', 'events.object_id as object_id'])
          .where('activities.uid', 'in', part)
          .where('activities.mail_state', '=', 'pending')
          .orderBy('activities.created_at')
          .orderBy('activities.id')
          .execute();
        for (const r of rows) {
          const list = out.get(r.uid);
          if (list) list.push(toRecord(r));
          else out.set(r.uid, [toRecord(r)]);
        }
      }
      return out;
    },

    /**
     * Claims digests before they are built, in one statement: a (uid, period) nobody has taken
     * yet, or one whose builder's claim ran out without queuing it (a worker that died). Returns
     * the digest id of each claim won, by uid; what another worker holds or has queued is absent.
     */
    async claimDigests(input: { claims: Array<{ uid: string; periodKey: string; frequency: Frequency }>; owner: string; now: number; expiresAt: number }): Promise<Map<string, number>> {
      const won = new Map<string, number>();
      for (const part of chunks(input.claims, 1000)) {
        const json = JSON.stringify(part.map((c) => ({ uid: c.uid, period_key: c.periodKey, frequency: c.frequency })));
        // SQLite needs the WHERE so that ON CONFLICT is not read as part of the SELECT's join.
        const rows = await sql<{ id: number; uid: string }>`
          insert into digests (uid, period_key, frequency, activity_count, outbox_id, created_at, claim_owner, claim_expires_at)
          select ${text('uid')}, ${text('period_key')}, ${text('frequency')}, 0, null, ${input.now}, ${input.owner}, ${input.expiresAt}
          from ${rowsOf(json)} as v where true
          on conflict (uid, period_key) do update set claim_owner = excluded.claim_owner, claim_expires_at = excluded.claim_expires_at, created_at = excluded.created_at
          where digests.outbox_id is null and digests.claim_expires_at < ${input.now}
          returning id, uid`.execute(db);
        for (const r of rows.rows) won.set(r.uid, Number(r.id));
      }
      return won;
    },

    /**
     * Queues built digests in one transaction: for each digest this owner still holds, marks its
     * activities mailed if they are all still pending, queues its mail and records it. A digest
     * whose activities changed meanwhile (another digest of the user took some) is dropped with
     * its claim, for the next pass to build again. Returns the outbox ids by digest id.
     */
    async completeDigests(input: { digests: Array<{ digestId: number; activityIds: number[]; mail: NewOutboxRow }>; owner: string; now: number }): Promise<Map<number, number>> {
      if (input.digests.length === 0) return new Map();
      return db.transaction().execute(async (trx) => {
        // Still ours? The update takes the rows' locks (PostgreSQL): a worker that took a claim
        // over waits here until the first one commits, then finds the digest queued.
        const held = new Set<number>();
        for (const part of chunks(input.digests.map((d) => d.digestId))) {
          const rows = await trx.updateTable('digests').set({ claim_owner: input.owner }).where('id', 'in', part).where('claim_owner', '=', input.owner).where('outbox_id', 'is', null).returning('id').execute();
          for (const r of rows) held.add(Number(r.id));
        }
        const mine = input.digests.filter((d) => held.has(d.digestId));
        const marked = new Map<number, number>();
        const pairs = mine.flatMap((d) => d.activityIds.map((a) => ({ a, d: d.digestId })));
        for (const part of chunks(pairs, 2000)) {
          const rows = await sql<{ digest_id: number }>`
            update activities set mail_state = 'mailed', digest_id = ${int('d')}
            from ${rowsOf(JSON.stringify(part))} as v
            where activities.id = ${int('a')} and activities.mail_state = 'pending'
            returning activities.digest_id`.execute(trx);
          for (const r of rows.rows) marked.set(Number(r.digest_id), (marked.get(Number(r.digest_id)) ?? 0) + 1);
        }
        const whole = mine.filter((d) => marked.get(d.digestId) === d.activityIds.length);
        const broken = mine.filter((d) => marked.get(d.digestId) !== d.activityIds.length).map((d) => d.digestId);
        for (const part of chunks(broken)) {
          await trx.updateTable('activities').set({ mail_state: 'pending', digest_id: null }).where('digest_id', 'in', part).execute();
          await trx.deleteFrom('digests').where('id', 'in', part).execute();
        }
        const queued = await enqueueWithin(
          trx,
          whole.map((d) => d.mail),
          input.now,
          undefined,
          { dialect },
        );
        const done = new Map<number, number>();
        whole.forEach((d, i) => done.set(d.digestId, (queued[i] as { id: number }).id));
        const rows = whole.map((d) => ({ id: d.digestId, o: done.get(d.digestId), n: d.activityIds.length }));
        for (const part of chunks(rows, 2000)) {
          await sql`
            update digests set outbox_id = ${int('o')}, activity_count = ${int('n')}, claim_owner = null, claim_expires_at = null
            from ${rowsOf(JSON.stringify(part))} as v
            where digests.id = ${int('id')}`.execute(trx);
        }
        return done;
      });
    },

    /** Gives up claims not queued (nothing left to mail, or the build failed), so the next pass may take them. */
    async releaseDigests(input: { digestIds: number[]; owner: string }): Promise<void> {
      for (const part of chunks(input.digestIds)) {
        await db.deleteFrom('digests').where('id', 'in', part).where('claim_owner', '=', input.owner).where('outbox_id', 'is', null).execute();
      }
    },

    async markNotMailed(ids: number[]): Promise<void> {
      for (const part of chunks(ids)) await db.updateTable('activities').set({ mail_state: 'none' }).where('id', 'in', part).where('mail_state', '=', 'pending').execute();
    },

    /** Recipients of a share that were mailed about it before. */
    async notifiedAbout(shareId: string, uids: readonly string[]): Promise<Set<string>> {
      const found = new Set<string>();
      for (const part of chunks(uids)) {
        for (const r of await db.selectFrom('share_notifications').select('uid').where('share_id', '=', shareId).where('uid', 'in', part).execute()) found.add(r.uid);
      }
      return found;
    },

    /**
     * Owes share mails and records who gets them, in one transaction; a recipient recorded
     * meanwhile (a second request at the same moment) is skipped. Returns who is mailed now.
     */
    async recordShareMails(shareId: string, mails: Array<{ uid: string; owed: NewOwedMail }>, now: number): Promise<string[]> {
      return db.transaction().execute(async (trx) => {
        const mailed: string[] = [];
        for (const mail of mails) {
          // The row first: a recipient someone else recorded meanwhile is skipped before any mail is queued.
          const claimed = await trx
            .insertInto('share_notifications')
            .values({ share_id: shareId, uid: mail.uid, outbox_id: 0, created_at: now })
            .onConflict((oc) => oc.columns(['share_id', 'uid']).doNothing())
            .executeTakeFirst();
          if (Number(claimed.numInsertedOrUpdatedRows ?? 0) === 0) continue;
          // outbox_id stays 0: the mail is owed; its outbox row will carry the owed key.
          await oweWithin(trx, [mail.owed], now);
          mailed.push(mail.uid);
        }
        return mailed;
      });
    },

    /** The activity list of the UI: newest first. */
    async stream(uid: string, input: { limit: number; beforeId?: number | undefined }): Promise<ActivityRecord[]> {
      let q = db.selectFrom('activities').leftJoin('users', 'users.uid', 'activities.actor').leftJoin('events', 'events.id', 'activities.event_id').selectAll('activities').select(['users.display_name as actor_name', 'events.object_id as object_id']).where('activities.uid', '=', uid).where('activities.stream', '=', 1);
      if (input.beforeId !== undefined) q = q.where('activities.id', '<', input.beforeId);
      return (await q.orderBy('activities.id', 'desc').limit(input.limit).execute()).map(toRecord);
    },
  };
}

function toRecord(r: Selectable<ActivityTable> & { actor_name: string | null; object_id: string | null }): ActivityRecord {
  return {
    id: Number(r.id),
    uid: r.uid,
    type: r.type as EventType,
    actor: r.actor,
    own: r.own === 1,
    objectType: r.object_type as 'file' | 'folder',
    objectName: r.object_name,
    link: r.link,
    stream: r.stream === 1,
    mailState: r.mail_state,
    createdAt: Number(r.created_at),
    actorName: r.actor_name,
    objectId: r.object_id,
  };
}

export type NotificationRepo = ReturnType<typeof createNotificationRepo>;
