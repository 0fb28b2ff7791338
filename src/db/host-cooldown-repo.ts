import type { Kysely } from 'kysely';
import type { DatabaseSchema } from './schema.ts';

/** The shared half of the failover cool-down: one row per server that failed lately. */
export function createHostCooldownRepo(db: Kysely<DatabaseSchema>) {
  return {
    async active(now: number): Promise<Array<{ host: string; until: number }>> {
      const rows = await db.selectFrom('smtp_host_cooldowns').select(['host', 'failed_until']).where('failed_until', '>', now).execute();
      return rows.map((row) => ({ host: row.host, until: Number(row.failed_until) }));
    },
    async set(host: string, until: number): Promise<void> {
      await db
        .insertInto('smtp_host_cooldowns')
        .values({ host, failed_until: until })
        .onConflict((conflict) => conflict.column('host').doUpdateSet({ failed_until: until }))
        .execute();
    },
    async clear(host: string): Promise<void> {
      await db.deleteFrom('smtp_host_cooldowns').where('host', '=', host).execute();
    },
  };
}
