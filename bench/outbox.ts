// npm run bench: the durable outbox against its peers, side by side in one run, all into one
// Postfix smtp-sink on 127.0.0.1. Runs are interleaved (Mailroom, nodemailer composed,
// nodemailer raw, smtp-source) so that drift of a shared host hits every sender alike; the median
// of RUNS is reported. Then Mailroom's peak RSS with QUEUED mails queued before the worker starts.
// env: N (20000) RUNS (3) QUEUED (100000; 0 skips) CONNECTIONS (8)
import { execFile, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort, waitForPort } from './ports.ts';

const run = promisify(execFile);
const N = Number(process.env.N ?? 20000);
const RUNS = Number(process.env.RUNS ?? 3);
const QUEUED = Number(process.env.QUEUED ?? 100000);
const here = new URL('.', import.meta.url).pathname;

interface Result {
  rate: number;
  /** CPU time (user + system) per message, summed over the sender's processes. */
  cpuUsPerMsg?: number;
  rssMiB?: number;
  rssQueuedMiB?: number;
  enqueueRate?: number;
}

async function node(script: string, env: Record<string, string>): Promise<Result> {
  // Mailroom runs from its bundle with the V8 flag of bin/mailroom.mjs, as `npm start` does.
  const args = script === 'outbox-mailroom.mjs' ? ['--max-semi-space-size=4', join(here, script)] : [join(here, script)];
  const { stdout } = await run(process.execPath, args, { env: { ...process.env, ...env }, maxBuffer: 1 << 24 });
  return JSON.parse(stdout.trim().split('\n').at(-1) as string) as Result;
}

async function mailroom(port: number, n: number, modes: string[]): Promise<Result[]> {
  const dataDir = await mkdtemp(join(tmpdir(), 'mailroom-bench-'));
  try {
    const results: Result[] = [];
    for (const mode of modes) results.push(await node('outbox-mailroom.mjs', { N: String(n), SINK_PORT: String(port), DATA_DIR: dataDir, MODE: mode }));
    return results;
  } finally {
    await rm(dataDir, { recursive: true, force: true });
  }
}

async function smtpSource(port: number): Promise<Result> {
  const t0 = performance.now();
  await run('/usr/sbin/smtp-source', ['-s', '8', '-m', String(N), '-l', '2000', '-f', 'mailroom@example.test', '-t', 'rcpt@example.test', `127.0.0.1:${port}`]);
  return { rate: N / ((performance.now() - t0) / 1000) };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)] as number;

const port = await freePort();
const sink = spawn('/usr/sbin/smtp-sink', ['-u', 'nobody', `127.0.0.1:${port}`, '1024'], { stdio: 'ignore' });
try {
  await waitForPort(port);
  const senders: Array<[string, () => Promise<Result>]> = [
    ['mailroom', async () => (await mailroom(port, N, ['together']))[0] as Result],
    ['nodemailer', () => node('outbox-nodemailer.mjs', { N: String(N), SINK_PORT: String(port), STYLE: 'composed' })],
    ['nodemailer-raw', () => node('outbox-nodemailer.mjs', { N: String(N), SINK_PORT: String(port), STYLE: 'raw' })],
    ['smtp-source', () => smtpSource(port)],
  ];
  const results = new Map<string, Result[]>();
  for (let r = 0; r < RUNS; r++) {
    for (const [name, fn] of senders) {
      const result = await fn();
      results.set(name, [...(results.get(name) ?? []), result]);
      process.stderr.write(`run ${r + 1}/${RUNS} ${name}: ${Math.round(result.rate)} msgs/s${result.rssMiB ? `, peak RSS ${Math.round(result.rssMiB)} MiB` : ''}\n`);
      await new Promise((res) => setTimeout(res, 500));
    }
  }
  const rate = (name: string) => median((results.get(name) ?? []).map((x) => x.rate));
  const rss = (name: string) => Math.max(...(results.get(name) ?? []).map((x) => x.rssMiB ?? 0));
  const cpu = (name: string) => median((results.get(name) ?? []).map((x) => x.cpuUsPerMsg ?? 0));
  console.log(`N=${N} mails of ~2 KB to smtp-sink on 127.0.0.1, median of ${RUNS} runs`);
  console.log('sender                                   msgs/s   peak RSS   CPU/msg');
  console.log(`mailroom (enqueue + durable delivery)   ${rate('mailroom').toFixed(0).padStart(7)}   ${rss('mailroom').toFixed(0)} MiB    ${cpu('mailroom').toFixed(0)} µs (enqueue alone ${median((results.get('mailroom') ?? []).map((x) => x.enqueueRate ?? 0)).toFixed(0)} msgs/s)`);
  console.log(`nodemailer pool 8, composed             ${rate('nodemailer').toFixed(0).padStart(7)}   ${rss('nodemailer').toFixed(0)} MiB    ${cpu('nodemailer').toFixed(0)} µs`);
  console.log(`nodemailer pool 8, raw                  ${rate('nodemailer-raw').toFixed(0).padStart(7)}   ${rss('nodemailer-raw').toFixed(0)} MiB    ${cpu('nodemailer-raw').toFixed(0)} µs`);
  console.log(`smtp-source, 8 connections (ceiling)    ${rate('smtp-source').toFixed(0).padStart(7)}`);
  let queuedRss = rss('mailroom');
  if (QUEUED > 0) {
    // One process queues, another (as `mailroom worker` would) delivers what the outbox holds.
    const [enqueue, deliver] = (await mailroom(port, QUEUED, ['enqueue', 'deliver'])) as [Result, Result];
    queuedRss = deliver.rssMiB ?? 0;
    queuedRss = Math.max(queuedRss, enqueue.rssMiB ?? 0);
    console.log(`mailroom, ${QUEUED} mails: queued at ${enqueue.rate.toFixed(0)} msgs/s (peak RSS ${(enqueue.rssMiB ?? 0).toFixed(0)} MiB), then delivered from the outbox at ${deliver.rate.toFixed(0)} msgs/s (worker peak RSS ${(deliver.rssMiB ?? 0).toFixed(0)} MiB)`);
  }
  const ratio = rate('mailroom') / rate('nodemailer-raw');
  console.log(`mailroom ÷ nodemailer composed = ${(rate('mailroom') / rate('nodemailer')).toFixed(2)}, ÷ nodemailer raw = ${ratio.toFixed(2)}, ÷ smtp-source = ${(rate('mailroom') / rate('smtp-source')).toFixed(2)}`);
  console.log(`bench outbox: mailroom=${rate('mailroom').toFixed(0)} nodemailer=${rate('nodemailer-raw').toFixed(0)} ceiling=${rate('smtp-source').toFixed(0)} ratio=${ratio.toFixed(2)} rss=${queuedRss.toFixed(0)} load=${loadavg()[0]?.toFixed(1)}`);
} finally {
  sink.kill();
}
