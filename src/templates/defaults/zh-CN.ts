import type { TemplateName, TemplateParts } from '../template-catalog.ts';

/**
 * 随 Mailroom 提供的简体中文邮件模板（Liquid 语法）。html 部分只是正文：由布局（layout.ts）包裹，
 * 这里用到的样式类由布局的 <style> 定义（juice 会将其内联）。每个按钮后面都写出了完整链接，
 * 以便在隐藏按钮的邮件程序中也能打开。纯文本部分为手写，每个链接单独占一行。
 */
export const templates: Record<TemplateName, TemplateParts> = {
  share: {
    subject: '{{ sharer }} 与您共享了 »{{ file_name }}«',
    html: `<h1>与您共享</h1>
<p>{{ user.display_name }}，您好：</p>
<p><strong>{{ sharer }}</strong> 与您共享了 <strong>»{{ file_name }}«</strong>。</p>
{% if note != blank -%}
<table role="presentation" class="note" width="100%" cellpadding="0" cellspacing="0" border="0">
<tr><td class="note-cell"><span class="note-label">{{ sharer }} 的留言</span><span class="note-text">{{ note }}</span></td></tr>
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

{{ sharer }} 与您共享了 »{{ file_name }}«。
{% if note != blank %}
{{ sharer }} 的留言：
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
<p class="muted">该链接将在 {{ expires_in_minutes }} 分钟后失效。如果您并没有申请重置密码，请忽略这封邮件，您的密码不会改变。</p>
`,
    text: `{{ user.display_name }}，您好：

我们收到了重置您的账户（{{ user.uid }}）密码的请求。

使用以下链接重置您的密码：
{{ link }}

该链接将在 {{ expires_in_minutes }} 分钟后失效。如果您并没有申请重置密码，请忽略这封邮件，您的密码不会改变。

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
<p class="activity-subject">{{ a.subject }}</p>
<p class="activity-meta"><a href="{{ a.link }}">{{ a.file_name }}</a> · {{ a.time }}</p>
</td></tr>
{%- endfor %}
</table>
{% if more > 0 -%}
<p>……另有 {{ more }} 条动态。<a href="{{ base_url }}">打开{{ instance_name }}</a>查看全部。</p>
{% endif -%}
<p class="muted">您收到这封邮件，是因为您开启了活动通知邮件。您可以<a href="{{ settings_link }}">修改通知设置</a>，或<a href="{{ unsubscribe_link }}">退订此类邮件</a>。</p>
`,
    text: `{{ user.display_name }}，您好：

以下是您的文件最近的动态：
{% for a in activities %}
* {{ a.subject }}
  {{ a.file_name }} · {{ a.time }}
  {{ a.link }}
{% endfor %}{% if more > 0 %}
……另有 {{ more }} 条动态。打开{{ instance_name }}查看全部：
{{ base_url }}
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
};
