import { createHash, randomBytes } from 'node:crypto';
import { MailroomError } from '../errors.ts';

/**
 * What a token may do: `admin` everything; `service` what a host application needs (events,
 * messages); `user` act as one user (an app password: their own account and preferences).
 */
export const TOKEN_SCOPES = ['admin', 'service', 'user'] as const;
export type TokenScope = (typeof TOKEN_SCOPES)[number];

export interface TokenRow {
  name: string;
  scope: string;
  uid: string | null;
  createdAt: string;
  lastUsedAt: string | null;
}

export interface TokenStore {
  insert(row: { name: string; tokenHash: string; scope: string; uid: string | null; createdAt: string }): Promise<boolean>;
  findByHash(tokenHash: string): Promise<TokenRow | undefined>;
  touch(name: string, at: string): Promise<void>;
  list(): Promise<TokenRow[]>;
  delete(name: string): Promise<boolean>;
}

/** How stale a token's "last used" may get: it is written when older than this. */
const TOUCH_EVERY_MS = 60_000;

const hashToken = (token: string) => createHash('sha256').update(token).digest('hex');

/** API tokens for host applications, admins' scripts and users' app passwords: shown once, kept only as a hash. */
export function createTokenService(deps: { store: TokenStore; clock: { now(): Date }; userExists(uid: string): Promise<boolean> }) {
  return {
    async create(name: string, options: { scope?: TokenScope; uid?: string } = {}): Promise<string> {
      if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/.test(name)) {
        throw new MailroomError('invalid_request', 'A token name uses letters, digits, ".", "_" and "-" (at most 100)');
      }
      const scope = options.uid !== undefined ? 'user' : (options.scope ?? 'admin');
      if (scope === 'user' && options.uid === undefined) throw new MailroomError('invalid_request', 'A user token needs the user it acts as (--user UID)');
      if (options.uid !== undefined && !(await deps.userExists(options.uid))) throw new MailroomError('unknown_user', `No user "${options.uid}"`);
      const token = `mr_${randomBytes(32).toString('base64url')}`;
      const inserted = await deps.store.insert({ name, tokenHash: hashToken(token), scope, uid: options.uid ?? null, createdAt: deps.clock.now().toISOString() });
      if (!inserted) throw new MailroomError('token_exists', `A token named "${name}" exists already: revoke it first or choose another name`);
      return token;
    },
    async verify(token: string): Promise<{ name: string; scope: TokenScope; uid: string | null } | undefined> {
      const row = await deps.store.findByHash(hashToken(token));
      if (!row) return undefined;
      // Written at most once a minute: a host cloud posting events, or a page polling the outbox,
      // would otherwise pay a committed write (an fsync) for every request.
      const now = deps.clock.now();
      if (row.lastUsedAt === null || now.getTime() - Date.parse(row.lastUsedAt) >= TOUCH_EVERY_MS) await deps.store.touch(row.name, now.toISOString());
      return { name: row.name, scope: row.scope as TokenScope, uid: row.uid };
    },
    list: () => deps.store.list(),
    async revoke(name: string): Promise<void> {
      if (!(await deps.store.delete(name))) throw new MailroomError('not_found', `No token is named "${name}"`);
    },
  };
}

export type TokenService = ReturnType<typeof createTokenService>;
