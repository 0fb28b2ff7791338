/**
 * Runs the `mailroom` command as a user runs it: `node bin/mailroom.mjs …` in a folder of its
 * own, with a clean environment. Shared by the CLI end-to-end tests.
 *
 * Every invocation costs about a second of start-up and more than a CPU-second (tsx loads the
 * sources), so runMailroom() lets only as many commands run at once as there are cores.
 */
import assert from 'node:assert/strict';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
export const mailroomBin = join(repoRoot, 'bin', 'mailroom.mjs');

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  cwd: string;
  env?: Record<string, string>;
  /** Written to standard input; without it standard input is closed at once. */
  input?: string;
}

/** The environment a user's shell would give: none of ours or the test runner's variables. */
export function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (name.startsWith('MAILROOM_') || name.startsWith('NODE_TEST')) continue;
    env[name] = value;
  }
  return { ...env, MAILROOM_LOG_LEVEL: 'warn', ...extra };
}

// Start-up is CPU-bound (about 1.5 CPU-seconds each); more commands at once than there are
// cores only makes each slower, so the groups share this many slots.
const maxCommands = Math.max(2, availableParallelism());
let runningCommands = 0;
const waitingCommands: Array<() => void> = [];

async function inSlot<T>(work: () => Promise<T>): Promise<T> {
  if (runningCommands < maxCommands) runningCommands++;
  else await new Promise<void>((resolve) => waitingCommands.push(resolve));
  try {
    return await work();
  } finally {
    // hand the slot to the next command, or give it back
    const next = waitingCommands.shift();
    if (next) next();
    else runningCommands--;
  }
}

/** Runs `node bin/mailroom.mjs ARGS`; resolves with the exit code, also when it is not 0. */
export function runMailroom(args: readonly string[], options: RunOptions): Promise<RunResult> {
  return inSlot(() => runOnce(args, options));
}

function runOnce(args: readonly string[], { cwd, env = {}, input }: RunOptions): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = execFile(process.execPath, [mailroomBin, ...args], { cwd, env: cleanEnv(env), timeout: 60_000, maxBuffer: 4 * 1024 * 1024, encoding: 'utf8' }, (error, stdout, stderr) => {
      if (error === null) return resolve({ code: 0, stdout, stderr });
      if (typeof error.code === 'number') return resolve({ code: error.code, stdout, stderr });
      reject(new Error(`mailroom ${args.join(' ')} did not finish (${error.signal ?? error.code ?? error.message}):\n${stderr}`, { cause: error }));
    });
    child.stdin?.end(input ?? '');
  });
}

/** Runs a command that must succeed; its stderr is in the failure message if it does not. */
export async function mailroomOk(args: readonly string[], options: RunOptions): Promise<RunResult> {
  const result = await runMailroom(args, options);
  assert.equal(result.code, 0, `mailroom ${args.join(' ')} exited with ${result.code}:\n${result.stderr}`);
  return result;
}

export interface ServingMailroom {
  readonly child: ChildProcess;
  /** What it wrote to standard error so far. */
  stderr(): string;
  /** Its exit code and signal, once it has exited. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** The first answer of GET /healthz; fails when serve exits first or has not answered within 30 s. */
  healthz(): Promise<Response>;
}

/** `mailroom serve` in `cwd` on 127.0.0.1:`port` with a clean environment, as `npm start` runs it. */
export function spawnServe(cwd: string, port: number): ServingMailroom {
  const child = spawn(process.execPath, [mailroomBin, 'serve'], { cwd, env: cleanEnv({ MAILROOM_PORT: String(port) }), stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  child.stdout.resume();
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  return {
    child,
    stderr: () => stderr,
    exited,
    async healthz() {
      const url = `http://127.0.0.1:${port}/healthz`;
      const deadline = Date.now() + 30_000;
      for (;;) {
        if (child.exitCode !== null) assert.fail(`serve exited with ${child.exitCode}:\n${stderr}`);
        const response = await fetch(url).catch(() => undefined);
        if (response !== undefined) return response;
        assert.ok(Date.now() < deadline, `serve did not answer on ${url}:\n${stderr}`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    },
  };
}
