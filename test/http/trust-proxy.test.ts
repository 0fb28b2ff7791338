import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { simpleParser } from 'mailparser';
import { startTestMailroom, type TestMailroom } from '../support/test-mailroom.ts';
import { deliverQueued } from '../support/mail-fixtures.ts';

/** Six password-reset requests, each claiming (X-Forwarded-For) to come from another client. */
async function sixFromDifferentClients(app: FastifyInstance): Promise<number[]> {
  const statuses: number[] = [];
  for (let i = 1; i <= 6; i++) {
    const reply = await app.inject({ method: 'POST', url: '/api/v1/password-reset', payload: { user: 'nobody' }, headers: { 'x-forwarded-for': `203.0.113.${i}` } });
    statuses.push(reply.statusCode);
  }
  return statuses;
}

describe('MAILROOM_TRUST_PROXY: the client address behind a reverse proxy', () => {
  const mailrooms: TestMailroom[] = [];
  after(async () => {
    for (const mailroom of mailrooms) await mailroom.close();
  });
  async function mailroomWith(env: Record<string, string>): Promise<TestMailroom> {
    const mailroom = await startTestMailroom({ prefix: 'mailroom-proxy-', env, http: 'inject' });
    mailrooms.push(mailroom);
    return mailroom;
  }
  const appWith = async (env: Record<string, string>): Promise<FastifyInstance> => (await mailroomWith(env)).app;

  it('without it, X-Forwarded-For is ignored: all six come from the proxy, and the sixth is refused', async () => {
    assert.deepEqual(await sixFromDifferentClients(await appWith({})), [202, 202, 202, 202, 202, 429]);
  });

  it('with the proxy trusted, each client is limited on its own', async () => {
    assert.deepEqual(await sixFromDifferentClients(await appWith({ MAILROOM_TRUST_PROXY: '127.0.0.1, 10.0.0.0/8' })), [202, 202, 202, 202, 202, 202]);
  });

  it('an account mail names the client the trusted proxy forwarded, not the proxy', async () => {
    const { app, ctx } = await mailroomWith({ MAILROOM_TRUST_PROXY: '127.0.0.1', MAILROOM_MAIL_DOMAIN: 'cloud.example.com' });
    // A password to change: a first password is not announced.
    await ctx.users.add({ uid: 'pia', email: 'pia@example.com', password: 'Ember-Falcon-Harbor-1999', invite: false });
    const reply = await app.inject({
      method: 'PATCH',
      url: '/api/v1/users/pia',
      headers: { authorization: `Bearer ${await ctx.tokens.create('admin-script')}`, 'x-forwarded-for': '198.51.100.23', 'user-agent': 'Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0' },
      payload: { password: 'Quartz-Lantern-Meadow-2026' },
    });
    assert.equal(reply.statusCode, 200, reply.body);
    // The default mode is capture: the worker renders the owed mail and keeps it.
    await deliverQueued(ctx);
    const [kept] = await ctx.captured.list();
    assert.ok(kept, 'the password_changed mail was made');
    const mail = await simpleParser((await ctx.captured.show(kept.id)).raw);
    assert.equal(mail.subject, 'Your Mailroom password was changed');
    assert.match(mail.text ?? '', /^The change was made from 198\.51\.100\.23 \(Firefox on Windows\)\.$/m);
  });

  it('refuses a value that is not addresses or ranges, naming the variable', async () => {
    await assert.rejects(startTestMailroom({ prefix: 'mailroom-proxy-', env: { MAILROOM_TRUST_PROXY: 'everyone' } }), (error: { code?: string; message?: string }) => {
      assert.equal(error.code, 'config_env_invalid');
      assert.match(error.message ?? '', /MAILROOM_TRUST_PROXY/);
      return true;
    });
  });
});
