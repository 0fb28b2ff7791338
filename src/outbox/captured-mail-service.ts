import type { CapturedMail } from '../db/captured-mail-repo.ts';
import { parseMessage } from '../domain/mime-message.ts';
import { MailroomError } from '../errors.ts';

/** The captured_mail table as the service needs it (implemented by db/captured-mail-repo.ts). */
export interface CapturedMailStore {
  summaries(input: { limit: number; beforeId?: number | undefined }): Promise<Array<Omit<CapturedMail, 'raw'>>>;
  get(id: number): Promise<CapturedMail | undefined>;
}

/** The inbox of mode `capture`: the mails Mailroom kept instead of sending them. */
export function createCapturedMailService(deps: { store: CapturedMailStore }) {
  return {
    /** Newest first, without the messages (at most 1000; `beforeId` pages back). */
    list: (input: { limit?: number | undefined; beforeId?: number | undefined } = {}) => deps.store.summaries({ limit: Math.min(input.limit ?? 100, 1000), beforeId: input.beforeId }),
    /** One captured mail with the `raw` message and its `headers` and `parts` read from it. */
    async show(id: number) {
      const mail = await deps.store.get(id);
      if (!mail) throw new MailroomError('not_found', `No captured mail #${id}`);
      // The capture transport keeps the message's bytes as UTF-8 text.
      return { ...mail, ...parseMessage(Buffer.from(mail.raw, 'utf8')) };
    },
  };
}

export type CapturedMailService = ReturnType<typeof createCapturedMailService>;
