import { createContext } from 'preact';
import { useContext } from 'preact/hooks';
import { en, type Messages } from './messages/en.ts';
import { zhCN } from './messages/zh-CN.ts';

export type Language = 'en' | 'zh-CN';
export type MessageKey = keyof Messages;

const catalogs: Record<Language, Messages> = { en, 'zh-CN': zhCN };

/** The language before sign-in: the browser's first choice we have, else English. */
export function browserLanguage(): Language {
  for (const l of navigator.languages ?? [navigator.language]) {
    if (/^zh\b/i.test(l)) return 'zh-CN';
    if (/^en\b/i.test(l)) return 'en';
  }
  return 'en';
}

export function isLanguage(value: string): value is Language {
  return value === 'en' || value === 'zh-CN';
}

/** `t('saved')`, `t('sentTo', { to })`: a message in the language in force, with {name} filled in. */
export type Translate = (key: MessageKey, vars?: Record<string, string | number>) => string;

export function translator(language: Language): Translate {
  const catalog = catalogs[language];
  return (key, vars) => {
    const text = catalog[key] ?? en[key];
    return vars ? text.replace(/\{(\w+)\}/g, (_, name: string) => String(vars[name] ?? `{${name}}`)) : text;
  };
}

export const I18n = createContext<{ language: Language; t: Translate }>({ language: 'en', t: translator('en') });

export function useI18n() {
  return useContext(I18n);
}
