/** Whether `zone` is an IANA time zone this Node knows (e.g. Asia/Shanghai, UTC). */
export function isTimeZone(zone: string): boolean {
  if (zone.length === 0 || zone.length > 64) return false;
  // Making a DateTimeFormat costs ~0.1 ms, and every mail asks about its recipient's zone. Only
  // zones found valid are remembered: they are a closed set (the zones ICU knows), so this stays small.
  if (knownZones.has(zone)) return true;
  try {
    new Intl.DateTimeFormat('en', { timeZone: zone });
    knownZones.add(zone);
    return true;
  } catch {
    return false;
  }
}
const knownZones = new Set<string>();
