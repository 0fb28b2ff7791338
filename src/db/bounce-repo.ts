import { sql, type Kysely } from 'kysely';
import type { SqlDialectName } from './database.ts';
import type { DatabaseSchema } from './schema.ts';
import type { BounceRecord, BounceScoreRecord } from '../domain/bounce-records.ts';
import type { BounceKind } from '../domain/bounce-report.ts';

// The kind columns hold only what Mailroom wrote there: one of BOUNCE_KINDS.
const asKind = (kind: string) => kind as BounceKind;
import { addBounce, currentScore, SCORE_DECAY_MS } from '../domain/bounce-score.ts';

const toRecord = (r: { id: number; outbox_id: number; address: string; kind: string; format: string; action: string | null; status: string | null; diagnostic: string | null; reporting_mta: string | null; received_at: number }): BounceRecord => ({
  id: Number(r.id),
  mailId: Number(r.outbox_id),
  address: r.address,
  kind: asKind(r.kind),
  format: r.format,
  action: r.action,
  status: r.status,
  diagnostic: r.diagnostic,
  reportingMta: r.reporting_mta,
  receivedAt: Number(r.received_at),
});

/** The bounces reported for outbox mails, and the bounce score of each address. */
export function createBounceRepo(db: Kysely<DatabaseSchema>, dialect: SqlDialectName) {
  return {
    /** The outbox mail a VERP address named: its recipients, kind and message (for its List-Unsubscribe). */
    async mail(id: number): Promise<{ id: number; kind: string; recipients: string[]; raw: string } | undefined> {
      const r = await db.selectFrom('outbox').innerJoin('outbox_bodies', 'outbox_bodies.outbox_id', 'outbox.id').select(['outbox.id', 'outbox.kind', 'outbox.recipients', 'outbox_bodies.raw']).where('outbox.id', '=', id).executeTakeFirst();
      // The message as one character a byte (latin1), as the bounce reader takes it.
      return r && { id: Number(r.id), kind: r.kind, recipients: JSON.parse(r.recipients) as string[], raw: r.raw.toString('latin1') };
    },

    /**
     * Keeps one bounce and, when it counts (`weight` > 0), adds it to the address's score, in one
     * transaction: two bounces for one address at once both count, in turn.
     */
    async record(bounce: Omit<BounceRecord, 'id'>, weight: number): Promise<{ id: number; score: number | null }> {
      return db.transaction().execute(async (trx) => {
        const inserted = await trx
          .insertInto('mail_bounces')
          .values({ outbox_id: bounce.mailId, address: bounce.address, kind: bounce.kind, format: bounce.format, action: bounce.action, status: bounce.status, diagnostic: bounce.diagnostic, reporting_mta: bounce.reportingMta, received_at: bounce.receivedAt })
          .returning('id')
          .executeTakeFirstOrThrow();
        if (weight <= 0) return { id: Number(inserted.id), score: null };
        // The row first (a no-op when it exists), so that the read below can lock it on PostgreSQL.
        await trx
          .insertInto('bounce_scores')
          .values({ address: bounce.address, score: 0, day: '', day_weight: 0, last_bounce_at: 0, last_kind: bounce.kind, last_status: null, last_diagnostic: null, last_outbox_id: bounce.mailId })
          .onConflict((oc) => oc.column('address').doNothing())
          .execute();
        let read = trx.selectFrom('bounce_scores').select(['score', 'day', 'day_weight', 'last_bounce_at']).where('address', '=', bounce.address);
        if (dialect === 'postgres') read = read.forUpdate();
        const row = await read.executeTakeFirstOrThrow();
        const previous = Number(row.last_bounce_at) === 0 ? undefined : { score: Number(row.score), day: row.day, dayWeight: Number(row.day_weight), lastBounceAt: Number(row.last_bounce_at) };
        const next = addBounce(previous, weight, bounce.receivedAt);
        await trx.updateTable('bounce_scores').set({ score: next.score, day: next.day, day_weight: next.dayWeight, last_bounce_at: next.lastBounceAt, last_kind: bounce.kind, last_status: bounce.status, last_diagnostic: bounce.diagnostic, last_outbox_id: bounce.mailId }).where('address', '=', bounce.address).execute();
        return { id: Number(inserted.id), score: next.score };
      });
    },

    async forMail(mailId: number): Promise<BounceRecord[]> {
      const rows = await db.selectFrom('mail_bounces').selectAll().where('outbox_id', '=', mailId).orderBy('id').execute();
      return rows.map(toRecord);
    },

    /** The addresses with a score that has not decayed, highest first. */
    async scores(now: number, limit = 1000): Promise<BounceScoreRecord[]> {
      const rows = await db
        .selectFrom('bounce_scores')
        .selectAll()
        .where('last_bounce_at', '>', now - SCORE_DECAY_MS)
        .orderBy('score', 'desc')
        .orderBy('address')
        .limit(limit)
        .execute();
      return rows.map((r) => ({
        address: r.address,
        score: currentScore({ score: Number(r.score), lastBounceAt: Number(r.last_bounce_at) }, now),
        lastBounceAt: Number(r.last_bounce_at),
        lastKind: asKind(r.last_kind),
        lastStatus: r.last_status,
        lastDiagnostic: r.last_diagnostic,
        lastMailId: Number(r.last_outbox_id),
      }));
    },

    /** Of these addresses (lower-cased), those whose score stands at `threshold` or more at `now`. */
    async atOrAbove(addresses: readonly string[], threshold: number, now: number): Promise<Set<string>> {
      if (addresses.length === 0) return new Set();
      const rows = await db
        .selectFrom('bounce_scores')
        .select('address')
        .where('address', 'in', [...new Set(addresses)])
        .where('score', '>=', threshold)
        .where('last_bounce_at', '>', now - SCORE_DECAY_MS)
        .execute();
      return new Set(rows.map((r) => r.address));
    },

    /** Forgets an address's score; resolves with whether it had one. */
    async clear(address: string): Promise<boolean> {
      const result = await db.deleteFrom('bounce_scores').where('address', '=', address).executeTakeFirst();
      return Number(result.numDeletedRows) > 0;
    },

    /** The policy rejections since `since`, newest first: what the instance's reputation warning shows. */
    async recentOfKind(kind: string, since: number, limit: number): Promise<BounceRecord[]> {
      const rows = await db.selectFrom('mail_bounces').selectAll().where('kind', '=', kind).where('received_at', '>=', since).orderBy('received_at', 'desc').limit(limit).execute();
      return rows.map(toRecord);
    },

    /** How many bounces of each kind were ever recorded (the metrics). */
    async countsByKind(): Promise<Record<string, number>> {
      const rows = await db
        .selectFrom('mail_bounces')
        .select(['kind', sql<number>`count(*)`.as('n')])
        .groupBy('kind')
        .execute();
      return Object.fromEntries(rows.map((r) => [r.kind, Number(r.n)]));
    },
  };
}

export type BounceRepo = ReturnType<typeof createBounceRepo>;
