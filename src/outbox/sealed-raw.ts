import type { SecretBox } from '../config/secret-box.ts';

// A stored message starts with a header ("From:", "DKIM-Signature:"); this prefix cannot, so a
// sealed one is told apart without a column, and messages stored before sealing existed still read.
const PREFIX = 'sealed:';
const PREFIX_BYTES = Buffer.from(PREFIX, 'latin1');

/** Whether a stored message (or owed mail's payload) is sealed with the instance key. */
export const isSealedRaw = (stored: string): boolean => stored.startsWith(PREFIX);

/**
 * A message that holds a live one-time link, sealed with the instance key (AES-256-GCM, the
 * secret box of the settings) before it reaches the database: the database file, its -wal, a
 * backup or a copy on PostgreSQL hold no usable link. Opened only to be sent, byte for byte.
 */
export const sealRaw = (box: SecretBox, raw: string): string => PREFIX + box.seal(raw);

/** The message as it was queued: opened when sealed, as stored otherwise. */
export const openRaw = (box: SecretBox, stored: string): string => (isSealedRaw(stored) ? box.open(stored.slice(PREFIX.length)) : stored);

/** isSealedRaw for a message kept as bytes (the outbox). */
export const isSealedBytes = (stored: Uint8Array): boolean => stored.length >= PREFIX_BYTES.length && PREFIX_BYTES.equals(stored.subarray(0, PREFIX_BYTES.length));

/** sealRaw for a message kept as bytes: the same sealed text, as its (ASCII) bytes. */
export const sealBytes = (box: SecretBox, raw: Buffer): Buffer => Buffer.from(sealRaw(box, raw.toString('latin1')), 'latin1');

/** openRaw for a message kept as bytes. */
export const openBytes = (box: SecretBox, stored: Buffer): Buffer => (isSealedBytes(stored) ? Buffer.from(openRaw(box, stored.toString('latin1')), 'latin1') : stored);
