import { useEffect, useState } from 'preact/hooks';

const listeners = new Set<() => void>();

/** Moves to a page of the app without reloading it. */
export function navigate(path: string): void {
  if (path === location.pathname + location.search) return;
  history.pushState(null, '', path);
  for (const l of listeners) l();
}

window.addEventListener('popstate', () => {
  for (const l of listeners) l();
});

/** The current path; re-renders on navigation. */
export function usePath(): string {
  const [path, setPath] = useState(location.pathname);
  useEffect(() => {
    const update = () => setPath(location.pathname);
    listeners.add(update);
    return () => void listeners.delete(update);
  }, []);
  return path;
}

/**
 * The token of a page a mail links to: `tokenOf('/reset/abc', '/reset/')` is 'abc'; null when the
 * path is another page's. The empty string for the prefix alone, which the page calls a bad link.
 */
export function tokenOf(path: string, prefix: string): string | null {
  if (!path.startsWith(prefix)) return null;
  try {
    return decodeURIComponent(path.slice(prefix.length));
  } catch {
    // A link cut short in the middle of a %-escape.
    return path.slice(prefix.length);
  }
}

/** A link that stays inside the app (and still works as a link: new tab, copy address). */
export function onLinkClick(event: MouseEvent): void {
  const target = event.currentTarget as HTMLAnchorElement;
  if (event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
  event.preventDefault();
  navigate(target.getAttribute('href') ?? '/');
}
