import type { ActivityRecord } from '../domain/notifications.ts';
import { MailroomError } from '../errors.ts';
import type { TemplateLanguage } from '../templates/template-catalog.ts';
import { activitySubject } from './activity-text.ts';
import { applyPatch, effectivePreferences, type Preferences, type PreferencesPatch, type StoredPreferences } from '../domain/preferences.ts';
import type { EventType } from '../domain/event-types.ts';
import type { UnsubscribeLinks } from './unsubscribe-links.ts';
import type { StreamActivity } from '../domain/api-types.ts';

export interface PreferenceStore {
  readPreferences(uids: readonly string[]): Promise<Map<string, StoredPreferences>>;
  writePreferences(uid: string, prefs: StoredPreferences, now: number): Promise<void>;
  stream(uid: string, input: { limit: number; beforeId?: number | undefined }): Promise<ActivityRecord[]>;
}

export const DEFAULTS_UID = '*';

/** Each user's notification choices over the admin's defaults, and the one-click unsubscribe. */
export function createPreferenceService(deps: { store: PreferenceStore; userExists(uid: string): Promise<boolean>; unsubscribe: UnsubscribeLinks; clock: { now(): Date } }) {
  const mustExist = async (uid: string) => {
    if (!(await deps.userExists(uid))) throw new MailroomError('not_found', `No user "${uid}"`);
  };
  const read = async (uid: string): Promise<Preferences> => {
    const stored = await deps.store.readPreferences([uid, DEFAULTS_UID]);
    return effectivePreferences(stored.get(DEFAULTS_UID), uid === DEFAULTS_UID ? undefined : stored.get(uid));
  };
  const patch = async (uid: string, change: PreferencesPatch): Promise<Preferences> => {
    const stored = await deps.store.readPreferences([uid]);
    await deps.store.writePreferences(uid, applyPatch(stored.get(uid), change), deps.clock.now().getTime());
    return read(uid);
  };
  return {
    async get(uid: string): Promise<Preferences> {
      await mustExist(uid);
      return read(uid);
    },
    async update(uid: string, change: PreferencesPatch): Promise<Preferences> {
      await mustExist(uid);
      return patch(uid, change);
    },
    /** The admin's defaults: what every user has until they choose otherwise. */
    getDefaults: () => read(DEFAULTS_UID),
    updateDefaults: (change: PreferencesPatch) => patch(DEFAULTS_UID, change),
    /** The activity list: newest first, each with its sentence in the user's language. */
    async stream(uid: string, input: { limit: number; beforeId?: number | undefined; language?: TemplateLanguage }): Promise<StreamActivity[]> {
      const rows = await deps.store.stream(uid, input);
      return rows.map((a) => ({
        id: a.id,
        type: a.type,
        subject: activitySubject({ type: a.type, own: a.own, actorName: a.actorName ?? a.actor, objectType: a.objectType }, input.language ?? 'en'),
        actor: a.actor,
        own: a.own,
        object: { type: a.objectType, name: a.objectName },
        link: a.link,
        time: new Date(a.createdAt).toISOString(),
        mailed: a.mailState === 'mailed',
      }));
    },
    /** What an unsubscribe link is for, without changing anything (the confirmation page). */
    describeUnsubscribe(token: string): { uid: string; types: EventType[] } {
      return deps.unsubscribe.verify(token);
    },
    /** Turns email off for the link's types at once (RFC 8058 one-click). */
    async unsubscribe(token: string): Promise<{ uid: string; types: EventType[] }> {
      const { uid, types } = deps.unsubscribe.verify(token);
      await mustExist(uid);
      await patch(uid, { types: Object.fromEntries(types.map((t) => [t, { email: false }])) as PreferencesPatch['types'] });
      return { uid, types };
    },
  };
}

export type PreferenceService = ReturnType<typeof createPreferenceService>;
