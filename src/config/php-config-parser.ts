/**
 * Reads the `$CONFIG = array(...)` of an ownCloud/Nextcloud config.php without executing it.
 *
 * The file is untrusted input that happens to be PHP. Admins paste lines from config.sample.php,
 * so values may be constant expressions (`60 * 60 * 24 * 15`, `'a' . 'b'`, heredoc): those are
 * evaluated as PHP 8 would. Statements before `$CONFIG` (a `define()`, an `if`) are stepped over.
 * A value that only running PHP could give (a function call, a constant, a variable) is not
 * guessed: it is reported as unreadable with its line and column, and the caller decides whether
 * the setting matters. Broken syntax fails the whole file, since nothing after it can be trusted.
 */
import { Lexer, skipOpenTag, type Token } from './php-lexer.ts';
import { createLocator, describeChar, failAt as fail, quote } from './php-source.ts';
import { binary, PhpEvaluationError, toPhpValue, unary, type PhpOperand, type PhpValue } from './php-values.ts';

export type { PhpValue } from './php-values.ts';

/** A top-level setting whose value needs PHP to run; `problem` never quotes string contents. */
export interface UnreadableSetting {
  readonly key: string;
  readonly line: number;
  readonly column: number;
  readonly problem: string;
}

export interface PhpConfig {
  /** Every setting that could be read, in the order of the file. */
  readonly values: Record<string, PhpValue>;
  readonly unreadable: readonly UnreadableSetting[];
}

const MAX_SOURCE_BYTES = 1024 * 1024;
const MAX_DEPTH = 64;

/**
 * Parses the source of a config.php: the readable settings of `$CONFIG` and the unreadable ones.
 * Throws `config_import_malformed` (with `details: { line, column }`) when the file is not PHP
 * this reader understands.
 */
export function readPhpConfig(source: string): PhpConfig {
  const size = Buffer.byteLength(source, 'utf8');
  if (size > MAX_SOURCE_BYTES) {
    fail(source, 0, `the file is ${size} bytes, more than the limit of ${MAX_SOURCE_BYTES} bytes (1 MiB)`);
  }
  const afterOpenTag = skipOpenTag(source);
  const parser = new Parser(source, new Lexer(source, afterOpenTag));
  return parser.parseFile();
}

/**
 * A value only running PHP could give: thrown where it is found, caught by the array element
 * holding it. Not an Error: a hostile file may hold a hundred thousand, and stack traces cost.
 */
class Unreadable {
  constructor(
    readonly offset: number,
    readonly problem: string,
  ) {}
}

/** The binary operators that are evaluated, by precedence (PHP 8: `.` binds lower than `+`). */
const PRECEDENCE: ReadonlyMap<string, number> = new Map([
  ['.', 1],
  ['<<', 2],
  ['>>', 2],
  ['+', 3],
  ['-', 3],
  ['*', 4],
  ['/', 4],
  ['%', 4],
]);

/** Operators PHP has after a value that are not evaluated: the value is unreadable, not broken. */
const OTHER_OPERATORS = new Set(['?', '==', '===', '!=', '!==', '<>', '<', '>', '<=', '>=', '<=>', '&&', '||', '??', '&', '|', '^', '->', '?->', '::', '(', '[', '{', 'and', 'or', 'xor', 'instanceof']);

const CASTS = new Set(['int', 'integer', 'bool', 'boolean', 'float', 'double', 'real', 'string', 'array', 'object', 'unset', 'binary']);

const CLOSER: Readonly<Record<string, string>> = { '(': ')', '[': ']', '{': '}' };

type Element = PhpOperand | Unreadable;

interface ParsedArray {
  readonly entries: Map<string, PhpValue | Unreadable>;
  readonly unreadableKeys: Unreadable[];
}

class Parser {
  private token: Token;
  /** Parentheses of expressions opened and not yet closed, so an unreadable value can be stepped over from where it turned out so. */
  private openParentheses = 0;

  constructor(
    private readonly source: string,
    private readonly lexer: Lexer,
  ) {
    this.token = lexer.next();
  }

  parseFile(): PhpConfig {
    this.skipToConfigAssignment();
    if (!this.atArrayStart()) this.expected("an array ('array(' or '[')");
    const parsed = this.parseArray(1);
    // PHP lets a closing tag stand in for the last semicolon.
    if (this.isSymbol(';')) this.advance();
    else if (this.token.kind !== 'close-tag') this.expected("';'");
    if (this.token.kind === 'close-tag') this.advance();
    if (this.token.kind !== 'end') this.expected("end of file or '?>' after the $CONFIG statement");

    const [unreadableKey] = parsed.unreadableKeys;
    if (unreadableKey !== undefined) {
      fail(this.source, unreadableKey.offset, `a key of $CONFIG cannot be read (config.php is never executed): ${unreadableKey.problem}; without it, which setting this is cannot be known`);
    }
    const values = new Map<string, PhpValue>();
    const unreadable: UnreadableSetting[] = [];
    const locate = createLocator(this.source);
    for (const [key, value] of parsed.entries) {
      if (value instanceof Unreadable) unreadable.push({ key, ...locate(value.offset), problem: value.problem });
      else values.set(key, value);
    }
    return { values: toObject(values), unreadable };
  }

  /**
   * Steps over the statements before `$CONFIG = …` (`define()`, `declare()`, an `if` block),
   * keeping brackets balanced. Only an assignment that is a statement of its own counts: one
   * inside an `if` or a block would depend on running PHP.
   */
  private skipToConfigAssignment(): void {
    const open: string[] = [];
    let atStatementStart = true;
    for (;;) {
      const token = this.token;
      if (token.kind === 'end') fail(this.source, token.start, "expected the statement '$CONFIG = array(…);' but found end of file");
      if (token.kind === 'variable' && token.name === 'CONFIG' && this.isNextSymbol('=')) {
        if (open.length > 0 || !atStatementStart) {
          fail(this.source, token.start, "'$CONFIG' is assigned inside another statement (an if, a block or brackets), so its value depends on running PHP");
        }
        this.advance();
        this.advance();
        return;
      }
      atStatementStart = false;
      if (token.kind === 'symbol') {
        const closer = CLOSER[token.text];
        if (closer !== undefined) {
          open.push(closer);
          if (open.length > MAX_DEPTH) fail(this.source, token.start, `brackets are nested more than ${MAX_DEPTH} levels deep`);
        } else if (token.text === ')' || token.text === ']' || token.text === '}') {
          const expected = open.pop();
          if (expected !== token.text) this.expected(expected === undefined ? 'a statement' : `'${expected}'`);
        }
        atStatementStart = open.length === 0 && (token.text === ';' || token.text === '}');
      }
      this.advance();
    }
  }

  private isNextSymbol(text: string): boolean {
    const next = this.lexer.peek();
    return next.kind === 'symbol' && next.text === text;
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

  private expected(what: string): never {
    fail(this.source, this.token.start, `expected ${what} but found ${describe(this.token)}${hintFor(this.token)}`);
  }

  private parseArray(depth: number): ParsedArray {
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

    const entries = new Map<string, PhpValue | Unreadable>();
    const unreadableKeys: Unreadable[] = [];
    let largestIntKey: number | undefined;
    while (!this.isSymbol(closer)) {
      const first = this.token;
      const firstElement = this.parseElement(depth);
      let hasArrow = false;
      let key: string | undefined;
      if (this.isSymbol('=>')) {
        this.advance();
        hasArrow = true;
        const valueStart = this.token.start;
        const value = this.parseElement(depth);
        if (firstElement instanceof Unreadable) {
          unreadableKeys.push(firstElement);
        } else {
          key = this.toKey(firstElement, first);
          entries.set(key, toEntry(value, valueStart));
        }
      } else {
        // As in PHP 8.3: the next index follows the largest integer key so far, even a negative one.
        key = String(largestIntKey === undefined ? 0 : largestIntKey + 1);
        entries.set(key, toEntry(firstElement, first.start));
      }
      if (key !== undefined && isIntegerKey(key)) {
        const index = Number(key);
        if (largestIntKey === undefined || index > largestIntKey) largestIntKey = index;
      }
      if (this.isSymbol(',')) this.advance();
      else if (!this.isSymbol(closer)) this.expected(hasArrow ? `',' or '${closer}'` : `'=>', ',' or '${closer}'`);
    }
    this.advance();
    return { entries, unreadableKeys };
  }

  /** A nested array as a value: unreadable as a whole when anything in it is. */
  private parseNestedArray(depth: number): PhpOperand {
    const { entries, unreadableKeys } = this.parseArray(depth);
    const [unreadableKey] = unreadableKeys;
    if (unreadableKey !== undefined) throw unreadableKey;
    const values = new Map<string, PhpValue>();
    for (const [key, value] of entries) {
      if (value instanceof Unreadable) throw value;
      values.set(key, value);
    }
    return { type: 'array', value: toValue(values) };
  }

  /**
   * One key or value of an array. When it turns out unreadable, the rest of it is stepped over
   * with balanced brackets from where that became clear, so parsing goes on after it.
   */
  private parseElement(depth: number): Element {
    const openBefore = this.openParentheses;
    try {
      return this.parseExpression(depth);
    } catch (error) {
      if (!(error instanceof Unreadable)) throw error;
      const stillOpen = this.openParentheses - openBefore;
      this.openParentheses = openBefore;
      this.skipValue(depth, stillOpen);
      return error;
    }
  }

  /** Steps to the `,`, `=>` or closing bracket that ends the current element. */
  private skipValue(depth: number, stillOpen: number): void {
    const open: string[] = new Array<string>(stillOpen).fill(')');
    // The `=>` of an arrow function (`fn() => …`) is its own, not the array's.
    let arrowFunctions = 0;
    for (;;) {
      const token = this.token;
      if (token.kind === 'end' || token.kind === 'close-tag') return;
      if (token.kind === 'identifier' && token.text.toLowerCase() === 'fn' && open.length === 0) arrowFunctions++;
      if (token.kind === 'symbol') {
        const closer = CLOSER[token.text];
        if (open.length === 0 && token.text === '=>' && arrowFunctions > 0) {
          arrowFunctions--;
          this.advance();
          continue;
        }
        if (open.length === 0 && [',', '=>', ')', ']', ';'].includes(token.text)) return;
        if (closer !== undefined) {
          open.push(closer);
          if (depth + open.length > MAX_DEPTH) fail(this.source, token.start, `the value is nested more than ${MAX_DEPTH} levels deep`);
        } else if (token.text === ')' || token.text === ']' || token.text === '}') {
          const expected = open.pop();
          if (expected !== token.text) this.expected(`'${expected ?? ','}'`);
        }
      }
      this.advance();
    }
  }

  private parseExpression(depth: number): PhpOperand {
    const value = this.parseBinary(1, depth);
    const token = this.token;
    const operator = token.kind === 'symbol' ? token.text : token.kind === 'identifier' ? token.text.toLowerCase() : '';
    if (OTHER_OPERATORS.has(operator)) {
      throw new Unreadable(token.start, `it uses ${quote(operator)}, which Mailroom does not evaluate`);
    }
    return value;
  }

  private parseBinary(minPrecedence: number, depth: number): PhpOperand {
    let left = this.parseUnary(depth);
    for (;;) {
      const token = this.token;
      const precedence = token.kind === 'symbol' ? PRECEDENCE.get(token.text) : undefined;
      if (token.kind !== 'symbol' || precedence === undefined || precedence < minPrecedence) return left;
      this.advance();
      const right = this.parseBinary(precedence + 1, depth);
      left = this.evaluate(token, () => binary(token.text, left, right));
    }
  }

  private parseUnary(depth: number): PhpOperand {
    if (depth > MAX_DEPTH) fail(this.source, this.token.start, `the value is nested more than ${MAX_DEPTH} levels deep`);
    const token = this.token;
    if (token.kind === 'symbol' && (token.text === '-' || token.text === '+' || token.text === '!')) {
      this.advance();
      const operand = this.parseUnary(depth + 1);
      return this.evaluate(token, () => unary(token.text, operand));
    }
    if (token.kind === 'symbol' && (token.text === '~' || token.text === '@' || token.text === '&')) {
      throw new Unreadable(token.start, `it uses ${quote(token.text)}, which Mailroom does not evaluate`);
    }
    const base = this.parsePrimary(depth);
    const power = this.token;
    if (power.kind !== 'symbol' || power.text !== '**') return base;
    this.advance();
    // `**` binds to the right and tighter than a unary minus before it: -2 ** 2 is -4.
    const exponent = this.parseUnary(depth + 1);
    return this.evaluate(power, () => binary('**', base, exponent));
  }

  private evaluate(operator: Token, compute: () => PhpOperand): PhpOperand {
    try {
      return compute();
    } catch (error) {
      if (error instanceof PhpEvaluationError) throw new Unreadable(operator.start, error.message);
      throw error;
    }
  }

  private parsePrimary(depth: number): PhpOperand {
    const token = this.token;
    switch (token.kind) {
      case 'string':
        this.advance();
        return { type: 'string', value: token.value };
      case 'unreadable-string':
        throw new Unreadable(token.at, token.problem);
      case 'number':
        this.advance();
        return token.value;
      case 'variable':
        throw new Unreadable(token.start, `it uses the variable ${quote(`$${token.name}`)}`);
      case 'identifier': {
        const word = token.text.toLowerCase();
        if (word === 'array') return this.parseNestedArray(depth + 1);
        if (word === 'true' || word === 'false') {
          this.advance();
          return { type: 'bool', value: word === 'true' };
        }
        if (word === 'null') {
          this.advance();
          return { type: 'null' };
        }
        throw this.unreadableName();
      }
      case 'symbol':
        if (token.text === '[') return this.parseNestedArray(depth + 1);
        if (token.text === '\\') throw this.unreadableName();
        if (token.text === '(') return this.parseParenthesized(depth);
        break;
      default:
        break;
    }
    this.expected('a value (a string, number, true, false, null or array)');
  }

  private parseParenthesized(depth: number): PhpOperand {
    const open = this.advance();
    this.openParentheses++;
    const inside = this.token;
    if (inside.kind === 'identifier' && CASTS.has(inside.text.toLowerCase()) && this.isNextSymbol(')')) {
      throw new Unreadable(open.start, `it uses the cast ${quote(`(${inside.text})`)}`);
    }
    const value = this.parseExpression(depth + 1);
    this.expectSymbol(')');
    this.openParentheses--;
    return value;
  }

  /** A constant, function call or class member, named as written (`getenv`, `\OC::$SERVERROOT`). */
  private unreadableName(): Unreadable {
    const start = this.token.start;
    const word = this.token.kind === 'identifier' ? this.token.text.toLowerCase() : '';
    if (word === 'new') return new Unreadable(start, "it creates an object with 'new'");
    if (word === 'fn' || word === 'function') return new Unreadable(start, 'it defines a function');
    let name = '';
    for (;;) {
      if (this.isSymbol('\\')) name += '\\';
      else if (this.token.kind === 'identifier' && (name === '' || name.endsWith('\\'))) name += this.token.text;
      else break;
      this.advance();
    }
    if (this.isSymbol('(')) return new Unreadable(start, `it calls the function ${quote(name)}`);
    if (this.isSymbol('::')) {
      const member = this.lexer.peek();
      const memberName = member.kind === 'variable' ? `$${member.name}` : member.kind === 'identifier' ? member.text : '…';
      return new Unreadable(start, `it uses ${quote(`${name}::${memberName}`)}, which only PHP knows`);
    }
    return new Unreadable(start, `it uses the constant ${quote(name)}`);
  }

  private toKey(key: PhpOperand, token: Token): string {
    if (key.type === 'string') return key.value;
    if (key.type === 'int') return key.value.toString();
    fail(this.source, token.start, `expected an array key (a string or an integer) but found ${describe(token)}`);
  }
}

/** A value as the importer sees it; an integer too large for a JavaScript number is unreadable. */
function toEntry(element: Element, offset: number): PhpValue | Unreadable {
  if (element instanceof Unreadable) return element;
  try {
    return toPhpValue(element);
  } catch (error) {
    if (error instanceof PhpEvaluationError) return new Unreadable(offset, error.message);
    throw error;
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

/** What a token is, for "but found ...". String contents are never shown: they may be passwords. */
function describe(token: Token): string {
  switch (token.kind) {
    case 'string':
    case 'unreadable-string':
      return 'a string';
    case 'number':
      return quote(token.text);
    case 'identifier':
      return quote(token.text);
    case 'variable':
      return quote(`$${token.name}`);
    case 'symbol':
      return token.text.length > 1 ? quote(token.text) : describeChar(token.text);
    case 'close-tag':
      return "'?>'";
    case 'end':
      return 'end of file';
  }
}

function hintFor(token: Token): string {
  if (token.kind === 'identifier') {
    return ' (config.php is never executed, so constants and function calls cannot be imported)';
  }
  return '';
}
