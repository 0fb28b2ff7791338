/**
 * Picks the mail settings out of a parsed ownCloud/Nextcloud config.php for `config:import`.
 * Values are copied as PHP typed them; checking them is the settings schema's job, so that an
 * import and a hand-typed `config:set` are judged by the same rules.
 */
import type { PhpValue } from './php-config-parser.ts';

export interface OwncloudMailImport {
  readonly settings: Record<string, string | number | boolean>;
  /** Mail keys whose value is an array, which no Mailroom setting can take. */
  readonly ignored: string[];
}

/** ownCloud keys that are not `mail_*` but that Mailroom needs, with the setting they become. */
const RENAMED_KEYS: ReadonlyMap<string, string> = new Map([['overwrite.cli.url', 'base_url']]);

/** The Mailroom setting an ownCloud key becomes, or undefined for a key that is not imported. */
export function importedName(key: string): string | undefined {
  return key.startsWith('mail_') ? key : RENAMED_KEYS.get(key);
}

export function mailSettingsFromOwncloudConfig(config: Record<string, PhpValue>): OwncloudMailImport {
  const settings: Record<string, string | number | boolean> = {};
  const ignored: string[] = [];
  for (const [key, value] of Object.entries(config)) {
    const target = importedName(key);
    // PHP null is "not set" (ownCloud writes 'mail_smtpname' => NULL when authentication is off): the default stays.
    if (target === undefined || value === null) continue;
    if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') {
      settings[target] = value;
    } else {
      ignored.push(key);
    }
  }
  return { settings, ignored };
}
