import type { ErrorCode } from '../errors.ts';
import { MailroomError, isMailroomError } from '../errors.ts';
import { parseEmailAddress } from '../domain/address.ts';
import type { SettingsService } from '../config/settings-service.ts';
import { secretKeys } from '../config/settings-schema.ts';
import { composeMessage } from '../templates/compose-message.ts';
import { testMailContent } from '../templates/test-mail-content.ts';
import type { TransportFactory } from '../transport/create-transport.ts';
import { createTranscript } from '../transport/transcript.ts';
import { isTransportError, type HostAttempt } from '../transport/transport.ts';

export interface TestMailReport {
  ok: boolean;
  to: string;
  mode: string;
  /** Which server or program took the mail. */
  via?: string;
  /** The server's final reply, verbatim. */
  response?: string;
  attempts: readonly HostAttempt[];
  /** The protocol conversation, credentials masked; only with debug on. */
  transcript?: string;
  error?: { code: ErrorCode; message: string; reply?: string };
}

export interface MailTestServiceDeps {
  settings: SettingsService;
  transports: TransportFactory;
  /** The admin's own address and language, used when no address is given. */
  adminContact(): Promise<{ email: string | null; language: string } | undefined>;
  clock: { now(): Date };
}

/** The "Send email" button: one test mail through the current settings, with a diagnosis. */
export function createMailTestService(deps: MailTestServiceDeps) {
  return {
    async sendTestMail(options: { to?: string | undefined; debug?: boolean | undefined; language?: string | undefined } = {}): Promise<TestMailReport> {
      const settings = await deps.settings.get();
      const admin = options.to ? undefined : await deps.adminContact();
      const toText = options.to ?? admin?.email ?? undefined;
      if (!toText) {
        throw new MailroomError('no_recipient', 'No address to send the test mail to: give one (--to ADDRESS, or "to" in the request), or set your own email address');
      }
      const to = parseEmailAddress(toText, 'recipient');
      const from = parseEmailAddress(`${settings.mail_from_address}@${settings.mail_domain}`, 'sender (mail_from_address@mail_domain)');
      const language = options.language ?? admin?.language ?? 'en';
      const content = testMailContent(language, settings.instance_name);
      const message = await composeMessage({
        from: { name: settings.instance_name, address: from },
        to,
        subject: content.subject,
        text: content.text,
        domain: settings.mail_domain,
        date: deps.clock.now(),
      });
      const debug = options.debug ?? settings.mail_smtpdebug;
      const transcript = createTranscript(secretKeys.map((k) => String(settings[k])).filter((s) => s !== ''));
      const base = { to, mode: settings.mail_smtpmode };
      try {
        const transport = await deps.transports.create(settings);
        try {
          const result = await transport.send({ envelope: message.envelope, raw: message.raw, messageId: message.messageId, subject: message.subject }, { transcript });
          return { ...base, ok: true, via: result.via, response: result.response, attempts: result.attempts, ...(debug ? { transcript: transcript.toString() } : {}) };
        } finally {
          await transport.close();
        }
      } catch (error) {
        if (!isMailroomError(error)) throw error;
        const reply = isTransportError(error) ? error.failure.reply : undefined;
        return {
          ...base,
          ok: false,
          attempts: isTransportError(error) ? error.attempts : [],
          error: { code: error.code, message: error.message, ...(reply ? { reply } : {}) },
          ...(debug ? { transcript: transcript.toString() } : {}),
        };
      }
    },
  };
}

export type MailTestService = ReturnType<typeof createMailTestService>;
