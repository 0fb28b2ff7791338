import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { readPhpConfig, type PhpValue, type UnreadableSetting } from '../../src/config/php-config-parser.ts';
import { mailSettingsFromOwncloudConfig } from '../../src/config/owncloud-import.ts';
import { MailroomError } from '../../src/errors.ts';

const readFixture = (name: string): string => readFileSync(new URL(`../fixtures/${name}`, import.meta.url), 'utf8');
const fixture = readFixture('owncloud-config.php');

/** The mail_ settings of owncloud-config.php that Mailroom takes over, as PHP typed them. */
const FIXTURE_MAIL_SETTINGS = {
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
};

/** The settings of a file in which every value could be read. */
function parsePhpConfig(source: string): Record<string, PhpValue> {
  const { values, unreadable } = readPhpConfig(source);
  assert.deepEqual(unreadable, [], 'no value should be unreadable');
  return values;
}

/** The one unreadable setting of `source`, checked to be left out of the values. */
function onlyUnreadable(source: string): UnreadableSetting {
  const { values, unreadable } = readPhpConfig(source);
  assert.equal(unreadable.length, 1, JSON.stringify(unreadable));
  const [entry] = unreadable;
  assert.ok(entry);
  assert.ok(!Object.hasOwn(values, entry.key), `${entry.key} must not be among the read values`);
  return entry;
}

/** Parses `source` and checks it fails as malformed at `line`; returns the message for more checks. */
function assertMalformed(source: string, line: number, message?: RegExp): string {
  let caught: unknown;
  try {
    readPhpConfig(source);
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
      ...FIXTURE_MAIL_SETTINGS,
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

describe('readPhpConfig on config.php files extended from the sample files', () => {
  it('reads an ownCloud 10 file: every construct by value, and the two values only PHP knows as unreadable', () => {
    const { values, unreadable } = readPhpConfig(readFixture('owncloud10-sample-config.php'));
    assert.deepEqual(values, {
      instanceid: 'oc2k9d7x1qpe',
      passwordsalt: 'B4vT+u2mQ9sLx0',
      secret: 'd3c0ded/+hK9==',
      trusted_domains: ['cloud.example.com', 'owncloud.example.com'], // array (0 => …, 1 => …,)
      datadirectory: '/var/www/owncloud/data',
      'overwrite.cli.url': 'https://cloud.example.com/owncloud',
      dbtype: 'mysql',
      version: '10.15.0.2',
      dbname: 'owncloud',
      dbhost: 'localhost:3306',
      dbtableprefix: 'oc_',
      'mysql.utf8mb4': true, // TRUE
      installed: true,
      remember_login_cookie_lifetime: 1_296_000, // 60*60*24*15 after a /** */ comment
      session_lifetime: 1200, // 60 * 20
      session_keepalive: true, // True
      'memcache.local': '\\OC\\Memcache\\APCu', // single quotes keep the backslashes, after a # comment
      'memcache.locking': '\\OC\\Memcache\\Redis', // "\\OC\\…": double quotes unescape them
      redis: { host: '/var/run/redis/redis.sock', port: 0, timeout: 0, dbindex: 0 }, // [ … ] with a // comment, 0.0, 0x0
      log_rotate_size: 104_857_600, // 100 * 1024 * 1024
      loglevel: 2, // 0b10
      logtimezone: 'Europe/Berlin',
      preview_max_x: 2048, // 2_048
      preview_max_y: 2048, // 0x800
      preview_max_scale_factor: 1.5, // 1.5e0
      'filelocking.ttl': 3600,
      cache_chunk_gc_ttl: 86_400,
      'localstorage.umask': 0o22, // 0o022
      activity_expire_days: 365,
      trashbin_retention_obligation: 'auto, 30', // 'auto, ' . 30
      'minimum.supported.desktop.version': '2.9.0', // '2.' . (8 + 1) . '.0'
      'sharing.federation.allowHttpFallback': false, // FALSE
      'upgrade.disable-web': true, // !false
      lost_password_link: null, // NULL
      'login.alternatives': [{ href: 'https://idp.example.com/login', name: 'Sign in with \u{1F511} SSO', img: '/apps/sso/img/key.svg' }],
      customclient_desktop: 'https://owncloud.com/desktop-app/', // nowdoc, closing name indented by a tab
      mail_domain: 'example.com',
      mail_from_address: 'owncloud',
      mail_smtpmode: 'smtp',
      mail_smtphost: 'mail-1.example.com;mail-2.example.com:465',
      mail_smtpport: 587,
      mail_smtptimeout: 30, // 3 * 10
      mail_smtpsecure: 'tls',
      mail_smtpauth: true,
      mail_smtpauthtype: 'PLAIN',
      mail_smtpname: 'owncloud@example.com',
      mail_smtppassword: 'Tr0ub4dor\t&3 $5 "q" \\ AA\u{1F600}', // \t \$ \" \\ \x41 \101 \u{1F600}
      mail_smtpdebug: false,
      mail_template_class: '\\OC\\Mail\\EMailTemplate',
    });
    assert.deepEqual(unreadable, [
      { key: 'apps_paths', line: 72, column: 13, problem: "it uses 'OC::$SERVERROOT', which only PHP knows" },
      { key: 'upload_max_size', line: 88, column: 22, problem: "it uses the constant 'OC_MAX_UPLOAD'" },
    ]);
  });

  it('reads a Nextcloud file: every construct by value, and the five values only PHP knows as unreadable', () => {
    const { values, unreadable } = readPhpConfig(readFixture('nextcloud-sample-config.php'));
    assert.deepEqual(values, {
      instanceid: 'ocn7w2v5k8zr',
      passwordsalt: 'mQ3+9xk/Lw',
      secret: 'Zt8fK2pV9qR4sW7yB1nC',
      trusted_domains: ['cloud.example.com', '192.168.1.20'],
      trusted_proxies: ['10.0.0.1', '10.0.0.2'], // [ …, …,] with a trailing comma
      dbtype: 'pgsql',
      version: '29.0.4.1',
      'overwrite.cli.url': 'https://cloud.example.com',
      overwriteprotocol: 'https',
      dbname: 'nextcloud',
      dbport: '',
      dbuser: 'nextcloud',
      installed: true,
      maintenance: false,
      maintenance_window_start: 1,
      default_phone_region: 'DE',
      remember_login_cookie_lifetime: 1_296_000, // 60*60*24*15
      session_lifetime: 86_400, // 60 * 60 * 24
      session_keepalive: true,
      auto_logout: false,
      'memcache.local': '\\OC\\Memcache\\APCu',
      'memcache.locking': '\\OC\\Memcache\\Redis', // '\\OC\\…': \\ is an escape in single quotes too
      redis: { host: 'localhost', port: 6379, dbindex: 0, timeout: 1.5, read_timeout: 0.5 }, // 6_379, .5
      log_type: 'file',
      logfile: '/var/log/nextcloud/nextcloud.log',
      loglevel: 2,
      log_rotate_size: 104_857_600, // 100 * 1024 * 1024
      logdateformat: 'F d, Y H:i:s',
      'filelocking.ttl': 3600,
      filesystem_check_changes: 1, // 0b1
      'localstorage.umask': 0o22, // 0022, the legacy octal form
      preview_max_x: 4096, // 4_096
      preview_max_y: 4096, // 0x1000
      preview_max_memory: -1,
      preview_max_filesize_image: 50, // 1_000 / 20: exact, so an integer
      trashbin_retention_obligation: 'auto, 35', // 'auto, ' . 7 * 5
      activity_expire_days: 365,
      'upgrade.disable-web': true,
      customclient_desktop: 'https://nextcloud.com/install/\n  #install-clients!', // heredoc: indentation removed, \x21 applied
      enabledPreviewProviders: ['OC\\Preview\\PNG', 'OC\\Preview\\JPEG', 'OC\\Preview\\MarkDown'],
      mail_smtpmode: 'smtp',
      mail_sendmailmode: 'smtp',
      mail_smtphost: 'smtp1.example.com:25;smtp2.example.com',
      mail_smtpport: 587,
      mail_smtptimeout: 30, // 10 + 20
      mail_smtpsecure: '',
      mail_smtpauth: true, // TRUE
      mail_smtpauthtype: 'LOGIN',
      mail_smtpname: 'nextcloud@example.com', // 'nextcloud' . '@' . 'example.com'
      mail_smtppassword: 'p@ss\\w0rd\u{1F600}!A\t$HOME"', // \\ \u{1F600} \x21 \101 \t \$ \"
      mail_from_address: 'nextcloud',
      mail_domain: 'example.com',
      mail_smtpdebug: false,
      mail_template_class: '\\OCA\\Theming\\MailTemplate',
    });
    assert.deepEqual(unreadable, [
      { key: 'datadirectory', line: 17, column: 22, problem: "it uses the constant 'NC_DATA'" },
      { key: 'dbhost', line: 23, column: 15, problem: "it calls the function 'getenv'" },
      { key: 'dbdriveroptions', line: 81, column: 5, problem: "it uses 'PDO::MYSQL_ATTR_SSL_CA', which only PHP knows" },
      { key: 'apps_paths', line: 91, column: 17, problem: "it uses '\\OC::$SERVERROOT', which only PHP knows" },
      { key: 'mail_smtpstreamoptions', line: 120, column: 19, problem: "it calls the function 'getenv'" },
    ]);
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
    const source = "<?php $CONFIG = ['n' => -1, 'p' => +2, 'f' => 1.5, 'g' => .5, 'e' => 1e3, 'm' => -2.5E-1, " + "'h' => 0x1F, 'o' => 0755, 'o2' => 0o17, 'b' => 0b101, 'u' => 1_000_000, 'z' => -0];";
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

  it("applies only \\' and \\\\ as escapes in single-quoted strings", () => {
    const config = parsePhpConfig(String.raw`<?php $CONFIG = ['s' => 'it\'s a \\ and \n and $x and "q"'];`);
    assert.equal(config['s'], 'it\'s a \\ and \\n and $x and "q"');
  });

  it('applies the escapes of double-quoted strings, including bytes that form UTF-8', () => {
    const config = parsePhpConfig(String.raw`<?php $CONFIG = ['s' => "\n\t\r\v\e\f\\\$\"|\x41\101\u{263A}\xC3\xA9|\q\x\u|costs $5 or $"];`);
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
    assertMalformed('\n\nhello <?php $CONFIG = [];', 3, /expected '<\?php'/);
  });

  it('refuses a file that assigns something other than $CONFIG', () => {
    assertMalformed('<?php\n// settings\n$CFG = array();\n', 4, /expected the statement '\$CONFIG = array\(…\);' but found end of file/);
  });

  it('refuses a file with only the opening tag', () => {
    assertMalformed('<?php\n', 2, /expected the statement '\$CONFIG = array\(…\);' but found end of file/);
  });

  it('refuses an assignment of something other than an array', () => {
    assertMalformed("<?php\n$CONFIG = 'x';", 2, /expected an array/);
  });

  it('reports an unterminated string at the line where it opens', () => {
    assertMalformed("<?php\n$CONFIG = array(\n  'a' => 'b',\n  'mail_smtphost' => 'smtp.example.com,\n);\n", 4, /unterminated string/);
    assertMalformed('<?php\n$CONFIG = array(\n  "a" => "b\n);\n', 3, /unterminated string/);
  });

  it('reports a function call such as getenv() as unreadable, naming it, with its line and column', () => {
    assert.deepEqual(readPhpConfig("<?php\n$CONFIG = [\n  'mail_smtppassword' => getenv('SMTP_PASSWORD'),\n];\n"), {
      values: {},
      unreadable: [{ key: 'mail_smtppassword', line: 3, column: 26, problem: "it calls the function 'getenv'" }],
    });
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

  it('reports constants as unreadable', () => {
    assert.deepEqual(onlyUnreadable("<?php $CONFIG = [\n'port' => PHP_INT_MAX, 'b' => 1];"), { key: 'port', line: 2, column: 11, problem: "it uses the constant 'PHP_INT_MAX'" });
  });

  it('reports variable interpolation in double-quoted strings as unreadable without quoting the variable', () => {
    const entry = onlyUnreadable('<?php\n$CONFIG = [\n  "mail_smtppassword" => "pa$sword",\n];');
    assert.deepEqual({ ...entry, problem: '' }, { key: 'mail_smtppassword', line: 3, column: 29, problem: '' });
    assert.match(entry.problem, /a variable is interpolated into the string/);
    assert.doesNotMatch(entry.problem, /sword/);
    assert.equal(onlyUnreadable('<?php $CONFIG = ["a" => "x${y}"];').column, 27);
    assert.equal(onlyUnreadable('<?php $CONFIG = ["a" => "x{$y[\'"}\']}", "b" => 2];').column, 27, 'the string ends after the braces, whatever they hold');
  });

  it('never quotes the content of a misplaced string, which may be a password', () => {
    const message = assertMalformed("<?php $CONFIG = [\n'mail_smtppassword' 'hunter2'];", 2, /but found a string/);
    assert.doesNotMatch(message, /hunter2/);
  });

  it('reports variables as unreadable', () => {
    assert.equal(onlyUnreadable("<?php $CONFIG = ['a' => $b];").problem, "it uses the variable '$b'");
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
    assertMalformed('<?php $CONFIG = [];\n?>\n<html>', 3, /expected only whitespace after '\?>'/);
  });

  it('refuses an unterminated block comment', () => {
    assertMalformed('<?php\n/* open\n$CONFIG = [];', 2, /unterminated comment/);
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
      ...FIXTURE_MAIL_SETTINGS,
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
