import { MailroomError } from '../errors.ts';
import type { SecretBox } from './secret-box.ts';
import { defaultSettings, settingDefinitions, settingKeys, type SettingKey, type Settings } from './settings-schema.ts';
import { assertSettingKey, validateSetting, validateSettings } from './validate-setting.ts';
import type { SettingSource, SettingView as ApiSettingView } from '../domain/api-types.ts';

/** Where saved settings live (the database). Values are JSON text; secrets arrive sealed. */
export interface SettingsStore {
  /** Every saved key with its JSON text. */
  readAll(): Promise<Record<string, string>>;
  /** Writes and deletes (null) in one transaction. */
  write(changes: Record<string, string | null>): Promise<void>;
}

export type { SettingSource };

/** A setting as the API, the CLI and the UI show it (domain/api-types.ts), with this server's keys and values. */
export type SettingView = ApiSettingView<SettingKey, Settings[SettingKey]>;

export interface SettingsService {
  /** The effective settings, layered defaults < database < file < environment. */
  get(): Promise<Settings>;
  describe(): Promise<SettingView[]>;
  /**
   * Validates every change first; a locked or invalid key saves nothing. A `null` value unsets
   * the key (back to its default), in the same transaction as the other changes.
   */
  update(changes: Record<string, unknown>): Promise<void>;
  unset(keys: string[]): Promise<void>;
  lockOf(key: SettingKey): 'file' | 'env' | undefined;
  /** File-only keys found in the database (saved by an older version): ignored, and worth a warning. */
  ignoredSaved(): Promise<SettingKey[]>;
}

/** The one method most services need: they take this slice, so a test hands them settings without the rest. */
export type SettingsReader = Pick<SettingsService, 'get'>;

/** Where the address `serve` last listened on is kept (the database), for every process to read. */
export interface ServeAddressStore {
  read(): Promise<string | undefined>;
  write(url: string): Promise<void>;
}

export interface SettingsServiceDeps {
  store: SettingsStore;
  /**
   * base_url's value while no one set it: the address Mailroom serves on. Without it, the
   * schema's default.
   */
  derivedBaseUrl?: () => Promise<string>;
  secretBox: SecretBox;
  fileSettings: Partial<Settings>;
  envSettings: Partial<Settings>;
  /**
   * Told once per saved value that no longer validates (an upgrade that tightened a rule, a row
   * written by hand), with why: the value is ignored and the layer below applies, so without a
   * word mail could go to the default host.
   */
  onInvalidSaved?: (key: SettingKey, reason: string) => void;
}

export function createSettingsService({ store, secretBox, fileSettings, envSettings, derivedBaseUrl, onInvalidSaved }: SettingsServiceDeps): SettingsService {
  // Every read of the settings meets the same invalid row: one report per value is enough.
  const reported = new Set<string>();
  /** The defaults, with base_url derived only when no layer sets it (the look-up costs a query). */
  async function defaultsFor(saved: Partial<Settings>): Promise<Settings> {
    const defaults = defaultSettings();
    const setSomewhere = Object.hasOwn(saved, 'base_url') || Object.hasOwn(fileSettings, 'base_url') || Object.hasOwn(envSettings, 'base_url');
    if (!setSomewhere && derivedBaseUrl) defaults.base_url = await derivedBaseUrl();
    return defaults;
  }

  const lockOf = (key: SettingKey): 'file' | 'env' | undefined => (Object.hasOwn(envSettings, key) ? 'env' : Object.hasOwn(fileSettings, key) ? 'file' : undefined);

  async function readSaved(): Promise<Partial<Settings>> {
    const rows = await store.readAll();
    const saved: Record<string, unknown> = {};
    for (const [key, json] of Object.entries(rows)) {
      // A key a newer or older version saved, or one that no longer validates, must not stop
      // Mailroom from starting: the layers above and the defaults still apply.
      if (!Object.hasOwn(settingDefinitions, key)) continue;
      const typedKey = key as SettingKey;
      // Whoever wrote it there (an older version's API) was not necessarily the host's admin.
      if (settingDefinitions[typedKey].fileOnly) continue;
      let value: unknown = JSON.parse(json);
      if (settingDefinitions[typedKey].secret && typeof value === 'string') value = secretBox.open(value);
      try {
        saved[key] = validateSetting(typedKey, value);
      } catch (error) {
        if (!reported.has(`${key}\n${json}`)) {
          reported.add(`${key}\n${json}`);
          // A secret's value stays out of the logs, and the reason may quote it.
          const reason = settingDefinitions[typedKey].secret ? 'a secret, so the reason is not shown' : error instanceof Error ? error.message : String(error);
          onInvalidSaved?.(typedKey, reason);
        }
      }
    }
    return saved as Partial<Settings>;
  }

  /** Unsetting one stays allowed: it only removes a value that is ignored anyway. */
  function assertNotFileOnly(keys: SettingKey[]): void {
    for (const key of keys) {
      if (settingDefinitions[key].fileOnly) {
        throw new MailroomError('setting_file_only', `${key} names a program Mailroom runs, so only the config file (MAILROOM_CONFIG) or the environment variable MAILROOM_${key.toUpperCase()} can set it, not the web page, the API or config:set; set it there and restart Mailroom`, { details: { key } });
      }
    }
  }

  function assertUnlocked(keys: SettingKey[]): void {
    for (const key of keys) {
      const lock = lockOf(key);
      if (lock) {
        const where = lock === 'env' ? `the environment variable MAILROOM_${key.toUpperCase()}` : 'the config file';
        throw new MailroomError('setting_locked', `${key} is set by ${where} and cannot be changed here`, { details: { key, lockedBy: lock } });
      }
    }
  }

  return {
    lockOf,
    async ignoredSaved() {
      const rows = await store.readAll();
      return settingKeys.filter((key) => settingDefinitions[key].fileOnly && Object.hasOwn(rows, key));
    },
    async get() {
      const saved = await readSaved();
      return Object.freeze({ ...(await defaultsFor(saved)), ...saved, ...fileSettings, ...envSettings }) as Settings;
    },
    async describe() {
      const saved = await readSaved();
      const defaults = await defaultsFor(saved);
      return settingKeys.map((key) => {
        const def = settingDefinitions[key];
        const lock = lockOf(key);
        const source: SettingSource = lock ?? (Object.hasOwn(saved, key) ? 'database' : 'default');
        const value = (lock === 'env' ? envSettings[key] : lock === 'file' ? fileSettings[key] : (saved[key] ?? defaults[key])) as Settings[SettingKey];
        const view: SettingView = {
          key,
          value: def.secret ? null : value,
          isSet: def.secret ? value !== '' : true,
          secret: def.secret,
          source,
          locked: lock !== undefined,
          fileOnly: def.fileOnly === true,
        };
        if (lock) view.lockedBy = lock;
        return view;
      });
    },
    async update(changes) {
      const valid = validateSettings(Object.fromEntries(Object.entries(changes).filter(([, v]) => v !== null)));
      const keys = Object.keys(valid) as SettingKey[];
      const toUnset = Object.keys(changes)
        .filter((k) => changes[k] === null)
        .map(assertSettingKey);
      assertNotFileOnly(keys);
      assertUnlocked([...keys, ...toUnset]);
      const rows: Record<string, string | null> = {};
      for (const key of keys) {
        const value = valid[key];
        rows[key] = JSON.stringify(settingDefinitions[key].secret && typeof value === 'string' ? secretBox.seal(value) : value);
      }
      for (const key of toUnset) rows[key] = null;
      if (Object.keys(rows).length > 0) await store.write(rows);
    },
    async unset(rawKeys) {
      const keys = rawKeys.map(assertSettingKey);
      assertUnlocked(keys);
      await store.write(Object.fromEntries(keys.map((k) => [k, null])));
    },
  };
}
