import { createCipheriv, createDecipheriv, randomBytes as nodeRandomBytes } from 'node:crypto';
import { linkSync, mkdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { MailroomError } from '../errors.ts';

/** Encrypts secrets (SMTP password, OAuth secrets) before they reach the database. */
export interface SecretBox {
  seal(plain: string): string;
  open(sealed: string): string;
}

const PREFIX = 'v1:';

export function createSecretBox(key: Buffer, randomBytes: (n: number) => Buffer = nodeRandomBytes): SecretBox {
  if (key.length !== 32) throw new MailroomError('secret_key_unreadable', 'The secret key must be 32 bytes');
  return {
    seal(plain) {
      const iv = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', key, iv);
      const body = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
      return PREFIX + Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64');
    },
    open(sealed) {
      try {
        if (!sealed.startsWith(PREFIX)) throw new Error('unknown format');
        const data = Buffer.from(sealed.slice(PREFIX.length), 'base64');
        const decipher = createDecipheriv('aes-256-gcm', key, data.subarray(0, 12));
        decipher.setAuthTag(data.subarray(12, 28));
        return Buffer.concat([decipher.update(data.subarray(28)), decipher.final()]).toString('utf8');
      } catch (cause) {
        throw new MailroomError('secret_undecryptable', 'A stored secret cannot be decrypted: the data directory key (secret.key or MAILROOM_SECRET_KEY) is not the one it was saved with. Set the secret again.', { cause });
      }
    },
  };
}

/**
 * The key lives in the data directory, made on first start (mode 0600), so a copied database
 * alone does not reveal the passwords. Several machines sharing one PostgreSQL database must
 * share the key too: MAILROOM_SECRET_KEY (base64 of 32 bytes) overrides the file.
 */
export function loadOrCreateSecretKey(dataDir: string, fromEnv: string | undefined, randomBytes: (n: number) => Buffer = nodeRandomBytes): Buffer {
  if (fromEnv !== undefined && fromEnv !== '') {
    const key = Buffer.from(fromEnv, 'base64');
    if (key.length !== 32) throw new MailroomError('secret_key_unreadable', 'MAILROOM_SECRET_KEY must be the base64 of 32 bytes (openssl rand -base64 32)');
    return key;
  }
  const path = join(dataDir, 'secret.key');
  try {
    const key = Buffer.from(readFileSync(path, 'utf8').trim(), 'base64');
    if (key.length !== 32) throw new MailroomError('secret_key_unreadable', `${path} does not hold a 32-byte base64 key`);
    return key;
  } catch (error) {
    if (error instanceof MailroomError) throw error;
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') {
      throw new MailroomError('secret_key_unreadable', `Cannot read ${path}: ${(error as Error).message}`, { cause: error });
    }
  }
  const key = randomBytes(32);
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  // Written aside and linked into place: two first starts at once (serve and a CLI command)
  // must end with one key, and neither may read a half-written file.
  const temporary = `${path}.${process.pid}.${randomBytes(4).toString('hex')}`;
  writeFileSync(temporary, `${key.toString('base64')}\n`, { mode: 0o600 });
  try {
    linkSync(temporary, path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw new MailroomError('secret_key_unreadable', `Cannot write ${path}: ${(error as Error).message}`, { cause: error });
    return loadOrCreateSecretKey(dataDir, undefined, randomBytes);
  } finally {
    unlinkSync(temporary);
  }
  return key;
}
