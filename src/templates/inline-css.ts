/**
 * CSS inlining for mail programs that ignore <style> (Gmail's app, older Outlooks), done on the
 * template sources once rather than on every rendered mail: juice was ~55 % of the CPU of a
 * share mail. The layout and the body are joined where the layout outputs the body, inlined as one
 * document with the Liquid markup protected (juice's codeBlocks), and cut apart again, so every
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

/** Options shared by both ways of inlining, as the rendered mails were inlined before. */
function options(juice: JuiceFn, liquid: boolean) {
  return {
    removeStyleTags: false,
    preserveMediaQueries: true,
    ...(liquid ? { codeBlocks: { ...juice.codeBlocks, LIQUID_TAG: { start: '{%', end: '%}' } } } : {}),
  };
}

/** Loads juice (~20 MiB) on first use: a worker that only sends queued mail never needs it. */
export async function loadJuice(): Promise<JuiceFn> {
  return (await import('juice')).default;
}

/** The CSS of a rendered HTML mail inlined: the fallback for sources that cannot be inlined safely. */
export function inlineRenderedHtml(juice: JuiceFn, html: string): string {
  return juice(html, options(juice, false));
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
  if (places?.length !== 1 || body.includes(BODY_START) || body.includes(BODY_END) || layout.includes(BODY_START) || layout.includes(BODY_END)) return undefined;
  const tag = places[0];
  const at = layout.indexOf(tag);
  const document = `${layout.slice(0, at)}${BODY_START}${body}${BODY_END}${layout.slice(at + tag.length)}`;
  let inlined: string;
  try {
    inlined = juice(document, options(juice, true));
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
