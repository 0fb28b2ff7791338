import { createHmac, hkdfSync, timingSafeEqual } from 'node:crypto';
import { MailroomError } from '../errors.ts';
import { EVENT_TYPES, isEventType, type EventType } from '../domain/event-types.ts';

/**
 * Signed one-click unsubscribe tokens (RFC 8058): `payload.signature`, where the payload names the
 * user and the types the mail was about. Nothing is stored: the signature, made with a key derived
 * from the instance's secret key, is the proof. A digest's link covers the types in that digest.
 */
export function createUnsubscribeLinks(secretKey: Buffer) {
  const key = Buffer.from(hkdfSync('sha256', secretKey, Buffer.alloc(0), 'mailroom unsubscribe links v1', 32));
  const sign = (payload: string) => createHmac('sha256', key).update(payload).digest('base64url').slice(0, 32);
  return {
    token(uid: string, types: readonly EventType[]): string {
      const typeIndexes = [...new Set(types)]
        .map((t) => EVENT_TYPES.indexOf(t))
        .sort((a, b) => a - b)
        .join('.');
      const payload = `${Buffer.from(uid).toString('base64url')}~${typeIndexes}`;
      return `${payload}~${sign(payload)}`;
    },
    /** The user and types of a token; `unsubscribe_token_invalid` when it was not made here. */
    verify(token: string): { uid: string; types: EventType[] } {
      const invalid = () => new MailroomError('unsubscribe_token_invalid', 'This unsubscribe link is not valid; copy the whole link from the mail, or change your notifications in your personal settings');
      const match = /^([A-Za-z0-9_-]{1,120})~([0-9.]{1,40})~([A-Za-z0-9_-]{32})$/.exec(token);
      if (!match) throw invalid();
      const payload = `${match[1]}~${match[2]}`;
      const expected = Buffer.from(sign(payload));
      const given = Buffer.from(match[3] as string);
      if (expected.length !== given.length || !timingSafeEqual(expected, given)) throw invalid();
      const types = (match[2] as string).split('.').map((i) => EVENT_TYPES[Number(i)]);
      if (types.some((t) => t === undefined || !isEventType(t))) throw invalid();
      return { uid: Buffer.from(match[1] as string, 'base64url').toString('utf8'), types: types as EventType[] };
    },
    url(baseUrl: string, token: string): string {
      return `${baseUrl.replace(/\/+$/, '')}/unsubscribe/${token}`;
    },
  };
}

export type UnsubscribeLinks = ReturnType<typeof createUnsubscribeLinks>;
