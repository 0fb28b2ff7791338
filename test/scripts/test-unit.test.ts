/**
 * The fast tier's rule (scripts/test-unit.ts): which test files `npm run test:unit` runs, judged
 * from what they import, on a made-up tree and on this repository.
 */
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { judgeTestFiles } from '../../scripts/test-unit.ts';

const FILES: Record<string, string> = {
  'test/support/servers.ts': "import { spawn } from 'node:child_process';\nexport const startPostfix = () => spawn('postfix');\n",
  'test/support/run-mailroom.ts': "import { spawn } from 'node:child_process';\nexport const repoRoot = '/';\nexport const runMailroom = () => spawn('mailroom');\n",
  'test/support/helper.ts': "import { startPostfix } from './servers.ts';\nexport const withPostfix = startPostfix;\n",
  'test/support/pure.ts': 'export const twice = (n: number) => 2 * n;\n',
  'test/domain/pure.test.ts': "import { twice } from '../support/pure.ts';\n",
  'test/domain/types-only.test.ts': "import type { X } from '../support/servers.ts';\nimport { type Y } from '../support/servers.ts';\n",
  'test/docs/paths.test.ts': "import { repoRoot } from '../support/run-mailroom.ts';\n",
  'test/mail/postfix.test.ts': "import {\n  startPostfix,\n} from '../support/servers.ts';\n",
  'test/mail/indirect.test.ts': "import { withPostfix } from '../support/helper.ts';\n",
  'test/cli/command.test.ts': "import { repoRoot, runMailroom } from '../support/run-mailroom.ts';\n",
  'test/cli/spawns.test.ts': "import { execFile } from 'node:child_process';\n",
  'test/web/page.test.ts': "import { chromium } from 'playwright-core';\n",
  'test/web/bundle.test.ts': "const index = new URL('../../dist/web/index.html', import.meta.url);\n",
};

describe('npm run test:unit: which test files are fast', () => {
  let root: string;
  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'mailroom-test-unit-'));
    for (const [path, text] of Object.entries(FILES)) {
      await mkdir(dirname(join(root, path)), { recursive: true });
      await writeFile(join(root, path), text);
    }
  });
  after(async () => {
    if (root) await rm(root, { recursive: true, force: true });
  });

  it('keeps the files that start nothing and says why each other one is left out', () => {
    assert.deepEqual(Object.fromEntries(judgeTestFiles(root).map(({ file, slow }) => [file, slow ?? 'fast'])), {
      'test/cli/command.test.ts': 'imports runMailroom of test/support/run-mailroom.ts',
      'test/cli/spawns.test.ts': 'test/cli/spawns.test.ts starts a process',
      'test/docs/paths.test.ts': 'fast',
      'test/domain/pure.test.ts': 'fast',
      'test/domain/types-only.test.ts': 'fast',
      'test/mail/indirect.test.ts': 'via test/support/helper.ts: imports test/support/servers.ts',
      'test/mail/postfix.test.ts': 'imports test/support/servers.ts',
      'test/web/bundle.test.ts': 'test/web/bundle.test.ts reads the build',
      'test/web/page.test.ts': 'test/web/page.test.ts drives Chromium',
    });
  });

  it('on this repository: the pure rules are in, Postfix, PostgreSQL, Chromium and the command are out', () => {
    const judged = new Map(judgeTestFiles(fileURLToPath(new URL('../../', import.meta.url))).map(({ file, slow }) => [file, slow]));
    for (const fast of ['test/architecture.test.ts', 'test/domain/sender.test.ts', 'test/docs/errors-doc.test.ts', 'test/http/users-api.test.ts']) {
      assert.equal(judged.get(fast), undefined, fast);
    }
    for (const slow of ['test/transport/smtp-transport.test.ts', 'test/db/outbox-repo.test.ts', 'test/web/admin-email.test.ts', 'test/cli/cli.test.ts']) {
      assert.ok(judged.has(slow), `${slow} exists`);
      assert.notEqual(judged.get(slow), undefined, slow);
    }
  });
});
