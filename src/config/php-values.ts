/**
 * What PHP computes for the operators a config.php may use in its values: integer and float
 * arithmetic, string concatenation and `!`, with PHP 8's rules (64-bit integers that turn into
 * floats on overflow, `/` that stays an integer only when exact, numeric strings).
 *
 * Whatever PHP would refuse or only warn about (division by zero, a word used as a number, an
 * array in arithmetic) throws `PhpEvaluationError`: the value is then unreadable, never guessed.
 */

/** A value as config.php gives it: what the parser returns and an array operand holds. */
export type PhpValue = string | number | boolean | null | PhpValue[] | { [key: string]: PhpValue };

export type PhpOperand = { readonly type: 'int'; readonly value: bigint } | { readonly type: 'float'; readonly value: number } | { readonly type: 'string'; readonly value: string } | { readonly type: 'bool'; readonly value: boolean } | { readonly type: 'null' } | { readonly type: 'array'; readonly value: PhpValue };

type PhpNumber = Extract<PhpOperand, { type: 'int' | 'float' }>;

export class PhpEvaluationError extends Error {}

const INT_MIN = -(2n ** 63n);
const INT_MAX = 2n ** 63n - 1n;

export const int = (value: bigint): PhpNumber => ({ type: 'int', value });
export const float = (value: number): PhpNumber => ({ type: 'float', value });

/** An integer literal: beyond 64 bits PHP reads it as a float. */
export function integerLiteral(value: bigint, text: string): PhpNumber {
  return value <= INT_MAX ? int(value) : float(Number(text));
}

/** A result computed exactly; PHP redoes an overflowing one in floats. */
function intOrFloat(exact: bigint, inFloats: () => number): PhpNumber {
  return exact >= INT_MIN && exact <= INT_MAX ? int(exact) : float(inFloats());
}

// PHP 8's numeric strings: optional surrounding whitespace, no leading-number-then-text forms.
const NUMERIC_STRING = /^[ \t\n\r\v\f]*[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?[ \t\n\r\v\f]*$/;

function toNumber(operand: PhpOperand, operator: string): PhpNumber {
  switch (operand.type) {
    case 'int':
    case 'float':
      return operand;
    case 'bool':
      return int(operand.value ? 1n : 0n);
    case 'null':
      return int(0n);
    case 'string': {
      if (!NUMERIC_STRING.test(operand.value)) {
        throw new PhpEvaluationError(`'${operator}' needs numbers, and one side is a string that is not a number`);
      }
      const text = operand.value.trim();
      if (/^[+-]?\d+$/.test(text)) return integerLiteral(BigInt(text), text);
      return float(Number(text));
    }
    case 'array':
      throw new PhpEvaluationError(`'${operator}' cannot be applied to an array`);
  }
}

function toInteger(operand: PhpOperand, operator: string): bigint {
  const number = toNumber(operand, operator);
  if (number.type === 'int') return number.value;
  const truncated = Math.trunc(number.value);
  if (!Number.isFinite(truncated) || truncated < Number(INT_MIN) || truncated >= Number(INT_MAX)) {
    // The value is not shown: in a password field it would be the secret.
    throw new PhpEvaluationError(`'${operator}' needs an integer, and one side is a float beyond the 64-bit range`);
  }
  return BigInt(truncated);
}

const isZero = (n: PhpNumber): boolean => (n.type === 'int' ? n.value === 0n : n.value === 0);

export function binary(operator: string, left: PhpOperand, right: PhpOperand): PhpOperand {
  if (operator === '.') return { type: 'string', value: toPhpString(left, operator) + toPhpString(right, operator) };
  if (operator === '%') {
    const divisor = toInteger(right, operator);
    const dividend = toInteger(left, operator);
    if (divisor === 0n) throw new PhpEvaluationError('modulo by zero');
    return int(dividend % divisor);
  }
  if (operator === '<<' || operator === '>>') return shift(operator, toInteger(left, operator), toInteger(right, operator));
  const a = toNumber(left, operator);
  const b = toNumber(right, operator);
  const floats = (op: (x: number, y: number) => number): PhpNumber => float(op(Number(a.value), Number(b.value)));
  switch (operator) {
    case '+':
      return a.type === 'int' && b.type === 'int' ? intOrFloat(a.value + b.value, () => Number(a.value) + Number(b.value)) : floats((x, y) => x + y);
    case '-':
      return a.type === 'int' && b.type === 'int' ? intOrFloat(a.value - b.value, () => Number(a.value) - Number(b.value)) : floats((x, y) => x - y);
    case '*':
      return a.type === 'int' && b.type === 'int' ? intOrFloat(a.value * b.value, () => Number(a.value) * Number(b.value)) : floats((x, y) => x * y);
    case '/':
      if (isZero(b)) throw new PhpEvaluationError('division by zero');
      if (a.type === 'int' && b.type === 'int' && a.value % b.value === 0n) return intOrFloat(a.value / b.value, () => Number(a.value) / Number(b.value));
      return floats((x, y) => x / y);
    case '**':
      return power(a, b);
    default:
      throw new PhpEvaluationError(`the operator '${operator}' is not evaluated`);
  }
}

function power(base: PhpNumber, exponent: PhpNumber): PhpNumber {
  if (base.type === 'int' && exponent.type === 'int' && exponent.value >= 0n) {
    const magnitude = base.value < 0n ? -base.value : base.value;
    // Anything above 1 to more than the 63rd power overflows: skip the huge exact product.
    if (magnitude <= 1n || exponent.value <= 64n) {
      // For 0, 1 and -1 only whether the exponent is zero, odd or even matters.
      const e = magnitude > 1n || exponent.value === 0n ? exponent.value : 2n - (exponent.value % 2n);
      return intOrFloat(base.value ** e, () => Number(base.value) ** Number(exponent.value));
    }
  }
  return float(Number(base.value) ** Number(exponent.value));
}

function shift(operator: '<<' | '>>', value: bigint, by: bigint): PhpNumber {
  if (by < 0n) throw new PhpEvaluationError('a bit shift by a negative number');
  if (by >= 64n) return int(operator === '<<' || value >= 0n ? 0n : -1n);
  return int(BigInt.asIntN(64, operator === '<<' ? value << by : value >> by));
}

export function unary(operator: string, operand: PhpOperand): PhpOperand {
  if (operator === '!') return { type: 'bool', value: !isTruthy(operand) };
  const number = toNumber(operand, operator);
  if (operator === '+') return number;
  // PHP negates as `x * -1`: the integer 0 stays 0, only a float keeps the sign of zero.
  if (number.type === 'int') return intOrFloat(-number.value, () => -Number(number.value));
  return float(-number.value);
}

function isTruthy(operand: PhpOperand): boolean {
  switch (operand.type) {
    case 'int':
      return operand.value !== 0n;
    case 'float':
      return operand.value !== 0;
    case 'string':
      return operand.value !== '' && operand.value !== '0';
    case 'bool':
      return operand.value;
    case 'null':
      return false;
    case 'array':
      return Array.isArray(operand.value) ? operand.value.length > 0 : Object.keys(operand.value as object).length > 0;
  }
}

function toPhpString(operand: PhpOperand, operator: string): string {
  switch (operand.type) {
    case 'string':
      return operand.value;
    case 'int':
      return operand.value.toString();
    case 'float':
      return formatFloat(operand.value);
    case 'bool':
      return operand.value ? '1' : '';
    case 'null':
      return '';
    case 'array':
      throw new PhpEvaluationError(`'${operator}' cannot join an array to a string`);
  }
}

/** A float as PHP 8 writes it into a string: 14 significant digits (`precision`), `1.0E+25` style. */
export function formatFloat(value: number): string {
  if (Number.isNaN(value)) return 'NAN';
  if (!Number.isFinite(value)) return value > 0 ? 'INF' : '-INF';
  if (value === 0) return Object.is(value, -0) ? '-0' : '0';
  const [mantissa = '', exponentText = '0'] = value.toExponential(13).split('e');
  const exponent = Number(exponentText);
  if (exponent < -4 || exponent >= 14) {
    const digits = mantissa.replace(/\.?0+$/, '');
    return `${digits.includes('.') ? digits : `${digits}.0`}E${exponent < 0 ? '-' : '+'}${Math.abs(exponent)}`;
  }
  const fixed = value.toPrecision(14);
  return fixed.includes('.') ? fixed.replace(/\.?0+$/, '') : fixed;
}

/** The value as the importer sees it; an integer a JavaScript number cannot hold exactly is unreadable. */
export function toPhpValue(operand: PhpOperand): PhpValue {
  switch (operand.type) {
    case 'int':
      if (operand.value > BigInt(Number.MAX_SAFE_INTEGER) || operand.value < BigInt(Number.MIN_SAFE_INTEGER)) {
        // The number is not shown: written as a password, it would be the secret.
        throw new PhpEvaluationError('an integer beyond ±2^53, which Mailroom cannot hold exactly');
      }
      return Number(operand.value);
    case 'float':
    case 'string':
    case 'bool':
      return operand.value;
    case 'null':
      return null;
    case 'array':
      return operand.value;
  }
}
