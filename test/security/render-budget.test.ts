// No render may stall the server: a template's work is bounded (ranges, lists, filters, loops),
// renders run in worker threads with a hard deadline and a heap of their own, a template that
// cannot render within budget is refused at save, and one that reached the database anyway
// fails its mails with template_render_budget while /healthz keeps answering.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../../src/context.ts';
import { MailroomError, type ErrorCode } from '../../src/errors.ts';
import { startTestMailroom, type TestMailroom } from '../support/test-mailroom.ts';
import { templates as enDefaults } from '../../src/templates/defaults/en.ts';
import { createLiquidEngine } from '../../src/templates/liquid-engine.ts';
import { createRenderPool } from '../../src/templates/render-pool.ts';
import { storeOverBudgetShareTemplate } from '../support/hostile-template.ts';
import { mailroomOk } from '../support/run-mailroom.ts';
import type { ApiErrorBody } from '../../src/http/error-handler.ts';

interface Reply {
  status: number;
  text: string;
}

const HEALTH_BUDGET_MS = 200;

// The issue's template, and ones that reach the same work with ends the save-time check cannot
// see (variables), so they are stopped while rendering.
const ISSUE = '{% assign a = (1..5000000) | sort: "x" %}';
const HOSTILE = [ISSUE, '{% assign n = 3000000 %}{% assign a = (1..n) | sort: "x" %}{{ a.first }}', '{% assign n = 5000000 %}{% assign a = (1..n) | sort: "x" %}{{ a.first }}', '{% assign n = 3000 %}{% for i in (1..n) %}{% for j in (1..n) %}{{ j }}{% endfor %}{% endfor %}'];

/** Lets `during` run while /healthz is asked every 20 ms; resolves with its result and the slowest answer. */
async function whileAskingHealth<T>(base: string, during: () => Promise<T>): Promise<{ result: T; slowest: number; asked: number }> {
  let slowest = 0;
  let asked = 0;
  let done = false;
  const poll = (async () => {
    while (!done) {
      const started = performance.now();
      const res = await fetch(`${base}/healthz`);
      await res.text();
      assert.equal(res.status, 200);
      slowest = Math.max(slowest, performance.now() - started);
      asked++;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  })();
  try {
    return { result: await during(), slowest, asked };
  } finally {
    done = true;
    await poll;
  }
}

describe('render budget: no render may stall the server', () => {
  let mailroom: TestMailroom;
  let ctx: AppContext;
  let app: FastifyInstance;
  let base: string;
  let token: string;
  let serviceToken: string;

  async function api(method: 'GET' | 'PUT' | 'POST', path: string, body?: unknown, bearer = token): Promise<Reply> {
    const res = await fetch(`${base}${path}`, {
      method,
      headers: { authorization: `Bearer ${bearer}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return { status: res.status, text: await res.text() };
  }

  const apiError = (reply: Reply) => (JSON.parse(reply.text) as ApiErrorBody).error;

  before(async () => {
    mailroom = await startTestMailroom({ prefix: 'mailroom-render-budget-', http: 'inject' });
    ({ ctx, app } = mailroom);
    token = await ctx.tokens.create('editor');
    serviceToken = await ctx.tokens.create('host-app', { scope: 'service' });
    base = await app.listen({ host: '127.0.0.1', port: 0 });
    for (const uid of ['alice', 'bob']) {
      const reply = await api('POST', '/api/v1/users', { uid, email: `${uid}@example.com`, display_name: uid, language: 'en' });
      assert.equal(reply.status, 201, reply.text);
    }
  });

  after(async () => {
    await mailroom?.close();
  });

  it('answers a hostile preview with template_render_budget while /healthz stays under 200 ms', async () => {
    for (const html of HOSTILE) {
      const started = performance.now();
      const { result, slowest, asked } = await whileAskingHealth(base, () => api('POST', '/api/v1/templates/share/en/preview', { html }));
      const took = performance.now() - started;
      assert.equal(result.status, 422, `${html}: ${result.text}`);
      assert.equal(apiError(result).code, 'template_render_budget', html);
      assert.ok(took < 5000, `${html} was answered after ${Math.round(took)} ms`);
      assert.ok(asked >= 1);
      assert.ok(slowest < HEALTH_BUDGET_MS, `/healthz took ${Math.round(slowest)} ms while rendering ${html}`);
    }
  });

  it('refuses to save a template that cannot render within budget on its preview data, with the reason', async () => {
    const before = JSON.parse((await api('GET', '/api/v1/templates/share/en')).text) as { versions: unknown[] };
    for (const html of HOSTILE) {
      const { result, slowest } = await whileAskingHealth(base, () => api('PUT', '/api/v1/templates/share/en', { subject: enDefaults.share.subject, html, text: '' }));
      assert.equal(result.status, 422, `${html}: ${result.text}`);
      const error = apiError(result);
      assert.equal(error.code, 'template_render_budget', html);
      assert.equal(error.details?.['part'], 'html');
      assert.ok(['items', 'work', 'memory', 'string'].includes(String(error.details?.['reason'])), result.text);
      assert.match(error.message, /^html: .*(at most|more than|than allowed)/, error.message);
      assert.match(error.message, /line 1, column \d+/);
      assert.ok(slowest < HEALTH_BUDGET_MS, `/healthz took ${Math.round(slowest)} ms while saving ${html}`);
    }
    const afterwards = JSON.parse((await api('GET', '/api/v1/templates/share/en')).text) as { versions: unknown[] };
    assert.equal(afterwards.versions.length, before.versions.length, 'nothing was stored');
    // A template of ordinary size still saves.
    const ok = await api('PUT', '/api/v1/templates/share/en', { subject: enDefaults.share.subject, html: '{% for i in (1..50) %}<p>{{ i }} {{ file_name }}</p>{% endfor %}', text: '' });
    assert.equal(ok.status, 200, ok.text);
  });

  it('fails a share mail whose stored template is hostile with template_render_budget, visible with its code, not a 500 and not a stall', async () => {
    storeOverBudgetShareTemplate(mailroom.dataDir);
    const event = { type: 'share.created', actor: 'alice', affected: ['bob'], object: { type: 'file', id: '42', name: 'plan.odt' } };
    // The request owes the mail and answers without rendering it.
    const answer = await api('POST', '/api/v1/events', { events: [event] }, serviceToken);
    assert.equal(answer.status, 202, answer.text);
    assert.equal((JSON.parse(answer.text) as { mails: number }).mails, 1);
    // The worker renders it: refused by the budget, while the server keeps answering.
    const worker = ctx.createWorker();
    const started = performance.now();
    const { slowest } = await whileAskingHealth(base, () => worker.runOnce());
    const took = performance.now() - started;
    await worker.stop();
    assert.ok(took < 5000, `rendered after ${Math.round(took)} ms`);
    assert.ok(slowest < HEALTH_BUDGET_MS, `/healthz took ${Math.round(slowest)} ms while the share mail rendered`);
    // The failed render stays visible with its code; no share mail was queued.
    const owed = JSON.parse((await api('GET', '/api/v1/outbox/owed')).text) as { owed: number; failed: number; failed_mails: Array<{ kind: string; code: string }> };
    assert.equal(owed.owed, 0);
    assert.deepEqual(
      owed.failed_mails.map((m) => [m.kind, m.code]),
      [['share', 'template_render_budget']],
    );
    const listed = JSON.parse((await api('GET', '/api/v1/outbox')).text) as { mails: Array<{ kind: string }> };
    assert.equal(listed.mails.filter((m) => m.kind === 'share').length, 0, 'no share mail queued');
    // The admin sees it on the command line too.
    const cli = await mailroomOk(['outbox:owed'], { cwd: mailroom.dir, env: { MAILROOM_DATA_DIR: mailroom.dataDir, MAILROOM_CONFIG: join(mailroom.dir, 'config.json') } });
    assert.match(cli.stdout, /^owed 0 {2}failed 1$/m);
    assert.match(cli.stdout, /^#\d+ {2}share {2}template_render_budget /m);
    // The server still renders: the preview of the default works.
    assert.equal((await api('POST', '/api/v1/templates/link_share/en/preview', {})).status, 200);
  });
});

describe('render budget: amplifiers are charged', () => {
  const engine = createLiquidEngine();

  async function code(source: string): Promise<string> {
    try {
      await engine.render(source, 'text', {});
      return 'rendered';
    } catch (error) {
      assert.ok(error instanceof MailroomError, String(error));
      return error.code;
    }
  }

  const cases: Array<[string, string, ErrorCode[]]> = [
    ['a range with literal ends over 10000 items', '{% for i in (1..100000) %}{% endfor %}', ['template_render_budget']],
    ['nested loops over ranges', '{% assign n = 2000 %}{% for i in (1..n) %}{% for j in (1..n) %}{% endfor %}{% endfor %}', ['template_render_budget']],
    ['sort, map, uniq, reverse, join and size over a huge list', '{% assign n = 200000 %}{% assign a = (1..n) %}{{ a | uniq | size }}', ['template_render_budget']],
    ['map over a huge list', '{% assign n = 200000 %}{% assign a = (1..n) | map: "x" %}', ['template_render_budget']],
    ['reverse over a huge list', '{% assign n = 200000 %}{% assign a = (1..n) | reverse %}', ['template_render_budget']],
    ['join over a huge list', '{% assign n = 200000 %}{{ (1..n) | join: "," }}', ['template_render_budget']],
    ['a huge list written out', '{% assign n = 200000 %}{{ (1..n) }}', ['template_render_budget']],
    ['a string doubled by append in a loop', '{% assign s = "ab" %}{% for i in (1..40) %}{% assign s = s | append: s %}{% endfor %}', ['template_render_budget']],
    ['a string doubled by capture in a loop', '{% assign s = "ab" %}{% for i in (1..40) %}{% capture s %}{{ s }}{{ s }}{% endcapture %}{% endfor %}', ['template_output_too_large', 'template_render_budget']],
    ['split into a huge list', '{% assign s = "a" %}{% for i in (1..18) %}{% assign s = s | append: s %}{% endfor %}{% assign p = s | split: "" %}', ['template_render_budget']],
    ['a list doubled by concat in a loop', '{% assign a = "a,b" | split: "," %}{% for i in (1..40) %}{% assign a = a | concat: a %}{% endfor %}', ['template_render_budget']],
    ['a replace that multiplies a text', '{% assign s = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" %}{% for i in (1..3) %}{% assign s = s | replace: "a", s %}{% endfor %}', ['template_render_budget']],
    ['a filter repeated in a long loop', '{% assign a = "x,y" | split: "," %}{% for i in (1..10000) %}{% for j in (1..10) %}{% assign b = a | sort | reverse | join: "," %}{% endfor %}{% endfor %}', ['template_render_budget']],
  ];
  for (const [what, source, expected] of cases) {
    it(`stops ${what}`, async () => {
      const started = performance.now();
      const got = await code(source);
      assert.ok(expected.includes(got as ErrorCode), `${source}: ${got}`);
      assert.ok(performance.now() - started < 2000, `${what} took ${Math.round(performance.now() - started)} ms`);
    });
  }

  it('leaves an ordinary digest far inside the budget', async () => {
    const activities = Array.from({ length: 50 }, (_, i) => ({ subject: `change ${i}`, file_name: `f${i}`, link: 'https://x', time: '09:00' }));
    const out = await engine.render('{% for a in activities %}{{ a.subject | upcase }} {{ a.file_name | append: "!" }}{% endfor %}{{ activities | map: "file_name" | sort | join: "," | size }}', 'text', { activities });
    assert.match(out, /CHANGE 49 f49!/);
  });
});

describe('render budget: the worker pool stops what the budgets miss', () => {
  it('ends a render that passes its deadline or its heap, keeps the event loop free, and renders again afterwards', async () => {
    // Budgets switched off: only the worker's deadline and heap stand between this and a stall.
    const pool = createRenderPool({ limits: { maxItems: 1e12, maxWork: 1e12, memoryLimit: 1e12, renderLimit: 1e9, timeoutMs: 300 }, size: 1, heapMb: 256 });
    try {
      assert.equal(await pool.render('warm {{ x }}', 'text', { x: 1 }), 'warm 1');
      let worstLag = 0;
      let last = performance.now();
      const lag = setInterval(() => {
        const now = performance.now();
        worstLag = Math.max(worstLag, now - last - 10);
        last = now;
      }, 10);
      const started = performance.now();
      try {
        await pool.render('{% assign n = 1500000 %}{% assign a = (1..n) | sort: "x" %}', 'text', {});
        assert.fail('the render should have been stopped');
      } catch (error) {
        assert.ok(error instanceof MailroomError, String(error));
        assert.ok(['template_render_timeout', 'template_render_budget'].includes(error.code), error.message);
      } finally {
        clearInterval(lag);
      }
      assert.ok(performance.now() - started < 4000, 'stopped near its deadline');
      assert.ok(worstLag < HEALTH_BUDGET_MS, `the event loop stalled for ${Math.round(worstLag)} ms`);
      assert.equal(await pool.render('again {{ x }}', 'text', { x: 2 }), 'again 2');
    } finally {
      await pool.close();
    }
  });
});
