import { senderAddress } from '../domain/sender.ts';
import type { ErrorCode } from '../errors.ts';
import { MailroomError, isMailroomError } from '../errors.ts';
import { parseEmailAddress } from '../domain/address.ts';
import type { SettingsReader } from '../config/settings-service.ts';
import { secretKeys, type Settings } from '../config/settings-schema.ts';
import { mailLanguage, type MailRenderer } from '../templates/render-mail.ts';
import { sharerFromName, sharerReplyTo } from '../notifications/share-mail.ts';
import { sampleData, sampleSharer } from '../templates/sample-data.ts';
import { TEMPLATE_NAMES, isTemplateLanguage, isTemplateName, type TemplateLanguage, type TemplateName } from '../templates/template-catalog.ts';
import type { TransportFactory } from '../transport/create-transport.ts';
import { createTranscript } from '../transport/transcript.ts';
import { isTransportError } from '../transport/transport.ts';
import type { TestMailRecord } from '../domain/outbox.ts';
import type { TestMailReport as ApiTestMailReport } from '../domain/api-types.ts';

function samplePerson(language: TemplateLanguage): { display_name: string; uid: string } {
  return sampleData('test', language).user as { display_name: string; uid: string };
}

const isShareTemplate = (name: TemplateName) => name === 'share' || name === 'link_share';

/** A share mail's sender, as the real one has it (From "Bob Berg via <instance>", Reply-To per mail_share_reply_to), for the sample sharer. */
function sharedBySample(language: TemplateLanguage, settings: Settings): { fromName: string; replyTo?: string } {
  const sharer = sampleSharer(language);
  return { fromName: sharerFromName(sharer.name, settings, language), ...sharerReplyTo(sharer.email, settings) };
}

/** What a test mail's send reports (the API's shape: domain/api-types.ts). */
export type TestMailReport = ApiTestMailReport<ErrorCode>;

export interface MailTestServiceDeps {
  settings: SettingsReader;
  transports: TransportFactory;
  /** The admin's own address and language, used when no address is given. */
  adminContact(): Promise<{ email: string | null; language: string; displayName?: string; uid?: string } | undefined>;
  renderer: MailRenderer;
  clock: { now(): Date };
  /** Where each test mail is recorded, as it goes past the outbox (implemented by db/test-mail-repo.ts). */
  history: { record(mail: Omit<TestMailRecord, 'id'>): Promise<unknown>; list(input: { limit: number; beforeId?: number | undefined }): Promise<TestMailRecord[]> };
}

export interface TestSendOptions {
  to?: string | undefined;
  debug?: boolean | undefined;
  language?: string | undefined;
}

/**
 * The "Send email" button, and the test-send of a template: one mail sent at once (not through
 * the outbox) with the current settings, reporting the server's answer or a diagnosis.
 */
export function createMailTestService(deps: MailTestServiceDeps) {
  async function send(template: TemplateName, options: TestSendOptions, data: (language: TemplateLanguage, settings: Settings) => Record<string, unknown>, sender: (language: TemplateLanguage, settings: Settings) => { fromName?: string; replyTo?: string } = () => ({})): Promise<TestMailReport> {
    const settings = await deps.settings.get();
    const admin = options.to ? undefined : await deps.adminContact();
    const toText = options.to ?? admin?.email ?? undefined;
    if (!toText) {
      throw new MailroomError('no_recipient', 'No address to send the test mail to: give one (--to ADDRESS, or "to" in the request), or set your own email address');
    }
    const to = parseEmailAddress(toText, 'recipient');
    parseEmailAddress(senderAddress(settings), 'sender (mail_from_address@mail_domain)');
    // The admin's own language, unless a language was asked for or the mail goes elsewhere.
    const language = mailLanguage(options.language ?? (admin ? admin.language : undefined), settings.mail_default_language);
    const templateData = data(language, settings);
    const unsubscribe = templateData.unsubscribe_link;
    const message = await deps.renderer.render(
      {
        template,
        // A test mail to another address still greets someone by name: the sample person's.
        to: admin ? { address: to, displayName: admin.displayName, uid: admin.uid, language } : { address: to, displayName: samplePerson(language).display_name, uid: samplePerson(language).uid, language },
        data: templateData,
        ...(typeof unsubscribe === 'string' ? { unsubscribeUrl: unsubscribe } : {}),
        ...sender(language, settings),
      },
      settings,
    );
    const debug = options.debug ?? settings.mail_smtpdebug;
    const transcript = createTranscript(secretKeys.map((k) => String(settings[k])).filter((s) => s !== ''));
    const base = { to, mode: settings.mail_smtpmode };
    const report = await deliver();
    await deps.history.record({
      template,
      recipient: to,
      subject: message.subject,
      mode: report.mode,
      ok: report.ok,
      via: report.via ?? null,
      response: report.response ?? null,
      errorCode: report.error?.code ?? null,
      errorMessage: report.error?.message ?? null,
      createdAt: deps.clock.now().getTime(),
    });
    return report;

    async function deliver(): Promise<TestMailReport> {
      try {
        const transport = await deps.transports.create(settings);
        try {
          const result = await transport.send({ envelope: message.envelope, raw: message.raw, messageId: message.messageId, subject: message.subject }, { transcript });
          return { ...base, ok: true, via: result.via, response: result.response, attempts: result.attempts, ...(result.capturedId !== undefined ? { captured: result.capturedId } : {}), ...(debug ? { transcript: transcript.toString() } : {}) };
        } finally {
          await transport.close();
        }
      } catch (error) {
        if (!isMailroomError(error)) throw error;
        const { reply, problem, fix } = isTransportError(error) ? error.failure : {};
        return {
          ...base,
          ok: false,
          attempts: isTransportError(error) ? error.attempts : [],
          error: { code: error.code, message: error.message, ...(reply ? { reply } : {}), ...(problem ? { problem } : {}), ...(fix ? { fix } : {}) },
          ...(debug ? { transcript: transcript.toString() } : {}),
        };
      }
    }
  }

  return {
    /** The test mails sent lately, newest first (at most 1000 a page; `beforeId` pages back): the Outbox page's "Test mails". */
    recent: (input: { limit?: number | undefined; beforeId?: number | undefined } = {}) => deps.history.list({ limit: Math.min(input.limit ?? 100, 1000), beforeId: input.beforeId }),
    /** The settings page's test mail (template `test`). */
    sendTestMail: (options: TestSendOptions = {}) => send('test', options, () => ({})),
    /** A template, in force for that language, rendered with its sample data and sent at once. */
    sendTemplateTest(name: string, options: TestSendOptions = {}): Promise<TestMailReport> {
      if (!isTemplateName(name)) throw new MailroomError('not_found', `No template is named "${name}"; the templates are ${TEMPLATE_NAMES.join(', ')}`);
      if (options.language !== undefined && !isTemplateLanguage(options.language)) throw new MailroomError('not_found', `Templates have no language "${options.language}"`);
      // Only the template's own sample variables: the common ones (user, instance) are the real ones.
      return send(
        name,
        options,
        (language, settings) => {
          const { user: _user, instance_name: _instance, base_url: _base, ...own } = sampleData(name, language, { instance_name: settings.instance_name, base_url: settings.base_url, now: deps.clock.now() });
          return own;
        },
        (language, settings) => (isShareTemplate(name) ? sharedBySample(language, settings) : {}),
      );
    },
  };
}

export type MailTestService = ReturnType<typeof createMailTestService>;
