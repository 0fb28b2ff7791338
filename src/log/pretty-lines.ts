import type { DestinationStream } from 'pino';

const levelNames: Record<number, string> = { 10: 'TRACE', 20: 'DEBUG', 30: 'INFO', 40: 'WARN', 50: 'ERROR', 60: 'FATAL' };

/** Fields every line has, or that say nothing to a person at a terminal. */
const leftOut = new Set(['level', 'time', 'msg', 'pid', 'hostname', 'app']);

// C0 controls, DEL and the C1 controls (CSI among them): from a logged subject or server reply
// they could move the cursor or recolour the terminal, so they are written as escapes.
const controls = /[\u0000-\u001f\u007f-\u009f]/g;

function escapeControls(text: string): string {
  return text.replace(controls, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

function shownValue(value: unknown): string {
  if (typeof value === 'string') return /^[^\s"=\\\u0000-\u001f\u007f-\u009f]+$/.test(value) ? value : JSON.stringify(value);
  // JSON.stringify escapes the control characters of nested strings too.
  return JSON.stringify(value) ?? String(value);
}

function twoDigits(n: number): string {
  return String(n).padStart(2, '0');
}

/** An error as pino's serializer writes it: { type, message, stack, … }. */
function errorParts(value: unknown): { message: string; stack: string | undefined } | undefined {
  if (typeof value !== 'object' || value === null || !('message' in value)) return undefined;
  const { message, stack } = value as { message: unknown; stack: unknown };
  return { message: String(message), stack: typeof stack === 'string' ? stack : undefined };
}

/**
 * One JSON log line, as pino wrote it (redacted already), for a person at a terminal:
 * `14:03:07 WARN  mail #3 failed: … event=mail_failed mailId=3 code=smtp_recipient_rejected`.
 * Time in the local time zone, then the level, the message and the other fields (event first).
 * The stack of an error (level error or fatal) follows on indented lines.
 */
export function prettyLine(jsonLine: string): string {
  let entry: Record<string, unknown>;
  try {
    entry = JSON.parse(jsonLine) as Record<string, unknown>;
  } catch {
    return jsonLine.endsWith('\n') ? jsonLine : `${jsonLine}\n`;
  }
  const time = new Date(typeof entry.time === 'number' ? entry.time : Date.now());
  const clock = `${twoDigits(time.getHours())}:${twoDigits(time.getMinutes())}:${twoDigits(time.getSeconds())}`;
  const level = (levelNames[Number(entry.level)] ?? String(entry.level)).padEnd(5);
  const keys = Object.keys(entry).filter((k) => !leftOut.has(k));
  const ordered = keys.includes('event') ? ['event', ...keys.filter((k) => k !== 'event')] : keys;
  let stack: string | undefined;
  const fields = ordered.map((key) => {
    const err = key === 'err' ? errorParts(entry[key]) : undefined;
    if (err) {
      stack = err.stack;
      return `err=${shownValue(err.message)}`;
    }
    return `${key}=${shownValue(entry[key])}`;
  });
  const message = typeof entry.msg === 'string' ? escapeControls(entry.msg) : '';
  const line = [clock, level, message, ...fields].filter((part) => part !== '').join(' ');
  // The stack of an error or a fatal one is for whoever fixes it; a warning's would drown the log.
  const stackLines =
    stack && Number(entry.level) >= 50
      ? stack
          .split('\n')
          .slice(1)
          .map((l) => `    ${escapeControls(l.trim())}`)
      : [];
  return `${[line, ...stackLines].join('\n')}\n`;
}

/** A pino destination that writes each line as prettyLine() shows it to `target`. */
export function prettyDestination(target: DestinationStream): DestinationStream {
  return { write: (line: string) => void target.write(prettyLine(line)) };
}
