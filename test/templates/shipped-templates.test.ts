/**
 * The shipped templates (src/templates/defaults/), the layout and the sample data: complete in both
 * languages, buttons with a written-out link, nothing active or external in the HTML, only the
 * variables of each template, sample data shaped like the variable spec, and the right script.
 * The engine validates properly; the scans here are deliberately simple. A plain LiquidJS
 * render with strict variables also checks that every template parses and renders its sample.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Liquid } from 'liquidjs';
import { layoutHtml } from '../../src/templates/defaults/layout.ts';
import { SHIPPED_TEMPLATES } from '../../src/templates/shipped-templates.ts';
import { PLURAL_FORM_FILTER, pluralForm } from '../../src/domain/message-format.ts';
import { sampleData } from '../../src/templates/sample-data.ts';
import { COMMON_VARIABLES, TEMPLATE_LANGUAGES, TEMPLATE_NAMES, variablesOf, type TemplateLanguage, type TemplateName, type TemplateParts, type VariableSpec } from '../../src/templates/template-catalog.ts';

const shipped: Readonly<Record<TemplateLanguage, Readonly<Record<TemplateName, TemplateParts>>>> = SHIPPED_TEMPLATES;
const PARTS = ['subject', 'html', 'text'] as const;
const LAYOUT_VARIABLES: VariableSpec = {
  instance_name: 'string',
  logo_url: 'string',
  logo_dark_url: 'string',
  logo_width: 'number',
  logo_height: 'number',
  accent_color: 'string',
  footer: 'string',
  base_url: 'string',
  lang: 'string',
  dir: 'string',
  start_side: 'string',
  title: 'string',
  content: 'string',
};

const CJK = /[\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef]/;

/**
 * The link a template gives its one button to: its own `link`, else `undo_link` (the address-change
 * notice, whose `reset_link` is the second step), else `reset_link`.
 */
const BUTTON_LINKS = ['link', 'undo_link', 'reset_link'] as const;

function buttonLinksOf(name: TemplateName): string[] {
  const spec = variablesOf(name);
  return BUTTON_LINKS.filter((key) => spec[key] === 'string').slice(0, 1);
}

/** The templates that do not name every variable of their own in both bodies, and which ones they leave out. */
const CONDITIONAL_VARIABLES: Partial<Record<TemplateName, readonly string[]>> = { activity: ['activities', 'more'] };

function each(fn: (language: TemplateLanguage, name: TemplateName, parts: TemplateParts) => void): void {
  for (const language of TEMPLATE_LANGUAGES) for (const name of TEMPLATE_NAMES) fn(language, name, shipped[language][name]);
}

type SpecEntry = VariableSpec[string];

function isList(entry: SpecEntry): entry is readonly [VariableSpec] {
  return Array.isArray(entry);
}

/**
 * Every variable path a template names (`{{ a.b | f }}`, `{% if x %}`, `{% for a in list %}`)
 * that its spec does not have, loop variables resolved to the list's items.
 */
function unknownVariables(source: string, spec: VariableSpec): string[] {
  const scope = new Map<string, SpecEntry>(Object.entries(spec));
  for (const m of source.matchAll(/\{%-?\s*for\s+(\w+)\s+in\s+([\w.]+)/g)) {
    const list = spec[m[2] ?? ''];
    if (list !== undefined && isList(list)) scope.set(m[1] ?? '', list[0]);
  }
  const paths = [...[...source.matchAll(/\{\{-?\s*([A-Za-z_][\w.]*)/g)].map((m) => m[1] ?? ''), ...[...source.matchAll(/\{%-?\s*(?:if|elsif|unless)\s+([A-Za-z_][\w.]*)/g)].map((m) => m[1] ?? ''), ...[...source.matchAll(/\{%-?\s*for\s+\w+\s+in\s+([A-Za-z_][\w.]*)/g)].map((m) => m[1] ?? '')];
  const unknown: string[] = [];
  for (const path of paths) {
    const [root = '', ...rest] = path.split('.');
    let entry: SpecEntry | undefined = scope.get(root);
    for (const key of rest) {
      if (entry === undefined || typeof entry === 'string' || isList(entry)) {
        entry = undefined;
        break;
      }
      entry = entry[key];
    }
    if (entry === undefined) unknown.push(path);
  }
  return unknown;
}

/** The shape of data as a spec-like tree of key names, to compare with a spec. */
function keysOf(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(keysOf);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value)
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([k, v]) => [k, keysOf(v)]),
    );
  }
  return typeof value;
}

function specShape(spec: VariableSpec, sample: Record<string, unknown>): unknown {
  return Object.fromEntries(
    Object.entries(spec)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([k, entry]) => {
        if (typeof entry === 'string') return [k, entry];
        if (isList(entry)) {
          const items = sample[k];
          const count = Array.isArray(items) ? items.length : 0;
          return [k, Array.from({ length: count }, () => specShape(entry[0], {}))];
        }
        const inner = sample[k];
        return [k, specShape(entry, inner !== null && typeof inner === 'object' ? (inner as Record<string, unknown>) : {})];
      }),
  );
}

const htmlEngine = new Liquid({ outputEscape: 'escape', strictVariables: true, strictFilters: true });
const textEngine = new Liquid({ strictVariables: true, strictFilters: true });
// The filter of the shipped templates' plurals ("1 minute", "5 minutes"), as the engine has it.
for (const engine of [htmlEngine, textEngine]) engine.registerFilter(PLURAL_FORM_FILTER, pluralForm);

describe('shipped templates', () => {
  it('has every template in both languages with a non-empty subject, html and text', () => {
    each((language, name, parts) => {
      for (const part of PARTS) assert.ok(parts[part].trim().length > 0, `${language}/${name}.${part} is empty`);
      assert.ok(!/[\r\n]/.test(parts.subject), `${language}/${name}.subject has a line break`);
    });
  });

  it('follows every button with its link written out', () => {
    let buttons = 0;
    each((language, name, { html }) => {
      for (const m of html.matchAll(/<a\b[^>]*\bclass="button"[^>]*>/g)) {
        buttons++;
        const href = /\bhref="([^"]+)"/.exec(m[0])?.[1];
        assert.ok(href, `${language}/${name}: a button without href`);
        const after = html.slice((m.index ?? 0) + m[0].length);
        const close = after.indexOf('</a>');
        assert.ok(close >= 0, `${language}/${name}: a button that is not closed`);
        assert.ok(after.slice(close + 4).includes(`>${href}</a>`), `${language}/${name}: the button to ${href} is not followed by the link as text`);
      }
    });
    const expected = TEMPLATE_LANGUAGES.length * TEMPLATE_NAMES.reduce((n, name) => n + buttonLinksOf(name).length, 0);
    assert.equal(buttons, expected, 'one button per template with a link, in both languages');
  });

  it('gives the main link of every template a button', () => {
    each((language, name, { html }) => {
      for (const key of buttonLinksOf(name)) {
        assert.match(html, new RegExp(`<a href="\\{\\{ ${key} \\}\\}" class="button">`), `${language}/${name} has no button to ${key}`);
      }
    });
  });

  it('has nothing active, external or SVG in the html parts and the layout', () => {
    const sources: Array<[string, string]> = [['layout', layoutHtml]];
    each((language, name, { html }) => sources.push([`${language}/${name}`, html]));
    for (const [where, html] of sources) {
      assert.ok(!/<script/i.test(html), `${where} has a <script>`);
      assert.ok(!/<svg|\.svg\b/i.test(html), `${where} has an SVG`);
      assert.ok(!/\bon[a-z]+\s*=/i.test(html), `${where} has an event handler attribute`);
      assert.ok(!/javascript:/i.test(html), `${where} has a javascript: URL`);
      assert.ok(!/@import|url\s*\(/i.test(html), `${where} loads a resource from CSS`);
      for (const m of html.matchAll(/\bstyle\s*=\s*"([^"]*)"/gi)) assert.ok(!/https?:|\/\//i.test(m[1] ?? ''), `${where} has a style= with a URL`);
      for (const m of html.matchAll(/\bsrc\s*=\s*"([^"]*)"/gi)) assert.match(m[1] ?? '', /^\{\{ logo(?:_dark)?_url \}\}$/, `${where}: the only src is the optional logo`);
      assert.ok(!/<link\b|<iframe|<object|<embed|<form/i.test(html), `${where} has an external or active element`);
    }
  });

  it('names only the variables of its template', () => {
    each((language, name, parts) => {
      for (const part of PARTS) {
        assert.deepEqual(unknownVariables(parts[part], variablesOf(name)), [], `${language}/${name}.${part} names unknown variables`);
      }
    });
    assert.deepEqual(unknownVariables(layoutHtml, LAYOUT_VARIABLES), []);
    // The scan does see a wrong name.
    assert.deepEqual(unknownVariables('{{ user.name }} {% for a in activities %}{{ a.nope }}{% endfor %}{{ sharer }}', variablesOf('activity')), ['user.name', 'a.nope', 'sharer']);
  });

  it('never uses raw, and escapes nothing by hand, in the templates, but to keep the line breaks of a note', () => {
    // The one use of raw: the note escaped first, then each line break made a <br> (Outlook for
    // Windows ignores white-space: pre-line).
    const LINES = /\{\{ note \| escape \| newline_to_br \| raw \}\}/g;
    each((language, name, parts) => {
      for (const part of PARTS) {
        const source = part === 'html' ? parts[part].replace(LINES, '{{ note }}') : parts[part];
        assert.ok(!/\|\s*raw\b/.test(source), `${language}/${name}.${part} uses | raw`);
        assert.ok(!/\|\s*escape\b/.test(source), `${language}/${name}.${part} uses | escape`);
      }
    });
    for (const name of ['share', 'link_share'] as const) for (const language of TEMPLATE_LANGUAGES) assert.match(shipped[language][name].html, new RegExp(LINES.source));
  });

  it('puts every link of a text part on a line of its own', () => {
    each((language, name, { text }) => {
      for (const line of text.split('\n')) {
        if (/\{\{\s*[\w.]*link\s*\}\}/.test(line)) assert.match(line.trim(), /^\{\{\s*[\w.]*link\s*\}\}$/, `${language}/${name}.text: "${line}"`);
      }
    });
  });

  it('writes zh-CN in Chinese and en without CJK characters', () => {
    each((language, name, parts) => {
      for (const part of PARTS) {
        if (language === 'zh-CN' || language === 'zh-TW') assert.match(parts[part], CJK, `${language}/${name}.${part} has no Chinese characters`);
        else if (language === 'ja') assert.match(parts[part], /[\u3040-\u30ff\u4e00-\u9fff]/, `ja/${name}.${part} has no Japanese`);
        else if (language === 'ko') assert.match(parts[part], /[\uac00-\ud7af]/, `ko/${name}.${part} has no Hangul`);
        else assert.doesNotMatch(parts[part], CJK, `${language}/${name}.${part} has CJK characters`);
      }
    });
  });

  it('keeps the test mail as the settings page words it', async () => {
    for (const language of ['en', 'zh-CN'] as const) {
      const parts = shipped[language].test;
      const expected = language === 'zh-CN' ? { subject: '邮件设置测试', text: '如果您收到了这封邮件，说明邮件设置是正确的。\n\n--\nExample Cloud\n' } : { subject: 'Email setting test', text: 'If you received this email, the settings seem to be correct.\n\n--\nExample Cloud\n' };
      assert.equal(parts.subject, expected.subject);
      assert.equal(await textEngine.parseAndRender(parts.text, { instance_name: 'Example Cloud' }), expected.text);
    }
  });

  it('renders every part with its sample data (strict variables)', async () => {
    for (const language of TEMPLATE_LANGUAGES) {
      for (const name of TEMPLATE_NAMES) {
        const parts = shipped[language][name];
        const data = sampleData(name, language);
        const subject = await textEngine.parseAndRender(parts.subject, data);
        const text = await textEngine.parseAndRender(parts.text, data);
        const html = await htmlEngine.parseAndRender(parts.html, data);
        assert.doesNotMatch(subject + text + html, /\{\{|\{%/, `${language}/${name} left Liquid unrendered`);
        for (const key of buttonLinksOf(name)) {
          assert.ok(text.includes(`\n${String(data[key])}\n`), `${language}/${name}.text has the ${key} on its own line`);
          assert.ok(html.includes(`>${String(data[key])}</a>`), `${language}/${name}.html writes the ${key} out`);
        }
        const layout = await htmlEngine.parseAndRender(layoutHtml, {
          instance_name: data.instance_name,
          logo_url: '',
          logo_dark_url: '',
          accent_color: '#0082c9',
          footer: '',
          base_url: data.base_url,
          lang: language,
          dir: 'ltr',
          start_side: 'left',
          title: subject,
          content: html,
        });
        assert.ok(layout.includes(html), `${language}/${name}: the layout inserts the body as it is`);
        assert.ok(layout.includes(`<html lang="${language}"`));
      }
    }
  });

  it('shows the note and expiration of a share and a link share only when given', async () => {
    for (const language of TEMPLATE_LANGUAGES) {
      for (const name of ['share', 'link_share'] as const) {
        const parts = shipped[language][name];
        const full = sampleData(name, language);
        const bare = { ...full, note: '', expiration: '' };
        for (const part of ['html', 'text'] as const) {
          const engine = part === 'html' ? htmlEngine : textEngine;
          const withAll = await engine.parseAndRender(parts[part], full);
          const without = await engine.parseAndRender(parts[part], bare);
          assert.ok(withAll.includes(String(full.expiration)), `${language} ${name}.${part} shows the expiration`);
          assert.ok(withAll.includes(String(full.note).slice(0, 10)), `${language} ${name}.${part} shows the note`);
          assert.ok(!without.includes(String(full.expiration)), `${language} ${name}.${part} shows an empty expiration`);
          if (part === 'html') assert.ok(!without.includes('note-cell'), `${language} ${name}.html shows an empty note`);
          else for (const text of [withAll, without]) assert.doesNotMatch(text, /\n\n\n/, `${language} ${name}.text has a double blank line`);
        }
      }
    }
  });

  it('shows every variable of its own, as given, in the text and html parts', async () => {
    for (const language of TEMPLATE_LANGUAGES) {
      for (const name of TEMPLATE_NAMES) {
        const parts = shipped[language][name];
        const data = sampleData(name, language);
        const text = await textEngine.parseAndRender(parts.text, data);
        const html = await htmlEngine.parseAndRender(parts.html, data);
        const skipped = CONDITIONAL_VARIABLES[name] ?? [];
        for (const key of Object.keys(variablesOf(name)).filter((k) => !(k in COMMON_VARIABLES) && !skipped.includes(k))) {
          const value = String(data[key]);
          assert.ok(text.includes(value), `${language}/${name}.text does not show ${key}`);
          // A note's line breaks are <br>s in the html part.
          const shown = await htmlEngine.parseAndRender(key === 'note' ? '{{ v | escape | newline_to_br | raw }}' : '{{ v }}', { v: value });
          assert.ok(html.includes(shown), `${language}/${name}.html does not show ${key}`);
        }
      }
    }
  });

  it('names the account in the account mails, and the address of the instance in the welcome', async () => {
    for (const language of TEMPLATE_LANGUAGES) {
      for (const name of ['lost_password', 'welcome', 'password_changed', 'email_change_verify', 'email_change_notice'] as const) {
        const data = sampleData(name, language);
        const uid = (data.user as { uid: string }).uid;
        for (const part of ['html', 'text'] as const) {
          const rendered = await (part === 'html' ? htmlEngine : textEngine).parseAndRender(shipped[language][name][part], data);
          assert.ok(rendered.includes(uid), `${language}/${name}.${part} does not name the account ${uid}`);
          if (name === 'welcome') assert.ok(rendered.includes(String(data.base_url)), `${language}/welcome.${part} does not show the address`);
        }
      }
    }
  });

  it('greets the outside recipient of a link share without a name', () => {
    for (const language of TEMPLATE_LANGUAGES) {
      for (const part of PARTS) {
        assert.doesNotMatch(shipped[language].link_share[part], /\buser\./, `${language}/link_share.${part} names the recipient as a user`);
      }
    }
  });

  it('escapes user data in the html parts', async () => {
    for (const name of ['share', 'link_share'] as const) {
      const data = { ...sampleData(name, 'en'), sharer: '<b>Mallory</b>', file_name: '"><script>x</script>', note: '<img src=x>' };
      for (const html of [await htmlEngine.parseAndRender(shipped.en[name].html, data), await htmlEngine.parseAndRender(shipped['zh-CN'][name].html, data)]) {
        assert.ok(!html.includes('<script>') && !html.includes('<b>Mallory') && !html.includes('<img'), name);
      }
    }
    const notice = { ...sampleData('email_change_notice', 'en'), new_email: '"<script>x</script>"@example.net' };
    assert.ok(!(await htmlEngine.parseAndRender(shipped.en.email_change_notice.html, notice)).includes('<script>'));
  });
});

describe('layout', () => {
  it('inserts the body with {{ content | raw }} and uses raw nowhere else', () => {
    assert.equal(layoutHtml.split('{{ content | raw }}').length - 1, 1);
    assert.equal(layoutHtml.match(/\|\s*raw\b/g)?.length, 1);
  });

  it('is table-based, 600px, dark-mode aware, with a .button class and Chinese fonts', () => {
    assert.match(layoutHtml, /<table role="presentation"/);
    assert.match(layoutHtml, /max-width: 600px/);
    assert.match(layoutHtml, /<meta name="color-scheme" content="light dark">/);
    assert.match(layoutHtml, /<meta name="supported-color-schemes" content="light dark">/);
    assert.match(layoutHtml, /prefers-color-scheme: dark/);
    assert.match(layoutHtml, /<style>[\s\S]*\.button \{/);
    assert.match(layoutHtml, /"PingFang SC"/);
    assert.match(layoutHtml, /"Microsoft YaHei"/);
    assert.match(layoutHtml, /<html lang="\{\{ lang \}\}"/);
    assert.match(layoutHtml, /<title>\{\{ title \}\}<\/title>/);
  });

  it('shows the instance name without a logo and the default footer without one', async () => {
    const base = { instance_name: 'Example <Cloud>', accent_color: '#336699', base_url: 'https://cloud.example.com', lang: 'en', dir: 'ltr', start_side: 'left', title: 'Hi', content: '<p>body</p>' };
    const plain = await htmlEngine.parseAndRender(layoutHtml, { ...base, logo_url: '', logo_dark_url: '', footer: '' });
    assert.ok(!plain.includes('<img'));
    assert.ok(plain.includes('>Example &lt;Cloud&gt;</a>'));
    assert.ok(plain.includes('>https://cloud.example.com</a>'));
    assert.ok(plain.includes('<p>body</p>'));
    assert.ok(plain.includes('#336699'));
    const logo = { logo_url: 'https://cloud.example.com/logo.png', logo_width: 150, logo_height: 50 };
    const branded = await htmlEngine.parseAndRender(layoutHtml, { ...base, ...logo, logo_dark_url: '', footer: 'Example GmbH' });
    assert.ok(branded.includes('<img class="logo" src="https://cloud.example.com/logo.png" alt="Example &lt;Cloud&gt;" width="150" height="50">'));
    assert.ok(branded.includes('Example GmbH'));
    assert.ok(!branded.includes('logo-dark"'), 'no dark logo unless one is set');
    // With a dark logo: both images, the same size, the dark one hidden from Outlook for Windows
    // and shown only by the dark-mode rules.
    const dark = await htmlEngine.parseAndRender(layoutHtml, { ...base, ...logo, logo_dark_url: 'https://cloud.example.com/logo-dark.png', footer: '' });
    assert.ok(dark.includes('<img class="logo logo-light" src="https://cloud.example.com/logo.png" alt="Example &lt;Cloud&gt;" width="150" height="50">'));
    assert.ok(dark.includes('<!--[if !mso]><!--><img class="logo logo-dark" src="https://cloud.example.com/logo-dark.png" alt="Example &lt;Cloud&gt;" width="150" height="50"><!--<![endif]-->'));
    assert.match(dark, /@media \(prefers-color-scheme: dark\) \{[^}]*\}[\s\S]*\.logo-light \{ display: none !important; \}\s*\.logo-dark \{ display: block !important; \}/);
    assert.match(dark, /\.logo-dark \{ display: none; \}/);
  });
});

describe('sample data', () => {
  it('has exactly the variables of each template', () => {
    for (const language of TEMPLATE_LANGUAGES) {
      for (const name of TEMPLATE_NAMES) {
        const data = sampleData(name, language);
        const spec = variablesOf(name);
        assert.deepEqual(Object.keys(data).sort(), Object.keys(spec).sort(), `${language}/${name}`);
        assert.deepEqual(keysOf(data), specShape(spec, data), `${language}/${name}: shape and types`);
      }
    }
  });

  it('has three activities and data in the language', () => {
    for (const language of TEMPLATE_LANGUAGES) {
      const activity = sampleData('activity', language);
      assert.ok(Array.isArray(activity.activities) && activity.activities.length === 3);
      const share = sampleData('share', language);
      if (language === 'zh-CN') assert.match(JSON.stringify(share), CJK);
      else assert.doesNotMatch(JSON.stringify(share), CJK);
      for (const value of [share.link, activity.settings_link, activity.unsubscribe_link]) assert.match(String(value), /^https:\/\/cloud\.example\.com\//);
    }
  });

  it('links the new mails to their pages on the instance', () => {
    for (const language of TEMPLATE_LANGUAGES) {
      assert.match(String(sampleData('link_share', language).link), /^https:\/\/cloud\.example\.com\/s\/\w+$/);
      assert.match(String(sampleData('welcome', language).link), /^https:\/\/cloud\.example\.com\/set-password\/\w+$/);
      assert.match(String(sampleData('email_change_verify', language).link), /^https:\/\/cloud\.example\.com\/confirm-email\/\w+$/);
      for (const name of ['password_changed', 'email_change_notice'] as const) assert.equal(sampleData(name, language).reset_link, 'https://cloud.example.com/forgot');
    }
  });

  it('sends a link share to an outside address, and an email change notice from the old to a new address', () => {
    for (const language of TEMPLATE_LANGUAGES) {
      const share = sampleData('link_share', language);
      const recipient = share.user as { display_name: string; uid: string; email: string };
      assert.equal(recipient.uid, '');
      assert.equal(recipient.display_name, recipient.email);
      if (language === 'zh-CN') assert.match(JSON.stringify(share), CJK);
      const notice = sampleData('email_change_notice', language);
      assert.equal(notice.old_email, (notice.user as { email: string }).email);
      assert.notEqual(notice.new_email, notice.old_email);
      assert.equal(sampleData('email_change_verify', language).new_email, notice.new_email);
    }
  });
});
