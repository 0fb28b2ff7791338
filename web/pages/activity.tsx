import { useEffect, useState } from 'preact/hooks';
import type { StreamActivity } from '../../src/domain/api-types.ts';
import { api } from '../api.ts';
import { Link, Notice, PageTitle } from '../components.tsx';
import { errorText, useFormat } from '../format.tsx';
import { useI18n } from '../i18n.ts';

/** One entry of GET /api/v1/me/activities (src/notifications/preference-service.ts), its subject in the user's language. */
/** One entry of the stream, as the server makes it (src/domain/api-types.ts). */
type Activity = StreamActivity;

const PAGE = 50;

/**
 * The user's activity stream: what happened to their files and shares, newest first. Which
 * kinds appear is the Stream column of the notification table on the personal page.
 */
export function ActivityPage() {
  const { t } = useI18n();
  const fmt = useFormat();
  const [items, setItems] = useState<Activity[] | null>(null);
  const [more, setMore] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  const load = async (before?: number) => {
    setBusy(true);
    try {
      const r = await api<{ activities: Activity[] }>('GET', `/me/activities?limit=${PAGE}${before === undefined ? '' : `&before=${before}`}`);
      setItems((shown) => (before === undefined ? r.activities : [...(shown ?? []), ...r.activities]));
      setMore(r.activities.length === PAGE);
      setError(null);
    } catch (e) {
      setError(errorText(e));
    } finally {
      setBusy(false);
    }
  };
  useEffect(() => {
    void load();
  }, []);

  return (
    <>
      <PageTitle>{t('activityTitle')}</PageTitle>
      <p class="intro">
        {t('activityIntro')} <Link href="/personal">{t('activityIntroLink')}</Link>
      </p>
      {error && <Notice kind="error">{t('errorGeneric', { message: error })}</Notice>}
      {items === null && !error && <p>{t('loading')}</p>}
      {items?.length === 0 && <p id="activity-empty">{t('activityEmpty')}</p>}
      {items && items.length > 0 && (
        <ol id="activity-list" class="activity-list">
          {items.map((a) => (
            <li key={a.id} data-id={a.id} data-type={a.type} class={a.own ? 'own' : undefined}>
              <span class="subject">{a.subject}</span>{' '}
              {a.link ? (
                <a class="object" href={a.link} rel="noopener noreferrer">
                  {a.object.name}
                </a>
              ) : (
                <span class="object">{a.object.name}</span>
              )}
              <span class="when">{fmt.time(a.time)}</span>
            </li>
          ))}
        </ol>
      )}
      {more && (
        <button type="button" id="activity-more" disabled={busy} onClick={() => void load(items?.at(-1)?.id)}>
          {t('activityMore')}
        </button>
      )}
    </>
  );
}
