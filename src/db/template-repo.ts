import type { Kysely, Selectable } from 'kysely';
import type { NewTemplateVersion, StoredTemplateVersion } from '../domain/template-versions.ts';
import type { DatabaseSchema, TemplateVersionTable } from './schema.ts';

export type { NewTemplateVersion };
export type TemplateVersionRow = StoredTemplateVersion;

function toRow(r: Selectable<TemplateVersionTable>): TemplateVersionRow {
  return {
    id: Number(r.id),
    name: r.name,
    lang: r.lang,
    subject: r.subject,
    html: r.html,
    text: r.text,
    // The column is a plain varchar: anything unknown reads as 'set', as before 'restore' existed.
    action: r.action === 'reset' || r.action === 'restore' ? r.action : 'set',
    createdBy: r.created_by,
    createdAt: Number(r.created_at),
  };
}

/**
 * The versions of the editable templates. Rows are only ever added: a save is a 'set' row with
 * the three parts, a restore a 'restore' row with the parts of the version it restores, a reset a
 * 'reset' row (parts empty); the newest row of a name and language (highest id) is the one in force.
 */
export function createTemplateRepo(db: Kysely<DatabaseSchema>) {
  return {
    async addVersion(version: NewTemplateVersion): Promise<TemplateVersionRow> {
      const inserted = await db
        .insertInto('template_versions')
        .values({
          name: version.name,
          lang: version.lang,
          subject: version.subject,
          html: version.html,
          text: version.text,
          action: version.action,
          created_by: version.createdBy,
          created_at: version.createdAt,
        })
        .returning('id')
        .executeTakeFirstOrThrow();
      return { ...version, id: Number(inserted.id) };
    },

    /** The newest version of one template, or undefined when it was never changed. */
    async latest(name: string, lang: string): Promise<TemplateVersionRow | undefined> {
      const row = await db.selectFrom('template_versions').selectAll().where('name', '=', name).where('lang', '=', lang).orderBy('id', 'desc').limit(1).executeTakeFirst();
      return row && toRow(row);
    },

    /** One version of one template by id, or undefined when that id is not a version of this name and language. */
    async find(name: string, lang: string, id: number): Promise<TemplateVersionRow | undefined> {
      const row = await db.selectFrom('template_versions').selectAll().where('id', '=', id).where('name', '=', name).where('lang', '=', lang).executeTakeFirst();
      return row && toRow(row);
    },

    /** Every version of one template, newest first. */
    async versions(name: string, lang: string): Promise<TemplateVersionRow[]> {
      const rows = await db.selectFrom('template_versions').selectAll().where('name', '=', name).where('lang', '=', lang).orderBy('id', 'desc').execute();
      return rows.map(toRow);
    },

    /** The newest version of every template that has one, in one query (for listings). */
    async latestOfEach(): Promise<TemplateVersionRow[]> {
      const newest = db
        .selectFrom('template_versions')
        .select((eb) => eb.fn.max('id').as('id'))
        .groupBy(['name', 'lang']);
      const rows = await db.selectFrom('template_versions').selectAll().where('id', 'in', newest).orderBy('name').orderBy('lang').execute();
      return rows.map(toRow);
    },
  };
}

export type TemplateRepo = ReturnType<typeof createTemplateRepo>;
