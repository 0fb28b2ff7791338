// npm run bench (events): how fast Mailroom accepts events from a host cloud, side by side with a
// bare peer (bench/events-bare.mjs: fastify + better-sqlite3 doing only the inserts) in one run.
// Each server runs in its own process; a client posts batches of BATCH events over HTTP with
// CONCURRENCY requests in flight, and an event counts once the server has answered 202 (after its
// commit). Every event is a file.changed by one of USERS users, affecting two others: three
// activity rows. Runs are interleaved; the median of RUNS is reported.
// env: EVENTS (50000) BATCH (1000) CONCURRENCY (2) RUNS (3) USERS (200)
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, waitForPort } from './ports.ts';

const EVENTS = Number(process.env.EVENTS ?? 50000);
const BATCH = Number(process.env.BATCH ?? 1000);
const CONCURRENCY = Number(process.env.CONCURRENCY ?? 2);
const RUNS = Number(process.env.RUNS ?? 3);
const USERS = Number(process.env.USERS ?? 200);
const root = new URL('..', import.meta.url).pathname;

async function peakRssMiB(child: ChildProcess): Promise<number> {
  const status = await readFile(`/proc/${child.pid}/status`, 'utf8');
  return Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1] ?? 0) / 1024;
}

function batches(run: number): string[] {
  const out: string[] = [];
  for (let i = 0; i < EVENTS; i += BATCH) {
    const events = [];
    for (let j = i; j < Math.min(EVENTS, i + BATCH); j++) {
      const actor = `user${j % USERS}`;
      events.push({
        id: `r${run}-e${j}`,
        type: 'file.changed',
        actor,
        affected: [`user${(j + 1) % USERS}`, `user${(j + 7) % USERS}`],
        object: { type: 'file', id: String(j % 5000), name: `Report ${j % 5000}.odt`, path: `/Projects/Report ${j % 5000}.odt` },
        link: `https://cloud.example.com/f/${j % 5000}`,
      });
    }
    out.push(JSON.stringify({ events }));
  }
  return out;
}

async function post(url: string, token: string, bodies: string[]): Promise<number> {
  const t0 = performance.now();
  let next = 0;
  const lane = async () => {
    while (next < bodies.length) {
      const body = bodies[next++] as string;
      const response = await fetch(`${url}/api/v1/events`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body });
      if (response.status !== 202) throw new Error(`events answered ${response.status}: ${await response.text()}`);
      await response.arrayBuffer();
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, lane));
  return EVENTS / ((performance.now() - t0) / 1000);
}

function mailroomCli(args: string[], env: NodeJS.ProcessEnv): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(root, 'bin/mailroom.mjs'), ...args], { env, stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.on('exit', (code) => (code === 0 ? resolve(out.trim()) : reject(new Error(`mailroom ${args.join(' ')} exited ${code}`))));
  });
}

async function mailroomRun(run: number): Promise<{ rate: number; rss: number }> {
  const dir = await mkdtemp(join(tmpdir(), 'mailroom-bench-events-'));
  const port = await freePort();
  const env = { ...process.env, MAILROOM_DATA_DIR: dir, MAILROOM_CONFIG: join(dir, 'none.json'), MAILROOM_PORT: String(port), MAILROOM_LOG_LEVEL: 'warn', MAILROOM_ADMIN_PASSWORD: 'bench-admin-password' };
  const admin = await mailroomCli(['token:create', 'bench-admin'], env);
  const service = await mailroomCli(['token:create', 'bench-host', '--scope', 'service'], env);
  // serve --no-worker: the API alone, as a host cloud's events reach it.
  const server = spawn(process.execPath, ['--max-semi-space-size=4', join(root, 'bin/mailroom.mjs'), 'serve', '--no-worker'], { env, stdio: 'ignore' });
  try {
    await waitForPort(port);
    const url = `http://127.0.0.1:${port}`;
    for (let u = 0; u < USERS; u++) {
      const r = await fetch(`${url}/api/v1/users`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${admin}` }, body: JSON.stringify({ uid: `user${u}`, email: `user${u}@example.test`, invite: false }) });
      if (r.status !== 201) throw new Error(`user:add answered ${r.status}`);
    }
    const rate = await post(url, service, batches(run));
    return { rate, rss: await peakRssMiB(server) };
  } finally {
    server.kill('SIGTERM');
    await new Promise((r) => server.once('exit', r));
    await rm(dir, { recursive: true, force: true });
  }
}

async function bareRun(run: number): Promise<{ rate: number; rss: number }> {
  const dir = await mkdtemp(join(tmpdir(), 'mailroom-bench-bare-'));
  const port = await freePort();
  const server = spawn(process.execPath, [join(root, 'bench/events-bare.mjs')], { env: { ...process.env, PORT: String(port), DATA_DIR: dir }, stdio: 'ignore' });
  try {
    await waitForPort(port);
    const rate = await post(`http://127.0.0.1:${port}`, 'none', batches(run));
    return { rate, rss: await peakRssMiB(server) };
  } finally {
    server.kill('SIGTERM');
    await new Promise((r) => server.once('exit', r));
    await rm(dir, { recursive: true, force: true });
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)] as number;
const mailroom: Array<{ rate: number; rss: number }> = [];
const bare: Array<{ rate: number; rss: number }> = [];
for (let r = 0; r < RUNS; r++) {
  mailroom.push(await mailroomRun(r));
  process.stderr.write(`run ${r + 1}/${RUNS} mailroom: ${Math.round((mailroom.at(-1) as { rate: number }).rate)} events/s\n`);
  bare.push(await bareRun(r));
  process.stderr.write(`run ${r + 1}/${RUNS} bare: ${Math.round((bare.at(-1) as { rate: number }).rate)} events/s\n`);
}
const m = median(mailroom.map((x) => x.rate));
const b = median(bare.map((x) => x.rate));
const rss = Math.max(...mailroom.map((x) => x.rss));
console.log(`${EVENTS} file.changed events (3 activities each) in batches of ${BATCH}, ${CONCURRENCY} requests in flight, median of ${RUNS} runs`);
console.log('server                                            events/s   activities/s   peak RSS');
console.log(`mailroom serve --no-worker (checked, idempotent)  ${m.toFixed(0).padStart(8)}   ${(m * 3).toFixed(0).padStart(12)}   ${rss.toFixed(0)} MiB`);
console.log(`bare fastify + better-sqlite3 inserts             ${b.toFixed(0).padStart(8)}   ${(b * 3).toFixed(0).padStart(12)}   ${Math.max(...bare.map((x) => x.rss)).toFixed(0)} MiB`);
console.log(`bench events: mailroom=${m.toFixed(0)} bare=${b.toFixed(0)} ratio=${(m / b).toFixed(2)} rss=${rss.toFixed(0)}`);
