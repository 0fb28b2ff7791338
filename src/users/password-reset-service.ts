import { createHash, randomBytes } from 'node:crypto';
import type { SettingsService } from '../config/settings-service.ts';
import type { UserTokenTable } from '../db/schema.ts';
import type { UserRow } from '../db/user-repo.ts';
import { MailroomError } from '../errors.ts';
import type { Logger } from '../log/logger.ts';
import type { MailRenderer } from '../templates/render-mail.ts';
import type { ComposedMessage } from '../templates/compose-message.ts';
import type { AttemptLimiter } from './attempt-limiter.ts';
import { checkPasswordStrength } from './password-policy.ts';

export const RESET_PURPOSE = 'password_reset';

export interface UserTokenStore {
  insert(row: UserTokenTable): Promise<void>;
  find(tokenHash: string): Promise<UserTokenTable | undefined>;
  markUsed(tokenHash: string, at: number): Promise<boolean>;
  invalidate(uid: string, at: number, purpose?: string): Promise<void>;
  deleteOlderThan(at: number): Promise<void>;
}

export interface PasswordResetDeps {
  tokens: UserTokenStore;
  settings: SettingsService;
  renderer: MailRenderer;
  enqueue(message: ComposedMessage, kind: string): Promise<unknown>;
  findUser(login: string): Promise<UserRow | undefined>;
  /** Sets the password (checked for strength) and ends the user's sessions. */
  setPassword(uid: string, password: string): Promise<void>;
  clock: { now(): Date };
  sleep(ms: number): Promise<void>;
  log: Logger;
  perClient: AttemptLimiter;
  perAccount: AttemptLimiter;
  /** Every request answers after at least this long, known user or not. */
  answerFloorMs: number;
}

const hashToken = (token: string) => createHash('sha256').update(token).digest('hex');

/** `{base_url}/reset/{token}`, with one slash between them whatever base_url ends with. */
export function resetLink(baseUrl: string, token: string): string {
  return `${baseUrl.replace(/\/+$/, '')}/reset/${token}`;
}

/**
 * "Forgot password": the same answer, after the same time, whether or not the account exists;
 * a random single-use token of which only a hash is kept, expiring, and void once the password or
 * the address changes; limited per client address (refused, 429) and per account (silently, so
 * the limit does not reveal that the account exists).
 */
export function createPasswordResetService(deps: PasswordResetDeps) {
  return {
    async request(input: { login: string; client: string }): Promise<void> {
      if (!deps.perClient.take(input.client)) {
        const wait = deps.perClient.retryAfterSeconds(input.client);
        throw new MailroomError('rate_limited', `Too many password-reset requests from this address; try again in ${wait} seconds`, { details: { retry_after: wait } });
      }
      const started = Date.now();
      try {
        const user = await deps.findUser(input.login.trim());
        const settings = await deps.settings.get();
        const minutes = settings.password_reset_expiry_minutes;
        const eligible = user !== undefined && user.disabled === 0 && user.email !== null && deps.perAccount.take(user.uid);
        if (user && user.disabled === 0 && user.email !== null && !eligible) {
          deps.log.warn({ event: 'password_reset_limited', uid: user.uid }, 'password reset requested too often for one account; no mail sent');
        }
        const token = randomBytes(32).toString('base64url');
        // The mail is rendered for every request, also when none is sent: the first render loads
        // the template engine, and doing it only for real accounts would time them apart.
        const message = await deps.renderer.render(
          {
            template: 'lost_password',
            to: eligible
              ? { address: user.email as string, displayName: user.display_name, uid: user.uid, language: user.language, timeZone: user.timezone }
              : { address: 'nobody@invalid.example', displayName: 'nobody', uid: 'nobody' },
            data: { link: resetLink(settings.base_url, token), expires_in_minutes: minutes },
          },
          settings,
        );
        if (!eligible) return;
        const now = deps.clock.now().getTime();
        await deps.tokens.deleteOlderThan(now - 7 * 86_400_000);
        // One link at a time: a new request makes the earlier links useless.
        await deps.tokens.invalidate(user.uid, now, RESET_PURPOSE);
        await deps.tokens.insert({ token_hash: hashToken(token), uid: user.uid, purpose: RESET_PURPOSE, created_at: now, expires_at: now + minutes * 60_000, used_at: null, data: JSON.stringify({ email: user.email }) });
        await deps.enqueue(message, 'lost_password');
      } finally {
        const left = deps.answerFloorMs - (Date.now() - started);
        if (left > 0) await deps.sleep(left);
      }
    },

    /** Sets the new password with a token from the mail; the token is spent either way it succeeds. */
    async confirm(input: { token: string; password: string }): Promise<{ uid: string }> {
      const row = /^[A-Za-z0-9_-]{20,100}$/.test(input.token) ? await deps.tokens.find(hashToken(input.token)) : undefined;
      if (!row || row.purpose !== RESET_PURPOSE) throw new MailroomError('reset_token_invalid', 'This password-reset link is not valid: copy the whole link from the mail, or ask for a new one');
      const now = deps.clock.now().getTime();
      if (row.used_at !== null) throw new MailroomError('reset_token_used', 'This password-reset link was used already or replaced by a newer one; ask for a new one');
      if (row.expires_at <= now) throw new MailroomError('reset_token_expired', 'This password-reset link has expired; ask for a new one');
      const user = await deps.findUser(row.uid);
      if (!user || user.disabled === 1) throw new MailroomError('reset_token_invalid', 'This password-reset link is not valid any more: the account is gone or disabled');
      // Strength first: a weak password must not spend the link. Then spend it atomically, so two
      // requests with the same link cannot both set a password.
      checkPasswordStrength(input.password, { uid: user.uid, email: user.email });
      if (!(await deps.tokens.markUsed(row.token_hash, now))) throw new MailroomError('reset_token_used', 'This password-reset link was used already; ask for a new one');
      await deps.setPassword(row.uid, input.password);
      return { uid: row.uid };
    },
  };
}

export type PasswordResetService = ReturnType<typeof createPasswordResetService>;
