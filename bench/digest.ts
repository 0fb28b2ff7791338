// npm run bench (digest): USERS users with pending activities whose daily digest is due at once,
// each at 06:00 in their own time zone (a mix of zones and of both languages), queued by one
// `mailroom digest:run` in a process of its own. The data is written straight into a fresh SQLite
// database (after the migrations) so only the digest pass is measured: the seconds until every
// digest is in the outbox and the process's peak RSS (render threads included).
// env: USERS (100000) ACTIVITIES (3 per user)
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir, loadavg } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';

const USERS = Number(process.env.USERS ?? 100000);
const ACTIVITIES = Number(process.env.ACTIVITIES ?? 3);
const ZONES = ['Europe/Berlin', 'Asia/Shanghai', 'America/New_York', 'UTC', 'Australia/Sydney', 'America/Los_Angeles'];
const root = new URL('..', import.meta.url).pathname;

function mailroom(args: string[], env: NodeJS.ProcessEnv): Promise<{ out: string; seconds: number; rss: number }> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    // The flags of bin/mailroom.mjs's shebang, which running it through node directly skips.
    const child = spawn(process.execPath, ['--max-semi-space-size=4', join(root, 'bin/mailroom.mjs'), ...args], { env, stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    let rss = 0;
    // VmHWM is the high-water mark: the last reading before the exit is the peak.
    const poll = setInterval(() => {
      readFile(`/proc/${child.pid}/status`, 'utf8').then(
        (s) => (rss = Math.max(rss, Number(/VmHWM:\s+(\d+) kB/.exec(s)?.[1] ?? 0) / 1024)),
        () => undefined,
      );
    }, 50);
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.on('exit', (code) => {
      clearInterval(poll);
      if (code === 0) resolve({ out: out.trim(), seconds: (performance.now() - t0) / 1000, rss });
      else reject(new Error(`mailroom ${args.join(' ')} exited ${code}`));
    });
  });
}

function seed(file: string): void {
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  const now = Date.now();
  // Two days back: before the last 06:00 in every zone, whatever the time of the run.
  const at = now - 2 * 86_400_000;
  const iso = new Date(now).toISOString();
  db.prepare("insert into notification_settings (uid, frequency, own_actions, types, updated_at) values ('*', 'daily', null, '{}', ?)").run(now);
  const user = db.prepare('insert into users (uid, display_name, email, language, timezone, is_admin, password_hash, disabled, created_at, updated_at) values (?, ?, ?, ?, ?, 0, null, 0, ?, ?)');
  const event = db.prepare("insert into events (event_key, type, actor, object_type, object_id, object_name, object_path, link, data, created_at) values (?, 'file.changed', ?, 'file', ?, ?, ?, ?, null, ?)");
  const activity = db.prepare("insert into activities (uid, event_id, type, actor, own, object_type, object_name, link, stream, mail_state, digest_id, created_at) values (?, ?, 'file.changed', ?, 0, 'file', ?, ?, 1, 'pending', null, ?)");
  db.transaction(() => {
    for (let u = 0; u < USERS; u++) {
      user.run(`user${u}`, `User ${u}`, `user${u}@example.test`, u % 3 === 0 ? 'zh-CN' : 'en', ZONES[u % ZONES.length], iso, iso);
    }
    for (let u = 0; u < USERS; u++) {
      for (let a = 0; a < ACTIVITIES; a++) {
        const n = (u * ACTIVITIES + a) % 5000;
        const actor = `user${(u + a + 1) % USERS}`;
        const id = event.run(`e${u}-${a}`, actor, String(n), `Report ${n}.odt`, `/Projects/Report ${n}.odt`, `https://cloud.example.com/f/${n}`, at + a).lastInsertRowid;
        activity.run(`user${u}`, id, actor, `Report ${n}.odt`, `https://cloud.example.com/f/${n}`, at + a);
      }
    }
  })();
  db.close();
}

const dir = await mkdtemp(join(tmpdir(), 'mailroom-bench-digest-'));
try {
  const env = { ...process.env, MAILROOM_DATA_DIR: dir, MAILROOM_CONFIG: join(dir, 'none.json'), MAILROOM_LOG_LEVEL: 'warn', MAILROOM_ADMIN_PASSWORD: 'bench-admin-password' };
  await mailroom(['token:create', 'bench-admin'], env); // creates the database and runs the migrations
  const file = join(dir, 'mailroom.sqlite');
  seed(file);
  process.stderr.write(`seeded ${USERS} users with ${ACTIVITIES} pending activities each\n`);
  const load = loadavg()[0] as number;
  const run = await mailroom(['digest:run'], env);
  const db = new Database(file, { readonly: true });
  const queued = Number((db.prepare("select count(*) as n from outbox where kind = 'activity'").get() as { n: number }).n);
  const left = Number((db.prepare("select count(*) as n from activities where mail_state = 'pending'").get() as { n: number }).n);
  db.close();
  if (queued !== USERS || left !== 0) throw new Error(`expected ${USERS} digests and nothing pending, got ${queued} digests and ${left} pending activities (${run.out})`);
  console.log(`${USERS} users, each with ${ACTIVITIES} activities and a daily digest due now, one \`mailroom digest:run\` (SQLite), load average ${load.toFixed(2)} at start`);
  console.log(`bench digest: users=${USERS} queued_s=${run.seconds.toFixed(1)} rss=${run.rss.toFixed(0)}`);
} finally {
  await rm(dir, { recursive: true, force: true });
}
