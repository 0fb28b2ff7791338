import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { simpleParser } from 'mailparser';
import { dkimVerify } from 'mailauth/lib/dkim/verify.js';
import type { AppContext } from '../../src/context.ts';
import type { TestMailroom } from '../support/test-mailroom.ts';
import { sampleData, sampleSharer } from '../../src/templates/sample-data.ts';
import { TEMPLATE_DEFINITIONS, TEMPLATE_NAMES, type TemplateName } from '../../src/templates/template-catalog.ts';
import { waitForMail, type PostfixServer } from '../support/servers.ts';
import { assertChineseTypography } from '../support/zh-typography.ts';
import { closeAll } from '../support/close-all.ts';
import { startMailroomWithPostfix } from '../support/postfix-mailroom.ts';

// The languages whose words this file checks; i18n-delivered.test.ts delivers the others.
const CHECKED_LANGUAGES = ['en', 'zh-CN'] as const;
const expectedSubject: Record<(typeof CHECKED_LANGUAGES)[number], Record<TemplateName, RegExp>> = {
  en: {
    test: /^Email setting test$/,
    share: /^.+ shared ».+« with you$/,
    lost_password: /password/i,
    activity: /activity/i,
    link_share: /^.+ shared ».+« with you$/,
    welcome: /^Your .+ account$/,
    password_changed: /^Your .+ password was changed$/,
    email_change_verify: /^Confirm your new email address for .+$/,
    email_change_notice: /^Your .+ email address was changed$/,
  },
  'zh-CN': {
    test: /^邮件设置测试$/,
    share: /^\S+与您共享了“.+”$/,
    lost_password: /重置密码/,
    activity: /新动态/,
    link_share: /^\S+与您共享了“.+”$/,
    welcome: /^【.+】您的账户已开通$/,
    password_changed: /^【.+】您的密码已修改$/,
    email_change_verify: /^【.+】请确认您的新邮箱$/,
    email_change_notice: /^【.+】您的账户邮箱已更改$/,
  },
};

/** The variables of the sample data that must arrive in both the text and the HTML part. */
const SHOWN = ['link', 'settings_link', 'reset_link', 'undo_link', 'new_email', 'old_email', 'expiration', 'client_address', 'browser'] as const;

describe('the shipped templates, delivered by a real Postfix', () => {
  let postfix: PostfixServer;
  let mailroom: TestMailroom;
  let ctx: AppContext;

  before(async () => {
    ({ postfix, mailroom } = await startMailroomWithPostfix({
      prefix: 'mailroom-delivered-',
      settings: {
        instance_name: '示例云盘 Example',
      },
    }));
    ctx = mailroom.ctx;
  });
  after(() => closeAll(mailroom, postfix));

  for (const language of CHECKED_LANGUAGES) {
    for (const name of TEMPLATE_NAMES) {
      it(`${name} in ${language} arrives as valid MIME with subject, text, HTML and headers`, async () => {
        const to = `${name}.${language}@example.org`.toLowerCase();
        const report = await ctx.mailTest.sendTemplateTest(name, { to, language });
        assert.equal(report.ok, true, JSON.stringify(report.error));
        const delivered = await waitForMail(postfix.maildir, (m) => m.deliveredTo === to);
        const mail = await simpleParser(delivered.raw);
        assert.match(mail.subject ?? '', expectedSubject[language][name]);
        assert.equal(mail.from?.value[0]?.address, 'mailroom@cloud.example.com');
        if (name === 'share' || name === 'link_share') {
          // Built like the real share mails: sent on the sample sharer's behalf, replies to them.
          const sharer = sampleSharer(language);
          assert.equal(mail.from?.value[0]?.name, language === 'zh-CN' ? '李华通过示例云盘 Example' : 'Bob Berg via 示例云盘 Example');
          assert.equal(mail.replyTo?.value[0]?.address, sharer.email);
        } else {
          assert.equal(mail.from?.value[0]?.name, '示例云盘 Example');
          assert.equal(mail.replyTo, undefined);
        }
        assert.equal(mail.headers.get('auto-submitted'), 'auto-generated');
        assert.match(mail.messageId ?? '', /@cloud\.example\.com>$/);
        assert.ok(mail.text && mail.text.trim().length > 0, 'a text part');
        assert.ok(typeof mail.html === 'string' && mail.html.includes('</table>'), 'an HTML part in the layout');
        // template:test uses the instance's sample data: its links, and expiries ahead of today.
        const settings = await ctx.settings.get();
        const data = sampleData(name, language, { instance_name: settings.instance_name, base_url: settings.base_url, now: new Date() });
        if (name !== 'test') assert.ok(mail.text.includes(settings.base_url), 'links on the instance');
        assert.ok(!mail.text.includes('cloud.example.com/'), 'no example links');
        for (const value of SHOWN.map((key) => data[key]).filter((v): v is string => typeof v === 'string')) {
          assert.ok(mail.text.includes(value), `the text has ${value}`);
          assert.ok((mail.html as string).includes(value), `the HTML has ${value}`);
        }
        if (language === 'zh-CN') {
          assert.match(mail.text, /[\u4e00-\u9fff]/);
          assertChineseTypography(mail.subject ?? '', `${name} subject`);
          assertChineseTypography(mail.text, `${name} text`);
        }
        // Addressed to another address, the mail still greets a person by name.
        if (['share', 'activity', 'welcome', 'password_changed'].includes(name)) assert.match(mail.text, language === 'zh-CN' ? /^王小明，您好：/ : /^Hi Alice Andersen,/);
        // A change to an account names the time with its zone, and where it came from.
        if (name === 'password_changed' || name === 'email_change_notice') {
          assert.match(mail.text, language === 'zh-CN' ? /于 \d{4}年\d{1,2}月\d{1,2}日 \d{2}:\d{2}（UTC）/ : /[Oo]n \w{3} \d{1,2}, \d{4}, \d{1,2}:\d{2}\s?[AP]M UTC/);
          assert.match(mail.text, language === 'zh-CN' ? /此次更改来自 IP 地址 203\.0\.113\.7（Windows 上的 Firefox）。/ : /The change was made from 203\.0\.113\.7 \(Firefox on Windows\)\./);
        }
        // mailparser gathers the List-* headers under 'list'.
        const list = mail.headers.get('list') as { unsubscribe?: { url?: string }; 'unsubscribe-post'?: { name?: string } } | undefined;
        if (name === 'activity') {
          assert.equal(list?.['unsubscribe-post']?.name, 'List-Unsubscribe=One-Click');
          assert.equal(list?.unsubscribe?.url, data.unsubscribe_link);
        }
        if (TEMPLATE_DEFINITIONS[name].kind === 'transactional') assert.equal(list, undefined, 'transactional mails have no unsubscribe');
      });
    }
  }

  it('sends the share test mail without Reply-To when mail_share_reply_to is none, still "via" the instance', async () => {
    await ctx.settings.update({ mail_share_reply_to: 'none' });
    try {
      const to = 'share.no-reply-to@example.org';
      assert.equal((await ctx.mailTest.sendTemplateTest('share', { to, language: 'en' })).ok, true);
      const mail = await simpleParser((await waitForMail(postfix.maildir, (m) => m.deliveredTo === to)).raw);
      assert.equal(mail.from?.value[0]?.name, 'Bob Berg via 示例云盘 Example');
      assert.equal(mail.replyTo, undefined);
    } finally {
      await ctx.settings.update({ mail_share_reply_to: 'sharer' });
    }
  });

  it('escapes a script in a value in the HTML part and keeps the CSS inline for mail programs', async () => {
    await ctx.templates.set('share', 'en', { subject: '{{ sharer }} shared {{ file_name }}', html: '<p class="lead">{{ note }}</p>', text: '' }, 'test');
    const to = 'escape@example.org';
    const report = await ctx.mailTest.sendTemplateTest('share', { to, language: 'en' });
    assert.equal(report.ok, true);
    const mail = await simpleParser((await waitForMail(postfix.maildir, (m) => m.deliveredTo === to)).raw);
    assert.ok(!(mail.html as string).includes('<script'), 'no script tag');
    assert.ok(mail.text && mail.text.length > 0, 'a text part derived from the HTML');
    await ctx.templates.reset('share', 'en', 'test');
  });

  it("is built for Outlook for Windows: a sized logo, the button padding on its cell, the note's line breaks as <br>, and a dark logo only when set", async () => {
    const imgs = (html: string) => [...html.matchAll(/<img\b[^>]*>/g)].map((m) => m[0]);
    const deliver = async (to: string) => {
      assert.equal((await ctx.mailTest.sendTemplateTest('share', { to, language: 'en' })).ok, true);
      return simpleParser((await waitForMail(postfix.maildir, (m) => m.deliveredTo === to)).raw);
    };
    await ctx.settings.update({ mail_logo_url: 'https://cloud.example.com/logo.png', mail_logo_width: 150, mail_logo_height: 50 });
    try {
      const light = await deliver('outlook.light@example.org');
      const html = light.html as string;
      const [logo, ...others] = imgs(html);
      assert.deepEqual(others, [], 'one image: the logo');
      assert.match(logo ?? '', /src="https:\/\/cloud\.example\.com\/logo\.png"/);
      assert.match(logo ?? '', / width="150"/);
      assert.match(logo ?? '', / height="50"/);
      // Blocked images show the alt text, in the mail's font and colour.
      assert.match(logo ?? '', / alt="示例云盘 Example"/);
      assert.match(logo ?? '', /style="[^"]*font-family: [^"]*color: #1f2328;/);
      assert.match(logo ?? '', /^<img class="logo" /, 'no dark logo unless one is set');
      // The button's size comes from its cell (Outlook ignores padding on links).
      const cell = /<td class="button-cell"[^>]*>/.exec(html)?.[0] ?? '';
      assert.match(cell, /style="padding: 12px 24px;/);
      const button = /<a [^>]*class="button"[^>]*>/.exec(html)?.[0] ?? '';
      assert.match(button, /display: inline-block;/);
      assert.doesNotMatch(button, /padding/);
      // The note's two lines: a <br> in the html part, a line break in the text part.
      assert.match(html, /Friday&#39;s meeting\.<br \/>\s*Thanks!<\/span>/);
      assert.match(light.text ?? '', /Friday's meeting\.\nThanks!/);

      await ctx.settings.update({ mail_logo_dark_url: 'https://cloud.example.com/logo-dark.png' });
      const both = await deliver('outlook.dark@example.org');
      const [first, second, ...more] = imgs(both.html as string);
      assert.deepEqual(more, []);
      assert.match(first ?? '', /class="logo logo-light" src="https:\/\/cloud\.example\.com\/logo\.png"[^>]* width="150" height="50"/);
      assert.match(second ?? '', /class="logo logo-dark" src="https:\/\/cloud\.example\.com\/logo-dark\.png"[^>]* width="150" height="50"/);
      // Hidden where no dark-mode rule shows it, and from Outlook for Windows altogether.
      assert.match(second ?? '', /style="[^"]*display: none;/);
      assert.ok((both.html as string).includes(`<!--[if !mso]><!-->${second}<!--<![endif]-->`));
    } finally {
      await ctx.settings.update({ mail_logo_url: '', mail_logo_dark_url: '', mail_logo_width: 160, mail_logo_height: 40 });
    }
  });

  it('signs with DKIM when configured, and the delivered mail verifies', async () => {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    await ctx.settings.update({ mail_dkim_domain: 'cloud.example.com', mail_dkim_selector: 's2026', mail_dkim_private_key: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString() });
    const to = 'dkim@example.org';
    assert.equal((await ctx.mailTest.sendTemplateTest('share', { to, language: 'zh-CN' })).ok, true);
    const delivered = await waitForMail(postfix.maildir, (m) => m.deliveredTo === to);
    const record = `v=DKIM1; k=rsa; p=${publicKey.export({ type: 'spki', format: 'der' }).toString('base64')}`;
    const result = await dkimVerify(Buffer.from(delivered.raw), { resolver: async (host: string) => (host === 's2026._domainkey.cloud.example.com' ? [[record]] : []) });
    assert.equal(result.results[0]?.status.result, 'pass', JSON.stringify(result.results[0]?.status));
    await ctx.settings.update({ mail_dkim_domain: '', mail_dkim_selector: '', mail_dkim_private_key: '' });
  });
});
