import { z } from 'zod';
import { EVENT_TYPES, FREQUENCIES, type EventType, type Frequency } from './event-types.ts';

export interface TypePreference {
  email: boolean;
  stream: boolean;
}

/** Everything that decides what a user hears about, with every gap filled. */
export interface Preferences {
  frequency: Frequency;
  own_actions: boolean;
  types: Record<EventType, TypePreference>;
}

/** What is stored for a user or for the defaults ('*'): only what was chosen. */
export interface StoredPreferences {
  frequency: Frequency | null;
  own_actions: boolean | null;
  types: Partial<Record<EventType, Partial<TypePreference>>>;
}

/** Mailroom's own defaults, below the admin's: every type mailed, hourly, not one's own actions. */
export const BUILT_IN_PREFERENCES: Preferences = {
  frequency: 'hourly',
  own_actions: false,
  types: Object.fromEntries(EVENT_TYPES.map((t) => [t, { email: true, stream: true }])) as Record<EventType, TypePreference>,
};

/** The user's choices over the admin's defaults over Mailroom's, field by field. */
export function effectivePreferences(defaults: StoredPreferences | undefined, own: StoredPreferences | undefined): Preferences {
  const types = {} as Record<EventType, TypePreference>;
  for (const type of EVENT_TYPES) {
    const base = BUILT_IN_PREFERENCES.types[type];
    const d = defaults?.types[type];
    const u = own?.types[type];
    types[type] = { email: u?.email ?? d?.email ?? base.email, stream: u?.stream ?? d?.stream ?? base.stream };
  }
  return {
    frequency: own?.frequency ?? defaults?.frequency ?? BUILT_IN_PREFERENCES.frequency,
    own_actions: own?.own_actions ?? defaults?.own_actions ?? BUILT_IN_PREFERENCES.own_actions,
    types,
  };
}

const typePatch = z.object({ email: z.boolean().optional(), stream: z.boolean().optional() }).strict();

/** A change of preferences: some fields or all; unknown types are refused by name. */
export const preferencesPatchSchema = z
  .object({
    frequency: z.enum(FREQUENCIES).optional(),
    own_actions: z.boolean().optional(),
    types: z.partialRecord(z.enum(EVENT_TYPES), typePatch).optional(),
  })
  .strict();
export type PreferencesPatch = z.infer<typeof preferencesPatchSchema>;

export function applyPatch(stored: StoredPreferences | undefined, patch: PreferencesPatch): StoredPreferences {
  const next: StoredPreferences = { frequency: stored?.frequency ?? null, own_actions: stored?.own_actions ?? null, types: { ...(stored?.types ?? {}) } };
  if (patch.frequency !== undefined) next.frequency = patch.frequency;
  if (patch.own_actions !== undefined) next.own_actions = patch.own_actions;
  for (const [type, change] of Object.entries(patch.types ?? {}) as Array<[EventType, z.infer<typeof typePatch>]>) {
    next.types[type] = { ...(next.types[type] ?? {}), ...change };
  }
  return next;
}
