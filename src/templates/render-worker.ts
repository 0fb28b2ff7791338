/**
 * The entry of a render worker thread (render-pool.ts starts it). It holds its own LiquidJS
 * engine and renders one template at a time; the pool ends the thread when a render passes its
 * deadline or its heap, so nothing a template does can hold up the server's own thread.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { z } from 'zod';
import { isMailroomError } from '../errors.ts';
import { loadJuice } from './inline-css.ts';
import { createLiquidEngine } from './liquid-engine.ts';
import { finishRendered } from '../message/finish-message.ts';
import type { FinishJob, RenderedMail } from './template-engine.ts';

const setupSchema = z.object({
  layout: z.string().optional(),
  limits: z.record(z.string(), z.number()).optional(),
});

const requestSchema = z.union([
  z.object({ id: z.number(), source: z.string(), part: z.enum(['subject', 'html', 'text']), data: z.record(z.string(), z.unknown()) }),
  // The parts of one mail in one message: the data is copied to the thread once, not thrice.
  z.object({
    id: z.number(),
    mail: z.object({ subject: z.string(), html: z.string(), text: z.string() }),
    data: z.record(z.string(), z.unknown()),
    layout: z.record(z.string(), z.unknown()),
    // renderMessage: the finishing step too, here rather than on the thread that sends.
    finish: z.custom<FinishJob>((v) => typeof v === 'object' && v !== null).optional(),
  }),
]);

/** What the pool asks: one part (TemplateEngine.render) or the parts of one mail (renderMail). */
export type RenderRequest = z.infer<typeof requestSchema>;

/** Requests come a few to a message (render-pool.ts), answered one by one in their order. */
const batchSchema = z.object({ jobs: z.array(requestSchema) });

/** A finished message as it crosses back from the thread: its bytes arrive as a Uint8Array. */
export interface FinishedReply {
  raw: Uint8Array;
  messageId: string;
  envelope: { from: string; to: string[] };
  subject: string;
}

/** What the worker answers; the pool turns a failure back into a MailroomError. */
export type RenderReply = { id: number; ok: true; output: string | RenderedMail | FinishedReply } | { id: number; ok: false; code: string; message: string; details?: Record<string, unknown> | undefined };

const port = parentPort;
if (port === null) throw new Error('render-worker.ts runs only as a worker thread');
const setup = setupSchema.parse(workerData);
const engine = createLiquidEngine({ ...(setup.layout !== undefined ? { layout: setup.layout } : {}), ...(setup.limits !== undefined ? { limits: setup.limits } : {}) });

/** Renders one request and answers it; a failure is answered too, with its code. */
async function answer(job: RenderRequest): Promise<void> {
  const { id } = job;
  const part = 'mail' in job ? 'mail' : job.part;
  try {
    const output: string | RenderedMail | FinishedReply = 'mail' in job ? (job.finish ? await finishRendered(await engine.renderMail(job.mail, job.data, job.layout), job.finish) : await engine.renderMail(job.mail, job.data, job.layout)) : await engine.render(job.source, job.part, job.data);
    port?.postMessage({ id, ok: true, output } satisfies RenderReply);
  } catch (error) {
    const reply: RenderReply = isMailroomError(error)
      ? { id, ok: false, code: error.code, message: error.message, details: error.details === undefined ? undefined : { ...error.details } }
      : { id, ok: false, code: 'template_render_failed', message: `the ${part} template could not be rendered: ${error instanceof Error ? error.message : String(error)}` };
    port?.postMessage(reply);
  }
}

// One job after the other, across messages too: the pool's deadline for a job starts when the
// one before it is answered.
let turn: Promise<void> = Promise.resolve();
port.on('message', (message: unknown) => {
  const batch = batchSchema.safeParse(message);
  if (!batch.success) return;
  turn = turn.then(async () => {
    for (const job of batch.data.jobs) await answer(job);
  });
});
// Jobs are given only to a worker that said it is ready, so its deadline never counts loading:
// juice, which the engine inlines the layout's CSS with, is loaded before too.
if (setup.layout !== undefined) await loadJuice();
port.postMessage('ready');
