import { chromium } from 'playwright-core';
const [src, dst] = process.argv.slice(2);
const b = await chromium.launch({ executablePath: '/usr/bin/chromium' });
const p = await b.newPage({ viewport: { width: 1280, height: 800 } });
await p.goto('file://' + src);
await p.screenshot({ path: dst });
await b.close();
