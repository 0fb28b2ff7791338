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

/**
 * A person's display name as it may stand in a From written on their behalf ("Alice via Cloud"):
 * without `<`, `>`, `"` and anything shaped like an address, so a name such as
 * "Andersen, Alice <boss@bank.example>" cannot pass for another sender in a mail program that
 * shows the name alone or picks the first address it sees. Empty when nothing is left.
 */
export function onBehalfName(name: string): string {
  return name
    .replace(/\S*@\S*/g, ' ')
    .replace(/[<>"]/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
}
