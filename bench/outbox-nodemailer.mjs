// The peer for bench/outbox.ts: a plain nodemailer pool (maxConnections 8, 4 sends in flight per
// connection, no database) sending the same N mails to 127.0.0.1:SINK_PORT. Prints one JSON line.
// env: N, SINK_PORT, STYLE (composed: nodemailer builds each message | raw: pre-rendered messages)
import nodemailer from 'nodemailer';
import { benchText } from './bench-mail.mjs';

const n = Number(process.env.N ?? 20000);
const port = Number(process.env.SINK_PORT);
const style = process.env.STYLE ?? 'composed';
const from = 'mailroom@example.test';
const to = 'rcpt@example.test';
const date = new Date().toUTCString().replace('GMT', '+0000');
const body = benchText.replace(/\n/g, '\r\n');
const raw = (i) =>
  `From: Mailroom <${from}>\r\nTo: ${to}\r\nSubject: bench ${i}\r\nDate: ${date}\r\nMessage-ID: <${i}.${process.pid}@example.test>\r\nMIME-Version: 1.0\r\n` +
  `Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 7bit\r\nAuto-Submitted: auto-generated\r\n\r\n${body}`;

const transport = nodemailer.createTransport({ host: '127.0.0.1', port, secure: false, ignoreTLS: true, pool: true, maxConnections: 8, maxMessages: Infinity });
const t0 = performance.now();
const cpu0 = process.cpuUsage();
let next = 0;
const sender = async () => {
  while (next < n) {
    const i = next++;
    await transport.sendMail(style === 'raw' ? { envelope: { from, to: [to] }, raw: raw(i) } : { from: { name: 'Mailroom', address: from }, to, subject: `bench ${i}`, text: benchText });
  }
};
await Promise.all(Array.from({ length: 32 }, sender));
const secs = (performance.now() - t0) / 1000;
transport.close();
const cpu = process.cpuUsage(cpu0);
console.log(JSON.stringify({ n, style, secs, rate: n / secs, cpuUsPerMsg: (cpu.user + cpu.system) / n, rssMiB: process.resourceUsage().maxRSS / 1024 }));
