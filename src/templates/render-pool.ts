import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { MailroomError, isErrorCode } from '../errors.ts';
import { createLiquidEngine, resolveLimits, type EngineLimits } from './liquid-engine.ts';
import type { TemplatePart } from './template-catalog.ts';
import type { RenderedMail, TemplateEngine } from './template-engine.ts';
import type { ComposedMessage } from '../message/compose-message.ts';
import type { FinishedReply, RenderReply, RenderRequest } from './render-worker.ts';

export interface RenderPoolOptions {
  /** The layout every html part is wrapped in (see LiquidEngineOptions). */
  layout?: string;
  limits?: Partial<EngineLimits>;
  /**
   * Long-lived worker threads; renders beyond them wait their turn. Default: one fewer than the
   * cores (at least 1, at most 4): the thread that queues and sends the rendered mails needs a
   * core of its own, and each render thread holds ~30 MiB.
   */
  size?: number;
  /** V8 old-generation heap of each worker, in MiB; a render that needs more ends the worker. */
  heapMb?: number;
}

interface Job {
  id: number;
  /** What failures name: the part, or `mail` for the parts of one mail. */
  part: TemplatePart | 'mail';
  request: RenderRequest;
  resolve(output: string | RenderedMail | FinishedReply): void;
  reject(error: MailroomError): void;
}

interface Slot {
  worker: Worker;
  ready: boolean;
  /** The jobs given to this worker, in the order it renders them; the first is under way. */
  jobs: Job[];
  timer: NodeJS.Timeout | undefined;
}

/**
 * Jobs given to a worker in one message. A message to a thread costs more than rendering a short
 * mail's parts, so a queue of them goes over a few at a time; the worker renders them one after
 * the other and answers each, which keeps every render's own deadline.
 */
const JOBS_PER_MESSAGE = 16;

/**
 * How to start the worker: dist/render-worker.mjs in the bundle (scripts/build.mjs makes it an
 * entry point; every chunk is in dist/, so the same relative URL finds it from whichever chunk
 * holds this code), or render-worker.ts when the sources run through tsx. A worker thread does
 * not inherit tsx's loader (neither `--import tsx` nor bin/mailroom.mjs's register()), so there
 * a two-line bootstrap registers it in the worker first.
 */
function workerEntry(): { script: URL | string; eval: boolean } {
  if (!import.meta.url.endsWith('.ts')) return { script: new URL('./render-worker.mjs', import.meta.url), eval: false };
  const tsx = JSON.stringify(import.meta.resolve('tsx/esm/api'));
  const worker = JSON.stringify(new URL('./render-worker.ts', import.meta.url).href);
  return { script: `import(${tsx}).then((tsx) => { tsx.register(); return import(${worker}); });`, eval: true };
}

/**
 * Renders in a small pool of long-lived worker threads, so a runaway template stops a worker,
 * never the server. LiquidJS renders synchronously and checks its time limit only between
 * steps; one filter call over a huge list ran 24 s on the server's own thread and blocked every
 * request. Here each render has a hard deadline (timeoutMs: the worker is ended and replaced)
 * and a heap of its own (heapMb: running out ends only that worker); the engine's budgets
 * (maxItems, maxWork) still stop almost every such template first, with a precise message.
 * Validation stays in this thread: it parses, which parseLimit bounds, and never renders.
 */
export function createRenderPool(options: RenderPoolOptions = {}): TemplateEngine & { close(): Promise<void> } {
  const limits = resolveLimits(options.limits);
  const local = createLiquidEngine({ ...(options.layout !== undefined ? { layout: options.layout } : {}), limits });
  const size = Math.max(1, options.size ?? Math.min(4, availableParallelism() - 1));
  const heapMb = options.heapMb ?? 96;
  const entry = workerEntry();
  const slots: Slot[] = [];
  const queue: Job[] = [];
  let nextId = 1;
  let closed = false;

  function spawn(): Slot {
    const worker = new Worker(entry.script, {
      eval: entry.eval,
      workerData: { layout: options.layout, limits },
      resourceLimits: { maxOldGenerationSizeMb: heapMb, maxYoungGenerationSizeMb: 16 },
    });
    const slot: Slot = { worker, ready: false, jobs: [], timer: undefined };
    worker.unref();
    worker.on('message', (message: unknown) => {
      if (message === 'ready') {
        slot.ready = true;
        dispatch();
        return;
      }
      const job = slot.jobs[0];
      // Our own worker's reply (render-worker.ts), not outside input: its shape is not re-checked.
      const reply = message as RenderReply;
      if (job === undefined || reply.id !== job.id) return;
      finish(slot);
      if (reply.ok) job.resolve(reply.output);
      else job.reject(new MailroomError(isErrorCode(reply.code) ? reply.code : 'template_render_failed', reply.message, reply.details === undefined ? {} : { details: reply.details }));
      dispatch();
    });
    worker.on('error', (error: Error & { code?: string }) => {
      const job = slot.jobs.shift();
      requeue(slot);
      if (!slot.ready) {
        // A worker that cannot even start (a broken install) would be started again and again.
        failQueued(new MailroomError('internal_error', `the template render worker could not start: ${error.message}`, { cause: error }));
      }
      remove(slot);
      if (job === undefined) return;
      if (error.code === 'ERR_WORKER_OUT_OF_MEMORY') {
        job.reject(new MailroomError('template_render_budget', `the ${job.part} template was stopped: it needed more than the ${heapMb} MiB a render may use`, { cause: error, details: { reason: 'memory', limit: heapMb } }));
      } else {
        job.reject(new MailroomError('template_render_failed', `the ${job.part} template could not be rendered: ${error.message}`, { cause: error }));
      }
    });
    worker.on('exit', () => {
      const job = slot.jobs.shift();
      requeue(slot);
      remove(slot);
      if (job !== undefined) job.reject(new MailroomError('template_render_failed', `the ${job.part} template could not be rendered: its worker stopped`));
    });
    slots.push(slot);
    return slot;
  }

  function failQueued(error: MailroomError): void {
    for (const job of queue.splice(0)) job.reject(error);
  }

  /** The first job answered: the next one's deadline starts, or the worker waits for work. */
  function finish(slot: Slot): void {
    clearTimeout(slot.timer);
    slot.timer = undefined;
    slot.jobs.shift();
    if (slot.jobs.length > 0) startDeadline(slot);
    else slot.worker.unref();
  }

  /** Jobs a worker had not started when it ended go back to the front of the queue, for another. */
  function requeue(slot: Slot): void {
    queue.unshift(...slot.jobs.splice(0));
  }

  function startDeadline(slot: Slot): void {
    const job = slot.jobs[0] as Job;
    slot.timer = setTimeout(() => {
      slot.jobs.shift();
      requeue(slot);
      remove(slot);
      void slot.worker.terminate();
      job.reject(new MailroomError('template_render_timeout', `the ${job.part} template did not finish rendering within ${limits.timeoutMs} ms and was stopped`, { details: { reason: 'deadline', limit: limits.timeoutMs } }));
    }, limits.timeoutMs);
  }

  /** Forgets a worker that ended; the next render starts a new one if needed. */
  function remove(slot: Slot): void {
    clearTimeout(slot.timer);
    const at = slots.indexOf(slot);
    if (at >= 0) slots.splice(at, 1);
    if (!closed) dispatch();
  }

  function dispatch(): void {
    while (queue.length > 0) {
      const slot = slots.find((s) => s.ready && s.jobs.length === 0);
      if (slot === undefined) {
        if (slots.length < size) spawn();
        return;
      }
      // Shared fairly: with more threads free than full messages, each takes its part.
      const free = slots.filter((s) => s.ready && s.jobs.length === 0).length + Math.max(0, size - slots.length);
      const take = Math.max(1, Math.min(JOBS_PER_MESSAGE, Math.ceil(queue.length / free)));
      const jobs = queue.splice(0, take);
      slot.jobs = jobs;
      // Held while jobs run, so a command that waits only for this render is not ended early.
      slot.worker.ref();
      try {
        slot.worker.postMessage({ jobs: jobs.map((job) => job.request) });
      } catch {
        // Data that cannot be copied to another thread (a function, a symbol) is not mail data;
        // it fails its own mail only, the others go one message each (the worker takes them in turn).
        slot.jobs = jobs.filter((job) => {
          try {
            slot.worker.postMessage({ jobs: [job.request] });
            return true;
          } catch (error) {
            job.reject(new MailroomError('template_render_failed', `the ${job.part} template data cannot be rendered: ${error instanceof Error ? error.message : String(error)}`, { cause: error }));
            return false;
          }
        });
      }
      if (slot.jobs.length > 0) startDeadline(slot);
      else slot.worker.unref();
    }
  }

  function run(part: TemplatePart | 'mail', request: (id: number) => RenderRequest): Promise<string | RenderedMail | FinishedReply> {
    if (closed) return Promise.reject(new MailroomError('internal_error', 'the render pool is closed'));
    return new Promise<string | RenderedMail | FinishedReply>((resolve, reject) => {
      const id = nextId++;
      queue.push({ id, part, request: request(id), resolve, reject });
      dispatch();
    });
  }

  return {
    ready: local.ready,
    validate: local.validate,
    render(source: string, part: TemplatePart, data: Record<string, unknown>): Promise<string> {
      return run(part, (id) => ({ id, source, part, data })) as Promise<string>;
    },
    renderMail(parts, data, layout): Promise<RenderedMail> {
      return run('mail', (id) => ({ id, mail: { subject: parts.subject, html: parts.html, text: parts.text }, data, layout })) as Promise<RenderedMail>;
    },
    async renderMessage(parts, data, layout, finish): Promise<ComposedMessage> {
      const done = (await run('mail', (id) => ({ id, mail: { subject: parts.subject, html: parts.html, text: parts.text }, data, layout, finish }))) as FinishedReply;
      return { ...done, raw: Buffer.from(done.raw.buffer, done.raw.byteOffset, done.raw.byteLength) };
    },
    async close(): Promise<void> {
      closed = true;
      const running = slots.splice(0);
      for (const job of queue.splice(0)) job.reject(new MailroomError('internal_error', 'the render pool is closed'));
      await Promise.all(running.map((slot) => slot.worker.terminate()));
    },
  };
}
