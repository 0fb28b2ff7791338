import { sql, type Kysely } from 'kysely';
import type { ClaimedMail, FailedOutcome, NewOutboxRow, OutboxAttempt, OutboxRow, OutboxState, RecipientResult, SentOutcome } from '../domain/outbox.ts';
import { MailroomError } from '../errors.ts';
import type { SqlDialectName } from './database.ts';
import type { DatabaseSchema, OutboxTable } from './schema.ts';
import { QUEUE_CHANNEL } from './queue-signal.ts';

const INSERT_CHUNK = 100;
/** How many mails one page of a search looks through (newest first); LIKE '%…%' has no index to use. */
export const SEARCH_WINDOW = 20_000;

/** A LIKE pattern that matches `text` literally (the escape character is a backslash). */
export function likeEscape(text: string): string {
  return text.replace(/[\\%_]/g, (c) => `\\${c}`);
}

/** Rows one PostgreSQL statement inserts: its parameters are one array per column, whatever the count. */
const PG_INSERT_CHUNK = 1000;

export interface EnqueueOptions {
  /** On PostgreSQL the rows go in with one statement per PG_INSERT_CHUNK (their bodies apart). */
  dialect?: SqlDialectName | undefined;
  /** PostgreSQL: NOTIFY QUEUE_CHANNEL in the same transaction when a mail is queued due now. */
  signal?: boolean | undefined;
}

/**
 * The rows in one statement, their ids drawn first (a CTE with nextval is evaluated once) so they
 * come back in the order of `rows`; then the bodies, INSERT_CHUNK at a time with the bytes as
 * binary parameters. Bodies as one bytea[] array in the same statement measured slower: the array
 * goes as hex text, twice the bytes, encoded by the client and parsed by the server.
 */
async function insertPostgres(trx: Kysely<DatabaseSchema>, rows: NewOutboxRow[], now: number, leaseOf: (row: NewOutboxRow) => InsertLease | undefined, wake: boolean): Promise<number[]> {
  const leases = rows.map(leaseOf);
  const column = <T>(pick: (row: NewOutboxRow, lease: InsertLease | undefined) => T) => rows.map((row, i) => pick(row, leases[i]));
  const result = await sql<{ id: number }>`
    with r as (
      select nextval(pg_get_serial_sequence('outbox', 'id')) as id, u.*
      from unnest(${column((r) => r.messageId)}::text[], ${column((r) => r.kind)}::text[], ${column((r) => r.envelopeFrom)}::text[],
                  ${column((r) => JSON.stringify(r.recipients))}::text[], ${column((r) => r.subject)}::text[], ${column((r) => r.idempotencyKey)}::text[],
                  ${column((r) => r.notBefore ?? now)}::bigint[], ${column((_, l) => (l ? 'sending' : 'queued'))}::text[], ${column((_, l) => (l ? 1 : 0))}::int[],
                  ${column((_, l) => l?.owner ?? null)}::text[], ${column((_, l) => l?.expiresAt ?? null)}::bigint[])
        with ordinality as u(message_id, kind, envelope_from, recipients, subject, idempotency_key, next_attempt_at, state, attempts, lease_owner, lease_expires_at, ord)
    ), o as (
      insert into outbox (id, message_id, kind, envelope_from, recipients, subject, idempotency_key, created_at, updated_at, next_attempt_at, state, attempts, lease_owner, lease_expires_at)
      select id, message_id, kind, envelope_from, recipients, subject, idempotency_key, ${now}::bigint, ${now}::bigint, next_attempt_at, state, attempts, lease_owner, lease_expires_at from r
    )
    select id from r${wake ? sql`, (select pg_notify(${QUEUE_CHANNEL}, '')) as wake` : sql``} order by ord`.execute(trx);
  const ids = result.rows.map((r) => Number(r.id));
  for (let i = 0; i < rows.length; i += INSERT_CHUNK) {
    await trx
      .insertInto('outbox_bodies')
      .values(rows.slice(i, i + INSERT_CHUNK).map((row, j) => ({ outbox_id: ids[i + j] as number, raw: row.raw })))
      .execute();
  }
  return ids;
}

/** A mail's bytes; both are written in one transaction, so a row without them is a damaged database. */
function bodyOf(raw: Buffer | undefined, id: number): Buffer {
  if (raw === undefined) throw new MailroomError('internal_error', `Mail #${id} has no message in outbox_bodies: the database is damaged`);
  return raw;
}

function toRow(r: OutboxTable & { id: number }): OutboxRow {
  return {
    id: Number(r.id),
    messageId: r.message_id,
    kind: r.kind,
    envelopeFrom: r.envelope_from,
    recipients: JSON.parse(r.recipients) as string[],
    subject: r.subject,
    state: r.state as OutboxState,
    attempts: Number(r.attempts),
    nextAttemptAt: Number(r.next_attempt_at),
    lastError: r.last_error,
    lastReply: r.last_reply,
    acceptedBy: r.accepted_by,
    recipientResults: r.recipient_results ? (JSON.parse(r.recipient_results) as RecipientResult[]) : null,
    idempotencyKey: r.idempotency_key,
    createdAt: Number(r.created_at),
    updatedAt: Number(r.updated_at),
    sentAt: r.sent_at === null ? null : Number(r.sent_at),
    leaseOwner: r.lease_owner,
    leaseExpiresAt: r.lease_expires_at === null ? null : Number(r.lease_expires_at),
  };
}

/**
 * Inserts outbox rows inside the caller's transaction, so a mail can be committed together with
 * what caused it (an event, a digest). A key seen before yields the earlier mail's id.
 */
/** Rows inserted already claimed by a worker, as its claim would have left them (see OwedMailStore.settle). */
export interface InsertLease {
  owner: string;
  expiresAt: number;
}

/**
 * Inserts the rows that are not queued yet (by idempotency key). With `lease`, the rows due now go
 * in already claimed by that worker (state `sending`, first attempt counted), so the worker that
 * rendered them sends them without reading them back; a row held for later is queued as usual.
 */
export async function enqueueWithin(trx: Kysely<DatabaseSchema>, rows: NewOutboxRow[], now: number, lease?: InsertLease, options: EnqueueOptions = {}): Promise<Array<{ id: number; duplicate: boolean; leased: boolean }>> {
  const postgres = options.dialect === 'postgres';
  const keys = rows.map((r) => r.idempotencyKey).filter((k): k is string => k !== null);
  const existing = new Map<string, number>();
  if (postgres && keys.length > 0) {
    const found = await sql<{ id: number; idempotency_key: string }>`select id, idempotency_key from outbox where idempotency_key = any(${keys}::text[])`.execute(trx);
    for (const f of found.rows) existing.set(f.idempotency_key, Number(f.id));
  }
  for (let i = 0; !postgres && i < keys.length; i += INSERT_CHUNK) {
    const found = await trx
      .selectFrom('outbox')
      .select(['id', 'idempotency_key'])
      .where('idempotency_key', 'in', keys.slice(i, i + INSERT_CHUNK))
      .execute();
    for (const f of found) existing.set(f.idempotency_key as string, Number(f.id));
  }
  const result: Array<{ id: number; duplicate: boolean; leased: boolean } | undefined> = rows.map((r) => (r.idempotencyKey !== null && existing.has(r.idempotencyKey) ? { id: existing.get(r.idempotencyKey) as number, duplicate: true, leased: false } : undefined));
  const leasedNow = (row: NewOutboxRow) => lease !== undefined && (row.notBefore ?? now) <= now;
  // The same key twice within one batch is one mail too.
  const seen = new Map<string, number>();
  const fresh: Array<{ index: number; row: NewOutboxRow }> = [];
  rows.forEach((row, index) => {
    if (result[index]) return;
    if (row.idempotencyKey !== null) {
      const first = seen.get(row.idempotencyKey);
      if (first !== undefined) return;
      seen.set(row.idempotencyKey, index);
    }
    fresh.push({ index, row });
  });
  if (postgres) {
    for (let i = 0; i < fresh.length; i += PG_INSERT_CHUNK) {
      const chunk = fresh.slice(i, i + PG_INSERT_CHUNK);
      // Workers listening in other processes look now: NOTIFY is delivered at commit, and only if
      // it commits. Mails this worker leased to itself need nobody woken.
      const wake = options.signal === true && chunk.some(({ row }) => !leasedNow(row) && (row.notBefore ?? now) <= now);
      const ids = await insertPostgres(
        trx,
        chunk.map(({ row }) => row),
        now,
        (row) => (leasedNow(row) ? lease : undefined),
        wake,
      );
      ids.forEach((id, j) => {
        const { index, row } = chunk[j] as { index: number; row: NewOutboxRow };
        result[index] = { id, duplicate: false, leased: leasedNow(row) };
      });
    }
  }
  for (let i = 0; !postgres && i < fresh.length; i += INSERT_CHUNK) {
    const chunk = fresh.slice(i, i + INSERT_CHUNK);
    const inserted = await trx
      .insertInto('outbox')
      .values(
        chunk.map(({ row }) => ({
          message_id: row.messageId,
          kind: row.kind,
          envelope_from: row.envelopeFrom,
          recipients: JSON.stringify(row.recipients),
          subject: row.subject,
          idempotency_key: row.idempotencyKey,
          created_at: now,
          updated_at: now,
          next_attempt_at: row.notBefore ?? now,
          ...(leasedNow(row) && lease ? { state: 'sending', attempts: 1, lease_owner: lease.owner, lease_expires_at: lease.expiresAt } : { state: 'queued', attempts: 0 }),
        })),
      )
      .returning('id')
      .execute();
    // RETURNING follows the VALUES order on both SQLite and PostgreSQL for a plain insert.
    inserted.forEach((r, j) => {
      const { index, row } = chunk[j] as { index: number; row: NewOutboxRow };
      result[index] = { id: Number(r.id), duplicate: false, leased: leasedNow(row) };
    });
    await trx
      .insertInto('outbox_bodies')
      .values(inserted.map((r, j) => ({ outbox_id: Number(r.id), raw: (chunk[j] as { row: NewOutboxRow }).row.raw })))
      .execute();
  }
  rows.forEach((row, index) => {
    if (!result[index] && row.idempotencyKey !== null) {
      const first = seen.get(row.idempotencyKey) as number;
      result[index] = { id: (result[first] as { id: number }).id, duplicate: true, leased: false };
    }
  });
  return result as Array<{ id: number; duplicate: boolean; leased: boolean }>;
}

/**
 * The outbox table. Every state change is conditional on the lease (`… AND lease_owner = ?
 * AND state = 'sending'`), so a worker whose lease ran out can no longer overwrite what another
 * worker did with the same mail. Batches are settled with one statement per outcome, fed a
 * JSON array, which keeps a batch of hundreds to a handful of statements; on PostgreSQL, where
 * each round trip and each commit costs a wait, the claim and the settle are one statement each.
 */
export function createOutboxRepo(db: Kysely<DatabaseSchema>, dialect: SqlDialectName, options: { searchWindow?: number; claimDb?: Kysely<DatabaseSchema> } = {}) {
  const searchWindow = options.searchWindow ?? SEARCH_WINDOW;
  const claimDb = options.claimDb ?? db;
  // SQLite's settle: json_each names its column `value`.
  const field = (name: string) => sql.raw(`v.value->>'${name}'`);
  // SQLite would drive the join from the (state, lease) index and scan the JSON rows once per
  // mail in flight, O(batch²); a unary + takes those columns out of index use, so it walks the
  // JSON rows and finds each mail by its primary key instead.
  const leaseHeld = (owner: string) => sql`+outbox.lease_owner = ${owner} and +outbox.state = 'sending'`;

  /**
   * One page of the list, newest first, by state, paged by id (`beforeId`). A `search` (recipient or subject, any
   * case, as typed: `%` and `_` are no wildcards) cannot use an index, so it looks through at
   * most `searchWindow` (SEARCH_WINDOW) mails a page; `next` is the `beforeId` of the next page, also when this
   * page found fewer than `limit` because the window ended, and null at the end of the outbox.
   */
  async function page(input: { state?: string | undefined; limit: number; beforeId?: number | undefined; search?: string | undefined }): Promise<{ mails: OutboxRow[]; next: number | null }> {
    const below = (q: ReturnType<typeof base>) => (input.beforeId !== undefined ? q.where('id', '<', input.beforeId) : q);
    const base = () => {
      const q = db.selectFrom('outbox').orderBy('id', 'desc');
      return input.state ? q.where('state', '=', input.state) : q;
    };
    if (!input.search) {
      const rows = await below(base()).selectAll().limit(input.limit).execute();
      const mails = rows.map((r) => toRow(r as OutboxTable & { id: number }));
      return { mails, next: mails.length === input.limit ? (mails[mails.length - 1]?.id ?? null) : null };
    }
    const text = input.search.toLowerCase();
    // The recipients are kept as a JSON array: a quote or backslash in the text is escaped there.
    const patterns = { subject: `%${likeEscape(text)}%`, recipients: `%${likeEscape(JSON.stringify(text).slice(1, -1))}%` };
    const window = below(base()).select('id').limit(searchWindow);
    const matches = (column: 'subject' | 'recipients') => sql<boolean>`lower(${sql.ref(column)}) like ${patterns[column]} escape '\\'`;
    const rows = await db
      .selectFrom('outbox')
      .selectAll()
      .where('id', 'in', window)
      .where((eb) => eb.or([matches('subject'), matches('recipients')]))
      .orderBy('id', 'desc')
      .limit(input.limit)
      .execute();
    const mails = rows.map((r) => toRow(r as OutboxTable & { id: number }));
    if (mails.length === input.limit) return { mails, next: mails[mails.length - 1]?.id ?? null };
    // Fewer than a page: either the window reached the oldest mail, or the search goes on below it.
    const edge = await db
      .selectFrom(window.as('w'))
      .select([(eb) => eb.fn.countAll<string | number>().as('n'), (eb) => eb.fn.min<string | number>('w.id').as('lowest')])
      .executeTakeFirstOrThrow();
    return { mails, next: Number(edge.n) === searchWindow && edge.lowest !== null ? Number(edge.lowest) : null };
  }

  /**
   * The claim on PostgreSQL, one statement and one round trip: the due rows are locked in index
   * order with SKIP LOCKED (workers take different rows instead of waiting on each other), marked
   * sending, and returned with their bodies. It runs on `claimDb`, whose plans walk the index
   * whatever the statistics say (database.ts). The bodies come as base64, which Node decodes in
   * about half the time of bytea's hex text.
   */
  async function claimPostgres(input: { owner: string; now: number; leaseExpiresAt: number; limit: number }): Promise<ClaimedMail[]> {
    const result = await sql<{ id: number; message_id: string; envelope_from: string; recipients: string; subject: string; attempts: number; created_at: number; raw: string | null }>`
      with due as (
        select id from outbox where state = 'queued' and next_attempt_at <= ${input.now}
        order by next_attempt_at, id limit ${input.limit} for update skip locked
      ), claimed as (
        update outbox set state = 'sending', lease_owner = ${input.owner}, lease_expires_at = ${input.leaseExpiresAt}, attempts = attempts + 1, updated_at = ${input.now}
        from due where outbox.id = due.id
        returning outbox.id, outbox.message_id, outbox.envelope_from, outbox.recipients, outbox.subject, outbox.attempts, outbox.created_at
      )
      select c.*, encode(b.raw, 'base64') as raw from claimed c left join outbox_bodies b on b.outbox_id = c.id`.execute(claimDb);
    const mails = result.rows.map((r) => {
      if (r.raw === null) throw new MailroomError('internal_error', `Mail #${r.id} has no message in outbox_bodies: the database is damaged`);
      return {
        id: Number(r.id),
        messageId: r.message_id,
        envelopeFrom: r.envelope_from,
        recipients: JSON.parse(r.recipients) as string[],
        subject: r.subject,
        raw: Buffer.from(r.raw, 'base64'),
        attempts: Number(r.attempts),
        createdAt: Number(r.created_at),
      };
    });
    // Sorted here: the claim's connections plan no sort (see database.ts).
    return mails.sort((a, b) => a.id - b.id);
  }

  /**
   * The settle on PostgreSQL, one statement (so one round trip and one commit): the sent, the
   * failed and their attempts are written by data-modifying CTEs of that statement, atomically as
   * a transaction would. Each list goes in as one JSON array read by json_to_recordset; one array
   * per column (unnest) measured no faster.
   */
  async function settlePostgres(input: { owner: string; now: number; sent: SentOutcome[]; failed: FailedOutcome[] }): Promise<number> {
    const { owner, now } = input;
    const sent = JSON.stringify(input.sent.map((o) => ({ id: o.id, host: o.host, reply: o.reply, results: o.recipientResults ? JSON.stringify(o.recipientResults) : null })));
    const failed = JSON.stringify(input.failed.map((o) => ({ id: o.id, attempt: o.attempt, state: o.state, next: o.nextAttemptAt ?? now, host: o.host, code: o.code, message: o.message, reply: o.reply, outcome: o.state === 'failed' ? 'failed' : 'deferred' })));
    const result = await sql<{ changed: number }>`
      with s as (
        update outbox set state = 'sent', sent_at = ${now}, updated_at = ${now}, accepted_by = v.host, last_reply = v.reply, recipient_results = v.results,
          last_error = null, lease_owner = null, lease_expires_at = null
        from json_to_recordset(${sent}::json) as v(id bigint, host text, reply text, results text)
        where outbox.id = v.id and outbox.lease_owner = ${owner} and outbox.state = 'sending'
        returning 1
      ), failures as (
        select * from json_to_recordset(${failed}::json) as v(id bigint, attempt int, state text, next bigint, host text, code text, message text, reply text, outcome text)
      ), f as (
        update outbox set state = v.state, next_attempt_at = v.next, updated_at = ${now}, last_error = v.code || ': ' || v.message, last_reply = v.reply,
          lease_owner = null, lease_expires_at = null
        from failures as v
        where outbox.id = v.id and outbox.lease_owner = ${owner} and outbox.state = 'sending'
        returning 1
      ), a as (
        insert into outbox_attempts (outbox_id, attempt, at, host, outcome, code, message, reply)
        select id, attempt, ${now}::bigint, host, outcome, code, message, reply from failures
      )
      select (select count(*) from s) + (select count(*) from f) as changed`.execute(db);
    return Number(result.rows[0]?.changed ?? 0);
  }

  return {
    /** Inserts in one transaction; a key seen before yields the earlier mail's id, not a new mail. */
    async enqueue(rows: NewOutboxRow[], now: number): Promise<Array<{ id: number; duplicate: boolean }>> {
      const results = await db.transaction().execute((trx) => enqueueWithin(trx, rows, now, undefined, { dialect, signal: true }));
      return results.map(({ id, duplicate }) => ({ id, duplicate }));
    },

    /** Takes up to `limit` due mails for this worker until `leaseExpiresAt`. */
    async claim(input: { owner: string; now: number; leaseExpiresAt: number; limit: number }): Promise<ClaimedMail[]> {
      if (dialect === 'postgres') return claimPostgres(input);
      const due = db.selectFrom('outbox').select('id').where('state', '=', 'queued').where('next_attempt_at', '<=', input.now).orderBy('next_attempt_at').orderBy('id').limit(input.limit);
      const rows = await db
        .updateTable('outbox')
        .set((eb) => ({
          state: 'sending',
          lease_owner: input.owner,
          lease_expires_at: input.leaseExpiresAt,
          attempts: eb('attempts', '+', 1),
          updated_at: input.now,
        }))
        .where('id', 'in', due)
        .returning(['id', 'message_id', 'envelope_from', 'recipients', 'subject', 'attempts', 'created_at'])
        .execute();
      if (rows.length === 0) return [];
      // The messages are read apart: the claim's update touches only the small rows.
      const bodies = new Map<number, Buffer>();
      const ids = rows.map((r) => Number(r.id));
      for (let i = 0; i < ids.length; i += INSERT_CHUNK) {
        const found = await db
          .selectFrom('outbox_bodies')
          .select(['outbox_id', 'raw'])
          .where('outbox_id', 'in', ids.slice(i, i + INSERT_CHUNK))
          .execute();
        for (const b of found) bodies.set(Number(b.outbox_id), b.raw);
      }
      return rows
        .map((r) => ({
          id: Number(r.id),
          messageId: r.message_id,
          envelopeFrom: r.envelope_from,
          recipients: JSON.parse(r.recipients) as string[],
          subject: r.subject,
          raw: bodyOf(bodies.get(Number(r.id)), Number(r.id)),
          attempts: Number(r.attempts),
          createdAt: Number(r.created_at),
        }))
        .sort((a, b) => a.id - b.id);
    },

    /** Records a batch's outcomes in one transaction; returns how many rows this worker still held. */
    async settle(input: { owner: string; now: number; sent: SentOutcome[]; failed: FailedOutcome[] }): Promise<number> {
      if (input.sent.length === 0 && input.failed.length === 0) return 0;
      if (dialect === 'postgres') return settlePostgres(input);
      return db.transaction().execute(async (trx) => {
        let changed = 0;
        if (input.sent.length > 0) {
          const payload = JSON.stringify(input.sent.map((s) => ({ id: s.id, host: s.host, reply: s.reply, results: s.recipientResults ? JSON.stringify(s.recipientResults) : null })));
          const result = await sql`
            update outbox set state = 'sent', sent_at = ${input.now}, updated_at = ${input.now},
              accepted_by = v.host, last_reply = v.reply, recipient_results = v.results, last_error = null,
              lease_owner = null, lease_expires_at = null
            from (select cast(${field('id')} as bigint) as id, ${field('host')} as host, ${field('reply')} as reply, ${field('results')} as results
                  from json_each(${payload}) as v) as v
            where outbox.id = v.id and ${leaseHeld(input.owner)}`.execute(trx);
          changed += Number(result.numAffectedRows ?? 0);
        }
        if (input.failed.length > 0) {
          const payload = JSON.stringify(input.failed.map((f) => ({ id: f.id, state: f.state, next: f.nextAttemptAt ?? input.now, error: `${f.code}: ${f.message}`, reply: f.reply, host: f.host })));
          const result = await sql`
            update outbox set state = v.state, next_attempt_at = v.next, updated_at = ${input.now},
              last_error = v.error, last_reply = v.reply, lease_owner = null, lease_expires_at = null
            from (select cast(${field('id')} as bigint) as id, ${field('state')} as state, cast(${field('next')} as bigint) as next,
                         ${field('error')} as error, ${field('reply')} as reply
                  from json_each(${payload}) as v) as v
            where outbox.id = v.id and ${leaseHeld(input.owner)}`.execute(trx);
          changed += Number(result.numAffectedRows ?? 0);
          await trx
            .insertInto('outbox_attempts')
            .values(input.failed.map((f) => ({ outbox_id: f.id, attempt: f.attempt, at: input.now, host: f.host, outcome: f.state === 'failed' ? 'failed' : 'deferred', code: f.code, message: f.message, reply: f.reply })))
            .execute();
        }
        return changed;
      });
    },

    /** Gives claimed mails back untouched (a worker stopping before it sent them). */
    async release(ids: number[], owner: string, now: number): Promise<void> {
      if (ids.length === 0) return;
      await db
        .updateTable('outbox')
        .set((eb) => ({ state: 'queued', lease_owner: null, lease_expires_at: null, attempts: eb('attempts', '-', 1), updated_at: now }))
        .where('id', 'in', ids)
        .where('lease_owner', '=', owner)
        .where('state', '=', 'sending')
        .execute();
    },

    /** Mails of a worker that died: their lease ran out, back to the queue. */
    async reapExpired(now: number): Promise<number> {
      const result = await db.updateTable('outbox').set({ state: 'queued', lease_owner: null, lease_expires_at: null, updated_at: now }).where('state', '=', 'sending').where('lease_expires_at', '<', now).executeTakeFirst();
      return Number(result.numUpdatedRows);
    },

    /** Extends this worker's lease on the mails it still holds, and says which those are. */
    async extendLease(ids: number[], owner: string, leaseExpiresAt: number): Promise<number[]> {
      if (ids.length === 0) return [];
      const held = await db.updateTable('outbox').set({ lease_expires_at: leaseExpiresAt }).where('id', 'in', ids).where('lease_owner', '=', owner).where('state', '=', 'sending').returning('id').execute();
      return held.map((r) => Number(r.id));
    },

    /** Mails not yet finished (queued or sending): answered from the small partial indexes. */
    async pending(): Promise<number> {
      const queued = await db
        .selectFrom('outbox')
        .select((eb) => eb.fn.countAll<string | number>().as('n'))
        .where('state', '=', 'queued')
        .where('next_attempt_at', '>=', -1)
        .executeTakeFirstOrThrow();
      const sending = await db
        .selectFrom('outbox')
        .select((eb) => eb.fn.countAll<string | number>().as('n'))
        .where('state', '=', 'sending')
        .where('lease_expires_at', '>=', -1)
        .executeTakeFirstOrThrow();
      return Number(queued.n) + Number(sending.n);
    },

    async counts(): Promise<Record<string, number>> {
      const rows = await db
        .selectFrom('outbox')
        .select(['state', (eb) => eb.fn.countAll<string | number>().as('n')])
        .groupBy('state')
        .execute();
      // Every state, zeros included, so a reader need not know which ones can be missing.
      return { queued: 0, sending: 0, sent: 0, failed: 0, cancelled: 0, ...Object.fromEntries(rows.map((r) => [r.state, Number(r.n)])) };
    },

    async list(input: { state?: string | undefined; limit: number; beforeId?: number | undefined }): Promise<OutboxRow[]> {
      return (await page(input)).mails;
    },

    page,

    /** Queued mails due now (a deferred one waits no longer); the ids that were queued. */
    async sendNow(input: { ids: number[]; now: number }): Promise<number[]> {
      if (input.ids.length === 0) return [];
      const rows = await db.updateTable('outbox').set({ next_attempt_at: input.now, updated_at: input.now }).where('id', 'in', input.ids).where('state', '=', 'queued').returning('id').execute();
      return rows.map((r) => Number(r.id));
    },

    /** The given mails back to the queue when failed or cancelled; the ids that were. */
    async requeueIds(input: { ids: number[]; now: number }): Promise<number[]> {
      if (input.ids.length === 0) return [];
      const rows = await db.updateTable('outbox').set({ state: 'queued', next_attempt_at: input.now, updated_at: input.now }).where('id', 'in', input.ids).where('state', 'in', ['failed', 'cancelled']).returning('id').execute();
      return rows.map((r) => Number(r.id));
    },

    /** The state of each of these mails that exists. */
    async states(ids: number[]): Promise<Map<number, string>> {
      if (ids.length === 0) return new Map();
      const rows = await db.selectFrom('outbox').select(['id', 'state']).where('id', 'in', ids).execute();
      return new Map(rows.map((r) => [Number(r.id), r.state]));
    },

    /** The id of the mail queued under this idempotency key, if any. */
    async idByKey(key: string): Promise<number | undefined> {
      const row = await db.selectFrom('outbox').select('id').where('idempotency_key', '=', key).executeTakeFirst();
      return row ? Number(row.id) : undefined;
    },

    async get(id: number): Promise<(OutboxRow & { raw: Buffer; history: OutboxAttempt[] }) | undefined> {
      const row = await db.selectFrom('outbox').selectAll().where('id', '=', id).executeTakeFirst();
      if (!row) return undefined;
      const body = await db.selectFrom('outbox_bodies').select('raw').where('outbox_id', '=', id).executeTakeFirst();
      const history = await db.selectFrom('outbox_attempts').selectAll().where('outbox_id', '=', id).orderBy('attempt').orderBy('id').execute();
      return {
        ...toRow(row as OutboxTable & { id: number }),
        raw: bodyOf(body?.raw, id),
        history: history.map((h) => ({ attempt: Number(h.attempt), at: Number(h.at), host: h.host, outcome: h.outcome, code: h.code, message: h.message, reply: h.reply })),
      };
    },

    /** Mails back to the queue, due now: the given ones when failed or cancelled, or every failed one (a cancelled mail stays cancelled). */
    async requeue(input: { ids?: number[]; allFailed?: boolean; now: number }): Promise<number> {
      let q = db.updateTable('outbox').set({ state: 'queued', next_attempt_at: input.now, updated_at: input.now });
      if (input.ids) q = q.where('id', 'in', input.ids).where('state', 'in', ['failed', 'cancelled']);
      else if (input.allFailed) q = q.where('state', '=', 'failed');
      else return 0;
      return Number((await q.executeTakeFirst()).numUpdatedRows);
    },

    /**
     * Queued or failed mails to cancelled, so that no worker sends them. A worker claims a mail
     * with the same kind of conditional update, so a mail is either claimed or cancelled, never both.
     */
    async cancel(input: { ids: number[]; now: number }): Promise<number[]> {
      if (input.ids.length === 0) return [];
      const rows = await db.updateTable('outbox').set({ state: 'cancelled', updated_at: input.now }).where('id', 'in', input.ids).where('state', 'in', ['queued', 'failed']).returning('id').execute();
      return rows.map((row) => Number(row.id));
    },

    /** Deletes finished mails (sent, failed, cancelled) last changed before `before`. */
    async purge(before: number): Promise<number> {
      return db.transaction().execute(async (trx) => {
        const old = trx.selectFrom('outbox').select('id').where('state', 'in', ['sent', 'failed', 'cancelled']).where('updated_at', '<', before);
        await trx.deleteFrom('outbox_attempts').where('outbox_id', 'in', old).execute();
        await trx.deleteFrom('outbox_bodies').where('outbox_id', 'in', old).execute();
        const result = await trx.deleteFrom('outbox').where('state', 'in', ['sent', 'failed', 'cancelled']).where('updated_at', '<', before).executeTakeFirst();
        return Number(result.numDeletedRows);
      });
    },
  };
}

export type OutboxRepo = ReturnType<typeof createOutboxRepo>;
