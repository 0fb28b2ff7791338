/**
 * Reads the `$CONFIG = array(...)` of an ownCloud/Nextcloud config.php without executing it.
 *
 * The file is untrusted input that happens to be PHP, so only the literal subset installers and
 * admins write is accepted: one assignment of an array of strings, numbers, booleans, null and
 * nested arrays. Everything PHP would have to evaluate (function calls, constants, concatenation,
 * interpolation, heredoc, further statements) is refused with the line and column, because
 * guessing its value could silently import the wrong SMTP host or password.
 */
import { MailroomError } from '../errors.ts';

export type PhpValue = string | number | boolean | null | PhpValue[] | { [key: string]: PhpValue };

const MAX_SOURCE_BYTES = 1024 * 1024;
const MAX_DEPTH = 64;
/** Long names in error messages are cut so one hostile token cannot flood a log line. */
const MAX_QUOTED_LENGTH = 40;

type Token =
  | { readonly kind: 'string'; readonly start: number; readonly value: string }
  | { readonly kind: 'number'; readonly start: number; readonly value: number; readonly text: string; readonly integer: boolean }
  | { readonly kind: 'identifier'; readonly start: number; readonly text: string }
  | { readonly kind: 'variable'; readonly start: number; readonly name: string }
  | { readonly kind: 'symbol'; readonly start: number; readonly text: string }
  | { readonly kind: 'close-tag'; readonly start: number }
  | { readonly kind: 'end'; readonly start: number };

/**
 * Parses the source of a config.php and returns the `$CONFIG` array as an object.
 * Throws `config_import_malformed` (with `details: { line, column }`) on anything else.
 */
export function parsePhpConfig(source: string): Record<string, PhpValue> {
  const size = Buffer.byteLength(source, 'utf8');
  if (size > MAX_SOURCE_BYTES) {
    fail(source, 0, `the file is ${size} bytes, more than the limit of ${MAX_SOURCE_BYTES} bytes (1 MiB)`);
  }
  const afterOpenTag = skipOpenTag(source);
  const parser = new Parser(source, new Lexer(source, afterOpenTag));
  return parser.parseFile();
}

function fail(source: string, offset: number, problem: string): never {
  const { line, column } = locate(source, offset);
  throw new MailroomError('config_import_malformed', `config.php line ${line}, column ${column}: ${problem}`, {
    details: { line, column },
  });
}

/** Line and column (both 1-based) of an offset; columns count characters, as editors show them. */
function locate(source: string, offset: number): { line: number; column: number } {
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

function isWhitespace(c: string): boolean {
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
function skipOpenTag(source: string): number {
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

function describeChar(c: string): string {
  const code = c.codePointAt(0) ?? 0;
  if (code < 0x20 || code === 0x7f) return `U+${code.toString(16).toUpperCase().padStart(4, '0')}`;
  return `'${c}'`;
}

function quote(text: string): string {
  const shown = [...text];
  return shown.length > MAX_QUOTED_LENGTH ? `'${shown.slice(0, MAX_QUOTED_LENGTH).join('')}…'` : `'${text}'`;
}

/** What a token is, for "but found ...". String contents are never shown: they may be passwords. */
function describe(token: Token): string {
  switch (token.kind) {
    case 'string':
      return 'a string';
    case 'number':
      return quote(token.text);
    case 'identifier':
      return quote(token.text);
    case 'variable':
      return quote(`$${token.name}`);
    case 'symbol':
      return describeChar(token.text);
    case 'close-tag':
      return "'?>'";
    case 'end':
      return 'end of file';
  }
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

class Lexer {
  private pos: number;
  /** After `?>` PHP copies the rest of the file to its output, so only whitespace may follow. */
  private afterCloseTag = false;

  constructor(
    private readonly source: string,
    start: number,
  ) {
    this.pos = start;
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
    if (c === '<' && s.startsWith('<<<', start)) {
      fail(s, start, 'heredoc and nowdoc strings are not supported; use a quoted string');
    }
    if ((c >= '0' && c <= '9') || (c === '.' && next >= '0' && next <= '9')) return this.readNumber(start);
    if (c === '$' && isIdentifierStart(next)) {
      const end = this.scanIdentifier(start + 1);
      return { kind: 'variable', start, name: s.slice(start + 1, end) };
    }
    if (isIdentifierStart(c)) {
      const end = this.scanIdentifier(start);
      return { kind: 'identifier', start, text: s.slice(start, end) };
    }
    if (c === '=' && next === '>') {
      this.pos += 2;
      return { kind: 'symbol', start, text: '=>' };
    }
    const char = String.fromCodePoint(s.codePointAt(start) ?? 0);
    this.pos += char.length;
    return { kind: 'symbol', start, text: char };
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
    // PHP turns integers beyond 64 bits into floats; a JavaScript number is the same kind of value.
    const value = Number(form.normalize(text.replaceAll('_', '')));
    return { kind: 'number', start, value, text, integer: form.integer };
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
    // \x and octal escapes give bytes, not characters, so the string is built as UTF-8 bytes
    // and decoded at the end, exactly as PHP would send them.
    const chunks: Buffer[] = [];
    let runStart = start + 1;
    let i = runStart;
    const flush = (end: number): void => {
      if (end > runStart) chunks.push(Buffer.from(s.slice(runStart, end), 'utf8'));
    };
    for (;;) {
      if (i >= s.length) fail(s, start, 'unterminated string: the closing " is missing');
      const c = s.charAt(i);
      if (c === '"') break;
      const next = s.charAt(i + 1);
      if (c === '$' && (isIdentifierStart(next) || next === '{')) {
        // The variable's name is not quoted: in a password, it is part of the secret.
        fail(s, i, "variable interpolation is not supported in double-quoted strings; write \\$ for a literal '$'");
      }
      if (c !== '\\') {
        i++;
        continue;
      }
      flush(i);
      const escape = this.readEscape(i);
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
    this.pos = i + 1;
    let value: string;
    try {
      value = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(Buffer.concat(chunks));
    } catch {
      fail(s, start, 'the string is not valid UTF-8 once its \\x or octal escapes are applied');
    }
    return { kind: 'string', start, value };
  }

  /** Reads the escape whose backslash is at `at`; undefined when PHP would keep it literally. */
  private readEscape(at: number): { bytes: Buffer; end: number } | undefined {
    const s = this.source;
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
      if (end === at + 3 || s.charAt(end) !== '}') fail(s, at, "malformed \\u{...} escape: expected hexadecimal digits and '}'");
      const digits = s.slice(at + 3, end).replace(/^0+(?=.)/, '');
      const codePoint = digits.length > 6 ? Infinity : parseInt(digits, 16);
      if (codePoint > 0x10ffff || (codePoint >= 0xd800 && codePoint <= 0xdfff)) {
        fail(s, at, '\\u{...} escape is not a valid Unicode code point');
      }
      return { bytes: Buffer.from(String.fromCodePoint(codePoint), 'utf8'), end: end + 1 };
    }
    return undefined;
  }
}

class Parser {
  private token: Token;

  constructor(
    private readonly source: string,
    private readonly lexer: Lexer,
  ) {
    this.token = lexer.next();
  }

  parseFile(): Record<string, PhpValue> {
    const head = this.token;
    if (head.kind !== 'variable' || head.name !== 'CONFIG') this.expected("'$CONFIG'");
    this.advance();
    this.expectSymbol('=');
    if (!this.atArrayStart()) this.expected("an array ('array(' or '[')");
    const entries = this.parseArray(1);
    // PHP lets a closing tag stand in for the last semicolon.
    if (this.isSymbol(';')) this.advance();
    else if (this.token.kind !== 'close-tag') this.expected("';'", true);
    if (this.token.kind === 'close-tag') this.advance();
    if (this.token.kind !== 'end') this.expected("end of file or '?>' after the $CONFIG statement");
    return toObject(entries);
  }

  private advance(): Token {
    const current = this.token;
    this.token = this.lexer.next();
    return current;
  }

  private isSymbol(text: string): boolean {
    return this.token.kind === 'symbol' && this.token.text === text;
  }

  private expectSymbol(text: string): void {
    if (!this.isSymbol(text)) this.expected(`'${text}'`);
    this.advance();
  }

  private atArrayStart(): boolean {
    return this.isSymbol('[') || (this.token.kind === 'identifier' && this.token.text.toLowerCase() === 'array');
  }

  /** `afterValue` says a complete value precedes the token, which makes a '.' a concatenation. */
  private expected(what: string, afterValue = false): never {
    fail(this.source, this.token.start, `expected ${what} but found ${describe(this.token)}${hintFor(this.token, afterValue)}`);
  }

  private parseArray(depth: number): Map<string, PhpValue> {
    const opening = this.token;
    if (depth > MAX_DEPTH) fail(this.source, opening.start, `arrays are nested more than ${MAX_DEPTH} levels deep`);
    let closer: string;
    if (this.isSymbol('[')) {
      this.advance();
      closer = ']';
    } else {
      this.advance();
      this.expectSymbol('(');
      closer = ')';
    }

    const entries = new Map<string, PhpValue>();
    let largestIntKey: number | undefined;
    while (!this.isSymbol(closer)) {
      const first = this.token;
      const firstValue = this.parseValue(depth);
      let key: string;
      let hasArrow = false;
      if (this.isSymbol('=>')) {
        this.advance();
        hasArrow = true;
        key = this.toKey(firstValue, first);
        entries.set(key, this.parseValue(depth));
      } else {
        // As in PHP 8.3: the next index follows the largest integer key so far, even a negative one.
        key = String(largestIntKey === undefined ? 0 : largestIntKey + 1);
        entries.set(key, firstValue);
      }
      if (isIntegerKey(key)) {
        const index = Number(key);
        if (largestIntKey === undefined || index > largestIntKey) largestIntKey = index;
      }
      if (this.isSymbol(',')) this.advance();
      else if (!this.isSymbol(closer)) this.expected(hasArrow ? `',' or '${closer}'` : `'=>', ',' or '${closer}'`, true);
    }
    this.advance();
    return entries;
  }

  private parseValue(depth: number): PhpValue {
    const token = this.token;
    switch (token.kind) {
      case 'string':
        this.advance();
        return token.value;
      case 'number':
        this.advance();
        return token.value;
      case 'identifier': {
        const word = token.text.toLowerCase();
        if (word === 'array') return toValue(this.parseArray(depth + 1));
        if (word === 'true' || word === 'false' || word === 'null') {
          this.advance();
          return word === 'null' ? null : word === 'true';
        }
        break;
      }
      case 'symbol':
        if (token.text === '[') return toValue(this.parseArray(depth + 1));
        if (token.text === '-' || token.text === '+') {
          this.advance();
          const operand = this.token;
          if (operand.kind !== 'number') this.expected(`a number after '${token.text}'`);
          this.advance();
          if (token.text === '+') return operand.value;
          // `-0` is the integer 0 in PHP; only a float keeps the sign of zero.
          return operand.integer && operand.value === 0 ? 0 : -operand.value;
        }
        break;
      default:
        break;
    }
    this.expected('a value (a string, number, true, false, null or array)');
  }

  private toKey(value: PhpValue, token: Token): string {
    if (typeof value === 'string') return value;
    if (typeof value === 'number' && Number.isSafeInteger(value)) return String(value);
    fail(this.source, token.start, `expected an array key (a string or an integer) but found ${describe(token)}`);
  }
}

/** Keys PHP stores as integers: `'8'` and `8` are the same key, `'08'` and `'-0'` are strings. */
function isIntegerKey(key: string): boolean {
  return /^(?:0|-?[1-9]\d*)$/.test(key) && Number.isSafeInteger(Number(key));
}

function toValue(entries: Map<string, PhpValue>): PhpValue {
  let index = 0;
  for (const key of entries.keys()) {
    if (key !== String(index)) return toObject(entries);
    index++;
  }
  return [...entries.values()];
}

function toObject(entries: Map<string, PhpValue>): Record<string, PhpValue> {
  const object: Record<string, PhpValue> = {};
  for (const [key, value] of entries) {
    // defineProperty, not assignment: a `'__proto__'` key must stay data, not replace the prototype.
    Object.defineProperty(object, key, { value, enumerable: true, writable: true, configurable: true });
  }
  return object;
}

function hintFor(token: Token, afterValue: boolean): string {
  if (afterValue && token.kind === 'symbol' && token.text === '.') return ' (string concatenation is not supported)';
  if (token.kind === 'identifier') {
    return ' (config.php is never executed, so constants and function calls cannot be imported)';
  }
  if (token.kind === 'variable') return ' (variables are not supported)';
  return '';
}
