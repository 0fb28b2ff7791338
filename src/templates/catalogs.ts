import { EVENT_TYPES } from '../domain/event-types.ts';
import type { Language } from '../domain/languages.ts';
import ar from './catalogs/ar.json' with { type: 'json' };
import de from './catalogs/de.json' with { type: 'json' };
import en from './catalogs/en.json' with { type: 'json' };
import es from './catalogs/es.json' with { type: 'json' };
import fr from './catalogs/fr.json' with { type: 'json' };
import it from './catalogs/it.json' with { type: 'json' };
import ja from './catalogs/ja.json' with { type: 'json' };
import ko from './catalogs/ko.json' with { type: 'json' };
import nl from './catalogs/nl.json' with { type: 'json' };
import notes from './catalogs/notes.json' with { type: 'json' };
import pl from './catalogs/pl.json' with { type: 'json' };
import ptBR from './catalogs/pt-BR.json' with { type: 'json' };
import ru from './catalogs/ru.json' with { type: 'json' };
import zhCN from './catalogs/zh-CN.json' with { type: 'json' };
import zhTW from './catalogs/zh-TW.json' with { type: 'json' };
import { formatMessage, parseMessage, type MessageArguments, type MessageNode } from '../domain/message-format.ts';

/**
 * The message catalogs of the mails: one ICU MessageFormat JSON file per language
 * (src/templates/catalogs/<code>.json, key → message), en.json the source the others translate,
 * notes.json the context a translator needs. The format Weblate, Crowdin and Transifex read as is.
 */
export const CATALOG_SOURCES: Readonly<Record<Language, Readonly<Record<string, string>>>> = {
  en,
  'zh-CN': zhCN,
  de,
  fr,
  es,
  it,
  'pt-BR': ptBR,
  nl,
  pl,
  ru,
  ja,
  ko,
  'zh-TW': zhTW,
  ar,
};

export interface MessageNote {
  note?: string;
  /** Placeholders of the English text a translation may leave out. */
  optional?: string[];
}

export const CATALOG_NOTES: Readonly<Record<string, MessageNote | string>> = notes;

export function noteOf(key: string): MessageNote {
  const entry = CATALOG_NOTES[key];
  return typeof entry === 'object' ? entry : {};
}

export interface Message {
  key: string;
  /** The language the message is written in: the one asked for, or English when it has no translation yet. */
  language: Language;
  nodes: MessageNode[];
}

// Parsed once per language, on first use: a mail looks messages up, never parses them.
const compiled = new Map<Language, Map<string, Message>>();

function catalog(language: Language): Map<string, Message> {
  let messages = compiled.get(language);
  if (messages === undefined) {
    messages = new Map();
    for (const [key, source] of Object.entries(CATALOG_SOURCES[language])) {
      // A message that does not parse is left to English: `npm run i18n:check` names it.
      try {
        messages.set(key, { key, language, nodes: parseMessage(source) });
      } catch {}
    }
    compiled.set(language, messages);
  }
  return messages;
}

/** The message of a key in a language, else in English; undefined for a key English lacks too. */
export function lookupMessage(language: Language, key: string): Message | undefined {
  return catalog(language).get(key) ?? catalog('en').get(key);
}

/** A message as plain text, its placeholders filled (digest lines, the sender's name, a browser's name). */
export function translate(language: Language, key: string, args: MessageArguments = {}): string {
  const message = lookupMessage(language, key);
  if (message === undefined) throw new Error(`no message "${key}" in the catalogs`);
  return formatMessage(message.nodes, message.language, args);
}

/** The words around a browser's name in a language (the catalogs' browser.*), for browserName (domain/user-agent.ts). */
export function browserWords(language: Language): { unknown: string; on(browser: string, system: string): string } {
  return { unknown: translate(language, 'browser.unknown'), on: (browser, system) => translate(language, 'browser.on', { browser, system }) };
}

/**
 * The keys code looks up (the rest are looked up by the shipped templates' structure): the
 * completeness check counts them as used.
 */
export const KEYS_USED_BY_CODE: readonly string[] = [
  'share.via',
  'browser.unknown',
  'browser.on',
  'activity.someone',
  'activity.object',
  'activity.named',
  ...EVENT_TYPES.flatMap((type) => [`activity.other.${type}`, `activity.own.${type}`]),
  // The page of a mail's unsubscribe link (http/routes/unsubscribe-routes.ts) and what each kind of notification is about.
  ...['title', 'question', 'button', 'done', 'invalid', 'all'].map((word) => `unsubscribe.${word}`),
  ...EVENT_TYPES.map((type) => `notification_type.${type}`),
];
