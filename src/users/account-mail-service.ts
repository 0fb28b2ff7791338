import type { Settings } from '../config/settings-schema.ts';
import type { SettingsReader } from '../config/settings-service.ts';
import type { User } from '../domain/user.ts';
import { printable } from '../domain/address.ts';
import { browserName, type ChangeClient } from '../domain/user-agent.ts';
import { MailroomError } from '../errors.ts';
import { mailLanguage, type MailRecipient } from '../templates/render-mail.ts';
import type { TemplateName } from '../templates/template-catalog.ts';
import { browserWords } from '../templates/catalogs.ts';
import { linkHolder, linkTo, type LinkHolder, type OneTimeLinks } from './one-time-links.ts';
import { checkPasswordStrength } from './password-policy.ts';
import type { InvitationSent } from '../domain/api-types.ts';

/** How long the link that confirms a new address works. */
export const EMAIL_CHANGE_LIFETIME_HOURS = 24;
/** How long the old address can undo a change: long enough to notice it after a holiday. */
export const EMAIL_UNDO_LIFETIME_DAYS = 14;

export interface AccountMailDeps {
  links: OneTimeLinks;
  settings: SettingsReader;
  /**
   * Owes a mail: commits what to render, for a worker to render and queue after the answer.
   * `sealed`: the mail holds a live one-time link, so it is stored sealed (outbox/sealed-raw.ts).
   * Answers the mail's key, under which the outbox finds it once rendered.
   */
  owe(mail: OwedAccountMail): Promise<string>;
  findUser(uid: string): Promise<User | undefined>;
  /** Sets a password through the directory (which then sends `password_changed` and ends sessions). */
  setPassword(uid: string, password: string, client?: ChangeClient): Promise<void>;
  /** Sets an address through the directory (which voids the links sent before). */
  setEmail(uid: string, email: string): Promise<void>;
  /** Ends every session of the user and revokes their app passwords. */
  signOutEverywhere(uid: string): Promise<void>;
  clock: { now(): Date };
}

/** An account mail owed: the template, the recipient and the data (Dates are written out when rendered). */
export interface OwedAccountMail {
  template: TemplateName;
  to: MailRecipient;
  data: Record<string, unknown>;
  sealed: boolean;
}

export type { InvitationSent };

const recipient = (user: User, address = user.email as string): MailRecipient => ({ address, displayName: user.display_name, uid: user.uid, language: user.language, timeZone: user.timezone });
const page = (settings: Settings, path: string) => `${settings.base_url.replace(/\/+$/, '')}/${path}`;

/**
 * When and from where an account changed, for the mails that tell its owner: the time (a Date,
 * written out in the reader's zone with the zone named), and for a change made through the web
 * the client's address and a short browser name in the reader's language; empty otherwise.
 */
function changeFacts(user: User, settings: Settings, at: Date, client: ChangeClient | undefined) {
  if (client === undefined) return { changed_at: at, client_address: '', browser: '' };
  return { changed_at: at, client_address: client.address, browser: browserName(client.userAgent, browserWords(mailLanguage(user.language, settings.mail_default_language))) };
}

/**
 * The mails about an account itself: the welcome mail with its set-password link, "your password
 * was changed", and an address change confirmed from the new address and announced to the old.
 */
export function createAccountMailService(deps: AccountMailDeps) {
  const mustFind = async (uid: string) => {
    const user = await deps.findUser(uid);
    if (!user) throw new MailroomError('not_found', `No user "${printable(uid)}"`);
    return user;
  };
  /**
   * `withLink`: the mail holds a one-time link, whose token must not be readable at rest. The
   * mail is owed, not rendered: the request answers once it is committed.
   */
  const send = (template: TemplateName, to: MailRecipient, data: Record<string, unknown>, withLink: boolean): Promise<string> => deps.owe({ template, to, data, sealed: withLink });

  async function validInvitation(token: string) {
    const link = await deps.links.check(token, 'invitation');
    if (link.state === 'expired') throw new MailroomError('invitation_token_expired', 'The token provided has expired. Ask your administrator to send a new invitation.');
    if (link.state !== 'valid') throw new MailroomError('invitation_token_invalid', 'The token provided is invalid. Use the link of the newest invitation mail, or ask your administrator to send a new one.');
    const user = await deps.findUser(link.row.uid);
    if (!user || user.disabled) throw new MailroomError('invitation_token_invalid', 'The token provided is invalid: the account is gone or disabled.');
    return { row: link.row, user };
  }

  return {
    /** Mails the `welcome` invitation; a new one voids the link of every earlier one. */
    async invite(uid: string): Promise<InvitationSent> {
      const user = await mustFind(uid);
      if (user.email === null) throw new MailroomError('no_recipient', `"${uid}" has no email address to send the invitation to; set one first`);
      if (user.disabled) throw new MailroomError('invitation_not_pending', `"${uid}" is disabled; enable the account before inviting`);
      if (user.password_hash !== null) throw new MailroomError('invitation_not_pending', `"${uid}" has set a password already; they can use "Forgot password?" instead`);
      const settings = await deps.settings.get();
      const days = settings.invitation_expiry_days;
      const { token, expiresAt } = await deps.links.issue(uid, 'invitation', days * 86_400_000);
      const key = await send('welcome', recipient(user), { link: linkTo(settings.base_url, 'set-password', token), expires_in_days: days }, true);
      return { email: user.email, expires_at: new Date(expiresAt).toISOString(), mail_key: key };
    },

    /**
     * Who an invitation link is for, so its page can greet them in their language. Unknown, used,
     * replaced and expired links get one and the same answer (`accept` still says which).
     */
    async checkInvitation(token: string): Promise<LinkHolder> {
      const link = await deps.links.check(token, 'invitation');
      const user = link.state === 'valid' ? await deps.findUser(link.row.uid) : undefined;
      if (link.state !== 'valid' || !user || user.disabled) throw new MailroomError('invitation_token_invalid', 'The token provided is invalid. It was used, replaced by a newer invitation, has expired, or was cut short: ask your administrator to send a new invitation.');
      return linkHolder(user, user.email ?? '');
    },

    /** Whom a confirmation link (purpose `email_change`) or an undo link (`email_undo`) is for; one answer for every link that does not work. */
    async checkEmailLink(token: string, purpose: 'email_change' | 'email_undo'): Promise<LinkHolder> {
      const link = await deps.links.check(token, purpose);
      const user = link.state === 'valid' ? await deps.findUser(link.row.uid) : undefined;
      const email = link.state === 'valid' ? deps.links.dataOf(link.row).email : undefined;
      if (!user || user.disabled || typeof email !== 'string') {
        throw new MailroomError('email_change_token_invalid', `This ${purpose === 'email_change' ? 'confirmation' : 'undo'} link is not valid: it was used, replaced, has expired, or was cut short`);
      }
      return linkHolder(user, email);
    },

    /** Sets the first password through the invitation link; the link is then spent. */
    async acceptInvitation(input: { token: string; password: string }, client?: ChangeClient): Promise<{ uid: string }> {
      const { row, user } = await validInvitation(input.token);
      // Strength first, so that a weak password does not spend the link.
      checkPasswordStrength(input.password, { uid: user.uid, email: user.email });
      if (!(await deps.links.spend(row))) throw new MailroomError('invitation_token_invalid', 'The token provided is invalid: it was used a moment ago.');
      await deps.setPassword(user.uid, input.password, client);
      return { uid: user.uid };
    },

    /** `password_changed`, to the account's address (none: nothing to send); `client` when it was changed through the web. */
    async passwordChanged(uid: string, client?: ChangeClient): Promise<void> {
      const user = await deps.findUser(uid);
      if (!user?.email) return;
      const settings = await deps.settings.get();
      await send('password_changed', recipient(user), { ...changeFacts(user, settings, deps.clock.now(), client), reset_link: page(settings, 'forgot') }, false);
    },

    /** Mails a confirmation link to the new address; the address changes only when it is followed. */
    async requestEmailChange(uid: string, newEmail: string): Promise<{ pending_email: string; expires_at: string }> {
      const user = await mustFind(uid);
      const settings = await deps.settings.get();
      const { token, expiresAt } = await deps.links.issue(uid, 'email_change', EMAIL_CHANGE_LIFETIME_HOURS * 3_600_000, { email: newEmail });
      await send('email_change_verify', recipient(user, newEmail), { link: linkTo(settings.base_url, 'confirm-email', token), new_email: newEmail, expires_in_hours: EMAIL_CHANGE_LIFETIME_HOURS }, true);
      return { pending_email: newEmail, expires_at: new Date(expiresAt).toISOString() };
    },

    /** The address waiting for confirmation, if any. */
    async pendingEmail(uid: string): Promise<string | null> {
      const row = await deps.links.live(uid, 'email_change');
      const email = row ? deps.links.dataOf(row).email : undefined;
      return typeof email === 'string' ? email : null;
    },

    /**
     * Follows the confirmation link: the new address takes effect, and the old one is told, with
     * a link that undoes the change in case someone else made it.
     */
    async confirmEmailChange(token: string, client?: ChangeClient): Promise<{ uid: string; email: string }> {
      const link = await deps.links.check(token, 'email_change');
      if (link.state === 'expired') throw new MailroomError('email_change_token_expired', 'This confirmation link has expired; change the address on your personal page again to get a new one');
      if (link.state !== 'valid') throw new MailroomError('email_change_token_invalid', 'This confirmation link is not valid: it was used already, replaced by a newer one, or cut short');
      const user = await deps.findUser(link.row.uid);
      const email = deps.links.dataOf(link.row).email;
      if (!user || user.disabled || typeof email !== 'string') throw new MailroomError('email_change_token_invalid', 'This confirmation link is not valid any more: the account is gone or disabled');
      if (!(await deps.links.spend(link.row))) throw new MailroomError('email_change_token_invalid', 'This confirmation link was used a moment ago');
      const old = user.email;
      await deps.setEmail(user.uid, email);
      if (old !== null && old.toLowerCase() !== email.toLowerCase()) {
        const settings = await deps.settings.get();
        const undo = await deps.links.issue(user.uid, 'email_undo', EMAIL_UNDO_LIFETIME_DAYS * 86_400_000, { email: old, replaced: email });
        await send('email_change_notice', recipient(user, old), { old_email: old, new_email: email, ...changeFacts(user, settings, deps.clock.now(), client), undo_link: linkTo(settings.base_url, 'undo-email', undo.token), reset_link: page(settings, 'forgot') }, true);
      }
      return { uid: user.uid, email };
    },

    /**
     * "It was not me": the link in `email_change_notice` puts the old address back and signs the
     * account out everywhere, so that a password reset reaches the owner again, not whoever
     * changed the address. It outlives later changes (an intruder cannot void it by changing the
     * address once more) and works once.
     */
    async undoEmailChange(token: string): Promise<{ uid: string; email: string }> {
      const link = await deps.links.check(token, 'email_undo');
      if (link.state === 'expired') throw new MailroomError('email_change_token_expired', `This undo link has expired (it works for ${EMAIL_UNDO_LIFETIME_DAYS} days); ask your administrator to set your address`);
      if (link.state !== 'valid') throw new MailroomError('email_change_token_invalid', 'This undo link is not valid: it was used already, or cut short when copied');
      const user = await deps.findUser(link.row.uid);
      const email = deps.links.dataOf(link.row).email;
      if (!user || user.disabled || typeof email !== 'string') throw new MailroomError('email_change_token_invalid', 'This undo link is not valid any more: the account is gone or disabled');
      if (!(await deps.links.spend(link.row))) throw new MailroomError('email_change_token_invalid', 'This undo link was used a moment ago');
      await deps.setEmail(user.uid, email);
      await deps.signOutEverywhere(user.uid);
      return { uid: user.uid, email };
    },
  };
}

export type AccountMailService = ReturnType<typeof createAccountMailService>;
