/**
 * The pretty log lines, made by the real pino logger of src/log/logger.ts: what a person sees,
 * and that a secret is blanked in them exactly as in the JSON lines.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createLogger, type LogFormat } from '../../src/log/logger.ts';

function logged(format: LogFormat, write: (log: ReturnType<typeof createLogger>) => void): string {
  let out = '';
  const log = createLogger({ level: 'info', format, destination: { write: (line: string) => void (out += line) } });
  write(log);
  return out;
}

describe('pretty log lines', () => {
  it('show the time, the level, the message, then event and the other fields', () => {
    const line = logged('pretty', (log) => log.child({ module: 'outbox' }).warn({ event: 'mail_failed', mailId: 3, code: 'smtp_recipient_rejected', host: 'smtp.example.com:25', reply: '550 5.1.1 <dave@example.com>: User unknown' }, 'mail #3 failed'));
    assert.match(line, /^\d\d:\d\d:\d\d WARN {2}mail #3 failed event=mail_failed module=outbox mailId=3 code=smtp_recipient_rejected host=smtp\.example\.com:25 reply="550 5\.1\.1 <dave@example\.com>: User unknown"\n$/);
  });

  it('blank the redacted fields as the JSON lines do', () => {
    const secret = 'Pfx-s3cret-9zQw';
    const entry = { event: 'settings_saved', password: secret, settings: { mail_smtppassword: secret, mail_smtpoauth_refresh_token: secret, mail_smtphost: 'smtp.example.com' }, req: { headers: { authorization: `Bearer ${secret}` } } };
    const json = logged('json', (log) => log.info(entry, 'saved'));
    const pretty = logged('pretty', (log) => log.info(entry, 'saved'));
    assert.ok(!json.includes(secret) && !pretty.includes(secret), pretty);
    assert.match(pretty, / password=\*\*\* /);
    assert.match(pretty, / settings=\{"mail_smtppassword":"\*\*\*","mail_smtpoauth_refresh_token":"\*\*\*","mail_smtphost":"smtp\.example\.com"\} /);
    assert.match(pretty, / req=\{"headers":\{"authorization":"\*\*\*"\}\}\n$/);
  });

  it('escape control characters, so a logged subject cannot drive the terminal', () => {
    const line = logged('pretty', (log) => log.warn({ event: 'x', subject: 'Hi\u001b[2J there' }, 'bad\u001b]0;title\u0007 subject\nsecond line'));
    assert.ok(!line.slice(0, -1).includes('\u001b') && !line.slice(0, -1).includes('\n'), JSON.stringify(line));
    assert.match(line, /bad\\u001b\]0;title\\u0007 subject\\u000asecond line event=x subject="Hi\\u001b\[2J there"\n$/);
  });

  it('give an error its message, and at level error its stack on indented lines', () => {
    const err = new Error('connect ECONNREFUSED 127.0.0.1:5432');
    const warn = logged('pretty', (log) => log.warn({ event: 'worker_error', err }, 'the pass failed'));
    assert.match(warn, /^\d\d:\d\d:\d\d WARN {2}the pass failed event=worker_error err="connect ECONNREFUSED 127\.0\.0\.1:5432"\n$/);
    const error = logged('pretty', (log) => log.error({ event: 'worker_error', err }, 'the pass failed'));
    assert.match(error, /^\d\d:\d\d:\d\d ERROR the pass failed event=worker_error err="connect ECONNREFUSED 127\.0\.0\.1:5432"\n {4}at .+pretty-lines\.test\.ts/);
  });
});
