/**
 * Which servers of the failover list failed lately. A host that refused or timed out is
 * skipped for a cool-down so that every mail does not wait out its timeout again; after the
 * cool-down it is tried again, and when every host is cooling down all are tried anyway.
 * Shared by every SMTP transport of the process, so it survives settings changes; with a
 * store, shared with every process on the database too, so that one worker's discovery spares
 * the others the same timeout.
 */
export interface HostHealth {
  /** Those of `hosts` that are cooling down, as this process and (with a store) every other one found them. */
  coolingDown(hosts: readonly string[]): Promise<Set<string>>;
  /** Resolves once the other processes can see it (never rejects: a store that fails is only reported). */
  markFailed(host: string): Promise<void>;
  markHealthy(host: string): void;
  /** Resolves once the cool-downs marked so far are in the store: before the database is closed. */
  flush(): Promise<void>;
}

/** Where processes share cool-downs: the database. */
export interface HostCooldownStore {
  /** The cool-downs that end after `now`. */
  active(now: number): Promise<Array<{ host: string; until: number }>>;
  set(host: string, until: number): Promise<void>;
  clear(host: string): Promise<void>;
}

export interface HostHealthDeps {
  clock: { now(): Date };
  coolDownMs?: number;
  store?: HostCooldownStore | undefined;
  /** How old the picture of the other processes' cool-downs may be; one read of a small table at most this often. */
  refreshMs?: number;
  /** Told when the store fails; the process then goes on with what it knows itself. */
  onStoreError?: (error: unknown) => void;
}

export function createHostHealth(deps: HostHealthDeps): HostHealth {
  const coolDownMs = deps.coolDownMs ?? 60_000;
  const refreshMs = deps.refreshMs ?? 2_000;
  const now = () => deps.clock.now().getTime();
  const failedUntil = new Map<string, number>();
  let refreshedAt = Number.NEGATIVE_INFINITY;
  // Writes run in order, and a refresh waits for them, so it never reads back a state older than this process's own.
  let writes: Promise<void> = Promise.resolve();
  const write = (change: (store: HostCooldownStore) => Promise<void>): Promise<void> => {
    const store = deps.store;
    if (!store) return writes;
    writes = writes.then(() => change(store)).catch((error: unknown) => deps.onStoreError?.(error));
    return writes;
  };

  const refresh = async (): Promise<void> => {
    const store = deps.store;
    if (!store || now() - refreshedAt < refreshMs) return;
    refreshedAt = now();
    await writes;
    try {
      const active = await store.active(now());
      failedUntil.clear();
      for (const { host, until } of active) failedUntil.set(host, until);
    } catch (error) {
      deps.onStoreError?.(error);
    }
  };

  const isCoolingDown = (host: string): boolean => {
    const until = failedUntil.get(host);
    if (until === undefined) return false;
    if (until <= now()) {
      failedUntil.delete(host);
      return false;
    }
    return true;
  };

  return {
    async coolingDown(hosts) {
      await refresh();
      return new Set(hosts.filter(isCoolingDown));
    },
    markFailed(host) {
      const until = now() + coolDownMs;
      failedUntil.set(host, until);
      return write((store) => store.set(host, until));
    },
    markHealthy(host) {
      // Only a change is written: a healthy server's every mail must not cost a write.
      if (!failedUntil.delete(host)) return;
      void write((store) => store.clear(host));
    },
    flush: () => writes,
  };
}
