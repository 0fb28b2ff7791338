import { createContext } from 'preact';
import { useContext, useEffect, useLayoutEffect, useMemo, useRef, useState } from 'preact/hooks';
import { isLanguage, LANGUAGES, matchLanguage, type Language } from '../src/domain/languages.ts';
import { formatMessage, parseMessage, type MessageNode } from '../src/domain/message-format.ts';
import en from './catalogs/en.json' with { type: 'json' };
import { pseudoMessage, PSEUDO_LOCALE } from './pseudo-locale.ts';

/**
 * The words of the web interface: ICU MessageFormat catalogs (web/catalogs/<code>.json), en.json
 * the source and part of the bundle, every other language a chunk of its own that is fetched when
 * the page needs it. The languages are the mails' (src/domain/languages.ts), plus the
 * pseudo-locale en-XA (every string accented and 40 % longer) that the browser tests use to find
 * text that does not fit.
 */

export type { Language };
export type UiLanguage = Language | typeof PSEUDO_LOCALE;
export type MessageKey = keyof typeof en;
type Catalog = Readonly<Partial<Record<string, string>>>;

const LOADERS: Readonly<Record<Exclude<Language, 'en'>, () => Promise<{ default: Catalog }>>> = {
  'zh-CN': () => import('./catalogs/zh-CN.json', { with: { type: 'json' } }),
  de: () => import('./catalogs/de.json', { with: { type: 'json' } }),
  fr: () => import('./catalogs/fr.json', { with: { type: 'json' } }),
  es: () => import('./catalogs/es.json', { with: { type: 'json' } }),
  it: () => import('./catalogs/it.json', { with: { type: 'json' } }),
  'pt-BR': () => import('./catalogs/pt-BR.json', { with: { type: 'json' } }),
  nl: () => import('./catalogs/nl.json', { with: { type: 'json' } }),
  pl: () => import('./catalogs/pl.json', { with: { type: 'json' } }),
  ru: () => import('./catalogs/ru.json', { with: { type: 'json' } }),
  ja: () => import('./catalogs/ja.json', { with: { type: 'json' } }),
  ko: () => import('./catalogs/ko.json', { with: { type: 'json' } }),
  'zh-TW': () => import('./catalogs/zh-TW.json', { with: { type: 'json' } }),
  ar: () => import('./catalogs/ar.json', { with: { type: 'json' } }),
};

const loaded = new Map<UiLanguage, Catalog>([
  ['en', en],
  [PSEUDO_LOCALE, en],
]);
const parsed = new Map<UiLanguage, Map<string, MessageNode[]>>();

export { isLanguage };

/** The direction pages in the language are laid out in. */
export function directionOf(language: UiLanguage): 'ltr' | 'rtl' {
  return language === PSEUDO_LOCALE ? 'ltr' : LANGUAGES[language].direction;
}

/** The language's catalog, fetched once; a catalog that cannot be fetched leaves the page in English. */
export async function loadCatalog(language: UiLanguage): Promise<void> {
  if (loaded.has(language) || language === 'en' || language === PSEUDO_LOCALE) return;
  try {
    loaded.set(language, (await LOADERS[language]()).default);
  } catch {
    // Offline, or an upgrade replaced the chunk: the page in English rather than no page at all.
    loaded.set(language, {});
  }
}

/** The catalog for the language is in: t() of it gives its own words. */
export function isCatalogLoaded(language: UiLanguage): boolean {
  return loaded.has(language);
}

/**
 * The language before sign-in (and for pages without an account): the first of the browser's
 * languages Mailroom has, falling back along the same chain as the mails (de-AT → de), else
 * English. `?hl=CODE` in the address (the interface language, as Google's pages name it), kept for the tab's session, overrides it, also after
 * sign-in: en-XA there is the pseudo-locale.
 */
export function browserLanguage(): UiLanguage {
  for (const tag of navigator.languages ?? [navigator.language]) {
    if (tag === PSEUDO_LOCALE) return PSEUDO_LOCALE;
    const language = matchLanguage(tag);
    if (language !== undefined) return language;
  }
  return 'en';
}

const OVERRIDE_KEY = 'mailroom.hl';

/** The language `?hl=` chose for this tab, if any. */
export function chosenLanguage(): UiLanguage | undefined {
  const asked = new URLSearchParams(location.search).get('hl');
  if (asked !== null) {
    const language = asked === PSEUDO_LOCALE ? PSEUDO_LOCALE : matchLanguage(asked);
    if (language === undefined) sessionStorage.removeItem(OVERRIDE_KEY);
    else sessionStorage.setItem(OVERRIDE_KEY, language);
  }
  const kept = sessionStorage.getItem(OVERRIDE_KEY);
  return kept === PSEUDO_LOCALE ? PSEUDO_LOCALE : kept !== null && isLanguage(kept) ? kept : undefined;
}

/** `t('saved')`, `t('sentTo', { to })`: a message in the language in force, its placeholders filled in. */
export type Translate = (key: MessageKey, vars?: Record<string, string | number>) => string;

function nodesOf(language: UiLanguage, key: string): MessageNode[] {
  let cache = parsed.get(language);
  if (cache === undefined) parsed.set(language, (cache = new Map()));
  let nodes = cache.get(key);
  if (nodes === undefined) {
    const own = loaded.get(language)?.[key];
    const source = own ?? (en as Catalog)[key] ?? key;
    try {
      nodes = parseMessage(source);
    } catch {
      // A translation that does not parse (npm run i18n:check reports it): the English words.
      nodes = parseMessage((en as Catalog)[key] ?? key);
    }
    if (language === PSEUDO_LOCALE) nodes = pseudoMessage(nodes);
    cache.set(key, nodes);
  }
  return nodes;
}

/**
 * A placeholder given no value stays as it is ("Check {fields}."), so that a page can put an
 * element there: `t('fixCheck').split('{fields}')`.
 */
function keepingUnfilled(vars: Record<string, string | number>): Record<string, string | number> {
  return new Proxy(vars, { get: (target, name) => (typeof name === 'string' && !Object.hasOwn(target, name) ? `{${name}}` : Reflect.get(target, name)) });
}

export function translator(language: UiLanguage): Translate {
  const locale = language === PSEUDO_LOCALE ? 'en' : language;
  return (key, vars) => formatMessage(nodesOf(language, key), locale, keepingUnfilled(vars ?? {}));
}

/**
 * The page's language: its translator once its catalog is in (fetched once). Until then the
 * language shown before (a page whose user just chose another language stays as it is, rather
 * than being replaced by "Loading…"), or null at the start. The document gets the language and
 * its direction, so an Arabic page is laid out right to left.
 */
export function useLanguage(language: UiLanguage): { language: UiLanguage; t: Translate } | null {
  const [, setVersion] = useState(0);
  const shown = useRef<{ language: UiLanguage; t: Translate } | null>(null);
  const ready = isCatalogLoaded(language);
  useEffect(() => {
    if (ready) return;
    let live = true;
    void loadCatalog(language).then(() => live && setVersion((v) => v + 1));
    return () => {
      live = false;
    };
  }, [language, ready]);
  // Before the page is painted: an Arabic page never shows a frame laid out left to right.
  useLayoutEffect(() => {
    if (!ready) return;
    document.documentElement.lang = language;
    document.documentElement.dir = directionOf(language);
  }, [language, ready]);
  const current = useMemo(() => (ready ? { language, t: translator(language) } : null), [language, ready]);
  if (current !== null) shown.current = current;
  return shown.current;
}

/** "Loading…" in the browser's language when its words are in already, else in English. */
export function loadingWords(): string {
  const language = chosenLanguage() ?? browserLanguage();
  return translator(isCatalogLoaded(language) ? language : 'en')('loading');
}

export const I18n = createContext<{ language: UiLanguage; t: Translate }>({ language: 'en', t: translator('en') });

export function useI18n() {
  return useContext(I18n);
}
