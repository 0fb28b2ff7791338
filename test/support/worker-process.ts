/**
 * `mailroom worker` as a user starts it: `node bin/mailroom.mjs worker` in a process of its own,
 * configured through the environment only. Used by the tests that kill workers, stop them with
 * SIGTERM or run several side by side. A safety net kills every worker still running when the
 * test process exits, so a failed assertion never leaves one behind.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { AppContext } from '../../src/context.ts';

const binPath = fileURLToPath(new URL('../../bin/mailroom.mjs', import.meta.url));
const projectDir = fileURLToPath(new URL('../../', import.meta.url));

export type WorkerEnv = Readonly<Record<string, string>>;

export interface WorkerExit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

export interface WorkerProcess {
  readonly pid: number;
  /** Resolves when the process has ended, however it ended. */
  readonly exited: Promise<WorkerExit>;
  /** Whether the process is still running. */
  running(): boolean;
  /** Everything it wrote to stdout and stderr so far (its log at MAILROOM_LOG_LEVEL). */
  output(): string;
  /** SIGKILL, as a crash or the OOM killer would; resolves once the process is gone. */
  crash(): Promise<WorkerExit>;
  /**
   * SIGTERM, then waits up to `timeoutMs` for the exit and reports how long it took. When it
   * does not exit in time it is killed and the result says so (`timedOut`).
   */
  stop(timeoutMs?: number): Promise<WorkerExit & { readonly ms: number; readonly timedOut: boolean }>;
}

const live = new Set<ChildProcess>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const child of live) child.kill('SIGKILL');
  });
}

/**
 * The environment of a worker: this process's environment without any MAILROOM_* variable (a
 * developer's own settings must not leak in), plus `env`. Without MAILROOM_CONFIG the worker
 * would read ./config/config.json, so callers point it at a file that does not exist.
 */
export function workerEnvironment(env: WorkerEnv): NodeJS.ProcessEnv {
  const clean: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (!name.startsWith('MAILROOM_') && value !== undefined) clean[name] = value;
  }
  return { ...clean, ...env };
}

/**
 * Starts `node bin/mailroom.mjs worker` with `env` (see workerEnvironment); `command` runs another
 * long-lived command instead, such as `['serve', '--no-worker']` for an API process.
 */
export function startWorker(env: WorkerEnv, command: readonly string[] = ['worker']): WorkerProcess {
  installExitHook();
  const child = spawn(process.execPath, [binPath, ...command], { cwd: projectDir, env: workerEnvironment(env), stdio: ['ignore', 'pipe', 'pipe'] });
  if (child.pid === undefined) throw new Error(`could not start ${binPath} ${command.join(' ')}`);
  const pid = child.pid;
  live.add(child);
  let output = '';
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  const exited = new Promise<WorkerExit>((resolve) => {
    child.once('exit', (code, signal) => {
      live.delete(child);
      resolve({ code, signal });
    });
  });
  const running = () => child.exitCode === null && child.signalCode === null;

  return {
    pid,
    exited,
    running,
    output: () => output,
    async crash() {
      if (running()) child.kill('SIGKILL');
      return exited;
    },
    async stop(timeoutMs = 15_000) {
      const started = performance.now();
      if (!running()) return { ...(await exited), ms: 0, timedOut: false };
      child.kill('SIGTERM');
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<'late'>((resolve) => {
        timer = setTimeout(() => resolve('late'), timeoutMs);
      });
      const outcome = await Promise.race([exited, late]);
      clearTimeout(timer);
      if (outcome === 'late') {
        child.kill('SIGKILL');
        return { ...(await exited), ms: performance.now() - started, timedOut: true };
      }
      return { ...outcome, ms: performance.now() - started, timedOut: false };
    },
  };
}

export interface WaitOptions {
  timeoutMs: number;
  intervalMs?: number;
}

/**
 * Polls `probe` until it returns something other than undefined. On time-out the error names
 * `what` and the last thing `describe` said about the state (e.g. the outbox counts).
 */
export async function waitUntil<T>(what: string, probe: () => Promise<T | undefined>, options: WaitOptions & { describe?: () => string }): Promise<T> {
  const deadline = Date.now() + options.timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() >= deadline) {
      throw new Error(`timed out after ${options.timeoutMs} ms waiting for ${what}${options.describe ? `; ${options.describe()}` : ''}`);
    }
    await new Promise((resolve) => setTimeout(resolve, options.intervalMs ?? 50));
  }
}

export type OutboxCounts = Readonly<Record<string, number>>;

/** Polls the outbox counts (one query each time) until `done(counts)` holds; returns those counts. */
export async function waitForCounts(ctx: AppContext, what: string, done: (counts: OutboxCounts) => boolean, options: WaitOptions & { workers?: readonly WorkerProcess[] }): Promise<OutboxCounts> {
  let last: OutboxCounts = {};
  return waitUntil(
    what,
    async () => {
      last = await ctx.outbox.counts();
      if (done(last)) return last;
      // A worker that died will not get there; say so now rather than at the time-out.
      const dead = (options.workers ?? []).find((w) => !w.running());
      if (dead) throw new Error(`worker ${dead.pid} ended while waiting for ${what} (counts ${JSON.stringify(last)}); its output:\n${dead.output()}`);
      return undefined;
    },
    { ...options, describe: () => `counts ${JSON.stringify(last)}` },
  );
}

/** Mail rows as outbox.list gives them (the fields these tests read). */
export interface ListedMail {
  readonly id: number;
  readonly messageId: string;
  readonly subject: string;
  readonly state: string;
  readonly attempts: number;
}

/** Every row of the outbox, newest first, read page by page. */
export async function listAllMails(ctx: AppContext): Promise<ListedMail[]> {
  const all: ListedMail[] = [];
  let beforeId: number | undefined;
  for (;;) {
    const page = (await ctx.outbox.list({ limit: 1000, beforeId })) as ListedMail[];
    all.push(...page);
    if (page.length < 1000) return all;
    beforeId = page.at(-1)?.id;
  }
}

/** Queues `count` mails to distinct recipients, each with the subject `<prefix> 0042`, 1000 per call. */
export async function enqueueMails(ctx: AppContext, prefix: string, count: number): Promise<void> {
  for (let start = 0; start < count; start += 1000) {
    const batch = [];
    for (let i = start; i < Math.min(start + 1000, count); i++) {
      const n = String(i).padStart(4, '0');
      batch.push({ to: `rcpt${n}@example.com`, subject: `${prefix} ${n}`, text: `mail ${n} of ${count}` });
    }
    await ctx.outbox.send(batch);
  }
}

/** How many times each value occurs. */
export function tally(values: Iterable<string>): Map<string, number> {
  const counts = new Map<string, number>();
  for (const value of values) counts.set(value, (counts.get(value) ?? 0) + 1);
  return counts;
}
