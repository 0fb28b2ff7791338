import { z } from 'zod';
import { MailroomError } from '../errors.ts';
import { codePoint, headerControlCharacter, printable } from '../domain/address.ts';
import { isSettingKey, settingDefinitions, settingKeys, type SettingKey, type Settings } from './settings-schema.ts';

/** The known key closest to a mistyped one, if any is close enough to be a likely typo. */
export function suggestKey(unknown: string): SettingKey | undefined {
  let best: SettingKey | undefined;
  let bestDistance = Infinity;
  for (const key of settingKeys) {
    const d = editDistance(unknown.toLowerCase(), key);
    if (d < bestDistance) {
      bestDistance = d;
      best = key;
    }
  }
  return bestDistance <= Math.max(2, Math.floor(unknown.length / 4)) ? best : undefined;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      current[j] = Math.min((previous[j] as number) + 1, (current[j - 1] as number) + 1, (previous[j - 1] as number) + cost);
    }
    previous = current;
  }
  return previous[b.length] as number;
}

export function assertSettingKey(key: string): SettingKey {
  if (isSettingKey(key)) return key;
  const suggestion = suggestKey(key);
  throw new MailroomError('config_unknown_key', `"${printable(key)}" is not a Mailroom setting${suggestion ? `; did you mean ${suggestion}?` : ''} (mailroom config:list shows them all)`, { details: { key: printable(key), ...(suggestion ? { suggestion } : {}) } });
}

const truthy = new Set(['true', '1', 'yes', 'on']);
const falsy = new Set(['false', '0', 'no', 'off', '']);

/** Turns text from the command line, the environment or a form into the key's type. */
function coerce(key: SettingKey, input: unknown): unknown {
  const kind = typeof settingDefinitions[key].default;
  if (typeof input !== 'string') return input;
  if (kind === 'boolean') {
    const lower = input.trim().toLowerCase();
    if (truthy.has(lower)) return true;
    if (falsy.has(lower)) return false;
    return input;
  }
  if (kind === 'number' && /^\s*-?\d+\s*$/.test(input)) return Number(input);
  return input;
}

function allowedText(key: SettingKey): string {
  const def = settingDefinitions[key];
  const schema: z.ZodType = def.schema;
  if (schema instanceof z.ZodEnum) return `one of ${schema.options.map((o) => (o === '' ? "'' (empty)" : String(o))).join(', ')}`;
  if (typeof def.default === 'boolean') return 'true or false';
  if (typeof def.default === 'number') return 'a whole number';
  return 'text';
}

function shown(key: SettingKey, input: unknown): string {
  if (settingDefinitions[key].secret) return '(hidden)';
  if (typeof input === 'string') return `"${printable(input)}"`;
  return printable(JSON.stringify(input) ?? String(input));
}

/** Validates one value for one key; throws a MailroomError naming the key, the value and what is allowed. */
export function validateSetting<K extends SettingKey>(key: K, input: unknown): Settings[K] {
  const def = settingDefinitions[key];
  const value = coerce(key, input);
  const control = def.header && typeof value === 'string' ? headerControlCharacter(value) : undefined;
  if (control !== undefined) {
    const what = control === '\r' || control === '\n' ? 'a line break (CR or LF)' : `the control character ${codePoint(control)}`;
    throw new MailroomError('header_injection', `${key} must not contain ${what}: it goes into mail headers`, {
      details: { key },
    });
  }
  const schema: z.ZodType = def.schema;
  const result = schema.safeParse(value);
  if (!result.success) {
    const issue = result.error.issues[0];
    const reason = issue?.code === 'custom' || issue?.code === 'too_small' || issue?.code === 'too_big' ? issue.message : undefined;
    const allowed = allowedText(key);
    throw new MailroomError('config_invalid_value', `${key}: ${shown(key, input)} is not allowed${reason ? `: ${reason}` : ''} (allowed: ${allowed})`, { details: { key, allowed, ...(reason ? { reason } : {}) } });
  }
  return result.data as Settings[K];
}

/** Validates a set of changes all at once; the first problem throws, so nothing is half-saved. */
export function validateSettings(changes: Record<string, unknown>): Partial<Settings> {
  const out: Record<string, unknown> = {};
  for (const [rawKey, value] of Object.entries(changes)) {
    const key = assertSettingKey(rawKey);
    out[key] = validateSetting(key, value);
  }
  return out as Partial<Settings>;
}
