/**
 * The manual's Exim router and pipe transport for the bounce domain, as written there, in the
 * suite's private exim: only the paths, the environment (a PostgreSQL database the pipe's user can
 * reach) and the user (this exim delivers as Debian-exim) are replaced. A DSN sent over SMTP to a
 * mail's VERP address is piped to `mailroom bounce:receive` and recorded on that mail.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { AppContext } from '../../src/context.ts';
import { createVerpAddresses } from '../../src/bounces/verp-address.ts';
import { startTestMailroom, type TestMailroom } from '../support/test-mailroom.ts';
import { mailroomBin } from '../support/run-mailroom.ts';
import { startExim, startPostgres, type EximServer, type PostgresServer } from '../support/servers.ts';
import { closeAll } from '../support/close-all.ts';

const BOUNCE_DOMAIN = 'bounces.cloud.example.com';
const manual = new URL('../../docs/admin/email.md', import.meta.url);
const fixtures = new URL('../fixtures/bounces/', import.meta.url);

/** The manual's Exim block, split into its router and its transport. */
async function manualEximConfig(): Promise<{ routers: string; transports: string }> {
  const text = await readFile(manual, 'utf8');
  const block = /\*\*Exim\*\*[^\n]*\n\n```text\n([\s\S]*?)```/.exec(text)?.[1];
  assert.ok(block, 'the manual has an **Exim** block');
  const [routers = '', transports = ''] = block.split('# transports\n');
  assert.ok(routers.startsWith('# routers\n') && transports !== '', 'the block has "# routers" and "# transports"');
  return { routers: routers.replace('# routers\n', ''), transports };
}

/** Replaces `from` (which must be there) in the manual's text: a changed manual fails here, not silently. */
function replaceIn(text: string, from: string | RegExp, to: string): string {
  assert.match(text, typeof from === 'string' ? new RegExp(from.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')) : from);
  return text.replace(from, to);
}

/** One message over plain SMTP, as a receiving server's bounce would arrive: MAIL FROM:<>. */
async function sendOverSmtp(port: number, to: string, raw: string): Promise<string[]> {
  const socket = connect({ host: '127.0.0.1', port });
  socket.setEncoding('latin1');
  let buffer = '';
  const replies: string[] = [];
  const waiters: Array<(line: string) => void> = [];
  socket.on('data', (chunk: string) => {
    buffer += chunk;
    for (let at = buffer.indexOf('\r\n'); at !== -1; at = buffer.indexOf('\r\n')) {
      const line = buffer.slice(0, at);
      buffer = buffer.slice(at + 2);
      // The last line of a reply has a space after its code.
      if (/^\d{3} /.test(line)) waiters.shift()?.(line);
    }
  });
  const reply = () => new Promise<string>((resolve) => waiters.push(resolve));
  const say = async (line: string) => {
    socket.write(`${line}\r\n`);
    const answer = await reply();
    replies.push(answer);
    return answer;
  };
  await reply();
  await say('EHLO mx.example.org');
  await say('MAIL FROM:<>');
  await say(`RCPT TO:<${to}>`);
  await say('DATA');
  await say(`${raw.replace(/\r?\n/g, '\r\n').replace(/^\./gm, '..')}\r\n.`);
  await say('QUIT');
  socket.end();
  return replies;
}

describe("the manual's Exim router and pipe transport, in a real exim", () => {
  const key = randomBytes(32);
  const verp = createVerpAddresses(key);
  let postgres: PostgresServer;
  let exim: EximServer;
  let mailroom: TestMailroom;
  let ctx: AppContext;

  before(async () => {
    postgres = await startPostgres();
    const databaseUrl = await postgres.createDatabase();
    const { routers, transports } = await manualEximConfig();
    let transport = replaceIn(transports, '/usr/bin/node /opt/mailroom/bin/mailroom.mjs', `${process.execPath} ${mailroomBin}`);
    // Exim's lists are colon-separated, and a database URL holds colons: "<;" makes ";" the separator.
    transport = replaceIn(transport, 'environment = MAILROOM_DATA_DIR=/var/lib/mailroom/data', `environment = <; MAILROOM_DATABASE_URL=${databaseUrl}; MAILROOM_SECRET_KEY=${key.toString('base64')}; MAILROOM_DATA_DIR=/nonexistent/mailroom; MAILROOM_CONFIG=/nonexistent/mailroom.json; MAILROOM_LOG_FORMAT=json`);
    transport = replaceIn(transport, /user = mailroom\n/, 'user = Debian-exim\n');
    exim = await startExim({ routers, transports: transport, openDomains: [BOUNCE_DOMAIN] });
    mailroom = await startTestMailroom({
      prefix: 'mailroom-bounce-exim-',
      env: { MAILROOM_DATABASE_URL: databaseUrl, MAILROOM_SECRET_KEY: key.toString('base64') },
      settings: { mail_domain: 'cloud.example.com', mail_bounce_domain: BOUNCE_DOMAIN },
    });
    ctx = mailroom.ctx;
  });
  after(() => closeAll(mailroom, exim, postgres));

  it('pipes a DSN sent to a VERP address to bounce:receive, which records it on its mail', async () => {
    const [queued] = await ctx.outbox.send([{ to: 'lin@example.org', subject: 'Ana shared "Plan.pdf" with you', text: 'Ana shared Plan.pdf with you.' }]);
    const id = queued?.id as number;
    const address = verp.address(id, BOUNCE_DOMAIN);
    const raw = (await readFile(new URL('postfix-user-unknown.eml', fixtures), 'latin1')).replaceAll('%VERP%', address);
    const replies = await sendOverSmtp(exim.port, address, raw);
    assert.match(replies[2] ?? '', /^250/, `RCPT: ${replies.join(' | ')}`);
    assert.match(replies[4] ?? '', /^250/, `end of DATA: ${replies.join(' | ')}`);

    const deadline = Date.now() + 30_000;
    let bounces = await ctx.bounces.forMail(id);
    while (bounces.length === 0) {
      if (Date.now() > deadline) throw new Error(`no bounce recorded for mail #${id} in 30 s; exim's log:\n${await readFile(join(exim.dir, 'log', 'mainlog'), 'utf8').catch(() => '')}`);
      await new Promise((r) => setTimeout(r, 200));
      bounces = await ctx.bounces.forMail(id);
    }
    assert.deepEqual(
      bounces.map((b) => [b.address, b.kind, b.status]),
      [['lin@example.org', 'hard', '5.1.1']],
    );
    // exim writes its log line once the pipe has returned, which can be just after Mailroom recorded the bounce.
    const logged = (log: string) => log.includes(`<${address}> R=mailroom_bounces T=mailroom_bounces_pipe`) && /Completed/.test(log);
    const logDeadline = Date.now() + 15_000;
    let log = await readFile(join(exim.dir, 'log', 'mainlog'), 'utf8');
    while (!logged(log) && Date.now() < logDeadline) {
      await new Promise((r) => setTimeout(r, 100));
      log = await readFile(join(exim.dir, 'log', 'mainlog'), 'utf8');
    }
    assert.ok(log.includes(`<${address}> R=mailroom_bounces T=mailroom_bounces_pipe`), log);
    assert.match(log, /Completed/);
  });
});
