import { constants, type Stats } from 'node:fs';
import { open } from 'node:fs/promises';
import { X509Certificate } from 'node:crypto';
import { MailroomError } from '../errors.ts';
import { printable } from '../domain/address.ts';

/** A CA bundle is a few hundred KiB at most (Debian's whole ca-certificates.crt is ~220 KiB). */
const MAX_CA_FILE_BYTES = 1024 * 1024;

const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----[A-Za-z0-9+/=\s]+?-----END CERTIFICATE-----/g;

/**
 * Reads the PEM file named by `mail_smtptls_ca`. The path comes from whoever administers the
 * web page, who is not the host's admin, so every failure gives the same answer: it must not
 * tell whether an arbitrary path exists, is readable or holds anything, let alone show a byte of
 * it. Only a regular file of at most 1 MiB is read (a FIFO or /dev/zero would hang or fill the
 * memory), opened without blocking, and only whole certificates are kept from it.
 */
export async function readCaFile(path: string, key: 'mail_smtptls_ca' | 'mail_bounce_pop3_tls_ca' = 'mail_smtptls_ca'): Promise<string> {
  const refused = (cause?: unknown) =>
    new MailroomError('config_invalid_value', `${key}: "${printable(path)}" is not a PEM file of CA certificates that Mailroom can read: give the absolute path of a file holding -----BEGIN CERTIFICATE----- blocks, readable by the user Mailroom runs as`, { details: { key }, ...(cause !== undefined ? { cause } : {}) });
  let text: string;
  try {
    const handle = await open(path, constants.O_RDONLY | constants.O_NONBLOCK);
    try {
      const stats: Stats = await handle.stat();
      if (!stats.isFile()) throw refused();
      const buffer = Buffer.alloc(MAX_CA_FILE_BYTES + 1);
      let filled = 0;
      for (;;) {
        const { bytesRead } = await handle.read(buffer, filled, buffer.length - filled, filled);
        if (bytesRead === 0) break;
        filled += bytesRead;
        if (filled > MAX_CA_FILE_BYTES) throw refused();
      }
      text = buffer.toString('latin1', 0, filled);
    } finally {
      await handle.close();
    }
  } catch (error) {
    if (error instanceof MailroomError) throw error;
    throw refused(error);
  }
  const certificates = text.match(PEM_CERTIFICATE) ?? [];
  for (const pem of certificates) {
    try {
      new X509Certificate(pem);
    } catch (error) {
      throw refused(error);
    }
  }
  if (certificates.length === 0) throw refused();
  return certificates.join('\n');
}
