#!/usr/bin/env -S node --max-semi-space-size=4
// The `mailroom` command. It runs the bundle dist/main.mjs, which starts in a fraction of the time
// and memory of compiling TypeScript on the fly. An installed package always runs it (it ships
// neither src/ nor tsx). In a source checkout (it has tsconfig.json, which the package does not
// ship) `npm install` builds the bundle, and the sources run through tsx instead while src/ is
// newer than the bundle (being edited). File times alone cannot tell the two apart: npm gives the
// files of an installed package the times of their unpacking, in any order.
// --max-semi-space-size=4: V8's default young generation (16 MiB semi-spaces) lets a busy worker's
// RSS grow by ~20 MiB for no gain in speed here (docs/architecture.md).
import { existsSync, readdirSync, statSync } from 'node:fs';
import { setFlagsFromString } from 'node:v8';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

// The old generation may grow by half its size between full collections rather than V8's default
// (up to 4×, adaptive): a worker with 100 000 mails queued peaked at ~150 MiB RSS and now at
// ~120 MiB, for a few per cent more CPU (docs/architecture.md). Read by V8 at each collection, so
// setting it here works; a V8 without the flag ignores it.
setFlagsFromString('--heap-growing-percent=50');

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const bundle = join(root, 'dist', 'main.mjs');

function newestSource(folder) {
  let newest = 0;
  for (const entry of readdirSync(folder, { withFileTypes: true })) {
    const path = join(folder, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestSource(path) : statSync(path).mtimeMs);
  }
  return newest;
}

const checkout = existsSync(join(root, 'tsconfig.json')) && existsSync(join(root, 'src'));
const useBundle = !checkout || (existsSync(bundle) && statSync(bundle).mtimeMs >= newestSource(join(root, 'src')));
if (!checkout && !existsSync(bundle)) {
  process.stderr.write(`mailroom: ${bundle} is missing: this installation is incomplete; install the package again.\n`);
  process.exit(1);
}
let main;
if (useBundle) {
  ({ main } = await import(bundle));
} else {
  const { register } = await import('tsx/esm/api');
  register();
  ({ main } = await import('../src/main.ts'));
}
process.exitCode = await main(process.argv.slice(2));
