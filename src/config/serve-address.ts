/**
 * The address Mailroom serves on, as links in mails need it while base_url is not set: the one
 * `serve` listens on, with the machine's name for an address that means "every interface"
 * (0.0.0.0, ::), which no browser can open.
 */
export function serveUrl(host: string, port: number, machineName: string): string {
  const wildcard = host === '0.0.0.0' || host === '::' || /^[0:]+$/.test(host);
  const name = wildcard ? machineName : host;
  const shown = name.includes(':') ? `[${name}]` : name;
  return port === 80 ? `http://${shown}` : `http://${shown}:${port}`;
}

/** Whether a URL leads to the machine it is opened on (127.0.0.0/8, localhost, ::1): a link in a mail that works only there. */
export function isLoopbackUrl(url: string): boolean {
  let hostname: string;
  try {
    hostname = new URL(url).hostname;
  } catch {
    return false;
  }
  return hostname === 'localhost' || hostname.endsWith('.localhost') || /^127(\.\d{1,3}){3}$/.test(hostname) || hostname === '[::1]';
}

/** The port a URL leads to, its scheme's default when it names none. */
export function portOf(url: string): number | undefined {
  try {
    const u = new URL(url);
    if (u.port !== '') return Number(u.port);
    return u.protocol === 'https:' ? 443 : 80;
  } catch {
    return undefined;
  }
}
