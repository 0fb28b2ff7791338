/**
 * The import rules of docs/architecture.md ("Rules that keep it that way"), checked on every .ts
 * file under src/. Imports are read with TypeScript's own parser, so an import named in a
 * comment or a string does not count, and every form does: `import … from '…'`, `import '…'`,
 * `export … from '…'`, `import('…')` (also in a type: `import('…').T`) and `import x = require('…')`.
 * Type-only imports count too: a type from db/ in http/ is still a dependency on db/.
 */
import assert from 'node:assert/strict';
import { readdir, readFile, stat } from 'node:fs/promises';
import { posix } from 'node:path';
import { fileURLToPath } from 'node:url';
import { before, describe, it } from 'node:test';
import ts from 'typescript';

const srcDir = fileURLToPath(new URL('../src/', import.meta.url));

interface ImportRef {
  /** The importing file, relative to src/ (`http/build-app.ts`). */
  readonly file: string;
  readonly line: number;
  /** As written (`../errors.ts`, `nodemailer/lib/mail-composer`), or undefined for `import(expr)`. */
  readonly specifier: string | undefined;
  /** A relative specifier resolved against src/ (`errors.ts`; `../x` when it leaves src/). */
  readonly target: string | undefined;
  /** The exported names taken: `default`, named ones, or `*` for all of them (namespace, re-export all, dynamic import, side-effect import). */
  readonly names: readonly string[];
  /** Only types are taken (`import type …`, `export type … from`, `import('…').T`, or every name marked `type`). */
  readonly typeOnly: boolean;
}

/** Every import of one source file. */
function parseImports(file: string, source: string): ImportRef[] {
  const sourceFile = ts.createSourceFile(file, source, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  const refs: ImportRef[] = [];
  const add = (node: ts.Node, specifier: string | undefined, names: readonly string[], typeOnly = false): void => {
    const line = sourceFile.getLineAndCharacterOfPosition(node.getStart(sourceFile)).line + 1;
    const target = specifier?.startsWith('.') ? posix.normalize(posix.join(posix.dirname(file), specifier)) : undefined;
    refs.push({ file, line, specifier, target, names, typeOnly });
  };
  const visit = (node: ts.Node): void => {
    if (ts.isImportDeclaration(node) && ts.isStringLiteral(node.moduleSpecifier)) {
      const clause = node.importClause;
      const names: string[] = [];
      if (!clause) names.push('*');
      else {
        if (clause.name) names.push('default');
        const bindings = clause.namedBindings;
        if (bindings && ts.isNamespaceImport(bindings)) names.push('*');
        if (bindings && ts.isNamedImports(bindings)) for (const el of bindings.elements) names.push((el.propertyName ?? el.name).text);
      }
      const named = clause?.namedBindings;
      const allNamedTypes = clause !== undefined && !clause.name && named !== undefined && ts.isNamedImports(named) && named.elements.length > 0 && named.elements.every((el) => el.isTypeOnly);
      add(node, node.moduleSpecifier.text, names, clause?.isTypeOnly === true || allNamedTypes);
    } else if (ts.isExportDeclaration(node) && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier)) {
      const clause = node.exportClause;
      const names = clause && ts.isNamedExports(clause) ? clause.elements.map((el) => (el.propertyName ?? el.name).text) : ['*'];
      add(node, node.moduleSpecifier.text, names, node.isTypeOnly);
    } else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) {
      const arg = node.arguments[0];
      add(node, arg && ts.isStringLiteralLike(arg) ? arg.text : undefined, ['*']);
    } else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument) && ts.isStringLiteral(node.argument.literal)) {
      add(node, node.argument.literal.text, ['*'], true);
    } else if (ts.isImportEqualsDeclaration(node) && ts.isExternalModuleReference(node.moduleReference) && ts.isStringLiteral(node.moduleReference.expression)) {
      add(node, node.moduleReference.expression.text, ['*']);
    }
    ts.forEachChild(node, visit);
  };
  visit(sourceFile);
  return refs;
}

async function sourceFiles(dir: string, prefix = ''): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const rel = prefix + entry.name;
    if (entry.isDirectory()) out.push(...(await sourceFiles(posix.join(dir, entry.name), `${rel}/`)));
    else if (entry.name.endsWith('.ts')) out.push(rel);
  }
  return out.sort();
}

/** The top folder of a src/ path (`http`), or the file itself for top-level files (`main.ts`). */
function area(path: string): string {
  const slash = path.indexOf('/');
  return slash < 0 ? path : path.slice(0, slash);
}

/** nodemailer itself, its sub-modules (`nodemailer/lib/…`) and its plugins (`nodemailer-ntlm-auth`). */
function isNodemailer(specifier: string | undefined): boolean {
  return specifier !== undefined && /^nodemailer($|\/|-)/.test(specifier);
}

function describeRef(ref: ImportRef): string {
  const what = ref.names.includes('*') ? '' : ` { ${ref.names.join(', ')} }`;
  return `src/${ref.file}:${ref.line} imports${what} '${ref.specifier ?? '(computed)'}'`;
}

type Rule = (ref: ImportRef) => boolean;

// --- The rules. Each returns true when the import breaks it. ---

/** domain/ is pure: of our files it may import only errors.ts and other domain files. */
const domainIsPure: Rule = (ref) => area(ref.file) === 'domain' && ref.target !== undefined && ref.target !== 'errors.ts' && area(ref.target) !== 'domain';

const adapters = new Set(['db', 'transport', 'templates']);
/** db/, transport/ and templates/ are adapters that never import each other. */
const adaptersApart: Rule = (ref) => {
  const from = area(ref.file);
  return adapters.has(from) && ref.target !== undefined && adapters.has(area(ref.target)) && area(ref.target) !== from;
};

/** http/ and cli/ call services through the context: never db/, a transport, or nodemailer. */
const entryPointsUseServices: Rule = (ref) => {
  const from = area(ref.file);
  if (from !== 'http' && from !== 'cli') return false;
  if (isNodemailer(ref.specifier)) return true;
  if (ref.target === undefined) return false;
  const to = area(ref.target);
  if (to === 'db') return true;
  return to === 'transport';
};

/** The folders of services: they work on domain/ types through store interfaces of their own. */
const serviceAreas = new Set(['users', 'notifications', 'outbox', 'mail', 'bounces', 'templates', 'config', 'message']);
/**
 * Services never import db/, not even for a type: rows are mapped to domain types in db/, and
 * only the composition root (main.ts, context.ts) hands a repository to a service.
 */
const servicesAvoidDb: Rule = (ref) => serviceAreas.has(area(ref.file)) && ref.target !== undefined && area(ref.target) === 'db';

/** http/ and cli/ are the outermost layer: only main.ts wires them in. */
const onlyMainImportsEntryPoints: Rule = (ref) => {
  if (ref.target === undefined || ref.file === 'main.ts') return false;
  const to = area(ref.target);
  return (to === 'http' || to === 'cli') && area(ref.file) !== to;
};

/** nodemailer stays behind the transport and the bytes of a mail. */
const nodemailerConfined: Rule = (ref) => isNodemailer(ref.specifier) && area(ref.file) !== 'transport' && area(ref.file) !== 'message';

/** nodemailer's modules that make or read a message's bytes: encoded words and folding, the encoders, DKIM, its composer. */
function isNodemailerMimePart(specifier: string | undefined): boolean {
  return specifier !== undefined && /^nodemailer\/lib\/(mime-funcs|mime-node|mime-types|qp|base64|dkim|mail-composer|addressparser)($|\/)/.test(specifier);
}

/**
 * A message is made in one folder: of nodemailer, message/ takes only the parts that write or
 * read its bytes, and no other folder takes those (transport/ keeps to SMTP).
 */
const mimePartsInMessage: Rule = (ref) => isNodemailer(ref.specifier) && (area(ref.file) === 'message') !== isNodemailerMimePart(ref.specifier);

/**
 * message/ is the bytes of a mail and sits below templates/: of our files it imports only its
 * own, domain/, errors.ts and types from config/ (the settings a mail is finished with), so
 * templates/ may use it but it never reaches back into templates/, a service, db/ or a transport.
 */
const messageIsBelowTemplates: Rule = (ref) => {
  if (area(ref.file) !== 'message' || ref.target === undefined) return false;
  const to = area(ref.target);
  if (to === 'message' || to === 'domain' || ref.target === 'errors.ts') return false;
  return !(to === 'config' && ref.typeOnly);
};

/** wiring/ is the composition root's: main.ts composes its parts, and nothing else builds services. */
const onlyMainImportsWiring: Rule = (ref) => ref.target !== undefined && area(ref.target) === 'wiring' && ref.file !== 'main.ts' && area(ref.file) !== 'wiring';

/**
 * The import circles among our files, each as the path that closes it (`a.ts -> b.ts -> a.ts`).
 * Type-only imports count: a circle of types is still two files that cannot be read apart.
 */
function importCycles(refs: readonly ImportRef[]): string[] {
  const edges = new Map<string, Set<string>>();
  for (const ref of refs) {
    if (ref.target === undefined || ref.target === ref.file) continue;
    let out = edges.get(ref.file);
    if (!out) edges.set(ref.file, (out = new Set()));
    out.add(ref.target);
  }
  const cycles: string[] = [];
  const done = new Set<string>();
  const path: string[] = [];
  const onPath = new Set<string>();
  const visit = (file: string): void => {
    path.push(file);
    onPath.add(file);
    for (const next of [...(edges.get(file) ?? [])].sort()) {
      if (onPath.has(next)) cycles.push([...path.slice(path.indexOf(next)), next].join(' -> '));
      else if (!done.has(next)) visit(next);
    }
    path.pop();
    onPath.delete(file);
    done.add(file);
  };
  for (const file of [...edges.keys()].sort()) if (!done.has(file)) visit(file);
  return cycles;
}

/** The one module that speaks SMTP on the wire, and so the one that opens sockets. */
const WIRE_MODULE = 'transport/smtp-wire.ts';
/** The shapes of the API's answers, shared by the server and the web interface. */
const API_TYPES_MODULE = 'domain/api-types.ts';

/**
 * What in a file is not a type (a value, a function, an import taken for its values): the
 * module of the API's shapes is read by the server and the browser bundle alike and must add no
 * code to either, so a page cannot come to depend on server code through it.
 */
function valuesIn(file: string, source: string): string[] {
  const sourceFile = ts.createSourceFile(file, source, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  const values: string[] = [];
  for (const statement of sourceFile.statements) {
    if (ts.isInterfaceDeclaration(statement) || ts.isTypeAliasDeclaration(statement)) continue;
    if (ts.isImportDeclaration(statement) && statement.importClause?.isTypeOnly) continue;
    if (ts.isExportDeclaration(statement) && statement.isTypeOnly) continue;
    const line = sourceFile.getLineAndCharacterOfPosition(statement.getStart(sourceFile)).line + 1;
    values.push(`${file}:${line}: ${statement.getText(sourceFile).split('\n')[0]} (only types here)`);
  }
  return values;
}

/**
 * In transport/, only the wire module opens connections: no other file there imports node:net
 * or node:tls but for types, so a second reply reader, TLS setup or connect with its own
 * time-out cannot grow beside it. (Other protocols live elsewhere: bounces/ has its POP3 client.)
 */
const oneWireModule: Rule = (ref) => area(ref.file) === 'transport' && ref.file !== WIRE_MODULE && !ref.typeOnly && ref.specifier !== undefined && /^(node:)?(net|tls)$/.test(ref.specifier);

function violations(refs: readonly ImportRef[], rule: Rule): string[] {
  return refs.filter(rule).map(describeRef);
}

describe('the import rules of src/', () => {
  let refs: ImportRef[];
  let files: string[];

  before(async () => {
    files = await sourceFiles(srcDir);
    refs = [];
    for (const file of files) refs.push(...parseImports(file, await readFile(posix.join(srcDir, file), 'utf8')));
  });

  it('reads the imports of every source file, including the ones main.ts wires together', () => {
    assert.ok(files.includes('main.ts') && files.includes('errors.ts'), 'src/ was found');
    assert.ok(files.length >= 30, `only ${files.length} files found under src/`);
    const fromMain = refs.filter((r) => r.file === 'main.ts').map((r) => r.target);
    assert.ok(fromMain.includes('http/build-app.ts'));
    assert.ok(fromMain.includes('cli/program.ts'));
  });

  // Data a translator edits (the message catalogs) is JSON, imported as JSON (with { type: 'json' }).
  it('resolves every relative import to an existing .ts (or .json data) file under src/', async () => {
    const broken: string[] = [];
    for (const ref of refs) {
      if (ref.specifier === undefined) {
        broken.push(`${describeRef(ref)}: a computed import() cannot be checked; import a literal path`);
        continue;
      }
      if (ref.target === undefined) continue;
      if (!(ref.specifier.endsWith('.ts') || ref.specifier.endsWith('.json')) || ref.target.startsWith('../')) {
        broken.push(`${describeRef(ref)}: our files are imported by their .ts path inside src/`);
        continue;
      }
      const exists = await stat(posix.join(srcDir, ref.target)).then(
        (s) => s.isFile(),
        () => false,
      );
      if (!exists) broken.push(`${describeRef(ref)}: no such file`);
    }
    assert.deepEqual(broken, []);
  });

  it("lets the web interface import of the server's code only domain/ files that need no Node.js (languages, the message format)", async () => {
    const webDir = fileURLToPath(new URL('../web/', import.meta.url));
    const webFiles = (await readdir(webDir, { recursive: true })).filter((f) => /\.tsx?$/.test(f));
    const found: string[] = [];
    const wrong: string[] = [];
    for (const file of webFiles) {
      for (const match of (await readFile(posix.join(webDir, file), 'utf8')).matchAll(/from '((?:\.\.\/)+src\/[^']+)'/g)) {
        const target = posix.normalize(posix.join('web', posix.dirname(file), match[1] as string));
        found.push(target);
        if (!target.startsWith('src/domain/')) wrong.push(`web/${file} imports ${match[1]}: the bundle may use only src/domain/`);
        else if (/from 'node:|from '\.\.\/errors\.ts'/.test(await readFile(fileURLToPath(new URL(`../${target}`, import.meta.url)), 'utf8'))) wrong.push(`web/${file} imports ${target}, which needs Node.js or the server's errors`);
      }
    }
    assert.ok(found.includes('src/domain/languages.ts'), 'the web interface imports the list of languages');
    assert.deepEqual(wrong, []);
  });

  it(`keeps ${API_TYPES_MODULE} to types only, and the web interface takes it by type only`, async () => {
    assert.deepEqual(valuesIn(API_TYPES_MODULE, await readFile(posix.join(srcDir, API_TYPES_MODULE), 'utf8')), []);
    const webDir = fileURLToPath(new URL('../web/', import.meta.url));
    const webFiles = (await readdir(webDir, { recursive: true })).filter((f) => /\.tsx?$/.test(f));
    const importers: string[] = [];
    const untyped: string[] = [];
    for (const file of webFiles) {
      for (const ref of parseImports(file, await readFile(posix.join(webDir, file), 'utf8'))) {
        if (ref.specifier === undefined || !ref.specifier.endsWith(`src/${API_TYPES_MODULE}`)) continue;
        importers.push(file);
        if (!ref.typeOnly) untyped.push(`web/${file}:${ref.line} imports ${ref.specifier} for values; use import type`);
      }
    }
    assert.ok(importers.length > 0, `the web interface reads the API's shapes from ${API_TYPES_MODULE}`);
    assert.deepEqual(untyped, []);
  });

  it('keeps domain/ free of our other code except errors.ts', () => {
    assert.deepEqual(violations(refs, domainIsPure), []);
  });

  it('keeps db/, transport/ and templates/ from importing each other', () => {
    assert.deepEqual(violations(refs, adaptersApart), []);
  });

  it('lets http/ and cli/ reach neither db/ nor transport/ nor nodemailer', () => {
    assert.deepEqual(violations(refs, entryPointsUseServices), []);
  });

  it('keeps services (users/, notifications/, outbox/, mail/, bounces/, templates/, config/) from importing db/', () => {
    assert.deepEqual(violations(refs, servicesAvoidDb), []);
  });

  it('lets nothing but main.ts import http/ or cli/', () => {
    assert.deepEqual(violations(refs, onlyMainImportsEntryPoints), []);
  });

  it('lets nothing but main.ts and the wiring itself import wiring/', () => {
    assert.ok(
      refs.some((r) => r.file === 'main.ts' && r.target?.startsWith('wiring/')),
      'main.ts composes the wiring',
    );
    assert.deepEqual(violations(refs, onlyMainImportsWiring), []);
  });

  it('lets only transport/ and message/ import nodemailer', () => {
    assert.deepEqual(violations(refs, nodemailerConfined), []);
  });

  it("lets only message/ import nodemailer's MIME and DKIM parts, and message/ no other part of it", () => {
    assert.ok(
      refs.some((r) => r.file.startsWith('message/') && isNodemailerMimePart(r.specifier)),
      "message/ composes with nodemailer's encoders",
    );
    assert.deepEqual(violations(refs, mimePartsInMessage), []);
  });

  it('keeps message/ below templates/: it imports only its own files, domain/, errors.ts and config/ types', () => {
    assert.ok(
      refs.some((r) => r.file.startsWith('templates/') && r.target?.startsWith('message/')),
      'templates/ finishes its mails in message/',
    );
    assert.deepEqual(violations(refs, messageIsBelowTemplates), []);
  });

  it('lets only transport/smtp-wire.ts open sockets in transport/ (node:net and node:tls elsewhere there only for types)', () => {
    assert.ok(files.includes(WIRE_MODULE), `${WIRE_MODULE} exists`);
    assert.deepEqual(violations(refs, oneWireModule), []);
  });

  it('has no import circle: a type two files share lives in a leaf file both import', () => {
    assert.deepEqual(importCycles(refs), []);
  });
});

describe('the import rule checks themselves', () => {
  const check = (file: string, source: string, rule: Rule): string[] => violations(parseImports(file, source), rule);

  it('find static, type-only, re-exported and dynamic imports but not ones in comments or strings', () => {
    const refs = parseImports('http/x.ts', ["import type { A } from '../db/a.ts';", "export { b } from '../db/b.ts';", "const c = await import('../db/c.ts');", "type D = import('../db/d.ts').D;", "// import { e } from '../db/e.ts';", 'const f = "from \'../db/f.ts\'";'].join('\n'));
    assert.deepEqual(
      refs.map((r) => [r.target, r.line]),
      [
        ['db/a.ts', 1],
        ['db/b.ts', 2],
        ['db/c.ts', 3],
        ['db/d.ts', 4],
      ],
    );
  });

  it('flag each kind of forbidden import', () => {
    assert.equal(check('domain/x.ts', "import { z } from '../config/settings-schema.ts';", domainIsPure).length, 1);
    assert.equal(check('domain/x.ts', "import { E } from '../errors.ts';\nimport { y } from './y.ts';", domainIsPure).length, 0);
    assert.equal(check('templates/x.ts', "import { t } from '../transport/transport.ts';", adaptersApart).length, 1);
    assert.equal(check('http/x.ts', "import { t } from '../transport/create-transport.ts';", entryPointsUseServices).length, 1);
    assert.equal(check('http/x.ts', "import type { Db } from '../db/database.ts';", entryPointsUseServices).length, 1);
    assert.equal(check('cli/x.ts', "import nodemailer from 'nodemailer';", entryPointsUseServices).length, 1);
    assert.equal(check('mail/x.ts', "import { buildApp } from '../http/build-app.ts';", onlyMainImportsEntryPoints).length, 1);
    assert.equal(check('http/x.ts', "import { runCli } from '../cli/program.ts';", onlyMainImportsEntryPoints).length, 1);
    assert.equal(check('mail/x.ts', "import MailComposer from 'nodemailer/lib/mail-composer';", nodemailerConfined).length, 1);
    assert.equal(check('templates/x.ts', "import { foldLines } from 'nodemailer/lib/mime-funcs';", nodemailerConfined).length, 1);
    assert.equal(check('message/x.ts', "import { foldLines } from 'nodemailer/lib/mime-funcs';", nodemailerConfined).length, 0);
    assert.equal(check('transport/x.ts', "import { encode } from 'nodemailer/lib/qp';", mimePartsInMessage).length, 1);
    assert.equal(check('transport/x.ts', "import type { SMTPConnectionCustomAuthContext } from 'nodemailer/lib/smtp-connection';", mimePartsInMessage).length, 0);
    assert.equal(check('message/x.ts', "import SMTPConnection from 'nodemailer/lib/smtp-connection';", mimePartsInMessage).length, 1);
    assert.equal(check('message/x.ts', "import { DKIMSigner } from 'nodemailer/lib/dkim';", mimePartsInMessage).length, 0);
    assert.equal(check('message/x.ts', "import { shippedParts } from '../templates/shipped-templates.ts';", messageIsBelowTemplates).length, 1);
    assert.equal(check('message/x.ts', "import { createSettingsService } from '../config/settings-service.ts';", messageIsBelowTemplates).length, 1);
    assert.equal(check('message/x.ts', "import type { Settings } from '../config/settings-schema.ts';\nimport { assertHeaderSafe } from '../domain/address.ts';\nimport { dkimSign } from './dkim-sign.ts';\nimport { MailroomError } from '../errors.ts';", messageIsBelowTemplates).length, 0);
    assert.equal(check('templates/x.ts', "import { finishRendered } from '../message/finish-message.ts';", messageIsBelowTemplates).length, 0);
    assert.equal(check('index.ts', "import { wireMail } from './wiring/mail.ts';", onlyMainImportsWiring).length, 1);
    assert.equal(check('outbox/x.ts', "import type { Storage } from '../wiring/storage.ts';", onlyMainImportsWiring).length, 1);
    assert.equal(check('wiring/x.ts', "import type { Mail } from './mail.ts';", onlyMainImportsWiring).length, 0);
    assert.equal(check('main.ts', "import { wireMail } from './wiring/mail.ts';", onlyMainImportsWiring).length, 0);
    assert.equal(check('users/x.ts', "import type { UserTable } from '../db/schema.ts';", servicesAvoidDb).length, 1);
    assert.equal(check('notifications/x.ts', "type R = import('../db/user-repo.ts').UserRepo;", servicesAvoidDb).length, 1);
    assert.equal(check('users/x.ts', "import type { User } from '../domain/user.ts';", servicesAvoidDb).length, 0);
    assert.equal(check('main.ts', "import { createUserRepo } from './db/user-repo.ts';", servicesAvoidDb).length, 0);
    assert.equal(check('db/x.ts', "import type { DatabaseSchema } from './schema.ts';", servicesAvoidDb).length, 0);
  });

  it('tell a socket module imported for its values from one imported for types only', () => {
    assert.equal(check('transport/x.ts', "import net from 'node:net';", oneWireModule).length, 1);
    assert.equal(check('transport/x.ts', "import { connect } from 'node:tls';", oneWireModule).length, 1);
    assert.equal(check('transport/x.ts', "import * as tls from 'tls';", oneWireModule).length, 1);
    assert.equal(check('bounces/x.ts', "import { connect } from 'node:tls';", oneWireModule).length, 0);
    assert.equal(check('transport/x.ts', "import { type TLSSocket, connect } from 'node:tls';", oneWireModule).length, 1);
    assert.equal(check('transport/x.ts', "import type net from 'node:net';\nimport { type TLSSocket } from 'node:tls';", oneWireModule).length, 0);
    assert.equal(check(WIRE_MODULE, "import net from 'node:net';", oneWireModule).length, 0);
  });

  it('tell a module of types from one that holds values', () => {
    assert.deepEqual(valuesIn('domain/x.ts', "import type { L } from './l.ts';\nexport interface A { a: L }\nexport type B = A | null;\nexport type { L };"), []);
    assert.equal(valuesIn('domain/x.ts', 'export const STATES = [1, 2] as const;').length, 1);
    assert.equal(valuesIn('domain/x.ts', 'export function f(): void {}').length, 1);
    assert.equal(valuesIn('domain/x.ts', "import { L } from './l.ts';\nexport type A = L;").length, 1);
    assert.equal(valuesIn('domain/x.ts', "export { L } from './l.ts';").length, 1);
  });

  it('find an import circle, also one closed by a type-only import, and no circle in a tree', () => {
    const refs = [...parseImports('mail/a.ts', "import { b } from './b.ts';\nimport { errors } from '../errors.ts';"), ...parseImports('mail/b.ts', "import type { C } from './c.ts';"), ...parseImports('mail/c.ts', "import type { A } from './a.ts';")];
    assert.deepEqual(importCycles(refs), ['mail/a.ts -> mail/b.ts -> mail/c.ts -> mail/a.ts']);
    assert.deepEqual(importCycles(refs.slice(0, -1)), []);
  });
});
