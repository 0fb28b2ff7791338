import type { CapturedMail } from '../domain/outbox.ts';
import type { CapturedMailView } from '../domain/api-types.ts';
import { parseMessage } from '../message/mime-message.ts';
import { MailroomError } from '../errors.ts';
import type { SecretBox } from '../config/secret-box.ts';
import { maskLinkTokens } from '../domain/link-tokens.ts';
import { isSealedRaw, openRaw } from './sealed-raw.ts';

/** The captured_mail table as the service needs it (implemented by db/captured-mail-repo.ts). */
export interface CapturedMailStore {
  summaries(input: { limit: number; beforeId?: number | undefined }): Promise<Array<Omit<CapturedMail, 'raw'>>>;
  get(id: number): Promise<CapturedMail | undefined>;
}

/**
 * The inbox of mode `capture`: the mails Mailroom kept instead of sending them. A captured mail is
 * the delivered copy, so one with a one-time link is kept sealed like its outbox row (main.ts seals
 * it on save) and shown with the link masked: capture mode must not hand admins working reset or
 * invitation links of other people's accounts.
 */
export function createCapturedMailService(deps: { store: CapturedMailStore; secretBox: SecretBox }) {
  return {
    /** Newest first, without the messages (at most 1000; `beforeId` pages back). */
    list: (input: { limit?: number | undefined; beforeId?: number | undefined } = {}) => deps.store.summaries({ limit: Math.min(input.limit ?? 100, 1000), beforeId: input.beforeId }),
    /** One captured mail with the `raw` message and its `headers` and `parts` read from it. */
    async show(id: number): Promise<CapturedMailView & { raw: string }> {
      const mail = await deps.store.get(id);
      if (!mail) throw new MailroomError('not_found', `No captured mail #${id}`);
      // Every captured mail is masked, not only the sealed ones: those captured before sealing
      // existed have no other mark. It is a page view, not the send path.
      const opened = openRaw(deps.secretBox, mail.raw);
      const raw = maskLinkTokens(opened);
      const masked = isSealedRaw(mail.raw) || raw !== opened;
      // The capture transport keeps the message's bytes as UTF-8 text.
      return { ...mail, raw, masked, ...parseMessage(Buffer.from(raw, 'utf8')) };
    },
    /** The message as a `.eml` file, masked as `show` shows it. */
    async eml(id: number): Promise<{ fileName: string; bytes: Buffer; masked: boolean }> {
      const mail = await this.show(id);
      return { fileName: `captured-${id}.eml`, bytes: Buffer.from(mail.raw, 'utf8'), masked: mail.masked };
    },
  };
}

export type CapturedMailService = ReturnType<typeof createCapturedMailService>;
