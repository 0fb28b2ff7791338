/**
 * `mailroom bounce:receive` as a mail server's pipe runs it: the message on standard input, the
 * exit code as the whole answer (0 handled or ignored, 75 to be delivered again later), one log
 * line per message; and bounce:list, bounce:clear and outbox:show around it.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, realpath, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createVerpAddresses } from '../../src/bounces/verp-address.ts';
import { freePort } from '../support/servers.ts';
import { mailroomOk, runMailroom } from '../support/run-mailroom.ts';

describe('mailroom bounce:receive, bounce:list, bounce:clear', () => {
  let cwd: string;
  const key = Buffer.alloc(32, 9);
  const verp = createVerpAddresses(key);
  const env = () => ({ MAILROOM_DATA_DIR: join(cwd, 'data'), MAILROOM_CONFIG: join(cwd, 'none.json'), MAILROOM_SECRET_KEY: key.toString('base64'), MAILROOM_LOG_FORMAT: 'json', MAILROOM_LOG_LEVEL: 'info', MAILROOM_MAIL_DOMAIN: 'cloud.example.com' });
  const bounceFor = async (mailId: number, file = 'postfix-user-unknown.eml') => (await readFile(new URL(`../fixtures/bounces/${file}`, import.meta.url), 'utf8')).replaceAll('%VERP%', verp.address(mailId, 'cloud.example.com'));
  const logLines = (stderr: string) =>
    stderr
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as Record<string, unknown>);

  before(async () => {
    cwd = await realpath(await mkdtemp(join(tmpdir(), 'mailroom-bounce-cli-')));
  });
  after(async () => {
    await rm(cwd, { recursive: true, force: true });
  });

  it('records a bounce read from stdin, exits 0 with one log line, and outbox:show and bounce:list show it', async () => {
    const queued = await mailroomOk(['mail:send', '--to', 'lin@example.org', '--subject', 'Plan', '--text', 'Hello'], { cwd, env: env() });
    const id = Number(queued.stdout.trim());
    const result = await runMailroom(['bounce:receive'], { cwd, env: env(), input: await bounceFor(id) });
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout, '');
    const lines = logLines(result.stderr).filter((l) => String(l['event']).startsWith('bounce_'));
    assert.equal(lines.length, 1, result.stderr);
    assert.equal(lines[0]?.['event'], 'bounce_recorded');
    assert.equal(lines[0]?.['mailId'], id);
    assert.match(String(lines[0]?.['msg']), new RegExp(`^mail #${id}: hard bounce \\(5\\.1\\.1\\), the address's bounce score is 2$`));

    const shown = await mailroomOk(['outbox:show', String(id)], { cwd, env: env() });
    assert.match(shown.stdout, /\n {2}bounced \(hard\) at \S+ for lin@example\.org: 5\.1\.1 from mx\.example\.org: 550 5\.1\.1 <lin@example\.org>: Recipient address rejected: User unknown in local recipient table\n$/);
    const listed = await mailroomOk(['bounce:list'], { cwd, env: env() });
    assert.match(listed.stdout, new RegExp(`^lin@example\\.org {2}score 2, last hard bounce \\S+ 5\\.1\\.1 \\(mail #${id}\\): 550 5\\.1\\.1`));
    const json = JSON.parse((await mailroomOk(['bounce:list', '--json'], { cwd, env: env() })).stdout) as { threshold: number; addresses: Array<{ address: string; score: number; suppressed: boolean }> };
    assert.equal(json.threshold, 4);
    assert.deepEqual(
      json.addresses.map((a) => [a.address, a.score, a.suppressed]),
      [['lin@example.org', 2, false]],
    );
  });

  it('ignores a message that is not a bounce with exit 0 and a log line that says why', async () => {
    const result = await runMailroom(['bounce:receive'], { cwd, env: env(), input: await bounceFor(1, 'not-a-bounce.eml') });
    assert.equal(result.code, 0, result.stderr);
    const lines = logLines(result.stderr).filter((l) => String(l['event']).startsWith('bounce_'));
    assert.deepEqual(
      lines.map((l) => [l['event'], l['reason']]),
      [['bounce_ignored', 'not_a_bounce']],
    );
  });

  it('ignores an empty message with exit 0', async () => {
    const result = await runMailroom(['bounce:receive'], { cwd, env: env(), input: '' });
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stderr, /"event":"bounce_ignored","reason":"not_a_bounce"/);
  });

  it('reads a message over 4 MiB from its first 4 MiB (the report comes first), says so, and still records it', async () => {
    const queued = await mailroomOk(['mail:send', '--to', 'lin@example.org', '--subject', 'Large', '--text', 'Hello'], { cwd, env: env() });
    const id = Number(queued.stdout.trim());
    const huge = (await bounceFor(id)).replace('Message-ID: <fixture.1@cloud.example.com>', `Message-ID: <fixture.1@cloud.example.com>\nX-Padding: ${'x'.repeat(5 * 1024 * 1024)}`);
    const result = await runMailroom(['bounce:receive'], { cwd, env: env(), input: huge });
    assert.equal(result.code, 0, result.stderr.slice(0, 2000));
    const events = logLines(result.stderr).map((l) => l['event']);
    assert.deepEqual(
      events.filter((e) => String(e).startsWith('bounce_')),
      ['bounce_truncated', 'bounce_recorded'],
    );
  });

  it('exits 75 (EX_TEMPFAIL) when the database cannot be reached, so that the mail server tries again', async () => {
    const port = await freePort();
    const result = await runMailroom(['bounce:receive'], { cwd, env: { ...env(), MAILROOM_DATABASE_URL: `postgres://mailroom@127.0.0.1:${port}/mailroom` }, input: await bounceFor(1) });
    assert.equal(result.code, 75, result.stderr);
    assert.match(result.stderr, /^mailroom: the bounce was not recorded and should be delivered again later: Cannot open the database .*\(database_unavailable\)\n$/m);
  });

  it('bounce:clear forgets the score; a second clear says there was none; an invalid address is refused', async () => {
    assert.equal((await mailroomOk(['bounce:clear', 'LIN@example.org'], { cwd, env: env() })).stdout, 'lin@example.org: bounce score cleared\n');
    assert.equal((await mailroomOk(['bounce:clear', 'lin@example.org'], { cwd, env: env() })).stdout, 'lin@example.org had no bounce score\n');
    assert.equal((await mailroomOk(['bounce:list'], { cwd, env: env() })).stdout, 'No address has a bounce score.\n');
    const bad = await runMailroom(['bounce:clear', 'not-an-address'], { cwd, env: env() });
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /^mailroom: "not-an-address" is not a valid email address: /);
  });
});
