import type { TemplateLanguage } from '../templates/template-catalog.ts';
import { joinSpaced } from '../domain/cjk-spacing.ts';
import type { EventType } from '../domain/event-types.ts';

type Phrase = (actor: string, object: string) => string;

interface Phrases {
  objects: { file: string; folder: string };
  someone: string;
  you: Record<EventType, (object: string) => string>;
  other: Record<EventType, Phrase>;
}

// One sentence per type and language, for the digest's lines and the stream. Written out in full
// rather than assembled from fragments, so each language keeps its own word order.
const phrases: Record<TemplateLanguage, Phrases> = {
  en: {
    objects: { file: 'file', folder: 'folder' },
    someone: 'Someone',
    other: {
      'share.created': (a, o) => `${a} shared a ${o} with you`,
      'share.received': (a, o) => `${a} shared a ${o} with you`,
      'file.created': (a, o) => `${a} created a ${o}`,
      'file.changed': (a, o) => `${a} changed a ${o}`,
      'file.deleted': (a, o) => `${a} deleted a ${o}`,
      'file.restored': (a, o) => `${a} restored a ${o}`,
      'comment.created': (a, o) => `${a} commented on a ${o}`,
      'tag.assigned': (a, o) => `${a} tagged a ${o}`,
      'share.link.sent': (a, o) => `${a} sent a link to a ${o} by email`,
    },
    you: {
      'share.created': (o) => `You shared a ${o}`,
      'share.received': (o) => `You received a shared ${o}`,
      'file.created': (o) => `You created a ${o}`,
      'file.changed': (o) => `You changed a ${o}`,
      'file.deleted': (o) => `You deleted a ${o}`,
      'file.restored': (o) => `You restored a ${o}`,
      'comment.created': (o) => `You commented on a ${o}`,
      'tag.assigned': (o) => `You tagged a ${o}`,
      'share.link.sent': (o) => `You sent a link to a ${o} by email`,
    },
  },
  'zh-CN': {
    objects: { file: '文件', folder: '文件夹' },
    someone: '有人',
    // The actor is joined by the spacing rule (domain/cjk-spacing.ts): "李华修改了文件", "Bob Berg 修改了文件".
    other: {
      'share.created': (a, o) => joinSpaced(a, `与您共享了${o}`),
      'share.received': (a, o) => joinSpaced(a, `与您共享了${o}`),
      'file.created': (a, o) => joinSpaced(a, `创建了${o}`),
      'file.changed': (a, o) => joinSpaced(a, `修改了${o}`),
      'file.deleted': (a, o) => joinSpaced(a, `删除了${o}`),
      'file.restored': (a, o) => joinSpaced(a, `恢复了${o}`),
      'comment.created': (a, o) => joinSpaced(a, `评论了${o}`),
      'tag.assigned': (a, o) => joinSpaced(a, `为${o}添加了标签`),
      'share.link.sent': (a, o) => joinSpaced(a, `通过邮件发送了${o}的链接`),
    },
    you: {
      'share.created': (o) => `您共享了${o}`,
      'share.received': (o) => `您收到了共享的${o}`,
      'file.created': (o) => `您创建了${o}`,
      'file.changed': (o) => `您修改了${o}`,
      'file.deleted': (o) => `您删除了${o}`,
      'file.restored': (o) => `您恢复了${o}`,
      'comment.created': (o) => `您评论了${o}`,
      'tag.assigned': (o) => `您为${o}添加了标签`,
      'share.link.sent': (o) => `您通过邮件发送了${o}的链接`,
    },
  },
};

/** "Bob Berg changed a file" / "李华修改了文件"; "You changed a file" for one's own actions. */
export function activitySubject(input: { type: EventType; own: boolean; actorName: string | null; objectType: 'file' | 'folder' }, language: TemplateLanguage): string {
  const p = phrases[language];
  const object = p.objects[input.objectType];
  return input.own ? p.you[input.type](object) : p.other[input.type](input.actorName ?? p.someone, object);
}

/** The object as a digest line names it, the name in the quotes of the language's mails: "the file »Budget 2026.xlsx«" / "文件“2026年度预算.xlsx”". */
const namedObject: Record<TemplateLanguage, (kind: 'file' | 'folder', name: string) => string> = {
  en: (kind, name) => `the ${kind} »${name}«`,
  'zh-CN': (kind, name) => `${kind === 'file' ? '文件' : '文件夹'}“${name}”`,
};

/**
 * A digest line that names the object: "Bob Berg changed the file »Budget 2026.xlsx«",
 * "李华修改了文件“2026年度预算.xlsx”". The name is set in as given, never spaced or shortened.
 */
export function activitySummary(input: { type: EventType; own: boolean; actorName: string | null; objectType: 'file' | 'folder'; objectName: string }, language: TemplateLanguage): string {
  const p = phrases[language];
  const object = namedObject[language](input.objectType, input.objectName);
  const sentence = input.own ? p.you[input.type](object) : p.other[input.type](input.actorName ?? p.someone, object);
  // The English sentences say "a file"; with the name it is "the file »…«".
  return language === 'en' ? sentence.replace(/\ba the (file|folder) »/, 'the $1 »') : sentence;
}

const typeLabels: Record<TemplateLanguage, Record<EventType, string>> = {
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
  return typeLabels[language][type];
}
