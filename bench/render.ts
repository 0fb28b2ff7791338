// What rendering in worker threads costs per mail: the share template's three parts (subject,
// html with the layout, text) rendered with its sample data, in this thread (createLiquidEngine)
// and through the render pool (createRenderPool: a copy of the data to a worker and back), one
// mail at a time and with CONCURRENCY mails in flight. The median of RUNS is reported.
// node --import tsx bench/render.ts   env: MAILS (2000) CONCURRENCY (8) RUNS (5)
import { layoutHtml } from '../src/templates/defaults/layout.ts';
import { createLiquidEngine } from '../src/templates/liquid-engine.ts';
import { createRenderPool } from '../src/templates/render-pool.ts';
import { sampleData } from '../src/templates/sample-data.ts';
import { SHIPPED_TEMPLATES } from '../src/templates/shipped-templates.ts';
import type { TemplateEngine } from '../src/templates/template-engine.ts';

const MAILS = Number(process.env['MAILS'] ?? 2000);
const CONCURRENCY = Number(process.env['CONCURRENCY'] ?? 8);
const RUNS = Number(process.env['RUNS'] ?? 5);
const parts = SHIPPED_TEMPLATES.en.share;
const text = parts.text.trim() === '' ? 'Hi {{ user.display_name }}, {{ sharer }} shared {{ file_name }}: {{ link }}' : parts.text;
const sample = sampleData('share', 'en');
const data = { ...sample, lang: 'en', title: 'x', logo_url: '', accent_color: '#0082c9', footer: '' };

async function mail(engine: TemplateEngine): Promise<void> {
  await engine.render(parts.subject, 'subject', sample);
  await engine.render(parts.html, 'html', data);
  await engine.render(text, 'text', sample);
}

async function run(engine: TemplateEngine, concurrency: number): Promise<number> {
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next++ < MAILS) await mail(engine);
    }),
  );
  return ((performance.now() - started) * 1000) / MAILS;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
const inThread = createLiquidEngine({ layout: layoutHtml });
const pool = createRenderPool({ layout: layoutHtml });
for (const engine of [inThread, pool]) await run(engine, CONCURRENCY); // warm up (and start the workers)
for (const concurrency of [1, CONCURRENCY]) {
  const a: number[] = [];
  const b: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    a.push(await run(inThread, concurrency));
    b.push(await run(pool, concurrency));
  }
  console.log(`${concurrency} in flight: in this thread ${median(a).toFixed(0)} µs/mail, render pool ${median(b).toFixed(0)} µs/mail (${MAILS} mails, median of ${RUNS})`);
}
await pool.close();
