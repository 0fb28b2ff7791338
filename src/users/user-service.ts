import { z } from 'zod';
import type { ChangeClient } from '../domain/user-agent.ts';
import { explainInvalidAddress, headerControlCharacter, printable } from '../domain/address.ts';
import { currentTimeZoneName, isTimeZone } from '../domain/time-zone.ts';
import { isMailroomError, MailroomError, type ErrorCode } from '../errors.ts';
import { LANGUAGE_CODES, matchLanguage } from '../domain/languages.ts';
import type { User } from '../domain/user.ts';
import type { PublicUser } from '../domain/api-types.ts';
import { hashPassword } from './password-hash.ts';
import { checkPasswordStrength } from './password-policy.ts';
import type { InvitationSent } from './account-mail-service.ts';

export type { PublicUser };

export const UID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$/;

// A display name goes into the From: or To: of mails: a control character there would fail every one of them.
const displayName = z
  .string()
  .trim()
  .min(1)
  .max(200)
  .refine((v) => headerControlCharacter(v) === undefined, 'must not contain a line break or another control character');

/**
 * A language as a client names it: one Mailroom writes (de), or a tag that falls back to one
 * (de-AT, de_CH → de; pt → pt-BR; zh-Hant → zh-TW), stored as the language it falls back to.
 */
export const languageInput = z
  .string()
  .max(35)
  .transform((tag, ctx) => {
    const language = matchLanguage(tag);
    if (language === undefined) {
      ctx.addIssue({ code: 'custom', message: `Mailroom writes no language that "${tag}" falls back to; use one of ${LANGUAGE_CODES.map((code) => `"${code}"`).join(', ')}` });
      return z.NEVER;
    }
    return language;
  });

export const newUserSchema = z
  .object({
    uid: z.string().regex(UID_PATTERN, 'use 1–64 letters, digits, ".", "_", "@" or "-", starting with a letter or digit'),
    email: z.string().max(320).nullable().optional(),
    display_name: displayName.optional(),
    language: languageInput.optional(),
    timezone: z.string().max(64).optional(),
    admin: z.boolean().optional(),
    password: z.string().max(1024).optional(),
    /** With an email and no password: mail the welcome invitation (the default). */
    invite: z.boolean().optional(),
  })
  .strict();
export type NewUser = z.infer<typeof newUserSchema>;

export const userChangesSchema = z
  .object({
    email: z.string().max(320).nullable().optional(),
    display_name: displayName.optional(),
    language: languageInput.optional(),
    timezone: z.string().max(64).optional(),
    admin: z.boolean().optional(),
    disabled: z.boolean().optional(),
    password: z.string().max(1024).optional(),
  })
  .strict();
export type UserChanges = z.infer<typeof userChangesSchema>;

/** What a user may change about themselves (`PATCH /me`): not the admin flag or the disabled flag. */
export const ownChangesSchema = userChangesSchema
  .omit({ admin: true, disabled: true })
  .extend({ current_password: z.string().max(1024).optional() })
  .strict();
export type OwnChanges = z.infer<typeof ownChangesSchema>;

export interface UserStore {
  insert(user: User): Promise<boolean>;
  find(uid: string): Promise<User | undefined>;
  findByEmail(email: string): Promise<User[]>;
  list(): Promise<User[]>;
  update(uid: string, changes: Partial<Omit<User, 'uid'>>): Promise<boolean>;
  delete(uid: string): Promise<boolean>;
}

export interface UserServiceDeps {
  store: UserStore;
  clock: { now(): Date };
  /** Called after a password or address change or a disabling: one-use links and other sessions end. */
  /** `firstPassword`: the account had none before (an invitation accepted), so there is no change to warn of. */
  onCredentialsChanged(uid: string, what: { password: boolean; firstPassword: boolean; email: boolean; previousEmail?: string | null; disabled: boolean; keepSessionHash?: string | undefined; client?: ChangeClient | undefined }): Promise<void>;
  /** Mails the welcome invitation with its set-password link. */
  sendInvitation(uid: string): Promise<InvitationSent>;
  /** Mails a confirmation link to a user's new address; the address changes when it is followed. */
  requestEmailChange(uid: string, email: string): Promise<unknown>;
  /** Tests a user's current password within the account's limit of failed sign-ins (rate_limited when locked). */
  checkPassword(uid: string, password: string, stored: string | null): Promise<boolean>;
}

export function toPublicUser(row: User): PublicUser {
  return {
    uid: row.uid,
    display_name: row.display_name,
    email: row.email,
    language: row.language,
    // A zone saved under its old name (Asia/Calcutta) is shown by the name IANA uses today.
    timezone: currentTimeZoneName(row.timezone),
    admin: row.admin,
    disabled: row.disabled,
    password_set: row.password_hash !== null,
    created_at: row.created_at,
    updated_at: row.updated_at,
  };
}

function checkEmail(email: string | null | undefined): string | null {
  if (email === undefined || email === null || email === '') return null;
  const problem = explainInvalidAddress(email);
  if (problem) throw new MailroomError('invalid_address', `email "${printable(email)}" is not a valid email address: ${problem}`, { details: { field: 'email' } });
  return email;
}

/** The zone by its current IANA name; an old name (Asia/Calcutta) is still taken and saved as the current one (Asia/Kolkata). */
function checkTimeZone(zone: string | undefined): string | undefined {
  if (zone === undefined) return undefined;
  if (!isTimeZone(zone)) {
    throw new MailroomError('invalid_timezone', `timezone "${printable(zone)}" is not a time zone: use an IANA name such as Europe/Berlin, Asia/Kolkata or UTC`, { details: { field: 'timezone' } });
  }
  return currentTimeZoneName(zone);
}

/** Whether a user matches a search: the words, each found (any case) in the uid, the name or the address. */
function matches(user: User, words: readonly string[]): boolean {
  const haystack = `${user.uid}\n${user.display_name}\n${user.email ?? ''}`.toLocaleLowerCase();
  return words.every((w) => haystack.includes(w));
}

/** The directory of the cloud's people: add, change, disable, remove; passwords only as scrypt hashes. */
export function createUserService(deps: UserServiceDeps) {
  const mustFind = async (uid: string) => {
    const row = await deps.store.find(uid);
    if (!row) throw new MailroomError('not_found', `No user "${printable(uid)}"`);
    return row;
  };

  async function applyChanges(uid: string, changes: UserChanges, keepSessionHash?: string, client?: ChangeClient): Promise<PublicUser> {
    const row = await mustFind(uid);
    const email = changes.email === undefined ? undefined : checkEmail(changes.email);
    const timezone = checkTimeZone(changes.timezone);
    if (changes.password !== undefined) checkPasswordStrength(changes.password, { uid, email: email === undefined ? row.email : email });
    if (changes.admin === false || changes.disabled === true) {
      // An instance without an active admin cannot be administered any more.
      const admins = (await deps.store.list()).filter((u) => u.admin && !u.disabled && u.uid !== uid);
      if (row.admin && !row.disabled && admins.length === 0) throw new MailroomError('last_admin', `"${uid}" is the last active admin; make another user admin first`);
    }
    const update: Partial<Omit<User, 'uid'>> = { updated_at: deps.clock.now().toISOString() };
    if (email !== undefined) update.email = email;
    if (changes.display_name !== undefined) update.display_name = changes.display_name;
    if (changes.language !== undefined) update.language = changes.language;
    if (timezone !== undefined) update.timezone = timezone;
    if (changes.admin !== undefined) update.admin = changes.admin;
    if (changes.disabled !== undefined) update.disabled = changes.disabled;
    if (changes.password !== undefined) update.password_hash = await hashPassword(changes.password);
    await deps.store.update(uid, update);
    const emailChanged = email !== undefined && (email ?? '').toLowerCase() !== (row.email ?? '').toLowerCase();
    const passwordChanged = changes.password !== undefined;
    const disabled = changes.disabled === true && !row.disabled;
    if (emailChanged || passwordChanged || disabled) {
      await deps.onCredentialsChanged(uid, { password: passwordChanged, firstPassword: passwordChanged && row.password_hash === null, email: emailChanged, previousEmail: row.email, disabled, keepSessionHash, client });
    }
    return toPublicUser(await mustFind(uid));
  }

  return {
    /** Adds a user; one with an address and no password gets the welcome invitation (unless `invite: false`). */
    async add(input: NewUser): Promise<PublicUser & { invitation?: InvitationSent; invitation_error?: { code: ErrorCode; message: string } }> {
      const email = checkEmail(input.email);
      const timezone = checkTimeZone(input.timezone);
      if (input.password !== undefined) checkPasswordStrength(input.password, { uid: input.uid, email });
      const now = deps.clock.now().toISOString();
      const row: User = {
        uid: input.uid,
        display_name: input.display_name ?? input.uid,
        email,
        language: input.language ?? 'en',
        timezone: timezone ?? 'UTC',
        admin: input.admin === true,
        password_hash: input.password !== undefined ? await hashPassword(input.password) : null,
        disabled: false,
        created_at: now,
        updated_at: now,
      };
      if (!(await deps.store.insert(row))) throw new MailroomError('user_exists', `A user "${input.uid}" exists already`);
      if (email !== null && input.password === undefined && input.invite !== false) {
        // The user exists now whatever happens to the mail: a failure is reported with the new
        // user (the admin can resend), never as an error that would hide that it was added.
        try {
          return { ...toPublicUser(row), invitation: await deps.sendInvitation(row.uid) };
        } catch (error) {
          if (!isMailroomError(error)) throw error;
          return { ...toPublicUser(row), invitation_error: { code: error.code, message: `${error.message}; the user was added: resend the invitation once this is fixed` } };
        }
      }
      return toPublicUser(row);
    },
    /** Everyone, by uid; with `search`, those whose uid, name or address holds each of its words. */
    async list(query: { search?: string | undefined } = {}): Promise<PublicUser[]> {
      const words = (query.search ?? '').toLocaleLowerCase().split(/\s+/).filter(Boolean);
      const rows = await deps.store.list();
      return (words.length === 0 ? rows : rows.filter((u) => matches(u, words))).map(toPublicUser);
    },
    get: async (uid: string): Promise<PublicUser> => toPublicUser(await mustFind(uid)),
    /** An admin's change: every field may change, the password without the old one. `client`: the web client it came through. */
    modify: (uid: string, changes: UserChanges, client?: ChangeClient) => applyChanges(uid, changes, undefined, client),
    /**
     * A user's change of their own account: a new password or address needs the current password,
     * and a new address takes effect only once the link mailed to it is followed.
     */
    async modifyOwn(uid: string, changes: OwnChanges, sessionHash?: string, client?: ChangeClient): Promise<PublicUser> {
      const { current_password: current, ...rest } = changes;
      // Whoever holds a session must not be able to take the account over: a new password, or a
      // new address (which a password reset would then go to), needs the current password.
      const row = await mustFind(uid);
      const emailChanges = rest.email !== undefined && (rest.email ?? '').toLowerCase() !== (row.email ?? '').toLowerCase();
      if (rest.password !== undefined || emailChanges) {
        if (current === undefined || !row.password_hash || !(await deps.checkPassword(uid, current, row.password_hash))) {
          throw new MailroomError('forbidden', `current_password: give your current password to change your ${rest.password !== undefined ? 'password' : 'email address'}`);
        }
      }
      if (emailChanges && rest.email) {
        const newEmail = checkEmail(rest.email) as string;
        const updated = await applyChanges(uid, { ...rest, email: undefined }, sessionHash, client);
        await deps.requestEmailChange(uid, newEmail);
        return updated;
      }
      return applyChanges(uid, rest, sessionHash, client);
    },
    /**
     * Deletes the account and what is only its own (sessions, links, app passwords, preferences,
     * activities: see user-repo.ts); mails already owed or queued to its address are kept.
     */
    async delete(uid: string): Promise<void> {
      const row = await mustFind(uid);
      if (row.admin && !row.disabled) {
        const admins = (await deps.store.list()).filter((u) => u.admin && !u.disabled);
        if (admins.length <= 1) throw new MailroomError('last_admin', `"${uid}" is the last active admin and cannot be deleted; make another user admin first`);
      }
      await deps.store.delete(uid);
    },
    /** The user a sign-in or reset names, by uid or (when unambiguous) by address. */
    async findForLogin(login: string): Promise<User | undefined> {
      const byUid = await deps.store.find(login);
      if (byUid) return byUid;
      if (!login.includes('@')) return undefined;
      const byEmail = await deps.store.findByEmail(login);
      return byEmail.length === 1 ? byEmail[0] : undefined;
    },
  };
}

export type UserService = ReturnType<typeof createUserService>;
