import type { Kysely } from 'kysely';
import type { DatabaseSchema, UserTable } from './schema.ts';

export type UserRow = UserTable;

/** The people of the cloud. For now: the first admin and the admin's own address for test mails. */
export function createUserRepo(db: Kysely<DatabaseSchema>) {
  return {
    async count(): Promise<number> {
      const r = await db.selectFrom('users').select((eb) => eb.fn.countAll<string | number>().as('n')).executeTakeFirstOrThrow();
      return Number(r.n);
    },
    async insert(user: UserRow): Promise<void> {
      await db.insertInto('users').values(user).execute();
    },
    async find(uid: string): Promise<UserRow | undefined> {
      return db.selectFrom('users').selectAll().where('uid', '=', uid).executeTakeFirst();
    },
    async firstAdmin(): Promise<UserRow | undefined> {
      return db.selectFrom('users').selectAll().where('is_admin', '=', 1).where('disabled', '=', 0).orderBy('created_at').orderBy('uid').executeTakeFirst();
    },
    async update(uid: string, changes: Partial<Omit<UserRow, 'uid'>>): Promise<boolean> {
      const r = await db.updateTable('users').set(changes).where('uid', '=', uid).executeTakeFirst();
      return Number(r.numUpdatedRows) > 0;
    },
  };
}
