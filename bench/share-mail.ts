// CPU per share mail, rendered and composed to its final bytes as the notifications send it:
// createMailRenderer with the render pool (the server's engine) and the shipped share template,
// sample data for each mail, N mails with CONCURRENCY in flight. CPU is process.cpuUsage(), which
// counts every thread of the process (the pool's workers too). Reported without DKIM and with an
// RSA 2048 key, the median of RUNS.
// node --import tsx bench/share-mail.ts   env: MAILS (2000) CONCURRENCY (8) RUNS (5)
import { generateKeyPairSync } from 'node:crypto';
import { defaultSettings, type Settings } from '../src/config/settings-schema.ts';
import { layoutHtml } from '../src/templates/defaults/layout.ts';
import { createRenderPool } from '../src/templates/render-pool.ts';
import { createMailRenderer } from '../src/templates/render-mail.ts';
import { sampleData } from '../src/templates/sample-data.ts';
import { shippedParts } from '../src/templates/shipped-templates.ts';

const MAILS = Number(process.env['MAILS'] ?? 2000);
const CONCURRENCY = Number(process.env['CONCURRENCY'] ?? 8);
const RUNS = Number(process.env['RUNS'] ?? 5);

const pem = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
const plain: Settings = { ...defaultSettings(), mail_domain: 'cloud.example.com', instance_name: 'Example Cloud', base_url: 'https://cloud.example.com' };
const signed: Settings = { ...plain, mail_dkim_domain: 'cloud.example.com', mail_dkim_selector: 'mail2026', mail_dkim_private_key: pem };
const engine = createRenderPool({ layout: layoutHtml });
const renderer = createMailRenderer({ engine, partsOf: async (name, lang) => shippedParts(name, lang), clock: { now: () => new Date() } });
const data = sampleData('share', 'en');

async function run(settings: Settings): Promise<{ cpu: number; wall: number }> {
  let next = 0;
  const cpu = process.cpuUsage();
  const started = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next++ < MAILS) {
        await renderer.render({ template: 'share', to: { address: `user${next}@example.org`, displayName: 'Bob', uid: 'bob', language: 'en' }, data, unsubscribeUrl: 'https://cloud.example.com/unsubscribe?t=x', fromName: 'Alice via Example Cloud', replyTo: 'alice@example.org' }, settings);
      }
    }),
  );
  const used = process.cpuUsage(cpu);
  return { cpu: (used.user + used.system) / MAILS, wall: ((performance.now() - started) * 1000) / MAILS };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
for (const [name, settings] of [
  ['without DKIM', plain],
  ['with DKIM (RSA 2048)', signed],
] as const) {
  await run(settings); // warm up: start the workers, load juice, LiquidJS and html-to-text
  const cpu: number[] = [];
  const wall: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const r = await run(settings);
    cpu.push(r.cpu);
    wall.push(r.wall);
  }
  console.log(`share mail ${name}: ${median(cpu).toFixed(0)} µs CPU/mail (all threads), ${median(wall).toFixed(0)} µs wall/mail (${MAILS} mails, ${CONCURRENCY} in flight, median of ${RUNS})`);
}
await engine.close();
