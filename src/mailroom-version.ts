import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';

/**
 * Mailroom's name on npm (its command is `mailroom`): the npm name `mailroom` is another
 * project's. A package.json of another name is not ours.
 */
export const PACKAGE_NAME = 'mailroom-server';

const packageJson = z.object({ name: z.literal(PACKAGE_NAME), version: z.string().min(1) });

let cached: string | undefined;

/**
 * Mailroom's version, from its package.json, read on first use: `--version` prints it, and the
 * database records it with each migration this build applies. This module runs as
 * src/mailroom-version.ts or inside a bundle in dist/, one folder below package.json; two
 * folders up is tried too (a bundle in a folder of its own). A package.json of another name is
 * not ours.
 */
export function mailroomVersion(): string {
  if (cached !== undefined) return cached;
  const here = dirname(fileURLToPath(import.meta.url));
  for (const candidate of [join(here, '..', 'package.json'), join(here, '..', '..', 'package.json')]) {
    let found: unknown;
    try {
      found = JSON.parse(readFileSync(candidate, 'utf8'));
    } catch {
      continue;
    }
    const parsed = packageJson.safeParse(found);
    if (parsed.success) return (cached = parsed.data.version);
  }
  // A copy of the program without its package.json still runs; it cannot say which it is.
  return (cached = 'unknown');
}
