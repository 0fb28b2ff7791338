import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { RuntimeOptions } from '../config/runtime-options.ts';
import type { AppContext, Clock } from '../context.ts';
import { listenForQueued } from '../db/queue-signal.ts';
import type { Logger } from '../log/logger.ts';
import { createOwedMailComposer } from '../outbox/owed-mail-composer.ts';
import { createOwedMailStep } from '../outbox/owed-mail-step.ts';
import { OutboxWorker } from '../outbox/outbox-worker.ts';
import type { Mail } from './mail.ts';
import type { Notifications } from './notifications.ts';
import { sleep } from './sleep.ts';
import type { Storage } from './storage.ts';

export interface WorkersInput {
  runtime: RuntimeOptions;
  clock: Clock;
  log: Logger;
  storage: Storage;
  mail: Mail;
  notifications: Pick<Notifications, 'unsubscribe' | 'verp'>;
}

/**
 * The workers of this process (each renders what requests owe and delivers the outbox) and what
 * ties `serve` to the worker process it starts. This process's workers are woken by the one
 * "mail queued" hook; workers elsewhere hear of it through PostgreSQL or, from `serve`, through
 * the worker process's channel.
 */
export function wireWorkers(input: WorkersInput) {
  const { runtime, clock, log } = input;
  const { database, secretBox, settings } = input.storage;
  const { transports, outboxRepo, owedRepo, metrics, renderer, mailQueued } = input.mail;
  const { unsubscribe, verp } = input.notifications;
  const workers = new Set<OutboxWorker>();
  const wakeWorkers = () => {
    for (const worker of workers) worker.notify();
  };
  // Listening first, so this process's workers hear of mail before serve's worker process does.
  mailQueued.listen(wakeWorkers);
  const createWorker = () => {
    const workerId = `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
    const worker = new OutboxWorker({
      store: outboxRepo,
      settings,
      createTransport: (s) => transports.create(s),
      settingFilesKey: (s) => transports.filesKey(s),
      clock,
      random: Math.random,
      sleep,
      log: log.child({ module: 'outbox' }),
      metrics,
      secretBox,
      workerId,
      options: runtime.worker,
      wakeups: database.dialect === 'postgres' && runtime.databaseUrl ? (onQueued) => listenForQueued({ url: runtime.databaseUrl as string, log: log.child({ module: 'outbox' }), sleep }, onQueued) : undefined,
      envelopeSender: (s) => (s.mail_bounce_verp && s.mail_smtpmode !== 'php' ? (mail) => verp.address(mail.id, s.mail_bounce_domain || s.mail_domain) : undefined),
      // The worker renders what requests owe, in a lane of its own; `serve --no-worker` has none.
      owed: createOwedMailStep({
        store: owedRepo,
        settings,
        composerForBatch: () => createOwedMailComposer({ renderer: renderer.batch(), unsubscribe }),
        secretBox,
        clock,
        log: log.child({ module: 'owed-mails' }),
        workerId,
        leaseMs: runtime.worker.leaseMs,
        // Each of the two render lanes keeps both render threads busy with a batch this size,
        // settled (and handed to the sending lanes) in one transaction.
        batchSize: 250,
        // The render lane hands what it queued to this worker's own senders, which take it at
        // once; the other workers find the rest at their next look.
        onQueued: () => worker.notify(),
      }),
    });
    workers.add(worker);
    return worker;
  };
  const context: Pick<AppContext, 'createWorker' | 'workerLink'> = {
    createWorker,
    workerLink: {
      onQueued: (listener) => mailQueued.listen(listener),
      wakeWorkers,
      takeMetrics: () => metrics.takeDelta(),
      addMetrics: (delta) => metrics.addDelta(delta),
    },
  };
  return { context };
}
