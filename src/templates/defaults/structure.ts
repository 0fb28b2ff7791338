import type { TemplateName, TemplateParts } from '../template-catalog.ts';

/**
 * The shipped templates, one structure for every language (Liquid). Their words are lookups in
 * the catalogs (src/templates/catalogs/*.json): `{{ 'share.intro' | t }}` sets in the message of
 * that key, its placeholders filled from the template's variables of the same name, or from the
 * variables given (`t: name: user.display_name`). message-templates.ts turns each lookup into
 * plain Liquid once per language, so an admin editing a language's template sees its words.
 *
 * The html parts are only the body: the layout (layout.ts) wraps them and its <style> block styles
 * the classes used here (juice inlines them). Every button is followed by its link written out,
 * for mail programs that hide buttons. The text parts are written by hand, each link on a line of
 * its own.
 */

const button = (link: string, label: string) => `<table role="presentation" class="button-table" cellpadding="0" cellspacing="0" border="0">
<tr><td class="button-cell"><a href="{{ ${link} }}" class="button">{{ '${label}' | t }}</a></td></tr>
</table>
<p class="fallback">{{ 'common.button_fallback' | t }}<br><a href="{{ ${link} }}" class="url">{{ ${link} }}</a></p>
`;

const note = `{% if note != blank -%}
<table role="presentation" class="note" width="100%" cellpadding="0" cellspacing="0" border="0">
<tr><td class="note-cell"><span class="note-label">{{ 'share.note_label' | t }}</span><br><span class="note-text">{{ note | escape | newline_to_br | raw }}</span></td></tr>
</table>
{% endif -%}
`;

const changedFrom = (html: boolean) =>
  html
    ? `{% if client_address != blank -%}
<p class="muted">{% if browser != blank %}{{ 'common.changed_from_browser' | t }}{% else %}{{ 'common.changed_from' | t }}{% endif %}</p>
{% endif -%}
`
    : `{% if client_address != blank %}
{% if browser != blank %}{{ 'common.changed_from_browser' | t }}{% else %}{{ 'common.changed_from' | t }}{% endif %}
{% endif %}`;

const greeting = `{{ 'common.greeting' | t: name: user.display_name }}`;

const signature = `--
{{ instance_name }}
{{ base_url }}
`;

export const structure: Record<TemplateName, TemplateParts> = {
  share: {
    subject: `{{ 'share.subject' | t }}`,
    html: `<h1>{{ 'share.heading' | t }}</h1>
<p>${greeting}</p>
<p>{{ 'share.intro' | t }}</p>
${note}{% if expiration != blank -%}
<p class="muted">{{ 'share.expires' | t }}</p>
{% endif -%}
${button('link', 'share.button')}`,
    text: `${greeting}

{{ 'share.intro' | t }}
{% if note != blank %}
{{ 'share.note_heading' | t }}
{{ note }}
{% endif %}{% if expiration != blank %}
{{ 'share.expires' | t }}
{% endif %}
{{ 'share.open_here' | t }}
{{ link }}

${signature}`,
  },

  lost_password: {
    subject: `{{ 'lost_password.subject' | t }}`,
    html: `<h1>{{ 'lost_password.heading' | t }}</h1>
<p>${greeting}</p>
<p>{{ 'lost_password.intro' | t: uid: user.uid }}</p>
${button('link', 'common.reset_password')}<p class="muted">{{ 'lost_password.expiry' | t }}</p>
`,
    text: `${greeting}

{{ 'lost_password.request' | t: uid: user.uid }}

{{ 'lost_password.link_intro' | t }}
{{ link }}

{{ 'lost_password.expiry' | t }}

${signature}`,
  },

  activity: {
    subject: `{{ 'activity.subject' | t }}`,
    html: `<h1>{{ 'activity.heading' | t }}</h1>
<p>${greeting}</p>
<p>{{ 'activity.intro' | t }}</p>
<table role="presentation" class="activities" width="100%" cellpadding="0" cellspacing="0" border="0">
{%- for a in activities %}
<tr><td class="activity-cell">
<p class="activity-subject"><a href="{{ a.link }}">{{ a.summary }}</a></p>
<p class="activity-meta">{{ a.time }}</p>
</td></tr>
{%- endfor %}
</table>
{% if more > 0 -%}
<p>{{ 'activity.more' | t }}<br><a href="{{ base_url }}">{{ 'activity.see_all' | t }}</a></p>
{% endif -%}
<p class="muted">{{ 'activity.why' | t }}<br><a href="{{ settings_link }}">{{ 'activity.choose' | t }}</a> · <a href="{{ unsubscribe_link }}">{{ 'activity.unsubscribe' | t }}</a></p>
`,
    text: `${greeting}

{{ 'activity.intro' | t }}
{% for a in activities %}
* {{ a.summary }}
  {{ a.time }}
  {{ a.link }}
{% endfor %}{% if more > 0 %}
{{ 'activity.more_text' | t }}
{% endif %}
{{ 'activity.why' | t }}

{{ 'activity.choose_label' | t }}
{{ settings_link }}

{{ 'activity.unsubscribe_label' | t }}
{{ unsubscribe_link }}

${signature}`,
  },

  test: {
    subject: `{{ 'test.subject' | t }}`,
    html: `<h1>{{ 'test.subject' | t }}</h1>
<p>{{ 'test.body' | t }}</p>
<p class="signature">--<br>{{ instance_name }}</p>
`,
    text: `{{ 'test.body' | t }}

--
{{ instance_name }}
`,
  },

  link_share: {
    subject: `{{ 'share.subject' | t }}`,
    html: `<h1>{{ 'share.heading' | t }}</h1>
<p>{{ 'link_share.greeting' | t }}</p>
<p>{{ 'link_share.intro' | t }}</p>
${note}{% if expiration != blank -%}
<p class="muted">{{ 'link_share.expires' | t }}</p>
{% endif -%}
${button('link', 'share.button')}<p class="muted">{{ 'link_share.sent_by' | t }}</p>
`,
    text: `{{ 'link_share.greeting' | t }}

{{ 'link_share.intro' | t }}
{% if note != blank %}
{{ 'share.note_heading' | t }}
{{ note }}
{% endif %}{% if expiration != blank %}
{{ 'link_share.expires' | t }}
{% endif %}
{{ 'share.open_here' | t }}
{{ link }}

{{ 'link_share.sent_by' | t }}

${signature}`,
  },

  welcome: {
    subject: `{{ 'welcome.subject' | t }}`,
    html: `<h1>{{ 'welcome.heading' | t }}</h1>
<p>${greeting}</p>
<p>{{ 'welcome.intro' | t }}</p>
<p>{{ 'welcome.user_name' | t: uid: user.uid }}<br>{{ 'welcome.address_before_link' | t }}<a href="{{ base_url }}">{{ base_url }}</a></p>
${button('link', 'welcome.button')}<p class="muted">{{ 'welcome.expiry' | t }}</p>
`,
    text: `${greeting}

{{ 'welcome.created' | t }}

{{ 'welcome.user_name' | t: uid: user.uid }}
{{ 'welcome.address_label' | t }}
{{ base_url }}

{{ 'welcome.link_intro' | t }}
{{ link }}

{{ 'welcome.expiry' | t }}

${signature}`,
  },

  password_changed: {
    subject: `{{ 'password_changed.subject' | t }}`,
    html: `<h1>{{ 'password_changed.heading' | t }}</h1>
<p>${greeting}</p>
<p>{{ 'password_changed.intro' | t: uid: user.uid }}</p>
${changedFrom(true)}<p>{{ 'common.if_you_did' | t }}</p>
<p>{{ 'password_changed.if_not' | t }}</p>
${button('reset_link', 'common.reset_password')}`,
    text: `${greeting}

{{ 'password_changed.intro' | t: uid: user.uid }}
${changedFrom(false)}
{{ 'common.if_you_did' | t }}

{{ 'password_changed.if_not_text' | t }}
{{ reset_link }}

${signature}`,
  },

  email_change_verify: {
    subject: `{{ 'email_change_verify.subject' | t }}`,
    html: `<h1>{{ 'email_change_verify.heading' | t }}</h1>
<p>${greeting}</p>
<p>{{ 'email_change_verify.intro' | t: uid: user.uid }}</p>
${button('link', 'email_change_verify.button')}<p class="muted">{{ 'email_change_verify.expiry' | t }}</p>
`,
    text: `${greeting}

{{ 'email_change_verify.request' | t: uid: user.uid }}

{{ 'email_change_verify.link_intro' | t }}
{{ link }}

{{ 'email_change_verify.expiry' | t }}

${signature}`,
  },

  email_change_notice: {
    subject: `{{ 'email_change_notice.subject' | t }}`,
    html: `<h1>{{ 'email_change_notice.heading' | t }}</h1>
<p>${greeting}</p>
<p>{{ 'email_change_notice.intro' | t: uid: user.uid }}</p>
${changedFrom(true)}<p>{{ 'common.if_you_did' | t }}</p>
<p>{{ 'email_change_notice.if_not' | t }}</p>
${button('undo_link', 'email_change_notice.button')}<p>{{ 'email_change_notice.then_reset' | t }}<br><a href="{{ reset_link }}" class="url">{{ reset_link }}</a></p>
`,
    text: `${greeting}

{{ 'email_change_notice.intro' | t: uid: user.uid }}
${changedFrom(false)}
{{ 'common.if_you_did' | t }}

{{ 'email_change_notice.if_not_text' | t }}
{{ undo_link }}

{{ 'email_change_notice.then_reset' | t }}
{{ reset_link }}

${signature}`,
  },
};
