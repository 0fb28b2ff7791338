import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Settings } from '../../src/config/settings-schema.ts';
import { buildContext } from '../../src/main.ts';
import { createTransportFactory } from '../../src/transport/create-transport.ts';
import { createHostHealth } from '../../src/transport/host-health.ts';
import { createTranscript } from '../../src/transport/transcript.ts';
import { isTransportError } from '../../src/transport/transport.ts';
import { settingsWith, systemClock, testMessage } from '../support/mail-fixtures.ts';
import { startExim, waitForMail, type EximServer } from '../support/servers.ts';
import { startTokenEndpoint, startXOAuth2SmtpServer, type TokenEndpoint, type XOAuth2SmtpServer } from '../support/xoauth2-servers.ts';
import { closeAll } from '../support/close-all.ts';

/** Sending as mailer@example.com through the XOAUTH2 test server, with the token endpoint's client. */
function xoauth2Settings(server: XOAuth2SmtpServer, endpoint: TokenEndpoint, client: { id: string; secret: string; refreshToken: string }): Partial<Settings> {
  return {
    mail_smtpmode: 'smtp',
    mail_smtphost: `127.0.0.1:${server.port}`,
    mail_smtpsecure: '',
    mail_smtpauth: true,
    mail_smtpauthtype: 'XOAUTH2',
    mail_smtpname: 'mailer@example.com',
    mail_smtpoauth_token_url: endpoint.url,
    mail_smtpoauth_client_id: client.id,
    mail_smtpoauth_client_secret: client.secret,
    mail_smtpoauth_refresh_token: client.refreshToken,
    mail_smtptimeout: 5,
  };
}

function factory(clock = systemClock) {
  return createTransportFactory({ hostHealth: createHostHealth({ clock }), captureStore: { save: async () => 0 }, clock });
}

describe('NTLM and CRAM-MD5 against a real exim', () => {
  let exim: EximServer;
  before(async () => {
    exim = await startExim();
  });
  after(async () => exim?.stop());

  const eximSettings = () =>
    settingsWith({
      mail_smtpmode: 'smtp',
      mail_smtphost: `127.0.0.1:${exim.port}`,
      mail_smtpsecure: 'tls',
      mail_smtptls_ca: exim.certPath,
      mail_smtpauth: true,
      mail_smtpname: exim.user,
      mail_smtppassword: exim.pass,
      mail_smtptimeout: 5,
    });

  for (const [authType, authenticator] of [
    ['NTLM', 'ntlm'],
    ['CRAM-MD5', 'cram_md5'],
  ] as const) {
    it(`logs in with ${authType} after STARTTLS and the server records that mechanism`, async () => {
      const transcript = createTranscript([exim.pass]);
      const message = await testMessage('ntlm-user@example.com');
      await (await factory().create({ ...eximSettings(), mail_smtpauthtype: authType })).send(message, { transcript });
      const mail = await waitForMail(exim.maildir, (m) => m.headers.get('subject') === message.subject);
      assert.match(mail.headers.get('x-exim-auth') ?? '', new RegExp(`^${authenticator} ${exim.user} tls=TLS`));
      assert.ok(!transcript.toString().includes(exim.pass));
    });

    it(`reports a wrong password with ${authType} as refused credentials`, async () => {
      const transport = await factory().create({ ...eximSettings(), mail_smtpauthtype: authType, mail_smtppassword: 'not-the-password' });
      await assert.rejects(transport.send(await testMessage('x@example.com')), (error: unknown) => {
        assert.ok(isTransportError(error));
        assert.equal(error.code, 'smtp_auth_failed');
        assert.match(error.failure.reply ?? '', /^535/);
        return true;
      });
    });
  }

  it('sends a Windows-style DOMAIN\\user name with NTLM', async () => {
    const message = await testMessage('domain-user@example.com');
    await (await factory().create({ ...eximSettings(), mail_smtpauthtype: 'NTLM', mail_smtpname: `EXAMPLE\\${exim.user}` })).send(message);
    const mail = await waitForMail(exim.maildir, (m) => m.headers.get('subject') === message.subject);
    assert.match(mail.headers.get('x-exim-auth') ?? '', /^ntlm /);
  });
});

describe('XOAUTH2 through the SMTP transport', () => {
  let endpoint: TokenEndpoint;
  let server: XOAuth2SmtpServer;
  let now = Date.parse('2026-11-26T10:00:00Z');
  const clock = { now: () => new Date(now) };

  before(async () => {
    endpoint = await startTokenEndpoint({ clientId: 'client-1', clientSecret: 'client-secret-xyz', refreshToken: 'refresh-token-abc', expiresIn: 3600 });
    server = await startXOAuth2SmtpServer({ isValidToken: (user, token) => user === 'mailer@example.com' && endpoint.isValid(token) });
  });
  after(() => closeAll(server, endpoint));

  const oauthSettings = () => settingsWith(xoauth2Settings(server, endpoint, { id: 'client-1', secret: 'client-secret-xyz', refreshToken: 'refresh-token-abc' }));

  it('fetches a token once, reuses it, refreshes it when it expires or is refused', async () => {
    const transports = factory(clock);
    await (await transports.create(oauthSettings())).send(await testMessage('one@example.com'));
    await (await transports.create(oauthSettings())).send(await testMessage('two@example.com'));
    assert.equal(endpoint.requests, 1, 'the cached token is reused, also by a rebuilt transport');
    now += 3600_000;
    await (await transports.create(oauthSettings())).send(await testMessage('three@example.com'));
    assert.equal(endpoint.requests, 2, 'an expired token is refreshed');
    endpoint.expireAll();
    await (await transports.create(oauthSettings())).send(await testMessage('four@example.com'));
    assert.equal(endpoint.requests, 3, 'a refused token is renewed once');
    assert.deepEqual(
      server.received.map((m) => m.to[0]),
      ['one@example.com', 'two@example.com', 'three@example.com', 'four@example.com'],
    );
  });

  it('names a revoked refresh token and never shows the secrets', async () => {
    endpoint.revoke();
    endpoint.expireAll();
    const transcript = createTranscript(['client-secret-xyz', 'refresh-token-abc']);
    const transport = await factory(clock).create(oauthSettings());
    await assert.rejects(transport.send(await testMessage('five@example.com'), { transcript }), (error: unknown) => {
      assert.ok(isTransportError(error));
      assert.equal(error.code, 'oauth_refresh_token_revoked');
      const shown = `${error.message} ${JSON.stringify(error.details)} ${transcript.toString()}`;
      assert.ok(!shown.includes('client-secret-xyz') && !shown.includes('refresh-token-abc'));
      return true;
    });
  });

  it('says which OAuth settings are missing', async () => {
    await assert.rejects(factory().create({ ...oauthSettings(), mail_smtpoauth_refresh_token: '' }), { code: 'oauth_not_configured' });
  });
});

describe('XOAUTH2 with an endpoint that rotates refresh tokens (as Microsoft 365 does)', () => {
  let endpoint: TokenEndpoint;
  let server: XOAuth2SmtpServer;
  let dir: string;
  let now = Date.parse('2026-11-26T10:00:00Z');
  const clock = { now: () => new Date(now) };

  before(async () => {
    endpoint = await startTokenEndpoint({ clientId: 'client-r', clientSecret: 'secret-r', refreshToken: 'first-refresh-token', expiresIn: 3600, rotate: true });
    server = await startXOAuth2SmtpServer({ isValidToken: (user, token) => user === 'mailer@example.com' && endpoint.isValid(token) });
    dir = await mkdtemp(join(tmpdir(), 'mailroom-oauth-rotate-'));
  });
  after(async () => {
    await server?.close();
    await endpoint?.close();
    await rm(dir, { recursive: true, force: true });
  });

  const open = (env: NodeJS.ProcessEnv = {}) => buildContext({ env: { MAILROOM_DATA_DIR: dir, MAILROOM_CONFIG: join(dir, 'none.json'), ...env }, clock, logLevel: 'silent' });

  it('keeps the new refresh token, so that mail still goes out after the old one is void and Mailroom restarts', async () => {
    let ctx = await open();
    await ctx.settings.update(xoauth2Settings(server, endpoint, { id: 'client-r', secret: 'secret-r', refreshToken: 'first-refresh-token' }));
    const first = await ctx.mailTest.sendTestMail({ to: 'one@example.com' });
    assert.equal(first.ok, true, JSON.stringify(first.error));
    assert.notEqual(endpoint.refreshToken, 'first-refresh-token', 'the endpoint rotated it');
    assert.equal((await ctx.settings.get()).mail_smtpoauth_refresh_token, endpoint.refreshToken, 'stored, encrypted like any secret');
    const view = (await ctx.settings.describe()).find((v) => v.key === 'mail_smtpoauth_refresh_token');
    assert.equal(view?.value, null, 'and still never shown');
    await ctx.close();

    // A restart an hour later: the cached access token is gone and the first refresh token is void.
    now += 3600_000;
    ctx = await open();
    const second = await ctx.mailTest.sendTestMail({ to: 'two@example.com' });
    assert.equal(second.ok, true, JSON.stringify(second.error));
    assert.deepEqual(
      server.received.map((m) => m.to[0]),
      ['one@example.com', 'two@example.com'],
    );
    await ctx.close();
  });

  it('with the refresh token fixed by the environment, the send still works (the new token is kept in memory)', async () => {
    now += 3600_000;
    const ctx = await open({ MAILROOM_MAIL_SMTPOAUTH_REFRESH_TOKEN: endpoint.refreshToken });
    try {
      const report = await ctx.mailTest.sendTestMail({ to: 'three@example.com' });
      assert.equal(report.ok, true, JSON.stringify(report.error));
      assert.equal(server.received.at(-1)?.to[0], 'three@example.com');
    } finally {
      await ctx.close();
    }
  });
});
