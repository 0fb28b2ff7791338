import type { Settings } from '../config/settings-schema.ts';
import type { UserRow } from '../db/user-repo.ts';
import type { ComposedMessage } from '../templates/compose-message.ts';
import { mailLanguage, type MailRenderer } from '../templates/render-mail.ts';
import type { UnsubscribeLinks } from './unsubscribe-links.ts';

export interface ShareMailInput {
  recipient: UserRow;
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

/**
 * The `share` mail to one recipient, as file clouds send it: from "Alice via <instance>" with
 * Reply-To Alice, the subject and dates in the recipient's language and time zone, the note and
 * the expiry when given, and a one-click unsubscribe from share mails.
 */
export async function renderShareMail(deps: { renderer: MailRenderer; unsubscribe: UnsubscribeLinks }, input: ShareMailInput, settings: Settings): Promise<ComposedMessage> {
  const user = input.recipient;
  const sharer = input.sharerName ?? settings.instance_name;
  const expiration = input.expiration;
  return deps.renderer.render(
    {
      template: 'share',
      to: { address: user.email as string, displayName: user.display_name, uid: user.uid, language: user.language, timeZone: user.timezone },
      data: {
        sharer,
        file_name: input.fileName,
        link: input.link ?? settings.base_url,
        // A date alone is that day wherever the reader is; a time is shown in their zone.
        expiration: expiration === undefined ? '' : /^\d{4}-\d{2}-\d{2}$/.test(expiration) ? calendarDate(expiration, mailLanguage(user.language, settings.mail_default_language)) : new Date(expiration),
        note: input.note ?? '',
      },
      unsubscribeUrl: deps.unsubscribe.url(settings.base_url, deps.unsubscribe.token(user.uid, ['share.created'])),
      fromName: `${sharer} via ${settings.instance_name}`,
      ...(input.sharerEmail ? { replyTo: input.sharerEmail } : {}),
    },
    settings,
  );
}
