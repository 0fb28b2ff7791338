import { ApiError } from '../../api.ts';
import type { TemplateParts } from '../../../src/domain/api-types.ts';

export type Part = keyof TemplateParts;
export const PARTS: readonly Part[] = ['subject', 'html', 'text'];

/** A draft the server refused (preview or save): which part, where, and why. */
export interface DraftError {
  part: Part | null;
  line?: number | undefined;
  column?: number | undefined;
  message: string;
}

/**
 * The error of a 400 (or 413) answer about a part: `details.part` names it (else the message's
 * "html: …" prefix), `details.line`/`column` place it (else the message's "line 3, column 22: ").
 * Other failures (network, 500) are not draft errors: null.
 */
export function draftErrorOf(error: unknown): DraftError | null {
  if (!(error instanceof ApiError) || (error.status !== 400 && error.status !== 413)) return null;
  const details = error.details ?? {};
  let message = error.message;
  let part: Part | null = typeof details.part === 'string' && (PARTS as readonly string[]).includes(details.part) ? (details.part as Part) : null;
  const prefix = /^(subject|html|text): /.exec(message);
  if (prefix) {
    part ??= prefix[1] as Part;
    message = message.slice(prefix[0].length);
  }
  let line = typeof details.line === 'number' ? details.line : undefined;
  let column = typeof details.column === 'number' ? details.column : undefined;
  const at = /^line (\d+), column (\d+): /.exec(message);
  if (at) {
    line ??= Number(at[1]);
    column ??= Number(at[2]);
    message = message.slice(at[0].length);
  }
  if (part === null && details.field === 'subject') part = 'subject';
  return { part, line, column, message };
}

export const keyOf = (name: string, lang: string) => `${name}/${lang}`;
export const sameParts = (a: TemplateParts, b: TemplateParts) => a.subject === b.subject && a.html === b.html && a.text === b.text;
