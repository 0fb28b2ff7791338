/**
 * What the worker writes to the log about a delivered mail: a `mail_sent` line at debug level
 * (MAILROOM_LOG_LEVEL=debug), none at the default level, and never the message itself.
 */
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { describe, it } from 'node:test';
import { startTestMailroom } from '../support/test-mailroom.ts';

describe('the worker log of delivered mails', () => {
  async function deliverOne(level: string): Promise<Array<Record<string, unknown>>> {
    const lines: Array<Record<string, unknown>> = [];
    const destination = new Writable({
      write(chunk: Buffer, _encoding, done) {
        for (const line of chunk.toString('utf8').split('\n').filter(Boolean)) lines.push(JSON.parse(line) as Record<string, unknown>);
        done();
      },
    });
    const mailroom = await startTestMailroom({ prefix: 'mailroom-worker-log-', logLevel: level, logDestination: destination });
    const { ctx } = mailroom;
    const worker = ctx.createWorker();
    try {
      const [queued] = await ctx.outbox.send([{ to: 'dora@example.org', subject: 'Quarterly figures', text: 'The secret body text' }]);
      worker.start();
      const deadline = Date.now() + 10_000;
      while ((await ctx.outbox.show(queued?.id as number)).state !== 'sent') {
        if (Date.now() > deadline) assert.fail('the mail was not sent within 10 s');
        await new Promise((r) => setTimeout(r, 25));
      }
    } finally {
      await worker.stop();
      await mailroom.close();
    }
    return lines;
  }

  it('debug: one mail_sent line with the mail id and where it went, not its content', async () => {
    const lines = await deliverOne('debug');
    const sent = lines.filter((l) => l['event'] === 'mail_sent');
    assert.equal(sent.length, 1, JSON.stringify(lines));
    assert.equal(typeof sent[0]?.['mailId'], 'number');
    assert.equal(sent[0]?.['host'], 'capture');
    assert.ok(!JSON.stringify(lines).includes('The secret body text'));
  });

  it('info (the default): no line per delivered mail', async () => {
    const lines = await deliverOne('info');
    assert.equal(lines.filter((l) => l['event'] === 'mail_sent').length, 0);
    assert.ok(lines.length > 0, 'the log itself works at this level');
  });
});
