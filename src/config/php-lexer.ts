/**
 * Splits the PHP of a config.php into tokens: names, variables, numbers, operators and strings
 * with their escapes applied (single- and double-quoted, heredoc and nowdoc). Comments and
 * whitespace are dropped. A string PHP would only know when it runs (a variable interpolated
 * into it, a shell command in backticks) becomes an `unreadable-string` token, so the parser can
 * skip the value it belongs to; broken syntax fails here with its line and column.
 */
import { describeChar, failAt as fail, quote } from './php-source.ts';
import { float, integerLiteral, type PhpOperand } from './php-values.ts';

export type Token =
  | { readonly kind: 'string'; readonly start: number; readonly value: string }
  /** `at` is where PHP would start running code (the `$` of an interpolation). */
  | { readonly kind: 'unreadable-string'; readonly start: number; readonly at: number; readonly problem: string }
  | { readonly kind: 'number'; readonly start: number; readonly value: Extract<PhpOperand, { type: 'int' | 'float' }>; readonly text: string }
  | { readonly kind: 'identifier'; readonly start: number; readonly text: string }
  | { readonly kind: 'variable'; readonly start: number; readonly name: string }
  | { readonly kind: 'symbol'; readonly start: number; readonly text: string }
  | { readonly kind: 'close-tag'; readonly start: number }
  | { readonly kind: 'end'; readonly start: number };

export function isWhitespace(c: string): boolean {
  // PHP's own whitespace set: anything else (a no-break space, a form feed) is a syntax error there.
  return c === ' ' || c === '\t' || c === '\n' || c === '\r';
}

function isIdentifierStart(c: string): boolean {
  // PHP treats every byte >= 0x80 as a name character, hence every non-ASCII character here.
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c === '_' || (c !== '' && c.charCodeAt(0) >= 0x80);
}

function isIdentifierPart(c: string): boolean {
  return isIdentifierStart(c) || (c >= '0' && c <= '9');
}

function isHexDigit(c: string): boolean {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/** Returns the offset just after `<?php`; a byte order mark or blank lines before it are tolerated. */
export function skipOpenTag(source: string): number {
  let pos = source.startsWith('\uFEFF') ? 1 : 0;
  while (isWhitespace(source.charAt(pos))) pos++;
  if (source.slice(pos, pos + 5).toLowerCase() !== '<?php') {
    const found = pos >= source.length ? 'end of file' : 'other text';
    fail(source, pos, `expected '<?php' at the start of the file but found ${found}`);
  }
  const after = source.charAt(pos + 5);
  if (after !== '' && !isWhitespace(after)) {
    fail(source, pos + 5, `expected whitespace after '<?php' but found ${describeChar(after)}`);
  }
  return pos + 5;
}

const DECIMAL = String.raw`\d+(?:_\d+)*`;
const NUMBER_FORMS: ReadonlyArray<{ pattern: RegExp; integer: boolean; normalize: (text: string) => string }> = [
  { pattern: /^0[xX][0-9a-fA-F]+(?:_[0-9a-fA-F]+)*$/, integer: true, normalize: (t) => t },
  { pattern: /^0[bB][01]+(?:_[01]+)*$/, integer: true, normalize: (t) => t },
  { pattern: /^0[oO][0-7]+(?:_[0-7]+)*$/, integer: true, normalize: (t) => t },
  // Legacy octal (0755): JavaScript's Number() would read it as decimal.
  { pattern: /^0[0-7]*(?:_[0-7]+)*$/, integer: true, normalize: (t) => (t.length > 1 ? `0o${t.slice(1)}` : t) },
  { pattern: /^[1-9]\d*(?:_\d+)*$/, integer: true, normalize: (t) => t },
  {
    pattern: new RegExp(String.raw`^(?=.*[.eE])(?:(?:${DECIMAL})?\.${DECIMAL}|${DECIMAL}\.(?:${DECIMAL})?|${DECIMAL})(?:[eE][+-]?${DECIMAL})?$`),
    integer: false,
    normalize: (t) => t,
  },
];

/** Operators of more than one character, longest first so `===` is not read as `==` and `=`. */
const LONG_SYMBOLS = ['<=>', '===', '!==', '**=', '...', '<<=', '>>=', '??=', '?->', '=>', '**', '::', '->', '<<', '>>', '==', '!=', '<>', '<=', '>=', '&&', '||', '??', '++', '--', '+=', '-=', '*=', '/=', '.=', '%=', '&=', '|=', '^='];

const SIMPLE_ESCAPES: Readonly<Record<string, number>> = {
  n: 0x0a,
  t: 0x09,
  r: 0x0d,
  v: 0x0b,
  e: 0x1b,
  f: 0x0c,
  '\\': 0x5c,
  $: 0x24,
  '"': 0x22,
};

const INTERPOLATION = "a variable is interpolated into the string; write \\$ for a literal '$'";

/**
 * A run of source text that a string is made of, with where each piece came from, so that an
 * escape or interpolation inside a de-indented heredoc is still reported at its real place.
 */
interface SourceText {
  readonly text: string;
  readonly offsetOf: (index: number) => number;
}

export class Lexer {
  private pos: number;
  /** After `?>` PHP copies the rest of the file to its output, so only whitespace may follow. */
  private afterCloseTag = false;

  constructor(
    private readonly source: string,
    start: number,
  ) {
    this.pos = start;
  }

  /** The token after the current one, without moving past it. */
  peek(): Token {
    const saved = { pos: this.pos, afterCloseTag: this.afterCloseTag };
    const token = this.next();
    this.pos = saved.pos;
    this.afterCloseTag = saved.afterCloseTag;
    return token;
  }

  next(): Token {
    if (this.afterCloseTag) return this.endAfterCloseTag();
    this.skipTrivia();
    const s = this.source;
    const start = this.pos;
    const c = s.charAt(start);
    if (c === '') return { kind: 'end', start };
    const next = s.charAt(start + 1);

    if (c === '?' && next === '>') {
      this.pos += 2;
      this.afterCloseTag = true;
      return { kind: 'close-tag', start };
    }
    if (c === "'") return this.readSingleQuoted(start);
    if (c === '"') return this.readDoubleQuoted(start);
    if (c === '`') return this.readBackticks(start);
    if (c === '<' && s.startsWith('<<<', start)) return this.readHeredoc(start);
    if ((c >= '0' && c <= '9') || (c === '.' && next >= '0' && next <= '9')) return this.readNumber(start);
    if (c === '$' && isIdentifierStart(next)) {
      const end = this.scanIdentifier(start + 1);
      return { kind: 'variable', start, name: s.slice(start + 1, end) };
    }
    if (isIdentifierStart(c)) {
      const end = this.scanIdentifier(start);
      return { kind: 'identifier', start, text: s.slice(start, end) };
    }
    const long = LONG_SYMBOLS.find((symbol) => s.startsWith(symbol, start));
    const text = long ?? String.fromCodePoint(s.codePointAt(start) ?? 0);
    this.pos += text.length;
    return { kind: 'symbol', start, text };
  }

  private endAfterCloseTag(): Token {
    while (isWhitespace(this.source.charAt(this.pos))) this.pos++;
    if (this.pos < this.source.length) {
      fail(this.source, this.pos, "expected only whitespace after '?>' but found more text");
    }
    return { kind: 'end', start: this.pos };
  }

  private scanIdentifier(from: number): number {
    let end = from;
    while (isIdentifierPart(this.source.charAt(end))) end++;
    this.pos = end;
    return end;
  }

  private skipTrivia(): void {
    const s = this.source;
    for (;;) {
      const c = s.charAt(this.pos);
      const next = s.charAt(this.pos + 1);
      if (isWhitespace(c)) {
        this.pos++;
      } else if ((c === '#' && next !== '[') || (c === '/' && next === '/')) {
        // As in PHP, a `?>` ends a one-line comment too, and is then a real closing tag.
        while (this.pos < s.length) {
          const d = s.charAt(this.pos);
          if (d === '\n' || d === '\r' || (d === '?' && s.charAt(this.pos + 1) === '>')) break;
          this.pos++;
        }
      } else if (c === '/' && next === '*') {
        const close = s.indexOf('*/', this.pos + 2);
        if (close === -1) fail(s, this.pos, "unterminated comment: the closing '*/' is missing");
        this.pos = close + 2;
      } else {
        return;
      }
    }
  }

  private readNumber(start: number): Token {
    const s = this.source;
    let end = start;
    // Take the longest run that could belong to a number, then check it as a whole, so `10abc`
    // or `1__0` is reported as one malformed number instead of a confusing follow-up error.
    for (;;) {
      const c = s.charAt(end);
      const isSign = (c === '+' || c === '-') && /[eE]/.test(s.charAt(end - 1)) && !/^0[xXbB]/.test(s.slice(start, end));
      if (isSign || c === '.' || c === '_' || isIdentifierPart(c)) end++;
      else break;
    }
    const text = s.slice(start, end);
    const form = NUMBER_FORMS.find((f) => f.pattern.test(text));
    if (form === undefined) fail(s, start, `malformed number ${quote(text)}`);
    this.pos = end;
    const digits = form.normalize(text.replaceAll('_', ''));
    const value = form.integer ? integerLiteral(BigInt(digits), digits) : float(Number(digits));
    return { kind: 'number', start, value, text };
  }

  private readSingleQuoted(start: number): Token {
    const s = this.source;
    let value = '';
    let runStart = start + 1;
    let i = runStart;
    for (;;) {
      if (i >= s.length) fail(s, start, "unterminated string: the closing ' is missing");
      const c = s.charAt(i);
      if (c === "'") break;
      const next = s.charAt(i + 1);
      if (c === '\\' && (next === "'" || next === '\\')) {
        value += s.slice(runStart, i) + next;
        i += 2;
        runStart = i;
      } else {
        i++;
      }
    }
    value += s.slice(runStart, i);
    this.pos = i + 1;
    return { kind: 'string', start, value };
  }

  private readDoubleQuoted(start: number): Token {
    const s = this.source;
    let i = start + 1;
    for (;;) {
      if (i >= s.length) fail(s, start, 'unterminated string: the closing " is missing');
      const c = s.charAt(i);
      if (c === '"') break;
      if (c === '\\') i += 2;
      else if ((c === '{' && s.charAt(i + 1) === '$') || (c === '$' && s.charAt(i + 1) === '{')) i = this.skipInterpolationBraces(start, s.indexOf('{', i));
      else i++;
    }
    this.pos = i + 1;
    const bodyStart = start + 1;
    return this.decode(start, { text: s.slice(bodyStart, i), offsetOf: (index) => bodyStart + index }, '"');
  }

  /** `{$a['x']}` may hold quotes and braces of its own: find the `}` that closes it. */
  private skipInterpolationBraces(stringStart: number, open: number): number {
    const s = this.source;
    let depth = 0;
    let i = open;
    while (i < s.length) {
      const c = s.charAt(i);
      if (c === '{') depth++;
      else if (c === '}' && --depth === 0) return i + 1;
      else if (c === "'" || c === '"') {
        i++;
        while (i < s.length && s.charAt(i) !== c) i += s.charAt(i) === '\\' ? 2 : 1;
      }
      i++;
    }
    fail(s, stringStart, 'unterminated string: the closing " is missing');
  }

  private readBackticks(start: number): Token {
    const s = this.source;
    let i = start + 1;
    while (s.charAt(i) !== '`') {
      if (i >= s.length) fail(s, start, 'unterminated shell command: the closing ` is missing');
      i += s.charAt(i) === '\\' ? 2 : 1;
    }
    this.pos = i + 1;
    return { kind: 'unreadable-string', start, at: start, problem: 'it runs a shell command (`…`)' };
  }

  /**
   * Heredoc (`<<<EOT`, `<<<"EOT"`) and nowdoc (`<<<'EOT'`) with PHP 7.3's rules: the closing
   * name may be indented, that indentation is removed from every line of the text, and no line
   * may be indented less or with the other kind of whitespace.
   */
  private readHeredoc(start: number): Token {
    const s = this.source;
    let i = start + 3;
    while (s.charAt(i) === ' ' || s.charAt(i) === '\t') i++;
    const quoteChar = s.charAt(i) === "'" || s.charAt(i) === '"' ? s.charAt(i) : '';
    if (quoteChar !== '') i++;
    if (!isIdentifierStart(s.charAt(i))) fail(s, i, "expected a name after '<<<' (a heredoc or nowdoc)");
    const nameStart = i;
    while (isIdentifierPart(s.charAt(i))) i++;
    const name = s.slice(nameStart, i);
    if (quoteChar !== '') {
      if (s.charAt(i) !== quoteChar) fail(s, i, `expected ${quoteChar} after the name ${quote(name)} of the heredoc`);
      i++;
    }
    const openingBreak = lineBreakAt(s, i);
    if (openingBreak === 0) fail(s, i, `expected a line break after '<<<${quoteChar}${name}${quoteChar}'`);
    const bodyStart = i + openingBreak;

    let closingLine = bodyStart;
    let markerStart: number;
    for (;;) {
      markerStart = closingLine;
      while (s.charAt(markerStart) === ' ' || s.charAt(markerStart) === '\t') markerStart++;
      if (s.startsWith(name, markerStart) && !isIdentifierPart(s.charAt(markerStart + name.length))) break;
      const lineEnd = nextLineEnd(s, closingLine);
      if (lineEnd >= s.length) fail(s, start, `unterminated heredoc: the closing ${quote(name)} is missing`);
      closingLine = lineEnd + lineBreakAt(s, lineEnd);
    }
    this.pos = markerStart + name.length;

    const indentation = s.slice(closingLine, markerStart);
    if (indentation.includes(' ') && indentation.includes('\t')) fail(s, closingLine, `the indentation of the closing ${quote(name)} mixes tabs and spaces`);
    // The line break before the closing name is not part of the text.
    const bodyEnd = closingLine === bodyStart ? bodyStart : closingLine - (s.charAt(closingLine - 1) === '\n' && s.charAt(closingLine - 2) === '\r' ? 2 : 1);
    const body = this.removeIndentation(bodyStart, bodyEnd, indentation, name);
    if (quoteChar === "'") return { kind: 'string', start, value: body.text };
    return this.decode(start, body, 'heredoc');
  }

  private removeIndentation(bodyStart: number, bodyEnd: number, indentation: string, name: string): SourceText {
    const s = this.source;
    const pieces: Array<{ textStart: number; sourceStart: number }> = [];
    let text = '';
    let pos = bodyStart;
    while (pos < bodyEnd) {
      const lineEnd = Math.min(nextLineEnd(s, pos), bodyEnd);
      for (let k = 0; k < indentation.length && pos < lineEnd; k++, pos++) {
        const c = s.charAt(pos);
        if (c !== ' ' && c !== '\t') {
          fail(s, pos, `this line of the heredoc is indented less than its closing ${quote(name)} (${indentation.length} ${indentation.startsWith('\t') ? 'tab(s)' : 'space(s)'})`);
        }
        if (c !== indentation.charAt(0)) fail(s, pos, 'the indentation of this heredoc line mixes tabs and spaces');
      }
      const next = lineEnd >= bodyEnd ? bodyEnd : lineEnd + lineBreakAt(s, lineEnd);
      pieces.push({ textStart: text.length, sourceStart: pos });
      text += s.slice(pos, next);
      pos = next;
    }
    return {
      text,
      offsetOf: (index) => {
        let piece = pieces[0] ?? { textStart: 0, sourceStart: bodyStart };
        for (const p of pieces) if (p.textStart <= index) piece = p;
        return piece.sourceStart + index - piece.textStart;
      },
    };
  }

  /** Applies the escapes of a double-quoted string or heredoc; `"` is an escape only in the former. */
  private decode(start: number, body: SourceText, quoting: '"' | 'heredoc'): Token {
    const { text } = body;
    // \x and octal escapes give bytes, not characters, so the string is built as UTF-8 bytes
    // and decoded at the end, exactly as PHP would send them.
    const chunks: Buffer[] = [];
    let runStart = 0;
    let i = 0;
    const flush = (end: number): void => {
      if (end > runStart) chunks.push(Buffer.from(text.slice(runStart, end), 'utf8'));
    };
    while (i < text.length) {
      const c = text.charAt(i);
      const next = text.charAt(i + 1);
      if ((c === '$' && (isIdentifierStart(next) || next === '{')) || (c === '{' && next === '$')) {
        // The variable's name is not quoted: in a password, it is part of the secret.
        return { kind: 'unreadable-string', start, at: body.offsetOf(i), problem: INTERPOLATION };
      }
      if (c !== '\\' || (quoting === 'heredoc' && next === '"')) {
        i++;
        continue;
      }
      flush(i);
      const escape = this.readEscape(text, i, body.offsetOf);
      if (escape === undefined) {
        // Unknown escapes keep their backslash in PHP.
        runStart = i;
        i++;
      } else {
        chunks.push(escape.bytes);
        i = escape.end;
        runStart = i;
      }
    }
    flush(i);
    try {
      return { kind: 'string', start, value: new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(Buffer.concat(chunks)) };
    } catch {
      fail(this.source, start, 'the string is not valid UTF-8 once its \\x or octal escapes are applied');
    }
  }

  /** Reads the escape whose backslash is at `at`; undefined when PHP would keep it literally. */
  private readEscape(s: string, at: number, offsetOf: (index: number) => number): { bytes: Buffer; end: number } | undefined {
    const e = s.charAt(at + 1);
    const byte = Object.hasOwn(SIMPLE_ESCAPES, e) ? SIMPLE_ESCAPES[e] : undefined;
    if (byte !== undefined) return { bytes: Buffer.of(byte), end: at + 2 };

    if (e >= '0' && e <= '7') {
      let end = at + 1;
      while (end < at + 4 && s.charAt(end) >= '0' && s.charAt(end) <= '7') end++;
      // PHP keeps only the low byte of \400..\777 (with a warning); do the same.
      return { bytes: Buffer.of(parseInt(s.slice(at + 1, end), 8) & 0xff), end };
    }
    if (e === 'x' && isHexDigit(s.charAt(at + 2))) {
      const end = isHexDigit(s.charAt(at + 3)) ? at + 4 : at + 3;
      return { bytes: Buffer.of(parseInt(s.slice(at + 2, end), 16)), end };
    }
    if (e === 'u' && s.charAt(at + 2) === '{') {
      let end = at + 3;
      while (isHexDigit(s.charAt(end))) end++;
      if (end === at + 3 || s.charAt(end) !== '}') fail(this.source, offsetOf(at), "malformed \\u{...} escape: expected hexadecimal digits and '}'");
      const digits = s.slice(at + 3, end).replace(/^0+(?=.)/, '');
      const codePoint = digits.length > 6 ? Infinity : parseInt(digits, 16);
      if (codePoint > 0x10ffff || (codePoint >= 0xd800 && codePoint <= 0xdfff)) {
        fail(this.source, offsetOf(at), '\\u{...} escape is not a valid Unicode code point');
      }
      return { bytes: Buffer.from(String.fromCodePoint(codePoint), 'utf8'), end: end + 1 };
    }
    return undefined;
  }
}

/** Length of the line break at `at` (`\r\n`, `\n` or `\r`), 0 when there is none. */
function lineBreakAt(s: string, at: number): number {
  if (s.charAt(at) === '\r') return s.charAt(at + 1) === '\n' ? 2 : 1;
  return s.charAt(at) === '\n' ? 1 : 0;
}

/** Offset of the line break that ends the line holding `from`, or the end of the source. */
function nextLineEnd(s: string, from: number): number {
  let i = from;
  while (i < s.length && s.charAt(i) !== '\n' && s.charAt(i) !== '\r') i++;
  return i;
}
