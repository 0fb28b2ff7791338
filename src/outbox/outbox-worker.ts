import { setMaxListeners } from 'node:events';
import { isMailroomError } from '../errors.ts';
import type { Settings } from '../config/settings-schema.ts';
import type { SettingsReader } from '../config/settings-service.ts';
import { decideAfterFailure, type ClaimedMail, type FailedOutcome, type RetryPolicy, type SentOutcome } from '../domain/outbox.ts';
import type { Logger } from '../log/logger.ts';
import { isTransportError, type Transport } from '../transport/transport.ts';
import type { SecretBox } from '../config/secret-box.ts';
import type { OutboxMetrics } from './outbox-metrics.ts';
import { isSealedBytes, openBytes } from './sealed-raw.ts';
import { createRateLimiter, type RateLimiter } from './rate-limiter.ts';
import type { HandOver } from './owed-mail-step.ts';

/** The outbox table as the worker needs it (implemented by db/outbox-repo.ts). */
export interface WorkerStore {
  claim(input: { owner: string; now: number; leaseExpiresAt: number; limit: number }): Promise<ClaimedMail[]>;
  settle(input: { owner: string; now: number; sent: SentOutcome[]; failed: FailedOutcome[] }): Promise<number>;
  release(ids: number[], owner: string, now: number): Promise<void>;
  reapExpired(now: number): Promise<number>;
  /** Resolves with the ids this worker still holds. */
  extendLease(ids: number[], owner: string, leaseExpiresAt: number): Promise<number[]>;
}

export interface WorkerOptions {
  /** Mails claimed at once by one lane. */
  batchSize: number;
  /** Lanes claim and send side by side, so one lane's database work overlaps another's sending. */
  lanes: number;
  /** How long a claim holds; a worker that dies gives its mails back when it runs out. */
  leaseMs: number;
  /** Wait between claims when nothing is due. */
  idleMs: number;
}

export interface WorkerDeps {
  store: WorkerStore;
  settings: SettingsReader;
  createTransport(settings: Settings): Promise<Transport>;
  /**
   * What the files the settings name (the CA file) are now; a change builds the transport anew,
   * as a change of the settings does. Without it, only the settings count.
   */
  settingFilesKey?: ((settings: Settings) => string) | undefined;
  clock: { now(): Date };
  random: () => number;
  sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  log: Logger;
  metrics: OutboxMetrics;
  /** Opens the messages queued sealed (account mails with a live link) just before they are sent. */
  secretBox: SecretBox;
  workerId: string;
  options: WorkerOptions;
  /**
   * The rendering step (owed-mail-step.ts): mails requests owe are rendered and queued by a lane
   * of its own, so rendering never holds up sending, and requests never wait for either.
   */
  owed?: { runOnce(handOver?: HandOver): Promise<number> } | undefined;
  /**
   * The envelope sender under these settings, when it is not the one queued with the mail (VERP:
   * an address naming the mail, see bounces/verp-address.ts); undefined keeps the queued one.
   */
  envelopeSender?: ((settings: Settings) => ((mail: ClaimedMail) => string) | undefined) | undefined;
  /**
   * Hears of mail queued by other processes (PostgreSQL's LISTEN, see db/queue-signal.ts) from
   * start() to stop(), and wakes the lanes at once; the polling every idleMs goes on beside it,
   * for retries that come due and for the times the listening connection is down.
   */
  wakeups?: ((onQueued: () => void) => { stop(): Promise<void> }) | undefined;
}

/** Render lanes: one renders while the other queues its batch. */
const RENDER_LANES = 2;

type Outcome = ({ kind: 'sent' } & SentOutcome) | ({ kind: 'failed' } & FailedOutcome) | { kind: 'release'; id: number };

const policyOf = (s: Settings): RetryPolicy => ({
  minDelayMs: s.mail_retry_min_seconds * 1000,
  maxDelayMs: Math.max(s.mail_retry_min_seconds, s.mail_retry_max_seconds) * 1000,
  giveUpAfterMs: s.mail_retry_give_up_hours * 3600_000,
});

/**
 * Delivers the outbox: claims due mails under a lease, sends them through the transport of the
 * current settings, and settles each batch in one transaction. The only place that retries.
 * Settings are read at every claim, so a change reaches a running worker without a restart.
 */
export class OutboxWorker {
  readonly #deps: WorkerDeps;
  #stopping = false;
  /** Aborted by stop(): mails still waiting inside the transport (behind a pipelined one) come back. */
  #stop = new AbortController();
  #wake = new AbortController();
  #lanes: Promise<void>[] = [];
  #transport: { key: string; transport: Transport; settings: Settings } | undefined;
  #transportBuilding: Promise<{ transport: Transport; settings: Settings }> | undefined;
  #limiter: RateLimiter;
  #rate = 0;
  #lastReap = 0;
  /** Sends under way across all lanes, and the mails waiting for one to finish (see #sendOne). */
  #active = 0;
  #waitingForSlot: Array<() => void> = [];
  /**
   * Mails this worker rendered and queued already claimed by itself (owed-mail-step.ts), waiting
   * for a sending lane: they skip the claim that would read them back. Render lanes wait while
   * this holds two batches, so a slow server leaves mails owed in the database, not here.
   */
  #handed: Array<{ mail: ClaimedMail; leaseExpiresAt: number }> = [];
  #waitingForRoom: Array<() => void> = [];
  #wakeups: { stop(): Promise<void> } | undefined;

  constructor(deps: WorkerDeps) {
    this.#deps = deps;
    // One listener per mail waiting inside the transport (connections × pipeline depth).
    setMaxListeners(0, this.#stop.signal);
    this.#limiter = createRateLimiter({ perMinute: () => this.#rate, clock: deps.clock, sleep: (ms, signal) => deps.sleep(ms, signal) });
  }

  start(): void {
    if (this.#lanes.length > 0) return;
    this.#deps.log.info({ event: 'worker_started', workerId: this.#deps.workerId, lanes: this.#deps.options.lanes }, 'outbox worker started');
    this.#wakeups = this.#deps.wakeups?.(() => this.notify());
    for (let i = 0; i < this.#deps.options.lanes; i++) this.#lanes.push(this.#runLane(i));
    const owed = this.#deps.owed;
    if (owed) for (let i = 0; i < RENDER_LANES; i++) this.#lanes.push(this.#runRenderLane(owed));
  }

  /** New mail was queued in this process: look now instead of at the next poll. */
  notify(): void {
    const wake = this.#wake;
    this.#wake = new AbortController();
    wake.abort();
  }

  /** Stops claiming, lets the sends in progress finish (bounded by the SMTP timeout), gives back the rest. */
  async stop(): Promise<void> {
    if (this.#stopping) return;
    this.#stopping = true;
    this.#stop.abort();
    const wakeups = this.#wakeups?.stop();
    this.#wakeups = undefined;
    this.notify();
    for (const wake of this.#waitingForSlot.splice(0)) wake();
    for (const wake of this.#waitingForRoom.splice(0)) wake();
    await Promise.all([...this.#lanes, wakeups]);
    this.#lanes = [];
    // Rendered and claimed but not sent: back to the queue for the next worker, not left to their lease.
    const unsent = this.#handed.splice(0).map((h) => h.mail.id);
    if (unsent.length > 0) {
      await this.#deps.store.release(unsent, this.#deps.workerId, this.#deps.clock.now().getTime()).catch((error: unknown) => {
        this.#deps.log.error({ event: 'worker_release_failed', err: error }, `could not give back ${unsent.length} mail(s); they return to the queue when their lease runs out`);
      });
    }
    await this.#transport?.transport.close();
    this.#transport = undefined;
    this.#deps.log.info({ event: 'worker_stopped', workerId: this.#deps.workerId }, 'outbox worker stopped');
  }

  /**
   * Renders every owed mail and queues it, sending nothing (when this worker renders); resolves
   * with how many it took. For commands and tests that look at a mail between queue and send.
   */
  async renderOwed(): Promise<number> {
    let taken = 0;
    if (this.#deps.owed) for (let n = await this.#deps.owed.runOnce(); n > 0; n = await this.#deps.owed.runOnce()) taken += n;
    return taken;
  }

  /**
   * Renders every owed mail first (when this worker renders), then claims and handles one batch
   * of the outbox; resolves with how many mails it took from the outbox (0 when none was due).
   */
  async runOnce(): Promise<number> {
    await this.renderOwed();
    await this.#reapIfDue(true);
    return this.#processBatch();
  }

  async #runRenderLane(owed: { runOnce(handOver?: HandOver): Promise<number> }): Promise<void> {
    const handOver: HandOver = (mails, leaseExpiresAt) => {
      for (const mail of mails) this.#handed.push({ mail, leaseExpiresAt });
      this.notify();
    };
    while (!this.#stopping) {
      try {
        while (this.#handed.length >= 2 * this.#deps.options.batchSize && !this.#stopping) await new Promise<void>((wake) => this.#waitingForRoom.push(wake));
        if (this.#stopping) return;
        const handled = await owed.runOnce(handOver);
        if (handled === 0 && !this.#stopping) await this.#deps.sleep(this.#deps.options.idleMs, this.#wake.signal);
      } catch (error) {
        // As for sending: the leases keep the owed mails; try again shortly.
        this.#deps.log.error({ event: 'render_lane_error', err: error }, 'rendering owed mails failed; retrying shortly');
        if (!this.#stopping) await this.#deps.sleep(Math.max(1000, this.#deps.options.idleMs), this.#wake.signal);
      }
    }
  }

  async #runLane(lane: number): Promise<void> {
    while (!this.#stopping) {
      try {
        await this.#reapIfDue(false);
        const handled = await this.#processBatch();
        if (handled === 0 && !this.#stopping) await this.#deps.sleep(this.#deps.options.idleMs, this.#wake.signal);
      } catch (error) {
        // The database went away or similar: wait and try again; the leases protect the mails.
        this.#deps.log.error({ event: 'worker_error', lane, err: error }, 'outbox worker error; retrying shortly');
        if (!this.#stopping) await this.#deps.sleep(Math.max(1000, this.#deps.options.idleMs), this.#wake.signal);
      }
    }
  }

  async #reapIfDue(force: boolean): Promise<void> {
    const now = this.#deps.clock.now().getTime();
    if (!force && now - this.#lastReap < Math.min(this.#deps.options.leaseMs / 2, 30_000)) return;
    this.#lastReap = now;
    const reaped = await this.#deps.store.reapExpired(now);
    if (reaped > 0) this.#deps.log.warn({ event: 'leases_expired', count: reaped }, `${reaped} mail(s) of a stopped worker returned to the queue`);
  }

  async #currentTransport(): Promise<{ transport: Transport; settings: Settings }> {
    const settings = await this.#deps.settings.get();
    this.#rate = settings.mail_ratelimit;
    // The files too (one stat, no wait: see setting-files.ts): a CA file renewed in place is
    // used from the very next attempt.
    const key = `${JSON.stringify(settings)}\0${this.#deps.settingFilesKey?.(settings) ?? ''}`;
    if (this.#transport?.key === key) return this.#transport;
    // Lanes asking at once share one build.
    this.#transportBuilding ??= (async () => {
      try {
        const transport = await this.#deps.createTransport(settings);
        const previous = this.#transport;
        this.#transport = { key, transport, settings };
        if (previous) {
          this.#deps.log.info({ event: 'transport_changed', mode: settings.mail_smtpmode }, 'the settings or a file they name changed; sending with the new ones');
          void previous.transport.close();
        }
        return this.#transport;
      } finally {
        this.#transportBuilding = undefined;
      }
    })();
    return this.#transportBuilding;
  }

  async #processBatch(): Promise<number> {
    if (this.#stopping) return 0;
    const { options, store, workerId } = this.#deps;
    const now = this.#deps.clock.now().getTime();
    let current: { transport: Transport; settings: Settings } | undefined;
    let setupError: unknown;
    try {
      current = await this.#currentTransport();
    } catch (error) {
      setupError = error;
    }
    const handed = await this.#takeHanded(now);
    const claimed = handed.length > 0 ? handed : await store.claim({ owner: workerId, now, leaseExpiresAt: now + options.leaseMs, limit: options.batchSize });
    if (claimed.length === 0) return 0;
    const settings = current?.settings ?? (await this.#deps.settings.get());
    const senderOf = this.#deps.envelopeSender?.(settings);
    const batch = senderOf ? claimed.map((mail) => ({ ...mail, envelopeFrom: senderOf(mail) })) : claimed;
    const policy = policyOf(settings);
    const renewal = this.#renewLeases(batch.map((mail) => mail.id));
    const outcomes = await Promise.all(batch.map((mail) => (current ? this.#sendOne(current.transport, mail, policy, settings.mail_smtp_connections) : Promise.resolve(this.#failure(mail, setupError, policy))))).finally(renewal.stop);
    const settledAt = this.#deps.clock.now().getTime();
    const sent = outcomes.filter((o): o is Extract<Outcome, { kind: 'sent' }> => o.kind === 'sent');
    const failed = outcomes.filter((o): o is Extract<Outcome, { kind: 'failed' }> => o.kind === 'failed');
    const released = outcomes.filter((o) => o.kind === 'release').map((o) => o.id);
    await store.settle({ owner: workerId, now: settledAt, sent, failed });
    if (released.length > 0) await store.release(released, workerId, settledAt);
    return batch.length;
  }

  /**
   * A batch of the mails handed over by this worker's render lanes. Their lease started when they
   * were queued; one that has run half of it is renewed first, and a mail whose lease was lost
   * meanwhile (reaped after a stall) is left to whoever claims it now.
   */
  async #takeHanded(now: number): Promise<ClaimedMail[]> {
    if (this.#handed.length === 0) return [];
    const { options, store, workerId } = this.#deps;
    const taken = this.#handed.splice(0, options.batchSize);
    for (const wake of this.#waitingForRoom.splice(0)) wake();
    const fresh = taken.filter((h) => h.leaseExpiresAt - now > options.leaseMs / 2).map((h) => h.mail);
    const aging = taken.filter((h) => h.leaseExpiresAt - now <= options.leaseMs / 2).map((h) => h.mail);
    if (aging.length === 0) return fresh;
    const held = new Set(
      await store.extendLease(
        aging.map((m) => m.id),
        workerId,
        now + options.leaseMs,
      ),
    );
    return [...fresh, ...aging.filter((m) => held.has(m.id))].sort((a, b) => a.id - b.id);
  }

  /**
   * Renews the batch's lease every third of it while the batch is being sent: a slow server can
   * make a batch outlast the lease, and an expired lease sends the mails again (reaped and claimed
   * by another lane or worker while this one is still sending them).
   */
  #renewLeases(ids: number[]): { stop: () => Promise<void> } {
    const { options, store, workerId, clock, log } = this.#deps;
    const done = new AbortController();
    const renewing = (async () => {
      for (;;) {
        await this.#deps.sleep(options.leaseMs / 3, done.signal);
        if (done.signal.aborted) return;
        await store.extendLease(ids, workerId, clock.now().getTime() + options.leaseMs).catch((error: unknown) => {
          log.error({ event: 'lease_renewal_failed', err: error }, 'could not renew the lease of the mails being sent');
        });
      }
    })();
    return {
      stop: async () => {
        done.abort();
        await renewing;
      },
    };
  }

  /**
   * At most `transport.concurrency` sends are under way at once (the transport's connections,
   * times the messages each pipelines); the other
   * claimed mails wait here rather than inside the transport, so that stop() can give them back
   * instead of sending the whole batch first.
   */
  async #sendOne(transport: Transport, mail: ClaimedMail, policy: RetryPolicy, connections: number): Promise<Outcome> {
    // Read at every turn: the SMTP transport takes more once it saw that its server pipelines.
    const maxActive = () => transport.concurrency ?? connections;
    while (this.#active >= maxActive() && !this.#stopping) await new Promise<void>((wake) => this.#waitingForSlot.push(wake));
    this.#active++;
    try {
      // A stopping worker gives back the mails still waiting for their turn under mail_ratelimit
      // at once, rather than one a turn.
      await this.#limiter.take(this.#stop.signal);
      if (this.#stopping) return { kind: 'release', id: mail.id };
      return await this.#attempt(transport, mail, policy);
    } finally {
      this.#active--;
      // As many as there is room for: the room grows when the transport starts to pipeline.
      for (let free = Math.max(1, maxActive() - this.#active); free > 0 && this.#waitingForSlot.length > 0; free--) this.#waitingForSlot.shift()?.();
    }
  }

  async #attempt(transport: Transport, mail: ClaimedMail, policy: RetryPolicy): Promise<Outcome> {
    const started = performance.now();
    try {
      // Only account mails are sealed; the rest pay one startsWith. A wrong key throws
      // secret_undecryptable here, and the mail waits for the right one like any failed send.
      const sealed = isSealedBytes(mail.raw);
      const raw = sealed ? openBytes(this.#deps.secretBox, mail.raw) : mail.raw;
      const result = await transport.send({ envelope: { from: mail.envelopeFrom, to: mail.recipients }, raw, messageId: mail.messageId, subject: mail.subject, ...(sealed ? { holdsLiveLink: true } : {}) }, { giveBack: this.#stop.signal });
      this.#deps.metrics.sent(result.via, (performance.now() - started) / 1000);
      // Debug only: a line per mail is noise at thousands a second; the outbox keeps the record.
      if (this.#deps.log.isLevelEnabled('debug')) this.#deps.log.debug({ event: 'mail_sent', mailId: mail.id, attempt: mail.attempts, host: result.via, reply: result.response }, `mail #${mail.id} sent through ${result.via}`);
      const recipientResults = result.rejected.length > 0 ? [...result.accepted.map((address) => ({ address, status: 'accepted' as const })), ...result.rejected.map((r) => ({ address: r.address, status: 'rejected' as const, reply: r.reply }))] : null;
      return { kind: 'sent', id: mail.id, host: result.via, reply: result.response, recipientResults };
    } catch (error) {
      // Stopped while it waited for its turn on a connection: never written, so not an attempt.
      if (this.#stop.signal.aborted && error === this.#stop.signal.reason) return { kind: 'release', id: mail.id };
      return this.#failure(mail, error, policy);
    }
  }

  #failure(mail: ClaimedMail, error: unknown, policy: RetryPolicy): Outcome {
    const now = this.#deps.clock.now().getTime();
    const permanent = isTransportError(error) && error.failure.permanent;
    const decision = decideAfterFailure({ permanent, attempt: mail.attempts, createdAt: mail.createdAt, now, policy, random: this.#deps.random });
    const host = isTransportError(error) ? (error.failure.host ?? null) : null;
    const code = isMailroomError(error) ? error.code : 'internal_error';
    const message = error instanceof Error ? error.message : String(error);
    const reply = isTransportError(error) ? (error.failure.reply ?? null) : null;
    if (decision.state === 'failed') this.#deps.metrics.failed(host, code);
    else this.#deps.metrics.deferred(host, code);
    this.#deps.log.warn({ event: decision.state === 'failed' ? 'mail_failed' : 'mail_deferred', mailId: mail.id, attempt: mail.attempts, code, host, reply }, decision.state === 'failed' ? `mail #${mail.id} failed: ${message}` : `mail #${mail.id} deferred: ${message}`);
    return {
      kind: 'failed',
      id: mail.id,
      attempt: mail.attempts,
      state: decision.state,
      nextAttemptAt: decision.state === 'queued' ? decision.nextAttemptAt : null,
      host,
      code,
      message: decision.state === 'failed' && !permanent ? `${message} (${decision.reason})` : message,
      reply,
    };
  }
}
