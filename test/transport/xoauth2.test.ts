import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { after, afterEach, before, beforeEach, describe, test } from 'node:test';
import { isMailroomError, type MailroomError } from '../../src/errors.ts';
import { createOAuthTokenProvider, type OAuthTokenProvider } from '../../src/transport/oauth-token-provider.ts';
import { SmtpSession, type SmtpSessionOptions } from '../../src/transport/smtp-session.ts';
import { startTokenEndpoint, startXOAuth2SmtpServer, type TokenEndpoint, type XOAuth2SmtpServer } from '../support/xoauth2-servers.ts';

const USER = 'mailer@example.com';
const CLIENT_ID = 'client-id-1234.apps.example.com';
const CLIENT_SECRET = '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leak';
const REFRESH_TOKEN = '1//refresh-token-that-must-not-leak';
const EXPIRES_IN = 3600;

function fakeClock(start = Date.parse('2025-01-01T00:00:00Z')): { now(): Date; advance(ms: number): void } {
  let current = start;
  return {
    now: () => new Date(current),
    advance(ms) {
      current += ms;
    },
  };
}

function sessionOptions(port: number, provider: OAuthTokenProvider): SmtpSessionOptions {
  return { host: '127.0.0.1', port, secure: '', timeoutMs: 5000, ca: undefined, rejectUnauthorized: true, clientName: 'client.example.com', auth: { method: 'XOAUTH2', user: USER, pass: '', tokenProvider: provider } };
}

/** One SMTP session: connect, log in with XOAUTH2 from `provider`, send one message, quit. */
async function sendOne(port: number, provider: OAuthTokenProvider, subject: string): Promise<void> {
  const session = await SmtpSession.open(sessionOptions(port, provider));
  try {
    await session.send(USER, ['rcpt@example.net'], Buffer.from(`From: ${USER}\r\nTo: rcpt@example.net\r\nSubject: ${subject}\r\n\r\nHello\r\n`));
    await session.quit();
  } finally {
    session.close();
  }
}

/** Connects and logs in, expecting the login to fail; returns its error. */
async function failedLogin(port: number, provider: OAuthTokenProvider): Promise<Error> {
  try {
    const session = await SmtpSession.open(sessionOptions(port, provider));
    session.close();
  } catch (error) {
    assert.ok(error instanceof Error);
    return error;
  }
  assert.fail('the login succeeded');
}

function mailroomCause(error: Error): MailroomError {
  assert.ok(isMailroomError(error.cause), `cause is not a MailroomError: ${String(error.cause)}`);
  return error.cause;
}

function assertNoSecrets(text: string): void {
  assert.ok(!text.includes(CLIENT_SECRET), `client secret leaked: ${text}`);
  assert.ok(!text.includes(REFRESH_TOKEN), `refresh token leaked: ${text}`);
}

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  assert.ok(address !== null && typeof address === 'object');
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return address.port;
}

describe('SMTP XOAUTH2 with tokens from the refresh grant', () => {
  let endpoint: TokenEndpoint;
  let smtp: XOAuth2SmtpServer;
  let clock: ReturnType<typeof fakeClock>;

  const provider = (tokenUrl = endpoint.url): OAuthTokenProvider => createOAuthTokenProvider({ tokenUrl, clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, refreshToken: REFRESH_TOKEN, clock, timeoutMs: 5000 });

  before(async () => {
    smtp = await startXOAuth2SmtpServer({ isValidToken: (user, accessToken) => user === USER && endpoint.isValid(accessToken) });
  });
  after(() => smtp.close());

  // A fresh endpoint per test, so request counts and revocation start over.
  beforeEach(async () => {
    clock = fakeClock();
    endpoint = await startTokenEndpoint({ clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, refreshToken: REFRESH_TOKEN, expiresIn: EXPIRES_IN });
    smtp.received.length = 0;
    smtp.logins.length = 0;
  });
  afterEach(() => endpoint.close());

  test('the first send fetches a token and a second send within its lifetime reuses it', async () => {
    const tokens = provider();
    await sendOne(smtp.port, tokens, 'first');
    clock.advance(30 * 60_000);
    await sendOne(smtp.port, tokens, 'second');

    assert.equal(endpoint.requests, 1);
    assert.deepEqual(
      smtp.logins.map((login) => [login.user, login.accessToken, login.accepted]),
      [
        [USER, endpoint.issued[0], true],
        [USER, endpoint.issued[0], true],
      ],
    );
    assert.equal(smtp.received.length, 2);
    assert.deepEqual(smtp.received[1]?.to, ['rcpt@example.net']);
    assert.match(smtp.received[1]?.raw ?? '', /Subject: second/);
  });

  test('a token is replaced shortly before it expires, by the injected clock', async () => {
    const tokens = provider();
    await sendOne(smtp.port, tokens, 'first');
    clock.advance((EXPIRES_IN - 61) * 1000);
    await sendOne(smtp.port, tokens, 'still the first token');
    assert.equal(endpoint.requests, 1);

    clock.advance(2000);
    await sendOne(smtp.port, tokens, 'a new token');
    assert.equal(endpoint.requests, 2);
    assert.equal(smtp.logins.at(-1)?.accessToken, endpoint.issued[1]);
    assert.equal(smtp.received.length, 3);
  });

  test('a token the SMTP server refuses is renewed once and the mail is accepted', async () => {
    const tokens = provider();
    await sendOne(smtp.port, tokens, 'first');
    endpoint.expireAll();

    await sendOne(smtp.port, tokens, 'after the server stopped accepting the token');

    assert.equal(endpoint.requests, 2);
    assert.deepEqual(
      smtp.logins.map((login) => [login.accessToken, login.accepted]),
      [
        [endpoint.issued[0], true],
        [endpoint.issued[0], false],
        [endpoint.issued[1], true],
      ],
    );
    assert.equal(smtp.received.length, 2);
  });

  test('a token refused twice makes the login fail with EAUTH and no third token request', async () => {
    const tokens = provider();
    await sendOne(smtp.port, tokens, 'first');
    const alwaysRefusing = await startXOAuth2SmtpServer({ isValidToken: () => false });
    try {
      const error = await failedLogin(alwaysRefusing.port, tokens);
      assert.equal((error as Error & { code?: unknown }).code, 'EAUTH');
      assert.equal(alwaysRefusing.logins.length, 2);
      assert.equal(endpoint.requests, 2);
      assertNoSecrets(error.message);
    } finally {
      await alwaysRefusing.close();
    }
  });

  test('a revoked refresh token fails login with oauth_refresh_token_revoked and leaks no secret', async () => {
    endpoint.revoke();
    const error = await failedLogin(smtp.port, provider());

    const cause = mailroomCause(error);
    assert.equal(cause.code, 'oauth_refresh_token_revoked');
    assert.match(cause.message, /^The token endpoint refused the refresh token \(invalid_grant: Token has been expired or revoked\..*\): get a new refresh token and save it in mail_smtpoauth_refresh_token$/);
    // The test endpoint echoes both secrets in error_description; they must arrive scrubbed.
    assert.match(cause.message, /\[redacted\]/);
    assert.equal((error as Error & { code?: unknown }).code, 'EAUTH');
    assert.equal(error.message, cause.message);
    for (const text of [error.message, String(error), cause.message, JSON.stringify(cause.details), String(error.cause), String(cause.cause)]) {
      assertNoSecrets(text);
    }
    assert.equal(smtp.logins.length, 0);
  });

  test('an unreachable token endpoint fails login with oauth_token_failed naming the host', async () => {
    const port = await closedPort();
    const error = await failedLogin(smtp.port, provider(`http://127.0.0.1:${port}/token`));

    const cause = mailroomCause(error);
    assert.equal(cause.code, 'oauth_token_failed');
    assert.match(cause.message, new RegExp(`127\\.0\\.0\\.1:${port} could not be reached \\(ECONNREFUSED\\)`));
    assertNoSecrets(`${cause.message} ${JSON.stringify(cause.details)} ${String(cause.cause)}`);
  });

  test('concurrent callers share one token request', async () => {
    const tokens = provider();
    const results = await Promise.all([tokens.getAccessToken(), tokens.getAccessToken(), tokens.getAccessToken({ renew: true })]);
    assert.equal(endpoint.requests, 1);
    assert.deepEqual(results, [endpoint.issued[0], endpoint.issued[0], endpoint.issued[0]]);
  });

  test('a token endpoint answering 503 gives oauth_token_failed with the host and the status', async () => {
    const tokens = createOAuthTokenProvider({
      tokenUrl: 'https://login.example.com/tenant/oauth2/v2.0/token',
      clientId: CLIENT_ID,
      clientSecret: CLIENT_SECRET,
      refreshToken: REFRESH_TOKEN,
      clock,
      timeoutMs: 5000,
      fetch: () => Promise.resolve(new Response('<html>Service Unavailable</html>', { status: 503 })),
    });
    await assert.rejects(tokens.getAccessToken(), (error: unknown) => {
      assert.ok(isMailroomError(error));
      assert.equal(error.code, 'oauth_token_failed');
      assert.match(error.message, /login\.example\.com answered HTTP 503/);
      assert.deepEqual(error.details, { host: 'login.example.com', status: 503 });
      return true;
    });
  });
});

describe('SMTP XOAUTH2 with tokens from the client_credentials grant (Microsoft 365 app-only)', () => {
  const SCOPE = 'https://outlook.office365.com/.default';
  let endpoint: TokenEndpoint;
  let smtp: XOAuth2SmtpServer;
  const clock = fakeClock();

  const appProvider = (overrides: { clientSecret?: string; scope?: string } = {}): OAuthTokenProvider =>
    createOAuthTokenProvider({
      tokenUrl: endpoint.url,
      grant: 'client_credentials',
      clientId: CLIENT_ID,
      clientSecret: overrides.clientSecret ?? CLIENT_SECRET,
      refreshToken: '',
      scope: overrides.scope ?? SCOPE,
      clock,
      timeoutMs: 5000,
    });

  before(async () => {
    smtp = await startXOAuth2SmtpServer({ isValidToken: (user, accessToken) => user === USER && endpoint.isValid(accessToken) });
  });
  after(() => smtp.close());
  beforeEach(async () => {
    endpoint = await startTokenEndpoint({ clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, refreshToken: REFRESH_TOKEN, expiresIn: EXPIRES_IN, clientCredentialsScope: SCOPE });
    smtp.received.length = 0;
    smtp.logins.length = 0;
  });
  afterEach(() => endpoint.close());

  test('asks for a token with the client secret and the scope, no refresh token, and the mail is accepted', async () => {
    await sendOne(smtp.port, appProvider(), 'app-only');
    assert.deepEqual(endpoint.asked, [{ grant: 'client_credentials', scope: SCOPE, refreshTokenSent: false }]);
    assert.deepEqual(smtp.logins, [{ user: USER, accessToken: endpoint.issued[0], accepted: true }]);
    assert.equal(smtp.received.length, 1);
  });

  test('a token the SMTP server refuses is fetched again with the same grant', async () => {
    const tokens = appProvider();
    await sendOne(smtp.port, tokens, 'first');
    endpoint.expireAll();
    await sendOne(smtp.port, tokens, 'second');
    assert.deepEqual(
      endpoint.asked.map((a) => a.grant),
      ['client_credentials', 'client_credentials'],
    );
    assert.equal(smtp.received.length, 2);
  });

  test('a wrong client secret gives oauth_token_failed that says to check it, and leaks nothing', async () => {
    const error = await failedLogin(smtp.port, appProvider({ clientSecret: 'wrong-secret-value-7781' }));
    const cause = mailroomCause(error);
    assert.equal(cause.code, 'oauth_token_failed');
    assert.match(cause.message, /answered HTTP 401 \(invalid_client: Client authentication failed\.\): check mail_smtpoauth_client_id and mail_smtpoauth_client_secret \(client secrets expire\)$/);
    assert.ok(!`${cause.message} ${JSON.stringify(cause.details)}`.includes('wrong-secret-value-7781'));
    assert.equal(smtp.logins.length, 0);
  });

  test('a scope the endpoint refuses gives oauth_token_failed with its words and the scope Microsoft 365 needs', async () => {
    const error = await failedLogin(smtp.port, appProvider({ scope: 'https://outlook.office365.com/SMTP.Send' }));
    const cause = mailroomCause(error);
    assert.equal(cause.code, 'oauth_token_failed');
    assert.match(cause.message, /\(invalid_scope: AADSTS1002012: .*\/\.default suffixed.*\): check mail_smtpoauth_scope \(Microsoft 365: https:\/\/outlook\.office365\.com\/\.default\)$/);
  });

  test('without a client secret or a scope it refuses to start, naming both settings, and asks nobody', () => {
    assert.throws(
      () => createOAuthTokenProvider({ tokenUrl: endpoint.url, grant: 'client_credentials', clientId: CLIENT_ID, clientSecret: '', refreshToken: '', scope: ' ', clock, timeoutMs: 5000 }),
      (error: unknown) => {
        assert.ok(isMailroomError(error));
        assert.equal(error.code, 'oauth_not_configured');
        assert.equal(error.message, 'XOAUTH2 with the client_credentials grant needs mail_smtpoauth_client_secret, mail_smtpoauth_scope: set them');
        return true;
      },
    );
    assert.equal(endpoint.requests, 0);
  });
});
