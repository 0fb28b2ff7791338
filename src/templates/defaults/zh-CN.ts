import type { TemplateName, TemplateParts } from '../template-catalog.ts';

/**
 * 随 Mailroom 提供的简体中文邮件模板（Liquid 语法）。html 部分只是正文：由布局（layout.ts）包裹，
 * 这里用到的样式类由布局的 <style> 定义（juice 会将其内联）。每个按钮后面都写出了完整链接，
 * 以便在隐藏按钮的邮件程序中也能打开。纯文本部分为手写，每个链接单独占一行。
 */
export const templates: Record<TemplateName, TemplateParts> = {
  share: {
    subject: '{{ sharer }}与您共享了“{{ file_name }}”',
    html: `<h1>与您共享</h1>
<p>{{ user.display_name }}，您好：</p>
<p><strong>{{ sharer }}</strong>在{{ instance_name }}与您共享了<strong>“{{ file_name }}”</strong>。</p>
{% if note != blank -%}
<table role="presentation" class="note" width="100%" cellpadding="0" cellspacing="0" border="0">
<tr><td class="note-cell"><span class="note-label">{{ sharer }}的留言</span><br><span class="note-text">{{ note | escape | newline_to_br | raw }}</span></td></tr>
</table>
{% endif -%}
{% if expiration != blank -%}
<p class="muted">此共享将于{{ expiration }}到期。</p>
{% endif -%}
<table role="presentation" class="button-table" cellpadding="0" cellspacing="0" border="0">
<tr><td class="button-cell"><a href="{{ link }}" class="button">立即查看</a></td></tr>
</table>
<p class="fallback">如果按钮无法点击，请将以下链接复制到浏览器中打开：<br><a href="{{ link }}" class="url">{{ link }}</a></p>
`,
    text: `{{ user.display_name }}，您好：

{{ sharer }}在{{ instance_name }}与您共享了“{{ file_name }}”。
{% if note != blank %}
{{ sharer }}的留言：
{{ note }}
{% endif %}{% if expiration != blank %}
此共享将于{{ expiration }}到期。
{% endif %}
使用以下链接查看：
{{ link }}

--
{{ instance_name }}
{{ base_url }}
`,
  },

  lost_password: {
    subject: '【{{ instance_name }}】重置密码',
    html: `<h1>重置密码</h1>
<p>{{ user.display_name }}，您好：</p>
<p>我们收到了重置您的账户（<strong>{{ user.uid }}</strong>）密码的请求。请点击下面的按钮设置新密码。</p>
<table role="presentation" class="button-table" cellpadding="0" cellspacing="0" border="0">
<tr><td class="button-cell"><a href="{{ link }}" class="button">重置密码</a></td></tr>
</table>
<p class="fallback">如果按钮无法点击，请将以下链接复制到浏览器中打开：<br><a href="{{ link }}" class="url">{{ link }}</a></p>
<p class="muted">该链接将在{{ expires_in_minutes }}分钟后失效。如果您并没有申请重置密码，请忽略这封邮件，您的密码不会改变。</p>
`,
    text: `{{ user.display_name }}，您好：

我们收到了重置您的账户（{{ user.uid }}）密码的请求。

使用以下链接重置您的密码：
{{ link }}

该链接将在{{ expires_in_minutes }}分钟后失效。如果您并没有申请重置密码，请忽略这封邮件，您的密码不会改变。

--
{{ instance_name }}
{{ base_url }}
`,
  },

  activity: {
    subject: '【{{ instance_name }}】您的文件有新动态',
    html: `<h1>最新动态</h1>
<p>{{ user.display_name }}，您好：</p>
<p>以下是您的文件最近的动态：</p>
<table role="presentation" class="activities" width="100%" cellpadding="0" cellspacing="0" border="0">
{%- for a in activities %}
<tr><td class="activity-cell">
<p class="activity-subject"><a href="{{ a.link }}">{{ a.summary }}</a></p>
<p class="activity-meta">{{ a.time }}</p>
</td></tr>
{%- endfor %}
</table>
{% if more > 0 -%}
<p>另有{{ more }}条动态未在此列出。<br><a href="{{ base_url }}">在{{ instance_name }}中查看全部动态</a></p>
{% endif -%}
<p class="muted">您收到这封邮件，是因为您开启了活动通知邮件。<br><a href="{{ settings_link }}">修改通知设置</a> · <a href="{{ unsubscribe_link }}">退订此类邮件</a></p>
`,
    text: `{{ user.display_name }}，您好：

以下是您的文件最近的动态：
{% for a in activities %}
* {{ a.summary }}
  {{ a.time }}
  {{ a.link }}
{% endfor %}{% if more > 0 %}
另有{{ more }}条动态未在此列出，请在{{ instance_name }}中查看全部动态。
{% endif %}
您收到这封邮件，是因为您开启了活动通知邮件。

修改通知设置：
{{ settings_link }}

退订此类邮件：
{{ unsubscribe_link }}

--
{{ instance_name }}
{{ base_url }}
`,
  },

  test: {
    subject: '邮件设置测试',
    html: `<h1>邮件设置测试</h1>
<p>如果您收到了这封邮件，说明邮件设置是正确的。</p>
<p class="signature">--<br>{{ instance_name }}</p>
`,
    text: `如果您收到了这封邮件，说明邮件设置是正确的。

--
{{ instance_name }}
`,
  },

  link_share: {
    subject: '{{ sharer }}与您共享了“{{ file_name }}”',
    html: `<h1>与您共享</h1>
<p>您好：</p>
<p><strong>{{ sharer }}</strong>与您共享了<strong>“{{ file_name }}”</strong>。</p>
{% if note != blank -%}
<table role="presentation" class="note" width="100%" cellpadding="0" cellspacing="0" border="0">
<tr><td class="note-cell"><span class="note-label">{{ sharer }}的留言</span><br><span class="note-text">{{ note | escape | newline_to_br | raw }}</span></td></tr>
</table>
{% endif -%}
{% if expiration != blank -%}
<p class="muted">此共享链接将于{{ expiration }}失效。</p>
{% endif -%}
<table role="presentation" class="button-table" cellpadding="0" cellspacing="0" border="0">
<tr><td class="button-cell"><a href="{{ link }}" class="button">立即查看</a></td></tr>
</table>
<p class="fallback">如果按钮无法点击，请将以下链接复制到浏览器中打开：<br><a href="{{ link }}" class="url">{{ link }}</a></p>
<p class="muted">这封邮件由{{ sharer }}通过{{ instance_name }}发送给您。如果您不认识对方，或认为这是误发，请直接忽略。</p>
`,
    text: `您好：

{{ sharer }}与您共享了“{{ file_name }}”。
{% if note != blank %}
{{ sharer }}的留言：
{{ note }}
{% endif %}{% if expiration != blank %}
此共享链接将于{{ expiration }}失效。
{% endif %}
使用以下链接查看：
{{ link }}

这封邮件由{{ sharer }}通过{{ instance_name }}发送给您。如果您不认识对方，或认为这是误发，请直接忽略。

--
{{ instance_name }}
{{ base_url }}
`,
  },

  welcome: {
    subject: '【{{ instance_name }}】您的账户已开通',
    html: `<h1>欢迎使用{{ instance_name }}</h1>
<p>{{ user.display_name }}，您好：</p>
<p>您的{{ instance_name }}账户已经开通，设置密码后即可登录使用。</p>
<p>用户名：<strong>{{ user.uid }}</strong><br>访问地址：<a href="{{ base_url }}">{{ base_url }}</a></p>
<table role="presentation" class="button-table" cellpadding="0" cellspacing="0" border="0">
<tr><td class="button-cell"><a href="{{ link }}" class="button">设置密码</a></td></tr>
</table>
<p class="fallback">如果按钮无法点击，请将以下链接复制到浏览器中打开：<br><a href="{{ link }}" class="url">{{ link }}</a></p>
<p class="muted">该链接仅能使用一次，将在{{ expires_in_days }}天后失效。链接失效后，请联系管理员重新发送邀请。</p>
`,
    text: `{{ user.display_name }}，您好：

您的{{ instance_name }}账户已经开通，设置密码后即可登录使用。

用户名：{{ user.uid }}
访问地址：
{{ base_url }}

使用以下链接设置密码：
{{ link }}

该链接仅能使用一次，将在{{ expires_in_days }}天后失效。链接失效后，请联系管理员重新发送邀请。

--
{{ instance_name }}
{{ base_url }}
`,
  },

  password_changed: {
    subject: '【{{ instance_name }}】您的密码已修改',
    html: `<h1>密码已修改</h1>
<p>{{ user.display_name }}，您好：</p>
<p>您的账户（<strong>{{ user.uid }}</strong>）密码已于{{ changed_at }}修改。</p>
{% if client_address != blank -%}
<p class="muted">此次更改来自 IP 地址{{ client_address }}{% if browser != blank %}（{{ browser }}）{% endif %}。</p>
{% endif -%}
<p>如果是您本人操作，无需进行任何处理。</p>
<p><strong>如果不是您本人操作</strong>，您的密码可能已经泄露。请立即重置密码，并告知管理员。</p>
<table role="presentation" class="button-table" cellpadding="0" cellspacing="0" border="0">
<tr><td class="button-cell"><a href="{{ reset_link }}" class="button">重置密码</a></td></tr>
</table>
<p class="fallback">如果按钮无法点击，请将以下链接复制到浏览器中打开：<br><a href="{{ reset_link }}" class="url">{{ reset_link }}</a></p>
`,
    text: `{{ user.display_name }}，您好：

您的账户（{{ user.uid }}）密码已于{{ changed_at }}修改。
{% if client_address != blank %}
此次更改来自 IP 地址{{ client_address }}{% if browser != blank %}（{{ browser }}）{% endif %}。
{% endif %}
如果是您本人操作，无需进行任何处理。

如果不是您本人操作，您的密码可能已经泄露。请使用以下链接立即重置密码，并告知管理员：
{{ reset_link }}

--
{{ instance_name }}
{{ base_url }}
`,
  },

  email_change_verify: {
    subject: '【{{ instance_name }}】请确认您的新邮箱',
    html: `<h1>确认新邮箱</h1>
<p>{{ user.display_name }}，您好：</p>
<p>我们收到了将账户（<strong>{{ user.uid }}</strong>）绑定的邮箱更改为<strong>{{ new_email }}</strong>的申请。如果是您本人操作，请点击下面的按钮确认。</p>
<table role="presentation" class="button-table" cellpadding="0" cellspacing="0" border="0">
<tr><td class="button-cell"><a href="{{ link }}" class="button">确认邮箱</a></td></tr>
</table>
<p class="fallback">如果按钮无法点击，请将以下链接复制到浏览器中打开：<br><a href="{{ link }}" class="url">{{ link }}</a></p>
<p class="muted">确认之后，新邮箱才会生效。该链接将在{{ expires_in_hours }}小时后失效。如果您并没有申请更换邮箱，请忽略这封邮件，账户绑定的邮箱不会改变。</p>
`,
    text: `{{ user.display_name }}，您好：

我们收到了将账户（{{ user.uid }}）绑定的邮箱更改为{{ new_email }}的申请。

如果是您本人操作，请使用以下链接确认：
{{ link }}

确认之后，新邮箱才会生效。该链接将在{{ expires_in_hours }}小时后失效。如果您并没有申请更换邮箱，请忽略这封邮件，账户绑定的邮箱不会改变。

--
{{ instance_name }}
{{ base_url }}
`,
  },

  email_change_notice: {
    subject: '【{{ instance_name }}】您的账户邮箱已更改',
    html: `<h1>账户邮箱已更改</h1>
<p>{{ user.display_name }}，您好：</p>
<p>您的账户（<strong>{{ user.uid }}</strong>）绑定的邮箱已于{{ changed_at }}由<strong>{{ old_email }}</strong>更改为<strong>{{ new_email }}</strong>。今后，{{ instance_name }}的邮件将发送到新邮箱。</p>
{% if client_address != blank -%}
<p class="muted">此次更改来自 IP 地址{{ client_address }}{% if browser != blank %}（{{ browser }}）{% endif %}。</p>
{% endif -%}
<p>如果是您本人操作，无需进行任何处理。</p>
<p><strong>如果不是您本人操作</strong>，您的账户可能已被他人盗用。请撤销此次更改：邮箱将恢复为{{ old_email }}，您的账户会在所有设备上退出登录，所有应用密码也将失效。</p>
<table role="presentation" class="button-table" cellpadding="0" cellspacing="0" border="0">
<tr><td class="button-cell"><a href="{{ undo_link }}" class="button">撤销此次更改</a></td></tr>
</table>
<p class="fallback">如果按钮无法点击，请将以下链接复制到浏览器中打开：<br><a href="{{ undo_link }}" class="url">{{ undo_link }}</a></p>
<p>随后请重置密码，确保只有您本人知道密码，并告知管理员：<br><a href="{{ reset_link }}" class="url">{{ reset_link }}</a></p>
`,
    text: `{{ user.display_name }}，您好：

您的账户（{{ user.uid }}）绑定的邮箱已于{{ changed_at }}由{{ old_email }}更改为{{ new_email }}。今后，{{ instance_name }}的邮件将发送到新邮箱。
{% if client_address != blank %}
此次更改来自 IP 地址{{ client_address }}{% if browser != blank %}（{{ browser }}）{% endif %}。
{% endif %}
如果是您本人操作，无需进行任何处理。

如果不是您本人操作，您的账户可能已被他人盗用。请通过以下链接撤销此次更改：邮箱将恢复为{{ old_email }}，您的账户会在所有设备上退出登录，所有应用密码也将失效。
{{ undo_link }}

随后请重置密码，确保只有您本人知道密码，并告知管理员：
{{ reset_link }}

--
{{ instance_name }}
{{ base_url }}
`,
  },

};
