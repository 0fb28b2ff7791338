// npm run bench (notify): the path users really take, end to end. A host cloud posts N
// share.created events (one recipient each) in batches of BATCH to `mailroom serve`, which renders
// the share template per recipient, queues and delivers every mail to Postfix's smtp-sink. Beside
// it in the same run: the peer (bench/notify-peer.ts: LiquidJS + juice + a nodemailer pool per
// mail, no database), and Mailroom's own raw outbox (bench/outbox-mailroom.mjs: finished mails
// enqueued and delivered), which is the ceiling rendering should not pull far below.
// Reports mails/s from the first request to the last mail accepted by the sink, the time until
// every request was answered, and the peak RSS of the largest of serve's processes.
// env: N (20000) BATCH (1000) USERS (1000) CONCURRENCY (2); PROFILE_DIR: CPU profiles of serve's
// processes and threads go there (node --cpu-prof), and the peer and raw runs are skipped.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort, waitForPort } from './ports.ts';

const run = promisify(execFile);
const N = Number(process.env['N'] ?? 20000);
const BATCH = Number(process.env['BATCH'] ?? 1000);
const USERS = Number(process.env['USERS'] ?? 1000);
const CONCURRENCY = Number(process.env['CONCURRENCY'] ?? 2);
const PROFILE_DIR = process.env['PROFILE_DIR'];
const root = new URL('..', import.meta.url).pathname;

interface Result {
  rate: number;
  answeredSecs?: number;
  rssMiB?: number;
}

/** The largest peak RSS of the process and its descendants (serve's worker process among them). */
async function peakRssMiB(child: ChildProcess): Promise<number> {
  const peak = async (pid: number): Promise<number> => {
    const status = await readFile(`/proc/${pid}/status`, 'utf8').catch(() => '');
    const own = Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1] ?? 0) / 1024;
    const children = (await readFile(`/proc/${pid}/task/${pid}/children`, 'utf8').catch(() => '')).trim().split(/\s+/).filter(Boolean).map(Number);
    return Math.max(own, ...(await Promise.all(children.map(peak))));
  };
  return peak(child.pid as number);
}

function mailroomCli(args: string[], env: NodeJS.ProcessEnv): Promise<string> {
  return run(process.execPath, [join(root, 'bin/mailroom.mjs'), ...args], { env }).then(({ stdout }) => stdout.trim());
}

async function api(url: string, token: string, method: string, path: string, body?: unknown): Promise<{ status: number; json: Record<string, unknown> }> {
  const response = await fetch(`${url}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  return { status: response.status, json: (await response.json()) as Record<string, unknown> };
}

function shareBatches(): string[] {
  const out: string[] = [];
  for (let i = 0; i < N; i += BATCH) {
    const events = [];
    for (let j = i; j < Math.min(N, i + BATCH); j++) {
      events.push({
        id: `share-${j}`,
        type: 'share.created',
        actor: 'alice',
        affected: [`user${j % USERS}`],
        object: { type: 'file', id: String(j), name: `Report ${j}.odt`, path: `/Projects/Report ${j}.odt` },
        link: `https://cloud.example.com/f/${j}`,
        data: { note: 'The figures for Friday.' },
      });
    }
    out.push(JSON.stringify({ events }));
  }
  return out;
}

async function mailroom(sinkPort: number): Promise<Result> {
  const dir = await mkdtemp(join(tmpdir(), 'mailroom-bench-notify-'));
  const port = await freePort();
  const config = join(dir, 'config.json');
  await writeFile(config, JSON.stringify({ mail_smtpmode: 'smtp', mail_smtphost: `127.0.0.1:${sinkPort}`, mail_domain: 'example.test', instance_name: 'Example Cloud' }));
  const env = { ...process.env, MAILROOM_DATA_DIR: join(dir, 'data'), MAILROOM_CONFIG: config, MAILROOM_PORT: String(port), MAILROOM_LOG_LEVEL: 'warn', MAILROOM_ADMIN_PASSWORD: 'bench-admin-password' };
  const admin = await mailroomCli(['token:create', 'bench-admin'], env);
  const service = await mailroomCli(['token:create', 'bench-host', '--scope', 'service'], env);
  // Profiled, the worker runs as a process of its own beside `serve --no-worker` (what serve starts
  // as its child), since node refuses --cpu-prof in NODE_OPTIONS.
  const profile = PROFILE_DIR === undefined ? [] : ['--cpu-prof', `--cpu-prof-dir=${PROFILE_DIR}`];
  const cli = (...args: string[]) => spawn(process.execPath, ['--max-semi-space-size=4', ...profile, join(root, 'bin/mailroom.mjs'), ...args], { env, stdio: 'ignore' });
  const server = PROFILE_DIR === undefined ? cli('serve') : cli('serve', '--no-worker');
  const worker = PROFILE_DIR === undefined ? undefined : cli('worker');
  try {
    await waitForPort(port);
    const url = `http://127.0.0.1:${port}`;
    for (const uid of ['alice', ...Array.from({ length: USERS }, (_, u) => `user${u}`)]) {
      const r = await api(url, admin, 'POST', '/api/v1/users', { uid, email: `${uid}@example.test`, invite: false });
      if (r.status !== 201) throw new Error(`adding ${uid} answered ${r.status}`);
    }
    const bodies = shareBatches();
    const t0 = performance.now();
    let next = 0;
    const lane = async () => {
      while (next < bodies.length) {
        const body = bodies[next++] as string;
        const response = await fetch(`${url}/api/v1/events`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${service}` }, body });
        if (response.status !== 202) throw new Error(`events answered ${response.status}: ${await response.text()}`);
        await response.arrayBuffer();
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, lane));
    const answeredSecs = (performance.now() - t0) / 1000;
    for (;;) {
      const counts = (await api(url, admin, 'GET', '/api/v1/outbox?limit=1')).json['counts'] as Record<string, number>;
      if ((counts['failed'] ?? 0) > 0) throw new Error(`mails failed: ${JSON.stringify(counts)}`);
      if ((counts['sent'] ?? 0) >= N) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    const secs = (performance.now() - t0) / 1000;
    return { rate: N / secs, answeredSecs, rssMiB: await peakRssMiB(server) };
  } finally {
    for (const child of [server, worker]) {
      child?.kill('SIGTERM');
      if (child !== undefined) await new Promise((r) => child.once('exit', r));
    }
    await rm(dir, { recursive: true, force: true });
  }
}

async function nodeJson(args: string[], env: Record<string, string>): Promise<Result> {
  const { stdout } = await run(process.execPath, args, { env: { ...process.env, ...env }, maxBuffer: 1 << 24 });
  return JSON.parse(stdout.trim().split('\n').at(-1) as string) as Result;
}

const sinkPort = await freePort();
const sink = spawn('/usr/sbin/smtp-sink', ['-u', 'nobody', `127.0.0.1:${sinkPort}`, '1024'], { stdio: 'ignore' });
try {
  await waitForPort(sinkPort);
  const ours = await mailroom(sinkPort);
  process.stderr.write(`mailroom: ${Math.round(ours.rate)} mails/s, every request answered after ${ours.answeredSecs?.toFixed(1)} s\n`);
  if (PROFILE_DIR !== undefined) {
    sink.kill('SIGTERM');
    process.exit(0);
  }
  const peer = await nodeJson(['--import', 'tsx', join(root, 'bench/notify-peer.ts')], { N: String(N), SINK_PORT: String(sinkPort) });
  process.stderr.write(`peer: ${Math.round(peer.rate)} mails/s\n`);
  const rawDir = await mkdtemp(join(tmpdir(), 'mailroom-bench-raw-'));
  let raw: Result;
  try {
    raw = await nodeJson(['--max-semi-space-size=4', join(root, 'bench/outbox-mailroom.mjs')], { N: String(N), SINK_PORT: String(sinkPort), DATA_DIR: rawDir, MODE: 'together' });
  } finally {
    await rm(rawDir, { recursive: true, force: true });
  }
  process.stderr.write(`raw outbox: ${Math.round(raw.rate)} mails/s\n`);
  console.log(`${N} share.created events (1 recipient each, ${USERS} users) in batches of ${BATCH}, to smtp-sink on 127.0.0.1`);
  console.log('sender                                                mails/s   answered   peak RSS');
  console.log(`mailroom serve (events → render → outbox → SMTP)      ${ours.rate.toFixed(0).padStart(7)}   ${(ours.answeredSecs ?? 0).toFixed(1).padStart(6)} s   ${(ours.rssMiB ?? 0).toFixed(0)} MiB`);
  console.log(`peer: liquidjs + juice + nodemailer pool, per mail    ${peer.rate.toFixed(0).padStart(7)}   ${''.padStart(8)}   ${(peer.rssMiB ?? 0).toFixed(0)} MiB`);
  console.log(`mailroom raw outbox (finished mails)                  ${raw.rate.toFixed(0).padStart(7)}`);
  console.log(`bench notify: mailroom=${ours.rate.toFixed(0)} peer=${peer.rate.toFixed(0)} raw=${raw.rate.toFixed(0)} ratio=${(ours.rate / peer.rate).toFixed(2)} of_raw=${(ours.rate / raw.rate).toFixed(2)} answered_s=${(ours.answeredSecs ?? 0).toFixed(1)} rss=${(ours.rssMiB ?? 0).toFixed(0)}`);
} finally {
  sink.kill('SIGTERM');
}
