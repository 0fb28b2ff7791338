/**
 * CSS inlining for mail programs that ignore <style> (Gmail's app, older Outlooks), done on the
 * template sources once rather than on every rendered mail: juice was ~55 % of the CPU of a
 * share mail. The layout and the body are joined where the layout outputs the body, inlined as one
 * document with the Liquid markup set aside as placeholders, and cut apart again, so every
 * selector (the layout's `a`, `p`, `.button`, a body's own <style>) reaches the same elements as
 * it did when the rendered HTML was inlined. Whatever juice returns is parsed and checked by the
 * engine like any template, and only used when it holds the same Liquid and the same HTML tags in
 * the same order as the sources: juice may add style attributes, nothing else.
 */
import type { default as Juice } from 'juice';

export type JuiceFn = typeof Juice;

/** The layout's one place for the body: `{{ content | raw }}` (with optional whitespace control). */
const CONTENT_TAG = /\{\{-?\s*content\s*\|\s*raw\s*-?\}\}/g;
const BODY_START = '<!--mailroom:body-start-->';
const BODY_END = '<!--mailroom:body-end-->';
const LIQUID = /\{\{[\s\S]*?\}\}|\{%[\s\S]*?%\}/g;
const HTML_TAG = /<\/?([A-Za-z][A-Za-z0-9-]*)/g;
// The attributes juice writes from the CSS (style, and bgcolor, width… on table cells and images).
const STYLE_ATTRIBUTE = /\s(?:style|bgcolor|background|width|height|align|valign)\s*=\s*(?:"[^"]*"|'[^']*')/gi;

/** As the rendered mails were inlined before. */
const JUICE_OPTIONS = { removeStyleTags: false, preserveMediaQueries: true };

/**
 * Liquid set aside as placeholders juice and its HTML parser take for plain words (in text, in
 * attribute values, as an attribute name, in CSS). juice's own codeBlocks option does the same
 * but puts the blocks back one regular expression each, over the whole document: a 246 KB
 * template with 9000 tags took 5.7 s; this takes one pass.
 */
const PLACEHOLDER = /mailroomliquid(\d+)x(?:="")?/gi;

function setAsideLiquid(source: string): { text: string; pieces: string[] } {
  const pieces: string[] = [];
  const text = source.replace(LIQUID, (piece) => `mailroomliquid${pieces.push(piece) - 1}x`);
  return { text, pieces };
}

/**
 * Whether a Liquid tag (`{% if %}`…) stands inside an HTML tag: `<a {% if x %}class="button"{% endif %}>`
 * has its class only in some mails, which juice, seeing the source, cannot know.
 */
function conditionalMarkup(text: string, pieces: readonly string[]): boolean {
  for (const tag of text.matchAll(/<[A-Za-z][^>]*>/g)) {
    for (const at of tag[0].matchAll(PLACEHOLDER)) if (pieces[Number(at[1])]?.startsWith('{%')) return true;
  }
  return false;
}

function restoreLiquid(text: string, pieces: readonly string[]): string {
  // HTML parsers lower-case attribute names and write an empty attribute as `name=""`.
  return text.replace(PLACEHOLDER, (match, index: string) => pieces[Number(index)] ?? match);
}

/** Loads juice (~20 MiB) on first use: a worker that only sends queued mail never needs it. */
export async function loadJuice(): Promise<JuiceFn> {
  return (await import('juice')).default;
}

/** The CSS of a rendered HTML mail inlined: the fallback for sources that cannot be inlined safely. */
export function inlineRenderedHtml(juice: JuiceFn, html: string): string {
  return juice(html, JUICE_OPTIONS);
}

/**
 * The Liquid markup and the HTML tag names of a source, in order, the attributes juice writes
 * left out: what inlining must keep. (Those attributes get copies of the CSS, Liquid such as
 * `{{ accent_color }}` included; kept() checks those.)
 */
function skeleton(source: string): string {
  const bare = source.replace(STYLE_ATTRIBUTE, '');
  const liquid = bare.match(LIQUID) ?? [];
  const tags = [...bare.replace(LIQUID, '').matchAll(HTML_TAG)].map((m) => (m[1] as string).toLowerCase());
  return JSON.stringify([liquid, tags]);
}

/** Whether every piece of Liquid in `output` is one written in `input`: juice made none (e.g. from `&#123;&#123;`). */
function kept(input: string, output: string): boolean {
  const written = new Set(input.match(LIQUID) ?? []);
  return (output.match(LIQUID) ?? []).every((piece) => written.has(piece));
}

/**
 * The layout and body sources with the CSS inlined, or undefined when that cannot be done safely
 * (the layout outputs its body other than once, the body holds the markers, or juice changed more
 * than style attributes); the engine then inlines each rendered mail instead.
 */
export function inlineTemplateCss(juice: JuiceFn, layout: string, body: string): { layout: string; body: string } | undefined {
  const places = layout.match(CONTENT_TAG);
  const reserved = (text: string) => text.includes(BODY_START) || text.includes(BODY_END) || /mailroomliquid/i.test(text);
  if (places?.length !== 1 || reserved(body) || reserved(layout)) return undefined;
  const tag = places[0];
  const at = layout.indexOf(tag);
  const document = `${layout.slice(0, at)}${BODY_START}${body}${BODY_END}${layout.slice(at + tag.length)}`;
  const { text, pieces } = setAsideLiquid(document);
  if (conditionalMarkup(text, pieces)) return undefined;
  let inlined: string;
  try {
    inlined = restoreLiquid(juice(text, JUICE_OPTIONS), pieces);
  } catch {
    return undefined;
  }
  const start = inlined.indexOf(BODY_START);
  const end = inlined.indexOf(BODY_END);
  if (start < 0 || end < start || inlined.indexOf(BODY_START, start + 1) >= 0 || inlined.indexOf(BODY_END, end + 1) >= 0) return undefined;
  const result = { layout: `${inlined.slice(0, start)}${tag}${inlined.slice(end + BODY_END.length)}`, body: inlined.slice(start + BODY_START.length, end) };
  if (!kept(document, inlined) || skeleton(result.body) !== skeleton(body) || skeleton(result.layout) !== skeleton(layout)) return undefined;
  return result;
}
