import { createHmac, hkdfSync, timingSafeEqual } from 'node:crypto';

/** The local part every VERP address starts with; `bounces+…` reaches the `bounces` alias on servers with `+` as recipient delimiter. */
export const VERP_LOCAL = 'bounces';

/**
 * VERP envelope senders (`bounces+<mail id>-<tag>@<domain>`): a bounce comes back to the address
 * of the one mail it is about, so it is matched without reading the bounce's text. The tag is an
 * HMAC of the id with a key derived from the instance's secret key, so a bounce made up for a mail
 * id (to suppress someone's mail) is told apart and ignored. Lower-case hex, because some servers
 * lower-case the local part on the way back.
 */
export function createVerpAddresses(secretKey: Buffer) {
  const key = Buffer.from(hkdfSync('sha256', secretKey, Buffer.alloc(0), 'mailroom verp v1', 32));
  const tag = (mailId: number) => createHmac('sha256', key).update(String(mailId)).digest('hex').slice(0, 12);
  return {
    address(mailId: number, domain: string): string {
      return `${VERP_LOCAL}+${mailId}-${tag(mailId)}@${domain}`;
    },
    /**
     * What an address says: `mail` with the id when it is one of ours, `forged` when it has the
     * shape with a tag this instance did not make, `none` when it is not a VERP address at all.
     */
    read(address: string): { kind: 'mail'; mailId: number } | { kind: 'forged'; mailId: number } | { kind: 'none' } {
      const match = /^bounces\+(\d{1,15})-([0-9a-f]{1,64})@/i.exec(address.trim());
      if (!match) return { kind: 'none' };
      const mailId = Number(match[1]);
      const expected = Buffer.from(tag(mailId));
      const given = Buffer.from((match[2] as string).toLowerCase());
      if (expected.length !== given.length || !timingSafeEqual(expected, given)) return { kind: 'forged', mailId };
      return { kind: 'mail', mailId };
    },
  };
}

export type VerpAddresses = ReturnType<typeof createVerpAddresses>;
