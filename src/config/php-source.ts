/**
 * Where a problem in a config.php is, and how its pieces are named in messages: shared by the
 * lexer and the parser so every message has the same `config.php line L, column C:` shape.
 */
import { MailroomError } from '../errors.ts';

/** Long names in error messages are cut so one hostile token cannot flood a log line. */
const MAX_QUOTED_LENGTH = 40;

export function failAt(source: string, offset: number, problem: string): never {
  const { line, column } = locate(source, offset);
  throw new MailroomError('config_import_malformed', `config.php line ${line}, column ${column}: ${problem}`, {
    details: { line, column },
  });
}

/** Line and column (both 1-based) of an offset; columns count characters, as editors show them. */
export function locate(source: string, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < offset && i < source.length; i++) {
    const c = source.charCodeAt(i);
    if (c === 0x0a || (c === 0x0d && source.charCodeAt(i + 1) !== 0x0a)) {
      line++;
      lineStart = i + 1;
    }
  }
  const column = [...source.slice(lineStart, offset)].length + 1;
  return { line, column };
}

export function describeChar(c: string): string {
  const code = c.codePointAt(0) ?? 0;
  if (code < 0x20 || code === 0x7f) return `U+${code.toString(16).toUpperCase().padStart(4, '0')}`;
  return `'${c}'`;
}

export function quote(text: string): string {
  const shown = [...text];
  return shown.length > MAX_QUOTED_LENGTH ? `'${shown.slice(0, MAX_QUOTED_LENGTH).join('')}…'` : `'${text}'`;
}
