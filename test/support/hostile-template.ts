import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { templates as enDefaults } from '../../src/templates/defaults/en.ts';

/** An html part over the render budget: a sort of three million items. Saving it is refused; rendering it fails with template_render_budget. */
export const OVER_BUDGET_HTML = '{% assign n = 3000000 %}{% assign a = (1..n) | sort: "x" %}<p>{{ file_name }}</p>';

/**
 * Makes OVER_BUDGET_HTML the English share template in force, written straight into the SQLite
 * database of `dataDir`, as an older Mailroom or a hand edit could have left it (the page and the
 * API refuse to save it).
 */
export function storeOverBudgetShareTemplate(dataDir: string): void {
  const db = new BetterSqlite3(join(dataDir, 'mailroom.sqlite'));
  try {
    db.prepare('INSERT INTO template_versions (name, lang, subject, html, text, action, created_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)').run('share', 'en', enDefaults.share.subject, OVER_BUDGET_HTML, '', 'set', 'hand-edit', Date.now());
  } finally {
    db.close();
  }
}
