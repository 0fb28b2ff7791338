// npm run bench: the outbox worker on PostgreSQL beside the SQLite one, in one run. N mails of
// ~2 KB are queued first (as bench/outbox.ts queues them), then delivered into Postfix's smtp-sink
// by one SQLite worker, one PostgreSQL worker and WORKERS PostgreSQL worker processes, each from a
// database of its own. The PostgreSQL is a private cluster started as the tests start theirs,
// but with durable commits (fsync, synchronous_commit and full_page_writes on) and
// pg_stat_statements loaded. Workers start together once all are ready, and the clock stops when
// the outbox holds nothing queued or sending.
// env: N (20000) WORKERS (4) RUNS (1: the median of RUNS interleaved runs) PROFILE_DIR (a CPU
// profile of every worker process, node --cpu-prof) STATEMENTS (a file: pg_stat_statements of the
// one-worker run, the statements by total time)
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { buildContext } from '../src/main.ts';
import { freePort, waitForPort } from './ports.ts';

const run = promisify(execFile);
const N = Number(process.env.N ?? 20000);
const WORKERS = Number(process.env.WORKERS ?? 4);
const RUNS = Number(process.env.RUNS ?? 1);
const here = new URL('.', import.meta.url).pathname;
const scripts = join(here, '../test/support/servers');

interface Result {
  rate: number;
  cpuUsPerMsg: number;
  /** PostgreSQL's CPU per mail, all its processes (0 for SQLite, which runs in the worker). */
  serverCpuUsPerMsg: number;
  rssMiB: number;
  enqueueRate: number;
}

const TICKS_PER_SECOND = 100;
/** CPU time of the PostgreSQL server in µs: the postmaster, its live children, and its ended ones. */
async function serverCpuUs(dir: string | undefined): Promise<number> {
  if (!dir) return 0;
  const postmaster = Number((await readFile(join(dir, 'data/postmaster.pid'), 'utf8')).split('\n')[0]);
  const fields = async (pid: string) => (await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '')).replace(/^.*\) /s, '').split(' ');
  let ticks = 0;
  const own = await fields(String(postmaster));
  // After "pid (comm) ": state is field 0, ppid 1, utime 11, stime 12, cutime 13, cstime 14.
  ticks += Number(own[11]) + Number(own[12]) + Number(own[13]) + Number(own[14]);
  for (const pid of (await readdir('/proc')).filter((name) => /^\d+$/.test(name))) {
    const f = await fields(pid);
    if (Number(f[1]) === postmaster) ticks += Number(f[11]) + Number(f[12]);
  }
  return (ticks / TICKS_PER_SECOND) * 1e6;
}

async function startCluster(): Promise<{ dir: string; url: string; admin: pg.ClientConfig }> {
  const port = await freePort();
  const dir = `/tmp/mailroom-bench-pg-${port}`;
  const conf = ['fsync = on', 'synchronous_commit = on', 'full_page_writes = on', "shared_preload_libraries = 'pg_stat_statements'", 'pg_stat_statements.track = all', 'pg_stat_statements.track_planning = on', 'max_connections = 200'].join('\n');
  const { stdout } = await run('bash', [join(scripts, 'postgres-start.sh'), dir, String(port)], { env: { ...process.env, PG_FRESH: '1', PG_CONF: conf } });
  const url = stdout.trim().split('\n').at(-1) ?? '';
  // The superuser, over the cluster's Unix socket: for CREATE DATABASE … and the statistics.
  return { dir, url, admin: { host: join(dir, 'run'), port, user: 'postgres', database: 'postgres' } };
}

async function adminQuery(config: pg.ClientConfig, text: string, database?: string): Promise<pg.QueryResult> {
  const client = new pg.Client({ ...config, ...(database ? { database } : {}) });
  await client.connect();
  try {
    return await client.query(text);
  } finally {
    await client.end();
  }
}

let databases = 0;
async function freshDatabase(cluster: { url: string; admin: pg.ClientConfig }): Promise<string> {
  const name = `bench_${++databases}`;
  await adminQuery(cluster.admin, `create database ${name} owner mailroom`);
  await adminQuery(cluster.admin, 'create extension if not exists pg_stat_statements', name);
  const url = new URL(cluster.url);
  url.pathname = `/${name}`;
  return url.toString();
}

/** Queues N mails as bench/outbox.ts does, 1000 a call; resolves with the mails queued a second. */
async function enqueue(dataDir: string, sinkPort: number, databaseUrl: string | undefined): Promise<number> {
  const { stdout } = await run(process.execPath, ['--max-semi-space-size=4', join(here, 'outbox-mailroom.mjs')], {
    env: { ...process.env, N: String(N), SINK_PORT: String(sinkPort), DATA_DIR: dataDir, MODE: 'enqueue', ...(databaseUrl ? { DATABASE_URL: databaseUrl } : {}) },
    maxBuffer: 1 << 24,
  });
  return (JSON.parse(stdout.trim().split('\n').at(-1) as string) as { enqueueRate: number }).enqueueRate;
}

function startWorker(dataDir: string, databaseUrl: string | undefined, label: string): { child: ChildProcess; ready: Promise<void>; result: Promise<{ cpuUs: number; rssMiB: number }> } {
  const profile = process.env.PROFILE_DIR ? ['--cpu-prof', '--cpu-prof-dir', process.env.PROFILE_DIR, '--cpu-prof-name', `${label}-${Date.now()}-${Math.random().toString(16).slice(2, 6)}.cpuprofile`] : [];
  const child = spawn(process.execPath, ['--max-semi-space-size=4', ...profile, join(here, 'outbox-worker.mjs')], {
    env: { ...process.env, DATA_DIR: dataDir, ...(databaseUrl ? { DATABASE_URL: databaseUrl } : {}) },
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  let out = '';
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
  const ready = (async () => {
    while (!out.includes('ready')) {
      if (child.exitCode !== null) throw new Error(`a worker exited with ${child.exitCode} before it was ready`);
      await new Promise((r) => setTimeout(r, 10));
    }
  })();
  const result = once(child, 'exit').then(([code]) => {
    if (code !== 0) throw new Error(`a worker exited with ${String(code)}`);
    return JSON.parse(out.trim().split('\n').at(-1) as string) as { cpuUs: number; rssMiB: number };
  });
  return { child, ready, result };
}

/** N queued mails delivered by `workers` processes; the clock runs from "go" to an empty outbox. */
async function deliver(sinkPort: number, workers: number, databaseUrl: string | undefined, label: string, clusterDir?: string): Promise<Result> {
  const dataDir = await mkdtemp(join(tmpdir(), 'mailroom-bench-'));
  try {
    const enqueueRate = await enqueue(dataDir, sinkPort, databaseUrl);
    const watcher = await buildContext({ env: { MAILROOM_DATA_DIR: dataDir, MAILROOM_CONFIG: `${dataDir}/none.json`, ...(databaseUrl ? { MAILROOM_DATABASE_URL: databaseUrl } : {}) }, logLevel: 'silent' });
    try {
      const group = Array.from({ length: workers }, (_, i) => startWorker(dataDir, databaseUrl, `${label}-${i + 1}`));
      await Promise.all(group.map((w) => w.ready));
      const server0 = await serverCpuUs(clusterDir);
      const t0 = performance.now();
      for (const w of group) w.child.stdin?.write('go\n');
      while ((await watcher.outbox.pending()) > 0) await new Promise((r) => setTimeout(r, 50));
      const secs = (performance.now() - t0) / 1000;
      const serverCpu = (await serverCpuUs(clusterDir)) - server0;
      for (const w of group) w.child.stdin?.end();
      const results = await Promise.all(group.map((w) => w.result));
      const counts = await watcher.outbox.counts();
      if (counts.sent !== N) throw new Error(`${label}: expected ${N} sent, got ${JSON.stringify(counts)}`);
      return { rate: N / secs, cpuUsPerMsg: results.reduce((sum, r) => sum + r.cpuUs, 0) / N, serverCpuUsPerMsg: serverCpu / N, rssMiB: Math.max(...results.map((r) => r.rssMiB)), enqueueRate };
    } finally {
      await watcher.close();
    }
  } finally {
    await rm(dataDir, { recursive: true, force: true });
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)] as number;

const sinkPort = await freePort();
const sink = spawn('/usr/sbin/smtp-sink', ['-u', 'nobody', `127.0.0.1:${sinkPort}`, '1024'], { stdio: 'ignore' });
const cluster = await startCluster();
try {
  await waitForPort(sinkPort);
  const kinds: Array<[string, () => Promise<Result>]> = [
    ['sqlite', () => deliver(sinkPort, 1, undefined, 'sqlite')],
    [
      'one',
      async () => {
        const url = await freshDatabase(cluster);
        await adminQuery(cluster.admin, 'select pg_stat_statements_reset()', new URL(url).pathname.slice(1));
        const result = await deliver(sinkPort, 1, url, 'pg1', cluster.dir);
        if (process.env.STATEMENTS) {
          const top = await adminQuery(
            cluster.admin,
            `select calls, round(total_exec_time::numeric, 1) as exec_ms, round(total_plan_time::numeric, 1) as plan_ms, rows, round((shared_blks_hit + shared_blks_read + shared_blks_dirtied + shared_blks_written)::numeric / greatest(calls, 1), 1) as blks_per_call, wal_records, wal_bytes, left(regexp_replace(query, '\\s+', ' ', 'g'), 300) as query
             from pg_stat_statements where dbid = (select oid from pg_database where datname = current_database()) order by total_exec_time + total_plan_time desc limit 25`,
            new URL(url).pathname.slice(1),
          );
          await writeFile(process.env.STATEMENTS, JSON.stringify(top.rows, null, 1));
        }
        return result;
      },
    ],
    ['four', async () => deliver(sinkPort, WORKERS, await freshDatabase(cluster), `pg${WORKERS}`, cluster.dir)],
  ];
  const results = new Map<string, Result[]>();
  for (let r = 0; r < RUNS; r++) {
    for (const [name, fn] of kinds) {
      const result = await fn();
      results.set(name, [...(results.get(name) ?? []), result]);
      process.stderr.write(`run ${r + 1}/${RUNS} ${name}: ${Math.round(result.rate)} msgs/s, ${Math.round(result.cpuUsPerMsg)} µs worker CPU/msg, ${Math.round(result.serverCpuUsPerMsg)} µs PostgreSQL CPU/msg, peak RSS ${Math.round(result.rssMiB)} MiB\n`);
    }
  }
  const rate = (name: string) => median((results.get(name) ?? []).map((x) => x.rate));
  const cpu = (name: string) => median((results.get(name) ?? []).map((x) => x.cpuUsPerMsg));
  const server = (name: string) => median((results.get(name) ?? []).map((x) => x.serverCpuUsPerMsg));
  const rss = (name: string) => Math.max(...(results.get(name) ?? []).map((x) => x.rssMiB));
  console.log(`N=${N} queued mails of ~2 KB delivered to smtp-sink on 127.0.0.1, PostgreSQL 15 with durable commits, median of ${RUNS} run(s)`);
  const queued = (name: string) => median((results.get(name) ?? []).map((x) => x.enqueueRate));
  console.log('workers                              msgs/s   worker CPU/msg   PostgreSQL CPU/msg   peak RSS per worker   (queued before at)');
  const line = (title: string, name: string) => console.log(`${title.padEnd(33)}${rate(name).toFixed(0).padStart(8)}   ${cpu(name).toFixed(0).padStart(8)} µs   ${server(name).toFixed(0).padStart(12)} µs   ${rss(name).toFixed(0).padStart(12)} MiB        (${queued(name).toFixed(0)} msgs/s)`);
  line('SQLite, 1 worker', 'sqlite');
  line('PostgreSQL, 1 worker', 'one');
  line(`PostgreSQL, ${WORKERS} worker processes`, 'four');
  console.log(`PostgreSQL one ÷ SQLite = ${(rate('one') / rate('sqlite')).toFixed(2)}, ${WORKERS} ÷ one = ${(rate('four') / rate('one')).toFixed(2)}`);
  console.log(
    `bench postgres: one=${rate('one').toFixed(0)} four=${rate('four').toFixed(0)} sqlite=${rate('sqlite').toFixed(0)} ratio=${(rate('one') / rate('sqlite')).toFixed(2)} rss=${Math.max(rss('one'), rss('four')).toFixed(0)} cpu=${cpu('one').toFixed(0)}/${cpu('sqlite').toFixed(0)} load=${loadavg()[0]?.toFixed(1)}`,
  );
} finally {
  sink.kill();
  await run('bash', [join(scripts, 'postgres-stop.sh'), cluster.dir]).catch(() => undefined);
  await rm(cluster.dir, { recursive: true, force: true });
}
