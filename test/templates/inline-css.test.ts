import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import juice from 'juice';
import { layoutHtml } from '../../src/templates/defaults/layout.ts';
import { inlineTemplateCss, loadJuice } from '../../src/templates/inline-css.ts';
import { createLiquidEngine } from '../../src/templates/liquid-engine.ts';
import { sampleData } from '../../src/templates/sample-data.ts';
import { SHIPPED_TEMPLATES } from '../../src/templates/shipped-templates.ts';
import { TEMPLATE_LANGUAGES, TEMPLATE_NAMES } from '../../src/templates/template-catalog.ts';

const appearance = { logo_url: 'https://cloud.example.com/logo.png', logo_dark_url: 'https://cloud.example.com/logo-dark.png', logo_width: 150, logo_height: 50, accent_color: '#123456', footer: 'Example & Co', title: 'A <b> title' };

describe('CSS inlined in the template sources, once', () => {
  const engine = createLiquidEngine({ layout: layoutHtml });
  const bare = createLiquidEngine();

  for (const language of TEMPLATE_LANGUAGES) {
    for (const name of TEMPLATE_NAMES) {
      it(`${name} in ${language}: inlined in its sources, and renders the HTML that inlining the rendered mail gave`, async () => {
        const body = SHIPPED_TEMPLATES[language][name].html;
        assert.notEqual(inlineTemplateCss(await loadJuice(), layoutHtml, body), undefined, 'the sources can be inlined');
        const data = { ...sampleData(name, language), ...appearance, lang: language, dir: language === 'ar' ? 'rtl' : 'ltr', start_side: language === 'ar' ? 'right' : 'left' };
        const content = await bare.render(body, 'html', data);
        const perMail = juice(await bare.render(layoutHtml, 'html', { ...data, content }), { removeStyleTags: false, preserveMediaQueries: true });
        // Inlining a rendered mail writes the note's <br /> (newline_to_br) as <br>: the same element.
        assert.equal((await engine.render(body, 'html', data)).replaceAll('<br />', '<br>'), perMail);
      });
    }
  }

  it('does not turn escaped braces into Liquid', async () => {
    const html = await engine.render('<p class="muted">&#123;&#123; user.uid &#125;&#125; {{ user.display_name }}</p>', 'html', { ...sampleData('test', 'en'), ...appearance, lang: 'en', dir: 'ltr', start_side: 'left' });
    assert.match(html, /<p class="muted" style="[^"]*font-size: 14px[^"]*">&#123;&#123; user\.uid &#125;&#125; Alice/);
  });

  it('leaves a body whose tags juice would rebalance to be inlined per mail, and still styles it', async () => {
    const body = '{% if user.uid != blank %}<p class="muted">{% else %}<p class="fallback">{% endif %}Hello</p>';
    assert.equal(inlineTemplateCss(await loadJuice(), layoutHtml, body), undefined);
    const html = await engine.render(body, 'html', { ...sampleData('test', 'en'), ...appearance, lang: 'en', dir: 'ltr', start_side: 'left' });
    assert.match(html, /<p class="muted" style="[^"]*font-size: 14px[^"]*">Hello<\/p>/);
  });

  it('leaves a body with a Liquid tag inside an HTML tag to be inlined per mail, so a class given in some mails is styled in those', async () => {
    const body = '<a {% if user.uid != blank %}class="button"{% endif %} href="{{ base_url }}">Open</a>';
    assert.equal(inlineTemplateCss(await loadJuice(), layoutHtml, body), undefined);
    const html = await engine.render(body, 'html', { ...sampleData('test', 'en'), ...appearance, lang: 'en', dir: 'ltr', start_side: 'left' });
    assert.match(html, /<a class="button" href="[^"]*" style="[^"]*display: inline-block/);
  });

  it("colours the layout with each mail's accent colour", async () => {
    const data = { ...sampleData('share', 'en'), ...appearance, lang: 'en', dir: 'ltr', start_side: 'left' };
    const red = await engine.render(SHIPPED_TEMPLATES.en.share.html, 'html', { ...data, accent_color: '#aa0000' });
    const blue = await engine.render(SHIPPED_TEMPLATES.en.share.html, 'html', { ...data, accent_color: '#0000aa' });
    assert.match(red, /class="button"[^>]*style="[^"]*#aa0000/);
    assert.match(blue, /class="button"[^>]*style="[^"]*#0000aa/);
    assert.doesNotMatch(blue, /#aa0000/);
  });
});
