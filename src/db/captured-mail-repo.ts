import type { Kysely } from 'kysely';
import type { CapturedMail } from '../domain/outbox.ts';
import type { DatabaseSchema } from './schema.ts';

/** Mail kept instead of sent while the mode is `capture`. */
export function createCapturedMailRepo(db: Kysely<DatabaseSchema>, clock: { now(): Date }) {
  return {
    async save(mail: { messageId: string; envelopeFrom: string; envelopeTo: string[]; subject: string; raw: string }): Promise<number> {
      const row = await db
        .insertInto('captured_mail')
        .values({
          message_id: mail.messageId,
          envelope_from: mail.envelopeFrom,
          envelope_to: JSON.stringify(mail.envelopeTo),
          subject: mail.subject,
          raw: mail.raw,
          created_at: clock.now().toISOString(),
        })
        .returning('id')
        .executeTakeFirstOrThrow();
      return Number(row.id);
    },
    /** Newest first, without the messages themselves; `beforeId` pages back. */
    async summaries(input: { limit: number; beforeId?: number | undefined }): Promise<Array<Omit<CapturedMail, 'raw'>>> {
      let q = db.selectFrom('captured_mail').select(['id', 'message_id', 'envelope_from', 'envelope_to', 'subject', 'created_at']).orderBy('id', 'desc').limit(input.limit);
      if (input.beforeId !== undefined) q = q.where('id', '<', input.beforeId);
      const rows = await q.execute();
      return rows.map((r) => ({ id: Number(r.id), messageId: r.message_id, envelopeFrom: r.envelope_from, envelopeTo: JSON.parse(r.envelope_to) as string[], subject: r.subject, createdAt: r.created_at }));
    },
    async get(id: number): Promise<CapturedMail | undefined> {
      const r = await db.selectFrom('captured_mail').selectAll().where('id', '=', id).executeTakeFirst();
      return r && { id: Number(r.id), messageId: r.message_id, envelopeFrom: r.envelope_from, envelopeTo: JSON.parse(r.envelope_to) as string[], subject: r.subject, raw: r.raw, createdAt: r.created_at };
    },
    async list(limit = 100): Promise<CapturedMail[]> {
      const rows = await db.selectFrom('captured_mail').selectAll().orderBy('id', 'desc').limit(limit).execute();
      return rows.map((r) => ({
        id: Number(r.id),
        messageId: r.message_id,
        envelopeFrom: r.envelope_from,
        envelopeTo: JSON.parse(r.envelope_to) as string[],
        subject: r.subject,
        raw: r.raw,
        createdAt: r.created_at,
      }));
    },
  };
}
