import { createHash, randomBytes } from 'node:crypto';
import { MailroomError } from '../errors.ts';

export interface TokenStore {
  insert(row: { name: string; tokenHash: string; scope: string; createdAt: string }): Promise<boolean>;
  findByHash(tokenHash: string): Promise<{ name: string; scope: string; createdAt: string; lastUsedAt: string | null } | undefined>;
  touch(name: string, at: string): Promise<void>;
  list(): Promise<Array<{ name: string; scope: string; createdAt: string; lastUsedAt: string | null }>>;
  delete(name: string): Promise<boolean>;
}

const hashToken = (token: string) => createHash('sha256').update(token).digest('hex');

/** API tokens for host applications and admins' scripts: shown once, kept only as a hash. */
export function createTokenService(deps: { store: TokenStore; clock: { now(): Date } }) {
  return {
    async create(name: string, scope: 'admin' = 'admin'): Promise<string> {
      if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/.test(name)) {
        throw new MailroomError('invalid_request', 'A token name uses letters, digits, ".", "_" and "-" (at most 100)');
      }
      const token = `mr_${randomBytes(32).toString('base64url')}`;
      const inserted = await deps.store.insert({ name, tokenHash: hashToken(token), scope, createdAt: deps.clock.now().toISOString() });
      if (!inserted) throw new MailroomError('token_exists', `A token named "${name}" exists already: revoke it first or choose another name`);
      return token;
    },
    async verify(token: string): Promise<{ name: string; scope: string } | undefined> {
      const row = await deps.store.findByHash(hashToken(token));
      if (!row) return undefined;
      await deps.store.touch(row.name, deps.clock.now().toISOString());
      return { name: row.name, scope: row.scope };
    },
    list: () => deps.store.list(),
    async revoke(name: string): Promise<void> {
      if (!(await deps.store.delete(name))) throw new MailroomError('not_found', `No token is named "${name}"`);
    },
  };
}

export type TokenService = ReturnType<typeof createTokenService>;
