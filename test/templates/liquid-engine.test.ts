import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MailroomError, type ErrorCode } from '../../src/errors.ts';
import { templates as enDefaults } from '../../src/templates/defaults/en.ts';
import { layoutHtml } from '../../src/templates/defaults/layout.ts';
import { templates as zhCnDefaults } from '../../src/templates/defaults/zh-CN.ts';
import { createLiquidEngine, DEFAULT_ENGINE_LIMITS } from '../../src/templates/liquid-engine.ts';
import { sampleData } from '../../src/templates/sample-data.ts';
import { TEMPLATE_NAMES, variablesOf, type TemplateName, type TemplatePart, type TemplateParts } from '../../src/templates/template-catalog.ts';

const engine = createLiquidEngine();

const common = {
  user: { display_name: 'Alice', uid: 'alice', email: 'alice@example.com' },
  instance_name: 'Example Cloud',
  base_url: 'https://cloud.example.com',
};

/** Hand-made data with exactly the variables of each template. */
const data: Record<TemplateName, Record<string, unknown>> = {
  share: { ...common, sharer: 'Bob', file_name: 'Report.pdf', link: 'https://cloud.example.com/s/abc', expiration: '2026-12-03', note: '' },
  lost_password: { ...common, link: 'https://cloud.example.com/reset/xyz', expires_in_minutes: 30 },
  activity: {
    ...common,
    activities: [
      { subject: 'Bob changed a file', file_name: 'a.txt', link: 'https://cloud.example.com/f/1', time: '09:14' },
      { subject: 'Carol shared a folder', file_name: 'Project', link: 'https://cloud.example.com/f/2', time: '10:02' },
    ],
    settings_link: 'https://cloud.example.com/settings',
    unsubscribe_link: 'https://cloud.example.com/unsubscribe/t',
  },
  test: { ...common },
  link_share: { ...common, sharer: 'Bob', file_name: 'Offer.pdf', link: 'https://cloud.example.com/s/def', expiration: '', note: 'See page 2' },
  welcome: { ...common, link: 'https://cloud.example.com/set-password/tok', expires_in_days: 7 },
  password_changed: { ...common, changed_at: '2026-11-26 14:37', reset_link: 'https://cloud.example.com/forgot' },
  email_change_verify: { ...common, link: 'https://cloud.example.com/confirm-email/tok', new_email: 'alice@example.net', expires_in_hours: 48 },
  email_change_notice: {
    ...common,
    old_email: 'alice@example.com',
    new_email: 'alice@example.net',
    changed_at: '2026-11-27 08:05',
    undo_link: 'https://cloud.example.com/undo-email/Rt6Yb3Nf8Kd',
    reset_link: 'https://cloud.example.com/forgot',
  },
};

/** Hand-made templates that use every kind of variable of each template, and what they render. */
const handMade: Record<TemplateName, { parts: TemplateParts; expect: Record<TemplatePart, string> }> = {
  share: {
    parts: {
      subject: '{{ sharer }} shared {{ file_name }}',
      html: '<p>{{ user.display_name }}: <a href="{{ link }}">{{ file_name }}</a>{% if note != blank %} {{ note }}{% endif %}{% unless expiration == blank %} until {{ expiration }}{% endunless %}</p>',
      text: '{{ sharer | upcase }} {{ link }}',
    },
    expect: {
      subject: 'Bob shared Report.pdf',
      html: '<p>Alice: <a href="https://cloud.example.com/s/abc">Report.pdf</a> until 2026-12-03</p>',
      text: 'BOB https://cloud.example.com/s/abc',
    },
  },
  lost_password: {
    parts: {
      subject: 'Reset your {{ instance_name }} password',
      html: '<a href="{{ link }}">{{ user.uid }}</a> {{ expires_in_minutes | plus: 0 }} min',
      text: '{{ link }} ({{ expires_in_minutes }} minutes, {{ user.email }})',
    },
    expect: {
      subject: 'Reset your Example Cloud password',
      html: '<a href="https://cloud.example.com/reset/xyz">alice</a> 30 min',
      text: 'https://cloud.example.com/reset/xyz (30 minutes, alice@example.com)',
    },
  },
  activity: {
    parts: {
      subject: '{{ activities.size }} changes on {{ instance_name }}',
      html: '<ul>{% for a in activities %}<li>{{ forloop.index }}. <a href="{{ a.link }}">{{ a.file_name }}</a> {{ a.subject }} {{ a.time }}</li>{% endfor %}</ul><a href="{{ settings_link }}">s</a><a href="{{ unsubscribe_link }}">u</a>',
      text: '{% assign first = activities.first %}{{ first.subject }}; last: {{ activities.last.file_name }}; {{ activities | map: "time" | join: ", " }}',
    },
    expect: {
      subject: '2 changes on Example Cloud',
      html: '<ul><li>1. <a href="https://cloud.example.com/f/1">a.txt</a> Bob changed a file 09:14</li><li>2. <a href="https://cloud.example.com/f/2">Project</a> Carol shared a folder 10:02</li></ul><a href="https://cloud.example.com/settings">s</a><a href="https://cloud.example.com/unsubscribe/t">u</a>',
      text: 'Bob changed a file; last: Project; 09:14, 10:02',
    },
  },
  test: {
    parts: {
      subject: 'Test from {{ instance_name }}',
      html: '<p>It works, {{ user.display_name }}.</p>{% capture where %}{{ base_url }}{% endcapture %}<p>{{ where }}</p>',
      text: 'It works. -- {{ instance_name }} {{ base_url }}',
    },
    expect: {
      subject: 'Test from Example Cloud',
      html: '<p>It works, Alice.</p><p>https://cloud.example.com</p>',
      text: 'It works. -- Example Cloud https://cloud.example.com',
    },
  },
  link_share: {
    parts: {
      subject: '{{ sharer }} sent you {{ file_name }}',
      html: '<p>Hello {{ user.email }}: <a href="{{ link }}">{{ file_name }}</a>{% if note != blank %} {{ note }}{% endif %}{% if expiration != blank %} until {{ expiration }}{% endif %}</p>',
      text: '{{ link }}{% if expiration == blank %} (no expiry){% endif %}',
    },
    expect: {
      subject: 'Bob sent you Offer.pdf',
      html: '<p>Hello alice@example.com: <a href="https://cloud.example.com/s/def">Offer.pdf</a> See page 2</p>',
      text: 'https://cloud.example.com/s/def (no expiry)',
    },
  },
  welcome: {
    parts: {
      subject: 'Welcome to {{ instance_name }}, {{ user.display_name }}',
      html: '<a href="{{ link }}">{{ user.uid }}</a> {{ expires_in_days | times: 24 }} h',
      text: '{{ link }} ({{ expires_in_days }} {% if expires_in_days == 1 %}day{% else %}days{% endif %})',
    },
    expect: {
      subject: 'Welcome to Example Cloud, Alice',
      html: '<a href="https://cloud.example.com/set-password/tok">alice</a> 168 h',
      text: 'https://cloud.example.com/set-password/tok (7 days)',
    },
  },
  password_changed: {
    parts: {
      subject: 'Password of {{ user.uid }} changed',
      html: '<p>{{ changed_at }}</p><a href="{{ reset_link }}">reset</a>',
      text: '{{ changed_at | split: " " | first }} {{ reset_link }}',
    },
    expect: {
      subject: 'Password of alice changed',
      html: '<p>2026-11-26 14:37</p><a href="https://cloud.example.com/forgot">reset</a>',
      text: '2026-11-26 https://cloud.example.com/forgot',
    },
  },
  email_change_verify: {
    parts: {
      subject: 'Confirm {{ new_email }}',
      html: '<a href="{{ link }}">{{ new_email | upcase }}</a> {{ expires_in_hours | divided_by: 24 }} days',
      text: '{{ link }}{% if new_email != user.email %} new{% endif %}',
    },
    expect: {
      subject: 'Confirm alice@example.net',
      html: '<a href="https://cloud.example.com/confirm-email/tok">ALICE@EXAMPLE.NET</a> 2 days',
      text: 'https://cloud.example.com/confirm-email/tok new',
    },
  },
  email_change_notice: {
    parts: {
      subject: '{{ old_email }} is now {{ new_email }}',
      html: '<p>{{ old_email }} to {{ new_email }} at {{ changed_at }}</p><a href="{{ reset_link }}">r</a>',
      text: '{{ new_email | split: "@" | last }} {{ reset_link }}',
    },
    expect: {
      subject: 'alice@example.com is now alice@example.net',
      html: '<p>alice@example.com to alice@example.net at 2026-11-27 08:05</p><a href="https://cloud.example.com/forgot">r</a>',
      text: 'example.net https://cloud.example.com/forgot',
    },
  },
};

const PARTS: readonly TemplatePart[] = ['subject', 'html', 'text'];

/** assert.throws with a check of the MailroomError code; returns the error for further checks. */
function refused(action: () => unknown, code: ErrorCode): MailroomError {
  let caught: unknown;
  try {
    action();
  } catch (error) {
    caught = error;
  }
  assert.ok(caught instanceof MailroomError, `expected a MailroomError ${code}, got ${String(caught)}`);
  assert.equal(caught.code, code, caught.message);
  return caught;
}

async function rejected(action: () => Promise<unknown>, codes: readonly ErrorCode[]): Promise<MailroomError> {
  let caught: unknown;
  try {
    await action();
  } catch (error) {
    caught = error;
  }
  assert.ok(caught instanceof MailroomError, `expected a MailroomError (${codes.join('/')}), got ${String(caught)}`);
  assert.ok(codes.includes(caught.code), `expected ${codes.join('/')}, got ${caught.code}: ${caught.message}`);
  return caught;
}

function validate(source: string, part: TemplatePart = 'html', name: TemplateName = 'share'): void {
  engine.validate(source, part, variablesOf(name));
}

describe('liquid engine: valid templates', () => {
  for (const name of TEMPLATE_NAMES) {
    it(`validates and renders hand-made ${name} templates with that template's variables`, async () => {
      const { parts, expect } = handMade[name];
      for (const part of PARTS) {
        engine.validate(parts[part], part, variablesOf(name));
        assert.equal(await engine.render(parts[part], part, data[name]), expect[part], `${name} ${part}`);
      }
    });
  }

  it('validates and renders every shipped template in every language with its sample data', async () => {
    for (const [language, shipped] of [
      ['en', enDefaults],
      ['zh-CN', zhCnDefaults],
    ] as const) {
      for (const name of TEMPLATE_NAMES) {
        for (const part of PARTS) {
          const source = shipped[name][part];
          engine.validate(source, part, variablesOf(name));
          const output = await engine.render(source, part, sampleData(name, language));
          assert.ok(output.trim() !== '', `${language} ${name} ${part} renders something`);
          assert.doesNotMatch(output, /\{\{|\{%/, `${language} ${name} ${part} leaves no Liquid behind`);
        }
      }
    }
  });

  it('checks a loop variable against the item of its list and accepts forloop fields', () => {
    validate('{% for a in activities reversed limit: 2 %}{{ a.subject }}{{ a.link }}{{ forloop.index }}{% if forloop.last %}.{% endif %}{% endfor %}', 'html', 'activity');
    const error = refused(() => validate('{% for a in activities %}\n  {{ a.sbject }}\n{% endfor %}', 'html', 'activity'), 'template_unknown_variable');
    assert.equal(error.details?.['variable'], 'a.sbject');
    assert.deepEqual(error.details?.['allowed'], ['a.summary', 'a.subject', 'a.file_name', 'a.link', 'a.time']);
    assert.equal(error.details?.['line'], 2);
    assert.match(error.message, /^line 2, column 6: /);
  });

  it('accepts variables the template defines itself with assign, capture and increment', () => {
    validate('{% assign who = user.display_name | upcase %}{% capture greeting %}Hi {{ who }}{% endcapture %}{{ greeting }} {% increment n %}{{ n }}');
  });

  it("treats {% layout 'layout' %} as naming the one layout and renders nothing for it", async () => {
    validate("{% layout 'layout' %}<p>{{ sharer }}</p>");
    assert.equal(await engine.render("{% layout 'layout' %}<p>{{ sharer }}</p>", 'html', data.share), '<p>Bob</p>');
  });
});

describe('liquid engine: broken and hostile templates are refused at save time', () => {
  it('refuses an unclosed {% if %} with the line, column and the tag', () => {
    const error = refused(() => validate('<p>Hi</p>\n<p>\n  {% if note != blank %}{{ note }}\n</p>'), 'template_syntax');
    assert.deepEqual([error.details?.['line'], error.details?.['column'], error.details?.['excerpt']], [3, 3, '{% if note != blank %}']);
    assert.match(error.message, /^line 3, column 3: tag \{% if note != blank %\} not closed/);
  });

  it('refuses an unclosed {{ with its position', () => {
    const error = refused(() => validate('Hello\n  {{ user.display_name'), 'template_syntax');
    assert.deepEqual([error.details?.['line'], error.details?.['column']], [2, 3]);
    assert.match(error.message, /not closed/);
  });

  it('refuses an unknown tag, naming it', () => {
    const error = refused(() => validate('{% sendmail "x" %}'), 'template_syntax');
    assert.match(error.message, /^line 1, column 1: tag "sendmail" not found/);
  });

  it('refuses an unknown filter, naming it, also where LiquidJS only looks at render (cycle)', () => {
    const error = refused(() => validate('<p>\n{{ sharer | shout }}</p>'), 'template_syntax');
    assert.match(error.message, /^line 2, column 1: undefined filter: shout/);
    assert.equal(error.details?.['excerpt'], '{{ sharer | shout }}');
    refused(() => validate('{% cycle "a" | shout, "b" %}'), 'template_syntax');
  });

  it('refuses filters that evaluate a string as an expression (where_exp and kin)', () => {
    const error = refused(() => validate('{{ activities | where_exp: "a", "a.link" | size }}', 'html', 'activity'), 'template_syntax');
    assert.match(error.message, /undefined filter: where_exp/);
  });

  it('refuses an unknown variable with the variable and the allowed paths', () => {
    const error = refused(() => validate('<p>{{ usr.display_name }}</p>'), 'template_unknown_variable');
    assert.equal(error.details?.['variable'], 'usr.display_name');
    const allowed = error.details?.['allowed'];
    assert.ok(Array.isArray(allowed));
    for (const path of ['user.display_name', 'user.uid', 'user.email', 'instance_name', 'base_url', 'sharer', 'file_name', 'link', 'expiration', 'note']) {
      assert.ok(allowed.includes(path), `allowed lists ${path}`);
    }
    assert.match(error.message, /^line 1, column 7: unknown variable "usr\.display_name"/);
    assert.match(error.message, /user\.display_name/);
  });

  it('refuses a field that the variable does not have', () => {
    const error = refused(() => validate('{{ user.password }}'), 'template_unknown_variable');
    assert.equal(error.details?.['variable'], 'user.password');
  });

  it('refuses a variable of another template ({{ link }} in test)', () => {
    const error = refused(() => validate('<a href="{{ link }}">x</a>', 'html', 'test'), 'template_unknown_variable');
    assert.equal(error.details?.['variable'], 'link');
    assert.deepEqual(error.details?.['allowed'], ['user.display_name', 'user.uid', 'user.email', 'instance_name', 'base_url']);
  });

  it('refuses {{ link }} in the mails that only have a reset_link (password_changed, email_change_notice)', () => {
    for (const name of ['password_changed', 'email_change_notice'] as const) {
      const error = refused(() => validate('<a href="{{ link }}">x</a>', 'html', name), 'template_unknown_variable');
      assert.equal(error.details?.['variable'], 'link');
      const allowed = error.details?.['allowed'];
      assert.ok(Array.isArray(allowed) && allowed.includes('reset_link') && allowed.includes('changed_at'), `${name}: ${String(allowed)}`);
    }
  });

  it('refuses a variable named by another variable, which cannot be checked', () => {
    refused(() => validate('{{ user[sharer] }}'), 'template_unknown_variable');
  });

  it("refuses {% include '/etc/passwd' %}, also inside a block and a {% liquid %} tag", () => {
    const error = refused(() => validate("{% include '/etc/passwd' %}"), 'template_forbidden');
    assert.equal(error.details?.['tag'], 'include');
    assert.match(error.message, /^line 1, column 1: \{% include %\} is not allowed/);
    refused(() => validate("{% if true %}\n{% include 'layout' %}{% endif %}"), 'template_forbidden');
    const nested = refused(() => validate("{% liquid\n  include '/etc/passwd'\n%}"), 'template_forbidden');
    assert.equal(nested.details?.['line'], 2);
  });

  it("refuses {% render 'x' %} and {% block %}", () => {
    assert.equal(refused(() => validate("{% render 'x' %}"), 'template_forbidden').details?.['tag'], 'render');
    assert.equal(refused(() => validate('{% block body %}x{% endblock %}'), 'template_forbidden').details?.['tag'], 'block');
  });

  it("refuses {% layout 'evil' %} and every other layout but 'layout'", () => {
    for (const source of ["{% layout 'evil' %}", '{% layout "../layout" %}', '{% layout none %}', "{% layout 'layout' title: 'x' %}"]) {
      const error = refused(() => validate(source), 'template_forbidden');
      assert.equal(error.details?.['tag'], 'layout', source);
    }
  });

  it('refuses a 10 MB template as too large without parsing it', () => {
    const started = performance.now();
    const error = refused(() => validate(`<p>${'x'.repeat(10 * 1024 * 1024)}</p>`), 'template_too_large');
    assert.equal(error.details?.['limit'], DEFAULT_ENGINE_LIMITS.maxTemplateBytes);
    assert.ok(performance.now() - started < 5000, 'hang guard');
  });

  it('counts the size in UTF-8 bytes (a template of 100k Chinese characters is 300 KB)', () => {
    refused(() => validate('好'.repeat(100_000)), 'template_too_large');
  });

  it('refuses prototype tricks by name', () => {
    for (const source of ['{{ constructor }}', '{{ user.constructor }}', '{{ user.__proto__ }}', '{% assign x = "" %}{{ x.constructor.constructor }}', '{{ "x".constructor }}', '{{ user["__proto__"] }}', '{% for i in (1..2) %}{{ forloop.toString }}{% endfor %}']) {
      const error = refused(() => validate(source), 'template_forbidden');
      assert.match(error.message, /is not allowed in a template/, source);
    }
  });

  it('refuses forloop fields that LiquidJS does not document (its Drop methods)', () => {
    const error = refused(() => validate('{% for a in activities %}{{ forloop.next }}{% endfor %}', 'html', 'activity'), 'template_unknown_variable');
    assert.ok(Array.isArray(error.details?.['allowed']) && error.details['allowed'].includes('forloop.index'));
  });

  it('refuses a subject with a line break as header injection, with its position', () => {
    const error = refused(() => validate('Hello {{ sharer }}\nBcc: victim@example.com', 'subject'), 'header_injection');
    assert.deepEqual([error.details?.['line'], error.details?.['column']], [1, 19]);
    refused(() => validate('Hello\r', 'subject'), 'header_injection');
    // The same text is fine in a body.
    validate('Hello {{ sharer }}\nBye', 'text');
  });

  it('refuses blocks nested absurdly deep', () => {
    const deep = `${'{% if true %}'.repeat(150)}x${'{% endif %}'.repeat(150)}`;
    assert.match(refused(() => validate(deep), 'template_syntax').message, /nested/);
    const deeper = `${'{% if true %}'.repeat(8000)}x${'{% endif %}'.repeat(8000)}`;
    refused(() => validate(deeper), 'template_syntax');
  });
});

describe('liquid engine: rendering is bounded', () => {
  it('stops {% for i in (1..100000000) %} quickly with a clear error', async () => {
    const started = performance.now();
    const error = await rejected(() => engine.render('{% for i in (1..100000000) %}x{% endfor %}', 'text', {}), ['template_render_budget', 'template_output_too_large', 'template_render_timeout']);
    assert.ok(performance.now() - started < 5000, 'hang guard');
    assert.equal(error.details?.['line'], 1);
  });

  it('stops two nested loops of 100000 turns each', async () => {
    const started = performance.now();
    await rejected(() => engine.render('{% for a in (1..100000) %}{% for b in (1..100000) %}{% endfor %}{% endfor %}', 'html', {}), ['template_render_budget', 'template_render_timeout', 'template_output_too_large']);
    assert.ok(performance.now() - started < 5000, 'hang guard');
  });

  it('stops an output larger than 1 MiB', async () => {
    const started = performance.now();
    const error = await rejected(() => engine.render(`{% for i in (1..2000) %}${'x'.repeat(600)}{% endfor %}`, 'text', {}), ['template_output_too_large', 'template_render_timeout']);
    assert.ok(performance.now() - started < 5000, 'hang guard');
    // Which limit stops it first depends on the machine's speed; either way the message says why.
    assert.match(error.message, error.code === 'template_output_too_large' ? /more than/ : /longer than/);
  });

  it('stops a capture that doubles itself', async () => {
    const source = '{% assign x = "ab" %}{% for i in (1..60) %}{% capture x %}{{ x }}{{ x }}{% endcapture %}{% endfor %}{{ x | size }}';
    await rejected(() => engine.render(source, 'text', {}), ['template_output_too_large', 'template_render_timeout']);
  });

  it('stops a string that doubles itself through filters', async () => {
    const source = '{% assign x = "ab" %}{% for i in (1..60) %}{% assign x = x | append: x %}{% endfor %}{{ x | size }}';
    await rejected(() => engine.render(source, 'text', {}), ['template_render_budget', 'template_output_too_large', 'template_render_timeout']);
  });

  it('stops a render at the configured renderLimit with template_render_timeout', async () => {
    // The work budget off (as high as it goes), so that only the time limit can stop this loop:
    // rendered synchronously, 200 000 steps take less than the 50 ms.
    const quick = createLiquidEngine({ limits: { renderLimit: 50, maxWork: Number.MAX_SAFE_INTEGER } });
    const started = performance.now();
    const error = await rejected(() => quick.render('{% for a in (1..3000) %}{% for b in (1..3000) %}{% endfor %}{% endfor %}', 'text', {}), ['template_render_timeout']);
    assert.ok(performance.now() - started < 5000, 'hang guard');
    assert.match(error.message, /50 ms/);
  });

  it('refuses limits that are not positive numbers', () => {
    refused(() => createLiquidEngine({ limits: { renderLimit: 0 } }), 'config_invalid_value');
    refused(() => createLiquidEngine({ limits: { maxOutputBytes: Number.NaN } }), 'config_invalid_value');
  });
});

describe('liquid engine: nothing leaks and outputs are escaped', () => {
  it('renders prototype tricks as an error, never as JavaScript internals', async () => {
    const tricks = ['{{ constructor }}', '{{ user.constructor }}', '{{ user.__proto__ }}', '{% assign x = "" %}{{ x.constructor.constructor }}', '{{ "x".constructor }}', '{{ user.constructor.name }}', '{% for i in (1..2) %}{{ forloop.constructor }}{% endfor %}'];
    for (const source of tricks) {
      for (const part of ['html', 'text'] as const) {
        let shown: string;
        try {
          shown = await engine.render(source, part, data.share);
          assert.equal(shown, '', source);
        } catch (error) {
          assert.ok(error instanceof MailroomError, `${source}: ${String(error)}`);
          assert.equal(error.code, 'template_render_failed', source);
          shown = error.message;
        }
        assert.doesNotMatch(shown, /function|\[object|Object\]|native code/, `${source} (${part}) leaks: ${shown}`);
      }
    }
  });

  it('reads only own properties of the data, even with a dynamic key', async () => {
    const error = await rejected(() => engine.render('{% assign k = "toString" %}{{ user[k] }}', 'text', data.share), ['template_render_failed']);
    assert.doesNotMatch(error.message, /function|\[object/);
  });

  it('never calls a function found in the data', async () => {
    let called = false;
    const hostile = {
      ...data.share,
      sharer: () => {
        called = true;
        return 'pwned';
      },
    };
    await rejected(() => engine.render('{{ sharer }}', 'text', hostile), ['template_render_failed']);
    assert.equal(called, false);
  });

  it('escapes a script in a variable in the html part, and leaves it raw in the text and subject parts', async () => {
    const hostile = { ...data.share, user: { ...common.user, display_name: '<script>alert(1)</script>' } };
    assert.equal(await engine.render('<p>{{ user.display_name }}</p>', 'html', hostile), '<p>&lt;script&gt;alert(1)&lt;/script&gt;</p>');
    assert.equal(await engine.render('{% echo user.display_name %}', 'html', hostile), '&lt;script&gt;alert(1)&lt;/script&gt;');
    assert.equal(await engine.render('{{ user.display_name }}', 'text', hostile), '<script>alert(1)</script>');
    assert.equal(await engine.render('{{ user.display_name }}', 'subject', hostile), '<script>alert(1)</script>');
  });

  it('lets an html template opt out of escaping with | raw', async () => {
    assert.equal(await engine.render('{{ "<b>bold</b>" | raw }} {{ "<i>" }}', 'html', {}), '<b>bold</b> &lt;i&gt;');
  });

  it('folds a line break that comes from the data out of a rendered subject', async () => {
    const hostile = { ...data.share, sharer: 'Bob\r\nBcc: victim@example.com' };
    const subject = await engine.render(handMade.share.parts.subject, 'subject', hostile);
    assert.doesNotMatch(subject, /[\r\n]/);
    assert.equal(subject, 'Bob Bcc: victim@example.com shared Report.pdf');
  });

  it('fails a render that reads a variable the data lacks, naming it and its position', async () => {
    const error = await rejected(() => engine.render('Hi\n{{ sharer }}', 'text', common), ['template_render_failed']);
    assert.match(error.message, /^line 2, column 4: .*undefined variable: sharer/);
    assert.equal(error.details?.['line'], 2);
    // An {% if %} may test for a missing variable.
    assert.equal(await engine.render('{% if sharer %}x{% else %}none{% endif %}', 'text', common), 'none');
  });

  it('fails a render of a template that would not validate, keeping the reason', async () => {
    const error = await rejected(() => engine.render("{% include '/etc/passwd' %}", 'html', {}), ['template_render_failed']);
    assert.equal(error.details?.['reason'], 'template_forbidden');
  });
});

describe('liquid engine: the layout', () => {
  const layout = '<html><title>{{ instance_name }}</title><body>{{ content | raw }}</body></html>';

  it("renders the body inside the layout: content unescaped, the layout's own variables escaped", async () => {
    const wrapped = createLiquidEngine({ layout });
    const hostile = { ...data.test, instance_name: 'A & <B>', user: { ...common.user, display_name: '<script>x</script> {{ 7 | plus: 1 }}' } };
    const html = await wrapped.render('<p>Hi {{ user.display_name }}</p>', 'html', hostile);
    assert.equal(html, '<html><title>A &amp; &lt;B&gt;</title><body><p>Hi &lt;script&gt;x&lt;/script&gt; {{ 7 | plus: 1 }}</p></body></html>');
    // The other parts are not wrapped.
    assert.equal(await wrapped.render('Hi {{ user.display_name }}', 'text', data.test), 'Hi Alice');
  });

  it('renders the shipped layout as a template of its own with the body as content', async () => {
    const body = await engine.render(enDefaults.share.html, 'html', { ...sampleData('share', 'en'), sharer: 'Eve <eve@evil>' });
    const html = await engine.render(layoutHtml, 'html', {
      instance_name: 'Cloud & Co',
      logo_url: '',
      accent_color: '#0082c9',
      footer: '',
      base_url: 'https://cloud.example.com',
      lang: 'en',
      dir: 'ltr',
      start_side: 'left',
      title: 'Eve <eve@evil> shared',
      content: body,
    });
    assert.ok(html.includes(body), 'the body is in the layout unchanged');
    assert.ok(html.includes('<strong>Eve &lt;eve@evil&gt;</strong>'));
    assert.ok(html.includes('<title>Eve &lt;eve@evil&gt; shared</title>'));
    assert.ok(html.includes('Cloud &amp; Co'));
  });

  it('refuses a broken layout when the engine is created', () => {
    const error = refused(() => createLiquidEngine({ layout: '<body>{% if x %}{{ content | raw }}</body>' }), 'template_syntax');
    assert.match(error.message, /^layout: line 1, column 7/);
    refused(() => createLiquidEngine({ layout: "{% include 'x' %}" }), 'template_forbidden');
  });
});

describe('values set into Chinese text', () => {
  const engine = createLiquidEngine();
  const render = (source: string, part: 'subject' | 'html' | 'text', data: Record<string, unknown>) => engine.render(source, part, data);

  it('are spaced from Chinese by the one rule: Latin gets a space, Chinese none, punctuation none', async () => {
    const subject = '{{ sharer }}与您共享了“{{ file_name }}”';
    assert.equal(await render(subject, 'subject', { sharer: 'Bob Berg', file_name: 'Budget 2026.xlsx' }), 'Bob Berg 与您共享了“Budget 2026.xlsx”');
    assert.equal(await render(subject, 'subject', { sharer: '李华', file_name: '2026年度预算.xlsx' }), '李华与您共享了“2026年度预算.xlsx”');
    assert.equal(await render('另有{{ more }}条动态，通过{{ instance_name }}。', 'text', { more: 3, instance_name: 'Example Cloud' }), '另有 3 条动态，通过 Example Cloud。');
  });

  it('look through HTML tags for the neighbouring text, and escape as before', async () => {
    const html = '<p><strong>{{ sharer }}</strong>与您共享了<strong>“{{ file_name }}”</strong>。</p>';
    assert.equal(await render(html, 'html', { sharer: 'Tom & Jerry', file_name: 'a<b>.txt' }), '<p><strong>Tom &amp; Jerry </strong>与您共享了<strong>“a&lt;b&gt;.txt”</strong>。</p>');
    assert.equal(await render(html, 'html', { sharer: '王小明', file_name: 'x' }), '<p><strong>王小明</strong>与您共享了<strong>“x”</strong>。</p>');
  });

  it('leave a template that spaces by hand, English text, and raw or trimmed outputs as written', async () => {
    assert.equal(await render('{{ sharer }} 与您共享', 'text', { sharer: '李华' }), '李华 与您共享');
    assert.equal(await render('Hi {{ name }}, {{ sharer }} shared', 'text', { name: '王小明', sharer: 'Bob' }), 'Hi 王小明, Bob shared');
    assert.equal(await render('通过{{- x }}', 'text', { x: 'Cloud' }), '通过Cloud');
  });
});
