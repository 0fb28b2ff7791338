import { execFile } from 'node:child_process';
import { splitCommandLine } from './sendmail-transport.ts';

/** PHP's built-in default when php.ini sets no sendmail_path. */
export const PHP_DEFAULT_SENDMAIL = '/usr/sbin/sendmail -t -i';

/**
 * The command PHP's mail() would run: php.ini's sendmail_path when PHP is installed (asked of
 * PHP itself, so every ini file and PHP_INI_SCAN_DIR count), else PHP's default.
 */
export function resolvePhpSendmailCommand(env: NodeJS.ProcessEnv = process.env, php = 'php'): Promise<string[]> {
  return new Promise((resolve) => {
    execFile(php, ['-r', 'echo ini_get("sendmail_path");'], { env, timeout: 10_000 }, (error, stdout) => {
      const configured = error ? '' : stdout.trim();
      resolve(splitCommandLine(configured || PHP_DEFAULT_SENDMAIL));
    });
  });
}
