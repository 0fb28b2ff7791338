/** Whether `zone` is an IANA time zone this Node knows (e.g. Asia/Shanghai, UTC, or an old name such as Asia/Calcutta). */
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

/**
 * Old names that ICU (and so Node 20's `Intl.supportedValuesOf('timeZone')`) still lists as the
 * canonical ones, with the name IANA uses today (tzdata's `backward` file). Both names mean the
 * same zone; people look for the current one.
 */
const RENAMED: Readonly<Record<string, string>> = {
  'Africa/Asmera': 'Africa/Asmara',
  'America/Buenos_Aires': 'America/Argentina/Buenos_Aires',
  'America/Catamarca': 'America/Argentina/Catamarca',
  'America/Coral_Harbour': 'America/Atikokan',
  'America/Cordoba': 'America/Argentina/Cordoba',
  'America/Godthab': 'America/Nuuk',
  'America/Indianapolis': 'America/Indiana/Indianapolis',
  'America/Jujuy': 'America/Argentina/Jujuy',
  'America/Louisville': 'America/Kentucky/Louisville',
  'America/Mendoza': 'America/Argentina/Mendoza',
  'Asia/Calcutta': 'Asia/Kolkata',
  'Asia/Katmandu': 'Asia/Kathmandu',
  'Asia/Rangoon': 'Asia/Yangon',
  'Asia/Saigon': 'Asia/Ho_Chi_Minh',
  'Atlantic/Faeroe': 'Atlantic/Faroe',
  'Europe/Kiev': 'Europe/Kyiv',
  'Pacific/Enderbury': 'Pacific/Kanton',
  'Pacific/Ponape': 'Pacific/Pohnpei',
  'Pacific/Truk': 'Pacific/Chuuk',
};

/** The name IANA uses today for a zone (Asia/Calcutta → Asia/Kolkata); any other name as it is. */
export function currentTimeZoneName(zone: string): string {
  return RENAMED[zone] ?? zone;
}

let zoneList: readonly string[] | undefined;

/** Every time zone by its current IANA name, sorted, with UTC (which ICU's list leaves out). */
export function timeZoneNames(): readonly string[] {
  zoneList ??= [...new Set(['UTC', ...Intl.supportedValuesOf('timeZone').map(currentTimeZoneName)])].filter(isTimeZone).sort();
  return zoneList;
}
