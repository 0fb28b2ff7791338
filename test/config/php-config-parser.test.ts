import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { parsePhpConfig } from '../../src/config/php-config-parser.ts';
import { mailSettingsFromOwncloudConfig } from '../../src/config/owncloud-import.ts';
import { MailroomError } from '../../src/errors.ts';

const fixture = readFileSync(new URL('../fixtures/owncloud-config.php', import.meta.url), 'utf8');

/** Parses `source` and checks it fails as malformed at `line`; returns the message for more checks. */
function assertMalformed(source: string, line: number, message?: RegExp): string {
  let caught: unknown;
  try {
    parsePhpConfig(source);
  } catch (error) {
    caught = error;
  }
  assert.ok(caught instanceof MailroomError, `expected a MailroomError, got ${String(caught)}`);
  assert.equal(caught.code, 'config_import_malformed');
  assert.equal(caught.details?.['line'], line, caught.message);
  assert.match(caught.message, new RegExp(`^config\\.php line ${line}, column \\d+: `));
  if (message !== undefined) assert.match(caught.message, message);
  return caught.message;
}

describe('parsePhpConfig on a real-world config.php', () => {
  it('reads every setting of the fixture with its PHP type', () => {
    assert.deepEqual(parsePhpConfig(fixture), {
      instanceid: 'ocq8x2kz1m7v',
      passwordsalt: 'Vx8nLw1sT0pQ',
      trusted_domains: ['localhost', 'cloud.example.com'],
      datadirectory: '/var/www/nextcloud/data',
      dbtype: 'mysql',
      version: '27.1.4.1',
      'overwrite.cli.url': 'https://cloud.example.com',
      installed: true,
      maintenance: false,
      'memcache.local': '\\OC\\Memcache\\APCu',
      redis: { host: '/run/redis/redis-server.sock', port: 0, timeout: 1.5 },
      'log.condition': { apps: ['admin_audit', 'mail'] },
      loglevel: 2,
      'filelocking.ttl': -1,
      mail_smtpmode: 'smtp',
      mail_smtphost: 'smtp-1.example.com;smtp-2.example.com:465',
      mail_smtpport: 587,
      mail_smtptimeout: 30,
      mail_smtpsecure: 'tls',
      mail_smtpauth: true,
      mail_smtpauthtype: 'LOGIN',
      mail_smtpname: 'nextcloud@example.com',
      mail_smtppassword: 'it\'s a "secret"\t$100 A\u263A',
      mail_smtpdebug: false,
      mail_from_address: 'nextcloud',
      mail_domain: 'example.com',
      mail_sendmail_path: '/usr/sbin/sendmail -t',
      mail_smtpstreamoptions: { ssl: { allow_self_signed: true, verify_peer: false } },
      mail_template_class: null,
    });
  });

  it('keeps the keys in the order of the file', () => {
    const keys = Object.keys(parsePhpConfig(fixture));
    assert.equal(keys[0], 'instanceid');
    assert.equal(keys.at(-1), 'mail_template_class');
  });
});

describe('parsePhpConfig on the accepted PHP syntax', () => {
  it('accepts a one-line file without a closing tag or final newline', () => {
    assert.deepEqual(parsePhpConfig("<?php $CONFIG = array('a' => 1);"), { a: 1 });
  });

  it('accepts short array syntax, a missing trailing comma and an empty array', () => {
    assert.deepEqual(parsePhpConfig("<?php\n$CONFIG = [ 'a' => [ 'b' => 'c' ], 'e' => [] ];\n"), { a: { b: 'c' }, e: [] });
  });

  it('returns an empty object for an empty $CONFIG', () => {
    assert.deepEqual(parsePhpConfig('<?php $CONFIG = array ( );'), {});
  });

  it('reads true, false, null and array in any letter case', () => {
    assert.deepEqual(parsePhpConfig("<?php $CONFIG = ARRAY('t' => True, 'f' => fAlSe, 'n' => Null, 'l' => Array(TRUE));"), {
      t: true,
      f: false,
      n: null,
      l: [true],
    });
  });

  it('reads signed, decimal, hexadecimal, octal, binary and exponent numbers', () => {
    const source =
      "<?php $CONFIG = ['n' => -1, 'p' => +2, 'f' => 1.5, 'g' => .5, 'e' => 1e3, 'm' => -2.5E-1, " +
      "'h' => 0x1F, 'o' => 0755, 'o2' => 0o17, 'b' => 0b101, 'u' => 1_000_000, 'z' => -0];";
    assert.deepEqual(parsePhpConfig(source), {
      n: -1,
      p: 2,
      f: 1.5,
      g: 0.5,
      e: 1000,
      m: -0.25,
      h: 31,
      o: 493,
      o2: 15,
      b: 5,
      u: 1_000_000,
      z: 0,
    });
  });

  it('applies only \\\' and \\\\ as escapes in single-quoted strings', () => {
    const config = parsePhpConfig(String.raw`<?php $CONFIG = ['s' => 'it\'s a \\ and \n and $x and "q"'];`);
    assert.equal(config['s'], 'it\'s a \\ and \\n and $x and "q"');
  });

  it('applies the escapes of double-quoted strings, including bytes that form UTF-8', () => {
    const config = parsePhpConfig(
      String.raw`<?php $CONFIG = ['s' => "\n\t\r\v\e\f\\\$\"|\x41\101\u{263A}\xC3\xA9|\q\x\u|costs $5 or $"];`,
    );
    assert.equal(config['s'], '\n\t\r\v\x1b\f\\$"|AA\u263A\u00e9|\\q\\x\\u|costs $5 or $');
  });

  it('allows line breaks inside strings', () => {
    assert.deepEqual(parsePhpConfig("<?php $CONFIG = ['a' => 'one\ntwo', 'b' => \"x\r\ny\"];"), { a: 'one\ntwo', b: 'x\r\ny' });
  });

  it('turns a PHP array whose keys are exactly 0..n-1 in order into a JavaScript array', () => {
    assert.deepEqual(parsePhpConfig("<?php $CONFIG = ['a' => ['x', 'y'], 'b' => [0 => 'x', '1' => 'y']];"), {
      a: ['x', 'y'],
      b: ['x', 'y'],
    });
  });

  it('turns a PHP array with gaps, reordered or string keys into an object', () => {
    assert.deepEqual(parsePhpConfig("<?php $CONFIG = ['gap' => [0 => 'a', 2 => 'b'], 'order' => [1 => 'a', 0 => 'b'], 'neg' => [-1 => 'a']];"), {
      gap: { 0: 'a', 2: 'b' },
      order: { 1: 'a', 0: 'b' },
      neg: { '-1': 'a' },
    });
  });

  it('numbers keyless elements after the largest integer key, as PHP does', () => {
    assert.deepEqual(parsePhpConfig("<?php $CONFIG = ['a' => [5 => 'x', 'y', 'k' => 'z', 'w']];"), {
      a: { 5: 'x', 6: 'y', k: 'z', 7: 'w' },
    });
  });

  it('lets a repeated key overwrite the earlier value', () => {
    assert.deepEqual(parsePhpConfig("<?php $CONFIG = ['a' => 1, 'b' => 2, 'a' => 3];"), { a: 3, b: 2 });
  });

  it('stores a __proto__ key as data instead of changing the prototype', () => {
    const config = parsePhpConfig("<?php $CONFIG = ['__proto__' => ['polluted' => true]];");
    assert.equal(Object.getPrototypeOf(config), Object.prototype);
    assert.deepEqual(Object.getOwnPropertyDescriptor(config, '__proto__')?.value, { polluted: true });
    assert.equal(({} as Record<string, unknown>)['polluted'], undefined);
  });

  it('skips comments of all three kinds, a byte order mark and leading blank lines', () => {
    const source = "\uFEFF\n<?php # one\n// two\n/* three\n */ $CONFIG /* inline */ = [ # four\n 'a' => 1, // five\n];\n";
    assert.deepEqual(parsePhpConfig(source), { a: 1 });
  });

  it('accepts a closing tag instead of the last semicolon, followed by whitespace only', () => {
    assert.deepEqual(parsePhpConfig("<?php $CONFIG = ['a' => 1] ?>\n\n  "), { a: 1 });
  });

  it('ends a one-line comment at ?>, as PHP does', () => {
    assert.deepEqual(parsePhpConfig("<?php $CONFIG = ['a' => 1]; // done ?>\n"), { a: 1 });
    assertMalformed("<?php $CONFIG = ['a' => 1 // note ?> 'b' => 2];", 1, /but found '\?>'/);
  });

  it('accepts arrays nested exactly 64 levels deep, counting $CONFIG itself', () => {
    const source = `<?php $CONFIG = ['a' => ${'['.repeat(63)}${']'.repeat(63)}];`;
    assert.doesNotThrow(() => parsePhpConfig(source));
  });
});

describe('parsePhpConfig on malformed or hostile input', () => {
  it('refuses an empty file', () => {
    assertMalformed('', 1, /expected '<\?php' at the start of the file but found end of file/);
  });

  it('refuses a file that does not start with <?php', () => {
    assertMalformed("\n\nhello <?php $CONFIG = [];", 3, /expected '<\?php'/);
  });

  it('refuses a file that assigns something other than $CONFIG', () => {
    assertMalformed("<?php\n// settings\n$CFG = array();\n", 3, /expected '\$CONFIG' but found '\$CFG'/);
  });

  it('refuses a file with only the opening tag', () => {
    assertMalformed('<?php\n', 2, /expected '\$CONFIG' but found end of file/);
  });

  it('refuses an assignment of something other than an array', () => {
    assertMalformed("<?php\n$CONFIG = 'x';", 2, /expected an array/);
  });

  it('reports an unterminated string at the line where it opens', () => {
    assertMalformed("<?php\n$CONFIG = array(\n  'a' => 'b',\n  'mail_smtphost' => 'smtp.example.com,\n);\n", 4, /unterminated string/);
    assertMalformed('<?php\n$CONFIG = array(\n  "a" => "b\n);\n', 3, /unterminated string/);
  });

  it('refuses a function call such as getenv() and names it', () => {
    assertMalformed("<?php\n$CONFIG = [\n  'mail_smtppassword' => getenv('SMTP_PASSWORD'),\n];\n", 3, /expected a value .* but found 'getenv' \(config\.php is never executed/);
  });

  it('gives line and column in the message and in the details', () => {
    let caught: unknown;
    try {
      parsePhpConfig("<?php\n$CONFIG = array(\n  'mail_smtppassword' getenv('X'),\n);");
    } catch (error) {
      caught = error;
    }
    assert.ok(caught instanceof MailroomError);
    assert.equal(caught.message, "config.php line 3, column 23: expected '=>', ',' or ')' but found 'getenv' (config.php is never executed, so constants and function calls cannot be imported)");
    assert.deepEqual(caught.details, { line: 3, column: 23 });
  });

  it('refuses constants', () => {
    assertMalformed("<?php $CONFIG = [\n'port' => PHP_INT_MAX];", 2, /found 'PHP_INT_MAX'/);
  });

  it('refuses string concatenation', () => {
    assertMalformed("<?php\n$CONFIG = [\n  'a' => 1,\n  'mail_domain' => 'example' . '.com',\n];", 4, /but found '\.' \(string concatenation is not supported\)/);
  });

  it('refuses variable interpolation in double-quoted strings without quoting the variable', () => {
    const message = assertMalformed('<?php\n$CONFIG = [\n  "mail_smtppassword" => "pa$sword",\n];', 3, /variable interpolation is not supported/);
    assert.doesNotMatch(message, /sword/);
    assertMalformed('<?php $CONFIG = ["a" => "x${y}"];', 1, /variable interpolation is not supported/);
    assertMalformed('<?php $CONFIG = ["a" => "x{$y}"];', 1, /variable interpolation is not supported/);
  });

  it('never quotes the content of a misplaced string, which may be a password', () => {
    const message = assertMalformed("<?php $CONFIG = [\n'mail_smtppassword' 'hunter2'];", 2, /but found a string/);
    assert.doesNotMatch(message, /hunter2/);
  });

  it('refuses variables as values', () => {
    assertMalformed("<?php $CONFIG = ['a' => $b];", 1, /found '\$b' \(variables are not supported\)/);
  });

  it('refuses unbalanced brackets', () => {
    assertMalformed("<?php\n$CONFIG = array(\n  'a' => array('b' => 1,\n);\n", 4, /expected ',' or '\)' but found ';'/);
    assertMalformed("<?php\n$CONFIG = array(\n  'a' => 1,\n));\n", 4, /expected ';' but found '\)'/);
    assertMalformed("<?php\n$CONFIG = ['a' => 1);", 2, /expected ',' or '\]' but found '\)'/);
    assertMalformed("<?php\n$CONFIG = ['a' => [1, 2\n", 3, /found end of file/);
  });

  it('refuses arrays nested more than 64 levels deep without exhausting the stack', () => {
    assertMalformed(`<?php $CONFIG = ['a' => ${'['.repeat(64)}${']'.repeat(64)}];`, 1, /nested more than 64 levels deep/);
    assertMalformed(`<?php\n$CONFIG = ${'array('.repeat(100_000)}`, 2, /nested more than 64 levels deep/);
  });

  it('refuses input larger than 1 MiB', () => {
    const source = `<?php $CONFIG = ['a' => '${'x'.repeat(1024 * 1024)}'];`;
    assertMalformed(source, 1, /more than the limit of 1048576 bytes/);
  });

  it('refuses a second statement after the assignment', () => {
    assertMalformed("<?php\n$CONFIG = array();\necho 'hi';\n", 3, /expected end of file or '\?>' after the \$CONFIG statement/);
    assertMalformed("<?php\n$CONFIG = array();\n$CONFIG['a'] = 1;\n", 3, /found '\$CONFIG'/);
  });

  it('refuses text after the closing tag', () => {
    assertMalformed("<?php $CONFIG = [];\n?>\n<html>", 3, /expected only whitespace after '\?>'/);
  });

  it('refuses heredoc strings', () => {
    assertMalformed("<?php $CONFIG = [\n'a' => <<<EOT\nx\nEOT\n];", 2, /heredoc/);
  });

  it('refuses an unterminated block comment', () => {
    assertMalformed("<?php\n/* open\n$CONFIG = [];", 2, /unterminated comment/);
  });

  it('refuses malformed numbers', () => {
    assertMalformed("<?php $CONFIG = ['a' => 08];", 1, /malformed number '08'/);
    assertMalformed("<?php $CONFIG = ['a' => 1__0];", 1, /malformed number/);
    assertMalformed("<?php $CONFIG = ['a' => 10abc];", 1, /malformed number '10abc'/);
  });

  it('refuses keys that are not strings or integers', () => {
    assertMalformed("<?php $CONFIG = [\n[1] => 'a'];", 2, /expected an array key \(a string or an integer\)/);
    assertMalformed("<?php $CONFIG = [null => 'a'];", 1, /expected an array key/);
  });

  it('refuses empty elements between commas', () => {
    assertMalformed("<?php $CONFIG = ['a' => 1,, 'b' => 2];", 1, /expected a value .* but found ','/);
  });

  it('refuses invalid \\u{} escapes and byte escapes that are not UTF-8', () => {
    assertMalformed('<?php $CONFIG = ["a" => "\\u{110000}"];', 1, /not a valid Unicode code point/);
    assertMalformed('<?php $CONFIG = ["a" => "\\u{12"];', 1, /malformed \\u\{\.\.\.\} escape/);
    assertMalformed('<?php $CONFIG = ["a" => "\\xff"];', 1, /not valid UTF-8/);
  });

  it('refuses an opening tag glued to the code', () => {
    assertMalformed('<?php$CONFIG = [];', 1, /expected whitespace after '<\?php'/);
  });
});

describe('mailSettingsFromOwncloudConfig', () => {
  it('copies every mail_ setting of the fixture with its type, and overwrite.cli.url as base_url', () => {
    const { settings, ignored } = mailSettingsFromOwncloudConfig(parsePhpConfig(fixture));
    assert.deepEqual(settings, {
      base_url: 'https://cloud.example.com',
      mail_smtpmode: 'smtp',
      mail_smtphost: 'smtp-1.example.com;smtp-2.example.com:465',
      mail_smtpport: 587,
      mail_smtptimeout: 30,
      mail_smtpsecure: 'tls',
      mail_smtpauth: true,
      mail_smtpauthtype: 'LOGIN',
      mail_smtpname: 'nextcloud@example.com',
      mail_smtppassword: 'it\'s a "secret"\t$100 A\u263A',
      mail_smtpdebug: false,
      mail_from_address: 'nextcloud',
      mail_domain: 'example.com',
      mail_sendmail_path: '/usr/sbin/sendmail -t',
    });
    assert.deepEqual(ignored, ['mail_smtpstreamoptions'], 'mail_template_class is NULL: not set, so not reported');
  });

  it('leaves out settings that have nothing to do with mail', () => {
    const { settings, ignored } = mailSettingsFromOwncloudConfig({ dbtype: 'mysql', redis: { host: 'localhost' }, mailer: 'x' });
    assert.deepEqual(settings, {});
    assert.deepEqual(ignored, []);
  });

  it('does not validate values, leaving that to the settings schema', () => {
    const { settings } = mailSettingsFromOwncloudConfig({ mail_smtpport: 'not a port', mail_smtpmode: 42, mail_smtphost: '' });
    assert.deepEqual(settings, { mail_smtpport: 'not a port', mail_smtpmode: 42, mail_smtphost: '' });
  });

  it('lists a non-scalar value as ignored under its ownCloud name, and skips a null (not set) without a word', () => {
    const { settings, ignored } = mailSettingsFromOwncloudConfig({ 'overwrite.cli.url': ['x'], mail_domain: ['a'], mail_smtpname: null });
    assert.deepEqual(settings, {});
    assert.deepEqual(ignored, ['overwrite.cli.url', 'mail_domain']);
  });

  it('returns nothing for a config without mail settings', () => {
    assert.deepEqual(mailSettingsFromOwncloudConfig({}), { settings: {}, ignored: [] });
  });
});
