import type { Kysely } from 'kysely';
import type { User } from '../domain/user.ts';
import type { DatabaseSchema, UserTable } from './schema.ts';

// The flags are 0/1 in the table (SQLite has no boolean); services see booleans.
const toUser = ({ is_admin, disabled, ...rest }: UserTable): User => ({ ...rest, admin: is_admin === 1, disabled: disabled === 1 });
const toRow = ({ admin, disabled, ...rest }: User): UserTable => ({ ...rest, is_admin: admin ? 1 : 0, disabled: disabled ? 1 : 0 });

function toColumns(changes: Partial<Omit<User, 'uid'>>): Partial<Omit<UserTable, 'uid'>> {
  const { admin, disabled, ...rest } = changes;
  return { ...rest, ...(admin === undefined ? {} : { is_admin: admin ? 1 : 0 }), ...(disabled === undefined ? {} : { disabled: disabled ? 1 : 0 }) };
}

/** The people of the cloud. Emails are compared case-insensitively (lower-cased on lookup). */
export function createUserRepo(db: Kysely<DatabaseSchema>) {
  return {
    async count(): Promise<number> {
      const r = await db
        .selectFrom('users')
        .select((eb) => eb.fn.countAll<string | number>().as('n'))
        .executeTakeFirstOrThrow();
      return Number(r.n);
    },
    /** False when the uid is taken. */
    async insert(user: User): Promise<boolean> {
      const r = await db
        .insertInto('users')
        .values(toRow(user))
        .onConflict((oc) => oc.column('uid').doNothing())
        .executeTakeFirst();
      return Number(r.numInsertedOrUpdatedRows ?? 0) > 0;
    },
    async find(uid: string): Promise<User | undefined> {
      const row = await db.selectFrom('users').selectAll().where('uid', '=', uid).executeTakeFirst();
      return row && toUser(row);
    },
    async findMany(uids: readonly string[]): Promise<User[]> {
      if (uids.length === 0) return [];
      const out: User[] = [];
      for (let i = 0; i < uids.length; i += 500) {
        out.push(
          ...(
            await db
              .selectFrom('users')
              .selectAll()
              .where('uid', 'in', uids.slice(i, i + 500))
              .execute()
          ).map(toUser),
        );
      }
      return out;
    },
    async findByEmail(email: string): Promise<User[]> {
      return (
        await db
          .selectFrom('users')
          .selectAll()
          .where((eb) => eb(eb.fn('lower', ['email']), '=', email.toLowerCase()))
          .orderBy('uid')
          .execute()
      ).map(toUser);
    },
    async list(): Promise<User[]> {
      return (await db.selectFrom('users').selectAll().orderBy('uid').execute()).map(toUser);
    },
    async firstAdmin(): Promise<User | undefined> {
      const row = await db.selectFrom('users').selectAll().where('is_admin', '=', 1).where('disabled', '=', 0).orderBy('created_at').orderBy('uid').executeTakeFirst();
      return row && toUser(row);
    },
    async update(uid: string, changes: Partial<Omit<User, 'uid'>>): Promise<boolean> {
      const r = await db.updateTable('users').set(toColumns(changes)).where('uid', '=', uid).executeTakeFirst();
      return Number(r.numUpdatedRows) > 0;
    },
    /**
     * Removes the user and everything that is only theirs, in one transaction: sessions, the
     * tokens of mailed links, app passwords, notification choices, activities (pending ones would
     * otherwise wait for a digest no one gets), the record of digests and share mails sent. Mails
     * already owed or queued stay: they are addressed mails, not the account (docs/people-and-notifications.md).
     */
    async delete(uid: string): Promise<boolean> {
      return db.transaction().execute(async (trx) => {
        for (const table of ['sessions', 'user_tokens', 'notification_settings', 'activities', 'digests', 'share_notifications'] as const) {
          await trx.deleteFrom(table).where('uid', '=', uid).execute();
        }
        await trx.deleteFrom('api_tokens').where('uid', '=', uid).execute();
        const r = await trx.deleteFrom('users').where('uid', '=', uid).executeTakeFirst();
        return Number(r.numDeletedRows) > 0;
      });
    },
  };
}

export type UserRepo = ReturnType<typeof createUserRepo>;
