/**
 * GET /metrics behind MAILROOM_METRICS_TOKEN: Prometheus sends the token as a bearer token; no
 * token, a wrong one or another scheme is refused, and /healthz stays open for load balancers.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { isMailroomError } from '../../src/errors.ts';
import { startTestMailroom, type TestMailroom } from '../support/test-mailroom.ts';

const TOKEN = 'scrape-token-8c1d2e3f4a5b';

describe('GET /metrics with MAILROOM_METRICS_TOKEN set', () => {
  let mailroom: TestMailroom;
  let app: FastifyInstance;

  before(async () => {
    mailroom = await startTestMailroom({ prefix: 'mailroom-metrics-token-', env: { MAILROOM_METRICS_TOKEN: TOKEN }, http: 'inject' });
    app = mailroom.app;
  });

  after(async () => {
    await mailroom?.close();
  });

  const scrape = (authorization?: string) => app.inject({ method: 'GET', url: '/metrics', headers: authorization === undefined ? {} : { authorization } });

  it('answers the token as a bearer token with the metrics', async () => {
    const reply = await scrape(`Bearer ${TOKEN}`);
    assert.equal(reply.statusCode, 200);
    assert.match(String(reply.headers['content-type']), /^text\/plain/);
    assert.match(reply.body, /^mailroom_outbox_mails\{state="queued"\} 0$/m);
  });

  it('refuses no token, a wrong one, a longer one and another scheme with 401 unauthorized, naming the variable', async () => {
    for (const authorization of [undefined, 'Bearer wrong-token-of-some-length', `Bearer ${TOKEN}x`, `Basic ${Buffer.from(`x:${TOKEN}`).toString('base64')}`, TOKEN]) {
      const reply = await scrape(authorization);
      assert.equal(reply.statusCode, 401, String(authorization));
      const { error } = reply.json<{ error: { code: string; message: string } }>();
      assert.equal(error.code, 'unauthorized');
      assert.match(error.message, /MAILROOM_METRICS_TOKEN/);
      assert.doesNotMatch(reply.body, /mailroom_outbox_mails/);
      assert.ok(!reply.body.includes(TOKEN), 'the answer does not hold the token');
    }
  });

  it('keeps /healthz open', async () => {
    const reply = await app.inject({ method: 'GET', url: '/healthz' });
    assert.equal(reply.statusCode, 200);
    assert.equal(reply.json<{ status: string }>().status, 'ok');
  });

  it('refuses to start with a token shorter than 16 characters, naming the variable', async () => {
    await assert.rejects(startTestMailroom({ prefix: 'mailroom-metrics-token-', env: { MAILROOM_METRICS_TOKEN: 'short' } }), (error: unknown) => {
      assert.ok(isMailroomError(error));
      assert.equal(error.code, 'config_env_invalid');
      assert.equal(error.message, 'MAILROOM_METRICS_TOKEN: must be at least 16 characters (openssl rand -hex 16)');
      return true;
    });
  });
});
