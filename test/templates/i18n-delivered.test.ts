/**
 * The shipped mails in German and Arabic, delivered by a real Postfix and read back: subject and
 * body in the language, placeholders filled, the sender's "via" in the language, Arabic right to
 * left with its values isolated.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { simpleParser } from 'mailparser';
import type { AppContext } from '../../src/context.ts';
import type { TestMailroom } from '../support/test-mailroom.ts';
import { TEMPLATE_NAMES, type TemplateName } from '../../src/templates/template-catalog.ts';
import { waitForMail, type PostfixServer } from '../support/servers.ts';
import { closeAll } from '../support/close-all.ts';
import { startMailroomWithPostfix } from '../support/postfix-mailroom.ts';

const SUBJECTS: Record<'de' | 'ar', Record<TemplateName, RegExp>> = {
  de: {
    test: /^Test der E-Mail-Einstellungen$/,
    share: /^Bob Berg hat „.+“ mit Ihnen geteilt$/,
    link_share: /^Bob Berg hat „.+“ mit Ihnen geteilt$/,
    lost_password: /^Ihr Passwort für Example Cloud zurücksetzen$/,
    activity: /^Neue Aktivitäten auf Example Cloud$/,
    welcome: /^Ihr Konto auf Example Cloud$/,
    password_changed: /^Ihr Passwort für Example Cloud wurde geändert$/,
    email_change_verify: /^Bestätigen Sie Ihre neue E-Mail-Adresse für Example Cloud$/,
    email_change_notice: /^Ihre E-Mail-Adresse für Example Cloud wurde geändert$/,
  },
  ar: {
    test: /^اختبار إعدادات البريد الإلكتروني$/,
    share: /^شارك \u2068Bob Berg\u2069 معك «\u2068.+\u2069»$/,
    link_share: /^شارك \u2068Bob Berg\u2069 معك «\u2068.+\u2069»$/,
    lost_password: /^إعادة تعيين كلمة مرور \u2068Example Cloud\u2069$/,
    activity: /^آخر النشاطات على \u2068Example Cloud\u2069$/,
    welcome: /^حسابك على \u2068Example Cloud\u2069$/,
    password_changed: /^تم تغيير كلمة مرورك على \u2068Example Cloud\u2069$/,
    email_change_verify: /^أكّد عنوان بريدك الإلكتروني الجديد على \u2068Example Cloud\u2069$/,
    email_change_notice: /^تم تغيير عنوان بريدك الإلكتروني على \u2068Example Cloud\u2069$/,
  },
};

/** A sentence of each mail's text part, in the language. */
const BODIES: Record<'de' | 'ar', Record<TemplateName, RegExp>> = {
  de: {
    test: /Wenn Sie diese E-Mail erhalten haben, scheinen die Einstellungen richtig zu sein\./,
    share: /^Hallo Alice Andersen,\n\nBob Berg hat „Budget 2026\.xlsx“ auf Example Cloud mit Ihnen geteilt\./,
    link_share: /^Hallo,\n\nBob Berg hat „Quote Q1 2026\.pdf“ mit Ihnen geteilt\./,
    lost_password: /Der Link läuft in 60 Minuten ab\./,
    activity: /^\* Bob Berg hat die Datei „Budget 2026\.xlsx“ geändert$/m,
    welcome: /läuft in 7 Tagen ab\./,
    password_changed: /Die Änderung wurde von 203\.0\.113\.7 aus vorgenommen \(Firefox unter Windows\)\./,
    email_change_verify: /Der Link läuft in 24 Stunden ab\./,
    email_change_notice: /von alice\.andersen@example\.com in alice\.andersen@example\.net geändert\./,
  },
  ar: {
    test: /إذا وصلتك هذه الرسالة، فالإعدادات على ما يبدو صحيحة\./,
    share: /^مرحبًا \u2068Alice Andersen\u2069،/,
    link_share: /^مرحبًا،/,
    lost_password: /تنتهي صلاحية الرابط بعد \u206860\u2069 دقيقة\./,
    activity: /عدّل \u2068Bob Berg\u2069 \u2068الملف «\u2068Budget 2026\.xlsx\u2069»\u2069/,
    welcome: /تنتهي صلاحيته بعد \u20687\u2069 أيام\./,
    // The browser's name is a message of its own (browser.on), isolated inside and as a whole.
    password_changed: /أُجري التغيير من العنوان \u2068203\.0\.113\.7\u2069 \(\u2068\u2068Firefox\u2069 على \u2068Windows\u2069\u2069\)\./,
    email_change_verify: /بعد \u206824\u2069 ساعة\./,
    email_change_notice: /من \u2068alice\.andersen@example\.com\u2069 إلى \u2068alice\.andersen@example\.net\u2069/,
  },
};

describe('the shipped mails in German and Arabic, delivered by a real Postfix', () => {
  let postfix: PostfixServer;
  let mailroom: TestMailroom;
  let ctx: AppContext;

  before(async () => {
    ({ postfix, mailroom } = await startMailroomWithPostfix({
      prefix: 'mailroom-i18n-',
      settings: { instance_name: 'Example Cloud' },
    }));
    ctx = mailroom.ctx;
  });

  after(() => closeAll(mailroom, postfix));

  for (const language of ['de', 'ar'] as const) {
    it(`every mail in ${language}: subject and body in the language, the sender's name too`, async () => {
      for (const name of TEMPLATE_NAMES) {
        const to = `${name}.${language}@example.org`.replace(/_/g, '-');
        const report = await ctx.mailTest.sendTemplateTest(name, { to, language });
        assert.equal(report.ok, true, JSON.stringify(report.error));
        const mail = await simpleParser((await waitForMail(postfix.maildir, (m) => m.deliveredTo === to)).raw);
        const where = `${language}/${name}`;
        assert.match(mail.subject ?? '', SUBJECTS[language][name], where);
        assert.match(mail.text ?? '', BODIES[language][name], `${where}: ${mail.text}`);
        const html = typeof mail.html === 'string' ? mail.html : '';
        assert.match(html, new RegExp(`<html lang="${language}" dir="${language === 'ar' ? 'rtl' : 'ltr'}"`), where);
        assert.doesNotMatch(`${mail.subject}\n${mail.text}`, /\{\{|\{[a-z_]+\}/, `${where}: a placeholder left unfilled`);
        if (name === 'share') assert.equal(mail.from?.value[0]?.name, language === 'de' ? 'Bob Berg über Example Cloud' : '\u2068Bob Berg\u2069 عبر \u2068Example Cloud\u2069');
        if (language === 'ar' && (name === 'share' || name === 'link_share')) assert.match(html, /<bdi>(Budget 2026\.xlsx|Quote Q1 2026\.pdf)<\/bdi>/);
      }
    });
  }
});
