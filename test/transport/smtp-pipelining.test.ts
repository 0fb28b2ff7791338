/**
 * Several messages in flight on one connection (RFC 2920): the next message's MAIL, RCPT and
 * DATA go out in the same write as the previous body, and every message still gets its own fate.
 * Against a real Postfix, and against a scripted server that refuses a recipient in the middle of
 * a pipelined run, answers 451 after one body, or drops the connection with three messages in
 * flight. The rule under test: a message whose body was sent and whose reply was lost is reported
 * as unknown (retryable) and never sent again by the transport; the ones behind it, which the
 * server cannot have taken, may be.
 */
import assert from 'node:assert/strict';
import { createServer, type Server, type Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import type { Settings } from '../../src/config/settings-schema.ts';
import { createTransportFactory } from '../../src/transport/create-transport.ts';
import { createHostHealth } from '../../src/transport/host-health.ts';
import { isTransportError, type OutgoingMail, type SendResult, type Transport } from '../../src/transport/transport.ts';
import { postfixSettings, settingsWith, systemClock, testMessage } from '../support/mail-fixtures.ts';
import { readMaildir, startPostfix, waitForMail, type PostfixServer } from '../support/servers.ts';

function transportFor(settings: Settings): Promise<Transport> {
  return createTransportFactory({ hostHealth: createHostHealth({ clock: systemClock }), captureStore: { save: async () => 0 }, clock: systemClock }).create(settings);
}

async function mail(subject: string, to = 'someone@example.com'): Promise<OutgoingMail> {
  return testMessage(to, subject);
}

/** What a scripted server does after a message's body; `drop` closes without a reply. */
type BodyVerdict = 'ok' | 'drop' | string;

interface ScriptedServer {
  port: number;
  /** Subjects of the bodies answered 250, in order, over every connection. */
  accepted: string[];
  /** Subjects of every body that arrived completely, answered or not. */
  received: string[];
  /** How often the end of a body and the next MAIL FROM arrived in one read. */
  coalesced: number;
  connections: number;
  /** Closes every open connection from the server's side, as an idle time-out does. */
  dropAll(): Promise<void>;
  close(): void;
}

/**
 * A small SMTP server that offers PIPELINING and answers as scripted: `rcpt` may refuse an
 * address, `afterBody` decides about each body (by subject, on the first connection only).
 */
async function startScripted(script: { rcpt?: (address: string) => string | undefined; afterBody?: (subject: string, connection: number) => BodyVerdict }): Promise<ScriptedServer> {
  const state = { accepted: [] as string[], received: [] as string[], coalesced: 0, connections: 0 };
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    const connection = ++state.connections;
    let buffer = '';
    let inData = false;
    let recipients = 0;
    socket.write('220 scripted ESMTP\r\n');
    socket.on('data', (chunk: Buffer) => {
      buffer += chunk.toString('latin1');
      for (;;) {
        if (inData) {
          const end = buffer.indexOf('\r\n.\r\n');
          if (end < 0) return;
          const body = buffer.slice(0, end);
          buffer = buffer.slice(end + 5);
          inData = false;
          if (buffer.startsWith('MAIL FROM:')) state.coalesced++;
          const subject = /^Subject: (.*)$/m.exec(body)?.[1] ?? '';
          state.received.push(subject);
          const verdict = script.afterBody?.(subject, connection) ?? 'ok';
          if (verdict === 'drop') {
            socket.destroy();
            return;
          }
          if (verdict === 'ok') {
            state.accepted.push(subject);
            socket.write(`250 2.0.0 Ok: queued as ${state.accepted.length}\r\n`);
          } else {
            socket.write(`${verdict}\r\n`);
          }
          continue;
        }
        const newline = buffer.indexOf('\r\n');
        if (newline < 0) return;
        const line = buffer.slice(0, newline);
        buffer = buffer.slice(newline + 2);
        const verb = line.slice(0, 4).toUpperCase();
        if (verb === 'EHLO') socket.write('250-scripted\r\n250-PIPELINING\r\n250 8BITMIME\r\n');
        else if (verb === 'MAIL') {
          recipients = 0;
          socket.write('250 2.1.0 Ok\r\n');
        } else if (verb === 'RCPT') {
          const refusal = script.rcpt?.(/<(.*)>/.exec(line)?.[1] ?? '');
          if (refusal) socket.write(`${refusal}\r\n`);
          else {
            recipients++;
            socket.write('250 2.1.5 Ok\r\n');
          }
        } else if (verb === 'DATA') {
          if (recipients === 0) socket.write('554 5.5.1 Error: no valid recipients\r\n');
          else {
            inData = true;
            socket.write('354 End data with <CR><LF>.<CR><LF>\r\n');
          }
        } else if (verb === 'RSET') socket.write('250 2.0.0 Ok\r\n');
        else if (verb === 'QUIT') {
          socket.end('221 2.0.0 Bye\r\n');
          return;
        } else socket.write('502 5.5.2 Error: command not recognized\r\n');
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    port,
    get accepted() {
      return state.accepted;
    },
    get received() {
      return state.received;
    },
    get coalesced() {
      return state.coalesced;
    },
    get connections() {
      return state.connections;
    },
    async dropAll() {
      const closed = [...sockets].map((s) => new Promise((resolve) => s.once('close', resolve)));
      for (const s of sockets) s.end('421 4.4.2 scripted Error: timeout exceeded\r\n');
      await Promise.all(closed);
    },
    close() {
      for (const s of sockets) s.destroy();
      server.close();
    },
  };
}

function scriptedSettings(port: number): Settings {
  return settingsWith({ mail_smtpmode: 'smtp', mail_smtphost: `127.0.0.1:${port}`, mail_smtpsecure: '', mail_smtpauth: false, mail_smtp_connections: 1, mail_smtptimeout: 5 });
}

/**
 * Sends m0 alone (the connection is then open and known to pipeline), then m1…m(n-1) all at
 * once on the same connection, and returns every send's outcome by subject.
 */
async function sendRun(transport: Transport, prefix: string, n: number, to: (i: number) => string = () => 'someone@example.com'): Promise<Map<string, PromiseSettledResult<SendResult>>> {
  const subjects = Array.from({ length: n }, (_, i) => `${prefix} m${i}`);
  const outcomes = new Map<string, PromiseSettledResult<SendResult>>();
  const first = await Promise.allSettled([transport.send(await mail(subjects[0] as string, to(0)))]);
  outcomes.set(subjects[0] as string, first[0] as PromiseSettledResult<SendResult>);
  const mails = await Promise.all(subjects.slice(1).map((s, i) => mail(s, to(i + 1))));
  const rest = await Promise.allSettled(mails.map((m) => transport.send(m)));
  rest.forEach((r, i) => outcomes.set(subjects[i + 1] as string, r));
  return outcomes;
}

function failureOf(outcome: PromiseSettledResult<SendResult> | undefined) {
  assert.equal(outcome?.status, 'rejected', 'the send should have failed');
  const error = (outcome as PromiseRejectedResult).reason as unknown;
  assert.ok(isTransportError(error), `a TransportError, got ${String(error)}`);
  return error;
}

function sentOk(outcomes: Map<string, PromiseSettledResult<SendResult>>, subjects: string[]): void {
  for (const s of subjects) {
    const o = outcomes.get(s);
    assert.equal(o?.status, 'fulfilled', `${s} should be sent: ${o?.status === 'rejected' ? String((o as PromiseRejectedResult).reason) : ''}`);
  }
}

const count = (list: string[], subject: string) => list.filter((s) => s === subject).length;

describe('pipelined sending against scripted servers', () => {
  const servers: ScriptedServer[] = [];
  after(() => {
    for (const s of servers) s.close();
  });

  it('sends the next envelope with the previous body: one connection, every message delivered once', async () => {
    const server = await startScripted({});
    servers.push(server);
    const transport = await transportFor(scriptedSettings(server.port));
    try {
      const outcomes = await sendRun(transport, 'plain', 6);
      sentOk(outcomes, [...outcomes.keys()]);
      assert.equal(server.connections, 1);
      assert.deepEqual([...server.accepted].sort(), [...outcomes.keys()].sort());
      // m1…m5 went out together; each body after the first carried the next envelope.
      assert.ok(server.coalesced >= 3, `bodies followed by the next MAIL FROM in the same read: ${server.coalesced}`);
    } finally {
      await transport.close();
    }
  });

  it('a recipient refused in the middle of a pipelined run fails that message alone, permanently', async () => {
    const server = await startScripted({ rcpt: (address) => (address === 'refused@example.com' ? '550 5.1.1 <refused@example.com>: Recipient address rejected' : undefined) });
    servers.push(server);
    const transport = await transportFor(scriptedSettings(server.port));
    try {
      const outcomes = await sendRun(transport, 'rcpt', 6, (i) => (i === 3 ? 'refused@example.com' : 'someone@example.com'));
      const failure = failureOf(outcomes.get('rcpt m3'));
      assert.equal(failure.code, 'smtp_recipient_rejected');
      assert.equal(failure.failure.permanent, true);
      assert.match(failure.failure.reply ?? '', /^550 /);
      sentOk(outcomes, ['rcpt m0', 'rcpt m1', 'rcpt m2', 'rcpt m4', 'rcpt m5']);
      assert.deepEqual([...server.accepted].sort(), ['rcpt m0', 'rcpt m1', 'rcpt m2', 'rcpt m4', 'rcpt m5']);
      assert.equal(server.connections, 1, 'the connection went on after the refusal');
    } finally {
      await transport.close();
    }
  });

  it('a 451 after one body defers that message alone; the envelope sent behind it goes on', async () => {
    const server = await startScripted({ afterBody: (subject) => (subject === 'tempfail m2' ? '451 4.3.0 Error: queue file write error' : 'ok') });
    servers.push(server);
    const transport = await transportFor(scriptedSettings(server.port));
    try {
      const outcomes = await sendRun(transport, 'tempfail', 6);
      const failure = failureOf(outcomes.get('tempfail m2'));
      assert.equal(failure.failure.permanent, false);
      assert.equal(failure.failure.command, 'DATA');
      assert.match(failure.failure.reply ?? '', /^451 /);
      sentOk(outcomes, ['tempfail m0', 'tempfail m1', 'tempfail m3', 'tempfail m4', 'tempfail m5']);
      assert.deepEqual([...server.accepted].sort(), ['tempfail m0', 'tempfail m1', 'tempfail m3', 'tempfail m4', 'tempfail m5']);
      assert.equal(server.connections, 1);
    } finally {
      await transport.close();
    }
  });

  it('a connection dropped with three messages in flight: the one whose reply was lost is unknown and not sent again, the two behind it go on a new connection', async () => {
    // m1's body is answered; at m2's body the server drops the connection: m2's reply is lost
    // (it may have been taken), m3's envelope went out with m2's body and m4 was waiting.
    const server = await startScripted({ afterBody: (subject, connection) => (subject === 'drop m2' && connection === 1 ? 'drop' : 'ok') });
    servers.push(server);
    const transport = await transportFor({ ...scriptedSettings(server.port), mail_smtp_connections: 1 });
    try {
      const outcomes = await sendRun(transport, 'drop', 5);
      const lost = failureOf(outcomes.get('drop m2'));
      assert.equal(lost.code, 'smtp_connection_lost');
      assert.equal(lost.failure.kind, 'connection');
      assert.equal(lost.failure.permanent, false, 'retryable: the worker decides');
      assert.equal(lost.failure.command, 'DATA', 'after DATA: the mail may have been taken');
      assert.equal(count(server.received, 'drop m2'), 1, 'm2 was not sent again by the transport');
      sentOk(outcomes, ['drop m0', 'drop m1', 'drop m3', 'drop m4']);
      for (const s of ['drop m0', 'drop m1', 'drop m3', 'drop m4']) assert.equal(count(server.accepted, s), 1, `${s} delivered once`);
      assert.equal(server.connections, 2);
    } finally {
      await transport.close();
    }
  });
});

describe('pooled connections closed by the server while idle', () => {
  it('are left for new ones, even when every connection of the pool was closed', { timeout: 20_000 }, async () => {
    const server = await startScripted({});
    const transport = await transportFor({ ...scriptedSettings(server.port), mail_smtp_connections: 1 });
    try {
      sentOk(await sendRun(transport, 'before', 3), ['before m0', 'before m1', 'before m2']);
      await server.dropAll();
      // The client has seen the close; nothing is in flight.
      await new Promise((r) => setTimeout(r, 100));
      const after = await sendRun(transport, 'after', 3);
      sentOk(after, ['after m0', 'after m1', 'after m2']);
      assert.equal(server.connections, 2);
    } finally {
      await transport.close();
      server.close();
    }
  });
});

describe('pipelined sending against a real Postfix', () => {
  let postfix: PostfixServer;
  before(async () => {
    postfix = await startPostfix();
  });
  after(async () => {
    await postfix?.stop();
  });

  it('40 messages on 2 connections with STARTTLS and AUTH, one recipient refused in the middle: 39 delivered once each, one failed', async () => {
    const transport = await transportFor(settingsWith({ ...postfixSettings(postfix), mail_smtp_connections: 2, mail_smtptimeout: 10 }));
    try {
      const tag = Math.random().toString(36).slice(2, 8);
      // Postfix refuses an address literal that is no IP address with 501 at RCPT.
      const outcomes = await sendRun(transport, `pf ${tag}`, 40, (i) => (i === 17 ? 'nobody@[999.1.1.1]' : `r${i}@example.com`));
      const failure = failureOf(outcomes.get(`pf ${tag} m17`));
      assert.equal(failure.code, 'smtp_recipient_rejected');
      assert.equal(failure.failure.permanent, true);
      assert.match(failure.failure.reply ?? '', /^501 /);
      const sent = [...outcomes.keys()].filter((s) => s !== `pf ${tag} m17`);
      sentOk(outcomes, sent);
      await waitForMail(postfix.maildir, (m) => m.headers.get('subject') === `pf ${tag} m39`);
      const deadline = Date.now() + 10_000;
      let delivered: string[] = [];
      while (Date.now() < deadline) {
        delivered = (await readMaildir(postfix.maildir)).map((m) => m.headers.get('subject') ?? '').filter((s) => s.startsWith(`pf ${tag} `));
        if (delivered.length >= sent.length) break;
        await new Promise((r) => setTimeout(r, 100));
      }
      assert.deepEqual([...delivered].sort(), [...sent].sort(), 'every accepted message in the Maildir exactly once');
    } finally {
      await transport.close();
    }
  });
});
