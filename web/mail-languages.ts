import { useEffect, useState } from 'preact/hooks';
import { api } from './api.ts';

/** A language Mailroom writes mails in, as its own speakers name it ("Deutsch", "日本語"). */
export interface MailLanguage {
  code: string;
  name: string;
  direction: 'ltr' | 'rtl';
}

// Until the list is in (or when it cannot be read), the two languages every Mailroom has.
const FALLBACK: MailLanguage[] = [
  { code: 'en', name: 'English', direction: 'ltr' },
  { code: 'zh-CN', name: '中文（简体）', direction: 'ltr' },
];

let loaded: Promise<MailLanguage[]> | undefined;

/**
 * The languages of the mails, from the server (`GET /languages`): the one list the server
 * checks a choice against. Asked once per page load; `current` is always in the list.
 */
export function useMailLanguages(current?: string): MailLanguage[] {
  const [languages, setLanguages] = useState<MailLanguage[]>(FALLBACK);
  useEffect(() => {
    loaded ??= api<{ languages: MailLanguage[] }>('GET', '/languages')
      .then((r) => r.languages)
      .catch(() => {
        loaded = undefined;
        return FALLBACK;
      });
    let live = true;
    void loaded.then((l) => live && setLanguages(l));
    return () => {
      live = false;
    };
  }, []);
  return current === undefined || current === '' || languages.some((l) => l.code === current) ? languages : [...languages, { code: current, name: current, direction: 'ltr' }];
}

/** A language's own name, or its code when the list does not have it. */
export function languageName(languages: readonly MailLanguage[], code: string): string {
  return languages.find((l) => l.code === code)?.name ?? code;
}
