import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { describe, it } from 'node:test';
import { z } from 'zod';
import { configReferencePath, renderConfigReference } from '../../src/config/config-reference.ts';
import { envSchema } from '../../src/config/runtime-options.ts';
import { settingDefinitions, settingKeys, type SettingDefinition } from '../../src/config/settings-schema.ts';

const docUrl = new URL(`../../${configReferencePath}`, import.meta.url);

/** The `### key` section of the reference, up to the next heading. */
function section(markdown: string, key: string): string {
  const start = markdown.indexOf(`\n### ${key}\n`);
  assert.notEqual(start, -1, `no "### ${key}" section`);
  const rest = markdown.slice(start + 1);
  const next = rest.slice(4).search(/\n#{1,3} /);
  return next === -1 ? rest : rest.slice(0, next + 4);
}

describe('docs/admin/config.md, the generated configuration reference', () => {
  it('is what the generator writes from the current schema (else: run npm run docs)', async () => {
    const committed = await readFile(docUrl, 'utf8').catch(() => '');
    const expected = renderConfigReference();
    if (committed !== expected) {
      const a = committed.split('\n');
      const b = expected.split('\n');
      const line = a.findIndex((text, i) => text !== b[i]);
      const at = line === -1 ? Math.min(a.length, b.length) : line;
      assert.fail(`${configReferencePath} is out of date: run npm run docs and commit the result.\n` + `First difference at line ${at + 1}:\n  committed: ${JSON.stringify(a[at] ?? '(end of file)')}\n  generated: ${JSON.stringify(b[at] ?? '(end of file)')}`);
    }
  });

  it('renders the same text every time (no dates or other varying parts)', () => {
    assert.equal(renderConfigReference(), renderConfigReference());
  });

  it('has a section and a summary row for every setting key', () => {
    const doc = renderConfigReference();
    for (const key of settingKeys) {
      assert.ok(doc.includes(`\n### ${key}\n`), `${key} has no "### ${key}" section`);
      assert.ok(doc.includes(`| [\`${key}\`](#${key}) |`), `${key} has no row in the summary table`);
      assert.ok(section(doc, key).includes(`\`MAILROOM_${key.toUpperCase()}\``), `${key}: its environment variable is not named`);
    }
  });

  it('has a section for every runtime environment variable, with its description', () => {
    const doc = renderConfigReference();
    for (const [name, schema] of Object.entries(envSchema.shape)) {
      const text = section(doc, name);
      const description = (schema as z.ZodType).description;
      if (description !== undefined) assert.ok(text.includes(description), `${name}: its description is missing`);
    }
  });

  it('shows the type, the allowed values taken from the schema, the default and the send modes', () => {
    const doc = renderConfigReference();
    const mode = section(doc, 'mail_smtpmode');
    assert.match(mode, /- Type: enum/);
    assert.match(mode, /- Allowed: one of `smtp`, `sendmail`, `qmail`, `php`, `capture`/);
    assert.match(mode, /- Default: `capture`/);
    assert.match(mode, /- Send modes: all/);
    const port = section(doc, 'mail_smtpport');
    assert.match(port, /- Type: integer/);
    assert.match(port, /- Allowed: 1 to 65535/);
    assert.match(port, /- Send modes: `smtp`/);
    assert.match(section(doc, 'mail_smtpsecure'), /- Allowed: one of `""` \(empty\), `ssl`, `tls`/);
    assert.match(section(doc, 'mail_smtpauth'), /- Type: boolean/);
    assert.match(section(doc, 'mail_sendmail_path'), /must be an absolute path/);
    assert.match(section(doc, 'MAILROOM_PORT'), /- Default: `8080`/);
    assert.match(section(doc, 'MAILROOM_DATABASE_URL'), /- Default: not set/);
  });

  it('prints no default value of a secret, and marks every secret as such', () => {
    // The real secrets all default to '', which would show as `""`; a made-up table with a
    // non-empty secret default proves the value itself is never written.
    const settings: Record<string, SettingDefinition> = {
      ...settingDefinitions,
      test_secret: { schema: z.string(), default: 'hunter2-default-secret', secret: true, modes: [], description: 'A secret for the test.' },
    };
    const doc = renderConfigReference({ settings });
    assert.ok(!doc.includes('hunter2-default-secret'), 'the default of a secret was printed');
    for (const key of [...Object.keys(settings)].filter((k) => (settings[k] as SettingDefinition).secret)) {
      const text = section(doc, key);
      assert.match(text, /- Default: none shown\n/, `${key}: the default must say "none shown"`);
      assert.match(text, /- Secret: yes/, `${key}: not marked secret`);
    }
  });
});
