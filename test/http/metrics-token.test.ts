/**
 * GET /metrics behind MAILROOM_METRICS_TOKEN: Prometheus sends the token as a bearer token; no
 * token, a wrong one or another scheme is refused, and /healthz stays open for load balancers.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../../src/context.ts';
import { isMailroomError } from '../../src/errors.ts';
import { buildApp } from '../../src/http/build-app.ts';
import { buildContext } from '../../src/main.ts';

const TOKEN = 'scrape-token-8c1d2e3f4a5b';

describe('GET /metrics with MAILROOM_METRICS_TOKEN set', () => {
  let dir: string;
  let ctx: AppContext;
  let app: FastifyInstance;

  const env = (extra: Record<string, string>): NodeJS.ProcessEnv => ({ PATH: process.env['PATH'], MAILROOM_DATA_DIR: dir, MAILROOM_CONFIG: join(dir, 'none.json'), ...extra });

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'mailroom-metrics-token-'));
    ctx = await buildContext({ env: env({ MAILROOM_METRICS_TOKEN: TOKEN }), cwd: dir, logLevel: 'silent' });
    app = buildApp(ctx);
    await app.ready();
  });

  after(async () => {
    await app?.close();
    await ctx?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
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
    await assert.rejects(buildContext({ env: env({ MAILROOM_METRICS_TOKEN: 'short' }), cwd: dir, logLevel: 'silent' }), (error: unknown) => {
      assert.ok(isMailroomError(error));
      assert.equal(error.code, 'config_env_invalid');
      assert.equal(error.message, 'MAILROOM_METRICS_TOKEN: must be at least 16 characters (openssl rand -hex 16)');
      return true;
    });
  });
});
