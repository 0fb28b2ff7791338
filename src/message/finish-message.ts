import type { Settings } from '../config/settings-schema.ts';
import { senderAddress, type SenderKind } from '../domain/sender.ts';
import { assertHeaderSafe } from '../domain/address.ts';
import { composeMessage, type ComposedMessage } from './compose-message.ts';
import { dkimSign } from './dkim-sign.ts';
import { textFromHtml } from './html-to-text.ts';

/** What a mail says, before the instance's settings make it a message. */
export interface MailContent {
  /** The recipient's address, already checked (parseEmailAddress). */
  to: string;
  /** The recipient's display name for To, when known (users have one; an outside address has none). */
  toName?: string | undefined;
  subject: string;
  text?: string | undefined;
  html?: string | undefined;
  /**
   * When there is HTML but no text: derive the text part from the HTML (template mails), or send
   * the HTML alone (mails given as HTML only through the API, the CLI or the library). With
   * `mail_send_plaintext_only` the text is derived either way, since the HTML is dropped.
   */
  deriveText?: boolean | undefined;
  /** Whose no-reply address the mail comes from when `mail_from_address` is empty. Default: other. */
  senderKind?: SenderKind | undefined;
  /** The sender's display name when not the instance name (share mails: "Alice via Cloud"). */
  fromName?: string | undefined;
  replyTo?: string | undefined;
  /** Notification mails: the one-click unsubscribe link (RFC 8058). */
  unsubscribeUrl?: string | undefined;
}

/** The settings that shape every mail. */
const FINISH_SETTING_KEYS = ['instance_name', 'mail_from_address', 'mail_domain', 'mail_send_plaintext_only', 'mail_dkim_domain', 'mail_dkim_selector', 'mail_dkim_private_key'] as const;
export type FinishSettings = Pick<Settings, (typeof FINISH_SETTING_KEYS)[number]>;

/** The settings a finished mail depends on, and no others: they travel to the render thread with each mail. */
export function finishSettingsOf(settings: FinishSettings): FinishSettings {
  return Object.fromEntries(FINISH_SETTING_KEYS.map((key) => [key, settings[key]])) as FinishSettings;
}

export interface FinishDeps {
  clock: { now(): Date };
  /** The Message-ID's unique part (tests fix it); default randomUUID. */
  newId?: (() => string) | undefined;
}

/**
 * The one step that turns every mail into the bytes that are queued or sent: templates, the API
 * (`POST /api/v1/messages`), `mail:send`, the library's `enqueue()` and the test mail all end
 * here, so what the manual says of every mail holds for each of them: the sender (per kind when
 * `mail_from_address` is empty) and its display name, Reply-To, the text part and
 * `mail_send_plaintext_only`, List-Unsubscribe, Auto-Submitted, and the DKIM signature when the
 * three DKIM settings are set. Two places finishing messages had let API mails go out unsigned.
 */
export async function finishMessage(content: MailContent, settings: FinishSettings, deps: FinishDeps): Promise<ComposedMessage> {
  const plaintextOnly = settings.mail_send_plaintext_only;
  const html = plaintextOnly ? undefined : content.html;
  const text = content.text ?? (content.html !== undefined && (plaintextOnly || content.deriveText === true) ? await textFromHtml(content.html) : undefined);
  const headers: Record<string, string> = {};
  if (content.unsubscribeUrl !== undefined) {
    headers['List-Unsubscribe'] = `<${content.unsubscribeUrl}>`;
    headers['List-Unsubscribe-Post'] = 'List-Unsubscribe=One-Click';
  }
  const composed = await composeMessage(
    {
      from: { name: content.fromName ?? settings.instance_name, address: senderAddress(settings, content.senderKind ?? 'other') },
      to: content.to,
      ...(content.toName ? { toName: content.toName } : {}),
      subject: content.subject,
      ...(text !== undefined ? { text } : {}),
      ...(html !== undefined ? { html } : {}),
      domain: settings.mail_domain,
      date: deps.clock.now(),
      ...(content.replyTo ? { replyTo: content.replyTo } : {}),
      headers,
    },
    deps.newId,
  );
  const { mail_dkim_domain: domain, mail_dkim_selector: selector, mail_dkim_private_key: privateKey } = settings;
  if (!domain || !selector || !privateKey) return composed;
  return { ...composed, raw: await dkimSign(composed.raw, { domain, selector, privateKey }) };
}

/** A rendered template mail finished (TemplateEngine.renderMessage): its subject trimmed, one line. */
export function finishRendered(rendered: RenderedMail, job: FinishJob): Promise<ComposedMessage> {
  const subject = assertHeaderSafe(rendered.subject.trim(), 'subject');
  const { text } = rendered;
  return finishMessage({ ...job.content, subject, html: rendered.html, ...(text !== undefined ? { text } : {}) }, job.settings, { clock: { now: () => new Date(job.now) } });
}

/** The three parts of one mail, rendered (text undefined when the template has no text part). */
export interface RenderedMail {
  subject: string;
  html: string;
  text: string | undefined;
}

/**
 * What finishes a rendered mail: everything of MailContent but the rendered parts, the settings
 * that shape every mail, and the time the Date header is written with (the caller's clock).
 */
export interface FinishJob {
  content: Omit<MailContent, 'subject' | 'html' | 'text'>;
  settings: FinishSettings;
  /** Epoch milliseconds. */
  now: number;
}
