// npm run build (also run by `npm install`): bundles the server (dist/*.mjs) and the web
// interface (dist/web/: index.html and content-hashed assets), both with esbuild, and writes the
// library's declarations (dist/types/, with tsc) meanwhile.
import { execFile } from 'node:child_process';
import { rm, mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { promisify } from 'node:util';
import { constants, gzipSync } from 'node:zlib';
import { basename, resolve } from 'node:path';
import { build } from 'esbuild';

const root = new URL('..', import.meta.url).pathname;
await rm(`${root}dist`, { recursive: true, force: true });

// The .d.ts files of the library (package.json's exports types), in a process of its own so that
// it runs while esbuild bundles. --noCheck: `npm run typecheck` checks the types; this only
// writes them, in about half the time.
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
const declarations = promisify(execFile)(process.execPath, [tsc, '-p', `${root}tsconfig.build.json`, '--noCheck'], { cwd: root }).catch((error) => {
  throw new Error(`tsc could not write the declarations (dist/types):\n${error.stdout}${error.stderr}`);
});
declarations.catch(() => {}); // reported by the await at the end, not as an unhandled rejection meanwhile

/**
 * tsc keeps the specifiers as the sources write them (`./main.ts`); the declarations name the
 * `.js` files they stand for instead, as declarations of compiled code do, so that every
 * resolver and tool takes them.
 */
async function declarationsNameJs(dir) {
  const files = (await readdir(dir, { recursive: true })).filter((f) => f.endsWith('.d.ts'));
  const relativeTs = /((?:\bfrom|\bimport\s*\()\s*)(['"])(\.{1,2}\/[^'"]*)\.ts\2/g;
  await Promise.all(files.map(async (f) => writeFile(`${dir}/${f}`, (await readFile(`${dir}/${f}`, 'utf8')).replace(relativeTs, '$1$2$3.js$2'))));
}

await build({
  // render-worker is the entry of the template render threads (templates/render-pool.ts finds
  // it as ./render-worker.mjs next to every chunk, so it must land in dist/ itself).
  entryPoints: { main: `${root}src/main.ts`, index: `${root}src/index.ts`, 'render-worker': `${root}src/templates/render-worker.ts` },
  bundle: true,
  splitting: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  packages: 'external',
  sourcemap: true,
  outdir: `${root}dist`,
  outExtension: { '.js': '.mjs' },
  logLevel: 'warning',
});

// The browser bundle: Preact pages, with the template editor (CodeMirror) split into a chunk of
// its own that only the templates page loads. Names carry a content hash, so the server can let
// browsers cache them for good.
const web = await build({
  entryPoints: { app: `${root}web/main.tsx`, styles: `${root}web/styles.css` },
  bundle: true,
  splitting: true,
  format: 'esm',
  target: ['chrome110', 'firefox115', 'safari16'],
  jsx: 'automatic',
  jsxImportSource: 'preact',
  minify: true,
  sourcemap: true,
  outdir: `${root}dist/web/assets`,
  entryNames: '[name]-[hash]',
  chunkNames: 'chunk-[hash]',
  metafile: true,
  logLevel: 'warning',
});
const outputs = Object.entries(web.metafile.outputs);
const entry = (name) => basename(outputs.find(([, o]) => o.entryPoint?.endsWith(name))?.[0] ?? '');
const html = (await readFile(`${root}web/index.html`, 'utf8')).replaceAll('{{app}}', `/assets/${entry('web/main.tsx')}`).replaceAll('{{styles}}', `/assets/${entry('web/styles.css')}`);
await mkdir(`${root}dist/web`, { recursive: true });
await writeFile(`${root}dist/web/index.html`, html);

// Compressed once here, served as they are to browsers that accept gzip: the editor chunk goes
// from ~600 KB to ~200 KB on the wire without compressing on every request.
for (const file of Object.keys(web.metafile.outputs).filter((f) => /\.(js|css)$/.test(f))) {
  const path = resolve(file); // metafile paths are relative to the working directory
  await writeFile(`${path}.gz`, gzipSync(await readFile(path), { level: constants.Z_BEST_COMPRESSION }));
}

await declarations;
await declarationsNameJs(`${root}dist/types`);
