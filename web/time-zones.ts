import { useEffect, useState } from 'preact/hooks';
import { api } from './api.ts';

let loaded: Promise<string[]> | undefined;

/**
 * The time zones by their current IANA names, from the server (`GET /time-zones`): a browser's
 * own list may still say Asia/Calcutta where IANA says Asia/Kolkata, and the server is what
 * checks the choice. Asked once per page load; `current` is always in the list.
 */
export function useTimeZones(current?: string): string[] {
  const [zones, setZones] = useState<string[]>([]);
  useEffect(() => {
    loaded ??= api<{ time_zones: string[] }>('GET', '/time-zones')
      .then((r) => r.time_zones)
      .catch(() => {
        loaded = undefined;
        return ['UTC'];
      });
    let live = true;
    void loaded.then((z) => live && setZones(z));
    return () => {
      live = false;
    };
  }, []);
  // Until the list is in, the current zone alone, so that a list shows it from the start.
  return current === undefined || current === '' || zones.includes(current) ? zones : [...zones, current].sort();
}
