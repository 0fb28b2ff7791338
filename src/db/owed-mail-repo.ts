import { sql, type Kysely } from 'kysely';
import type { SqlDialectName } from './database.ts';
import type { ClaimedMail, ClaimedOwedMail, FailedOwedMail, NewOutboxRow, NewOwedMail } from '../domain/outbox.ts';
import { enqueueWithin, type InsertLease } from './outbox-repo.ts';
import type { DatabaseSchema } from './schema.ts';

const CHUNK = 100;

/**
 * Records owed mails inside the caller's transaction, next to what caused them. A key owed before
 * adds nothing. Returns the ids of the rows written now.
 */
export async function oweWithin(trx: Kysely<DatabaseSchema>, mails: readonly NewOwedMail[], now: number): Promise<number[]> {
  const ids: number[] = [];
  for (let i = 0; i < mails.length; i += CHUNK) {
    const rows = await trx
      .insertInto('owed_mails')
      .values(mails.slice(i, i + CHUNK).map((m) => ({ kind: m.kind, idempotency_key: m.key, payload: m.payload, state: 'owed', attempts: 0, created_at: now, updated_at: now })))
      .onConflict((oc) => oc.column('idempotency_key').doNothing())
      .returning('id')
      .execute();
    for (const r of rows) ids.push(Number(r.id));
  }
  return ids;
}

/** What a settle queued: every new outbox id, and the mails among them queued claimed by the worker. */
export interface SettledOwedMails {
  queued: number[];
  leased: ClaimedMail[];
}

/**
 * The owed mails as workers take them: claimed under a lease (a row whose lease ran out is
 * claimable again, so a worker killed mid-render loses nothing), and settled in one transaction
 * that queues the rendered mails and deletes their rows, only while this worker holds the lease.
 */
export function createOwedMailRepo(db: Kysely<DatabaseSchema>, dialect: SqlDialectName) {
  return {
    /** Owes mails in a transaction of their own (account mails, which nothing else commits with). */
    owe: (mails: readonly NewOwedMail[], now: number): Promise<number[]> => db.transaction().execute((trx) => oweWithin(trx, mails, now)),

    async claim(input: { owner: string; now: number; leaseExpiresAt: number; limit: number }): Promise<ClaimedOwedMail[]> {
      // On PostgreSQL several workers each take different rows (SKIP LOCKED) instead of waiting
      // on each other. SQLite answers that OR by reading the whole table, payloads included (~6 ms
      // a claim with 10 000 rows owed); each half on its own partial index reads only the ids it takes.
      const due =
        dialect === 'postgres'
          ? db
              .selectFrom('owed_mails')
              .select('id')
              .where((eb) => eb.or([eb('state', '=', 'owed'), eb.and([eb('state', '=', 'rendering'), eb('lease_expires_at', '<', input.now)])]))
              .orderBy('id')
              .limit(input.limit)
              .forUpdate()
              .skipLocked()
          : sql<number>`(select * from (select id from owed_mails where state = 'owed' order by id limit ${input.limit})
              union all select * from (select id from owed_mails where state = 'rendering' and lease_expires_at < ${input.now} limit ${input.limit})
              order by 1 limit ${input.limit})`;
      const rows = await db
        .updateTable('owed_mails')
        .set((eb) => ({ state: 'rendering', lease_owner: input.owner, lease_expires_at: input.leaseExpiresAt, attempts: eb('attempts', '+', 1), updated_at: input.now }))
        .where('id', 'in', due)
        .returning(['id', 'kind', 'idempotency_key', 'payload', 'attempts'])
        .execute();
      return rows.map((r) => ({ id: Number(r.id), kind: r.kind, key: r.idempotency_key, payload: r.payload, attempts: Number(r.attempts) })).sort((a, b) => a.id - b.id);
    },

    /**
     * Queues the rendered mails and deletes their rows, and marks the failed ones, in one
     * transaction, for the rows this worker still holds: a row whose lease was lost belongs to
     * the worker that took it over. Returns the outbox ids queued.
     */
    async settle(input: {
      owner: string;
      now: number;
      rendered: Array<{ id: number; row: NewOutboxRow }>;
      /** `again`: owed once more (a render that may pass next time); else failed for good. */
      failed: Array<{ id: number; code: string; message: string; again?: boolean }>;
      /** Queue the mails due now already claimed by this worker, which sends them next (see enqueueWithin). */
      lease?: InsertLease | undefined;
    }): Promise<SettledOwedMails> {
      if (input.rendered.length === 0 && input.failed.length === 0) return { queued: [], leased: [] };
      return db.transaction().execute(async (trx) => {
        const queued: number[] = [];
        const leased: ClaimedMail[] = [];
        for (let i = 0; i < input.rendered.length; i += CHUNK) {
          const part = input.rendered.slice(i, i + CHUNK);
          const held = await trx
            .deleteFrom('owed_mails')
            .where(
              'id',
              'in',
              part.map((r) => r.id),
            )
            .where('lease_owner', '=', input.owner)
            .where('state', '=', 'rendering')
            .returning('id')
            .execute();
          const mine = new Set(held.map((r) => Number(r.id)));
          const rows = part.filter((r) => mine.has(r.id)).map((r) => r.row);
          // The outbox key is unique: were this key queued already, enqueueWithin adds no mail.
          if (rows.length === 0) continue;
          const results = await enqueueWithin(trx, rows, input.now, input.lease, { dialect });
          results.forEach((q, j) => {
            if (q.duplicate) return;
            queued.push(q.id);
            const row = rows[j] as NewOutboxRow;
            if (q.leased) leased.push({ id: q.id, messageId: row.messageId, envelopeFrom: row.envelopeFrom, recipients: row.recipients, subject: row.subject, raw: row.raw, attempts: 1, createdAt: input.now });
          });
        }
        for (const f of input.failed) {
          await trx
            .updateTable('owed_mails')
            .set({ state: f.again ? 'owed' : 'failed', last_code: f.code, last_error: f.message, lease_owner: null, lease_expires_at: null, updated_at: input.now })
            .where('id', '=', f.id)
            .where('lease_owner', '=', input.owner)
            .where('state', '=', 'rendering')
            .execute();
        }
        return { queued, leased };
      });
    },

    /** Gives back rows claimed but not rendered (the worker is stopping). */
    async release(ids: number[], owner: string, now: number): Promise<void> {
      if (ids.length === 0) return;
      await db.updateTable('owed_mails').set({ state: 'owed', lease_owner: null, lease_expires_at: null, updated_at: now }).where('id', 'in', ids).where('lease_owner', '=', owner).where('state', '=', 'rendering').execute();
    },

    /** Waiting or being rendered, and failed. */
    async counts(): Promise<{ owed: number; failed: number }> {
      const rows = await db
        .selectFrom('owed_mails')
        .select((eb) => ['state', eb.fn.countAll<number>().as('n')])
        .groupBy('state')
        .execute();
      const n = (state: string) => Number(rows.find((r) => r.state === state)?.n ?? 0);
      return { owed: n('owed') + n('rendering'), failed: n('failed') };
    },

    /** Where the owed mail of this key is: waiting (or being rendered), or failed with its code; undefined once rendered. */
    async byKey(key: string): Promise<{ state: 'owed' } | { state: 'failed'; code: string; message: string } | undefined> {
      const row = await db.selectFrom('owed_mails').select(['state', 'last_code', 'last_error']).where('idempotency_key', '=', key).executeTakeFirst();
      if (!row) return undefined;
      return row.state === 'failed' ? { state: 'failed', code: row.last_code ?? 'internal_error', message: row.last_error ?? '' } : { state: 'owed' };
    },

    /** The mails that could not be rendered, newest first, with their codes. */
    async failed(limit: number): Promise<FailedOwedMail[]> {
      const rows = await db.selectFrom('owed_mails').select(['id', 'kind', 'last_code', 'last_error', 'attempts', 'created_at', 'updated_at']).where('state', '=', 'failed').orderBy('id', 'desc').limit(limit).execute();
      return rows.map((r) => ({ id: Number(r.id), kind: r.kind, code: r.last_code ?? 'internal_error', message: r.last_error ?? '', attempts: Number(r.attempts), createdAt: Number(r.created_at), updatedAt: Number(r.updated_at) }));
    },

    /** Puts failed owed mails back to be rendered again (after the template was fixed). */
    async retryFailed(now: number): Promise<number> {
      const r = await db.updateTable('owed_mails').set({ state: 'owed', last_code: null, last_error: null, updated_at: now }).where('state', '=', 'failed').executeTakeFirst();
      return Number(r.numUpdatedRows);
    },
  };
}

export type OwedMailRepo = ReturnType<typeof createOwedMailRepo>;
