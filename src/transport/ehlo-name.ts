import { lookup, lookupService } from 'node:dns/promises';
import { hostname } from 'node:os';
import { isValidDomain } from '../domain/address.ts';

export interface EhloNameDeps {
  /** The machine's host name (os.hostname). */
  hostname?: () => string;
  /** The full name of a short host name, as `hostname -f` finds it (the resolver: /etc/hosts, then DNS); undefined when there is none. */
  fullName?: (short: string) => Promise<string | undefined>;
}

/** How long finding the machine's full name may take before the mail domain is used instead. */
const LOOKUP_MS = 2000;

async function resolvedFullName(short: string): Promise<string | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const lookedUp = (async () => {
    const { address } = await lookup(short);
    return (await lookupService(address, 0)).hostname;
  })();
  const timedOut = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), LOOKUP_MS);
    timer.unref();
  });
  try {
    return await Promise.race([lookedUp, timedOut]);
  } catch {
    return undefined;
  } finally {
    clearTimeout(timer);
  }
}

function fullyQualified(name: string | undefined): name is string {
  return name !== undefined && name.includes('.') && isValidDomain(name) && !/^localhost(\.|$)/i.test(name);
}

/**
 * The name Mailroom gives in EHLO: `mail_smtp_helo_name` when set, else this machine's full name
 * (its host name when that has a dot, else the name the resolver gives it, as `hostname -f`
 * does), else the mail domain. Receiving servers and spam filters check that EHLO names a host;
 * the bare mail domain usually does not resolve to the sending machine. The machine's name is
 * looked up once per process.
 */
export function createEhloName(deps: EhloNameDeps = {}): (settings: { mail_smtp_helo_name: string; mail_domain: string }) => Promise<string> {
  let machine: Promise<string | undefined> | undefined;
  const machineName = async (): Promise<string | undefined> => {
    const short = (deps.hostname ?? hostname)();
    if (fullyQualified(short)) return short;
    if (short === '') return undefined;
    const full = await (deps.fullName ?? resolvedFullName)(short);
    return fullyQualified(full) ? full : undefined;
  };
  return async (settings) => {
    if (settings.mail_smtp_helo_name !== '') return settings.mail_smtp_helo_name;
    machine ??= machineName();
    return (await machine) ?? settings.mail_domain;
  };
}

/** The EHLO name of this process: sending, `mail:detect` and `doctor` give the same one. */
export const processEhloName = createEhloName();
