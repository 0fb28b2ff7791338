// One Mailroom run for bench/outbox.ts: enqueue N ~2 KB mails into a fresh SQLite outbox and
// deliver them with the worker to the SMTP server on 127.0.0.1:SINK_PORT. Prints one JSON line.
// env: N, SINK_PORT, DATA_DIR, MODE (together: worker runs while enqueuing | queued: enqueue all first)
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
for (let i = 0; i < n; i += 1000) {
  const batch = [];
  for (let j = i; j < Math.min(n, i + 1000); j++) batch.push({ to: 'rcpt@example.test', subject: `bench ${j}`, text: benchText });
  await ctx.outbox.send(batch);
}
const enqueued = performance.now();
const rssQueued = process.resourceUsage().maxRSS;
const t1 = performance.now();
if (mode !== 'together') worker.start();
while ((await ctx.outbox.pending()) > 0) await new Promise((r) => setTimeout(r, 20));
const done = performance.now();
const counts = await ctx.outbox.counts();
if (counts.sent !== n) throw new Error(`expected ${n} sent, got ${JSON.stringify(counts)}`);
await worker.stop();
await ctx.close();
const secs = (done - (mode === 'together' ? t0 : t1)) / 1000;
console.log(JSON.stringify({ n, mode, secs, rate: n / secs, enqueueRate: n / ((enqueued - t0) / 1000), rssMiB: process.resourceUsage().maxRSS / 1024, rssQueuedMiB: rssQueued / 1024 }));

function pick(...names) {
  return Object.fromEntries(names.filter((k) => process.env[k] !== undefined).map((k) => [k, process.env[k]]));
}
