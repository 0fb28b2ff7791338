/**
 * The admin's logo shows in the template previews although it lives on another server (the
 * cloud's), while other remote images in mails, such as a tracking pixel, stay blocked when an
 * admin opens the mail: the page allows images from the logo's origin and no other.
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { ADMIN_PASSWORD, DESKTOP, eventually, launchBrowser, signIn, startMailroom, type MailroomInstance, type TestBrowser } from '../support/browser.ts';
import { closeAll } from '../support/close-all.ts';

/** A 1×1 PNG. */
const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII=', 'base64');

interface ImageServer {
  readonly origin: string;
  readonly requests: string[];
  close(): Promise<void>;
}

async function startImageServer(): Promise<ImageServer> {
  const requests: string[] = [];
  const server: Server = createServer((request, response) => {
    requests.push(request.url ?? '');
    response.writeHead(200, { 'content-type': 'image/png', 'content-length': PNG.length }).end(PNG);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { origin: `http://127.0.0.1:${port}`, requests, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

describe('images in mail previews', () => {
  let mailroom: MailroomInstance;
  let browser: TestBrowser;
  let cloud: ImageServer;
  let tracker: ImageServer;

  before(async () => {
    [mailroom, browser, cloud, tracker] = await Promise.all([startMailroom({ worker: true }), launchBrowser(), startImageServer(), startImageServer()]);
    const r = await mailroom.api('PATCH', '/api/v1/settings/mail', { body: { mail_logo_url: `${cloud.origin}/logo.png` } });
    assert.equal(r.status, 200, JSON.stringify(r.body));
  });
  after(() => closeAll(browser, mailroom, cloud, tracker));

  it("shows the logo from the cloud's server in the template preview, and blocks a tracking pixel of another server in a mail", async () => {
    const subject = 'Newsletter with a pixel 6060';
    const queued = await mailroom.api<{ ids: number[] }>('POST', '/api/v1/messages', { body: { to: 'reader@example.org', subject, html: `<p>Hello</p><img id="pixel" src="${tracker.origin}/pixel.png" width="1" height="1">`, text: 'Hello' } });
    assert.equal(queued.status, 202, JSON.stringify(queued.body));

    await browser.withPage({ locale: 'en-US', viewport: DESKTOP }, async ({ page, problems }) => {
      await signIn(page, mailroom.url, 'admin', ADMIN_PASSWORD, /\/admin\/email$/);
      await page.goto(`${mailroom.url}/admin/templates?template=share&lang=en`);
      await page.locator('#template-preview[data-state="ready"]').waitFor();
      const logo = page.frameLocator('#preview-html').locator('img.logo');
      assert.equal(await logo.getAttribute('src'), `${cloud.origin}/logo.png`);
      await eventually(async () => (await logo.evaluate((img) => (img as HTMLImageElement).complete && (img as HTMLImageElement).naturalWidth)) === 1, 'the logo loaded in the preview');
      assert.ok(cloud.requests.includes('/logo.png'), 'the browser fetched the logo from its server');

      // The captured mails are a tab of the Outbox page, at an address of its own.
      await page.goto(`${mailroom.url}/admin/outbox/captured`);
      const row = page.locator('#captured-list tr', { hasText: subject });
      await row.waitFor({ timeout: 20_000 });
      await row.getByRole('button').click();
      const pixel = page.frameLocator('#captured-details iframe.mail-html').locator('#pixel');
      await pixel.waitFor({ state: 'attached' });
      // Give a blocked image the time a loaded one would have needed.
      await page.waitForTimeout(1000);
      assert.equal(await pixel.evaluate((img) => (img as HTMLImageElement).naturalWidth), 0, 'the pixel did not load');
      assert.deepEqual(tracker.requests, [], 'the browser never asked the other server');
      // The browser says why on its console, each time the mail is drawn (the page refreshes
      // itself): expected here, no problem of the page. Leave the page so that no more come.
      await page.goto('about:blank');
      // Chromium reports it on the console, as a request that failed with "csp", or both.
      const isBlockedPixel = (p: string) => p.includes(`${tracker.origin}/pixel.png`) && (p.includes('Content Security Policy') || p.endsWith('failed: csp'));
      assert.ok(problems.some(isBlockedPixel), `the Content Security Policy blocked the pixel: ${JSON.stringify(problems)}`);
      problems.splice(0, problems.length, ...problems.filter((p) => !isBlockedPixel(p)));
    });
  });
});
