import type { SettingsReader } from '../config/settings-service.ts';
import type { ChangeClient } from '../domain/user-agent.ts';
import type { User } from '../domain/user.ts';
import { MailroomError } from '../errors.ts';
import type { Logger } from '../log/logger.ts';
import type { OwedAccountMail } from './account-mail-service.ts';
import type { AttemptLimiter } from './attempt-limiter.ts';
import { printable } from '../domain/address.ts';
import { linkHolder, linkTo, type LinkHolder, type OneTimeLinks } from './one-time-links.ts';
import { checkPasswordStrength } from './password-policy.ts';

export interface PasswordResetDeps {
  links: OneTimeLinks;
  settings: SettingsReader;
  /** Owes the mail (sealed: it holds a live link); a worker renders and queues it after the answer. */
  owe(mail: OwedAccountMail): Promise<unknown>;
  findUser(login: string): Promise<User | undefined>;
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
  /** Issues the link (voiding the one before) and owes the mail; the account must have an address. */
  const mailLink = async (user: User): Promise<{ email: string; expiresAt: number }> => {
    const settings = await deps.settings.get();
    const minutes = settings.password_reset_expiry_minutes;
    const email = user.email as string;
    const { token, expiresAt } = await deps.links.issue(user.uid, 'password_reset', minutes * 60_000, { email });
    await deps.owe({
      template: 'lost_password',
      to: { address: email, displayName: user.display_name, uid: user.uid, language: user.language, timeZone: user.timezone },
      data: { link: resetLink(settings.base_url, token), expires_in_minutes: minutes },
      sealed: true,
    });
    return { email, expiresAt };
  };

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
        const eligible = user !== undefined && !user.disabled && user.email !== null && (await deps.perAccount.take(user.uid)).granted;
        if (user && !user.disabled && user.email !== null && !eligible) {
          deps.log.warn({ event: 'password_reset_limited', uid: user.uid }, 'password reset requested too often for one account; no mail sent');
        }
        // Nothing is rendered here: the mail is owed (a row, sealed) and a worker renders it, so
        // the work a real account costs is a few writes, well inside the answer's floor. A newer
        // request voids the links sent before.
        if (eligible) await mailLink(user);
      } finally {
        const left = deps.answerFloorMs - (Date.now() - started);
        if (left > 0) await deps.sleep(left);
      }
    },

    /**
     * "Send password reset" of the Users page: the same mail and link as "Forgot password?", for
     * an admin who knows the account exists, so refusals say why. The per-account limit still
     * holds: an admin's clicks must not flood a mailbox either.
     */
    async sendByAdmin(uid: string): Promise<{ email: string; expires_at: string }> {
      const user = await deps.findUser(uid);
      if (!user || user.uid !== uid) throw new MailroomError('not_found', `No user "${printable(uid)}"`);
      if (user.disabled) throw new MailroomError('user_disabled', `"${printable(uid)}" is disabled; enable the account before sending a password reset`);
      if (user.email === null) throw new MailroomError('no_recipient', `"${printable(uid)}" has no email address to send the reset link to; set one first`);
      const grant = await deps.perAccount.take(user.uid);
      if (!grant.granted) {
        const wait = grant.retryAfterSeconds;
        throw new MailroomError('rate_limited', `A password reset was sent to "${printable(uid)}" too often; try again in ${wait} seconds`, { details: { retry_after: wait } });
      }
      const { email, expiresAt } = await mailLink(user);
      return { email, expires_at: new Date(expiresAt).toISOString() };
    },

    /**
     * Whom a reset link is for, so that its page can name the account and speak its language.
     * Unknown, used, replaced and expired links get one and the same answer.
     */
    async check(token: string): Promise<LinkHolder> {
      const link = await deps.links.check(token, 'password_reset');
      const user = link.state === 'valid' ? await deps.findUser(link.row.uid) : undefined;
      if (link.state !== 'valid' || !user || user.uid !== link.row.uid || user.disabled || user.email === null) {
        throw new MailroomError('reset_token_invalid', 'This password-reset link is not valid: it was used, replaced by a newer one, has expired, or was cut short; ask for a new one');
      }
      return linkHolder(user, user.email);
    },

    /** Sets the new password with a token from the mail; the token is spent either way it succeeds. */
    async confirm(input: { token: string; password: string }, client?: ChangeClient): Promise<{ uid: string }> {
      const link = await deps.links.check(input.token, 'password_reset');
      if (link.state === 'invalid') throw new MailroomError('reset_token_invalid', 'This password-reset link is not valid: copy the whole link from the mail, or ask for a new one');
      if (link.state === 'used') throw new MailroomError('reset_token_used', 'This password-reset link was used already or replaced by a newer one; ask for a new one');
      if (link.state === 'expired') throw new MailroomError('reset_token_expired', 'This password-reset link has expired; ask for a new one');
      const user = await deps.findUser(link.row.uid);
      if (!user || user.disabled) throw new MailroomError('reset_token_invalid', 'This password-reset link is not valid any more: the account is gone or disabled');
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
