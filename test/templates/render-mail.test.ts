import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { simpleParser } from 'mailparser';
import { defaultSettings } from '../../src/config/settings-schema.ts';
import { layoutHtml } from '../../src/templates/defaults/layout.ts';
import { createLiquidEngine } from '../../src/templates/liquid-engine.ts';
import { createMailRenderer, localizeDates, mailLanguage } from '../../src/templates/render-mail.ts';
import { sampleData } from '../../src/templates/sample-data.ts';
import { shippedParts } from '../../src/templates/shipped-templates.ts';
import { TEMPLATE_DEFINITIONS, TEMPLATE_NAMES, type TemplateName } from '../../src/templates/template-catalog.ts';

const renderer = createMailRenderer({ engine: createLiquidEngine({ layout: layoutHtml }), partsOf: async (name, lang) => shippedParts(name, lang), clock: { now: () => new Date('2026-11-26T10:00:00Z') } });
const settings = { ...defaultSettings(), mail_domain: 'cloud.example.com', instance_name: 'Example Cloud' };
const activityData = (time: Date) => ({
  activities: [{ summary: 'Bob changed the file »report.pdf«', subject: 'Bob changed a file', file_name: 'report.pdf', link: 'https://cloud.example.com/f/1', time }],
  settings_link: 'https://cloud.example.com/settings',
  unsubscribe_link: 'https://cloud.example.com/unsubscribe/abc',
});
/** The sample data of a template without the common variables, which the renderer adds. */
const ownSample = (name: TemplateName) => {
  const { user: _user, instance_name: _instance, base_url: _base, ...own } = sampleData(name, 'en');
  return own;
};

describe('rendering a mail', () => {
  it("writes the recipient's language, else the instance's, else English", () => {
    assert.equal(mailLanguage('zh-CN', 'en'), 'zh-CN');
    assert.equal(mailLanguage('sv', 'zh-CN'), 'zh-CN');
    assert.equal(mailLanguage(null, 'xx'), 'en');
    // The fallback chain: a region falls back to its language, a script to the variant written in it.
    assert.equal(mailLanguage('de-AT', 'en'), 'de');
    assert.equal(mailLanguage('de_CH', 'en'), 'de');
    assert.equal(mailLanguage('pt', 'en'), 'pt-BR');
    assert.equal(mailLanguage('pt-PT', 'en'), 'pt-BR');
    assert.equal(mailLanguage('zh-Hant', 'en'), 'zh-TW');
    assert.equal(mailLanguage('zh-HK', 'en'), 'zh-TW');
    assert.equal(mailLanguage('zh', 'en'), 'zh-CN');
    assert.equal(mailLanguage('EN-gb', 'de'), 'en');
    assert.equal(mailLanguage('sv-SE', 'de-AT'), 'de');
  });

  it('writes dates in the recipient time zone and language', () => {
    const at = new Date('2026-11-26T10:30:00Z');
    assert.equal(localizeDates(at, 'zh-CN', 'Asia/Shanghai'), '2026年11月26日 18:30');
    assert.deepEqual(localizeDates({ a: [at] }, 'en', 'America/New_York'), { a: [new Intl.DateTimeFormat('en', { dateStyle: 'medium', timeStyle: 'short', timeZone: 'America/New_York' }).format(at)] });
  });

  it('shows a digest time in Shanghai time to a Chinese user, and a bad zone falls back to UTC', async () => {
    const time = new Date('2026-11-26T23:30:00Z');
    const zh = await renderer.render({ template: 'activity', to: { address: 'wang@example.com', language: 'zh-CN', timeZone: 'Asia/Shanghai' }, data: activityData(time), unsubscribeUrl: 'https://cloud.example.com/unsubscribe/abc' }, settings);
    const parsed = await simpleParser(zh.raw);
    assert.equal(zh.language, 'zh-CN');
    assert.match(parsed.text ?? '', /2026年11月27日 07:30/);
    const utc = await renderer.render({ template: 'activity', to: { address: 'x@example.com', language: 'en', timeZone: 'Mars/Olympus' }, data: activityData(time) }, settings);
    assert.match((await simpleParser(utc.raw)).text ?? '', /Nov 26, 2026, 11:30\s?PM/);
  });

  it('still renders a template an admin saved before: the Chinese digest and password mail of the previous version', async () => {
    // The shipped zh-CN texts as they were, with hand-written spaces and no new variables.
    const digest = {
      subject: '【{{ instance_name }}】您的文件有新动态',
      html: '<p>以下是您的文件最近的动态：</p>{%- for a in activities %}<p class="activity-subject">{{ a.subject }}</p><p class="activity-meta"><a href="{{ a.link }}">{{ a.file_name }}</a> · {{ a.time }}</p>{%- endfor %}',
      text: '{% for a in activities %}* {{ a.subject }}\n  {{ a.file_name }} · {{ a.time }}\n  {{ a.link }}\n{% endfor %}',
    };
    const m = await renderer.render(
      {
        template: 'activity',
        to: { address: 'wang@example.com', language: 'zh-CN', timeZone: 'Asia/Shanghai' },
        data: { ...activityData(new Date('2026-11-26T23:30:00Z')), activities: [{ summary: 'Bob 修改了文件“report.pdf”', subject: 'Bob 修改了文件', file_name: 'report.pdf', link: 'https://cloud.example.com/f/1', time: new Date('2026-11-26T23:30:00Z') }] },
        parts: digest,
      },
      settings,
    );
    const text = (await simpleParser(m.raw)).text ?? '';
    assert.match(text, /^\* Bob 修改了文件\n {2}report\.pdf · 2026年11月27日 07:30\n {2}https:\/\/cloud\.example\.com\/f\/1$/m, text);
    const password = { subject: '【{{ instance_name }}】您的密码已修改', html: '<p>您的账户（<strong>{{ user.uid }}</strong>）密码已于{{ changed_at }}修改。</p>', text: '您的账户（{{ user.uid }}）密码已于{{ changed_at }}修改。' };
    // A mail owed before the update carries no client address: the template does not need one.
    const changed = await renderer.render({ template: 'password_changed', to: { address: 'wang@example.com', uid: 'xiaoming', language: 'zh-CN', timeZone: 'Asia/Shanghai' }, data: { changed_at: new Date('2026-11-26T23:30:00Z'), reset_link: 'https://cloud.example.com/forgot' }, parts: password }, settings);
    assert.match((await simpleParser(changed.raw)).text ?? '', /密码已于 2026年11月27日 07:30（GMT\+8）修改。/);
    const shipped = await renderer.render({ template: 'password_changed', to: { address: 'wang@example.com', uid: 'xiaoming', language: 'zh-CN', timeZone: 'Asia/Shanghai' }, data: { changed_at: new Date('2026-11-26T23:30:00Z'), reset_link: 'https://cloud.example.com/forgot' } }, settings);
    assert.doesNotMatch((await simpleParser(shipped.raw)).text ?? '', /此次更改来自/, 'the shipped template leaves the origin out when it is not known');
  });

  it('sends text only when mail_send_plaintext_only is on', async () => {
    const m = await renderer.render({ template: 'test', to: { address: 'a@example.com' }, data: {} }, { ...settings, mail_send_plaintext_only: true });
    const parsed = await simpleParser(m.raw);
    assert.equal(parsed.html, false);
    assert.match(parsed.text ?? '', /the settings seem to be correct/);
  });

  it('adds List-Unsubscribe to notifications only, never to the transactional mails such as a link share', async () => {
    for (const name of TEMPLATE_NAMES) {
      const m = await renderer.render({ template: name, to: { address: 'a@example.com' }, data: ownSample(name), unsubscribeUrl: 'https://cloud.example.com/unsubscribe/abc' }, settings);
      const list = (await simpleParser(m.raw)).headers.get('list') as { unsubscribe?: { url?: string } } | undefined;
      if (TEMPLATE_DEFINITIONS[name].kind === 'notification') assert.equal(list?.unsubscribe?.url, 'https://cloud.example.com/unsubscribe/abc', name);
      else assert.equal(list, undefined, name);
    }
  });

  it('greets the outside recipient of a link share without a name and without the address', async () => {
    const m = await renderer.render({ template: 'link_share', to: { address: 'dana@example.org', language: 'en' }, data: ownSample('link_share') }, settings);
    const text = (await simpleParser(m.raw)).text ?? '';
    assert.match(text, /^Hello,\n/);
    assert.ok(!text.includes('dana@example.org'), text);
  });

  it('writes the time of a password or address change in the recipient time zone, naming the zone', async () => {
    const changedAt = new Date('2026-11-26T23:30:00Z');
    for (const name of ['password_changed', 'email_change_notice'] as const) {
      const m = await renderer.render({ template: name, to: { address: 'wang@example.com', uid: 'xiaoming', language: 'zh-CN', timeZone: 'Asia/Shanghai' }, data: { ...ownSample(name), changed_at: changedAt } }, settings);
      const parsed = await simpleParser(m.raw);
      // The date starts with a digit after 于: one space, by the spacing rule.
      assert.match(parsed.text ?? '', /于 2026年11月27日 07:30（GMT\+8）/, name);
      assert.match(parsed.html as string, /于 2026年11月27日 07:30（GMT\+8）/, name);
      const en = await renderer.render({ template: name, to: { address: 'ann@example.com', uid: 'ann', language: 'en', timeZone: 'America/New_York' }, data: { ...ownSample(name), changed_at: changedAt } }, settings);
      assert.match((await simpleParser(en.raw)).text ?? '', /Nov 26, 2026, 6:30\s?PM EST/, name);
    }
  });

  it('inlines the layout CSS into the button for mail programs that drop <style>', async () => {
    const m = await renderer.render({ template: 'lost_password', to: { address: 'a@example.com' }, data: { link: 'https://cloud.example.com/reset/t0ken', expires_in_minutes: 60 } }, { ...settings, mail_accent_color: '#123456' });
    const html = (await simpleParser(m.raw)).html as string;
    assert.match(html, /<a[^>]+class="button"[^>]+style="[^"]*#123456/i);
    assert.match(html, /https:\/\/cloud\.example\.com\/reset\/t0ken<\/a>|>https:\/\/cloud\.example\.com\/reset\/t0ken</);
  });
});
