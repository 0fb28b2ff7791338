import { createContext } from 'preact';
import { useContext } from 'preact/hooks';
import type { User } from './api.ts';

export interface SessionValue {
  user: User;
  /** After the user changed their own account (language, name): re-renders the app with it. */
  setUser(user: User): void;
  signOut(): Promise<void>;
}

export const Session = createContext<SessionValue | null>(null);

/** The signed-in user; only used inside pages that need one. */
export function useSession(): SessionValue {
  const value = useContext(Session);
  if (!value) throw new Error('useSession outside a signed-in page');
  return value;
}
