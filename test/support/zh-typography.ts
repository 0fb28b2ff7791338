import assert from 'node:assert/strict';

const HAN = '\\u3400-\\u4dbf\\u4e00-\\u9fff';

/**
 * The typography rules of Mailroom's Chinese mails, asserted on a delivered subject or body:
 * Chinese quotes (no »«), 共享 (never 分享), no space between two Chinese characters, and a space
 * wherever Chinese meets a Latin letter or digit, outside what is set in as given: a quoted file
 * name, an address, a link, a date as the reader's calendar writes it (2026年12月31日).
 */
export function assertChineseTypography(text: string, what: string): void {
  assert.doesNotMatch(text, /[»«]/, `${what}: Chinese quotes, not »«`);
  assert.doesNotMatch(text, /分享/, `${what}: 共享, never 分享`);
  const bare = text
    .replace(/“[^”]*”/g, '“”')
    .replace(/https?:\/\/\S+/g, '•')
    .replace(/\S+@\S+/g, '•')
    .replace(/\d{4}年\d{1,2}月\d{1,2}日/g, '•');
  const crowded = new RegExp(`[${HAN}][A-Za-z0-9]|[A-Za-z0-9][${HAN}]`).exec(bare);
  assert.equal(crowded, null, `${what}: a space between Chinese and Latin text at «${crowded?.input.slice(Math.max(0, crowded.index - 12), crowded.index + 12)}»`);
  const spaced = new RegExp(`[${HAN}] +[${HAN}]`).exec(bare);
  assert.equal(spaced, null, `${what}: no space between Chinese characters at «${spaced?.input.slice(Math.max(0, spaced.index - 12), spaced.index + 12)}»`);
}
