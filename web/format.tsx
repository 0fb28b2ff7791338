import { useMemo } from 'preact/hooks';
import { ApiError } from './api.ts';
import { useI18n } from './i18n.ts';
import { useSession } from './session.ts';

/** Dates and times in the page's language and the signed-in user's time zone. */
export function useFormat() {
  const { language } = useI18n();
  const { user } = useSession();
  return useMemo(() => {
    let dates: Intl.DateTimeFormat;
    try {
      dates = new Intl.DateTimeFormat(language, { dateStyle: 'medium', timeStyle: 'medium', timeZone: user.timezone });
    } catch {
      dates = new Intl.DateTimeFormat(language, { dateStyle: 'medium', timeStyle: 'medium' });
    }
    const numbers = new Intl.NumberFormat(language);
    return {
      time: (at: number | string) => {
        const d = new Date(at);
        return Number.isNaN(d.getTime()) ? String(at) : <time dateTime={d.toISOString()}>{dates.format(d)}</time>;
      },
      number: (n: number) => numbers.format(n),
    };
  }, [language, user.timezone]);
}

/** What to show for a failed request: the server's message (already localized by api.ts), else the error itself. */
export const errorText = (e: unknown) => (e instanceof ApiError ? e.message : String(e));
