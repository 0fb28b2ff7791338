import { useEffect, useState } from 'preact/hooks';
import { api } from '../../api.ts';
import { errorText } from '../../format.tsx';

/** How many mails a page of a list asks for. */
export const PAGE = 50;

/**
 * A list the server pages back by id, newest first (`?limit=&before=` answering `{ mails }`):
 * loaded when the view opens, again by `reload`, one more page by `loadMore`. A full page means
 * there may be more.
 */
export function usePagedList<T extends { id: number }>(path: string) {
  const [items, setItems] = useState<T[] | null>(null);
  const [more, setMore] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const load = async (before?: number) => {
    setBusy(true);
    try {
      const query = new URLSearchParams({ limit: String(PAGE) });
      if (before !== undefined) query.set('before', String(before));
      const r = await api<{ mails: T[] }>('GET', `${path}?${query}`);
      setItems((m) => (before !== undefined && m ? [...m, ...r.mails] : r.mails));
      setMore(r.mails.length === PAGE);
      setError(null);
    } catch (e) {
      setError(errorText(e));
    } finally {
      setBusy(false);
    }
  };
  useEffect(() => void load(), []);

  return { items, more, error, busy, reload: () => void load(), loadMore: () => void load(items?.[items.length - 1]?.id) };
}
