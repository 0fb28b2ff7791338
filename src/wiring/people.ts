import { createHmac, randomUUID } from 'node:crypto';
import type { AppContext, Clock } from '../context.ts';
import { createApiTokenRepo } from '../db/api-token-repo.ts';
import { createAttemptRepo } from '../db/attempt-repo.ts';
import { createSessionRepo, createUserTokenRepo } from '../db/session-repo.ts';
import type { ChangeClient } from '../domain/user-agent.ts';
import type { Logger } from '../log/logger.ts';
import { owedMail } from '../outbox/owed-mail.ts';
import type { BounceService } from '../bounces/bounce-service.ts';
import { createAccountMailService, type OwedAccountMail } from '../users/account-mail-service.ts';
import { ensureFirstAdmin } from '../users/admin-bootstrap.ts';
import { createAttemptLimiter } from '../users/attempt-limiter.ts';
import { createAuthService } from '../users/auth-service.ts';
import { createOneTimeLinks } from '../users/one-time-links.ts';
import { verifyPassword as scryptVerify } from '../users/password-hash.ts';
import { createPasswordResetService } from '../users/password-reset-service.ts';
import { createSessionService } from '../users/session-service.ts';
import { createTokenService } from '../users/token-service.ts';
import { createUserService, type UserService } from '../users/user-service.ts';
import type { Mail } from './mail.ts';
import { sleep } from './sleep.ts';
import type { Storage } from './storage.ts';

/** Creates the first admin when the database has no user; its generated password is printed once, on purpose: it is the only way in to a fresh install. */
export async function bootstrapFirstAdmin(input: { storage: Storage; clock: Clock; log: Logger; password: string | undefined }): Promise<void> {
  const admin = await ensureFirstAdmin({ store: input.storage.users, clock: input.clock, password: input.password });
  if (admin.generatedPassword) {
    process.stderr.write(`\nMailroom created the user "admin" with the password: ${admin.generatedPassword}\nSign in and change it; it is not shown again.\n\n`);
  } else if (admin.created) {
    input.log.info({ event: 'admin_created' }, 'created the user admin with MAILROOM_ADMIN_PASSWORD');
  }
}

export interface PeopleInput {
  clock: Clock;
  log: Logger;
  storage: Storage;
  mail: Mail;
  /** A new address starts without the old one's bounces. */
  bounces: Pick<BounceService, 'clear'>;
  /** Tests a sign-in's password against its stored hash; scrypt unless given (tests count the calls). */
  verifyPassword: ((password: string, stored: string) => Promise<boolean>) | undefined;
}

const minutes = (n: number) => n * 60_000;

/**
 * People and their accounts: the directory, sessions and sign-in limits, API tokens and app
 * passwords, the one-time links mailed to them, password reset, and the account mails.
 */
export function wirePeople(input: PeopleInput) {
  const { clock, log } = input;
  const { database, secretKey, secretBox, settings, users } = input.storage;
  const { owedRepo, mailQueued } = input.mail;

  /*
   * The one cycle of the wiring, closed here and nowhere else. The directory (the user service)
   * and the account mails need each other: a changed password sends password_changed and an
   * added user gets the welcome mail, while the links in those mails set a password or an
   * address through the directory (its strength check, the end of other sessions, password_changed
   * in turn). Sessions and password reset find the user a sign-in names through it too. So they
   * are built first and reach the directory through `directory()`, which answers once the
   * directory below is built: that is before buildContext returns, so before any request.
   */
  let builtDirectory: UserService | undefined;
  const directory = (): UserService => {
    if (!builtDirectory) throw new Error('the user directory was called while the context was being built');
    return builtDirectory;
  };

  const apiTokens = createApiTokenRepo(database.db);
  const tokens = createTokenService({ store: apiTokens, clock, userExists: async (uid) => (await users.find(uid)) !== undefined });
  const attempts = createAttemptRepo(database.db);
  const attemptKeySecret = createHmac('sha256', secretKey).update('mailroom attempt keys').digest();
  const limiter = (bucket: string, limit: number, windowMs: number) => createAttemptLimiter({ bucket, limit, windowMs, clock, store: attempts, secret: attemptKeySecret });
  const sessions = createSessionService({
    store: createSessionRepo(database.db),
    findUser: (login) => directory().findForLogin(login),
    clock,
    failuresPerAccount: limiter('login_account', 5, minutes(15)),
    failuresPerClient: limiter('login_client', 20, minutes(15)),
    verifyPassword: input.verifyPassword ?? scryptVerify,
  });
  const links = createOneTimeLinks({ store: createUserTokenRepo(database.db), clock });
  // The account mails are owed, each under a key of its own; sealed when it holds a live one-time link.
  const oweAccountMail = async (mail: OwedAccountMail) => {
    const dates = Object.keys(mail.data).filter((k) => mail.data[k] instanceof Date);
    const payload = { type: 'account' as const, template: mail.template, to: mail.to, data: mail.data, dates };
    const key = `${mail.template}:${randomUUID()}`;
    await owedRepo.owe([owedMail(mail.template, key, payload, mail.sealed ? secretBox : undefined)], clock.now().getTime());
    mailQueued.notify();
    return key;
  };
  // Through the directory: the strength check, the end of other sessions, and password_changed.
  const setPassword = async (uid: string, password: string, client?: ChangeClient) => {
    await directory().modify(uid, { password }, client);
  };
  const accountMails = createAccountMailService({
    links,
    settings,
    owe: oweAccountMail,
    findUser: (uid) => users.find(uid),
    setPassword,
    setEmail: async (uid, email) => {
      await directory().modify(uid, { email });
    },
    signOutEverywhere: async (uid) => {
      await sessions.endAll(uid);
      await apiTokens.deleteForUser(uid);
    },
    clock,
  });
  const passwordReset = createPasswordResetService({
    links,
    settings,
    owe: oweAccountMail,
    findUser: (login) => directory().findForLogin(login),
    setPassword,
    clock,
    sleep: (ms) => sleep(ms),
    log: log.child({ module: 'password-reset' }),
    perClient: limiter('reset_client', 5, minutes(1)),
    perAccount: limiter('reset_account', 3, minutes(15)),
    answerFloorMs: 400,
  });
  builtDirectory = createUserService({
    store: users,
    clock,
    async onCredentialsChanged(uid, what) {
      // A link mailed before the change must not work after it; a new password signs out everywhere else.
      await links.voidAfterCredentialChange(uid);
      if (what.password || what.disabled) await sessions.endAll(uid, what.keepSessionHash);
      if (what.password) {
        // Without this, an owner locked out by failed guesses (often their own) stays locked out
        // for the rest of the window even after setting a new password through the reset link.
        await sessions.forgetFailures(uid);
        // "Your password was changed" would alarm someone who has just chosen their first one.
        if (!what.firstPassword) await accountMails.passwordChanged(uid, what.client);
      }
      // A new address starts without the old one's bounces; the old one's score goes with it.
      if (what.email && what.previousEmail) await input.bounces.clear(what.previousEmail);
    },
    sendInvitation: (uid) => accountMails.invite(uid),
    requestEmailChange: (uid, email) => accountMails.requestEmailChange(uid, email),
    checkPassword: (uid, password, stored) => sessions.checkPassword(uid, password, stored),
  });
  const context: Pick<AppContext, 'tokens' | 'users' | 'sessions' | 'auth' | 'passwordReset' | 'linkCheckLimit' | 'accountMails'> = {
    tokens,
    users: builtDirectory,
    sessions,
    auth: createAuthService({ tokens, sessions, findUser: (uid) => users.find(uid) }),
    passwordReset,
    linkCheckLimit: limiter('link_check_client', 30, minutes(1)),
    accountMails,
  };
  return { context };
}
