/** Time zones by the names IANA uses today, while the old names ICU still lists stay accepted. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { currentTimeZoneName, isTimeZone, timeZoneNames } from '../../src/domain/time-zone.ts';

describe('time-zone names', () => {
  it('gives the current name of a renamed zone, and any other name as it is', () => {
    assert.equal(currentTimeZoneName('Asia/Calcutta'), 'Asia/Kolkata');
    assert.equal(currentTimeZoneName('Europe/Kiev'), 'Europe/Kyiv');
    assert.equal(currentTimeZoneName('Asia/Saigon'), 'Asia/Ho_Chi_Minh');
    assert.equal(currentTimeZoneName('Asia/Shanghai'), 'Asia/Shanghai');
    assert.equal(currentTimeZoneName('UTC'), 'UTC');
  });

  it('still accepts an old name, and knows every current one', () => {
    assert.equal(isTimeZone('Asia/Calcutta'), true);
    assert.equal(isTimeZone('Asia/Kolkata'), true);
    assert.equal(isTimeZone('Mars/Olympus'), false);
  });

  it('lists every zone once, by its current name, sorted, with UTC, each one this Node can use', () => {
    const zones = timeZoneNames();
    assert.ok(zones.length > 300, `${zones.length} zones`);
    assert.deepEqual([...zones], [...zones].sort());
    assert.equal(new Set(zones).size, zones.length);
    for (const name of ['UTC', 'Asia/Kolkata', 'Europe/Kyiv', 'America/Nuuk', 'Pacific/Kanton']) assert.ok(zones.includes(name), name);
    for (const old of ['Asia/Calcutta', 'Europe/Kiev', 'America/Godthab', 'Asia/Rangoon', 'Pacific/Truk']) assert.ok(!zones.includes(old), old);
    // Each listed name is one Intl can format with, and none is still an old name of another.
    for (const zone of zones) {
      assert.ok(isTimeZone(zone), zone);
      assert.equal(currentTimeZoneName(zone), zone);
    }
  });
});
