import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { describe, it } from 'node:test';
import { dkimVerify } from 'mailauth/lib/dkim/verify.js';
import { simpleParser } from 'mailparser';
import { defaultSettings } from '../../src/config/settings-schema.ts';
import { layoutHtml } from '../../src/templates/defaults/layout.ts';
import { finishMessage } from '../../src/message/finish-message.ts';
import { createLiquidEngine } from '../../src/templates/liquid-engine.ts';
import { createMailRenderer } from '../../src/templates/render-mail.ts';
import { shippedParts } from '../../src/templates/shipped-templates.ts';
import type { TemplateLanguage, TemplateName } from '../../src/templates/template-catalog.ts';

const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const publicB64 = publicKey.export({ type: 'spki', format: 'der' }).toString('base64');
const resolver = async (name: string, rr: string) => {
  if (name === 'sel._domainkey.cloud.example.com' && rr === 'TXT') return [[`v=DKIM1; k=rsa; p=${publicB64}`]];
  throw Object.assign(new Error(`no ${rr} record for ${name}`), { code: 'ENOTFOUND' });
};
const settings = { ...defaultSettings(), mail_domain: 'cloud.example.com', instance_name: 'Example Cloud', mail_from_address: '' };
const signing = { ...settings, mail_dkim_domain: 'cloud.example.com', mail_dkim_selector: 'sel', mail_dkim_private_key: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString() };
const deps = { clock: { now: () => new Date('2026-11-26T10:00:00Z') } };

describe('finishing a mail', () => {
  it('signs with DKIM when the domain, the selector and the key are set, and only then', async () => {
    const signed = await finishMessage({ to: 'bob@example.org', subject: 'Report', text: 'Hi Bob' }, signing, deps);
    assert.equal((await dkimVerify(signed.raw, { resolver })).results[0]?.status.result, 'pass');
    const unsigned = await finishMessage({ to: 'bob@example.org', subject: 'Report', text: 'Hi Bob' }, { ...signing, mail_dkim_selector: '' }, deps);
    assert.doesNotMatch(unsigned.raw.toString('latin1'), /^DKIM-Signature:/m);
  });

  it('sends an HTML-only mail as HTML alone, or as text derived from it with mail_send_plaintext_only', async () => {
    const htmlOnly = (await finishMessage({ to: 'bob@example.org', subject: 'S', html: '<p>Hello <b>Bob</b></p>' }, settings, deps)).raw.toString('latin1');
    assert.match(htmlOnly, /^Content-Type: text\/html; charset=utf-8$/m);
    assert.doesNotMatch(htmlOnly, /text\/plain/);
    const plain = await finishMessage({ to: 'bob@example.org', subject: 'S', html: '<p>Hello <b>Bob</b></p>' }, { ...settings, mail_send_plaintext_only: true }, deps);
    const mail = await simpleParser(plain.raw);
    assert.equal(mail.html, false);
    assert.match(mail.text ?? '', /Hello Bob/);
  });

  it('derives the text part from the HTML when asked (template mails)', async () => {
    const mail = await simpleParser((await finishMessage({ to: 'bob@example.org', subject: 'S', html: '<p>Hello <b>Bob</b></p>', deriveText: true }, settings, deps)).raw);
    assert.match(mail.text ?? '', /Hello Bob/);
    assert.equal(typeof mail.html, 'string');
  });

  it('sets the sender per kind, its name, Reply-To, List-Unsubscribe and Auto-Submitted', async () => {
    const message = await finishMessage({ to: 'bob@example.org', subject: 'S', text: 'T', senderKind: 'sharing', fromName: 'Alice via Example Cloud', replyTo: 'alice@example.org', unsubscribeUrl: 'https://cloud.example.com/unsubscribe/x' }, settings, deps);
    const mail = await simpleParser(message.raw);
    assert.deepEqual(mail.from?.value[0], { address: 'sharing-noreply@cloud.example.com', name: 'Alice via Example Cloud' });
    assert.equal(message.envelope.from, 'sharing-noreply@cloud.example.com');
    assert.equal(mail.replyTo?.value[0]?.address, 'alice@example.org');
    const raw = message.raw.toString('latin1');
    assert.match(raw, /^List-Unsubscribe: <https:\/\/cloud\.example\.com\/unsubscribe\/x>$/m);
    assert.match(raw, /^List-Unsubscribe-Post: List-Unsubscribe=One-Click$/m);
    assert.equal(mail.headers.get('auto-submitted'), 'auto-generated');
  });
});

describe('a batch of template mails', () => {
  it("reads each template's parts once for the batch, not once a mail", async () => {
    const reads: string[] = [];
    const renderer = createMailRenderer({
      engine: createLiquidEngine({ layout: layoutHtml }),
      partsOf: async (name: TemplateName, lang: TemplateLanguage) => {
        reads.push(`${name}/${lang}`);
        return shippedParts(name, lang);
      },
      clock: deps.clock,
    });
    const batch = renderer.batch();
    for (const address of ['a@example.org', 'b@example.org', 'c@example.org']) {
      await batch.render({ template: 'test', to: { address, language: 'en' }, data: {} }, settings);
    }
    await batch.render({ template: 'test', to: { address: 'd@example.org', language: 'zh-CN' }, data: {} }, settings);
    assert.deepEqual(reads, ['test/en', 'test/zh-CN']);
    await renderer.render({ template: 'test', to: { address: 'e@example.org', language: 'en' }, data: {} }, settings);
    assert.equal(reads.length, 3, 'outside a batch, the parts in force are read again');
  });
});
