/**
 * Access tokens for SMTP XOAUTH2 (Microsoft 365, Gmail) from the admin's settings
 * mail_smtpoauth_token_url, _client_id and _client_secret, with one of two grants:
 * - refresh_token (RFC 6749 section 6): a refresh token a mailbox user gave once;
 * - client_credentials (RFC 6749 section 4.4): the app's own permission, no user at all
 *   (Microsoft 365's SMTP.SendAsApp), which needs the client secret and a scope.
 *
 * Secrets policy: the client secret, the refresh token and access tokens never appear in an
 * error message, its details or its cause. Token endpoints echo back text we do not control,
 * so that text is scrubbed of them too.
 */
import { MailroomError } from '../errors.ts';
import { isSecureTokenUrl } from '../config/settings-schema.ts';

export interface OAuthTokenProvider {
  /**
   * A valid access token, from the cache while it has more than a minute left.
   * `renew: true` means the SMTP server refused the token it was given: the cached one is
   * dropped and a new one is fetched.
   * Rejects with a MailroomError: `oauth_refresh_token_revoked` or `oauth_token_failed`.
   */
  getAccessToken(options?: { renew?: boolean }): Promise<string>;
}

export type OAuthGrant = 'refresh_token' | 'client_credentials';

export interface OAuthTokenProviderDeps {
  tokenUrl: string;
  /** Default refresh_token. */
  grant?: OAuthGrant;
  clientId: string;
  clientSecret: string;
  /** Needed by the refresh_token grant only. */
  refreshToken: string;
  /** Sent when not empty; the client_credentials grant needs it. */
  scope?: string;
  clock: { now(): Date };
  fetch?: typeof globalThis.fetch;
  timeoutMs: number;
  /**
   * The endpoint sent a new refresh token (Microsoft rotates them; an unused one expires after 90
   * days): it is used from now on, and this is told so that it can be kept.
   */
  onRefreshTokenRotated?: ((refreshToken: string) => Promise<void> | void) | undefined;
}

// A token that expires while a message is being transferred fails the send, so it is
// replaced a while before the endpoint says it expires.
const REFRESH_EARLY_MS = 60_000;
// error_description is free text from the endpoint: long HTML or stack traces would drown the
// part an admin needs.
const MAX_DESCRIPTION_LENGTH = 300;

interface CachedToken {
  readonly accessToken: string;
  /** Epoch ms from which the token is no longer handed out; undefined when the endpoint gave no lifetime. */
  readonly refreshAt: number | undefined;
}

type Fetch = typeof globalThis.fetch;

export function createOAuthTokenProvider(deps: OAuthTokenProviderDeps): OAuthTokenProvider {
  const grant: OAuthGrant = deps.grant ?? 'refresh_token';
  const scope = deps.scope?.trim() ?? '';
  const url = parseTokenUrl(deps, grant, scope);
  const host = url.host;
  const doFetch: Fetch = deps.fetch ?? globalThis.fetch;
  const secrets = [deps.clientSecret, deps.refreshToken];
  let cached: CachedToken | undefined;
  let refreshToken = deps.refreshToken;
  let inFlight: Promise<CachedToken> | undefined;

  const redact = (text: string): string => {
    let result = text;
    for (const secret of [...secrets, refreshToken, cached?.accessToken ?? '']) {
      if (secret !== '') result = result.split(secret).join('[redacted]');
    }
    return result;
  };

  const fetchToken = async (): Promise<CachedToken> => {
    // Taken before the request: the lifetime counts from when the endpoint issued the token.
    const requestedAt = deps.clock.now().getTime();
    const form = new URLSearchParams({ grant_type: grant, client_id: deps.clientId });
    if (grant === 'refresh_token') form.set('refresh_token', refreshToken);
    // Public clients have no secret, and some endpoints refuse an empty client_secret.
    if (deps.clientSecret !== '') form.set('client_secret', deps.clientSecret);
    if (scope !== '') form.set('scope', scope);

    let status: number;
    let body: string;
    try {
      const response = await doFetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
        body: form.toString(),
        redirect: 'error',
        signal: AbortSignal.timeout(deps.timeoutMs),
      });
      status = response.status;
      body = await response.text();
    } catch (error) {
      throw networkError(error);
    }

    const json = parseJsonObject(body);
    const oauthError = json === undefined ? undefined : stringField(json, 'error');
    const description = json === undefined ? undefined : stringField(json, 'error_description');
    const shownDescription = description === undefined ? undefined : redact(description.trim()).slice(0, MAX_DESCRIPTION_LENGTH);
    const details = { host, status, ...(oauthError === undefined ? {} : { error: redact(oauthError) }) };

    // RFC 6749 5.2 says 400, but some endpoints answer invalid_grant with 401.
    if ((status === 400 || status === 401) && oauthError === 'invalid_grant' && grant === 'refresh_token') {
      const what = shownDescription === undefined || shownDescription === '' ? 'invalid_grant' : `invalid_grant: ${shownDescription}`;
      throw new MailroomError('oauth_refresh_token_revoked', `The token endpoint refused the refresh token (${what}): get a new refresh token and save it in mail_smtpoauth_refresh_token`, { details });
    }
    if (status < 200 || status > 299) {
      const reason = oauthError === undefined ? '' : ` (${redact(oauthError)}${shownDescription ? `: ${shownDescription}` : ''})`;
      throw new MailroomError('oauth_token_failed', `The OAuth token endpoint ${host} answered HTTP ${status}${reason}${hintFor(status, oauthError, grant)}`, {
        details,
      });
    }
    if (json === undefined) {
      // Typically a login or portal page: the URL points at the wrong thing.
      throw new MailroomError('oauth_token_failed', `The OAuth token endpoint ${host} answered HTTP ${status} with a body that is not a JSON object: check mail_smtpoauth_token_url`, { details });
    }
    const accessToken = stringField(json, 'access_token');
    if (accessToken === undefined || accessToken === '') {
      throw new MailroomError('oauth_token_failed', `The OAuth token endpoint ${host} answered HTTP ${status} without an access_token`, {
        details,
      });
    }
    const lifetimeSeconds = positiveNumber(json['expires_in']);
    // Without a lifetime the token is kept until the SMTP server refuses it, which makes
    // nodemailer ask for a renewed one.
    const refreshAt = lifetimeSeconds === undefined ? undefined : requestedAt + lifetimeSeconds * 1000 - Math.min(REFRESH_EARLY_MS, (lifetimeSeconds * 1000) / 2);
    const rotated = stringField(json, 'refresh_token');
    if (rotated !== undefined && rotated !== '' && rotated !== refreshToken) {
      refreshToken = rotated;
      await deps.onRefreshTokenRotated?.(rotated);
    }
    return { accessToken, refreshAt };
  };

  const networkError = (error: unknown): MailroomError => {
    if (isTimeout(error)) {
      return new MailroomError('oauth_token_failed', `The OAuth token endpoint ${host} did not answer within ${deps.timeoutMs} ms`, {
        details: { host, timeoutMs: deps.timeoutMs },
      });
    }
    const code = systemErrorCode(error);
    return new MailroomError(
      'oauth_token_failed',
      `The OAuth token endpoint ${host} could not be reached${code === undefined ? '' : ` (${code})`}: check mail_smtpoauth_token_url and that this machine may connect to it`,
      // The fetch error only describes the connection, never the request body.
      { cause: error, details: { host, ...(code === undefined ? {} : { errno: code }) } },
    );
  };

  return {
    async getAccessToken(options = {}) {
      if (options.renew === true) cached = undefined;
      if (cached !== undefined && (cached.refreshAt === undefined || deps.clock.now().getTime() < cached.refreshAt)) {
        return cached.accessToken;
      }
      // A renew that arrives while a request is running shares it: that token is newer than
      // the one the server refused.
      if (inFlight === undefined) {
        inFlight = fetchToken().then(
          (token) => {
            cached = token;
            inFlight = undefined;
            return token;
          },
          (error: unknown) => {
            inFlight = undefined;
            throw error;
          },
        );
      }
      return (await inFlight).accessToken;
    },
  };
}

/** The settings a grant cannot do without, by name, for the oauth_not_configured message. */
export function missingOAuthSettings(values: { grant: OAuthGrant; tokenUrl: string; clientId: string; clientSecret: string; refreshToken: string; scope: string }): string[] {
  const needed: [string, string][] = [
    ['mail_smtpoauth_token_url', values.tokenUrl],
    ['mail_smtpoauth_client_id', values.clientId],
  ];
  if (values.grant === 'refresh_token') needed.push(['mail_smtpoauth_refresh_token', values.refreshToken]);
  else needed.push(['mail_smtpoauth_client_secret', values.clientSecret], ['mail_smtpoauth_scope', values.scope]);
  return needed.filter(([, value]) => value.trim() === '').map(([name]) => name);
}

function parseTokenUrl(deps: OAuthTokenProviderDeps, grant: OAuthGrant, scope: string): URL {
  const missing = missingOAuthSettings({ grant, tokenUrl: deps.tokenUrl, clientId: deps.clientId, clientSecret: deps.clientSecret, refreshToken: deps.refreshToken, scope });
  if (missing.length > 0) {
    const forGrant = grant === 'client_credentials' ? ' with the client_credentials grant' : '';
    throw new MailroomError('oauth_not_configured', `XOAUTH2${forGrant} needs ${missing.join(', ')}: set ${missing.length === 1 ? 'it' : 'them'}`, {
      details: { missing },
    });
  }
  let url: URL;
  try {
    url = new URL(deps.tokenUrl);
  } catch {
    throw new MailroomError('oauth_not_configured', 'mail_smtpoauth_token_url is not a URL: set it to the https:// token endpoint of the provider');
  }
  // Checked here too, not only when the setting is saved: the secrets must never go out in clear.
  if (!isSecureTokenUrl(deps.tokenUrl)) {
    throw new MailroomError('oauth_not_configured', `mail_smtpoauth_token_url must be an https:// URL (http:// only to this machine), not ${url.protocol}//${url.host}`);
  }
  return url;
}

function hintFor(status: number, oauthError: string | undefined, grant: OAuthGrant): string {
  if (oauthError === 'invalid_client') return ': check mail_smtpoauth_client_id and mail_smtpoauth_client_secret (client secrets expire)';
  if (oauthError === 'unauthorized_client') {
    return grant === 'client_credentials' ? ': the app may not use the client_credentials grant; check its registration, or use the refresh_token grant' : ': check mail_smtpoauth_client_id and mail_smtpoauth_client_secret';
  }
  if (oauthError === 'invalid_scope') return ': check mail_smtpoauth_scope (Microsoft 365: https://outlook.office365.com/.default)';
  if (oauthError === 'invalid_grant' && grant === 'client_credentials') return ': the app has no permission to send, or it was not granted; check its API permissions and admin consent';
  if (status >= 500) return ': the provider has a problem, try again later';
  if (status === 404 || status === 405) return ': check mail_smtpoauth_token_url';
  return '';
}

function parseJsonObject(text: string): Record<string, unknown> | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}

function stringField(json: Record<string, unknown>, key: string): string | undefined {
  const value = json[key];
  return typeof value === 'string' ? value : undefined;
}

// Some endpoints (older Azure AD) send expires_in as a string.
function positiveNumber(value: unknown): number | undefined {
  const number = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
  return typeof number === 'number' && Number.isFinite(number) && number > 0 ? number : undefined;
}

function isTimeout(error: unknown): boolean {
  return error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError');
}

// fetch wraps connection failures in a TypeError whose cause carries the system code.
function systemErrorCode(error: unknown): string | undefined {
  for (let current: unknown = error, depth = 0; current instanceof Error && depth < 4; current = current.cause, depth++) {
    const code: unknown = (current as Error & { code?: unknown }).code;
    if (typeof code === 'string' && code !== '') return code;
  }
  return undefined;
}
