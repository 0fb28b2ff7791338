import { MailroomError } from '../errors.ts';
import type { SettingsReader } from '../config/settings-service.ts';
import { explainInvalidAddress } from '../domain/address.ts';
import { readBounce, type BounceKind, type BouncedRecipient } from '../domain/bounce-report.ts';
import { parseFields } from '../domain/mime-parts.ts';
import type { BounceRecord, BounceScoreRecord } from '../domain/bounce-records.ts';
import type { Logger } from '../log/logger.ts';
import type { VerpAddresses } from './verp-address.ts';

/** The bounce tables as the service needs them (implemented by db/bounce-repo.ts). */
export interface BounceStore {
  mail(id: number): Promise<{ id: number; kind: string; recipients: string[]; raw: string } | undefined>;
  record(bounce: Omit<BounceRecord, 'id'>, weight: number): Promise<{ id: number; score: number | null }>;
  forMail(mailId: number): Promise<BounceRecord[]>;
  scores(now: number, limit?: number): Promise<BounceScoreRecord[]>;
  atOrAbove(addresses: readonly string[], threshold: number, now: number): Promise<Set<string>>;
  clear(address: string): Promise<boolean>;
  recentOfKind(kind: string, since: number, limit: number): Promise<BounceRecord[]>;
  countsByKind(): Promise<Record<string, number>>;
}

/** A bounce larger than this is read from its first bytes only: the report comes first, the returned message last. */
export const MAX_BOUNCE_BYTES = 4 * 1024 * 1024;

/** How far back policy rejections make the reputation warning. */
export const POLICY_WARNING_MS = 7 * 24 * 3600_000;

export type IgnoredReason = 'auto_reply' | 'not_a_bounce' | 'no_failure' | 'no_verp_address' | 'forged_verp_address' | 'unknown_mail' | 'unknown_recipient';

export type ReceiveOutcome = { outcome: 'recorded'; mailId: number; bounces: Array<{ address: string; kind: BounceKind; status: string | null; score: number | null }> } | { outcome: 'ignored'; reason: IgnoredReason; mailId?: number };

export interface BounceServiceDeps {
  store: BounceStore;
  verp: VerpAddresses;
  settings: SettingsReader;
  clock: { now(): Date };
  log: Logger;
  /** Turns off, for its user, the notifications an unsubscribe link of a sent mail names (an ARF complaint). */
  unsubscribe(token: string): Promise<{ uid: string; types: string[] }>;
}

/** The unsubscribe token of a mail Mailroom sent, from its List-Unsubscribe field. */
function unsubscribeTokenOf(raw: string): string | undefined {
  const head = raw.split(/\r?\n\r?\n/, 1)[0] ?? '';
  // Folded when long: unfolded first, and a URL holds no white space.
  const field = /<([^>]+)>/.exec(parseFields(head).get('list-unsubscribe')?.[0] ?? '')?.[1]?.replace(/\s+/g, '');
  return field ? /\/unsubscribe\/([A-Za-z0-9_.~-]+)$/.exec(field)?.[1] : undefined;
}

/**
 * Bounces and complaints that came back to a VERP address: each is matched to its mail by the
 * address alone (a forged tag is ignored), kept beside the mail, and counted against the address
 * (hard and soft) or against the instance's reputation (policy); a complaint turns off that kind of
 * mail for its user. Suppression is read by the notification services through `suppressed()`.
 */
export function createBounceService(deps: BounceServiceDeps) {
  const { store, log } = deps;

  /** Which bounced address of the mail a reported recipient is: the same, its original, or the only one. */
  function recipientOf(mailRecipients: readonly string[], r: BouncedRecipient): string | undefined {
    const lower = mailRecipients.map((a) => a.toLowerCase());
    if (lower.includes(r.address)) return r.address;
    if (r.originalAddress && lower.includes(r.originalAddress)) return r.originalAddress;
    // Forwarded on the way (the final recipient is another address): a mail to one address is still that address's.
    return lower.length === 1 ? lower[0] : undefined;
  }

  return {
    /**
     * Reads one message that came to the bounce address and does what it says. Never throws for
     * what the message holds (anything unusable is ignored with a log line); throws only when
     * the database cannot be used, so that the mail server keeps the message and tries again.
     */
    async receive(raw: Buffer, options: { envelopeRecipient?: string | undefined; truncated?: boolean } = {}): Promise<ReceiveOutcome> {
      const now = deps.clock.now().getTime();
      const size = raw.length;
      const ignore = (reason: IgnoredReason, fields: Record<string, unknown> = {}, text = reason.replace(/_/g, ' ')): ReceiveOutcome => {
        log.info({ event: 'bounce_ignored', reason, size, ...fields }, `message to the bounce address ignored: ${text}`);
        return { outcome: 'ignored', reason, ...(typeof fields['mailId'] === 'number' ? { mailId: fields['mailId'] } : {}) };
      };
      if (options.truncated) log.warn({ event: 'bounce_truncated', limit: MAX_BOUNCE_BYTES }, `the message is larger than ${MAX_BOUNCE_BYTES} bytes; read from its first ${MAX_BOUNCE_BYTES}`);
      let reading;
      try {
        reading = readBounce(raw.toString('latin1'));
      } catch (error) {
        log.error({ event: 'bounce_unreadable', err: error }, 'the message could not be read');
        return ignore('not_a_bounce', {}, 'unreadable');
      }
      const candidates = [...(options.envelopeRecipient ? [options.envelopeRecipient] : []), ...reading.verpCandidates];
      const reads = candidates.map((c) => deps.verp.read(c));
      const ours = reads.find((r) => r.kind === 'mail');
      const forged = reads.find((r) => r.kind === 'forged');
      if (reading.type === 'ignored') return ignore(reading.reason, ours && 'mailId' in ours ? { mailId: ours.mailId } : {});
      if (ours?.kind !== 'mail') {
        return forged && forged.kind === 'forged' ? ignore('forged_verp_address', { claimedMailId: forged.mailId }, `the VERP address of mail #${forged.mailId} has a tag this instance did not make`) : ignore('no_verp_address', { format: reading.format });
      }
      const mail = await store.mail(ours.mailId);
      if (!mail) return ignore('unknown_mail', { mailId: ours.mailId }, `mail #${ours.mailId} is not in the outbox`);
      const settings = await deps.settings.get();
      const recorded: Extract<ReceiveOutcome, { outcome: 'recorded' }>['bounces'] = [];
      let strangers = 0;
      for (const r of reading.recipients) {
        const address = recipientOf(mail.recipients, r);
        if (!address) {
          strangers++;
          continue;
        }
        const weight = r.kind === 'hard' ? settings.mail_bounce_hard_score : r.kind === 'soft' ? settings.mail_bounce_soft_score : 0;
        const { score } = await store.record({ mailId: mail.id, address, kind: r.kind, format: reading.format, action: r.action, status: r.status, diagnostic: r.diagnostic?.slice(0, 2000) ?? null, reportingMta: reading.reportingMta?.slice(0, 400) ?? null, receivedAt: now }, weight);
        recorded.push({ address, kind: r.kind, status: r.status, score });
        if (r.kind === 'complaint') await unsubscribeAfterComplaint(mail);
      }
      if (recorded.length === 0) return ignore('unknown_recipient', { mailId: mail.id }, `the report names no recipient of mail #${mail.id}`);
      // One line per message, whatever the number of recipients it reports on.
      const policy = recorded.some((b) => b.kind === 'policy');
      const said = recorded.map((b) =>
        b.kind === 'policy'
          ? `refused by ${reading.reportingMta ?? 'the receiving server'} for the instance's reputation or content (${b.status ?? 'no status'}): check SPF, DKIM and DMARC; the address is not counted`
          : `${b.kind} ${b.kind === 'complaint' ? 'report' : 'bounce'} (${b.status ?? 'no status'})${b.score !== null ? `, the address's bounce score is ${b.score}` : ''}`,
      );
      log[policy ? 'warn' : 'info'](
        { event: 'bounce_recorded', mailId: mail.id, kinds: recorded.map((b) => b.kind), statuses: recorded.map((b) => b.status), scores: recorded.map((b) => b.score), format: reading.format, reportingMta: reading.reportingMta, ...(strangers > 0 ? { otherRecipients: strangers } : {}) },
        `mail #${mail.id}: ${said.join('; ')}${strangers > 0 ? `; ${strangers} recipient(s) the mail was not sent to ignored` : ''}`,
      );
      return { outcome: 'recorded', mailId: mail.id, bounces: recorded };
    },

    /** The bounces reported for one outbox mail. */
    forMail: (mailId: number) => store.forMail(mailId),

    /** Every address with a bounce score that has not decayed, and whether its notifications stop. */
    async list(): Promise<Array<BounceScoreRecord & { suppressed: boolean }>> {
      const [settings, scores] = await Promise.all([deps.settings.get(), store.scores(deps.clock.now().getTime())]);
      return scores.map((s) => ({ ...s, suppressed: s.score >= settings.mail_bounce_threshold }));
    },

    /** Of these addresses, those whose notifications stop (lower-cased). */
    async suppressed(addresses: readonly string[]): Promise<Set<string>> {
      if (addresses.length === 0) return new Set();
      const settings = await deps.settings.get();
      return store.atOrAbove(
        addresses.map((a) => a.toLowerCase()),
        settings.mail_bounce_threshold,
        deps.clock.now().getTime(),
      );
    },

    /** Forgets an address's bounce score (the admin's "clear", or a user who changed the address). */
    async clear(address: string): Promise<{ address: string; cleared: boolean }> {
      const problem = explainInvalidAddress(address);
      if (problem) throw new MailroomError('invalid_address', `"${address.slice(0, 320)}" is not a valid email address: ${problem}`, { details: { field: 'address' } });
      const lower = address.toLowerCase();
      const cleared = await store.clear(lower);
      if (cleared) log.info({ event: 'bounce_score_cleared' }, 'a bounce score was cleared');
      return { address: lower, cleared };
    },

    /**
     * Refusals of the instance itself (5.7.x, blocked, spam) in the last week: they say the
     * domain's SPF, DKIM or DMARC, or its reputation, needs the admin, not that the users' addresses are wrong.
     */
    async reputationWarning(): Promise<{ count: number; last: BounceRecord } | undefined> {
      const recent = await store.recentOfKind('policy', deps.clock.now().getTime() - POLICY_WARNING_MS, 100);
      const last = recent[0];
      return last && { count: recent.length, last };
    },

    countsByKind: () => store.countsByKind(),
  };

  async function unsubscribeAfterComplaint(mail: { id: number; kind: string; raw: string }): Promise<void> {
    const token = unsubscribeTokenOf(mail.raw);
    if (!token) {
      log.info({ event: 'complaint_without_unsubscribe', mailId: mail.id, kind: mail.kind }, `mail #${mail.id} (${mail.kind}) was reported as spam; it has no unsubscribe link, so nothing was turned off`);
      return;
    }
    try {
      const { types } = await deps.unsubscribe(token);
      log.info({ event: 'complaint_unsubscribed', mailId: mail.id, types }, `mail #${mail.id} was reported as spam: its recipient no longer gets mails about ${types.join(', ')}`);
    } catch (error) {
      log.warn({ event: 'complaint_unsubscribe_failed', mailId: mail.id, err: error }, `mail #${mail.id} was reported as spam, but its unsubscribe link could not be used`);
    }
  }
}

export type BounceService = ReturnType<typeof createBounceService>;
