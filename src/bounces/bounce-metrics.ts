import { BOUNCE_KINDS } from '../domain/bounce-report.ts';

/**
 * Bounces recorded, by kind, for /metrics. Counted from the database, not in memory: bounces are
 * recorded by `mailroom bounce:receive`, a process of its own for each message.
 */
export function renderBounceMetrics(counts: Readonly<Record<string, number>>): string {
  return ['# HELP mailroom_bounces_total Bounces and complaints recorded, by kind (hard, soft, policy, complaint).', '# TYPE mailroom_bounces_total counter', ...BOUNCE_KINDS.map((kind) => `mailroom_bounces_total{kind="${kind}"} ${counts[kind] ?? 0}`), ''].join('\n');
}
