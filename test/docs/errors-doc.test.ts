import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { before, describe, it } from 'node:test';
import { errorCodes, isErrorCode } from '../../src/errors.ts';

const docPath = new URL('../../docs/errors.md', import.meta.url);

interface Section {
  readonly code: string;
  readonly body: string;
}

/** The `### code` sections of the reference; a heading may be written `### code` or `### \`code\``. */
function sections(markdown: string): Section[] {
  const out: Section[] = [];
  const headings = [...markdown.matchAll(/^###[ \t]+`?([^`\s]+)`?[ \t]*$/gm)];
  for (const [index, match] of headings.entries()) {
    const start = (match.index ?? 0) + match[0].length;
    const next = headings[index + 1];
    // A section ends at the next heading of any level.
    const rest = markdown.slice(start, next?.index ?? markdown.length);
    const end = /^#{1,6}[ \t]/m.exec(rest);
    out.push({ code: match[1] as string, body: end ? rest.slice(0, end.index) : rest });
  }
  return out;
}

/**
 * Whether a section has `**Label.**` followed by words of its own: the text up to the next
 * `**Other label.**` or the end of the section must hold a letter.
 */
function hasText(body: string, label: string): boolean {
  const start = body.indexOf(`**${label}.**`);
  if (start === -1) return false;
  const rest = body.slice(start + label.length + 5);
  const next = /\*\*[A-Z][^*\n]*\.\*\*/.exec(rest);
  return /\p{L}/u.test(next ? rest.slice(0, next.index) : rest);
}

describe('docs/errors.md, the error reference', () => {
  let doc: Section[];

  before(async () => {
    doc = sections(await readFile(docPath, 'utf8'));
  });

  it('has a section for every registered error code', () => {
    const documented = new Set(doc.map((s) => s.code));
    const missing = Object.keys(errorCodes).filter((code) => !documented.has(code));
    assert.deepEqual(missing, [], `codes without a "### code" section in docs/errors.md: ${missing.join(', ')}`);
  });

  it('documents no code that the registry does not have', () => {
    const unknown = doc.map((s) => s.code).filter((code) => !isErrorCode(code));
    assert.deepEqual(unknown, [], `docs/errors.md documents codes that src/errors.ts does not register: ${unknown.join(', ')}`);
  });

  it('documents each code once', () => {
    const seen = new Set<string>();
    const twice = doc.map((s) => s.code).filter((code) => (seen.has(code) ? true : (seen.add(code), false)));
    assert.deepEqual(twice, []);
  });

  it('gives each code the HTTP status and CLI exit code of the registry, a cause and what to do', () => {
    const lacking: string[] = [];
    for (const { code, body } of doc) {
      if (!isErrorCode(code)) continue;
      const info = errorCodes[code];
      assert.match(body, new RegExp(`HTTP status: ${info.status}\\b`), `${code}: the doc must say "HTTP status: ${info.status}"`);
      assert.match(body, new RegExp(`CLI exit code: ${info.exit}\\b`), `${code}: the doc must say "CLI exit code: ${info.exit}"`);
      for (const label of ['Cause', 'What to do']) {
        if (!hasText(body, label)) lacking.push(`${code}: **${label}.**`);
      }
    }
    assert.deepEqual(lacking, [], `entries of docs/errors.md without text after the label:\n${lacking.join('\n')}`);
  });

  it('tells a label followed by text from an empty one', () => {
    assert.equal(hasText('**Cause.** The server refused.\n\n**What to do.** Retry.', 'Cause'), true);
    assert.equal(hasText('**Cause.**\n\n**What to do.** Retry.', 'Cause'), false);
    assert.equal(hasText('**Cause.** x\n\n**What to do.**\n', 'What to do'), false);
    assert.equal(hasText('**Cause.** x', 'What to do'), false);
  });
});
