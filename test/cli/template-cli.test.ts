/**
 * End-to-end tests of the template commands, run as a user runs them. Kept short: every command
 * start costs about half a second. Versions are read from the SQLite file directly.
 */
import assert from 'node:assert/strict';
import { mkdtemp, realpath, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import BetterSqlite3 from 'better-sqlite3';
import { mailroomOk, runMailroom } from '../support/run-mailroom.ts';
import { TEMPLATE_LANGUAGES, TEMPLATE_NAMES } from '../../src/templates/template-catalog.ts';

interface VersionRow {
  name: string;
  lang: string;
  action: string;
  subject: string;
  created_by: string;
}

function versions(cwd: string): VersionRow[] {
  const db = new BetterSqlite3(join(cwd, 'data', 'mailroom.sqlite'), { readonly: true });
  try {
    return db.prepare('SELECT name, lang, action, subject, created_by FROM template_versions ORDER BY id').all() as VersionRow[];
  } finally {
    db.close();
  }
}

describe('the template commands', { concurrency: 1 }, () => {
  let cwd: string;

  before(async () => {
    cwd = await realpath(await mkdtemp(join(tmpdir(), 'mailroom-template-cli-')));
  });

  after(async () => {
    if (cwd) await rm(cwd, { recursive: true, force: true });
  });

  it('template:list prints every template in every language', async () => {
    const { stdout } = await mailroomOk(['template:list'], { cwd });
    const lines = stdout.trimEnd().split('\n');
    assert.equal(lines.length, TEMPLATE_NAMES.length * TEMPLATE_LANGUAGES.length, stdout);
    assert.ok(TEMPLATE_LANGUAGES.length >= 14, 'every language a mail can be written in');
    assert.match(lines[0] ?? '', /^share\s+en\s+default\s+— A file or folder was shared with you\.$/);
    assert.match(lines[1] ?? '', /^share\s+zh-CN\s+default/);
  });

  it('template:set NAME FILE saves the parts of a JSON file as a version by cli', async () => {
    const file = join(cwd, 'share.json');
    await writeFile(file, JSON.stringify({ subject: '{{ sharer }} shared {{ file_name }}', html: '<p>Hi {{ user.display_name }}</p>' }));
    const { stdout } = await mailroomOk(['template:set', 'share', file], { cwd });
    assert.match(stdout, /^share \(en\) saved as version #1\n$/);
    assert.deepEqual(versions(cwd), [{ name: 'share', lang: 'en', action: 'set', subject: '{{ sharer }} shared {{ file_name }}', created_by: 'cli' }]);
  });

  it('template:set with a broken template exits with 2, names line and column, and saves nothing', async () => {
    const file = join(cwd, 'broken.json');
    await writeFile(file, JSON.stringify({ subject: 'Broken', html: '<p>one</p>\n<p>{{ user.display_name </p>' }));
    const result = await runMailroom(['template:set', 'share', file, '--lang', 'zh-CN'], { cwd });
    assert.equal(result.code, 2, result.stderr);
    assert.match(result.stderr, /^mailroom: html: .*line 2.*column \d+/im);
    assert.equal(result.stdout, '');
    assert.equal(versions(cwd).length, 1);
  });

  it('template:reset puts the default back in force as a new version', async () => {
    const { stdout } = await mailroomOk(['template:reset', 'share'], { cwd });
    assert.equal(stdout, 'share (en) is the default again\n');
    assert.deepEqual(
      versions(cwd).map((v) => [v.action, v.created_by]),
      [
        ['set', 'cli'],
        ['reset', 'cli'],
      ],
    );
  });

  it("template:get --version prints an older version, as text and as the API's JSON", async () => {
    const [text, asJson] = await Promise.all([mailroomOk(['template:get', 'share', '--version', '1'], { cwd }), mailroomOk(['template:get', 'share', '--version', '1', '--json'], { cwd })]);
    const lines = text.stdout.split('\n');
    assert.match(lines[0] ?? '', /^share \(en\): version 1, saved by cli at \d{4}-\d\d-\d\dT[\d:.]+Z$/);
    assert.deepEqual(lines.slice(1), ['--- subject ---', '{{ sharer }} shared {{ file_name }}', '--- html ---', '<p>Hi {{ user.display_name }}</p>', '--- text ---', '(empty: derived from the HTML)', '']);
    const { version } = JSON.parse(asJson.stdout) as { version: Record<string, unknown> };
    assert.deepEqual(
      { ...version, createdAt: typeof version['createdAt'] },
      {
        id: 1,
        action: 'set',
        createdBy: 'cli',
        createdAt: 'string',
        subject: '{{ sharer }} shared {{ file_name }}',
        html: '<p>Hi {{ user.display_name }}</p>',
        text: '',
      },
    );
  });

  it('template:restore --version saves that version again as a new one, by cli', async () => {
    const { stdout } = await mailroomOk(['template:restore', 'share', '--version', '1'], { cwd });
    assert.equal(stdout, 'Template share (en): version 1 restored as version 3\n');
    assert.deepEqual(
      versions(cwd).map((v) => [v.action, v.subject, v.created_by]),
      [
        ['set', '{{ sharer }} shared {{ file_name }}', 'cli'],
        ['reset', '', 'cli'],
        ['restore', '{{ sharer }} shared {{ file_name }}', 'cli'],
      ],
    );
    const shown = await mailroomOk(['template:get', 'share', '--version', '3'], { cwd });
    assert.match(shown.stdout, /^share \(en\): version 3, restored from version 1 by cli at /);
  });

  it('template:get --version and template:restore exit with 1 for an unknown version, 2 when used wrongly, and save nothing', async () => {
    const cases: Array<[string[], number, RegExp]> = [
      [['template:get', 'share', '--version', '99'], 1, /^mailroom: Template share \(en\) has no version 99/],
      [['template:restore', 'share', '--version', '1', '--lang', 'zh-CN'], 1, /no version 1/],
      [['template:restore', 'share', '--version', 'abc'], 2, /^mailroom: --version: /],
      [['template:restore', 'share'], 2, /--version/],
      [['template:restore', 'share', '--version', '2'], 2, /is a reset/],
    ];
    const results = await Promise.all(cases.map(([args]) => runMailroom(args, { cwd })));
    results.forEach((result, i) => {
      const [args, code, message] = cases[i] as [string[], number, RegExp];
      assert.equal(result.code, code, `${args.join(' ')}: ${result.stderr}`);
      assert.match(result.stderr, message, args.join(' '));
      assert.equal(result.stdout, '', args.join(' '));
    });
    assert.equal(versions(cwd).length, 3);
  });

  it('template:restore of a version that no longer passes the checks exits with 2, says why, and saves nothing', async () => {
    // As an older Mailroom could have stored it, with a variable the template does not have.
    const db = new BetterSqlite3(join(cwd, 'data', 'mailroom.sqlite'));
    let id: number;
    try {
      id = Number(db.prepare('INSERT INTO template_versions (name, lang, subject, html, text, action, created_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)').run('lost_password', 'en', 'Reset', '<p>{{ link }}</p>', 'Your password: {{ user.password }}', 'set', 'old', Date.now()).lastInsertRowid);
    } finally {
      db.close();
    }
    const result = await runMailroom(['template:restore', 'lost_password', '--version', String(id)], { cwd });
    assert.equal(result.code, 2, result.stderr);
    assert.match(result.stderr, new RegExp(`^mailroom: version ${id} cannot be restored: text: line 1, column \\d+: unknown variable "user\\.password"`));
    assert.equal(result.stdout, '');
    assert.equal(versions(cwd).length, 4);
  });

  it('template:preview --format text prints the subject and the text rendered with sample data', async () => {
    const { stdout } = await mailroomOk(['template:preview', 'lost_password', '--lang', 'zh-CN', '--format', 'text'], { cwd });
    const [subject, blank, ...body] = stdout.split('\n');
    assert.match(subject ?? '', /^Subject: \S/);
    assert.equal(blank, '');
    const text = body.join('\n');
    // The links are the instance's: under the base_url its signature names.
    const base = text.trimEnd().split('\n').at(-1) ?? '';
    assert.match(base, /^https?:\/\//);
    assert.ok(text.includes(`${base}/reset/`), text);
    assert.ok(!text.includes('{{') && !text.includes('<p'), text);
  });
});
