/**
 * The sender address of Mailroom's mails: `mail_from_address@mail_domain`, or, when no from address
 * is set, a no-reply address per kind of mail as ownCloud writes them (`sharing-noreply@…` for
 * shares), so that an empty setting never makes a broken `@domain` sender.
 */
export type SenderKind = 'sharing' | 'activity' | 'other';

const NO_REPLY: Readonly<Record<SenderKind, string>> = { sharing: 'sharing-noreply', activity: 'activity-noreply', other: 'noreply' };

export function senderAddress(settings: { mail_from_address: string; mail_domain: string }, kind: SenderKind = 'other'): string {
  const local = settings.mail_from_address === '' ? NO_REPLY[kind] : settings.mail_from_address;
  return `${local}@${settings.mail_domain}`;
}
