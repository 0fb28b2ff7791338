import type { Kysely } from 'kysely';
import type { DatabaseSchema } from './schema.ts';

/** The saved settings rows; implements the config layer's SettingsStore port. */
export function createSettingsRepo(db: Kysely<DatabaseSchema>, clock: { now(): Date }) {
  return {
    async readAll(): Promise<Record<string, string>> {
      const rows = await db.selectFrom('settings').select(['key', 'value']).execute();
      return Object.fromEntries(rows.map((r) => [r.key, r.value]));
    },
    async write(changes: Record<string, string | null>): Promise<void> {
      const now = clock.now().toISOString();
      await db.transaction().execute(async (trx) => {
        for (const [key, value] of Object.entries(changes)) {
          if (value === null) {
            await trx.deleteFrom('settings').where('key', '=', key).execute();
          } else {
            await trx
              .insertInto('settings')
              .values({ key, value, updated_at: now })
              .onConflict((oc) => oc.column('key').doUpdateSet({ value, updated_at: now }))
              .execute();
          }
        }
      });
    },
  };
}
