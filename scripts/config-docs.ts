// npm run docs: writes docs/admin/config.md, the configuration reference, from the settings
// schema (src/config/settings-schema.ts) and the runtime variables (src/config/runtime-options.ts).
// Run it after adding or changing a setting; test/docs/config-reference.test.ts fails until then.
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { configReferencePath, renderConfigReference } from '../src/config/config-reference.ts';

const root = fileURLToPath(new URL('..', import.meta.url));
const target = join(root, configReferencePath);
await mkdir(dirname(target), { recursive: true });
await writeFile(target, renderConfigReference());
console.log(`wrote ${configReferencePath}`);
