/**
 * Which servers of the failover list failed lately. A host that refused or timed out is
 * skipped for a cool-down so that every mail does not wait out its timeout again; after the
 * cool-down it is tried again, and when every host is cooling down all are tried anyway.
 * Shared by every SMTP transport of the process, so it survives settings changes.
 */
export interface HostHealth {
  isCoolingDown(host: string): boolean;
  markFailed(host: string): void;
  markHealthy(host: string): void;
}

export function createHostHealth(deps: { clock: { now(): Date }; coolDownMs?: number }): HostHealth {
  const coolDownMs = deps.coolDownMs ?? 60_000;
  const failedUntil = new Map<string, number>();
  const isCoolingDown = (host: string): boolean => {
    const until = failedUntil.get(host);
    if (until === undefined) return false;
    if (until <= deps.clock.now().getTime()) {
      failedUntil.delete(host);
      return false;
    }
    return true;
  };
  return {
    isCoolingDown,
    markFailed: (host) => void failedUntil.set(host, deps.clock.now().getTime() + coolDownMs),
    markHealthy: (host) => void failedUntil.delete(host),
  };
}
