import type { TemplateLanguage } from '../templates/template-catalog.ts';
import { translate } from '../templates/catalogs.ts';
import type { EventType } from '../domain/event-types.ts';

// One sentence per type and language, for the digest's lines and the stream: the catalogs'
// activity.other.* and activity.own.* (src/templates/catalogs), written out in full rather than
// assembled from fragments, so each language keeps its own word order. The actor is joined by
// the spacing rule (domain/cjk-spacing.ts): "李华修改了文件", "Bob Berg 修改了文件".
function sentence(input: { type: EventType; own: boolean; actorName: string | null }, object: string, language: TemplateLanguage): string {
  if (input.own) return translate(language, `activity.own.${input.type}`, { object });
  return translate(language, `activity.other.${input.type}`, { actor: input.actorName ?? translate(language, 'activity.someone'), object });
}

/** "Bob Berg changed a file" / "李华修改了文件"; "You changed a file" for one's own actions. */
export function activitySubject(input: { type: EventType; own: boolean; actorName: string | null; objectType: 'file' | 'folder' }, language: TemplateLanguage): string {
  return sentence(input, translate(language, 'activity.object', { kind: input.objectType }), language);
}

/**
 * A digest line that names the object: "Bob Berg changed the file »Budget 2026.xlsx«",
 * "李华修改了文件“2026年度预算.xlsx”". The name is set in as given, never spaced or shortened.
 */
export function activitySummary(input: { type: EventType; own: boolean; actorName: string | null; objectType: 'file' | 'folder'; objectName: string }, language: TemplateLanguage): string {
  return sentence(input, translate(language, 'activity.named', { kind: input.objectType, name: input.objectName }), language);
}

/** What a notification type is about ("changed files"), for the unsubscribe page: the catalogs' notification_type.*. */
export function typeLabel(type: EventType, language: TemplateLanguage): string {
  return translate(language, `notification_type.${type}`);
}
