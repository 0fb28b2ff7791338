import { translate } from './catalogs.ts';
import { zonedDate } from './render-mail.ts';
import type { TemplateLanguage, TemplateName } from './template-catalog.ts';

/** The instance a preview or test mail is made for: its links and dates follow it. */
export interface SampleInstance {
  instance_name: string;
  base_url: string;
  now: Date;
}

/** "3 Dec 2026" / "2026年12月3日": a date as the share mails write an expiry. */
function calendarDay(date: Date, language: TemplateLanguage): string {
  return new Intl.DateTimeFormat(language, { dateStyle: 'medium', timeZone: 'UTC' }).format(date);
}

function dateTime(date: Date, language: TemplateLanguage): string {
  return new Intl.DateTimeFormat(language, { dateStyle: 'medium', timeStyle: 'short', timeZone: 'UTC' }).format(date);
}

const DAY = 86_400_000;

/** A fixed example time in the language's own format (the preview without an instance). */
function fixedTime(language: TemplateLanguage, iso: string): string {
  return dateTime(new Date(iso), language);
}

/** A digest line of the sample, written by the language's catalog as the real ones are. */
function sampleActivity(language: TemplateLanguage, type: 'file.changed' | 'share.created' | 'comment.created', actor: string, kind: 'file' | 'folder', name: string, link: string, time: string) {
  return {
    summary: translate(language, `activity.other.${type}`, { actor, object: translate(language, 'activity.named', { kind, name }) }),
    subject: translate(language, `activity.other.${type}`, { actor, object: translate(language, 'activity.object', { kind }) }),
    file_name: name,
    link,
    time,
  };
}

/**
 * The person the sample share mails come from, with the address a real share mail would reply to:
 * the test mail of `share` and `link_share` is sent "via" the instance on their behalf, as the
 * real ones are. The name is the `sharer` of sampleData.
 */
export function sampleSharer(language: TemplateLanguage): { name: string; email: string } {
  return language === 'zh-CN' ? { name: '李华', email: 'li.hua@example.com' } : { name: 'Bob Berg', email: 'bob.berg@example.com' };
}

/**
 * Realistic data for the preview and the tests: exactly the variables of `variablesOf(name)`
 * (the common ones and the template's own), with names, dates and times as a user of that
 * language would see them (dates and times arrive already formatted). Given the instance, the
 * data is that instance's: its name, links under its base_url, expiries a week ahead of `now`
 * and times just before it; without it, fixed example values (the tests compare them).
 */
export function sampleData(name: TemplateName, language: TemplateLanguage, instance?: SampleInstance): Record<string, unknown> {
  const zh = language === 'zh-CN';
  const base = instance ? instance.base_url.replace(/\/+$/, '') : 'https://cloud.example.com';
  const at = (offsetDays: number, fixed: string) => (instance ? calendarDay(new Date(instance.now.getTime() + offsetDays * DAY), language) : fixed);
  const ago = (hours: number, fixed: string) => (instance ? dateTime(new Date(instance.now.getTime() - hours * 3_600_000), language) : fixed);
  const common: Record<string, unknown> = {
    user: zh ? { display_name: '王小明', uid: 'xiaoming', email: 'xiaoming.wang@example.com' } : { display_name: 'Alice Andersen', uid: 'alice', email: 'alice.andersen@example.com' },
    instance_name: instance ? instance.instance_name : zh ? '示例云盘' : 'Example Cloud',
    base_url: base,
  };
  switch (name) {
    case 'share':
      return {
        ...common,
        sharer: sampleSharer(language).name,
        file_name: zh ? '2026年度预算.xlsx' : 'Budget 2026.xlsx',
        link: `${base}/s/Xk3pQ9aLm2`,
        expiration: at(7, zh ? '2026年12月3日' : '2026-12-03'),
        note: zh ? '这是最新版本，周五开会前请看一下。\n有问题随时找我。' : "Here is the latest version, please have a look before Friday's meeting.\nThanks!",
      };
    case 'lost_password':
      return {
        ...common,
        link: `${base}/reset/${zh ? 'pV8rX2mQ7tLw' : 'k3Jd9Fq1ZsYe'}`,
        expires_in_minutes: 60,
      };
    case 'activity':
      return {
        ...common,
        activities: zh
          ? [
              { summary: '李华修改了文件“2026年度预算.xlsx”', subject: '李华修改了文件', file_name: '2026年度预算.xlsx', link: `${base}/f/1042`, time: ago(5, '2026年11月26日 09:14') },
              { summary: '张伟与您共享了文件夹“极光项目”', subject: '张伟与您共享了文件夹', file_name: '极光项目', link: `${base}/f/2210`, time: ago(4, '2026年11月26日 10:02') },
              { summary: 'Bob Berg 评论了文件“设计说明.pdf”', subject: 'Bob Berg 评论了文件', file_name: '设计说明.pdf', link: `${base}/f/1177`, time: ago(1, '2026年11月26日 14:37') },
            ]
          : language === 'en'
            ? [
                { summary: 'Bob Berg changed the file »Budget 2026.xlsx«', subject: 'Bob Berg changed a file', file_name: 'Budget 2026.xlsx', link: `${base}/f/1042`, time: ago(5, '2026-11-26 09:14') },
                { summary: 'Carol Chen shared the folder »Project Aurora« with you', subject: 'Carol Chen shared a folder with you', file_name: 'Project Aurora', link: `${base}/f/2210`, time: ago(4, '2026-11-26 10:02') },
                { summary: '王小明 commented on the file »Design brief.pdf«', subject: '王小明 commented on a file', file_name: 'Design brief.pdf', link: `${base}/f/1177`, time: ago(1, '2026-11-26 14:37') },
              ]
            : [
                sampleActivity(language, 'file.changed', 'Bob Berg', 'file', 'Budget 2026.xlsx', `${base}/f/1042`, ago(5, fixedTime(language, '2026-11-26T09:14:00Z'))),
                sampleActivity(language, 'share.created', 'Carol Chen', 'folder', 'Project Aurora', `${base}/f/2210`, ago(4, fixedTime(language, '2026-11-26T10:02:00Z'))),
                sampleActivity(language, 'comment.created', '王小明', 'file', 'Design brief.pdf', `${base}/f/1177`, ago(1, fixedTime(language, '2026-11-26T14:37:00Z'))),
              ],
        more: 0,
        settings_link: `${base}/personal#notifications`,
        unsubscribe_link: `${base}/unsubscribe/${zh ? 'q8Zr2VwXn4' : 'Lm5tY7cP0e'}`,
      };
    case 'test':
      return common;
    case 'link_share':
      // Sent to an outside address: the recipient has no account, so the "user" is the address.
      return {
        ...common,
        user: zh ? { display_name: 'zhao.min@example.org', uid: '', email: 'zhao.min@example.org' } : { display_name: 'dana.diaz@example.org', uid: '', email: 'dana.diaz@example.org' },
        sharer: sampleSharer(language).name,
        file_name: zh ? '2026年第一季度报价单.pdf' : 'Quote Q1 2026.pdf',
        link: `${base}/s/${zh ? 'T4nB8cWq1R' : 'R7fWq2ZkT9'}`,
        expiration: at(14, zh ? '2026年12月10日' : '2026-12-10'),
        note: zh ? '赵经理您好，这是电话里提到的报价单，请查收。\n有问题随时联系我。' : 'Hi Dana, here is the quote we talked about on the phone.\nBest regards, Bob',
      };
    case 'welcome':
      return {
        ...common,
        link: `${base}/set-password/${zh ? 'h2Kd9QzV5tWm' : 'Vb7Kq1xZ3mNp'}`,
        expires_in_days: 7,
      };
    case 'password_changed':
      return {
        ...common,
        changed_at: instance ? zonedDate(instance.now, language, 'UTC') : zh ? '2026年11月26日 14:37（GMT+8）' : language === 'en' ? 'Nov 26, 2026, 2:37 PM GMT+8' : zonedDate(new Date('2026-11-26T06:37:00Z'), language, 'Asia/Shanghai'),
        client_address: '203.0.113.7',
        browser: zh ? 'Windows 上的 Firefox' : translate(language, 'browser.on', { browser: 'Firefox', system: 'Windows' }),
        reset_link: `${base}/forgot`,
      };
    case 'email_change_verify':
      return {
        ...common,
        link: `${base}/confirm-email/${zh ? 'c5Rm0LpX7eYs' : 'N3wE6gHs8JdQ'}`,
        new_email: zh ? 'wangxm@example.net' : 'alice.andersen@example.net',
        expires_in_hours: 24,
      };
    case 'email_change_notice':
      return {
        ...common,
        old_email: zh ? 'xiaoming.wang@example.com' : 'alice.andersen@example.com',
        new_email: zh ? 'wangxm@example.net' : 'alice.andersen@example.net',
        changed_at: instance ? zonedDate(instance.now, language, 'UTC') : zh ? '2026年11月26日 14:37（GMT+8）' : language === 'en' ? 'Nov 26, 2026, 2:37 PM GMT+8' : zonedDate(new Date('2026-11-26T06:37:00Z'), language, 'Asia/Shanghai'),
        client_address: '203.0.113.7',
        browser: zh ? 'Windows 上的 Firefox' : translate(language, 'browser.on', { browser: 'Firefox', system: 'Windows' }),
        undo_link: `${base}/undo-email/${zh ? 'Hq4Ws9Lm2Xc' : 'Rt6Yb3Nf8Kd'}`,
        reset_link: `${base}/forgot`,
      };
  }
}
