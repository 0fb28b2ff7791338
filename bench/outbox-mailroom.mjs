// One Mailroom run for bench/outbox.ts, in its own process so that its peak RSS is its own.
// Prints one JSON line. env: N, SINK_PORT, DATA_DIR, DATABASE_URL (none: SQLite in DATA_DIR), MODE:
//   together  as `mailroom serve` runs: this process enqueues N mails while a worker process of its
//             own (MODE=follow, started first, as serve starts `mailroom worker --from-serve`)
//             delivers them (enqueue → accepted); rssMiB is the larger of the two processes
//   enqueue   only enqueue N mails into DATA_DIR
//   deliver   only run the worker on what DATA_DIR's outbox holds, until it is empty
//   follow    the worker of `together`: says "ready", then delivers until stdin says the
//             enqueuing is done and the outbox is empty
// The bundle `npm start` runs (bench/run.sh builds it first), so RSS and speed are what users get.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { buildContext } from '../dist/main.mjs';
import { benchText } from './bench-mail.mjs';

// As bin/mailroom.mjs does (with --max-semi-space-size=4, given by bench/outbox.ts).
setFlagsFromString('--heap-growing-percent=50');

const n = Number(process.env.N ?? 20000);
const port = Number(process.env.SINK_PORT);
const mode = process.env.MODE ?? 'together';
const dataDir = process.env.DATA_DIR;

const ctx = await buildContext({
  env: { MAILROOM_DATA_DIR: dataDir, MAILROOM_CONFIG: `${dataDir}/none.json`, MAILROOM_WORKER_IDLE_MS: '10', ...pick('MAILROOM_WORKER_BATCH', 'MAILROOM_WORKER_LANES'), ...(process.env.DATABASE_URL ? { MAILROOM_DATABASE_URL: process.env.DATABASE_URL } : {}) },
  logLevel: 'warn',
});
if (mode !== 'follow') {
  await ctx.settings.update({ mail_smtpmode: 'smtp', mail_smtphost: `127.0.0.1:${port}`, mail_smtpsecure: '', mail_smtp_connections: Number(process.env.CONNECTIONS ?? 8), mail_domain: 'example.test' });
}

let follower;
let followerResult;
if (mode === 'together') {
  follower = spawn(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url)], { env: { ...process.env, MODE: 'follow' }, stdio: ['pipe', 'pipe', 'inherit'] });
  let out = '';
  follower.stdout.setEncoding('utf8').on('data', (chunk) => (out += chunk));
  followerResult = once(follower, 'exit').then(([code]) => {
    if (code !== 0) throw new Error(`the worker process exited with ${code}`);
    return JSON.parse(out.trim().split('\n').at(-1));
  });
  while (!out.includes('ready')) await new Promise((r) => setTimeout(r, 5));
}

const t0 = performance.now();
const cpu0 = process.cpuUsage();
const worker = mode === 'enqueue' || mode === 'together' ? undefined : ctx.createWorker();
if (mode === 'follow') {
  worker.start();
  process.stdout.write('ready\n');
  let enqueued = false;
  process.stdin.on('data', () => (enqueued = true));
  while (!enqueued || (await ctx.outbox.pending()) > 0) await new Promise((r) => setTimeout(r, 20));
  const done = performance.now();
  await worker.stop();
  await ctx.close();
  const cpu = process.cpuUsage(cpu0);
  console.log(JSON.stringify({ n, mode, secs: (done - t0) / 1000, cpuUs: cpu.user + cpu.system, rssMiB: process.resourceUsage().maxRSS / 1024 }));
  process.exit(0);
}
if (mode !== 'deliver') {
  for (let i = 0; i < n; i += 1000) {
    const batch = [];
    for (let j = i; j < Math.min(n, i + 1000); j++) batch.push({ to: 'rcpt@example.test', subject: `bench ${j}`, text: benchText });
    await ctx.outbox.send(batch);
  }
}
const enqueued = performance.now();
let workerRss = 0;
let workerCpuUs = 0;
if (mode === 'deliver') {
  worker.start();
  while ((await ctx.outbox.pending()) > 0) await new Promise((r) => setTimeout(r, 20));
} else if (mode === 'together') {
  follower.stdin.end('enqueued\n');
  ({ rssMiB: workerRss, cpuUs: workerCpuUs } = await followerResult);
}
const done = performance.now();
await worker?.stop();
const counts = await ctx.outbox.counts();
await ctx.close();
if (mode !== 'enqueue' && counts.sent !== n) throw new Error(`expected ${n} sent, got ${JSON.stringify(counts)}`);
const secs = (done - t0) / 1000;
const ownRss = process.resourceUsage().maxRSS / 1024;
const ownCpu = process.cpuUsage(cpu0);
console.log(JSON.stringify({ n, mode, secs, rate: n / secs, enqueueRate: n / ((enqueued - t0) / 1000), cpuUsPerMsg: (ownCpu.user + ownCpu.system + workerCpuUs) / n, rssMiB: Math.max(ownRss, workerRss), enqueueRssMiB: ownRss, workerRssMiB: workerRss }));

function pick(...names) {
  return Object.fromEntries(names.filter((k) => process.env[k] !== undefined).map((k) => [k, process.env[k]]));
}
