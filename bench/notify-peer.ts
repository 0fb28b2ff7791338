// The peer for bench/notify.ts: what a Node developer writes today to send the same share mails
// without Mailroom. For each mail: LiquidJS renders the shipped share template (subject, text,
// html inside the shipped layout), juice inlines the layout's CSS, and a nodemailer pool
// (8 connections, 32 sends in flight) sends it to 127.0.0.1:SINK_PORT. No database: a crash
// loses what is in flight. Prints one JSON line. env: N, SINK_PORT
import juice from 'juice';
import { Liquid } from 'liquidjs';
import nodemailer from 'nodemailer';
import { templates } from '../src/templates/defaults/en.ts';
import { layoutHtml } from '../src/templates/defaults/layout.ts';

const n = Number(process.env['N'] ?? 20000);
const port = Number(process.env['SINK_PORT']);
const liquid = new Liquid({ outputEscape: 'escape' });
const plain = new Liquid();
const share = templates.share;
const [subject, text, html, layout] = [plain.parse(share.subject), plain.parse(share.text), liquid.parse(share.html), liquid.parse(layoutHtml)];

const transport = nodemailer.createTransport({ host: '127.0.0.1', port, secure: false, ignoreTLS: true, pool: true, maxConnections: 8, maxMessages: Infinity });
const t0 = performance.now();
let next = 0;
const sender = async () => {
  while (next < n) {
    const i = next++;
    const data = {
      user: { display_name: `User ${i % 1000}` },
      sharer: 'Alice',
      file_name: `Report ${i}.odt`,
      link: `https://cloud.example.com/f/${i}`,
      note: 'The figures for Friday.',
      expiration: '',
      instance_name: 'Example Cloud',
      base_url: 'https://cloud.example.com',
    };
    const title = await plain.render(subject, data);
    const content = await liquid.render(html, data);
    const page = await liquid.render(layout, { ...data, content, title, lang: 'en', logo_url: '', accent_color: '#0082c9', footer: '' });
    await transport.sendMail({
      from: { name: 'Alice via Example Cloud', address: 'sharing-noreply@example.test' },
      to: `user${i % 1000}@example.test`,
      subject: title,
      text: await plain.render(text, data),
      html: juice(page),
    });
  }
};
await Promise.all(Array.from({ length: 32 }, sender));
const secs = (performance.now() - t0) / 1000;
transport.close();
console.log(JSON.stringify({ n, secs, rate: n / secs, rssMiB: process.resourceUsage().maxRSS / 1024 }));
