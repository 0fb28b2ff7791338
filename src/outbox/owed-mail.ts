import { z } from 'zod';
import type { SecretBox } from '../config/secret-box.ts';
import type { NewOwedMail } from '../domain/outbox.ts';
import { TEMPLATE_NAMES } from '../templates/template-catalog.ts';
import { isSealedRaw, openRaw, sealRaw } from './sealed-raw.ts';

/**
 * What a request owes: enough to render the mail later, not the mail. The recipient and the
 * data (names, links, the note) are fixed when the request is answered; the template, the
 * layout and the settings (instance name, sender, appearance, DKIM, plain text only) are read
 * when a worker renders it, so a template fixed after the answer is the one the mail uses.
 */
const personSchema = z.object({
  uid: z.string(),
  email: z.string().nullable(),
  display_name: z.string(),
  language: z.string(),
  timezone: z.string(),
});
export type OwedPerson = z.infer<typeof personSchema>;

/** What an owed mail keeps of a user: the person as they were when the request was answered. */
export function person(user: OwedPerson): OwedPerson {
  return { uid: user.uid, email: user.email, display_name: user.display_name, language: user.language, timezone: user.timezone };
}

export const owedPayloadSchema = z.discriminatedUnion('type', [
  /** A share's mail to one recipient (share-mail.ts renders it with the settings of the moment). */
  z.object({
    type: z.literal('share'),
    recipient: personSchema,
    sharerName: z.string().nullable(),
    sharerEmail: z.string().nullable(),
    fileName: z.string(),
    link: z.string().nullable(),
    expiration: z.string().nullable(),
    note: z.string().nullable(),
  }),
  /** A public link mailed to an outside address. */
  z.object({
    type: z.literal('link_share'),
    address: z.string(),
    sharer: personSchema,
    language: z.string().nullable(),
    fileName: z.string(),
    link: z.string(),
    expiration: z.string().nullable(),
    note: z.string().nullable(),
  }),
  /** An account mail: its template, recipient and data; `dates` names the data keys that are times. */
  z.object({
    type: z.literal('account'),
    template: z.enum(TEMPLATE_NAMES),
    to: z.object({ address: z.string(), displayName: z.string().optional(), uid: z.string().optional(), language: z.string().nullable().optional(), timeZone: z.string().nullable().optional() }),
    data: z.record(z.string(), z.unknown()),
    dates: z.array(z.string()),
  }),
]);
export type OwedPayload = z.infer<typeof owedPayloadSchema>;

/**
 * The row of an owed mail. `sealWith`: the payload holds a live one-time link (a reset or an
 * invitation), so it is sealed with the instance key like the outbox message it becomes: the
 * database never holds the link in clear, owed or queued.
 */
export function owedMail(kind: string, key: string, payload: OwedPayload, sealWith?: SecretBox): NewOwedMail {
  const json = JSON.stringify(payload);
  return { kind, key, payload: sealWith ? sealRaw(sealWith, json) : json };
}

/** The payload back, opened when sealed; `sealed` says whether the mail must be queued sealed too. */
export function readOwedPayload(box: SecretBox, stored: string): { payload: OwedPayload; sealed: boolean } {
  const payload = owedPayloadSchema.parse(JSON.parse(openRaw(box, stored)) as unknown);
  return { payload, sealed: isSealedRaw(stored) };
}
