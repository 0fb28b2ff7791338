import assert from 'node:assert/strict';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, posix } from 'node:path';
import { describe, it } from 'node:test';
import { anchors, documentationFiles, githubSlug, links, repoRoot } from '../support/docs-markdown.ts';

/** A link that leaves the repository (http:, https:, mailto:, //host): not followed. */
function isExternal(target: string): boolean {
  return /^[a-z][a-z0-9+.-]*:/i.test(target) || target.startsWith('//');
}

function decode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/**
 * The broken links of one file, as `file:line → target`: a relative path that does not exist,
 * or an anchor (`#x`, `other.md#x`) that no heading of the target file makes.
 */
function brokenLinks(file: string, markdown: string, root: string): string[] {
  const out: string[] = [];
  const anchorCache = new Map<string, Set<string>>();
  const anchorsOf = (path: string) => {
    let set = anchorCache.get(path);
    if (!set) anchorCache.set(path, (set = anchors(path === file ? markdown : readFileSync(join(root, path), 'utf8'))));
    return set;
  };
  for (const { line, target } of links(markdown)) {
    if (target === '' || isExternal(target)) continue;
    const hash = target.indexOf('#');
    const pathPart = decode((hash === -1 ? target : target.slice(0, hash)).replace(/\?.*$/, ''));
    const anchor = hash === -1 ? undefined : decode(target.slice(hash + 1));
    // A path starting with / is taken from the repository root, as GitHub does.
    const resolved = pathPart === '' ? file : pathPart.startsWith('/') ? posix.normalize(pathPart.slice(1)) : posix.normalize(posix.join(posix.dirname(file), pathPart));
    const where = `${file}:${line} → ${target}`;
    if (resolved.startsWith('..')) {
      out.push(`${where} (outside the repository)`);
      continue;
    }
    const absolute = join(root, resolved);
    if (!existsSync(absolute)) {
      out.push(`${where} (no such file: ${resolved})`);
      continue;
    }
    if (anchor === undefined || anchor === '' || !resolved.endsWith('.md') || statSync(absolute).isDirectory()) continue;
    if (!anchorsOf(resolved).has(anchor)) out.push(`${where} (no heading in ${resolved} makes the anchor #${anchor})`);
  }
  return out;
}

describe('links in README.md and docs/', () => {
  it('finds the documentation files', () => {
    const files = documentationFiles();
    assert.ok(files.includes('README.md') && files.includes('docs/errors.md'), files.join(', '));
  });

  it('resolves every relative link and image, and every #anchor, in every file', () => {
    const broken: string[] = [];
    for (const file of documentationFiles()) broken.push(...brokenLinks(file, readFileSync(join(repoRoot, file), 'utf8'), repoRoot));
    assert.deepEqual(broken, [], `broken links:\n${broken.join('\n')}`);
  });
});

describe('the link checker itself', () => {
  it("makes GitHub's anchors: lowercase, punctuation dropped, spaces to -, CJK kept", () => {
    assert.equal(githubSlug('The outbox API'), 'the-outbox-api');
    assert.equal(githubSlug('Coming from ownCloud or Nextcloud'), 'coming-from-owncloud-or-nextcloud');
    assert.equal(githubSlug('mail_smtpmode'), 'mail_smtpmode');
    assert.equal(githubSlug('What is `mail:test`? (and --debug)'), 'what-is-mailtest-and---debug');
    assert.equal(githubSlug('发送邮件：SMTP 设置'), '发送邮件smtp-设置');
    assert.equal(githubSlug('Ünïcode Wörds'), 'ünïcode-wörds');
  });

  it('numbers repeated headings -1, -2 and takes link text and code into the anchor', () => {
    const set = anchors('# Setup\n\n## Setup\n\n## Setup\n\n## The [API](x.md) and `config:set`\n\n```sh\n# not a heading\n```\n');
    assert.deepEqual([...set].sort(), ['setup', 'setup-1', 'setup-2', 'the-api-and-configset']);
  });

  it('reports a missing file, a missing anchor and a missing anchor in another file, with file and line', () => {
    const root = dirname(dirname(join(repoRoot, 'docs', 'x')));
    const markdown = [
      '# Title', // 1
      '', // 2
      'See [the errors](docs/errors.md) and [a missing page](docs/nope.md).', // 3
      'Jump to [the title](#title), [nowhere](#nowhere) and [a code](docs/errors.md#no-such-code).', // 4
      '![missing picture](docs/screenshots/none.png) <img src="docs/screenshots/none2.png">', // 5
      '`[not a link](inline-code.md)` and [outside](https://example.com/missing)', // 6
      '```sh', // 7
      'echo "[in code](nope.md)"', // 8
      '```', // 9
    ].join('\n');
    assert.deepEqual(brokenLinks('README.md', markdown, root), [
      'README.md:3 → docs/nope.md (no such file: docs/nope.md)',
      'README.md:4 → #nowhere (no heading in README.md makes the anchor #nowhere)',
      'README.md:4 → docs/errors.md#no-such-code (no heading in docs/errors.md makes the anchor #no-such-code)',
      'README.md:5 → docs/screenshots/none.png (no such file: docs/screenshots/none.png)',
      'README.md:5 → docs/screenshots/none2.png (no such file: docs/screenshots/none2.png)',
    ]);
  });
});
