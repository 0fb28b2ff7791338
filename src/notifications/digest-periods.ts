import type { Frequency } from '../domain/event-types.ts';

/** Daily and weekly digests go out once this local hour has begun. */
export const DIGEST_HOUR = 6;
/** `asap` waits this long after the first activity, so a burst becomes one mail. */
export const ASAP_WINDOW_MS = 2 * 60_000;

interface LocalTime {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  /** 1 = Monday … 7 = Sunday. */
  weekday: number;
}

const formatters = new Map<string, Intl.DateTimeFormat>();
const WEEKDAYS: Record<string, number> = { Mon: 1, Tue: 2, Wed: 3, Thu: 4, Fri: 5, Sat: 6, Sun: 7 };

function localTime(at: number, timeZone: string): LocalTime {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', { timeZone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', weekday: 'short' });
    formatters.set(timeZone, f);
  }
  const parts: Record<string, string> = {};
  for (const p of f.formatToParts(at)) parts[p.type] = p.value;
  return { year: Number(parts.year), month: Number(parts.month), day: Number(parts.day), hour: Number(parts.hour), minute: Number(parts.minute), weekday: WEEKDAYS[parts.weekday as string] ?? 1 };
}

/**
 * The instant a wall-clock time has in a zone. Found by correcting a UTC guess by the zone's
 * offset twice, which settles even across a daylight-saving change; a time skipped by a change
 * (02:30 on a spring-forward night) comes out as the first instant after the gap.
 */
function zonedInstant(year: number, month: number, day: number, hour: number, timeZone: string): number {
  const wanted = Date.UTC(year, month - 1, day, hour);
  let guess = wanted;
  for (let i = 0; i < 3; i++) {
    const seen = localTime(guess, timeZone);
    const seenAsUtc = Date.UTC(seen.year, seen.month - 1, seen.day, seen.hour, seen.minute);
    const next = guess + (wanted - seenAsUtc);
    if (next === guess) break;
    guess = next;
  }
  return guess;
}

/** The calendar date `days` after a date, as year/month/day (negative goes back). */
function addDays(year: number, month: number, day: number, days: number) {
  const d = new Date(Date.UTC(year, month - 1, day + days));
  return { year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate() };
}

const pad = (n: number) => String(n).padStart(2, '0');

export interface DigestPeriod {
  /** Activities from before this instant belong in the digest that is due now. */
  cutoff: number;
  /** The period, the same for every worker: one digest per user and key. */
  key: string;
}

/**
 * The period whose digest is due at `now` for a user in `timeZone`: hourly at the top of each
 * local hour, daily after 06:00 local time, weekly after 06:00 on Monday. (`asap` has no
 * calendar period; see ASAP_WINDOW_MS.)
 */
export function currentPeriod(frequency: Exclude<Frequency, 'asap'>, now: number, timeZone: string): DigestPeriod {
  const local = localTime(now, timeZone);
  if (frequency === 'hourly') {
    // Counted back from now, not looked up by its local name: on the night the clocks go back,
    // 02:00 happens twice and the lookup finds the later one, a cutoff still in the future.
    const cutoff = now - (now % 60_000) - local.minute * 60_000;
    // Keyed by the instant for the same reason: both 02:00 hours of that night are distinct periods.
    return { cutoff, key: `hourly:${new Date(cutoff).toISOString().slice(0, 16)}Z` };
  }
  let back = local.hour < DIGEST_HOUR ? 1 : 0;
  if (frequency === 'weekly') {
    back = local.weekday - 1;
    if (local.weekday === 1 && local.hour < DIGEST_HOUR) back = 7;
  }
  const date = addDays(local.year, local.month, local.day, -back);
  const cutoff = zonedInstant(date.year, date.month, date.day, DIGEST_HOUR, timeZone);
  return { cutoff, key: `${frequency}:${date.year}-${pad(date.month)}-${pad(date.day)}` };
}
