import type { Kysely, Migration } from 'kysely';

/**
 * A digest is claimed before it is rendered: its row is written first with the worker that builds
 * it and until when (claim_owner, claim_expires_at), and completed with its mail (outbox_id) in a
 * later transaction. Two workers then never render the same digest, and the claim of a worker
 * that died between the two runs out and lets another take the digest over. Rows written before
 * this migration are complete (outbox_id set), so both columns start empty.
 */
export function digestClaimsMigration(): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await db.schema.alterTable('digests').addColumn('claim_owner', 'varchar(64)').execute();
      await db.schema.alterTable('digests').addColumn('claim_expires_at', 'bigint').execute();
    },
  };
}
