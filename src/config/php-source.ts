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

/**
 * `locate` for many offsets of one source: a file of a hundred thousand unreadable values must
 * not cost a scan from the start for each of them.
 */
export function createLocator(source: string): (offset: number) => { line: number; column: number } {
  const lineStarts = [0];
  // Characters before each offset that are the second half of a surrogate pair, so that columns
  // count characters as `locate` does.
  const lowSurrogatesBefore = new Uint32Array(source.length + 1);
  for (let i = 0; i < source.length; i++) {
    const c = source.charCodeAt(i);
    const isLow = c >= 0xdc00 && c <= 0xdfff && i > 0 && source.charCodeAt(i - 1) >= 0xd800 && source.charCodeAt(i - 1) <= 0xdbff;
    lowSurrogatesBefore[i + 1] = (lowSurrogatesBefore[i] ?? 0) + (isLow ? 1 : 0);
    if (c === 0x0a || (c === 0x0d && source.charCodeAt(i + 1) !== 0x0a)) lineStarts.push(i + 1);
  }
  return (offset) => {
    let low = 0;
    let high = lineStarts.length - 1;
    while (low < high) {
      const middle = Math.ceil((low + high) / 2);
      if ((lineStarts[middle] ?? 0) <= offset) low = middle;
      else high = middle - 1;
    }
    const lineStart = lineStarts[low] ?? 0;
    const surrogates = (lowSurrogatesBefore[offset] ?? 0) - (lowSurrogatesBefore[lineStart] ?? 0);
    return { line: low + 1, column: offset - lineStart - surrogates + 1 };
  };
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
