import { useEffect, useLayoutEffect, useState } from 'preact/hooks';

const listeners = new Set<() => void>();

/** What a page would lose if left now: the question to ask first, or null when nothing. */
type LeaveGuard = () => string | null;
const guards = new Set<LeaveGuard>();

/** Asks each page with something unsaved whether to leave it anyway; true when every answer is yes. */
export function mayLeave(): boolean {
  for (const guard of guards) {
    const question = guard();
    if (question !== null && !window.confirm(question)) return false;
  }
  return true;
}

/** The address the app shows, to go back to when leaving by the browser's Back is refused. */
let shown = location.href;

/**
 * Moves to a page of the app without reloading it (after asking, when the page has unsaved
 * changes). `replace`: the address stands for the new one in the history (a page that only
 * waited for another to exist), so Back does not return to it.
 */
export function navigate(path: string, options: { asked?: boolean; replace?: boolean } = {}): void {
  if (path === location.pathname + location.search) return;
  if (!options.asked && !mayLeave()) return;
  if (options.replace) history.replaceState(null, '', path);
  else history.pushState(null, '', path);
  shown = location.href;
  for (const l of listeners) l();
}

window.addEventListener('popstate', () => {
  if (!mayLeave()) {
    history.pushState(null, '', shown);
    return;
  }
  shown = location.href;
  for (const l of listeners) l();
});

/**
 * While `question` is not null, leaving the page asks it: a move inside the app (a link, Back)
 * with the browser's confirm, a reload or closing the tab with the browser's own "Leave site?".
 */
export function useLeaveGuard(question: string | null): void {
  // In place as soon as the page shows its unsaved changes, not a frame later.
  useLayoutEffect(() => {
    if (question === null) return;
    const guard: LeaveGuard = () => question;
    const beforeUnload = (event: BeforeUnloadEvent) => {
      event.preventDefault();
      // Older Chromium shows the dialog only when returnValue is set; its text is the browser's own.
      event.returnValue = '';
    };
    guards.add(guard);
    window.addEventListener('beforeunload', beforeUnload);
    return () => {
      guards.delete(guard);
      window.removeEventListener('beforeunload', beforeUnload);
    };
  }, [question]);
}

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
