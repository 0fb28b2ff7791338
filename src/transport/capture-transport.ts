import type { OutgoingMail, SendOptions, SendResult, Transport } from './transport.ts';

/** Where captured mail is kept (the database). */
export interface CaptureStore {
  /** `holdsLiveLink`: the store must not keep `raw` readable (main.ts seals it with the instance key). */
  save(mail: { messageId: string; envelopeFrom: string; envelopeTo: string[]; subject: string; raw: string; holdsLiveLink: boolean }): Promise<number>;
}

/** Mode `capture`: keeps the mail for the UI's inbox instead of sending it. */
export function createCaptureTransport(store: CaptureStore): Transport {
  async function send(mail: OutgoingMail, options: SendOptions = {}): Promise<SendResult> {
    const id = await store.save({
      messageId: mail.messageId,
      envelopeFrom: mail.envelope.from,
      envelopeTo: [...mail.envelope.to],
      subject: mail.subject,
      raw: mail.raw.toString('utf8'),
      holdsLiveLink: mail.holdsLiveLink === true,
    });
    options.transcript?.add('*', `mail_smtpmode is capture: the mail was kept as captured mail #${id}, not sent`);
    return { accepted: [...mail.envelope.to], rejected: [], response: `captured as #${id}`, via: 'capture', attempts: [], capturedId: id };
  }
  return { name: 'capture', send, close: async () => undefined };
}
