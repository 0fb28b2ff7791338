import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { after, before, describe, it } from 'node:test';
import type { Settings } from '../../src/config/settings-schema.ts';
import { createTransportFactory } from '../../src/transport/create-transport.ts';
import { createHostHealth } from '../../src/transport/host-health.ts';
import { createTranscript } from '../../src/transport/transcript.ts';
import { isTransportError, type TransportError } from '../../src/transport/transport.ts';
import { settingsWith, systemClock, testMessage, postfixSettings } from '../support/mail-fixtures.ts';
import { freePort, startPostfix, waitForMail, type PostfixServer } from '../support/servers.ts';
import { startSmtpSink, type SmtpSink } from '../support/smtp-sink.ts';

const noCapture = { save: async () => 0 };

function factory(clock = systemClock) {
  return createTransportFactory({ hostHealth: createHostHealth({ clock }), captureStore: noCapture, clock });
}

async function sendExpectingFailure(settings: Settings, to = 'bob@example.com'): Promise<TransportError> {
  const transport = await factory().create(settings);
  try {
    await transport.send(await testMessage(to));
  } catch (error) {
    assert.ok(isTransportError(error), `expected a TransportError, got ${String(error)}`);
    return error;
  }
  assert.fail('the send should have failed');
}

describe('SMTP transport against a real Postfix', () => {
  let postfix: PostfixServer;
  let base: Settings;
  const sinks: SmtpSink[] = [];
  const silentServers: Server[] = [];

  before(async () => {
    postfix = await startPostfix();
    base = settingsWith({
      ...postfixSettings(postfix),
      mail_smtptimeout: 3,
    });
  });

  after(async () => {
    await Promise.all(sinks.map((s) => s.stop()));
    for (const s of silentServers) s.close();
    await postfix?.stop();
  });

  it('delivers with STARTTLS and AUTH PLAIN when the certificate is trusted through mail_smtptls_ca', async () => {
    const transport = await factory().create(base);
    const message = await testMessage('alice@example.com');
    const result = await transport.send(message);
    assert.deepEqual(result.accepted, ['alice@example.com']);
    assert.match(result.response, /^250 /);
    const mail = await waitForMail(postfix.maildir, (m) => m.headers.get('subject') === message.subject);
    assert.equal(mail.deliveredTo, 'alice@example.com');
    assert.equal(mail.headers.get('message-id'), message.messageId);
    assert.equal(mail.headers.get('auto-submitted'), 'auto-generated');
    assert.match(mail.body, /Hello from the transport tests/);
  });

  it('delivers with implicit TLS and AUTH LOGIN', async () => {
    const transport = await factory().create({ ...base, mail_smtpport: postfix.smtpsPort, mail_smtpsecure: 'ssl', mail_smtpauthtype: 'LOGIN' });
    const message = await testMessage('carol@example.org');
    await transport.send(message);
    const mail = await waitForMail(postfix.maildir, (m) => m.headers.get('subject') === message.subject);
    assert.equal(mail.deliveredTo, 'carol@example.org');
  });

  it("names the host in EHLO: mail_smtp_helo_name, else the machine's full name, else the mail domain", async () => {
    /** The name the delivered copy's Received header says the client gave. */
    async function ehloOf(settings: Settings, ehloName?: { hostname: () => string; fullName: (short: string) => Promise<string | undefined> }): Promise<string | undefined> {
      const transport = await createTransportFactory({ hostHealth: createHostHealth({ clock: systemClock }), captureStore: noCapture, clock: systemClock, ehloName }).create(settings);
      try {
        const message = await testMessage('ehlo@example.org');
        await transport.send(message);
        const mail = await waitForMail(postfix.maildir, (m) => m.headers.get('subject') === message.subject);
        return /^from (\S+)/.exec(mail.headers.get('received') ?? '')?.[1];
      } finally {
        await transport.close();
      }
    }
    const shortName = { hostname: () => 'files', fullName: async (short: string) => (short === 'files' ? 'files.lan.example.net' : undefined) };
    assert.equal(await ehloOf({ ...base, mail_smtp_helo_name: 'mx-out.example.net' }, shortName), 'mx-out.example.net');
    assert.equal(await ehloOf({ ...base, mail_domain: 'cloud.example.com' }, shortName), 'files.lan.example.net', "the resolver's full name of a short host name");
    assert.equal(await ehloOf({ ...base, mail_domain: 'cloud.example.com' }, { hostname: () => 'box.example.org', fullName: async () => undefined }), 'box.example.org');
    assert.equal(await ehloOf({ ...base, mail_domain: 'cloud.example.com' }, { hostname: () => 'files', fullName: async () => 'localhost' }), 'cloud.example.com', 'no full name: the mail domain');
  });

  it('refuses a self-signed certificate that is not trusted, and says to set mail_smtptls_ca', async () => {
    const error = await sendExpectingFailure({ ...base, mail_smtptls_ca: '' });
    assert.equal(error.code, 'smtp_certificate_untrusted');
    assert.match(error.message, /mail_smtptls_ca/);
    assert.equal(error.failure.kind, 'tls');
  });

  it("with mail_smtpsecure '' and credentials, a failed STARTTLS is the error: no retry in plain text that would send the password unencrypted", async () => {
    const transcript = createTranscript([postfix.pass]);
    const transport = await factory().create({ ...base, mail_smtpsecure: '', mail_smtptls_ca: '' });
    const error = await transport.send(await testMessage('heidi@example.com'), { transcript }).then(
      () => assert.fail('the send should have failed'),
      (e: unknown) => e as TransportError,
    );
    assert.equal(error.code, 'smtp_certificate_untrusted', 'the certificate is named, not a lost connection');
    const text = transcript.toString();
    assert.match(text, /STARTTLS/);
    assert.doesNotMatch(text, /AUTH/, 'no credentials were offered');
    assert.doesNotMatch(text, /going on without encryption/);
  });

  it('names a wrong password as refused credentials and keeps the server reply', async () => {
    const error = await sendExpectingFailure({ ...base, mail_smtppassword: 'wrong-password' });
    assert.equal(error.code, 'smtp_auth_failed');
    assert.match(error.failure.reply ?? '', /^535/);
    assert.doesNotMatch(error.message, /wrong-password/);
  });

  it('recognises implicit TLS (ssl) used against the STARTTLS port', async () => {
    const error = await sendExpectingFailure({ ...base, mail_smtpsecure: 'ssl' });
    assert.equal(error.code, 'smtp_tls_on_plain_port');
    assert.match(error.message, /mail_smtpsecure to tls/);
  });

  it('recognises STARTTLS (tls) used against the implicit-TLS port', async () => {
    const error = await sendExpectingFailure({ ...base, mail_smtpport: postfix.smtpsPort, mail_smtptimeout: 2 });
    assert.equal(error.code, 'smtp_plain_on_tls_port');
    assert.match(error.message, /mail_smtpsecure to ssl/);
  });

  it('says that authentication is required when it is turned off', async () => {
    const error = await sendExpectingFailure({ ...base, mail_smtpauth: false });
    assert.equal(error.code, 'smtp_auth_required');
    assert.match(error.message, /mail_smtpauth/);
  });

  it('says which methods the server offers when the chosen one is not among them', async () => {
    const error = await sendExpectingFailure({ ...base, mail_smtpauthtype: 'NTLM' });
    assert.equal(error.code, 'smtp_auth_mechanism_unavailable');
    assert.match(error.message, /offers PLAIN LOGIN/);
  });

  it('reports a refused connection, an unknown host and a silent server each by name', async () => {
    const deadPort = await freePort();
    assert.equal((await sendExpectingFailure({ ...base, mail_smtpport: deadPort })).code, 'smtp_connection_refused');
    assert.equal((await sendExpectingFailure({ ...base, mail_smtphost: 'no-such-host.invalid' })).code, 'smtp_host_not_found');
    const silent = createServer(() => undefined);
    silentServers.push(silent);
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const port = (silent.address() as { port: number }).port;
    const timeout = await sendExpectingFailure({ ...base, mail_smtpport: port, mail_smtptimeout: 1 });
    assert.equal(timeout.code, 'smtp_timeout');
    assert.equal(timeout.failure.kind, 'timeout');
  });

  it('refuses to go on in plain text when tls is required and the server offers no STARTTLS', async () => {
    const sink = await startSmtpSink();
    sinks.push(sink);
    const error = await sendExpectingFailure({ ...base, mail_smtpport: sink.port, mail_smtpauth: false });
    assert.equal(error.code, 'smtp_starttls_unavailable');
  });

  it('tells a refused sender from a refused recipient, with the reply verbatim', async () => {
    const mailSink = await startSmtpSink(['-f', 'MAIL']);
    const rcptSink = await startSmtpSink(['-f', 'RCPT']);
    sinks.push(mailSink, rcptSink);
    const plain = { ...base, mail_smtpsecure: '' as const, mail_smtpauth: false };
    const sender = await sendExpectingFailure({ ...plain, mail_smtpport: mailSink.port });
    assert.equal(sender.code, 'smtp_sender_rejected');
    assert.equal(sender.failure.permanent, true);
    assert.match(sender.failure.reply ?? '', /^5\d\d/);
    const recipient = await sendExpectingFailure({ ...plain, mail_smtpport: rcptSink.port });
    assert.equal(recipient.code, 'smtp_recipient_rejected');
    assert.equal(recipient.failure.permanent, true);
  });

  it('fails over past a dead port and a 421 server, then skips both on the next send', async () => {
    const busy = await startSmtpSink(['-Q', 'connect']);
    sinks.push(busy);
    const deadPort = await freePort();
    const settings = { ...base, mail_smtphost: `127.0.0.1:${deadPort};127.0.0.1:${busy.port};127.0.0.1:${postfix.smtpPort}` };
    const transports = factory();
    const first = await (await transports.create(settings)).send(await testMessage('dave@example.com', 'failover one'));
    assert.deepEqual(
      first.attempts.map((a) => [a.host, a.error?.code ?? a.skipped ?? 'ok']),
      [
        [`127.0.0.1:${deadPort}`, 'smtp_connection_refused'],
        [`127.0.0.1:${busy.port}`, 'smtp_greeting_refused'],
        [`127.0.0.1:${postfix.smtpPort}`, 'ok'],
      ],
    );
    const second = await (await transports.create(settings)).send(await testMessage('erin@example.com', 'failover two'));
    assert.deepEqual(
      second.attempts.map((a) => [a.host, a.error?.code ?? a.skipped ?? 'ok']),
      [
        [`127.0.0.1:${deadPort}`, 'cooling_down'],
        [`127.0.0.1:${busy.port}`, 'cooling_down'],
        [`127.0.0.1:${postfix.smtpPort}`, 'ok'],
      ],
    );
    await waitForMail(postfix.maildir, (m) => m.headers.get('subject') === 'failover one');
    await waitForMail(postfix.maildir, (m) => m.headers.get('subject') === 'failover two');
  });

  it('tries the cooled-down hosts again once the cool-down has passed', async () => {
    let now = Date.now();
    const clock = { now: () => new Date(now) };
    const transports = factory(clock);
    const deadPort = await freePort();
    const settings = { ...base, mail_smtphost: `127.0.0.1:${deadPort};127.0.0.1:${postfix.smtpPort}` };
    await (await transports.create(settings)).send(await testMessage('frank@example.com'));
    now += 61_000;
    const later = await (await transports.create(settings)).send(await testMessage('frank@example.com'));
    assert.equal(later.attempts[0]?.error?.code, 'smtp_connection_refused');
  });

  it('keeps the password and its base64 forms out of the debug transcript', async () => {
    const transcript = createTranscript([postfix.pass]);
    for (const authType of ['PLAIN', 'LOGIN'] as const) {
      const transport = await factory().create({ ...base, mail_smtpauthtype: authType });
      await transport.send(await testMessage('grace@example.com'), { transcript });
    }
    const text = transcript.toString();
    assert.match(text, /AUTH PLAIN \*\*\*/);
    assert.match(text, /AUTH LOGIN/);
    assert.match(text, /^S: 235 /m);
    const forbidden = [postfix.pass, Buffer.from(postfix.pass).toString('base64'), Buffer.from(`\0${postfix.user}\0${postfix.pass}`).toString('base64'), Buffer.from(postfix.user).toString('base64')];
    for (const secret of forbidden) assert.ok(!text.includes(secret), `transcript contains ${secret}`);
  });

  it('sends through sendmail and qmail paths into the same Maildir', async () => {
    for (const mode of ['sendmail', 'qmail'] as const) {
      const transport = await factory().create(settingsWith({ mail_smtpmode: mode, mail_sendmail_path: postfix.sendmailPath, mail_qmail_path: postfix.sendmailPath }));
      const message = await testMessage(`${mode}@example.net`);
      const result = await transport.send(message);
      assert.equal(result.via, postfix.sendmailPath);
      const mail = await waitForMail(postfix.maildir, (m) => m.headers.get('subject') === message.subject);
      assert.equal(mail.deliveredTo, `${mode}@example.net`);
    }
  });

  it('sends in php mode through the sendmail command PHP would use', async () => {
    const transports = createTransportFactory({
      hostHealth: createHostHealth({ clock: systemClock }),
      captureStore: noCapture,
      clock: systemClock,
      // PHP's default sendmail_path is /usr/sbin/sendmail -t -i; MAIL_CONFIG points Postfix's
      // sendmail at the test instance, as an admin's environment would point it at theirs.
      env: { ...process.env, MAIL_CONFIG: `${postfix.dir}/etc` },
    });
    const transport = await transports.create(settingsWith({ mail_smtpmode: 'php' }));
    const message = await testMessage('php@example.net');
    await transport.send(message);
    const mail = await waitForMail(postfix.maildir, (m) => m.headers.get('subject') === message.subject);
    assert.equal(mail.deliveredTo, 'php@example.net');
  });

  it('reports a missing sendmail binary and a failing one with its exit status', async () => {
    const missing = await sendExpectingFailure(settingsWith({ mail_smtpmode: 'sendmail', mail_sendmail_path: '/nonexistent/sendmail' }));
    assert.equal(missing.code, 'sendmail_not_found');
    const failing = await sendExpectingFailure(settingsWith({ mail_smtpmode: 'sendmail', mail_sendmail_path: '/bin/false' }));
    assert.equal(failing.code, 'sendmail_failed');
    assert.match(failing.message, /exited with status 1/);
  });

  it('cannot read a missing CA file and says which setting points at it', async () => {
    await assert.rejects(factory().create({ ...base, mail_smtptls_ca: '/nonexistent/ca.pem' }), (error: Error & { code?: string }) => {
      assert.equal(error.code, 'config_invalid_value');
      assert.match(error.message, /mail_smtptls_ca/);
      return true;
    });
    assert.ok((await readFile(postfix.certPath, 'utf8')).includes('BEGIN CERTIFICATE'));
  });
});
