/**
 * In-process stand-ins for an OAuth2 token endpoint and an SMTP server that only accepts
 * XOAUTH2, both on 127.0.0.1 with a free port, for the XOAUTH2 tests.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';

export interface TokenEndpoint {
  readonly url: string;
  /** Access tokens issued, in order. */
  readonly issued: string[];
  /** Token requests received, including refused ones. */
  readonly requests: number;
  /** What each well-formed token request asked for, in order (no secrets). */
  readonly asked: Array<{ grant: string | null; scope: string | null; refreshTokenSent: boolean }>;
  /** The refresh token the endpoint takes now (a new one after each answer when rotating). */
  readonly refreshToken: string;
  /** Whether the SMTP server should accept this token: issued and not expired with expireAll(). */
  isValid(accessToken: string): boolean;
  /** From now on the refresh token gets invalid_grant. */
  revoke(): void;
  /** Every token issued so far becomes invalid at the SMTP server. */
  expireAll(): void;
  close(): Promise<void>;
}

export interface TokenEndpointOptions {
  clientId: string;
  clientSecret: string;
  refreshToken: string;
  /** Seconds, sent as expires_in. */
  expiresIn: number;
  /**
   * Rotate refresh tokens as Microsoft's endpoint and others do: every answer carries a new
   * refresh_token, and the one just used stops working.
   */
  rotate?: boolean;
  /**
   * Take the client_credentials grant too, as Microsoft's endpoint does for an app with an
   * application permission: it must ask for this scope, and gets no refresh token.
   */
  clientCredentialsScope?: string;
}

export async function startTokenEndpoint(options: TokenEndpointOptions): Promise<TokenEndpoint> {
  const issued: string[] = [];
  const valid = new Set<string>();
  let requests = 0;
  const asked: TokenEndpoint['asked'] = [];
  let revoked = false;
  let currentRefreshToken = options.refreshToken;

  const answer = (res: ServerResponse, status: number, body: Record<string, unknown>): void => {
    res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
    res.end(JSON.stringify(body));
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    requests++;
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    if (req.method !== 'POST' || !(req.headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded')) {
      answer(res, 400, { error: 'invalid_request', error_description: 'POST application/x-www-form-urlencoded expected' });
      return;
    }
    const form = new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
    const grant = form.get('grant_type');
    asked.push({ grant, scope: form.get('scope'), refreshTokenSent: form.has('refresh_token') });
    const clientCredentials = grant === 'client_credentials' && options.clientCredentialsScope !== undefined;
    if (grant !== 'refresh_token' && !clientCredentials) {
      answer(res, 400, { error: 'unsupported_grant_type' });
      return;
    }
    if (form.get('client_id') !== options.clientId || form.get('client_secret') !== options.clientSecret) {
      answer(res, 401, { error: 'invalid_client', error_description: 'Client authentication failed.' });
      return;
    }
    if (clientCredentials) {
      // Microsoft's answers, word for word but for the trace ids.
      if (!form.get('scope')) {
        answer(res, 400, { error: 'invalid_request', error_description: "AADSTS90014: The required field 'scope' is missing from the credential. Ensure that you have all the necessary parameters for the login request." });
        return;
      }
      if (form.get('scope') !== options.clientCredentialsScope) {
        answer(res, 400, { error: 'invalid_scope', error_description: `AADSTS1002012: The provided value for scope ${form.get('scope') ?? ''} is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI).` });
        return;
      }
      const accessToken = `eyJ0eXAi.app-${issued.length + 1}-${randomBytes(12).toString('hex')}`;
      issued.push(accessToken);
      valid.add(accessToken);
      answer(res, 200, { token_type: 'Bearer', expires_in: options.expiresIn, ext_expires_in: options.expiresIn, access_token: accessToken });
      return;
    }
    if (revoked || form.get('refresh_token') !== currentRefreshToken) {
      // No real endpoint is known to echo the secrets back, but nothing forbids it: doing it
      // here lets the tests prove that Mailroom scrubs them.
      answer(res, 400, {
        error: 'invalid_grant',
        error_description: `Token has been expired or revoked. (refresh_token=${form.get('refresh_token') ?? ''}, client_secret=${form.get('client_secret') ?? ''})`,
      });
      return;
    }
    const accessToken = `ya29.test-${issued.length + 1}-${randomBytes(12).toString('hex')}`;
    issued.push(accessToken);
    valid.add(accessToken);
    const rotated = options.rotate ? { refresh_token: (currentRefreshToken = `${options.refreshToken}-rotated-${issued.length}`) } : {};
    answer(res, 200, { access_token: accessToken, token_type: 'Bearer', expires_in: options.expiresIn, scope: 'https://mail.google.com/', ...rotated });
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      res.destroy(error instanceof Error ? error : new Error(String(error)));
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}/token`,
    issued,
    get requests() {
      return requests;
    },
    asked,
    get refreshToken() {
      return currentRefreshToken;
    },
    isValid: (accessToken) => valid.has(accessToken),
    revoke() {
      revoked = true;
    },
    expireAll() {
      valid.clear();
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}

export interface ReceivedMessage {
  from: string;
  to: string[];
  raw: string;
}

export interface XOAuth2Login {
  user: string;
  accessToken: string;
  accepted: boolean;
}

export interface XOAuth2SmtpServer {
  readonly port: number;
  readonly received: ReceivedMessage[];
  /** Every AUTH XOAUTH2 attempt, in order. */
  readonly logins: XOAuth2Login[];
  close(): Promise<void>;
}

export async function startXOAuth2SmtpServer(options: { isValidToken(user: string, accessToken: string): boolean }): Promise<XOAuth2SmtpServer> {
  const received: ReceivedMessage[] = [];
  const logins: XOAuth2Login[] = [];
  const server = new SMTPServer({
    authMethods: ['XOAUTH2'],
    authOptional: false,
    // Plain text over loopback; a STARTTLS offer would make the client try TLS.
    allowInsecureAuth: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    closeTimeout: 1000,
    onAuth(auth, _session, callback) {
      const user = auth.username ?? '';
      const accessToken = auth.accessToken ?? '';
      const accepted = auth.method === 'XOAUTH2' && options.isValidToken(user, accessToken);
      logins.push({ user, accessToken, accepted });
      if (accepted) {
        callback(null, { user });
        return;
      }
      // What Gmail does: 334 with this JSON (base64), then 535 after the client's empty line.
      callback(null, { data: { status: '401', schemes: 'bearer', scope: 'https://mail.google.com/' } });
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('error', (error: Error) => callback(error));
      stream.on('end', () => {
        const { mailFrom, rcptTo } = session.envelope;
        received.push({
          from: mailFrom === false ? '' : mailFrom.address,
          to: rcptTo.map((recipient) => recipient.address),
          raw: Buffer.concat(chunks).toString('utf8'),
        });
        callback(null);
      });
    },
  });
  // Without an 'error' listener smtp-server turns a client's protocol error into a crash.
  server.on('error', () => {});
  await new Promise<void>((resolve, reject) => {
    server.server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.server.address() as AddressInfo;

  return {
    port,
    received,
    logins,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
