import type { Settings } from '../config/settings-schema.ts';
import type { UserRow } from '../db/user-repo.ts';
import { translate } from '../templates/catalogs.ts';
import { onBehalfName } from '../domain/sender.ts';
import type { ComposedMessage } from '../message/compose-message.ts';
import { mailLanguage, type MailRenderer } from '../templates/render-mail.ts';
import type { TemplateLanguage } from '../templates/template-catalog.ts';
import type { UnsubscribeLinks } from './unsubscribe-links.ts';

/** What a share mail needs of a person: a user row, or the copy an owed mail keeps of one. */
export type MailPerson = Pick<UserRow, 'uid' | 'email' | 'display_name' | 'language' | 'timezone'>;

export interface ShareMailInput {
  recipient: MailPerson;
  /** The sharer as recipients know them (their display name), or undefined for the instance. */
  sharerName: string | undefined;
  /** The sharer's own address, for Reply-To. */
  sharerEmail: string | null | undefined;
  fileName: string;
  link: string | undefined;
  /** ISO 8601: a date alone ("2026-12-31") or a time. */
  expiration: string | undefined;
  note: string | undefined;
}

/** "31 Dec 2026" / "2026年12月31日" for a date without a time. */
function calendarDate(date: string, language: string): string {
  return new Intl.DateTimeFormat(language, { dateStyle: 'medium', timeZone: 'UTC' }).format(Date.parse(`${date}T00:00:00Z`));
}

/** The expiry as the reader should see it: a date alone is that day wherever they are; a time is shown in their zone. */
function expiryFor(expiration: string | undefined, language: string | null, settings: Settings): string | Date {
  if (expiration === undefined) return '';
  return /^\d{4}-\d{2}-\d{2}$/.test(expiration) ? calendarDate(expiration, mailLanguage(language, settings.mail_default_language)) : new Date(expiration);
}

// ownCloud's "%s via %s", in each language the mails are written in (the catalogs' share.via);
// the Chinese one spaced by the one rule: "王小明通过 Example Cloud", "Bob Berg 通过示例云盘".
const via = (language: TemplateLanguage, sharer: string, instance: string): string => translate(language, 'share.via', { sharer, instance_name: instance });

/**
 * The sharer as the subject and body name them: cleaned like the From name (onBehalfName), so
 * "Andersen, Alice <boss@bank.example>" cannot put an address of its choosing in a subject; the
 * instance when nothing is left.
 */
function shownSharer(name: string | undefined, settings: Pick<Settings, 'instance_name'>): string {
  const shown = name === undefined ? '' : onBehalfName(name);
  return shown === '' ? settings.instance_name : shown;
}

/**
 * The From name of a mail sent for a person: "Alice via Cloud" in the mail's language, the name
 * cleaned of anything that could show another sender (onBehalfName); the instance alone when
 * nothing of it is left.
 */
export function sharerFromName(sharer: string, settings: Pick<Settings, 'instance_name' | 'mail_default_language'>, language: string | null | undefined): string {
  const shown = onBehalfName(sharer);
  return shown === '' ? settings.instance_name : via(mailLanguage(language, settings.mail_default_language), shown, settings.instance_name);
}

/** Reply-To of a share mail: the sharer's address unless `mail_share_reply_to` is none. */
export function sharerReplyTo(email: string | null | undefined, settings: Pick<Settings, 'mail_share_reply_to'>): { replyTo: string } | Record<string, never> {
  return email && settings.mail_share_reply_to === 'sharer' ? { replyTo: email } : {};
}

/**
 * The `share` mail to one recipient, as file clouds send it: from "Alice via <instance>" with
 * Reply-To Alice (unless `mail_share_reply_to` is none), the From name, subject and dates in the
 * recipient's language and time zone, the note and the expiry when given, and a one-click
 * unsubscribe from share mails.
 */
export async function renderShareMail(deps: { renderer: MailRenderer; unsubscribe: UnsubscribeLinks }, input: ShareMailInput, settings: Settings): Promise<ComposedMessage> {
  const user = input.recipient;
  const sharer = shownSharer(input.sharerName, settings);
  return deps.renderer.render(
    {
      template: 'share',
      to: { address: user.email as string, displayName: user.display_name, uid: user.uid, language: user.language, timeZone: user.timezone },
      data: {
        sharer,
        file_name: input.fileName,
        link: input.link ?? settings.base_url,
        expiration: expiryFor(input.expiration, user.language, settings),
        note: input.note ?? '',
      },
      unsubscribeUrl: deps.unsubscribe.url(settings.base_url, deps.unsubscribe.token(user.uid, ['share.created'])),
      fromName: input.sharerName === undefined ? settings.instance_name : sharerFromName(input.sharerName, settings, user.language),
      ...sharerReplyTo(input.sharerEmail, settings),
    },
    settings,
  );
}

export interface LinkShareMailInput {
  /** An outside address: not a user, so no name, language or time zone of its own. */
  address: string;
  sharer: MailPerson;
  /** The mail's language when the sharer chose one; else the sharer's. */
  language: string | undefined;
  fileName: string;
  link: string;
  expiration: string | undefined;
  note: string | undefined;
}

/**
 * The `link_share` mail: a public link sent to an outside address, from "Alice via <instance>"
 * with Reply-To Alice (unless `mail_share_reply_to` is none), written in the sharer's language
 * and time zone (the reader's are unknown).
 * No unsubscribe: there is no account behind the address, and each mail is the sharer's own act.
 */
export async function renderLinkShareMail(deps: { renderer: MailRenderer }, input: LinkShareMailInput, settings: Settings): Promise<ComposedMessage> {
  const language = input.language ?? input.sharer.language;
  return deps.renderer.render(
    {
      template: 'link_share',
      to: { address: input.address, displayName: input.address, uid: '', language, timeZone: input.sharer.timezone },
      data: { sharer: shownSharer(input.sharer.display_name, settings), file_name: input.fileName, link: input.link, expiration: expiryFor(input.expiration, language, settings), note: input.note ?? '' },
      fromName: sharerFromName(input.sharer.display_name, settings, language),
      ...sharerReplyTo(input.sharer.email, settings),
    },
    settings,
  );
}
