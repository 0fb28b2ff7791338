import { constants, statSync } from 'node:fs';
import { access, stat } from 'node:fs/promises';
import type { Settings } from '../config/settings-schema.ts';
import { readCaFile } from './ca-file.ts';

/**
 * What the files the settings name are right now, as a short string that changes when one of
 * them is replaced or rewritten in place (device, inode, size, modification and change times:
 * one stat, no read). Only the files a transport reads once when it is built count: the CA file
 * of mode smtp. The program of sendmail and qmail is started afresh for every mail, and the DKIM
 * key is a setting's content, not a file, so neither can go stale.
 *
 * Synchronous on purpose: the worker asks before every batch, between reading the settings and
 * claiming mails, and a wait there would let a batch claimed after a settings change go out
 * with the transport of the settings before it. A stat of a local file takes microseconds and
 * never opens it (a FIFO or a device path does not block it).
 */
export function settingFilesKey(settings: Settings): string {
  if (settings.mail_smtpmode !== 'smtp' || settings.mail_smtptls_ca === '') return '';
  try {
    const s = statSync(settings.mail_smtptls_ca, { bigint: true });
    return `ca:${s.dev}:${s.ino}:${s.size}:${s.mtimeNs}:${s.ctimeNs}`;
  } catch {
    // Gone or unreadable: a key of its own, so that the file's return is noticed too.
    return 'ca:missing';
  }
}

/** The settings that name a file on the server, and what each must be. */
export const SETTING_FILE_KEYS = ['mail_smtptls_ca', 'mail_sendmail_path', 'mail_qmail_path'] as const;
export type SettingFileKey = (typeof SETTING_FILE_KEYS)[number];

/**
 * Whether the file a setting names can be used as Mailroom would use it: the CA file read and
 * parsed by the very reader the transports use, a program found and executable. One verdict for
 * every way of failing, so that the answer tells an admin of the web page no more than the test
 * mail would (not whether a path exists, nor anything of what it holds); `mailroom doctor`
 * gives the host's admin the details.
 */
export async function settingFileUsable(key: SettingFileKey, path: string): Promise<boolean> {
  if (path === '') return true;
  if (key === 'mail_smtptls_ca') {
    try {
      await readCaFile(path);
      return true;
    } catch {
      return false;
    }
  }
  try {
    const s = await stat(path);
    if (!s.isFile()) return false;
    await access(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}
