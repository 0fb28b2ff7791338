import type { SettingsService } from '../config/settings-service.ts';
import type { ChangeClient } from '../domain/user-agent.ts';
import type { UserRow } from '../db/user-repo.ts';
import { MailroomError } from '../errors.ts';
import type { Logger } from '../log/logger.ts';
import type { OwedAccountMail } from './account-mail-service.ts';
import type { AttemptLimiter } from './attempt-limiter.ts';
import { linkTo, type OneTimeLinks } from './one-time-links.ts';
import { checkPasswordStrength } from './password-policy.ts';

export interface PasswordResetDeps {
  links: OneTimeLinks;
  settings: SettingsService;
  /** Owes the mail (sealed: it holds a live link); a worker renders and queues it after the answer. */
  owe(mail: OwedAccountMail): Promise<unknown>;
  findUser(login: string): Promise<UserRow | undefined>;
  /** Sets the password (checked for strength) and ends the user's sessions. */
  setPassword(uid: string, password: string, client?: ChangeClient): Promise<void>;
  clock: { now(): Date };
  sleep(ms: number): Promise<void>;
  log: Logger;
  perClient: AttemptLimiter;
  perAccount: AttemptLimiter;
  /** Every request answers after at least this long, known user or not. */
  answerFloorMs: number;
}

/** `{base_url}/reset/{token}`. */
export const resetLink = (baseUrl: string, token: string): string => linkTo(baseUrl, 'reset', token);

/**
 * "Forgot password": the same answer, after the same time, whether or not the account exists;
 * a random single-use token of which only a hash is kept, expiring, and void once the password or
 * the address changes; limited per client address (refused, 429) and per account (silently, so
 * the limit does not reveal that the account exists).
 */
export function createPasswordResetService(deps: PasswordResetDeps) {
  return {
    async request(input: { login: string; client: string }): Promise<void> {
      const byClient = await deps.perClient.take(input.client);
      if (!byClient.granted) {
        const wait = byClient.retryAfterSeconds;
        throw new MailroomError('rate_limited', `Too many password-reset requests from this address; try again in ${wait} seconds`, { details: { retry_after: wait } });
      }
      const started = Date.now();
      try {
        const user = await deps.findUser(input.login.trim());
        const settings = await deps.settings.get();
        const minutes = settings.password_reset_expiry_minutes;
        const eligible = user !== undefined && user.disabled === 0 && user.email !== null && (await deps.perAccount.take(user.uid)).granted;
        if (user && user.disabled === 0 && user.email !== null && !eligible) {
          deps.log.warn({ event: 'password_reset_limited', uid: user.uid }, 'password reset requested too often for one account; no mail sent');
        }
        // Nothing is rendered here: the mail is owed (a row, sealed) and a worker renders it, so
        // the work a real account costs is a few writes, well inside the answer's floor. A newer
        // request voids the links sent before.
        if (eligible) {
          const { token } = await deps.links.issue(user.uid, 'password_reset', minutes * 60_000, { email: user.email });
          await deps.owe({
            template: 'lost_password',
            to: { address: user.email as string, displayName: user.display_name, uid: user.uid, language: user.language, timeZone: user.timezone },
            data: { link: resetLink(settings.base_url, token), expires_in_minutes: minutes },
            sealed: true,
          });
        }
      } finally {
        const left = deps.answerFloorMs - (Date.now() - started);
        if (left > 0) await deps.sleep(left);
      }
    },

    /** Sets the new password with a token from the mail; the token is spent either way it succeeds. */
    async confirm(input: { token: string; password: string }, client?: ChangeClient): Promise<{ uid: string }> {
      const link = await deps.links.check(input.token, 'password_reset');
      if (link.state === 'invalid') throw new MailroomError('reset_token_invalid', 'This password-reset link is not valid: copy the whole link from the mail, or ask for a new one');
      if (link.state === 'used') throw new MailroomError('reset_token_used', 'This password-reset link was used already or replaced by a newer one; ask for a new one');
      if (link.state === 'expired') throw new MailroomError('reset_token_expired', 'This password-reset link has expired; ask for a new one');
      const user = await deps.findUser(link.row.uid);
      if (!user || user.disabled === 1) throw new MailroomError('reset_token_invalid', 'This password-reset link is not valid any more: the account is gone or disabled');
      // Strength first: a weak password must not spend the link. Then spend it atomically, so two
      // requests with the same link cannot both set a password.
      checkPasswordStrength(input.password, { uid: user.uid, email: user.email });
      if (!(await deps.links.spend(link.row))) throw new MailroomError('reset_token_used', 'This password-reset link was used already; ask for a new one');
      await deps.setPassword(user.uid, input.password, client);
      return { uid: user.uid };
    },
  };
}

export type PasswordResetService = ReturnType<typeof createPasswordResetService>;
