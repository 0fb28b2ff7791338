import type { Settings } from '../config/settings-schema.ts';
import type { SettingsReader } from '../config/settings-service.ts';
import type { SecretBox } from '../config/secret-box.ts';
import type { ClaimedOwedMail } from '../domain/outbox.ts';
import type { ClaimedMail } from '../domain/outbox.ts';
import type { NewOutboxRow } from '../domain/outbox.ts';
import { isMailroomError } from '../errors.ts';
import type { Logger } from '../log/logger.ts';
import type { ComposedMessage } from '../message/compose-message.ts';
import { toOutboxRow } from './outbox-service.ts';
import { readOwedPayload, type OwedPayload } from './owed-mail.ts';
import { sealBytes } from './sealed-raw.ts';

/** The owed-mail table as the render step needs it (implemented by db/owed-mail-repo.ts). */
export interface OwedMailStore {
  claim(input: { owner: string; now: number; leaseExpiresAt: number; limit: number }): Promise<ClaimedOwedMail[]>;
  settle(input: { owner: string; now: number; rendered: Array<{ id: number; row: NewOutboxRow }>; failed: Array<{ id: number; code: string; message: string; again?: boolean }>; lease?: { owner: string; expiresAt: number } | undefined }): Promise<{ queued: number[]; leased: ClaimedMail[] }>;
}

/**
 * A sending worker taking the mails its own render step queued: they are queued already claimed
 * by it until `leaseExpiresAt`, so they go out without a claim that reads them back.
 */
export type HandOver = (mails: ClaimedMail[], leaseExpiresAt: number) => void;

/**
 * Failures that may pass on another try: a render stopped by the deadline on a machine busy at
 * that moment, a key not yet shared with this worker, something unexpected. A template over its
 * budget or one that does not render with the data fails the same way every time.
 */
const TRANSIENT: ReadonlySet<string> = new Set(['template_render_timeout', 'secret_undecryptable', 'internal_error']);
/** Renders of one owed mail before a transient failure counts as final. */
export const OWED_RENDER_ATTEMPTS = 3;

export interface OwedMailStepDeps {
  store: OwedMailStore;
  settings: SettingsReader;
  /**
   * A renderer for one batch: it renders an owed mail with the templates and settings in force
   * now, and reads each template's parts once for the batch rather than once a mail.
   */
  composerForBatch(): (payload: OwedPayload, settings: Settings) => Promise<ComposedMessage>;
  secretBox: SecretBox;
  clock: { now(): Date };
  log: Logger;
  workerId: string;
  leaseMs: number;
  batchSize: number;
  /** Mails were queued: wake this process's senders. */
  onQueued(): void;
}

/**
 * The rendering step of a worker: claims owed mails under a lease, renders them (in the render
 * pool's threads, side by side), and queues the results in the transaction that deletes their
 * rows. A lease that runs out mid-batch costs a second render at most, never a second mail: the
 * settle only takes rows this worker still holds, and the outbox key is unique. A mail that
 * cannot be rendered (a template over its budget, say) stays as a failed row with its code, for
 * `GET /api/v1/outbox/owed` and `mailroom outbox:owed` to show.
 */
export function createOwedMailStep(deps: OwedMailStepDeps) {
  return {
    /**
     * Renders and queues one batch; resolves with how many owed mails it took (0: none waited).
     * With `handOver`, the mails due now are queued claimed by this worker and given to it.
     */
    async runOnce(handOver?: HandOver): Promise<number> {
      const now = deps.clock.now().getTime();
      const batch = await deps.store.claim({ owner: deps.workerId, now, leaseExpiresAt: now + deps.leaseMs, limit: deps.batchSize });
      if (batch.length === 0) return 0;
      const settings = await deps.settings.get();
      const compose = deps.composerForBatch();
      const rendered: Array<{ id: number; row: NewOutboxRow }> = [];
      const failed: Array<{ id: number; code: string; message: string; again: boolean }> = [];
      await Promise.all(
        batch.map(async (mail) => {
          try {
            const { payload, sealed } = readOwedPayload(deps.secretBox, mail.payload);
            const row = toOutboxRow(await compose(payload, settings), mail.kind, mail.key);
            rendered.push({ id: mail.id, row: sealed ? { ...row, raw: sealBytes(deps.secretBox, row.raw) } : row });
          } catch (error) {
            const code = isMailroomError(error) ? error.code : 'internal_error';
            const message = error instanceof Error ? error.message : String(error);
            const again = TRANSIENT.has(code) && mail.attempts < OWED_RENDER_ATTEMPTS;
            if (again) deps.log.warn({ event: 'owed_mail_deferred', owedId: mail.id, kind: mail.kind, code, attempt: mail.attempts }, `owed ${mail.kind} mail #${mail.id} not rendered this time: ${message}`);
            else deps.log.error({ event: 'owed_mail_failed', owedId: mail.id, kind: mail.kind, code }, `owed ${mail.kind} mail #${mail.id} could not be rendered: ${message}`);
            failed.push({ id: mail.id, code, message, again });
          }
        }),
      );
      const settledAt = deps.clock.now().getTime();
      const lease = handOver ? { owner: deps.workerId, expiresAt: settledAt + deps.leaseMs } : undefined;
      const { queued, leased } = await deps.store.settle({ owner: deps.workerId, now: settledAt, rendered, failed, lease });
      if (handOver && lease && leased.length > 0) handOver(leased, lease.expiresAt);
      if (queued.length > leased.length) deps.onQueued();
      return batch.length;
    },
  };
}

export type OwedMailStep = ReturnType<typeof createOwedMailStep>;
