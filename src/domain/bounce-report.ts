import type { BounceKind } from './api-types.ts';
import { allParts, header, parseFields, parseMime, textOf, type MimeEntity } from './mime-parts.ts';

/**
 * What a message that came back says. `hard`: the address is dead (5.x.x); `soft`: a delay or a
 * temporary failure (4.x.x, a full mailbox); `policy`: the receiving server refused the instance
 * (5.7.x, blocked, spam), which says nothing about the address; `complaint`: the recipient
 * reported the mail as spam (ARF, RFC 5965).
 */
export const BOUNCE_KINDS = ['hard', 'soft', 'policy', 'complaint'] as const satisfies readonly BounceKind[];
export type { BounceKind };

export interface BouncedRecipient {
  /** The address the report is about, lower-cased. */
  readonly address: string;
  /** The address as the mail was sent to it (Original-Recipient), when the report gives it. */
  readonly originalAddress: string | null;
  readonly kind: BounceKind;
  /** `failed`, `delayed`, … (RFC 3464), or what the format implies. */
  readonly action: string | null;
  /** The enhanced status code (RFC 3463), such as `5.1.1`. */
  readonly status: string | null;
  readonly diagnostic: string | null;
}

export type BounceFormat = 'dsn' | 'arf' | 'exim' | 'qmail' | 'text';

export type BounceReading =
  | {
      readonly type: 'bounce';
      readonly format: BounceFormat;
      readonly reportingMta: string | null;
      readonly recipients: readonly BouncedRecipient[];
      /** Where the VERP address may stand: the returned message's envelope sender, its recipients' fields. */
      readonly verpCandidates: readonly string[];
    }
  | { readonly type: 'ignored'; readonly reason: 'auto_reply' | 'not_a_bounce' | 'no_failure'; readonly verpCandidates: readonly string[] };

const STATUS = /\b([245])\.(\d{1,3})\.(\d{1,3})\b/;
/** Words of a refusal of the sender or its content, not of the address. */
const POLICY_WORDS = /\b(blocked|block ?list(ed)?|black ?list(ed)?|spam|spamhaus|reputation|rbl|dnsbl|policy|dmarc|spf|dkim|junk)\b/i;

/** Hard, soft or policy, from an action, a status code and the diagnostic text. */
export function kindOf(action: string | null, status: string | null, diagnostic: string | null): BounceKind | undefined {
  const a = (action ?? '').toLowerCase();
  if (a === 'delivered' || a === 'relayed' || a === 'expanded') return undefined;
  if (a === 'delayed') return 'soft';
  const code = status ?? STATUS.exec(diagnostic ?? '')?.[0] ?? null;
  const words = diagnostic ?? '';
  // A code about the address (5.1.x, 5.2.x) is about the address, whatever words come with it.
  if (code?.startsWith('5.7.') || code?.startsWith('4.7.') || (!/^[45]\.[12]\./.test(code ?? '') && POLICY_WORDS.test(words))) return 'policy';
  if (code?.startsWith('4.')) return 'soft';
  // A full mailbox (5.2.2) or one over its size (5.2.3) may come back; Mailman counts it soft too.
  if (code === '5.2.2' || code === '5.2.3') return 'soft';
  if (code?.startsWith('5.')) return 'hard';
  if (code?.startsWith('2.')) return undefined;
  // A failure without a code: an SMTP reply in the text decides, else it is taken as hard.
  const reply = /\b([45])\d\d\b/.exec(words)?.[1];
  if (reply === '4') return 'soft';
  return a === 'failed' || reply === '5' ? 'hard' : undefined;
}

const addressIn = (value: string | undefined): string | null => {
  if (!value) return null;
  // `rfc822; user@example.com`, `<user@example.com>`, or a bare address.
  const bare = value.replace(/^\s*[A-Za-z0-9-]+\s*;\s*/, '');
  const match = /<?([^\s<>;"]+@[^\s<>;"]+?)>?\s*$/.exec(bare.trim()) ?? /([^\s<>;"]+@[^\s<>;"]+)/.exec(bare);
  return match ? (match[1] as string).toLowerCase() : null;
};

const stripType = (value: string | undefined): string | null => (value ? value.replace(/^\s*[A-Za-z0-9-]+\s*;\s*/, '').trim() || null : null);

/** The header fields of the message that came back (message/rfc822 or text/rfc822-headers). */
function returnedHeaders(root: MimeEntity): Map<string, string[]> | undefined {
  const part = allParts(root).find((p) => p !== root && (p.contentType === 'message/rfc822' || p.contentType === 'text/rfc822-headers' || p.contentType === 'message/rfc822-headers'));
  return part ? parseFields(textOf(part).split(/\r?\n\r?\n/)[0] ?? '') : undefined;
}

/** Addresses that may be the VERP address: where the bounce was sent, and the returned mail's envelope sender. */
function verpCandidatesOf(root: MimeEntity, extra: readonly string[] = []): string[] {
  const out: string[] = [];
  const push = (value: string | undefined) => {
    for (const m of (value ?? '').matchAll(/bounces\+[^\s<>;"@]+@[^\s<>;"]+/gi)) out.push(m[0]);
  };
  for (const name of ['delivered-to', 'x-original-to', 'to', 'envelope-to']) for (const v of root.headers.get(name) ?? []) push(v);
  const returned = returnedHeaders(root);
  for (const name of ['return-path', 'x-envelope-from', 'sender']) for (const v of returned?.get(name) ?? []) push(v);
  for (const v of extra) push(v);
  return [...new Set(out)];
}

function isAutoReply(root: MimeEntity): boolean {
  const auto = (header(root, 'auto-submitted') ?? '').toLowerCase();
  if (auto.startsWith('auto-replied')) return true;
  if (header(root, 'x-autoreply') !== undefined || header(root, 'x-autorespond') !== undefined) return true;
  if (/^(auto_reply|auto-reply)$/i.test(header(root, 'precedence') ?? '') || (header(root, 'x-auto-response-suppress') !== undefined && /^(automatic reply|auto)/i.test(header(root, 'subject') ?? ''))) return true;
  return /^\s*(auto(matic)?[ -]?reply|out of (the )?office|abwesenheit|absence|自动回复|自動回覆|vacation)\b/i.test(header(root, 'subject') ?? '');
}

function readDsn(root: MimeEntity, part: MimeEntity): Extract<BounceReading, { type: 'bounce' }> | undefined {
  const blocks = textOf(part)
    .split(/\r?\n\s*\r?\n/)
    .filter((b) => b.trim() !== '')
    .map(parseFields);
  const perMessage = blocks.find((b) => b.has('reporting-mta')) ?? blocks[0];
  const recipients: BouncedRecipient[] = [];
  for (const block of blocks) {
    const address = addressIn(block.get('final-recipient')?.[0]) ?? addressIn(block.get('original-recipient')?.[0]);
    if (!address) continue;
    const action = block.get('action')?.[0]?.toLowerCase() ?? null;
    const status = STATUS.exec(block.get('status')?.[0] ?? '')?.[0] ?? null;
    const diagnostic = stripType(block.get('diagnostic-code')?.[0]);
    const kind = kindOf(action, status, diagnostic);
    if (kind) recipients.push({ address, originalAddress: addressIn(block.get('original-recipient')?.[0]), kind, action, status, diagnostic });
  }
  return { type: 'bounce', format: 'dsn', reportingMta: stripType(perMessage?.get('reporting-mta')?.[0]), recipients, verpCandidates: verpCandidatesOf(root) };
}

function readArf(root: MimeEntity, part: MimeEntity): Extract<BounceReading, { type: 'bounce' }> {
  const fields = parseFields(textOf(part));
  const returned = returnedHeaders(root);
  const address = addressIn(fields.get('original-rcpt-to')?.[0]) ?? addressIn(returned?.get('to')?.[0]);
  const feedback = fields.get('feedback-type')?.[0]?.toLowerCase() ?? 'abuse';
  const recipients: BouncedRecipient[] = address ? [{ address, originalAddress: null, kind: 'complaint', action: feedback, status: null, diagnostic: `feedback-type ${feedback}` }] : [];
  return { type: 'bounce', format: 'arf', reportingMta: stripType(fields.get('reporting-mta')?.[0]) ?? fields.get('user-agent')?.[0] ?? null, recipients, verpCandidates: verpCandidatesOf(root, fields.get('original-mail-from') ?? []) };
}

/** qmail's QSBMF: `<address>:` then the reason, paragraph by paragraph, before the copy of the message. */
function readQmail(root: MimeEntity, text: string): Extract<BounceReading, { type: 'bounce' }> {
  const [report = ''] = text.split(/^--- Below this line is a copy of the message\./m);
  const permanent = /This is a permanent error/i.test(report);
  const recipients: BouncedRecipient[] = [];
  for (const paragraph of report.split(/\r?\n\s*\r?\n/)) {
    const match = /^<([^>\s]+@[^>\s]+)>:\s*\r?\n([\s\S]*)$/.exec(paragraph.trim());
    if (!match) continue;
    const diagnostic = (match[2] as string).replace(/\s+/g, ' ').trim();
    const status = /#([245]\.\d{1,3}\.\d{1,3})/.exec(diagnostic)?.[1] ?? STATUS.exec(diagnostic)?.[0] ?? null;
    const kind = kindOf(permanent ? 'failed' : 'delayed', status, diagnostic);
    if (kind) recipients.push({ address: (match[1] as string).toLowerCase(), originalAddress: null, kind, action: permanent ? 'failed' : 'delayed', status, diagnostic });
  }
  const mta = /This is the qmail-send program at ([^\s.]+(?:\.[^\s.]+)*)\.?/.exec(report)?.[1] ?? null;
  return { type: 'bounce', format: 'qmail', reportingMta: mta, recipients, verpCandidates: verpCandidatesOf(root, [text]) };
}

/**
 * Exim's plain bounce (and others of its kind): the failed addresses in X-Failed-Recipients, the
 * reason in the text under each address, with the remote server's reply.
 */
function readExim(root: MimeEntity, text: string, failed: string[]): Extract<BounceReading, { type: 'bounce' }> {
  const [report = ''] = text.split(/^-+ This is a copy of the message|^------ This is a copy/m);
  const recipients: BouncedRecipient[] = [];
  for (const address of failed) {
    const at = report.toLowerCase().indexOf(address);
    const after = at >= 0 ? report.slice(at + address.length) : report;
    const block = (after.split(/\r?\n\s*\r?\n/)[0] ?? '').replace(/\s+/g, ' ').trim();
    const reply = /\b([45]\d\d)[ -]([245]\.\d{1,3}\.\d{1,3})?.*$/.exec(block)?.[0] ?? (block || null);
    const status = STATUS.exec(block)?.[0] ?? null;
    const kind = kindOf('failed', status, reply) ?? 'hard';
    recipients.push({ address, originalAddress: null, kind, action: 'failed', status, diagnostic: reply });
  }
  // Exim names itself only in the Received field it wrote on the bounce.
  const mta = /\bby ([^\s;]+)/.exec(header(root, 'received') ?? '')?.[1] ?? null;
  return { type: 'bounce', format: 'exim', reportingMta: mta, recipients, verpCandidates: verpCandidatesOf(root, [text]) };
}

function firstText(root: MimeEntity): string {
  const part = allParts(root).find((p) => p.parts.length === 0 && p.contentType === 'text/plain');
  return part ? textOf(part) : '';
}

/**
 * Reads a message that came to the bounce address. Standard reports first (RFC 3464 DSNs, ARF),
 * whoever made them: Postfix, Microsoft 365 and Gmail all send DSNs, each with its own words in
 * the Diagnostic-Code. Then the plain-text bounces still sent (Exim's with X-Failed-Recipients,
 * qmail's QSBMF); then auto-replies, which are never counted; the rest is not a bounce.
 */
export function readBounce(raw: string): BounceReading {
  const root = parseMime(raw);
  const parts = allParts(root);
  const reportType = (root.params.get('report-type') ?? '').toLowerCase();
  const arf = parts.find((p) => p.contentType === 'message/feedback-report');
  if (arf && (reportType === 'feedback-report' || root.contentType !== 'multipart/report' || reportType === '')) return readArf(root, arf);
  const dsn = parts.find((p) => p.contentType === 'message/delivery-status' || p.contentType === 'message/global-delivery-status');
  if (dsn) {
    const reading = readDsn(root, dsn);
    if (reading && reading.recipients.length > 0) return reading;
    if (reading) return { type: 'ignored', reason: 'no_failure', verpCandidates: reading.verpCandidates };
  }
  const text = firstText(root);
  if (/This is the qmail-send program/i.test(text)) return readQmail(root, text);
  const failed = (root.headers.get('x-failed-recipients') ?? [])
    .flatMap((v) => v.split(','))
    .map((v) => addressIn(v))
    .filter((v): v is string => v !== null);
  if (failed.length > 0) return readExim(root, text, failed);
  const verpCandidates = verpCandidatesOf(root);
  if (isAutoReply(root)) return { type: 'ignored', reason: 'auto_reply', verpCandidates };
  return { type: 'ignored', reason: 'not_a_bounce', verpCandidates };
}
