/**
 * The languages Mailroom writes its mails in: the one list every language choice is checked
 * against (settings, accounts, events, templates), each with its own name (as a language list
 * shows it to someone who reads it) and its direction.
 */

export const LANGUAGE_CODES = ['en', 'zh-CN', 'de', 'fr', 'es', 'it', 'pt-BR', 'nl', 'pl', 'ru', 'ja', 'ko', 'zh-TW', 'ar'] as const;
export type Language = (typeof LANGUAGE_CODES)[number];

export interface LanguageInfo {
  readonly code: Language;
  /** The language's name in itself ("Deutsch", "日本語"): a reader finds their own language by it. */
  readonly name: string;
  /** The name in English, for logs and the documentation. */
  readonly englishName: string;
  readonly direction: 'ltr' | 'rtl';
}

export const LANGUAGES: Readonly<Record<Language, LanguageInfo>> = {
  en: { code: 'en', name: 'English', englishName: 'English', direction: 'ltr' },
  'zh-CN': { code: 'zh-CN', name: '中文（简体）', englishName: 'Chinese (Simplified)', direction: 'ltr' },
  de: { code: 'de', name: 'Deutsch', englishName: 'German', direction: 'ltr' },
  fr: { code: 'fr', name: 'Français', englishName: 'French', direction: 'ltr' },
  es: { code: 'es', name: 'Español', englishName: 'Spanish', direction: 'ltr' },
  it: { code: 'it', name: 'Italiano', englishName: 'Italian', direction: 'ltr' },
  'pt-BR': { code: 'pt-BR', name: 'Português (Brasil)', englishName: 'Portuguese (Brazil)', direction: 'ltr' },
  nl: { code: 'nl', name: 'Nederlands', englishName: 'Dutch', direction: 'ltr' },
  pl: { code: 'pl', name: 'Polski', englishName: 'Polish', direction: 'ltr' },
  ru: { code: 'ru', name: 'Русский', englishName: 'Russian', direction: 'ltr' },
  ja: { code: 'ja', name: '日本語', englishName: 'Japanese', direction: 'ltr' },
  ko: { code: 'ko', name: '한국어', englishName: 'Korean', direction: 'ltr' },
  'zh-TW': { code: 'zh-TW', name: '中文（繁體）', englishName: 'Chinese (Traditional)', direction: 'ltr' },
  ar: { code: 'ar', name: 'العربية', englishName: 'Arabic', direction: 'rtl' },
};

export function isLanguage(value: string): value is Language {
  return (LANGUAGE_CODES as readonly string[]).includes(value);
}

// Tags that name a script or a region rather than a language: Traditional Chinese is written in
// Taiwan, Hong Kong and Macau; Simplified in mainland China and Singapore.
const CHINESE: ReadonlyArray<readonly [RegExp, Language]> = [
  [/^zh-(hant|tw|hk|mo)(-|$)/, 'zh-TW'],
  [/^zh(-|$)/, 'zh-CN'],
];

/**
 * The shipped language a language tag falls back to, or undefined: the tag itself (any case,
 * de_AT as de-AT), else its language without the region (de-AT, de-CH → de; en-GB → en), else the
 * one shipped variant of the language (pt, pt-PT → pt-BR; zh-Hant, zh-HK → zh-TW; zh → zh-CN).
 */
export function matchLanguage(tag: string | null | undefined): Language | undefined {
  if (tag === null || tag === undefined) return undefined;
  const wanted = tag.trim().replace(/_/g, '-').toLowerCase();
  if (wanted === '') return undefined;
  const exact = LANGUAGE_CODES.find((code) => code.toLowerCase() === wanted);
  if (exact !== undefined) return exact;
  for (const [pattern, language] of CHINESE) if (pattern.test(wanted)) return language;
  const primary = wanted.split('-')[0];
  return LANGUAGE_CODES.find((code) => code.toLowerCase() === primary) ?? LANGUAGE_CODES.find((code) => code.toLowerCase().split('-')[0] === primary);
}

/** The whole chain: the person's language (de-AT → de), else the instance's default, else English. */
export function resolveLanguage(tag: string | null | undefined, instanceDefault: string): Language {
  return matchLanguage(tag) ?? matchLanguage(instanceDefault) ?? 'en';
}
