/**
 * The entry of a render worker thread (render-pool.ts starts it). It holds its own LiquidJS
 * engine and renders one template at a time; the pool ends the thread when a render passes its
 * deadline or its heap, so nothing a template does can hold up the server's own thread.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { z } from 'zod';
import { isMailroomError } from '../errors.ts';
import { createLiquidEngine } from './liquid-engine.ts';

const setupSchema = z.object({
  layout: z.string().optional(),
  limits: z.record(z.string(), z.number()).optional(),
});

const requestSchema = z.object({
  id: z.number(),
  source: z.string(),
  part: z.enum(['subject', 'html', 'text']),
  data: z.record(z.string(), z.unknown()),
});

/** What the worker answers; the pool turns a failure back into a MailroomError. */
export type RenderReply = { id: number; ok: true; output: string } | { id: number; ok: false; code: string; message: string; details?: Record<string, unknown> | undefined };

const port = parentPort;
if (port === null) throw new Error('render-worker.ts runs only as a worker thread');
const setup = setupSchema.parse(workerData);
const engine = createLiquidEngine({ ...(setup.layout !== undefined ? { layout: setup.layout } : {}), ...(setup.limits !== undefined ? { limits: setup.limits } : {}) });

port.on('message', (message: unknown) => {
  const request = requestSchema.safeParse(message);
  if (!request.success) return;
  const { id, source, part, data } = request.data;
  engine.render(source, part, data).then(
    (output) => port.postMessage({ id, ok: true, output } satisfies RenderReply),
    (error: unknown) => {
      const reply: RenderReply = isMailroomError(error)
        ? { id, ok: false, code: error.code, message: error.message, details: error.details === undefined ? undefined : { ...error.details } }
        : { id, ok: false, code: 'template_render_failed', message: `the ${part} template could not be rendered: ${error instanceof Error ? error.message : String(error)}` };
      port.postMessage(reply);
    },
  );
});
// Jobs are given only to a worker that said it is ready, so its deadline never counts loading.
port.postMessage('ready');
