// Proves the harness: the real servers start, accept what they promise, and deliver where
// readMaildir/waitForMail look. If these fail, every test built on the servers would too.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { after, before, describe, test } from 'node:test';
import nodemailer, { type Transporter } from 'nodemailer';
import type { SMTPConnectionCustomAuthHandler } from 'nodemailer/lib/smtp-connection';
import pg from 'pg';
import { type DeliveredMail, type EximServer, type PostfixServer, type PostgresServer, startExim, startPostfix, startPostgres, waitForMail } from './servers.ts';

// nodemailer-ntlm-auth ships no type declarations; give it the handler type nodemailer expects.
function loadNtlmAuth(): SMTPConnectionCustomAuthHandler {
  const loaded: unknown = createRequire(import.meta.url)('nodemailer-ntlm-auth');
  assert.equal(typeof loaded, 'function');
  return loaded as SMTPConnectionCustomAuthHandler;
}

/**
 * Sends one mail from sender@example.test through `transport` (closed after), under a subject no
 * other test (or earlier run) can have produced, and waits for it in `maildir`: the server's
 * answer and the mail as it was delivered.
 */
async function sendAndReceive<Info extends object>(transport: Transporter<Info>, maildir: string, mail: { label: string; to: string; text: string }): Promise<{ info: Info; delivered: DeliveredMail }> {
  const subject = `${mail.label} ${randomUUID()}`;
  let info: Info;
  try {
    info = await transport.sendMail({ from: 'sender@example.test', to: mail.to, subject, text: mail.text });
  } finally {
    transport.close();
  }
  return { info, delivered: await waitForMail(maildir, (m) => m.headers.get('subject') === subject) };
}

let postfix: PostfixServer;
let exim: EximServer;
let postgres: PostgresServer;

// Started side by side: the file then waits for the slowest start (PostgreSQL), not the sum.
before(async () => {
  const started = await Promise.allSettled([startPostfix(), startExim(), startPostgres()]);
  const [p, e, g] = started;
  if (p.status === 'fulfilled') postfix = p.value;
  if (e.status === 'fulfilled') exim = e.value;
  if (g.status === 'fulfilled') postgres = g.value;
  const failed = started.filter((result) => result.status === 'rejected');
  if (failed.length > 0)
    throw new AggregateError(
      failed.map((result) => result.reason),
      'a test server did not start',
    );
});
after(async () => {
  await Promise.all([postfix?.stop(), exim?.stop(), postgres?.stop()]);
});

describe('Postfix', () => {
  let ca: Buffer;

  before(async () => {
    ca = await readFile(postfix.certPath);
  });

  /** STARTTLS on smtpPort, required, with Postfix's certificate verified. */
  const starttls = () => ({ host: postfix.host, port: postfix.smtpPort, secure: false, requireTLS: true, tls: { ca } });

  test('STARTTLS + AUTH PLAIN on smtpPort, certificate verified, lands in the Maildir', async () => {
    const transport = nodemailer.createTransport({ ...starttls(), authMethod: 'PLAIN', auth: { user: postfix.user, pass: postfix.pass } });
    const { info, delivered: mail } = await sendAndReceive(transport, postfix.maildir, { label: 'starttls', to: 'alice@example.com', text: 'hello\n' });
    assert.match(info.response, /^250 /);
    assert.equal(mail.deliveredTo, 'alice@example.com');
    assert.match(mail.body, /hello/);
  });

  test('implicit TLS + AUTH LOGIN on smtpsPort lands in the Maildir', async () => {
    const transport = nodemailer.createTransport({
      host: postfix.host,
      port: postfix.smtpsPort,
      secure: true,
      tls: { ca },
      authMethod: 'LOGIN',
      auth: { user: postfix.user, pass: postfix.pass },
    });
    const { delivered: mail } = await sendAndReceive(transport, postfix.maildir, { label: 'smtps', to: 'bob@example.org', text: 'hi\n' });
    assert.equal(mail.deliveredTo, 'bob@example.org');
  });

  test('refuses mail without AUTH', async () => {
    const transport = nodemailer.createTransport(starttls());
    try {
      await assert.rejects(transport.sendMail({ from: 'sender@example.test', to: 'eve@example.com', subject: 'no auth', text: 'x' }), (error: unknown) => error instanceof Error && /554 5\.7\.1/.test(error.message));
    } finally {
      transport.close();
    }
  });

  test('the sendmail wrapper delivers into the same Maildir', async () => {
    const transport = nodemailer.createTransport({ sendmail: true, path: postfix.sendmailPath, newline: 'unix' });
    const { delivered: mail } = await sendAndReceive(transport, postfix.maildir, { label: 'sendmail', to: 'carol@example.net', text: 'via sendmail\n' });
    assert.equal(mail.deliveredTo, 'carol@example.net');
  });
});

describe('exim', () => {
  test('AUTH NTLM (nodemailer-ntlm-auth) is accepted and recorded in X-Exim-Auth', async () => {
    const transport = nodemailer.createTransport({
      host: exim.host,
      port: exim.port,
      secure: false,
      ignoreTLS: true,
      auth: {
        type: 'custom',
        method: 'NTLM',
        user: exim.user,
        pass: exim.pass,
        // exim's spa server ignores both; they only prove a client may send them
        options: { domain: 'EXAMPLE', workstation: 'TEST' },
      },
      customAuth: { NTLM: loadNtlmAuth() },
    });
    const { delivered: mail } = await sendAndReceive(transport, exim.maildir, { label: 'ntlm', to: 'dave@example.com', text: 'ntlm\n' });
    assert.equal(mail.deliveredTo, 'dave@example.com');
    assert.equal(mail.headers.get('x-exim-auth'), `ntlm ${exim.user} tls=none`);
  });

  test('AUTH CRAM-MD5 after STARTTLS is accepted and recorded in X-Exim-Auth', async () => {
    const transport = nodemailer.createTransport({
      host: exim.host,
      port: exim.port,
      secure: false,
      requireTLS: true,
      tls: { ca: await readFile(exim.certPath) },
      authMethod: 'CRAM-MD5',
      auth: { user: exim.user, pass: exim.pass },
    });
    const { delivered: mail } = await sendAndReceive(transport, exim.maildir, { label: 'cram-md5', to: 'erin@example.com', text: 'cram\n' });
    assert.equal(mail.deliveredTo, 'erin@example.com');
    assert.match(mail.headers.get('x-exim-auth') ?? '', new RegExp(`^cram_md5 ${exim.user} tls=TLS`));
  });
});

describe('PostgreSQL', () => {
  test('createDatabase() gives a fresh database that pg can query', async () => {
    const url = await postgres.createDatabase();
    assert.notEqual(url, postgres.url);
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      const result = await client.query<{ one: number; db: string }>('SELECT 1 AS one, current_database() AS db');
      assert.deepEqual(result.rows, [{ one: 1, db: new URL(url).pathname.slice(1) }]);
    } finally {
      await client.end();
    }
  });
});
