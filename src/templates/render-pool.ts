import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { MailroomError, isErrorCode } from '../errors.ts';
import { createLiquidEngine, resolveLimits, type EngineLimits } from './liquid-engine.ts';
import type { TemplatePart } from './template-catalog.ts';
import type { RenderedMail, TemplateEngine } from './template-engine.ts';
import type { RenderReply, RenderRequest } from './render-worker.ts';

export interface RenderPoolOptions {
  /** The layout every html part is wrapped in (see LiquidEngineOptions). */
  layout?: string;
  limits?: Partial<EngineLimits>;
  /** Long-lived worker threads; renders beyond them wait their turn. Default: 2 (1 on one core). */
  size?: number;
  /** V8 old-generation heap of each worker, in MiB; a render that needs more ends the worker. */
  heapMb?: number;
}

interface Job {
  id: number;
  /** What failures name: the part, or `mail` for the parts of one mail. */
  part: TemplatePart | 'mail';
  request: RenderRequest;
  resolve(output: string | RenderedMail): void;
  reject(error: MailroomError): void;
}

interface Slot {
  worker: Worker;
  ready: boolean;
  job: Job | undefined;
  timer: NodeJS.Timeout | undefined;
}

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
  const size = Math.max(1, options.size ?? Math.min(2, availableParallelism()));
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
    const slot: Slot = { worker, ready: false, job: undefined, timer: undefined };
    worker.unref();
    worker.on('message', (message: unknown) => {
      if (message === 'ready') {
        slot.ready = true;
        dispatch();
        return;
      }
      const job = slot.job;
      // Our own worker's reply (render-worker.ts), not outside input: its shape is not re-checked.
      const reply = message as RenderReply;
      if (job === undefined || reply.id !== job.id) return;
      finish(slot);
      if (reply.ok) job.resolve(reply.output);
      else job.reject(new MailroomError(isErrorCode(reply.code) ? reply.code : 'template_render_failed', reply.message, reply.details === undefined ? {} : { details: reply.details }));
      dispatch();
    });
    worker.on('error', (error: Error & { code?: string }) => {
      const job = slot.job;
      slot.job = undefined;
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
      const job = slot.job;
      remove(slot);
      if (job !== undefined) job.reject(new MailroomError('template_render_failed', `the ${job.part} template could not be rendered: its worker stopped`));
    });
    slots.push(slot);
    return slot;
  }

  function failQueued(error: MailroomError): void {
    for (const job of queue.splice(0)) job.reject(error);
  }

  function finish(slot: Slot): void {
    clearTimeout(slot.timer);
    slot.timer = undefined;
    slot.job = undefined;
    slot.worker.unref();
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
      const slot = slots.find((s) => s.ready && s.job === undefined);
      if (slot === undefined) {
        if (slots.length < size) spawn();
        return;
      }
      const job = queue.shift() as Job;
      slot.job = job;
      // Held while a job runs, so a command that waits only for this render is not ended early.
      slot.worker.ref();
      slot.timer = setTimeout(() => {
        slot.job = undefined;
        remove(slot);
        void slot.worker.terminate();
        job.reject(new MailroomError('template_render_timeout', `the ${job.part} template did not finish rendering within ${limits.timeoutMs} ms and was stopped`, { details: { reason: 'deadline', limit: limits.timeoutMs } }));
      }, limits.timeoutMs);
      try {
        slot.worker.postMessage(job.request);
      } catch (error) {
        // Data that cannot be copied to another thread (a function, a symbol) is not mail data.
        finish(slot);
        job.reject(new MailroomError('template_render_failed', `the ${job.part} template data cannot be rendered: ${error instanceof Error ? error.message : String(error)}`, { cause: error }));
      }
    }
  }

  function run(part: TemplatePart | 'mail', request: (id: number) => RenderRequest): Promise<string | RenderedMail> {
    if (closed) return Promise.reject(new MailroomError('internal_error', 'the render pool is closed'));
    return new Promise<string | RenderedMail>((resolve, reject) => {
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
    async close(): Promise<void> {
      closed = true;
      const running = slots.splice(0);
      for (const job of queue.splice(0)) job.reject(new MailroomError('internal_error', 'the render pool is closed'));
      await Promise.all(running.map((slot) => slot.worker.terminate()));
    },
  };
}
