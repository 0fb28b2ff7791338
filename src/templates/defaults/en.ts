import type { TemplateName, TemplateParts } from '../template-catalog.ts';

/**
 * The shipped English templates (Liquid). The html parts are only the body: the layout
 * (layout.ts) wraps them and its <style> block styles the classes used here (juice inlines
 * them). Every button is followed by its link written out, for mail programs that hide buttons.
 * The text parts are written by hand, each link on a line of its own.
 */
export const templates: Record<TemplateName, TemplateParts> = {
  share: {
    subject: '{{ sharer }} shared »{{ file_name }}« with you',
    html: `<h1>Shared with you</h1>
<p>Hi {{ user.display_name }},</p>
<p><strong>{{ sharer }}</strong> shared <strong>»{{ file_name }}«</strong> with you on {{ instance_name }}.</p>
{% if note != blank -%}
<table role="presentation" class="note" width="100%" cellpadding="0" cellspacing="0" border="0">
<tr><td class="note-cell"><span class="note-label">Note from {{ sharer }}</span><br><span class="note-text">{{ note | escape | newline_to_br | raw }}</span></td></tr>
</table>
{% endif -%}
{% if expiration != blank -%}
<p class="muted">This share expires on {{ expiration }}.</p>
{% endif -%}
<table role="presentation" class="button-table" cellpadding="0" cellspacing="0" border="0">
<tr><td class="button-cell"><a href="{{ link }}" class="button">Open »{{ file_name }}«</a></td></tr>
</table>
<p class="fallback">Button not working? Copy this link into your browser:<br><a href="{{ link }}" class="url">{{ link }}</a></p>
`,
    text: `Hi {{ user.display_name }},

{{ sharer }} shared »{{ file_name }}« with you on {{ instance_name }}.
{% if note != blank %}
Note from {{ sharer }}:
{{ note }}
{% endif %}{% if expiration != blank %}
This share expires on {{ expiration }}.
{% endif %}
Open it here:
{{ link }}

--
{{ instance_name }}
{{ base_url }}
`,
  },

  lost_password: {
    subject: 'Reset your {{ instance_name }} password',
    html: `<h1>Reset your password</h1>
<p>Hi {{ user.display_name }},</p>
<p>We received a request to reset the password of your account <strong>{{ user.uid }}</strong> on {{ instance_name }}. Use the button below to choose a new one.</p>
<table role="presentation" class="button-table" cellpadding="0" cellspacing="0" border="0">
<tr><td class="button-cell"><a href="{{ link }}" class="button">Reset password</a></td></tr>
</table>
<p class="fallback">Button not working? Copy this link into your browser:<br><a href="{{ link }}" class="url">{{ link }}</a></p>
<p class="muted">The link expires in {{ expires_in_minutes }} minutes. If you didn't ask to reset your password, you can ignore this email: your password stays the same.</p>
`,
    text: `Hi {{ user.display_name }},

We received a request to reset the password of your account {{ user.uid }} on {{ instance_name }}.

Use the following link to reset your password:
{{ link }}

The link expires in {{ expires_in_minutes }} minutes. If you didn't ask to reset your password, you can ignore this email: your password stays the same.

--
{{ instance_name }}
{{ base_url }}
`,
  },

  activity: {
    subject: 'Recent activity on {{ instance_name }}',
    html: `<h1>Recent activity</h1>
<p>Hi {{ user.display_name }},</p>
<p>Here is what happened to your files on {{ instance_name }}:</p>
<table role="presentation" class="activities" width="100%" cellpadding="0" cellspacing="0" border="0">
{%- for a in activities %}
<tr><td class="activity-cell">
<p class="activity-subject"><a href="{{ a.link }}">{{ a.summary }}</a></p>
<p class="activity-meta">{{ a.time }}</p>
</td></tr>
{%- endfor %}
</table>
{% if more > 0 -%}
<p>{{ more }} more {% if more == 1 %}is{% else %}are{% endif %} not listed here.<br><a href="{{ base_url }}">See everything on {{ instance_name }}</a></p>
{% endif -%}
<p class="muted">You get this email because activity emails are turned on for your account.<br><a href="{{ settings_link }}">Choose what you are notified about</a> · <a href="{{ unsubscribe_link }}">Unsubscribe</a></p>
`,
    text: `Hi {{ user.display_name }},

Here is what happened to your files on {{ instance_name }}:
{% for a in activities %}
* {{ a.summary }}
  {{ a.time }}
  {{ a.link }}
{% endfor %}{% if more > 0 %}
{{ more }} more {% if more == 1 %}is{% else %}are{% endif %} not listed here; see everything on {{ instance_name }}.
{% endif %}
You get this email because activity emails are turned on for your account.

Choose what you are notified about:
{{ settings_link }}

Unsubscribe:
{{ unsubscribe_link }}

--
{{ instance_name }}
{{ base_url }}
`,
  },

  test: {
    subject: 'Email setting test',
    html: `<h1>Email setting test</h1>
<p>If you received this email, the settings seem to be correct.</p>
<p class="signature">--<br>{{ instance_name }}</p>
`,
    text: `If you received this email, the settings seem to be correct.

--
{{ instance_name }}
`,
  },

  link_share: {
    subject: '{{ sharer }} shared »{{ file_name }}« with you',
    html: `<h1>Shared with you</h1>
<p>Hello,</p>
<p><strong>{{ sharer }}</strong> shared <strong>»{{ file_name }}«</strong> with you.</p>
{% if note != blank -%}
<table role="presentation" class="note" width="100%" cellpadding="0" cellspacing="0" border="0">
<tr><td class="note-cell"><span class="note-label">Note from {{ sharer }}</span><br><span class="note-text">{{ note | escape | newline_to_br | raw }}</span></td></tr>
</table>
{% endif -%}
{% if expiration != blank -%}
<p class="muted">This link expires on {{ expiration }}.</p>
{% endif -%}
<table role="presentation" class="button-table" cellpadding="0" cellspacing="0" border="0">
<tr><td class="button-cell"><a href="{{ link }}" class="button">Open »{{ file_name }}«</a></td></tr>
</table>
<p class="fallback">Button not working? Copy this link into your browser:<br><a href="{{ link }}" class="url">{{ link }}</a></p>
<p class="muted">{{ sharer }} sent you this email through {{ instance_name }}. If you weren't expecting it, you can ignore it.</p>
`,
    text: `Hello,

{{ sharer }} shared »{{ file_name }}« with you.
{% if note != blank %}
Note from {{ sharer }}:
{{ note }}
{% endif %}{% if expiration != blank %}
This link expires on {{ expiration }}.
{% endif %}
Open it here:
{{ link }}

{{ sharer }} sent you this email through {{ instance_name }}. If you weren't expecting it, you can ignore it.

--
{{ instance_name }}
{{ base_url }}
`,
  },

  welcome: {
    subject: 'Your {{ instance_name }} account',
    html: `<h1>Welcome to {{ instance_name }}</h1>
<p>Hi {{ user.display_name }},</p>
<p>An account has been created for you on {{ instance_name }}. Set your password to start using it.</p>
<p>User name: <strong>{{ user.uid }}</strong><br>Address: <a href="{{ base_url }}">{{ base_url }}</a></p>
<table role="presentation" class="button-table" cellpadding="0" cellspacing="0" border="0">
<tr><td class="button-cell"><a href="{{ link }}" class="button">Set your password</a></td></tr>
</table>
<p class="fallback">Button not working? Copy this link into your browser:<br><a href="{{ link }}" class="url">{{ link }}</a></p>
<p class="muted">The link works only once and expires in {{ expires_in_days }} {% if expires_in_days == 1 %}day{% else %}days{% endif %}. After that, ask your administrator for a new invitation.</p>
`,
    text: `Hi {{ user.display_name }},

An account has been created for you on {{ instance_name }}.

User name: {{ user.uid }}
Address:
{{ base_url }}

Set your password with the following link:
{{ link }}

The link works only once and expires in {{ expires_in_days }} {% if expires_in_days == 1 %}day{% else %}days{% endif %}. After that, ask your administrator for a new invitation.

--
{{ instance_name }}
{{ base_url }}
`,
  },

  password_changed: {
    subject: 'Your {{ instance_name }} password was changed',
    html: `<h1>Your password was changed</h1>
<p>Hi {{ user.display_name }},</p>
<p>The password of your account <strong>{{ user.uid }}</strong> on {{ instance_name }} was changed on {{ changed_at }}.</p>
{% if client_address != blank -%}
<p class="muted">The change was made from {{ client_address }}{% if browser != blank %} ({{ browser }}){% endif %}.</p>
{% endif -%}
<p>If you made this change, there is nothing more to do.</p>
<p><strong>If you didn't</strong>, someone else may know your password. Reset it now and tell your administrator.</p>
<table role="presentation" class="button-table" cellpadding="0" cellspacing="0" border="0">
<tr><td class="button-cell"><a href="{{ reset_link }}" class="button">Reset password</a></td></tr>
</table>
<p class="fallback">Button not working? Copy this link into your browser:<br><a href="{{ reset_link }}" class="url">{{ reset_link }}</a></p>
`,
    text: `Hi {{ user.display_name }},

The password of your account {{ user.uid }} on {{ instance_name }} was changed on {{ changed_at }}.
{% if client_address != blank %}
The change was made from {{ client_address }}{% if browser != blank %} ({{ browser }}){% endif %}.
{% endif %}
If you made this change, there is nothing more to do.

If you didn't, someone else may know your password. Reset it now with the following link and tell your administrator:
{{ reset_link }}

--
{{ instance_name }}
{{ base_url }}
`,
  },

  email_change_verify: {
    subject: 'Confirm your new email address for {{ instance_name }}',
    html: `<h1>Confirm your email address</h1>
<p>Hi {{ user.display_name }},</p>
<p>Someone, hopefully you, asked to use <strong>{{ new_email }}</strong> as the email address of the account <strong>{{ user.uid }}</strong> on {{ instance_name }}. Use the button below to confirm it.</p>
<table role="presentation" class="button-table" cellpadding="0" cellspacing="0" border="0">
<tr><td class="button-cell"><a href="{{ link }}" class="button">Confirm address</a></td></tr>
</table>
<p class="fallback">Button not working? Copy this link into your browser:<br><a href="{{ link }}" class="url">{{ link }}</a></p>
<p class="muted">The address changes only once you confirm it. The link expires in {{ expires_in_hours }} {% if expires_in_hours == 1 %}hour{% else %}hours{% endif %}. If you didn't ask for this, you can ignore this email: the account keeps its current address.</p>
`,
    text: `Hi {{ user.display_name }},

Someone, hopefully you, asked to use {{ new_email }} as the email address of the account {{ user.uid }} on {{ instance_name }}.

Use the following link to confirm it:
{{ link }}

The address changes only once you confirm it. The link expires in {{ expires_in_hours }} {% if expires_in_hours == 1 %}hour{% else %}hours{% endif %}. If you didn't ask for this, you can ignore this email: the account keeps its current address.

--
{{ instance_name }}
{{ base_url }}
`,
  },

  email_change_notice: {
    subject: 'Your {{ instance_name }} email address was changed',
    html: `<h1>Your email address was changed</h1>
<p>Hi {{ user.display_name }},</p>
<p>On {{ changed_at }}, the email address of your account <strong>{{ user.uid }}</strong> on {{ instance_name }} was changed from <strong>{{ old_email }}</strong> to <strong>{{ new_email }}</strong>. From now on, emails from {{ instance_name }} go to the new address.</p>
{% if client_address != blank -%}
<p class="muted">The change was made from {{ client_address }}{% if browser != blank %} ({{ browser }}){% endif %}.</p>
{% endif -%}
<p>If you made this change, there is nothing more to do.</p>
<p><strong>If you didn't</strong>, someone else may have access to your account. Undo the change: this puts {{ old_email }} back, signs your account out everywhere and revokes its app passwords.</p>
<table role="presentation" class="button-table" cellpadding="0" cellspacing="0" border="0">
<tr><td class="button-cell"><a href="{{ undo_link }}" class="button">Undo this change</a></td></tr>
</table>
<p class="fallback">Button not working? Copy this link into your browser:<br><a href="{{ undo_link }}" class="url">{{ undo_link }}</a></p>
<p>Then reset your password, so that only you know it, and tell your administrator:<br><a href="{{ reset_link }}" class="url">{{ reset_link }}</a></p>
`,
    text: `Hi {{ user.display_name }},

On {{ changed_at }}, the email address of your account {{ user.uid }} on {{ instance_name }} was changed from {{ old_email }} to {{ new_email }}. From now on, emails from {{ instance_name }} go to the new address.
{% if client_address != blank %}
The change was made from {{ client_address }}{% if browser != blank %} ({{ browser }}){% endif %}.
{% endif %}
If you made this change, there is nothing more to do.

If you didn't, someone else may have access to your account. Undo the change with the following link: it puts {{ old_email }} back, signs your account out everywhere and revokes its app passwords.
{{ undo_link }}

Then reset your password, so that only you know it, and tell your administrator:
{{ reset_link }}

--
{{ instance_name }}
{{ base_url }}
`,
  },

};
