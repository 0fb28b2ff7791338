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

// The preferences and unsubscribe pages' words: those pages' own texts move to catalogs with the
// web interface's; until then, the languages without these words show the English ones.
const typeLabels: Partial<Record<TemplateLanguage, Record<EventType, string>>> & Pick<Record<TemplateLanguage, Record<EventType, string>>, 'en'> = {
  en: {
    'share.created': 'files and folders shared with you',
    'share.received': 'shares you received',
    'file.created': 'new files',
    'file.changed': 'changed files',
    'file.deleted': 'deleted files',
    'file.restored': 'restored files',
    'comment.created': 'comments',
    'tag.assigned': 'tags',
    'share.link.sent': 'links you sent by email',
  },
  'zh-CN': {
    'share.created': '与您共享的文件和文件夹',
    'share.received': '您收到的共享',
    'file.created': '新建的文件',
    'file.changed': '修改的文件',
    'file.deleted': '删除的文件',
    'file.restored': '恢复的文件',
    'comment.created': '评论',
    'tag.assigned': '标签',
    'share.link.sent': '您通过邮件发送的链接',
  },
};

/** What a notification type is about, for the preferences and unsubscribe pages. */
export function typeLabel(type: EventType, language: TemplateLanguage): string {
  return (typeLabels[language] ?? typeLabels.en)[type];
}
