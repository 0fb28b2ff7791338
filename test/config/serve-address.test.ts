/**
 * Where links in mails lead while base_url is not set: the address Mailroom serves on. Before
 * serve ever listened, that is MAILROOM_HOST and MAILROOM_PORT; once it did, the address it
 * listened on, read from the database by every process, also one started with another
 * environment (a separate `mailroom worker`). A base_url set anywhere wins.
 */
import assert from 'node:assert/strict';
import { hostname } from 'node:os';
import { after, describe, it } from 'node:test';
import { buildContext } from '../../src/main.ts';
import { isLoopbackUrl, serveUrl } from '../../src/config/serve-address.ts';
import { startInstance, type TestInstance } from '../support/instance.ts';

describe('base_url while no one set it', () => {
  const instances: TestInstance[] = [];
  after(async () => {
    await Promise.all(instances.map((i) => i.close()));
  });

  const baseUrlView = async (instance: TestInstance) => {
    const r = await instance.api<{ settings: Array<{ key: string; value: unknown; source: string }> }>('GET', '/api/v1/settings/mail');
    assert.equal(r.status, 200, r.text);
    return r.body.settings.find((s) => s.key === 'base_url');
  };

  it('follows MAILROOM_HOST and MAILROOM_PORT, then the address serve listened on, in every process on the database', async () => {
    const instance = await startInstance({ env: { MAILROOM_PORT: '18100' } });
    instances.push(instance);
    assert.equal((await instance.ctx.settings.get()).base_url, 'http://127.0.0.1:18100');
    assert.deepEqual(await baseUrlView(instance), { key: 'base_url', value: 'http://127.0.0.1:18100', source: 'default', isSet: true, secret: false, locked: false, fileOnly: false });

    // serve listened on every interface: a browser cannot open 0.0.0.0, so the machine's name stands for it.
    await instance.ctx.recordServeAddress('0.0.0.0', 18200);
    assert.equal((await instance.ctx.settings.get()).base_url, `http://${hostname()}:18200`);

    // Another process on the same database, with an environment of its own (no MAILROOM_PORT).
    const other = await buildContext({ env: { PATH: process.env['PATH'], MAILROOM_DATA_DIR: `${instance.dir}/data`, MAILROOM_CONFIG: `${instance.dir}/config.json` }, cwd: instance.dir, logLevel: 'silent' });
    try {
      assert.equal((await other.settings.get()).base_url, `http://${hostname()}:18200`);
    } finally {
      await other.close();
    }

    const saved = await instance.api('PATCH', '/api/v1/settings/mail', { base_url: 'https://cloud.example.com/mail' });
    assert.equal(saved.status, 200, saved.text);
    assert.equal((await instance.ctx.settings.get()).base_url, 'https://cloud.example.com/mail');
    assert.equal((await baseUrlView(instance))?.source, 'database');
    // Unset: back to the address serve listens on.
    await instance.api('PATCH', '/api/v1/settings/mail', { base_url: null });
    assert.equal((await instance.ctx.settings.get()).base_url, `http://${hostname()}:18200`);
  });

  it('lets the environment set base_url over the address serve listens on', async () => {
    const instance = await startInstance({ env: { MAILROOM_PORT: '18100', MAILROOM_BASE_URL: 'https://mail.example.org' } });
    instances.push(instance);
    await instance.ctx.recordServeAddress('127.0.0.1', 18300);
    assert.equal((await instance.ctx.settings.get()).base_url, 'https://mail.example.org');
    assert.equal((await baseUrlView(instance))?.source, 'env');
  });

  it('writes addresses a browser opens', () => {
    assert.equal(serveUrl('127.0.0.1', 18100, 'box'), 'http://127.0.0.1:18100');
    assert.equal(serveUrl('::1', 18100, 'box'), 'http://[::1]:18100');
    assert.equal(serveUrl('::', 8080, 'box'), 'http://box:8080');
    assert.equal(serveUrl('mail.example.org', 80, 'box'), 'http://mail.example.org');
    assert.equal(isLoopbackUrl('http://127.0.0.1:8080'), true);
    assert.equal(isLoopbackUrl('http://localhost:8080/x'), true);
    assert.equal(isLoopbackUrl('http://[::1]:8080'), true);
    assert.equal(isLoopbackUrl('https://cloud.example.com'), false);
  });
});
