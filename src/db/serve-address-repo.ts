import type { Kysely } from 'kysely';
import type { DatabaseSchema } from './schema.ts';

/** The one row holding the address `serve` last listened on; implements the config layer's ServeAddressStore. */
export function createServeAddressRepo(db: Kysely<DatabaseSchema>, clock: { now(): Date }) {
  return {
    async read(): Promise<string | undefined> {
      const row = await db.selectFrom('serve_address').select('url').where('id', '=', 1).executeTakeFirst();
      return row?.url;
    },
    async write(url: string): Promise<void> {
      const updated_at = clock.now().toISOString();
      await db
        .insertInto('serve_address')
        .values({ id: 1, url, updated_at })
        .onConflict((oc) => oc.column('id').doUpdateSet({ url, updated_at }))
        .execute();
    },
  };
}
