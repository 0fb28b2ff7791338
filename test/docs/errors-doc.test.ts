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
    for (const { code, body } of doc) {
      if (!isErrorCode(code)) continue;
      const info = errorCodes[code];
      assert.match(body, new RegExp(`HTTP status: ${info.status}\\b`), `${code}: the doc must say "HTTP status: ${info.status}"`);
      assert.match(body, new RegExp(`CLI exit code: ${info.exit}\\b`), `${code}: the doc must say "CLI exit code: ${info.exit}"`);
      assert.match(body, /\*\*Cause\.\*\*\s+\S/, `${code}: the doc must say what causes it`);
      assert.match(body, /\*\*What to do\.\*\*\s+\S/, `${code}: the doc must say what to do`);
    }
  });
});
