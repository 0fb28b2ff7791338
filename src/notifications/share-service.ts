import { createHash } from 'node:crypto';
import type { NewOwedMail } from '../domain/outbox.ts';
import type { User } from '../domain/user.ts';
import { printable } from '../domain/address.ts';
import { MailroomError } from '../errors.ts';
import type { NotificationMailDeps } from './notification-mail-deps.ts';
import type { ShareNotifyInput } from './share-input.ts';
import { owedMail, person } from '../outbox/owed-mail.ts';

export interface ShareNotifyResult {
  /** Mailed now: the mails are owed (committed) and a worker renders and queues them. */
  mailed: string[];
  /** Mailed about this share before: nothing sent again. */
  already_notified: string[];
  /** No address (or disabled): could not be mailed. */
  not_mailable: string[];
  /** One line for the sharer: "could not mail: bob". */
  message: string;
}

export interface ShareNotifyStore {
  notifiedAbout(shareId: string, uids: readonly string[]): Promise<Set<string>>;
  recordShareMails(shareId: string, mails: Array<{ uid: string; owed: NewOwedMail }>, now: number): Promise<string[]>;
}

/**
 * Mails each recipient of a share once, however often the sharer presses "notify by email". The
 * mails are owed, not rendered: the answer comes once they are committed.
 */
export function createShareService(deps: Omit<NotificationMailDeps, 'renderer' | 'unsubscribe'> & { store: ShareNotifyStore }) {
  return {
    async notify(input: ShareNotifyInput): Promise<ShareNotifyResult> {
      const settings = await deps.settings.get();
      if (!settings.shareapi_allow_mail_notification) {
        throw new MailroomError('share_notification_disabled', 'Mailing users about shares is turned off on this instance (shareapi_allow_mail_notification)');
      }
      const recipients = [...new Set(input.recipients)];
      const users = new Map((await deps.findUsers([input.sharer, ...recipients])).map((u) => [u.uid, u]));
      const sharer = users.get(input.sharer);
      if (!sharer) throw new MailroomError('unknown_user', `sharer "${printable(input.sharer)}" is not a Mailroom user`, { details: { uid: input.sharer } });
      const unknown = recipients.find((uid) => !users.has(uid));
      if (unknown !== undefined) throw new MailroomError('unknown_user', `recipient "${printable(unknown)}" is not a Mailroom user`, { details: { uid: unknown } });

      const before = await deps.store.notifiedAbout(input.share_id, recipients);
      const notMailable = recipients.filter((uid) => !before.has(uid) && (users.get(uid)?.email == null || users.get(uid)?.disabled === true));
      const mails: Array<{ uid: string; owed: NewOwedMail }> = [];
      for (const uid of recipients) {
        if (before.has(uid) || notMailable.includes(uid)) continue;
        // share_notifications keeps each (share, recipient) once; the key says the same to the outbox.
        const key = `notify:${createHash('sha256').update(`${input.share_id}\n${uid}`).digest('hex').slice(0, 40)}`;
        const owed = owedMail('share', key, {
          type: 'share',
          recipient: person(users.get(uid) as User),
          sharerName: sharer.display_name,
          sharerEmail: sharer.email,
          fileName: input.object.name,
          link: input.link ?? null,
          expiration: input.expiration ?? null,
          note: input.note ?? null,
        });
        mails.push({ uid, owed });
      }
      const mailed = mails.length > 0 ? await deps.store.recordShareMails(input.share_id, mails, deps.clock.now().getTime()) : [];
      if (mailed.length > 0) deps.onQueued();
      const already = recipients.filter((uid) => before.has(uid) || (mails.some((m) => m.uid === uid) && !mailed.includes(uid)));
      const parts = [mailed.length > 0 ? `mailed: ${mailed.join(', ')}` : '', already.length > 0 ? `already notified: ${already.join(', ')}` : '', notMailable.length > 0 ? `could not mail: ${notMailable.join(', ')}` : ''].filter(Boolean);
      return { mailed, already_notified: already, not_mailable: notMailable, message: parts.join('; ') };
    },
  };
}

export type ShareService = ReturnType<typeof createShareService>;
