import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import net from 'node:net';
import tls from 'node:tls';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { SMTPServer, type SMTPServerOptions } from 'smtp-server';
import { detectSmtpSettings, formatDetectReport, recommendSmtpSettings } from '../../src/mail/detect-service.ts';
import { probeSmtpPort, type PortProbe } from '../../src/transport/smtp-probe.ts';

const run = promisify(execFile);
const HOST = '127.0.0.1';

interface KeyPair {
  key: string;
  cert: string;
}

async function selfSignedCertificate(dir: string, name: string, subjectAltName: string): Promise<KeyPair> {
  const keyFile = path.join(dir, `${name}-key.pem`);
  const certFile = path.join(dir, `${name}-cert.pem`);
  await run('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '2', '-subj', `/CN=${name}`, '-addext', `subjectAltName=${subjectAltName}`, '-keyout', keyFile, '-out', certFile]);
  return { key: await readFile(keyFile, 'utf8'), cert: await readFile(certFile, 'utf8') };
}

function addressPort(server: net.Server): number {
  const address = server.address();
  assert.ok(address && typeof address === 'object', 'the server listens on a TCP port');
  return address.port;
}

async function startSmtpServer(options: SMTPServerOptions): Promise<{ server: SMTPServer; port: number }> {
  const server = new SMTPServer({ logger: false, ...options });
  // Without a listener the server crashes the test process when the probe hangs up mid-handshake.
  server.on('error', () => {});
  await new Promise<void>((resolve) => server.listen(0, HOST, resolve));
  return { server, port: addressPort(server.server) };
}

async function startTcpServer(onConnection: (socket: net.Socket) => void): Promise<{ server: net.Server; port: number; sockets: Set<net.Socket> }> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => {});
    socket.on('close', () => sockets.delete(socket));
    onConnection(socket);
  });
  await new Promise<void>((resolve) => server.listen(0, HOST, resolve));
  return { server, port: addressPort(server), sockets };
}

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, HOST, resolve));
  const port = addressPort(server);
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

function rejectAllLogins(_auth: unknown, _session: unknown, callback: (error: Error) => void): void {
  callback(new Error('the tests never log in'));
}

describe('smtp-probe against real servers', () => {
  let dir: string;
  let pair: KeyPair;
  let otherPair: KeyPair;
  const closers: (() => Promise<void>)[] = [];
  let starttlsPort: number;
  let implicitPort: number;
  let wrongNamePort: number;
  let plainOnlyPort: number;
  let silentPort: number;
  let httpPort: number;
  let silentTlsPort: number;
  let refusingPort: number;
  let heloOnlyPort: number;
  /** What the HELO-only server was told, command by command. */
  const heloOnlyHeard: string[] = [];

  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'mailroom-probe-'));
    pair = await selfSignedCertificate(dir, 'localhost', 'DNS:localhost,IP:127.0.0.1');
    otherPair = await selfSignedCertificate(dir, 'mail.other.test', 'DNS:mail.other.test');

    const starttls = await startSmtpServer({
      ...pair,
      authMethods: ['PLAIN', 'LOGIN'],
      authOptional: true,
      hideSTARTTLS: false,
      allowInsecureAuth: false,
      // allowInsecureAuth:false refuses AUTH in clear but still advertises it; a session-level
      // disabledCommands hides it until the TLS session replaces it in onSecure.
      onConnect(session, callback) {
        session.disabledCommands = ['AUTH'];
        callback();
      },
      onSecure(_socket, session, callback) {
        session.disabledCommands = [];
        callback();
      },
      onAuth: rejectAllLogins,
    });
    const implicit = await startSmtpServer({ ...pair, secure: true, authMethods: ['LOGIN', 'CRAM-MD5'], onAuth: rejectAllLogins });
    const wrongName = await startSmtpServer({ ...otherPair, secure: true, authMethods: ['PLAIN'], onAuth: rejectAllLogins });
    const plainOnly = await startSmtpServer({ hideSTARTTLS: true, allowInsecureAuth: true, authMethods: ['LOGIN'], onAuth: rejectAllLogins });
    for (const { server } of [starttls, implicit, wrongName, plainOnly]) {
      closers.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
    }
    starttlsPort = starttls.port;
    implicitPort = implicit.port;
    wrongNamePort = wrongName.port;
    plainOnlyPort = plainOnly.port;

    const silent = await startTcpServer(() => {
      // Accepts and says nothing, like a firewall that completes the handshake or a stuck server.
    });
    const http = await startTcpServer((socket) => {
      socket.end('HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n');
    });
    const refusing = await startTcpServer((socket) => {
      socket.end('554 5.7.1 Your address is on a block list\r\n');
    });
    const heloOnly = await startTcpServer((socket) => {
      // A server from before ESMTP: EHLO is an unknown command to it.
      socket.write('220 old.example ready\r\n');
      socket.setEncoding('latin1');
      socket.on('data', (data: string) => {
        for (const command of data.split('\r\n').filter(Boolean)) {
          heloOnlyHeard.push(command);
          if (/^EHLO /i.test(command)) socket.write('502 5.5.2 command not recognized\r\n');
          else if (/^HELO /i.test(command)) socket.write('250 old.example\r\n');
          else if (/^QUIT/i.test(command)) socket.end('221 bye\r\n');
          else socket.write('500 what\r\n');
        }
      });
    });
    for (const { server, sockets } of [silent, http, refusing, heloOnly]) {
      closers.push(async () => {
        for (const socket of sockets) socket.destroy();
        await new Promise<void>((resolve) => server.close(() => resolve()));
      });
    }
    // Like an HTTPS port: TLS works, but nothing greets afterwards.
    const tlsSockets = new Set<tls.TLSSocket>();
    const silentTls = tls.createServer(pair, (socket) => {
      tlsSockets.add(socket);
      socket.on('error', () => {});
    });
    silentTls.on('tlsClientError', () => {});
    await new Promise<void>((resolve) => silentTls.listen(0, HOST, resolve));
    closers.push(async () => {
      for (const socket of tlsSockets) socket.destroy();
      await new Promise<void>((resolve) => silentTls.close(() => resolve()));
    });
    silentPort = silent.port;
    httpPort = http.port;
    silentTlsPort = addressPort(silentTls);
    refusingPort = refusing.port;
    heloOnlyPort = heloOnly.port;
  });

  after(async () => {
    await Promise.all(closers.map((close) => close()));
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  test('a STARTTLS port reports the AUTH methods offered after TLS and an untrusted self-signed certificate', async () => {
    const probe = await probeSmtpPort({ host: HOST, port: starttlsPort, timeoutMs: 2000 });
    assert.equal(probe.reachable, true);
    assert.equal(probe.error, undefined);
    assert.equal(probe.security, 'starttls');
    assert.match(probe.banner ?? '', /ESMTP/);
    assert.ok(probe.authMethods.includes('PLAIN'), `AUTH after TLS: ${probe.authMethods.join(' ')}`);
    assert.ok(probe.authMethods.includes('LOGIN'));
    assert.deepEqual(probe.authBeforeTls, []);
    assert.ok(probe.extensions.includes('AUTH'));
    assert.ok(!probe.extensions.includes('STARTTLS'), 'the final session is the TLS one');
    assert.ok(probe.certificate);
    assert.equal(probe.certificate.selfSigned, true);
    assert.equal(probe.certificate.valid, false);
    assert.equal(probe.certificate.error, 'DEPTH_ZERO_SELF_SIGNED_CERT');
    assert.equal(probe.certificate.hostnameMatches, true);
    assert.equal(probe.certificate.subject, 'CN=localhost');
    assert.match(probe.certificate.validTo ?? '', /^\d{4}-\d\d-\d\dT/);
  });

  test('the self-signed certificate given as ca makes the STARTTLS certificate valid', async () => {
    const probe = await probeSmtpPort({ host: HOST, port: starttlsPort, timeoutMs: 2000, ca: pair.cert });
    assert.equal(probe.security, 'starttls');
    assert.ok(probe.certificate);
    assert.equal(probe.certificate.valid, true);
    assert.equal(probe.certificate.error, undefined);
    assert.equal(probe.certificate.selfSigned, true);
  });

  test('a port that waits silently for a TLS ClientHello is found to be implicit TLS', async () => {
    const probe = await probeSmtpPort({ host: HOST, port: implicitPort, timeoutMs: 500, ca: pair.cert });
    assert.equal(probe.error, undefined);
    assert.equal(probe.security, 'implicit_tls');
    assert.deepEqual([...probe.authMethods].sort(), ['CRAM-MD5', 'LOGIN']);
    assert.deepEqual(probe.authBeforeTls, []);
    assert.equal(probe.certificate?.valid, true);
  });

  test('a trusted certificate that does not name the host is invalid with ERR_TLS_CERT_ALTNAME_INVALID', async () => {
    const probe = await probeSmtpPort({ host: HOST, port: wrongNamePort, timeoutMs: 500, ca: otherPair.cert });
    assert.equal(probe.security, 'implicit_tls');
    assert.ok(probe.certificate);
    assert.equal(probe.certificate.valid, false);
    assert.equal(probe.certificate.error, 'ERR_TLS_CERT_ALTNAME_INVALID');
    assert.equal(probe.certificate.hostnameMatches, false);
    assert.deepEqual(probe.certificate.names, ['mail.other.test']);
  });

  test('a server without TLS is reported as plain with the AUTH methods it offers in clear', async () => {
    const probe = await probeSmtpPort({ host: HOST, port: plainOnlyPort, timeoutMs: 2000 });
    assert.equal(probe.security, 'plain');
    assert.deepEqual(probe.authMethods, ['LOGIN']);
    assert.deepEqual(probe.authBeforeTls, ['LOGIN']);
    assert.equal(probe.certificate, undefined);
  });

  test('a port where nothing listens is unreachable with the code refused', async () => {
    const probe = await probeSmtpPort({ host: HOST, port: await freePort(), timeoutMs: 1000 });
    assert.equal(probe.reachable, false);
    assert.equal(probe.error?.code, 'refused');
    assert.equal(probe.security, undefined);
  });

  test('a server that accepts and never speaks times out quickly instead of hanging', async () => {
    const started = Date.now();
    const probe = await probeSmtpPort({ host: HOST, port: silentPort, timeoutMs: 300 });
    const elapsed = Date.now() - started;
    assert.equal(probe.reachable, true);
    assert.equal(probe.error?.code, 'timeout');
    assert.ok(elapsed < 2000, `took ${elapsed} ms`);
  });

  test('a server that answers HTTP is reported as not SMTP, quoting what it said', async () => {
    const probe = await probeSmtpPort({ host: HOST, port: httpPort, timeoutMs: 1000 });
    assert.equal(probe.reachable, true);
    assert.equal(probe.error?.code, 'not_smtp');
    assert.match(probe.error?.message ?? '', /HTTP\/1\.1 400/);
  });

  test('a TLS port that never sends an SMTP greeting is not SMTP, and its certificate is still reported', async () => {
    const probe = await probeSmtpPort({ host: HOST, port: silentTlsPort, timeoutMs: 300 });
    assert.equal(probe.reachable, true);
    assert.equal(probe.error?.code, 'not_smtp');
    assert.equal(probe.security, undefined);
    assert.equal(probe.certificate?.subject, 'CN=localhost');
  });

  test('a server that refuses the session in its greeting is reported with greeting_refused and its banner', async () => {
    const probe = await probeSmtpPort({ host: HOST, port: refusingPort, timeoutMs: 1000 });
    assert.equal(probe.reachable, true);
    assert.equal(probe.error?.code, 'greeting_refused');
    assert.match(probe.banner ?? '', /block list/);
    assert.equal(probe.security, undefined);
  });

  test('a server that does not know EHLO is probed with HELO and reported as plain without extensions', async () => {
    const probe = await probeSmtpPort({ host: HOST, port: heloOnlyPort, timeoutMs: 1000 });
    assert.equal(probe.error, undefined);
    assert.equal(probe.security, 'plain');
    assert.equal(probe.banner, 'old.example ready');
    assert.deepEqual(probe.extensions, []);
    assert.deepEqual(probe.authMethods, []);
  });

  test('gives the EHLO (and HELO) name it is given, the one sending uses', async () => {
    heloOnlyHeard.length = 0;
    const probe = await probeSmtpPort({ host: HOST, port: heloOnlyPort, timeoutMs: 1000, clientName: 'files.lan.example.net' });
    assert.equal(probe.security, 'plain');
    assert.deepEqual(
      heloOnlyHeard.filter((c) => /^(EHLO|HELO) /.test(c)),
      ['EHLO files.lan.example.net', 'HELO files.lan.example.net'],
    );
  });

  test('detecting an explicit STARTTLS port recommends tls with PLAIN and says to put the CA in mail_smtptls_ca', async () => {
    const report = await detectSmtpSettings({ host: HOST, port: starttlsPort, timeoutMs: 2000 });
    assert.equal(report.probes.length, 1);
    assert.deepEqual(report.recommended, {
      mail_smtphost: HOST,
      mail_smtpport: starttlsPort,
      mail_smtpsecure: 'tls',
      mail_smtpauth: true,
      mail_smtpauthtype: 'PLAIN',
    });
    assert.ok(
      report.notes.some((note) => note.includes("the certificate is self-signed: put the CA's PEM file in mail_smtptls_ca")),
      report.notes.join('\n'),
    );
    assert.ok(!report.notes.some((note) => /verif/i.test(note) && /off|disable|false/i.test(note)), 'never suggests turning verification off');

    const text = formatDetectReport(report);
    assert.match(text, new RegExp(`Port ${starttlsPort}: STARTTLS`));
    assert.match(text, /AUTH: +PLAIN LOGIN/);
    assert.match(text, /Certificate: +NOT trusted \(self-signed, DEPTH_ZERO_SELF_SIGNED_CERT\)/);
    assert.match(text, /^ {2}mailroom config:set mail_smtpsecure tls$/m);
    assert.match(text, new RegExp(`^  mailroom config:set mail_smtpport ${starttlsPort}$`, 'm'));
    assert.match(text, /^ {2}mailroom config:set mail_smtpauthtype PLAIN$/m);
  });

  test('detecting with the CA given recommends the port without a certificate warning', async () => {
    const report = await detectSmtpSettings({ host: HOST, port: implicitPort, timeoutMs: 500, ca: pair.cert });
    assert.equal(report.recommended?.mail_smtpsecure, 'ssl');
    assert.equal(report.recommended?.mail_smtpauthtype, 'LOGIN');
    assert.ok(!report.notes.some((note) => note.includes('self-signed')), report.notes.join('\n'));
  });

  test('detecting a plain-only server recommends no encryption and warns that it is insecure', async () => {
    const report = await detectSmtpSettings({ host: HOST, port: plainOnlyPort, timeoutMs: 2000 });
    assert.equal(report.recommended?.mail_smtpsecure, '');
    assert.ok(
      report.notes.some((note) => note.includes('unencrypted')),
      report.notes.join('\n'),
    );
    assert.match(formatDetectReport(report), /^ {2}mailroom config:set mail_smtpsecure ''$/m);
  });

  test('detecting a port where nothing listens recommends nothing and says what to check', async () => {
    const report = await detectSmtpSettings({ host: HOST, port: await freePort(), timeoutMs: 1000 });
    assert.equal(report.recommended, undefined);
    assert.ok(
      report.notes.some((note) => note.includes('No SMTP server answered')),
      report.notes.join('\n'),
    );
    assert.match(formatDetectReport(report), /not reachable: connection refused/);
  });
});

function fakeProbe(port: number, security: PortProbe['security'], certificateValid: boolean | undefined, authMethods: string[]): PortProbe {
  const probe: PortProbe = { port, reachable: true, extensions: authMethods.length ? ['AUTH'] : [], authMethods, authBeforeTls: [] };
  if (security) probe.security = security;
  if (certificateValid !== undefined) {
    probe.certificate = certificateValid ? { valid: true, selfSigned: false, hostnameMatches: true, names: ['mail.example.com'] } : { valid: false, error: 'DEPTH_ZERO_SELF_SIGNED_CERT', selfSigned: true, hostnameMatches: true, names: ['mail.example.com'] };
  }
  return probe;
}

describe('recommendSmtpSettings', () => {
  test('prefers 587 with STARTTLS over 465 with implicit TLS when both certificates are valid', () => {
    const { recommended } = recommendSmtpSettings('mail.example.com', [fakeProbe(587, 'starttls', true, ['LOGIN']), fakeProbe(465, 'implicit_tls', true, ['PLAIN'])]);
    assert.equal(recommended?.mail_smtpport, 587);
    assert.equal(recommended?.mail_smtpsecure, 'tls');
    assert.equal(recommended?.mail_smtpauthtype, 'LOGIN');
  });

  test('prefers a port with a valid certificate over the usual port with an untrusted one', () => {
    const { recommended, notes } = recommendSmtpSettings('mail.example.com', [fakeProbe(587, 'starttls', false, ['PLAIN']), fakeProbe(465, 'implicit_tls', true, ['PLAIN'])]);
    assert.equal(recommended?.mail_smtpport, 465);
    assert.equal(recommended?.mail_smtpsecure, 'ssl');
    assert.ok(!notes.some((note) => note.includes('self-signed')));
  });

  test('prefers any TLS port over a plain one', () => {
    const { recommended } = recommendSmtpSettings('mail.example.com', [fakeProbe(587, 'plain', undefined, ['PLAIN']), fakeProbe(2525, 'starttls', false, [])]);
    assert.equal(recommended?.mail_smtpport, 2525);
    assert.equal(recommended?.mail_smtpauth, false);
    assert.equal(recommended?.mail_smtpauthtype, undefined);
  });

  test('chooses the AUTH type in the order PLAIN, LOGIN, CRAM-MD5, NTLM, XOAUTH2', () => {
    const pick = (methods: string[]): string | undefined => recommendSmtpSettings('h', [fakeProbe(587, 'starttls', true, methods)]).recommended?.mail_smtpauthtype;
    assert.equal(pick(['XOAUTH2', 'NTLM', 'CRAM-MD5', 'LOGIN', 'PLAIN']), 'PLAIN');
    assert.equal(pick(['XOAUTH2', 'NTLM', 'CRAM-MD5', 'LOGIN']), 'LOGIN');
    assert.equal(pick(['XOAUTH2', 'NTLM', 'CRAM-MD5']), 'CRAM-MD5');
    assert.equal(pick(['XOAUTH2', 'NTLM']), 'NTLM');
    assert.equal(pick(['XOAUTH2']), 'XOAUTH2');
    assert.equal(pick(['SCRAM-SHA-256']), undefined);
  });
});
