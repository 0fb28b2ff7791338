import { senderAddress } from '../domain/sender.ts';
import { constants } from 'node:fs';
import { access } from 'node:fs/promises';
import { isLoopbackUrl, portOf } from '../config/serve-address.ts';
import { parseHostList, type Settings } from '../config/settings-schema.ts';
import type { SettingsService } from '../config/settings-service.ts';
import { explainInvalidAddress } from '../domain/address.ts';
import { resolvePhpSendmailCommand } from '../transport/php-sendmail-path.ts';
import { processEhloName } from '../transport/ehlo-name.ts';
import { probeSmtpPort } from '../transport/smtp-probe.ts';
import { readCaFile } from '../transport/ca-file.ts';

export interface DoctorCheck {
  name: string;
  status: 'ok' | 'warn' | 'fail';
  message: string;
}

export interface DoctorDeps {
  settings: SettingsService;
  /** Runs a trivial query; resolves with a description of the database, rejects when it is unusable. */
  pingDatabase(): Promise<string>;
  /** Gets an access token with the XOAUTH2 settings; resolves with the token endpoint's host. */
  checkOAuth(settings: Settings): Promise<string>;
  /** The address serve listens on (last recorded, else this environment's MAILROOM_HOST and MAILROOM_PORT). */
  servedAt(): Promise<string>;
  env?: NodeJS.ProcessEnv;
  /** Refusals of the instance itself (policy bounces) of the last days, when there were any. */
  reputationWarning?: () => Promise<{ count: number; last: { reportingMta: string | null; status: string | null; diagnostic: string | null } } | undefined>;
}

/** `mailroom doctor`: configuration, database and mail server, each with what to fix. */
export function createDoctorService(deps: DoctorDeps) {
  async function checkDatabase(): Promise<DoctorCheck> {
    try {
      return { name: 'database', status: 'ok', message: `reachable: ${await deps.pingDatabase()}` };
    } catch (error) {
      return { name: 'database', status: 'fail', message: `${(error as Error).message}: check MAILROOM_DATABASE_URL or the data directory` };
    }
  }

  function checkSender(s: Settings): DoctorCheck {
    const from = senderAddress(s);
    const problem = explainInvalidAddress(from);
    if (problem) return { name: 'sender', status: 'fail', message: `the sender ${from} is not valid (${problem}): set mail_from_address and mail_domain` };
    if (s.mail_domain === 'localhost') return { name: 'sender', status: 'warn', message: `the sender is ${from}: most servers refuse it; set mail_domain to your domain` };
    return { name: 'sender', status: 'ok', message: `mails come from ${from}` };
  }

  /**
   * Links in mails (reset, invitation, unsubscribe) start with base_url, or, while it is not set,
   * with the address serve listens on. Either can lead nowhere: to this machine only (loopback),
   * or to a port serve does not listen on (MAILROOM_PORT changed, base_url not).
   */
  async function checkBaseUrl(s: Settings): Promise<DoctorCheck> {
    const source = (await deps.settings.describe()).find((v) => v.key === 'base_url')?.source ?? 'default';
    const servedAt = await deps.servedAt();
    const what = source === 'default' ? `base_url is not set, so links in mails (password reset, invitations, unsubscribe) start with the address Mailroom serves on, ${s.base_url}` : `base_url is ${s.base_url}: links in mails (password reset, invitations, unsubscribe) lead there`;
    if (source !== 'default' && pointsAtServeHost(s.base_url, servedAt) && portOf(s.base_url) !== portOf(servedAt)) {
      return { name: 'links', status: 'warn', message: `${what}, but Mailroom listens on ${servedAt}: the links lead nowhere; set base_url to the address users reach Mailroom at` };
    }
    if (isLoopbackUrl(s.base_url)) {
      return { name: 'links', status: 'warn', message: `${what}, which only works on this machine; set base_url to the address users reach Mailroom at` };
    }
    if (source === 'default') {
      return { name: 'links', status: 'warn', message: `${what}; set base_url when users reach Mailroom at another address (a reverse proxy, https, a domain name)` };
    }
    return { name: 'links', status: 'ok', message: `links in mails start with ${s.base_url}` };
  }

  /** base_url names the machine serve runs on (a loopback address, or the same host as serve's address). */
  function pointsAtServeHost(baseUrl: string, servedAt: string): boolean {
    try {
      return isLoopbackUrl(baseUrl) || new URL(baseUrl).hostname === new URL(servedAt).hostname;
    } catch {
      return false;
    }
  }

  async function checkExecutable(name: string, path: string, key: string): Promise<DoctorCheck> {
    try {
      await access(path, constants.X_OK);
      return { name, status: 'ok', message: `${path} can be run` };
    } catch {
      return { name, status: 'fail', message: `${path} does not exist or cannot be run: install a mail system or correct ${key}` };
    }
  }

  /** The token a send would need, fetched now: a wrong secret or a revoked refresh token shows here, not at the first mail. */
  async function checkOAuth(s: Settings): Promise<DoctorCheck> {
    try {
      const host = await deps.checkOAuth(s);
      return { name: 'oauth', status: 'ok', message: `${host} gave an access token (${s.mail_smtpoauth_grant} grant)` };
    } catch (error) {
      return { name: 'oauth', status: 'fail', message: (error as Error).message };
    }
  }

  async function checkSmtp(s: Settings): Promise<DoctorCheck[]> {
    const checks: DoctorCheck[] = [];
    const parsed = parseHostList(s.mail_smtphost);
    if ('problem' in parsed) return [{ name: 'smtp', status: 'fail', message: `mail_smtphost: ${parsed.problem}` }];
    let ca: string | undefined;
    if (s.mail_smtptls_ca) {
      try {
        ca = await readCaFile(s.mail_smtptls_ca);
      } catch (error) {
        // doctor runs on the host, for its admin: the reason the file cannot be used helps here.
        const cause = (error as Error).cause;
        const reason = cause instanceof Error ? ` (${cause.message})` : '';
        checks.push({ name: 'smtp', status: 'fail', message: `${(error as Error).message}${reason}` });
      }
    }
    if (s.mail_smtpauth && s.mail_smtpauthtype !== 'XOAUTH2' && s.mail_smtppassword === '') {
      checks.push({ name: 'smtp', status: 'warn', message: 'mail_smtpauth is on but mail_smtppassword is empty' });
    }
    if (s.mail_smtpauth && s.mail_smtpauthtype === 'XOAUTH2') checks.push(await checkOAuth(s));
    for (const entry of parsed.entries) {
      const port = entry.port ?? s.mail_smtpport;
      const label = `${entry.host}:${port}`;
      const probe = await probeSmtpPort({ host: entry.host, port, timeoutMs: Math.min(s.mail_smtptimeout, 10) * 1000, ...(ca ? { ca } : {}), clientName: await processEhloName(s) });
      const name = `smtp ${label}`;
      if (!probe.security) {
        checks.push({ name, status: 'fail', message: `${probe.error?.message ?? 'no SMTP server answers'}: check mail_smtphost and mail_smtpport` });
        continue;
      }
      if (s.mail_smtpsecure === 'ssl' && probe.security !== 'implicit_tls') {
        checks.push({ name, status: 'fail', message: `this port speaks plain SMTP${probe.security === 'starttls' ? ' with STARTTLS' : ''}, but mail_smtpsecure is ssl: set it to ${probe.security === 'starttls' ? 'tls' : "''"}` });
        continue;
      }
      if (s.mail_smtpsecure !== 'ssl' && probe.security === 'implicit_tls') {
        checks.push({ name, status: 'fail', message: 'this port expects implicit TLS: set mail_smtpsecure to ssl' });
        continue;
      }
      if (s.mail_smtpsecure === 'tls' && probe.security !== 'starttls') {
        checks.push({ name, status: 'fail', message: 'mail_smtpsecure is tls but the server offers no STARTTLS' });
        continue;
      }
      if (probe.certificate && !probe.certificate.valid && s.mail_smtptls_verify) {
        checks.push({
          name,
          status: 'fail',
          message: probe.certificate.selfSigned || /ISSUER|SELF_SIGNED|VERIFY/.test(probe.certificate.error ?? '') ? 'the certificate is not trusted: set mail_smtptls_ca to the PEM file of its CA' : `the certificate is not valid (${probe.certificate.error}): fix it on the server or use the host name it names`,
        });
        continue;
      }
      if (s.mail_smtpauth && !probe.authMethods.includes(s.mail_smtpauthtype)) {
        checks.push({ name, status: 'fail', message: `the server does not offer AUTH ${s.mail_smtpauthtype}${probe.authMethods.length ? `; it offers ${probe.authMethods.join(' ')}` : ' (it offers no AUTH here)'}: change mail_smtpauthtype` });
        continue;
      }
      checks.push({ name, status: 'ok', message: `${probe.security === 'implicit_tls' ? 'implicit TLS' : probe.security === 'starttls' ? 'STARTTLS' : 'plain'}, ${probe.banner ?? ''}`.trim() });
    }
    return checks;
  }

  return {
    async run(): Promise<DoctorCheck[]> {
      const checks: DoctorCheck[] = [];
      let settings: Settings;
      try {
        settings = await deps.settings.get();
        checks.push({ name: 'configuration', status: 'ok', message: `mode ${settings.mail_smtpmode}; ${(await deps.settings.describe()).filter((v) => v.locked).length} setting(s) fixed by file or environment` });
        for (const key of await deps.settings.ignoredSaved()) {
          checks.push({
            name: 'configuration',
            status: 'warn',
            message: `${key} is saved in the database, where an older version let the web page set it; it is ignored now, since it names a program Mailroom runs. Set it in the config file (MAILROOM_CONFIG) or as MAILROOM_${key.toUpperCase()} if you need it, then remove the saved one: mailroom config:unset ${key}`,
          });
        }
      } catch (error) {
        return [{ name: 'configuration', status: 'fail', message: (error as Error).message }, await checkDatabase()];
      }
      checks.push(await checkDatabase());
      checks.push(checkSender(settings));
      checks.push(await checkBaseUrl(settings));
      const reputation = await deps.reputationWarning?.().catch(() => undefined);
      if (reputation) {
        const { last } = reputation;
        checks.push({
          name: 'reputation',
          status: 'warn',
          message: `${reputation.count} mail(s) were refused in the last 7 days for the instance's reputation or content, not for their addresses; the last by ${last.reportingMta ?? 'a receiving server'}: ${last.diagnostic ?? last.status ?? 'no diagnostic'}. Check that SPF allows this server, that mails are DKIM-signed (mail_dkim_*) and that the domain has a DMARC record (the manual's section Bounces and complaints)`,
        });
      }
      switch (settings.mail_smtpmode) {
        case 'capture':
          checks.push({ name: 'mail server', status: 'warn', message: 'mail_smtpmode is capture: mails are kept in Mailroom, not sent. Configure a server (mailroom config:set mail_smtpmode smtp, or the admin page)' });
          break;
        case 'sendmail':
          checks.push(await checkExecutable('sendmail', settings.mail_sendmail_path, 'mail_sendmail_path'));
          break;
        case 'qmail':
          checks.push(await checkExecutable('qmail', settings.mail_qmail_path, 'mail_qmail_path'));
          break;
        case 'php': {
          const [program] = await resolvePhpSendmailCommand(deps.env ?? process.env);
          checks.push(await checkExecutable('php sendmail', program ?? '/usr/sbin/sendmail', "PHP's sendmail_path"));
          break;
        }
        case 'smtp':
          checks.push(...(await checkSmtp(settings)));
          break;
      }
      return checks;
    },
  };
}

export type DoctorService = ReturnType<typeof createDoctorService>;
