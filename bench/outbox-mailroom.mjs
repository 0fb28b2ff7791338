// One Mailroom run for bench/outbox.ts, in its own process so that its peak RSS is its own.
// Prints one JSON line. env: N, SINK_PORT, DATA_DIR, MODE:
//   together  the worker delivers while the mails are being enqueued (enqueue → accepted)
//   enqueue   only enqueue N mails into DATA_DIR
//   deliver   only run the worker on what DATA_DIR's outbox holds, until it is empty
// The bundle `npm start` runs (bench/run.sh builds it first), so RSS and speed are what users get.
import { buildContext } from '../dist/main.mjs';
import { benchText } from './bench-mail.mjs';

const n = Number(process.env.N ?? 20000);
const port = Number(process.env.SINK_PORT);
const mode = process.env.MODE ?? 'together';
const dataDir = process.env.DATA_DIR;

const ctx = await buildContext({
  env: { MAILROOM_DATA_DIR: dataDir, MAILROOM_CONFIG: `${dataDir}/none.json`, MAILROOM_WORKER_IDLE_MS: '10', ...pick('MAILROOM_WORKER_BATCH', 'MAILROOM_WORKER_LANES') },
  logLevel: 'warn',
});
await ctx.settings.update({ mail_smtpmode: 'smtp', mail_smtphost: `127.0.0.1:${port}`, mail_smtpsecure: '', mail_smtp_connections: Number(process.env.CONNECTIONS ?? 8), mail_domain: 'example.test' });

const t0 = performance.now();
const worker = ctx.createWorker();
if (mode === 'together') worker.start();
if (mode !== 'deliver') {
  for (let i = 0; i < n; i += 1000) {
    const batch = [];
    for (let j = i; j < Math.min(n, i + 1000); j++) batch.push({ to: 'rcpt@example.test', subject: `bench ${j}`, text: benchText });
    await ctx.outbox.send(batch);
  }
}
const enqueued = performance.now();
if (mode === 'deliver') worker.start();
if (mode !== 'enqueue') {
  while ((await ctx.outbox.pending()) > 0) await new Promise((r) => setTimeout(r, 20));
}
const done = performance.now();
await worker.stop();
const counts = await ctx.outbox.counts();
await ctx.close();
if (mode !== 'enqueue' && counts.sent !== n) throw new Error(`expected ${n} sent, got ${JSON.stringify(counts)}`);
const secs = (done - t0) / 1000;
console.log(JSON.stringify({ n, mode, secs, rate: n / secs, enqueueRate: n / ((enqueued - t0) / 1000), rssMiB: process.resourceUsage().maxRSS / 1024 }));

function pick(...names) {
  return Object.fromEntries(names.filter((k) => process.env[k] !== undefined).map((k) => [k, process.env[k]]));
}
