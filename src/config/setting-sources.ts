import { readFileSync } from 'node:fs';
import { MailroomError, isMailroomError } from '../errors.ts';
import { settingKeys, type Settings } from './settings-schema.ts';
import { suggestKey, validateSettings } from './validate-setting.ts';
import { runtimeEnvNames } from './runtime-options.ts';

/**
 * Settings from the config file (JSON object of ownCloud keys). A missing file is no error;
 * anything wrong in it is, naming the file, since a silently ignored typo would leave a key
 * unlocked that the admin meant to fix.
 */
export function readConfigFile(path: string): Partial<Settings> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw new MailroomError('config_file_invalid', `Cannot read the config file ${path}: ${(error as Error).message}`, { cause: error });
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new MailroomError('config_file_invalid', `The config file ${path} is not valid JSON: ${(error as Error).message}`, { cause: error });
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new MailroomError('config_file_invalid', `The config file ${path} must hold one JSON object of settings, such as {"mail_smtpmode": "smtp"}`);
  }
  try {
    return validateSettings(parsed as Record<string, unknown>);
  } catch (error) {
    if (isMailroomError(error)) {
      throw new MailroomError('config_file_invalid', `In the config file ${path}: ${error.message}`, { cause: error, details: error.details ? { ...error.details } : {} });
    }
    throw error;
  }
}

const envPrefix = 'MAILROOM_';

/** Settings from the environment: MAILROOM_ + the key upper-cased, e.g. MAILROOM_MAIL_SMTPHOST. */
export function readEnvSettings(env: NodeJS.ProcessEnv): Partial<Settings> {
  const raw: Record<string, unknown> = {};
  for (const key of settingKeys) {
    const value = env[envPrefix + key.toUpperCase()];
    if (value !== undefined) raw[key] = value;
  }
  for (const name of Object.keys(env)) {
    if (!name.startsWith(envPrefix) || runtimeEnvNames.has(name)) continue;
    const key = name.slice(envPrefix.length).toLowerCase();
    if (Object.hasOwn(raw, key)) continue;
    const suggestion = suggestKey(key);
    throw new MailroomError('config_env_invalid', `The environment variable ${name} is not a Mailroom setting${suggestion ? `; did you mean MAILROOM_${suggestion.toUpperCase()}?` : ''}`, { details: { variable: name, ...(suggestion ? { suggestion } : {}) } });
  }
  try {
    return validateSettings(raw);
  } catch (error) {
    if (isMailroomError(error)) {
      throw new MailroomError('config_env_invalid', `In the environment: ${error.message}`, { cause: error, details: error.details ? { ...error.details } : {} });
    }
    throw error;
  }
}
