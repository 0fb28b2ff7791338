import type { SecretBox } from '../config/secret-box.ts';

// A stored message starts with a header ("From:", "DKIM-Signature:"); this prefix cannot, so a
// sealed one is told apart without a column, and messages stored before sealing existed still read.
const PREFIX = 'sealed:';

/** Whether a stored message is sealed with the instance key. */
export const isSealedRaw = (stored: string): boolean => stored.startsWith(PREFIX);

/**
 * A message that holds a live one-time link, sealed with the instance key (AES-256-GCM, the
 * secret box of the settings) before it reaches the database: the database file, its -wal, a
 * backup or a copy on PostgreSQL hold no usable link. Opened only to be sent, byte for byte.
 */
export const sealRaw = (box: SecretBox, raw: string): string => PREFIX + box.seal(raw);

/** The message as it was queued: opened when sealed, as stored otherwise. */
export const openRaw = (box: SecretBox, stored: string): string => (isSealedRaw(stored) ? box.open(stored.slice(PREFIX.length)) : stored);
