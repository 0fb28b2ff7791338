import { createHash } from 'node:crypto';
import { MailroomError } from '../errors.ts';
import type { Settings } from '../config/settings-schema.ts';
import { readCaFile } from './ca-file.ts';
import { createCaptureTransport, type CaptureStore } from './capture-transport.ts';
import { createEhloName, processEhloName, type EhloNameDeps } from './ehlo-name.ts';
import type { HostHealth } from './host-health.ts';
import { createOAuthTokenProvider, missingOAuthSettings, type OAuthTokenProvider } from './oauth-token-provider.ts';
import { resolvePhpSendmailCommand } from './php-sendmail-path.ts';
import { createPipeTransport, type SpawnFn } from './sendmail-transport.ts';
import { settingFilesKey } from './setting-files.ts';
import { createSmtpTransport } from './smtp-transport.ts';
import type { Transport } from './transport.ts';

export interface TransportFactoryDeps {
  hostHealth: HostHealth;
  captureStore: CaptureStore;
  clock: { now(): Date };
  env?: NodeJS.ProcessEnv;
  spawn?: SpawnFn;
  fetch?: typeof globalThis.fetch;
  /** Keeps a refresh token the OAuth endpoint rotated, so that the next start uses it. */
  saveRefreshToken?: ((refreshToken: string) => Promise<void>) | undefined;
  /** How the machine's name is found for EHLO (tests give their own). */
  ehloName?: EhloNameDeps | undefined;
}

/** Builds the transport for the current settings; keeps OAuth tokens across rebuilds. */
export interface TransportFactory {
  create(settings: Settings): Promise<Transport>;
  /**
   * Asks the token endpoint for an access token as a send would (the same cached provider, so a
   * rotated refresh token is kept); resolves with the endpoint's host. For `doctor`. Rejects with
   * oauth_not_configured, oauth_token_failed or oauth_refresh_token_revoked.
   */
  checkOAuth(settings: Settings): Promise<string>;
  /**
   * What the files the settings name are now (see setting-files.ts): a transport built for the
   * same settings but another key read an older file, so whoever keeps transports must build anew.
   */
  filesKey(settings: Settings): string;
}

export function createTransportFactory(deps: TransportFactoryDeps): TransportFactory {
  // One provider per set of OAuth credentials, so a settings change that does not touch them
  // keeps the cached access token instead of asking the endpoint on every send.
  const tokenProviders = new Map<string, OAuthTokenProvider>();
  const ehloName = deps.ehloName ? createEhloName(deps.ehloName) : processEhloName;

  function tokenProviderFor(settings: Settings): OAuthTokenProvider | undefined {
    if (settings.mail_smtpauthtype !== 'XOAUTH2' || !settings.mail_smtpauth) return undefined;
    const credentials = {
      grant: settings.mail_smtpoauth_grant,
      tokenUrl: settings.mail_smtpoauth_token_url,
      clientId: settings.mail_smtpoauth_client_id,
      clientSecret: settings.mail_smtpoauth_client_secret,
      refreshToken: settings.mail_smtpoauth_refresh_token,
      scope: settings.mail_smtpoauth_scope,
    };
    const missing = [...missingOAuthSettings(credentials), ...(settings.mail_smtpname.trim() === '' ? ['mail_smtpname'] : [])];
    if (missing.length > 0) {
      throw new MailroomError('oauth_not_configured', `mail_smtpauthtype is XOAUTH2${credentials.grant === 'client_credentials' ? ' with the client_credentials grant' : ''} but ${missing.join(', ')} ${missing.length === 1 ? 'is' : 'are'} not set`, { details: { missing } });
    }
    const key = createHash('sha256').update(Object.values(credentials).join('\0')).digest('hex');
    let provider = tokenProviders.get(key);
    if (!provider) {
      provider = createOAuthTokenProvider({
        ...credentials,
        clock: deps.clock,
        timeoutMs: settings.mail_smtptimeout * 1000,
        ...(deps.fetch ? { fetch: deps.fetch } : {}),
        onRefreshTokenRotated: deps.saveRefreshToken,
      });
      tokenProviders.clear();
      tokenProviders.set(key, provider);
    }
    return provider;
  }

  return {
    filesKey: settingFilesKey,
    async checkOAuth(settings) {
      const provider = tokenProviderFor({ ...settings, mail_smtpauth: true, mail_smtpauthtype: 'XOAUTH2' });
      await provider?.getAccessToken();
      return new URL(settings.mail_smtpoauth_token_url).host;
    },
    async create(settings) {
      const timeoutMs = Math.max(settings.mail_smtptimeout, 30) * 1000;
      const spawnDeps = { ...(deps.spawn ? { spawn: deps.spawn } : {}), ...(deps.env ? { env: deps.env } : {}) };
      switch (settings.mail_smtpmode) {
        case 'capture':
          return createCaptureTransport(deps.captureStore);
        case 'sendmail':
          return createPipeTransport({ name: 'sendmail', command: [settings.mail_sendmail_path], envelopeArguments: true, timeoutMs, ...spawnDeps });
        case 'qmail':
          return createPipeTransport({ name: 'qmail', command: [settings.mail_qmail_path], envelopeArguments: true, timeoutMs, ...spawnDeps });
        case 'php':
          return createPipeTransport({ name: 'php', command: await resolvePhpSendmailCommand(deps.env ?? process.env), envelopeArguments: false, timeoutMs, ...spawnDeps });
        case 'smtp':
          return createSmtpTransport({
            settings,
            ca: settings.mail_smtptls_ca === '' ? undefined : await readCaFile(settings.mail_smtptls_ca),
            hostHealth: deps.hostHealth,
            tokenProvider: tokenProviderFor(settings),
            clientName: await ehloName(settings),
            maxConnections: settings.mail_smtp_connections,
          });
      }
    },
  };
}
