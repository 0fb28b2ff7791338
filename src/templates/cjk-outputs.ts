import { spacedAfter, spacedBefore } from '../domain/cjk-spacing.ts';

/** The filter that spaces a value from the Chinese text around it (domain/cjk-spacing.ts). */
export const CJK_SPACE_FILTER = 'cjk_space';

/**
 * The filter itself: `{{ sharer | cjk_space: "", "与" }}` gives "Bob Berg " but "李华", so a
 * template is written as Chinese is ("{{ sharer }}与您共享了"), without guessing whether the value
 * will be Chinese or Latin. Strings and numbers only; anything else passes unchanged.
 */
export function cjkSpace(value: unknown, previous?: unknown, next?: unknown): unknown {
  if (typeof value !== 'string' && typeof value !== 'number') return value;
  const text = String(value);
  if (text === '') return text;
  const before = typeof previous === 'string' && previous !== '' ? previous : undefined;
  const after = typeof next === 'string' && next !== '' ? next : undefined;
  return spacedAfter(before, spacedBefore(text, after));
}

const OUTPUT = /\{\{(?!-)([\s\S]*?)(?<!-)\}\}/g;
// HTML tags between a value and its neighbour are skipped: "<strong>{{ sharer }}</strong>与您".
const TRAILING_TAGS = /(?:<[^<>]*>)+$/;
const LEADING_TAGS = /^(?:<[^<>]*>)+/;

/**
 * The template with `cjk_space` added to every output that touches text (skipping HTML tags),
 * with the neighbouring characters as its arguments. Outputs with whitespace control (`{{-`),
 * `| raw`, or that name the filter already are left as written; a neighbour that is not a
 * character of text (a Liquid tag, a quote) gives nothing to space from.
 */
export function spaceOutputs(source: string, html: boolean): string {
  return source.replace(OUTPUT, (whole: string, inner: string, offset: number) => {
    if (/\braw\b/.test(inner) || inner.includes(CJK_SPACE_FILTER)) return whole;
    let before = source.slice(Math.max(0, offset - 200), offset);
    let after = source.slice(offset + whole.length, offset + whole.length + 200);
    if (html) {
      before = before.replace(TRAILING_TAGS, '');
      after = after.replace(LEADING_TAGS, '');
    }
    const previous = Array.from(before.slice(-2)).at(-1) ?? '';
    const next = Array.from(after.slice(0, 2))[0] ?? '';
    if (!/\p{L}|\p{N}/u.test(previous) && !/\p{L}|\p{N}/u.test(next)) return whole;
    const arg = (c: string) => (/\p{L}|\p{N}/u.test(c) ? c : '');
    return `{{${inner.trimEnd()} | ${CJK_SPACE_FILTER}: "${arg(previous)}", "${arg(next)}" }}`;
  });
}
