/**
 * Events, share mails, digests and unsubscribe links end to end: events go in through the HTTP
 * API (or the real CLI), mails come out of a real Postfix into its Maildir and are read as a mail
 * program reads them. Time is a fake clock moved forward by hand, so "the next full hour" or
 * "06:00 in Shanghai" costs nothing; the outbox worker and the SMTP conversation are real.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { simpleParser, type ParsedMail } from 'mailparser';
import type { AppContext, Clock } from '../../src/context.ts';
import type { OutboxRow } from '../../src/domain/outbox.ts';
import type { ErrorCode } from '../../src/errors.ts';
import { buildApp } from '../../src/http/build-app.ts';
import { buildContext } from '../../src/main.ts';
import type { OutboxWorker } from '../../src/outbox/outbox-worker.ts';
import { typeLabel } from '../../src/notifications/activity-text.ts';
import { translate } from '../../src/templates/catalogs.ts';
import { cloudSendingThrough } from '../support/mail-fixtures.ts';
import { assertChineseTypography } from '../support/zh-typography.ts';
import { runMailroom } from '../support/run-mailroom.ts';
import { readMaildir, startPostfix, startPostgres, type PostfixServer, type PostgresServer } from '../support/servers.ts';

const BASE_URL = 'https://cloud.example.com';
const INSTANCE = 'Example Cloud';
const MINUTE = 60_000;

/** A clock the test moves; it never goes back. */
class FakeClock implements Clock {
  #t: number;
  constructor(iso: string) {
    this.#t = Date.parse(iso);
  }
  now(): Date {
    return new Date(this.#t);
  }
  set(iso: string): void {
    const t = Date.parse(iso);
    assert.ok(t >= this.#t, `the clock only goes forward (${iso})`);
    this.#t = t;
  }
  advance(ms: number): void {
    this.#t += ms;
  }
}

interface Reply {
  status: number;
  contentType: string;
  text: string;
}

interface ApiOptions {
  /** Bearer token; the instance's admin token by default, null for none. */
  token?: string | null;
  body?: unknown;
  /** A body sent as given, with `contentType`. */
  raw?: string;
  contentType?: string;
  accept?: string;
}

interface EventsAnswer {
  ids: string[];
  duplicates: string[];
  activities: number;
  mails: number;
}

interface StreamEntry {
  type: string;
  subject: string;
  own: boolean;
  object: { type: string; name: string };
  mailed: boolean;
}

interface TypePreference {
  email: boolean;
  stream: boolean;
}

interface PreferencesAnswer {
  preferences: { frequency: string; own_actions: boolean; types: Record<string, TypePreference>; timezone: string; language: string };
}

interface Person {
  uid: string;
  display_name: string;
  email?: string | null;
  language?: 'en' | 'zh-CN';
  timezone?: string;
}

interface Instance {
  readonly tag: string;
  readonly dir: string;
  readonly ctx: AppContext;
  readonly app: FastifyInstance;
  readonly adminToken: string;
  api(method: 'GET' | 'POST' | 'PATCH', path: string, options?: ApiOptions): Promise<Reply>;
  /** An address of this instance's own domain, so each test finds its own mails in the shared Maildir. */
  address(uid: string): string;
  addPeople(...people: Person[]): Promise<void>;
  /** An app password acting as the user. */
  appPassword(uid: string): Promise<string>;
  postEvents(body: unknown, token?: string): Promise<EventsAnswer>;
  outboxRows(): Promise<OutboxRow[]>;
  /** The outbox rows of one kind addressed to one person. */
  rowsTo(uid: string, kind: 'share' | 'activity'): Promise<OutboxRow[]>;
  stream(uid: string): Promise<StreamEntry[]>;
  preferences(uid: string): Promise<PreferencesAnswer['preferences']>;
  /** Waits until the worker has handed every queued mail to Postfix. */
  drained(): Promise<void>;
}

function json<T>(reply: Reply): T {
  return JSON.parse(reply.text) as T;
}

function errorOf(reply: Reply): { code: ErrorCode; message: string } {
  return json<{ error: { code: ErrorCode; message: string } }>(reply).error;
}

function errorCode(reply: Reply): ErrorCode {
  return errorOf(reply).code;
}

/** A file event as a host cloud reports it. */
function fileEvent(type: string, actor: string | undefined, affected: string[], name: string, extra: Record<string, unknown> = {}) {
  return {
    type,
    ...(actor !== undefined ? { actor } : {}),
    affected,
    object: { type: 'file', id: `id-${name}`, name, path: `/Documents/${name}` },
    link: `${BASE_URL}/f/${encodeURIComponent(name)}`,
    ...extra,
  };
}

function count(haystack: string, needle: string): number {
  return haystack.split(needle).length - 1;
}

function listHeader(mail: ParsedMail): { unsubscribe?: { url?: string }; 'unsubscribe-post'?: { name?: string } } | undefined {
  // mailparser gathers the List-* headers under 'list'.
  return mail.headers.get('list') as { unsubscribe?: { url?: string }; 'unsubscribe-post'?: { name?: string } } | undefined;
}

/** The path of the mail's List-Unsubscribe URL, checked to be on base_url. */
function unsubscribePath(mail: ParsedMail): string {
  const url = listHeader(mail)?.unsubscribe?.url ?? '';
  assert.ok(url.startsWith(`${BASE_URL}/unsubscribe/`), `List-Unsubscribe points at ${BASE_URL}/unsubscribe/…: ${url}`);
  assert.equal(listHeader(mail)?.['unsubscribe-post']?.name, 'List-Unsubscribe=One-Click', 'List-Unsubscribe-Post offers one-click (RFC 8058)');
  return new URL(url).pathname;
}

describe('notifications end to end: events in, mails out of a real Postfix', () => {
  let postfix: PostfixServer;
  let postgres: PostgresServer | undefined;
  const dirs: string[] = [];
  const contexts: AppContext[] = [];
  const apps: FastifyInstance[] = [];
  const workers: OutboxWorker[] = [];
  let instances = 0;

  before(async () => {
    postfix = await startPostfix();
  });

  after(async () => {
    await Promise.all(workers.map((w) => w.stop()));
    await Promise.all(apps.map((a) => a.close()));
    await Promise.all(contexts.map((c) => c.close()));
    await postfix?.stop();
    await postgres?.stop();
    await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
  });

  async function tempDir(name: string): Promise<string> {
    const dir = await mkdtemp(join(tmpdir(), `mailroom-notify-${name}-`));
    dirs.push(dir);
    return dir;
  }

  /**
   * Mails Postfix delivered to an address, once at least `atLeast` are there: Postfix writes a mail
   * into the Maildir shortly after its 250, so a drained outbox does not mean delivered yet.
   */
  async function mailsTo(address: string, atLeast = 0): Promise<ParsedMail[]> {
    if (atLeast > 0) await nextMailTo(address, atLeast - 1);
    const delivered = (await readMaildir(postfix.maildir)).filter((m) => m.deliveredTo === address);
    return Promise.all(delivered.map((m) => simpleParser(m.raw)));
  }

  /** Waits for mail number `seen + 1` to an address (Maildir order: oldest first). */
  async function nextMailTo(address: string, seen: number): Promise<ParsedMail> {
    const deadline = Date.now() + 10_000;
    for (;;) {
      const delivered = (await readMaildir(postfix.maildir)).filter((m) => m.deliveredTo === address);
      const next = delivered[seen];
      if (next) return simpleParser(next.raw);
      if (Date.now() > deadline) throw new Error(`no mail number ${seen + 1} to ${address} after 10 s; it has ${delivered.length}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  /**
   * A Mailroom of its own (database, clock, API, worker) sending through the shared Postfix.
   * Each test gets one, so one test's pending activities never show up in another's digests.
   */
  async function newInstance(options: { clock?: Clock; env?: Record<string, string>; dataDir?: string; worker?: boolean } = {}): Promise<Instance> {
    const n = ++instances;
    const tag = `t${n}`;
    const dir = options.dataDir ?? (await tempDir(tag));
    const ctx = await buildContext({
      env: { MAILROOM_DATA_DIR: dir, MAILROOM_CONFIG: join(dir, 'none.json'), ...options.env },
      clock: options.clock ?? { now: () => new Date() },
      logLevel: 'silent',
    });
    contexts.push(ctx);
    await ctx.settings.update({ ...cloudSendingThrough(postfix), instance_name: INSTANCE, base_url: BASE_URL });
    const app = buildApp(ctx);
    apps.push(app);
    if (options.worker !== false) {
      const worker = ctx.createWorker();
      workers.push(worker);
      worker.start();
    }
    const adminToken = await ctx.tokens.create(`admin-${tag}`);
    const address = (uid: string) => `${uid}@${tag}.example.org`;

    const api = async (method: 'GET' | 'POST' | 'PATCH', path: string, o: ApiOptions = {}): Promise<Reply> => {
      const headers: Record<string, string> = {};
      const bearer = o.token === undefined ? adminToken : o.token;
      if (bearer !== null) headers['authorization'] = `Bearer ${bearer}`;
      if (o.accept !== undefined) headers['accept'] = o.accept;
      let payload: string | undefined;
      if (o.raw !== undefined) {
        payload = o.raw;
        headers['content-type'] = o.contentType ?? 'application/json';
      } else if (o.body !== undefined) {
        payload = JSON.stringify(o.body);
        headers['content-type'] = 'application/json';
      }
      const res = await app.inject({ method, url: path, headers, ...(payload !== undefined ? { payload } : {}) });
      return { status: res.statusCode, contentType: String(res.headers['content-type'] ?? ''), text: res.body };
    };
    const outboxRows = async () => (await ctx.outbox.list({ limit: 1000 })) as OutboxRow[];
    const appPasswords = new Map<string, string>();
    const appPassword = async (uid: string) => {
      let token = appPasswords.get(uid);
      if (!token) {
        token = await ctx.tokens.create(`app-${uid}`, { uid });
        appPasswords.set(uid, token);
      }
      return token;
    };

    return {
      tag,
      dir,
      ctx,
      app,
      adminToken,
      api,
      address,
      async addPeople(...people) {
        for (const p of people) {
          await ctx.users.add({ ...p, email: p.email === undefined ? address(p.uid) : p.email, invite: false });
        }
      },
      appPassword,
      async postEvents(body, token) {
        const reply = await api('POST', '/api/v1/events', { body, ...(token !== undefined ? { token } : {}) });
        assert.equal(reply.status, 202, reply.text);
        return json<EventsAnswer>(reply);
      },
      outboxRows,
      async rowsTo(uid, kind) {
        return (await outboxRows()).filter((r) => r.kind === kind && r.recipients.includes(address(uid)));
      },
      async stream(uid) {
        const reply = await api('GET', '/api/v1/me/activities', { token: await appPassword(uid) });
        assert.equal(reply.status, 200, reply.text);
        return json<{ activities: StreamEntry[] }>(reply).activities;
      },
      async preferences(uid) {
        const reply = await api('GET', `/api/v1/users/${uid}/preferences`);
        assert.equal(reply.status, 200, reply.text);
        return json<PreferencesAnswer>(reply).preferences;
      },
      async drained() {
        const deadline = Date.now() + 15_000;
        while ((await ctx.outbox.pending()) > 0) {
          if (Date.now() > deadline) throw new Error(`the outbox did not drain: ${JSON.stringify(await ctx.outbox.counts())}`);
          await new Promise((resolve) => setTimeout(resolve, 25));
        }
        const counts = await ctx.outbox.counts();
        assert.equal(counts['failed'] ?? 0, 0, `no mail failed: ${JSON.stringify(counts)}`);
      },
    };
  }

  const alice: Person = { uid: 'alice', display_name: 'Alice Archer' };
  const bob: Person = { uid: 'bob', display_name: 'Bob Berg' };

  describe('a share, its mail and its unsubscribe link', () => {
    let m: Instance;
    let clock: FakeClock;
    let shareMail: ParsedMail;

    before(async () => {
      clock = new FakeClock('2026-03-10T09:10:00Z');
      m = await newInstance({ clock });
      await m.addPeople(alice, bob, { uid: 'carol', display_name: 'Carol Chen' });
    });

    it('POST /events share.created answers 202 once committed, and bob receives the share mail', async () => {
      // A second connection to the same database sees only what was committed.
      const observer = await buildContext({ env: { MAILROOM_DATA_DIR: m.dir, MAILROOM_CONFIG: join(m.dir, 'none.json') }, clock, logLevel: 'silent' });
      contexts.push(observer);
      const answer = await m.postEvents(
        fileEvent('share.created', 'alice', ['bob'], 'Q3 report.pdf', {
          id: 'share-q3',
          link: `${BASE_URL}/s/q3`,
          data: { note: 'Please check the numbers by Friday.', expiration: '2026-12-31' },
        }),
      );
      // Committed before the answer: still owed, or already rendered into the outbox by the worker
      // (read in this order, a mail rendered in between is seen in the outbox).
      const owed = (await observer.outbox.owed()).owed;
      const queued = ((await observer.outbox.list({ limit: 100 })) as OutboxRow[]).filter((r) => r.kind === 'share');
      assert.ok(owed === 1 || (queued.length === 1 && queued[0]?.recipients[0] === m.address('bob')), `the share mail was committed before the answer (owed ${owed}, queued ${queued.length})`);
      assert.deepEqual(answer, { ids: ['share-q3'], duplicates: [], activities: 2, mails: 1 });

      shareMail = await nextMailTo(m.address('bob'), 0);
      assert.equal(shareMail.subject, 'Alice Archer shared »Q3 report.pdf« with you');
      assert.equal(shareMail.from?.value[0]?.name, `Alice Archer via ${INSTANCE}`);
      assert.equal(shareMail.from?.value[0]?.address, 'mailroom@cloud.example.com');
      assert.equal(shareMail.replyTo?.value[0]?.address, m.address('alice'), 'a reply goes to alice');
      assert.equal(shareMail.headers.get('auto-submitted'), 'auto-generated');
      const text = shareMail.text ?? '';
      const html = typeof shareMail.html === 'string' ? shareMail.html : '';
      for (const [what, part] of [
        ['text', text],
        ['html', html],
      ] as const) {
        assert.ok(part.includes(`${BASE_URL}/s/q3`), `the ${what} part has the link`);
        assert.ok(part.includes('Q3 report.pdf'), `the ${what} part names the file`);
        assert.ok(part.includes('Please check the numbers by Friday.'), `the ${what} part has the note`);
        assert.match(part, /expires on Dec 31, 2026/, `the ${what} part has the expiration`);
      }
      unsubscribePath(shareMail);
      assert.deepEqual(await m.rowsTo('alice', 'share'), [], 'alice shared it: she gets no share mail');
      const own = await m.stream('alice');
      assert.deepEqual(
        own.map((a) => [a.subject, a.object.name, a.own]),
        [['You shared a file', 'Q3 report.pdf', true]],
      );
    });

    it('the same event id posted again is accepted once: one mail, and the answer lists it as a duplicate', async () => {
      const again = await m.postEvents(fileEvent('share.created', 'alice', ['bob'], 'Q3 report.pdf', { id: 'share-q3', link: `${BASE_URL}/s/q3` }));
      assert.deepEqual(again, { ids: ['share-q3'], duplicates: ['share-q3'], activities: 0, mails: 0 });
      const inBatch = await m.postEvents({ events: [fileEvent('share.created', 'alice', ['bob'], 'Q3 report.pdf', { id: 'share-q3' }), fileEvent('file.changed', 'alice', ['bob'], 'Q3 report.pdf', { id: 'change-q3' })] });
      assert.deepEqual(inBatch.duplicates, ['share-q3']);
      assert.equal(inBatch.mails, 0);
      await m.drained();
      assert.equal((await m.rowsTo('bob', 'share')).length, 1, 'one share mail in the outbox');
      assert.equal((await mailsTo(m.address('bob'), 1)).length, 1, 'one share mail delivered');
      assert.equal((await m.stream('bob')).filter((a) => a.type === 'share.created').length, 1, 'one share activity');
    });

    it('the same new event id posted twice at once, or twice in one batch, is still one mail', async () => {
      const event = fileEvent('share.created', 'alice', ['carol'], 'draft.docx', { id: 'share-draft' });
      const answers = await Promise.all([m.postEvents(event), m.postEvents(event), m.postEvents({ events: [event, event] })]);
      assert.deepEqual(answers.map((a) => a.mails).sort(), [0, 0, 1], `one request queued the mail: ${JSON.stringify(answers)}`);
      assert.deepEqual(answers[2]?.ids, ['share-draft', 'share-draft']);
      assert.ok(answers[2]?.duplicates.includes('share-draft'), 'the second copy in the batch is a duplicate');
      await m.drained();
      assert.equal((await m.rowsTo('carol', 'share')).length, 1);
      assert.equal((await mailsTo(m.address('carol'), 1)).length, 1);
    });

    it("GET on the mail's unsubscribe link shows a confirmation page and changes nothing", async () => {
      const path = unsubscribePath(shareMail);
      for (const prefix of ['', '/api/v1']) {
        const page = await m.api('GET', `${prefix}${path}`, { token: null, accept: 'text/html' });
        assert.equal(page.status, 200, page.text);
        assert.match(page.contentType, /^text\/html/);
        assert.ok(page.text.includes('Stop emails about files and folders shared with you?'), page.text);
        assert.match(page.text, /<form method="post">/);
      }
      assert.equal((await m.preferences('bob')).types['share.created']?.email, true, 'still on after GET');
    });

    it("shows the unsubscribe page in the link holder's language: German, and Arabic laid out right to left", async () => {
      const path = unsubscribePath(shareMail);
      try {
        for (const language of ['de', 'ar'] as const) {
          assert.equal((await m.api('PATCH', '/api/v1/users/bob', { body: { language } })).status, 200);
          const page = await m.api('GET', path, { token: null, accept: 'text/html' });
          assert.equal(page.status, 200, page.text);
          assert.match(page.text, new RegExp(`<html lang="${language}" dir="${language === 'ar' ? 'rtl' : 'ltr'}">`));
          assert.ok(page.text.includes(`<button type="submit">${translate(language, 'unsubscribe.button')}</button>`), page.text);
          assert.ok(page.text.includes(typeLabel('share.created', language)), `names what stops, in ${language}: ${page.text}`);
          assert.doesNotMatch(page.text, /Stop emails about/);
        }
      } finally {
        await m.api('PATCH', '/api/v1/users/bob', { body: { language: 'en' } });
      }
      assert.equal((await m.preferences('bob')).types['share.created']?.email, true, 'still on after GET');
    });

    it('a tampered token is refused with unsubscribe_token_invalid and changes nothing', async () => {
      const path = unsubscribePath(shareMail);
      const token = path.split('/').at(-1) as string;
      const [uid, , signature] = token.split('~');
      const tampered = [`${token.slice(0, -1)}${token.endsWith('A') ? 'B' : 'A'}`, `${uid}~0.1.2.3.4.5.6.7~${signature}`, `${Buffer.from('alice').toString('base64url')}~0~${signature}`];
      for (const bad of tampered) {
        const post = await m.api('POST', `/unsubscribe/${bad}`, { token: null, raw: 'List-Unsubscribe=One-Click', contentType: 'application/x-www-form-urlencoded' });
        assert.equal(post.status, 400, post.text);
        assert.equal(errorCode(post), 'unsubscribe_token_invalid');
        const page = await m.api('GET', `/unsubscribe/${bad}`, { token: null });
        assert.equal(page.status, 400);
        assert.match(page.text, /This unsubscribe link is not valid/);
      }
      for (const who of ['alice', 'bob']) {
        const prefs = await m.preferences(who);
        for (const [type, pref] of Object.entries(prefs.types)) assert.equal(pref.email, true, `${who}: ${type} still on`);
      }
    });

    it('the one-click POST turns share mails off for bob; the next share sends him nothing but is still listed', async () => {
      const post = await m.api('POST', unsubscribePath(shareMail), { token: null, raw: 'List-Unsubscribe=One-Click', contentType: 'application/x-www-form-urlencoded' });
      assert.equal(post.status, 200, post.text);
      assert.deepEqual(json(post), { ok: true, types: ['share.created'] });
      const prefs = await m.preferences('bob');
      assert.equal(prefs.types['share.created']?.email, false);
      assert.equal(prefs.types['share.created']?.stream, true, 'the activity list keeps showing shares');
      assert.equal(prefs.types['file.changed']?.email, true, 'other mails stay on');

      clock.set('2026-03-10T09:30:00Z');
      const answer = await m.postEvents(fileEvent('share.created', 'alice', ['bob'], 'Q4 plan.pdf', { id: 'share-q4' }));
      assert.equal(answer.mails, 0, 'no share mail queued');
      assert.equal(answer.activities, 2);
      assert.equal((await m.rowsTo('bob', 'share')).length, 1, 'still only the first share mail');
      assert.ok(
        (await m.stream('bob')).some((a) => a.type === 'share.created' && a.object.name === 'Q4 plan.pdf'),
        "the share is in bob's activity list",
      );
      // Nor does it come later in a digest. (The file.changed from the batch above does.)
      clock.set('2026-03-10T10:00:30Z');
      await m.ctx.digests.runDue();
      await m.drained();
      const digests = await mailsTo(m.address('bob'), 2);
      assert.equal(digests.length, 2, 'the share mail, then one digest');
      const digest = digests[1] as ParsedMail;
      assert.equal(digest.subject, `Recent activity on ${INSTANCE}`);
      assert.ok(!(digest.text ?? '').includes('Q4 plan.pdf'), 'the unsubscribed share is not in the digest');
      assert.match(digest.text ?? '', /Alice Archer changed the file »Q3 report\.pdf«/);
    });
  });

  describe('hourly digests', () => {
    let m: Instance;
    let clock: FakeClock;
    let firstDigest: ParsedMail;

    before(async () => {
      clock = new FakeClock('2026-03-10T09:10:00Z');
      m = await newInstance({ clock });
      await m.addPeople(alice, bob);
    });

    it('nothing before the full hour; after it exactly one digest with every activity, oldest first', async () => {
      await m.postEvents(fileEvent('file.changed', 'bob', ['alice'], 'budget.xlsx'));
      clock.set('2026-03-10T09:25:00Z');
      await m.postEvents(fileEvent('comment.created', 'bob', ['alice'], 'plan.md'));
      clock.set('2026-03-10T09:40:00Z');
      await m.postEvents(fileEvent('file.changed', 'bob', ['alice'], 'notes.txt'));

      assert.deepEqual(await m.ctx.digests.runDue(), { digests: 0, activities: 0, skipped: 0 }, 'at 09:40 nothing is due');
      clock.set('2026-03-10T09:59:59Z');
      assert.deepEqual(await m.ctx.digests.runDue(), { digests: 0, activities: 0, skipped: 0 }, 'at 09:59:59 nothing is due');
      assert.deepEqual(await m.rowsTo('alice', 'activity'), []);

      clock.set('2026-03-10T10:00:30Z');
      assert.deepEqual(await m.ctx.digests.runDue(), { digests: 1, activities: 3, skipped: 0 });
      firstDigest = await nextMailTo(m.address('alice'), 0);
      assert.equal(firstDigest.subject, `Recent activity on ${INSTANCE}`);
      assert.equal(firstDigest.from?.value[0]?.name, INSTANCE);
      const text = firstDigest.text ?? '';
      assert.match(text, /Hi Alice Archer,/);
      const order = ['budget.xlsx', 'plan.md', 'notes.txt'].map((f) => text.indexOf(f));
      assert.ok(
        order.every((i) => i >= 0),
        `every activity is listed:\n${text}`,
      );
      assert.deepEqual(
        [...order].sort((x, y) => x - y),
        order,
        `oldest first:\n${text}`,
      );
      assert.equal(count(text, 'Bob Berg changed the file »'), 2);
      // Each line names its file, then the time in the reader's zone (UTC), then the file's link.
      assert.match(text, /\* Bob Berg changed the file »budget\.xlsx«\n\s+Mar 10, 2026, 9:10\sAM\n\s+https:\/\/cloud\.example\.com\/f\/budget\.xlsx\n/, text);
      assert.match(text, /\* Bob Berg commented on the file »plan\.md«\n/);
      // The HTML line is one link, the whole sentence, to the file.
      assert.match(firstDigest.html as string, /<a href="https:\/\/cloud\.example\.com\/f\/plan\.md"[^>]*>Bob Berg commented on the file »plan\.md«<\/a>/);
      // No URL is repeated in the text part: one for each file, the settings, the unsubscribe link and the home page once.
      const urls: string[] = text.match(/https?:\/\/\S+/g) ?? [];
      assert.deepEqual(
        urls.filter((u, i) => urls.indexOf(u) !== i),
        [],
        text,
      );
      assert.equal(text.split('\n').filter((line) => line.trim() === BASE_URL).length, 1, 'the home page once, in the signature');
      assert.ok(text.includes(`${BASE_URL}/personal#notifications`), 'the settings link');
      assert.ok(text.includes(listHeader(firstDigest)?.unsubscribe?.url ?? '(none)'), "the unsubscribe link in the text is the header's");

      assert.deepEqual(await m.ctx.digests.runDue(), { digests: 0, activities: 0, skipped: 0 }, 'running again queues nothing more');
      await m.drained();
      assert.equal((await m.rowsTo('alice', 'activity')).length, 1);
      assert.equal((await mailsTo(m.address('alice'), 1)).length, 1, 'exactly one digest arrived');
      assert.deepEqual(await m.rowsTo('bob', 'activity'), [], "bob's own actions are not mailed to him");
    });

    it('an activity after the hour waits for the next digest, which holds only it', async () => {
      clock.set('2026-03-10T10:05:00Z');
      await m.postEvents(fileEvent('file.changed', 'bob', ['alice'], 'late.txt', { link: undefined }));
      clock.set('2026-03-10T10:59:00Z');
      assert.equal((await m.ctx.digests.runDue()).digests, 0);
      clock.set('2026-03-10T11:00:30Z');
      assert.deepEqual(await m.ctx.digests.runDue(), { digests: 1, activities: 1, skipped: 0 });
      const second = await nextMailTo(m.address('alice'), 1);
      assert.ok((second.text ?? '').includes('late.txt'));
      assert.ok((second.text ?? '').includes(`${BASE_URL}/f/id-late.txt`), 'an event without a link leads to its file by id');
      assert.ok(!(second.text ?? '').includes('budget.xlsx'), 'nothing is mailed twice');
    });

    it("the digest's unsubscribe link turns off exactly the types in that digest", async () => {
      const reply = await m.api('POST', unsubscribePath(firstDigest), { token: null, raw: 'List-Unsubscribe=One-Click', contentType: 'application/x-www-form-urlencoded', accept: 'text/html,application/xhtml+xml' });
      assert.equal(reply.status, 200, reply.text);
      assert.match(reply.contentType, /^text\/html/);
      assert.ok(reply.text.includes('You will no longer get emails about changed files and comments.'), reply.text);
      const prefs = await m.preferences('alice');
      assert.deepEqual(
        Object.entries(prefs.types)
          .filter(([, p]) => !p.email)
          .map(([t]) => t)
          .sort(),
        ['comment.created', 'file.changed'],
      );
      assert.equal(prefs.frequency, 'hourly');

      clock.set('2026-03-10T11:10:00Z');
      await m.postEvents({ events: [fileEvent('file.changed', 'bob', ['alice'], 'after-unsubscribe.txt'), fileEvent('file.deleted', 'bob', ['alice'], 'gone.txt')] });
      clock.set('2026-03-10T12:00:30Z');
      assert.deepEqual(await m.ctx.digests.runDue(), { digests: 1, activities: 1, skipped: 0 });
      const third = await nextMailTo(m.address('alice'), 2);
      assert.match(third.text ?? '', /Bob Berg deleted the file »gone\.txt«/);
      assert.ok(!(third.text ?? '').includes('after-unsubscribe.txt'), 'changed files are no longer mailed');
      const listed = (await m.stream('alice')).find((a) => a.object.name === 'after-unsubscribe.txt');
      assert.deepEqual(listed && [listed.subject, listed.mailed], ['Bob Berg changed a file', false], 'but still listed');
    });
  });

  it('a daily digest in Asia/Shanghai comes after 06:00 Shanghai time, in Chinese', async () => {
    const clock = new FakeClock('2026-03-10T12:00:00Z'); // 20:00 in Shanghai
    const m = await newInstance({ clock });
    await m.addPeople(bob, { uid: 'lihua', display_name: '李华', language: 'zh-CN', timezone: 'Asia/Shanghai' }, { uid: 'xiaoming', display_name: '王小明' });
    const patched = await m.api('PATCH', '/api/v1/users/lihua/preferences', { body: { frequency: 'daily' } });
    assert.equal(patched.status, 200, patched.text);
    assert.equal(json<PreferencesAnswer>(patched).preferences.timezone, 'Asia/Shanghai');

    await m.postEvents(fileEvent('file.changed', 'bob', ['lihua'], '季度报告.docx'));
    clock.set('2026-03-10T18:00:00Z'); // 02:00 the next day in Shanghai
    await m.postEvents(fileEvent('comment.created', 'bob', ['lihua'], '季度报告.docx'));
    await m.postEvents(fileEvent('file.created', 'xiaoming', ['lihua'], 'Budget 2026.xlsx'));

    for (const early of ['2026-03-10T18:00:00Z', '2026-03-10T21:59:59Z']) {
      clock.set(early);
      assert.deepEqual(await m.ctx.digests.runDue(), { digests: 0, activities: 0, skipped: 0 }, `nothing at ${clock.now().toISOString()} (before 06:00 in Shanghai)`);
    }
    // Hourly would have been due many times by now; daily waits for 06:00 local.
    assert.deepEqual(await m.rowsTo('lihua', 'activity'), []);

    clock.set('2026-03-10T22:00:30Z'); // 06:00:30 in Shanghai
    assert.deepEqual(await m.ctx.digests.runDue(), { digests: 1, activities: 3, skipped: 0 });
    const mail = await nextMailTo(m.address('lihua'), 0);
    assert.equal(mail.subject, `【${INSTANCE}】您的文件有新动态`);
    assert.deepEqual(mail.to && !Array.isArray(mail.to) ? mail.to.value : undefined, [{ address: m.address('lihua'), name: '李华' }], 'To with the display name');
    const text = mail.text ?? '';
    assert.match(text, /李华，您好/);
    assert.match(text, /\* Bob Berg 修改了文件“季度报告\.docx”\n\s+2026年3月10日 20:00\n\s+https:\/\/cloud\.example\.com\/f\/%E5%AD%A3/, text);
    assert.match(text, /\* Bob Berg 评论了文件“季度报告\.docx”\n\s+2026年3月11日 02:00/, text);
    // A Chinese name joins Chinese text without a space; the file name is set in as given.
    assert.match(text, /\* 王小明创建了文件“Budget 2026\.xlsx”\n/, text);
    assert.match(mail.html as string, /<a href="https:\/\/cloud\.example\.com\/f\/Budget%202026\.xlsx"[^>]*>王小明创建了文件“Budget 2026\.xlsx”<\/a>/);
    assert.ok(text.includes('退订此类邮件'));
    assertChineseTypography(mail.subject ?? '', 'subject');
    assertChineseTypography(text, 'text');
    unsubscribePath(mail);
    await m.drained();
    clock.set('2026-03-11T21:59:00Z');
    assert.equal((await m.ctx.digests.runDue()).digests, 0, 'one a day');
    assert.equal((await mailsTo(m.address('lihua'), 1)).length, 1);
  });

  it("own actions reach one's digest only with own_actions on", async () => {
    const clock = new FakeClock('2026-03-10T09:10:00Z');
    const m = await newInstance({ clock });
    await m.addPeople(alice, bob);
    await m.postEvents(fileEvent('file.changed', 'alice', ['bob'], 'own-1.txt'));
    clock.set('2026-03-10T10:00:30Z');
    assert.deepEqual(await m.ctx.digests.runDue(), { digests: 1, activities: 1, skipped: 0 }, "only bob's digest");
    const forBob = await nextMailTo(m.address('bob'), 0);
    assert.match(forBob.text ?? '', /Alice Archer changed the file »own-1\.txt«/);
    assert.deepEqual(await m.rowsTo('alice', 'activity'), [], 'alice hears nothing of her own change');
    const listed = await m.stream('alice');
    assert.deepEqual(
      listed.map((a) => [a.subject, a.own, a.mailed]),
      [['You changed a file', true, false]],
      'but it is in her activity list',
    );

    const patched = await m.api('PATCH', '/api/v1/me/preferences', { token: await m.appPassword('alice'), body: { own_actions: true } });
    assert.equal(patched.status, 200, patched.text);
    assert.equal(json<PreferencesAnswer>(patched).preferences.own_actions, true);
    clock.set('2026-03-10T10:10:00Z');
    await m.postEvents(fileEvent('file.changed', 'alice', ['bob'], 'own-2.txt'));
    clock.set('2026-03-10T11:00:30Z');
    assert.deepEqual(await m.ctx.digests.runDue(), { digests: 2, activities: 2, skipped: 0 });
    const forAlice = await nextMailTo(m.address('alice'), 0);
    const text = forAlice.text ?? '';
    assert.match(text, /You changed the file »own-2\.txt«/);
    assert.ok(!text.includes('own-1.txt'), 'what was not wanted when it happened is not mailed later');
  });

  it('a digest of more than 50 activities lists 50 and says how many more', async () => {
    const clock = new FakeClock('2026-03-10T09:10:00Z');
    const m = await newInstance({ clock });
    await m.addPeople(bob, { uid: 'carol', display_name: 'Carol Chen' });
    const names = Array.from({ length: 57 }, (_, i) => `file-${String(i + 1).padStart(2, '0')}.txt`);
    const answer = await m.postEvents({ events: names.map((name) => fileEvent('file.changed', 'bob', ['carol'], name)) });
    assert.equal(answer.ids.length, 57);
    clock.set('2026-03-10T10:00:30Z');
    assert.deepEqual(await m.ctx.digests.runDue(), { digests: 1, activities: 57, skipped: 0 });
    const mail = await nextMailTo(m.address('carol'), 0);
    const text = mail.text ?? '';
    const html = mail.html as string;
    assert.equal(count(text, 'Bob Berg changed the file »'), 50, 'the text lists 50');
    assert.equal(count(html, 'Bob Berg changed the file »'), 50, 'the HTML lists 50');
    for (const name of names.slice(0, 50)) assert.ok(text.includes(name), `${name} (among the oldest 50) is listed`);
    for (const name of names.slice(50)) assert.ok(!text.includes(name), `${name} is not listed`);
    assert.match(text, /7 more are not listed here; see everything on Example Cloud\./);
    assert.match(html, /7 more are not listed here\.<br><a href="https:\/\/cloud\.example\.com"[^>]*>See everything on Example Cloud<\/a>/);
    assert.equal((await m.ctx.digests.runDue()).digests, 0, 'the 7 were part of this digest, not left for the next');
  });

  it('a user without an email address gets no mail, and the activity is still in their list', async () => {
    const clock = new FakeClock('2026-03-10T09:10:00Z');
    const m = await newInstance({ clock });
    await m.addPeople(bob, { uid: 'dave', display_name: 'Dave Dunn', email: null });
    const share = await m.postEvents(fileEvent('share.created', 'bob', ['dave'], 'for-dave.pdf'));
    assert.equal(share.mails, 0);
    await m.postEvents(fileEvent('file.changed', 'bob', ['dave'], 'for-dave.pdf'));
    clock.set('2026-03-10T10:00:30Z');
    assert.deepEqual(await m.ctx.digests.runDue(), { digests: 0, activities: 0, skipped: 0 });
    await m.drained();
    assert.deepEqual(await m.outboxRows(), [], 'nothing queued for anyone');
    const listed = await m.stream('dave');
    assert.deepEqual(
      listed.map((a) => [a.subject, a.object.name, a.mailed]),
      [
        ['Bob Berg changed a file', 'for-dave.pdf', false],
        ['Bob Berg shared a file with you', 'for-dave.pdf', false],
      ],
    );
  });

  it('asap: one digest two minutes after the first activity, with the whole burst', async () => {
    const clock = new FakeClock('2026-03-10T09:10:00Z');
    const m = await newInstance({ clock });
    await m.addPeople(bob, { uid: 'hana', display_name: 'Hana Hill' });
    const patched = await m.api('PATCH', '/api/v1/me/preferences', { token: await m.appPassword('hana'), body: { frequency: 'asap' } });
    assert.equal(patched.status, 200, patched.text);
    await m.postEvents(fileEvent('file.created', 'bob', ['hana'], 'burst-1.txt'));
    clock.advance(MINUTE);
    await m.postEvents(fileEvent('file.created', 'bob', ['hana'], 'burst-2.txt'));
    clock.advance(59_000);
    assert.equal((await m.ctx.digests.runDue()).digests, 0, '1:59 after the first: still waiting');
    clock.advance(1_000);
    assert.deepEqual(await m.ctx.digests.runDue(), { digests: 1, activities: 2, skipped: 0 });
    const text = (await nextMailTo(m.address('hana'), 0)).text ?? '';
    assert.ok(text.includes('burst-1.txt') && text.includes('burst-2.txt'), text);
    assert.equal(count(text, 'Bob Berg created the file »'), 2);
  });

  it('refused input answers 4xx with its code and writes nothing', async () => {
    const clock = new FakeClock('2026-03-10T09:10:00Z');
    const m = await newInstance({ clock });
    await m.addPeople({ uid: 'frank', display_name: 'Frank Falk' }, { uid: 'grace', display_name: 'Grace Gold' });
    const good = (id: string) => fileEvent('share.created', 'frank', ['grace'], `${id}.pdf`, { id });
    const post = (body: unknown, options: ApiOptions = {}) => m.api('POST', '/api/v1/events', { body, ...options });
    const nothingWritten = async (what: string) => {
      assert.deepEqual(await m.outboxRows(), [], `${what}: nothing queued`);
      assert.deepEqual(await m.stream('grace'), [], `${what}: no activity for grace`);
      assert.deepEqual(await m.stream('frank'), [], `${what}: no activity for frank`);
    };

    const unknownType = await post({ ...fileEvent('file.renamed', 'frank', ['grace'], 'x.txt') });
    assert.equal(unknownType.status, 400);
    assert.equal(errorCode(unknownType), 'event_type_unknown');
    await nothingWritten('unknown type');

    const noAffected = fileEvent('file.changed', 'frank', [], 'x.txt') as Record<string, unknown>;
    for (const body of [noAffected, { ...noAffected, affected: undefined }]) {
      const reply = await post(body);
      assert.equal(reply.status, 400, reply.text);
      assert.equal(errorCode(reply), 'invalid_request');
      assert.match(errorOf(reply).message, /affected/);
    }
    await nothingWritten('no affected users');

    const withStranger = await post({ events: [good('batch-1'), fileEvent('file.changed', 'frank', ['grace'], 'b.txt', { id: 'batch-2' }), fileEvent('file.changed', 'frank', ['nobody'], 'c.txt', { id: 'batch-3' })] });
    assert.equal(withStranger.status, 400, withStranger.text);
    assert.equal(errorCode(withStranger), 'unknown_user');
    assert.match(errorOf(withStranger).message, /^event 3: .*"nobody"/);
    await nothingWritten('a batch with an unknown user');

    const tooMany = await post({ events: Array.from({ length: 1001 }, (_, i) => fileEvent('file.changed', 'frank', ['grace'], `f${i}.txt`)) });
    assert.equal(tooMany.status, 413, tooMany.text);
    assert.equal(errorCode(tooMany), 'batch_too_large');
    await nothingWritten('1001 events');

    const huge = await post(undefined, { raw: JSON.stringify({ ...good('huge'), data: { note: 'x'.repeat(2 * 1024 * 1024) } }) });
    assert.equal(huge.status, 413, huge.text.slice(0, 200));
    assert.equal(errorCode(huge), 'payload_too_large');
    await nothingWritten('a 2 MB body');

    const asUser = await post(good('as-user'), { token: await m.appPassword('grace') });
    assert.equal(asUser.status, 403, asUser.text);
    assert.equal(errorCode(asUser), 'forbidden');
    const anonymous = await post(good('anonymous'), { token: null });
    assert.equal(anonymous.status, 401, anonymous.text);
    await nothingWritten('a user app password and no token');

    // The refused batch left no trace: its ids are new now, and a service token may post them.
    const service = await m.ctx.tokens.create('host-cloud', { scope: 'service' });
    const accepted = await m.postEvents({ events: [good('batch-1'), good('as-user')] }, service);
    assert.deepEqual(accepted, { ids: ['batch-1', 'as-user'], duplicates: [], activities: 4, mails: 2 });
    await m.drained();
    assert.equal((await mailsTo(m.address('grace'), 2)).length, 2);
  });

  it('the CLI: event:emit records an event, digest:run --all sends what is waiting', async () => {
    // The command runs in a process of its own on the same database, with the real clock.
    const m = await newInstance();
    await m.addPeople(bob, { uid: 'erin', display_name: 'Erin Eder' });
    const env = { MAILROOM_DATA_DIR: m.dir, MAILROOM_CONFIG: join(m.dir, 'none.json') };
    const emitted = await runMailroom(['event:emit', 'file.changed', '--json', JSON.stringify(fileEvent('file.changed', 'bob', ['erin'], 'from-the-cli.txt', { id: 'cli-1' }))], { cwd: m.dir, env });
    assert.equal(emitted.code, 0, emitted.stderr);
    assert.match(emitted.stdout, /^Event cli-1 recorded: 2 activities, 0 mail\(s\) queued\n$/);
    assert.deepEqual(
      (await m.stream('erin')).map((a) => [a.subject, a.object.name]),
      [['Bob Berg changed a file', 'from-the-cli.txt']],
    );

    const run = await runMailroom(['digest:run', '--all'], { cwd: m.dir, env });
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stdout, '1 digest(s) queued with 1 activity\n');
    const mail = await nextMailTo(m.address('erin'), 0);
    assert.match(mail.text ?? '', /Bob Berg changed the file »from-the-cli\.txt«/);
    assert.equal((await m.ctx.digests.runDue({ all: true })).digests, 0, 'nothing left waiting');
  });

  it('two workers on one PostgreSQL database queue one digest per user, each activity mailed once', async (t) => {
    postgres = await startPostgres();
    const clock = new FakeClock('2026-03-10T09:10:00Z'); // a Tuesday
    const env = { MAILROOM_DATABASE_URL: await postgres.createDatabase(), MAILROOM_SECRET_KEY: randomBytes(32).toString('base64') };
    const a = await newInstance({ clock, env });
    const b = await newInstance({ clock, env, dataDir: await tempDir('pg-b') });
    const frequencies = ['asap', 'hourly', 'daily', 'weekly'] as const;
    const people: Person[] = Array.from({ length: 8 }, (_, i) => ({ uid: `pg${i}`, display_name: `Person ${i}`, timezone: i % 2 === 0 ? 'Europe/Berlin' : 'Asia/Shanghai' }));
    await a.addPeople(bob, ...people);
    for (const [i, p] of people.entries()) await a.ctx.preferences.update(p.uid, { frequency: frequencies[i % 4] as (typeof frequencies)[number] });

    const expected = new Map<string, string[]>();
    for (const p of people) {
      const names = [1, 2, 3].map((k) => `${p.uid}-change-${k}.txt`);
      expected.set(p.uid, names);
      await a.ctx.events.ingest(names.map((name) => ({ type: 'file.changed' as const, actor: 'bob', affected: [p.uid], object: { type: 'file' as const, id: name, name } })));
    }
    // Next Monday 08:00 in Berlin: every frequency is due in both zones.
    clock.set('2026-03-16T07:00:00Z');
    const reports = [];
    for (let round = 0; round < 4; round++) reports.push(...(await Promise.all([a.ctx.digests.runDue(), b.ctx.digests.runDue()])));
    assert.equal(
      reports.reduce((n, r) => n + r.digests, 0),
      people.length,
      `one digest per user in all: ${JSON.stringify(reports)}`,
    );
    assert.equal(
      reports.reduce((n, r) => n + r.activities, 0),
      people.length * 3,
    );
    t.diagnostic(`digests another worker took first: ${reports.reduce((n, r) => n + r.skipped, 0)}`);

    await Promise.all([a.drained(), b.drained()]);
    const rows = (await a.outboxRows()).filter((r) => r.kind === 'activity');
    assert.deepEqual(rows.map((r) => r.recipients.join()).sort(), people.map((p) => a.address(p.uid)).sort(), 'one outbox row per user');
    for (const p of people) {
      const mails = await mailsTo(a.address(p.uid), 1);
      assert.equal(mails.length, 1, `${p.uid}: one digest delivered`);
      const text = mails[0]?.text ?? '';
      for (const name of expected.get(p.uid) ?? []) assert.equal(count(text, `»${name}«`), 1, `${p.uid}: ${name} listed once`);
    }
  });
});
