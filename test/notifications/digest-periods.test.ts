import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DIGEST_HOUR, currentPeriod } from '../../src/notifications/digest-periods.ts';

const at = (iso: string) => Date.parse(iso);
const iso = (ms: number) => new Date(ms).toISOString();
const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/** An instant as a clock on the wall of `timeZone` shows it: "Mon 2026-03-09 06:00". Worked out here, independently of the code under test. */
const wallClocks = new Map<string, Intl.DateTimeFormat>();
function wallClock(ms: number, timeZone: string): string {
  let format = wallClocks.get(timeZone);
  if (!format) {
    format = new Intl.DateTimeFormat('en-US', { timeZone, hourCycle: 'h23', weekday: 'short', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit' });
    wallClocks.set(timeZone, format);
  }
  const parts = Object.fromEntries(format.formatToParts(ms).map((p) => [p.type, p.value]));
  return `${parts.weekday} ${parts.year}-${parts.month}-${parts.day} ${parts.hour}:${parts.minute}`;
}

/** Every `stepMinutes` from `from` up to (not including) `to`. */
function sweep(from: string, to: string, stepMinutes: number): number[] {
  const out: number[] = [];
  for (let t = at(from); t < at(to); t += stepMinutes * 60_000) out.push(t);
  return out;
}

describe('hourly periods', () => {
  it('are due at the top of each hour in UTC, and one hour is one period', () => {
    const p = currentPeriod('hourly', at('2026-03-10T09:10:00Z'), 'UTC');
    assert.equal(iso(p.cutoff), '2026-03-10T09:00:00.000Z');
    assert.equal(currentPeriod('hourly', at('2026-03-10T09:59:59.999Z'), 'UTC').key, p.key, 'the same hour, the same period');
    const next = currentPeriod('hourly', at('2026-03-10T10:00:00Z'), 'UTC');
    assert.equal(iso(next.cutoff), '2026-03-10T10:00:00.000Z', 'exactly on the hour the next period begins');
    assert.notEqual(next.key, p.key);
  });

  it('follow the half-hour offset of Asia/Kolkata: its hours begin at :30 UTC', () => {
    // 16:15 in Kolkata (UTC+05:30): the hour began at 16:00 local = 10:30 UTC.
    assert.equal(iso(currentPeriod('hourly', at('2026-03-10T10:45:00Z'), 'Asia/Kolkata').cutoff), '2026-03-10T10:30:00.000Z');
    // 15:59 in Kolkata: still the hour that began at 15:00 local.
    assert.equal(iso(currentPeriod('hourly', at('2026-03-10T10:29:00Z'), 'Asia/Kolkata').cutoff), '2026-03-10T09:30:00.000Z');
    // Shanghai (UTC+8) begins its hours with UTC.
    assert.equal(iso(currentPeriod('hourly', at('2026-03-10T10:45:00Z'), 'Asia/Shanghai').cutoff), '2026-03-10T10:00:00.000Z');
  });

  it('skip the hour that does not exist when the clocks go forward (Europe/Berlin, 29 March 2026)', () => {
    // 01:59 CET, then 03:00 CEST one minute later.
    assert.equal(wallClock(at('2026-03-29T00:59:00Z'), 'Europe/Berlin'), 'Sun 2026-03-29 01:59');
    assert.equal(iso(currentPeriod('hourly', at('2026-03-29T00:59:00Z'), 'Europe/Berlin').cutoff), '2026-03-29T00:00:00.000Z');
    assert.equal(wallClock(at('2026-03-29T01:30:00Z'), 'Europe/Berlin'), 'Sun 2026-03-29 03:30');
    assert.equal(iso(currentPeriod('hourly', at('2026-03-29T01:30:00Z'), 'Europe/Berlin').cutoff), '2026-03-29T01:00:00.000Z');
  });

  it('tell apart the two 02:00 hours when the clocks go back (Europe/Berlin, 25 October 2026)', () => {
    const first = at('2026-10-25T00:30:00Z');
    const second = at('2026-10-25T01:30:00Z');
    assert.equal(wallClock(first, 'Europe/Berlin'), 'Sun 2026-10-25 02:30');
    assert.equal(wallClock(second, 'Europe/Berlin'), 'Sun 2026-10-25 02:30');
    const a = currentPeriod('hourly', first, 'Europe/Berlin');
    const b = currentPeriod('hourly', second, 'Europe/Berlin');
    assert.equal(iso(a.cutoff), '2026-10-25T00:00:00.000Z', 'the first 02:00 (CEST) began at 00:00 UTC, not in the future');
    assert.equal(iso(b.cutoff), '2026-10-25T01:00:00.000Z', 'the second 02:00 (CET) began at 01:00 UTC');
    assert.notEqual(a.key, b.key, 'two hours, two digests');
  });

  it('tell apart the two 01:00 hours when the clocks go back (America/New_York, 1 November 2026)', () => {
    const a = currentPeriod('hourly', at('2026-11-01T05:30:00Z'), 'America/New_York');
    const b = currentPeriod('hourly', at('2026-11-01T06:30:00Z'), 'America/New_York');
    assert.equal(wallClock(at('2026-11-01T05:30:00Z'), 'America/New_York'), wallClock(at('2026-11-01T06:30:00Z'), 'America/New_York'));
    assert.equal(iso(a.cutoff), '2026-11-01T05:00:00.000Z');
    assert.equal(iso(b.cutoff), '2026-11-01T06:00:00.000Z');
    assert.notEqual(a.key, b.key);
  });

  for (const [zone, from, to] of [
    ['Europe/Berlin', '2026-03-28T20:00:00Z', '2026-03-29T06:00:00Z'],
    ['Europe/Berlin', '2026-10-24T20:00:00Z', '2026-10-25T06:00:00Z'],
    ['America/New_York', '2026-03-08T03:00:00Z', '2026-03-08T12:00:00Z'],
    ['America/New_York', '2026-11-01T02:00:00Z', '2026-11-01T12:00:00Z'],
    ['Asia/Kolkata', '2026-03-09T18:30:00Z', '2026-03-10T06:30:00Z'],
  ] as const) {
    it(`never end in the future and last one hour each, across ${from.slice(0, 10)} in ${zone}`, () => {
      const instants = sweep(from, to, 5);
      const keys = new Map<string, number>();
      for (const now of instants) {
        const p = currentPeriod('hourly', now, zone);
        assert.ok(p.cutoff <= now && now - p.cutoff < HOUR, `${iso(now)}: cutoff ${iso(p.cutoff)} is the start of the current hour`);
        assert.match(wallClock(p.cutoff, zone), / \d\d:00$/, `${iso(now)}: the cutoff is on a full local hour`);
        const seen = keys.get(p.key);
        if (seen !== undefined) assert.equal(seen, p.cutoff, `${p.key} names one period only`);
        keys.set(p.key, p.cutoff);
      }
      assert.equal(keys.size, Math.round((at(to) - at(from)) / HOUR), 'one period per real hour');
    });
  }
});

describe('daily periods', () => {
  it(`are due after ${DIGEST_HOUR}:00 in Asia/Shanghai, which is 22:00 UTC the evening before`, () => {
    const before = currentPeriod('daily', at('2026-03-10T21:59:00Z'), 'Asia/Shanghai');
    assert.equal(wallClock(at('2026-03-10T21:59:00Z'), 'Asia/Shanghai'), 'Wed 2026-03-11 05:59');
    assert.equal(iso(before.cutoff), '2026-03-09T22:00:00.000Z', 'at 05:59 only what came before yesterday 06:00 is due');
    const after = currentPeriod('daily', at('2026-03-10T22:00:00Z'), 'Asia/Shanghai');
    assert.equal(iso(after.cutoff), '2026-03-10T22:00:00.000Z', 'at 06:00 the whole day up to now is due');
    assert.notEqual(before.key, after.key);
    assert.equal(currentPeriod('daily', at('2026-03-11T21:59:59Z'), 'Asia/Shanghai').key, after.key, 'until 05:59 the next morning');
  });

  it('follow Asia/Kolkata: 06:00 there is 00:30 UTC', () => {
    assert.equal(iso(currentPeriod('daily', at('2026-03-10T00:29:00Z'), 'Asia/Kolkata').cutoff), '2026-03-09T00:30:00.000Z');
    assert.equal(iso(currentPeriod('daily', at('2026-03-10T00:30:00Z'), 'Asia/Kolkata').cutoff), '2026-03-10T00:30:00.000Z');
  });

  it('keep 06:00 local across the daylight-saving days of Europe/Berlin', () => {
    // Spring: 06:00 CEST = 04:00 UTC; the day before, 06:00 CET = 05:00 UTC (a 23-hour day).
    assert.equal(iso(currentPeriod('daily', at('2026-03-29T03:59:00Z'), 'Europe/Berlin').cutoff), '2026-03-28T05:00:00.000Z');
    assert.equal(iso(currentPeriod('daily', at('2026-03-29T04:00:00Z'), 'Europe/Berlin').cutoff), '2026-03-29T04:00:00.000Z');
    // Autumn: 06:00 CET = 05:00 UTC; the day before, 06:00 CEST = 04:00 UTC (a 25-hour day).
    assert.equal(iso(currentPeriod('daily', at('2026-10-25T04:59:00Z'), 'Europe/Berlin').cutoff), '2026-10-24T04:00:00.000Z');
    assert.equal(iso(currentPeriod('daily', at('2026-10-25T05:00:00Z'), 'Europe/Berlin').cutoff), '2026-10-25T05:00:00.000Z');
  });

  it('keep 06:00 local across the daylight-saving days of America/New_York', () => {
    assert.equal(iso(currentPeriod('daily', at('2026-03-08T09:59:00Z'), 'America/New_York').cutoff), '2026-03-07T11:00:00.000Z');
    assert.equal(iso(currentPeriod('daily', at('2026-03-08T10:00:00Z'), 'America/New_York').cutoff), '2026-03-08T10:00:00.000Z');
    assert.equal(iso(currentPeriod('daily', at('2026-11-01T10:59:00Z'), 'America/New_York').cutoff), '2026-10-31T10:00:00.000Z');
    assert.equal(iso(currentPeriod('daily', at('2026-11-01T11:00:00Z'), 'America/New_York').cutoff), '2026-11-01T11:00:00.000Z');
  });

  for (const zone of ['UTC', 'Asia/Shanghai', 'Asia/Kolkata', 'Europe/Berlin', 'America/New_York']) {
    it(`in ${zone}, always the latest 06:00 local that has passed, through March and autumn`, () => {
      for (const now of [...sweep('2026-03-06T00:00:00Z', '2026-04-01T00:00:00Z', 37), ...sweep('2026-10-22T00:00:00Z', '2026-11-04T00:00:00Z', 37)]) {
        const p = currentPeriod('daily', now, zone);
        assert.match(wallClock(p.cutoff, zone), / 06:00$/, `${iso(now)}: cutoff ${iso(p.cutoff)} is 06:00 local`);
        assert.ok(p.cutoff <= now, `${iso(now)}: cutoff ${iso(p.cutoff)} has passed`);
        assert.ok(now - p.cutoff < DAY + HOUR, `${iso(now)}: cutoff ${iso(p.cutoff)} is within a day (25 h at most)`);
        const nextSix = currentPeriod('daily', now + DAY + HOUR, zone).cutoff;
        assert.ok(nextSix > now, `${iso(now)}: no 06:00 between the cutoff and now`);
      }
    });
  }
});

describe('weekly periods', () => {
  it('are due on Monday after 06:00 in Europe/Berlin, not before', () => {
    // Monday 9 March 2026, 05:59 CET: last week's Monday is the period.
    const before = currentPeriod('weekly', at('2026-03-09T04:59:00Z'), 'Europe/Berlin');
    assert.equal(wallClock(at('2026-03-09T04:59:00Z'), 'Europe/Berlin'), 'Mon 2026-03-09 05:59');
    assert.equal(iso(before.cutoff), '2026-03-02T05:00:00.000Z');
    const after = currentPeriod('weekly', at('2026-03-09T05:00:00Z'), 'Europe/Berlin');
    assert.equal(iso(after.cutoff), '2026-03-09T05:00:00.000Z');
    assert.notEqual(before.key, after.key);
    // Sunday night, late: still the week that began on Monday morning.
    assert.equal(currentPeriod('weekly', at('2026-03-15T22:59:00Z'), 'Europe/Berlin').key, after.key);
    assert.equal(iso(currentPeriod('weekly', at('2026-03-12T12:00:00Z'), 'Europe/Berlin').cutoff), '2026-03-09T05:00:00.000Z', 'a Thursday looks back to Monday');
  });

  it("follow the user's Monday, not UTC's: Monday 06:00 in Shanghai is Sunday 22:00 UTC", () => {
    assert.equal(iso(currentPeriod('weekly', at('2026-03-08T21:59:00Z'), 'Asia/Shanghai').cutoff), '2026-03-01T22:00:00.000Z');
    assert.equal(iso(currentPeriod('weekly', at('2026-03-08T22:00:00Z'), 'Asia/Shanghai').cutoff), '2026-03-08T22:00:00.000Z');
  });

  it('follow Asia/Kolkata: Monday 06:00 there is Monday 00:30 UTC', () => {
    assert.equal(iso(currentPeriod('weekly', at('2026-03-09T00:29:00Z'), 'Asia/Kolkata').cutoff), '2026-03-02T00:30:00.000Z');
    assert.equal(iso(currentPeriod('weekly', at('2026-03-09T00:30:00Z'), 'Asia/Kolkata').cutoff), '2026-03-09T00:30:00.000Z');
  });

  it('keep Monday 06:00 local in the week the clocks change (America/New_York, 8 March 2026 is a Sunday)', () => {
    // Monday 2 March 06:00 EST = 11:00 UTC; Monday 9 March 06:00 EDT = 10:00 UTC.
    assert.equal(iso(currentPeriod('weekly', at('2026-03-09T09:59:00Z'), 'America/New_York').cutoff), '2026-03-02T11:00:00.000Z');
    assert.equal(iso(currentPeriod('weekly', at('2026-03-09T10:00:00Z'), 'America/New_York').cutoff), '2026-03-09T10:00:00.000Z');
  });

  for (const zone of ['Asia/Shanghai', 'Asia/Kolkata', 'Europe/Berlin', 'America/New_York']) {
    it(`in ${zone}, always the latest Monday 06:00 local that has passed`, () => {
      for (const now of sweep('2026-03-01T00:00:00Z', '2026-04-06T00:00:00Z', 97)) {
        const p = currentPeriod('weekly', now, zone);
        assert.match(wallClock(p.cutoff, zone), /^Mon .* 06:00$/, `${iso(now)}: cutoff ${wallClock(p.cutoff, zone)} is a Monday at 06:00`);
        assert.ok(p.cutoff <= now && now - p.cutoff < 7 * DAY + HOUR, `${iso(now)}: cutoff ${iso(p.cutoff)} is within the last week`);
      }
    });
  }
});
