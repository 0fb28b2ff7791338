/**
 * A share mail as a reader's mail program draws it, 600 pixels wide, in light and in dark mode
 * (Chromium's prefers-color-scheme, as Apple Mail applies it): the logo at the size the settings
 * give, the dark logo only in dark mode, dark surfaces with light text, and the button's padding
 * on its cell. The two pictures are the admin manual's (mail-share.png, mail-share-dark.png).
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { mkdir } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { deflateSync } from 'node:zlib';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import type { AppContext } from '../../src/context.ts';
import { startTestMailroom, type TestMailroom } from '../support/test-mailroom.ts';
import { SCREENSHOT_DIR, launchBrowser, screenshot, type TestBrowser } from '../support/browser.ts';

// The height grows to the mail's own in the full-page pictures.
const MAIL_WIDTH = { width: 600, height: 400 };

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(data: Buffer): number {
  let c = 0xffffffff;
  for (const byte of data) c = (CRC_TABLE[(c ^ byte) & 0xff] as number) ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type: string, data: Buffer): Buffer {
  const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([length, body, crc]);
}

/** A 320×80 RGB PNG (twice the 160×40 it is shown at): a square mark in `mark`, a bar in `bar`, on `ground`. */
function logoPng(ground: [number, number, number], mark: [number, number, number], bar: [number, number, number]): Buffer {
  const width = 320;
  const height = 80;
  const rows: Buffer[] = [];
  for (let y = 0; y < height; y++) {
    const row = Buffer.alloc(1 + width * 3);
    for (let x = 0; x < width; x++) {
      const inMark = x >= 8 && x < 72 && y >= 8 && y < 72;
      const inBar = x >= 96 && x < 304 && y >= 28 && y < 52;
      row.set(inMark ? mark : inBar ? bar : ground, 1 + x * 3);
    }
    rows.push(row);
  }
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header.set([8, 2, 0, 0, 0], 8); // 8 bits, RGB
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', header), chunk('IDAT', deflateSync(Buffer.concat(rows))), chunk('IEND', Buffer.alloc(0))]);
}

const LOGOS: Record<string, Buffer> = {
  '/logo.png': logoPng([243, 244, 246], [0, 130, 201], [31, 35, 40]),
  '/logo-dark.png': logoPng([22, 24, 29], [138, 180, 248], [232, 234, 237]),
};

describe('a share mail in light and dark mode, 600 pixels wide', () => {
  let mailroom: TestMailroom;
  let ctx: AppContext;
  let browser: TestBrowser;
  let images: Server;
  let html: string;

  before(async () => {
    images = createServer((request, response) => {
      const png = LOGOS[request.url ?? ''];
      if (png === undefined) response.writeHead(404).end();
      else response.writeHead(200, { 'content-type': 'image/png', 'content-length': png.length }).end(png);
    });
    await new Promise<void>((resolve) => images.listen(0, '127.0.0.1', resolve));
    const origin = `http://127.0.0.1:${(images.address() as AddressInfo).port}`;
    const settings = { instance_name: 'Example Cloud', base_url: 'https://cloud.example.com', mail_logo_url: `${origin}/logo.png`, mail_logo_dark_url: `${origin}/logo-dark.png`, mail_logo_width: 160, mail_logo_height: 40 };
    [mailroom, browser] = await Promise.all([startTestMailroom({ prefix: 'mailroom-mail-dark-', settings }), launchBrowser()]);
    ctx = mailroom.ctx;
    // The share mail's html part as it is sent (the engine's, with the sample share and its two-line note).
    html = (await ctx.templates.preview('share', 'en', { format: 'html' })).html as string;
    await mkdir(SCREENSHOT_DIR, { recursive: true });
  });
  after(async () => {
    await browser?.close();
    await mailroom?.close();
    await new Promise((resolve) => images?.close(resolve));
  });

  /** What the page draws of an element: shown or not, its size, and a computed style. */
  const drawn = (page: Page, selector: string, property = 'background-color') =>
    page
      .locator(selector)
      .first()
      .evaluate((el, prop) => {
        // The page's own globals (the tests are compiled without the DOM's types).
        const view = globalThis as unknown as { getComputedStyle(e: unknown): { display: string; getPropertyValue(p: string): string } };
        const node = el as unknown as { getBoundingClientRect(): { width: number; height: number }; complete?: boolean; naturalWidth?: number };
        const style = view.getComputedStyle(el);
        const box = node.getBoundingClientRect();
        return { shown: style.display !== 'none', width: box.width, height: box.height, value: style.getPropertyValue(prop), loaded: node.complete === true && (node.naturalWidth ?? 0) > 0 };
      }, property);

  for (const scheme of ['light', 'dark'] as const) {
    it(`${scheme}: the ${scheme === 'dark' ? 'dark ' : ''}logo at 160 × 40, the note on two lines and the button's padding on its cell`, async () => {
      await browser.withPage({ locale: 'en-US', viewport: MAIL_WIDTH, colorScheme: scheme }, async ({ page }) => {
        await page.setContent(html, { waitUntil: 'load' });
        const light = await drawn(page, 'img.logo-light');
        const dark = await drawn(page, 'img.logo-dark');
        const [shown, hidden] = scheme === 'dark' ? [dark, light] : [light, dark];
        assert.deepEqual({ shown: shown.shown, width: shown.width, height: shown.height, loaded: shown.loaded }, { shown: true, width: 160, height: 40, loaded: true });
        assert.equal(hidden.shown, false);
        const card = await drawn(page, '.card-cell');
        assert.equal(card.value, scheme === 'dark' ? 'rgb(34, 38, 46)' : 'rgb(255, 255, 255)');
        assert.equal((await drawn(page, '.card-cell h1', 'color')).value, scheme === 'dark' ? 'rgb(232, 234, 237)' : 'rgb(31, 35, 40)');
        assert.equal((await drawn(page, '.button-cell', 'padding')).value, '12px 24px');
        assert.equal((await drawn(page, 'a.button', 'padding')).value, '0px');
        const note = await page.locator('.note-text').innerText();
        assert.equal(note, "Here is the latest version, please have a look before Friday's meeting.\nThanks!");
        await screenshot(page, scheme === 'dark' ? 'mail-share-dark.png' : 'mail-share.png');
      });
    });
  }
});
