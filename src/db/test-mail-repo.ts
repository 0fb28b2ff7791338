import type { Kysely } from 'kysely';
import type { TestMailRecord } from '../domain/outbox.ts';
import type { DatabaseSchema } from './schema.ts';

/** How many test mails are kept: enough to look back on a session of setting up the server. */
export const TEST_MAILS_KEPT = 500;

/** The test mails sent at once (not through the outbox), newest kept. */
export function createTestMailRepo(db: Kysely<DatabaseSchema>) {
  return {
    async record(mail: Omit<TestMailRecord, 'id'>): Promise<number> {
      const row = await db
        .insertInto('test_mails')
        .values({
          template: mail.template,
          recipient: mail.recipient,
          subject: mail.subject,
          mode: mail.mode,
          ok: mail.ok ? 1 : 0,
          via: mail.via,
          response: mail.response,
          error_code: mail.errorCode,
          error_message: mail.errorMessage,
          created_at: mail.createdAt,
        })
        .returning('id')
        .executeTakeFirstOrThrow();
      const id = Number(row.id);
      // Bounded: the ones older than the newest TEST_MAILS_KEPT go (the primary key finds them).
      await db
        .deleteFrom('test_mails')
        .where('id', '<=', id - TEST_MAILS_KEPT)
        .execute();
      return id;
    },
    /** Newest first; `beforeId` pages back. */
    async list(input: { limit: number; beforeId?: number | undefined }): Promise<TestMailRecord[]> {
      let q = db.selectFrom('test_mails').selectAll().orderBy('id', 'desc').limit(input.limit);
      if (input.beforeId !== undefined) q = q.where('id', '<', input.beforeId);
      const rows = await q.execute();
      return rows.map((r) => ({
        id: Number(r.id),
        template: r.template,
        recipient: r.recipient,
        subject: r.subject,
        mode: r.mode,
        ok: Number(r.ok) === 1,
        via: r.via,
        response: r.response,
        errorCode: r.error_code,
        errorMessage: r.error_message,
        createdAt: Number(r.created_at),
      }));
    },
  };
}

export type TestMailRepo = ReturnType<typeof createTestMailRepo>;
