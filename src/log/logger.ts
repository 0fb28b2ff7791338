import { pino, type Logger, type DestinationStream } from 'pino';

export type { Logger };

/**
 * Paths pino blanks in every log line, fixed at start. Secrets must never reach a log even
 * when a whole settings object or request is logged by mistake.
 */
export const redactedPaths = [
  'password', '*.password', 'pass', '*.pass', 'token', '*.token', 'accessToken', '*.accessToken',
  'mail_smtppassword', '*.mail_smtppassword', 'mail_smtpoauth_client_secret', '*.mail_smtpoauth_client_secret',
  'mail_smtpoauth_refresh_token', '*.mail_smtpoauth_refresh_token', 'clientSecret', '*.clientSecret',
  'refreshToken', '*.refreshToken', 'req.headers.authorization', 'req.headers.cookie', 'headers.authorization',
];

export function createLogger(options: { level: string; destination?: DestinationStream }): Logger {
  return pino(
    { level: options.level, base: { app: 'mailroom' }, redact: { paths: redactedPaths, censor: '***' } },
    options.destination ?? pino.destination(2),
  );
}
