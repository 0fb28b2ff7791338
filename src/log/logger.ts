import { pino, type Logger, type DestinationStream } from 'pino';
import { prettyDestination } from './pretty-lines.ts';

export type { Logger };

/**
 * Paths pino blanks in every log line, fixed at start. Secrets must never reach a log even
 * when a whole settings object or request is logged by mistake.
 */
export const redactedPaths = [
  'password',
  '*.password',
  'pass',
  '*.pass',
  'token',
  '*.token',
  'accessToken',
  '*.accessToken',
  'mail_smtppassword',
  '*.mail_smtppassword',
  'mail_smtpoauth_client_secret',
  '*.mail_smtpoauth_client_secret',
  'mail_smtpoauth_refresh_token',
  '*.mail_smtpoauth_refresh_token',
  'mail_bounce_pop3_password',
  '*.mail_bounce_pop3_password',
  'clientSecret',
  '*.clientSecret',
  'refreshToken',
  '*.refreshToken',
  'req.headers.authorization',
  'req.headers.cookie',
  'headers.authorization',
];

/** json: one JSON object per line, for log collectors; pretty: one line for a person at a terminal. */
export type LogFormat = 'json' | 'pretty';

export function createLogger(options: { level: string; format?: LogFormat; destination?: DestinationStream }): Logger {
  // Pretty lines go to a terminal: written at once, so none is lost when the process exits
  // (pino cannot flush a destination it does not see).
  const destination = options.destination ?? pino.destination({ dest: 2, sync: options.format === 'pretty' });
  // The pretty lines are made from the JSON lines, so they are redacted exactly as those are.
  return pino({ level: options.level, base: { app: 'mailroom' }, redact: { paths: redactedPaths, censor: '***' } }, options.format === 'pretty' ? prettyDestination(destination) : destination);
}
