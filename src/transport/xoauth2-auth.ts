/**
 * The auth object for nodemailer's `SMTPConnection.login()` that logs in with XOAUTH2 using
 * tokens from our OAuthTokenProvider instead of nodemailer's own token fetching.
 *
 * What nodemailer 10.6 does with it (smtp-connection/index.js):
 * - login() picks XOAUTH2 because `method` is 'XOAUTH2' and `oauth2` is set; no password is needed.
 * - It calls `oauth2.getToken(false, cb)` and sends `AUTH XOAUTH2 <oauth2.buildXOAuth2Token(token)>`,
 *   which encodes `user=<options.user>^Aauth=Bearer <token>^A^A`.
 * - A server that refuses the token answers 334 with a base64 JSON error; nodemailer sends an
 *   empty line, reads the 535, then calls `getToken(true, cb)` once and sends AUTH XOAUTH2
 *   again. If that token is refused too, login() fails with EAUTH "Invalid login: 535 ...".
 * - An error passed to the getToken callback is handed to `_formatError(err, 'EAUTH', ...)`,
 *   which keeps the same object but overwrites `err.code` with 'EAUTH' (moving the old one to
 *   `err.originalCode`) and sets `err.command = 'AUTH XOAUTH2'`. Passing our MailroomError
 *   itself would leave a MailroomError whose code is 'EAUTH', so it goes out wrapped: login()
 *   fails with a plain Error (code 'EAUTH') whose `cause` is the untouched MailroomError
 *   (`oauth_token_failed` or `oauth_refresh_token_revoked`).
 */
import type { SMTPConnectionAuth } from 'nodemailer/lib/smtp-connection';
import XOAuth2 from 'nodemailer/lib/xoauth2';
import type { XOAuth2TokenCallback } from 'nodemailer/lib/xoauth2';
import { isMailroomError, MailroomError } from '../errors.ts';
import type { OAuthTokenProvider } from './oauth-token-provider.ts';

// Subclassing keeps the object exactly the type SMTPConnection declares, and
// buildXOAuth2Token() stays nodemailer's; only where tokens come from is ours.
class ProviderXOAuth2 extends XOAuth2 {
  readonly #provider: OAuthTokenProvider;

  constructor(user: string, provider: OAuthTokenProvider) {
    super({ user });
    this.#provider = provider;
  }

  override getToken(renew: boolean, callback: XOAuth2TokenCallback): void {
    this.#provider.getAccessToken({ renew }).then(
      (accessToken) => callback(null, accessToken),
      // The token argument is ignored on the error path, the type just insists on a string.
      (error: unknown) => callback(wrapForNodemailer(error), ''),
    );
  }

  // Nodemailer's own HTTP token request would bypass our clock, fetch and error codes.
  override generateToken(callback: XOAuth2TokenCallback): void {
    this.getToken(true, callback);
  }
}

export function createXOAuth2Auth(user: string, provider: OAuthTokenProvider): SMTPConnectionAuth {
  return { type: 'OAuth2', method: 'XOAUTH2', user, oauth2: new ProviderXOAuth2(user, provider) };
}

function wrapForNodemailer(error: unknown): Error {
  const mailroomError = isMailroomError(error)
    ? error
    : new MailroomError('oauth_token_failed', 'Getting the OAuth access token failed unexpectedly', { cause: error });
  return new Error(mailroomError.message, { cause: mailroomError });
}
