import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createLogger } from '../../src/log/logger.ts';
import { createDigestScheduler } from '../../src/notifications/digest-scheduler.ts';

/** A pino destination that keeps the lines, to read what the scheduler logged. */
function memoryLog() {
  const lines: Array<Record<string, unknown>> = [];
  const log = createLogger({ level: 'info', destination: { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) } });
  return { log, lines };
}

describe('the digest scheduler of a worker', () => {
  it('runs a pass at start and then on every tick, one pass at a time, and stop() waits for the pass under way', async () => {
    let passes = 0;
    let running = 0;
    let overlapped = false;
    const digests = {
      async runDue() {
        passes++;
        running++;
        if (running > 1) overlapped = true;
        await new Promise((r) => setTimeout(r, 30));
        running--;
        return { digests: 1, activities: 2, skipped: 0 };
      },
    };
    const { log, lines } = memoryLog();
    const scheduler = createDigestScheduler({ digests, log, intervalMs: 10 });
    scheduler.start();
    await new Promise((r) => setTimeout(r, 120));
    await scheduler.stop();
    const after = passes;
    await new Promise((r) => setTimeout(r, 50));
    assert.ok(after >= 2, `at least the first pass and one tick (got ${after})`);
    assert.equal(passes, after, 'no pass after stop()');
    assert.equal(running, 0, 'stop() waited for the pass under way');
    assert.equal(overlapped, false, 'a tick during a pass does not start a second one');
    assert.ok(lines.some((l) => l.event === 'digests_run' && l.digests === 1));
  });

  it('logs a failed pass and tries again at the next tick instead of crashing the worker', async () => {
    let passes = 0;
    const digests = {
      async runDue() {
        passes++;
        if (passes === 1) throw new Error('database is away');
        return { digests: 0, activities: 0, skipped: 0 };
      },
    };
    const { log, lines } = memoryLog();
    const scheduler = createDigestScheduler({ digests, log, intervalMs: 10 });
    scheduler.start();
    await new Promise((r) => setTimeout(r, 60));
    await scheduler.stop();
    assert.ok(passes >= 2, 'a later tick ran again');
    const failure = lines.find((l) => l.event === 'digests_failed');
    assert.ok(failure, 'the failure is logged');
    assert.match(JSON.stringify(failure), /database is away/);
  });
});
