export interface TranscriptLine {
  /** `C` client, `S` server, `*` a note from Mailroom (connecting, TLS, which host). */
  readonly dir: 'C' | 'S' | '*';
  readonly text: string;
}

/**
 * The protocol conversation of one send, as the admin sees it with debug on. Credentials
 * never get in: every client line of an AUTH exchange becomes `***`, and the known secrets and
 * their base64 forms are scrubbed from every line as a second net.
 */
export interface Transcript {
  add(dir: TranscriptLine['dir'], text: string): void;
  lines(): readonly TranscriptLine[];
  toString(): string;
}

const MASK = '***';

function secretForms(secrets: readonly string[]): string[] {
  const forms = new Set<string>();
  for (const secret of secrets) {
    if (secret.length < 3) continue;
    forms.add(secret);
    // base64 at each of the three alignments, so the secret is found inside a longer payload
    // such as AUTH PLAIN's "\0user\0password"
    for (let shift = 0; shift < 3; shift++) {
      const b64 = Buffer.from('\0'.repeat(shift) + secret, 'latin1').toString('base64');
      const stable = b64.slice(shift === 0 ? 0 : Math.ceil((shift * 4) / 3) + 1, -4);
      if (stable.length >= 4) forms.add(stable);
      const utf = Buffer.from('\0'.repeat(shift) + secret, 'utf8').toString('base64');
      const stableUtf = utf.slice(shift === 0 ? 0 : Math.ceil((shift * 4) / 3) + 1, -4);
      if (stableUtf.length >= 4) forms.add(stableUtf);
    }
  }
  return [...forms].sort((a, b) => b.length - a.length);
}

export function createTranscript(secrets: readonly string[] = []): Transcript {
  const lines: TranscriptLine[] = [];
  const forms = secretForms(secrets);
  let inAuth = false;

  const scrub = (text: string): string => {
    let out = text;
    for (const form of forms) out = out.split(form).join(MASK);
    return out;
  };

  const add = (dir: TranscriptLine['dir'], raw: string): void => {
    for (const part of raw.split(/\r?\n/)) {
      if (part === '' && dir !== '*') continue;
      let text = part;
      if (dir === 'C') {
        const auth = /^AUTH\s+(\S+)(\s+.*)?$/i.exec(text);
        if (auth) {
          inAuth = true;
          text = auth[2] ? `AUTH ${auth[1]} ${MASK}` : `AUTH ${auth[1]}`;
        } else if (inAuth) {
          text = MASK;
        }
      } else if (dir === 'S' && inAuth && /^[2345]\d\d[ -]/.test(text) && !text.startsWith('334')) {
        inAuth = false;
      }
      lines.push({ dir, text: scrub(text) });
    }
  };

  return {
    add,
    lines: () => lines,
    toString: () => lines.map((l) => `${l.dir === '*' ? '*' : `${l.dir}:`} ${l.text}`).join('\n'),
  };
}
