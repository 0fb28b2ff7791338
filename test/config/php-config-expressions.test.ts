/**
 * The constant expressions, heredocs and leading statements of a config.php, evaluated as PHP 8
 * would, and what is reported unreadable instead of guessed.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readPhpConfig, type PhpValue } from '../../src/config/php-config-parser.ts';
import { MailroomError } from '../../src/errors.ts';

/** The value of `expression` as the only setting of a file. */
function valueOf(expression: string): PhpValue {
  const { values, unreadable } = readPhpConfig(`<?php\n$CONFIG = ['v' => ${expression}];\n`);
  assert.deepEqual(unreadable, [], expression);
  return values['v'] ?? assert.fail(`no value for ${expression}`);
}

/** Why `expression` cannot be read, and the column (on line 2) where the reason is. */
function whyUnreadable(expression: string): { problem: string; column: number } {
  const { values, unreadable } = readPhpConfig(`<?php\n$CONFIG = ['v' => ${expression}, 'after' => 1];\n`);
  assert.deepEqual(values, { after: 1 }, 'the setting after an unreadable one is still read');
  assert.equal(unreadable.length, 1);
  const [entry] = unreadable;
  assert.ok(entry);
  assert.equal(entry.key, 'v');
  assert.equal(entry.line, 2);
  return { problem: entry.problem, column: entry.column - "$CONFIG = ['v' => ".length };
}

function assertMalformed(source: string, line: number, message: RegExp): void {
  assert.throws(
    () => readPhpConfig(source),
    (error: unknown) => {
      assert.ok(error instanceof MailroomError);
      assert.equal(error.code, 'config_import_malformed');
      assert.equal(error.details?.['line'], line, error.message);
      assert.match(error.message, message);
      return true;
    },
  );
}

describe('readPhpConfig evaluates arithmetic as PHP 8 does', () => {
  it('applies precedence and parentheses', () => {
    assert.equal(valueOf('2 + 3 * 4'), 14);
    assert.equal(valueOf('(2 + 3) * 4'), 20);
    assert.equal(valueOf('10 - 2 - 3'), 5);
    assert.equal(valueOf('60*60*24*15'), 1_296_000);
    assert.equal(valueOf('100 * 1024 * 1024'), 104_857_600);
    assert.equal(valueOf('((1 + 1))'), 2);
  });

  it('binds ** to the right and tighter than a unary minus', () => {
    assert.equal(valueOf('2 ** 3 ** 2'), 512);
    assert.equal(valueOf('-2 ** 2'), -4);
    assert.equal(valueOf('2 ** -1'), 0.5);
    assert.equal(valueOf('(-2) ** 3'), -8);
  });

  it('divides to an integer only when exact, and keeps the sign of the dividend in %', () => {
    assert.equal(valueOf('7 / 2'), 3.5);
    assert.equal(valueOf("'' . 6 / 3"), '2');
    assert.equal(valueOf("'' . 6.0 / 3"), '2');
    assert.equal(valueOf('7 % 3'), 1);
    assert.equal(valueOf('-7 % 3'), -1);
    assert.equal(valueOf('7.9 % 3'), 1, '% works on integers: 7.9 counts as 7');
  });

  it('turns an integer that overflows 64 bits into a float', () => {
    assert.equal(valueOf("'' . (9223372036854775807 + 1)"), '9.2233720368548E+18');
    assert.equal(valueOf("'' . 9223372036854775807"), '9223372036854775807', 'below the limit it stays an exact integer');
    assert.equal(valueOf("'' . 0x7FFFFFFFFFFFFFFF * 2"), '1.844674407371E+19');
    assert.equal(valueOf("'' . 2 ** 63"), '9.2233720368548E+18');
    assert.equal(valueOf("'' . 2 ** 62"), '4611686018427387904');
  });

  it('applies unary minus, plus and !', () => {
    assert.equal(valueOf('-(-3)'), 3);
    assert.equal(valueOf('- -1'), 1);
    assert.equal(valueOf('-0'), 0);
    assert.ok(Object.is(valueOf('-0.0'), -0));
    assert.equal(valueOf("+'5'"), 5);
    assert.equal(valueOf('!0'), true);
    assert.equal(valueOf("!'0'"), true);
    assert.equal(valueOf("!'a'"), false);
    assert.equal(valueOf('!![]'), false);
  });

  it('reads numeric strings, true, false and null as numbers', () => {
    assert.equal(valueOf("'5' + '2.5'"), 7.5);
    assert.equal(valueOf("' 10 ' * 2"), 20);
    assert.equal(valueOf('true + true + null'), 2);
    assert.equal(valueOf('1 << 10'), 1024);
    assert.equal(valueOf('-16 >> 2'), -4);
  });

  it('reads hexadecimal, octal, binary and separated numbers inside expressions', () => {
    assert.equal(valueOf('0x10 + 0o10 + 010 + 0b10 + 1_000'), 16 + 8 + 8 + 2 + 1000);
  });
});

describe('readPhpConfig joins strings with . as PHP 8 does', () => {
  it('binds . lower than + and -', () => {
    assert.equal(valueOf("'a' . 1 + 2"), 'a3');
    assert.equal(valueOf("1 + 2 . 'a'"), '3a');
    assert.equal(valueOf("'v' . 10 - 1"), 'v9');
  });

  it('writes numbers, booleans and null as PHP does', () => {
    assert.equal(valueOf("'t' . true . '|' . false . '|' . null . '|' . 1.0 . '|' . 2.50 . '|' . -0.0"), 't1|||1|2.5|-0');
    assert.equal(valueOf("1e25 . '|' . 1.5e-7 . '|' . 0.0001 . '|' . (0.1 + 0.2) . '|' . 1/3"), '1.0E+25|1.5E-7|0.0001|0.3|0.33333333333333');
  });

  it('joins every kind of string literal', () => {
    assert.equal(valueOf(`${String.raw`'it\'s' . "\x41\101\u{1F600}\t" . <<<A`}\n  x\n  A . <<<'B'\nraw $y\nB`), "it'sAA\u{1F600}\txraw $y");
  });
});

describe('readPhpConfig reads heredoc and nowdoc strings with PHP 7.3 indentation rules', () => {
  it('removes the indentation of the closing name from every line, keeping any beyond it', () => {
    const source = "<?php\n$CONFIG = [\n  'h' => <<<EOT\n    first\n      second\n\n    third\n    EOT,\n  'n' => <<<'EOT'\n\tone\n\tEOT\n];\n";
    assert.deepEqual(readPhpConfig(source).values, { h: 'first\n  second\n\nthird', n: 'one' });
  });

  it('applies escapes in a heredoc but keeps \\" as written, and none in a nowdoc', () => {
    const source = `${String.raw`<?php $CONFIG = ['h' => <<<"EOT"`}\n${String.raw`a\tb \x41 \" \\ \$x "q"`}\nEOT\n, 'n' => <<<'EOT'\n${String.raw`a\tb \x41 \\`}\nEOT];`;
    assert.deepEqual(readPhpConfig(source).values, { h: 'a\tb A \\" \\ $x "q"', n: String.raw`a\tb \x41 \\` });
  });

  it('reads an empty heredoc, Windows line ends and the closing name followed by more code', () => {
    assert.deepEqual(readPhpConfig("<?php $CONFIG = ['e' => <<<EOT\nEOT, 'w' => <<<EOT\r\n  a\r\n  b\r\n  EOT . '!'];").values, { e: '', w: 'a\r\nb!' });
  });

  it('allows lines of whitespace shorter than the indentation', () => {
    assert.deepEqual(readPhpConfig("<?php $CONFIG = ['h' => <<<EOT\n    a\n  \n    b\n    EOT];").values, { h: 'a\n\nb' });
  });

  it('ends at the first line that starts with the name, as PHP does', () => {
    assert.deepEqual(readPhpConfig("<?php $CONFIG = ['h' => <<<END\nENDING\nEND];").values, { h: 'ENDING' });
  });

  it('reports an interpolated variable in a heredoc as unreadable, at its place', () => {
    const { values, unreadable } = readPhpConfig("<?php\n$CONFIG = [\n  'h' => <<<EOT\n    ok\n    pa{$word}\n    EOT,\n  'b' => 2,\n];");
    assert.deepEqual(values, { b: 2 });
    assert.deepEqual(
      unreadable.map((u) => [u.key, u.line, u.column]),
      [['h', 5, 7]],
    );
  });

  it('refuses a line indented less than the closing name, mixed tabs and spaces, and a missing end', () => {
    assertMalformed("<?php\n$CONFIG = ['h' => <<<EOT\n    a\n  b\n    EOT];", 4, /indented less than its closing 'EOT' \(4 space\(s\)\)/);
    assertMalformed("<?php\n$CONFIG = ['h' => <<<EOT\n\t a\n\t EOT];", 4, /mixes tabs and spaces/);
    assertMalformed("<?php\n$CONFIG = ['h' => <<<EOT\n \ta\n  EOT];", 3, /mixes tabs and spaces/);
    assert.deepEqual(readPhpConfig("<?php $CONFIG = ['h' => <<<EOT\n  \ta\n  EOT];").values, { h: '\ta' }, 'a tab beyond the indentation is text');
    assertMalformed("<?php\n$CONFIG = ['h' => <<<EOT\na\n];", 2, /unterminated heredoc: the closing 'EOT' is missing/);
    assertMalformed("<?php\n$CONFIG = ['h' => <<<EOT a\nEOT];", 2, /expected a line break after '<<<EOT'/);
  });
});

describe('readPhpConfig reports what only running PHP could give, and reads on', () => {
  it('names constants, functions and class members, and where they are', () => {
    assert.deepEqual(whyUnreadable('PHP_INT_MAX'), { problem: "it uses the constant 'PHP_INT_MAX'", column: 1 });
    assert.deepEqual(whyUnreadable("getenv('SMTP_HOST')"), { problem: "it calls the function 'getenv'", column: 1 });
    assert.deepEqual(whyUnreadable("\\OC::$SERVERROOT . '/apps'"), { problem: "it uses '\\OC::$SERVERROOT', which only PHP knows", column: 1 });
    assert.deepEqual(whyUnreadable("'x' . \\OCP\\Util::VERSION"), { problem: "it uses '\\OCP\\Util::VERSION', which only PHP knows", column: 7 });
    assert.deepEqual(whyUnreadable('60 * $minutes'), { problem: "it uses the variable '$minutes'", column: 6 });
    assert.deepEqual(whyUnreadable("(int) '5'"), { problem: "it uses the cast '(int)'", column: 1 });
    assert.deepEqual(whyUnreadable("new \\DateTime('now')"), { problem: "it creates an object with 'new'", column: 1 });
    assert.deepEqual(whyUnreadable("fn() => 'x'"), { problem: 'it defines a function', column: 1 });
    assert.deepEqual(whyUnreadable('`hostname`'), { problem: 'it runs a shell command (`…`)', column: 1 });
  });

  it('reports operators it does not evaluate', () => {
    assert.deepEqual(whyUnreadable("getenv('A') ?: 'localhost'"), { problem: "it calls the function 'getenv'", column: 1 });
    assert.deepEqual(whyUnreadable("1 ? 'a' : 'b'"), { problem: "it uses '?', which Mailroom does not evaluate", column: 3 });
    assert.deepEqual(whyUnreadable('1 == 1'), { problem: "it uses '==', which Mailroom does not evaluate", column: 3 });
    assert.deepEqual(whyUnreadable('0x10 | 1'), { problem: "it uses '|', which Mailroom does not evaluate", column: 6 });
    assert.deepEqual(whyUnreadable('(1 && 2)'), { problem: "it uses '&&', which Mailroom does not evaluate", column: 4 });
    assert.deepEqual(whyUnreadable('~1'), { problem: "it uses '~', which Mailroom does not evaluate", column: 1 });
  });

  it('reports what PHP would refuse or only warn about', () => {
    assert.deepEqual(whyUnreadable('1 / 0'), { problem: 'division by zero', column: 3 });
    assert.deepEqual(whyUnreadable('1 % 0'), { problem: 'modulo by zero', column: 3 });
    assert.deepEqual(whyUnreadable('1.5 / 0.0'), { problem: 'division by zero', column: 5 });
    assert.deepEqual(whyUnreadable("'abc' * 2"), { problem: "'*' needs numbers, and one side is a string that is not a number", column: 7 });
    assert.deepEqual(whyUnreadable("'5 apples' + 1"), { problem: "'+' needs numbers, and one side is a string that is not a number", column: 12 });
    assert.deepEqual(whyUnreadable("[1] . 'x'"), { problem: "'.' cannot join an array to a string", column: 5 });
    assert.deepEqual(whyUnreadable('[1] + [2]'), { problem: "'+' cannot be applied to an array", column: 5 });
    assert.deepEqual(whyUnreadable('1 << -1'), { problem: 'a bit shift by a negative number', column: 3 });
    assert.deepEqual(whyUnreadable('9007199254740993'), { problem: 'an integer beyond ±2^53, which Mailroom cannot hold exactly', column: 1 });
  });

  it('reports a whole array as unreadable when anything in it is, keys included', () => {
    assert.deepEqual(whyUnreadable("['a' => 1, 'b' => [2, FOO]]"), { problem: "it uses the constant 'FOO'", column: 23 });
    assert.deepEqual(whyUnreadable('array(PDO::ATTR_TIMEOUT => 5)'), { problem: "it uses 'PDO::ATTR_TIMEOUT', which only PHP knows", column: 7 });
  });

  it('steps over calls with nested brackets, closures and strings full of commas', () => {
    assert.deepEqual(whyUnreadable("array_merge(['a', 'b'], [\"x, ]\" => fn() => [1, 2]])"), { problem: "it calls the function 'array_merge'", column: 1 });
    assert.deepEqual(whyUnreadable("match (true) { default => 'x, y' }"), { problem: "it calls the function 'match'", column: 1 });
  });

  it('refuses a key that cannot be read, since it might name a mail setting', () => {
    assertMalformed("<?php\n$CONFIG = [\n  MAIL_KEY => 'smtp.example.com',\n];", 3, /a key of \$CONFIG cannot be read \(config\.php is never executed\): it uses the constant 'MAIL_KEY'/);
  });

  it('evaluates keys too', () => {
    assert.deepEqual(readPhpConfig("<?php $CONFIG = ['mail_' . 'smtpport' => 25, 'a' => [1 + 1 => 'two', 'x', '1' . '0' => 'ten']];").values, {
      mail_smtpport: 25,
      a: { 2: 'two', 3: 'x', 10: 'ten' },
    });
  });

  it('still refuses broken syntax inside an unreadable value', () => {
    assertMalformed("<?php\n$CONFIG = [\n  'a' => getenv('X'],\n];", 3, /expected '\)' but found '\]'/);
    assertMalformed("<?php\n$CONFIG = [\n  'a' => foo(\n];", 4, /expected '\)' but found '\]'/);
  });

  it('refuses expressions nested more than 64 levels deep without exhausting the stack', () => {
    assertMalformed(`<?php $CONFIG = ['a' => ${'('.repeat(100_000)}1${')'.repeat(100_000)}];`, 1, /nested more than 64 levels deep/);
    assertMalformed(`<?php $CONFIG = ['a' => ${'- '.repeat(100_000)}1];`, 1, /nested more than 64 levels deep/);
    assertMalformed(`<?php $CONFIG = ['a' => ${'2 ** '.repeat(100_000)}1];`, 1, /nested more than 64 levels deep/);
    assertMalformed(`<?php $CONFIG = ['a' => f${'('.repeat(100_000)}];`, 1, /nested more than 64 levels deep/);
    assert.equal(valueOf(`${'('.repeat(60)}1${')'.repeat(60)}`), 1);
  });
});

describe('readPhpConfig steps over the statements before $CONFIG', () => {
  it('skips define(), declare(), if blocks, assignments and comments', () => {
    const source = [
      '<?php',
      'declare(strict_types=1);',
      "define('CLOUD_HOST', 'cloud.example.com');",
      "if (!defined('X')) {",
      "  define('X', ['a' => '}', 'b' => \"{$y}\"]);",
      '}',
      '$x = [1, 2];',
      "$CONFIG['ignored'] = 'before the assignment, which replaces it';",
      '/* $CONFIG = array(); in a comment */',
      "$CONFIG = array('a' => 1, 'host' => CLOUD_HOST);",
    ].join('\n');
    const { values, unreadable } = readPhpConfig(source);
    assert.deepEqual(values, { a: 1 });
    assert.deepEqual(unreadable, [{ key: 'host', line: 10, column: 37, problem: "it uses the constant 'CLOUD_HOST'" }]);
  });

  it('refuses a $CONFIG assigned inside an if, a block or another expression', () => {
    assertMalformed("<?php\nif (getenv('A')) {\n  $CONFIG = ['a' => 1];\n}", 3, /'\$CONFIG' is assigned inside another statement/);
    assertMalformed("<?php\nif (getenv('A'))\n  $CONFIG = ['a' => 1];\n", 3, /'\$CONFIG' is assigned inside another statement/);
    assertMalformed('<?php\nif (1): $CONFIG = [];\nendif;', 2, /'\$CONFIG' is assigned inside another statement/);
    assertMalformed('<?php\n$a = $CONFIG = [];', 2, /'\$CONFIG' is assigned inside another statement/);
  });

  it('refuses unbalanced brackets before $CONFIG', () => {
    assertMalformed("<?php\ndefine('X', 1];\n$CONFIG = [];", 2, /expected '\)' but found '\]'/);
    assertMalformed('<?php\n}\n$CONFIG = [];', 2, /expected a statement but found '\}'/);
  });

  it('still refuses statements after the $CONFIG assignment, which could change a mail setting', () => {
    assertMalformed("<?php\n$CONFIG = [];\n$CONFIG['mail_smtphost'] = 'evil.example.com';\n", 3, /after the \$CONFIG statement/);
  });
});
