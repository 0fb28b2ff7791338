/**
 * The limits of a reply (transport/smtp-wire.ts) hold for everything that reads SMTP: the
 * session that sends and the probe behind mail:detect refuse the same oversized EHLO reply, and
 * both read one just within the limits. Against a scripted server: no real one sends such replies.
 */
import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, describe, it } from 'node:test';
import { SmtpSession } from '../../src/transport/smtp-session.ts';
import { probeSmtpPort } from '../../src/transport/smtp-probe.ts';
import { MAX_LINE_LENGTH, MAX_REPLY_LINES } from '../../src/transport/smtp-wire.ts';

const HOST = '127.0.0.1';

/** A server that greets, answers EHLO with `ehlo`, and QUIT with 221. */
async function scriptedServer(ehlo: string): Promise<{ port: number; close(): Promise<void> }> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => undefined);
    socket.write('220 scripted ESMTP\r\n');
    let buffer = '';
    socket.on('data', (chunk: Buffer) => {
      buffer += chunk.toString('latin1');
      let newline: number;
      while ((newline = buffer.indexOf('\n')) >= 0) {
        const verb = buffer.slice(0, newline).trim().split(' ')[0]?.toUpperCase();
        buffer = buffer.slice(newline + 1);
        if (verb === 'EHLO') socket.write(ehlo);
        else if (verb === 'QUIT') socket.end('221 bye\r\n');
        else socket.write('502 not here\r\n');
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, HOST, resolve));
  const port = (server.address() as net.AddressInfo).port;
  return {
    port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/** An EHLO reply of `count` lines: the greeting line, AUTH, then filler keywords. */
function ehloReply(count: number, fillerLength = 8): string {
  const lines = ['scripted', 'AUTH PLAIN LOGIN', ...Array.from({ length: count - 2 }, (_, i) => `X${String(i).padStart(fillerLength - 1, '0')}`)];
  return lines.map((line, i) => `250${i === lines.length - 1 ? ' ' : '-'}${line}\r\n`).join('');
}

const sessionOptions = (port: number) => ({ host: HOST, port, secure: '' as const, timeoutMs: 2000, ca: undefined, rejectUnauthorized: true, clientName: 'client.example.test' });

describe('the limits of an SMTP reply, for the session and the probe alike', () => {
  const servers: Array<{ port: number; close(): Promise<void> }> = [];
  let withinLimits: number;
  let tooManyLines: number;
  let lineTooLong: number;

  before(async () => {
    for (const reply of [ehloReply(MAX_REPLY_LINES), ehloReply(MAX_REPLY_LINES + 1), ehloReply(3, MAX_LINE_LENGTH + 1)]) servers.push(await scriptedServer(reply));
    [withinLimits, tooManyLines, lineTooLong] = servers.map((s) => s.port) as [number, number, number];
  });

  after(async () => {
    await Promise.all(servers.map((s) => s.close()));
  });

  it('reads a reply of as many lines as allowed', async () => {
    const session = await SmtpSession.open(sessionOptions(withinLimits));
    assert.equal(session.usable, true);
    await session.quit();
    const probe = await probeSmtpPort({ host: HOST, port: withinLimits, timeoutMs: 2000 });
    assert.equal(probe.error, undefined);
    assert.deepEqual(probe.authMethods, ['PLAIN', 'LOGIN']);
    assert.equal(probe.extensions.length, MAX_REPLY_LINES - 1);
  });

  it('refuses a reply of one line more', async () => {
    await assert.rejects(SmtpSession.open(sessionOptions(tooManyLines)), (error: Error & { code?: string }) => {
      assert.equal(error.code, 'EPROTOCOL');
      assert.match(error.message, /Reply too long/);
      return true;
    });
    const probe = await probeSmtpPort({ host: HOST, port: tooManyLines, timeoutMs: 2000 });
    assert.equal(probe.error?.code, 'not_smtp');
    assert.match(probe.error?.message ?? '', new RegExp(`more than ${MAX_REPLY_LINES} lines`));
  });

  it('refuses a line longer than allowed', async () => {
    await assert.rejects(SmtpSession.open(sessionOptions(lineTooLong)), (error: Error & { code?: string }) => {
      assert.equal(error.code, 'EPROTOCOL');
      assert.match(error.message, /Reply too long/);
      return true;
    });
    const probe = await probeSmtpPort({ host: HOST, port: lineTooLong, timeoutMs: 2000 });
    assert.equal(probe.error?.code, 'not_smtp');
    assert.match(probe.error?.message ?? '', new RegExp(`longer than ${MAX_LINE_LENGTH} bytes`));
  });
});
