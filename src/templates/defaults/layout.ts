/**
 * The HTML layout that wraps the html part of every mail (Liquid). The rendered body arrives as
 * `content`, already safe HTML; everything else is escaped by the engine.
 *
 * Variables: instance_name, logo_url (empty: the instance name as text), logo_dark_url (empty: the
 * same logo in dark mode), logo_width and logo_height (the logo's box in CSS pixels), accent_color
 * (#rrggbb), footer (empty: instance name and base_url), base_url, lang (en, zh-CN, de, …), dir (ltr, or rtl for Arabic), start_side
 * (left, or right for rtl: where text aligns and the note's bar sits; a plain value, since juice
 * inlines the CSS with its Liquid outputs in place), title (the
 * subject), content.
 *
 * Built for Gmail, Outlook and Apple Mail: tables with role="presentation", 600px wide and
 * centred (an MSO-only fixed-width table for Outlook on Windows, which ignores max-width), every
 * style in the <style> block so juice can inline it, a prefers-color-scheme block for the clients
 * that honour it, and every text colour paired with a background colour so a client's own dark
 * mode never leaves light text on a light (or transparent) surface. The dark-mode rules sit in a
 * `<style data-embed>` block, which juice leaves as it is: Outlook.com's [data-ogsc]/[data-ogsb]
 * attributes only exist when it displays the mail. No external resource but the optional logo.
 *
 * Outlook for Windows draws with Word: it sizes an image by its width/height attributes alone (a
 * large logo would fill the screen), ignores padding on links (so a button's padding sits on its
 * cell) and ignores white-space (so line breaks in notes are <br>s, written by the templates). The
 * dark logo is a second image, hidden unless a dark-mode rule shows it; Outlook for Windows never
 * sees it (conditional comment), and mail programs that drop <style> keep it hidden (inlined
 * display: none).
 */
export const layoutHtml = `<!DOCTYPE html>
<html lang="{{ lang }}" dir="{{ dir }}">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Type" content="text/html; charset=utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="x-apple-disable-message-reformatting">
<meta name="format-detection" content="telephone=no, date=no, address=no, email=no">
<meta name="color-scheme" content="light dark">
<meta name="supported-color-schemes" content="light dark">
<title>{{ title }}</title>
<!--[if mso]>
<noscript><xml><o:OfficeDocumentSettings><o:PixelsPerInch>96</o:PixelsPerInch></o:OfficeDocumentSettings></xml></noscript>
<style>
body, table, td, p, a, h1, h2 { font-family: Arial, "Microsoft YaHei", SimSun, sans-serif !important; }
</style>
<![endif]-->
<style>
:root { color-scheme: light dark; supported-color-schemes: light dark; }
body { margin: 0; padding: 0; width: 100%; background-color: #f3f4f6; color: #1f2328; -webkit-text-size-adjust: 100%; -ms-text-size-adjust: 100%; }
table { border-collapse: collapse; mso-table-lspace: 0pt; mso-table-rspace: 0pt; }
img { border: 0; outline: none; text-decoration: none; -ms-interpolation-mode: bicubic; }
.wrapper { background-color: #f3f4f6; }
.outer { width: 100%; background-color: #f3f4f6; }
.outer-cell { padding: 24px 12px; background-color: #f3f4f6; }
.container { width: 100%; max-width: 600px; margin: 0 auto; }
.brand-cell { padding: 8px 4px 16px 4px; text-align: {{ start_side }}; background-color: #f3f4f6; }
.brand { font-family: -apple-system, BlinkMacSystemFont, "Segoe UI", Roboto, "Helvetica Neue", Arial, "PingFang SC", "Hiragino Sans GB", "Microsoft YaHei", "Noto Sans CJK SC", "Source Han Sans SC", sans-serif; font-size: 20px; line-height: 28px; font-weight: 700; color: #1f2328; text-decoration: none; }
.logo-link { text-decoration: none; }
.logo { display: block; max-width: 100%; border: 0; font-family: -apple-system, BlinkMacSystemFont, "Segoe UI", Roboto, "Helvetica Neue", Arial, "PingFang SC", "Hiragino Sans GB", "Microsoft YaHei", "Noto Sans CJK SC", "Source Han Sans SC", sans-serif; font-size: 20px; line-height: 28px; font-weight: 700; color: #1f2328; }
.logo-dark { display: none; }
.card { width: 100%; background-color: #ffffff; border: 1px solid #e1e4e8; border-radius: 8px; border-top: 4px solid {{ accent_color }}; }
.card-cell { padding: 28px 32px; background-color: #ffffff; color: #1f2328; font-family: -apple-system, BlinkMacSystemFont, "Segoe UI", Roboto, "Helvetica Neue", Arial, "PingFang SC", "Hiragino Sans GB", "Microsoft YaHei", "Noto Sans CJK SC", "Source Han Sans SC", sans-serif; font-size: 16px; line-height: 1.6; text-align: {{ start_side }}; }
h1 { margin: 0 0 16px 0; font-size: 22px; line-height: 1.35; font-weight: 700; color: #1f2328; }
p { margin: 0 0 16px 0; color: #1f2328; }
a { color: {{ accent_color }}; text-decoration: underline; }
strong { font-weight: 700; }
.button-table { margin: 8px 0 16px 0; border-collapse: separate; }
.button-cell { padding: 12px 24px; background-color: {{ accent_color }}; border-radius: 6px; text-align: center; }
.button { display: inline-block; background-color: {{ accent_color }}; color: #ffffff; font-size: 16px; line-height: 20px; font-weight: 600; text-decoration: none; }
.fallback { margin: 0 0 16px 0; font-size: 13px; line-height: 1.5; color: #57606a; }
.url { color: {{ accent_color }}; word-break: break-all; text-decoration: underline; }
.muted { font-size: 14px; color: #57606a; }
.note { width: 100%; margin: 0 0 16px 0; }
.note-cell { padding: 12px 16px; background-color: #f6f8fa; border-{{ start_side }}: 4px solid {{ accent_color }}; color: #1f2328; font-size: 15px; }
.note-label { font-size: 13px; font-weight: 600; color: #57606a; }
.activities { width: 100%; margin: 0 0 20px 0; }
.activity-cell { padding: 12px 0; border-bottom: 1px solid #e1e4e8; }
.activity-subject { margin: 0 0 4px 0; font-size: 15px; color: #1f2328; }
.activity-meta { margin: 0; font-size: 13px; color: #57606a; }
.signature { margin: 24px 0 0 0; font-size: 14px; color: #57606a; }
.footer-cell { padding: 16px 8px; background-color: #f3f4f6; color: #57606a; font-family: -apple-system, BlinkMacSystemFont, "Segoe UI", Roboto, "Helvetica Neue", Arial, "PingFang SC", "Hiragino Sans GB", "Microsoft YaHei", "Noto Sans CJK SC", "Source Han Sans SC", sans-serif; font-size: 12px; line-height: 1.5; text-align: center; }
.footer-text { white-space: pre-line; }
.footer-cell a { color: #57606a; text-decoration: underline; }
@media only screen and (max-width: 620px) {
  .outer-cell { padding: 12px 6px !important; }
  .card-cell { padding: 20px 18px !important; }
  /* A logo wider than a phone's screen is narrowed by max-width: keep its proportions there. */
  .logo { height: auto !important; }
}
</style>
<style data-embed>
@media (prefers-color-scheme: dark) {
  body, .wrapper, .outer, .outer-cell, .brand-cell, .footer-cell { background-color: #16181d !important; }
  .card, .card-cell { background-color: #22262e !important; border-color: #3a3f4b !important; }
  .card { border-top-color: {{ accent_color }} !important; }
  .card-cell, h1, p, .brand, .activity-subject { color: #e8eaed !important; }
  .fallback, .muted, .activity-meta, .signature, .note-label, .footer-cell, .footer-cell a { color: #a8b0bc !important; }
  .note-cell { background-color: #2b303a !important; color: #e8eaed !important; }
  .activity-cell { border-bottom-color: #3a3f4b !important; }
  a, .url { color: #8ab4f8 !important; }
  .button { color: #ffffff !important; background-color: {{ accent_color }} !important; }
  .logo-light { display: none !important; }
  .logo-dark { display: block !important; }
}
[data-ogsc] .card-cell, [data-ogsc] h1, [data-ogsc] p, [data-ogsc] .activity-subject { color: #e8eaed !important; }
[data-ogsc] .button { color: #ffffff !important; }
[data-ogsb] .card, [data-ogsb] .card-cell { background-color: #22262e !important; }
[data-ogsb] .button-cell, [data-ogsb] .button { background-color: {{ accent_color }} !important; }
[data-ogsc] .logo-light { display: none !important; }
[data-ogsc] .logo-dark { display: block !important; }
</style>
</head>
<body class="body">
<div class="wrapper" lang="{{ lang }}" dir="{{ dir }}" role="article" aria-roledescription="email" aria-label="{{ title }}">
<table role="presentation" class="outer" width="100%" cellpadding="0" cellspacing="0" border="0">
<tr>
<td class="outer-cell" align="center">
<!--[if mso]><table role="presentation" width="600" align="center" cellpadding="0" cellspacing="0" border="0"><tr><td><![endif]-->
<table role="presentation" class="container" width="100%" cellpadding="0" cellspacing="0" border="0">
<tr>
<td class="brand-cell">
{%- if logo_url != blank and logo_dark_url != blank %}
<a href="{{ base_url }}" class="logo-link"><img class="logo logo-light" src="{{ logo_url }}" alt="{{ instance_name }}" width="{{ logo_width }}" height="{{ logo_height }}"><!--[if !mso]><!--><img class="logo logo-dark" src="{{ logo_dark_url }}" alt="{{ instance_name }}" width="{{ logo_width }}" height="{{ logo_height }}"><!--<![endif]--></a>
{%- elsif logo_url != blank %}
<a href="{{ base_url }}" class="logo-link"><img class="logo" src="{{ logo_url }}" alt="{{ instance_name }}" width="{{ logo_width }}" height="{{ logo_height }}"></a>
{%- else %}
<a href="{{ base_url }}" class="brand">{{ instance_name }}</a>
{%- endif %}
</td>
</tr>
<tr>
<td>
<table role="presentation" class="card" width="100%" cellpadding="0" cellspacing="0" border="0">
<tr>
<td class="card-cell">
{{ content | raw }}
</td>
</tr>
</table>
</td>
</tr>
<tr>
<td class="footer-cell">
{%- if footer != blank %}
<span class="footer-text">{{ footer }}</span>
{%- else %}
{{ instance_name }}<br><a href="{{ base_url }}">{{ base_url }}</a>
{%- endif %}
</td>
</tr>
</table>
<!--[if mso]></td></tr></table><![endif]-->
</td>
</tr>
</table>
</div>
</body>
</html>
`;
