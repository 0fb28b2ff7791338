import { defaultSettings, type Settings } from '../../src/config/settings-schema.ts';
import { composeMessage } from '../../src/message/compose-message.ts';
import type { OutgoingMail } from '../../src/transport/transport.ts';

/** Settings as a fresh install has them, with the given changes. */
export function settingsWith(changes: Partial<Settings>): Settings {
  return { ...defaultSettings(), mail_domain: 'example.test', ...changes };
}

/** A small finished message with a unique subject, for asserting what arrived. */
export async function testMessage(to: string, subject = `transport test ${Math.random().toString(36).slice(2)}`): Promise<OutgoingMail> {
  const m = await composeMessage({
    from: { name: 'Mailroom Test', address: 'sender@example.test' },
    to,
    subject,
    text: 'Hello from the transport tests.\n',
    domain: 'example.test',
    date: new Date(),
  });
  return { envelope: m.envelope, raw: m.raw, messageId: m.messageId, subject };
}

export const systemClock = { now: () => new Date() };

/** The settings that send through a test Postfix: STARTTLS with its certificate trusted, AUTH PLAIN. */
export function postfixSettings(postfix: { smtpPort: number; certPath: string; user: string; pass: string }): Partial<Settings> {
  return {
    mail_smtpmode: 'smtp',
    mail_smtphost: '127.0.0.1',
    mail_smtpport: postfix.smtpPort,
    mail_smtpsecure: 'tls',
    mail_smtptls_ca: postfix.certPath,
    mail_smtpauth: true,
    mail_smtpauthtype: 'PLAIN',
    mail_smtpname: postfix.user,
    mail_smtppassword: postfix.pass,
  };
}

/**
 * The settings of a cloud at cloud.example.com that sends through a test Postfix (postfixSettings),
 * giving up on the server after 5 s rather than the default minute.
 */
export function cloudSendingThrough(postfix: Parameters<typeof postfixSettings>[0]): Partial<Settings> {
  return { ...postfixSettings(postfix), mail_smtptimeout: 5, mail_domain: 'cloud.example.com' };
}

/**
 * Waits until nothing is queued or being sent (the worker has handed every mail to the server),
 * then `settleMs` more: Postfix files a mail into the Maildir a moment after its 250.
 */
/**
 * Every mail the outbox ever took, whatever its state: a worker moving mails from sending to sent
 * does not change it, so "nothing was queued" compares this, once the outbox is idle.
 */
export async function outboxTotal(outbox: { counts(): Promise<Record<string, number>> }): Promise<number> {
  return Object.values(await outbox.counts()).reduce((sum, n) => sum + n, 0);
}

/** Waits until no mail is queued or sending (a deadline for a stuck worker, not a speed test: a busy machine may take many seconds). */
export async function outboxIdle(outbox: { pending(): Promise<number> }, settleMs = 0): Promise<void> {
  const deadline = Date.now() + 45_000;
  while ((await outbox.pending()) > 0) {
    if (Date.now() > deadline) throw new Error('the outbox did not empty within 45 s');
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  if (settleMs > 0) await new Promise((resolve) => setTimeout(resolve, settleMs));
}

/**
 * Sends what is queued with a worker of its own, round after round until a round finds nothing
 * due, then stops that worker: as `mailroom worker` does between polls, with nothing left running.
 */
export async function deliverQueued(ctx: { createWorker(): { runOnce(): Promise<number>; stop(): Promise<void> } }): Promise<void> {
  const worker = ctx.createWorker();
  try {
    while ((await worker.runOnce()) > 0);
  } finally {
    await worker.stop();
  }
}
