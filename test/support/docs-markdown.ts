/**
 * Just enough Markdown for the documentation tests (test/docs/): the documentation files, the
 * fenced code blocks with their line numbers, the links and images outside code, and the
 * anchors GitHub makes from headings. No Markdown library: the rules needed are few and are
 * CommonMark's (fences) and GitHub's (heading anchors), written down here where a test can pin
 * them.
 */
import { readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { repoRoot } from './run-mailroom.ts';

export { repoRoot };

/** README.md and every docs/**\/*.md, repository-relative with `/`, sorted. */
export function documentationFiles(root: string = repoRoot): string[] {
  const out = ['README.md'];
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.isFile() && entry.name.endsWith('.md')) out.push(relative(root, path).split('\\').join('/'));
    }
  };
  walk(join(root, 'docs'));
  return out.sort((a, b) => (a === 'README.md' ? -1 : b === 'README.md' ? 1 : a < b ? -1 : a > b ? 1 : 0));
}

export interface FencedBlock {
  /** 1-based line of the opening fence. */
  readonly line: number;
  /** The info string after the fence, trimmed (`sh runnable`, `text`, ``). */
  readonly info: string;
  /** 1-based line of the closing fence (the last line of the file when there is none). */
  readonly endLine: number;
  /** The lines between the fences, the opening fence's indentation removed, joined with \n. */
  readonly text: string;
}

const openingFence = /^( *)(`{3,}|~{3,})(.*)$/;

/** Every fenced code block (``` or ~~~, CommonMark's rules for closing), in file order. */
export function fencedBlocks(markdown: string): FencedBlock[] {
  const lines = markdown.split(/\r?\n/);
  const out: FencedBlock[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = openingFence.exec(lines[i] as string);
    if (!open) continue;
    const indent = (open[1] as string).length;
    const fence = open[2] as string;
    const info = (open[3] as string).trim();
    // A backtick fence's info string cannot hold a backtick (then it is inline code).
    if (fence[0] === '`' && info.includes('`')) continue;
    const body: string[] = [];
    let j = i + 1;
    for (; j < lines.length; j++) {
      const line = lines[j] as string;
      const close = /^ *(`{3,}|~{3,})[ \t]*$/.exec(line);
      if (close && (close[1] as string)[0] === fence[0] && (close[1] as string).length >= fence.length) break;
      // Remove up to the opening fence's indentation (a block inside a list item).
      const spaces = /^ */.exec(line)?.[0].length ?? 0;
      body.push(line.slice(Math.min(spaces, indent)));
    }
    out.push({ line: i + 1, endLine: Math.min(j + 1, lines.length), info, text: body.join('\n') });
    i = j; // an unclosed fence runs to the end of the file
  }
  return out;
}

/**
 * The document with everything that is not prose blanked out, line for line and column for
 * column: fenced code blocks, HTML comments and inline code spans. Links found in what is left
 * are real links, and their line numbers are the file's.
 */
export function proseOnly(markdown: string, { keepCodeSpans = false }: { keepCodeSpans?: boolean } = {}): string[] {
  const blank = (s: string) => s.replace(/[^\n]/g, ' ');
  const text = markdown.replace(/<!--[\s\S]*?-->/g, blank);
  const lines = text.split(/\r?\n/);
  for (const block of fencedBlocks(text)) {
    for (let k = block.line - 1; k < block.endLine; k++) lines[k] = blank(lines[k] as string);
  }
  return keepCodeSpans ? lines : lines.map(maskCodeSpans);
}

/** Replaces inline code spans (`x`, ``x`y``) on one line with spaces. */
function maskCodeSpans(line: string): string {
  let out = '';
  let i = 0;
  while (i < line.length) {
    if (line[i] !== '`') {
      out += line[i];
      i++;
      continue;
    }
    const run = /^`+/.exec(line.slice(i))?.[0] as string;
    // the closing run: exactly as many backticks
    const closing = new RegExp(`(?<!\`)${run}(?!\`)`, 'g');
    closing.lastIndex = i + run.length;
    const match = closing.exec(line);
    if (!match) {
      out += run;
      i += run.length;
      continue;
    }
    const end = match.index + run.length;
    out += ' '.repeat(end - i);
    i = end;
  }
  return out;
}

export interface Link {
  /** 1-based line. */
  readonly line: number;
  /** The destination as written (without <> and title). */
  readonly target: string;
}

/**
 * The destinations of inline links and images (`[x](t)`, `![x](t)`), reference definitions
 * (`[x]: t`) and HTML `src`/`href` attributes, outside code.
 */
export function links(markdown: string): Link[] {
  const out: Link[] = [];
  for (const [index, line] of proseOnly(markdown).entries()) {
    // ](destination "title") — the destination may be <wrapped in angle brackets>.
    for (const m of line.matchAll(/\]\(\s*(<[^>\n]*>|[^\s()]*(?:\([^\s()]*\)[^\s()]*)*)(?:\s+(?:"[^"]*"|'[^']*'|\([^)]*\)))?\s*\)/g)) {
      const raw = m[1] as string;
      out.push({ line: index + 1, target: raw.startsWith('<') ? raw.slice(1, -1) : raw });
    }
    const definition = /^ {0,3}\[[^\]]+\]:\s*(<[^>]*>|\S+)/.exec(line);
    if (definition) {
      const raw = definition[1] as string;
      out.push({ line: index + 1, target: raw.startsWith('<') ? raw.slice(1, -1) : raw });
    }
    for (const m of line.matchAll(/<(?:img|a|source)\b[^>]*?\s(?:src|href)\s*=\s*("([^"]*)"|'([^']*)')/gi)) {
      out.push({ line: index + 1, target: (m[2] ?? m[3]) as string });
    }
  }
  return out;
}

/**
 * GitHub's anchor for a heading text (github-slugger): lowercase; drop every character that is
 * not a letter, a mark, a digit, `_`, `-` or a space (so CJK characters stay); each space
 * becomes `-`.
 */
export function githubSlug(text: string): string {
  return text
    .toLowerCase()
    .replace(/[^\p{L}\p{M}\p{N}\p{Pc} -]/gu, '')
    .replace(/ /g, '-');
}

/** The text GitHub renders for a heading's Markdown: link text kept, images, HTML and code marks gone. */
function headingText(markdown: string): string {
  return markdown
    .replace(/!\[([^\]]*)\]\([^)]*\)/g, '$1')
    .replace(/\[([^\]]*)\]\([^)]*\)/g, '$1')
    .replace(/\[([^\]]*)\]\[[^\]]*\]/g, '$1')
    .replace(/<[^>]+>/g, '')
    .trim();
}

/**
 * Every anchor a file offers: its headings' slugs (a repeated one gets -1, -2, … as on GitHub)
 * and the `id`/`name` of HTML elements.
 */
export function anchors(markdown: string): Set<string> {
  const out = new Set<string>();
  const seen = new Map<string, number>();
  const add = (heading: string) => {
    const slug = githubSlug(headingText(heading));
    const count = seen.get(slug);
    seen.set(slug, (count ?? -1) + 1);
    out.add(count === undefined ? slug : `${slug}-${count + 1}`);
  };
  // Headings inside code blocks are not headings; HTML comments are blanked too.
  const lines = markdown.split(/\r?\n/);
  // Inline code stays: it is part of a heading's text.
  const prose = proseOnly(markdown, { keepCodeSpans: true });
  for (const [i, line] of prose.entries()) {
    const atx = /^ {0,3}(#{1,6})(?:[ \t]+(.*?))?(?:[ \t]+#+)?[ \t]*$/.exec(line);
    if (atx) {
      add(atx[2] ?? '');
      continue;
    }
    const next = prose[i + 1];
    if (next !== undefined && line.trim() !== '' && /^ {0,3}(=+|-+)[ \t]*$/.test(next) && !/^ {0,3}([-*+]|\d+[.)])[ \t]/.test(line)) {
      const previous = prose[i - 1];
      // a setext heading is a paragraph's last line; only one-line paragraphs are handled
      if (previous === undefined || previous.trim() === '') add(lines[i] as string);
    }
  }
  for (const m of markdown.matchAll(/<[a-z][a-z0-9]*\b[^>]*?\s(?:id|name)\s*=\s*("([^"]*)"|'([^']*)')/gi)) out.add((m[2] ?? m[3]) as string);
  return out;
}
