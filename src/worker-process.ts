import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { AppContext } from './context.ts';
import type { MetricsDelta } from './outbox/outbox-metrics.ts';

/** The messages `serve` and its worker process exchange over the IPC channel. */
export type WorkerMessage = { type: 'wake' } | { type: 'metrics'; delta: MetricsDelta };

export interface WorkerProcessHandle {
  /** SIGTERM, then waits for the worker to settle the mails it is sending and exit. */
  stop(): Promise<void>;
}

// bin/ is beside src/ and dist/ alike: the worker runs the way the user's `mailroom` does.
const binPath = fileURLToPath(new URL('../bin/mailroom.mjs', import.meta.url));

/**
 * `serve`'s outbox worker and digest scheduler, as `mailroom worker` in a process of its own, so
 * that sending has a core of its own and never waits behind an HTTP request on the same event
 * loop (and the other way round). A mail queued by `serve` wakes it at once over the IPC channel;
 * its counters come back every second for /metrics. When it ends unexpectedly it is started
 * again after 1 s, doubling up to 30 s while it keeps failing; its mails were leased, so a crash
 * costs at most one lease. If `serve` dies, the worker sees the channel close and stops as on
 * SIGTERM.
 */
export function startWorkerProcess(ctx: AppContext, env: NodeJS.ProcessEnv): WorkerProcessHandle {
  const log = ctx.log.child({ module: 'worker-process' });
  let child: ChildProcess | undefined;
  let stopping = false;
  let restartDelayMs = 1000;
  let wakeQueued = false;

  const start = () => {
    const started = Date.now();
    const c = spawn(process.execPath, ['--max-semi-space-size=4', binPath, 'worker', '--from-serve'], { env, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    child = c;
    c.on('message', (message: WorkerMessage) => {
      if (message.type === 'metrics') ctx.workerLink.addMetrics(message.delta);
    });
    c.on('error', (error) => log.error({ event: 'worker_process_error', err: error }, 'the worker process could not be started'));
    c.once('exit', (code, signal) => {
      if (child === c) child = undefined;
      if (stopping) return;
      if (Date.now() - started > 60_000) restartDelayMs = 1000;
      log.error({ event: 'worker_process_exited', code, signal, restartInMs: restartDelayMs }, `the worker process ended (${signal ?? `exit code ${code}`}); starting it again`);
      setTimeout(() => {
        if (!stopping) start();
      }, restartDelayMs);
      restartDelayMs = Math.min(restartDelayMs * 2, 30_000);
    });
  };

  // One wake-up per turn of the event loop, however many batches were queued in it.
  const unsubscribe = ctx.workerLink.onQueued(() => {
    if (wakeQueued) return;
    wakeQueued = true;
    setImmediate(() => {
      wakeQueued = false;
      if (child?.connected) child.send({ type: 'wake' } satisfies WorkerMessage);
    });
  });

  start();
  return {
    async stop() {
      stopping = true;
      unsubscribe();
      const c = child;
      if (!c || c.exitCode !== null || c.signalCode !== null) return;
      const exited = new Promise<void>((resolve) => c.once('exit', () => resolve()));
      c.kill('SIGTERM');
      await exited;
    },
  };
}
