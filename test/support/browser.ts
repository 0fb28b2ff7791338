/**
 * The web interface in a real browser: playwright-core drives Debian's chromium (no Playwright
 * browser download; install-deps.sh installs `chromium` and `fonts-noto-cjk`), against a real
 * Mailroom HTTP server started in this process on a free port of 127.0.0.1, with its own SQLite
 * database in a temporary folder.
 *
 * One browser per test file (launchBrowser() in before(), close() in after()); each test opens a
 * fresh context (cookies, locale, viewport) with withPage(), which also watches what a user would
 * never see: requests to any host but 127.0.0.1 (aborted: the UI must work offline and leak
 * nothing; `localhost` is this machine too, for an admin signed in at another name of it), console
 * errors and uncaught page errors. withPage() fails the test when there were any.
 *
 * The pages are served from dist/web: build first (`node scripts/build.mjs`; `npm test` does it).
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type BrowserContext, type Locator, type Page } from 'playwright-core';
import type { AppContext } from '../../src/context.ts';
import { postfixSettings } from './mail-fixtures.ts';
import type { PostfixServer } from './servers.ts';
import { startTestMailroom } from './test-mailroom.ts';

/** The names of this machine a page may load from. */
const LOCAL_HOSTS: ReadonlySet<string> = new Set(['127.0.0.1', 'localhost']);

export const CHROMIUM_BIN = process.env['CHROMIUM_BIN'] ?? '/usr/bin/chromium';
export const DESKTOP = { width: 1280, height: 800 } as const;
export const PHONE = { width: 390, height: 844 } as const;
export const ADMIN_PASSWORD = 'Admin-Quartz-Lantern-2024';
/**
 * Where the tests put their screenshots: docs/screenshots/ of this repository (the README's
 * pictures) with MAILROOM_UPDATE_SCREENSHOTS=1, else a folder in the temp directory, so that a
 * plain `npm test` takes them all the same but leaves the working tree as it was.
 */
export const SCREENSHOT_DIR = process.env.MAILROOM_UPDATE_SCREENSHOTS === '1' ? fileURLToPath(new URL('../../docs/screenshots/', import.meta.url)) : join(tmpdir(), 'mailroom-screenshots');

// ---------------------------------------------------------------------------------------------
// The server

export interface MailroomInstance {
  readonly ctx: AppContext;
  /** http://127.0.0.1:PORT, no trailing slash. */
  readonly url: string;
  readonly dataDir: string;
  /** An admin API token (ctx.tokens.create), for checking through the API what the pages saved. */
  readonly adminToken: string;
  /** A JSON request with the admin token (or `token`), as a script would make it. */
  api<T = unknown>(method: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE', path: string, options?: { body?: unknown; token?: string }): Promise<{ status: number; body: T }>;
  close(): Promise<void>;
}

export interface StartMailroomOptions {
  /** More environment variables, e.g. MAILROOM_MAIL_SMTPTIMEOUT to lock that setting. */
  env?: Record<string, string>;
  /** Start an outbox worker (needed when mails must be delivered, e.g. password resets). */
  worker?: boolean;
}

/**
 * A real Mailroom as `mailroom serve` runs it (startTestMailroom with `http: 'listen'`), on
 * 127.0.0.1 and a port the OS picks, with a fresh data folder, the first admin `admin` /
 * ADMIN_PASSWORD, no config file and no MAILROOM_* variables of the developer's shell.
 */
export async function startMailroom(options: StartMailroomOptions = {}): Promise<MailroomInstance> {
  const webIndex = fileURLToPath(new URL('../../dist/web/index.html', import.meta.url));
  assert.ok(existsSync(webIndex), `${webIndex} is missing: build the web interface first (node scripts/build.mjs)`);
  const mailroom = await startTestMailroom({
    prefix: 'mailroom-web-',
    env: { MAILROOM_ADMIN_PASSWORD: ADMIN_PASSWORD, ...options.env },
    bootstrapAdmin: true,
    http: 'listen',
    worker: options.worker ?? false,
  });
  const { ctx, url, dataDir } = mailroom;
  const adminToken = await ctx.tokens.create('browser-tests');
  return {
    ctx,
    url,
    dataDir,
    adminToken,
    async api<T>(method: string, path: string, o: { body?: unknown; token?: string } = {}) {
      const response = await fetch(`${url}${path}`, {
        method,
        headers: { authorization: `Bearer ${o.token ?? adminToken}`, ...(o.body !== undefined ? { 'content-type': 'application/json' } : {}) },
        ...(o.body !== undefined ? { body: JSON.stringify(o.body) } : {}),
      });
      const text = await response.text();
      return { status: response.status, body: (text === '' ? undefined : JSON.parse(text)) as T };
    },
    close: () => mailroom.close(),
  };
}

/**
 * startMailroom with its outbox worker, sending through the test Postfix as cloud@example.org
 * (a 5 s timeout), for the pages whose actions mail a user. Links in those mails must lead to
 * this server: base_url is its address.
 */
export async function startMailroomSendingThrough(postfix: PostfixServer): Promise<MailroomInstance> {
  const mailroom = await startMailroom({ worker: true });
  try {
    await mailroom.ctx.settings.update({ ...postfixSettings(postfix), mail_smtptimeout: 5, mail_from_address: 'cloud', mail_domain: 'example.org', base_url: mailroom.url });
  } catch (error) {
    await mailroom.close().catch(() => undefined);
    throw error;
  }
  return mailroom;
}

// ---------------------------------------------------------------------------------------------
// The browser

export interface PageOptions {
  /** The browser's language (navigator.languages), e.g. 'en-US' or 'zh-CN'. */
  locale?: string;
  viewport?: { width: number; height: number };
  /** prefers-color-scheme as the page sees it; light unless a test looks at dark mode. */
  colorScheme?: 'light' | 'dark';
}

export interface TestPage {
  readonly page: Page;
  readonly context: BrowserContext;
  /** Requests to hosts other than this machine (127.0.0.1, localhost) (aborted). */
  readonly externalRequests: string[];
  /** Console errors, uncaught exceptions and server errors (5xx), as they happened. */
  readonly problems: string[];
}

export interface TestBrowser {
  readonly browser: Browser;
  /**
   * Runs `body` with a page in a fresh context, then fails when the page requested another
   * host, logged an error or threw; the context is closed in any case.
   */
  withPage<T>(options: PageOptions, body: (t: TestPage) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

/**
 * Chromium logs every HTTP error answer as "Failed to load resource" on the console. Those are
 * judged by the responses instead: a 4xx from the API is an answer the page handles and shows
 * (a wrong password, a refused value), and the tests check what it shows; a 4xx for anything
 * else (a page, a script, a stylesheet) and any 5xx is a fault.
 */
const HTTP_ERROR_ON_CONSOLE = /^Failed to load resource: /;

/** Launches headless chromium once (per test file); close() it in after(). */
export async function launchBrowser(): Promise<TestBrowser> {
  assert.ok(existsSync(CHROMIUM_BIN), `${CHROMIUM_BIN} is missing: apt-get install chromium fonts-noto-cjk (test/support/install-deps.sh does it)`);
  // Chromium writes a crash database and GTK's caches under $HOME: keep them out of the real one.
  const home = await mkdtemp(join(tmpdir(), 'mailroom-chromium-'));
  let browser: Browser;
  try {
    browser = await chromium.launch({
      executablePath: CHROMIUM_BIN,
      headless: true,
      // Chromium refuses to start as root with its sandbox; the tests run as root in CI.
      chromiumSandbox: false,
      args: ['--no-sandbox'],
      env: { ...process.env, HOME: home },
      timeout: 30_000,
    });
  } catch (error) {
    await rm(home, { recursive: true, force: true });
    throw error;
  }
  const contexts = new Set<BrowserContext>();

  return {
    browser,
    async withPage(options, body) {
      const context = await browser.newContext({
        locale: options.locale ?? 'en-US',
        viewport: options.viewport ?? DESKTOP,
        timezoneId: 'UTC',
        // Screenshots look the same whatever the machine's theme.
        colorScheme: options.colorScheme ?? 'light',
      });
      contexts.add(context);
      context.setDefaultTimeout(10_000);
      const externalRequests: string[] = [];
      const problems: string[] = [];
      await context.route('**/*', async (route) => {
        const url = new URL(route.request().url());
        if (LOCAL_HOSTS.has(url.hostname)) return route.continue();
        externalRequests.push(route.request().url());
        return route.abort('blockedbyclient');
      });
      const page = await context.newPage();
      page.on('console', (message) => {
        if (message.type() === 'error' && !HTTP_ERROR_ON_CONSOLE.test(message.text())) problems.push(`console error: ${message.text()}`);
      });
      page.on('pageerror', (error) => problems.push(`uncaught in the page: ${error.stack ?? error.message}`));
      page.on('response', (response) => {
        const status = response.status();
        const api = new URL(response.url()).pathname.startsWith('/api/');
        if (status >= 500 || (status >= 400 && !api)) problems.push(`HTTP ${status} from ${response.request().method()} ${response.url()}`);
      });
      page.on('requestfailed', (request) => {
        const failure = request.failure()?.errorText ?? '';
        // Blocked above (an external request), or cut off by a navigation the test made.
        if (LOCAL_HOSTS.has(new URL(request.url()).hostname) && failure !== 'net::ERR_ABORTED') problems.push(`${request.method()} ${request.url()} failed: ${failure}`);
      });
      page.on('websocket', (ws) => {
        if (!LOCAL_HOSTS.has(new URL(ws.url()).hostname)) externalRequests.push(ws.url());
      });
      try {
        const result = await body({ page, context, externalRequests, problems }).catch(async (error: unknown) => {
          // What the page showed when the test failed: its address, text, and a picture.
          const shot = join(tmpdir(), `mailroom-web-failure-${process.pid}-${Date.now()}.png`);
          const shown = await page.screenshot({ path: shot, fullPage: true }).then(
            () => shot,
            () => 'none',
          );
          const text = await page
            .locator('body')
            .innerText({ timeout: 2_000 })
            .catch(() => '?');
          if (error instanceof Error) error.message += `\n--- the page at ${page.url()} (screenshot: ${shown}) showed:\n${text.slice(0, 2_000)}\n--- problems: ${JSON.stringify(problems)}`;
          throw error;
        });
        assert.deepEqual(externalRequests, [], 'the page requested other hosts');
        assert.deepEqual(problems, [], 'the page logged errors');
        return result;
      } finally {
        contexts.delete(context);
        await context.close().catch(() => undefined);
      }
    },
    async close() {
      for (const context of contexts) await context.close().catch(() => undefined);
      await browser.close().catch(() => undefined);
      await rm(home, { recursive: true, force: true });
    },
  };
}

// ---------------------------------------------------------------------------------------------
// What a user sees

/** Polls `check` until it returns true; fails with `what` and the last value seen otherwise. */
export async function eventually(check: () => Promise<boolean>, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) assert.fail(`${what} (waited ${timeoutMs} ms)`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/**
 * The text a field is described by (its aria-describedby elements, what a screen reader reads
 * after the label): here the "Saved" status, the validation message or the lock's reason.
 */
export async function descriptionOf(field: Locator): Promise<string> {
  const ids = ((await field.getAttribute('aria-describedby')) ?? '').split(/\s+/).filter(Boolean);
  const texts: string[] = [];
  for (const id of ids) {
    const element = field.page().locator(`[id="${id}"]`);
    // The page may re-render the element between the look-up and the read (a status going from
    // "Checking…" to "Saved"): then it is read as absent, and the caller's polling asks again,
    // rather than waiting the whole timeout for an element that is gone.
    if ((await element.count()) > 0) texts.push((await element.innerText({ timeout: 500 }).catch(() => '')).trim());
  }
  return texts.filter(Boolean).join(' ');
}

/** Waits until the field's description matches, e.g. /Saved/ after a change. */
export async function waitForDescription(field: Locator, want: RegExp, timeoutMs = 10_000): Promise<string> {
  let last = '';
  await eventually(async () => want.test((last = await descriptionOf(field))), `the description of ${field.toString()} never matched ${want}; it is ${JSON.stringify(last)}`, timeoutMs);
  return last;
}

/** Types a value into a field and leaves it with Tab, as a user does; the page saves on change. */
export async function typeInto(field: Locator, value: string): Promise<void> {
  await field.fill(value);
  await field.press('Tab');
}

/** True when the page is not wider than the window (no sideways scrolling). */
export async function scrollsSideways(page: Page): Promise<{ scrollWidth: number; innerWidth: number; sideways: boolean }> {
  const [scrollWidth, innerWidth] = await page.evaluate<[number, number]>('[document.scrollingElement.scrollWidth, window.innerWidth]');
  return { scrollWidth, innerWidth, sideways: scrollWidth > innerWidth };
}

/** What CSS draws in an element's ::before or ::after (`content`, e.g. '"Email: "'), which a user sees too. */
export function generatedText(element: Locator, pseudo: '::before' | '::after'): Promise<string> {
  // The test code is type-checked without the DOM's types: name the one function used.
  type Window = { getComputedStyle(element: unknown, pseudo: string): { content: string } };
  return element.evaluate((el, p) => (globalThis as unknown as Window).getComputedStyle(el, p).content, pseudo);
}

/**
 * Every list (select) shows the whole of its chosen option: the text's width fits in the room
 * the list gives it, on as many lines as the list is high (a long choice may wrap, not be cut).
 * The text is measured as the page lays it out (a span in the list's font, so Chinese falls
 * back to the same font as on screen), and the room is the list's width less its padding and
 * its arrow: the arrow's own box and padding where the list is styled (base-select), else about 1.5em.
 */
export async function assertWholeChoices(page: Page): Promise<void> {
  for (const select of await page.locator('select').all()) {
    const room = await select.evaluate((el) => {
      // The test code is type-checked without the DOM's types: name what is used.
      type Style = Record<'font' | 'lineHeight' | 'paddingLeft' | 'paddingRight' | 'paddingTop' | 'paddingBottom' | 'appearance' | 'width' | 'letterSpacing', string>;
      type Span = { textContent: string; style: Record<string, string>; getBoundingClientRect(): { width: number }; remove(): void };
      const g = globalThis as unknown as { getComputedStyle(e: unknown, pseudo?: string): Style; document: { createElement(t: string): Span; body: { append(e: Span): void } } };
      const s = el as unknown as { selectedOptions: ArrayLike<{ text: string }>; clientWidth: number; clientHeight: number };
      const style = g.getComputedStyle(el);
      const text = s.selectedOptions[0]?.text ?? '';
      const span = g.document.createElement('span');
      Object.assign(span.style, { position: 'absolute', visibility: 'hidden', whiteSpace: 'pre', font: style.font, letterSpacing: style.letterSpacing });
      span.textContent = text;
      g.document.body.append(span);
      const needed = span.getBoundingClientRect().width;
      span.remove();
      const line = parseFloat(style.lineHeight) || 20;
      const lines = Math.max(1, Math.floor((s.clientHeight - parseFloat(style.paddingTop) - parseFloat(style.paddingBottom) + 2) / line));
      const styled = style.appearance === 'base-select';
      const icon = g.getComputedStyle(el, '::picker-icon');
      const arrow = styled ? (parseFloat(icon.width) || 0) + (parseFloat(icon.paddingLeft) || 0) : 20;
      const width = s.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight) - arrow;
      return { text, needed, has: width * lines, lines };
    });
    assert.ok(room.needed <= room.has + 0.5, `"${room.text}" fits its list: ${room.needed.toFixed(0)} px of text, room for ${room.has.toFixed(0)} px on ${room.lines} line(s)`);
  }
}

/** The id of the focused element (empty when none has an id). */
export function focusedId(page: Page): Promise<string> {
  return page.evaluate<string>('document.activeElement ? document.activeElement.id : ""');
}

/** Signs in through /login with the labelled fields and waits for the page that follows. */
export async function signIn(page: Page, baseUrl: string, user: string, password: string, then: RegExp): Promise<void> {
  await page.goto(`${baseUrl}/login`);
  await page.getByLabel('User name or email').fill(user);
  await page.getByLabel('Password', { exact: true }).fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL(then);
}

/** On the Email server page: fills in "Send the test mail to" and presses "Send email"; the result replaces the previous one. */
export async function sendTestMail(page: Page, to: string): Promise<void> {
  await page.getByLabel('Send the test mail to').fill(to);
  await page.getByRole('button', { name: 'Send email' }).click();
}

/** The status that says the test mail to `to` went out ("… via SERVER"), through `via` when given. */
export function testMailSent(page: Page, to: string, via = ''): Locator {
  return page.getByRole('status').filter({ hasText: `The test mail was sent to ${to} via ${via}` });
}

export async function screenshot(page: Page, name: string): Promise<string> {
  const path = join(SCREENSHOT_DIR, name);
  await page.screenshot({ path, fullPage: true, animations: 'disabled' });
  return path;
}

/**
 * The page as one picture, whole. Chromium does not paint a sandboxed frame (a process of its
 * own) that is outside the window, so a full-page picture would show the mail HTML blank: the
 * window is made as tall as the page for the picture, and each frame is pictured alone first,
 * which waits for its paint.
 */
export async function wholePagePicture(page: Page, name: string): Promise<void> {
  const size = page.viewportSize() ?? DESKTOP;
  await page.evaluate('window.scrollTo(0, 0)');
  const height = await page.evaluate<number>('document.documentElement.scrollHeight');
  await page.setViewportSize({ width: size.width, height });
  try {
    for (const frame of await page.locator('iframe').all()) {
      if (await frame.isVisible()) await frame.screenshot({ animations: 'disabled' });
    }
    await screenshot(page, name);
  } finally {
    await page.setViewportSize(size);
  }
}
