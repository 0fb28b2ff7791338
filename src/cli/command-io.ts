/**
 * What the command groups share with the program that registers them: the dependencies main.ts
 * gives the CLI, what a command's action gets, and the exit code an action may set. A leaf of
 * cli/, so that program.ts can import every command group and each group these types.
 */
import type { Writable } from 'node:stream';
import type { Command } from 'commander';
import type { AppContext } from '../context.ts';
import type { MetricsDelta } from '../outbox/outbox-metrics.ts';

export interface ContextOptions {
  bootstrapAdmin?: boolean;
  /** The log level when MAILROOM_LOG_LEVEL is not set; info when undefined. */
  defaultLogLevel?: string | undefined;
  /** The db: commands that show, migrate or back up the schema open it as it is. */
  schemaAsIs?: boolean;
}

export interface WorkerProcessHandle {
  /** Stops the worker process the way SIGTERM stops `mailroom worker`, and waits for its end. */
  stop(): Promise<void>;
}

/** A worker process's side of its channel to `serve`. */
export interface ParentLink {
  /** `serve` queued mail: look now instead of at the next poll. */
  onWake(listener: () => void): void;
  /** Hands this process's delivery counters to `serve`, for its /metrics. */
  sendMetrics(delta: MetricsDelta): void;
  /** Resolves when `serve` is gone (the channel closed). */
  readonly gone: Promise<void>;
}

export interface RunningServer {
  readonly url: string;
  close(): Promise<void>;
}

export interface CliDeps {
  buildContext(options: ContextOptions): Promise<AppContext>;
  /** Starts HTTP (and, later, the worker) for `serve`; given by main.ts so cli/ never imports http/. */
  startServer(ctx: AppContext): Promise<RunningServer>;
  /**
   * `serve`: the outbox worker and the digests in a process of their own (`mailroom worker`),
   * so that sending runs on the second core. Without it, `serve` runs them in its own process.
   */
  startWorkerProcess?(ctx: AppContext): WorkerProcessHandle;
  /** `worker --from-serve`: the channel to the `serve` that started this process. */
  parent?: ParentLink | undefined;
  /** `worker`: /metrics and /healthz on MAILROOM_METRICS_PORT, when it is set. */
  startMetricsServer?(ctx: AppContext): Promise<RunningServer | undefined>;
  stdout: Writable;
  stderr: Writable;
  /** Resolves when the process is asked to stop (SIGTERM/SIGINT). */
  waitForStop?: () => Promise<void>;
  readStdin?: () => Promise<string>;
}

/** What a command's action gets: a context made on first use and closed after the command. */
export interface CommandIo {
  out(line: string): void;
  context(options?: ContextOptions): Promise<AppContext>;
  readInput(fileOrDash: string): Promise<string>;
  /** Resolves when the process is asked to stop (SIGTERM/SIGINT). */
  waitForStop(): Promise<void>;
  deps: CliDeps;
}

/** Lets an action end the command with exit code 1 after printing its own report. */
export function setExitCode(command: Command, code: number): void {
  let root: Command = command;
  while (root.parent) root = root.parent;
  (root as Command & { mailroomExitCode?: number }).mailroomExitCode = code;
}
