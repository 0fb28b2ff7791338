/**
 * Where a change to an account came from, as the account mails tell it: the client's address
 * (the one the HTTP server computed, by the trust_proxy rules) and its User-Agent header.
 */
export interface ChangeClient {
  address: string;
  userAgent?: string | undefined;
}

// Order matters: Edge and Opera also say Chrome, Chrome also says Safari, so the narrower come first.
const BROWSERS: ReadonlyArray<readonly [RegExp, string]> = [
  [/\bEdg(?:e|A|iOS)?\//, 'Edge'],
  [/\bOPR\/|\bOpera\b/, 'Opera'],
  [/\bSamsungBrowser\//, 'Samsung Internet'],
  [/\bFirefox\/|\bFxiOS\//, 'Firefox'],
  [/\bCriOS\/|\bChrome\/|\bChromium\//, 'Chrome'],
  [/\bVersion\/[\d.]+.*\bSafari\/|\bAppleWebKit\/.*\bMobile\//, 'Safari'],
  [/\bcurl\//, 'curl'],
];

const SYSTEMS: ReadonlyArray<readonly [RegExp, string]> = [
  [/\bAndroid\b/, 'Android'],
  [/\biPhone\b|\biPad\b|\biPod\b/, 'iOS'],
  [/\bWindows\b/, 'Windows'],
  [/\bCrOS\b/, 'ChromeOS'],
  [/\bMac OS X\b|\bMacintosh\b/, 'macOS'],
  [/\bLinux\b/, 'Linux'],
];

/** The words around a browser's name, in the mail's language (the catalogs' browser.*). */
export interface BrowserWords {
  unknown: string;
  on(browser: string, system: string): string;
}

const ENGLISH: BrowserWords = { unknown: 'unknown browser', on: (browser, system) => `${browser} on ${system}` };

/**
 * A short name of the program behind a User-Agent header, as a person recognises it, in the
 * mail's language: "Firefox on Windows" / "Windows 上的 Firefox". Never the header itself (it is
 * long, and anyone can write anything into it); "unknown browser" when nothing is recognised,
 * empty when there is no header.
 */
export function browserName(userAgent: string | undefined, words: BrowserWords = ENGLISH): string {
  if (userAgent === undefined || userAgent.trim() === '') return '';
  const browser = BROWSERS.find(([pattern]) => pattern.test(userAgent))?.[1] ?? words.unknown;
  const system = SYSTEMS.find(([pattern]) => pattern.test(userAgent))?.[1];
  return system === undefined || browser === 'curl' ? browser : words.on(browser, system);
}
