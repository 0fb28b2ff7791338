import { createHash, randomBytes } from 'node:crypto';
import type { StoredUserToken } from '../domain/user.ts';
import type { LinkHolder } from '../domain/api-types.ts';

/** What a mailed link is for; a user has at most one live link of each purpose. */
export type LinkPurpose = 'password_reset' | 'invitation' | 'email_change' | 'email_undo';

export interface UserTokenStore {
  insert(row: StoredUserToken): Promise<void>;
  find(tokenHash: string): Promise<StoredUserToken | undefined>;
  /** The newest unused, unexpired token of a user and purpose. */
  findLive(uid: string, purpose: string, now: number): Promise<StoredUserToken | undefined>;
  markUsed(tokenHash: string, at: number): Promise<boolean>;
  invalidate(uid: string, at: number, purpose?: string): Promise<void>;
  /** Voids every live token of a user but those of the given purposes. */
  invalidateAllBut(uid: string, at: number, keep: readonly string[]): Promise<void>;
  deleteOlderThan(at: number): Promise<void>;
}

export type LinkCheck = { state: 'valid'; row: StoredUserToken } | { state: 'used'; row: StoredUserToken } | { state: 'expired'; row: StoredUserToken } | { state: 'invalid' };

const hashToken = (token: string) => createHash('sha256').update(token).digest('hex');
const TOKEN_SHAPE = /^[A-Za-z0-9_-]{20,100}$/;

/**
 * The tokens behind the links Mailroom mails (reset, invitation, address change): 32 random bytes,
 * of which only a SHA-256 hash is kept; single-use (spent atomically), expiring, and one live link
 * per user and purpose: issuing a new one voids the older.
 */
export function createOneTimeLinks(deps: { store: UserTokenStore; clock: { now(): Date } }) {
  return {
    /**
     * Issues a token; the caller mails it. Older live tokens of this user and purpose stop working,
     * except undo links: each address change has its own, so a second change cannot void the first's.
     */
    async issue(uid: string, purpose: LinkPurpose, lifetimeMs: number, data?: Record<string, unknown>): Promise<{ token: string; expiresAt: number }> {
      const now = deps.clock.now().getTime();
      const token = randomBytes(32).toString('base64url');
      await deps.store.deleteOlderThan(now - 30 * 86_400_000);
      if (purpose !== 'email_undo') await deps.store.invalidate(uid, now, purpose);
      const expiresAt = now + lifetimeMs;
      await deps.store.insert({ token_hash: hashToken(token), uid, purpose, created_at: now, expires_at: expiresAt, used_at: null, data: data === undefined ? null : JSON.stringify(data) });
      return { token, expiresAt };
    },

    /** What a token from a link is: valid (with its row), unknown, spent or replaced, or expired. */
    async check(token: string, purpose: LinkPurpose): Promise<LinkCheck> {
      const row = TOKEN_SHAPE.test(token) ? await deps.store.find(hashToken(token)) : undefined;
      if (!row || row.purpose !== purpose) return { state: 'invalid' };
      if (row.used_at !== null) return { state: 'used', row };
      if (row.expires_at <= deps.clock.now().getTime()) return { state: 'expired', row };
      return { state: 'valid', row };
    },

    /** Spends a checked token; false when another request spent it first. */
    spend: (row: StoredUserToken): Promise<boolean> => deps.store.markUsed(row.token_hash, deps.clock.now().getTime()),

    /** The live token of a user and purpose, e.g. to show an address change waiting for confirmation. */
    live: (uid: string, purpose: LinkPurpose): Promise<StoredUserToken | undefined> => deps.store.findLive(uid, purpose, deps.clock.now().getTime()),

    /**
     * After a new password or address: every link mailed before stops working, except the undo
     * links of address changes, which exist for exactly the case that someone else made them.
     */
    voidAfterCredentialChange: (uid: string): Promise<void> => deps.store.invalidateAllBut(uid, deps.clock.now().getTime(), ['email_undo']),

    /** The data stored with a token. */
    dataOf(row: StoredUserToken): Record<string, unknown> {
      return row.data ? (JSON.parse(row.data) as Record<string, unknown>) : {};
    },
  };
}

export type OneTimeLinks = ReturnType<typeof createOneTimeLinks>;

/** `{base_url}/{path}/{token}`, with one slash between them whatever base_url ends with. */
export function linkTo(baseUrl: string, path: string, token: string): string {
  return `${baseUrl.replace(/\/+$/, '')}/${path}/${token}`;
}

/**
 * What the page of a valid link may show about its account: the holder read the mail, so the
 * name and the language are theirs to see; the address only masked (m•••@example.com), as a
 * forwarded or misdirected mail should not hand it on whole.
 */
export type { LinkHolder };

export function linkHolder(user: { uid: string; display_name: string; language: string }, address: string): LinkHolder {
  return { uid: user.uid, display_name: user.display_name, email: maskAddress(address), language: user.language };
}

/** `mei@example.com` → `m•••@example.com`: enough to recognise one's own address, not to learn someone's. */
export function maskAddress(address: string): string {
  const at = address.lastIndexOf('@');
  if (at <= 0) return '•••';
  return `${Array.from(address.slice(0, at))[0] ?? ''}•••${address.slice(at)}`;
}
