/**
 * The one spacing rule of Mailroom's Chinese texts: a space between Chinese characters and Latin
 * letters or digits ("通过 Example Cloud", "另有 3 条"), none between Chinese and Chinese ("王小明通过"),
 * and none next to punctuation (“”、。，（）…). Applied where Mailroom joins texts (a name into a
 * sentence, a value into a template), never inside a value: a file name or a note keeps every
 * character it was given.
 */

// Han ideographs (with extension A and the compatibility block), kana and Hangul: the scripts
// written without spaces between words.
const CJK = /[\u2e80-\u2eff\u2f00-\u2fdf\u3040-\u309f\u30a0-\u30ff\u3100-\u312f\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff]/u;
// Latin letters (with accents) and digits: what a Chinese editor sets apart with a space.
const LATIN = /[A-Za-z0-9\u00c0-\u024f]/u;

function isCjk(char: string | undefined): boolean {
  return char !== undefined && CJK.test(char);
}

function isLatin(char: string | undefined): boolean {
  return char !== undefined && LATIN.test(char);
}

/** Whether a space belongs between a text ending in `left` and one starting with `right`. */
export function needsSpaceBetween(left: string | undefined, right: string | undefined): boolean {
  return (isCjk(left) && isLatin(right)) || (isLatin(left) && isCjk(right));
}

/** The last and first character of a text (a whole code point). */
function lastChar(text: string): string | undefined {
  return Array.from(text.slice(-2)).at(-1);
}

function firstChar(text: string): string | undefined {
  return text.codePointAt(0) === undefined ? undefined : String.fromCodePoint(text.codePointAt(0) as number);
}

/**
 * Joins texts by the rule: "Bob Berg" + "通过" + "Example Cloud" → "Bob Berg 通过 Example Cloud",
 * "王小明" + "通过" + "示例云盘" → "王小明通过示例云盘". Empty parts are skipped.
 */
export function joinSpaced(...parts: string[]): string {
  let out = '';
  for (const part of parts) {
    if (part === '') continue;
    out += needsSpaceBetween(lastChar(out), firstChar(part)) ? ` ${part}` : part;
  }
  return out;
}

/** `value` with a space before it when it follows Chinese text and starts with a Latin letter or digit (or the other way round). */
export function spacedAfter(previous: string | undefined, value: string): string {
  return needsSpaceBetween(previous, firstChar(value)) ? ` ${value}` : value;
}

/** `value` with a space after it when Chinese text follows and it ends with a Latin letter or digit (or the other way round). */
export function spacedBefore(value: string, next: string | undefined): string {
  return needsSpaceBetween(lastChar(value), next) ? `${value} ` : value;
}
