import { MailroomError, isMailroomError } from '../errors.ts';
import { importedName, mailSettingsFromOwncloudConfig } from './owncloud-import.ts';
import { readPhpConfig, type UnreadableSetting } from './php-config-parser.ts';
import { quote } from './php-source.ts';
import { isSettingKey, settingDefinitions, type SettingKey } from './settings-schema.ts';
import type { SettingsService } from './settings-service.ts';
import { validateSetting } from './validate-setting.ts';

export interface ImportReport {
  /** Saved keys; secret values are not repeated. */
  imported: Array<{ key: SettingKey; value: unknown }>;
  /** Keys that the config file or the environment fixes: left as they are. */
  locked: SettingKey[];
  /** ownCloud/Nextcloud mail keys that Mailroom has no use for (e.g. mail_template_class). */
  notUsed: string[];
  /** Keys that name a program Mailroom runs: only the config file or the environment may set them. */
  fileOnly: Array<{ key: SettingKey; value: unknown }>;
  /** Keys that are no Mailroom setting and whose value only running PHP could give (e.g. getenv()). */
  unreadable: UnreadableSetting[];
}

/**
 * ownCloud 9 and older Nextcloud admin pages save switches as integers ('mail_smtpauth' => 1):
 * for a yes/no setting, 1 and 0 mean true and false, as they did to PHP.
 */
function phpBoolean(key: SettingKey, value: string | number | boolean): string | number | boolean {
  if (typeof settingDefinitions[key].default === 'boolean' && (value === 0 || value === 1)) return value === 1;
  return value;
}

/**
 * `config:import`: the mail keys of an ownCloud or Nextcloud config.php into the database
 * settings. The file is parsed, never executed; every value is validated before anything is
 * saved, so a bad value in it saves nothing.
 */
export async function importOwncloudConfig(source: string, fileName: string, settings: SettingsService): Promise<ImportReport> {
  let parsed;
  try {
    parsed = readPhpConfig(source);
  } catch (error) {
    if (isMailroomError(error)) throw new MailroomError(error.code, error.message.replace(/^config\.php/, fileName), { cause: error, details: error.details ? { ...error.details } : {} });
    throw error;
  }
  const report: ImportReport = { imported: [], locked: [], notUsed: [], fileOnly: [], unreadable: [] };
  for (const entry of parsed.unreadable) {
    const target = importedName(entry.key);
    // A setting Mailroom would import must be understood; anything else may stay unread.
    if (target !== undefined && isSettingKey(target)) {
      throw new MailroomError('config_import_malformed', `${fileName} line ${entry.line}, column ${entry.column}: the value of ${quote(entry.key)} cannot be read (config.php is never executed): ${entry.problem}; nothing was imported`, { details: { line: entry.line, column: entry.column } });
    }
    report.unreadable.push(entry);
  }
  const picked = mailSettingsFromOwncloudConfig(parsed.values);
  report.notUsed.push(...picked.ignored);
  const changes: Partial<Record<SettingKey, unknown>> = {};
  for (const [key, value] of Object.entries(picked.settings)) {
    if (!isSettingKey(key)) {
      report.notUsed.push(key);
      continue;
    }
    try {
      changes[key] = validateSetting(key, phpBoolean(key, value));
    } catch (error) {
      if (isMailroomError(error)) throw new MailroomError(error.code, `${fileName}: ${error.message}; nothing was imported`, { cause: error, details: error.details ? { ...error.details } : {} });
      throw error;
    }
    if (settingDefinitions[key].fileOnly) {
      report.fileOnly.push({ key, value: changes[key] });
      delete changes[key];
    } else if (settings.lockOf(key)) {
      report.locked.push(key);
      delete changes[key];
    } else {
      report.imported.push({ key, value: settingDefinitions[key].secret ? undefined : changes[key] });
    }
  }
  await settings.update(changes);
  return report;
}
