import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { browserName } from '../../src/domain/user-agent.ts';
import { browserWords } from '../../src/templates/catalogs.ts';

const FIREFOX_WINDOWS = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0';
const CHROME_ANDROID = 'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36';
const EDGE_WINDOWS = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0';
const SAFARI_IPHONE = 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1';
const SAFARI_MAC = 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15';

describe('the browser named in account mails', () => {
  it('names the browser and the system in the mail language, never the header itself', () => {
    assert.equal(browserName(FIREFOX_WINDOWS), 'Firefox on Windows');
    assert.equal(browserName(CHROME_ANDROID), 'Chrome on Android');
    assert.equal(browserName(EDGE_WINDOWS), 'Edge on Windows');
    assert.equal(browserName(SAFARI_IPHONE), 'Safari on iOS');
    assert.equal(browserName(SAFARI_MAC), 'Safari on macOS');
    assert.equal(browserName(FIREFOX_WINDOWS, browserWords('zh-CN')), 'Windows 上的 Firefox');
    assert.equal(browserName(FIREFOX_WINDOWS, browserWords('de')), 'Firefox unter Windows');
    assert.equal(browserName('curl/8.5.0'), 'curl');
  });

  it('says so when it does not know the program, and says nothing without a header', () => {
    assert.equal(browserName('<script>alert(1)</script>'), 'unknown browser');
    assert.equal(browserName('Something (X11; Linux x86_64)', browserWords('zh-CN')), 'Linux 上的未知浏览器');
    assert.equal(browserName(undefined), '');
    assert.equal(browserName('  '), '');
  });
});
