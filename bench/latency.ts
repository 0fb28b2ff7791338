// bench latency: how long the host cloud waits for an answer, as a new admin would try it:
// `mailroom serve --no-worker` in capture mode with USERS users. Compares one share.created to
// all USERS users (USERS share mails owed) with USERS file.changed events to one user each (no
// mail), each posted in one request; the median of RUNS. With `--worker` (WORKER=1) the server
// also renders and sends, as `serve` does by default, and the time until every share mail is
// captured is reported too. Goal: the share answers within twice the file events.
// Run: npm run --silent build && node --import tsx bench/latency.ts
// env: USERS (1000) RUNS (5) WORKER (0)
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildContext } from '../src/main.ts';
import { freePort, waitForPort } from './ports.ts';

const USERS = Number(process.env.USERS ?? 1000);
const RUNS = Number(process.env.RUNS ?? 5);
const WORKER = process.env.WORKER === '1';
const root = new URL('..', import.meta.url).pathname;

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;

const dir = await mkdtemp(join(tmpdir(), 'mailroom-bench-latency-'));
const env = { PATH: process.env.PATH ?? '', MAILROOM_DATA_DIR: dir, MAILROOM_CONFIG: join(dir, 'none.json'), MAILROOM_MAIL_SMTPMODE: 'capture', MAILROOM_ADMIN_PASSWORD: 'bench-admin-password-1', MAILROOM_LOG_LEVEL: 'warn' };
const setup = await buildContext({ env, logLevel: 'silent', bootstrapAdmin: true });
const uids = Array.from({ length: USERS }, (_, i) => `user${i + 1}`);
for (const uid of uids) await setup.users.add({ uid, email: `${uid}@users.example.org`, display_name: `User ${uid}`, invite: false });
const token = await setup.tokens.create('bench', { scope: 'service' });
await setup.close();

const port = await freePort();
const server = spawn(process.execPath, [join(root, 'bin/mailroom.mjs'), 'serve', ...(WORKER ? [] : ['--no-worker'])], { env: { ...env, MAILROOM_PORT: String(port) }, stdio: ['ignore', 'ignore', 'inherit'] });
try {
  await waitForPort(port);
  const post = async (events: unknown[]): Promise<{ ms: number; mails: number }> => {
    const started = performance.now();
    const res = await fetch(`http://127.0.0.1:${port}/api/v1/events`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify({ events }) });
    const body = (await res.json()) as { mails: number };
    if (res.status !== 202) throw new Error(`answer ${res.status}: ${JSON.stringify(body)}`);
    return { ms: performance.now() - started, mails: body.mails };
  };
  const object = { type: 'file', id: '1', name: 'Report.odt' };
  // One warm-up of each, not counted: the first request loads the routes and the database pages.
  await post([{ id: 'warm-file', type: 'file.changed', actor: 'user1', affected: ['user2'], object }]);
  await post([{ id: 'warm-share', type: 'share.created', actor: 'user1', affected: ['user2'], object }]);
  const files: number[] = [];
  const shares: number[] = [];
  for (let run = 0; run < RUNS; run++) {
    files.push((await post(uids.map((uid, i) => ({ id: `f${run}-${i}`, type: 'file.changed', actor: uid, affected: [uids[(i + 1) % USERS] as string], object })))).ms);
    const share = await post([{ id: `s${run}`, type: 'share.created', actor: 'user1', affected: uids.slice(1), object }]);
    if (share.mails !== USERS - 1) throw new Error(`the share owed ${share.mails} mails, not ${USERS - 1}`);
    shares.push(share.ms);
  }
  const f = median(files);
  const s = median(shares);
  console.log(`serve${WORKER ? '' : ' --no-worker'}, capture mode, ${USERS} users, median of ${RUNS}`);
  console.log(`  ${USERS} file.changed events to 1 user each (one request): ${f.toFixed(0)} ms`);
  console.log(`  one share.created to ${USERS - 1} users (${USERS - 1} mails owed):   ${s.toFixed(0)} ms  (${(s / f).toFixed(2)}× the file events; goal ≤ 2×)`);
  if (WORKER) {
    const started = performance.now();
    const reader = await buildContext({ env, logLevel: 'silent' });
    while ((await reader.outbox.pending()) > 0) await new Promise((r) => setTimeout(r, 100));
    console.log(`  the worker rendered and captured the rest ${(performance.now() - started).toFixed(0)} ms after the last answer`);
    await reader.close();
  }
} finally {
  server.kill('SIGTERM');
  await new Promise((r) => server.once('exit', r));
  await rm(dir, { recursive: true, force: true });
}
