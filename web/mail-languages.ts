import { LANGUAGE_CODES, LANGUAGES } from '../src/domain/languages.ts';

/** A language Mailroom writes mails in, as its own speakers name it ("Deutsch", "日本語"). */
export interface MailLanguage {
  code: string;
  name: string;
  direction: 'ltr' | 'rtl';
}

// The server's own list (src/domain/languages.ts, also GET /api/v1/languages): the bundle is built
// from the same source, so the page offers exactly what the server accepts.
const SHIPPED: readonly MailLanguage[] = LANGUAGE_CODES.map((code) => ({ code, name: LANGUAGES[code].name, direction: LANGUAGES[code].direction }));

/** The languages of the mails; `current` is always in the list, even a code the server no longer has. */
export function useMailLanguages(current?: string): readonly MailLanguage[] {
  return current === undefined || current === '' || SHIPPED.some((l) => l.code === current) ? SHIPPED : [...SHIPPED, { code: current, name: current, direction: 'ltr' }];
}

/** A language's own name, or its code when the list does not have it. */
export function languageName(languages: readonly MailLanguage[], code: string): string {
  return languages.find((l) => l.code === code)?.name ?? code;
}
