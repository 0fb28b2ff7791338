import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createTemplateRepo, type NewTemplateVersion } from '../../src/db/template-repo.ts';
import { dialects } from '../support/dialects.ts';

const version = (name: string, lang: string, n: number, action: 'set' | 'reset' | 'restore' = 'set'): NewTemplateVersion => ({
  name,
  lang,
  subject: action !== 'reset' ? `Subject ${n}` : '',
  html: action !== 'reset' ? `<p>Body ${n} — 你好</p>` : '',
  text: action !== 'reset' ? `Body ${n}` : '',
  action,
  createdBy: `admin-${n}`,
  createdAt: 1_700_000_000_000 + n,
});

for (const dialect of dialects()) {
  describe(`template repository on ${dialect.name}`, () => {
    it('has no version of a template never changed', async () => {
      const repo = createTemplateRepo((await dialect.open()).db);
      assert.equal(await repo.latest('share', 'en'), undefined);
      assert.deepEqual(await repo.versions('share', 'en'), []);
      assert.deepEqual(await repo.latestOfEach(), []);
    });

    it('adds versions, gives the newest as latest and lists them newest first, per name and language', async () => {
      const repo = createTemplateRepo((await dialect.open()).db);
      const first = await repo.addVersion(version('share', 'en', 1));
      assert.ok(Number.isInteger(first.id) && first.id >= 1);
      assert.deepEqual(first, { ...version('share', 'en', 1), id: first.id });
      const other = await repo.addVersion(version('share', 'zh-CN', 2));
      const second = await repo.addVersion(version('share', 'en', 3));
      const reset = await repo.addVersion(version('share', 'en', 4, 'reset'));
      await repo.addVersion(version('activity', 'en', 5));
      assert.ok(second.id > first.id && reset.id > second.id);

      const latest = await repo.latest('share', 'en');
      assert.deepEqual(latest, { ...version('share', 'en', 4, 'reset'), id: reset.id });
      assert.equal(typeof latest?.createdAt, 'number', 'bigint columns come back as numbers on both dialects');

      const versions = await repo.versions('share', 'en');
      assert.deepEqual(
        versions.map((v) => [v.id, v.action, v.createdBy]),
        [
          [reset.id, 'reset', 'admin-4'],
          [second.id, 'set', 'admin-3'],
          [first.id, 'set', 'admin-1'],
        ],
      );
      assert.equal(versions[1]?.html, '<p>Body 3 — 你好</p>');
      assert.deepEqual(
        (await repo.versions('share', 'zh-CN')).map((v) => v.id),
        [other.id],
      );

      assert.deepEqual(
        (await repo.latestOfEach()).map((v) => [v.name, v.lang, v.createdBy]),
        [
          ['activity', 'en', 'admin-5'],
          ['share', 'en', 'admin-4'],
          ['share', 'zh-CN', 'admin-2'],
        ],
      );
    });

    it('finds one version by id only under its own name and language, and keeps the action restore', async () => {
      const repo = createTemplateRepo((await dialect.open()).db);
      const saved = await repo.addVersion(version('share', 'en', 1));
      const restored = await repo.addVersion(version('share', 'en', 1, 'restore'));
      const other = await repo.addVersion(version('share', 'zh-CN', 2));
      assert.deepEqual(await repo.find('share', 'en', saved.id), { ...version('share', 'en', 1), id: saved.id });
      assert.deepEqual(await repo.find('share', 'en', restored.id), { ...version('share', 'en', 1, 'restore'), id: restored.id });
      assert.equal((await repo.latest('share', 'en'))?.action, 'restore');
      assert.equal(await repo.find('share', 'en', other.id), undefined, 'an id of another language');
      assert.equal(await repo.find('activity', 'en', saved.id), undefined, 'an id of another template');
      assert.equal(await repo.find('share', 'en', other.id + 1000), undefined, 'an id no row has');
    });
  });
}
