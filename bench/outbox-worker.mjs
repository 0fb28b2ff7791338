// One outbox worker for bench/postgres.ts, in a process of its own as `mailroom worker` runs,
// from the bundle `npm start` runs. It builds its context, says "ready", starts its worker when
// stdin says "go", and when stdin ends stops it and prints one JSON line: its CPU time and peak RSS.
// env: DATA_DIR, DATABASE_URL (none: SQLite in DATA_DIR), and the MAILROOM_WORKER_* settings.
import { createInterface } from 'node:readline';
import { setFlagsFromString } from 'node:v8';
import { buildContext } from '../dist/main.mjs';

// As bin/mailroom.mjs does (with --max-semi-space-size=4, given by bench/postgres.ts).
setFlagsFromString('--heap-growing-percent=50');

const dataDir = process.env.DATA_DIR;
const env = { MAILROOM_DATA_DIR: dataDir, MAILROOM_CONFIG: `${dataDir}/none.json` };
if (process.env.DATABASE_URL) env.MAILROOM_DATABASE_URL = process.env.DATABASE_URL;
for (const name of ['MAILROOM_WORKER_BATCH', 'MAILROOM_WORKER_LANES', 'MAILROOM_WORKER_IDLE_MS']) if (process.env[name] !== undefined) env[name] = process.env[name];
const ctx = await buildContext({ env, logLevel: 'warn' });
const worker = ctx.createWorker();
process.stdout.write('ready\n');
let cpu0 = process.cpuUsage();
const lines = createInterface({ input: process.stdin });
for await (const line of lines) {
  if (line === 'go') {
    cpu0 = process.cpuUsage();
    worker.start();
  }
}
const cpu = process.cpuUsage(cpu0);
await worker.stop();
await ctx.close();
console.log(JSON.stringify({ cpuUs: cpu.user + cpu.system, rssMiB: process.resourceUsage().maxRSS / 1024 }));
process.exit(0);
