import type { Settings } from '../config/settings-schema.ts';
import type { SenderKind } from '../domain/sender.ts';
import { isTimeZone } from '../domain/time-zone.ts';
import type { ComposedMessage } from '../message/compose-message.ts';
import { finishSettingsOf } from '../message/finish-message.ts';
import { LANGUAGES, resolveLanguage } from '../domain/languages.ts';
import { TEMPLATE_DEFINITIONS, type TemplateLanguage, type TemplateName, type TemplateParts } from './template-catalog.ts';
import type { TemplateEngine } from './template-engine.ts';

export interface MailRecipient {
  address: string;
  displayName?: string | undefined;
  uid?: string | undefined;
  /** The person's language; the instance default (then English) when missing or not shipped. */
  language?: string | null | undefined;
  /** The person's IANA time zone (e.g. Asia/Shanghai); dates in the data are written in it. UTC when missing. */
  timeZone?: string | null | undefined;
}

export interface RenderMailInput {
  template: TemplateName;
  to: MailRecipient;
  /** The template's own variables (user, instance_name and base_url are added here). */
  data: Record<string, unknown>;
  /** Notification mails: the one-click unsubscribe link (RFC 8058). */
  unsubscribeUrl?: string | undefined;
  /** The sender's display name, when not the instance name (share mails: "Alice via Cloud"). */
  fromName?: string | undefined;
  replyTo?: string | undefined;
  /** The template's parts in force, when the caller read them already (a batch of digests reads them once). */
  parts?: TemplateParts | undefined;
}

/** Whose no-reply address a mail comes from when mail_from_address is empty. */
const SENDER_KIND: Partial<Record<TemplateName, SenderKind>> = { share: 'sharing', link_share: 'sharing', activity: 'activity' };

export interface MailRendererDeps {
  engine: TemplateEngine;
  /** The parts in force for a template and language: the admin's version or the shipped one. */
  partsOf(name: TemplateName, language: TemplateLanguage): Promise<TemplateParts>;
  clock: { now(): Date };
}

/** Picks the language a mail is written in: the recipient's, else the instance's, else English. */
export function mailLanguage(recipientLanguage: string | null | undefined, instanceDefault: string): TemplateLanguage {
  // The fallback chain of domain/languages.ts: de-AT → de → the instance's default → English.
  return resolveLanguage(recipientLanguage, instanceDefault);
}

/**
 * Writes every Date in the data out in the recipient's language and time zone ("26 Nov 2026,
 * 18:30" / "2026年11月26日 18:30"), so templates never format times themselves.
 */
export function localizeDates(value: unknown, language: TemplateLanguage, timeZone: string): unknown {
  if (value instanceof Date) return dateFormat(language, timeZone).format(value);
  if (Array.isArray(value)) return value.map((v) => localizeDates(v, language, timeZone));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, localizeDates(v, language, timeZone)]));
  }
  return value;
}

// One formatter per language and zone (both closed sets): making one costs ~0.1 ms, more than a
// whole digest's other date work, and a digest has up to 50 dates.
const dateFormats = new Map<string, Intl.DateTimeFormat>();
function dateFormat(language: TemplateLanguage, timeZone: string): Intl.DateTimeFormat {
  const key = `${language} ${timeZone}`;
  let f = dateFormats.get(key);
  if (!f) dateFormats.set(key, (f = new Intl.DateTimeFormat(language, { dateStyle: 'medium', timeStyle: 'short', timeZone })));
  return f;
}

/**
 * Times a reader must place exactly, a change to their own account, carry their zone:
 * "Nov 26, 2026, 2:37 PM GMT+8" / "2026年11月26日 14:37（GMT+8）". A digest's times do not: they
 * are all in the reader's zone, and the zone on each line would be noise.
 */
const ZONED_DATES: Partial<Record<TemplateName, readonly string[]>> = { password_changed: ['changed_at'], email_change_notice: ['changed_at'] };

const FULL_WIDTH_PARENTHESES: ReadonlySet<TemplateLanguage> = new Set(['zh-CN', 'zh-TW', 'ja']);

export function zonedDate(date: Date, language: TemplateLanguage, timeZone: string): string {
  const zone = new Intl.DateTimeFormat('en', { timeZone, timeZoneName: 'short' }).formatToParts(date).find((p) => p.type === 'timeZoneName')?.value ?? timeZone;
  const at = dateFormat(language, timeZone).format(date);
  // Chinese and Japanese set the zone in full-width parentheses, without a space.
  return FULL_WIDTH_PARENTHESES.has(language) ? `${at}（${zone}）` : `${at} ${zone}`;
}

function withZonedDates(template: TemplateName, data: Record<string, unknown>, language: TemplateLanguage, timeZone: string): Record<string, unknown> {
  const keys = ZONED_DATES[template];
  if (keys === undefined) return data;
  const out = { ...data };
  for (const key of keys) {
    const value = out[key];
    if (value instanceof Date) out[key] = zonedDate(value, language, timeZone);
  }
  return out;
}

function validTimeZone(zone: string | null | undefined): string {
  return zone && isTimeZone(zone) ? zone : 'UTC';
}

/**
 * Turns (template, recipient, data) into a finished message: subject, HTML in the shared layout
 * with its CSS inlined by the engine for mail programs that ignore <style>, and the template's text
 * part; finishMessage then adds what every mail gets (sender, text derived from the HTML when the
 * template has none, List-Unsubscribe on notifications, DKIM).
 */
export function createMailRenderer(deps: MailRendererDeps): MailRenderer {
  return {
    batch(): MailRenderer {
      const parts = new Map<string, Promise<TemplateParts>>();
      return createMailRenderer({
        ...deps,
        partsOf(name, language) {
          const key = `${name}\0${language}`;
          let read = parts.get(key);
          if (read === undefined) parts.set(key, (read = deps.partsOf(name, language)));
          return read;
        },
      });
    },
    /** The parts in force for a template and language, for callers that render many mails of it. */
    partsOf: (name: TemplateName, language: TemplateLanguage): Promise<TemplateParts> => deps.partsOf(name, language),
    async render(input: RenderMailInput, settings: Settings): Promise<ComposedMessage & { language: TemplateLanguage }> {
      const language = mailLanguage(input.to.language, settings.mail_default_language);
      const parts = input.parts ?? (await deps.partsOf(input.template, language));
      const data = {
        user: { display_name: input.to.displayName ?? input.to.address, uid: input.to.uid ?? '', email: input.to.address },
        instance_name: settings.instance_name,
        base_url: settings.base_url,
        ...(localizeDates(withZonedDates(input.template, input.data, language, validTimeZone(input.to.timeZone)), language, validTimeZone(input.to.timeZone)) as Record<string, unknown>),
      };
      // The engine wraps the html part in the shared layout, which reads these besides the body's
      // data (and the subject as its title), and inlines the layout's CSS (liquid-engine.ts).
      const layout = {
        lang: language,
        dir: LANGUAGES[language].direction,
        start_side: LANGUAGES[language].direction === 'rtl' ? 'right' : 'left',
        logo_url: settings.mail_logo_url,
        logo_dark_url: settings.mail_logo_dark_url,
        logo_width: settings.mail_logo_width,
        logo_height: settings.mail_logo_height,
        accent_color: settings.mail_accent_color,
        footer: settings.mail_footer,
      };
      const notification = TEMPLATE_DEFINITIONS[input.template].kind === 'notification';
      // Rendered and finished in one trip to the engine; without a text part of its own,
      // finishMessage derives the text from the HTML.
      const message = await deps.engine.renderMessage(parts, data, layout, {
        content: {
          to: input.to.address,
          // Callers without a name pass the address as one (link_share): To then carries the address alone.
          toName: input.to.displayName !== input.to.address ? input.to.displayName : undefined,
          deriveText: true,
          senderKind: SENDER_KIND[input.template] ?? 'other',
          fromName: input.fromName,
          replyTo: input.replyTo,
          ...(notification && input.unsubscribeUrl ? { unsubscribeUrl: input.unsubscribeUrl } : {}),
        },
        settings: finishSettingsOf(settings),
        now: deps.clock.now().getTime(),
      });
      return { ...message, language };
    },
  };
}

export interface MailRenderer {
  /** One finished mail: the template in force for the recipient's language, rendered and finished (finish-message.ts). */
  render(input: RenderMailInput, settings: Settings): Promise<ComposedMessage & { language: TemplateLanguage }>;
  /**
   * A renderer for one batch of mails (the share mails of a batch of events): each template's
   * parts are read once for the batch rather than once a mail. A version saved meanwhile reaches
   * the next batch.
   */
  batch(): MailRenderer;
  /** The parts in force for a template and language, for callers that render many mails of it. */
  partsOf(name: TemplateName, language: TemplateLanguage): Promise<TemplateParts>;
}
