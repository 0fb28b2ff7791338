/** Counters of this process's deliveries, shown at GET /metrics in Prometheus' text format. */
export interface OutboxMetrics {
  sent(host: string, seconds: number): void;
  deferred(host: string | null, code: string): void;
  failed(host: string | null, code: string): void;
  render(queue: Record<string, number>, owed?: { owed: number; failed: number }): string;
  /** What was counted since the last call, and forgets it: a worker process sends it to `serve`. */
  takeDelta(): MetricsDelta;
  /** Adds what another process counted (the worker `serve` started), so /metrics shows its sends. */
  addDelta(delta: MetricsDelta): void;
}

/** Counts of one process over a span, as plain data that crosses a process boundary. */
export interface MetricsDelta {
  sent: number;
  deferred: number;
  failed: number;
  buckets: number[];
  latencySum: number;
  latencyCount: number;
  hostFailures: Array<[string, number]>;
}

const BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

const label = (value: string) => value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');

export function createOutboxMetrics(): OutboxMetrics {
  let sent = 0;
  let deferred = 0;
  let failed = 0;
  const bucketCounts = BUCKETS.map(() => 0);
  let latencySum = 0;
  let latencyCount = 0;
  const hostFailures = new Map<string, number>();
  const countHost = (host: string | null) => {
    const key = host ?? 'none';
    hostFailures.set(key, (hostFailures.get(key) ?? 0) + 1);
  };

  let taken = { sent: 0, deferred: 0, failed: 0, buckets: BUCKETS.map(() => 0), latencySum: 0, latencyCount: 0, hostFailures: new Map<string, number>() };

  return {
    takeDelta() {
      const delta: MetricsDelta = {
        sent: sent - taken.sent,
        deferred: deferred - taken.deferred,
        failed: failed - taken.failed,
        buckets: bucketCounts.map((n, i) => n - (taken.buckets[i] as number)),
        latencySum: latencySum - taken.latencySum,
        latencyCount: latencyCount - taken.latencyCount,
        hostFailures: [...hostFailures].map(([host, n]): [string, number] => [host, n - (taken.hostFailures.get(host) ?? 0)]).filter(([, n]) => n > 0),
      };
      taken = { sent, deferred, failed, buckets: [...bucketCounts], latencySum, latencyCount, hostFailures: new Map(hostFailures) };
      return delta;
    },
    addDelta(delta) {
      sent += delta.sent;
      deferred += delta.deferred;
      failed += delta.failed;
      delta.buckets.forEach((n, i) => {
        if (i < bucketCounts.length) bucketCounts[i] = (bucketCounts[i] as number) + n;
      });
      latencySum += delta.latencySum;
      latencyCount += delta.latencyCount;
      for (const [host, n] of delta.hostFailures) hostFailures.set(host, (hostFailures.get(host) ?? 0) + n);
    },
    sent(_host, seconds) {
      sent++;
      latencySum += seconds;
      latencyCount++;
      BUCKETS.forEach((bound, i) => {
        if (seconds <= bound) bucketCounts[i] = (bucketCounts[i] as number) + 1;
      });
    },
    deferred(host) {
      deferred++;
      countHost(host);
    },
    failed(host) {
      failed++;
      countHost(host);
    },
    render(queue, owed = { owed: 0, failed: 0 }) {
      const lines = [
        '# HELP mailroom_outbox_mails Mails in the outbox by state.',
        '# TYPE mailroom_outbox_mails gauge',
        ...['queued', 'sending', 'sent', 'failed', 'cancelled'].map((state) => `mailroom_outbox_mails{state="${state}"} ${queue[state] ?? 0}`),
        '# HELP mailroom_owed_mails Mails requests owe that no worker has rendered yet (owed), or that could not be rendered (failed).',
        '# TYPE mailroom_owed_mails gauge',
        `mailroom_owed_mails{state="owed"} ${owed.owed}`,
        `mailroom_owed_mails{state="failed"} ${owed.failed}`,
        '# HELP mailroom_sent_total Mails this process handed to a server.',
        '# TYPE mailroom_sent_total counter',
        `mailroom_sent_total ${sent}`,
        '# HELP mailroom_retries_total Attempts this process deferred for a later retry (4xx, network).',
        '# TYPE mailroom_retries_total counter',
        `mailroom_retries_total ${deferred}`,
        '# HELP mailroom_failed_total Mails this process marked failed (5xx, or given up).',
        '# TYPE mailroom_failed_total counter',
        `mailroom_failed_total ${failed}`,
        '# HELP mailroom_send_seconds Time from starting a send to the server accepting it.',
        '# TYPE mailroom_send_seconds histogram',
        ...BUCKETS.map((bound, i) => `mailroom_send_seconds_bucket{le="${bound}"} ${bucketCounts[i]}`),
        `mailroom_send_seconds_bucket{le="+Inf"} ${latencyCount}`,
        `mailroom_send_seconds_sum ${latencySum.toFixed(6)}`,
        `mailroom_send_seconds_count ${latencyCount}`,
        '# HELP mailroom_host_failures_total Failed attempts per server.',
        '# TYPE mailroom_host_failures_total counter',
        ...[...hostFailures].map(([host, n]) => `mailroom_host_failures_total{host="${label(host)}"} ${n}`),
      ];
      return `${lines.join('\n')}\n`;
    },
  };
}
