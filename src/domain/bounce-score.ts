/**
 * The bounce score of an address, as Discourse and Mailman keep one: each bounce adds its weight
 * (hard more than soft), an address counts at most once a day (a day of retries by one server is
 * one bounce, and the heaviest of the day is what counts), and 30 days after the last bounce the
 * score is gone, so an address that bounced once in a while never reaches the threshold.
 */
export const SCORE_DECAY_MS = 30 * 24 * 3600_000;

export interface ScoreState {
  readonly score: number;
  /** UTC day (YYYY-MM-DD) last counted, and the weight it counted. */
  readonly day: string;
  readonly dayWeight: number;
  readonly lastBounceAt: number;
}

export const utcDay = (ms: number): string => new Date(ms).toISOString().slice(0, 10);

/** The score as it stands at `now`: 0 once 30 days have passed since the last bounce. */
export function currentScore(state: Pick<ScoreState, 'score' | 'lastBounceAt'>, now: number): number {
  return now - state.lastBounceAt >= SCORE_DECAY_MS ? 0 : state.score;
}

/** The state after a bounce of `weight` at `now`. */
export function addBounce(previous: ScoreState | undefined, weight: number, now: number): ScoreState {
  const day = utcDay(now);
  const base = previous ? currentScore(previous, now) : 0;
  if (previous && base > 0 && previous.day === day) {
    // Counted today already: only a heavier bounce raises today's count, to its own weight.
    const raise = Math.max(0, weight - previous.dayWeight);
    return { score: previous.score + raise, day, dayWeight: Math.max(weight, previous.dayWeight), lastBounceAt: now };
  }
  return { score: base + weight, day, dayWeight: weight, lastBounceAt: now };
}
